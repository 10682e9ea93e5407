//! Registration flows with a controlled clock.
//!
//! Register, refresh, unregister, `*`, 423, several contacts, CSeq ordering,
//! expiry and routing.

mod registrar_support;

use registrar_support::*;
use rexroute::runtime::message::Message;
use rexroute::sip::registrar::{Config, RouteResult};

#[test]
fn challenge_then_register_like_twinkle() {
    let mut reg = registrar();
    let mut bob = Ua::new("bob", "secret2", 5072);
    let contact = format!("<{}>;expires=600", bob.contact());
    let first = reg.handle_register(&bob.register_request(&contact, None), &bob.peer(), t(0), &mut nobody);
    assert_eq!(first.response.code, 401);
    let challenge = first.response.headers.str("WWW-Authenticate").unwrap();
    assert!(challenge.starts_with("Digest realm=\"Yate\", nonce=\""), "{challenge}");
    assert!(challenge.ends_with("stale=FALSE, algorithm=MD5, qop=\"auth\""), "{challenge}");
    // No credentials: user.auth still goes out (for IP authentication), without a username.
    assert_eq!(sent(&first, "user.auth").get(b"username"), None);

    bob.learn(&first.response);
    let out = reg.handle_register(&bob.register_request(&contact, None), &bob.peer(), t(1), &mut nobody);
    assert_eq!(out.response.code, 200, "{}", out.response.start_line());
    assert_eq!(out.response.headers.str("Expires"), Some("600"));
    assert_eq!(contacts(&out.response), [format!("<{}>;expires=600", bob.contact())]);

    let auth = sent(&out, "user.auth");
    for (k, v) in [("protocol", "sip"), ("username", "bob"), ("realm", "Yate"), ("method", "REGISTER")] {
        assert_eq!(param(auth, k), v, "user.auth {k}");
    }
    assert_eq!(param(auth, "uri"), "sip:127.0.0.1");
    assert_eq!(param(auth, "number"), "bob");
    let m = sent(&out, "user.register");
    let expect = [
        ("number", "bob"),
        ("sip_uri", "sip:127.0.0.1"),
        ("sip_callid", "bob-5072@127.0.0.1"),
        ("expires", "600"),
        ("username", "bob"),
        ("realm", "Yate"),
        ("domain", "127.0.0.1"),
        ("device", "Twinkle/1.10.2"),
        ("driver", "sip"),
        ("data", "sip/sip:bob@127.0.0.1:5072;transport=udp"),
        ("ip_host", "127.0.0.1"),
        ("ip_port", "5072"),
        ("ip_transport", "UDP"),
        ("address", "127.0.0.1:5072"),
        ("connection_id", "general"),
        ("connection_reliable", "false"),
        ("route_params", "oconnection_id"),
        ("oconnection_id", "general"),
        ("sip_to", "sip:bob@127.0.0.1:5072;transport=udp"),
        ("sip_user-agent", "Twinkle/1.10.2"),
    ];
    for (k, v) in expect {
        assert_eq!(param(m, k), v, "user.register {k}");
    }
    // regfile's extra key came back from user.auth, expanded against the message.
    assert_eq!(param(m, "callername"), "Bob at 127.0.0.1:5072");
    assert_eq!(m.get(b"sip_from"), None, "From/To are not copied on this path");
    assert_eq!(m.time, secs(1));

    let found = reg.lookup("bob", t(2));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].callto(), "sip/sip:bob@127.0.0.1:5072;transport=udp");
    assert!(reg.take_dirty());
}

#[test]
fn refresh_same_call_id_and_ordering() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let contact = format!("<{}>", alice.contact());
    assert_eq!(alice.register(&mut reg, t(0), &contact, Some(600)).response.code, 200);
    // A refresh 300 s later on the same Call-ID with a higher CSeq extends the binding.
    let again = alice.register(&mut reg, t(300), &contact, Some(600));
    assert_eq!(again.response.code, 200);
    assert_eq!(reg.lookup("alice", t(0))[0].expires_at, secs(900));
    // An older request on the same Call-ID (CSeq not above the stored one) changes nothing.
    alice.cseq -= 2;
    let stale = alice.register(&mut reg, t(301), &contact, Some(60));
    assert_eq!(stale.response.code, 500, "{}", stale.response.start_line());
    assert_eq!(reg.lookup("alice", t(0))[0].expires_at, secs(900));
    // Another Call-ID (the phone restarted) may replace it with any CSeq.
    let mut restarted = Ua::new("alice", "secret", 5071);
    restarted.call_id = "fresh@127.0.0.1".into();
    assert_eq!(restarted.register(&mut reg, t(302), &contact, Some(120)).response.code, 200);
    assert_eq!(reg.lookup("alice", t(302))[0].expires_at, secs(422));
}

