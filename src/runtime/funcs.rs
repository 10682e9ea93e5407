//! The `$(…)` functions: evaluating the inside of one call, as Yate's `evalFunc` does.
//!
//! The dispatch mirrors Yate's if-chain: a known name whose argument count is not met
//! falls through to "bare variable" (no comma) or "Invalid function" (with a comma).

mod info;
mod math;
mod text;

use std::borrow::Cow;

use super::env::{Env, GlobalTable};
use super::message::Message;
use super::num::bool_text;
use super::subst::{find_byte, trim_blanks};

/// What a function call can see and where it reports.
pub struct FuncCtx<'a> {
    /// Globals, engine facts and the `$(dispatching)` counter.
    pub env: &'a Env,
    /// The message being handled: `${…}` and `$(message,…)` read it. For `dispatch` and
    /// `enqueue` lines this is the original message, not the one being built.
    pub msg: &'a Message,
    /// Warnings, as plain text lines (e.g. `Invalid function 'md5'`).
    pub log: &'a mut Vec<String>,
}

/// The name of the global variable an argument refers to: Yate's `vars()` takes an
/// argument that starts with `$` as a variable reference, the rest blank-trimmed.
fn var_name(arg: &[u8]) -> Option<&[u8]> {
    arg.strip_prefix(b"$").map(trim_blanks)
}

/// `V(arg)`: the argument, or the value of the global it names (`""` when unset).
fn var_value<'t>(env: &Env, arg: &'t [u8]) -> Cow<'t, [u8]> {
    match var_name(arg) {
        Some(name) => Cow::Owned(env.globals.get(name).unwrap_or_default()),
        None => Cow::Borrowed(arg),
    }
}

/// `V(arg)` for code that already holds the globals lock.
fn var_value_in<'t>(table: &'t GlobalTable<'_>, arg: &'t [u8]) -> &'t [u8] {
    match var_name(arg) {
        Some(name) => table.get(name).unwrap_or_default(),
        None => arg,
    }
}

/// Evaluates the inside of one `$(…)` (blank-trimmed here, as the caller does in Yate).
pub fn call(cx: &mut FuncCtx<'_>, text: &[u8]) -> Vec<u8> {
    let text = trim_blanks(text);
    if text.is_empty() {
        return b";".to_vec();
    }
    if text == b"$" {
        return b"$".to_vec();
    }
    if let Some(arg) = text.strip_prefix(b"++") {
        return math::step(cx.env, arg, 1);
    }
    if let Some(arg) = text.strip_prefix(b"--") {
        return math::step(cx.env, arg, -1);
    }
    match find_byte(text, b',', 0) {
        Some(p) if p > 0 => named(cx, &text[..p], Some(&text[p + 1..])),
        _ => named(cx, text, None),
    }
}

/// A call split into its (untrimmed) name and arguments; `args` is `None` for a bare call.
fn named(cx: &mut FuncCtx<'_>, name: &[u8], args: Option<&[u8]>) -> Vec<u8> {
    let par = args.unwrap_or_default();
    let sep = find_byte(par, b',', 0);
    if let Some(value) = builtin(cx, name, par, sep) {
        return value;
    }
    if args.is_none() {
        return cx.env.globals.get(trim_blanks(name)).unwrap_or_default();
    }
    cx.log.push(format!("Invalid function '{}'", String::from_utf8_lossy(name)));
    Vec::new()
}

/// The function table. `par` is everything after the first comma and `sep` the position
/// of the comma inside it, when the call has two or more arguments.
fn builtin(cx: &mut FuncCtx<'_>, name: &[u8], par: &[u8], sep: Option<usize>) -> Option<Vec<u8>> {
    let env = cx.env;
    if let (Some(op), Some(p)) = (math::op_named(name), sep) {
        return Some(math::oper(cx, op, par, p));
    }
    let value = match (name, sep) {
        (b"length", _) => var_value(env, par).len().to_string().into_bytes(),
        (b"upper", _) => var_value(env, par).to_ascii_uppercase(),
        (b"lower", _) => var_value(env, par).to_ascii_lowercase(),
        (b"chr", _) => text::chr(&var_value(env, par)),
        (b"streq" | b"strne", Some(p)) => {
            let same = var_value(env, &par[..p]) == var_value(env, &par[p + 1..]);
            bool_text(same != (name == b"strne")).to_vec()
        }
        (b"strpos", Some(p)) => text::strpos(&var_value(env, &par[..p]), &var_value(env, &par[p + 1..])),
        (b"random", _) => text::random(&var_value(env, par)),
        (b"hex", _) => math::hex(par, sep),
        (b"index" | b"rotate", Some(p)) if p > 0 => text::index_rotate(env, name == b"rotate", par, p),
        (b"config", Some(p)) => info::config(env, par, p),
        (b"engine", _) => env.engine.run_param(&var_value(env, par)).unwrap_or_default().to_vec(),
        (b"loaded", _) => bool_text(env.engine.is_loaded(par)).to_vec(),
        (b"message", _) => info::message(cx.msg, par, sep),
        (b"variables", _) => info::variables(cx, par, sep),
        (b"runid", _) => env.engine.run_param(b"runid").unwrap_or_default().to_vec(),
        (b"nodename", _) => env.engine.run_param(b"nodename").unwrap_or_default().to_vec(),
        (b"threadname", _) => info::thread_name(),
        (b"accepting", _) => env.engine.accepting.clone(),
        (b"transcode", Some(p)) => info::transcode(&par[..p], trim_blanks(&par[p + 1..])),
        (b"dispatching", _) => env.dispatching().to_string().into_bytes(),
        (b"timestamp", _) => info::timestamp(std::time::SystemTime::now()),
        _ => return None,
    };
    Some(value)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod cases;

#[cfg(test)]
mod cases_more;
