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

use super::body::{split_multipart, BodyClass, BodyEncoding};
use super::headers::Headers;
use super::typed::MediaType;
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
    /// Export the headers Yate handles itself too, as `sipheader_<name>`
    /// (`[general] initial_headers=yes`).
    pub initial_headers: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { from_to: true, auth: false, body_encoding: BodyEncoding::Base64, initial_headers: false }
    }
}

impl Message {
    /// The `sip_*` parameters for this message's headers, with default options.
    pub fn yate_params(&self) -> Vec<(String, Vec<u8>)> {
        self.yate_params_with(&ExportOptions::default())
    }

    /// The `sip_*` parameters for this message's headers.
    pub fn yate_params_with(&self, opts: &ExportOptions) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        header_params(self.headers(), opts, |name, value| out.push((name.to_owned(), value.to_vec())));
        out
    }

    /// The `xsip_type` / `xsip_body_encoding` / `xsip_body` parameters for the body
    /// (sip.md §1.4): nothing for SDP, an empty body or no Content-Type; multipart
    /// parts numbered `""`, `.1`, `.2`, … with part headers as `.header_<Name>`.
    pub fn yate_body_params(&self, opts: &ExportOptions) -> Vec<(String, Vec<u8>)> {
        body_params_of(self.headers(), self.body(), opts)
    }
}

/// Calls `f` with each `sip_*` parameter of `headers` (see
/// [`Message::yate_params_with`]), in header order, without copying the message.
pub fn header_params(headers: &Headers, opts: &ExportOptions, mut f: impl FnMut(&str, &[u8])) {
    let skip = |name: &str| {
        !opts.auth && AUTH.iter().any(|c| c.eq_ignore_ascii_case(name))
            || !opts.from_to && (name.eq_ignore_ascii_case("From") || name.eq_ignore_ascii_case("To"))
    };
    let critical = |name: &str| CRITICAL.iter().any(|c| c.eq_ignore_ascii_case(name));
    let mut key = String::new();
    for h in headers.iter() {
        let name = h.full_name();
        if skip(name) {
            continue;
        }
        let prefix = match critical(name) {
            false => "sip_",
            true if opts.initial_headers => "sipheader_",
            true => continue,
        };
        key.clear();
        key.push_str(prefix);
        key.extend(name.chars().map(|c| c.to_ascii_lowercase()));
        f(&key, h.value());
    }
}

/// [`Message::yate_body_params`] for a message's headers and body.
pub fn body_params_of(headers: &Headers, body: &[u8], opts: &ExportOptions) -> Vec<(String, Vec<u8>)> {
    match headers.content_type() {
        Ok(Some(ct)) => body_params(&ct, body, opts.body_encoding),
        _ => Vec::new(),
    }
}

/// `xsip_*` parameters for a body of type `ct` (see [`Message::yate_body_params`]).
fn body_params(ct: &MediaType, body: &[u8], enc: BodyEncoding) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if body.is_empty() {
        return out;
    }
    if BodyClass::of(&ct.essence(), body) != BodyClass::Multipart {
        push_part(&mut out, "", ct, body, enc, None);
        return out;
    }
    let parts = ct.param("boundary").and_then(|b| split_multipart(body, b)).unwrap_or_default();
    for p in &parts {
        let Ok(Some(pct)) = p.headers.content_type() else { continue };
        let suffix =
            if out.iter().any(|(n, _)| n == "xsip_type") { format!(".{}", count(&out)) } else { String::new() };
        push_part(&mut out, &suffix, &pct, &p.body, enc, Some(&p.headers));
    }
    out
}

fn count(out: &[(String, Vec<u8>)]) -> usize {
    out.iter().filter(|(n, _)| n.starts_with("xsip_type")).count()
}

fn push_part(
    out: &mut Vec<(String, Vec<u8>)>,
    sfx: &str,
    ct: &MediaType,
    body: &[u8],
    enc: BodyEncoding,
    hdrs: Option<&Headers>,
) {
    let class = BodyClass::of(&ct.essence(), body);
    if matches!(class, BodyClass::Sdp | BodyClass::Multipart) || body.is_empty() {
        return;
    }
    out.push((["xsip_type", sfx].concat(), [ct.kind.as_str(), "/", ct.subtype.as_str()].concat().into_bytes()));
    if class == BodyClass::Binary {
        out.push((["xsip_body_encoding", sfx].concat(), enc.name().as_bytes().to_vec()));
        out.push((["xsip_body", sfx].concat(), enc.encode(body)));
    } else {
        out.push((["xsip_body", sfx].concat(), body.to_vec()));
    }
    for h in hdrs.into_iter().flatten().filter(|h| !h.is("Content-Type")) {
        out.push((format!("xsip_body{sfx}.header_{}", h.name()), h.value().to_vec()));
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
        let initial = ExportOptions { initial_headers: true, ..Default::default() };
        assert_eq!(
            names(&m.yate_params_with(&initial))[..5],
            ["sipheader_via", "sipheader_max-forwards", "sip_from", "sip_to", "sipheader_call-id"]
        );
    }

    #[test]
    fn multipart_body_numbers_parts_and_skips_sdp() {
        let body = b"--b1\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\n\x00\xff\r\n--b1--\r\n";
        let ct = MediaType::parse("multipart/mixed;boundary=b1").unwrap();
        let p = body_params(&ct, body, BodyEncoding::Hex);
        let names: Vec<_> = p.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "xsip_type",
                "xsip_body",
                "xsip_type.1",
                "xsip_body_encoding.1",
                "xsip_body.1",
                "xsip_body.1.header_Content-Disposition"
            ]
        );
        assert_eq!(p[4].1, b"00ff");
    }

    #[test]
    fn binary_and_sdp_bodies() {
        let png = MediaType::parse("image/png").unwrap();
        let p = body_params(&png, &[0x89, b'P'], BodyEncoding::Base64);
        assert_eq!(p[1], ("xsip_body_encoding".to_owned(), b"base64".to_vec()));
        assert_eq!(p[2].1, b"iVA=");
        assert!(body_params(&MediaType::parse("application/sdp").unwrap(), b"v=0", BodyEncoding::Raw).is_empty());
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
