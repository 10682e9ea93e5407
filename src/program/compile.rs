//! Lowering the IR to the decision program: runs, block chains and single rules.

use super::index::{Index, SubjectKey};
use super::{Acts, Branch, Check, Code, Entry, Fast, Inline, Instr, Item, Program, Proof, RuleId, Shape};
use crate::ir::{self, Ir, Keyword, Matcher};
use crate::syntax::Connector;

/// Yate aborts a context at the 11th nested block; such chains always run.
const MAX_BLOCKS: u32 = 10;

/// Compiles every context of `ir`.
pub fn compile(ir: &Ir) -> Program {
    let contexts = ir.contexts.iter().map(|c| context(ir, &c.rules)).collect();
    Program { contexts }
}

fn context(ir: &Ir, rules: &[ir::Rule]) -> Code {
    let mut code = Code::default();
    // Every rule's action is packed in rule order, so that those of a run's items lie
    // in the order a search reads them.
    code.acts.plan(rules);
    code.rules = rules
        .iter()
        .map(|r| {
            let act = code.acts.push(r).map_or(0, |a| a + 1);
            let sets = match &r.action {
                // Packed: only literal assignments, every value within the limit.
                ir::Action::Plain { keyword: Some(Keyword::Nothing), assigns, .. } if act != 0 => {
                    assigns.iter().map(|t| t.assign.clone()).collect::<Option<Box<[_]>>>()
                }
                _ => None,
            };
            Fast { check: Check::of(ir, r), act, sets, shape: None }
        })
        .collect();
    code.acts.finish();
    let mut run: Vec<(Item, Vec<Guard>)> = Vec::new();
    let mut i = 0;
    while i < rules.len() {
        let r = &rules[i];
        let (item, next, guards) = if r.opens_block && !r.closes_block {
            let (start, end, guards) = chain(rules, i);
            if let Some(f) = code.rules.get_mut(start) {
                f.shape = shape(rules, start, end).map(Box::new);
            }
            (Item::Chain { start: RuleId(start as u32), end: RuleId(end as u32) }, end, guards)
        } else if !r.closes_block && pure(r) {
            (Item::Rule(RuleId(i as u32)), i + 1, vec![Guard::Rule(i)])
        } else {
            flush(ir, &mut code, rules, std::mem::take(&mut run));
            code.steps.push(Instr::Rule(RuleId(i as u32)));
            code.spans.push(r.span);
            i += 1;
            continue;
        };
        run.push((item, guards));
        i = next.max(i + 1);
    }
    flush(ir, &mut code, rules, run);
    merge_rules(&mut code, rules);
    code.ahead = code
        .steps
        .iter()
        .position(|s| matches!(s, Instr::Run { index, .. } if index.ahead().is_some()))
        .and_then(|i| u32::try_from(i).ok());
    code
}

/// Joins consecutive single-rule steps that neither open nor close a block into one
/// [`Instr::Rules`]: the VM then walks them in a loop of its own, without a step's
/// dispatch and reads of the IR for each.
fn merge_rules(code: &mut Code, rules: &[ir::Rule]) {
    let plain = |step: &Instr| match *step {
        Instr::Rule(r) => rules.get(r.0 as usize).filter(|x| !x.opens_block && !x.closes_block).map(|_| r),
        _ => None,
    };
    let steps = std::mem::take(&mut code.steps);
    let spans = std::mem::take(&mut code.spans);
    for (step, span) in steps.into_iter().zip(spans) {
        if let Some(r) = plain(&step) {
            if let Some(Instr::Rules { end, .. }) = code.steps.last_mut() {
                if *end == r {
                    end.0 += 1;
                    continue;
                }
            }
            code.steps.push(Instr::Rules { start: r, end: RuleId(r.0 + 1) });
        } else {
            code.steps.push(step);
        }
        code.spans.push(span);
    }
}

