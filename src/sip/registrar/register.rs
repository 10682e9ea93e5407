//! REGISTER processing: RFC 3261 §10.3 steps with Yate's bus messages in between.
//!
//! Order: the headers every request needs (400), authentication through
//! `user.auth` (401 / 403), then a query (no Contact), a `*` removal, or the
//! per-contact changes. All checks (400, 423, out-of-order CSeq, capacity) run
//! before anything changes, and `user.register` is dispatched for every
//! contact before any binding is stored, so a refused REGISTER leaves the
//! bindings exactly as they were (§10.3 step 7).

use super::binding::{contact_key, Binding};
use super::messages::{self, Common};
use super::{Dispatched, RegisterOutcome, Registrar};
use crate::runtime::message::Message;
use crate::sip::auth::{error_code, unix_secs, AuthDecision, Peer};
use crate::sip::msg::{reason_phrase, Contact, NameAddr, Request, Response, Uri};
use std::time::SystemTime;

/// Bus message parameters (what `user.auth` handed back).
type Params = Vec<(Vec<u8>, Vec<u8>)>;

/// The headers a REGISTER must have, parsed.
struct Parsed {
    call_id: String,
    cseq: u32,
    to: Uri,
    contacts: Vec<Contact>,
    expires: Option<u32>,
}

impl Parsed {
    /// `Err(reason)` for a 400: missing or malformed Call-ID, CSeq, From, To,
    /// Contact or Expires (Yate checks the first four at transaction level).
    fn read(req: &Request) -> Result<Parsed, String> {
        let h = &req.headers;
        let call_id = h.call_id().map_err(|e| e.to_string())?.to_owned();
        let cseq = h.cseq().map_err(|e| e.to_string())?.seq;
        h.from_addr().map_err(|e| e.to_string())?;
        let to = h.to_addr().map_err(|e| e.to_string())?.uri;
        let contacts = h.contacts().map_err(|e| e.to_string())?;
        let expires = h.expires().map_err(|e| e.to_string())?;
        Ok(Parsed { call_id, cseq, to, contacts, expires })
    }

    fn addrs(&self) -> impl Iterator<Item = &NameAddr> {
        self.contacts.iter().filter_map(|c| match c {
            Contact::Addr(a) => Some(a.as_ref()),
            Contact::Star => None,
        })
    }
}

/// A binding `user.register` accepted, not stored yet.
struct Granted {
    binding: Binding,
    /// The NAT-rewritten contact, for `X-Real-Contact`.
    real_contact: Option<String>,
    /// `osip_*` headers the handlers asked for.
    headers: Vec<(String, Vec<u8>)>,
}

/// One contact's planned change.
struct Step<'a> {
    addr: &'a NameAddr,
    expires: u32,
    key: String,
}

fn reply(req: &Request, code: u16, reason: Option<&str>) -> Response {
    Response::for_request(req, code, reason.unwrap_or(reason_phrase(code)))
}

/// The Contact's header parameters other than `expires`, in wire form.
fn kept_params(addr: &NameAddr) -> String {
    addr.params.iter().filter(|p| !p.is("expires")).map(|p| p.to_wire()).collect()
}

/// Response headers a handler asked for: each `osip_<Header>` parameter (the
/// prefix can be changed with `osip-prefix`), as ysipchan adds them.
fn osip_headers(m: &Message) -> Vec<(String, Vec<u8>)> {
    let prefix = m.get(b"osip-prefix").filter(|p| !p.is_empty()).unwrap_or(b"osip_");
    m.iter()
        .filter_map(|(k, v)| {
            let name = std::str::from_utf8(k.strip_prefix(prefix)?).ok().filter(|n| is_token(n))?;
            // A line break in the value would smuggle extra header lines in.
            (!v.iter().any(|&b| b == b'\r' || b == b'\n')).then(|| (name.to_owned(), v.to_vec()))
        })
        .collect()
}

/// An RFC 3261 token (a header name).
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

