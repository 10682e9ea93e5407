//! Digest authentication of REGISTER.
//!
//! The RFC example vectors, 401 / 403 / stale answers, nonce-count replay
//! protection, SHA-256, `user.auth` handler outcomes, and no panic on arbitrary
//! Authorization values.

mod registrar_support;

use proptest::prelude::*;
use registrar_support::*;
use rexroute::runtime::message::Message;
use rexroute::sip::auth::{response, Algorithm, AuthConfig, DigestInput, QopAuth};
use rexroute::sip::registrar::Config;

fn rfc_input<'a>(
    algorithm: Algorithm,
    realm: &'a str,
    password: &'a str,
    nonce: &'a str,
    cnonce: &'a str,
) -> DigestInput<'a> {
    DigestInput {
        algorithm,
        username: "Mufasa",
        realm,
        password,
        method: "GET",
        uri: "/dir/index.html",
        nonce,
        qop: Some(QopAuth { nc: "00000001", cnonce }),
    }
}

#[test]
fn rfc_2617_section_3_5_md5() {
    let input = rfc_input(
        Algorithm::Md5,
        "testrealm@host.com",
        "Circle Of Life",
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "0a4f113b",
    );
    assert_eq!(response(&input), "6629fae49393a05397450978507c4ef1");
}

#[test]
fn rfc_7616_section_3_9_1_sha256_and_md5() {
    let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    let sha = rfc_input(Algorithm::Sha256, "http-auth@example.org", "Circle of Life", nonce, cnonce);
    assert_eq!(response(&sha), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    let md5 = DigestInput { algorithm: Algorithm::Md5, ..sha };
    assert_eq!(response(&md5), "8ca523f5e9506fed4657c9700eebdbec");
}

#[test]
fn wrong_password_after_the_challenge_is_403() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "not-the-password", 5071);
    let out = alice.register(&mut reg, t(0), &format!("<{}>", alice.contact()), Some(600));
    assert_eq!(out.response.code, 403);
    assert_eq!(out.enqueue.len(), 1);
    assert_eq!(out.enqueue[0].name, b"user.authfail");
    assert_eq!(param(&out.enqueue[0], "username"), "alice");
    assert!(reg.lookup("alice", t(0)).is_empty());
    // An unknown user with a valid nonce gets the same answer (no user enumeration).
    let mut mallory = Ua::new("mallory", "x", 5080);
    let out = mallory.register(&mut reg, t(0), &format!("<{}>", mallory.contact()), Some(600));
    assert_eq!(out.response.code, 403);
}

#[test]
fn yate_parity_rechallenges_a_wrong_password() {
    let cfg =
        Config { auth: AuthConfig { reject_wrong_password: false, ..AuthConfig::default() }, ..Config::default() };
    let mut reg = registrar_with(cfg, USERS);
    let mut alice = Ua::new("alice", "wrong", 5071);
    let out = alice.register(&mut reg, t(0), &format!("<{}>", alice.contact()), Some(600));
    assert_eq!(out.response.code, 401);
    assert!(out.response.headers.str("WWW-Authenticate").unwrap().contains("stale=FALSE"));
}

#[test]
fn stale_nonce_gets_stale_true() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let contact = format!("<{}>", alice.contact());
    let first = reg.handle_register(&alice.register_request(&contact, Some(600)), &alice.peer(), t(0), &mut nobody);
    alice.learn(&first.response);
    // Older than the 10 s lifetime: the response is right but the nonce is stale.
    let late = reg.handle_register(&alice.register_request(&contact, Some(600)), &alice.peer(), t(11), &mut nobody);
    assert_eq!(late.response.code, 401);
    assert!(late.response.headers.str("WWW-Authenticate").unwrap().contains("stale=TRUE"));
    alice.learn(&late.response);
    let ok = reg.handle_register(&alice.register_request(&contact, Some(600)), &alice.peer(), t(12), &mut nobody);
    assert_eq!(ok.response.code, 200);
    // Within the lifetime the same nonce serves the next request (nc 2).
    let reuse = reg.handle_register(&alice.register_request(&contact, Some(600)), &alice.peer(), t(20), &mut nobody);
    assert_eq!(reuse.response.code, 200);
}

