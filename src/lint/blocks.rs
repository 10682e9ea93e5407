//! Block nesting of one context, walked the way Yate's evaluator tracks it (spec §3.7).
//!
//! Yate checks `{` openers and `}` closers on every line it passes, run or skipped, so
//! the nesting is a static property of the line order. Three rules read this walk.

use crate::syntax::Rule;

/// Yate's block stack holds at most this many open blocks.
pub const MAX_OPEN: usize = 10;

/// What the walk found in one context.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Block depth before each line (lines after an overflow keep the last depth).
    pub depth: Vec<usize>,
    /// Lines starting with `}` while no block is open: Yate skips them whole.
    pub stray: Vec<usize>,
    /// The first opener that would be the 11th open block: Yate abandons the context.
    pub overflow: Option<usize>,
    /// Openers still open at the end of the context.
    pub unclosed: Vec<usize>,
}

/// Walks the rules of one context.
pub fn walk(rules: &[Rule]) -> Walk {
    let mut w = Walk::default();
    let mut stack: Vec<usize> = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        w.depth.push(stack.len());
        if w.overflow.is_some() {
            continue;
        }
        // "Got '}' outside block": the whole line, opener included, is skipped.
        if r.close.is_some() && stack.pop().is_none() {
            w.stray.push(i);
            continue;
        }
        if r.opens_block {
            if stack.len() >= MAX_OPEN {
                w.overflow = Some(i);
                continue;
            }
            stack.push(i);
        }
    }
    if w.overflow.is_none() {
        w.unclosed = stack;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ini::Entry;
    use crate::syntax::parse_rule;

    fn rules(lines: &[(&str, &str)]) -> Vec<Rule> {
        lines
            .iter()
            .map(|(k, v)| parse_rule(&Entry { key: k.to_string(), value: v.to_string(), ..Default::default() }))
            .collect()
    }

    #[test]
    fn chained_blocks_balance() {
        let w = walk(&rules(&[("^1$", "{"), ("} ^2$", "{"), ("}", "{"), ("}", "")]));
        assert_eq!(w.depth, [0, 1, 1, 1]);
        assert!(w.stray.is_empty() && w.unclosed.is_empty() && w.overflow.is_none());
    }

    #[test]
    fn stray_unclosed_and_overflow() {
        let w = walk(&rules(&[("}", "{"), ("^1$", "{")]));
        assert_eq!(w.stray, [0]);
        assert_eq!(w.unclosed, [1]);
        let deep: Vec<(&str, &str)> = (0..11).map(|_| (".*", "{")).collect();
        assert_eq!(walk(&rules(&deep)).overflow, Some(10));
    }
}
