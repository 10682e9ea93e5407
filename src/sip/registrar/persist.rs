//! The registration state file: bindings as JSON, written atomically, expiry as absolute time.
//!
//! ```json
//! {"format":"rexroute-registrations","version":1,"saved_at":1764142400,
//!  "bindings":[{"user":"bob","uri":"sip:bob@127.0.0.1:5072;transport=udp", …,
//!               "expires_at":1764143000, …}]}
//! ```
//!
//! Yate's regfile persists into a Yate `.conf` file (`[general] file`), one
//! section per user; we keep several bindings per user and the Call-ID/CSeq that
//! RFC 3261 §10.3 ordering needs, which that format cannot hold, so the file is
//! our own. Writing goes to a temporary file in the same directory, synced, then
//! renamed over the old one: a crash or SIGKILL mid-write leaves the previous
//! state intact, never half a file.

use super::binding::Binding;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

const FORMAT: &str = "rexroute-registrations";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: String,
    version: u32,
    saved_at: u64,
    bindings: Vec<Binding>,
}

/// Why the state file could not be written or read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum PersistError {
    /// Reading or writing failed, e.g. the directory is not writable.
    #[error("cannot {action} registration state file {}: {source}", path.display())]
    #[diagnostic(code(rexroute::registrar::state_io))]
    Io {
        /// `read`, `write`, `replace`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a state file: `{"bindings": 3}` or truncated JSON.
    #[error("registration state file {} is not valid at line {line}, column {column}: {message}", path.display())]
    #[diagnostic(code(rexroute::registrar::state_corrupt))]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What serde_json said.
        message: String,
    },
    /// Written by another program or a newer rexroute: `"version": 2`.
    #[error("state file {} has format {format:?} version {version}, not {FORMAT:?} {VERSION}", path.display())]
    #[diagnostic(code(rexroute::registrar::state_version))]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Its `format`.
        format: String,
        /// Its `version`.
        version: u32,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PersistError + 'a {
    move |source| PersistError::Io { action, path: path.to_path_buf(), source }
}

/// Writes `bindings` to `path` atomically.
pub fn save<'a>(path: &Path, bindings: impl Iterator<Item = &'a Binding>, saved_at: u64) -> Result<(), PersistError> {
    let state = StateFile { format: FORMAT.into(), version: VERSION, saved_at, bindings: bindings.cloned().collect() };
    let mut text = serde_json::to_vec_pretty(&state).map_err(|e| PersistError::Corrupt {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: e.to_string(),
    })?;
    text.push(b'\n');
    let tmp = temp_path(path);
    let written = write_synced(&tmp, &text);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("write", &tmp)(e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("replace", path)(e));
    }
    sync_dir(path);
    Ok(())
}

/// `dir/.name.tmp.<pid>`: same directory (so the rename is atomic), hidden, and
/// distinct per process.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "registrations".into());
    path.with_file_name(format!(".{name}.tmp.{}", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Makes the rename itself durable; best effort (not every platform can open a
/// directory for syncing).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Reads the bindings saved in `path`; a missing file is an empty state (first start).
pub fn load(path: &Path) -> Result<Vec<Binding>, PersistError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read", path)(e)),
    };
    let state: StateFile = serde_json::from_slice(&bytes).map_err(|e| PersistError::Corrupt {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if state.format != FORMAT || state.version != VERSION {
        return Err(PersistError::UnknownFormat {
            path: path.to_path_buf(),
            format: state.format,
            version: state.version,
        });
    }
    Ok(state.bindings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::auth::Transport;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("rexroute-persist-{}-{}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn round_trip_and_errors() {
        let d = dir();
        let path = d.join("reg.json");
        assert!(load(&path).unwrap().is_empty());
        let b = Binding {
            user: "bob".into(),
            uri: "sip:bob@127.0.0.1:5072;transport=udp".into(),
            data: "sip/sip:bob@127.0.0.1:5072;transport=udp".into(),
            params: ";q=0.5".into(),
            expires_at: 1_764_143_000,
            call_id: "c@h".into(),
            cseq: 7,
            source: "127.0.0.1:5072".parse().unwrap(),
            transport: Transport::Udp,
            connection_id: "general".into(),
            nat_addr: None,
        };
        save(&path, [b.clone()].iter(), 1_764_142_400).unwrap();
        assert_eq!(load(&path).unwrap(), [b]);
        let leftovers: Vec<_> = std::fs::read_dir(&d).unwrap().filter_map(Result::ok).collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
        std::fs::write(&path, b"{\"bindings\": 3}").unwrap();
        assert!(matches!(load(&path), Err(PersistError::Corrupt { .. })));
        std::fs::write(&path, br#"{"format":"other","version":1,"saved_at":0,"bindings":[]}"#).unwrap();
        assert!(matches!(load(&path), Err(PersistError::UnknownFormat { .. })));
        assert!(matches!(save(&d.join("missing/reg.json"), [].iter(), 0), Err(PersistError::Io { .. })));
        let _ = std::fs::remove_dir_all(&d);
    }
}
