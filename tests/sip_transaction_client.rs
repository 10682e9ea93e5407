//! Non-INVITE client transactions: timers E, F and K on UDP, one send on TCP, connection reuse.

#[path = "sip_transport_support.rs"]
mod support;

use rexroute::sip::msg::{parse, Message, Request, Response};
use rexroute::sip::transaction::{ClientOptions, Endpoint, Origin, Outcome, RequestError, Rport};
use rexroute::sip::transport::TransportKind;
use std::net::SocketAddr;
use std::time::Duration;
use support::*;
use tokio::task::JoinHandle;
use tokio::time::Instant;

fn message(call_id: &str) -> Request {
    let mut r = Request::new("MESSAGE", "sip:bob@127.0.0.1")
        .with_header("From", "<sip:alice@127.0.0.1>;tag=a1")
        .with_header("To", "<sip:bob@127.0.0.1>")
        .with_header("Call-ID", call_id)
        .with_header("CSeq", "1 MESSAGE");
    r.set_body(Some("text/plain"), b"Hello Bob".to_vec());
    r
}

fn send(
    endpoint: &Endpoint,
    req: Request,
    dest: SocketAddr,
    kind: TransportKind,
) -> JoinHandle<Result<Outcome, RequestError>> {
    let ep = endpoint.clone();
    tokio::spawn(async move { ep.request(req, dest, kind).await })
}

async fn outcome(task: JoinHandle<Result<Outcome, RequestError>>) -> Outcome {
    until("the outcome", || task.is_finished().then_some(())).await;
    task.await.expect("task").expect("outcome")
}

fn as_request(bytes: &[u8]) -> Request {
    match parse(bytes) {
        Ok(Message::Request(r)) => r,
        other => panic!("not a request: {other:?}"),
    }
}

/// A silent or scripted UAS on a raw UDP socket.
async fn far_end(endpoint: &Endpoint) -> UdpPeer {
    UdpPeer::to(endpoint).await
}

#[tokio::test(start_paused = true)]
async fn udp_request_retransmits_on_e_and_times_out_on_f() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let t0 = Instant::now();
    let task = send(&endpoint, message("c-timeout"), far.addr(), TransportKind::Udp);
    let first = far.recv().await;
    let req = as_request(&first);
    let via = req.headers.top_via().unwrap();
    assert!(via.has_rfc3261_branch() && via.rport() == Some(None));
    assert_eq!(via.sent_by(), endpoint.local_addr(TransportKind::Udp).unwrap().to_string());
    assert_eq!(req.headers.str("Max-Forwards"), Some("20"));
    assert_eq!(req.body, b"Hello Bob");
    let mut sent_at = vec![Duration::ZERO];
    while !task.is_finished() && t0.elapsed() < Duration::from_secs(40) {
        step(Duration::from_millis(100)).await;
        while let Ok(n) = far.socket.try_recv(&mut [0u8; 4096]) {
            assert_eq!(n, first.len());
            sent_at.push(t0.elapsed());
        }
    }
    let ms: Vec<u128> = sent_at.iter().map(Duration::as_millis).collect();
    // E: T1, doubling to T2 = 4 s; F = 64·T1 = 32 s.
    assert_eq!(ms, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    let out = outcome(task).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(32));
    assert_eq!((out.response.code, out.origin), (408, Origin::Timeout));
    assert_eq!(out.response.headers.call_id().unwrap(), "c-timeout");
    assert_eq!(endpoint.transactions(), (0, 0));
}

fn send_with(
    endpoint: &Endpoint,
    req: Request,
    dest: SocketAddr,
    opts: ClientOptions,
) -> JoinHandle<Result<Outcome, RequestError>> {
    let ep = endpoint.clone();
    tokio::spawn(async move { ep.request_with(req, dest, TransportKind::Udp, opts).await })
}

/// Copies of the request the far end gets until `task` ends (or 40 s), with when.
async fn copies_until_done(far: &UdpPeer, task: &JoinHandle<Result<Outcome, RequestError>>, t0: Instant) -> Vec<u128> {
    let mut sent_at = Vec::new();
    while !task.is_finished() && t0.elapsed() < Duration::from_secs(40) {
        while far.socket.try_recv(&mut [0u8; 4096]).is_ok() {
            sent_at.push(t0.elapsed().as_millis());
        }
        step(Duration::from_millis(100)).await;
    }
    sent_at
}

