//! Messages: a name, an ordered multimap of byte-string parameters and a return value.

use std::fmt;
use std::sync::Arc;

/// A message as Yate's bus carries it.
///
/// Values are byte strings, not `String`: Yate's regexes and functions work on bytes
/// (`.` matches one byte of a UTF-8 sequence), so a capture may split a character.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Current name; `rename` changes it mid-dispatch.
    pub name: Vec<u8>,
    /// Parameters in order. Duplicates are allowed; lookups take the first.
    params: Params,
    /// The return value (`retValue` in Yate).
    pub retvalue: Vec<u8>,
    /// Creation time in whole seconds since the Unix epoch (`$(message,time)`).
    pub time: u64,
    /// Broadcast messages are offered to every handler; regexroute never makes one.
    pub broadcast: bool,
}

impl Message {
    /// A message with a name and no parameters.
    pub fn new(name: impl Into<Vec<u8>>) -> Self {
        Message { name: name.into(), ..Default::default() }
    }

    /// The first parameter with this exact name; `None` when absent (empty is `Some(b"")`).
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.params.get(name)
    }

    /// [`get`](Self::get) for a name the code knows, hashed at compile time.
    #[inline(always)]
    pub fn get_known(&self, name: &KnownName) -> Option<&[u8]> {
        self.params.lookup(name.0, name.1, &name.2)
    }

    /// [`get`](Self::get) with the name's hash already computed.
    #[inline]
    pub fn get_named(&self, name: &ParamName) -> Option<&[u8]> {
        self.params.lookup(&name.bytes, name.hash, &name.words)
    }

    /// Sets the first parameter of that name in place, or appends it.
    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        self.params.set(Key::of(name), value)
    }

    /// [`set`](Self::set) with the name's hash already computed.
    pub fn set_named(&mut self, name: &ParamName, value: &[u8]) {
        self.params.set(name.key(), value)
    }

    /// [`set`](Self::set) for a name whose [`ParamName::hash`] and
    /// [`ParamName::words`] are known (a packed action carries both).
    #[inline]
    pub fn set_keyed(&mut self, name: &[u8], hash: u32, words: [u64; 2], value: &[u8]) {
        self.params.set(Key { name, hash, words }, value)
    }

    /// Appends a parameter even if one of that name exists.
    pub fn add(&mut self, name: &[u8], value: &[u8]) {
        self.params.add(name, value)
    }

    /// Every parameter in order, duplicates included.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.params.iter()
    }

    /// Removes every parameter with this exact name.
    pub fn clear(&mut self, name: &[u8]) {
        self.params.clear(name)
    }

    /// How many parameters there are, duplicates included (`$(message,count)`).
    pub fn param_count(&self) -> usize {
        self.params.len()
    }
}

/// A parameter name written in the code (`called`), hashed at compile time.
#[derive(Clone, Copy, Debug)]
pub struct KnownName(&'static [u8], u32, Words);

impl KnownName {
    /// The name and its hash.
    pub const fn new(name: &'static [u8]) -> KnownName {
        KnownName(name, hash(name), words(name))
    }
}

/// A parameter name known before any message (a rule's `${name}`), hashed once.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamName {
    bytes: Vec<u8>,
    hash: u32,
    words: Words,
}

impl ParamName {
    /// The name and its hash.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        ParamName { hash: hash(&bytes), words: words(&bytes), bytes }
    }

    #[inline]
    fn key(&self) -> Key<'_> {
        Key { name: &self.bytes, hash: self.hash, words: self.words }
    }

    /// The name.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The name's hash, for a name packed elsewhere ([`Message::set_keyed`]).
    pub fn hash(&self) -> u32 {
        self.hash
    }

    /// The name's first 16 bytes as words, for a name packed elsewhere
    /// ([`Message::set_keyed`]).
    pub fn words(&self) -> [u64; 2] {
        self.words
    }
}

/// A name's first 16 bytes as two little-endian words, zero past its end: with the
/// length, it settles the compare of names of at most 16 bytes in two word compares.
type Words = [u64; 2];

