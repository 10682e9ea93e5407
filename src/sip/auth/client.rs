//! The client side of digest: the Authorization that answers a challenge (RFC 2617 §3.2.2, RFC 7616 §3.4).
//!
//! The arithmetic is [`super::digest`]'s, the very code that verifies answers
//! made to our own challenges, so the two sides cannot drift apart. Each
//! challenge's nonce is answered once (a generated request is retried at most
//! once), so `nc` is always `00000001`.

use super::digest::{response, Algorithm, DigestInput, QopAuth};
use crate::sip::msg::Credentials;

/// The nonce count of the one answer made to a nonce.
const NC: &str = "00000001";

/// Whether `challenge` is one [`answer`] can answer: Digest with a nonce, MD5 or
/// SHA-256, and, when it names a `qop`, `auth` among them (`auth-int` alone is not
/// supported).
pub fn answerable(challenge: &Credentials) -> bool {
    challenge.is_digest()
        && challenge.nonce().is_some()
        && Algorithm::from_param(challenge.algorithm()).is_some()
        && challenge.qop().map_or(true, offers_auth)
}

fn offers_auth(qop: &str) -> bool {
    qop.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth"))
}

/// The `Authorization` / `Proxy-Authorization` value answering `challenge` for a
/// request with `method` and Request-URI `uri`, or `None` if it is not
/// [`answerable`]. `cnonce` is used only when the challenge offers `qop=auth`.
///
/// The digest `uri` is the Request-URI as sent, parameters included, as RFC 3261
/// §22.4 asks (Yate strips the parameters; servers that compare the two, Yate
/// among them, accept either).
pub fn answer(
    challenge: &Credentials,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> Option<String> {
    if !answerable(challenge) {
        return None;
    }
    let algorithm = Algorithm::from_param(challenge.algorithm())?;
    let nonce = challenge.nonce()?;
    let realm = challenge.realm().unwrap_or_default();
    let qop = challenge.qop().is_some().then_some(QopAuth { nc: NC, cnonce });
    let input = DigestInput { algorithm, username, realm, password, method, uri, nonce, qop };
    let digest = response(&input);
    let mut params = vec![
        ("username", username, true),
        ("realm", realm, true),
        ("nonce", nonce, true),
        ("uri", uri, true),
        ("response", digest.as_str(), true),
        ("algorithm", algorithm.name(), false),
    ];
    if qop.is_some() {
        params.extend([("qop", "auth", false), ("nc", NC, false), ("cnonce", cnonce, true)]);
    }
    if let Some(opaque) = challenge.opaque_param() {
        params.push(("opaque", opaque, true));
    }
    Some(Credentials::digest(&params).to_wire())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::auth::{AuthConfig, Authenticator, Presented, Verdict};
    use crate::sip::msg::Request;
    use std::time::SystemTime;

    fn parse(value: &str) -> Credentials {
        let req = Request::new("MESSAGE", "sip:x@y").with_header("WWW-Authenticate", value);
        req.headers.www_authenticate().unwrap().remove(0)
    }

    #[test]
    fn yate_challenge_without_qop_gives_the_spec_vector() {
        // shared/spec/sip.md §5.2: the response Yate expects for this nonce.
        let ch = parse("Digest realm=\"Yate\", nonce=\"0123456789abcdef.1700000000\", stale=FALSE, algorithm=MD5");
        let auth = answer(&ch, "alice", "secret", "REGISTER", "sip:127.0.0.1:5070", "unused").unwrap();
        assert_eq!(
            auth,
            "Digest username=\"alice\", realm=\"Yate\", nonce=\"0123456789abcdef.1700000000\", \
uri=\"sip:127.0.0.1:5070\", response=\"0e330fb14b1e0a02c5fe4020b359b167\", algorithm=MD5"
        );
    }

    #[test]
    fn answers_pass_our_own_verification() {
        let now = SystemTime::now();
        for (algorithm, qop) in [(Algorithm::Md5, true), (Algorithm::Md5, false), (Algorithm::Sha256, true)] {
            let cfg =
                AuthConfig { algorithms: vec![algorithm], qop, opaque: Some("op4que".into()), ..AuthConfig::default() };
            let server = Authenticator::new(cfg);
            let ch = parse(&server.challenge(now, false)[0]);
            let uri = "sip:bob@127.0.0.1:5072;transport=udp";
            let auth = answer(&ch, "alice", "secret", "MESSAGE", uri, "c0ffee").unwrap();
            assert_eq!(auth.contains("qop=auth, nc=00000001, cnonce=\"c0ffee\""), qop, "{auth}");
            let req = Request::new("MESSAGE", uri).with_header("Authorization", auth.as_str());
            let Presented::Ours { creds, issued } = server.select(&req.headers.authorization().unwrap()) else {
                panic!("not ours: {auth}");
            };
            assert_eq!(server.verify(&creds, issued, "MESSAGE", "secret", now), Verdict::Ok, "{auth}");
            assert_eq!(server.verify(&creds, issued, "MESSAGE", "wrong", now), Verdict::Wrong);
        }
    }

    #[test]
    fn unanswerable_challenges() {
        for value in [
            "Basic realm=\"x\"",
            "Digest realm=\"x\"",
            "Digest realm=\"x\", nonce=\"n\", algorithm=MD5-sess",
            "Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\"",
        ] {
            let ch = parse(value);
            assert!(!answerable(&ch), "{value}");
            assert_eq!(answer(&ch, "u", "p", "MESSAGE", "sip:a@b", "c"), None);
        }
        assert!(answerable(&parse("Digest realm=\"x\", nonce=\"n\", qop=\"auth-int,auth\"")));
    }
}
