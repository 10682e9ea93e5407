//! Admission: which code a new request gets before the transaction user sees it (sip.md §1.1).
//!
//! Yate's order, kept here:
//!
//! 1. A request without a readable Call-ID, CSeq, From or To gets `400`
//!    (Yate checks these four; we also need the top Via for the key). A
//!    version other than SIP/2.0 gets `505`. Both are answered statelessly.
//! 2. A method not in the Allow list gets `501 Not Implemented`.
//! 3. OPTIONS is answered here: `200` with Allow.
//! 4. Dialog methods this server cannot serve (there are no calls): BYE,
//!    CANCEL, PRACK and UPDATE get `481` (Yate: "outside a known call"),
//!    INVITE gets `405` when it is in the Allow list at all. Keeping INVITE
//!    out of the list (the default) gives the more honest `501`.
//! 5. Everything else allowed goes to the transaction user, after `100 Trying`
//!    unless `lazy100`.
//!
//! Methods are compared case-sensitively (RFC 3261 §7.1), as Yate does.

use super::key::ServerKey;
use super::Config;
use crate::sip::msg::{Header, Request, Response};

/// What the endpoint does with a new, well-formed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decision {
    /// Answer with this final code at once.
    Answer(u16),
    /// Answer 200 with Allow.
    Options,
    /// Hand to the transaction user.
    User,
}

/// The transaction key of `req`, or the code of the stateless answer it gets.
pub(super) fn validate(req: &Request) -> Result<ServerKey, u16> {
    let h = &req.headers;
    if h.call_id().is_err() || h.cseq().is_err() || h.from_addr().is_err() || h.to_addr().is_err() {
        return Err(400);
    }
    let key = ServerKey::for_request(req).map_err(|_| 400u16)?;
    if !req.is_sip2() {
        return Err(505);
    }
    Ok(key)
}

/// The methods whose dialog or transaction can never exist here, and their answer.
fn dialog_answer(method: &str) -> Option<u16> {
    match method {
        "BYE" | "CANCEL" | "PRACK" | "UPDATE" => Some(481),
        "INVITE" => Some(405),
        _ => None,
    }
}

/// Steps 2 to 5 above.
pub(super) fn decide(req: &Request, config: &Config) -> Decision {
    let method = req.method.as_str();
    if !config.allow.iter().any(|m| m == method) {
        return Decision::Answer(501);
    }
    if method == "OPTIONS" {
        return Decision::Options;
    }
    match dialog_answer(method) {
        Some(code) => Decision::Answer(code),
        None => Decision::User,
    }
}

/// What a transaction keeps of its request to build its own responses (100,
/// 500, 501, …): the headers a response copies, not the body.
pub(super) fn skeleton(req: &Request) -> Request {
    let mut s = Request::new(req.method.as_str(), req.uri.clone());
    s.version.clone_from(&req.version);
    let copied = ["Via", "From", "To", "Call-ID", "CSeq", "Timestamp"];
    for h in req.headers.iter().filter(|h| copied.iter().any(|n| h.is(n))) {
        s.headers.push(h.clone());
    }
    s
}

/// The `Allow` value: the configured methods, comma separated.
pub(super) fn allow_value(config: &Config) -> String {
    config.allow.join(", ")
}

/// Adds what Yate adds to every response it sends: `Allow` and, when
/// configured, `Server`; headers the transaction user set are kept.
pub(super) fn decorate(resp: &mut Response, config: &Config) {
    if let Some(server) = &config.server_header {
        if !resp.headers.contains("Server") {
            insert_before_length(resp, Header::new("Server", server.as_str()));
        }
    }
    if !resp.headers.contains("Allow") {
        insert_before_length(resp, Header::new("Allow", allow_value(config)));
    }
}

/// Inserts before Content-Length, so the length stays the last header as
/// `Response::for_request` wrote it (cosmetic, and what Yate's output looks like).
fn insert_before_length(resp: &mut Response, header: Header) {
    let at = resp.headers.iter().position(|h| h.is("Content-Length")).unwrap_or(resp.headers.len());
    resp.headers.insert(at, header);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::msg::{parse, Message};

    fn req(method: &str, extra: &str) -> Request {
        let text = format!(
            "{method} sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n\
To: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\n{extra}Content-Length: 2\r\n\r\nhi"
        );
        match parse(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn config(allow: &[&str]) -> Config {
        Config { allow: allow.iter().map(|s| s.to_string()).collect(), ..Config::default() }
    }

    #[test]
    fn yate_allow_rules() {
        let c = config(&["OPTIONS", "MESSAGE", "INVITE", "BYE"]);
        assert_eq!(decide(&req("PUBLISH", ""), &c), Decision::Answer(501));
        assert_eq!(decide(&req("message", ""), &c), Decision::Answer(501));
        assert_eq!(decide(&req("OPTIONS", ""), &c), Decision::Options);
        assert_eq!(decide(&req("MESSAGE", ""), &c), Decision::User);
        assert_eq!(decide(&req("INVITE", ""), &c), Decision::Answer(405));
        assert_eq!(decide(&req("BYE", ""), &c), Decision::Answer(481));
        assert_eq!(decide(&req("CANCEL", ""), &c), Decision::Answer(501));
    }

    #[test]
    fn malformed_and_versions() {
        assert!(validate(&req("MESSAGE", "")).is_ok());
        let mut no_from = req("MESSAGE", "");
        no_from.headers.remove("From");
        assert_eq!(validate(&no_from), Err(400));
        let mut bad_cseq = req("MESSAGE", "");
        bad_cseq.headers.set("CSeq", "x MESSAGE");
        assert_eq!(validate(&bad_cseq), Err(400));
        let mut v7 = req("MESSAGE", "");
        v7.version = "SIP/7.0".into();
        assert_eq!(validate(&v7), Err(505));
    }

    #[test]
    fn skeleton_and_decoration() {
        let r = req("MESSAGE", "Timestamp: 5\r\nSubject: s\r\n");
        let s = skeleton(&r);
        assert!(s.body.is_empty() && !s.headers.contains("Subject") && s.headers.contains("Timestamp"));
        let c = Config { server_header: Some("rexroute".into()), ..config(&["OPTIONS", "MESSAGE"]) };
        let mut resp = Response::for_request(&s, 200, "OK");
        decorate(&mut resp, &c);
        let names: Vec<&str> = resp.headers.iter().map(|h| h.name()).collect();
        assert_eq!(names[names.len() - 3..], ["Server", "Allow", "Content-Length"]);
        assert_eq!(resp.headers.str("Allow"), Some("OPTIONS, MESSAGE"));
    }
}
