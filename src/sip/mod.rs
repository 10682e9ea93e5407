//! SIP: the message layer (pure parsing and printing), the transports that own
//! the sockets, and the non-INVITE transaction layer above them.

pub mod consts;
pub mod msg;
pub mod transaction;
pub mod transport;
