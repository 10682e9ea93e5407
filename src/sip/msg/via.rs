//! Via values: sent-protocol, sent-by and the parameters transactions and NAT need.
//!
//! Owned here: rsip 0.4 refuses blanks around `/` and `;` (legal LWS, RFC 4475
//! §3.1.1.1), unknown transports (`SIP/2.0/UNKNOWN`, §3.1.1.10) and IPv6 sent-by,
//! and reads only the first value of a comma list.

use super::grammar::{find, saturating_digits, split_commas, Cursor, Fail, Param, Res};
use super::uri::host_port;
use std::fmt::Write as _;

/// One Via value, e.g. `SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bK1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    /// Protocol name, normally `SIP`.
    pub protocol: String,
    /// Protocol version, normally `2.0`.
    pub version: String,
    /// Transport as written (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, or anything else).
    pub transport: String,
    /// The sent-by host as written (an IPv6 reference keeps its brackets).
    pub host: String,
    /// The sent-by port, if given.
    pub port: Option<u16>,
    /// The parameters in order (`branch`, `received`, `rport`, `maddr`, `ttl`, …).
    pub params: Vec<Param>,
}

impl Via {
    /// The first parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&Param> {
        find(&self.params, name)
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        self.param("branch")?.value.as_deref()
    }

    /// Whether the branch carries the RFC 3261 magic cookie `z9hG4bK`.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with("z9hG4bK"))
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&str> {
        self.param("received")?.value.as_deref()
    }

    /// `rport` (RFC 3581): `None` absent, `Some(None)` requested (no value),
    /// `Some(Some(port))` filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        let p = self.param("rport")?;
        Some(p.value.as_deref().and_then(|v| v.parse().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.param("maddr")?.value.as_deref()
    }

    /// `host[:port]` as it would be written.
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{}", self.host, p),
            None => self.host.clone(),
        }
    }

    /// The wire form, normalised (`SIP/2.0/UDP host:port;params`).
    pub fn to_wire(&self) -> String {
        let mut out = String::with_capacity(64);
        for piece in [&self.protocol, "/", &self.version, "/", &self.transport, " ", &self.host] {
            out.push_str(piece);
        }
        if let Some(port) = self.port {
            let _ = write!(out, ":{port}");
        }
        for p in &self.params {
            p.write_wire(&mut out);
        }
        out
    }

    /// Parses one Via value (not a list).
    pub(crate) fn parse(s: &str) -> Res<Via> {
        let mut c = Cursor::new(s);
        c.skip_ws();
        let protocol = c.token("protocol name expected")?.to_owned();
        slash(&mut c)?;
        let version = c.token("protocol version expected")?.to_owned();
        slash(&mut c)?;
        let transport = c.token("transport expected")?.to_owned();
        let before = c.pos;
        c.skip_ws();
        if c.pos == before {
            return Err(Fail::at("blank expected before sent-by", c.pos..c.pos + 1));
        }
        let start = c.pos;
        let hp = c.take_while(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        let (host, port) = host_port(hp).map_err(|f| f.shift(start))?;
        let params = c.params(b"")?;
        check_params(&params, s)?;
        Ok(Via { protocol, version, transport, host, port, params })
    }
}

fn slash(c: &mut Cursor<'_>) -> Res<()> {
    c.skip_ws();
    if !c.eat(b'/') {
        return Err(Fail::at("'/' expected in sent-protocol", c.pos..c.pos + 1));
    }
    c.skip_ws();
    Ok(())
}

/// Values transactions rely on: ttl and rport must be numbers, branch must have one.
fn check_params(params: &[Param], s: &str) -> Res<()> {
    for p in params {
        let v = p.value.as_deref();
        let bad = (p.is("branch") || p.is("received") || p.is("maddr")) && v.is_none()
            || p.is("ttl") && v.and_then(|v| saturating_digits(v, 255)).is_none()
            || p.is("rport") && v.is_some_and(|v| v.parse::<u16>().is_err());
        if bad {
            return Err(Fail::at("bad Via parameter value", 0..s.len()));
        }
    }
    Ok(())
}

/// A Via header value: one or more comma-separated Via values.
pub(crate) fn parse_vias(s: &str) -> Res<Vec<Via>> {
    split_commas(s)?.into_iter().map(|r| Via::parse(&s[r.clone()]).map_err(|f| f.shift(r.start))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_list_from_rfc4475() {
        let v = parse_vias("SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].transport.as_str(), v[0].host.as_str()), ("TCP", "spindle.example.com"));
        assert_eq!(v[1].branch(), Some("z9hG4bK30239"));
        assert!(v[1].has_rfc3261_branch());
    }

    #[test]
    fn params_and_ipv6() {
        let v = Via::parse("SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bKx;received=2001:db8::9").unwrap();
        assert_eq!((v.host.as_str(), v.port), ("[2001:db8::1]", Some(5060)));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.received(), Some("2001:db8::9"));
        assert_eq!(v.to_wire(), "SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bKx;received=2001:db8::9");
        assert_eq!(Via::parse("SIP/2.0/UNKNOWN t4.example.com;rport=5062").unwrap().rport(), Some(Some(5062)));
    }

    #[test]
    fn rejects() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;,;,,",
            "SIP/2.0/UDP",
            "SIP/2.0 UDP h",
            "SIP/2.0/UDPh",
            "SIP/2.0/UDP h;branch",
            "SIP/2.0/UDP h;ttl=x",
        ] {
            assert!(parse_vias(bad).is_err(), "{bad}");
        }
    }
}
