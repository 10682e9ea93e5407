//! TCP transport: split and batched messages, CRLF keep-alive, size cap, idle timeout, connection cap.

#[path = "sip_transport_support.rs"]
mod support;

use rexroute::sip::msg::Message;
use rexroute::sip::transport::TransportKind;
use std::time::Duration;
use support::*;

#[tokio::test(start_paused = true)]
async fn a_message_split_over_many_writes_is_framed_whole() {
    let (endpoint, mut rx) = start(config()).await;
    let mut peer = TcpPeer::to(&endpoint);
    let msg = request("MESSAGE", "z9hG4bKsplit", 1, "Hello Bob");
    // Cut inside the start line, inside a header name, in the blank line and in the body.
    for chunk in [&msg[..5], &msg[5..60], &msg[60..msg.len() - 12], &msg[msg.len() - 12..msg.len() - 4]] {
        peer.write(chunk).await;
        assert!(user_idle(&mut rx).await, "nothing is delivered before the message is whole");
    }
    peer.write(&msg[msg.len() - 4..]).await;
    let req = next_request(&mut rx).await;
    assert_eq!(req.request.body, b"Hello Bob");
    assert_eq!(req.kind, TransportKind::Tcp);
    assert!(req.flow_id.starts_with("tcp:"));
    assert_eq!(peer.response().await.code, 100);
    req.answer(200).await.unwrap();
    let ok = peer.response().await;
    assert_eq!(ok.code, 200);
    assert_eq!(ok.headers.top_via().unwrap().received(), Some("127.0.0.1"));
}

#[tokio::test(start_paused = true)]
async fn several_messages_and_a_ping_in_one_write() {
    let (endpoint, mut rx) = start(config()).await;
    let mut peer = TcpPeer::to(&endpoint);
    let mut batch = request("MESSAGE", "z9hG4bKone", 1, "first");
    batch.extend_from_slice(b"\r\n\r\n");
    batch.extend_from_slice(&request("MESSAGE", "z9hG4bKtwo", 2, "second"));
    batch.extend_from_slice(&request("OPTIONS", "z9hG4bKthree", 3, ""));
    peer.write(&batch).await;
    let first = next_request(&mut rx).await;
    let second = next_request(&mut rx).await;
    assert_eq!((first.request.body.as_slice(), second.request.body.as_slice()), (&b"first"[..], &b"second"[..]));
    let mut seen = Vec::new();
    for _ in 0..4 {
        match peer.event().await {
            TcpEvent::Message(Message::Response(r)) => seen.push(r.code),
            TcpEvent::Pong => seen.push(0),
            TcpEvent::Message(Message::Request(_)) | TcpEvent::Closed => panic!("unexpected"),
        }
    }
    // The pong is written by the connection itself, the answers by their
    // transactions: each in its own order, all on the one connection.
    seen.sort_unstable();
    assert_eq!(seen, [0, 100, 100, 200], "a pong, two 100 Trying, the OPTIONS 200");
}

#[tokio::test(start_paused = true)]
async fn keepalive_ping_gets_a_pong_and_keeps_the_flow_open() {
    let mut c = config();
    c.transport.idle_timeout = Duration::from_secs(10);
    let (endpoint, _rx) = start(c).await;
    let mut peer = TcpPeer::to(&endpoint);
    for _ in 0..3 {
        step(Duration::from_secs(6)).await;
        peer.write(b"\r\n\r\n").await;
        peer.pong().await;
    }
    assert!(peer.quiet().await, "18 s with pings every 6 s: still open");
    step(Duration::from_secs(11)).await;
    peer.closed().await;
    until("the connection count to drop", || (endpoint.connections() == 0).then_some(())).await;
}

#[tokio::test(start_paused = true)]
async fn idle_connection_is_closed_but_not_before() {
    let mut c = config();
    c.transport.idle_timeout = Duration::from_secs(30);
    let (endpoint, _rx) = start(c).await;
    let mut peer = TcpPeer::to(&endpoint);
    until("the connection to be accepted", || (endpoint.connections() == 1).then_some(())).await;
    step(Duration::from_secs(29)).await;
    assert!(peer.quiet().await);
    step(Duration::from_secs(2)).await;
    peer.closed().await;
}