/// Runs of at most this many single rules are evaluated rule by rule: reading their
/// subjects once each costs less than a search through the index.
const SMALL_RUN: usize = 3;

/// Appends a finished run. Its leading items that every search would name (a guard
/// with no literal prefix: `.*`, `^+\?0*$`, a chain with an `else` branch) become steps
/// of their own: searching for them would cost the index a subject and every search a
/// sort, and find them anyway. What remains is evaluated rule by rule when it is small,
/// else searched through its index.
fn flush(ir: &Ir, code: &mut Code, rules: &[ir::Rule], run: Vec<(Item, Vec<Guard>)>) {
    let lead = run.iter().take_while(|(_, guards)| guards.iter().any(|g| g.always(ir, rules))).count();
    let mut run = run.into_iter();
    for (item, _) in run.by_ref().take(lead) {
        single(code, rules, item);
    }
    let rest: Vec<(Item, Vec<Guard>)> = run.collect();
    let chains = rest.iter().any(|(item, _)| matches!(item, Item::Chain { .. }));
    if rest.len() <= SMALL_RUN && !chains {
        for (item, _) in rest {
            single(code, rules, item);
        }
        return;
    }
    let Some(span) = rest.first().and_then(|(item, _)| rules.get(first_rule(item))).map(|r| r.span) else { return };
    let mut index = Index::default();
    let mut items = Vec::with_capacity(rest.len());
    for (pos, (item, guards)) in rest.into_iter().enumerate() {
        for g in &guards {
            g.add(ir, rules, &mut index, pos as u32);
        }
        items.push(item);
    }
    let run = finished(ir, rules, &code.rules, &code.acts, items, index);
    code.steps.push(run);
    code.spans.push(span);
}

/// The first rule of an item.
fn first_rule(item: &Item) -> usize {
    match *item {
        Item::Rule(r) => r.0 as usize,
        Item::Chain { start, .. } => start.0 as usize,
    }
}

/// Appends one item as a step of its own.
fn single(code: &mut Code, rules: &[ir::Rule], item: Item) {
    let Some(rule) = rules.get(first_rule(&item)) else { return };
    code.steps.push(match item {
        Item::Rule(r) => Instr::Rule(r),
        Item::Chain { start, end } => Instr::Chain { start, end },
    });
    code.spans.push(rule.span);
}

fn finished(ir: &Ir, rules: &[ir::Rule], fast: &[Fast], acts: &Acts, items: Vec<Item>, mut index: Index) -> Instr {
    index.finish();
    let keys: Vec<&SubjectKey> = index.keys().collect();
    // Function subjects may read anything: every item counts as changing them.
    let funcs = keys.iter().any(|k| matches!(k, SubjectKey::Func(_)));
    let items = items
        .into_iter()
        .map(|item| {
            let proof = match item {
                Item::Rule(r) => rules.get(r.0 as usize).and_then(|rule| proof(ir, rule, &index)),
                Item::Chain { .. } => None,
            };
            let act = match item {
                Item::Rule(r) => fast.get(r.0 as usize).map_or(0, |f| f.act),
                Item::Chain { .. } => 0,
            };
            let inline = act.checked_sub(1).and_then(|at| acts.record(at)).map_or(Inline::NONE, Inline::of);
            Entry { item, touches: funcs || touches(rules, &item, &keys), proof, act, inline }
        })
        .collect();
    Instr::Run { items, index }
}

/// The [`Proof`] of a rule whose one condition is a prefix-form regex indexed by its
/// literal prefix.
fn proof(ir: &Ir, rule: &ir::Rule, index: &Index) -> Option<Proof> {
    let c = &rule.cond;
    if !rule.links.is_empty() || rule.broken.is_some() || c.negated {
        return None;
    }
    let Matcher::Regex(id) = c.matcher else { return None };
    let e = ir.regexes.get(id)?;
    let ast = crate::regex::parse(&e.pattern, e.flags).ok()?;
    let (prefix, tail) = ast.prefix_form()?;
    // The index must have filed the rule under exactly this prefix.
    if ast.literal_prefix().as_deref() != Some(&prefix[..]) {
        return None;
    }
    let key = index.position(&SubjectKey::of(c)?)?;
    Some(Proof {
        key: u16::try_from(key).ok()?,
        prefix: u16::try_from(prefix.len()).ok()?,
        tail,
        needs_caps: rule.needs_caps,
    })
}

