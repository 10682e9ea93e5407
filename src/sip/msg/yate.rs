//! Yate's view of a request: headers as `sip_<name>` parameters, bodies as `xsip_*`.
//!
//! This mirrors what ysipchan puts into a `sip.<method>` (or `user.register`) bus
//! message, per `shared/spec/sip.md` §1.3–1.4:
//!
//! * one `sip_<name>` per header line, the name lower-cased with compact forms
//!   expanded (`s:` gives `sip_subject`), the value being the text after the colon
//!   (unfolded here: each fold becomes one space);
//! * repeated headers give repeated parameters, in order;
//! * Via, Route, Record-Route, Call-ID, CSeq, Max-Forwards and Content-Length are
//!   left out, and so are the four authentication headers unless `auth_foreign`;
//! * From and To are included except on the REGISTER path;
//! * Content-Type and the other `Content-*` headers are included (sip.md infers that
//!   Yate's filter misses them; unverified against a live Yate).

use super::body::{body_params, BodyEncoding};
use super::Message;

/// Headers Yate never copies (it handles them itself).
const CRITICAL: [&str; 7] = ["Via", "Route", "Record-Route", "Call-ID", "CSeq", "Max-Forwards", "Content-Length"];

/// Headers copied only with `auth_foreign=yes`.
const AUTH: [&str; 4] = ["Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate"];

/// Which headers to export, following ysipchan's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    /// Include From and To (true for `sip.<method>`, false for `user.register`).
    pub from_to: bool,
    /// Include the authentication headers (`[general] auth_foreign=yes`).
    pub auth: bool,
    /// How binary bodies are encoded into `xsip_body` (`[general] body_encoding`).
    pub body_encoding: BodyEncoding,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { from_to: true, auth: false, body_encoding: BodyEncoding::Base64 }
    }
}

impl Message {
    /// The `sip_*` parameters for this message's headers, with default options.
    pub fn yate_params(&self) -> Vec<(String, Vec<u8>)> {
        self.yate_params_with(&ExportOptions::default())
    }

    /// The `sip_*` parameters for this message's headers.
    pub fn yate_params_with(&self, opts: &ExportOptions) -> Vec<(String, Vec<u8>)> {
        let skip = |name: &str| {
            CRITICAL.iter().any(|c| c.eq_ignore_ascii_case(name))
                || !opts.auth && AUTH.iter().any(|c| c.eq_ignore_ascii_case(name))
                || !opts.from_to && (name.eq_ignore_ascii_case("From") || name.eq_ignore_ascii_case("To"))
        };
        self.headers()
            .iter()
            .filter(|h| !skip(h.full_name()))
            .map(|h| (format!("sip_{}", h.full_name().to_ascii_lowercase()), h.value().to_vec()))
            .collect()
    }

    /// The `xsip_type` / `xsip_body_encoding` / `xsip_body` parameters for the body
    /// (sip.md §1.4): nothing for SDP, an empty body or no Content-Type; multipart
    /// parts numbered `""`, `.1`, `.2`, … with part headers as `.header_<Name>`.
    pub fn yate_body_params(&self, opts: &ExportOptions) -> Vec<(String, Vec<u8>)> {
        match self.headers().content_type() {
            Ok(Some(ct)) => body_params(&ct, self.body(), opts.body_encoding),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\nf: \"Alice\" <sip:alice@127.0.0.1>;tag=poqas\r\nTo: <sip:bob@127.0.0.1>\r\ni: c@h\r\n\
CSeq: 2 MESSAGE\r\nAuthorization: Digest username=\"alice\"\r\ns: hi\r\n there\r\nX-A: 1\r\nx-a: 2\r\n\
Content-Type: text/plain;charset=utf-8\r\nl: 9\r\n\r\nHello Bob";

    fn names(params: &[(String, Vec<u8>)]) -> Vec<&str> {
        params.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn exports_like_ysipchan() {
        let m = parse(MSG).unwrap();
        let p = m.yate_params();
        assert_eq!(names(&p), ["sip_from", "sip_to", "sip_subject", "sip_x-a", "sip_x-a", "sip_content-type"]);
        assert_eq!(p[0].1, b"\"Alice\" <sip:alice@127.0.0.1>;tag=poqas");
        assert_eq!(p[2].1, b"hi there");
        assert_eq!(p[4].1, b"2");
        let reg = ExportOptions { from_to: false, auth: true, ..Default::default() };
        assert_eq!(names(&m.yate_params_with(&reg))[0], "sip_authorization");
    }

    #[test]
    fn text_body() {
        let m = parse(MSG).unwrap();
        let p = m.yate_body_params(&ExportOptions::default());
        assert_eq!(
            p,
            [("xsip_type".to_owned(), b"text/plain".to_vec()), ("xsip_body".to_owned(), b"Hello Bob".to_vec())]
        );
    }
}
