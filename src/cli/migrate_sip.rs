//! What `migrate` says about each option of ysipchan.conf and lateroute.conf (regfile.conf reports itself).

use crate::ini::{Document, Entry, Section};
use crate::runtime::num::to_boolean;
use crate::sip::regfile::{Item, Support};
use crate::source::Span;

fn item(span: Span, option: String, status: Support, note: impl Into<String>) -> Item {
    Item { span, option, status, note: note.into() }
}

fn is_bool(v: &str) -> bool {
    matches!(v, "false" | "no" | "off" | "disable" | "f" | "true" | "yes" | "on" | "enable" | "t")
}

/// Walks every entry once, first occurrences only (Yate reads the first of a repeated key).
fn walk(doc: &Document, mut each: impl FnMut(&Section, &Entry) -> (Support, String)) -> Vec<Item> {
    let mut items = Vec::new();
    for s in &doc.sections {
        let mut seen: Vec<&str> = Vec::new();
        for e in &s.entries {
            let option = format!("[{}] {}", s.name, e.key);
            if seen.contains(&e.key.as_str()) {
                items.push(item(e.span, option, Support::Ignored, "repeated key: Yate uses the first one"));
                continue;
            }
            seen.push(&e.key);
            let (status, note) = each(s, e);
            items.push(item(e.span, option, status, note));
        }
    }
    items
}

fn same(note: impl Into<String>) -> (Support, String) {
    (Support::Same, note.into())
}

fn differs(note: impl Into<String>) -> (Support, String) {
    (Support::Differs, note.into())
}

fn ignored(note: impl Into<String>) -> (Support, String) {
    (Support::Ignored, note.into())
}

fn unsupported(note: impl Into<String>) -> (Support, String) {
    (Support::Unsupported, note.into())
}

fn general(key: &str, value: &str) -> (Support, String) {
    let on = |d| to_boolean(value.as_bytes(), d);
    match key {
        "generate" => same(if on(false) {
            "`xsip.generate` (110) and `msg.execute` to `sip/…` (100) send SIP requests"
        } else {
            "no `xsip.generate` handler: nothing sends SIP requests for the rules"
        }),
        "maxpkt" => differs(format!(
            "largest UDP message {value} bytes; a larger datagram is answered `513 Message Too Large`, where Yate \
             silently truncates it and processes the cut body"
        )),
        "tcp_maxpkt" => {
            differs("largest TCP message; a larger one gets `513`, then the connection closes (Yate only closes)")
        }
        "body_encoding" => match value {
            "base64" | "hex" | "hexs" | "raw" => same(format!("binary bodies reach the rules as `{value}`")),
            _ => differs(format!("`{value}` is not base64, hex, hexs or raw: rexroute uses base64 and warns")),
        },
        "realm" => same(format!("digest realm `{value}`")),
        "auth_foreign" => differs(
            "authentication headers are exported as `sip_*`; nonces made elsewhere are challenged, never checked",
        ),
        "auth_copy_headers" => same("these headers (and `Security-*`) copied into `user.auth` as `sip_<name>`"),
        "initial_headers" => same("Via, CSeq, … also exported as `sipheader_*`"),
        "maxforwards" => same("cap of `antiloop` and Max-Forwards of generated requests"),
        "lazy100" => same(if on(false) { "100 Trying only on a retransmission" } else { "100 Trying at once" }),
        "ignorevia" if on(true) => same("responses go to the packet's source"),
        "ignorevia" => differs("responses always go to the packet's source (rport), never to the Via sent-by"),
        "nat" => same(if on(true) { "contacts behind NAT are rewritten" } else { "contacts are kept as sent" }),
        "useragent" => same("Server and User-Agent header"),
        "t1" | "t4" => same("SIP timer (milliseconds)"),
        "sip_req_trans_count" | "sip_rsp_trans_count" => {
            differs("UDP retransmissions follow RFC 3261 timers E/G until timer F/H, not a count")
        }
        "floodevents" | "floodprotection" => {
            differs("a full request queue answers `503`, for every method, instead of dropping requests")
        }
        "async_generic" => {
            differs("generic requests are always answered off the socket thread; the value has no effect")
        }
        "addr" | "port" | "type" => same("the default listener"),
        "max_transactions" => same("rexroute's own option: cap on live transactions"),
        "udp_rcvbuf" => same("rexroute's own option: UDP socket receive buffer (bytes, 0 = system default)"),
        _ => ignored("ysipchan option rexroute does not read"),
    }
}

