//! The handlers that send SIP requests, and the [`Outbound`] handle they send through.
//!
//! They run on the routing thread. [`install_senders`] puts `sip::generate`'s
//! `xsip.generate` / `msg.execute` handler on the bus. Requests of `[methods]`
//! methods are answered by `sip::generic::handle_generic`, called by the routing thread.

use super::config::Loaded;
use super::Outbound;
use crate::bus::Bus;
use crate::sip::generate::{Destination, GenerateConfig, Generator, RequestSender, SendError, SendOptions};
use crate::sip::msg::{Request, Response};
use std::sync::Arc;

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

/// Requests from bus handlers go out through the endpoint once it is bound. A
/// `connection_id` naming a UDP listener (`general`, as received requests carry
/// it) means that listener's socket.
impl RequestSender for Outbound {
    fn send(&self, req: Request, dest: &Destination, opts: &SendOptions) -> Result<Option<Response>, SendError> {
        let Some(endpoint) = self.endpoint() else { return Err(SendError::Failure) };
        let listener = dest.connection.as_deref().and_then(|c| self.names.get()?.udp_flow_id(c));
        let sender = crate::sip::generate::EndpointSender::new(endpoint, self.runtime.clone());
        match listener {
            Some(id) => sender.send(req, &Destination { connection: Some(id), ..dest.clone() }, opts),
            None => sender.send(req, dest, opts),
        }
    }
}
