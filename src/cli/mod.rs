//! Command-line interface: argument parsing and the subcommands.

mod bench;
mod debug;
mod jsonio;
mod lint;
mod migrate;
mod migrate_sip;
mod route;
mod serve;
mod test;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// rexroute: Yate's regexroute.conf, compiled.
#[derive(Parser, Debug)]
#[command(name = "rexroute", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Route messages through a configuration and print the results as JSON lines.
    Route(route::RouteArgs),
    /// Check configuration files for lines Yate reads differently than they look.
    Lint(lint::LintArgs),
    /// Run routing unit tests (`*.test.toml`) and report failures.
    Test(test::TestArgs),
    /// Report what rexroute makes of a Yate configuration directory and copy what it uses.
    Migrate(migrate::MigrateArgs),
    /// Measure routing throughput of one loaded engine (loading excluded).
    Bench(bench::BenchArgs),
    /// Run the SIP server: registrar and routing on a Yate configuration directory.
    Serve(serve::ServeArgs),
    /// Print a pipeline stage: ini, ast, ir or program.
    Debug {
        /// Which stage.
        #[arg(value_enum)]
        stage: debug::Stage,
        /// The regexroute.conf file.
        file: PathBuf,
    },
}

/// Runs the command line; the exit status follows the documented convention
/// (0 success, 1 failures found, 2 usage or I/O error).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    // Routing recurses (goto/include up to `maxdepth`, nested `dispatch`), and a
    // configuration decides how deep: run the command on a thread with room for it.
    let worker = std::thread::Builder::new()
        .name("rexroute".into())
        .stack_size(crate::runtime::STACK_BYTES)
        .spawn(move || run(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: the command's thread could not run");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Route(a) => route::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Test(a) => test::run(a),
        Command::Migrate(a) => migrate::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Debug { stage, file } => debug::run(stage, &file),
    }
}

/// Loads a configuration file into an IR, or explains why it could not.
pub(crate) fn load(path: &std::path::Path) -> Result<(crate::ini::Document, crate::ir::Ir), String> {
    let doc = crate::ini::load(path, &crate::ini::LoadOptions::default(), &crate::ini::RealFs)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let ast = crate::syntax::parse(&doc);
    let ir = crate::ir::lower(&doc, &ast);
    Ok((doc, ir))
}