#[tokio::test(start_paused = true)]
async fn transmission_count_caps_copies_and_times_out_at_the_next_e() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let t0 = Instant::now();
    let opts = ClientOptions { max_transmissions: Some(2), ..ClientOptions::default() };
    let task = send_with(&endpoint, message("c-count"), far.addr(), opts);
    settle().await;
    let sent_at = copies_until_done(&far, &task, t0).await;
    assert_eq!(sent_at, [0, 500], "two copies, as Yate's xsip_trans_count=2");
    let out = outcome(task).await;
    assert_eq!((out.response.code, out.origin), (408, Origin::Timeout));
    assert_eq!(t0.elapsed(), Duration::from_millis(1500), "the E firing after the last copy ends it");
    assert_eq!(endpoint.transactions(), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn transmission_count_after_a_provisional_leaves_timer_f() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let t0 = Instant::now();
    let opts = ClientOptions { max_transmissions: Some(1), ..ClientOptions::default() };
    let task = send_with(&endpoint, message("c-count-1xx"), far.addr(), opts);
    let req = as_request(&far.recv().await);
    far.send(&Response::for_request(&req, 100, "Trying").to_bytes()).await;
    let sent_at = copies_until_done(&far, &task, t0).await;
    assert!(sent_at.is_empty(), "no copy beyond the first: {sent_at:?}");
    let out = outcome(task).await;
    assert_eq!((out.response.code, out.origin), (408, Origin::Timeout));
    assert_eq!(t0.elapsed(), Duration::from_secs(32), "after a 1xx only F ends it");
}

