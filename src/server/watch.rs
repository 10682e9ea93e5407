//! Noticing that a loaded configuration file changed: a poll of modification times.
//!
//! Once a second, a handful of `stat` calls: cheaper to reason about than
//! inotify (editors replace files by renaming, includes live in other
//! directories, a missing file may appear), and no dependency.

use std::path::PathBuf;
use std::time::SystemTime;

/// What a file looked like: modification time and size, `None` when missing.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &PathBuf) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The watched files and how they looked when last checked.
pub struct Watch {
    files: Vec<(PathBuf, Stamp)>,
}

impl Watch {
    /// Watches `files` from now on.
    pub fn new(files: Vec<PathBuf>) -> Watch {
        Watch { files: files.into_iter().map(|p| (stamp(&p), p)).map(|(s, p)| (p, s)).collect() }
    }

    /// Replaces the list (a reload may include other files).
    pub fn set(&mut self, files: Vec<PathBuf>) {
        *self = Watch::new(files);
    }

    /// Whether any file changed, appeared or vanished since the last call.
    pub fn changed(&mut self) -> bool {
        let mut changed = false;
        for (path, old) in &mut self.files {
            let now = stamp(path);
            if now != *old {
                *old = now;
                changed = true;
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_appearing_and_vanishing_files_are_changes() {
        let dir = std::env::temp_dir().join(format!("rexroute-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.conf"), dir.join("b.conf"));
        std::fs::write(&a, "x").unwrap();
        let _ = std::fs::remove_file(&b);
        let mut w = Watch::new(vec![a.clone(), b.clone()]);
        assert!(!w.changed());
        std::fs::write(&a, "xy").unwrap();
        assert!(w.changed());
        assert!(!w.changed(), "a change is reported once");
        std::fs::write(&b, "new").unwrap();
        assert!(w.changed());
        std::fs::remove_file(&b).unwrap();
        assert!(w.changed());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
