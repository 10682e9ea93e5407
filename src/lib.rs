//! rexroute: a compiler and runtime for Yate's `regexroute.conf`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod bus;
pub mod cli;
pub mod diag;
#[doc(hidden)]
pub mod fuzzing;
pub mod ini;
pub mod ir;
pub mod lint;
pub mod program;
pub mod regex;
pub mod runtime;
pub mod sip;
pub mod source;
pub mod syntax;
