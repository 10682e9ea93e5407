//! `rexroute debug program`: the steps of every context.

use super::{Instr, Item, Program};
use crate::ir::Ir;
use std::fmt::Write;

impl Program {
    /// A listing of the program, with the IR for names and locations.
    pub fn disasm(&self, ir: &Ir) -> String {
        let mut s = String::new();
        let (mut shaped, mut fast, mut exact, mut invalid) = (0, 0, 0, 0);
        for (_, e) in ir.regexes.iter() {
            match e.compiled() {
                Ok(r) if r.has_shape() => shaped += 1,
                Ok(r) if r.has_fast_path() => fast += 1,
                Ok(_) => exact += 1,
                Err(_) => invalid += 1,
            }
        }
        let _ = writeln!(
            s,
            "; regexes: {} distinct, {shaped} matched directly, {fast} with the regex-crate fast path, {exact} glibc only, {invalid} invalid (never match)",
            ir.regexes.len()
        );
        for (code, ctx) in self.contexts.iter().zip(&ir.contexts) {
            let checks = code.rules.iter().filter(|f| f.check.is_some()).count();
            let packed = code.rules.iter().filter(|f| f.act != 0).count();
            let _ = writeln!(
                s,
                "context {} ({} rules, {} steps; {checks} conditions checked as text, {packed} actions packed in {} bytes, {} texts shared in {} bytes)",
                ctx.name,
                ctx.rules.len(),
                code.steps.len(),
                code.acts.len(),
                code.acts.shared_count(),
                code.acts.shared_len()
            );
            for (i, (step, span)) in code.steps.iter().zip(&code.spans).enumerate() {
                let loc = ir.sources.location(*span);
                let _ = match step {
                    Instr::Rule(r) => writeln!(s, "  {i:>4} rule #{}            {loc}", r.0),
                    Instr::Rules { start, end } if end.0 == start.0 + 1 => {
                        writeln!(s, "  {i:>4} rules #{}            {loc}", start.0)
                    }
                    Instr::Rules { start, end } => {
                        writeln!(s, "  {i:>4} rules #{}..#{}        {loc}", start.0, end.0.saturating_sub(1))
                    }
                    Instr::Chain { start, end } => {
                        let layout = match code.rules.get(start.0 as usize).and_then(|f| f.shape.as_deref()) {
                            Some(shape) => format!(", {} branches by layout", shape.branches.len()),
                            None => String::new(),
                        };
                        writeln!(s, "  {i:>4} block chain #{}..#{}{layout}  {loc}", start.0, end.0.saturating_sub(1))
                    }
                    Instr::Run { items, index } => {
                        let touching = items.iter().filter(|e| e.touches).count();
                        let proven = items.iter().filter(|e| e.proof.is_some()).count();
                        let chains = items.iter().filter(|e| matches!(e.item, Item::Chain { .. })).count();
                        let laid_out = items
                            .iter()
                            .filter(|e| match e.item {
                                Item::Chain { start, .. } => {
                                    code.rules.get(start.0 as usize).is_some_and(|f| f.shape.is_some())
                                }
                                Item::Rule(_) => false,
                            })
                            .count();
                        let packed = items.iter().filter(|e| e.act != 0).count();
                        let inline = items.iter().filter(|e| e.inline.get().is_some()).count();
                        let first = items.first().map_or(0, |e| match e.item {
                            Item::Rule(r) => r.0,
                            Item::Chain { start, .. } => start.0,
                        });
                        writeln!(
                            s,
                            "  {i:>4} run from #{first}: {} items ({chains} block chains, {laid_out} of them by layout, {touching} changing subjects, {proven} settled by prefix, {packed} actions packed, {inline} of them in their entries) {loc}  [{}]",
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