fn with_headers(mut r: Response, headers: &[(String, Vec<u8>)]) -> Response {
    for (name, value) in headers {
        r.headers.append(name.clone(), value.clone());
    }
    r
}

/// ysipchan's failure code for a refused `user.register`: `code`, else `reason`
/// through the error table, else 404; anything outside 300..=699 is 404 too.
fn failure_code(m: &Message) -> u16 {
    let text = |k: &[u8]| String::from_utf8_lossy(m.get(k).unwrap_or_default()).into_owned();
    let code = text(b"code").parse::<u16>().ok().or_else(|| error_code(&text(b"reason")));
    code.filter(|c| (300..=699).contains(c)).unwrap_or(404)
}

impl Registrar {
    /// Handles one REGISTER from `peer`. `dispatch` puts a message on the bus and
    /// says whether a handler took it; `user.auth` nobody answers falls back to the
    /// regfile users, and so does the decision on an unanswered `user.register`.
    pub fn handle_register(
        &mut self,
        req: &Request,
        peer: &Peer,
        now: SystemTime,
        dispatch: &mut dyn FnMut(&mut Message) -> bool,
    ) -> RegisterOutcome {
        let mut out = RegisterOutcome { response: Response::new(500, ""), dispatched: Vec::new(), enqueue: Vec::new() };
        out.response = match self.register(req, peer, now, dispatch, &mut out) {
            Ok(r) | Err(r) => r,
        };
        out
    }

    fn register(
        &mut self,
        req: &Request,
        peer: &Peer,
        now: SystemTime,
        dispatch: &mut dyn FnMut(&mut Message) -> bool,
        out: &mut RegisterOutcome,
    ) -> Result<Response, Response> {
        let secs = unix_secs(now);
        let p = Parsed::read(req).map_err(|_| reply(req, 400, None))?;
        let (user, auth_params) = self.authenticate(req, peer, &p, now, dispatch, out)?;
        let sip_params = messages::sip_params(req);
        let common = Common {
            req,
            peer,
            call_id: &p.call_id,
            to: &p.to,
            user: &user,
            auth_params: &auth_params,
            now: secs,
            sip_params: &sip_params,
        };
        if p.contacts.is_empty() {
            return Ok(self.ok(req, &user, secs, None));
        }
        if p.contacts.contains(&Contact::Star) {
            return self.remove_all(&common, &p, dispatch, out);
        }
        let steps = self.plan(req, &p, &user, secs)?;
        let mut granted = Vec::new();
        for s in steps.iter().filter(|s| s.expires > 0) {
            granted.push(self.offer(&common, &p, s, dispatch, out)?);
        }
        for s in steps.iter().filter(|s| s.expires == 0) {
            if let Some(b) = self.bindings.remove(&user, &s.key) {
                self.announce_removal(&common, &b, dispatch, out);
                self.dirty = true;
            }
        }
        let first = granted.first().map(|g: &Granted| (g.binding.remaining(secs), g.real_contact.clone()));
        let mut headers = Vec::new();
        for g in granted {
            headers.extend(g.headers);
            self.bindings.upsert(g.binding);
            self.dirty = true;
        }
        Ok(with_headers(self.ok(req, &user, secs, first), &headers))
    }

