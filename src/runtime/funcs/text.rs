//! Text functions: `chr`, `strpos`, `random`, and picking from or rotating a list.

use rand::Rng;

use super::{var_name, var_value_in};
use crate::runtime::env::Env;
use crate::runtime::num::{int10, int_auto};
use crate::runtime::subst::{find_bytes, trim_blanks};

/// `$(chr,N)`: the low byte of N; a zero byte cannot live in a C string, so it gives `""`.
pub(super) fn chr(arg: &[u8]) -> Vec<u8> {
    match (int_auto(arg, 0) & 0xff) as u8 {
        0 => Vec::new(),
        b => vec![b],
    }
}

/// `$(strpos,NEEDLE,HAY)`: byte offset or −1, and −1 for an empty needle.
pub(super) fn strpos(needle: &[u8], hay: &[u8]) -> Vec<u8> {
    let pos = find_bytes(hay, needle, 0).map_or(-1, |p| p as i64);
    pos.to_string().into_bytes()
}

/// `$(random,S)`: every `?` becomes a random decimal digit.
pub(super) fn random(template: &[u8]) -> Vec<u8> {
    let mut rng = rand::thread_rng();
    template.iter().map(|&b| if b == b'?' { b'0' + rng.gen_range(0..10u8) } else { b }).collect()
}

/// Appends `item` after `sep` the way Yate's `String::append(value, sep)` does: empty
/// items are skipped and the separator only goes between non-empty text.
pub(super) fn append_sep(out: &mut Vec<u8>, item: &[u8], sep: &[u8]) {
    if item.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.extend_from_slice(sep);
    }
    out.extend_from_slice(item);
}

/// `$(index,N,I0,I1,…)` / `$(rotate,N,I0,I1,…)`; `p` is the comma after N in `par`.
///
/// The list (blank-trimmed as a whole, items untrimmed, empty items kept) is indexed by
/// `N mod count` with Yate's unsigned 32-bit modulo, so a negative N wraps. When N is
/// `$name`, the variable becomes `(N+1) mod count`, for index as well as rotate. All of
/// it runs under the globals lock, as the auto-increment must not lose updates.
pub(super) fn index_rotate(env: &Env, rotate: bool, par: &[u8], p: usize) -> Vec<u8> {
    let n_raw = &par[..p];
    let list = trim_blanks(&par[p + 1..]);
    env.globals.with(|table| {
        let name = var_name(n_raw);
        let idx = int10(var_value_in(table, n_raw), 0);
        let items: Vec<Vec<u8>> = list.split(|&b| b == b',').map(|item| var_value_in(table, item).to_vec()).collect();
        let count = u32::try_from(items.len()).unwrap_or(u32::MAX).max(1);
        let start = ((idx as u32) % count) as usize;
        let result = if rotate {
            let mut out = Vec::new();
            for item in items[start..].iter().chain(&items[..start]) {
                append_sep(&mut out, item, b" ");
            }
            out
        } else {
            items.get(start).cloned().unwrap_or_default()
        };
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            let next = (idx.wrapping_add(1) as u32) % count;
            table.set(n, next.to_string().as_bytes());
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(env: &Env, rotate: bool, par: &str) -> String {
        let p = par.find(',').unwrap_or(par.len());
        String::from_utf8(index_rotate(env, rotate, par.as_bytes(), p)).unwrap_or_default()
    }

    #[test]
    fn chr_takes_the_low_byte() {
        assert_eq!(chr(b"65"), b"A");
        assert_eq!(chr(b"0x141"), b"A");
        assert_eq!(chr(b"-191"), b"A");
        assert_eq!(chr(b"512"), b"");
        assert_eq!(chr(b"1.5"), b"");
        assert_eq!(chr(b" 66"), b"B");
    }

    #[test]
    fn strpos_offsets() {
        assert_eq!(strpos(b"b", b"abc"), b"1");
        assert_eq!(strpos(b"", b"abc"), b"-1");
        assert_eq!(strpos(b"", b""), b"-1");
        assert_eq!(strpos(b"abcd", b"abc"), b"-1");
        assert_eq!(strpos("\u{e9}".as_bytes(), "a\u{e9}".as_bytes()), b"1");
    }

    #[test]
    fn random_replaces_only_question_marks() {
        let out = random(b"x??,?y");
        assert_eq!(out.len(), 6);
        assert_eq!((out[0], out[3], out[5]), (b'x', b',', b'y'));
        assert!([out[1], out[2], out[4]].iter().all(u8::is_ascii_digit));
        assert_eq!(random(b""), b"");
    }

    #[test]
    fn separators_only_between_non_empty_items() {
        let mut out = Vec::new();
        for item in [&b""[..], b"a", b"", b"b"] {
            append_sep(&mut out, item, b", ");
        }
        assert_eq!(out, b"a, b");
    }

    #[test]
    fn index_picks_modulo_count() {
        let env = Env::default();
        assert_eq!(run(&env, false, "1,a,b,c"), "b");
        assert_eq!(run(&env, false, "5,a,b,c"), "c");
        assert_eq!(run(&env, false, "-1,a,b,c"), "a");
        assert_eq!(run(&env, false, "-1,a,b,c,d"), "d");
        assert_eq!(run(&env, false, "-3,a,b,c"), "b");
        assert_eq!(run(&env, false, "1,a,,c"), "");
        assert_eq!(run(&env, false, "x,a,b"), "a");
        assert_eq!(run(&env, false, "0,  a ,b  "), "a ");
    }

    #[test]
    fn rotate_joins_with_spaces_and_drops_empty_items() {
        let env = Env::default();
        assert_eq!(run(&env, true, "1,a,b,c"), "b c a");
        assert_eq!(run(&env, true, "0,a,b,c"), "a b c");
        assert_eq!(run(&env, true, "1,a,,c"), "c a");
        assert_eq!(run(&env, true, "0,"), "");
    }

    #[test]
    fn items_may_be_variables() {
        let env = Env::default();
        env.globals.set(b"v", b"V");
        assert_eq!(run(&env, false, "1,a,$v"), "V");
        assert_eq!(run(&env, true, "0,$v,$nope,b"), "V b");
    }

    #[test]
    fn variable_index_advances() {
        let env = Env::default();
        env.globals.set(b"i", b"2");
        assert_eq!(run(&env, false, "$i,x,y,z"), "z");
        assert_eq!(env.globals.get(b"i"), Some(b"0".to_vec()));
        env.globals.set(b"n", b"-3");
        assert_eq!(run(&env, false, "$n,a,b,c"), "b");
        assert_eq!(env.globals.get(b"n"), Some(b"2".to_vec()));
        assert_eq!(run(&env, true, "$unset,p,q"), "p q");
        assert_eq!(env.globals.get(b"unset"), Some(b"1".to_vec()));
        assert_eq!(run(&env, false, "$,p,q"), "p");
        assert_eq!(env.globals.get(b""), None);
    }
}
