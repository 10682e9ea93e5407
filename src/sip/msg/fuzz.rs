//! Fuzz entry point: every public parser on arbitrary bytes, with round-trip checks.
//!
//! The project has no `fuzz/` crate yet, so the body lives here as a plain function:
//! a cargo-fuzz target is `fuzz_target!(|data: &[u8]| rexroute::sip::msg::fuzz::fuzz_parse(data));`
//! and `tests/sip_fuzz.rs` replays it over generated inputs and the RFC 4475 corpus.

use super::{parse, parse_prefix, Frame, Framer, Message};

/// Parses `data` every way this layer can, panicking only if an invariant breaks:
/// a parsed message must print back to the bytes it was read from, re-parse to an
/// equal message, and frame identically from a stream split at any point.
pub fn fuzz_parse(data: &[u8]) {
    if let Ok((msg, used)) = parse_prefix(data) {
        check_round_trip(&msg, data, used);
        typed_accessors(&msg);
    }
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (whole, whole_failed) = frames(&[data]);
    let (parts, parts_failed) = frames(&[&data[..split], &data[split..]]);
    assert_eq!(whole, parts, "framing must not depend on how the stream was cut");
    assert_eq!(whole_failed, parts_failed);
}

/// The frames a stream yields when fed in `chunks`, and whether it ended in an error.
fn frames(chunks: &[&[u8]]) -> (Vec<Frame>, bool) {
    let mut framer = Framer::new(1 << 12);
    let mut out = Vec::new();
    for c in chunks {
        framer.push(c);
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => {
                    if let Frame::Message(m) = &frame {
                        typed_accessors(m);
                    }
                    out.push(frame);
                }
                Ok(None) => break,
                Err(_) => return (out, true),
            }
        }
    }
    (out, false)
}

fn check_round_trip(msg: &Message, data: &[u8], used: usize) {
    let printed = msg.to_bytes();
    let start = data.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(data.len());
    assert_eq!(printed, &data[start..used], "printing must give back the parsed bytes");
    match parse(&printed) {
        Ok(again) => assert_eq!(&again, msg, "re-parsing the printed form must give the same message"),
        Err(e) => panic!("printed form does not parse: {e}"),
    }
}

/// Every typed accessor must return, never panic.
fn typed_accessors(msg: &Message) {
    let h = msg.headers();
    let _ = (h.call_id(), h.cseq(), h.from_addr(), h.to_addr(), h.vias(), h.top_via(), h.contacts());
    let _ = (h.expires(), h.max_forwards(), h.content_type(), h.content_length(), h.authorization());
    let _ = (h.proxy_authorization(), h.www_authenticate(), h.addr_list("Route"));
    let _ = (msg.yate_params(), msg.yate_body_params(&Default::default()));
    if let Some(r) = msg.as_request() {
        if let Ok(uri) = r.request_uri() {
            let _ = uri.to_rsip();
        }
    }
}
