//! Rule-line parsing: the pest grammar in `grammar/regexroute.pest` to our own AST.

use super::ast::*;
use crate::ini::{Document, Entry};
use pest::iterators::Pair;
use pest::Parser as _;

mod grammar {
    //! The generated pest parser; its types stay inside this file.
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/regexroute.pest"]
    pub struct RuleGrammar;
}
use grammar::{Rule as G, RuleGrammar};

/// Parses every entry of every section into rules. Never fails: Yate accepts every
/// line, so odd lines become explicit nodes (see [`Rule`]) for lint to report.
pub fn parse(doc: &Document) -> Ast {
    let contexts = doc
        .sections
        .iter()
        .map(|s| Context {
            name: s.name.clone(),
            headers: s.headers.clone(),
            rules: s.entries.iter().map(parse_rule).collect(),
        })
        .collect();
    Ast { contexts }
}

/// Parses one entry.
pub fn parse_rule(entry: &Entry) -> Rule {
    let (close, cond) = parse_key(&entry.key);
    let (links, broken, action) = parse_value(&entry.value);
    Rule { entry: entry.clone(), close, cond, links, broken, action, opens_block: opens_block(&entry.value) }
}

/// `^(.*=[[:space:]]*)?{$` on the raw value.
fn opens_block(value: &str) -> bool {
    let Some(head) = value.strip_suffix('{') else { return false };
    let head = head.trim_end_matches([' ', '\t', '\r', '\n', '\x0b', '\x0c']);
    head.is_empty() || head.ends_with('=')
}

fn parse_key(key: &str) -> (Option<String>, Cond) {
    let fallback = || (None, plain_cond(key, Side::Key, 0));
    let Ok(mut pairs) = RuleGrammar::parse(G::key, key) else { return fallback() };
    let Some(top) = pairs.next() else { return fallback() };
    let mut close = None;
    let mut cond = None;
    for p in top.into_inner() {
        match p.as_rule() {
            G::close => close = Some(p.as_str().to_string()),
            G::cond => cond = Some(build_cond(p, Side::Key)),
            _ => {}
        }
    }
    match cond {
        Some(c) => (close, c),
        None => fallback(),
    }
}

fn plain_cond(text: &str, side: Side, at: usize) -> Cond {
    let negated = text.trim_end_matches([' ', '\t']).ends_with('^');
    Cond {
        text: text.to_string(),
        side,
        range: at..at + text.len(),
        kind: CondKind::Plain,
        regex: 0..text.len(),
        negated,
    }
}

fn build_cond(pair: Pair<'_, G>, side: Side) -> Cond {
    let span = pair.as_span();
    let base = span.start();
    let text = span.as_str().to_string();
    let mut cond = plain_cond(&text, side, base);
    let Some(form) = pair.into_inner().next() else { return cond };
    let form_rule = form.as_rule();
    for p in form.into_inner() {
        let r = p.as_span().start() - base..p.as_span().end() - base;
        match p.as_rule() {
            G::regex => {
                cond.negated = p.clone().into_inner().any(|q| q.as_rule() == G::negation);
                cond.regex = r;
            }
            G::param_name => cond.kind = CondKind::Param { inner: p.as_str().to_string() },
            G::func_text => cond.kind = CondKind::Func { inner: p.as_str().to_string() },
            G::unclosed => {
                cond.negated = false;
                cond.regex = r.end..r.end;
                cond.kind = if form_rule == G::param_cond { CondKind::UnclosedParam } else { CondKind::UnclosedFunc };
            }
            _ => {}
        }
    }
    cond
}

type ValueParts = (Vec<Link>, Option<BrokenLink>, Option<Action>);

fn parse_value(value: &str) -> ValueParts {
    let fallback = || (Vec::new(), None, Some(plain_action(value, 0)));
    let Ok(mut pairs) = RuleGrammar::parse(G::value, value) else { return fallback() };
    let Some(top) = pairs.next() else { return fallback() };
    let mut links = Vec::new();
    let mut broken = None;
    let mut action = None;
    for p in top.into_inner() {
        match p.as_rule() {
            G::link => links.push(build_link(p)),
            G::broken_link => broken = Some(build_broken(p)),
            G::action => action = Some(build_action(p)),
            _ => {}
        }
    }
    (links, broken, action)
}

fn connector(s: &str) -> Connector {
    match s {
        "if" => Connector::If,
        "and" => Connector::And,
        _ => Connector::Or,
    }
}

fn build_link(pair: Pair<'_, G>) -> Link {
    let start = pair.as_span().start();
    let text = pair.as_str();
    let mut conn = Connector::If;
    let mut cond = plain_cond("", Side::Value, start);
    let mut cond_end = start;
    for p in pair.into_inner() {
        match p.as_rule() {
            G::connector => conn = connector(p.as_str()),
            G::link_cond => {
                cond = plain_link_cond(p.as_str(), p.as_span().start());
                cond_end = p.as_span().end();
            }
            _ => {}
        }
    }
    let conn_len = match conn {
        Connector::If | Connector::Or => 2,
        Connector::And => 3,
    };
    let gap = text.get(conn_len..cond.range.start - start).unwrap_or("").to_string();
    let trail = text.get(cond_end + 1 - start..).unwrap_or("").to_string();
    Link { conn, gap, cond, trail }
}

