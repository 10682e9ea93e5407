//! Lowering: the lossless AST to the checked IR.

use super::settings::read_extras;
use super::*;
use crate::ini::Document;
use crate::runtime::message::ParamName;
use crate::syntax::{self, Ast, CondKind};

/// Lowers a loaded document and its AST into an [`Ir`].
pub fn lower(doc: &Document, ast: &Ast) -> Ir {
    let settings = Settings::read(doc);
    let mut ir = Ir { settings, sources: doc.sources.clone(), ..Default::default() };
    for (i, c) in ast.contexts.iter().enumerate() {
        ir.by_name.insert(c.name.clone().into_bytes(), ContextId(i as u32));
    }
    let mut lw = Lowerer { settings: &ir.settings, regexes: &mut ir.regexes };
    let contexts = ast
        .contexts
        .iter()
        .map(|c| Context { name: c.name.clone(), rules: c.rules.iter().map(|r| lw.rule(r)).collect() })
        .collect();
    ir.contexts = contexts;
    ir.extras = read_extras(doc).0;
    ir.once = pairs(doc, "$once");
    ir.init = pairs(doc, "$init");
    ir
}

fn pairs(doc: &Document, section: &str) -> Vec<(String, String)> {
    doc.section(section)
        .map(|s| s.entries.iter().map(|e| (e.key.clone(), e.value.clone())).collect())
        .unwrap_or_default()
}

struct Lowerer<'a> {
    settings: &'a Settings,
    regexes: &'a mut RegexTable,
}

impl Lowerer<'_> {
    fn rule(&mut self, r: &syntax::Rule) -> Rule {
        let closes_block = r.close.is_some();
        let cond = if closes_block && r.cond.text.trim_matches([' ', '\t']).is_empty() {
            self.always(r.span_of(r.cond.side, r.cond.range.clone()))
        } else {
            self.cond(r, &r.cond)
        };
        let links = r
            .links
            .iter()
            .map(|l| {
                let empty = l.cond.text.trim_matches([' ', '\t']).is_empty();
                Link { conn: l.conn, cond: (!empty).then(|| self.cond(r, &l.cond)) }
            })
            .collect();
        let action = r.action.as_ref().map_or(
            Action::Plain { first: Template::new(""), keyword: Some(Keyword::Nothing), assigns: vec![] },
            action,
        );
        Rule {
            needs_caps: r.entry.value.contains('\\'),
            span: r.entry.span,
            key: r.entry.key.clone(),
            value: r.entry.value.clone(),
            closes_block,
            opens_block: r.opens_block,
            cond,
            links,
            broken: r.broken.as_ref().map(|b| b.conn),
            action,
        }
    }

    fn always(&mut self, span: crate::source::Span) -> Cond {
        let id = self.regexes.intern(b".*", self.settings.flags());
        Cond { subject: Subject::MatchString, matcher: Matcher::Regex(id), negated: false, span }
    }

    fn cond(&mut self, r: &syntax::Rule, c: &syntax::Cond) -> Cond {
        let span = r.span_of(c.side, c.range.clone());
        let text = c.text.trim_matches([' ', '\t']);
        let invalid =
            |why| Cond { subject: Subject::MatchString, matcher: Matcher::Invalid(why), negated: false, span };
        let (subject, regex) = match &c.kind {
            CondKind::Plain => (Subject::MatchString, text.to_string()),
            CondKind::UnclosedParam => return invalid("Invalid parameter match"),
            CondKind::UnclosedFunc => return invalid("Invalid function match"),
            CondKind::Param { inner } if inner.is_empty() => return invalid("Invalid parameter match"),
            CondKind::Func { inner } if inner.is_empty() => return invalid("Invalid function match"),
            CondKind::Param { inner } => {
                let inner = inner.trim_matches([' ', '\t']);
                let (name, default) = match inner.find('$') {
                    Some(d) => (inner[..d].trim_matches([' ', '\t']), inner[d + 1..].trim_matches([' ', '\t'])),
                    None => (inner, ""),
                };
                let Some(regex) = self.with_default(c.regex_text()) else {
                    return invalid("Missing parameter or rule");
                };
                if name.is_empty() {
                    return invalid("Missing parameter or rule");
                }
                (Subject::Param { name: ParamName::new(name.as_bytes()), default: default.as_bytes().to_vec() }, regex)
            }
            CondKind::Func { inner } => {
                let Some(regex) = self.with_default(c.regex_text()) else { return invalid("Missing rule") };
                (Subject::Func(Template::subject(&format!("$({inner})"))), regex)
            }
        };
        let (pattern, negated) = match regex.strip_suffix('^') {
            Some(p) => (p, true),
            None => (regex.as_str(), false),
        };
        let id = self.regexes.intern(pattern.as_bytes(), self.settings.flags());
        Cond { subject, matcher: Matcher::Regex(id), negated, span }
    }

    /// The regex of a `${}`/`$()` condition after default-rule handling; `None` when
    /// it stays empty.
    fn with_default(&self, written: &str) -> Option<String> {
        let r = written.trim_matches([' ', '\t']);
        let dr = &self.settings.defaultrule;
        let r = match r {
            "" => dr.clone(),
            "^" => match dr.strip_suffix('^') {
                Some(d) => d.to_string(),
                None => format!("{dr}^"),
            },
            _ => r.to_string(),
        };
        (!r.is_empty()).then_some(r)
    }
}

fn action(a: &syntax::Action) -> Action {
    match a {
        syntax::Action::Echo { text, .. } => Action::Echo(Template::new(&text.text)),
        syntax::Action::Debug { level, text, .. } => {
            let lvl = level.as_ref().map_or(10, |(l, _)| crate::runtime::num::int_auto(l.as_bytes(), 10).clamp(1, 10));
            let text = match level {
                Some((l, after)) if crate::runtime::num::int_auto(l.as_bytes(), i32::MIN) == i32::MIN => {
                    format!("{l}{after}{}", text.text)
                }
                _ => text.text.clone(),
            };
            Action::Debug { level: lvl as u8, text: Template::new(&text) }
        }
        syntax::Action::Block => Action::Block,
        syntax::Action::Message { enqueue, pieces, .. } => match pieces.split_first() {
            Some((first, rest)) if !first.text.is_empty() => Action::Message {
                enqueue: *enqueue,
                name: Template::new(&first.text),
                assigns: rest.iter().map(|p| Template::assignment(&p.text)).collect(),
            },
            _ => Action::NoMessage,
        },
        syntax::Action::Plain { pieces } => {
            let (first, rest) = match pieces.split_first() {
                Some((f, r)) => (Template::new(&f.text), r),
                None => (Template::new(""), &[][..]),
            };
            let keyword = first.literal.then(|| classify(template::trim(&first.text)));
            Action::Plain { first, keyword, assigns: rest.iter().map(|p| Template::assignment(&p.text)).collect() }
        }
    }
}
