//! Physical lines of a Yate configuration file.

use logos::Logos;

/// What ends a physical line: LF, CR, CR LF, or (with a warning) NUL.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    #[regex(r"[^\r\n\x00]+")]
    Text,
    #[token("\r\n")]
    #[token("\r")]
    #[token("\n")]
    Eol,
    #[token("\x00")]
    Nul,
}

/// One physical line: byte offsets of its text (terminator excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// First byte of the line.
    pub start: usize,
    /// One past the last byte of its text.
    pub end: usize,
}

/// Splits `text` into physical lines the way Yate's reader does.
///
/// Returns the lines and the offset of the first NUL byte, if any: Yate ends a line
/// there and warns once per file.
pub fn lines(text: &str) -> (Vec<Line>, Option<usize>) {
    let mut out = Vec::new();
    let mut first_nul = None;
    let mut cur: Option<Line> = None;
    let mut lex = Token::lexer(text);
    while let Some(tok) = lex.next() {
        let r = lex.span();
        match tok {
            Ok(Token::Text) => cur = Some(Line { start: r.start, end: r.end }),
            Ok(Token::Eol) | Ok(Token::Nul) | Err(()) => {
                if tok == Ok(Token::Nul) && first_nul.is_none() {
                    first_nul = Some(r.start);
                }
                out.push(cur.take().unwrap_or(Line { start: r.start, end: r.start }));
            }
        }
    }
    if let Some(l) = cur {
        out.push(l);
    }
    (out, first_nul)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        lines(s).0.iter().map(|l| &s[l.start..l.end]).collect()
    }

    #[test]
    fn every_terminator_ends_a_line() {
        assert_eq!(texts("a\r\nb\rc\nd"), ["a", "b", "c", "d"]);
        assert_eq!(texts("a\n\nb\n"), ["a", "", "b"]);
        assert_eq!(texts("a\0b"), ["a", "b"]);
        assert_eq!(lines("a\0b").1, Some(1));
        assert!(texts("").is_empty());
    }
}