#[test]
fn unregister_with_contact_expires_zero() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    alice.register(&mut reg, t(0), &format!("<{}>;expires=600", alice.contact()), None);
    // Twinkle's de-registration: `;expires=0` on the Contact, no Expires header.
    let out = alice.register(&mut reg, t(10), &format!("<{}>;expires=0", alice.contact()), None);
    assert_eq!(out.response.code, 200);
    assert!(contacts(&out.response).is_empty());
    assert_eq!(out.response.headers.str("Expires"), None);
    let m = sent(&out, "user.unregister");
    assert_eq!(param(m, "expires"), "0");
    assert_eq!(param(m, "data"), format!("sip/{}", alice.contact()));
    assert_eq!(m.get(b"route_params"), None);
    assert_eq!(m.get(b"sip_to"), None);
    assert!(reg.lookup("alice", t(11)).is_empty());
    assert!(!reg.route(&mut route_msg("alice"), t(11)));
}

#[test]
fn contact_param_overrides_header_and_limits_apply() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let out = alice.register(&mut reg, t(0), &format!("<{}>;expires=120", alice.contact()), Some(900));
    assert_eq!(out.response.headers.str("Expires"), Some("120"), "RFC: the Contact parameter wins");
    let capped = alice.register(&mut reg, t(1), &format!("<{}>", alice.contact()), Some(7200));
    assert_eq!(capped.response.headers.str("Expires"), Some("3600"));
    let default = alice.register(&mut reg, t(2), &format!("<{}>", alice.contact()), None);
    assert_eq!(default.response.headers.str("Expires"), Some("600"));
    let brief = alice.register(&mut reg, t(3), &format!("<{}>", alice.contact()), Some(30));
    assert_eq!(brief.response.code, 423);
    assert_eq!(brief.response.headers.str("Min-Expires"), Some("60"));
    assert_eq!(reg.lookup("alice", t(3))[0].expires_at, secs(602), "423 changed nothing");
}

#[test]
fn several_contacts_per_user_and_fork() {
    let mut reg = registrar();
    let mut desk = Ua::new("alice", "secret", 5071);
    let mut mobile = Ua::new("alice", "secret", 5074);
    desk.register(&mut reg, t(0), &format!("<{}>", desk.contact()), Some(600));
    // baresip style: a generated Contact user; the binding is keyed by the authenticated name.
    let odd = "<sip:alice-0x55d48e0e6510@127.0.0.1:5074>;q=0.5";
    let out = mobile.register(&mut reg, t(10), odd, Some(300));
    assert_eq!(out.response.code, 200);
    assert_eq!(param(sent(&out, "user.register"), "number"), "alice-0x55d48e0e6510");
    assert_eq!(param(sent(&out, "user.register"), "username"), "alice");
    assert_eq!(
        contacts(&out.response),
        [
            format!("<{}>;expires=590", desk.contact()),
            "<sip:alice-0x55d48e0e6510@127.0.0.1:5074>;q=0.5;expires=300".into()
        ]
    );
    let mut m = route_msg("alice");
    assert_eq!(reg.route_call(&mut m, t(20)), RouteResult::Routed);
    assert_eq!(m.retvalue, b"fork");
    assert_eq!(param(&m, "callto.2"), "sip/sip:alice-0x55d48e0e6510@127.0.0.1:5074");
}

#[test]
fn two_contacts_in_one_request() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let both = "<sip:alice@127.0.0.1:5071>;expires=100, <sip:alice@127.0.0.1:5079>";
    let out = alice.register(&mut reg, t(0), both, Some(200));
    assert_eq!(out.response.code, 200);
    assert_eq!(
        contacts(&out.response),
        ["<sip:alice@127.0.0.1:5071>;expires=100", "<sip:alice@127.0.0.1:5079>;expires=200"]
    );
    assert_eq!(out.dispatched.iter().filter(|d| d.message.name == b"user.register").count(), 2);
}

