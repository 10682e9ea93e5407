//! RFC 4475 torture messages: each file in `tests/data/rfc4475/` against what the RFC says.
//!
//! §3.1.1 messages must parse, expose the right typed values and print back
//! byte for byte. §3.1.2 messages must be rejected by the message parser where
//! the fault is in framing or the start line, or parse with the faulty header's
//! typed accessor failing (so the transaction layer answers 400), or parse with
//! the oddity visible (version, CSeq method) for the layer that decides.

use rexroute::sip::msg::{
    parse, parse_prefix, split_multipart, unescape, Contact, ErrorKind, ExportOptions, Frame, Framer, Message,
    NameAddr, Request, Response,
};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475")
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(format!("{name}.dat"))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Parses a file that must parse, checking the round trip on the way.
fn ok(name: &str) -> Message {
    let data = load(name);
    let (msg, used) = parse_prefix(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(msg.to_bytes(), &data[..used], "{name}: printed form differs");
    assert_eq!(parse(&msg.to_bytes()).unwrap(), msg, "{name}: re-parse differs");
    msg
}

fn req(name: &str) -> Request {
    ok(name).as_request().cloned().unwrap_or_else(|| panic!("{name}: not a request"))
}

fn resp(name: &str) -> Response {
    ok(name).as_response().cloned().unwrap_or_else(|| panic!("{name}: not a response"))
}

fn rejected(name: &str) -> ErrorKind {
    parse(&load(name)).map(|_| ()).expect_err(name).kind().clone()
}

fn addr(c: &Contact) -> &NameAddr {
    match c {
        Contact::Addr(a) => a,
        Contact::Star => panic!("unexpected *"),
    }
}

/// Every data file has a test below (keep this list in step with the directory).
const CASES: &[&str] = &[
    "3.1.1.1-wsinv",
    "3.1.1.2-intmeth",
    "3.1.1.3-esc01",
    "3.1.1.4-escnull",
    "3.1.1.5-esc02",
    "3.1.1.6-lwsdisp",
    "3.1.1.7-longreq",
    "3.1.1.8-dblreq",
    "3.1.1.9-semiuri",
    "3.1.1.10-transports",
    "3.1.1.11-mpart01",
    "3.1.1.12-unreason",
    "3.1.1.13-noreason",
    "3.1.2.1-badinv01",
    "3.1.2.2-clerr",
    "3.1.2.3-ncl",
    "3.1.2.4-scalar02",
    "3.1.2.5-scalarlg",
    "3.1.2.6-quotbal",
    "3.1.2.7-ltgtruri",
    "3.1.2.8-lwsruri",
    "3.1.2.9-lwsstart",
    "3.1.2.10-trws",
    "3.1.2.11-escruri",
    "3.1.2.12-baddate",
    "3.1.2.13-regbadct",
    "3.1.2.14-badaspec",
    "3.1.2.15-baddn",
    "3.1.2.16-badvers",
    "3.1.2.17-mismatch01",
    "3.1.2.18-mismatch02",
    "3.1.2.19-bigcode",
    "3.2.1-badbranch",
    "3.3.1-insuf",
    "3.3.2-unkscm",
    "3.3.3-novelsc",
    "3.3.4-unksm2",
    "3.3.5-bext01",
    "3.3.10-bcast",
    "3.3.11-zeromf",
    "3.3.12-cparam01",
    "3.3.13-cparam02",
    "3.4.1-inv2543",
];

#[test]
fn every_file_is_covered() {
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".dat").map(str::to_owned))
        .collect();
    files.sort();
    let mut cases: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    cases.sort();
    assert_eq!(files, cases);
}

