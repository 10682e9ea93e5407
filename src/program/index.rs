//! Candidate finders: which rules of a run could match, from literal-prefix tries.

use crate::ir::{Cond, Matcher, Subject, Template};

/// What a condition is matched against; conditions with the same key share a trie.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubjectKey {
    /// The match string.
    MatchString,
    /// A parameter, with its default.
    Param(crate::runtime::message::ParamName, Vec<u8>),
    /// A function text without `${}` and without side effects.
    Func(Vec<u8>),
}

impl SubjectKey {
    /// Whether [`of`](Self::of) gives a key, without building it.
    pub fn is_pure(cond: &Cond) -> bool {
        match &cond.subject {
            _ if matches!(cond.matcher, Matcher::Invalid(_)) => false,
            Subject::MatchString | Subject::Param { .. } => true,
            Subject::Func(t) => pure_function(t),
        }
    }

    /// The key of a condition whose evaluation has no side effects, or `None`.
    pub fn of(cond: &Cond) -> Option<SubjectKey> {
        if matches!(cond.matcher, Matcher::Invalid(_)) {
            return None;
        }
        match &cond.subject {
            Subject::MatchString => Some(SubjectKey::MatchString),
            Subject::Param { name, default } => Some(SubjectKey::Param(name.clone(), default.clone())),
            Subject::Func(t) => pure_function(t).then(|| SubjectKey::Func(t.text.clone())),
        }
    }
}

/// Functions that change globals (`++`, `--`, `index`, `rotate`), or whose result a
/// parameter could inject (`${...}` values are re-scanned for functions), are not pure.
fn pure_function(t: &Template) -> bool {
    let text = &t.text;
    let has = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    !(has(b"${") || has(b"++") || has(b"--") || has(b"index") || has(b"rotate") || has(b"random") || has(b"\\"))
}

/// A byte trie of literal prefixes; each node lists the positions whose prefix ends there.
///
/// It is built node by node, then [`freeze`](Trie::freeze) packs it into flat arrays
/// (a walk then touches a few contiguous cache lines instead of one vector per node).
#[derive(Debug, Default)]
struct Trie {
    /// `(byte, child)` pairs sorted by byte, per node; node 0 is the root.
    children: Vec<Vec<(u8, u32)>>,
    /// Positions (indices into the run) whose prefix ends at each node.
    ends: Vec<Vec<u32>>,
    /// The packed form, once frozen.
    flat: Option<Flat>,
}

/// The trie in one array of words, so that a walk reads one contiguous record per
/// byte (with 10,000 prefixes the trie is larger than the CPU caches, and every
/// separate array read on the way would be a miss of its own).
///
/// A node's record at word `o`: its edge word, its list's length, then its list,
/// then its edges. The list holds the positions of every prefix that ends on the
/// path to the node, sorted, for a node where a prefix ends, and nothing for another
/// one: the walk keeps the last list it passed and appends it once, at the end
/// (see [`path_lists`]). Nearly every node has a table from its lowest child byte
/// `lo` to its highest, one offset per byte, [`NONE`] where there is no child (edge
/// word: [`DENSE`] `| lo << 16 | width`; a leaf has width 0), so every step is the
/// same few instructions whatever the node, and the walk's branches decide nothing
/// but where it ends. A node whose children's bytes spread wider than [`MAX_TABLE`]
/// lists their bytes packed four to a word, then their offsets in the same order
/// (edge word: the count). The upper levels are laid out breadth first, the
/// subtrees below them depth first (see [`Flat::of`]).
#[derive(Debug, Default)]
struct Flat {
    words: Vec<u32>,
    /// How many positions the trie holds (for the disassembly).
    positions: usize,
    /// Whether the lists are the paths' ([`path_lists`]); `false` when they would
    /// have been too long (prefixes nested many deep), and each node lists the
    /// prefixes that end there, appended as the walk passes.
    paths: bool,
}

/// Levels below the root laid out breadth first (see [`Flat::of`]).
const SHARED_LEVELS: usize = 3;

/// Marks an edge word as a table (see [`Flat`]).
const DENSE: u32 = 1 << 31;
/// No child for this byte, in a table.
const NONE: u32 = u32::MAX;

/// Widest table a node gets; a node whose children's bytes spread wider lists them.
const MAX_TABLE: usize = 32;