#[tokio::test(start_paused = true)]
async fn rport_placement_in_the_added_via() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let mut vias = Vec::new();
    for (i, rport) in [Rport::BeforeBranch, Rport::AfterBranch, Rport::Omit].into_iter().enumerate() {
        let opts = ClientOptions { rport, ..ClientOptions::default() };
        let task = send_with(&endpoint, message(&format!("c-rport-{i}")), far.addr(), opts);
        let req = as_request(&far.recv().await);
        let via = req.headers.str("Via").unwrap().to_owned();
        let branch = req.headers.top_via().unwrap().branch().unwrap().to_owned();
        vias.push(via.replace(&branch, "B"));
        far.send(&Response::for_request(&req, 200, "OK").to_bytes()).await;
        outcome(task).await;
    }
    let sent_by = endpoint.local_addr(TransportKind::Udp).unwrap();
    assert_eq!(
        vias,
        [
            format!("SIP/2.0/UDP {sent_by};rport;branch=B"),
            format!("SIP/2.0/UDP {sent_by};branch=B;rport"),
            format!("SIP/2.0/UDP {sent_by};branch=B"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_over_a_named_connection() {
    let (endpoint, mut rx) = start(config()).await;
    let mut client = TcpPeer::to(&endpoint);
    client.write(&request("MESSAGE", "z9hG4bKnamed", 1, "hi")).await;
    let sr = next_request(&mut rx).await;
    assert!(sr.flow_id.starts_with("tcp:"), "{}", sr.flow_id);
    sr.answer(200).await.unwrap();
    let mut code = client.response().await.code;
    if code == 100 {
        code = client.response().await.code;
    }
    assert_eq!(code, 200);
    // The destination address is not where the connection goes: the id decides.
    let elsewhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let ep = endpoint.clone();
    let id = sr.flow_id.clone();
    let flow = ep.flow(&id, elsewhere).unwrap();
    assert_eq!(flow.id(), id);
    let task = tokio::spawn(async move { ep.request_on(message("c-named"), flow, ClientOptions::default()).await });
    let req = match client.event().await {
        TcpEvent::Message(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(req.headers.top_via().unwrap().transport, "TCP");
    client.write(&Response::for_request(&req, 202, "Accepted").to_bytes()).await;
    assert_eq!(outcome(task).await.response.code, 202);
    assert_eq!(endpoint.connections(), 1);

    let udp_id = format!("udp:{}", endpoint.local_addr(TransportKind::Udp).unwrap());
    for unknown in ["tcp:999", "udp:127.0.0.1:1", "general", ""] {
        assert!(endpoint.flow(unknown, elsewhere).is_err(), "{unknown}");
    }
    let far = far_end(&endpoint).await;
    let ep = endpoint.clone();
    let to = far.addr();
    let flow = ep.flow(&udp_id, to).unwrap();
    let task = tokio::spawn(async move { ep.request_on(message("c-udp-named"), flow, ClientOptions::default()).await });
    let req = as_request(&far.recv().await);
    far.send(&Response::for_request(&req, 200, "OK").to_bytes()).await;
    assert_eq!(outcome(task).await.response.code, 200);
}

#[tokio::test(start_paused = true)]
async fn provisional_slows_e_to_t2_and_the_final_answer_completes() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let t0 = Instant::now();
    let task = send(&endpoint, message("c-prov"), far.addr(), TransportKind::Udp);
    let req = as_request(&far.recv().await);
    far.send(&Response::for_request(&req, 100, "Trying").to_bytes()).await;
    let mut sent_at = Vec::new();
    for _ in 0..100 {
        step(Duration::from_millis(100)).await;
        while far.socket.try_recv(&mut [0u8; 4096]).is_ok() {
            sent_at.push(t0.elapsed().as_millis());
        }
    }
    assert_eq!(sent_at, [500, 4500, 8500], "after a 1xx, E fires every T2");
    assert!(!task.is_finished());
    let ok = Response::for_request(&req, 200, "OK").to_bytes();
    far.send(&ok).await;
    let out = outcome(task).await;
    assert_eq!((out.response.code, out.origin), (200, Origin::Peer));
    // Completed: timer K = T4 absorbs retransmitted answers, then the key goes.
    far.send(&ok).await;
    step(Duration::from_secs(4)).await;
    assert_eq!(endpoint.transactions().1, 1);
    step(Duration::from_millis(1100)).await;
    assert_eq!(endpoint.transactions().1, 0);
    assert!(far.silent().await, "no retransmission after the final answer");
}

#[tokio::test(start_paused = true)]
async fn configured_timers_scale_e_and_f() {
    let mut c = config();
    c.timers.t1 = Duration::from_millis(100);
    c.timers.t2 = Duration::from_millis(400);
    let (endpoint, _rx) = start(c).await;
    let far = far_end(&endpoint).await;
    let task = send(&endpoint, message("c-fast"), far.addr(), TransportKind::Udp);
    far.recv().await;
    let mut copies = 1;
    while !task.is_finished() {
        step(Duration::from_millis(100)).await;
        while far.socket.try_recv(&mut [0u8; 4096]).is_ok() {
            copies += 1;
        }
    }
    // 0, .1, .3, .7, then every .4 s up to 6.3 s: F = 6.4 s.
    assert_eq!(copies, 4 + 14);
    assert_eq!(outcome(task).await.origin, Origin::Timeout);
}

#[tokio::test(start_paused = true)]
async fn tcp_request_is_sent_once_and_answered_on_its_connection() {
    let (endpoint, _rx) = start(config()).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let task = send(&endpoint, message("c-tcp"), listener.local_addr().unwrap(), TransportKind::Tcp);
    let (stream, _) = until("a connection", || listener.accept().ok()).await;
    let mut far = TcpPeer::from_std(stream);
    let req = match far.event().await {
        TcpEvent::Message(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(req.headers.top_via().unwrap().transport, "TCP");
    step(Duration::from_secs(10)).await;
    assert!(far.quiet().await, "no retransmission on a reliable transport");
    far.write(&Response::for_request(&req, 202, "Accepted").to_bytes()).await;
    let out = outcome(task).await;
    assert_eq!((out.response.code, out.origin), (202, Origin::Peer));
    until("timer K = 0 on TCP", || (endpoint.transactions().1 == 0).then_some(())).await;
}

#[tokio::test(start_paused = true)]
async fn a_request_to_a_tcp_client_reuses_its_connection() {
    let (endpoint, mut rx) = start(config()).await;
    let mut client = TcpPeer::to(&endpoint);
    client.write(&request("OPTIONS", "z9hG4bKreg", 1, "")).await;
    assert_eq!(client.response().await.code, 200);
    let client_addr = client.stream.local_addr().unwrap();
    let task = send(&endpoint, message("c-back"), client_addr, TransportKind::Tcp);
    let req = match client.event().await {
        TcpEvent::Message(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    };
    client.write(&Response::for_request(&req, 200, "OK").to_bytes()).await;
    assert_eq!(outcome(task).await.response.code, 200);
    assert_eq!(endpoint.connections(), 1);
    assert!(user_idle(&mut rx).await);
}

#[tokio::test(start_paused = true)]
async fn a_tcp_connect_failure_is_an_error_not_a_hang() {
    let (endpoint, _rx) = start(config()).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let task = send(&endpoint, message("c-refused"), closed, TransportKind::Tcp);
    until("the request to fail", || task.is_finished().then_some(())).await;
    assert!(matches!(task.await.unwrap(), Err(RequestError::Transport(_))));
}

#[tokio::test(start_paused = true)]
async fn stray_responses_are_dropped_and_duplicates_refused() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let stray = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKnobody\r\nCSeq: 1 MESSAGE\r\nl: 0\r\n\r\n";
    far.send(stray.as_bytes()).await;
    assert!(far.silent().await);
    let with_branch = message("c-dup").with_header("Via", "SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKfixed");
    let first = send(&endpoint, with_branch.clone(), far.addr(), TransportKind::Udp);
    far.recv().await;
    let second = send(&endpoint, with_branch, far.addr(), TransportKind::Udp);
    until("the duplicate to be refused", || second.is_finished().then_some(())).await;
    assert!(matches!(second.await.unwrap(), Err(RequestError::DuplicateBranch)));
    first.abort();
}

#[tokio::test(start_paused = true)]
async fn no_new_client_transaction_while_shutting_down() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    assert!(endpoint.shutdown().await);
    let task = send(&endpoint, message("c-late"), far.addr(), TransportKind::Udp);
    until("the refusal", || task.is_finished().then_some(())).await;
    assert!(matches!(task.await.unwrap(), Err(RequestError::ShuttingDown)));
}

#[tokio::test(start_paused = true)]
async fn a_request_without_cseq_is_refused_before_sending() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let mut req = message("c-nocseq");
    req.headers.remove("CSeq");
    let task = send(&endpoint, req, far.addr(), TransportKind::Udp);
    until("the refusal", || task.is_finished().then_some(())).await;
    assert!(matches!(task.await.unwrap(), Err(RequestError::BadRequest(_))));
    assert!(far.silent().await);
}

/// The direct start sends the first transmission before returning; the task keeps
/// the same E schedule and delivers the outcome.
#[tokio::test(start_paused = true)]
async fn a_request_started_now_is_on_the_wire_at_once_and_retransmitted_on_e() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let t0 = Instant::now();
    let handle = tokio::runtime::Handle::current();
    let outcome = endpoint.request_udp_now(message("c-now"), far.addr(), &handle).expect("started");
    let first = far.recv().await;
    assert_eq!(as_request(&first).body, b"Hello Bob");
    assert_eq!(endpoint.transactions(), (0, 1));
    step(Duration::from_millis(600)).await;
    let mut buf = [0u8; 4096];
    let n = far.socket.try_recv(&mut buf).expect("retransmission at T1");
    assert_eq!(&buf[..n], &first[..]);
    let req = as_request(&first);
    let ok = Response::for_request(&req, 200, "OK");
    far.send(&ok.to_bytes()).await;
    let out = outcome.await.expect("outcome");
    assert_eq!((out.response.code, out.origin), (200, Origin::Peer));
    assert!(t0.elapsed() < Duration::from_secs(1));
}

/// A request started now and answered before timer E is completed on the
/// receiving side, without a task: the outcome comes at once, a retransmitted
/// answer is absorbed, no copy is sent again, and timer K ends the entry.
#[tokio::test(start_paused = true)]
async fn a_request_answered_before_e_completes_without_retransmission_and_lingers_for_k() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let handle = tokio::runtime::Handle::current();
    let outcome = endpoint.request_udp_now(message("c-quick"), far.addr(), &handle).expect("started");
    let first = far.recv().await;
    let ok = Response::for_request(&as_request(&first), 200, "OK").to_bytes();
    far.send(&ok).await;
    let out = outcome.await.expect("outcome");
    assert_eq!((out.response.code, out.origin), (200, Origin::Peer));
    assert_eq!(endpoint.transactions(), (0, 1), "kept for timer K");
    far.send(&ok).await;
    step(Duration::from_secs(4)).await;
    assert!(far.silent().await, "no retransmission after the answer");
    assert_eq!(endpoint.transactions(), (0, 1));
    step(Duration::from_millis(1100)).await;
    assert_eq!(endpoint.transactions(), (0, 0), "K = T4 elapsed: the table is empty");
}

/// A provisional answer before timer E moves it to Proceeding: from the first
/// E on, copies follow every T2, and the final answer still reaches the caller.
#[tokio::test(start_paused = true)]
async fn a_provisional_answer_before_e_means_proceeding_from_the_first_e() {
    let (endpoint, _rx) = start(config()).await;
    let far = far_end(&endpoint).await;
    let handle = tokio::runtime::Handle::current();
    let t0 = Instant::now();
    let outcome = endpoint.request_udp_now(message("c-slow"), far.addr(), &handle).expect("started");
    let first = far.recv().await;
    let req = as_request(&first);
    far.send(&Response::for_request(&req, 100, "Trying").to_bytes()).await;
    step(Duration::from_millis(600)).await;
    assert_eq!(far.recv().await, first, "the first E still sends a copy");
    step(Duration::from_millis(3000)).await;
    assert!(far.silent().await, "next copy only T2 (4 s) later, not at 2·T1");
    step(Duration::from_millis(1000)).await;
    assert_eq!(far.recv().await, first);
    far.send(&Response::for_request(&req, 202, "Accepted").to_bytes()).await;
    let out = outcome.await.expect("outcome");
    assert_eq!((out.response.code, out.origin), (202, Origin::Peer));
    assert!(t0.elapsed() < Duration::from_secs(6));
}
