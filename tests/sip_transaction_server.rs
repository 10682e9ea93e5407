//! Non-INVITE server transactions: retransmission absorption, 100 Trying, timer J, bounds, shutdown.

#[path = "sip_transport_support.rs"]
mod support;

use rexroute::sip::msg::Response;
use rexroute::sip::transaction::{Endpoint, ServerRequest};
use rexroute::sip::transport::TransportKind;
use std::time::Duration;
use support::*;

#[tokio::test(start_paused = true)]
async fn retransmission_gets_the_same_answer_and_reaches_the_user_once() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    let msg = request("MESSAGE", "z9hG4bKretx", 1, "Hello Bob");
    peer.send(&msg).await;
    let trying = peer.recv().await;
    assert_eq!(response(&trying).code, 100);
    let req = next_request(&mut rx).await;
    // Proceeding: a retransmission gets the 100 again.
    peer.send(&msg).await;
    assert_eq!(peer.recv().await, trying);
    req.answer(200).await.unwrap();
    let ok = peer.recv().await;
    assert_eq!(response(&ok).code, 200);
    // Completed: byte-identical answer (same To tag), and the user is not bothered.
    for _ in 0..3 {
        peer.send(&msg).await;
        assert_eq!(peer.recv().await, ok);
    }
    assert!(user_idle(&mut rx).await);
    assert_eq!(endpoint.transactions(), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn timer_j_keeps_the_transaction_64_t1_then_forgets_it() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    let msg = request("MESSAGE", "z9hG4bKj", 1, "x");
    peer.send(&msg).await;
    next_request(&mut rx).await.answer(200).await.unwrap();
    assert_eq!(peer.response().await.code, 100);
    let ok = peer.recv().await;
    step(Duration::from_secs(31)).await;
    peer.send(&msg).await;
    assert_eq!(peer.recv().await, ok, "absorbed at 31 s");
    step(Duration::from_millis(1100)).await;
    assert_eq!(endpoint.transactions(), (0, 0), "J = 32 s elapsed: the table is empty");
    peer.send(&msg).await;
    next_request(&mut rx).await;
    assert_eq!(peer.response().await.code, 100, "after J the same request is new");
}

#[tokio::test(start_paused = true)]
async fn configured_t1_scales_timer_j() {
    let mut c = config();
    c.timers.t1 = Duration::from_millis(100);
    let (endpoint, mut rx) = start(c).await;
    let peer = UdpPeer::to(&endpoint).await;
    peer.send(&request("MESSAGE", "z9hG4bKt1", 1, "x")).await;
    next_request(&mut rx).await.answer(200).await.unwrap();
    settle().await;
    step(Duration::from_millis(6300)).await;
    assert_eq!(endpoint.transactions().0, 1);
    step(Duration::from_millis(200)).await;
    assert_eq!(endpoint.transactions().0, 0, "J = 64 × 100 ms");
}

#[tokio::test(start_paused = true)]
async fn tcp_transaction_ends_with_its_final_answer() {
    let (endpoint, mut rx) = start(config()).await;
    let mut peer = TcpPeer::to(&endpoint);
    peer.write(&request("MESSAGE", "z9hG4bKtcp", 1, "x")).await;
    next_request(&mut rx).await.answer(200).await.unwrap();
    assert_eq!(peer.response().await.code, 100);
    assert_eq!(peer.response().await.code, 200);
    until("timer J = 0 on TCP", || (endpoint.transactions().0 == 0).then_some(())).await;
}

#[tokio::test(start_paused = true)]
async fn lazy100_sends_100_only_for_a_retransmission() {
    let mut c = config();
    c.lazy100 = true;
    let (endpoint, mut rx) = start(c).await;
    let peer = UdpPeer::to(&endpoint).await;
    let msg = request("MESSAGE", "z9hG4bKlazy", 1, "x");
    peer.send(&msg).await;
    let req = next_request(&mut rx).await;
    assert!(peer.silent().await, "no 100 for a fresh request");
    peer.send(&msg).await;
    assert_eq!(peer.response().await.code, 100);
    req.answer(202).await.unwrap();
    assert_eq!(peer.response().await.code, 202);
    // A quick answer never shows a 100 at all.
    peer.send(&request("MESSAGE", "z9hG4bKquick", 1, "x")).await;
    next_request(&mut rx).await.answer(200).await.unwrap();
    assert_eq!(peer.response().await.code, 200);
}

