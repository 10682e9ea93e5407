//! Messages: a name, an ordered multimap of byte-string parameters and a return value.

/// A message as Yate's bus carries it.
///
/// Values are byte strings, not `String`: Yate's regexes and functions work on bytes
/// (`.` matches one byte of a UTF-8 sequence), so a capture may split a character.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Current name; `rename` changes it mid-dispatch.
    pub name: Vec<u8>,
    /// Parameters in order. Duplicates are allowed; lookups take the first.
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
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
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_slice())
    }

    /// Sets the first parameter of that name in place, or appends it.
    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        match self.params.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => {
                v.clear();
                v.extend_from_slice(value);
            }
            None => self.params.push((name.to_vec(), value.to_vec())),
        }
    }

    /// Appends a parameter even if one of that name exists.
    pub fn add(&mut self, name: &[u8], value: &[u8]) {
        self.params.push((name.to_vec(), value.to_vec()));
    }

    /// Every parameter in order, duplicates included.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.params.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// Removes every parameter with this exact name.
    pub fn clear(&mut self, name: &[u8]) {
        self.params.retain(|(k, _)| k != name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_keeps_position_and_first_duplicate() {
        let mut m = Message::new("call.route");
        m.add(b"a", b"1");
        m.add(b"dup", b"d1");
        m.add(b"dup", b"d2");
        m.set(b"dup", b"new");
        m.set(b"z", b"");
        assert_eq!(m.get(b"dup"), Some(&b"new"[..]));
        assert_eq!(m.params[2].1, b"d2");
        assert_eq!(m.get(b"z"), Some(&b""[..]));
        assert_eq!(m.get(b"nope"), None);
        m.clear(b"dup");
        assert_eq!(m.params.len(), 2);
    }
}
