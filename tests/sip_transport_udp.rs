//! UDP transport: answers on loopback, malformed and oversize datagrams, Yate's admission codes.

#[path = "sip_transport_support.rs"]
mod support;

use rexroute::sip::msg::Response;
use support::*;

fn via_of(resp: &Response) -> String {
    resp.headers.top_via().expect("response Via").to_wire()
}

#[tokio::test(start_paused = true)]
async fn options_gets_200_with_allow_and_stamped_via() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    peer.send(&request("OPTIONS", "z9hG4bKopt", 1, "")).await;
    let (bytes, from) = peer.recv_from().await;
    let resp = response(&bytes);
    assert_eq!((resp.code, resp.reason.as_str()), (200, "OK"));
    assert_eq!(from, peer.server, "answered from the socket the request reached");
    assert_eq!(resp.headers.str("Allow"), Some("OPTIONS, MESSAGE"));
    // received always, rport filled with the source port (sip.md §1.7, RFC 3581).
    let port = peer.addr().port();
    assert_eq!(via_of(&resp), format!("SIP/2.0/UDP 127.0.0.1:5071;rport={port};branch=z9hG4bKopt;received=127.0.0.1"));
    assert!(resp.headers.to_addr().unwrap().tag().is_some());
    assert!(user_idle(&mut rx).await, "OPTIONS is answered by the endpoint itself");
    assert!(peer.silent().await, "no 100 Trying before an immediate answer");
}

#[tokio::test(start_paused = true)]
async fn methods_outside_allow_get_501_and_dialog_methods_405_or_481() {
    let mut c = config();
    c.allow_method("INVITE");
    c.allow_method("BYE");
    let (endpoint, mut rx) = start(c).await;
    let peer = UdpPeer::to(&endpoint).await;
    for (method, code) in [("PUBLISH", 501), ("message", 501), ("CANCEL", 501), ("INVITE", 405), ("BYE", 481)] {
        peer.send(&request(method, &format!("z9hG4bK{method}"), 1, "")).await;
        let resp = peer.response().await;
        assert_eq!(resp.code, code, "{method}");
        assert_eq!(resp.headers.str("Allow"), Some("OPTIONS, MESSAGE, INVITE, BYE"), "{method}");
    }
    peer.send(&request("ACK", "z9hG4bKack", 1, "")).await;
    assert!(peer.silent().await, "ACK is never answered");
    assert!(user_idle(&mut rx).await);
}

#[tokio::test(start_paused = true)]
async fn malformed_datagrams_get_400_or_are_dropped_and_serving_goes_on() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    // Body shorter than Content-Length: never processed as if whole (RFC 3261 §18.3).
    let mut truncated = request("MESSAGE", "z9hG4bKshort", 1, "hello");
    truncated.truncate(truncated.len() - 3);
    peer.send(&truncated).await;
    let resp = peer.response().await;
    assert_eq!(resp.code, 400);
    assert_eq!(resp.headers.top_via().unwrap().branch(), Some("z9hG4bKshort"));
    // Mandatory headers missing: 400 from the transaction layer.
    let no_from = String::from_utf8(request("MESSAGE", "z9hG4bKnofrom", 1, "x")).unwrap();
    let no_from = no_from.replace("From: \"Alice\" <sip:alice@127.0.0.1>;tag=poqas\r\n", "");
    peer.send(no_from.as_bytes()).await;
    assert_eq!(peer.response().await.code, 400);
    // Nothing to answer to: garbage, a bad start line, no Via, a bad response.
    for junk in [
        &b"\x00\x01\x02 not sip at all"[..],
        b"MESSAGE  sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nCSeq: 1 MESSAGE\r\n\r\n",
        b"MESSAGE sip:b@h SIP/2.0\r\nCSeq: 1 MESSAGE\r\nl: 99\r\n\r\n",
        b"SIP/2.0 200 OK\r\nl: 99\r\n\r\n",
        b"\r\n\r\n",
    ] {
        peer.send(junk).await;
        assert!(peer.silent().await, "{}", String::from_utf8_lossy(junk));
    }
    assert!(user_idle(&mut rx).await, "nothing malformed reaches the transaction user");
    peer.send(&request("MESSAGE", "z9hG4bKgood", 1, "hi")).await;
    assert_eq!(peer.response().await.code, 100);
    let req = next_request(&mut rx).await;
    assert_eq!(req.request.body, b"hi");
}

#[tokio::test(start_paused = true)]
async fn other_versions_get_505() {
    let (endpoint, _rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    let v7 =
        String::from_utf8(request("MESSAGE", "z9hG4bKv7", 1, "")).unwrap().replacen("SIP/2.0\r\n", "SIP/7.0\r\n", 1);
    peer.send(v7.as_bytes()).await;
    assert_eq!(peer.response().await.code, 505);
}

#[tokio::test(start_paused = true)]
async fn oversize_datagram_gets_513_never_a_truncated_body() {
    let mut c = config();
    c.transport.max_message = 600;
    let (endpoint, mut rx) = start(c).await;
    let peer = UdpPeer::to(&endpoint).await;
    let big = request("MESSAGE", "z9hG4bKbig", 1, &"x".repeat(800));
    peer.send(&big).await;
    let resp = peer.response().await;
    assert_eq!((resp.code, resp.reason.as_str()), (513, "Message Too Large"));
    assert_eq!(resp.headers.call_id().unwrap(), "call-z9hG4bKbig");
    // A head that is itself beyond the limit cannot be read: dropped.
    let huge_head = format!("MESSAGE sip:b@h SIP/2.0\r\nSubject: {}\r\n\r\n", "y".repeat(700));
    peer.send(huge_head.as_bytes()).await;
    assert!(peer.silent().await);
    assert!(user_idle(&mut rx).await);
    // At the limit exactly: accepted.
    let fit = (0..600).find(|&n| request("MESSAGE", "z9hG4bKfit", 1, &"z".repeat(n)).len() == 600).unwrap();
    peer.send(&request("MESSAGE", "z9hG4bKfit", 1, &"z".repeat(fit))).await;
    assert_eq!(peer.response().await.code, 100);
    assert_eq!(next_request(&mut rx).await.request.body.len(), fit);
}

#[tokio::test(start_paused = true)]
async fn compact_and_folded_requests_are_served() {
    let (endpoint, mut rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    let text = "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKc, SIP/2.0/UDP p\r\n\
f: <sip:a@h>;tag=1\r\nt: <sip:bob@h>\r\ni: compact\r\nCSeq: 7\r\n MESSAGE\r\nl: 2\r\n\r\nhi";
    peer.send(text.as_bytes()).await;
    let trying = peer.response().await;
    assert_eq!(trying.code, 100);
    let vias = trying.headers.vias().unwrap();
    assert_eq!(vias.len(), 2, "the top Via got its own line, the second one kept");
    assert_eq!(vias[0].received(), Some("127.0.0.1"));
    let req = next_request(&mut rx).await;
    assert_eq!(req.request.headers.cseq().unwrap().seq, 7);
    req.answer(202).await.unwrap();
    let resp = peer.response().await;
    assert_eq!(resp.code, 202);
    assert_eq!(resp.headers.call_id().unwrap(), "compact");
}
