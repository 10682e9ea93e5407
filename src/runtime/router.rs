//! regexroute's handlers on the bus: `call.preroute`, `call.route` and `[extra]`.

use crate::bus::{Bus, Cx, Filter, Handler};
use crate::ir::{ContextId, Ir};
use crate::program::Program;
use crate::runtime::env::Env;
use crate::runtime::message::{KnownName, Message};
use crate::runtime::vm::{RetSlot, Vm};
use std::sync::Arc;

/// Parameters the handlers read themselves, hashed at compile time.
const CALLED: KnownName = KnownName::new(b"called");
const CALLER: KnownName = KnownName::new(b"caller");
const CONTEXT: KnownName = KnownName::new(b"context");
const TRACE_TO_MSG: KnownName = KnownName::new(b"trace_to_msg");

/// Which engine evaluates contexts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The decision program (`program::Program`): only rules that can match are evaluated.
    #[default]
    Compiled,
    /// The reference walk over the IR, rule by rule, as Yate does.
    Naive,
}

/// A loaded configuration with the environment it runs in.
pub struct Router {
    /// The configuration.
    pub ir: Arc<Ir>,
    /// Globals and engine facts.
    pub env: Arc<Env>,
    /// The decision program, for the compiled engine.
    pub program: Option<Program>,
    /// `[default]`, where `call.route` goes without a `context` parameter.
    default_ctx: Option<ContextId>,
}

#[derive(Clone)]
enum Kind {
    Preroute,
    Route,
    Extra { match_param: Option<Vec<u8>>, context: Vec<u8> },
}

struct RegexHandler {
    router: Arc<Router>,
    kind: Kind,
}

impl Router {
    /// A router for `ir`, applying `[$once]` (first load) and `[$init]` to `env`.
    pub fn new(ir: Arc<Ir>, env: Arc<Env>) -> Arc<Router> {
        Router::with_engine(ir, env, Engine::default())
    }

    /// A router that evaluates with `engine`.
    pub fn with_engine(ir: Arc<Ir>, env: Arc<Env>, engine: Engine) -> Arc<Router> {
        for (k, v) in &ir.once {
            env.globals.set(k.as_bytes(), v.as_bytes());
        }
        for (k, v) in &ir.init {
            env.globals.set(k.as_bytes(), v.as_bytes());
        }
        let program = (engine == Engine::Compiled).then(|| crate::program::compile(&ir));
        let default_ctx = ir.context(b"default");
        Arc::new(Router { ir, env, program, default_ctx })
    }

    /// Installs the handlers: preroute and route (unless their priority is 0), then one
    /// per `[extra]` entry.
    pub fn install(self: &Arc<Self>, bus: &mut Bus) {
        let s = &self.ir.settings;
        let h = |kind| Arc::new(RegexHandler { router: Arc::clone(self), kind }) as Arc<dyn Handler>;
        if s.preroute != 0 {
            bus.install(s.preroute, b"call.preroute", None, h(Kind::Preroute));
        }
        if s.route != 0 {
            bus.install(s.route, b"call.route", None, h(Kind::Route));
        }
        for x in &self.ir.extras {
            let filter = x.filter.as_ref().and_then(|f| compile_filter(&f.param, &f.value));
            let kind = Kind::Extra {
                match_param: x.match_param.as_ref().map(|p| p.as_bytes().to_vec()),
                context: x.context.as_bytes().to_vec(),
            };
            bus.install(x.priority, x.message.as_bytes(), filter, h(kind));
        }
    }
}

fn compile_filter(param: &str, value: &str) -> Option<Filter> {
    if value.starts_with('^') {
        let re = crate::regex::PosixRegex::compile(value.as_bytes(), crate::regex::Flags::default()).ok()?;
        Some(Filter::Regex(param.as_bytes().to_vec(), re))
    } else {
        Some(Filter::Exact(param.as_bytes().to_vec(), value.as_bytes().to_vec()))
    }
}

impl Handler for RegexHandler {
    fn received(&self, msg: &mut Message, cx: &mut Cx<'_>) -> bool {
        let (ir, env) = (&*self.router.ir, &*self.router.env);
        match &self.kind {
            Kind::Route => {
                let called = match msg.get_known(&CALLED) {
                    Some(c) if !c.is_empty() => c,
                    _ => return false,
                };
                let named = msg.get_known(&CONTEXT);
                // An absent or unknown context is no route, without a warning.
                let id = match named {
                    None => self.router.default_ctx,
                    Some([]) => None,
                    Some(c) => ir.context(c),
                };
                let Some(id) = id else { return false };
                let msg_trace = tracing_to_msg(msg);
                let started = msg_trace.as_ref().map(|_| std::time::Instant::now());
                // The summary line names the number as called, before any `match`, and
                // the context as the message named it.
                let then = msg_trace.as_ref().map(|_| (called.to_vec(), named.unwrap_or(b"default").to_vec()));
                let mut vm = Vm::new(ir, env, cx, called, RetSlot::Message);
                vm.program = self.router.program.as_ref();
                vm.msg_trace = msg_trace;
                let handled = vm.enter(msg, id, 0);
                if let Some(mut lines) = vm.msg_trace.take() {
                    let (called, ctx) = then.unwrap_or_default();
                    let usec = started.map_or(0, |s| s.elapsed().as_micros());
                    lines.push(route_summary(msg, &called, &ctx, handled, usec));
                    write_trace(msg, lines);
                }
                vm.finish();
                handled
            }
            Kind::Preroute => preroute(&self.router, msg, cx),
            Kind::Extra { match_param, context } => {
                let ms = match match_param {
                    Some(p) => msg.get(p).unwrap_or(b""),
                    None => &msg.name,
                };
                let mut vm = Vm::new(ir, env, cx, ms, RetSlot::Message);
                vm.program = self.router.program.as_ref();
                let handled = vm.eval(msg, context, 0, false);
                vm.finish();
                handled
            }
        }
    }
}