#[test]
fn replayed_nonce_count_is_refused() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let contact = format!("<{}>", alice.contact());
    let first = reg.handle_register(&alice.register_request(&contact, Some(600)), &alice.peer(), t(0), &mut nobody);
    alice.learn(&first.response);
    let captured = alice.register_request(&contact, Some(600));
    assert_eq!(reg.handle_register(&captured, &alice.peer(), t(1), &mut nobody).response.code, 200);
    let replay = reg.handle_register(&captured, &alice.peer(), t(2), &mut nobody);
    assert_eq!(replay.response.code, 401);
    assert!(replay.response.headers.str("WWW-Authenticate").unwrap().contains("stale=TRUE"));
    // Replayed after the nonce lifetime: refused as stale as well, never accepted.
    let later = reg.handle_register(&captured, &alice.peer(), t(100), &mut nobody);
    assert_eq!(later.response.code, 401);
    assert_eq!(sent(&replay, "user.auth").name, b"user.auth");
    assert!(replay.dispatched.iter().all(|d| d.message.name != b"user.register"));
}

#[test]
fn responses_without_qop_like_yate_clients() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let contact = format!("<{}>", alice.contact());
    let first = reg.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(0), &mut nobody);
    alice.learn(&first.response);
    // Answer as Twinkle answers Yate: no qop, nc or cnonce.
    alice.challenge.as_mut().unwrap().params.retain(|(n, _, _)| n != "qop");
    let out = reg.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(1), &mut nobody);
    assert_eq!(out.response.code, 200);

    let cfg = Config { auth: AuthConfig { require_qop: true, ..AuthConfig::default() }, ..Config::default() };
    let mut strict = registrar_with(cfg, USERS);
    let first = strict.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(0), &mut nobody);
    alice.learn(&first.response);
    alice.challenge.as_mut().unwrap().params.retain(|(n, _, _)| n != "qop");
    let out = strict.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(1), &mut nobody);
    assert_eq!(out.response.code, 401);
}

#[test]
fn sha256_and_md5_challenges() {
    let mut reg = registrar_with(both_algorithms(), USERS);
    let mut alice = Ua::new("alice", "secret", 5071);
    let contact = format!("<{}>", alice.contact());
    let first = reg.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(0), &mut nobody);
    let offered: Vec<String> =
        first.response.headers.get_all("WWW-Authenticate").map(|h| h.as_str().unwrap().to_owned()).collect();
    assert_eq!(offered.len(), 2);
    assert!(offered[0].contains("algorithm=SHA-256") && offered[1].contains("algorithm=MD5"));
    alice.learn(&first.response);
    let out = reg.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(1), &mut nobody);
    assert_eq!(out.response.code, 200, "SHA-256 answer");

    // Only SHA-256 offered: an MD5 answer on our nonce cannot be checked → new challenge.
    let cfg = Config {
        auth: AuthConfig { algorithms: vec![Algorithm::Sha256], ..AuthConfig::default() },
        ..Config::default()
    };
    let mut sha_only = registrar_with(cfg, USERS);
    let first = sha_only.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(0), &mut nobody);
    alice.learn(&first.response);
    for (n, v, _) in alice.challenge.as_mut().unwrap().params.iter_mut() {
        if n == "algorithm" {
            *v = "MD5".into();
        }
    }
    let out = sha_only.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(1), &mut nobody);
    assert_eq!(out.response.code, 401);
}

#[test]
fn opaque_must_come_back() {
    let cfg =
        Config { auth: AuthConfig { opaque: Some("op4que".into()), ..AuthConfig::default() }, ..Config::default() };
    let mut reg = registrar_with(cfg, USERS);
    let mut alice = Ua::new("alice", "secret", 5071);
    let contact = format!("<{}>", alice.contact());
    let first = reg.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(0), &mut nobody);
    let challenge = first.response.headers.str("WWW-Authenticate").unwrap().to_owned();
    assert!(challenge.ends_with("opaque=\"op4que\""), "{challenge}");
    alice.learn(&first.response);
    // Our UA does not echo opaque, so its credentials cannot be used.
    let out = reg.handle_register(&alice.register_request(&contact, None), &alice.peer(), t(1), &mut nobody);
    assert_eq!(out.response.code, 401);
}

