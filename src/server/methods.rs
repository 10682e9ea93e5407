//! The seams for generic methods (`[methods]`: MESSAGE, PUBLISH) and for bus handlers that send SIP requests.
//!
//! Both run on the routing thread. [`handle_generic`] receives a request the
//! endpoint admitted (its method is in the Allow list because `[methods]` lists
//! it) after the digest check its `[methods]` value asked for, and returns the
//! final response. [`install_senders`] is where handlers that send requests
//! (`xsip.generate`) are put on the bus, with the [`Outbound`] handle.

use super::config::Loaded;
use super::Outbound;
use crate::bus::Bus;
use crate::runtime::message::Message;
use crate::sip::auth::{AuthOutcome, Peer};
use crate::sip::msg::{reason_phrase, Request, Response};

/// An admitted request for a generic method.
pub struct GenericRequest<'a> {
    /// The request (top Via stamped with `received`/`rport`).
    pub request: &'a Request,
    /// Who sent it, with the `connection_id` of its listener or connection.
    pub peer: &'a Peer,
    /// The `user.auth` exchange when the method is challenged (`[methods] name=yes`);
    /// its decision is always `Accepted` here (challenges and refusals are answered
    /// before). `None` when the method is not challenged (`name=no`).
    pub auth: Option<&'a AuthOutcome>,
}

/// Answers a generic request. `dispatch` puts a message on the bus (nested
/// dispatches and `enqueue` work as for any message) and says whether it was
/// handled.
///
/// Until `sip.<method>` is emitted here, every request gets `405 Method Not
/// Allowed`: Yate's answer when nothing handled it.
pub fn handle_generic(req: GenericRequest<'_>, dispatch: &mut dyn FnMut(&mut Message) -> bool) -> Response {
    let _ = dispatch;
    Response::for_request(req.request, 405, reason_phrase(405))
}

/// Installs the handlers that send SIP requests through `outbound`
/// (`xsip.generate` when `[general] generate=yes`). None yet: an
/// `xsip.generate` nobody handles is an unhandled message, as in Yate with
/// `generate=no`.
pub fn install_senders(bus: &mut Bus, config: &Loaded, outbound: &Outbound) {
    let _ = (bus, config.sip.generate, outbound);
}
