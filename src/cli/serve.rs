//! `rexroute serve`: run the SIP server on a Yate configuration directory.

use crate::server::config::Source;
use crate::server::{self, Options};
use crate::sip::transport::parse_listen;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// A directory in Yate's layout (regexroute.conf, regfile.conf, ysipchan.conf,
    /// lateroute.conf); without it, the embedded examples/chat setup.
    #[arg(long, value_name = "DIR")]
    config: Option<PathBuf>,
    /// Listen on UDP and TCP at IP:PORT (or `udp:IP:PORT`, `tcp:IP:PORT`) instead of
    /// the configured listeners; repeatable; port 0 picks a free one.
    #[arg(long, value_name = "IP:PORT")]
    listen: Vec<String>,
    /// Append every bus message to FILE as a JSON line.
    #[arg(long, value_name = "FILE")]
    bus_log: Option<PathBuf>,
    /// Keep registrations in FILE instead of the one regfile.conf's `file` names.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
}

/// Runs `serve`.
pub fn run(a: ServeArgs) -> ExitCode {
    init_logging();
    let mut listen = Vec::new();
    for l in &a.listen {
        match parse_listen(l) {
            Ok(mut v) => listen.append(&mut v),
            Err(e) => {
                eprintln!("error: --listen {e}");
                return ExitCode::from(2);
            }
        }
    }
    let source = a.config.map_or(Source::Embedded, Source::Dir);
    server::run(Options { source, listen, bus_log: a.bus_log, state: a.state })
}

/// Logs to stderr; `RUST_LOG` filters (default `info`).
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