/// Whether running `item` can change what a subject among `keys` reads.
fn touches(rules: &[ir::Rule], item: &Item, keys: &[&SubjectKey]) -> bool {
    let range = match *item {
        Item::Rule(r) => r.0 as usize..r.0 as usize + 1,
        Item::Chain { start, end } => start.0 as usize..end.0 as usize,
    };
    rules.get(range).map_or(true, |rs| rs.iter().any(|r| rule_touches(r, keys)))
}

/// Whether a rule's action can change the match string or a parameter among `keys`.
/// A new message (`dispatch`, `enqueue`) gets its own parameters; a global is no
/// parameter; a keyword known only after substitution could be `match` or `include`.
fn rule_touches(r: &ir::Rule, keys: &[&SubjectKey]) -> bool {
    let param = |n: &[u8]| keys.iter().any(|k| matches!(k, SubjectKey::Param(p, _) if p.as_bytes() == n));
    let assign = |t: &ir::Template| match &t.assign {
        None => true,
        Some(ir::Assign::Set(n, _)) => param(n.as_bytes()),
        Some(ir::Assign::Clear(n)) => param(n),
        Some(ir::Assign::Nothing | ir::Assign::SetGlobal(..) | ir::Assign::ClearGlobal(_)) => false,
    };
    match &r.action {
        ir::Action::Echo(_)
        | ir::Action::Debug { .. }
        | ir::Action::Block
        | ir::Action::NoMessage
        | ir::Action::Message { .. } => false,
        ir::Action::Plain { first, keyword, assigns } => {
            let kw = match keyword {
                None => may_become_touching(first),
                Some(Keyword::Include { .. }) => true,
                Some(Keyword::Match(_)) => keys.iter().any(|k| matches!(k, SubjectKey::MatchString)),
                Some(_) => false,
            };
            kw || assigns.iter().any(assign)
        }
    }
}

/// How one line feeds its item's candidacy (a rule item has one guard: itself).
enum Guard {
    /// The line's conditions are pure: index its key condition.
    Rule(usize),
    /// Always a candidate (impure conditions, or the chain nests too deep).
    Always,
}

impl Guard {
    fn add(&self, ir: &Ir, rules: &[ir::Rule], index: &mut Index, pos: u32) {
        match self {
            Guard::Rule(j) => match rules.get(*j) {
                Some(rule) => {
                    let (key, prefix) = filing(ir, rule);
                    index.add(pos, key, prefix.as_deref());
                }
                None => index.add(pos, None, None),
            },
            Guard::Always => index.add(pos, None, None),
        }
    }

    /// Whether every search names the item for this guard: it has no key, or is
    /// filed without a prefix or under the empty one.
    fn always(&self, ir: &Ir, rules: &[ir::Rule]) -> bool {
        match self {
            Guard::Rule(j) => match rules.get(*j) {
                Some(rule) => match filing(ir, rule) {
                    (Some(_), Some(prefix)) => prefix.is_empty(),
                    _ => true,
                },
                None => true,
            },
            Guard::Always => true,
        }
    }
}

/// A rule that can join a run: no block line, conditions without effects.
fn pure(r: &ir::Rule) -> bool {
    !r.opens_block && !r.closes_block && pure_conds(r)
}

