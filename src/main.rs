//! The `rexroute` command line.

fn main() -> std::process::ExitCode {
    rexroute::cli::main()
}
