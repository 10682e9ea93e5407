//! `rexroute debug ir`: contexts, rules with resolved conditions, handlers and settings.

use super::*;
use std::fmt;

impl fmt::Display for Ir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "; settings: {:?}", self.settings)?;
        for x in &self.extras {
            writeln!(
                f,
                "; extra {} prio={} match={:?} context={} filter={:?}",
                x.message, x.priority, x.match_param, x.context, x.filter
            )?;
        }
        for (k, v) in &self.once {
            writeln!(f, "; once {k}={v}")?;
        }
        for (k, v) in &self.init {
            writeln!(f, "; init {k}={v}")?;
        }
        for c in &self.contexts {
            writeln!(f, "context {}", c.name)?;
            for (i, r) in c.rules.iter().enumerate() {
                write!(f, "  #{i} {} ", self.sources.location(r.span))?;
                if r.closes_block {
                    f.write_str("} ")?;
                }
                self.fmt_cond(f, &r.cond)?;
                for l in &r.links {
                    write!(f, " {} ", l.conn)?;
                    match &l.cond {
                        Some(c) => self.fmt_cond(f, c)?,
                        None => f.write_str("<missing>")?,
                    }
                }
                if let Some(b) = r.broken {
                    write!(f, " {b} <no '='>")?;
                }
                write!(f, " => {}", ActionDisplay(&r.action))?;
                if r.opens_block {
                    f.write_str(" [opens block]")?;
                }
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

impl Ir {
    fn fmt_cond(&self, f: &mut fmt::Formatter<'_>, c: &Cond) -> fmt::Result {
        match &c.subject {
            Subject::MatchString => f.write_str("match")?,
            Subject::Param { name, default } => write!(f, "param({}|{})", lossy(name.as_bytes()), lossy(default))?,
            Subject::Func(t) => write!(f, "func({})", lossy(&t.text))?,
        }
        match &c.matcher {
            Matcher::Invalid(why) => write!(f, " invalid({why})"),
            Matcher::Regex(id) => {
                let e = self.regexes.get(*id);
                let pat = e.map(|e| lossy(&e.pattern)).unwrap_or_default();
                let bad = if e.is_some_and(|e| !e.is_valid()) { " (never matches)" } else { "" };
                write!(f, " ~ /{pat}/{}{bad}", if c.negated { " negated" } else { "" })
            }
        }
    }
}

struct ActionDisplay<'a>(&'a Action);

impl fmt::Display for ActionDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[Template]| v.iter().map(|t| lossy(&t.text)).collect::<Vec<_>>().join(";");
        match self.0 {
            Action::Echo(t) => write!(f, "echo {:?}", lossy(&t.text)),
            Action::Debug { level, text } => write!(f, "debug {level} {:?}", lossy(&text.text)),
            Action::Block => f.write_str("{"),
            Action::Message { enqueue, name, assigns } => {
                write!(
                    f,
                    "{} {:?} [{}]",
                    if *enqueue { "enqueue" } else { "dispatch" },
                    lossy(&name.text),
                    list(assigns)
                )
            }
            Action::NoMessage => f.write_str("dispatch/enqueue without a name"),
            Action::Plain { first, keyword, assigns } => match keyword {
                Some(k) => write!(f, "{k:?} [{}]", list(assigns)),
                None => write!(f, "dynamic {:?} [{}]", lossy(&first.text), list(assigns)),
            },
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
