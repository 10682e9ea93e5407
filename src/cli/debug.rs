//! `rexroute debug STAGE FILE`: print one stage of the pipeline.

use std::path::Path;
use std::process::ExitCode;

/// A printable stage.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Stage {
    /// The loaded INI document.
    Ini,
    /// The rule AST.
    Ast,
    /// The checked IR.
    Ir,
    /// The decision program.
    Program,
}

/// Prints the stage.
pub fn run(stage: Stage, file: &Path) -> ExitCode {
    let (doc, ir) = match super::load(file) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match stage {
        Stage::Ini => print!("{doc}"),
        Stage::Ast => {
            let ast = crate::syntax::parse(&doc);
            for c in &ast.contexts {
                println!("[{}]", c.name);
                for r in &c.rules {
                    println!("  {}: {}", doc.sources.location(r.entry.span), crate::syntax::describe(r));
                }
            }
        }
        Stage::Ir => print!("{ir}"),
        Stage::Program => print!("{}", crate::program::compile(&ir).disasm(&ir)),
    }
    ExitCode::SUCCESS
}
