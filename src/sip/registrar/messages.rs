//! The bus messages of registration: `user.register` and `user.unregister` as ysipchan builds them, and NAT detection.
//!
//! Parameter order and names follow shared/spec/sip.md §5.1 and the §6 trace:
//! `number`, `sip_uri`, `sip_callid`, `expires`, what `user.auth` returned
//! (`username`, `realm`, `domain`, `device`, extras), `driver=sip`,
//! `data=sip/<contact>`, the transport parameters, `route_params=oconnection_id`
//! and `oconnection_id` (registering only), `sip_to` = the Contact URI
//! (registering only), then one `sip_<header>` per header, From and To excluded.

use super::binding::Binding;
use crate::runtime::message::Message;
use crate::sip::auth::Peer;
use crate::sip::msg::{ExportOptions, Request, Uri};
use std::net::{IpAddr, SocketAddr};

/// What every message about one REGISTER shares.
pub(super) struct Common<'a> {
    /// The request.
    pub req: &'a Request,
    /// Its source.
    pub peer: &'a Peer,
    /// The request's Call-ID.
    pub call_id: &'a str,
    /// The To URI (for `number` when a Contact has no user part).
    pub to: &'a Uri,
    /// The user the bindings belong to.
    pub user: &'a str,
    /// What `user.auth` returned (already includes `username` when authenticated).
    pub auth_params: &'a [(Vec<u8>, Vec<u8>)],
    /// Now, in Unix seconds (the message time).
    pub now: u64,
    /// The request's headers as `sip_*` parameters (From and To excluded).
    pub sip_params: &'a [(String, Vec<u8>)],
}

/// The request's `sip_*` parameters for this path (sip.md §5.1 step 10).
pub(super) fn sip_params(req: &Request) -> Vec<(String, Vec<u8>)> {
    let opts = ExportOptions { from_to: false, ..ExportOptions::default() };
    crate::sip::msg::Message::Request(req.clone()).yate_params_with(&opts)
}

/// The first four parameters, shared with the `user.auth` context.
pub(super) fn head(req: &Request, call_id: &str, number: &str, expires: u32, now: u64) -> Message {
    let mut m = Message::new("user.register");
    m.time = now;
    m.add(b"number", number.as_bytes());
    m.add(b"sip_uri", req.uri.as_bytes());
    m.add(b"sip_callid", call_id.as_bytes());
    m.add(b"expires", expires.to_string().as_bytes());
    m
}

/// `number`: the Contact URI's user part, else the To URI's (sip.md §5.1 step 4).
pub(super) fn number(contact: Option<&Uri>, to: &Uri) -> String {
    contact.and_then(Uri::user).or_else(|| to.user()).unwrap_or_default().to_owned()
}

/// `user.register` (or, with `expires == 0`, `user.unregister`) for one contact
/// reached through `data` (`sip/<uri>`, NAT-rewritten or not).
pub(super) fn for_contact(c: &Common<'_>, uri: &Uri, data: &str, nat_addr: Option<&str>, expires: u32) -> Message {
    let mut m = head(c.req, c.call_id, &number(Some(uri), c.to), expires, c.now);
    for (k, v) in c.auth_params {
        m.set(k, v);
    }
    m.set(b"username", c.user.as_bytes());
    m.set(b"driver", b"sip");
    m.set(b"data", data.as_bytes());
    if let Some(orig) = nat_addr {
        m.set(b"reg_nat_addr", orig.as_bytes());
    }
    c.peer.add_params(&mut m);
    if expires == 0 {
        m.name = b"user.unregister".to_vec();
    } else {
        m.add(b"route_params", b"oconnection_id");
        m.add(b"oconnection_id", c.peer.connection_id.as_bytes());
        m.add(b"sip_to", uri.as_str().as_bytes());
    }
    if let Some(ua) = c.req.headers.value("User-Agent") {
        m.set(b"device", ua);
    }
    for (k, v) in c.sip_params {
        m.add(k.as_bytes(), v);
    }
    m
}

