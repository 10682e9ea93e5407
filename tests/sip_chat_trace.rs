//! The chat trace of shared/spec/sip.md §6 over a bus built from examples/chat:
//! MESSAGE → sip.message → enqueued msg.execute → lateroute → msg.route → call.route →
//! xsip.generate → the MESSAGE sent to Bob's registered contact.

#[path = "registrar_support/mod.rs"]
mod support;

use rexroute::bus::{Bus, Outcome};
use rexroute::lateroute::{self, LateRoute};
use rexroute::runtime::{env::Env, message::Message, router::Router};
use rexroute::sip::auth::{response, Algorithm, AuthConfig, Authenticator, DigestInput, Peer};
use rexroute::sip::generate::{Destination, GenerateConfig, Generator, RequestSender, SendError, SendOptions};
use rexroute::sip::generic::{handle_generic, GenericConfig};
use rexroute::sip::msg::{parse, Message as Sip, Request, Response};
use rexroute::sip::regfile::Users;
use rexroute::sip::registrar::{Config, Registrar, RouteHandler};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;
use support::{request, Ua};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/chat");

fn doc(file: &str) -> rexroute::ini::Document {
    let text = std::fs::read_to_string(format!("{DIR}/{file}")).expect("example file");
    rexroute::ini::load_str(file, &text, &Default::default())
}

/// Keeps every request it is asked to send.
#[derive(Default)]
struct Wire(Mutex<Vec<(Request, Destination)>>);

impl RequestSender for Wire {
    fn send(&self, req: Request, dest: &Destination, _opts: &SendOptions) -> Result<Option<Response>, SendError> {
        self.0.lock().unwrap().push((req, dest.clone()));
        Ok(None)
    }
}

struct Server {
    bus: Bus,
    users: Users,
    auth: Authenticator,
    generic: GenericConfig,
    wire: Arc<Wire>,
}

/// The chat directory's configuration on one bus, with Bob registered from 127.0.0.1:5072.
fn server(now: SystemTime) -> Server {
    let rules = doc("regexroute.conf");
    let ir = rexroute::ir::lower(&rules, &rexroute::syntax::parse(&rules));
    let mut bus = Bus::new();
    Router::new(Arc::new(ir), Arc::new(Env::default())).install(&mut bus);

    let (users, _) = Users::from_document(&doc("regfile.conf"), &[]);
    let mut reg = Registrar::new(Config::default(), users.clone());
    let out = Ua::new("bob", "secret2", 5072).register(&mut reg, now, "<sip:bob@127.0.0.1:5072;transport=udp>", None);
    assert_eq!(out.response.code, 200);
    RouteHandler::install(&mut bus, Arc::new(RwLock::new(Arc::new(reg.route_view()))), 100);

    let (late, warnings) = lateroute::Config::from_document(&doc("lateroute.conf"));
    assert!(warnings.is_empty());
    LateRoute::new(late).install(&mut bus);

    let (generic, warnings) = GenericConfig::from_document(&doc("ysipchan.conf"));
    assert!(warnings.is_empty());
    assert!(generic.generate);
    let wire = Arc::new(Wire::default());
    let gen_cfg = GenerateConfig { local: Some("127.0.0.1:5060".into()), ..GenerateConfig::default() };
    Arc::new(Generator::new(gen_cfg, wire.clone())).install(&mut bus, generic.generate);

    let auth = Authenticator::new(AuthConfig { qop: false, ..AuthConfig::default() });
    Server { bus, users, auth, generic, wire }
}

fn message(cseq: u32, content_type: &str, body: &[u8], authorization: Option<&str>) -> Request {
    let mut text = format!(
        "MESSAGE sip:bob@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5071;rport;branch=z9hG4bKm{cseq}\n\
Max-Forwards: 70\nTo: <sip:bob@127.0.0.1>\nFrom: \"Alice\" <sip:alice@127.0.0.1>;tag=poqas\n\
Call-ID: chat1@127.0.0.1\nCSeq: {cseq} MESSAGE\nUser-Agent: Twinkle/1.10.2\n"
    );
    if let Some(a) = authorization {
        text.push_str(&format!("Authorization: {a}\n"));
    }
    text.push_str("Content-Length: 0\n\n");
    let mut req = request(&text);
    req.set_body(Some(content_type), body.to_vec());
    req
}

