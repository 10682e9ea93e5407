//! What `serve` answers besides REGISTER: OPTIONS, methods outside Allow, and `[methods]` requests.

mod serve_support;

use serve_support::{authorization, crlf, Client, Server, TempDir, REGFILE};

fn request(client: &Client, method: &str, n: u32, auth: &str) -> String {
    let port = client.port();
    crlf(&format!(
        "{method} sip:bob@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{method}{n}\n\
From: <sip:alice@127.0.0.1>;tag=m{n}\nTo: <sip:bob@127.0.0.1>\nCall-ID: {method}-{port}\nCSeq: {n} {method}\n\
{auth}Max-Forwards: 70\nContent-Type: text/plain\nContent-Length: 5\n\nhello"
    ))
}

/// An unchallenged MESSAGE from `user`, its transaction named after the user.
fn message(client: &Client, user: &str) -> String {
    let port = client.port();
    crlf(&format!(
        "MESSAGE sip:bob@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{user}\n\
From: <sip:{user}@127.0.0.1>;tag={user}\nTo: <sip:bob@127.0.0.1>\nCall-ID: {user}-{port}\nCSeq: 1 MESSAGE\n\
Max-Forwards: 70\nContent-Type: text/plain\nContent-Length: 2\n\nhi"
    ))
}

/// A server taking MESSAGE without a challenge, routed by `routes`.
fn unchallenged(tag: &str, routes: &str) -> (TempDir, Server) {
    let dir = TempDir::new(tag);
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", "[listener general]\naddr=127.0.0.1\nport=0\n[methods]\nmessage=no\n");
    dir.write("regexroute.conf", routes);
    let server = Server::start(dir.path());
    (dir, server)
}

fn embedded() -> (TempDir, Server) {
    let dir = TempDir::new("embedded");
    let state = dir.path().join("state.json");
    let server = Server::start_with(dir.path(), &["--state".as_ref(), state.as_os_str()]);
    (dir, server)
}

#[test]
fn the_embedded_chat_setup_registers_alice_and_bob() {
    let (dir, mut server) = embedded();
    let alice = Client::new(server.udp).register("alice", "secret", "MD5", Some(600));
    assert_eq!(alice.code, 200, "{}", alice.text);
    let bob = Client::new(server.udp).register("bob", "secret2", "MD5", Some(600));
    assert_eq!(bob.code, 200, "{}", bob.text);
    let state = || std::fs::read_to_string(dir.path().join("state.json")).unwrap_or_default();
    let saved = serve_support::wait_for(std::time::Duration::from_secs(3), || {
        state().contains("\"alice\"") && state().contains("\"bob\"")
    });
    assert!(saved, "{}", state());
    let status = server.signal_and_wait(libc::SIGINT);
    assert!(status.success(), "{status:?}:\n{}", server.log());
}

#[test]
fn a_configuration_with_lint_errors_is_refused_at_start() {
    let dir = TempDir::new("refused");
    dir.write("regexroute.conf", "[default]\n^1$=goto nowhere\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rexroute"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let location = format!("{}:2:", dir.path().join("regexroute.conf").display());
    assert!(err.contains(&location), "{err}");
}

#[test]
fn options_gets_200_and_methods_outside_allow_get_501() {
    let (_dir, server) = embedded();
    let client = Client::new(server.udp);
    let r = client.request(&request(&client, "OPTIONS", 1, "")).unwrap();
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.headers("Allow"), ["OPTIONS, REGISTER, MESSAGE, PUBLISH"]);
    let r = client.request(&request(&client, "SUBSCRIBE", 2, "")).unwrap();
    assert_eq!(r.code, 501, "{}", r.text);
    assert!(server.bus().is_empty(), "{:?}", server.bus());
}

#[test]
fn a_challenged_message_is_authenticated_then_answered_by_the_chat_rules() {
    let (_dir, server) = embedded();
    let client = Client::new(server.udp);
    let r = client.request(&request(&client, "MESSAGE", 1, "")).unwrap();
    assert_eq!(r.code, 401, "{}", r.text);
    let challenge = &r.headers("WWW-Authenticate")[0];
    let auth = authorization(challenge, "alice", "secret", "MD5", "MESSAGE", "sip:bob@127.0.0.1");
    let r = client.request(&request(&client, "MESSAGE", 2, &format!("Authorization: {auth}\n"))).unwrap();
    // examples/chat answers a text MESSAGE 200 and queues its delivery (bob is offline).
    assert_eq!(r.code, 200, "{}", r.text);
    let sip_message = server.bus_named("sip.message");
    assert_eq!(sip_message.len(), 1, "{:?}", server.bus());
    assert_eq!(sip_message[0]["handled"], true);
    let auth_msgs = server.bus_named("user.auth");
    assert_eq!(auth_msgs.len(), 2);
    assert_eq!(auth_msgs[1]["retvalue"], "secret");
    let wrong = authorization(challenge, "alice", "nope", "MD5", "MESSAGE", "sip:bob@127.0.0.1");
    let r = client.request(&request(&client, "MESSAGE", 3, &format!("Authorization: {wrong}\n"))).unwrap();
    assert_eq!(r.code, 403, "{}", r.text);
}