/// The table width of a node with these children (sorted by byte), when a table is
/// used: always, unless its bytes spread wider than [`MAX_TABLE`] (a dialplan's
/// digits, `+`, `*` and `#` never do). One node shape for every level is what keeps
/// a walk's branches the same from number to number; a leaf is a table of width 0.
fn dense_width(kids: &[(u8, u32)]) -> Option<usize> {
    let (Some(first), Some(last)) = (kids.first(), kids.last()) else { return Some(0) };
    let width = usize::from(last.0 - first.0) + 1;
    (width <= MAX_TABLE).then_some(width)
}

/// Each node's list as a record holds it: the positions of the prefixes that end
/// on the path to it, sorted, for a node where a prefix ends; empty for one where
/// none does. `None` when the lists would hold more than [`PATH_FACTOR`] times the
/// positions (and a few thousand more): prefixes nested hundreds deep repeat each
/// shorter one in every longer one's list.
fn path_lists(children: &[Vec<(u8, u32)>], ends: &[Vec<u32>]) -> Option<Vec<Vec<u32>>> {
    let positions: usize = ends.iter().map(Vec::len).sum();
    let mut budget = positions.saturating_mul(PATH_FACTOR).saturating_add(4096);
    let mut lists = vec![Vec::new(); children.len()];
    // (node, the list in force above it)
    let mut stack: Vec<(usize, Vec<u32>)> = vec![(0, Vec::new())];
    while let Some((node, above)) = stack.pop() {
        let own = ends.get(node).map_or(&[][..], Vec::as_slice);
        let here = if own.is_empty() {
            above
        } else {
            let mut l = above;
            l.extend_from_slice(own);
            l.sort_unstable();
            budget = budget.checked_sub(l.len())?;
            if let Some(slot) = lists.get_mut(node) {
                slot.clone_from(&l);
            }
            l
        };
        for &(_, kid) in children.get(node).map_or(&[][..], Vec::as_slice) {
            stack.push((kid as usize, here.clone()));
        }
    }
    Some(lists)
}

/// How many times its positions the paths' lists of a trie may hold.
const PATH_FACTOR: usize = 16;

impl Flat {
    fn of(children: &[Vec<(u8, u32)>], ends: &[Vec<u32>]) -> Flat {
        let kids = |node: usize| children.get(node).map_or(&[][..], Vec::as_slice).iter().map(|&(_, k)| k as usize);
        // The upper levels breadth first: every walk passes there, and they share a
        // few cache lines. Below, each subtree depth first: a walk goes down one path,
        // and the single-child chains of a large prefix table then lie in one or two
        // lines instead of one line per level.
        let mut order = Vec::with_capacity(children.len());
        let mut level = vec![0usize];
        for _ in 0..=SHARED_LEVELS {
            order.extend_from_slice(&level);
            level = level.iter().flat_map(|&n| kids(n)).collect();
        }
        let mut stack = Vec::new();
        for top in level {
            stack.push(top);
            while let Some(node) = stack.pop() {
                order.push(node);
                let first = stack.len();
                stack.extend(kids(node));
                stack[first..].reverse();
            }
        }
        let (lists, paths) = match path_lists(children, ends) {
            Some(lists) => (lists, true),
            None => (ends.to_vec(), false),
        };
        let size = |node: usize| {
            let (kids, at) = (&children[node], lists[node].len());
            2 + at + dense_width(kids).unwrap_or(kids.len().div_ceil(4) + kids.len())
        };
        let mut offset = vec![0u32; children.len()];
        let mut total = 0usize;
        for &node in &order {
            offset[node] = total as u32;
            total += size(node);
        }
        let mut words = Vec::with_capacity(total);
        for &node in &order {
            let (kids, at) = (&children[node], &lists[node]);
            let dense = dense_width(kids);
            let lo = kids.first().map_or(0, |k| k.0);
            words.push(match dense {
                Some(width) => DENSE | u32::from(lo) << 16 | width as u32,
                None => kids.len() as u32,
            });
            words.push(at.len() as u32);
            words.extend_from_slice(at);
            match dense {
                Some(width) => {
                    let table = words.len();
                    words.resize(table + width, NONE);
                    for &(b, kid) in kids {
                        words[table + usize::from(b - lo)] = offset[kid as usize];
                    }
                }
                None => {
                    for chunk in kids.chunks(4) {
                        words.push(chunk.iter().enumerate().fold(0u32, |w, (k, &(b, _))| w | u32::from(b) << (8 * k)));
                    }
                    words.extend(kids.iter().map(|&(_, kid)| offset[kid as usize]));
                }
            }
        }
        Flat { words, positions: ends.iter().map(Vec::len).sum(), paths }
    }