#[tokio::test(start_paused = true)]
async fn provisional_answers_are_resent_and_the_first_final_wins() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    let msg = request("MESSAGE", "z9hG4bKprov", 1, "x");
    peer.send(&msg).await;
    let req = next_request(&mut rx).await;
    assert_eq!(peer.response().await.code, 100);
    req.answer(182).await.unwrap();
    assert_eq!(peer.response().await.code, 182);
    peer.send(&msg).await;
    assert_eq!(peer.response().await.code, 182, "Proceeding resends the last provisional");
    req.answer(404).await.unwrap();
    assert_eq!(peer.response().await.code, 404);
    // The transaction is Completed: a second final is ignored.
    let _ = req.answer(500).await;
    assert!(peer.silent().await);
}

#[tokio::test(start_paused = true)]
async fn a_request_dropped_unanswered_gets_500() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    peer.send(&request("MESSAGE", "z9hG4bKdrop", 1, "x")).await;
    drop(next_request(&mut rx).await);
    assert_eq!(peer.response().await.code, 100);
    assert_eq!(peer.response().await.code, 500);
}

#[tokio::test(start_paused = true)]
async fn a_user_that_never_answers_is_abandoned_after_tu_timeout() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    peer.send(&request("MESSAGE", "z9hG4bKslow", 1, "x")).await;
    let held: ServerRequest = next_request(&mut rx).await;
    assert_eq!(peer.response().await.code, 100);
    step(Duration::from_secs(31)).await;
    assert_eq!(endpoint.transactions().0, 1);
    step(Duration::from_secs(2)).await;
    assert_eq!(endpoint.transactions().0, 0, "tu_timeout = 64·T1 by default");
    assert!(held.answer(200).await.is_err(), "too late: the transaction is gone");
    assert!(peer.silent().await);
}

#[tokio::test(start_paused = true)]
async fn a_full_user_queue_gets_503_instead_of_growing() {
    let (endpoint, mut rx) = start_with(config(), 1).await;
    let peer = UdpPeer::to(&endpoint).await;
    peer.send(&request("MESSAGE", "z9hG4bKq1", 1, "x")).await;
    peer.send(&request("MESSAGE", "z9hG4bKq2", 1, "x")).await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(peer.response().await.code);
    }
    codes.sort_unstable();
    assert_eq!(codes, [100, 100, 503]);
    assert_eq!(next_request(&mut rx).await.request.headers.call_id().unwrap(), "call-z9hG4bKq1");
}

#[tokio::test(start_paused = true)]
async fn the_transaction_table_is_capped() {
    let mut c = config();
    c.max_transactions = 2;
    let (endpoint, mut rx) = start(c).await;
    let peer = UdpPeer::to(&endpoint).await;
    for i in 0..3 {
        peer.send(&request("MESSAGE", &format!("z9hG4bKcap{i}"), 1, "x")).await;
        settle().await;
    }
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(peer.response().await.code);
    }
    codes.sort_unstable();
    assert_eq!(codes, [100, 100, 503]);
    assert_eq!(endpoint.transactions().0, 2);
    assert!(rx.try_recv().is_ok());
}

#[tokio::test(start_paused = true)]
async fn the_same_branch_from_another_sent_by_is_another_transaction() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    let a = request("MESSAGE", "z9hG4bKsame", 1, "a");
    let b = String::from_utf8(a.clone()).unwrap().replace("127.0.0.1:5071", "127.0.0.1:5099");
    peer.send(&a).await;
    peer.send(b.as_bytes()).await;
    next_request(&mut rx).await;
    next_request(&mut rx).await;
    assert_eq!(endpoint.transactions().0, 2);
}

/// The answer `resp`'s transaction user gives after the shutdown began.
async fn answer_later(req: ServerRequest, code: u16) {
    let resp = Response::for_request(&req.request, code, "Late But Fine");
    req.tx.respond(resp).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn graceful_shutdown_finishes_transactions_in_flight() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    let mut tcp = TcpPeer::to(&endpoint);
    peer.send(&request("MESSAGE", "z9hG4bKinflight", 1, "x")).await;
    tcp.write(&request("MESSAGE", "z9hG4bKtcpflight", 1, "y")).await;
    let (mut udp_req, mut tcp_req) = (next_request(&mut rx).await, next_request(&mut rx).await);
    if udp_req.kind == TransportKind::Tcp {
        std::mem::swap(&mut udp_req, &mut tcp_req);
    }
    assert_eq!(peer.response().await.code, 100);
    assert_eq!(tcp.response().await.code, 100);
    let ep: Endpoint = endpoint.clone();
    let shutdown = tokio::spawn(async move { ep.shutdown().await });
    settle().await;
    // Draining: new work is refused, the flows in use stay up.
    peer.send(&request("OPTIONS", "z9hG4bKlate", 1, "")).await;
    assert_eq!(peer.response().await.code, 503);
    assert!(!shutdown.is_finished());
    step(Duration::from_secs(5)).await;
    answer_later(udp_req, 200).await;
    answer_later(tcp_req, 202).await;
    assert_eq!(peer.response().await.code, 200);
    assert_eq!(tcp.response().await.code, 202);
    tcp.closed().await;
    until("the shutdown to finish", || shutdown.is_finished().then_some(())).await;
    assert!(shutdown.await.unwrap(), "everything ended within the grace periods");
    assert_eq!(endpoint.transactions(), (0, 0));
    peer.send(&request("OPTIONS", "z9hG4bKafter", 1, "")).await;
    assert!(peer.silent().await, "sockets closed");
}