/// The [`Words`] of `name`.
const fn words(name: &[u8]) -> Words {
    let mut w = [0u64; 2];
    let mut i = 0;
    while i < name.len() && i < 16 {
        w[i / 8] |= (name[i] as u64) << (8 * (i % 8));
        i += 1;
    }
    w
}

/// [`words`] for a name met at run time: one copy instead of a loop per byte.
#[inline]
fn words_of(name: &[u8]) -> Words {
    let mut b = [0u8; 16];
    let n = name.len().min(16);
    if let (Some(to), Some(from)) = (b.get_mut(..n), name.get(..n)) {
        to.copy_from_slice(from);
    }
    let (lo, hi) = b.split_at(8);
    let word = |s: &[u8]| s.try_into().map_or(0, u64::from_le_bytes);
    [word(lo), word(hi)]
}

/// A name being looked up.
#[derive(Clone, Copy)]
struct Key<'n> {
    name: &'n [u8],
    hash: u32,
    words: Words,
}

impl<'n> Key<'n> {
    fn of(name: &'n [u8]) -> Key<'n> {
        Key { name, hash: hash(name), words: words_of(name) }
    }
}

/// Where a text is in [`Params::bytes`].
type Span = (usize, usize);

/// An appended parameter: its name's hash (compared before the bytes), name and value.
#[derive(Clone, Debug)]
struct Entry {
    hash: u32,
    name: Span,
    value: Span,
}

/// What became of a parameter of the shared base in this copy.
#[derive(Clone, Debug)]
enum Edit {
    Value(Span),
    Removed,
}

/// Smallest slot table of a [`Base`].
const MIN_SLOTS: usize = 128;

/// One parameter of a [`Base`]: what a lookup compares, then where its texts are.
#[derive(Clone, Copy, Debug)]
struct Rec {
    /// The name's [`Words`].
    words: Words,
    hash: u32,
    /// Where the name starts and ends and where the value starts and ends in
    /// [`Base::bytes`] (the value follows the name until it is replaced).
    start: u32,
    name_end: u32,
    value_start: u32,
    value_end: u32,
}

/// Parameters packed for lookups: a probe of the slot table, then one record whose
/// words settle the name, then the value's bytes.
#[derive(Clone, Debug, Default)]
struct Base {
    recs: Vec<Rec>,
    bytes: Vec<u8>,
    /// Open addressing over the first entry of each name: `(hash, position + 1)`, with
    /// position 0 for an empty slot. Routing asks for absent parameters as often as for
    /// present ones, and a scan of every entry is what both would cost without it; the
    /// hash beside the position settles most probes without reading the entry.
    slots: Vec<(u32, u32)>,
}

impl Base {
    fn len(&self) -> usize {
        self.recs.len()
    }

    #[inline]
    fn name(&self, r: &Rec) -> &[u8] {
        self.bytes.get(r.start as usize..r.name_end as usize).unwrap_or_default()
    }

    #[inline]
    fn value(&self, r: &Rec) -> &[u8] {
        self.bytes.get(r.value_start as usize..r.value_end as usize).unwrap_or_default()
    }

    #[inline]
    fn entry(&self, i: usize) -> (&[u8], &[u8]) {
        match self.recs.get(i) {
            Some(r) => (self.name(r), self.value(r)),
            None => (&[], &[]),
        }
    }

    /// Whether `r` is named `name`, whose words are `words` (hashes already compared
    /// equal).
    #[inline]
    fn named(&self, r: &Rec, name: &[u8], words: &Words) -> bool {
        r.words == *words
            && r.name_end.wrapping_sub(r.start) as usize == name.len()
            && (name.len() <= 16 || self.same_name(r, name))
    }

    /// The byte compare of a name longer than its words, out of line: a library call
    /// in the probe would make every lookup save registers for it.
    #[cold]
    #[inline(never)]
    fn same_name(&self, r: &Rec, name: &[u8]) -> bool {
        self.name(r) == name
    }

