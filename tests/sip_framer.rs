//! Stream framing: messages split at every byte boundary, several per read,
//! keep-alives between them, and the size limit.

use proptest::prelude::*;
use rexroute::sip::msg::{parse, ErrorKind, Frame, Framer, Message};

fn rfc(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/rfc4475/{name}.dat", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

/// A stream of three messages (one with a binary body) and two pings, and the
/// frames it must give.
fn stream() -> (Vec<u8>, Vec<Frame>) {
    let parts = [rfc("3.1.1.11-mpart01"), rfc("3.1.1.1-wsinv"), rfc("3.1.1.13-noreason")];
    let mut data = Vec::new();
    let mut want = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        data.extend_from_slice(p);
        want.push(Frame::Message(parse(p).unwrap()));
        if i < 2 {
            data.extend_from_slice(b"\r\n\r\n");
            want.push(Frame::KeepAlive);
        }
    }
    (data, want)
}

fn drain(f: &mut Framer, out: &mut Vec<Frame>) {
    while let Some(frame) = f.next_frame().unwrap() {
        out.push(frame);
    }
}

fn feed(chunks: &[&[u8]]) -> Vec<Frame> {
    let mut f = Framer::default();
    let mut out = Vec::new();
    for c in chunks {
        f.push(c);
        drain(&mut f, &mut out);
    }
    assert_eq!(f.buffered(), 0);
    out
}

#[test]
fn split_at_every_byte_boundary() {
    let (data, want) = stream();
    for i in 0..=data.len() {
        assert_eq!(feed(&[&data[..i], &data[i..]]), want, "split at {i}");
    }
}

#[test]
fn one_byte_per_read() {
    let (data, want) = stream();
    let chunks: Vec<&[u8]> = data.chunks(1).collect();
    assert_eq!(feed(&chunks), want);
}

#[test]
fn everything_in_one_read() {
    let (data, want) = stream();
    assert_eq!(feed(&[&data]), want);
}

#[test]
fn stray_crlf_before_a_message_is_not_a_ping() {
    let msg = rfc("3.1.1.13-noreason");
    let mut data = b"\r\n".to_vec();
    data.extend_from_slice(&msg);
    assert!(matches!(feed(&[&data]).as_slice(), [Frame::Message(_)]));
}

#[test]
fn oversize_message_is_refused_before_it_is_complete() {
    let msg = rfc("3.1.1.7-longreq");
    let mut f = Framer::new(1000);
    f.push(&msg[..1001]);
    let e = f.next_frame().unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TooLarge { limit: 1000 });
    // The framer stays failed: the transport must answer or close.
    f.push(b"\r\n\r\n");
    assert!(f.next_frame().is_err());
    // A limit exactly the message's size admits it.
    let mut f = Framer::new(msg.len());
    f.push(&msg);
    assert!(matches!(f.next_frame(), Ok(Some(Frame::Message(_)))));
}

#[test]
fn body_not_yet_complete_waits() {
    let msg = rfc("3.1.1.3-esc01");
    let mut f = Framer::default();
    f.push(&msg[..msg.len() - 1]);
    assert_eq!(f.next_frame().unwrap(), None);
    f.push(&msg[msg.len() - 1..]);
    let Some(Frame::Message(Message::Request(r))) = f.next_frame().unwrap() else { panic!() };
    assert_eq!(r.body.len(), 150);
}

#[test]
fn stream_without_content_length_and_bad_heads_fail() {
    let mut f = Framer::default();
    f.push(&rfc("3.4.1-inv2543"));
    assert_eq!(f.next_frame().unwrap_err().kind(), &ErrorKind::MissingContentLength);
    let mut f = Framer::default();
    f.push(&rfc("3.1.2.9-lwsstart"));
    assert_eq!(f.next_frame().unwrap_err().kind(), &ErrorKind::BadStartLine);
}

proptest! {
    #[test]
    fn random_chunking_gives_the_same_frames(cuts in prop::collection::vec(0usize..3000, 0..20)) {
        let (data, want) = stream();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut at = 0;
        for c in cuts {
            chunks.push(&data[at..c]);
            at = c;
        }
        chunks.push(&data[at..]);
        prop_assert_eq!(feed(&chunks), want);
    }
}
