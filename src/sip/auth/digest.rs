//! Digest arithmetic: HA1, HA2 and the response for MD5 and SHA-256 (RFC 2617 §3.2.2, RFC 7616 §3.4.1).
//!
//! The hashes themselves come from RustCrypto (`md-5`, `sha2`); this file only
//! strings the RFC's colon-separated inputs together, so each line can be checked
//! against the RFCs' worked examples (see the tests).

use md5::Md5;
use sha2::{Digest, Sha256};

/// A digest algorithm we can verify and offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5`, RFC 2617; what Yate and every SIP client speak.
    Md5,
    /// `SHA-256`, RFC 7616 / RFC 8760.
    Sha256,
}

impl Algorithm {
    /// The token used in `algorithm=` (`MD5`, `SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Reads an `algorithm=` token, case-insensitively; absent means MD5 (RFC 2617
    /// §3.2.1). The `-sess` variants are not supported and give `None`.
    pub fn from_param(token: Option<&str>) -> Option<Algorithm> {
        match token {
            None => Some(Algorithm::Md5),
            Some(t) if t.eq_ignore_ascii_case("MD5") => Some(Algorithm::Md5),
            Some(t) if t.eq_ignore_ascii_case("SHA-256") => Some(Algorithm::Sha256),
            Some(_) => None,
        }
    }

    /// Lower-case hex of the hash of `data`.
    pub fn hex(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 => to_hex(&Md5::digest(data)),
            Algorithm::Sha256 => to_hex(&Sha256::digest(data)),
        }
    }

    /// How many hex digits a response has (32 for MD5, 64 for SHA-256).
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 => 32,
            Algorithm::Sha256 => 64,
        }
    }
}

/// The `qop=auth` extras a response was computed with (RFC 2617 §3.2.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QopAuth<'a> {
    /// `nc`, exactly as sent (8 hex digits).
    pub nc: &'a str,
    /// `cnonce`, exactly as sent.
    pub cnonce: &'a str,
}

/// Everything a digest response covers, text exactly as it travels in the header.
#[derive(Clone, Copy, Debug)]
pub struct DigestInput<'a> {
    /// The hash function.
    pub algorithm: Algorithm,
    /// `username` from the credentials.
    pub username: &'a str,
    /// `realm` from the credentials.
    pub realm: &'a str,
    /// The password the `user.auth` handler returned.
    pub password: &'a str,
    /// The request method (`REGISTER`).
    pub method: &'a str,
    /// `uri` from the credentials, not the Request-URI (sipp sends a different one).
    pub uri: &'a str,
    /// `nonce` from the credentials.
    pub nonce: &'a str,
    /// `None` for RFC 2069-style responses (no `qop`), as Yate computes them.
    pub qop: Option<QopAuth<'a>>,
}

/// `H(username ":" realm ":" password)`.
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hex(format!("{username}:{realm}:{password}").as_bytes())
}

/// `H(method ":" uri)` (qop `auth` or none; `auth-int` is not supported).
pub fn ha2(algorithm: Algorithm, method: &str, uri: &str) -> String {
    algorithm.hex(format!("{method}:{uri}").as_bytes())
}

/// The expected `response` value, lower-case hex.
pub fn response(input: &DigestInput<'_>) -> String {
    let a = input.algorithm;
    let h1 = ha1(a, input.username, input.realm, input.password);
    let h2 = ha2(a, input.method, input.uri);
    let text = match input.qop {
        Some(q) => format!("{h1}:{}:{}:{}:auth:{h2}", input.nonce, q.nc, q.cnonce),
        None => format!("{h1}:{}:{h2}", input.nonce),
    };
    a.hex(text.as_bytes())
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Compares a received hex response with the expected one: ASCII case-insensitive
/// and in time independent of where they differ, so the comparison does not leak
/// how many leading digits an attacker guessed right.
pub fn hex_eq(received: &str, expected: &str) -> bool {
    if received.len() != expected.len() {
        return false;
    }
    let diff = received
        .bytes()
        .zip(expected.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a.to_ascii_lowercase() ^ b.to_ascii_lowercase()));
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_tokens() {
        assert_eq!(Algorithm::from_param(None), Some(Algorithm::Md5));
        assert_eq!(Algorithm::from_param(Some("md5")), Some(Algorithm::Md5));
        assert_eq!(Algorithm::from_param(Some("sha-256")), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_param(Some("MD5-sess")), None);
        assert_eq!(Algorithm::Sha256.hex(b"").len(), Algorithm::Sha256.hex_len());
    }

    #[test]
    fn sip_md_vector_without_qop() {
        // shared/spec/sip.md §5.2, checked live with sipp's verifyauth.
        let input = DigestInput {
            algorithm: Algorithm::Md5,
            username: "alice",
            realm: "Yate",
            password: "secret",
            method: "REGISTER",
            uri: "sip:127.0.0.1:5070",
            nonce: "0123456789abcdef.1700000000",
            qop: None,
        };
        assert_eq!(ha1(Algorithm::Md5, "alice", "Yate", "secret"), "0c2151ca8e920bffc1910e8587a8edfd");
        assert_eq!(ha2(Algorithm::Md5, "REGISTER", "sip:127.0.0.1:5070"), "a2b9b332d4bfe1bb2b024e730639911a");
        assert_eq!(response(&input), "0e330fb14b1e0a02c5fe4020b359b167");
    }

    #[test]
    fn hex_compare() {
        assert!(hex_eq("0E33", "0e33"));
        assert!(!hex_eq("0e3", "0e33"));
        assert!(!hex_eq("0e34", "0e33"));
        assert_eq!(to_hex(&[0, 0xab, 0xff]), "00abff");
    }
}