    /// Appends an entry; `false` when the bytes would pass 4 GiB (the caller keeps it
    /// elsewhere). `known_new`: the caller has just looked the name up and not found
    /// it, so the slot table needs no compare of names.
    fn push(&mut self, key: &Key<'_>, value: &[u8], known_new: bool) -> bool {
        if !self.append(key, value) {
            return false;
        }
        let pos = self.recs.len() - 1;
        if self.slots.len() < 2 * self.recs.len() {
            self.rebuild();
        } else {
            self.index(pos, known_new);
        }
        true
    }

    /// Appends the entry's texts and record, without filing it in the slot table;
    /// `false` when the bytes would pass 4 GiB.
    // Always inline, like `push_into`: routing adds a few parameters to every message,
    // and each call's frame cost about a quarter of the append.
    #[inline(always)]
    fn append(&mut self, key: &Key<'_>, value: &[u8]) -> bool {
        let start = self.bytes.len();
        let name_end = start + key.name.len();
        let value_end = name_end + value.len();
        let (Ok(start), Ok(name_end), Ok(value_end)) =
            (u32::try_from(start), u32::try_from(name_end), u32::try_from(value_end))
        else {
            return false;
        };
        if self.recs.capacity() == 0 {
            // Messages carry tens of parameters: room for a typical one at once, not
            // a doubling of each vector every few parameters.
            self.recs.reserve(64);
            self.bytes.reserve(2048);
        }
        if key.name.len() <= 16 {
            // The words hold a short name's bytes, zero-padded: a fixed-size copy and
            // a cut instead of a library call for a few bytes.
            let [lo, hi] = key.words;
            let mut w = [0u8; 16];
            w[..8].copy_from_slice(&lo.to_le_bytes());
            w[8..].copy_from_slice(&hi.to_le_bytes());
            self.bytes.extend_from_slice(&w);
            self.bytes.truncate(name_end as usize);
        } else {
            self.bytes.extend_from_slice(key.name);
        }
        self.bytes.extend_from_slice(value);
        self.recs.push(Rec { words: key.words, hash: key.hash, start, name_end, value_start: name_end, value_end });
        true
    }

    /// Gives entry `i` a new value: over the old one when it fits, else appended to
    /// the bytes. `false` when the bytes would pass 4 GiB.
    fn replace(&mut self, i: usize, value: &[u8]) -> bool {
        let Some(r) = self.recs.get_mut(i) else { return false };
        let (at, old) = (r.value_start as usize, r.value_end.wrapping_sub(r.value_start) as usize);
        if value.len() <= old {
            if let Some(room) = self.bytes.get_mut(at..at + value.len()) {
                room.copy_from_slice(value);
                r.value_end = r.value_start + value.len() as u32;
                return true;
            }
        }
        let start = self.bytes.len();
        let (Ok(value_start), Ok(value_end)) = (u32::try_from(start), u32::try_from(start + value.len())) else {
            return false;
        };
        self.bytes.extend_from_slice(value);
        (r.value_start, r.value_end) = (value_start, value_end);
        true
    }

    /// Grows the slot table to a power of two at least twice the entries.
    fn rebuild(&mut self) {
        // Room for 64 entries from the start: a call or a SIP request carries 30 to 50
        // parameters and routing adds a few, and a rebuild rehashes them all.
        let size = (2 * self.recs.len()).next_power_of_two().max(MIN_SLOTS);
        self.slots.clear();
        self.slots.resize(size, (0, 0));
        for pos in 0..self.recs.len() {
            self.index(pos, false);
        }
    }

    /// Records `pos` unless an earlier entry has its name (`known_new`: none has).
    fn index(&mut self, pos: usize, known_new: bool) {
        let Some(&r) = self.recs.get(pos) else { return };
        let mask = self.slots.len().wrapping_sub(1);
        let name = self.name(&r);
        let mut i = r.hash as usize & mask;
        loop {
            match self.slots.get(i) {
                None => return,
                Some(&(_, 0)) => break,
                Some(&(sh, s)) => {
                    if !known_new
                        && sh == r.hash
                        && self.recs.get(s as usize - 1).is_some_and(|e| self.named(e, name, &r.words))
                    {
                        return;
                    }
                }
            }
            i = (i + 1) & mask;
        }
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = (r.hash, pos as u32 + 1);
        }
    }