/// `trace_to_msg` asks for Yate's trace lines as `trace_msg_N` parameters (spec §6.8).
fn tracing_to_msg(msg: &Message) -> Option<Vec<String>> {
    let on = msg.get_known(&TRACE_TO_MSG).is_some_and(|v| crate::runtime::num::to_boolean(v, false));
    on.then(Vec::new)
}

fn route_summary(msg: &Message, called: &[u8], ctx: &[u8], handled: bool, usec: u128) -> String {
    let l = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let kind = msg.get(b"route_type").map_or_else(|| "call".to_string(), l);
    if handled {
        format!("Routing {kind} to '{}' in context '{}' via '{}' in {usec} usec", l(called), l(ctx), l(&msg.retvalue))
    } else {
        format!("Could not route {kind} to '{}' in context '{}', wasted {usec} usec", l(called), l(ctx))
    }
}

/// Appends trace lines as `trace_msg_<n>`, numbered from `trace_msg_count`.
fn write_trace(msg: &mut Message, lines: Vec<String>) {
    let start = msg.get(b"trace_msg_count").map_or(0, |v| crate::runtime::num::int_auto(v, 0));
    let mut n = start;
    for line in lines {
        msg.add(format!("trace_msg_{n}").as_bytes(), line.as_bytes());
        n = n.wrapping_add(1);
    }
    msg.set(b"trace_msg_count", n.to_string().as_bytes());
}

fn preroute(router: &Router, msg: &mut Message, cx: &mut Cx<'_>) -> bool {
    let (ir, env) = (&*router.ir, &*router.env);
    let caller = msg.get_known(&CALLER).unwrap_or(b"").to_vec();
    if !ir.settings.prerouteall && (msg.get_known(&CONTEXT).is_some_and(|c| !c.is_empty()) || caller.is_empty()) {
        return false;
    }
    let msg_trace = tracing_to_msg(msg);
    let started = msg_trace.as_ref().map(|_| std::time::Instant::now());
    let caller_then = msg_trace.as_ref().map(|_| caller.clone()).unwrap_or_default();
    let mut vm = Vm::new(ir, env, cx, &caller, RetSlot::Local(Vec::new()));
    vm.program = router.program.as_ref();
    vm.msg_trace = msg_trace;
    let handled = vm.eval(msg, b"contexts", 0, false);
    let r = match std::mem::replace(&mut vm.ret, RetSlot::Message) {
        RetSlot::Local(r) => r,
        RetSlot::Message => Vec::new(),
    };
    let msg_trace = vm.msg_trace.take();
    vm.finish();
    if let Some(mut lines) = msg_trace {
        let (c, us) = (String::from_utf8_lossy(&caller_then), started.map_or(0, |s| s.elapsed().as_micros()));
        lines.push(if handled {
            format!("Classifying caller '{c}' in context '{}' in {us} usec", String::from_utf8_lossy(&r))
        } else {
            format!("Could not classify call from '{c}', wasted {us} usec")
        });
        write_trace(msg, lines);
    }
    if !handled {
        return false;
    }
    if r == b"-" || r == b"error" {
        msg.retvalue = r;
    } else {
        msg.set(b"context", &r);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Outcome;
    use crate::ini::{load_str, LoadOptions};

    fn bus(conf: &str, engine: Engine) -> Bus {
        let doc = load_str("/t/regexroute.conf", conf, &LoadOptions::default());
        let ir = crate::ir::lower(&doc, &crate::syntax::parse(&doc));
        let router = Router::with_engine(Arc::new(ir), Arc::new(Env::default()), engine);
        let mut bus = Bus::new();
        router.install(&mut bus);
        bus
    }

    /// `call.route` starts in `[default]`, or in the context the message names; an
    /// empty or unknown name routes nowhere, and says nothing about it.
    #[test]
    fn route_starts_in_the_named_context() {
        let conf = "[default]\n.*=from-default\n[other]\n.*=from-other\n";
        for engine in [Engine::Compiled, Engine::Naive] {
            let b = bus(conf, engine);
            let cases: [(Option<&[u8]>, Option<&str>); 4] = [
                (None, Some("from-default")),
                (Some(b"other"), Some("from-other")),
                (Some(b""), None),
                (Some(b"nosuch"), None),
            ];
            for (ctx, want) in cases {
                let mut m = Message::new("call.route");
                m.add(b"called", b"123");
                if let Some(c) = ctx {
                    m.add(b"context", c);
                }
                let mut out = Outcome::default();
                let handled = b.dispatch_all(&mut m, &mut out);
                assert_eq!(handled, want.is_some(), "{engine:?} {ctx:?}");
                assert_eq!(want.map(str::as_bytes), handled.then_some(&m.retvalue[..]), "{engine:?} {ctx:?}");
                assert!(out.log.is_empty(), "{engine:?} {ctx:?}: {:?}", out.log);
            }
        }
    }
}
