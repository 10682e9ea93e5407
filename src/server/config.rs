//! Loading a Yate configuration directory for `serve`: routes, users, SIP settings, lateroute.
//!
//! The four files are read as Yate reads them (`crate::ini`); a missing file means
//! Yate's defaults. `regexroute.conf` is linted, and a configuration whose lint
//! reports errors is refused as a whole, so a reload never swaps in half a setup.

use crate::diag::{self, Severity};
use crate::ini::{self, Document, FileSystem, LoadOptions, MemFs, RealFs};
use crate::ir::Ir;
use crate::lateroute::LateRoute;
use crate::runtime::num::{int_auto, to_boolean};
use crate::sip::auth::{Algorithm, AuthConfig};
use crate::sip::consts::{self, Timers};
use crate::sip::generic::GenericConfig;
use crate::sip::regfile::Users;
use crate::sip::registrar;
use crate::sip::transaction;
use crate::sip::transport::{ListenAddr, TransportKind};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The embedded chat setup (`examples/chat/`), used when no `--config` is given.
pub const EMBEDDED: [(&str, &str); 4] = [
    ("regexroute.conf", include_str!("../../examples/chat/regexroute.conf")),
    ("regfile.conf", include_str!("../../examples/chat/regfile.conf")),
    ("ysipchan.conf", include_str!("../../examples/chat/ysipchan.conf")),
    ("lateroute.conf", include_str!("../../examples/chat/lateroute.conf")),
];

/// The modules a Yate running this setup would have loaded: what `[$enabled $loaded
/// NAME]` and `$(loaded,NAME)` see.
pub const MODULES: [&str; 4] = ["regexroute", "ysipchan", "regfile", "lateroute"];

/// Where the configuration comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A directory in Yate's layout.
    Dir(PathBuf),
    /// The embedded `examples/chat/`; relative paths (the state file) resolve
    /// against the current directory.
    Embedded,
}

impl Source {
    /// The directory relative file names in the configuration resolve against.
    pub fn base(&self) -> PathBuf {
        match self {
            Source::Dir(d) => d.clone(),
            Source::Embedded => PathBuf::from("."),
        }
    }

    fn dir(&self) -> PathBuf {
        match self {
            Source::Dir(d) => d.clone(),
            Source::Embedded => PathBuf::from("examples/chat"),
        }
    }
}

/// One `[listener NAME]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    /// The section name after `listener `; `general` is the default UDP listener.
    pub name: String,
    /// Where and how.
    pub addr: ListenAddr,
}

/// ysipchan.conf, as far as the server uses it.
#[derive(Clone, Debug)]
pub struct Sip {
    /// Enabled listeners, in file order.
    pub listeners: Vec<Listener>,
    /// The endpoint settings (Allow list, timers, sizes, Server header).
    pub endpoint: transaction::Config,
    /// Whether REGISTER is accepted (`[registrar] enable`).
    pub registrar_enabled: bool,
    /// The registrar settings.
    pub registrar: registrar::Config,
    /// Generic methods (`[methods]`, `[message]`, body encoding, `generate`, …).
    pub generic: GenericConfig,
}

/// A loaded configuration, ready to run.
pub struct Loaded {
    /// The directory read (or the embedded one's name).
    pub dir: PathBuf,
    /// The `configpath` run parameter: the directory relative names resolve against.
    pub configpath: String,
    /// regexroute.conf as loaded.
    pub routes_doc: Document,
    /// regexroute.conf lowered.
    pub routes: Arc<Ir>,
    /// regfile.conf's users.
    pub users: Users,
    /// ysipchan.conf.
    pub sip: Sip,
    /// lateroute.conf's handler.
    pub lateroute: Arc<LateRoute>,
    /// The registration state file, if registrations persist.
    pub state_file: Option<PathBuf>,
    /// Every file read (includes too) and the top-level ones that were missing: what
    /// a change of triggers a reload.
    pub files: Vec<PathBuf>,
    /// Lint warnings and ignored or unusable options, `file:line: text`.
    pub warnings: Vec<String>,
}

/// Why a configuration was refused: each error as `file:line:col: [code] message`.
#[derive(Debug)]
pub struct Refused(pub Vec<String>);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

/// Loads a configuration. `Err` lists every error (lint errors, unreadable files,
/// unusable listener settings); warnings are in [`Loaded::warnings`].
pub fn load(source: &Source) -> Result<Loaded, Refused> {
    match source {
        Source::Dir(_) => load_from(source, &RealFs),
        Source::Embedded => {
            let dir = source.dir();
            let fs = EMBEDDED.iter().fold(MemFs::default(), |fs, (name, text)| fs.with(dir.join(name), *text));
            load_from(source, &fs)
        }
    }
}

