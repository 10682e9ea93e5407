//! Transaction keys: how a request or response finds its transaction (RFC 3261 §17.1.3, §17.2.3).
//!
//! Server transactions are keyed by the top Via's branch, sent-by and the
//! request method when the branch carries the `z9hG4bK` cookie. Yate compares
//! the branch only; RFC 3261 adds sent-by so that two clients picking the same
//! branch cannot collide, and we follow the RFC. Requests from RFC 2543
//! clients (no cookie) fall back to the older match: Request-URI, From tag, To
//! tag, Call-ID, CSeq and the whole top Via. ACK, which would match its INVITE
//! transaction, never gets here (INVITE is out of scope).
//!
//! Client transactions are keyed by the branch we generated and the CSeq method.

use crate::sip::consts::BRANCH_COOKIE;
use crate::sip::msg::{ParseError, Request, Response, Via};

/// The key of a server transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServerKey {
    /// RFC 3261: branch (with cookie), sent-by, method.
    Branch {
        /// The branch, compared exactly.
        branch: String,
        /// `host[:port]` of the top Via, host lower-cased.
        sent_by: String,
        /// The request method.
        method: String,
    },
    /// RFC 2543 fallback for branches without the cookie.
    Legacy {
        /// The Request-URI text.
        uri: String,
        /// From tag (empty when absent).
        from_tag: String,
        /// To tag (empty when absent).
        to_tag: String,
        /// Call-ID.
        call_id: String,
        /// CSeq number.
        cseq: u32,
        /// CSeq method.
        method: String,
        /// The whole top Via, normalised.
        via: String,
    },
}

impl ServerKey {
    /// The key of `req`, or why it has none (a missing or malformed top Via,
    /// or, for the RFC 2543 match, a bad Call-ID, CSeq, From or To).
    pub fn for_request(req: &Request) -> Result<ServerKey, ParseError> {
        let via = req.headers.top_via()?;
        match via.branch() {
            Some(branch) if branch.starts_with(BRANCH_COOKIE) => Ok(ServerKey::Branch {
                branch: branch.to_owned(),
                sent_by: sent_by(&via),
                method: req.method.as_str().to_owned(),
            }),
            _ => legacy(req, &via),
        }
    }
}

fn legacy(req: &Request, via: &Via) -> Result<ServerKey, ParseError> {
    let h = &req.headers;
    let cseq = h.cseq()?;
    // `received`/`rport` were stamped by our transport from the packet source;
    // a retransmission from the same source stamps the same values.
    Ok(ServerKey::Legacy {
        uri: req.uri.clone(),
        from_tag: h.from_addr()?.tag().unwrap_or_default().to_owned(),
        to_tag: h.to_addr()?.tag().unwrap_or_default().to_owned(),
        call_id: h.call_id()?.to_owned(),
        cseq: cseq.seq,
        method: cseq.method.as_str().to_owned(),
        via: via.to_wire(),
    })
}

fn sent_by(via: &Via) -> String {
    let mut sent_by = via.host.to_ascii_lowercase();
    if let Some(p) = via.port {
        sent_by.push(':');
        crate::sip::msg::text::push_decimal(&mut sent_by, p);
    }
    sent_by
}

/// The key of a client transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The branch of the top Via we sent.
    pub branch: String,
    /// The CSeq method.
    pub method: String,
}

impl ClientKey {
    /// The key of a request we are about to send.
    pub fn for_request(req: &Request) -> Result<ClientKey, ParseError> {
        let via = req.headers.top_via()?;
        let method = req.headers.cseq()?.method.as_str().to_owned();
        Ok(ClientKey { branch: via.branch().unwrap_or_default().to_owned(), method })
    }

    /// The key a response matches (§17.1.3), `None` when its top Via or CSeq is unreadable.
    pub fn for_response(resp: &Response) -> Option<ClientKey> {
        let via = resp.headers.top_via().ok()?;
        let branch = via.branch()?.to_owned();
        Some(ClientKey { branch, method: resp.headers.cseq().ok()?.method.as_str().to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::msg::{parse, Message};

    fn req(via: &str, method: &str) -> Request {
        let text = format!(
            "{method} sip:b@h SIP/2.0\r\nVia: {via}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n\
Call-ID: c\r\nCSeq: 1 {method}\r\n\r\n"
        );
        match parse(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn branch_sent_by_and_method_make_the_key() {
        let a = ServerKey::for_request(&req("SIP/2.0/UDP Host:5060;branch=z9hG4bKx", "MESSAGE")).unwrap();
        let b = ServerKey::for_request(&req("SIP/2.0/UDP host:5060;branch=z9hG4bKx;received=1.2.3.4", "MESSAGE"));
        assert_eq!(a, b.unwrap());
        let other_host = ServerKey::for_request(&req("SIP/2.0/UDP elsewhere:5060;branch=z9hG4bKx", "MESSAGE"));
        assert_ne!(a, other_host.unwrap());
        let other_method = ServerKey::for_request(&req("SIP/2.0/UDP host:5060;branch=z9hG4bKx", "PUBLISH"));
        assert_ne!(a, other_method.unwrap());
    }

    #[test]
    fn rfc2543_fallback_without_cookie() {
        let k = ServerKey::for_request(&req("SIP/2.0/UDP host;branch=old1", "MESSAGE")).unwrap();
        assert!(matches!(&k, ServerKey::Legacy { cseq: 1, from_tag, .. } if from_tag == "1"));
        let no_branch = ServerKey::for_request(&req("SIP/2.0/UDP host", "MESSAGE")).unwrap();
        assert_ne!(k, no_branch);
        assert!(ServerKey::for_request(&req("garbage", "MESSAGE")).is_err());
    }

    #[test]
    fn client_key_matches_its_response() {
        let r = req("SIP/2.0/UDP me;branch=z9hG4bKq", "MESSAGE");
        let resp = Response::for_request(&r, 200, "OK");
        assert_eq!(ClientKey::for_request(&r).unwrap(), ClientKey::for_response(&resp).unwrap());
    }
}
