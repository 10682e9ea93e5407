//! `rexroute route`: dispatch messages through a configuration, print JSON lines.

use super::jsonio::{parse_input, result_line};
use crate::bus::{Bus, Outcome};
use crate::runtime::env::Env;
use crate::runtime::message::Message;
use crate::runtime::router::Router;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `route`.
#[derive(clap::Args, Debug)]
pub struct RouteArgs {
    /// The regexroute.conf file.
    conf: PathBuf,
    /// Message name (single-message mode).
    #[arg(long, default_value = "call.route")]
    message: String,
    /// A parameter `name=value` (repeatable, order kept).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Initial return value.
    #[arg(long, default_value = "")]
    retvalue: String,
    /// Message time in seconds since the Unix epoch (default: now).
    #[arg(long)]
    time: Option<u64>,
    /// Read messages as JSON lines from FILE (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
    /// Add a trace of every rule evaluated to each result.
    #[arg(long)]
    trace: bool,
    /// Which engine routes: the decision program or the reference walk.
    #[arg(long, value_enum, default_value = "compiled")]
    engine: crate::runtime::router::Engine,
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Runs `route`.
pub fn run(a: RouteArgs) -> ExitCode {
    let (_doc, ir) = match super::load(&a.conf) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let router = Router::with_engine(Arc::new(ir), Arc::new(Env::default()), a.engine);
    let mut bus = Bus::new();
    router.install(&mut bus);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut one = |msg: Message| -> std::io::Result<()> {
        let mut msg = msg;
        let mut o = Outcome { trace: a.trace.then(Vec::new), ..Default::default() };
        let handled = bus.dispatch_all(&mut msg, &mut o);
        writeln!(out, "{}", result_line(&msg, handled, &o))
    };
    let Some(batch) = &a.batch else {
        let mut msg = Message::new(a.message.clone().into_bytes());
        for p in &a.params {
            let (k, v) = p.split_once('=').unwrap_or((p.as_str(), ""));
            msg.add(k.as_bytes(), v.as_bytes());
        }
        msg.retvalue = a.retvalue.clone().into_bytes();
        msg.time = a.time.unwrap_or_else(now);
        return match one(msg) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(2),
        };
    };
    let reader: Box<dyn BufRead> = if batch.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(batch) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("error: {}: {e}", batch.display());
                return ExitCode::from(2);
            }
        }
    };
    for (n, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: reading batch: {e}");
                return ExitCode::from(2);
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let input = match parse_input(&line, a.time.unwrap_or_else(now)) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("error: {}:{}: {e}", batch.display(), n + 1);
                return ExitCode::from(2);
            }
        };
        if one(input.msg).is_err() {
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