/// Whether the rule's conditions can be evaluated, or skipped, without any effect.
fn pure_conds(r: &ir::Rule) -> bool {
    r.broken.is_none()
        && SubjectKey::of(&r.cond).is_some()
        && r.links.iter().all(|l| l.cond.as_ref().is_some_and(|c| SubjectKey::of(c).is_some()))
}

/// How a rule is filed in an index: by its key condition, which must hold for the
/// line to match unless an `or` follows it directly, under the literal prefix its regex
/// is anchored on when that proves that a subject without it cannot match. No key:
/// always a candidate; no prefix: always a candidate of its key's group.
fn filing(ir: &Ir, rule: &ir::Rule) -> (Option<SubjectKey>, Option<Vec<u8>>) {
    if rule.links.first().is_some_and(|l| l.conn == Connector::Or) {
        return (None, None);
    }
    let cond = &rule.cond;
    let key = SubjectKey::of(cond);
    let prefix = match (&cond.matcher, cond.negated) {
        (Matcher::Regex(id), false) => ir.regexes.get(*id).and_then(|e| {
            let ast = crate::regex::parse(&e.pattern, e.flags).ok()?;
            ast.literal_prefix()
        }),
        _ => None,
    };
    (key, prefix)
}

/// A top-level block chain from the opener at `start` to the line that brings the
/// nesting back to zero (or the end of the context): its range and its guards.
fn chain(rules: &[ir::Rule], start: usize) -> (usize, usize, Vec<Guard>) {
    let mut depth: u32 = 0;
    let mut max_depth = 0;
    let mut guards = Vec::new();
    let mut end = rules.len();
    for (j, r) in rules.iter().enumerate().skip(start) {
        if r.closes_block {
            depth = depth.saturating_sub(1);
        }
        if depth == 0 && is_guard(r) {
            guards.push(if pure_conds(r) { Guard::Rule(j) } else { Guard::Always });
        }
        if r.opens_block {
            depth += 1;
            max_depth = max_depth.max(depth);
        }
        if depth == 0 {
            end = j + 1;
            break;
        }
    }
    if max_depth > MAX_BLOCKS {
        guards.push(Guard::Always);
    }
    (start, end, guards)
}

/// The [`Shape`] of the chain `start..end`, when it has the simple form: openers whose
/// action is `{`, bodies of lines that neither open nor close a block, a final `}`.
fn shape(rules: &[ir::Rule], start: usize, end: usize) -> Option<Shape> {
    let last = end.checked_sub(1)?;
    let close = rules.get(last).filter(|r| r.closes_block && !r.opens_block)?;
    let mut branches = Vec::new();
    let mut j = start;
    while j < last {
        let opener = rules.get(j)?;
        if !opener.opens_block || opener.closes_block != (j > start) || !matches!(opener.action, ir::Action::Block) {
            return None;
        }
        let body = rules.get(j + 1..last)?;
        let k = j + 1 + body.iter().take_while(|r| !r.opens_block && !r.closes_block).count();
        branches.push(Branch { opener: RuleId(j as u32), end: RuleId(k as u32) });
        j = k;
    }
    (j == last && !branches.is_empty()).then(|| Shape {
        branches,
        close: RuleId(last as u32),
        close_noop: !is_guard(close),
    })
}

/// Whether a line evaluated while no branch of its chain runs could have an effect
/// when it matches: everything but a bare `}` with nothing to do.
fn is_guard(r: &ir::Rule) -> bool {
    let no_op =
        matches!(&r.action, ir::Action::Plain { keyword: Some(Keyword::Nothing), assigns, .. } if assigns.is_empty());
    !(r.closes_block && !r.opens_block && no_op && is_always(r))
}

/// A closing line with no condition of its own (`}` alone) tests `.*`.
fn is_always(r: &ir::Rule) -> bool {
    r.links.is_empty() && r.broken.is_none() && r.key.trim_start_matches('}').trim_matches([' ', '\t']).is_empty()
}

