//! The exact engine: glibc's `regcomp`/`regexec`, called the way Yate calls them.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_ulong, c_void, CStr, CString};
use std::fmt;
use std::mem::MaybeUninit;

/// Compile flags, mirroring Yate's `extended` and `insensitive` priorities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// Compile as POSIX ERE (`REG_EXTENDED`) instead of GNU BRE.
    pub extended: bool,
    /// Compile with `REG_ICASE` (ASCII case folding in the C locale).
    pub insensitive: bool,
}

impl Flags {
    /// The `cflags` argument for `regcomp`; never `REG_NEWLINE` nor `REG_NOSUB`.
    fn cflags(self) -> c_int {
        let mut cflags = 0;
        if self.extended {
            cflags |= libc::REG_EXTENDED;
        }
        if self.insensitive {
            cflags |= libc::REG_ICASE;
        }
        cflags
    }
}

/// Match positions as byte offsets: slot 0 is the whole match, slots 1..=8 the groups.
///
/// Yate asks `regexec` for exactly nine slots, so group 9 and later are never reported.
pub type Slots = [Option<(usize, usize)>; 9];

/// A pattern that `regcomp` rejected (or that Yate would never compile).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The `regcomp` error code (`REG_BADPAT` for the empty pattern).
    pub code: i32,
    /// The text `regerror` gives for `code`.
    pub message: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

/// Field-for-field copy of glibc's `regex_t`.
///
/// `libc::regex_t` keeps its fields private, but `re_nsub` (the number of groups
/// glibc counted) is the ground truth the syntax module is checked against.
#[repr(C)]
struct RegexT {
    buffer: *mut c_void,
    allocated: usize,
    used: usize,
    syntax: c_ulong,
    fastmap: *mut c_char,
    translate: *mut c_char,
    re_nsub: usize,
    bitfield: u8,
}

// Passing a `RegexT` where glibc expects `regex_t` is only sound if the layouts agree.
const _: () = assert!(std::mem::size_of::<RegexT>() == std::mem::size_of::<libc::regex_t>());
const _: () = assert!(std::mem::align_of::<RegexT>() == std::mem::align_of::<libc::regex_t>());

/// A pattern compiled by glibc's `regcomp`.
pub struct PosixRegex {
    /// Boxed so the address glibc saw at `regcomp` time stays put.
    raw: Box<RegexT>,
    flags: Flags,
    /// Kept to compile afresh for every search, as Yate does.
    pattern: CString,
}

// SAFETY: the compiled `regex_t` is only read by `regexec`, which takes `dfa->lock`
// around the search (glibc's regexec.c), so concurrent calls on one pattern are safe;
// it owns its heap buffers outright, so moving it to another thread is safe too.
unsafe impl Send for PosixRegex {}
// SAFETY: see `Send`: shared use only ever calls the internally locked `regexec`.
unsafe impl Sync for PosixRegex {}

impl fmt::Debug for PosixRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PosixRegex").field("flags", &self.flags).field("groups", &self.group_count()).finish()
    }
}

impl Drop for PosixRegex {
    fn drop(&mut self) {
        let ptr: *mut RegexT = &mut *self.raw;
        // SAFETY: `raw` was filled by a successful `regcomp` and is freed exactly once.
        unsafe { libc::regfree(ptr.cast()) }
    }
}

/// Copies `bytes` up to the first NUL into a C string, as a C caller would see them.
fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

impl PosixRegex {
    /// Compiles `pattern` like Yate does: cut at the first NUL, never `REG_NEWLINE`.
    ///
    /// The empty pattern is an error because Yate refuses to compile it.
    pub fn compile(pattern: &[u8], flags: Flags) -> Result<PosixRegex, CompileError> {
        let pattern = c_string(pattern);
        if pattern.as_bytes().is_empty() {
            return Err(CompileError { code: libc::REG_BADPAT, message: "Empty regular expression".to_owned() });
        }
        if let Some(message) = too_large(pattern.as_bytes(), flags) {
            return Err(CompileError { code: libc::REG_ESPACE, message });
        }
        let raw = compile_raw(&pattern, flags)?;
        Ok(PosixRegex { raw, flags, pattern })
    }

