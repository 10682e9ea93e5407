//! `authname`/`password`: a generated request challenged with 401/407 is sent once more with credentials.
//!
//! As Yate's transaction does on a challenge: the same request with a new Via
//! branch, CSeq + 1 (same Call-ID and From tag) and an `Authorization` (401) or
//! `Proxy-Authorization` (407) header answering the first challenge we can
//! answer. Only one retry: the answer to it is final, even another challenge.
//! The digest itself is `sip::auth::client`'s.

use crate::sip::auth::client;
use crate::sip::consts::BRANCH_COOKIE;
use crate::sip::msg::{new_tag, Request, Response};

/// The credentials a message supplies for answering a challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoAuth {
    /// `authname`, else `user`.
    pub username: String,
    /// `password`.
    pub password: String,
}

impl AutoAuth {
    /// Yate's `authname` (else `user`) plus `password`, both non-empty. A present
    /// but empty `authname` does not fall back to `user`: Yate reads it as no name.
    pub fn from_message(msg: &crate::runtime::message::Message) -> Option<AutoAuth> {
        let value = |k: &[u8]| msg.get(k).map(|v| String::from_utf8_lossy(v).into_owned());
        let username = value(b"authname").or_else(|| value(b"user")).filter(|u| !u.is_empty())?;
        let password = value(b"password").filter(|p| !p.is_empty())?;
        Some(AutoAuth { username, password })
    }
}

/// The request to send after `sent` got `answer`, when `answer` is a 401 or 407
/// whose challenge can be answered; `None` otherwise. `cnonce` serves a `qop`.
pub fn authorized_retry(sent: &Request, answer: &Response, auth: &AutoAuth, cnonce: &str) -> Option<Request> {
    let (challenges, header) = match answer.code {
        401 => (answer.headers.www_authenticate().ok()?, "Authorization"),
        407 => (answer.headers.proxy_authenticate().ok()?, "Proxy-Authorization"),
        _ => return None,
    };
    let challenge = challenges.iter().find(|c| client::answerable(c))?;
    let cseq = sent.headers.cseq().ok()?;
    let method = sent.method.as_str();
    let value = client::answer(challenge, &auth.username, &auth.password, method, &sent.uri, cnonce)?;
    let mut retry = sent.clone();
    retry.headers.set("CSeq", format!("{} {}", cseq.seq.checked_add(1)?, cseq.method.as_str()));
    retry.headers.set(header, value);
    new_branch(&mut retry);
    Some(retry)
}

/// A fresh branch in the top Via, when the request carries one already (else the
/// transaction layer adds a Via with a fresh branch anyway).
fn new_branch(req: &mut Request) {
    let Some(old) = req.headers.top_via().ok().and_then(|v| v.branch().map(str::to_owned)) else { return };
    let Some(via) = req.headers.get_mut("Via") else { return };
    let Some(text) = via.as_str().map(str::to_owned) else { return };
    let fresh = format!("{BRANCH_COOKIE}{}", new_tag());
    via.set_value(text.replacen(&format!("branch={old}"), &format!("branch={fresh}"), 1));
}

/// A random client nonce.
pub fn cnonce() -> String {
    new_tag()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::auth::{AuthConfig, Authenticator, Presented, Verdict};
    use std::time::SystemTime;

    fn sent() -> Request {
        let mut r = Request::new("MESSAGE", "sip:bob@127.0.0.1:5072;transport=udp")
            .with_header("Via", "SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKold")
            .with_header("Max-Forwards", "20")
            .with_header("From", "<sip:alice@127.0.0.1>;tag=f1")
            .with_header("To", "<sip:bob@127.0.0.1:5072;transport=udp>")
            .with_header("Call-ID", "c1@127.0.0.1")
            .with_header("CSeq", "7 MESSAGE");
        r.set_body(Some("text/plain"), b"Hello Bob".to_vec());
        r
    }

    fn auth() -> AutoAuth {
        AutoAuth { username: "alice".into(), password: "secret".into() }
    }

    #[test]
    fn a_401_gives_authorization_a_407_proxy_authorization() {
        let now = SystemTime::now();
        let server = Authenticator::new(AuthConfig::default());
        for (code, asks, answers) in
            [(401, "WWW-Authenticate", "Authorization"), (407, "Proxy-Authenticate", "Proxy-Authorization")]
        {
            let challenge = server.challenge(now, false).remove(0);
            let answer = Response::for_request(&sent(), code, "Challenged").with_header(asks, challenge.as_str());
            let retry = authorized_retry(&sent(), &answer, &auth(), "abc").unwrap();
            assert_eq!(retry.headers.str("CSeq"), Some("8 MESSAGE"));
            assert_eq!(retry.headers.str("Call-ID"), Some("c1@127.0.0.1"));
            assert_eq!(retry.headers.str("From"), Some("<sip:alice@127.0.0.1>;tag=f1"));
            assert_eq!(retry.body, b"Hello Bob");
            let via = retry.headers.top_via().unwrap();
            assert!(via.has_rfc3261_branch() && via.branch() != Some("z9hG4bKold"), "{via:?}");
            assert!(retry.headers.str("Via").unwrap().starts_with("SIP/2.0/UDP 127.0.0.1:5060;rport;branch="));
            let creds = match code {
                401 => retry.headers.authorization().unwrap(),
                _ => retry.headers.proxy_authorization().unwrap(),
            };
            assert_eq!(creds.len(), 1, "{answers}");
            let Presented::Ours { creds, issued } = server.select(&creds) else { panic!("{answers}") };
            assert_eq!(creds.uri(), Some("sip:bob@127.0.0.1:5072;transport=udp"));
            assert_eq!(server.verify(&creds, issued, "MESSAGE", "secret", now), Verdict::Ok);
        }
    }

    #[test]
    fn nothing_to_retry() {
        let ok = Response::for_request(&sent(), 200, "OK");
        assert_eq!(authorized_retry(&sent(), &ok, &auth(), "c"), None);
        let bare = Response::for_request(&sent(), 401, "Unauthorized");
        assert_eq!(authorized_retry(&sent(), &bare, &auth(), "c"), None, "no challenge header");
        let basic = bare.clone().with_header("WWW-Authenticate", "Basic realm=\"x\"");
        assert_eq!(authorized_retry(&sent(), &basic, &auth(), "c"), None);
        let proxy_on_401 = bare.with_header("Proxy-Authenticate", "Digest realm=\"x\", nonce=\"n\"");
        assert_eq!(
            authorized_retry(&sent(), &proxy_on_401, &auth(), "c"),
            None,
            "a 401 is answered from WWW-Authenticate"
        );
    }

    #[test]
    fn credentials_from_the_message() {
        let m = |params: &[(&str, &str)]| {
            let mut m = crate::runtime::message::Message::new("xsip.generate");
            for (k, v) in params {
                m.add(k.as_bytes(), v.as_bytes());
            }
            AutoAuth::from_message(&m)
        };
        let a = |u: &str| Some(AutoAuth { username: u.into(), password: "pw".into() });
        assert_eq!(m(&[("user", "svc"), ("password", "pw")]), a("svc"));
        assert_eq!(m(&[("user", "svc"), ("authname", "acct"), ("password", "pw")]), a("acct"));
        assert_eq!(m(&[("user", "svc"), ("authname", ""), ("password", "pw")]), None);
        assert_eq!(m(&[("user", "svc")]), None);
        assert_eq!(m(&[("user", "svc"), ("password", "")]), None);
        assert_eq!(m(&[("password", "pw")]), None);
    }
}