/// A link condition is parsed like a key (minus the `}`), at its offset in the value.
fn plain_link_cond(text: &str, at: usize) -> Cond {
    let (_, mut c) = parse_key_cond_only(text);
    c.side = Side::Value;
    c.range = at..at + text.len();
    c
}

fn parse_key_cond_only(text: &str) -> (Option<String>, Cond) {
    let Ok(mut pairs) = RuleGrammar::parse(G::cond, text) else { return (None, plain_cond(text, Side::Key, 0)) };
    match pairs.next() {
        Some(p) if p.as_str().len() == text.len() => (None, build_cond(p, Side::Key)),
        _ => (None, plain_cond(text, Side::Key, 0)),
    }
}

fn build_broken(pair: Pair<'_, G>) -> BrokenLink {
    let range = pair.as_span().start()..pair.as_span().end();
    let mut conn = Connector::If;
    let mut rest = String::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            G::connector => conn = connector(p.as_str()),
            G::rest => rest = p.as_str().to_string(),
            _ => {}
        }
    }
    BrokenLink { conn, rest, range }
}

fn piece(p: &Pair<'_, G>) -> Piece {
    Piece { text: p.as_str().to_string(), range: p.as_span().start()..p.as_span().end() }
}

fn pieces(pair: Pair<'_, G>) -> Vec<Piece> {
    pair.into_inner().filter(|p| p.as_rule() == G::piece).map(|p| piece(&p)).collect()
}

fn plain_action(text: &str, at: usize) -> Action {
    let mut out = Vec::new();
    let mut off = at;
    for part in text.split(';') {
        out.push(Piece { text: part.to_string(), range: off..off + part.len() });
        off += part.len() + 1;
    }
    Action::Plain { pieces: out }
}

fn build_action(pair: Pair<'_, G>) -> Action {
    let at = pair.as_span().start();
    let text = pair.as_str();
    let Some(inner) = pair.into_inner().next() else { return plain_action(text, at) };
    let whole = inner.as_str();
    let start = inner.as_span().start();
    match inner.as_rule() {
        G::block_action => Action::Block,
        G::echo_action => {
            let parts: Vec<_> = inner.into_inner().collect();
            let word = parts.first().map(|p| p.as_str().to_string()).unwrap_or_default();
            let text = parts.last().map(piece).unwrap_or(Piece { text: String::new(), range: start..start });
            let gap = whole.get(word.len()..text.range.start - start).unwrap_or("").to_string();
            Action::Echo { word, gap, text }
        }
        G::debug_action => build_debug(inner),
        G::msg_action => {
            let parts: Vec<_> = inner.into_inner().collect();
            let word = parts.first().map(|p| p.as_str()).unwrap_or("");
            let enqueue = word == "enqueue";
            let list = parts.into_iter().find(|p| p.as_rule() == G::pieces);
            let first = list.as_ref().map_or(start + whole.len(), |l| l.as_span().start());
            let gap = whole.get(word.len()..first - start).unwrap_or("").to_string();
            Action::Message { enqueue, gap, pieces: list.map(pieces).unwrap_or_default() }
        }
        G::plain_action => Action::Plain { pieces: inner.into_inner().next().map(pieces).unwrap_or_default() },
        _ => plain_action(text, at),
    }
}

fn build_debug(pair: Pair<'_, G>) -> Action {
    let start = pair.as_span().start();
    let whole = pair.as_str();
    let mut level_at = None;
    let mut text = Piece { text: String::new(), range: start + whole.len()..start + whole.len() };
    for p in pair.into_inner() {
        match p.as_rule() {
            G::debug_level => level_at = Some((p.as_span().start(), p.as_str().to_string())),
            G::rest => text = piece(&p),
            _ => {}
        }
    }
    let gap_end = level_at.as_ref().map_or(text.range.start, |(s, _)| *s);
    let gap = whole.get(5..gap_end - start).unwrap_or("").to_string();
    let level = level_at.map(|(s, word)| {
        let after = whole.get(s + word.len() - start..text.range.start - start).unwrap_or("").to_string();
        (word, after)
    });
    Action::Debug { gap, level, text }
}

/// Tokenises a template with the grammar's `template` rule.
pub(super) fn template(text: &str) -> Vec<Segment> {
    let Ok(mut pairs) = RuleGrammar::parse(G::template, text) else { return vec![Segment::Text(text.to_string())] };
    let Some(top) = pairs.next() else { return Vec::new() };
    top.into_inner()
        .filter_map(|p| {
            let s = p.as_str();
            let inner = |open: usize| s.get(open..s.len().saturating_sub(1)).unwrap_or("").to_string();
            match p.as_rule() {
                G::backref => s.as_bytes().get(1).map(|d| Segment::Backref(d - b'0')),
                G::escape => Some(Segment::Escape(s.to_string())),
                G::param_ref => Some(Segment::Param(inner(2))),
                G::func_ref => Some(Segment::Func(inner(2))),
                G::text | G::lone => Some(Segment::Text(s.to_string())),
                _ => None,
            }
        })
        .collect()
}
