//! Numbers, tags and addresses written straight into a string, for the texts every relayed request builds.
//!
//! `format!` costs about as much as the rest of building a header value: a
//! transaction writes some twenty of these (tags, branches, ports, addresses).

use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};

/// Appends `n` in decimal.
pub fn push_decimal(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// `n` in decimal.
pub fn decimal(n: impl itoa::Integer) -> String {
    itoa::Buffer::new().format(n).to_owned()
}

/// Appends `v` as 16 lowercase hex digits (`{:016x}`).
pub fn push_hex16(out: &mut String, v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        out.push(char::from(DIGITS[((v >> (shift * 4)) & 15) as usize]));
    }
}

/// Appends `ip` as `Display` writes it.
pub fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(out, octet);
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

/// `ip` as `Display` writes it.
pub fn ip_text(ip: IpAddr) -> String {
    let mut s = String::with_capacity(15);
    push_ip(&mut s, ip);
    s
}

/// Appends `addr` as `Display` writes it (`ip:port`, `[ip6]:port`).
pub fn push_socket_addr(out: &mut String, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(a) => {
            push_ip(out, IpAddr::V4(*a.ip()));
            out.push(':');
            push_decimal(out, a.port());
        }
        SocketAddr::V6(a) => {
            let _ = write!(out, "{a}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn socket_addr_text(addr: SocketAddr) -> String {
        let mut s = String::new();
        push_socket_addr(&mut s, addr);
        s
    }

    proptest! {
        #[test]
        fn the_same_text_as_display(a in any::<[u8; 4]>(), b in any::<[u16; 8]>(), port in any::<u16>(), v in any::<u64>(), scope in any::<u32>()) {
            let v4 = SocketAddr::from((a, port));
            prop_assert_eq!(socket_addr_text(v4), v4.to_string());
            prop_assert_eq!(ip_text(v4.ip()), v4.ip().to_string());
            let v6 = SocketAddr::V6(std::net::SocketAddrV6::new(b.into(), port, 0, scope));
            prop_assert_eq!(socket_addr_text(v6), v6.to_string());
            prop_assert_eq!(ip_text(v6.ip()), v6.ip().to_string());
            let mut hex = String::new();
            push_hex16(&mut hex, v);
            prop_assert_eq!(hex, format!("{v:016x}"));
            prop_assert_eq!(decimal(v), v.to_string());
            prop_assert_eq!(decimal(port), port.to_string());
        }
    }
}