    /// Runs `user.auth`; `Ok((user, params))` to go on, `Err(response)` to stop.
    fn authenticate(
        &mut self,
        req: &Request,
        peer: &Peer,
        p: &Parsed,
        now: SystemTime,
        dispatch: &mut dyn FnMut(&mut Message) -> bool,
        out: &mut RegisterOutcome,
    ) -> Result<(String, Params), Response> {
        let first = p.addrs().next();
        let number = messages::number(first.map(|a| &a.uri), &p.to);
        let expires = first.map_or(self.cfg.expires_def, |a| self.expires_for(a, p.expires));
        let context = messages::head(req, &p.call_id, &number, expires, unix_secs(now));
        let users = &self.users;
        let auth = self.auth.authenticate(req, peer, &context, now, &mut |m| dispatch(m) || users.answer_auth(m));
        let headers = osip_headers(&auth.message);
        out.dispatched.push(Dispatched { message: auth.message, handled: auth.handled });
        out.enqueue.extend(auth.authfail);
        let (username, params) = match auth.decision {
            AuthDecision::Accepted { username, params } => (username, params),
            AuthDecision::Challenge { .. } if !self.cfg.auth_required => (None, Vec::new()),
            AuthDecision::Challenge { stale } => {
                let mut r = reply(req, 401, None);
                for value in self.auth.challenge(now, stale) {
                    r.headers.append("WWW-Authenticate", value);
                }
                return Err(r);
            }
            AuthDecision::Reject { code, reason } => {
                return Err(with_headers(reply(req, code, reason.as_deref()), &headers));
            }
        };
        // Unauthenticated (auth not required, or a handler accepted by address):
        // the address-of-record is the To user (RFC 3261 §10.3 step 5).
        let user = username.or_else(|| p.to.user().map(str::to_owned)).filter(|u| !u.is_empty());
        let user = user.ok_or_else(|| reply(req, 404, None))?;
        Ok((user, params))
    }

    /// The Contact `expires` parameter, else the Expires header, else the default;
    /// capped at the maximum (RFC 3261 §10.3 step 7; Yate prefers the header).
    fn expires_for(&self, addr: &NameAddr, header: Option<u32>) -> u32 {
        addr.expires().or(header).unwrap_or(self.cfg.expires_def).min(self.cfg.expires_max)
    }