/// One item per entry of ysipchan.conf.
pub(super) fn ysipchan(doc: &Document) -> Vec<Item> {
    walk(doc, |s, e| {
        let (key, value) = (e.key.as_str(), e.value.as_str());
        let section = s.name.as_str();
        if let Some(name) = section.strip_prefix("listener ") {
            return match key {
                "type" if matches!(value, "udp" | "tcp") => same(format!("listener `{name}` over {value}")),
                "type" => unsupported(format!("listener type `{value}`: rexroute listens on UDP and TCP only")),
                "addr" | "port" | "enable" => same(format!("listener `{name}`")),
                _ => ignored("listener option rexroute does not read"),
            };
        }
        match (section, key) {
            ("general", _) => general(key, value),
            ("methods", _) => {
                let challenged = to_boolean(value.as_bytes(), true);
                let mut note = format!(
                    "{} handled as `sip.{}`, {}",
                    key.to_ascii_uppercase(),
                    key.to_ascii_lowercase(),
                    if challenged { "digest-challenged" } else { "accepted without authentication" }
                );
                if !is_bool(value) {
                    note.push_str(" (not a boolean: challenged, as in Yate)");
                }
                same(note)
            }
            ("message", "enable") => same(if to_boolean(value.as_bytes(), false) {
                "native MESSAGE path: `call.route` (route_type=msg) then `msg.execute`; no `sip.message`"
            } else {
                "MESSAGE follows `[methods]` (generic path)"
            }),
            ("message", "auth_required") => same("challenge native MESSAGEs"),
            ("message" | "registrar", "async_process") => {
                differs("requests are always answered off the socket thread; the value has no effect")
            }
            (
                "registrar",
                "enable" | "expires_min" | "expires_def" | "expires_max" | "auth_required" | "nat_refresh",
            ) => same("registrar setting (differences from Yate's REGISTER handling: docs/registrar.md)"),
            ("options", "enable") => same("OPTIONS answered 200 with Allow"),
            ("sip-t", "isup") if to_boolean(value.as_bytes(), false) => differs(
                "`application/isup` bodies are not decoded into ISUP parameters: they reach the rules as any \
                 binary body (`xsip_type`, `xsip_body_encoding`, `xsip_body`)",
            ),
            ("sip-t", "isup") => same("`application/isup` bodies reach the rules as binary bodies"),
            _ => ignored(format!("`[{section}]` option rexroute does not read")),
        }
    })
}

/// One item per entry of lateroute.conf, plus one on how `msg.execute` is routed.
pub(super) fn lateroute(doc: &Document) -> Vec<Item> {
    let mut items = walk(doc, |s, e| match (s.name.as_str(), e.key.as_str()) {
        ("general", "types") => same("callto prefixes routed again at execute time"),
        ("general", "priority") => same("handler priority on `call.execute` and `msg.execute`"),
        ("general", "enabled") => same("lateroute on or off"),
        ("general", "regexp" | "called") => same("legacy callto match (POSIX extended) and called template"),
        ("general", "msg_route") => same("rexroute's own switch: the routing message a `msg.execute` becomes"),
        ("route type", _) => same("`route_type` set on the routing message (with `msg_route=call.route`)"),
        (section, _) => ignored(format!("`[{section}]` option lateroute does not read")),
    });
    if doc.value("general", "msg_route").is_none() {
        let span = doc.section("general").and_then(|s| s.headers.first().copied()).unwrap_or_default();
        items.push(item(
            span,
            "[general]".into(),
            Support::Differs,
            "`msg.execute` is routed as `msg.route`, as Yate's lateroute did before 2013 (the chat setup relies on \
             it); current Yate sends `call.route` with `route_type=msg`: set `msg_route=call.route` for that",
        ));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(items: &[Item]) -> Vec<(String, Support)> {
        items.iter().map(|i| (i.option.clone(), i.status)).collect()
    }

    #[test]
    fn ysipchan_options() {
        let doc = crate::ini::load_str(
            "ysipchan.conf",
            "[general]\nmaxpkt=4096\ngenerate=yes\nauth_copy_headers=X\nfoo=1\nfoo=2\n[listener t]\ntype=tls\n\
[methods]\nmessage=maybe\n[codecs]\nulaw=yes\n[sip-t]\nisup=yes\n",
            &Default::default(),
        );
        let items = ysipchan(&doc);
        assert_eq!(
            statuses(&items),
            [
                ("[general] maxpkt".into(), Support::Differs),
                ("[general] generate".into(), Support::Same),
                ("[general] auth_copy_headers".into(), Support::Same),
                ("[general] foo".into(), Support::Ignored),
                ("[general] foo".into(), Support::Ignored),
                ("[listener t] type".into(), Support::Unsupported),
                ("[methods] message".into(), Support::Same),
                ("[codecs] ulaw".into(), Support::Ignored),
                ("[sip-t] isup".into(), Support::Differs),
            ]
        );
        assert!(items[6].note.contains("not a boolean"));
    }

    #[test]
    fn lateroute_options() {
        let doc = crate::ini::load_str("lateroute.conf", "[general]\ntypes=a\nx=1\n", &Default::default());
        let items = lateroute(&doc);
        assert_eq!(
            statuses(&items),
            [
                ("[general] types".into(), Support::Same),
                ("[general] x".into(), Support::Ignored),
                ("[general]".into(), Support::Differs),
            ]
        );
    }
}
