//! Running `rexroute serve` as a child process for tests, and a small SIP client over raw sockets.
//!
//! Every server listens on 127.0.0.1 with ports the OS picks (`--listen 127.0.0.1:0`),
//! reads its configuration from a fresh temporary directory, and is killed when
//! dropped. Every wait is bounded.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("rexroute-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Users and listeners most tests need; `expires_min` short so expiry is quick to see.
pub const REGFILE: &str = "[general]\nfile=state.conf\n[alice]\npassword=secret\n[bob]\npassword=secret2\n";
pub const YSIPCHAN: &str = "[general]\nrealm=Yate\n[listener general]\ntype=udp\naddr=127.0.0.1\nport=0\n\
[registrar]\nexpires_min=1\n";

/// A running `rexroute serve`.
pub struct Server {
    child: Option<Child>,
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub dir: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts on `dir` (which must hold the configuration files).
    pub fn start(dir: &Path) -> Server {
        Server::start_with(dir, &["--config".as_ref(), dir.as_os_str()])
    }

    /// Starts with `args` after `serve`; the bus log goes to `dir`.
    pub fn start_with(dir: &Path, args: &[&std::ffi::OsStr]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rexroute"))
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--bus-log"])
            .arg(dir.join("bus.jsonl"))
            .env("RUST_LOG", std::env::var("SERVE_TEST_LOG").unwrap_or_else(|_| "info".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the rexroute binary runs");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut server = Server { child: Some(child), udp: any(), tcp: any(), dir: dir.to_path_buf(), stderr };
        let ok = server.wait_log("listening tcp ", Duration::from_secs(20));
        assert!(ok, "the server did not start:\n{}", server.log());
        server.udp = server.addr("listening udp ");
        server.tcp = server.addr("listening tcp ");
        server
    }

    fn addr(&self, prefix: &str) -> SocketAddr {
        let log = self.log();
        let line = log.lines().find_map(|l| l.strip_prefix(prefix)).unwrap();
        line.trim().parse().unwrap()
    }

    /// Everything the server wrote on stderr so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr contains `text`.
    pub fn wait_log(&self, text: &str, limit: Duration) -> bool {
        wait_for(limit, || self.log().contains(text))
    }

    /// How many times stderr contains `text`.
    pub fn count_log(&self, text: &str) -> usize {
        self.log().matches(text).count()
    }

    /// The bus messages so far (the `--bus-log` lines).
    pub fn bus(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.join("bus.jsonl")).unwrap_or_default();
        text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// Bus messages named `name`.
    pub fn bus_named(&self, name: &str) -> Vec<serde_json::Value> {
        self.bus().into_iter().filter(|m| m["name"] == name).collect()
    }

    /// SIGTERM, then the exit status (killed after 30 s).
    pub fn stop(&mut self) -> ExitStatus {
        self.signal_and_wait(libc::SIGTERM)
    }

    /// Sends `signal`, then waits for the exit status (killed after 30 s).
    pub fn signal_and_wait(&mut self, signal: libc::c_int) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(pid, signal) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the server did not stop within 30 s:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGHUP.
    pub fn hangup(&self) {
        let pid = libc::pid_t::try_from(self.child.as_ref().unwrap().id()).unwrap();
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(pid, libc::SIGHUP) };
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn any() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Polls `cond` every 50 ms until it holds or `limit` passes.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A path to an external program, or a panic saying how to install it.
pub fn need(program: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(program))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("`{program}` is not installed; this test needs it: apt-get install -y {package} (scripts/test does)")
    })
}

/// The test scenario and profile folder (`tests/sip`).
pub fn sip_files() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sip")
}

/// Runs sipp with `args` (bounded by `-timeout` and a 30 s kill); returns its exit status and output.
pub fn sipp(args: &[&str]) -> (i32, String) {
    let bin = need("sipp", "sip-tester");
    let child = Command::new(bin)
        .args(args)
        .args(["-nostdin", "-timeout", "15"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_output(child, Duration::from_secs(30));
    (out.0, out.1)
}

/// Waits for a child to exit (killed after `limit`); its status code and output.
pub fn wait_output(mut child: Child, limit: Duration) -> (i32, String) {
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut text = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut text);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut text);
    }
    (status, text)
}

/// A SIP client on a UDP socket.
pub struct Client {
    pub socket: UdpSocket,
    pub server: SocketAddr,
    branch: AtomicU32,
}

/// A response: status code and the whole text.
#[derive(Debug, Clone)]
pub struct Resp {
    pub code: u16,
    pub text: String,
}

impl Resp {
    fn parse(bytes: &[u8]) -> Option<Resp> {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let code = text.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()?;
        Some(Resp { code, text })
    }

