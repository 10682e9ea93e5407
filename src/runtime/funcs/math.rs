//! Numeric functions: `++`/`--`, arithmetic with Yate's zero padding, comparisons, `hex`.

use super::{var_name, var_value, FuncCtx};
use crate::runtime::env::Env;
use crate::runtime::num::{bool_text, int10, int_auto};
use crate::runtime::subst::{find_byte, MAX_RESULT_LEN};

/// The operators `mathOper` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

/// The operator a function name stands for. Only some have symbolic aliases.
pub(super) fn op_named(name: &[u8]) -> Option<Op> {
    Some(match name {
        b"add" | b"+" => Op::Add,
        b"sub" | b"-" => Op::Sub,
        b"mul" | b"*" => Op::Mul,
        b"div" | b"/" => Op::Div,
        b"mod" | b"%" => Op::Mod,
        b"eq" => Op::Eq,
        b"ne" => Op::Ne,
        b"gt" | b">" => Op::Gt,
        b"lt" | b"<" => Op::Lt,
        b"ge" => Op::Ge,
        b"le" => Op::Le,
        _ => return None,
    })
}

/// `$(++X)` / `$(--X)`: `int10(V(X)) ± 1`, stored back when X names a variable. Read and
/// write happen under one lock so concurrent counters do not lose updates.
pub(super) fn step(env: &Env, arg: &[u8], delta: i32) -> Vec<u8> {
    env.globals.with(|table| {
        let name = var_name(arg);
        let current = match name {
            Some(n) => table.get(n).unwrap_or_default(),
            None => arg,
        };
        let value = int10(current, 0).wrapping_add(delta).to_string().into_bytes();
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            table.set(n, &value);
        }
        value
    })
}

/// 32-bit C arithmetic: wrapping, truncating division, and 0 for a zero divisor.
fn compute(op: Op, a: i32, b: i32) -> Result<i32, bool> {
    Ok(match op {
        Op::Add => a.wrapping_add(b),
        Op::Sub => a.wrapping_sub(b),
        Op::Mul => a.wrapping_mul(b),
        Op::Div if b == 0 => 0,
        Op::Div => a.wrapping_div(b),
        Op::Mod if b == 0 => 0,
        Op::Mod => a.wrapping_rem(b),
        Op::Eq => return Err(a == b),
        Op::Ne => return Err(a != b),
        Op::Gt => return Err(a > b),
        Op::Lt => return Err(a < b),
        Op::Ge => return Err(a >= b),
        Op::Le => return Err(a <= b),
    })
}

/// `$(OP,A,B[,LEN])`. `p` is the comma between A and B inside `par`.
///
/// The default width is the byte length of A as written, before any `$var` lookup;
/// LEN is everything after the next comma, parsed with auto base.
pub(super) fn oper(cx: &mut FuncCtx<'_>, op: Op, par: &[u8], p: usize) -> Vec<u8> {
    let a_raw = &par[..p];
    let rest = &par[p + 1..];
    let (b_raw, width) = match find_byte(rest, b',', 0) {
        Some(q) => (&rest[..q], i64::from(int_auto(&var_value(cx.env, &rest[q + 1..]), 0))),
        None => (rest, a_raw.len() as i64),
    };
    let a = int10(&var_value(cx.env, a_raw), 0);
    let b = int10(&var_value(cx.env, b_raw), 0);
    match compute(op, a, b) {
        Ok(n) => pad(n.to_string(), width, cx.log),
        Err(truth) => bool_text(truth).to_vec(),
    }
}

