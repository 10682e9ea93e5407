//! Shared helpers for the registrar tests.
//!
//! A controlled clock, a scripted user agent that answers digest challenges, and
//! registrars built from regfile text.
#![allow(dead_code)] // each test file uses a different subset

use rexroute::runtime::message::Message;
use rexroute::sip::auth::{response, Algorithm, AuthConfig, DigestInput, QopAuth};
use rexroute::sip::msg::{parse, Credentials, Message as Sip, Request, Response};
use rexroute::sip::regfile;
use rexroute::sip::registrar::{Config, Peer, RegisterOutcome, Registrar};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The test epoch plus `s` seconds.
pub fn t(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

/// Unix seconds of the test epoch plus `s`.
pub fn secs(s: u64) -> u64 {
    1_700_000_000 + s
}

pub const USERS: &str = "[alice]\npassword=secret\n[bob]\npassword=secret2\ncallername=Bob at ${address}\n\
[carol]\n[sales]\npassword=x\nalternatives=100\n[dave]\npassword=d\nalternatives=100\n";

/// A registrar over [`USERS`] with a fixed nonce secret.
pub fn registrar() -> Registrar {
    registrar_with(Config::default(), USERS)
}

pub fn registrar_with(mut cfg: Config, users: &str) -> Registrar {
    cfg.auth.secret = Some(b"test secret".to_vec());
    let (users, _, _) = regfile::load_str("regfile.conf", users);
    Registrar::new(cfg, users)
}

/// A config offering SHA-256 first, then MD5.
pub fn both_algorithms() -> Config {
    Config {
        auth: AuthConfig { algorithms: vec![Algorithm::Sha256, Algorithm::Md5], ..AuthConfig::default() },
        ..Config::default()
    }
}

/// Parses request text (`\n` line ends are turned into CRLF).
pub fn request(text: &str) -> Request {
    match parse(text.replace('\n', "\r\n").as_bytes()) {
        Ok(Sip::Request(r)) => r,
        other => panic!("not a request: {other:?}"),
    }
}

/// A dispatcher on which nothing is installed: every message falls through to
/// the registrar's own regfile handling.
pub fn nobody(_: &mut Message) -> bool {
    false
}

/// A scripted user agent: keeps its Call-ID and CSeq like Twinkle (refreshes on the
/// same Call-ID) and answers the last challenge it saw.
pub struct Ua {
    pub user: String,
    pub password: String,
    pub port: u16,
    pub call_id: String,
    pub cseq: u32,
    pub challenge: Option<Credentials>,
    pub nc: u32,
    pub user_agent: &'static str,
}

impl Ua {
    pub fn new(user: &str, password: &str, port: u16) -> Ua {
        Ua {
            user: user.into(),
            password: password.into(),
            port,
            call_id: format!("{user}-{port}@127.0.0.1"),
            cseq: 0,
            challenge: None,
            nc: 0,
            user_agent: "Twinkle/1.10.2",
        }
    }

    pub fn peer(&self) -> Peer {
        Peer::udp(format!("127.0.0.1:{}", self.port).parse().unwrap())
    }

    /// Its usual Contact URI.
    pub fn contact(&self) -> String {
        format!("sip:{}@127.0.0.1:{};transport=udp", self.user, self.port)
    }

    /// The Authorization value answering the stored challenge, if any.
    pub fn authorization(&mut self, method: &str, uri: &str) -> Option<String> {
        let ch = self.challenge.clone()?;
        let algorithm = Algorithm::from_param(ch.algorithm()).unwrap();
        let nonce = ch.nonce().unwrap().to_owned();
        let realm = ch.realm().unwrap().to_owned();
        let qop = ch.qop().is_some();
        self.nc += 1;
        let nc = format!("{:08x}", self.nc);
        let input = DigestInput {
            algorithm,
            username: &self.user,
            realm: &realm,
            password: &self.password,
            method,
            uri,
            nonce: &nonce,
            qop: qop.then_some(QopAuth { nc: &nc, cnonce: "0a4f113b" }),
        };
        let resp = response(&input);
        let mut value = format!(
            "Digest username=\"{}\",realm=\"{realm}\",nonce=\"{nonce}\",uri=\"{uri}\",response=\"{resp}\",algorithm={}",
            self.user,
            algorithm.name()
        );
        if qop {
            value.push_str(&format!(",qop=auth,nc={nc},cnonce=\"0a4f113b\""));
        }
        Some(value)
    }

    /// The next REGISTER: CSeq + 1, `Contact: contact`, optional Expires, and
    /// credentials when a challenge is known.
    pub fn register_request(&mut self, contact: &str, expires: Option<u32>) -> Request {
        self.cseq += 1;
        let mut text = format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{port};rport;branch=z9hG4bK{cseq}x{port}\n\
Max-Forwards: 70\nFrom: <sip:{user}@127.0.0.1>;tag=f{port}\nTo: <sip:{user}@127.0.0.1>\nCall-ID: {call_id}\n\
CSeq: {cseq} REGISTER\nUser-Agent: {ua}\n",
            port = self.port,
            cseq = self.cseq,
            user = self.user,
            call_id = self.call_id,
            ua = self.user_agent,
        );
        if !contact.is_empty() {
            text.push_str(&format!("Contact: {contact}\n"));
        }
        if let Some(e) = expires {
            text.push_str(&format!("Expires: {e}\n"));
        }
        if let Some(a) = self.authorization("REGISTER", "sip:127.0.0.1") {
            text.push_str(&format!("Authorization: {a}\n"));
        }
        text.push_str("Content-Length: 0\n\n");
        request(&text)
    }

    /// Remembers the first challenge of a 401.
    pub fn learn(&mut self, r: &Response) {
        if r.code == 401 {
            self.challenge = r.headers.www_authenticate().unwrap().into_iter().next();
            self.nc = 0;
        }
    }

    /// Sends one REGISTER; on a 401, learns the challenge and sends it again.
    pub fn register(
        &mut self,
        reg: &mut Registrar,
        now: SystemTime,
        contact: &str,
        expires: Option<u32>,
    ) -> RegisterOutcome {
        let first = reg.handle_register(&self.register_request(contact, expires), &self.peer(), now, &mut nobody);
        if first.response.code != 401 {
            return first;
        }
        self.learn(&first.response);
        reg.handle_register(&self.register_request(contact, expires), &self.peer(), now, &mut nobody)
    }
}

/// The text of a message parameter.
pub fn param(m: &Message, name: &str) -> String {
    String::from_utf8_lossy(m.get(name.as_bytes()).unwrap_or_default()).into_owned()
}

/// The dispatched message called `name` (the last one).
pub fn sent<'a>(out: &'a RegisterOutcome, name: &str) -> &'a Message {
    let found = out.dispatched.iter().rev().find(|d| d.message.name == name.as_bytes());
    &found.unwrap_or_else(|| panic!("no {name} dispatched")).message
}

/// Every Contact value of a response.
pub fn contacts(r: &Response) -> Vec<String> {
    r.headers.get_all("Contact").map(|h| h.as_str().unwrap().to_owned()).collect()
}