    /// Values of a header (case-insensitive name), in order.
    pub fn headers(&self, name: &str) -> Vec<String> {
        self.text
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

impl Client {
    pub fn new(server: SocketAddr) -> Client {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Client { socket, server, branch: AtomicU32::new(1) }
    }

    pub fn port(&self) -> u16 {
        self.socket.local_addr().unwrap().port()
    }

    pub fn send_raw(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, self.server).unwrap();
    }

    /// The next datagram parsed as a response; `None` after the read timeout.
    pub fn recv(&self) -> Option<Resp> {
        let mut buf = vec![0u8; 65536];
        let (n, _) = self.socket.recv_from(&mut buf).ok()?;
        Resp::parse(&buf[..n])
    }

    /// The next final (non-1xx) response.
    pub fn recv_final(&self) -> Option<Resp> {
        loop {
            let r = self.recv()?;
            if r.code >= 200 {
                return Some(r);
            }
        }
    }

    /// Sends `text` (blank lines as CRLF) and waits for the final response.
    pub fn request(&self, text: &str) -> Option<Resp> {
        self.send_raw(crlf(text).as_bytes());
        self.recv_final()
    }

    /// A REGISTER for `user` (no Contact when `expires` is `None`: a query).
    pub fn register_text(&self, user: &str, call_id: &str, cseq: u32, expires: Option<u32>, auth: &str) -> String {
        let port = self.port();
        let b = self.branch.fetch_add(1, Ordering::SeqCst);
        let contact = match expires {
            Some(e) => format!("Contact: <sip:{user}@127.0.0.1:{port}>\nExpires: {e}\n"),
            None => String::new(),
        };
        format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-t{b}-{call_id}\n\
From: <sip:{user}@127.0.0.1>;tag=t{b}\nTo: <sip:{user}@127.0.0.1>\nCall-ID: {call_id}\nCSeq: {cseq} REGISTER\n\
{contact}{auth}Max-Forwards: 70\nContent-Length: 0\n\n"
        )
    }

    /// REGISTER with digest authentication: the challenge, then the answer using
    /// `algorithm` (`MD5` or `SHA-256`, picked among the offered challenges).
    pub fn register(&self, user: &str, password: &str, algorithm: &str, expires: Option<u32>) -> Resp {
        let call_id = format!("reg-{user}-{}-{}", self.port(), self.branch.load(Ordering::SeqCst));
        let first = self.request(&self.register_text(user, &call_id, 1, expires, "")).expect("an answer");
        assert_eq!(first.code, 401, "{}", first.text);
        let challenge = first
            .headers("WWW-Authenticate")
            .into_iter()
            .find(|c| param(c, "algorithm").is_some_and(|a| a.eq_ignore_ascii_case(algorithm)))
            .unwrap_or_else(|| panic!("no {algorithm} challenge in {}", first.text));
        let auth = authorization(&challenge, user, password, algorithm, "REGISTER", "sip:127.0.0.1");
        let text = self.register_text(user, &call_id, 2, expires, &format!("Authorization: {auth}\n"));
        self.request(&text).expect("an answer to the authenticated REGISTER")
    }
}

/// `\n` → `\r\n`.
pub fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// A parameter of a `Digest a="b", c=d` header value.
pub fn param(header: &str, name: &str) -> Option<String> {
    let rest = header.trim().strip_prefix("Digest")?;
    rest.split(',').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// H() of RFC 7616 for MD5 and SHA-256, computed here rather than with the server's code.
pub fn h(algorithm: &str, data: &str) -> String {
    use sha2::Digest;
    if algorithm.eq_ignore_ascii_case("SHA-256") {
        hex(&sha2::Sha256::digest(data.as_bytes()))
    } else {
        hex(&md5::Md5::digest(data.as_bytes()))
    }
}

/// An Authorization value answering `challenge` with qop=auth.
pub fn authorization(challenge: &str, user: &str, password: &str, algorithm: &str, method: &str, uri: &str) -> String {
    let realm = param(challenge, "realm").unwrap();
    let nonce = param(challenge, "nonce").unwrap();
    let (nc, cnonce) = ("00000001", "0a4f113b");
    let ha1 = h(algorithm, &format!("{user}:{realm}:{password}"));
    let ha2 = h(algorithm, &format!("{method}:{uri}"));
    let response = h(algorithm, &format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", \
algorithm={algorithm}, qop=auth, nc={nc}, cnonce=\"{cnonce}\""
    )
}

/// Sends `chunks` over one TCP connection with pauses, then reads responses until a final one.
pub fn tcp_exchange(server: SocketAddr, chunks: &[&[u8]]) -> Vec<Resp> {
    let mut s = TcpStream::connect(server).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for c in chunks {
        s.write_all(c).unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut got = Vec::new();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = s.read(&mut chunk) {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        // Responses here have no body: split at the blank line.
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let one: Vec<u8> = buf.drain(..end + 4).collect();
            if let Some(r) = Resp::parse(&one) {
                let last = r.code >= 200;
                got.push(r);
                if last {
                    return got;
                }
            }
        }
    }
    got
}