    /// The flags this pattern was compiled with.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// The number of capture groups glibc counted (`re_nsub`), including those past 8.
    pub fn group_count(&self) -> usize {
        self.raw.re_nsub
    }

    /// Searches `subject` (cut at its first NUL) with no `eflags`, exactly like Yate:
    /// with a freshly compiled pattern.
    ///
    /// glibc's `regexec` caches DFA states inside the compiled pattern, and with word
    /// assertions what it caches can change later answers: after matching "aa", ERE
    /// `(.){1,3}$\>` also matches "aa." (it does not on a fresh pattern). Yate compiles
    /// every rule for every evaluation, so only a fresh pattern reproduces it.
    pub fn exec(&self, subject: &[u8]) -> Option<Slots> {
        match compile_raw(&self.pattern, self.flags) {
            Ok(raw) => PosixRegex { raw, flags: self.flags, pattern: CString::default() }.exec_reusing(subject),
            // Out of memory: the kept pattern is the next best thing.
            Err(_) => self.exec_reusing(subject),
        }
    }

    /// Searches with the pattern compiled once: faster than [`exec`](Self::exec), but
    /// glibc's cache makes the answer depend on earlier searches (see there).
    pub fn exec_reusing(&self, subject: &[u8]) -> Option<Slots> {
        let subject = c_string(subject);
        let mut matches = [libc::regmatch_t { rm_so: -1, rm_eo: -1 }; 9];
        let ptr: *const RegexT = &*self.raw;
        // SAFETY: the pattern is compiled, `subject` is NUL-terminated, and `matches`
        // has room for exactly the 9 entries announced.
        let code = unsafe { libc::regexec(ptr.cast(), subject.as_ptr(), matches.len(), matches.as_mut_ptr(), 0) };
        if code != 0 {
            return None;
        }
        let mut slots: Slots = [None; 9];
        for (slot, m) in slots.iter_mut().zip(matches.iter()) {
            if let (Ok(start), Ok(end)) = (usize::try_from(m.rm_so), usize::try_from(m.rm_eo)) {
                *slot = Some((start, end));
            }
        }
        Some(slots)
    }

    /// Whether glibc finds a match anywhere in `subject`.
    pub fn is_match(&self, subject: &[u8]) -> bool {
        self.exec(subject).is_some()
    }
}

/// The largest estimated expansion a pattern may have to be passed to `regcomp`.
///
/// glibc copies a repeated subexpression once per required repetition (`x+` is
/// `xx*`, `x{3}` three copies), so stacked repeats grow exponentially: 20
/// stacked `+` take glibc 3 s and 1 GB, 30 would exhaust the machine. Real
/// patterns stay far below (`[0-9]{1,15}` is 15 copies).
pub const EXPANSION_LIMIT: u64 = 200_000;

/// Why `pattern` is refused before `regcomp`, if it is: its estimated compiled size is
/// over [`EXPANSION_LIMIT`], or `regcomp` would take too long on it.
///
/// A pattern our parser refuses is estimated from its text: glibc builds, and copies,
/// what it has read before it meets the error, so an invalid pattern can exhaust the
/// machine all the same (`a` and thirty `+` before an unclosed `[`).
///
/// A valid pattern may also be small but keep `regcomp` busy in its closure pass
/// (see [`super::closure`]): loops nested over what can match the empty string, long
/// chains of optional copies.
fn too_large(pattern: &[u8], flags: Flags) -> Option<String> {
    let ast = match super::syntax::parse(pattern, flags) {
        Ok(ast) => ast,
        Err(_) => {
            let size = rough_expansion(pattern, flags);
            return (size > EXPANSION_LIMIT).then(|| exhausted(size));
        }
    };
    let size = expansion(&ast.root);
    if size > EXPANSION_LIMIT {
        return Some(exhausted(size));
    }
    // Some headroom over the expansion estimate, which counts fewer nodes than the model.
    let nodes = usize::try_from(EXPANSION_LIMIT.saturating_mul(4)).unwrap_or(usize::MAX);
    match super::closure::work(&ast.root, CLOSURE_BUDGET, nodes) {
        Some(_) => None,
        None => Some(format!(
            "Memory exhausted: the pattern's repeats would take regcomp's closure pass more than \
             {CLOSURE_BUDGET} steps (from a fortieth of a second and 140 MB to hours); refused before \
             regcomp"
        )),
    }
}

