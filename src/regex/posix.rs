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
/// over [`EXPANSION_LIMIT`].
/// A pattern our parser refuses is estimated from its text: glibc builds, and copies,
/// what it has read before it meets the error, so an invalid pattern can exhaust the
/// machine all the same (`a` and thirty `+` before an unclosed `[`).
///
/// A valid pattern may also be refused for its closure work (see [`closure_work`]):
/// small, but with so many ways to match nothing that `regcomp` would run for minutes.
fn too_large(pattern: &[u8], flags: Flags) -> Option<String> {
    let (size, work) = match super::syntax::parse(pattern, flags) {
        Ok(ast) => (expansion(&ast.root), closure_work(&ast.root)),
        Err(_) => (rough_expansion(pattern, flags), 0.0),
    };
    if size > EXPANSION_LIMIT {
        return Some(format!(
            "Memory exhausted: the pattern expands to about {size} nodes (more than {EXPANSION_LIMIT}); \
             refused before regcomp, which would take minutes and gigabytes"
        ));
    }
    // A NaN (infinities met in the arithmetic) refuses too.
    (work.is_nan() || work > CLOSURE_LIMIT).then(|| {
        format!(
            "Memory exhausted: the pattern repeats so much that can match the empty string \
             (estimated work {work:.0}, more than {CLOSURE_LIMIT:.0}) that regcomp would run for \
             seconds to hours; refused before regcomp"
        )
    })
}

/// The largest estimated closure work (see [`closure_work`]) a pattern may have to be
/// passed to `regcomp`: about two seconds of glibc's time on this class of machine.
pub const CLOSURE_LIMIT: f64 = 4.0e7;

/// Estimated work of glibc's epsilon-closure pass over `pattern`'s compiled tree, for
/// valid patterns (an invalid one never reaches that pass).
///
/// The pass costs about the square of every stretch of the tree that can match the
/// empty string, as each node's closure spans the rest of its stretch: `(a?){3000}`
/// takes 1.3 s, `(a?){10000}` 28 s. A copying loop over such a stretch (`x+`, `x{2,}`)
/// multiplies that by half the number of ways through it, once per level: glibc
/// recomputes closures it found incomplete inside a cycle. Measured on glibc 2.36:
/// `a?` under ten `+` 0.64 s, `a??` under nine 2.4 s, `a???` under eight 4.9 s,
/// `a??????` under six 2.5 s. Bounded repeats add the square of their chain of optional
/// copies. The estimate is in units of 10 to 60 nanoseconds on these.
pub(crate) fn closure_work(root: &super::syntax::Node) -> f64 {
    let top = Stretch::of(root);
    top.work + if top.nullable { top.closed() } else { 0.0 }
}

/// What [`closure_work`] knows of a subtree.
#[derive(Clone, Copy)]
struct Stretch {
    /// Its expanded size, as [`expansion`] counts it.
    size: f64,
    /// Whether it can match the empty string.
    nullable: bool,
    /// Ways through it without consuming a byte, plus one (an atom 1, `x?` one more than `x`).
    ways: f64,
    /// The product of the copying loops' factors inside the open stretch.
    loops: f64,
    /// Whether the open stretch has a copying loop in it (counted in `loops` once).
    cycle: bool,
    /// Work of the stretches already closed inside it.
    work: f64,
}

/// How much dearer a stretch's closures are once a copying loop makes it a cycle.
const CYCLE: f64 = 10.0;

/// How much cheaper a level of a chain of nested optional copies is than a closure
/// step, in [`closure_work`]'s units.
const CHAIN_DISCOUNT: f64 = 3.0;

impl Stretch {
    fn atom(nullable: bool) -> Stretch {
        Stretch { size: 1.0, nullable, ways: 1.0, loops: 1.0, cycle: false, work: 0.0 }
    }

    /// The work of this subtree's open stretch, once nothing around it extends it.
    fn closed(&self) -> f64 {
        self.size * self.size * self.loops
    }

    fn of(node: &super::syntax::Node) -> Stretch {
        use super::syntax::Node;
        match node {
            Node::Empty | Node::Assert(_) => Stretch::atom(true),
            Node::Literal(_) | Node::Class(_) | Node::Any | Node::Backref(_) => Stretch::atom(false),
            Node::Group { node, .. } => {
                let inner = Stretch::of(node);
                Stretch { size: inner.size + 2.0, ..inner }
            }
            Node::Concat(nodes) => {
                // Consecutive empty-matching parts make one stretch.
                let mut out = Stretch { size: 0.0, nullable: true, ways: 1.0, loops: 1.0, cycle: false, work: 0.0 };
                let mut open: Option<Stretch> = None;
                for n in nodes {
                    let s = Stretch::of(n);
                    out.size += s.size;
                    out.work += s.work;
                    out.ways = out.ways.max(s.ways);
                    if s.nullable {
                        open = Some(match open {
                            Some(o) => Stretch {
                                size: o.size + s.size,
                                loops: o.loops.max(s.loops),
                                cycle: o.cycle || s.cycle,
                                ..o
                            },
                            None => s,
                        });
                    } else {
                        out.nullable = false;
                        out.work += open.take().map_or(0.0, |o| o.closed());
                    }
                }
                match open {
                    Some(o) if out.nullable => (out.loops, out.cycle) = (o.loops, o.cycle),
                    Some(o) => out.work += o.closed(),
                    None => {}
                }
                out
            }
            Node::Alternate(nodes) => {
                let parts: Vec<Stretch> = nodes.iter().map(Stretch::of).collect();
                let mut out = Stretch {
                    size: nodes.len() as f64,
                    nullable: false,
                    ways: 0.0,
                    loops: 1.0,
                    cycle: false,
                    work: 0.0,
                };
                for s in &parts {
                    out.size += s.size;
                    out.work += s.work;
                    out.ways += s.ways;
                    out.nullable |= s.nullable;
                    out.loops = out.loops.max(s.loops);
                    out.cycle |= s.cycle;
                }
                if !out.nullable {
                    (out.loops, out.cycle) = (1.0, false);
                }
                out
            }
            Node::Repeat { node, min, max } => {
                let inner = Stretch::of(node);
                let copies = match max {
                    Some(max) => f64::from((*max).max(1)),
                    None => f64::from(*min) + 1.0,
                };
                let nullable = inner.nullable || *min == 0;
                let ways = if *min == 0 { inner.ways + 1.0 } else { inner.ways };
                let copying_loop = max.is_none() && *min >= 1;
                let mut loops = if inner.nullable { inner.loops } else { 1.0 };
                if copying_loop && inner.nullable {
                    loops *= (inner.ways / 2.0).max(1.0);
                    if !inner.cycle {
                        loops *= CYCLE;
                    }
                }
                let cycle = inner.nullable && (inner.cycle || copying_loop);
                // Closed stretches are copied with the body; an open one grows with it.
                let mut work = inner.work * copies;
                if let Some(max) = max.filter(|&max| max > *min) {
                    // The optional copies nest, each inside the one before: glibc's
                    // passes over that chain cost about the square of its depth
                    // (`a{1,10000}` 0.65 s, `[0-9]{1,32767}` 15 s).
                    let depth = f64::from(max - *min);
                    work += depth * depth * inner.size / CHAIN_DISCOUNT;
                }
                Stretch { size: inner.size * copies, nullable, ways, loops, cycle, work }
            }
        }
    }
}

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
