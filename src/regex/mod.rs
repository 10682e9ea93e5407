//! POSIX regular expressions as Yate compiles them.

pub mod posix;

pub use posix::{CompileError, Flags, PosixRegex, Slots};
