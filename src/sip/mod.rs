//! SIP: the message layer (pure parsing and printing); transports and the
//! registrar will sit beside it.

pub mod msg;
