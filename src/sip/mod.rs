//! SIP: the message layer (pure parsing and printing), digest authentication,
//! the regfile user table and the registrar; transports sit beside them.

pub mod auth;
pub mod msg;
pub mod regfile;
pub mod registrar;
