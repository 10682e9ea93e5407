//! Transport-level answers: salvaging a head from bad bytes, stateless rejects, Via stamping.
//!
//! A packet that cannot be handled whole (too large, truncated body, unreadable
//! Content-Length) still deserves an answer when its head is readable: RFC 3261
//! §18.3 asks for `400` on a short body and `513` exists for oversize messages.
//! The parser refuses such packets outright (it never hands on a truncated body),
//! so [`salvage_head`] re-reads only the header section, without Content-Length,
//! to recover the Via and CSeq an answer must copy. The salvaged request
//! is used for that answer and nothing else.

use super::Flow;
use crate::sip::msg::{parse, reason_phrase, Header, Message, Request, Response};
use std::net::SocketAddr;
use std::sync::Arc;

/// The header section of `bytes` parsed as a request with an empty body, or `None`
/// if the head is not complete or is not a readable request.
///
/// Content-Length lines are left out (they may be what is wrong), so the result
/// never pretends to carry a body.
pub fn salvage_head(bytes: &[u8]) -> Option<Request> {
    let start = bytes.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let end = head_end(bytes, start)?;
    let mut head = Vec::with_capacity(end - start);
    let mut skipping = false;
    for line in bytes[start..end].split_inclusive(|&b| b == b'\n') {
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            skipping = is_content_length(line);
        }
        if !skipping {
            head.extend_from_slice(line);
        }
    }
    match parse(&head).ok()? {
        Message::Request(r) => Some(r),
        Message::Response(_) => None,
    }
}

/// Offset just past the empty line ending the head, searching from `from`.
fn head_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(nl) = bytes.get(i..)?.iter().position(|&b| b == b'\n') {
        let nl = i + nl;
        match (bytes.get(nl + 1), bytes.get(nl + 2)) {
            (Some(b'\n'), _) => return Some(nl + 2),
            (Some(b'\r'), Some(b'\n')) => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// Whether a header line is `Content-Length` or its compact form `l`.
fn is_content_length(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else { return false };
    let name = line[..colon].trim_ascii();
    name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")
}

/// Whether `req` can be answered at all: it is not an ACK (never answered,
/// §17.1.1.3) and its top Via and CSeq, which the peer matches a response on
/// (§17.1.3), are readable. A missing Call-ID, From or To is what the `400`
/// is about, so those may be absent.
pub fn answerable(req: &Request) -> bool {
    let h = &req.headers;
    !req.method.is("ACK") && h.top_via().is_ok() && h.cseq().is_ok()
}

/// Answers `req` with `code` outside any transaction, best-effort. Returns
/// whether an answer was sent.
pub fn reject(req: &Request, code: u16, flow: &Flow) -> bool {
    if !answerable(req) {
        return false;
    }
    let resp = Response::for_request(req, code, reason_phrase(code));
    let sent = flow.try_send(Arc::from(resp.to_bytes()));
    if let Err(e) = &sent {
        tracing::debug!(code, peer = %flow.peer(), error = %e, "stateless answer not sent");
    }
    sent.is_ok()
}

/// Adds `received=<source ip>` to the request's top Via and fills an empty
/// `rport` with the source port (RFC 3261 §18.2.1, RFC 3581 §4). Yate adds
/// `received` always, even when it equals the sent-by host; so do we.
///
/// A top Via that does not parse is left alone (the transaction layer answers
/// 400). When the first Via line holds several values, the top one moves to a
/// line of its own so the others keep their place.
pub fn stamp_via(req: &mut Request, source: SocketAddr) {
    let Some(index) = req.headers.iter().position(|h| h.is("Via")) else { return };
    let Some(Ok(mut vias)) = req.headers.vias_of_line(index) else { return };
    if vias.is_empty() {
        return;
    }
    let mut top = vias.remove(0);
    top.params.retain(|p| !p.is("received"));
    top.params.push(crate::sip::msg::Param {
        name: "received".into(),
        value: Some(crate::sip::msg::text::ip_text(source.ip())),
        quoted: false,
    });
    if let Some(p) = top.params.iter_mut().find(|p| p.is("rport")) {
        if p.value.is_none() {
            p.value = Some(crate::sip::msg::text::decimal(source.port()));
        }
    }
    let Some(slot) = req.headers.iter_mut().nth(index) else { return };
    slot.set_value(top.to_wire());
    if !vias.is_empty() {
        let name = slot.name().to_owned();
        let rest: Vec<String> = vias.iter().map(|v| v.to_wire()).collect();
        req.headers.insert(index + 1, Header::new(name, rest.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(bytes: &[u8]) -> Request {
        match parse(bytes) {
            Ok(Message::Request(r)) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn salvage_ignores_content_length_and_body() {
        let bytes = b"\r\nMESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nl: 9999\r\n\
Call-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Length:\r\n  x\r\n\r\nshort";
        let r = salvage_head(bytes).unwrap();
        assert_eq!(r.headers.call_id().unwrap(), "c");
        assert!(r.body.is_empty());
        assert!(!r.headers.contains("Content-Length"));
        assert!(answerable(&r));
        assert!(salvage_head(b"MESSAGE sip:b@h SIP/2.0\r\nVia: x").is_none());
        assert!(salvage_head(b"SIP/2.0 200 OK\r\nl: 5\r\n\r\n").is_none());
        assert!(salvage_head(b"\x00\x01garbage\r\n\r\n").is_none());
    }

    #[test]
    fn ack_and_headless_requests_are_not_answerable() {
        let ack = request(b"ACK sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\ni: c\r\nCSeq: 1 ACK\r\n\r\n");
        assert!(!answerable(&ack));
        let no_via = request(b"OPTIONS sip:b@h SIP/2.0\r\ni: c\r\nCSeq: 1 OPTIONS\r\n\r\n");
        assert!(!answerable(&no_via));
        let no_call_id = request(b"OPTIONS sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP a\r\nCSeq: 1 OPTIONS\r\n\r\n");
        assert!(answerable(&no_call_id));
    }

    #[test]
    fn stamp_adds_received_and_fills_rport() {
        let src: SocketAddr = "192.0.2.7:6000".parse().unwrap();
        let mut r = request(b"OPTIONS sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP a:5060;rport;branch=z9hG4bK1;received=x, SIP/2.0/UDP b\r\nVia: SIP/2.0/UDP c\r\n\r\n");
        stamp_via(&mut r, src);
        let vias = r.headers.vias().unwrap();
        assert_eq!(vias.len(), 3);
        assert_eq!(vias[0].to_wire(), "SIP/2.0/UDP a:5060;rport=6000;branch=z9hG4bK1;received=192.0.2.7");
        assert_eq!((vias[1].host.as_str(), vias[2].host.as_str()), ("b", "c"));
        let names: Vec<&str> = r.headers.iter().map(|h| h.name()).collect();
        assert_eq!(names, ["v", "v", "Via"]);
        let mut kept = request(b"OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;rport=1\r\n\r\n");
        stamp_via(&mut kept, src);
        assert_eq!(kept.headers.top_via().unwrap().rport(), Some(Some(1)));
        let mut bad = request(b"OPTIONS sip:b@h SIP/2.0\r\nVia: nonsense\r\n\r\n");
        stamp_via(&mut bad, src);
        assert_eq!(bad.headers.str("Via"), Some("nonsense"));
    }
}
