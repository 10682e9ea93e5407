//! `rexroute serve` as a registrar, driven by real clients: sipp (MD5), a raw client (SHA-256), Twinkle.

mod serve_support;

use serve_support::{need, sip_files, sipp, wait_for, wait_output, Client, Server, TempDir, REGFILE, YSIPCHAN};
use std::process::{Command, Stdio};
use std::time::Duration;

fn setup(tag: &str, ysipchan: &str) -> (TempDir, Server) {
    let dir = TempDir::new(tag);
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", ysipchan);
    dir.write("regexroute.conf", "[default]\n");
    let server = Server::start(dir.path());
    (dir, server)
}

fn sipp_register(server: &Server, scenario: &str, csv: &str) -> (i32, String) {
    let s = sip_files().join("sipp");
    let (sf, inf) = (s.join(scenario), s.join(csv));
    let target = server.udp.to_string();
    // sipp takes `-p 0` as its default 5060, which another test or server may hold.
    let port = free_udp_port().to_string();
    let (sf, inf) = (sf.to_str().unwrap(), inf.to_str().unwrap());
    sipp(&["-sf", sf, "-inf", inf, &target, "-i", "127.0.0.1", "-p", &port, "-m", "1"])
}

#[test]
fn sipp_registers_with_md5_digest() {
    let (_dir, server) = setup("md5", YSIPCHAN);
    let (code, out) = sipp_register(&server, "uac_register_auth.xml", "users.csv");
    assert_eq!(code, 0, "sipp failed:\n{out}\nserver:\n{}", server.log());
    let reg = server.bus_named("user.register");
    assert_eq!(reg.len(), 1, "{reg:?}");
    assert_eq!(reg[0]["handled"], true);
    let params = reg[0]["params"].as_array().unwrap();
    assert!(params.iter().any(|p| p[0] == "username" && p[1] == "alice"), "{params:?}");
    assert!(params.iter().any(|p| p[0] == "connection_id" && p[1] == "general"), "{params:?}");
}

#[test]
fn wrong_password_gets_403_after_the_challenge() {
    let (_dir, server) = setup("wrong", YSIPCHAN);
    let (code, out) = sipp_register(&server, "uac_register_forbidden.xml", "users_wrong.csv");
    assert_eq!(code, 0, "sipp did not see 401 then 403:\n{out}\nserver:\n{}", server.log());
    assert!(server.bus_named("user.register").is_empty());
    assert!(wait_for(Duration::from_secs(5), || !server.bus_named("user.authfail").is_empty()));
}

#[test]
fn sha256_digest_registers_when_offered() {
    let ysipchan = format!("{YSIPCHAN}[general]\nauth_algorithms=SHA-256,MD5\n");
    let (_dir, server) = setup("sha256", &ysipchan);
    let client = Client::new(server.udp);
    let ok = client.register("bob", "secret2", "SHA-256", Some(600));
    assert_eq!(ok.code, 200, "{}", ok.text);
    assert!(ok.headers("Contact").iter().any(|c| c.contains(&format!("127.0.0.1:{}", client.port()))), "{}", ok.text);
    let bad = Client::new(server.udp).register("bob", "nope", "SHA-256", Some(600));
    assert_eq!(bad.code, 403, "{}", bad.text);
    let md5 = Client::new(server.udp).register("alice", "secret", "MD5", Some(600));
    assert_eq!(md5.code, 200, "{}", md5.text);
}

#[test]
fn twinkle_registers_and_deregisters() {
    let twinkle = need("twinkle", "twinkle-console");
    let (_dir, server) = setup("twinkle", YSIPCHAN);
    let home = TempDir::new("twinkle-home");
    let profile_dir = home.path().join(".twinkle");
    std::fs::create_dir_all(&profile_dir).unwrap();
    let profile = std::fs::read_to_string(sip_files().join("twinkle/alice.cfg")).unwrap();
    std::fs::write(profile_dir.join("alice.cfg"), profile.replace("127.0.0.1:5070", &server.udp.to_string())).unwrap();
    let sip_port = free_udp_port();
    let rtp_port = free_udp_port() & !1;
    let mut child = Command::new(twinkle)
        .args(["-c", "-f", "alice", "--sip-port", &sip_port.to_string(), "--rtp-port", &rtp_port.to_string()])
        .env("HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let registered =
        wait_for(Duration::from_secs(20), || server.bus_named("user.register").iter().any(|m| m["handled"] == true));
    // Twinkle reads commands only once its start-up (NAT discovery) is over.
    std::thread::sleep(Duration::from_secs(3));
    let mut stdin = child.stdin.take().unwrap();
    let _ = std::io::Write::write_all(&mut stdin, b"quit\n");
    let deregistered = wait_for(Duration::from_secs(10), || !server.bus_named("user.unregister").is_empty());
    drop(stdin);
    let (_, out) = wait_output(child, Duration::from_secs(10));
    assert!(registered, "Twinkle did not register:\n{out}\nserver:\n{}", server.log());
    assert!(
        deregistered,
        "Twinkle did not de-register on quit:\n{out}\nserver:\n{}\nbus: {:?}",
        server.log(),
        server.bus()
    );
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