    /// Position and value of the first entry with this name, hash and words. The
    /// name's parts come apart, not as a [`Key`], so that they stay in registers.
    #[inline(always)]
    fn first(&self, name: &[u8], hash: u32, words: &Words) -> Option<(usize, &[u8])> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = hash as usize;
        loop {
            let &(sh, s) = self.slots.get(i & mask)?;
            if s == 0 {
                return None;
            }
            if sh == hash {
                let at = s as usize - 1;
                if let Some(r) = self.recs.get(at).filter(|r| self.named(r, name, words)) {
                    return Some((at, self.value(r)));
                }
            }
            i = i.wrapping_add(1);
        }
    }

    /// Sets the first entry named as `key`, or appends one; `false` when the bytes
    /// would pass 4 GiB.
    #[inline]
    fn set(&mut self, key: &Key<'_>, value: &[u8]) -> bool {
        match self.find(key.name, key.hash, &key.words) {
            Ok(i) => self.replace(i, value),
            Err(slot) => self.push_into(key, value, slot),
        }
    }

    /// [`first`](Self::first)'s position, or when the name is absent the empty slot its
    /// probe ended on (`None`: no table yet).
    #[inline]
    fn find(&self, name: &[u8], hash: u32, words: &Words) -> Result<usize, Option<usize>> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = hash as usize;
        loop {
            let Some(&(sh, s)) = self.slots.get(i & mask) else { return Err(None) };
            if s == 0 {
                return Err(Some(i & mask));
            }
            if sh == hash {
                let at = s as usize - 1;
                if self.recs.get(at).is_some_and(|r| self.named(r, name, words)) {
                    return Ok(at);
                }
            }
            i = i.wrapping_add(1);
        }
    }

    /// Appends a parameter known to be absent, filing it in `slot` (the empty slot of
    /// its name's probe) unless the table must grow first.
    // Always inline: see `append`.
    #[inline(always)]
    fn push_into(&mut self, key: &Key<'_>, value: &[u8], slot: Option<usize>) -> bool {
        let Some(slot) = slot.filter(|_| self.slots.len() >= 2 * (self.recs.len() + 1)) else {
            return self.push(key, value, true);
        };
        if !self.append(key, value) {
            return false;
        }
        if let Some(e) = self.slots.get_mut(slot) {
            *e = (key.hash, self.recs.len() as u32);
        }
        true
    }

    /// Positions of the entries named `name`, in order.
    fn positions<'s>(&'s self, name: &'s [u8], h: u32) -> impl Iterator<Item = usize> + 's {
        self.recs.iter().enumerate().filter(move |(_, r)| r.hash == h && self.name(r) == name).map(|(i, _)| i)
    }
}

/// The parameter list, cheap to clone: routing copies every message it is handed
/// (the caller keeps the original), then changes a few parameters of the copy.
///
/// The parameters live in `base`, shared between clones. A copy that shares its base
/// records its changes beside it: `edits` (by base position, few) and `added`
/// (appended after the base). So cloning costs a reference count and no per-parameter
/// allocation. While nothing is recorded and no other copy shares the base (building
/// a message, or routing one where it was built), changes go into the base itself.
#[derive(Clone, Default)]
struct Params {
    base: Arc<Base>,
    edits: Vec<(u32, Edit)>,
    added: Vec<Entry>,
    /// The texts of `edits` and `added`, in one buffer: a routed copy changes a few
    /// parameters, and each change would otherwise cost allocations of its own.
    bytes: Vec<u8>,
}

/// Appends `text` to `bytes`.
fn store(bytes: &mut Vec<u8>, text: &[u8]) -> Span {
    if bytes.capacity() == 0 {
        bytes.reserve(256);
    }
    let start = bytes.len();
    bytes.extend_from_slice(text);
    (start, bytes.len())
}