/// Left-pads with zeros to `width` characters, keeping a minus sign in front (it counts
/// toward the width).
///
/// Yate would allocate any width asked for (`$(add,1,1,2000000000)` is a 2 GB string);
/// rexroute caps it at [`MAX_RESULT_LEN`] and logs a warning, a deliberate difference.
fn pad(digits: String, width: i64, log: &mut Vec<String>) -> Vec<u8> {
    let missing = width - digits.len() as i64;
    if missing <= 0 {
        return digits.into_bytes();
    }
    let zeros = usize::try_from(missing).unwrap_or(usize::MAX);
    let zeros = if zeros > MAX_RESULT_LEN {
        log.push(format!("Padding width {width} capped at {MAX_RESULT_LEN} (rexroute limit)"));
        MAX_RESULT_LEN
    } else {
        zeros
    };
    let (sign, body) = match digits.strip_prefix('-') {
        Some(body) => ("-", body),
        None => ("", digits.as_str()),
    };
    format!("{sign}{}{body}", "0".repeat(zeros)).into_bytes()
}

/// `$(hex[,N[,LEN[,SEP]]])`: N's 32 bits least significant byte first, lowercase.
///
/// N and LEN take no `$var`. SEP is the single byte after the third comma: absent means
/// a space, nothing after the comma means no separator.
pub(super) fn hex(par: &[u8], sep: Option<usize>) -> Vec<u8> {
    let (n_raw, len, hsep) = match sep {
        None => (par, 0, Some(b' ')),
        Some(p) => {
            let rest = &par[p + 1..];
            let (len_raw, hsep) = match find_byte(rest, b',', 0) {
                Some(q) => (&rest[..q], rest.get(q + 1).copied()),
                None => (rest, Some(b' ')),
            };
            (&par[..p], int_auto(len_raw, 0), hsep)
        }
    };
    let bytes = (int_auto(n_raw, 0) as u32).to_le_bytes();
    let count = match len {
        l if l > 4 => 4,
        l if l <= 0 => bytes.iter().rposition(|&b| b != 0).map_or(1, |p| p + 1),
        l => l as usize,
    };
    hexify(&bytes[..count], hsep)
}

/// Yate's `String::hexify` with lowercase digits.
fn hexify(bytes: &[u8], sep: Option<u8>) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(s) = sep.filter(|_| i > 0) {
            out.push(s);
        }
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_rules() {
        let mut log = Vec::new();
        assert_eq!(pad("6".into(), 2, &mut log), b"06");
        assert_eq!(pad("-2".into(), 4, &mut log), b"-002");
        assert_eq!(pad("-10".into(), 2, &mut log), b"-10");
        assert_eq!(pad("5".into(), -3, &mut log), b"5");
        assert!(log.is_empty());
        let huge = pad("1".into(), 2_000_000_000, &mut log);
        assert_eq!(huge.len(), MAX_RESULT_LEN + 1);
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn c_arithmetic() {
        assert_eq!(compute(Op::Add, i32::MAX - 1, 5), Ok(i32::MIN + 3));
        assert_eq!(compute(Op::Mul, 65536, 65536), Ok(0));
        assert_eq!(compute(Op::Div, -7, 2), Ok(-3));
        assert_eq!(compute(Op::Mod, -7, 3), Ok(-1));
        assert_eq!(compute(Op::Mod, 7, -3), Ok(1));
        assert_eq!(compute(Op::Div, 1, 0), Ok(0));
        assert_eq!(compute(Op::Mod, 1, 0), Ok(0));
        assert_eq!(compute(Op::Le, 0, 0), Err(true));
    }

    #[test]
    fn hex_layouts() {
        assert_eq!(hex(b"", None), b"00");
        assert_eq!(hex(b"258", None), b"02 01");
        assert_eq!(hex(b"258,4", Some(3)), b"02 01 00 00");
        assert_eq!(hex(b"258,2,:", Some(3)), b"02:01");
        assert_eq!(hex(b"258,2,", Some(3)), b"0201");
        assert_eq!(hex(b"258,2,::", Some(3)), b"02:01");
        assert_eq!(hex(b"-1", None), b"ff ff ff ff");
        assert_eq!(hex(b"0x10000", None), b"00 00 01");
        assert_eq!(hex(b"$v", None), b"00");
    }
}
