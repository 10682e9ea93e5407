//! Generic methods (`[methods]`: MESSAGE, PUBLISH; `[message] enable`) and the handlers that send SIP requests.
//!
//! Both run on the routing thread. [`answer`] takes a request the endpoint
//! admitted (its method is in the Allow list because `[methods]` or `[message]
//! enable` put it there) and returns what `sip::generic` made of it: the digest
//! check its configuration asks for, then `sip.<method>` (or, on the native
//! MESSAGE path, `call.route` and `msg.execute`) and the response.
//! [`install_senders`] puts `sip::generate`'s `xsip.generate` / `msg.execute`
//! handler on the bus, sending through an [`Outbound`].

use super::config::Loaded;
use super::Outbound;
use crate::bus::Bus;
use crate::runtime::message::Message;
use crate::sip::auth::{Authenticator, Peer};
use crate::sip::generate::{Destination, GenerateConfig, Generator, RequestSender, SendError};
use crate::sip::generic::{self, AuthInfo, GenericConfig, GenericOutcome};
use crate::sip::msg::{Request, Response};
use std::sync::Arc;
use std::time::SystemTime;

/// Answers an admitted generic request. `dispatch` puts a message on the bus
/// (`user.auth`, `sip.<method>`, `call.route`, `msg.execute`) and says whether it
/// was handled; the caller makes regfile's users answer `user.auth` nobody else did.
pub fn answer(
    req: &Request,
    peer: &Peer,
    cfg: &GenericConfig,
    auth: &mut Authenticator,
    now: SystemTime,
    dispatch: &mut dyn FnMut(&mut Message) -> bool,
) -> GenericOutcome {
    if !(cfg.message_enable && req.method.is("MESSAGE")) {
        return generic::handle_generic(req, peer, cfg, auth, now, dispatch);
    }
    let mut enqueue = Vec::new();
    let info = if cfg.message_auth_required {
        let out = auth.authenticate(req, peer, &Message::new("sip"), now, dispatch);
        enqueue.extend(out.authfail);
        if let Some(response) = generic::auth_response(req, &out.decision, &out.message, auth, now) {
            return GenericOutcome { response, message: None, enqueue };
        }
        AuthInfo::from_decision(&out.decision)
    } else {
        None
    };
    let mut outcome = generic::native_message(req, peer, info.as_ref(), cfg, dispatch);
    outcome.enqueue.extend(enqueue);
    outcome
}

/// Installs `xsip.generate` (with `[general] generate=yes`) and `msg.execute` to
/// `sip/…`, sending through `outbound`.
pub fn install_senders(bus: &mut Bus, config: &Loaded, outbound: &Outbound) {
    let cfg = GenerateConfig {
        maxforwards: config.sip.generic.maxforwards,
        user_agent: config.sip.endpoint.server_header.clone(),
        allow: config.sip.endpoint.allow.clone(),
        local: None,
    };
    let generator = Arc::new(Generator::new(cfg, Arc::new(outbound.clone())));
    generator.install(bus, config.sip.generic.generate);
}

/// Requests from bus handlers go out through the endpoint once it is bound.
impl RequestSender for Outbound {
    fn send(&self, req: Request, dest: &Destination, wait: bool) -> Result<Option<Response>, SendError> {
        let Some(endpoint) = self.endpoint() else { return Err(SendError::Failure) };
        crate::sip::generate::EndpointSender::new(endpoint, self.runtime.clone()).send(req, dest, wait)
    }
}
