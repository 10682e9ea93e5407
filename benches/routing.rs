//! `cargo bench`: route decisions per message for both engines as the dialplan grows.
//!
//! The dialplan is an LCR table of anchored prefix routes (longer prefixes first, as
//! carriers write them) behind a few guards, built in process so the suite needs no
//! external generator; `scripts/bench` runs the realistic `gen-dialplan` workloads.

use rexroute::bus::{Bus, Outcome};
use rexroute::ini::{load_str, LoadOptions};
use rexroute::runtime::env::Env;
use rexroute::runtime::message::Message;
use rexroute::runtime::router::{Engine, Router};
use std::sync::Arc;

fn main() {
    divan::main();
}

/// A deterministic pseudo-random sequence (no dependency, same numbers every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn dialplan(rules: usize) -> String {
    let mut rng = Lcg(11);
    let mut s = String::from("[default]\n${username}^$=-;error=noauth\n${address}^192\\.0\\.2\\.=-;error=forbidden\n.*=;tonedetect_in=true\n");
    for i in 0..rules {
        let prefix = 10_000 + rng.next() % 90_000_000;
        s.push_str(&format!("^{prefix}\\(.*\\)$=sip/sip:\\1@gw{}.example;line=gw{}\n", i % 40, i % 40));
    }
    s.push_str(".*=-;error=noroute\n");
    s
}

fn router(rules: usize, engine: Engine) -> (Bus, Vec<Message>) {
    let doc = load_str("/bench/regexroute.conf", &dialplan(rules), &LoadOptions::default());
    let ast = rexroute::syntax::parse(&doc);
    let ir = rexroute::ir::lower(&doc, &ast);
    let keys: Vec<String> = ir.contexts[0].rules.iter().map(|r| r.key.clone()).collect();
    let r = Router::with_engine(Arc::new(ir), Arc::new(Env::default()), engine);
    let mut bus = Bus::new();
    r.install(&mut bus);
    let mut rng = Lcg(7);
    let messages = (0..64)
        .map(|_| {
            let k = &keys[3 + (rng.next() as usize % rules)];
            let digits: String = k.chars().filter(char::is_ascii_digit).collect();
            let mut m = Message::new("call.route");
            m.add(b"called", format!("{digits}{}", rng.next() % 10_000).as_bytes());
            m.add(b"caller", b"4930123456");
            m.add(b"username", b"alice");
            m.add(b"address", b"10.1.2.3:5060");
            m
        })
        .collect();
    (bus, messages)
}

fn bench_engine(bencher: divan::Bencher, rules: usize, engine: Engine) {
    let (bus, messages) = router(rules, engine);
    let mut out = Outcome::default();
    for m in &messages {
        bus.dispatch_all(&mut m.clone(), &mut out);
        out.clear();
    }
    let mut i = 0;
    bencher.bench_local(|| {
        let mut m = messages[i % messages.len()].clone();
        i += 1;
        let handled = bus.dispatch_all(&mut m, &mut out);
        out.clear();
        handled
    });
}

#[divan::bench(args = [100, 1000, 10000])]
fn compiled(bencher: divan::Bencher, rules: usize) {
    bench_engine(bencher, rules, Engine::Compiled);
}

#[divan::bench(args = [100, 1000, 10000], sample_count = 10, sample_size = 1)]
fn naive(bencher: divan::Bencher, rules: usize) {
    bench_engine(bencher, rules, Engine::Naive);
}