    /// The children as `(byte, child)` and the list of the node at `o` (its path's
    /// list when [`paths`](Self::paths), else its own positions).
    fn node(&self, o: usize) -> (Vec<(u8, u32)>, &[u32]) {
        let (Some(&head), Some(&at)) = (self.words.get(o), self.words.get(o + 1)) else { return (Vec::new(), &[]) };
        let at = at as usize;
        let ends = self.words.get(o + 2..o + 2 + at).unwrap_or_default();
        let bytes = o + 2 + at;
        if head & DENSE != 0 {
            let (lo, width) = ((head >> 16) as u8, (head & 0xffff) as usize);
            let table = self.words.get(bytes..bytes + width).unwrap_or_default();
            let edges = table.iter().enumerate().filter(|(_, &c)| c != NONE).map(|(k, &c)| (lo + k as u8, c)).collect();
            return (edges, ends);
        }
        let kids = head as usize;
        let offs = bytes + kids.div_ceil(4);
        let edges = (0..kids)
            .filter_map(|k| {
                let b = (self.words.get(bytes + k / 4)? >> (8 * (k % 4))) as u8;
                Some((b, *self.words.get(offs + k)?))
            })
            .collect();
        (edges, ends)
    }

    /// The node `o`'s list length and child for byte `b` ([`NONE`]: none);
    /// `None` past the words.
    #[inline(always)]
    fn step(words: &[u32], o: usize, b: u8) -> Option<(u32, u32)> {
        let &[head, at] = words.get(o..o + 2).and_then(|w| <&[u32; 2]>::try_from(w).ok())?;
        let bytes = o + 2 + at as usize;
        let next = if head & DENSE != 0 {
            let (lo, width) = ((head >> 16) as u8, (head & 0xffff) as usize);
            let k = usize::from(b.wrapping_sub(lo));
            if k < width {
                words.get(bytes + k).copied().unwrap_or(NONE)
            } else {
                NONE
            }
        } else {
            Self::listed(words, bytes, head as usize, b)
        };
        Some((at, next))
    }

    /// The list of the node at `o`.
    #[inline(always)]
    fn list(words: &[u32], o: usize) -> &[u32] {
        let at = words.get(o + 1).map_or(0, |&at| at as usize);
        words.get(o + 2..o + 2 + at).unwrap_or_default()
    }

    #[inline]
    fn walk(&self, subject: &[u8], out: &mut Vec<u32>) {
        if !self.paths {
            return self.walk_each(subject, out);
        }
        let words = &self.words[..];
        // The node whose list is in force: the last one on the path where a prefix ended.
        let (mut o, mut last) = (0usize, 0usize);
        for &b in subject {
            let Some((at, next)) = Self::step(words, o, b) else { break };
            last = if at != 0 { o } else { last };
            if next == NONE {
                break;
            }
            o = next as usize;
        }
        // The node the walk stopped at, whose list the loop may not have read.
        if words.get(o + 1).is_some_and(|&at| at != 0) {
            last = o;
        }
        push_all(out, Self::list(words, last));
    }

    /// [`walk`](Self::walk) when each node lists only the prefixes ending there.
    #[inline(never)]
    fn walk_each(&self, subject: &[u8], out: &mut Vec<u32>) {
        let words = &self.words[..];
        let mut o = 0usize;
        for &b in subject {
            push_all(out, Self::list(words, o));
            match Self::step(words, o, b) {
                Some((_, next)) if next != NONE => o = next as usize,
                _ => return,
            }
        }
        push_all(out, Self::list(words, o));
    }

    /// The child for byte `b` of a node that lists its `kids` children from `bytes`.
    #[inline(never)]
    fn listed(words: &[u32], bytes: usize, kids: usize, b: u8) -> u32 {
        let packed = words.get(bytes..bytes + kids.div_ceil(4)).unwrap_or_default();
        match (0..kids).find(|&k| packed.get(k / 4).is_some_and(|w| (w >> (8 * (k % 4))) as u8 == b)) {
            Some(k) => words.get(bytes + kids.div_ceil(4) + k).copied().unwrap_or(NONE),
            None => NONE,
        }
    }
}

/// Appends `positions`: mostly one or none, for which a copy through `memcpy` costs
/// more than the push.
#[inline(always)]
fn push_all(out: &mut Vec<u32>, positions: &[u32]) {
    match positions {
        [] => {}
        [p] => out.push(*p),
        _ => out.extend_from_slice(positions),
    }
}

