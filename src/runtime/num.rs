//! Yate's integer and boolean parsing (`String::toInteger`, `toInt64`, `toBoolean`).
//!
//! Every numeric argument of a regexroute function goes through these, so their quirks
//! (whole-string strictness, the `>=` overflow guard, octal on a leading `0`) decide what
//! functions return. They are written against glibc's `strtol` rather than Rust's parsers.

/// What a C `strto*` call reports: the value, where parsing stopped, and `ERANGE`.
struct Strtol {
    value: i64,
    /// Byte offset just past the last digit; 0 (the start, not past the blanks) when no
    /// digits were found, as C sets `endptr = nptr` then.
    end: usize,
    overflow: bool,
}

/// C `isspace` in the C locale, which `strtol` skips before the number.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn digit_value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 10),
        b'A'..=b'Z' => Some(u32::from(b - b'A') + 10),
        _ => None,
    }
}

/// Decides the effective base and skips a `0x` prefix, as glibc does for base 0 and 16.
///
/// A `0x` not followed by a hex digit is not a prefix: glibc then parses the `0` alone and
/// stops at the `x`, which the strict callers turn into a failure.
fn resolve_base(s: &[u8], i: usize, base: u32) -> (u32, usize) {
    let is_hex_prefix = s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x' | b'X'))
        && s.get(i + 2).and_then(|&b| digit_value(b)).is_some_and(|d| d < 16);
    match base {
        0 if is_hex_prefix => (16, i + 2),
        0 if s.get(i) == Some(&b'0') => (8, i),
        0 => (10, i),
        16 if is_hex_prefix => (16, i + 2),
        _ => (base, i),
    }
}

/// glibc `strtol`/`strtoll` on a 64-bit `long`.
fn strtol(s: &[u8], base: u32) -> Strtol {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let (base, start) = resolve_base(s, i, base);
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    let mut end = start;
    while let Some(d) = s.get(end).and_then(|&b| digit_value(b)).filter(|&d| d < base) {
        match magnitude.checked_mul(u64::from(base)).and_then(|m| m.checked_add(u64::from(d))) {
            Some(m) => magnitude = m,
            None => overflow = true,
        }
        end += 1;
    }
    if end == start {
        return Strtol { value: 0, end: 0, overflow: false };
    }
    let limit = if negative { i64::MIN.unsigned_abs() } else { i64::MAX as u64 };
    if overflow || magnitude > limit {
        let value = if negative { i64::MIN } else { i64::MAX };
        return Strtol { value, end, overflow: true };
    }
    let value = if negative { 0i64.wrapping_sub_unsigned(magnitude) } else { magnitude as i64 };
    Strtol { value, end, overflow: false }
}

/// Yate's `strtoi`: `strtol` narrowed to `int`, where reaching either `int` limit counts
/// as overflow (the guard is `>=`/`<=`), and an overflow marks nothing as parsed.
fn strtoi(s: &[u8], base: u32) -> Option<(i32, usize)> {
    let r = strtol(s, base);
    if r.overflow || r.value >= i64::from(i32::MAX) || r.value <= i64::from(i32::MIN) {
        return None;
    }
    i32::try_from(r.value).ok().map(|v| (v, r.end))
}

/// `String::toInteger(default, base)`: the whole string must be one number.
fn to_integer(s: &[u8], default: i32, base: u32) -> i32 {
    match strtoi(s, base) {
        Some((v, end)) if !s.is_empty() && end == s.len() => v,
        _ => default,
    }
}

/// `toInteger(default)` with automatic base: `0x` hex, leading `0` octal, else decimal.
///
/// Leading C whitespace and a sign are allowed; anything after the digits, an empty
/// string, or a value outside the open interval (−2147483648, 2147483647) gives `default`.
pub fn int_auto(s: &[u8], default: i32) -> i32 {
    to_integer(s, default, 0)
}

/// `toInteger(default, 10)`: like [`int_auto`] but decimal only, so `0x10` and `1e3` fail
/// while `007` is 7.
pub fn int10(s: &[u8], default: i32) -> i32 {
    to_integer(s, default, 10)
}

/// `toInt64(default)` with automatic base, as `msleep` uses: the whole string must parse
/// and fit in 64 bits; there is no `>=` quirk at this width.
pub fn int64_auto(s: &[u8], default: i64) -> i64 {
    let r = strtol(s, 0);
    if s.is_empty() || r.overflow || r.end != s.len() {
        return default;
    }
    r.value
}

/// `String >> int`: an auto-base integer at the start of `s`, with what follows it left
/// unparsed. Returns the value and the number of bytes consumed, `None` when no number
/// starts there or it overflows `int`. `debug LEVEL TEXT` reads its level this way.
pub fn int_prefix_auto(s: &[u8]) -> Option<(i32, usize)> {
    match strtoi(s, 0) {
        Some((v, end)) if end > 0 => Some((v, end)),
        _ => None,
    }
}

