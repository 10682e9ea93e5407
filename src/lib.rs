//! rexroute: a compiler and runtime for Yate's `regexroute.conf`.
//!
//! # Pipeline
//!
//! Every stage is a noun made by a verb, and every noun prints
//! (`rexroute debug ini|ast|ir|program FILE`):
//!
//! ```text
//! bytes ──ini::load──▶ ini::Document ──syntax::parse──▶ syntax::Ast ──ir::lower──▶ ir::Ir
//!                                                                  ──program::compile──▶ program::Program
//! ```
//!
//! * [`ini`] reads Yate's INI dialect exactly (only `;` comments, first `=` splits,
//!   continuation lines, includes, `$enabled` regions) and keeps a span for every entry
//!   and a [`ini::Note`] for every line it ignored.
//! * [`syntax`] parses each entry with the pest grammar in `grammar/` into a lossless
//!   AST: printing a rule gives back its key and value byte for byte.
//! * [`ir`] takes the decisions Yate takes at load time (`[priorities]`, `[extra]`,
//!   default rules, negation) and interns every regex once.
//! * [`program`] groups rules whose conditions have no side effects into runs searched
//!   through literal-prefix tries, so routing cost does not grow with the file.
//! * [`runtime`] runs messages on a [`bus::Bus`] with Yate's semantics: the reference
//!   walk ([`runtime::router::Engine::Naive`]) or the decision program
//!   ([`runtime::router::Engine::Compiled`]), which must agree on every result.
//! * [`lint`] reports what Yate reads differently from how a line looks.
//! * [`sip`] is the SIP side: a pure message layer, digest authentication, the registrar.
//!
//! Values are byte strings throughout the runtime: Yate's regexes work on bytes in the
//! C locale, so a capture may split a UTF-8 character. Regex captures come from glibc
//! itself ([`regex::posix`]); yes/no answers may come from the `regex` crate where the
//! translation is provably equivalent ([`regex::translate`]).
//!
//! Deliberate differences from Yate are listed in `docs/differences.md`, each with the
//! test that shows it.
//!
//! # Example
//!
//! ```
//! use rexroute::bus::{Bus, Outcome};
//! use rexroute::runtime::{env::Env, message::Message, router::Router};
//! use std::sync::Arc;
//!
//! let text = "[default]\n^00\\([1-9][0-9]*\\)$=sip/sip:+\\1@trunk;line=intl\n";
//! let doc = rexroute::ini::load_str("regexroute.conf", text, &Default::default());
//! let ir = rexroute::ir::lower(&doc, &rexroute::syntax::parse(&doc));
//! let mut bus = Bus::new();
//! Router::new(Arc::new(ir), Arc::new(Env::default())).install(&mut bus);
//!
//! let mut msg = Message::new("call.route");
//! msg.add(b"called", b"00493012345");
//! assert!(bus.dispatch_all(&mut msg, &mut Outcome::default()));
//! assert_eq!(msg.retvalue, b"sip/sip:+493012345@trunk");
//! assert_eq!(msg.get(b"line"), Some(&b"intl"[..]));
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod bus;
pub mod cli;
pub mod diag;
#[doc(hidden)]
pub mod fuzzing;
pub mod ini;
pub mod ir;
pub mod lateroute;
pub mod lint;
pub mod program;
pub mod regex;
pub mod runtime;
pub mod server;
pub mod sip;
pub mod source;
pub mod syntax;
#[cfg(test)]
mod testing;