#[tokio::test(start_paused = true)]
async fn oversize_message_gets_513_then_the_connection_closes() {
    let mut c = config();
    c.transport.max_stream_message = 700;
    let (endpoint, mut rx) = start(c).await;
    let mut peer = TcpPeer::to(&endpoint);
    // The declared body makes it too large: refused as soon as the head is in.
    let head_only = request("MESSAGE", "z9hG4bKbig", 1, &"x".repeat(5000));
    peer.write(&head_only[..head_only.len() - 5000]).await;
    let resp = peer.response().await;
    assert_eq!((resp.code, resp.headers.call_id().unwrap()), (513, "call-z9hG4bKbig"));
    peer.closed().await;
    assert!(user_idle(&mut rx).await);
    // A message that fits, after the first one, on a new connection: served.
    let mut again = TcpPeer::to(&endpoint);
    again.write(&request("OPTIONS", "z9hG4bKsmall", 1, "")).await;
    assert_eq!(again.response().await.code, 200);
}

#[tokio::test(start_paused = true)]
async fn growing_head_beyond_the_limit_closes_without_answer() {
    let mut c = config();
    c.transport.max_stream_message = 700;
    let (endpoint, _rx) = start(c).await;
    let mut peer = TcpPeer::to(&endpoint);
    peer.write(format!("MESSAGE sip:b@h SIP/2.0\r\nSubject: {}", "y".repeat(800)).as_bytes()).await;
    match peer.event().await {
        TcpEvent::Closed => {}
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn missing_content_length_gets_400_then_close() {
    let (endpoint, _rx) = start(config()).await;
    let mut peer = TcpPeer::to(&endpoint);
    let text =
        String::from_utf8(request("MESSAGE", "z9hG4bKnocl", 1, "")).unwrap().replace("Content-Length: 0\r\n", "");
    peer.write(text.as_bytes()).await;
    assert_eq!(peer.response().await.code, 400);
    peer.closed().await;
}

#[tokio::test(start_paused = true)]
async fn connections_over_the_cap_are_refused() {
    let mut c = config();
    c.transport.max_connections = 2;
    let (endpoint, _rx) = start(c).await;
    let mut a = TcpPeer::to(&endpoint);
    let mut b = TcpPeer::to(&endpoint);
    until("two connections", || (endpoint.connections() == 2).then_some(())).await;
    let mut refused = TcpPeer::to(&endpoint);
    refused.closed().await;
    for (peer, branch) in [(&mut a, "z9hG4bKa"), (&mut b, "z9hG4bKb")] {
        peer.write(&request("OPTIONS", branch, 1, "")).await;
        assert_eq!(peer.response().await.code, 200);
    }
    // Closing one frees its permit for the next client.
    drop(a);
    until("a freed slot", || (endpoint.connections() == 1).then_some(())).await;
    let mut c = TcpPeer::to(&endpoint);
    c.write(&request("OPTIONS", "z9hG4bKc", 1, "")).await;
    assert_eq!(c.response().await.code, 200);
}

#[tokio::test(start_paused = true)]
async fn the_answer_survives_the_client_half_closing() {
    let (endpoint, mut rx) = start(config()).await;
    let mut peer = TcpPeer::to(&endpoint);
    peer.write(&request("MESSAGE", "z9hG4bKhalf", 1, "bye")).await;
    let req = next_request(&mut rx).await;
    assert_eq!(peer.response().await.code, 100);
    let (_, mut write_half) = peer.stream.split();
    tokio::io::AsyncWriteExt::shutdown(&mut write_half).await.unwrap();
    settle().await;
    req.answer(200).await.unwrap();
    assert_eq!(peer.response().await.code, 200);
    peer.closed().await;
}
