//! What `serve` does with retransmissions, malformed packets and TCP streams split across writes.

mod serve_support;

use serve_support::{crlf, tcp_exchange, Client, Server, TempDir, REGFILE, YSIPCHAN};
use std::time::Duration;

fn server(tag: &str) -> (TempDir, Server) {
    let dir = TempDir::new(tag);
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", YSIPCHAN);
    let server = Server::start(dir.path());
    (dir, server)
}

fn options(port: u16, branch: &str) -> String {
    crlf(&format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{branch}\n\
From: <sip:probe@127.0.0.1>;tag=1\nTo: <sip:127.0.0.1>\nCall-ID: {branch}\nCSeq: 1 OPTIONS\nMax-Forwards: 70\n\
Content-Length: 0\n\n"
    ))
}

#[test]
fn a_retransmitted_register_gets_the_same_answer_and_one_bus_message() {
    let (_dir, server) = server("retrans");
    let client = Client::new(server.udp);
    let text = crlf(&client.register_text("alice", "retrans-1", 1, Some(600), ""));
    client.send_raw(text.as_bytes());
    let first = client.recv_final().expect("an answer");
    assert_eq!(first.code, 401);
    client.send_raw(text.as_bytes());
    let again = client.recv_final().expect("the answer again");
    assert_eq!(again.text, first.text, "the retransmission got another answer");
    // The bus log is written after the answer leaves: on a busy machine it can lag.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.bus_named("user.auth").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.bus_named("user.auth").len(), 1, "{:?}", server.bus());
}

#[test]
fn malformed_datagrams_get_400_or_are_dropped_and_serving_goes_on() {
    let (_dir, server) = server("malformed");
    let client = Client::new(server.udp);
    let port = client.port();
    client.send_raw(b"hello, world");
    client.send_raw(&[0xff; 300]);
    let no_call_id = crlf(&format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKbad1\n\
From: <sip:alice@127.0.0.1>;tag=1\nTo: <sip:alice@127.0.0.1>\nCSeq: 1 REGISTER\nContent-Length: 0\n\n"
    ));
    client.send_raw(no_call_id.as_bytes());
    let r = client.recv_final().expect("400 for a request without Call-ID");
    assert_eq!(r.code, 400, "{}", r.text);
    let short_body = crlf(&format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKbad2\n\
From: <sip:alice@127.0.0.1>;tag=1\nTo: <sip:alice@127.0.0.1>\nCall-ID: bad2\nCSeq: 1 REGISTER\nContent-Length: 50\n\nabc"
    ));
    client.send_raw(short_body.as_bytes());
    let r = client.recv_final().expect("400 for a body shorter than Content-Length");
    assert_eq!(r.code, 400, "{}", r.text);
    client.send_raw(options(port, "alive").as_bytes());
    let r = client.recv_final().expect("OPTIONS answered after the garbage");
    assert_eq!(r.code, 200, "{}", r.text);
    assert!(r.headers("Allow").iter().any(|a| a.contains("REGISTER")), "{}", r.text);
    assert!(server.bus().is_empty(), "malformed packets reached the bus: {:?}", server.bus());
}

#[test]
fn a_tcp_message_split_over_several_writes_is_handled() {
    let (_dir, server) = server("tcpsplit");
    let text = crlf(
        "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKsplit\n\
From: <sip:alice@127.0.0.1>;tag=1\nTo: <sip:alice@127.0.0.1>\nCall-ID: split\nCSeq: 1 REGISTER\n\
Contact: <sip:alice@127.0.0.1:5999;transport=tcp>\nContent-Length: 0\n\n",
    );
    let bytes = text.as_bytes();
    let chunks: [&[u8]; 3] = [&bytes[..10], &bytes[10..120], &bytes[120..]];
    let got = tcp_exchange(server.tcp, &chunks);
    let last = got.last().expect("an answer over TCP");
    assert_eq!(last.code, 401, "{got:?}");
    let auth = server.bus_named("user.auth");
    assert_eq!(auth.len(), 1);
    let params = auth[0]["params"].as_array().unwrap();
    assert!(params.iter().any(|p| p[0] == "ip_transport" && p[1] == "TCP"), "{params:?}");
}