#[test]
fn star_removes_everything_only_when_valid() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    alice.register(&mut reg, t(0), "<sip:alice@127.0.0.1:5071>, <sip:alice@127.0.0.1:5079>", Some(600));
    assert_eq!(alice.register(&mut reg, t(1), "*", None).response.code, 400, "* needs Expires: 0");
    assert_eq!(alice.register(&mut reg, t(2), "*", Some(60)).response.code, 400);
    assert_eq!(alice.register(&mut reg, t(3), "*, <sip:alice@h>", Some(0)).response.code, 400);
    assert_eq!(reg.lookup("alice", t(3)).len(), 2);
    let out = alice.register(&mut reg, t(4), "*", Some(0));
    assert_eq!(out.response.code, 200);
    assert_eq!(out.dispatched.iter().filter(|d| d.message.name == b"user.unregister").count(), 2);
    assert!(reg.lookup("alice", t(4)).is_empty());
}

#[test]
fn query_without_contact_lists_bindings() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    alice.register(&mut reg, t(0), &format!("<{}>", alice.contact()), Some(600));
    let out = alice.register(&mut reg, t(100), "", None);
    assert_eq!(out.response.code, 200);
    assert_eq!(contacts(&out.response), [format!("<{}>;expires=500", alice.contact())]);
}

#[test]
fn expiry_with_a_controlled_clock() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    alice.register(&mut reg, t(0), &format!("<{}>", alice.contact()), Some(60));
    assert_eq!(reg.next_expiry(), Some(t(60)));
    assert!(reg.expire(t(59)).is_empty());
    assert_eq!(reg.lookup("alice", t(59)).len(), 1);
    assert!(reg.lookup("alice", t(60)).is_empty(), "lapsed bindings never route, even before expire()");
    let gone = reg.expire(t(60));
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].name, b"user.unregister");
    assert_eq!(param(&gone[0], "username"), "alice");
    assert_eq!(param(&gone[0], "data"), format!("sip/{}", alice.contact()));
    assert_eq!(param(&gone[0], "reason"), "expired");
    assert_eq!(reg.next_expiry(), None);
    assert!(reg.bindings().is_empty());
}

fn route_msg(called: &str) -> Message {
    let mut m = Message::new("call.route");
    m.set(b"called", called.as_bytes());
    m
}

#[test]
fn call_route_like_regfile() {
    let mut reg = registrar();
    let mut bob = Ua::new("bob", "secret2", 5072);
    bob.register(&mut reg, t(0), &format!("<{}>", bob.contact()), Some(600));
    let mut m = route_msg("bob");
    m.set(b"caller", b"bob");
    m.set(b"address", b"10.0.0.1:5060");
    assert!(reg.route(&mut m, t(1)));
    assert_eq!(m.retvalue, format!("sip/{}", bob.contact()).as_bytes());
    assert_eq!(param(&m, "oconnection_id"), "general");
    assert_eq!(param(&m, "driver"), "sip");
    assert_eq!(param(&m, "callername"), "Bob at 10.0.0.1:5060", "the caller's regfile keys are applied");

    let mut offline = route_msg("alice");
    assert_eq!(reg.route_call(&mut offline, t(1)), RouteResult::Offline);
    assert_eq!(param(&offline, "error"), "offline");
    let mut unknown = route_msg("zed");
    assert_eq!(reg.route_call(&mut unknown, t(1)), RouteResult::NotFound);
    assert_eq!(unknown.get(b"error"), None);
    let mut alt = route_msg("100");
    assert_eq!(reg.route_call(&mut alt, t(1)), RouteResult::Offline, "alternatives of offline users");
    let mut sales = Ua::new("sales", "x", 5090);
    sales.register(&mut reg, t(2), &format!("<{}>", sales.contact()), Some(600));
    let mut alt = route_msg("100");
    assert!(reg.route(&mut alt, t(3)));
    assert_eq!(alt.retvalue, format!("sip/{}", sales.contact()).as_bytes());
    let mut off = route_msg("bob");
    off.set(b"route_regfile", b"false");
    assert!(!reg.route(&mut off, t(3)));
}