#[tokio::test(start_paused = true)]
async fn shutdown_gives_up_on_a_stuck_user_after_the_grace() {
    let mut c = config();
    c.shutdown_grace = Duration::from_secs(3);
    let (endpoint, mut rx) = start(c).await;
    let peer = UdpPeer::to(&endpoint).await;
    peer.send(&request("MESSAGE", "z9hG4bKstuck", 1, "x")).await;
    let _held = next_request(&mut rx).await;
    let ep = endpoint.clone();
    let shutdown = tokio::spawn(async move { ep.shutdown().await });
    settle().await;
    step(Duration::from_secs(2)).await;
    assert!(!shutdown.is_finished());
    step(Duration::from_secs(2)).await;
    until("the shutdown to finish", || shutdown.is_finished().then_some(())).await;
    assert!(!shutdown.await.unwrap(), "reported as not drained");
    assert_eq!(endpoint.transactions(), (0, 0));
}

/// A final answer given with `try_respond` leaves from the caller's thread; the
/// transaction still absorbs retransmissions with those exact bytes and ignores a
/// second final answer.
#[tokio::test(start_paused = true)]
async fn a_final_answer_sent_directly_is_kept_for_retransmissions() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    let msg = request("MESSAGE", "z9hG4bKdirect", 1, "x");
    peer.send(&msg).await;
    let req = next_request(&mut rx).await;
    assert_eq!(peer.response().await.code, 100);
    let answer = |code| Response::for_request(&req.request, code, "Whatever");
    req.tx.try_respond(answer(202)).expect("answered");
    let ok = peer.recv().await;
    assert_eq!(response(&ok).code, 202);
    assert!(response(&ok).headers.str("Allow").is_some(), "decorated as the task would");
    let _ = req.tx.try_respond(answer(500));
    for _ in 0..2 {
        peer.send(&msg).await;
        assert_eq!(peer.recv().await, ok);
    }
    assert!(peer.silent().await, "the second final answer never left");
}

/// With lazy100, a user that answers while it is handed the request (as
/// `serve` does when it routes on the receiving thread) completes the
/// transaction before its task would run: the answer is kept in the table for
/// retransmissions, the user is not asked again, and timer J still ends it.
#[tokio::test(start_paused = true)]
async fn an_answer_given_on_delivery_is_kept_without_a_task_until_timer_j() {
    let mut c = config();
    c.lazy100 = true;
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = asked.clone();
    let user = move |req: ServerRequest| {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _ = req.tx.try_respond(Response::for_request(&req.request, 202, "Taken"));
    };
    let endpoint = Endpoint::bind(c, user).await.expect("bind");
    endpoint.start();
    let peer = UdpPeer::to(&endpoint).await;
    let msg = request("MESSAGE", "z9hG4bKinline", 1, "x");
    peer.send(&msg).await;
    let ok = peer.recv().await;
    assert_eq!(response(&ok).code, 202);
    step(Duration::from_secs(31)).await;
    for _ in 0..2 {
        peer.send(&msg).await;
        assert_eq!(peer.recv().await, ok, "the same bytes, from the table");
    }
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(endpoint.transactions(), (1, 0));
    step(Duration::from_millis(1100)).await;
    assert_eq!(endpoint.transactions(), (0, 0), "J = 32 s elapsed: the table is empty");
    peer.send(&msg).await;
    let again = peer.recv().await;
    assert_eq!(response(&again).code, 202);
    assert_ne!(again, ok, "after J the same request is new: a new answer (another To tag)");
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2);
    // Draining ends the kept answers at once, as it cuts a task's J short.
    assert!(endpoint.shutdown().await);
    assert_eq!(endpoint.transactions(), (0, 0));
}
