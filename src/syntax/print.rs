//! Printing the AST back to text: each rule gives back its key and value exactly.

use super::ast::*;
use std::fmt::{self, Write};

impl Rule {
    /// The key, rebuilt from the nodes.
    pub fn print_key(&self) -> String {
        let mut s = self.close.clone().unwrap_or_default();
        s.push_str(&self.cond.text);
        s
    }

    /// The value, rebuilt from the nodes.
    pub fn print_value(&self) -> String {
        let mut s = String::new();
        for l in &self.links {
            let _ = write!(s, "{}{}{}={}", l.conn, l.gap, l.cond.text, l.trail);
        }
        if let Some(b) = &self.broken {
            let _ = write!(s, "{}{}", b.conn, b.rest);
        }
        if let Some(a) = &self.action {
            let _ = write!(s, "{a}");
        }
        s
    }
}

impl fmt::Display for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Connector::If => "if",
            Connector::And => "and",
            Connector::Or => "or",
        })
    }
}

fn join(f: &mut fmt::Formatter<'_>, pieces: &[Piece]) -> fmt::Result {
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            f.write_char(';')?;
        }
        f.write_str(&p.text)?;
    }
    Ok(())
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Echo { word, gap, text } => write!(f, "{word}{gap}{}", text.text),
            Action::Debug { gap, level, text } => {
                write!(f, "debug{gap}")?;
                if let Some((l, after)) = level {
                    write!(f, "{l}{after}")?;
                }
                f.write_str(&text.text)
            }
            Action::Block => f.write_char('{'),
            Action::Message { enqueue, gap, pieces } => {
                write!(f, "{}{gap}", if *enqueue { "enqueue" } else { "dispatch" })?;
                join(f, pieces)
            }
            Action::Plain { pieces } => join(f, pieces),
        }
    }
}

impl fmt::Display for Ast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.contexts {
            writeln!(f, "[{}]", c.name)?;
            for r in &c.rules {
                writeln!(f, "{}={}", r.print_key(), r.print_value())?;
            }
        }
        Ok(())
    }
}

/// A structural dump of one rule, for `rexroute debug ast`.
pub fn describe(rule: &Rule) -> String {
    let mut s = String::new();
    if rule.close.is_some() {
        s.push_str("close-block ");
    }
    let _ = write!(s, "{}", cond_desc(&rule.cond));
    for l in &rule.links {
        let _ = write!(s, " {} {}", l.conn, cond_desc(&l.cond));
    }
    if let Some(b) = &rule.broken {
        let _ = write!(s, " {} <no '='>", b.conn);
    }
    let _ = match &rule.action {
        Some(Action::Echo { word, text, .. }) => write!(s, " => {word} {:?}", text.text),
        Some(Action::Debug { level, text, .. }) => {
            write!(s, " => debug {:?} {:?}", level.as_ref().map(|l| &l.0), text.text)
        }
        Some(Action::Block) => write!(s, " => {{"),
        Some(Action::Message { enqueue, pieces, .. }) => {
            write!(
                s,
                " => {} {:?}",
                if *enqueue { "enqueue" } else { "dispatch" },
                pieces.iter().map(|p| &p.text).collect::<Vec<_>>()
            )
        }
        Some(Action::Plain { pieces }) => {
            write!(s, " => {:?}", pieces.iter().map(|p| p.segments()).collect::<Vec<_>>())
        }
        None => Ok(()),
    };
    if rule.opens_block {
        s.push_str(" [opens block]");
    }
    s
}

fn cond_desc(c: &Cond) -> String {
    let neg = if c.negated { " negated" } else { "" };
    let d = match &c.kind {
        CondKind::Plain => format!("regex {:?}", c.regex_text()),
        CondKind::Param { inner } => format!("param {inner:?} regex {:?}", c.regex_text()),
        CondKind::Func { inner } => format!("func {inner:?} regex {:?}", c.regex_text()),
        CondKind::UnclosedParam => format!("unclosed-param {:?}", c.text),
        CondKind::UnclosedFunc => format!("unclosed-func {:?}", c.text),
    };
    format!("{d}{neg}")
}

#[cfg(test)]
mod tests {
    use crate::ini::Entry;
    use crate::syntax::parse_rule;

    fn round(key: &str, value: &str) {
        let e = Entry { key: key.into(), value: value.into(), ..Default::default() };
        let r = parse_rule(&e);
        assert_eq!(r.print_key(), key, "key of {key}={value}");
        assert_eq!(r.print_value(), value, "value of {key}={value}");
    }

    #[test]
    fn negation_and_template_segments() {
        use crate::syntax::{Action, Segment};
        let e = Entry { key: "${p}^x$^".into(), value: "sip/\\1@${host}$(add,1,2)\\q$".into(), ..Default::default() };
        let r = parse_rule(&e);
        assert!(r.cond.negated);
        let Some(Action::Plain { pieces }) = &r.action else { panic!("plain action expected") };
        assert_eq!(
            pieces[0].segments(),
            vec![
                Segment::Text("sip/".into()),
                Segment::Backref(1),
                Segment::Text("@".into()),
                Segment::Param("host".into()),
                Segment::Func("add,1,2".into()),
                Segment::Escape("\\q".into()),
                Segment::Text("$".into()),
            ]
        );
        let plain = parse_rule(&Entry { key: "^1$".into(), ..Default::default() });
        assert!(!plain.cond.negated);
        let caret = parse_rule(&Entry { key: "^".into(), ..Default::default() });
        assert!(caret.cond.negated);
    }

    #[test]
    fn prints_back_exactly() {
        for (k, v) in [
            ("^1$", "one"),
            ("} ${p}^x$", "if  ${q}^y$ = or $(length,x)=  goto ctx;a=1"),
            ("${abc", "if noequals"),
            ("$(x", "echo  hi;there"),
            ("^3$", "debug 5 level five"),
            ("^3$", "debug"),
            ("^3$", "debug text only"),
            ("^d$", "dispatch   ;a=1"),
            ("^d$", "enqueue x;a=${b};;"),
            ("^x", "if ${flag}^=flag-neg"),
            ("}", "{"),
            ("^1$", "sip/x={"),
            ("^5$", "and=r5"),
            ("^7$", "or"),
            ("", ""),
        ] {
            round(k, v);
        }
    }
}
