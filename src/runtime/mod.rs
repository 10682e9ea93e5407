//! The interpreter: messages, substitution, functions and the rule walk.

pub mod blocking;
pub mod captures;
pub mod env;
pub mod funcs;
pub mod message;
pub mod num;
pub mod router;
pub mod subst;
pub mod vm;

/// Stack for a thread that routes: reserved address space, used only as deep as
/// routing goes. Routing recurses (goto/include up to `maxdepth`, nested
/// `dispatch`), and a configuration decides how deep.
pub const STACK_BYTES: usize = 512 << 20;