fn exhausted(size: u64) -> String {
    format!(
        "Memory exhausted: the pattern expands to about {size} nodes (more than {EXPANSION_LIMIT}); \
         refused before regcomp, which would take minutes and gigabytes"
    )
}

/// The most steps glibc's epsilon-closure pass may take on a pattern passed to
/// `regcomp`, as [`super::closure`] counts them. Measured on glibc 2.36, a step costs
/// glibc 2.5 to 25 nanoseconds (3 to 10 on most shapes) and about 14 bytes of memory
/// (`(a?){1000}`: 6 million steps, 0.17 s, 84 MB; Yate pays that at every evaluation):
/// the limit is a fortieth to a quarter of a second and about 140 MB, far beyond any
/// pattern written to route calls (`.{1,255}` is 131,000 steps), and the count stops
/// there, in about as long as glibc would take.
pub const CLOSURE_BUDGET: u64 = 10_000_000;

fn expansion(node: &super::syntax::Node) -> u64 {
    use super::syntax::Node;
    match node {
        Node::Group { node, .. } => expansion(node).saturating_add(2),
        Node::Concat(nodes) => nodes.iter().fold(0u64, |acc, n| acc.saturating_add(expansion(n))),
        Node::Alternate(nodes) => nodes.iter().fold(nodes.len() as u64, |acc, n| acc.saturating_add(expansion(n))),
        Node::Repeat { node, min, max } => {
            // One copy per required repetition plus one for the optional tail.
            let copies = match max {
                Some(max) => u64::from((*max).max(1)),
                None => u64::from(*min) + 1,
            };
            expansion(node).saturating_mul(copies)
        }
        _ => 1,
    }
}

/// One level of [`rough_expansion`]: the top or an open group.
#[derive(Default)]
struct Level {
    /// The finished alternatives' sizes, plus one per `|`.
    done: u64,
    /// The alternative being read.
    concat: u64,
    /// The last atom of it, which a repeat applies to (0: none yet).
    last: u64,
}

impl Level {
    /// The level's size: its alternatives, one more for the last when there are several.
    fn total(&self) -> u64 {
        let last = if self.done > 0 { 1 } else { 0 };
        self.done.saturating_add(self.concat).saturating_add(last)
    }
}

/// [`expansion`] read from the text of a pattern that need not be valid, with the same
/// weights: an atom 1, a group 2 more than its content, a repeat as many copies as it
/// makes. The text is read with glibc's tokenizer, leniently (an unclosed bracket runs
/// to the end, an unclosed group closes there, a brace that starts no interval counts
/// as an atom), which only makes the estimate larger.
fn rough_expansion(p: &[u8], flags: Flags) -> u64 {
    use super::token::{self, Kind};
    let mut levels = vec![Level::default()];
    let atom = |levels: &mut Vec<Level>, size: u64| {
        if let Some(l) = levels.last_mut() {
            l.concat = l.concat.saturating_add(size);
            l.last = size;
        }
    };
    let close = |levels: &mut Vec<Level>| -> u64 { levels.pop().map_or(0, |l| l.total()).saturating_add(2) };
    let mut at = 0usize;
    while at < p.len() {
        let tok = token::peek(p, at, flags, false);
        at = tok.end().max(at + 1);
        let copies = match tok.kind {
            Kind::End => break,
            Kind::Open => {
                levels.push(Level::default());
                continue;
            }
            Kind::Close if levels.len() > 1 => {
                let size = close(&mut levels);
                atom(&mut levels, size);
                continue;
            }
            Kind::Alt => {
                if let Some(l) = levels.last_mut() {
                    l.done = l.done.saturating_add(l.concat).saturating_add(1);
                    (l.concat, l.last) = (0, 0);
                }
                continue;
            }
            Kind::Star | Kind::Question => Some(1),
            Kind::Plus => Some(2),
            Kind::OpenBrace => interval(p, at, flags).map(|(copies, end)| {
                at = end;
                copies
            }),
            Kind::Bracket => {
                at = super::bracket::parse(p, tok.end(), flags).map_or(p.len(), |b| b.end);
                None
            }
            _ => None,
        };
        match (copies, levels.last_mut()) {
            (Some(copies), Some(l)) if l.last > 0 => {
                let grown = l.last.saturating_mul(copies);
                l.concat = l.concat.saturating_sub(l.last).saturating_add(grown);
                l.last = grown;
            }
            // An atom, or a repeat with nothing to repeat (a literal in glibc's BRE).
            _ => atom(&mut levels, 1),
        }
    }
    while levels.len() > 1 {
        let size = close(&mut levels);
        atom(&mut levels, size);
    }
    levels.pop().map_or(0, |l| l.total())
}

