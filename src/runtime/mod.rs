//! The interpreter: messages, substitution, functions and the rule walk.

pub mod captures;
pub mod env;
pub mod funcs;
pub mod message;
pub mod num;
pub mod router;
pub mod subst;
pub mod vm;