impl Server {
    /// One request through the generic path; `user.auth` nobody takes falls back
    /// to regfile's users, as the registrar does.
    fn handle(&mut self, req: &Request, out: &mut Outcome) -> Response {
        let (bus, users) = (&self.bus, &self.users);
        let mut dispatch = |m: &mut Message| bus.dispatch(m, out) || m.name == b"user.auth" && users.answer_auth(m);
        let peer = Peer::udp("127.0.0.1:5071".parse().unwrap());
        handle_generic(req, &peer, &self.generic, &self.auth, SystemTime::now(), &mut dispatch, None).response(req)
    }

    /// Alice's MESSAGE with a digest answer to the challenge the first try gets.
    fn send_from_alice(&mut self, content_type: &str, body: &[u8], out: &mut Outcome) -> Response {
        let first = self.handle(&message(1, content_type, body, None), out);
        assert_eq!(first.code, 401, "step 2: challenged");
        let ch = first.headers.www_authenticate().unwrap().remove(0);
        let nonce = ch.nonce().unwrap().to_owned();
        let input = DigestInput {
            algorithm: Algorithm::Md5,
            username: "alice",
            realm: "Yate",
            password: "secret",
            method: "MESSAGE",
            uri: "sip:bob@127.0.0.1",
            nonce: &nonce,
            qop: None,
        };
        let authz = format!(
            "Digest username=\"alice\",realm=\"Yate\",nonce=\"{nonce}\",uri=\"sip:bob@127.0.0.1\",response=\"{}\",algorithm=MD5",
            response(&input)
        );
        self.handle(&message(2, content_type, body, Some(&authz)), out)
    }

    /// Runs what the rules enqueued, like the engine's worker does after the answer.
    fn run_queue(&self, out: &mut Outcome) -> Vec<(Message, bool)> {
        let mut done = Vec::new();
        while let Some(mut m) = out.queue.pop_front() {
            let handled = self.bus.dispatch(&mut m, out);
            done.push((m, handled));
        }
        done
    }
}

fn text(m: &Message, k: &str) -> String {
    String::from_utf8_lossy(m.get(k.as_bytes()).unwrap_or_default()).into_owned()
}

#[test]
fn chat_message_reaches_bobs_contact() {
    let mut server = server(SystemTime::now());
    let mut out = Outcome::default();
    let answer = server.send_from_alice("text/plain;charset=utf-8", b"Hello Bob", &mut out);
    assert_eq!(answer.code, 200, "step 5");
    assert!(answer.body.is_empty());
    assert_eq!(out.echo, ["Got SIP MESSAGE type 'text/plain'  from 'alice': Hello Bob"], "step 4");
    assert!(server.wire.0.lock().unwrap().is_empty(), "nothing sent before the queue runs");

    let done = server.run_queue(&mut out);
    assert_eq!(done.len(), 1);
    let (m, handled) = &done[0];
    assert!(handled);
    assert_eq!(m.name, b"xsip.generate", "step 6");
    assert_eq!(text(m, "method"), "MESSAGE");
    assert_eq!(text(m, "uri"), "sip:bob@127.0.0.1:5072;transport=udp");
    assert_eq!(text(m, "called"), "bob");
    assert_eq!(text(m, "callto"), "sip/sip:bob@127.0.0.1:5072;transport=udp");
    assert_eq!(text(m, "oconnection_id"), "general");
    assert_eq!(text(m, "driver"), "sip");

    let wire = server.wire.0.lock().unwrap();
    assert_eq!(wire.len(), 1);
    let (req, dest) = &wire[0];
    assert_eq!((dest.host.as_str(), dest.port), ("127.0.0.1", 5072));
    let bytes = req.to_bytes();
    let Ok(Sip::Request(back)) = parse(&bytes) else { panic!("the generated request does not parse") };
    assert_eq!(back.uri, "sip:bob@127.0.0.1:5072;transport=udp");
    let names: Vec<&str> = back.headers.iter().map(|h| h.name()).collect();
    assert_eq!(names, ["Via", "Max-Forwards", "From", "To", "Call-ID", "CSeq", "Content-Type", "Content-Length"]);
    assert_eq!(back.headers.str("Max-Forwards"), Some("20"), "antiloop was not carried over by the enqueue");
    assert!(back.headers.str("From").unwrap().starts_with("<sip:alice@127.0.0.1>;tag="));
    assert_eq!(back.headers.str("To"), Some("<sip:bob@127.0.0.1:5072;transport=udp>"));
    assert!(back.headers.str("Via").unwrap().starts_with("SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bK"));
    assert_eq!(back.headers.str("CSeq"), Some("1 MESSAGE"));
    assert_eq!(back.headers.str("Content-Type"), Some("text/plain"));
    assert_eq!(back.body, b"Hello Bob");
}

