//! SIP: the message layer (pure parsing and printing), digest authentication,
//! the regfile user table and the registrar, the transports that own the
//! sockets, and the non-INVITE transaction layer above them.

pub mod auth;
pub mod consts;
pub mod generate;
pub mod generic;
pub mod msg;
pub mod regfile;
pub mod registrar;
pub mod transaction;
pub mod transport;
