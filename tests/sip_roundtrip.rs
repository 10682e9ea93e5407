//! Property tests: built messages survive print → parse, and raw messages (odd
//! spacing, folding, bare LF, binary bodies) print back byte for byte.

use proptest::prelude::*;
use rexroute::sip::msg::{parse, same_name, Message, Request, Response};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.!%*_+`'~-]{1,12}"
}

fn header_name() -> impl Strategy<Value = String> {
    token().prop_filter("Content-Length is set by the builder", |n| !same_name(n, "Content-Length"))
}

/// Header value bytes: anything but CR and LF (NUL and invalid UTF-8 included),
/// without surrounding blanks, which the parser trims.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>().prop_filter("no line breaks", |b| *b != b'\r' && *b != b'\n'), 0..40)
        .prop_map(|v| v.trim_ascii().to_vec())
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..300)
}

fn uri() -> impl Strategy<Value = String> {
    (
        "[a-z0-9]{1,8}",
        "[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){0,2}",
        proptest::option::of(1u16..),
        "(;[a-z]{1,5}=[a-z0-9]{1,5}){0,2}",
    )
        .prop_map(|(user, host, port, params)| match port {
            Some(p) => format!("sip:{user}@{host}:{p}{params}"),
            None => format!("sip:{user}@{host}{params}"),
        })
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::vec((header_name(), header_value()), 0..12)
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        prop::sample::select(vec!["text/plain", "application/octet-stream", "image/png"]).prop_map(String::from),
    )
}

fn request() -> impl Strategy<Value = Message> {
    (token(), uri(), headers(), content_type(), body()).prop_map(|(method, uri, headers, ct, body)| {
        let mut r = Request::new(method, uri);
        for (n, v) in headers {
            r.headers.append(n, v);
        }
        r.set_body(ct.as_deref(), body);
        Message::Request(r)
    })
}

fn response() -> impl Strategy<Value = Message> {
    (100u16..700, "[^\r\n]{0,20}", headers(), content_type(), body()).prop_map(|(code, reason, headers, ct, body)| {
        let mut r = Response::new(code, reason);
        for (n, v) in headers {
            r.headers.append(n, v);
        }
        r.set_body(ct.as_deref(), body);
        Message::Response(r)
    })
}

/// Linear white space as a sender might write it around a colon or in a fold.
fn blanks(min: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec![' ', '\t']), min..4).prop_map(|v| v.into_iter().collect())
}

/// One raw header line: odd spacing around the colon and values folded over lines.
fn raw_header() -> impl Strategy<Value = (String, Vec<String>, Vec<u8>)> {
    let piece = "[!-~]([ -~]{0,10}[!-~])?";
    (header_name(), blanks(0), blanks(0), prop::collection::vec((piece, blanks(1)), 1..4)).prop_map(
        |(name, before, after, pieces)| {
            let mut raw = format!("{name}{before}:{after}");
            let mut words = Vec::new();
            for (i, (p, fold)) in pieces.into_iter().enumerate() {
                if i > 0 {
                    raw.push_str("\r\n");
                    raw.push_str(&fold);
                }
                raw.push_str(&p);
                words.push(p);
            }
            raw.push_str("\r\n");
            (name, words, raw.into_bytes())
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn built_messages_round_trip(msg in prop_oneof![request(), response()]) {
        let bytes = msg.to_bytes();
        let back = parse(&bytes).map_err(|e| TestCaseError::fail(format!("{e}: {:?}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(&back, &msg);
        prop_assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn raw_messages_print_back_exactly(
        headers in prop::collection::vec(raw_header(), 0..8),
        body in body(),
        bare_lf in any::<bool>(),
    ) {
        let mut data = b"MESSAGE sip:bob@example.com SIP/2.0\r\n".to_vec();
        for (_, _, raw) in &headers {
            data.extend_from_slice(raw);
        }
        data.extend_from_slice(format!("Content-Length:  {}\r\n\r\n", body.len()).as_bytes());
        if bare_lf {
            data = String::from_utf8(data).unwrap().replace("\r\n", "\n").into_bytes();
        }
        data.extend_from_slice(&body);
        let msg = parse(&data).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(msg.to_bytes(), data);
        prop_assert_eq!(msg.body(), &body[..]);
        for ((name, words, _), h) in headers.iter().zip(msg.headers().iter()) {
            prop_assert_eq!(h.name(), name.as_str());
            let joined = words.join(" ");
            prop_assert_eq!(h.value(), joined.as_bytes());
        }
    }

    #[test]
    fn datagram_bodies_are_bounded_by_content_length(body in body(), extra in body()) {
        let mut data = format!("SIP/2.0 200 OK\r\nl: {}\r\n\r\n", body.len()).into_bytes();
        data.extend_from_slice(&body);
        data.extend_from_slice(&extra);
        let msg = parse(&data).unwrap();
        prop_assert_eq!(msg.body(), &body[..]);
        if !body.is_empty() {
            prop_assert!(parse(&data[..data.len() - extra.len() - 1]).is_err(), "short body must be refused");
        }
    }
}