/// The copies an interval makes, as [`expansion`] counts them, and where it ends, for
/// the text after a repeat's opening brace at `at`; `None` when it is no interval.
fn interval(p: &[u8], mut at: usize, flags: Flags) -> Option<(u64, usize)> {
    use super::token::{self, Kind};
    let number = |at: &mut usize| -> Option<u64> {
        let mut n: Option<u64> = None;
        loop {
            let t = token::peek(p, *at, flags, false);
            if t.kind != Kind::Char || !t.c.is_ascii_digit() {
                return n;
            }
            n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(u64::from(t.c - b'0')));
            *at = t.end();
        }
    };
    let min = number(&mut at)?;
    let t = token::peek(p, at, flags, false);
    let max = if t.is_comma() {
        at = t.end();
        number(&mut at)
    } else {
        Some(min)
    };
    let t = token::peek(p, at, flags, false);
    if t.kind != Kind::CloseBrace {
        return None;
    }
    Some((max.map_or(min.saturating_add(1), |m| m.max(1)), t.end()))
}

/// Runs `regcomp` on `pattern` into a new heap slot.
fn compile_raw(pattern: &CString, flags: Flags) -> Result<Box<RegexT>, CompileError> {
    let mut slot: Box<MaybeUninit<RegexT>> = Box::new(MaybeUninit::uninit());
    let ptr: *mut RegexT = slot.as_mut_ptr();
    // SAFETY: `ptr` points to writable memory of `regex_t`'s size and alignment, and
    // `pattern` is NUL-terminated and outlives the call.
    let code = unsafe { libc::regcomp(ptr.cast(), pattern.as_ptr(), flags.cflags()) };
    if code != 0 {
        // glibc frees its partial state itself when regcomp fails.
        return Err(CompileError { code, message: error_text(code) });
    }
    // SAFETY: a successful `regcomp` initialised every field.
    Ok(unsafe { Box::from_raw(Box::into_raw(slot).cast::<RegexT>()) })
}

/// The `regerror` text for `code`.
fn error_text(code: c_int) -> String {
    let mut buf = [0 as c_char; 128];
    // SAFETY: glibc's regerror does not read the (null) pattern argument, and writes at
    // most `buf.len()` bytes, NUL-terminated.
    unsafe { libc::regerror(code, std::ptr::null(), buf.as_mut_ptr(), buf.len()) };
    // Reinterpreting the C chars as bytes is the intent, sign included.
    let bytes: Vec<u8> = buf.iter().map(|&c| c as u8).collect();
    match CStr::from_bytes_until_nul(&bytes) {
        Ok(text) => text.to_string_lossy().into_owned(),
        Err(_) => format!("regcomp error {code}"),
    }
}

#[cfg(test)]
#[path = "posix_tests.rs"]
mod tests;
