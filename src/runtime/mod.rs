//! The interpreter: messages, substitution, functions and the rule walk.

pub mod env;
pub mod message;