/// `String::toBoolean(default)`: exact, case-sensitive words only.
pub fn to_boolean(s: &[u8], default: bool) -> bool {
    match s {
        b"false" | b"no" | b"off" | b"disable" | b"f" => false,
        b"true" | b"yes" | b"on" | b"enable" | b"t" => true,
        _ => default,
    }
}

/// How Yate prints a boolean (`String::boolText`).
pub fn bool_text(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_base_prefixes() {
        assert_eq!(int_auto(b"65", 0), 65);
        assert_eq!(int_auto(b"0x42", 0), 0x42);
        assert_eq!(int_auto(b"0X1f", 0), 31);
        assert_eq!(int_auto(b"010", 0), 8);
        assert_eq!(int_auto(b"077", 0), 63);
        assert_eq!(int_auto(b"09", -1), -1);
        assert_eq!(int_auto(b"0", -1), 0);
        assert_eq!(int_auto(b"0x", -1), -1);
        assert_eq!(int_auto(b"0xg", -1), -1);
        assert_eq!(int_auto(b"-0x10", 0), -16);
    }

    #[test]
    fn base10_rejects_hex_and_keeps_leading_zeros_decimal() {
        assert_eq!(int10(b"0x10", 0), 0);
        assert_eq!(int10(b"007", 0), 7);
        assert_eq!(int10(b"0099", 0), 99);
        assert_eq!(int10(b"12abc", 0), 0);
        assert_eq!(int10(b"abc", 5), 5);
    }

    #[test]
    fn whitespace_sign_and_trailing() {
        assert_eq!(int10(b"  -5", 0), -5);
        assert_eq!(int10(b"\t+5", 0), 5);
        assert_eq!(int10(b"\n\x0b\x0c\r7", 0), 7);
        assert_eq!(int10(b"5 ", 9), 9);
        assert_eq!(int10(b"- 5", 9), 9);
        assert_eq!(int10(b"+", 9), 9);
        assert_eq!(int10(b"   ", 9), 9);
        assert_eq!(int10(b"", 9), 9);
        assert_eq!(int10(b"-0", 9), 0);
    }

    #[test]
    fn int_range_guard_is_exclusive() {
        assert_eq!(int10(b"2147483646", 0), 2147483646);
        assert_eq!(int10(b"2147483647", 0), 0);
        assert_eq!(int10(b"2147483648", 0), 0);
        assert_eq!(int10(b"-2147483647", 0), -2147483647);
        assert_eq!(int10(b"-2147483648", 1), 1);
        assert_eq!(int10(b"99999999999999999999999", 3), 3);
        assert_eq!(int_auto(b"0x7fffffff", 3), 3);
        assert_eq!(int_auto(b"0x7ffffffe", 3), 0x7fff_fffe);
    }

    #[test]
    fn int64_parse() {
        assert_eq!(int64_auto(b"0x10", 0), 16);
        assert_eq!(int64_auto(b"-5", 0), -5);
        assert_eq!(int64_auto(b"2147483647", 0), 2147483647);
        assert_eq!(int64_auto(b"9223372036854775807", 0), i64::MAX);
        assert_eq!(int64_auto(b"9223372036854775808", 1), 1);
        assert_eq!(int64_auto(b"-9223372036854775808", 0), i64::MIN);
        assert_eq!(int64_auto(b"5ms", 1), 1);
        assert_eq!(int64_auto(b"", 1), 1);
    }

    #[test]
    fn prefix_parse_for_debug_level() {
        assert_eq!(int_prefix_auto(b"123 is busy"), Some((123, 3)));
        assert_eq!(int_prefix_auto(b"3 x"), Some((3, 1)));
        assert_eq!(int_prefix_auto(b"0x10rest"), Some((16, 4)));
        assert_eq!(int_prefix_auto(b"text"), None);
        assert_eq!(int_prefix_auto(b""), None);
        assert_eq!(int_prefix_auto(b"99999999999 x"), None);
    }

    #[test]
    fn booleans() {
        for w in ["false", "no", "off", "disable", "f"] {
            assert!(!to_boolean(w.as_bytes(), true), "{w}");
        }
        for w in ["true", "yes", "on", "enable", "t"] {
            assert!(to_boolean(w.as_bytes(), false), "{w}");
        }
        for w in ["1", "0", "TRUE", "", " yes", "yes "] {
            assert!(to_boolean(w.as_bytes(), true), "{w}");
            assert!(!to_boolean(w.as_bytes(), false), "{w}");
        }
        assert_eq!(bool_text(true), b"true");
        assert_eq!(bool_text(false), b"false");
    }
}
