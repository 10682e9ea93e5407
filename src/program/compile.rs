//! Lowering the IR to the decision program: runs, block chains and single rules.

use super::index::{Index, SubjectKey};
use super::{Check, Code, Entry, Fast, Instr, Item, Program, Proof, RuleId};
use crate::ir::{self, Ir, Keyword, Matcher};
use crate::source::Span;
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
    code.rules =
        rules.iter().map(|r| Fast { check: Check::of(ir, r), act: code.acts.push(r).map_or(0, |a| a + 1) }).collect();
    let mut run: Option<(Vec<Item>, Index, Span)> = None;
    let mut i = 0;
    while i < rules.len() {
        let r = &rules[i];
        let (item, next, guards) = if r.opens_block && !r.closes_block {
            let (start, end, guards) = chain(rules, i);
            (Item::Chain { start: RuleId(start as u32), end: RuleId(end as u32) }, end, guards)
        } else if !r.closes_block && pure(r) {
            (Item::Rule(RuleId(i as u32)), i + 1, vec![Guard::Rule(i)])
        } else {
            if let Some((items, index, span)) = run.take() {
                flush(ir, &mut code, rules, items, index, span);
            }
            code.steps.push(Instr::Rule(RuleId(i as u32)));
            code.spans.push(r.span);
            i += 1;
            continue;
        };
        let (items, index, _) = run.get_or_insert_with(|| (Vec::new(), Index::default(), r.span));
        for g in &guards {
            g.add(ir, rules, index, items.len() as u32);
        }
        items.push(item);
        i = next.max(i + 1);
    }
    if let Some((items, index, span)) = run.take() {
        flush(ir, &mut code, rules, items, index, span);
    }
    code
}

/// Runs of at most this many single rules are evaluated rule by rule: reading their
/// subjects once each costs less than a search through the index.
const SMALL_RUN: usize = 3;

/// Appends a finished run, or its rules one by one when it is small.
fn flush(ir: &Ir, code: &mut Code, rules: &[ir::Rule], items: Vec<Item>, index: Index, span: Span) {
    let singles: Vec<RuleId> = items
        .iter()
        .filter_map(|item| match item {
            Item::Rule(r) => Some(*r),
            Item::Chain { .. } => None,
        })
        .collect();
    if items.len() <= SMALL_RUN && singles.len() == items.len() {
        for r in singles {
            code.steps.push(Instr::Rule(r));
            code.spans.push(rules.get(r.0 as usize).map_or(span, |rule| rule.span));
        }
        return;
    }
    let run = finished(ir, rules, &code.rules, items, index);
    code.steps.push(run);
    code.spans.push(span);
}

fn finished(ir: &Ir, rules: &[ir::Rule], fast: &[Fast], items: Vec<Item>, mut index: Index) -> Instr {
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
            Entry { item, touches: funcs || touches(rules, &item, &keys), proof, act }
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
        key: u32::try_from(key).ok()?,
        prefix: u32::try_from(prefix.len()).ok()?,
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
            Guard::Rule(j) => add_rule(ir, index, pos, &rules[*j]),
            Guard::Always => index.add(pos, None, None),
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

/// Indexes a rule by its key condition, which must hold for the line to match unless
/// an `or` follows it directly.
fn add_rule(ir: &Ir, index: &mut Index, pos: u32, rule: &ir::Rule) {
    if rule.links.first().is_some_and(|l| l.conn == Connector::Or) {
        index.add(pos, None, None);
        return;
    }
    add_cond(ir, index, pos, &rule.cond);
}

/// The literal prefix a condition's regex is anchored on, when it proves that a
/// subject without that prefix cannot match.
fn add_cond(ir: &Ir, index: &mut Index, pos: u32, cond: &ir::Cond) {
    let key = SubjectKey::of(cond);
    let prefix = match (&cond.matcher, cond.negated) {
        (Matcher::Regex(id), false) => ir.regexes.get(*id).and_then(|e| {
            let ast = crate::regex::parse(&e.pattern, e.flags).ok()?;
            ast.literal_prefix()
        }),
        _ => None,
    };
    index.add(pos, key, prefix.as_deref());
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