/// Whether a first piece known only after substitution could turn out to be `include`
/// (or `call`) or `match`: unless the literal text before its first substitution
/// already rules that out, it could.
fn may_become_touching(first: &ir::Template) -> bool {
    const WORDS: [&[u8]; 6] = [b"include", b"call", b"@include", b"@call", b"match", b"newmatch"];
    let text = &first.text;
    let literal = &text[..text.iter().position(|&b| b == b'\\' || b == b'$').unwrap_or(text.len())];
    match literal.first() {
        None => true,
        Some(b) if b.is_ascii_whitespace() => true,
        Some(_) => WORDS.iter().any(|w| literal.starts_with(w) || w.starts_with(literal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(conf: &str) -> Vec<String> {
        let doc = crate::ini::load_str("t.conf", conf, &crate::ini::LoadOptions::default());
        let ir = crate::ir::lower(&doc, &crate::syntax::parse(&doc));
        let program = compile(&ir);
        let Some(code) = program.contexts.first() else { panic!("no context") };
        code.steps
            .iter()
            .map(|s| match s {
                Instr::Rule(r) => format!("rule {}", r.0),
                Instr::Rules { start, end } => format!("rules {}..{}", start.0, end.0),
                Instr::Chain { start, end } => format!("chain {}..{}", start.0, end.0),
                Instr::Run { items, .. } => format!("run of {}", items.len()),
            })
            .collect()
    }

    /// A chain of plain bodies gets its layout; one with a nested block or an opener
    /// with another action does not.
    #[test]
    fn simple_chains_get_a_shape() {
        let shape_of = |conf: &str| {
            let doc = crate::ini::load_str("t.conf", conf, &crate::ini::LoadOptions::default());
            let ir = crate::ir::lower(&doc, &crate::syntax::parse(&doc));
            let program = compile(&ir);
            let code = program.contexts.first()?;
            let s = code.rules.iter().find_map(|f| f.shape.as_deref())?;
            Some((s.branches.iter().map(|b| (b.opener.0, b.end.0)).collect::<Vec<_>>(), s.close.0, s.close_noop))
        };
        let conf = "[default]\n.*=;a=1\n${m}^sip$={\n${u}^G=;b=1\n^1=c\n} ${m}^iax$={\n}={\n.*=;d=1\n}\n";
        assert_eq!(shape_of(conf), Some((vec![(1, 4), (4, 5), (5, 7)], 7, true)));
        let conf = "[default]\n^1={\n.*=;a=1\n} ^2=;b=1\n";
        assert_eq!(shape_of(conf), Some((vec![(0, 2)], 2, false)), "a closing line with its own rule");
        assert_eq!(shape_of("[default]\n^1={\n^2={\n.*=x\n}\n}\n"), None, "nested");
        assert_eq!(shape_of("[default]\n^1={\n.*=x\n"), None, "never closed");
    }

    /// Leading items every search would name (no literal prefix, or a chain with an
    /// `else` branch) are steps of their own; the rest is searched.
    #[test]
    fn leading_always_candidates_become_steps() {
        let table = "^1=a\n^2=b\n^3=c\n^4=d\n";
        let conf = format!(
            "[default]\n.*=;a=1\n${{caller}}^+\\?0*$=-\n${{module}}^sip$={{\n.*=;b=1\n}}={{\n.*=;c=1\n}}\n{table}"
        );
        assert_eq!(steps(&conf), ["rules 0..2", "chain 2..7", "run of 4"]);
        // A chain that only a prefix can open stays in the run, and so does what follows.
        let conf = format!("[default]\n${{module}}^sip$={{\n.*=;b=1\n}}\n.*=;a=1\n{table}");
        assert_eq!(steps(&conf), ["run of 6"]);
        // Three rules or fewer after the peeled ones are single steps.
        let conf = "[default]\n.*=;a=1\n^1=a\n^2=b\n";
        assert_eq!(steps(conf), ["rules 0..3"]);
    }
}