#[test]
fn file_transfer_keeps_binary_bytes_exact() {
    let mut server = server(SystemTime::now());
    // 3 KB of varied bytes, NULs and CRLFs included.
    let data: Vec<u8> = (0..3072u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let mut out = Outcome::default();
    let answer = server.send_from_alice("application/octet-stream", &data, &mut out);
    assert_eq!(answer.code, 200);
    let done = server.run_queue(&mut out);
    assert_eq!(text(&done[0].0, "xsip_body_encoding"), "base64");
    let wire = server.wire.0.lock().unwrap();
    let Ok(Sip::Request(back)) = parse(&wire[0].0.to_bytes()) else { panic!("no request") };
    assert_eq!(back.headers.str("Content-Type"), Some("application/octet-stream"));
    assert_eq!(back.body, data);
}

#[test]
fn offline_user_and_unsupported_bodies() {
    let mut server = server(SystemTime::now());
    let mut out = Outcome::default();
    let sdp = server.send_from_alice("application/sdp", b"v=0\r\n", &mut out);
    assert_eq!(sdp.code, 415, "no xsip_type: the seed answers 415");
    assert!(out.queue.is_empty());

    // Carol is nobody: lateroute fails, msg.execute keeps its callto and nothing is sent.
    let mut m = Message::new("msg.execute");
    m.add(b"callto", b"lateroute/carol");
    m.add(b"called", b"carol");
    assert!(!server.bus.dispatch(&mut m, &mut out));
    assert_eq!(text(&m, "callto"), "lateroute/carol");
    assert!(server.wire.0.lock().unwrap().is_empty());
}

#[test]
fn native_message_path_over_the_same_rules() {
    use rexroute::sip::generic::native_message;
    let mut server = server(SystemTime::now());
    server.generic.message_enable = true;
    assert_eq!(server.generic.auto_auth("MESSAGE"), None, "no sip.message on the native path");
    let peer = Peer::udp("127.0.0.1:5071".parse().unwrap());
    let mut out = Outcome::default();
    let req = message(1, "text/plain", b"Hi", None);
    let bus = &server.bus;
    let done = native_message(&req, &peer, None, &server.generic, &mut |m: &mut Message| bus.dispatch(m, &mut out));
    assert_eq!(done.response(&req).code, 200);
    let m = done.message.unwrap();
    assert_eq!(m.name, b"xsip.generate", "the seed's [msg.execute] rule took the routed message");
    assert_eq!(text(&m, "route_type"), "msg");
    assert_eq!(server.wire.0.lock().unwrap().len(), 1);

    // Alice is known but not registered: regfile says offline, which this path answers 405.
    let to_alice = request(
        "MESSAGE sip:alice@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5072;branch=z9hG4bKn1\nMax-Forwards: 70\n\
To: <sip:alice@127.0.0.1>\nFrom: <sip:bob@127.0.0.1>;tag=b\nCall-ID: n1\nCSeq: 1 MESSAGE\nContent-Length: 0\n\n",
    );
    let done =
        native_message(&to_alice, &peer, None, &server.generic, &mut |m: &mut Message| bus.dispatch(m, &mut out));
    assert_eq!(done.response(&to_alice).code, 405);
    assert_eq!(text(&done.message.unwrap(), "error"), "offline");
}