#[test]
fn s3_1_1_1_short_tortuous_invite() {
    let r = req("3.1.1.1-wsinv");
    let h = &r.headers;
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("INVITE", "sip:vivekg@chair-dnrc.example.com;unknownparam"));
    assert_eq!(h.len(), 14);
    let to = h.to_addr().unwrap();
    assert_eq!((to.display.as_deref(), to.tag()), (None, Some("1918181833n")));
    let from = h.from_addr().unwrap();
    assert_eq!((from.display.as_deref(), from.tag()), (Some("J Rosenberg \\\""), Some("98asjd8")));
    assert_eq!(h.max_forwards().unwrap(), Some(68));
    assert_eq!(h.call_id().unwrap(), "wsinv.ndaksdj@192.0.2.1");
    assert_eq!(h.content_length().unwrap(), Some(150));
    let cseq = h.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method.as_str()), (9, "INVITE"));
    let vias = h.vias().unwrap();
    let sent: Vec<_> = vias.iter().map(|v| (v.transport.as_str(), v.host.as_str(), v.branch().unwrap())).collect();
    assert_eq!(
        sent,
        [
            ("UDP", "192.0.2.2", "390skdjuw"),
            ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
            ("UDP", "192.168.255.111", "z9hG4bK30239")
        ]
    );
    assert_eq!(h.str("Subject"), Some(""));
    assert_eq!(h.str("NewFangledHeader"), Some("newfangled value continued newfangled value"));
    assert_eq!(h.str("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
    let contacts = h.contacts().unwrap();
    let c = addr(&contacts[0]);
    assert_eq!(c.display.as_deref(), Some("Quoted string \"\""));
    assert_eq!(c.param("newparam").and_then(|p| p.value.as_deref()), Some("newvalue"));
    assert_eq!(c.param("secondparam").map(|p| p.value.is_none()), Some(true));
    assert_eq!(c.param("q").and_then(|p| p.value.as_deref()), Some("0.33"));
    assert_eq!(h.addr_list("Route").unwrap()[0].uri.param("unknown-no-value").map(|p| p.value.is_none()), Some(true));
    assert_eq!(r.body.len(), 150);
}

#[test]
fn s3_1_1_2_wide_range_of_valid_characters() {
    let r = req("3.1.1.2-intmeth");
    let h = &r.headers;
    assert_eq!(r.method.as_str(), "!interesting-Method0123456789_*+`.%indeed'~");
    let uri = r.request_uri().unwrap();
    assert_eq!(uri.user(), Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
    assert_eq!(uri.sip().unwrap().password.as_deref(), Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
    assert_eq!(h.top_via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    assert_eq!(h.to_addr().unwrap().display.as_deref(), Some("BEL:\x07 NUL:\0 DEL:\x7f"));
    let from = h.from_addr().unwrap();
    assert_eq!(from.display.as_deref(), Some("token1~` token2'+_ token3*%!.-"));
    assert_eq!(from.param("fromParam''~+*_!.-%").and_then(|p| p.value.as_deref()), Some("работающий"));
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(h.call_id().unwrap(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert_eq!(h.cseq().unwrap().method, r.method);
    assert_eq!(h.max_forwards().unwrap(), Some(255));
    assert_eq!(h.str("extensionHeader-!.%*+_`'~"), Some("\u{feff}大停電"));
    assert_eq!(h.len(), 8);
}

#[test]
fn s3_1_1_3_percent_escaping() {
    let r = req("3.1.1.3-esc01");
    let h = &r.headers;
    let uri = r.request_uri().unwrap();
    assert_eq!((uri.user(), uri.host()), (Some("sips%3Auser%40example.com"), Some("example.net")));
    assert_eq!(unescape(h.to_addr().unwrap().uri.user().unwrap()), b"user");
    assert_eq!(unescape(h.from_addr().unwrap().uri.user().unwrap()), b"I have spaces");
    assert_eq!(h.call_id().unwrap(), "esc01.239409asdfakjkn23onasd0-3234");
    assert_eq!(h.content_type().unwrap().unwrap().essence(), "application/sdp");
    let contacts = h.contacts().unwrap();
    let c = &addr(&contacts[0]).uri;
    assert_eq!(unescape(c.user().unwrap()), b"caller");
    assert!(c.param("%6C%72").is_some());
    assert_eq!(c.param("n%61me").and_then(|p| p.value.as_deref()).map(unescape), Some(b"value%41".to_vec()));
}

#[test]
fn s3_1_1_4_escaped_nulls() {
    let r = req("3.1.1.4-escnull");
    let users: Vec<Vec<u8>> =
        r.headers.contacts().unwrap().iter().map(|c| unescape(addr(c).uri.user().unwrap())).collect();
    assert_eq!(users, [vec![0], vec![0, 0]]);
    assert_eq!(unescape(r.headers.to_addr().unwrap().uri.user().unwrap()), b"null-\0-null");
    assert_eq!(r.headers.content_length().unwrap(), Some(0));
}

#[test]
fn s3_1_1_5_percent_not_an_escape() {
    let r = req("3.1.1.5-esc02");
    assert_eq!(r.method.as_str(), "RE%47IST%45R");
    assert_eq!(r.headers.cseq().unwrap().method, r.method);
    assert_eq!(r.headers.contacts().unwrap().len(), 2, "C%6Fntact is not Contact");
    assert!(r.headers.get("C%6Fntact").is_some());
    assert_eq!(r.headers.to_addr().unwrap().display.as_deref(), Some("%Z%45"));
    assert_eq!(r.headers.top_via().unwrap().branch(), Some("z9hG4bK209%fzsnel234"));
}

#[test]
fn s3_1_1_6_no_lws_before_angle_bracket() {
    let from = req("3.1.1.6-lwsdisp").headers.from_addr().unwrap();
    assert_eq!((from.display.as_deref(), from.tag()), (Some("caller"), Some("323")));
}

#[test]
fn s3_1_1_7_long_values() {
    let r = req("3.1.1.7-longreq");
    let h = &r.headers;
    let to = h.to_addr().unwrap();
    assert_eq!(to.uri.port(), Some(6000));
    assert_eq!(to.uri.sip().unwrap().params.len(), 3);
    assert_eq!(h.from_addr().unwrap().tag().map(str::len), Some(155));
    assert_eq!(h.vias().unwrap().len(), 34);
    assert_eq!(h.vias().unwrap()[33].received(), Some("192.0.2.5"));
    assert_eq!(h.contacts().unwrap().len(), 1);
    assert_eq!(r.body.len(), 150);
}

#[test]
fn s3_1_1_8_extra_trailing_octets() {
    let data = load("3.1.1.8-dblreq");
    let (msg, used) = parse_prefix(&data).unwrap();
    let r = msg.as_request().unwrap();
    assert_eq!((r.method.as_str(), r.body.len()), ("REGISTER", 0));
    assert!(used < data.len(), "the INVITE after the REGISTER is ignored on UDP");
    // On a stream the same bytes are two messages.
    let mut framer = Framer::default();
    framer.push(&data);
    let Ok(Some(Frame::Message(first))) = framer.next_frame() else { panic!() };
    let Ok(Some(Frame::Message(second))) = framer.next_frame() else { panic!() };
    assert_eq!(
        (first.start_line(), second.headers().call_id().unwrap()),
        (r.start_line(), "dblreq.0ha0isnda977644900765@192.0.2.15")
    );
}

#[test]
fn s3_1_1_9_semicolon_in_user_part() {
    let r = req("3.1.1.9-semiuri");
    let uri = r.request_uri().unwrap();
    assert_eq!((uri.user(), uri.host()), (Some("user;par=u%40example.net"), Some("example.com")));
    assert_eq!(
        r.headers.str("Accept"),
        Some(
            "application/sdp, application/pkcs7-mime, multipart/mixed, multipart/signed, message/sip, message/sipfrag"
        )
    );
}

#[test]
fn s3_1_1_10_transports() {
    let r = req("3.1.1.10-transports");
    let t: Vec<String> = r.headers.vias().unwrap().into_iter().map(|v| v.transport).collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    assert_eq!(r.headers.call_id().unwrap(), "transports.kijh4akdnaqjkwendsasfdj");
}

#[test]
fn s3_1_1_11_multipart_with_binary_part() {
    let m = ok("3.1.1.11-mpart01");
    let ct = m.headers().content_type().unwrap().unwrap();
    assert_eq!((ct.essence(), ct.param("boundary")), ("multipart/mixed".to_owned(), Some("7a9cbec02ceef655")));
    assert_eq!(m.body().len(), 553);
    let parts = split_multipart(m.body(), "7a9cbec02ceef655").unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].body, b"Hello");
    let der = &parts[1].body;
    assert_eq!((der.len(), &der[..4]), (342, &[0x30, 0x82, 0x01, 0x52][..]), "binary part must survive untouched");
    assert!(der.contains(&0) && std::str::from_utf8(der).is_err());
    let p = m.yate_body_params(&ExportOptions::default());
    let names: Vec<_> = p.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "xsip_type",
            "xsip_body",
            "xsip_body.header_Content-Transfer-Encoding",
            "xsip_type.1",
            "xsip_body_encoding.1",
            "xsip_body.1",
            "xsip_body.1.header_Content-Transfer-Encoding"
        ]
    );
    let enc = rexroute::sip::msg::BodyEncoding::Base64;
    assert_eq!(enc.decode(&p[5].1).as_ref(), Some(der));
}

#[test]
fn s3_1_1_12_unusual_reason_phrase() {
    let r = resp("3.1.1.12-unreason");
    assert_eq!((r.code, r.reason.as_str()), (200, "= 2**3 * 5**2 но сто девяносто девять - простое"));
    assert_eq!(r.body.len(), 154);
}

#[test]
fn s3_1_1_13_empty_reason_phrase() {
    let r = resp("3.1.1.13-noreason");
    assert_eq!((r.code, r.reason.as_str()), (100, ""));
}

#[test]
fn s3_1_2_1_extraneous_separators_fail_typed_parsing() {
    let r = req("3.1.2.1-badinv01");
    assert!(r.headers.vias().is_err());
    assert!(r.headers.contacts().is_err());
}

#[test]
fn s3_1_2_2_content_length_larger_than_message() {
    let data = load("3.1.2.2-clerr");
    assert_eq!(rejected("3.1.2.2-clerr"), ErrorKind::TruncatedBody { declared: 9999, actual: 154 });
    let mut framer = Framer::default();
    framer.push(&data);
    assert_eq!(framer.next_frame().unwrap(), None, "a stream waits for the rest of the body");
}

#[test]
fn s3_1_2_3_negative_content_length() {
    assert_eq!(rejected("3.1.2.3-ncl"), ErrorKind::BadContentLength);
}

#[test]
fn s3_1_2_4_request_scalars_too_large() {
    let h = req("3.1.2.4-scalar02").headers;
    assert_eq!(h.cseq().unwrap_err().kind(), &ErrorKind::NumberOutOfRange("CSeq"));
    assert_eq!(h.max_forwards().unwrap_err().kind(), &ErrorKind::NumberOutOfRange("Max-Forwards"));
    assert_eq!(h.expires().unwrap(), Some(u32::MAX));
    assert_eq!(addr(&h.contacts().unwrap()[0]).expires(), Some(u32::MAX));
}

#[test]
fn s3_1_2_5_response_scalars_too_large() {
    let r = resp("3.1.2.5-scalarlg");
    assert_eq!(r.code, 503);
    assert_eq!(r.headers.cseq().unwrap_err().kind(), &ErrorKind::NumberOutOfRange("CSeq"));
}

#[test]
fn s3_1_2_6_unterminated_quoted_string() {
    assert!(req("3.1.2.6-quotbal").headers.to_addr().is_err());
}

#[test]
fn s3_1_2_7_to_10_malformed_request_lines() {
    assert_eq!(rejected("3.1.2.7-ltgtruri"), ErrorKind::BadRequestUri);
    assert_eq!(rejected("3.1.2.8-lwsruri"), ErrorKind::BadStartLine);
    assert_eq!(rejected("3.1.2.9-lwsstart"), ErrorKind::BadStartLine);
    assert_eq!(rejected("3.1.2.10-trws"), ErrorKind::BadStartLine);
}

#[test]
fn s3_1_2_11_escaped_headers_in_request_uri_are_visible() {
    // The RFC allows rejecting or ignoring them; the parser exposes them so the
    // layer above can do either (and never turns them into real headers).
    let uri = req("3.1.2.11-escruri").request_uri().unwrap();
    assert_eq!(uri.sip().unwrap().headers.as_deref(), Some("Route=%3Csip:example.com%3E"));
}

#[test]
fn s3_1_2_12_invalid_date_is_tolerated() {
    let r = req("3.1.2.12-baddate");
    assert_eq!(r.headers.str("Date"), Some("Fri, 01 Jan 2010 16:00:00 EST"));
    assert!(r.headers.cseq().is_ok() && r.headers.from_addr().is_ok());
}

#[test]
fn s3_1_2_13_unbracketed_uri_with_headers() {
    assert!(req("3.1.2.13-regbadct").headers.contacts().is_err());
}

#[test]
fn s3_1_2_14_spaces_within_addr_spec() {
    let h = req("3.1.2.14-badaspec").headers;
    assert_eq!(h.from_addr().unwrap().display.as_deref(), Some("Bell, Alexander"));
    assert!(h.to_addr().is_err());
}

#[test]
fn s3_1_2_15_non_token_display_name() {
    let h = req("3.1.2.15-baddn").headers;
    assert!(h.from_addr().is_err() && h.to_addr().is_err());
}

#[test]
fn s3_1_2_16_unknown_version_parses_for_a_505() {
    let r = req("3.1.2.16-badvers");
    assert_eq!(r.version, "SIP/7.0");
    assert!(!r.is_sip2());
    assert_eq!(r.headers.top_via().unwrap().version, "7.0");
}

#[test]
fn s3_1_2_17_18_cseq_method_mismatch_is_visible() {
    let r = req("3.1.2.17-mismatch01");
    assert_eq!((r.method.as_str(), r.headers.cseq().unwrap().method.as_str()), ("OPTIONS", "INVITE"));
    let r = req("3.1.2.18-mismatch02");
    assert_eq!((r.method.as_str(), r.headers.cseq().unwrap().method.as_str()), ("NEWMETHOD", "INVITE"));
    assert_eq!(r.body.len(), 138);
}

#[test]
fn s3_1_2_19_overlarge_status_code() {
    assert_eq!(rejected("3.1.2.19-bigcode"), ErrorKind::BadStatusCode);
}

#[test]
fn s3_2_and_3_3_application_level_cases_parse() {
    assert_eq!(req("3.2.1-badbranch").headers.top_via().unwrap().branch(), Some("z9hG4bK"));
    let insuf = req("3.3.1-insuf").headers;
    assert_eq!(insuf.call_id().unwrap_err().kind(), &ErrorKind::MissingHeader("Call-ID"));
    assert!(insuf.from_addr().is_err() && insuf.to_addr().is_err());
    let unk = req("3.3.2-unkscm").request_uri().unwrap();
    assert_eq!((unk.scheme(), unk.sip().is_none()), ("nobodyKnowsThisScheme", true));
    assert_eq!(req("3.3.3-novelsc").request_uri().unwrap().scheme(), "soap.beep");
    let h = req("3.3.4-unksm2").headers;
    assert_eq!(h.to_addr().unwrap().uri.scheme(), "isbn");
    assert_eq!(h.from_addr().unwrap().uri.as_str(), "http://www.example.com");
    assert_eq!(addr(&h.contacts().unwrap()[0]).uri.as_str(), "name:John_Smith");
    assert!(req("3.3.5-bext01").headers.contains("Proxy-Require"));
    assert_eq!(resp("3.3.10-bcast").headers.vias().unwrap()[1].host, "255.255.255.255");
    assert_eq!(req("3.3.11-zeromf").headers.max_forwards().unwrap(), Some(0));
}

#[test]
fn s3_3_12_13_contact_params_inside_and_outside_brackets() {
    let c1 = req("3.3.12-cparam01").headers.contacts().unwrap();
    let a = addr(&c1[0]);
    assert!(a.param("unknownparam").is_some() && a.uri.param("unknownparam").is_none());
    let c2 = req("3.3.13-cparam02").headers.contacts().unwrap();
    let b = addr(&c2[0]);
    assert!(b.param("unknownparam").is_none() && b.uri.param("unknownparam").is_some());
}

#[test]
fn s3_4_1_rfc2543_request_without_content_length() {
    let r = req("3.4.1-inv2543");
    assert_eq!(r.body.len(), 105, "no Content-Length on UDP: the body is the rest of the datagram");
    assert_eq!(r.headers.top_via().unwrap().branch(), None);
    assert_eq!(r.headers.max_forwards().unwrap(), None);
}