/// Reads `name` from the directory: `None` when it does not exist (Yate's defaults).
fn read(dir: &Path, name: &str, opts: &LoadOptions, fs: &dyn FileSystem) -> Result<Option<Document>, String> {
    let path = dir.join(name);
    match ini::load(&path, opts, fs) {
        Ok(doc) => Ok(Some(doc)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn load_from(source: &Source, fs: &dyn FileSystem) -> Result<Loaded, Refused> {
    let dir = source.dir();
    let base = source.base();
    let configpath = base.display().to_string();
    let run_params = vec![("configpath".to_owned(), configpath.clone())];
    let loaded = MODULES.iter().map(|m| (*m).to_owned()).collect();
    let opts = LoadOptions { run_params, loaded, ..LoadOptions::default() };
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut files = Vec::new();
    let mut doc_of = |name: &str, errors: &mut Vec<String>| {
        files.push(dir.join(name));
        read(&dir, name, &opts, fs).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let routes_doc = doc_of("regexroute.conf", &mut errors).unwrap_or_default();
    let regfile_doc = doc_of("regfile.conf", &mut errors);
    let sip_doc = doc_of("ysipchan.conf", &mut errors).unwrap_or_default();
    let late_doc = doc_of("lateroute.conf", &mut errors).unwrap_or_default();
    for (_, f) in routes_doc.sources.files().skip(1) {
        files.push(f.path.clone());
    }

    let ast = crate::syntax::parse(&routes_doc);
    let routes = crate::ir::lower(&routes_doc, &ast);
    for d in crate::lint::check(&routes_doc, &ast, &routes) {
        let line = format!("{}: [{}] {}", diag::location(&d, &routes_doc.sources), d.code, d.message);
        match d.severity {
            Severity::Error => errors.push(line),
            _ => warnings.push(line),
        }
    }

    let users = match &regfile_doc {
        Some(doc) => Users::from_document(doc, &opts.run_params).0,
        None => Users::default(),
    };
    let state_file = users.general.file.as_deref().filter(|f| !f.is_empty()).map(|f| state_path(&base, f));
    let sip = read_sip(&sip_doc, &mut errors, &mut warnings);
    let (late, late_warnings) = crate::lateroute::Config::from_document(&late_doc);
    warnings.extend(late_warnings.into_iter().map(|w| format!("lateroute.conf: {w}")));
    let lateroute = LateRoute::new(late);
    if !errors.is_empty() {
        return Err(Refused(errors));
    }
    Ok(Loaded {
        dir,
        configpath,
        routes_doc,
        routes: Arc::new(routes),
        users,
        sip,
        lateroute,
        state_file,
        files,
        warnings,
    })
}

/// The JSON state file for regfile's `file`: the same name with a `.json`
/// extension, relative to the configuration directory. Yate's own file is a
/// `.conf` that this format is not, so it is never overwritten.
pub fn state_path(base: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    let p = if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
    p.with_extension("json")
}

fn value<'a>(doc: &'a Document, section: &str, key: &str) -> Option<&'a str> {
    doc.value(section, key)
}

/// `auth_copy_headers`: a comma-separated list of header names, matched without case.
fn copy_headers(list: Option<&str>) -> Vec<String> {
    let names = list.unwrap_or_default().split(',').map(str::trim).filter(|n| !n.is_empty());
    names.map(str::to_ascii_lowercase).collect()
}

fn boolean(doc: &Document, section: &str, key: &str, default: bool) -> bool {
    value(doc, section, key).map_or(default, |v| to_boolean(v.as_bytes(), default))
}

fn integer(doc: &Document, section: &str, key: &str, default: i32) -> i32 {
    value(doc, section, key).map_or(default, |v| int_auto(v.as_bytes(), default))
}

/// A count or size option: non-positive values mean the default, as in Yate.
fn positive(doc: &Document, section: &str, key: &str, default: u32) -> u32 {
    u32::try_from(integer(doc, section, key, 0)).ok().filter(|&v| v > 0).unwrap_or(default)
}

fn read_sip(doc: &Document, errors: &mut Vec<String>, warnings: &mut Vec<String>) -> Sip {
    let g = "general";
    let mut endpoint = transaction::Config::default();
    // Yate clamps maxpkt to 524..65528; tcp_maxpkt bounds one framed TCP message.
    let maxpkt = positive(doc, g, "maxpkt", 1500).clamp(524, 65528);
    let tcp_maxpkt = positive(doc, g, "tcp_maxpkt", 4096);
    endpoint.transport.max_message = maxpkt as usize;
    endpoint.transport.max_stream_message = tcp_maxpkt as usize;
    // Ours: 0 keeps the system default.
    endpoint.transport.udp_receive_buffer =
        u32::try_from(integer(doc, g, "udp_rcvbuf", consts::UDP_RECEIVE_BUFFER as i32)).map_or(0, |v| v as usize);
    let t1 = Duration::from_millis(u64::from(positive(doc, g, "t1", 500)));
    let t4 = Duration::from_millis(u64::from(positive(doc, g, "t4", 5000)));
    endpoint.timers = Timers { t1, t4, ..Timers::default() };
    endpoint.tu_timeout = endpoint.timers.f();
    endpoint.shutdown_grace = endpoint.timers.f();
    endpoint.lazy100 = boolean(doc, g, "lazy100", false);
    // Ours, not Yate's (which has no cap): see `sip::consts::MAX_TRANSACTIONS`.
    endpoint.max_transactions = positive(doc, g, "max_transactions", endpoint.max_transactions as u32) as usize;
    let ua = value(doc, g, "useragent").filter(|v| !v.is_empty());
    endpoint.server_header = Some(ua.map_or_else(|| format!("rexroute/{}", env!("CARGO_PKG_VERSION")), str::to_owned));
    endpoint.max_forwards = u8::try_from(positive(doc, g, "maxforwards", 20).min(255)).unwrap_or(20);
    if !boolean(doc, g, "ignorevia", true) {
        warnings.push("ysipchan.conf: [general] ignorevia=no is not supported; answers go to the packet source".into());
    }

    let realm = value(doc, g, "realm").filter(|r| !r.is_empty()).unwrap_or("Yate").to_owned();
    let mut algorithms = Vec::new();
    for name in value(doc, g, "auth_algorithms").unwrap_or("MD5").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match Algorithm::from_param(Some(name)) {
            Some(a) if !algorithms.contains(&a) => algorithms.push(a),
            Some(_) => {}
            None => warnings.push(format!("ysipchan.conf: [general] auth_algorithms: unknown algorithm `{name}`")),
        }
    }
    let r = "registrar";
    let defaults = registrar::Config::default();
    let registrar = registrar::Config {
        auth: AuthConfig {
            realm,
            algorithms,
            copy_headers: copy_headers(value(doc, g, "auth_copy_headers")),
            ..AuthConfig::default()
        },
        auth_required: boolean(doc, r, "auth_required", true),
        expires_min: positive(doc, r, "expires_min", defaults.expires_min),
        expires_def: positive(doc, r, "expires_def", defaults.expires_def),
        expires_max: positive(doc, r, "expires_max", defaults.expires_max),
        nat: boolean(doc, g, "nat", true),
        nat_refresh: u32::try_from(integer(doc, r, "nat_refresh", 25)).unwrap_or(0),
        ..defaults
    };
    let registrar_enabled = boolean(doc, r, "enable", true);
    if registrar_enabled {
        endpoint.allow_method("REGISTER");
    }
    let (generic, generic_warnings) = GenericConfig::from_document(doc);
    warnings.extend(generic_warnings.into_iter().map(|w| format!("ysipchan.conf: {w}")));
    for m in generic.allow() {
        endpoint.allow_method(&m);
    }
    let listeners = read_listeners(doc, errors);
    Sip { listeners, endpoint, registrar_enabled, registrar, generic }
}

fn read_listeners(doc: &Document, errors: &mut Vec<String>) -> Vec<Listener> {
    let mut out = Vec::new();
    for s in &doc.sections {
        let Some(name) = s.name.strip_prefix("listener ").map(str::trim) else { continue };
        let section = s.name.as_str();
        if !boolean(doc, section, "enable", true) {
            continue;
        }
        let kind = match value(doc, section, "type").unwrap_or("udp").to_ascii_lowercase().as_str() {
            "udp" => TransportKind::Udp,
            "tcp" => TransportKind::Tcp,
            other => {
                errors.push(format!("ysipchan.conf: [{section}] type={other} is not supported (udp or tcp)"));
                continue;
            }
        };
        let ip = match value(doc, section, "addr").filter(|a| !a.is_empty()) {
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Some(a) => match a.parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => {
                    errors.push(format!("ysipchan.conf: [{section}] addr={a} is not an IP address"));
                    continue;
                }
            },
        };
        let port = match value(doc, section, "port").filter(|p| !p.is_empty()) {
            None => 5060,
            Some(p) => match p.parse::<u16>() {
                Ok(port) => port,
                Err(_) => {
                    errors.push(format!("ysipchan.conf: [{section}] port={p} is not a port number"));
                    continue;
                }
            },
        };
        out.push(Listener { name: name.to_owned(), addr: ListenAddr { kind, addr: SocketAddr::new(ip, port) } });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_chat_loads_without_errors() {
        let l = load(&Source::Embedded).unwrap();
        assert_eq!(l.sip.listeners.len(), 2);
        assert_eq!(l.sip.listeners[0].name, "general");
        assert_eq!(l.sip.listeners[0].addr.to_string(), "udp:127.0.0.1:5060");
        assert_eq!(l.sip.endpoint.allow, ["OPTIONS", "REGISTER", "MESSAGE", "PUBLISH"]);
        assert_eq!(l.sip.endpoint.transport.max_message, 4096);
        assert!(l.sip.generic.generate);
        assert!(l.users.get("alice").is_some() && l.users.get("bob").is_some());
        assert_eq!(l.state_file, Some(PathBuf::from("./regfile-state.json")));
    }

    #[test]
    fn missing_files_are_yate_defaults() {
        let fs = MemFs::default();
        let l = load_from(&Source::Dir("/nowhere".into()), &fs).unwrap();
        assert!(l.sip.listeners.is_empty());
        assert!(l.sip.registrar_enabled);
        assert_eq!(l.sip.endpoint.allow, ["OPTIONS", "REGISTER"]);
        assert_eq!(l.sip.endpoint.transport.max_message, 1500);
        assert_eq!(l.state_file, None);
        assert_eq!(l.files.len(), 4);
    }

    #[test]
    fn lint_errors_and_bad_listeners_refuse_the_configuration() {
        let fs = MemFs::default()
            .with("/c/regexroute.conf", "[default]\n^1$=goto nowhere\n")
            .with("/c/ysipchan.conf", "[listener x]\ntype=sctp\n[listener y]\nport=99999\n");
        let Err(Refused(errors)) = load_from(&Source::Dir("/c".into()), &fs) else { panic!("accepted") };
        assert!(errors.iter().any(|e| e.starts_with("/c/regexroute.conf:2:")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("type=sctp")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("port=99999")), "{errors:?}");
    }

    #[test]
    fn options_are_read() {
        let sip =
            "[general]\nrealm=Test\nt1=100\nlazy100=yes\nuseragent=UA\nmaxforwards=9\nauth_algorithms=SHA-256,MD5\n\
[registrar]\nenable=no\nexpires_min=1\n[methods]\nmessage=no\ninfo=maybe\n[listener general]\nport=0\n";
        let fs = MemFs::default().with("/c/ysipchan.conf", sip).with("/c/regfile.conf", "[general]\nfile=/s/st.conf\n");
        let l = load_from(&Source::Dir("/c".into()), &fs).unwrap();
        let s = &l.sip;
        assert_eq!(s.registrar.auth.realm, "Test");
        assert_eq!(s.registrar.auth.algorithms, [Algorithm::Sha256, Algorithm::Md5]);
        assert_eq!(s.endpoint.timers.t1, Duration::from_millis(100));
        assert!(s.endpoint.lazy100);
        assert_eq!(s.endpoint.server_header.as_deref(), Some("UA"));
        assert_eq!(s.endpoint.max_forwards, 9);
        assert!(!s.registrar_enabled);
        assert_eq!(s.registrar.expires_min, 1);
        assert_eq!(s.generic.methods, [("message".to_string(), false), ("info".to_string(), true)]);
        assert_eq!(s.endpoint.allow, ["OPTIONS", "MESSAGE", "INFO"]);
        assert_eq!(s.listeners[0].addr.to_string(), "udp:0.0.0.0:0");
        assert_eq!(l.state_file, Some(PathBuf::from("/s/st.json")));
        assert_eq!(s.endpoint.transport.udp_receive_buffer, 4 << 20, "the default");
    }

    #[test]
    fn udp_receive_buffer_option() {
        let read = |v: &str| {
            let fs = MemFs::default().with("/c/ysipchan.conf", format!("[general]\nudp_rcvbuf={v}\n"));
            load_from(&Source::Dir("/c".into()), &fs).unwrap().sip.endpoint.transport.udp_receive_buffer
        };
        assert_eq!(read("1048576"), 1 << 20);
        assert_eq!(read("0"), 0, "the system default");
        assert_eq!(read("-5"), 0);
        assert_eq!(read("x"), 4 << 20, "not a number: the default");
    }

    /// Answers always go to the packet's source: `ignorevia=no` (answer to the
    /// Via's sent-by) is refused with a warning, never silently (docs/differences.md).
    #[test]
    fn ignorevia_no_is_warned_about() {
        let warned = |v: &str| {
            let fs = MemFs::default().with("/c/ysipchan.conf", format!("[general]\nignorevia={v}\n"));
            let l = load_from(&Source::Dir("/c".into()), &fs).unwrap();
            l.warnings.iter().any(|w| w.contains("ignorevia=no is not supported"))
        };
        assert!(warned("no"));
        assert!(!warned("yes"));
    }
}