impl Trie {
    fn new() -> Trie {
        Trie { children: vec![Vec::new()], ends: vec![Vec::new()], flat: None }
    }

    /// Packs the trie; the build form is dropped.
    fn freeze(&mut self) {
        if self.flat.is_none() {
            self.flat = Some(Flat::of(&self.children, &self.ends));
            self.children = Vec::new();
            self.ends = Vec::new();
        }
    }

    fn insert(&mut self, prefix: &[u8], pos: u32) {
        if let Some(flat) = self.flat.take() {
            self.thaw(flat);
        }
        let mut node = 0usize;
        for &b in prefix {
            let kids = &self.children[node];
            node = match kids.binary_search_by_key(&b, |k| k.0) {
                Ok(i) => kids[i].1 as usize,
                Err(i) => {
                    let id = self.children.len();
                    self.children.push(Vec::new());
                    self.ends.push(Vec::new());
                    self.children[node].insert(i, (b, id as u32));
                    id
                }
            };
        }
        self.ends[node].push(pos);
    }

    /// Back to the build form, for a late insertion.
    fn thaw(&mut self, flat: Flat) {
        // Walk the records in layout order, giving each node the next id; a record
        // that holds its path's list holds the node's own positions and those of the
        // list in force above it.
        let (mut children, mut ends) = (Vec::new(), Vec::new());
        let mut queue = std::collections::VecDeque::from([(0u32, Vec::<u32>::new())]);
        let mut ids = std::collections::HashMap::new();
        ids.insert(0u32, 0u32);
        while let Some((o, above)) = queue.pop_front() {
            let (edges, at) = flat.node(o as usize);
            let here = if at.is_empty() || !flat.paths { above.clone() } else { at.to_vec() };
            let kids = edges
                .iter()
                .map(|&(b, child)| {
                    let next = ids.len() as u32;
                    let id = *ids.entry(child).or_insert_with(|| {
                        queue.push_back((child, here.clone()));
                        next
                    });
                    (b, id)
                })
                .collect();
            children.push(kids);
            ends.push(at.iter().copied().filter(|p| !above.contains(p)).collect());
        }
        self.children = children;
        self.ends = ends;
    }

    /// Every position whose prefix is a prefix of `subject`.
    #[inline]
    fn walk(&self, subject: &[u8], out: &mut Vec<u32>) {
        if let Some(flat) = &self.flat {
            return flat.walk(subject, out);
        }
        let mut node = 0usize;
        out.extend_from_slice(&self.ends[0]);
        for &b in subject {
            let kids = &self.children[node];
            match kids.binary_search_by_key(&b, |k| k.0) {
                Ok(i) => node = kids[i].1 as usize,
                Err(_) => return,
            }
            out.extend_from_slice(&self.ends[node]);
        }
    }
}

/// The match string's trie walked ahead of the search, one level at a time, while the
/// lines before the run are evaluated: each level's record has then arrived in the
/// cache when the search reads it, instead of the search waiting for each in turn.
#[derive(Clone, Copy, Debug)]
pub struct Ahead<'p> {
    words: &'p [u32],
    o: usize,
    i: usize,
}

impl Ahead<'_> {
    /// One level further along `subject`; `false` once the walk has ended.
    #[inline(always)]
    pub fn step(&mut self, subject: &[u8]) -> bool {
        let Some(&b) = subject.get(self.i) else { return false };
        match Flat::step(self.words, self.o, b) {
            Some((_, next)) if next != NONE => {
                self.o = next as usize;
                self.i += 1;
                true
            }
            _ => false,
        }
    }
}

/// Smallest trie walked ahead: 32 KB, a first-level data cache.
const AHEAD_WORDS: usize = 8 * 1024;

/// The conditions of one subject key.
#[derive(Debug)]
struct Group {
    key: SubjectKey,
    trie: Trie,
    /// Positions that are candidates whatever the subject (no literal prefix, negated).
    always: Vec<u32>,
}

/// Finds, for the current subjects, the positions of a run that could match.
#[derive(Debug, Default)]
pub struct Index {
    groups: Vec<Group>,
    /// Positions whose condition has no pure subject: always candidates.
    always: Vec<u32>,
    /// Whether a key is a function, whose value the search must compute first.
    funcs: bool,
}

