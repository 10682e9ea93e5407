//! `${name}` substitution from engine run parameters, for headers and directives only.

/// Replaces `${name}` / `${name$default}` with run parameters, as Yate does in section
/// names, include paths and `$enabled` conditions. An unclosed `${` stays literal.
pub fn run_params(text: &str, params: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("${") {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        let inner = rest[open + 2..open + close].trim_matches(is_blank);
        let (name, default) = match inner.find('$') {
            Some(d) => (inner[..d].trim_matches(is_blank), inner[d + 1..].trim_matches(is_blank)),
            None => (inner, ""),
        };
        match params.iter().find(|(k, _)| k == name) {
            Some((_, v)) => out.push_str(v),
            None => out.push_str(default),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Yate's blanks: space and tab only.
pub fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_with_defaults() {
        let p = vec![("configpath".to_string(), "/etc/yate".to_string())];
        assert_eq!(run_params("${configpath}/x", &p), "/etc/yate/x");
        assert_eq!(run_params("[${nosuch}]", &p), "[]");
        assert_eq!(run_params("${ a $ dflt }z", &p), "dfltz");
        assert_eq!(run_params("a${b", &p), "a${b");
    }
}
