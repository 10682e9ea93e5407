//! Candidate finders: which rules of a run could match, from literal-prefix tries.

use crate::ir::{Cond, Matcher, Subject, Template};

/// What a condition is matched against; conditions with the same key share a trie.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubjectKey {
    /// The match string.
    MatchString,
    /// A parameter, with its default.
    Param(Vec<u8>, Vec<u8>),
    /// A function text without `${}` and without side effects.
    Func(Vec<u8>),
}

impl SubjectKey {
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

/// The trie in flat arrays: node `n`'s edges are `bytes/kids[edge_at[n]..edge_at[n + 1]]`
/// (sorted by byte) and its positions `ends[end_at[n]..end_at[n + 1]]`.
#[derive(Debug, Default)]
struct Flat {
    edge_at: Vec<u32>,
    bytes: Vec<u8>,
    kids: Vec<u32>,
    end_at: Vec<u32>,
    ends: Vec<u32>,
}

impl Flat {
    fn of(children: &[Vec<(u8, u32)>], ends: &[Vec<u32>]) -> Flat {
        let mut f = Flat::default();
        for (kids, at) in children.iter().zip(ends) {
            f.edge_at.push(f.bytes.len() as u32);
            f.bytes.extend(kids.iter().map(|k| k.0));
            f.kids.extend(kids.iter().map(|k| k.1));
            f.end_at.push(f.ends.len() as u32);
            f.ends.extend_from_slice(at);
        }
        f.edge_at.push(f.bytes.len() as u32);
        f.end_at.push(f.ends.len() as u32);
        f
    }

    fn ends(&self, node: usize) -> &[u32] {
        let (a, b) = (self.end_at[node] as usize, self.end_at[node + 1] as usize);
        &self.ends[a..b]
    }

    fn walk(&self, subject: &[u8], out: &mut Vec<u32>) {
        let mut node = 0usize;
        out.extend_from_slice(self.ends(0));
        for &b in subject {
            let (a, e) = (self.edge_at[node] as usize, self.edge_at[node + 1] as usize);
            match self.bytes[a..e].iter().position(|&x| x == b) {
                Some(i) => node = self.kids[a + i] as usize,
                None => return,
            }
            out.extend_from_slice(self.ends(node));
        }
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
        let nodes = flat.edge_at.len() - 1;
        self.children = (0..nodes)
            .map(|n| {
                let (a, e) = (flat.edge_at[n] as usize, flat.edge_at[n + 1] as usize);
                flat.bytes[a..e].iter().copied().zip(flat.kids[a..e].iter().copied()).collect()
            })
            .collect();
        self.ends = (0..nodes).map(|n| flat.ends(n).to_vec()).collect();
    }

    /// Every position whose prefix is a prefix of `subject`.
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

    /// The subject keys this index needs, in the order [`candidates`](Self::candidates)
    /// expects their values.
    pub fn keys(&self) -> impl Iterator<Item = &SubjectKey> {
        self.groups.iter().map(|g| &g.key)
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
        out.extend(self.always.iter().copied().filter(|&p| p >= from));
        for (i, g) in self.groups.iter().enumerate() {
            out.extend(g.always.iter().copied().filter(|&p| p >= from));
            let before = out.len();
            g.trie.walk(crate::ir::template_trim(subject(i, &g.key)), out);
            let mut i = before;
            while i < out.len() {
                if out[i] < from {
                    out.swap_remove(i);
                } else {
                    i += 1;
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// Number of subject groups (for the disassembly).
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                let name = match &g.key {
                    SubjectKey::MatchString => "match".to_string(),
                    SubjectKey::Param(n, _) => format!("${{{}}}", String::from_utf8_lossy(n)),
                    SubjectKey::Func(t) => String::from_utf8_lossy(t).into_owned(),
                };
                let prefixed = match &g.trie.flat {
                    Some(f) => f.ends.len(),
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
