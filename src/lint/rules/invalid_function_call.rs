//! RR112 invalid-function-call: a `$(name,…)` Yate does not know, or calls wrongly.
//!
//! ## What it does
//! Reports `$(…)` calls with arguments whose name is not one of regexroute's
//! functions, whose name ends with a blank (`$(length ,x)`), or that give one argument
//! to a function that needs two (`$(add,1)`). It looks at actions and at `$(…)`
//! conditions.
//!
//! A bare `$(name)` is not reported: it reads the global variable `name`.
//!
//! regexroute's functions: `++`, `--`, `length`, `upper`, `lower`, `chr`, `streq`,
//! `strne`, `strpos`, `add`/`+`, `sub`/`-`, `mul`/`*`, `div`/`/`, `mod`/`%`, `eq`,
//! `ne`, `gt`/`>`, `lt`/`<`, `ge`, `le`, `random`, `hex`, `index`, `rotate`, `config`,
//! `engine`, `loaded`, `message`, `variables`, `runid`, `nodename`, `threadname`,
//! `accepting`, `transcode`, `dispatching`, `timestamp`.
//!
//! ## Why is this bad?
//! Yate logs "Invalid function" and substitutes an empty string. The name is not
//! trimmed, so a blank before the comma makes any function invalid. Functions of
//! Yate's JavaScript module (`substr`, `md5`, `replace`, ...) do not exist here.
//!
//! ## Example
//! ```ini
//! [default]
//! ^\(.*\)$=sip/sip:$(substr,\1,1)@gw
//! ```

use crate::lint::template_scan::{calls, check_call};
use crate::lint::{action_texts, Checker};
use crate::syntax::{CondKind, Side};

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (_, ctx) in cx.routing_contexts() {
        for rule in &ctx.rules {
            let mut found = Vec::new();
            for cond in rule.conds() {
                if let CondKind::Func { inner } = &cond.kind {
                    let at = cond.range.start + 2;
                    found.extend(check_call(inner).map(|(r, m, h)| (cond.side, at + r.start..at + r.end, m, h)));
                }
            }
            for piece in action_texts(rule) {
                for call in calls(&piece.text).0 {
                    let at = piece.range.start + call.inner.start;
                    let inner = &piece.text[call.inner.clone()];
                    found.extend(check_call(inner).map(|(r, m, h)| (Side::Value, at + r.start..at + r.end, m, h)));
                }
            }
            for (side, range, message, help) in found {
                let d = cx.report(rule.span_of(side, range), message);
                d.primary("substitutes nothing");
                if let Some(h) = help {
                    d.help(h);
                }
            }
        }
    }
}
