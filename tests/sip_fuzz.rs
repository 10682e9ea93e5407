//! Replays the fuzz entry point (`sip::msg::fuzz::fuzz_parse`) under `cargo test`:
//! on random bytes, on every truncation of the RFC 4475 corpus and on random
//! mutations of it. Also checks that rsip, which we call for typed URIs, does not
//! panic on odd input (and that our wrapper never lets a panic out).

use proptest::prelude::*;
use rexroute::sip::msg::fuzz::fuzz_parse;
use rexroute::sip::msg::Uri;
use std::panic::catch_unwind;

fn corpus() -> Vec<Vec<u8>> {
    let dir = format!("{}/tests/data/rfc4475", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "dat"));
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn every_truncation_of_the_corpus() {
    for data in corpus() {
        for end in 0..=data.len() {
            fuzz_parse(&data[..end]);
        }
    }
}

/// A byte-level edit of a corpus message.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let special = prop::sample::select(vec![
        b'\r', b'\n', b' ', b'\t', b':', b';', b',', b'"', b'<', b'>', b'\\', 0, 0xff, b'0', b'9',
    ]);
    let byte = prop_oneof![any::<u8>(), special];
    let edit = prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
    ];
    prop::collection::vec(edit, 1..8)
}

fn apply(mut data: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = data.len().max(1);
        match *e {
            Edit::Set(i, b) if !data.is_empty() => data[i % n] = b,
            Edit::Insert(i, b) => data.insert(i % (data.len() + 1), b),
            Edit::Delete(i) if !data.is_empty() => {
                data.remove(i % n);
            }
            _ => {}
        }
    }
    data
}

/// Strings made of the characters header grammars care about.
fn sipish() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 \t:;,=<>\"\\\\@/.\\[\\]?%*+_-]{0,40}"
}

/// Calls every rsip parser we might use on `s`; returns the names of those that panicked.
fn rsip_panics(s: &str) -> Vec<&'static str> {
    use rsip::headers::UntypedHeader;
    let s = s.to_owned();
    let mut out = Vec::new();
    macro_rules! probe {
        ($name:literal, $call:expr) => {{
            let s = s.clone();
            if catch_unwind(move || {
                let _ = $call(s);
            })
            .is_err()
            {
                out.push($name);
            }
        }};
    }
    probe!("Uri", |s: String| rsip::Uri::try_from(s.as_str()));
    probe!("From", |s: String| rsip::typed::From::try_from(rsip::headers::From::new(s)));
    probe!("To", |s: String| rsip::typed::To::try_from(rsip::headers::To::new(s)));
    probe!("Via", |s: String| rsip::typed::Via::try_from(rsip::headers::Via::new(s)));
    probe!("Contact", |s: String| rsip::typed::Contact::try_from(rsip::headers::Contact::new(s)));
    probe!("CSeq", |s: String| rsip::typed::CSeq::try_from(rsip::headers::CSeq::new(s)));
    probe!("Authorization", |s: String| rsip::typed::Authorization::try_from(rsip::headers::Authorization::new(s)));
    probe!("ContentType", |s: String| rsip::typed::ContentType::try_from(rsip::headers::ContentType::new(s)));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(data in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzz_parse(&data);
    }

    #[test]
    fn mutated_corpus(which in any::<prop::sample::Index>(), edits in edits()) {
        let corpus = corpus();
        fuzz_parse(&apply(corpus[which.index(corpus.len())].clone(), &edits));
    }

    #[test]
    fn odd_values_in_typed_headers(
        name in prop::sample::select(vec!["To", "f", "Via", "m", "CSeq", "Authorization", "c", "Expires", "Max-Forwards", "i", "Route"]),
        value in prop_oneof![sipish(), "[^\r\n]{0,40}", "\"[^\r\n]{0,10}"],
    ) {
        fuzz_parse(format!("OPTIONS sip:a SIP/2.0\r\n{name}: {value}\r\nl: 0\r\n\r\n").as_bytes());
        fuzz_parse(format!("OPTIONS {value} SIP/2.0\r\n\r\n").as_bytes());
    }

    #[test]
    fn rsip_does_not_panic(s in prop_oneof![sipish(), "sip:[a-z@:;=\\[\\]0-9.]{0,30}", ".{0,30}"]) {
        prop_assert_eq!(rsip_panics(&s), Vec::<&str>::new(), "input {:?}", s);
        if let Ok(uri) = Uri::parse(&s) {
            let _ = uri.to_rsip();
        }
    }
}