#[test]
fn nat_rewrites_the_route_target() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 40000);
    let out = alice.register(&mut reg, t(0), "<sip:alice@192.168.1.20:5060>", Some(600));
    assert_eq!(out.response.code, 200);
    assert_eq!(contacts(&out.response), ["<sip:alice@192.168.1.20:5060>;expires=600"], "the client's own contact");
    assert_eq!(out.response.headers.str("P-NAT-Refresh"), Some("25"));
    assert_eq!(out.response.headers.str("X-Real-Contact"), Some("sip:alice@127.0.0.1:40000"));
    assert_eq!(param(sent(&out, "user.register"), "reg_nat_addr"), "192.168.1.20:5060");
    assert_eq!(reg.lookup("alice", t(1))[0].callto(), "sip/sip:alice@127.0.0.1:40000");
}

#[test]
fn bad_requests_get_400() {
    let mut reg = registrar();
    let base = "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK1\n";
    let cases = [
        "From: <sip:a@h>;tag=1\nTo: <sip:a@h>\nCSeq: 1 REGISTER\nContact: <sip:a@h>\n",
        "From: <sip:a@h>;tag=1\nTo: <sip:a@h>\nCall-ID: c\nContact: <sip:a@h>\n",
        "To: <sip:a@h>\nCall-ID: c\nCSeq: 1 REGISTER\nContact: <sip:a@h>\n",
        "From: <sip:a@h>;tag=1\nTo: <sip:a@h>\nCall-ID: c\nCSeq: 1 REGISTER\nContact: <sip:a@h;expires=x\n",
        "From: <sip:a@h>;tag=1\nTo: <sip:a@h>\nCall-ID: c\nCSeq: 1 REGISTER\nContact: <sip:a@h>\nExpires: soon\n",
    ];
    for c in cases {
        let req = request(&format!("{base}{c}Content-Length: 0\n\n"));
        let out = reg.handle_register(&req, &Ua::new("a", "", 5071).peer(), t(0), &mut nobody);
        assert_eq!(out.response.code, 400, "{c}");
        assert!(out.dispatched.is_empty());
    }
}

#[test]
fn without_auth_required_the_to_user_registers() {
    let cfg = Config { auth_required: false, ..Config::default() };
    let mut reg = registrar_with(cfg, "[carol]\n");
    let mut carol = Ua::new("carol", "", 5075);
    let req = carol.register_request("<sip:c-0x1@127.0.0.1:5075>", Some(600));
    let out = reg.handle_register(&req, &carol.peer(), t(0), &mut nobody);
    assert_eq!(out.response.code, 200);
    assert_eq!(reg.lookup("carol", t(1)).len(), 1);
    // A user regfile does not know is refused with 404, as regfile leaves user.register unhandled.
    let mut zed = Ua::new("zed", "", 5076);
    let out =
        reg.handle_register(&zed.register_request("<sip:zed@127.0.0.1:5076>", None), &zed.peer(), t(0), &mut nobody);
    assert_eq!(out.response.code, 404);
    assert!(reg.lookup("zed", t(1)).is_empty());
}

#[test]
fn limits_on_contacts() {
    let cfg = Config { max_contacts: 2, ..Config::default() };
    let mut reg = registrar_with(cfg, USERS);
    let mut alice = Ua::new("alice", "secret", 5071);
    let two = "<sip:alice@127.0.0.1:1>, <sip:alice@127.0.0.1:2>";
    assert_eq!(alice.register(&mut reg, t(0), two, Some(600)).response.code, 200);
    let out = alice.register(&mut reg, t(1), "<sip:alice@127.0.0.1:3>", Some(600));
    assert_eq!(out.response.code, 503);
    // Replacing one within the same request stays inside the limit.
    let swap = "<sip:alice@127.0.0.1:1>;expires=0, <sip:alice@127.0.0.1:3>";
    assert_eq!(alice.register(&mut reg, t(2), swap, Some(600)).response.code, 200);
    assert_eq!(reg.lookup("alice", t(2)).len(), 2);
    // Lapsed bindings do not count, even before expire() has run.
    let out = alice.register(&mut reg, t(700), "<sip:alice@127.0.0.1:4>", Some(600));
    assert_eq!(out.response.code, 200);
    assert_eq!(contacts(&out.response), ["<sip:alice@127.0.0.1:4>;expires=600"]);
}