/// `user.unregister` for a binding that lapsed or lost its connection: no request
/// to copy from, so only what identifies it, plus `reason` (our addition: Yate's
/// regfile drops lapsed entries without telling the bus).
pub(super) fn lapsed(b: &Binding, reason: &str, now: u64) -> Message {
    let mut m = Message::new("user.unregister");
    m.time = now;
    m.add(b"username", b.user.as_bytes());
    m.add(b"number", b.user.as_bytes());
    m.add(b"expires", b"0");
    m.add(b"driver", b"sip");
    m.add(b"data", b.callto().as_bytes());
    let peer = Peer { addr: b.source, transport: b.transport, connection_id: b.connection_id.clone() };
    peer.add_params(&mut m);
    m.add(b"reason", reason.as_bytes());
    m
}

/// Where a contact is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Target {
    /// The URI to send to (rewritten for NAT or as sent).
    pub uri: String,
    /// The Contact's own `host[:port]` text, when rewritten.
    pub nat_addr: Option<String>,
}

fn private_v4(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.is_private() || v4.is_link_local())
}

/// sip.md §5.1 step 8: a `sip:`/`sips:` contact is behind NAT when its host is a
/// private or link-local IPv4 address while the packet came from elsewhere, or
/// (UDP only) when its port (5060 if absent) is not the source port. Then the
/// contact's `host[:port]` is replaced by the source address.
pub(super) fn nat_target(uri: &Uri, peer: &Peer, nat: bool) -> Target {
    let plain = Target { uri: uri.as_str().to_owned(), nat_addr: None };
    let Some(sip) = uri.sip() else { return plain };
    let host_ip = sip.host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
    let private_host = host_ip.is_some_and(private_v4) && !private_v4(peer.addr.ip());
    let port_moved = !peer.transport.reliable() && sip.port.unwrap_or(5060) != peer.addr.port();
    if !nat || !(private_host || port_moved) {
        return plain;
    }
    match rewrite_hostport(uri, peer.addr) {
        Some((rewritten, orig)) => Target { uri: rewritten, nat_addr: Some(orig) },
        None => plain,
    }
}

/// The URI text with `host[:port]` replaced by `addr`, and the replaced text.
fn rewrite_hostport(uri: &Uri, addr: SocketAddr) -> Option<(String, String)> {
    let raw = uri.as_str();
    let sip = uri.sip()?;
    let after_scheme = uri.scheme().len() + 1;
    let start = match sip.user {
        Some(_) => after_scheme + raw.get(after_scheme..)?.find('@')? + 1,
        None => after_scheme,
    };
    let mut end = start + sip.host.len();
    if raw.get(end..)?.starts_with(':') {
        end += 1 + raw.get(end + 1..)?.bytes().take_while(u8::is_ascii_digit).count();
    }
    let orig = raw.get(start..end)?.to_owned();
    Some((format!("{}{addr}{}", raw.get(..start)?, raw.get(end..)?), orig))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::auth::Transport;

    fn uri(s: &str) -> Uri {
        Uri::parse(s).unwrap()
    }

    #[test]
    fn nat_rules() {
        let peer = Peer::udp("203.0.113.9:40000".parse().unwrap());
        let t = nat_target(&uri("sip:bob@192.168.1.5:5060;transport=udp"), &peer, true);
        assert_eq!(t.uri, "sip:bob@203.0.113.9:40000;transport=udp");
        assert_eq!(t.nat_addr.as_deref(), Some("192.168.1.5:5060"));
        assert_eq!(nat_target(&uri("sip:bob@192.168.1.5"), &peer, false).nat_addr, None);
        let local = Peer::udp("127.0.0.1:5072".parse().unwrap());
        assert_eq!(nat_target(&uri("sip:bob@127.0.0.1:5072"), &local, true).nat_addr, None);
        let moved = nat_target(&uri("sip:127.0.0.1"), &local, true);
        assert_eq!((moved.uri.as_str(), moved.nat_addr.as_deref()), ("sip:127.0.0.1:5072", Some("127.0.0.1")));
        let tcp = Peer { transport: Transport::Tcp, ..local };
        assert_eq!(nat_target(&uri("sip:bob@127.0.0.1"), &tcp, true).nat_addr, None);
        assert_eq!(nat_target(&uri("tel:+1"), &peer, true).nat_addr, None);
    }
}
