//! End to end: the examples/chat setup served by `rexroute serve`, driven by sipp as alice and bob.
//!
//! Each test starts its own server on a free 127.0.0.1 port with a copy of
//! examples/chat in a scratch directory, and real sipp processes as the users
//! (scenarios in tests/chat/sipp). Every process is killed when its guard
//! drops; every wait is bounded.

use std::fs;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rexroute");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenarios() -> PathBuf {
    root().join("tests/chat/sipp")
}

fn need_sipp() {
    let ok = Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    assert!(ok, "sipp is not installed: `apt-get install -y sip-tester` (scripts/test does this as root)");
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("rexroute-chat-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("REXROUTE_KEEP_SCRATCH").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// A port free for both UDP and TCP on 127.0.0.1 (the server binds both).
fn free_port() -> u16 {
    for _ in 0..100 {
        let u = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = u.local_addr().expect("addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server under test.
struct Server {
    _proc: Proc,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// Serves a copy of examples/chat, after `edit` had its say on the files.
    fn start(dir: &Path, edit: impl FnOnce(&Path)) -> Server {
        let conf = dir.join("conf");
        fs::create_dir_all(&conf).expect("conf dir");
        for f in ["regexroute.conf", "regfile.conf", "ysipchan.conf", "lateroute.conf"] {
            fs::copy(root().join("examples/chat").join(f), conf.join(f)).expect("copy example");
        }
        edit(&conf);
        let port = free_port();
        let log = dir.join("server.log");
        let child = Command::new(BIN)
            .arg("serve")
            .arg("--config")
            .arg(&conf)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn rexroute serve");
        let server = Server { _proc: Proc(child), port, log };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if options(port) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not answer OPTIONS; log:\n{}", server.log_text());
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Rewrites a configuration file.
fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = fs::read_to_string(path).expect("read config file");
    fs::write(path, f(text)).expect("write config file");
}

/// True when an OPTIONS gets a final answer.
fn options(port: u16) -> bool {
    let Ok(s) = UdpSocket::bind("127.0.0.1:0") else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
    let lp = s.local_addr().map(|a| a.port()).unwrap_or(0);
    let req = format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{lp};branch=z9hG4bKprobe{lp}\r\n\
         From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1:{port}>\r\nCall-ID: probe{lp}@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    if s.send_to(req.as_bytes(), ("127.0.0.1", port)).is_err() {
        return false;
    }
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.recv(&mut buf) {
        let line = String::from_utf8_lossy(&buf[..n]);
        let code: u16 = line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        if code >= 200 {
            return true;
        }
    }
    false
}

/// Runs one sipp scenario to completion; returns its exit status and output.
fn sipp(dir: &Path, server: &Server, scenario: &str, args: &[&str]) -> (bool, String) {
    let port = free_port().to_string();
    let mut cmd = Command::new("sipp");
    cmd.arg("-sf")
        .arg(scenarios().join(scenario))
        .arg(server.addr())
        .args(["-i", "127.0.0.1", "-p", &port, "-m", "1", "-nostdin", "-timeout", "15", "-timeout_error"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd.output().expect("run sipp");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn csv(name: &str) -> String {
    scenarios().join(name).display().to_string()
}

/// Bob as sipp: registers with digest, then answers every relayed MESSAGE and logs it.
fn sipp_bob(dir: &Path, server: &Server) -> (Proc, PathBuf) {
    let port = free_port().to_string();
    let log = dir.join("bob.log");
    let child = Command::new("sipp")
        .arg("-sf")
        .arg(scenarios().join("register_wait.xml"))
        .arg("-oocsf")
        .arg(scenarios().join("answer_message.xml"))
        .args(["-inf", &csv("bob.csv")])
        .arg(server.addr())
        .args(["-i", "127.0.0.1", "-p", &port, "-m", "1", "-d", "30000", "-nostdin", "-timeout", "40"])
        .args(["-trace_msg", "-message_file"])
        .arg(&log)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sipp bob");
    let bob = Proc(child);
    wait_for(|| fs::read_to_string(&log).map(|t| t.contains("SIP/2.0 200")).unwrap_or(false), "bob registered");
    (bob, log)
}

fn wait_for(mut f: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

/// The MESSAGE requests in a sipp -trace_msg log, as (headers, body) text.
fn received_messages(log: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(log).unwrap_or_default();
    let mut out = Vec::new();
    for block in text.split("-----------------------------------------------") {
        if !block.contains("message received") {
            continue;
        }
        let Some(start) = block.find("MESSAGE sip:") else { continue };
        let msg = &block[start..];
        if let Some((head, body)) = msg.split_once("\r\n\r\n") {
            // sipp's log adds one newline after each message.
            let body = body.strip_suffix('\n').unwrap_or(body);
            out.push((head.to_string(), body.trim_end_matches(['\n']).to_string()));
        }
    }
    out
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn text_message_reaches_registered_bob() {
    need_sipp();
    let dir = Scratch::new("text");
    let server = Server::start(dir.path(), |_| {});
    let (_bob, bob_log) = sipp_bob(dir.path(), &server);
    let (ok, out) = sipp(dir.path(), &server, "register.xml", &["-inf", &csv("users.csv")]);
    assert!(ok, "alice REGISTER failed:\n{out}\n{}", server.log_text());
    let (ok, out) = sipp(dir.path(), &server, "message_text.xml", &["-inf", &csv("users.csv"), "-s", "bob"]);
    assert!(ok, "alice MESSAGE failed:\n{out}\n{}", server.log_text());
    wait_for(|| !received_messages(&bob_log).is_empty(), "bob receives the MESSAGE");
    let msgs = received_messages(&bob_log);
    assert_eq!(msgs.len(), 1, "exactly one copy: {msgs:?}");
    let (head, body) = &msgs[0];
    assert_eq!(body, "Hello bob, this is alice");
    assert_eq!(header(head, "Content-Type"), Some("text/plain"));
    assert!(header(head, "From").is_some_and(|f| f.contains("sip:alice@127.0.0.1")), "{head}");
}

#[test]
fn binary_file_reaches_bob_byte_exact() {
    need_sipp();
    let dir = Scratch::new("binary");
    // MESSAGE without a challenge: sipp's authenticated retry cannot carry NUL
    // bytes (see message_file_noauth.xml). No NAT guess either: bob's device
    // listens on another port than the sipp that registers it.
    let server = Server::start(dir.path(), |conf| {
        edit(&conf.join("ysipchan.conf"), |t| {
            t.replace("message=yes", "message=no").replace("[general]\n", "[general]\nnat=no\n")
        })
    });
    let (ok, out) = sipp(dir.path(), &server, "register.xml", &["-inf", &csv("users.csv")]);
    assert!(ok, "alice REGISTER failed:\n{out}\n{}", server.log_text());
    // Bob's device is a plain socket here, so the body can be compared byte for
    // byte (sipp's message log stops at the first NUL); sipp registers it.
    let device = UdpSocket::bind("127.0.0.1:0").expect("bind device");
    device.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let device_port = device.local_addr().expect("addr").port().to_string();
    let (ok, out) = sipp(
        dir.path(),
        &server,
        "register_contact.xml",
        &["-inf", &csv("bob.csv"), "-key", "contact_port", &device_port],
    );
    assert!(ok, "bob REGISTER failed:\n{out}\n{}", server.log_text());
    let blob: Vec<u8> = (0..3000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    assert!(blob.contains(&0), "the body must contain NUL bytes");
    fs::write(dir.path().join("blob.bin"), &blob).expect("write blob");
    let (ok, out) = sipp(dir.path(), &server, "message_file_noauth.xml", &["-s", "bob"]);
    assert!(ok, "alice MESSAGE failed:\n{out}\n{}", server.log_text());
    let mut buf = vec![0u8; 65536];
    let (n, from) = device.recv_from(&mut buf).expect("bob's device receives the MESSAGE");
    let packet = &buf[..n];
    let split = packet.windows(4).position(|w| w == b"\r\n\r\n").expect("header end") + 4;
    let head = String::from_utf8_lossy(&packet[..split]).to_string();
    assert!(head.starts_with("MESSAGE sip:bob@127.0.0.1:"), "{head}");
    assert_eq!(header(&head, "Content-Type"), Some("application/octet-stream"));
    assert_eq!(&packet[split..], &blob[..], "body differs");
    answer_ok(&device, packet, from);
}

/// Answers a request 200 from a raw socket.
fn answer_ok(sock: &UdpSocket, request: &[u8], to: SocketAddr) {
    let text = String::from_utf8_lossy(request);
    let mut resp = String::from("SIP/2.0 200 OK\r\n");
    for l in text.split("\r\n") {
        let name = l.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
        if ["via", "from", "to", "call-id", "cseq"].contains(&name.as_str()) {
            resp.push_str(l);
            resp.push_str("\r\n");
        }
        if l.is_empty() {
            break;
        }
    }
    resp.push_str("Content-Length: 0\r\n\r\n");
    let _ = sock.send_to(resp.as_bytes(), to);
}

#[test]
fn presence_publish_gets_200() {
    need_sipp();
    let dir = Scratch::new("publish");
    let server = Server::start(dir.path(), |_| {});
    let (ok, out) = sipp(dir.path(), &server, "publish_presence.xml", &["-inf", &csv("users.csv"), "-s", "alice"]);
    assert!(ok, "PUBLISH failed:\n{out}\n{}", server.log_text());
    assert!(server.log_text().contains("Got SIP PRESENCE from 'alice': open"), "{}", server.log_text());
}

#[test]
fn message_to_unregistered_user_is_accepted_and_goes_nowhere() {
    need_sipp();
    let dir = Scratch::new("offline");
    let server = Server::start(dir.path(), |_| {});
    // The chat rules answer before delivery is attempted (as in Yate's setup).
    let (ok, out) = sipp(dir.path(), &server, "message_text.xml", &["-inf", &csv("users.csv"), "-s", "bob"]);
    assert!(ok, "MESSAGE to offline bob:\n{out}\n{}", server.log_text());
}

#[test]
fn message_without_content_type_gets_415() {
    need_sipp();
    let dir = Scratch::new("notype");
    let server = Server::start(dir.path(), |_| {});
    let (ok, out) = sipp(dir.path(), &server, "message_no_type.xml", &["-inf", &csv("users.csv"), "-s", "bob"]);
    assert!(ok, "expected 415:\n{out}\n{}", server.log_text());
}

#[test]
fn message_over_maxpkt_gets_513() {
    need_sipp();
    let dir = Scratch::new("big");
    let server = Server::start(dir.path(), |_| {});
    // examples/chat sets maxpkt=4096.
    fs::write(dir.path().join("big.bin"), vec![b'x'; 5000]).expect("write big");
    let (ok, out) = sipp(dir.path(), &server, "message_too_big.xml", &["-s", "bob"]);
    assert!(ok, "expected 513:\n{out}\n{}", server.log_text());
    assert!(options(server.port), "the server keeps serving");
}

#[test]
fn message_with_wrong_password_is_refused_with_403() {
    need_sipp();
    let dir = Scratch::new("wrong");
    let server = Server::start(dir.path(), |_| {});
    let (ok, out) = sipp(dir.path(), &server, "message_wrong_password.xml", &["-inf", &csv("wrong.csv"), "-s", "bob"]);
    assert!(ok, "expected 403 after the challenge:\n{out}\n{}", server.log_text());
}

#[test]
fn native_message_path_delivers_text() {
    need_sipp();
    let dir = Scratch::new("native");
    // Current Yate's way: MESSAGE becomes call.route (answered by the registrar)
    // and msg.execute, which the SIP side sends on; no chat rules are involved
    // (the seed's [msg.execute] rule would replace the body with its `text`).
    let server = Server::start(dir.path(), |conf| {
        edit(&conf.join("ysipchan.conf"), |t| format!("{t}\n[message]\nenable=yes\n"));
        fs::write(conf.join("regexroute.conf"), "[default]\n").expect("write regexroute.conf");
    });
    let (_bob, bob_log) = sipp_bob(dir.path(), &server);
    let (ok, out) = sipp(dir.path(), &server, "message_text.xml", &["-inf", &csv("users.csv"), "-s", "bob"]);
    assert!(ok, "alice MESSAGE failed:\n{out}\n{}", server.log_text());
    wait_for(|| !received_messages(&bob_log).is_empty(), "bob receives the MESSAGE");
    let msgs = received_messages(&bob_log);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].1, "Hello bob, this is alice");
}

fn need_twinkle() {
    let ok = Command::new("twinkle").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    assert!(ok, "twinkle is not installed: `apt-get install -y twinkle-console` (scripts/test does this as root)");
}

/// A Twinkle profile registering `user` at the server, in its own HOME.
fn twinkle_home(dir: &Path, server: &Server, user: &str, password: &str) -> PathBuf {
    let home = dir.join(user);
    let conf = home.join(".twinkle");
    fs::create_dir_all(&conf).expect("twinkle home");
    let profile = format!(
        "user_name={user}\nuser_domain=127.0.0.1\nuser_display={user}\nauth_realm=\nauth_name={user}\n\
         auth_pass={password}\noutbound_proxy={addr}\nall_requests_to_proxy=yes\nregistrar={addr}\n\
         registration_time=600\nregister_at_startup=yes\nsip_transport=udp\npres_publish_startup=no\n\
         im_send_iscomposing=no\n",
        addr = server.addr()
    );
    fs::write(conf.join(format!("{user}.cfg")), profile).expect("twinkle profile");
    home
}

/// Runs `twinkle -c` for `user`, feeding it `script` (delay in seconds, command) on stdin.
fn twinkle(home: &Path, user: &str, script: Vec<(u64, String)>, out: &Path) -> Proc {
    let sip_port = free_port().to_string();
    let rtp_port = (free_port() & !1).to_string();
    let mut child = Command::new("timeout")
        .arg("40")
        .args(["twinkle", "-c", "--force", "-f", user, "--sip-port", &sip_port, "--rtp-port", &rtp_port])
        .env("HOME", home)
        .stdin(Stdio::piped())
        .stdout(fs::File::create(out).expect("twinkle output"))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn twinkle");
    let mut stdin = child.stdin.take().expect("twinkle stdin");
    std::thread::spawn(move || {
        use std::io::Write;
        for (delay, line) in script {
            std::thread::sleep(Duration::from_secs(delay));
            if writeln!(stdin, "{line}").is_err() {
                return;
            }
        }
        std::thread::sleep(Duration::from_secs(3));
    });
    Proc(child)
}

#[test]
fn twinkle_users_chat_send_a_file_and_publish_presence() {
    need_twinkle();
    let dir = Scratch::new("twinkle");
    let server = Server::start(dir.path(), |_| {});
    let note = dir.path().join("note.txt");
    fs::write(&note, "file transfer through rexroute\nsecond line\n").expect("note");
    let bob_home = twinkle_home(dir.path(), &server, "bob", "secret2");
    let alice_home = twinkle_home(dir.path(), &server, "alice", "secret");
    let bob_out = dir.path().join("bob.out");
    let alice_out = dir.path().join("alice.out");
    let _bob = twinkle(&bob_home, "bob", vec![(25, "quit".into())], &bob_out);
    wait_for(
        || fs::read_to_string(&bob_out).map(|t| t.contains("registration succeeded")).unwrap_or(false),
        "bob's Twinkle registers",
    );
    let script = vec![
        (2, "message sip:bob@127.0.0.1 \"Hello Bob from Twinkle\"".to_string()),
        (2, format!("message -f {} sip:bob@127.0.0.1", note.display())),
        (2, "presence -b online".to_string()),
        (3, "quit".to_string()),
    ];
    let _alice = twinkle(&alice_home, "alice", script, &alice_out);
    wait_for(
        || fs::read_to_string(&bob_out).map(|t| t.contains("second line")).unwrap_or(false),
        "bob's Twinkle shows the message and the file",
    );
    let bob_text = fs::read_to_string(&bob_out).unwrap_or_default();
    assert!(bob_text.contains("Hello Bob from Twinkle"), "{bob_text}");
    assert!(bob_text.contains("file transfer through rexroute"), "{bob_text}");
    wait_for(
        || server.log_text().contains("Got SIP PRESENCE from 'alice': open"),
        "alice's PUBLISH reaches the presence rule",
    );
    let alice_text = fs::read_to_string(&alice_out).unwrap_or_default();
    assert!(alice_text.contains("registration succeeded"), "{alice_text}");
}
