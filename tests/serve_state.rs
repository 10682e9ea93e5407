//! Registrations over time: expiry emits `user.unregister`, and the state file carries them across a restart.

mod serve_support;

use serve_support::{wait_for, Client, Server, TempDir, REGFILE, YSIPCHAN};
use std::time::Duration;

fn dir(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", YSIPCHAN);
    dir
}

fn state(dir: &TempDir) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.path().join("state.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

fn bound_users(dir: &TempDir) -> Vec<String> {
    let s = state(dir);
    let list = s["bindings"].as_array().cloned().unwrap_or_default();
    list.iter().filter_map(|b| b["user"].as_str().map(str::to_owned)).collect()
}

#[test]
fn an_expired_registration_is_unregistered_and_leaves_the_state_file() {
    let dir = dir("expiry");
    let server = Server::start(dir.path());
    let client = Client::new(server.udp);
    // Saves are batched (about a second late), so the binding must outlive that delay with room for a loaded
    // machine, or the file may go straight from empty to empty.
    let ok = client.register("alice", "secret", "MD5", Some(6));
    assert_eq!(ok.code, 200, "{}", ok.text);
    assert!(wait_for(Duration::from_secs(5), || bound_users(&dir) == ["alice"]), "{}", state(&dir));
    let gone = wait_for(Duration::from_secs(12), || !server.bus_named("user.unregister").is_empty());
    assert!(gone, "no user.unregister after expiry:\n{}", server.log());
    let m = &server.bus_named("user.unregister")[0];
    let params = m["params"].as_array().unwrap();
    assert!(params.iter().any(|p| p[0] == "reason" && p[1] == "expired"), "{params:?}");
    assert!(params.iter().any(|p| p[0] == "username" && p[1] == "alice"), "{params:?}");
    assert!(wait_for(Duration::from_secs(3), || bound_users(&dir).is_empty()), "{}", state(&dir));
}

#[test]
fn registrations_survive_a_restart() {
    let dir = dir("restart");
    let mut first = Server::start(dir.path());
    let client = Client::new(first.udp);
    let ok = client.register("alice", "secret", "MD5", Some(600));
    assert_eq!(ok.code, 200, "{}", ok.text);
    let status = first.stop();
    assert!(status.success(), "exit status {status:?}:\n{}", first.log());
    assert!(first.wait_log("stopped", Duration::from_secs(5)), "{}", first.log());
    assert_eq!(bound_users(&dir), ["alice"]);

    let second = Server::start(dir.path());
    assert!(second.wait_log("restored=1", Duration::from_secs(5)), "{}", second.log());
    // A REGISTER without Contact is a query: the 200 lists the live bindings.
    let query = Client::new(second.udp).register("alice", "secret", "MD5", None);
    assert_eq!(query.code, 200, "{}", query.text);
    let contact = format!("<sip:alice@127.0.0.1:{}>", client.port());
    assert!(query.headers("Contact").iter().any(|c| c.starts_with(&contact)), "{}", query.text);
}

#[test]
fn a_closed_tcp_connection_drops_its_registrations() {
    use serve_support::{authorization, crlf, param};
    use std::io::{Read, Write};
    let dir = dir("tcpclose");
    let server = Server::start(dir.path());
    let mut s = std::net::TcpStream::connect(server.tcp).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let register = |cseq: u32, auth: &str| {
        crlf(&format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKtcp{cseq}\n\
From: <sip:alice@127.0.0.1>;tag=1\nTo: <sip:alice@127.0.0.1>\nCall-ID: tcpclose\nCSeq: {cseq} REGISTER\n\
Contact: <sip:alice@127.0.0.1:5999;transport=tcp>\nExpires: 600\n{auth}Content-Length: 0\n\n"
        ))
    };
    // Reads until a final response arrives; returns the text read.
    let read_final = |s: &mut std::net::TcpStream| {
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        while !text.split("SIP/2.0 ").skip(1).any(|r| !r.starts_with('1') && r.contains("\r\n\r\n")) {
            let n = s.read(&mut buf).expect("a response over TCP");
            assert!(n > 0, "connection closed; got {text}");
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        text
    };
    s.write_all(register(1, "").as_bytes()).unwrap();
    let challenge_text = read_final(&mut s);
    let challenge = challenge_text
        .lines()
        .find_map(|l| l.strip_prefix("WWW-Authenticate: "))
        .unwrap_or_else(|| panic!("no challenge: {challenge_text}"));
    assert!(param(challenge, "nonce").is_some());
    let auth = authorization(challenge, "alice", "secret", "MD5", "REGISTER", "sip:127.0.0.1");
    s.write_all(register(2, &format!("Authorization: {auth}\n")).as_bytes()).unwrap();
    let ok = read_final(&mut s);
    assert!(ok.contains("SIP/2.0 200"), "{ok}");
    let saved = serve_support::wait_for(Duration::from_secs(3), || bound_users(&dir) == ["alice"]);
    assert!(saved, "{}", state(&dir));
    drop(s);
    let gone = serve_support::wait_for(Duration::from_secs(10), || !server.bus_named("user.unregister").is_empty());
    assert!(gone, "no user.unregister after the connection closed:\n{}", server.log());
    let m = &server.bus_named("user.unregister")[0];
    let params = m["params"].as_array().unwrap();
    assert!(params.iter().any(|p| p[0] == "reason" && p[1] == "connection closed"), "{params:?}");
    assert!(serve_support::wait_for(Duration::from_secs(3), || bound_users(&dir).is_empty()), "{}", state(&dir));
}

#[test]
fn a_corrupt_state_file_is_set_aside_not_overwritten() {
    let dir = dir("corrupt");
    dir.write("state.json", "{\"bindings\": 3");
    let server = Server::start(dir.path());
    let logged = server.wait_log("starting with no registrations", Duration::from_secs(5));
    assert!(logged, "{}", server.log());
    assert_eq!(std::fs::read_to_string(dir.path().join("state.json.bad")).unwrap(), "{\"bindings\": 3");
    let ok = Client::new(server.udp).register("alice", "secret", "MD5", Some(600));
    assert_eq!(ok.code, 200, "{}", ok.text);
    assert!(wait_for(Duration::from_secs(3), || bound_users(&dir) == ["alice"]), "{}", state(&dir));
}