impl Index {
    /// Adds the key condition of position `pos`, with the literal prefix its regex is
    /// anchored on (`None`: unknown or negated, so always a candidate).
    pub fn add(&mut self, pos: u32, key: Option<SubjectKey>, prefix: Option<&[u8]>) {
        let Some(key) = key else {
            self.always.push(pos);
            return;
        };
        let g = match self.groups.iter().position(|g| g.key == key) {
            Some(g) => g,
            None => {
                self.funcs |= matches!(key, SubjectKey::Func(_));
                self.groups.push(Group { key, trie: Trie::new(), always: Vec::new() });
                self.groups.len() - 1
            }
        };
        match prefix {
            Some(p) => self.groups[g].trie.insert(p, pos),
            None => self.groups[g].always.push(pos),
        }
    }

    /// Packs the tries for searching; call once the run is complete.
    pub fn finish(&mut self) {
        for g in &mut self.groups {
            g.trie.freeze();
        }
    }

    /// A walk ahead of the match string's trie, when the run has one larger than a
    /// first-level cache (a smaller one stays in the caches, and its walk would only
    /// be done twice).
    pub fn ahead(&self) -> Option<Ahead<'_>> {
        let g = self.groups.iter().find(|g| g.key == SubjectKey::MatchString)?;
        let flat = g.trie.flat.as_ref().filter(|f| f.paths && f.words.len() >= AHEAD_WORDS)?;
        Some(Ahead { words: &flat.words, o: 0, i: 0 })
    }

    /// Whether a key is a function.
    #[inline]
    pub fn has_funcs(&self) -> bool {
        self.funcs
    }

    /// The subject keys this index needs, in the order [`candidates`](Self::candidates)
    /// expects their values.
    pub fn keys(&self) -> impl Iterator<Item = &SubjectKey> {
        self.groups.iter().map(|g| &g.key)
    }

    /// The key at position `i` of [`keys`](Self::keys).
    #[inline]
    pub fn key(&self, i: usize) -> Option<&SubjectKey> {
        self.groups.get(i).map(|g| &g.key)
    }

    /// The position of `key` among [`keys`](Self::keys).
    pub fn position(&self, key: &SubjectKey) -> Option<usize> {
        self.groups.iter().position(|g| &g.key == key)
    }

    /// Candidate positions `>= from`, sorted and deduplicated; `subject(i, key)` gives
    /// the current value of the i-th key (same order as [`keys`](Self::keys)).
    pub fn candidates<'s>(
        &'s self,
        from: u32,
        subject: impl Fn(usize, &'s SubjectKey) -> &'s [u8],
        out: &mut Vec<u32>,
    ) {
        out.clear();
        // The prefix matches first and what is always a candidate after: in a
        // dialplan that is a final catch-all, and the list then comes out in order
        // without sorting.
        for (i, g) in self.groups.iter().enumerate() {
            g.trie.walk(crate::ir::template_trim(subject(i, &g.key)), out);
        }
        for g in &self.groups {
            push_all(out, &g.always);
        }
        push_all(out, &self.always);
        // A first search keeps everything; a search again after a change drops what
        // ran already.
        if from > 0 {
            out.retain(|&p| p >= from);
        }
        // An item with several guards (a block chain's openers) can be named twice.
        if !out.windows(2).all(|w| w[0] < w[1]) {
            out.sort_unstable();
            out.dedup();
        }
    }

    /// Number of subject groups (for the disassembly).
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                let name = match &g.key {
                    SubjectKey::MatchString => "match".to_string(),
                    SubjectKey::Param(n, _) => format!("${{{}}}", String::from_utf8_lossy(n.as_bytes())),
                    SubjectKey::Func(t) => String::from_utf8_lossy(t).into_owned(),
                };
                let prefixed = match &g.trie.flat {
                    Some(f) => f.positions,
                    None => g.trie.ends.iter().map(Vec::len).sum(),
                };
                format!("{name}: {prefixed} by prefix, {} always", g.always.len())
            })
            .collect();
        if !self.always.is_empty() {
            parts.push(format!("{} impure always", self.always.len()));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packed trie finds what the build form finds, and late insertions still work.
    #[test]
    fn frozen_walk_matches_build_form() {
        let prefixes: [&[u8]; 12] =
            [b"", b"0049", b"004", b"0049", b"1790", b"17909069", b"2", b"3", b"5", b"9", b"17", b"0"];
        let mut t = Trie::new();
        for (pos, p) in prefixes.iter().enumerate() {
            t.insert(p, pos as u32);
        }
        let subjects: [&[u8]; 9] = [b"", b"00491234", b"0048", b"179090691", b"2", b"x", b"4", b"9", b"/"];
        let walk = |t: &Trie, s: &[u8]| {
            let mut out = Vec::new();
            t.walk(s, &mut out);
            out.sort_unstable();
            out
        };
        let before: Vec<Vec<u32>> = subjects.iter().map(|s| walk(&t, s)).collect();
        assert_eq!(before[1], vec![0, 1, 2, 3, 11]);
        assert_eq!(before[3], vec![0, 4, 5, 10]);
        assert_eq!(before[7], vec![0, 9]);
        t.freeze();
        let after: Vec<Vec<u32>> = subjects.iter().map(|s| walk(&t, s)).collect();
        assert_eq!(before, after);
        t.insert(b"00", 12);
        assert_eq!(walk(&t, b"0049"), vec![0, 1, 2, 3, 11, 12]);
        t.freeze();
        assert_eq!(walk(&t, b"0049"), vec![0, 1, 2, 3, 11, 12]);
        assert_eq!(walk(&t, b"4"), vec![0]);
    }

    /// Prefixes nested hundreds deep would make the paths' lists quadratic: such a
    /// trie keeps each node's own positions, and finds the same.
    #[test]
    fn deep_nesting_keeps_own_lists() {
        let mut t = Trie::new();
        for n in 1..=200u32 {
            t.insert(&vec![b'1'; n as usize], n - 1);
        }
        t.insert(b"12", 200);
        t.freeze();
        assert!(t.flat.as_ref().is_some_and(|f| !f.paths), "the lists would not fit");
        let walk = |t: &Trie, s: &[u8]| {
            let mut out = Vec::new();
            t.walk(s, &mut out);
            out.sort_unstable();
            out
        };
        assert_eq!(walk(&t, &[b'1'; 250]), (0..200).collect::<Vec<u32>>());
        assert_eq!(walk(&t, b"123"), vec![0, 200]);
        assert_eq!(walk(&t, b"111"), vec![0, 1, 2]);
        t.insert(b"", 201);
        assert_eq!(walk(&t, b"12"), vec![0, 200, 201], "a late insertion thaws the own lists");
    }

    /// On random digit prefixes (dense nodes) and letters (listed ones), the packed
    /// walk finds exactly the prefixes of the subject.
    #[test]
    fn packed_walk_finds_every_prefix() {
        let mut next = crate::testing::seeded(0x2545_f491_u64);
        let alphabet = b"0123456789abc+";
        let mut word = |len: u64| -> Vec<u8> { (0..len).map(|_| alphabet[next(14) as usize]).collect() };
        let prefixes: Vec<Vec<u8>> = (0..600).map(|i| word(i % 7)).collect();
        let mut t = Trie::new();
        for (pos, p) in prefixes.iter().enumerate() {
            t.insert(p, pos as u32);
        }
        t.freeze();
        for len in 0..40 {
            let s = word(len % 12);
            let mut got = Vec::new();
            t.walk(&s, &mut got);
            got.sort_unstable();
            let want: Vec<u32> =
                prefixes.iter().enumerate().filter(|(_, p)| s.starts_with(p)).map(|(i, _)| i as u32).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&s));
        }
    }

    /// The walk ahead takes one step per byte of the subject along the trie and ends
    /// where the search's walk ends; a small trie gets none.
    #[test]
    fn walk_ahead_follows_the_trie() {
        let mut next = crate::testing::seeded(0x9e37_79b9_u64);
        let mut digits = |len: u64| -> Vec<u8> { (0..len).map(|_| b'0' + next(10) as u8).collect() };
        let prefixes: Vec<Vec<u8>> = (0..4000).map(|i| digits(3 + i % 6)).collect();
        let mut index = Index::default();
        for (pos, p) in prefixes.iter().enumerate() {
            index.add(pos as u32, Some(SubjectKey::MatchString), Some(p));
        }
        index.finish();
        let Some(start) = index.ahead() else { panic!("a trie of 4,000 prefixes is walked ahead") };
        for _ in 0..300 {
            let subject = digits(12);
            let mut a = start;
            let mut steps = 0;
            while a.step(&subject) {
                steps += 1;
            }
            // The depth of the subject's path: its longest start that begins some prefix.
            let depth =
                (0..=subject.len()).rev().find(|&n| prefixes.iter().any(|p| p.starts_with(&subject[..n]))).unwrap_or(0);
            assert_eq!(steps, depth, "{:?}", String::from_utf8_lossy(&subject));
        }
        let mut small = Index::default();
        small.add(0, Some(SubjectKey::MatchString), Some(b"0049"));
        small.finish();
        assert!(small.ahead().is_none(), "a trie in the first-level cache is not walked twice");
    }
}