    /// Checks every contact before anything changes: 423, out-of-order CSeq, capacity.
    fn plan<'p>(&self, req: &Request, p: &'p Parsed, user: &str, now: u64) -> Result<Vec<Step<'p>>, Response> {
        let mut steps = Vec::new();
        for addr in p.addrs() {
            let expires = self.expires_for(addr, p.expires);
            if expires != 0 && expires < self.cfg.expires_min {
                let r = reply(req, 423, None).with_header("Min-Expires", self.cfg.expires_min.to_string());
                return Err(r);
            }
            let key = contact_key(addr.uri.as_str());
            self.check_order(req, p, user, &key)?;
            steps.push(Step { addr, expires, key });
        }
        // Lapsed bindings waiting for expire() do not count against the limit.
        let mut keys: Vec<String> =
            self.bindings.of(user).iter().filter(|b| b.is_live(now)).map(Binding::key).collect();
        let before = keys.len();
        for s in &steps {
            keys.retain(|k| *k != s.key);
            if s.expires > 0 {
                keys.push(s.key.clone());
            }
        }
        let added = keys.len().saturating_sub(before);
        if keys.len() > self.cfg.max_contacts || self.bindings.len() + added > self.cfg.max_bindings {
            return Err(reply(req, 503, Some("Too Many Registered Contacts")));
        }
        Ok(steps)
    }

    /// RFC 3261 §10.3 step 7: the same Call-ID with a CSeq not above the stored one
    /// is an old or replayed request and changes nothing.
    fn check_order(&self, req: &Request, p: &Parsed, user: &str, key: &str) -> Result<(), Response> {
        match self.bindings.find(user, key) {
            Some(b) if b.call_id == p.call_id && p.cseq <= b.cseq => Err(reply(req, 500, Some("Out Of Order Request"))),
            _ => Ok(()),
        }
    }

    /// Dispatches `user.register` for one contact; the binding to store if accepted.
    fn offer(
        &self,
        c: &Common<'_>,
        p: &Parsed,
        s: &Step<'_>,
        dispatch: &mut dyn FnMut(&mut Message) -> bool,
        out: &mut RegisterOutcome,
    ) -> Result<Granted, Response> {
        let target = messages::nat_target(&s.addr.uri, c.peer, self.cfg.nat);
        let data = format!("sip/{}", target.uri);
        let mut m = messages::for_contact(c, &s.addr.uri, &data, target.nat_addr.as_deref(), s.expires);
        // Nobody on the bus took it: regfile's rule decides (a section, or autocreate).
        let handled = dispatch(&mut m) || self.users.may_register(c.user);
        let code = failure_code(&m);
        let granted = std::str::from_utf8(m.get(b"expires").unwrap_or_default()).ok().and_then(|e| e.parse().ok());
        let data = m.get(b"data").filter(|d| !d.is_empty()).map_or(data, |d| String::from_utf8_lossy(d).into_owned());
        let headers = osip_headers(&m);
        out.dispatched.push(Dispatched { message: m, handled });
        if !handled {
            return Err(with_headers(reply(c.req, code, None), &headers));
        }
        let expires = granted.filter(|&e: &u32| e > 0).unwrap_or(s.expires);
        let real_contact = target.nat_addr.is_some().then(|| target.uri.clone());
        let binding = Binding {
            user: c.user.to_owned(),
            uri: s.addr.uri.as_str().to_owned(),
            data,
            params: kept_params(s.addr),
            expires_at: c.now.saturating_add(u64::from(expires)),
            call_id: p.call_id.clone(),
            cseq: p.cseq,
            source: c.peer.addr,
            transport: c.peer.transport,
            connection_id: c.peer.connection_id.clone(),
            nat_addr: target.nat_addr,
        };
        Ok(Granted { binding, real_contact, headers })
    }

    /// `Contact: *` (RFC 3261 §10.3 step 6): valid only alone and with `Expires: 0`;
    /// removes every binding of the user. Yate answers 200 and removes nothing.
    fn remove_all(
        &mut self,
        c: &Common<'_>,
        p: &Parsed,
        dispatch: &mut dyn FnMut(&mut Message) -> bool,
        out: &mut RegisterOutcome,
    ) -> Result<Response, Response> {
        if p.contacts.len() != 1 || p.expires != Some(0) {
            return Err(reply(c.req, 400, Some("Invalid Wildcard Contact")));
        }
        let keys: Vec<String> = self.bindings.of(c.user).iter().map(Binding::key).collect();
        for key in &keys {
            self.check_order(c.req, p, c.user, key)?;
        }
        for key in &keys {
            if let Some(b) = self.bindings.remove(c.user, key) {
                self.announce_removal(c, &b, dispatch, out);
                self.dirty = true;
            }
        }
        Ok(self.ok(c.req, c.user, c.now, None))
    }

    /// Dispatches `user.unregister` for a binding the request removed. Yate always
    /// answers a de-registration 200, whatever the handlers say.
    fn announce_removal(
        &self,
        c: &Common<'_>,
        b: &Binding,
        dispatch: &mut dyn FnMut(&mut Message) -> bool,
        out: &mut RegisterOutcome,
    ) {
        let mut m = match Uri::parse(&b.uri) {
            Ok(uri) => messages::for_contact(c, &uri, &b.data, b.nat_addr.as_deref(), 0),
            Err(_) => messages::lapsed(b, "unregistered", c.now),
        };
        let handled = dispatch(&mut m);
        out.dispatched.push(Dispatched { message: m, handled });
    }

    /// 200 listing every live binding of the user with its remaining time (RFC),
    /// plus Yate's `Expires` for the first contact granted and its NAT headers.
    fn ok(&self, req: &Request, user: &str, now: u64, first: Option<(u64, Option<String>)>) -> Response {
        let mut r = reply(req, 200, None);
        if let Some((expires, _)) = &first {
            r.headers.append("Expires", expires.to_string());
        }
        for b in self.bindings.of(user).iter().filter(|b| b.is_live(now)) {
            r.headers.append("Contact", b.contact_value(now));
        }
        if let Some((_, Some(target))) = first {
            if self.cfg.nat_refresh > 0 {
                r.headers.append("P-NAT-Refresh", self.cfg.nat_refresh.to_string());
            }
            r.headers.append("X-Real-Contact", target);
        }
        r
    }
}
