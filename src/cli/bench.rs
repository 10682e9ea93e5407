//! `rexroute bench`: routing throughput of one loaded engine, loading excluded.

use super::jsonio::parse_input;
use crate::bus::{Bus, Outcome};
use crate::runtime::env::Env;
use crate::runtime::message::Message;
use crate::runtime::router::{Engine, Router};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The regexroute.conf file.
    conf: PathBuf,
    /// Messages as JSON lines (the `route --batch` format).
    #[arg(long, value_name = "FILE")]
    batch: PathBuf,
    /// Which engine routes.
    #[arg(long, value_enum, default_value = "compiled")]
    engine: Engine,
    /// How many times the whole batch is routed.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// Route copies of the messages parsed at start, whose parameters are then read
    /// back from memory on every lookup, instead of messages built just before.
    #[arg(long)]
    cold: bool,
}

/// Messages built before each timed batch: few enough that their parameters stay in
/// the CPU caches, as a just-built message's do. With 64, routing the earlier ones
/// through 10,000 rules evicted the later ones from a 512 KB second-level cache
/// (15.7 simulated misses a route instead of 6.2, a sixth of the rate); with one, the
/// two clock reads of each batch would be timed with every message.
const BATCH: usize = 8;

/// A copy of `m` with parameters of its own, freshly written.
fn rebuilt(m: &Message) -> Message {
    let mut copy = Message::new(m.name.clone());
    for (k, v) in m.iter() {
        copy.add(k, v);
    }
    copy.retvalue = m.retvalue.clone();
    copy.time = m.time;
    copy.broadcast = m.broadcast;
    copy
}

/// Runs `bench`: prints one JSON line with the routing rate.
pub fn run(a: BenchArgs) -> ExitCode {
    let (_doc, ir) = match super::load(&a.conf) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let rules: usize = ir.contexts.iter().map(|c| c.rules.len()).sum();
    let text = match std::fs::read_to_string(&a.batch) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", a.batch.display());
            return ExitCode::from(2);
        }
    };
    let mut messages: Vec<Message> = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match parse_input(line, 0) {
            Ok(i) => messages.push(i.msg),
            Err(e) => {
                eprintln!("error: {}:{}: {e}", a.batch.display(), n + 1);
                return ExitCode::from(2);
            }
        }
    }
    let router = Router::with_engine(Arc::new(ir), Arc::new(Env::default()), a.engine);
    let mut bus = Bus::new();
    router.install(&mut bus);
    let mut out = Outcome::default();
    // One untimed pass: regexes compile on first use, and that is loading, not routing.
    for m in &messages {
        bus.dispatch_all(&mut m.clone(), &mut out);
        out.clear();
    }
    // A channel routes a message it has just built, whose parameters are still in the
    // CPU caches. Routing clones of the same 2,000 parsed messages over and over would
    // instead read megabytes of parameters back from memory on every lookup. So each
    // batch is built afresh, untimed, and then routed and dropped, timed.
    let mut seconds = 0.0;
    let mut fresh: Vec<Message> = Vec::with_capacity(BATCH);
    for _ in 0..a.repeat {
        for chunk in messages.chunks(BATCH) {
            fresh.extend(chunk.iter().map(|m| if a.cold { m.clone() } else { rebuilt(m) }));
            let started = Instant::now();
            for mut m in fresh.drain(..) {
                bus.dispatch_all(&mut m, &mut out);
                out.clear();
            }
            seconds += started.elapsed().as_secs_f64();
        }
    }
    let count = messages.len() as u64 * u64::from(a.repeat);
    let rate = if seconds > 0.0 { count as f64 / seconds } else { 0.0 };
    let engine = match a.engine {
        Engine::Compiled => "compiled",
        Engine::Naive => "naive",
    };
    println!(
        "{{\"engine\":\"{engine}\",\"rules\":{rules},\"messages\":{count},\"seconds\":{seconds:.6},\"per_second\":{rate:.1}}}"
    );
    ExitCode::SUCCESS
}