#[test]
fn an_unchallenged_method_nobody_handles_gets_405() {
    let dir = TempDir::new("nochallenge");
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", "[listener general]\naddr=127.0.0.1\nport=0\n[methods]\nmessage=no\n");
    let server = Server::start(dir.path());
    let client = Client::new(server.udp);
    let r = client.request(&request(&client, "MESSAGE", 1, "")).unwrap();
    // Yate's answer for a generic request no handler took.
    assert_eq!(r.code, 405, "{}", r.text);
    assert!(server.bus_named("user.auth").is_empty());
    assert_eq!(server.bus_named("sip.message").len(), 1);
}

/// A request that arrives while another one sleeps in its rules is handled as
/// soon as the sleeper is done, by whichever thread holds the routing, and
/// nothing is dropped or answered out of its turn.
#[test]
fn a_request_behind_a_sleeping_one_is_answered_after_it() {
    let (_dir, server) = unchallenged(
        "sleeper",
        "[extra]\nsip.message=120\n[default]\n[sip.message]\n${caller}^slow$=msleep 400\n.*=;seen=yes\n.*=200\n",
    );
    let (slow, fast) = (Client::new(server.udp), Client::new(server.udp));
    let started = std::time::Instant::now();
    slow.send_raw(message(&slow, "slow").as_bytes());
    // The sleeper holds the routing by the time the second one arrives.
    std::thread::sleep(std::time::Duration::from_millis(100));
    fast.send_raw(message(&fast, "fast").as_bytes());
    let fast_answer = fast.recv_final().expect("the second request is answered");
    assert_eq!(fast_answer.code, 200, "{}", fast_answer.text);
    assert!(started.elapsed() >= std::time::Duration::from_millis(400), "it waited for the sleeper");
    let slow_answer = slow.recv_final().expect("the sleeper is answered");
    assert_eq!(slow_answer.code, 200, "{}", slow_answer.text);
    let callers: Vec<String> = server
        .bus_named("sip.message")
        .iter()
        .filter_map(|m| {
            let params = m["params"].as_array()?;
            let caller = params.iter().find(|p| p[0] == "caller")?;
            Some(caller[1].as_str()?.to_owned())
        })
        .collect();
    assert_eq!(callers, ["slow", "fast"], "routed in arrival order");
}

/// What a request's rules enqueue runs after the routing is let go: a request
/// arriving while an earlier one's enqueued message sleeps is routed and
/// answered at once, as Yate's engine threads run enqueued messages beside
/// new requests.
#[test]
fn a_request_is_not_held_up_by_an_earlier_ones_enqueued_message() {
    let (_dir, server) = unchallenged(
        "enqueued-sleeper",
        "[extra]\nsip.message=120\nmsg.execute=90\n[default]\n[sip.message]\n\
${caller}^slow$=enqueue msg.execute;callto=nowhere;who=slow\n.*=200\n\
[msg.execute]\n${who}^slow$=msleep 2000\n",
    );
    let (slow, fast) = (Client::new(server.udp), Client::new(server.udp));
    slow.send_raw(message(&slow, "slow").as_bytes());
    // The sleeper's own answer leaves before its enqueued message sleeps.
    let slow_answer = slow.recv_final().expect("the sleeper is answered");
    assert_eq!(slow_answer.code, 200, "{}", slow_answer.text);
    fast.send_raw(message(&fast, "fast").as_bytes());
    let fast_answer = fast.recv_final().expect("the second request is answered");
    assert_eq!(fast_answer.code, 200, "{}", fast_answer.text);
    // A message is logged once its dispatch ends: the sleeper's is still asleep.
    assert!(server.bus_named("msg.execute").is_empty(), "answered only after the sleeper woke: {:?}", server.bus());
    let woke =
        serve_support::wait_for(std::time::Duration::from_secs(10), || server.bus_named("msg.execute").len() == 1);
    assert!(woke, "the enqueued message ends: {:?}", server.bus());
}