#[test]
fn a_nonce_minted_with_another_secret_is_not_ours() {
    let mut reg = registrar();
    let other = AuthConfig { secret: Some(b"other".to_vec()), ..AuthConfig::default() };
    let stranger = rexroute::sip::auth::Authenticator::new(other);
    let value = stranger.challenge(t(0), false).remove(0);
    let mut alice = Ua::new("alice", "secret", 5071);
    let parsed = request(&format!("OPTIONS sip:x SIP/2.0\nWWW-Authenticate: {value}\nContent-Length: 0\n\n"));
    alice.challenge = parsed.headers.www_authenticate().unwrap().into_iter().next();
    let out = reg.handle_register(
        &alice.register_request(&format!("<{}>", alice.contact()), None),
        &alice.peer(),
        t(1),
        &mut nobody,
    );
    assert_eq!(out.response.code, 401);
    assert!(out.response.headers.str("WWW-Authenticate").unwrap().contains("stale=FALSE"));
    assert_eq!(sent(&out, "user.auth").get(b"username"), None, "foreign credentials are not passed on");
    stranger.purge(t(100));
}

#[test]
fn user_auth_handlers_decide() {
    let mut reg = registrar();
    let mut carol = Ua::new("carol", "", 5075);
    let contact = format!("<{}>", carol.contact());
    // IP authentication: a handler accepts with an empty return value.
    let mut by_ip = |m: &mut Message| m.name == b"user.auth" && param(m, "ip_host") == "127.0.0.1";
    let out = reg.handle_register(&carol.register_request(&contact, None), &carol.peer(), t(0), &mut by_ip);
    assert_eq!(out.response.code, 200, "carol has a section, so regfile stores her");
    assert_eq!(param(sent(&out, "user.register"), "username"), "carol");

    // Refused with a reason that maps to a code other than 401.
    let mut refuse = |m: &mut Message| {
        m.retvalue = b"-".to_vec();
        m.set(b"error", b"forbidden");
        m.set(b"osip_Warning", b"399 rexroute \"not from here\"");
        true
    };
    let out = reg.handle_register(&carol.register_request(&contact, None), &carol.peer(), t(0), &mut refuse);
    assert_eq!(out.response.code, 403);
    assert_eq!(out.response.headers.str("Warning"), Some("399 rexroute \"not from here\""));
    let mut noauth = |m: &mut Message| {
        m.retvalue = b"-".to_vec();
        m.set(b"error", b"noauth");
        true
    };
    let out = reg.handle_register(&carol.register_request(&contact, None), &carol.peer(), t(0), &mut noauth);
    assert_eq!(out.response.code, 401);

    // A handler knows a password regfile does not; regfile then leaves user.register unhandled → 404.
    let mut zed = Ua::new("zed", "pw", 5076);
    let mut knows_zed = |m: &mut Message| {
        let ours = m.name == b"user.auth" && param(m, "username") == "zed";
        if ours {
            m.retvalue = b"pw".to_vec();
        }
        ours
    };
    let first =
        reg.handle_register(&zed.register_request("<sip:zed@127.0.0.1:5076>", None), &zed.peer(), t(0), &mut knows_zed);
    zed.learn(&first.response);
    let out =
        reg.handle_register(&zed.register_request("<sip:zed@127.0.0.1:5076>", None), &zed.peer(), t(1), &mut knows_zed);
    assert_eq!(out.response.code, 404);
    // ... unless a bus handler stores it; a code it sets is used on refusal.
    let mut refuse_register = |m: &mut Message| {
        if m.name == b"user.register" {
            m.set(b"code", b"488");
            return false;
        }
        knows_zed(m)
    };
    let out = reg.handle_register(
        &zed.register_request("<sip:zed@127.0.0.1:5076>", None),
        &zed.peer(),
        t(2),
        &mut refuse_register,
    );
    assert_eq!(out.response.code, 488);
}