/// FNV-1a, folded to 32 bits: parameter names are short, and the hash only saves
/// byte comparisons of names that differ.
const fn hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < name.len() {
        h = (h ^ name[i] as u32).wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
}

impl Params {
    #[inline]
    fn text(&self, (start, end): Span) -> &[u8] {
        self.bytes.get(start..end).unwrap_or_default()
    }

    fn edit(&self, i: usize) -> Option<&Edit> {
        self.edits.iter().find(|(at, _)| *at as usize == i).map(|(_, e)| e)
    }

    /// Position and current value of the first live base entry named `name`.
    #[inline]
    fn find_base(&self, key: Key<'_>) -> Option<(usize, &[u8])> {
        let (first, value) = self.base.first(key.name, key.hash, &key.words)?;
        if self.edits.is_empty() {
            return Some((first, value));
        }
        self.find_edited(key, first, value)
    }

    /// [`find_base`](Self::find_base) in a copy with changes, out of line: a lookup in
    /// a message without them pays nothing for this path.
    #[inline(never)]
    fn find_edited<'s>(&'s self, key: Key<'_>, first: usize, value: &'s [u8]) -> Option<(usize, &'s [u8])> {
        let (name, h) = (key.name, key.hash);
        match self.edit(first) {
            None => return Some((first, value)),
            Some(Edit::Value(v)) => return Some((first, self.text(*v))),
            Some(Edit::Removed) => {}
        }
        for i in self.base.positions(name, h).skip_while(|&i| i <= first) {
            match self.edit(i) {
                None => return Some((i, self.base.entry(i).1)),
                Some(Edit::Value(v)) => return Some((i, self.text(*v))),
                Some(Edit::Removed) => {}
            }
        }
        None
    }

    fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.get_key(Key::of(name))
    }

    /// A message that has not been changed since it was built (the usual one: a copy
    /// changed in place keeps no change list) is answered by the base's table alone,
    /// inline; the rest out of line.
    #[inline]
    fn get_key(&self, key: Key<'_>) -> Option<&[u8]> {
        if self.edits.is_empty() && self.added.is_empty() {
            return self.base.first(key.name, key.hash, &key.words).map(|(_, v)| v);
        }
        self.get_changed(key)
    }

    /// [`get_key`](Self::get_key) for a name known before the message, its parts apart.
    // Always inline: the probe is a few instructions, fewer than a call's frame.
    #[inline(always)]
    fn lookup(&self, name: &[u8], hash: u32, words: &Words) -> Option<&[u8]> {
        if self.edits.is_empty() && self.added.is_empty() {
            return self.base.first(name, hash, words).map(|(_, v)| v);
        }
        self.get_changed(Key { name, hash, words: *words })
    }

    #[inline(never)]
    fn get_changed(&self, key: Key<'_>) -> Option<&[u8]> {
        if let Some((_, v)) = self.find_base(key) {
            return Some(v);
        }
        if self.added.is_empty() {
            return None;
        }
        self.find_added(key)
    }

    /// The value of the first appended parameter named as `key`.
    #[inline(never)]
    fn find_added(&self, key: Key<'_>) -> Option<&[u8]> {
        let (name, h) = (key.name, key.hash);
        self.added.iter().find(|e| e.hash == h && self.text(e.name) == name).map(|e| self.text(e.value))
    }

    #[inline]
    fn set(&mut self, key: Key<'_>, value: &[u8]) {
        // A copy no other holds, with no changes recorded, is changed in place: the
        // usual case of a message routed where it was built.
        if self.edits.is_empty() && self.added.is_empty() {
            if let Some(base) = Arc::get_mut(&mut self.base) {
                if base.set(&key, value) {
                    return;
                }
            }
        }
        self.set_changed(key, value)
    }

    /// [`set`](Self::set) in a copy that shares its base or has changes recorded.
    #[inline(never)]
    fn set_changed(&mut self, key: Key<'_>, value: &[u8]) {
        let (name, h) = (key.name, key.hash);
        if let Some((i, _)) = self.find_base(key) {
            // Appended parameters alone leave the base's entries to be changed in place.
            if self.edits.is_empty() {
                if let Some(base) = Arc::get_mut(&mut self.base) {
                    if base.replace(i, value) {
                        return;
                    }
                }
            }
            let v = store(&mut self.bytes, value);
            match self.edits.iter_mut().find(|(at, _)| *at as usize == i) {
                Some((_, e)) => *e = Edit::Value(v),
                None => self.edits.push((i as u32, Edit::Value(v))),
            }
            return;
        }
        let bytes = &self.bytes;
        match self.added.iter().position(|e| e.hash == h && bytes.get(e.name.0..e.name.1) == Some(name)) {
            Some(at) => {
                let (start, end) = self.added[at].value;
                // In place when it fits: a parameter set again and again stays put.
                let v = match self.bytes.get_mut(start..start + value.len()) {
                    Some(room) if value.len() <= end - start => {
                        room.copy_from_slice(value);
                        (start, start + value.len())
                    }
                    _ => store(&mut self.bytes, value),
                };
                self.added[at].value = v;
            }
            None => self.add_key(&key, value, true),
        }
    }

    fn add(&mut self, name: &[u8], value: &[u8]) {
        self.add_key(&Key::of(name), value, false)
    }

    /// Appends a parameter; `known_new` when the caller found no parameter of its name.
    fn add_key(&mut self, key: &Key<'_>, value: &[u8], known_new: bool) {
        if self.edits.is_empty() && self.added.is_empty() {
            if let Some(base) = Arc::get_mut(&mut self.base) {
                if base.push(key, value, known_new) {
                    return;
                }
            }
        }
        let (h, name) = (key.hash, key.name);
        let name = store(&mut self.bytes, name);
        let value = store(&mut self.bytes, value);
        self.added.push(Entry { hash: h, name, value });
    }

    fn clear(&mut self, name: &[u8]) {
        let h = hash(name);
        for i in self.base.positions(name, h) {
            match self.edits.iter_mut().find(|(at, _)| *at as usize == i) {
                Some((_, edit)) => *edit = Edit::Removed,
                None => self.edits.push((i as u32, Edit::Removed)),
            }
        }
        let bytes = &self.bytes;
        self.added.retain(|e| e.hash != h || bytes.get(e.name.0..e.name.1) != Some(name));
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let base = (0..self.base.len()).filter_map(move |i| {
            let (name, value) = self.base.entry(i);
            match self.edit(i) {
                None => Some((name, value)),
                Some(Edit::Value(v)) => Some((name, self.text(*v))),
                Some(Edit::Removed) => None,
            }
        });
        base.chain(self.added.iter().map(|e| (self.text(e.name), self.text(e.value))))
    }

    fn len(&self) -> usize {
        let removed = self.edits.iter().filter(|(_, e)| matches!(e, Edit::Removed)).count();
        self.base.len() - removed + self.added.len()
    }
}

impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Params {}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        f.debug_list().entries(self.iter().map(|(k, v)| (l(k), l(v)))).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(m: &Message) -> Vec<(String, String)> {
        let l = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        m.iter().map(|(k, v)| (l(k), l(v))).collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A message built with these parameters, in order.
    fn built(name: &str, p: &[(&str, &str)]) -> Message {
        let mut m = Message::new(name);
        for (k, v) in p {
            m.add(k.as_bytes(), v.as_bytes());
        }
        m
    }

    #[test]
    fn set_keeps_position_and_first_duplicate() {
        let mut m = built("call.route", &[("a", "1"), ("dup", "d1"), ("dup", "d2")]);
        m.set(b"dup", b"new");
        m.set(b"z", b"");
        assert_eq!(m.get(b"dup"), Some(&b"new"[..]));
        assert_eq!(m.iter().nth(2), Some((&b"dup"[..], &b"d2"[..])));
        assert_eq!(m.get(b"z"), Some(&b""[..]));
        assert_eq!(m.get(b"nope"), None);
        m.clear(b"dup");
        assert_eq!(m.param_count(), 2);
    }

    /// Lookups through the slot table find the first of each name, across growth, and
    /// the next one once the first is removed in a copy.
    #[test]
    fn many_parameters_first_wins() {
        let mut m = Message::new("x");
        for i in 0..100 {
            m.add(format!("p{}", i % 40).as_bytes(), i.to_string().as_bytes());
        }
        for i in 0..40 {
            assert_eq!(m.get(format!("p{i}").as_bytes()), Some(i.to_string().as_bytes()));
        }
        assert_eq!(m.get(b"p40"), None);
        let mut c = m.clone();
        c.clear(b"p3");
        assert_eq!(c.get(b"p3"), None);
        c.set(b"p7", b"seven");
        assert_eq!(c.get(b"p7"), Some(&b"seven"[..]));
        assert_eq!(m.get(b"p3"), Some(&b"3"[..]));
        assert_eq!(m.param_count(), 100);
    }

    /// Names of every length up to past the word compare's reach are found by the
    /// hashed path and the plain one alike, and a name differing in one byte, at either
    /// end, is not mistaken for another, wherever it sits in the buffer.
    #[test]
    fn named_lookups_compare_every_byte() {
        let name = |len: usize, last: u8| -> Vec<u8> {
            (0..len).map(|i| if i + 1 == len { last } else { b'a' + (i % 26) as u8 }).collect()
        };
        for value_len in [0, 1, 20] {
            let mut m = Message::new("x");
            for len in 0..=20 {
                m.add(&name(len, b'z'), &vec![b'v'; value_len]);
            }
            for len in 0..=20 {
                let (present, absent) = (ParamName::new(name(len, b'z')), ParamName::new(name(len, b'y')));
                assert_eq!(m.get_named(&present), Some(&vec![b'v'; value_len][..]), "{len}");
                assert_eq!(m.get(present.as_bytes()), m.get_named(&present));
                if len > 0 {
                    assert_eq!(m.get_named(&absent), None, "{len}");
                }
                let first_differs: Vec<u8> = std::iter::once(b'#').chain(name(len, b'z').into_iter().skip(1)).collect();
                if len > 0 {
                    assert_eq!(m.get_named(&ParamName::new(first_differs)), None, "{len}");
                }
            }
        }
    }

    /// The name compare on its own (a lookup reaches it only on equal hashes): equal
    /// names of every length match, a one-byte difference anywhere does not, and the
    /// run-time words agree with the compile-time ones.
    #[test]
    fn stored_names_compare_byte_for_byte() {
        let mut base = Base::default();
        let names: Vec<Vec<u8>> = (0..=20).map(|len| (0..len).map(|i| b'a' + i as u8).collect()).collect();
        for n in &names {
            assert_eq!(words(n), words_of(n));
            assert!(base.push(&Key::of(n), b"v", false));
        }
        for (i, n) in names.iter().enumerate() {
            let rec = base.recs[i];
            assert!(base.named(&rec, n, &words_of(n)), "{i}");
            assert_eq!(base.first(n, hash(n), &words(n)), Some((i, &b"v"[..])), "{i}");
            for at in 0..n.len() {
                let mut other = n.clone();
                other[at] ^= 1;
                assert!(!base.named(&rec, &other, &words_of(&other)), "{i} {at}");
                assert_eq!(base.first(&other, hash(&other), &words(&other)), None, "{i} {at}");
            }
            let longer: Vec<u8> = n.iter().copied().chain([0]).collect();
            assert!(!base.named(&rec, &longer, &words_of(&longer)), "{i}");
        }
    }

    /// A clone shares the parameters; changes on either side stay on that side.
    #[test]
    fn clones_change_independently() {
        let mut m = built("x", &[("a", "1"), ("dup", "d1"), ("b", "2"), ("dup", "d2")]);
        let original = list(&m);
        let mut c = m.clone();
        c.set(b"dup", b"new");
        c.set(b"c", b"3");
        c.add(b"a", b"again");
        c.clear(b"b");
        c.set(b"c", b"4");
        assert_eq!(list(&m), original);
        let want = pairs(&[("a", "1"), ("dup", "new"), ("dup", "d2"), ("c", "4"), ("a", "again")]);
        assert_eq!(list(&c), want);
        assert_eq!(c.param_count(), 5);
        assert_eq!(c.get(b"a"), Some(&b"1"[..]));
        assert_eq!(c.get(b"b"), None);
        c.clear(b"dup");
        assert_eq!(c.get(b"dup"), None);
        c.set(b"dup", b"back");
        assert_eq!(list(&c), pairs(&[("a", "1"), ("c", "4"), ("a", "again"), ("dup", "back")]));
        // The original's own changes after the clone do not show in the clone.
        m.set(b"a", b"changed");
        assert_eq!(c.get(b"a"), Some(&b"1"[..]));
        assert_eq!(m.get(b"a"), Some(&b"changed"[..]));
    }

    /// Once the other copies are gone, changes still read back in order.
    #[test]
    fn sole_owner_keeps_order() {
        let m = built("x", &[("a", "1"), ("b", "2")]);
        let mut c = m.clone();
        c.set(b"a", b"one");
        c.clear(b"b");
        c.add(b"d", b"4");
        drop(m);
        c.set(b"e", b"5");
        assert_eq!(list(&c), pairs(&[("a", "one"), ("d", "4"), ("e", "5")]));
        assert_eq!(c.clone(), c);
    }

    /// Names known before the message find the same values as names met at run time,
    /// in an unchanged message, a copy with changes, and a copy with appended ones.
    #[test]
    fn known_names_agree_with_run_time_names() {
        let m = built("x", &[("a", "1"), ("dup", "d1"), ("a-rather-long-parameter-name", "2"), ("dup", "d2")]);
        let names = ["a", "dup", "a-rather-long-parameter-name", "a-rather-long-parameter-namf", "new", ""];
        let agree = |m: &Message| {
            for n in names {
                assert_eq!(m.get_named(&ParamName::new(n)), m.get(n.as_bytes()), "{n}");
            }
        };
        agree(&m);
        let mut c = m.clone();
        c.set(b"dup", b"changed");
        c.clear(b"a");
        agree(&c);
        assert_eq!(c.get_named(&ParamName::new("dup")), Some(&b"changed"[..]));
        assert_eq!(c.get_named(&ParamName::new("a")), None);
        c.set(b"new", b"appended");
        agree(&c);
        assert_eq!(c.get_named(&ParamName::new("new")), Some(&b"appended"[..]));
        assert_eq!(m.get_named(&ParamName::new("dup")), Some(&b"d1"[..]));
    }

    /// A message nobody else holds is changed in place, in any order of longer and
    /// shorter values; once cloned, each copy keeps its own values.
    #[test]
    fn sole_owner_sets_in_place() {
        let mut m = built("x", &[("a", "1"), ("b", "2"), ("a", "dup")]);
        m.set(b"a", b"a longer value");
        m.set(b"b", b"");
        m.set(b"a", b"s");
        assert_eq!(list(&m), pairs(&[("a", "s"), ("b", ""), ("a", "dup")]));
        let c = m.clone();
        m.set(b"a", b"changed after the clone");
        assert_eq!(c.get(b"a"), Some(&b"s"[..]));
        assert_eq!(m.get(b"a"), Some(&b"changed after the clone"[..]));
        assert_eq!(list(&c), pairs(&[("a", "s"), ("b", ""), ("a", "dup")]));
        drop(c);
        m.set(b"b", b"3");
        assert_eq!(list(&m), pairs(&[("a", "changed after the clone"), ("b", "3"), ("a", "dup")]));
    }

    /// Equality compares the parameters, not how they are stored.
    #[test]
    fn equality_ignores_representation() {
        let mut a = Message::new("x");
        a.add(b"k", b"v");
        let mut b = a.clone();
        b.set(b"k", b"w");
        b.set(b"k", b"v");
        assert_eq!(a, b);
        b.add(b"k", b"v");
        assert_ne!(a, b);
    }
}
