//! `rexroute debug program`: the steps of every context.

use super::{Instr, Item, Program};
use crate::ir::Ir;
use std::fmt::Write;

impl Program {
    /// A listing of the program, with the IR for names and locations.
    pub fn disasm(&self, ir: &Ir) -> String {
        let mut s = String::new();
        for (code, ctx) in self.contexts.iter().zip(&ir.contexts) {
            let _ = writeln!(s, "context {} ({} rules, {} steps)", ctx.name, ctx.rules.len(), code.steps.len());
            for (i, (step, span)) in code.steps.iter().zip(&code.spans).enumerate() {
                let loc = ir.sources.location(*span);
                let _ = match step {
                    Instr::Rule(r) => writeln!(s, "  {i:>4} rule #{}            {loc}", r.0),
                    Instr::Run { items, index } => {
                        let chains = items.iter().filter(|it| matches!(it, Item::Chain { .. })).count();
                        let first = items.first().map_or(0, |it| match it {
                            Item::Rule(r) => r.0,
                            Item::Chain { start, .. } => start.0,
                        });
                        writeln!(
                            s,
                            "  {i:>4} run from #{first}: {} items ({chains} block chains) {loc}  [{}]",
                            items.len(),
                            index.describe()
                        )
                    }
                };
            }
        }
        s
    }
}