#[test]
fn handlers_may_change_expires_and_data() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let contact = format!("<{}>", alice.contact());
    let first = reg.handle_register(&alice.register_request(&contact, Some(600)), &alice.peer(), t(0), &mut nobody);
    alice.learn(&first.response);
    let mut shorten = |m: &mut Message| {
        if m.name == b"user.register" {
            m.set(b"expires", b"120");
            m.set(b"data", b"sip/sip:alice@10.9.9.9");
            m.set(b"osip_X-Note", b"shortened");
            return true;
        }
        false
    };
    let out = reg.handle_register(&alice.register_request(&contact, Some(600)), &alice.peer(), t(1), &mut shorten);
    assert_eq!(out.response.headers.str("Expires"), Some("120"));
    assert_eq!(out.response.headers.str("X-Note"), Some("shortened"));
    // Like regfile, the store keeps the `data` the handlers left.
    assert_eq!(reg.lookup("alice", t(2))[0].callto(), "sip/sip:alice@10.9.9.9");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any Authorization value, well-formed or not: a 400, 401 or 403 and no panic.
    #[test]
    fn odd_authorization_headers_never_panic(value in "[ -~]{0,120}") {
        let mut reg = registrar();
        let text = format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK1\r\n\
From: <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n\
Contact: <sip:alice@127.0.0.1:5071>\r\nAuthorization: {value}\r\nContent-Length: 0\r\n\r\n"
        );
        if let Ok(rexroute::sip::msg::Message::Request(req)) = rexroute::sip::msg::parse(text.as_bytes()) {
            let out = reg.handle_register(&req, &Ua::new("alice", "secret", 5071).peer(), t(0), &mut nobody);
            prop_assert!([400, 401, 403].contains(&out.response.code), "{}", out.response.code);
        }
    }

    /// Digest parameters with arbitrary values on a nonce of ours: no panic, never 200
    /// unless the response is right.
    #[test]
    fn odd_digest_params_never_panic(
        nc in "[0-9a-fA-Fg ]{0,10}",
        qop in prop::sample::select(vec!["auth", "AUTH", "auth-int", "", "x"]),
        algorithm in prop::sample::select(vec!["MD5", "md5", "SHA-256", "MD5-sess", "", "SHA-512-256"]),
        uri in "[ -~]{0,30}",
        resp in "[0-9a-f]{0,64}",
    ) {
        let mut reg = registrar();
        let mut alice = Ua::new("alice", "secret", 5071);
        let req = alice.register_request("<sip:alice@h>", None);
        let first = reg.handle_register(&req, &alice.peer(), t(0), &mut nobody);
        alice.learn(&first.response);
        let nonce = alice.challenge.as_ref().unwrap().nonce().unwrap().to_owned();
        let value = format!(
            "Digest username=\"alice\", realm=\"Yate\", nonce=\"{nonce}\", uri={}, response=\"{resp}\", \
qop={qop:?}, nc=\"{nc}\", cnonce=\"c\", algorithm={algorithm:?}",
            rexroute::sip::msg::quote(&uri)
        );
        let text = format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\nFrom: <sip:alice@h>;tag=1\r\n\
To: <sip:alice@h>\r\nCall-ID: c2\r\nCSeq: 2 REGISTER\r\nContact: <sip:alice@h>\r\nAuthorization: {value}\r\n\r\n"
        );
        if let Ok(rexroute::sip::msg::Message::Request(req)) = rexroute::sip::msg::parse(text.as_bytes()) {
            let out = reg.handle_register(&req, &alice.peer(), t(1), &mut nobody);
            prop_assert_ne!(out.response.code, 200);
        }
    }
}

/// `Security-*` headers always reach `user.auth` as `sip_<name>`, and so do the
/// headers `[general] auth_copy_headers` lists (any case), in request order.
#[test]
fn user_auth_gets_security_and_listed_headers() {
    let mut cfg = Config::default();
    cfg.auth.copy_headers = vec!["x-tenant".into(), "p-asserted-identity".into()];
    let mut reg = registrar_with(cfg, USERS);
    let mut alice = Ua::new("alice", "secret", 5077);
    let mut req = alice.register_request(&format!("<{}>", alice.contact()), Some(600));
    req.headers.push(rexroute::sip::msg::Header::new("Security-Client", "digest"));
    req.headers.push(rexroute::sip::msg::Header::new("X-Tenant", "acme"));
    req.headers.push(rexroute::sip::msg::Header::new("X-Other", "no"));
    let out = reg.handle_register(&req, &alice.peer(), t(0), &mut |_| false);
    let auth = sent(&out, "user.auth");
    let sip: Vec<(String, String)> = auth
        .iter()
        .filter(|(k, _)| k.starts_with(b"sip_"))
        .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    assert_eq!(sip, [("sip_security-client".to_owned(), "digest".to_owned()), ("sip_x-tenant".into(), "acme".into())]);
}
