//! Yate's `regfile.conf`: users with passwords, alternatives and parameters, and migrate's view of it.
//!
//! Read with the project's INI loader, so includes, `$enabled` regions and
//! continuation lines behave exactly as in Yate. The format (shared/spec/sip.md
//! §4.1):
//!
//! ```ini
//! [general]
//! autocreate=no      ; accept registrations from users with no section
//! auth=100           ; handler priorities for user.auth, user.register, call.route
//! register=100
//! route=100
//! file=${configpath}/regfile-state.conf   ; where Yate persists registrations
//!
//! [alice]
//! password=secret    ; absent: never authenticates; empty: anybody is alice
//! alternatives=100,sales   ; other called numbers that reach alice
//! callername=Alice from ${address}   ; any other key: copied into user.auth
//!                                    ; answers and into call.route when alice calls
//! ```
//!
//! [`Users::answer_auth`] is regfile's `user.auth` handler; the registrar uses it
//! when nothing on the bus answered. The routing half is in
//! `registrar::route`.

use crate::ini::{self, Document, FileSystem, LoadOptions};
use crate::runtime::message::Message;
use crate::runtime::num::{int_auto, to_boolean};
use crate::runtime::subst::replace_params;
use crate::source::Span;
use std::path::Path;

/// `[general]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct General {
    /// `autocreate`: register users that have no section (default no).
    pub autocreate: bool,
    /// `auth`: Yate's `user.auth` handler priority (default 100).
    pub auth_priority: i32,
    /// `register`: `user.register` / `user.unregister` priority (default 100).
    pub register_priority: i32,
    /// `route`: `call.route` priority (default 100).
    pub route_priority: i32,
    /// `file`, run parameters expanded: where Yate persisted registrations.
    pub file: Option<String>,
}

impl Default for General {
    fn default() -> Self {
        General { autocreate: false, auth_priority: 100, register_priority: 100, route_priority: 100, file: None }
    }
}

/// One `[username]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The section name: the user name.
    pub name: String,
    /// `password`: `None` when the key is absent (the user never authenticates),
    /// `Some("")` when empty (anybody authenticates as this user).
    pub password: Option<String>,
    /// `alternatives`, split at commas: other called numbers routed to this user.
    pub alternatives: Vec<String>,
    /// Every other key in order (first occurrence only), values unexpanded.
    pub params: Vec<(String, String)>,
    /// The section header.
    pub span: Span,
}

/// How rexroute treats one thing found in regfile.conf (migrate's four groups).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Runs as in Yate.
    Same,
    /// Runs, but the result can differ from Yate's.
    Differs,
    /// Not used (and in most cases not used by Yate either).
    Ignored,
    /// Yate uses it, rexroute cannot yet.
    Unsupported,
}

/// One reported option: where, what, how it is treated and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The entry or section header.
    pub span: Span,
    /// `[general] file`, `[alice] password`, `[alice]`.
    pub option: String,
    /// How rexroute treats it.
    pub status: Support,
    /// One sentence for the report.
    pub note: String,
}

/// The users of regfile.conf.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Users {
    /// `[general]`.
    pub general: General,
    users: Vec<User>,
}

/// Loads regfile.conf from `path`; fails only when the file itself cannot be read.
pub fn load(path: &Path, opts: &LoadOptions, fs: &dyn FileSystem) -> std::io::Result<(Users, Vec<Item>, Document)> {
    let doc = ini::load(path, opts, fs)?;
    let (users, items) = Users::from_document(&doc, &opts.run_params);
    Ok((users, items, doc))
}

/// Loads regfile.conf text held in memory.
pub fn load_str(name: &str, text: &str) -> (Users, Vec<Item>, Document) {
    let doc = ini::load_str(name, text, &LoadOptions::default());
    let (users, items) = Users::from_document(&doc, &[]);
    (users, items, doc)
}

fn item(span: Span, option: String, status: Support, note: impl Into<String>) -> Item {
    Item { span, option, status, note: note.into() }
}

/// `${name}` / `${name$default}` from engine run parameters (for `file`).
fn expand_run_params(text: &str, run_params: &[(String, String)]) -> String {
    let mut m = Message::new("");
    for (k, v) in run_params {
        m.add(k.as_bytes(), v.as_bytes());
    }
    String::from_utf8_lossy(&replace_params(text.as_bytes(), &m)).into_owned()
}

impl Users {
    /// Reads the users from a loaded document, with one [`Item`] per option worth
    /// reporting.
    pub fn from_document(doc: &Document, run_params: &[(String, String)]) -> (Users, Vec<Item>) {
        let mut users = Users::default();
        let mut items = Vec::new();
        for section in &doc.sections {
            let header = section.headers.first().copied().unwrap_or_default();
            if section.name == "general" {
                users.general = read_general(section, run_params, &mut items);
            } else if users.get(&section.name).is_none() {
                users.users.push(read_user(section, header, &mut items));
            }
        }
        (users, items)
    }

    /// A user by name (`general` is never a user).
    pub fn get(&self, name: &str) -> Option<&User> {
        if name == "general" {
            return None;
        }
        self.users.iter().find(|u| u.name == name)
    }

    /// Every user, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &User> {
        self.users.iter()
    }

    /// Whether `name` may hold registrations: it has a section, or `autocreate` is on.
    pub fn may_register(&self, name: &str) -> bool {
        !name.is_empty() && name != "general" && (self.general.autocreate || self.get(name).is_some())
    }

    /// Users listing `number` among their `alternatives`, in file order.
    pub fn alternatives_for<'a>(&'a self, number: &'a str) -> impl Iterator<Item = &'a User> + 'a {
        self.users.iter().filter(move |u| u.alternatives.iter().any(|a| a == number))
    }

    /// regfile's `user.auth` handler: for a known `username` with a `password` key,
    /// returns the password and copies the user's other keys (expanded against the
    /// message) into the message. Skipped when `auth_regfile=false`.
    pub fn answer_auth(&self, msg: &mut Message) -> bool {
        if !to_boolean(msg.get(b"auth_regfile").unwrap_or(b"true"), true) {
            return false;
        }
        let name = String::from_utf8_lossy(msg.get(b"username").unwrap_or_default()).into_owned();
        let Some(user) = self.get(&name) else { return false };
        let Some(password) = &user.password else { return false };
        msg.retvalue = password.as_bytes().to_vec();
        user.apply_params(msg);
        true
    }
}

impl User {
    /// Sets each extra key on `msg`, `${param}` references expanded from `msg`.
    pub fn apply_params(&self, msg: &mut Message) {
        for (k, v) in &self.params {
            let value = replace_params(v.as_bytes(), msg);
            msg.set(k.as_bytes(), &value);
        }
    }
}

fn read_general(section: &ini::Section, run_params: &[(String, String)], items: &mut Vec<Item>) -> General {
    let mut g = General::default();
    let mut seen: Vec<&str> = Vec::new();
    for e in &section.entries {
        let option = format!("[general] {}", e.key);
        if seen.contains(&e.key.as_str()) {
            items.push(item(e.span, option, Support::Ignored, "repeated key: Yate uses the first one"));
            continue;
        }
        seen.push(&e.key);
        let (status, note) = match e.key.as_str() {
            "autocreate" => {
                g.autocreate = to_boolean(e.value.as_bytes(), false);
                (
                    Support::Same,
                    format!("users without a section {} register", if g.autocreate { "may" } else { "may not" }),
                )
            }
            key @ ("auth" | "register" | "route") => {
                let p = int_auto(e.value.as_bytes(), 100);
                match key {
                    "auth" => g.auth_priority = p,
                    "register" => g.register_priority = p,
                    _ => g.route_priority = p,
                }
                (
                    Support::Differs,
                    format!("priority {p}: rexroute's registrar consults regfile users after every bus handler"),
                )
            }
            "file" => {
                let path = expand_run_params(&e.value, run_params);
                let json = std::path::Path::new(&path).with_extension("json");
                let note = format!(
                    "rexroute keeps registrations in its own JSON state file, `{}`; `{path}` is not read or written",
                    json.display()
                );
                g.file = Some(path).filter(|p| !p.is_empty());
                (Support::Differs, note)
            }
            _ => (Support::Ignored, "regfile does not read this key".to_owned()),
        };
        items.push(item(e.span, option, status, note));
    }
    g
}

fn read_user(section: &ini::Section, header: Span, items: &mut Vec<Item>) -> User {
    let mut user =
        User { name: section.name.clone(), password: None, alternatives: Vec::new(), params: Vec::new(), span: header };
    let mut seen: Vec<&str> = Vec::new();
    for e in &section.entries {
        if seen.contains(&e.key.as_str()) {
            let option = format!("[{}] {}", section.name, e.key);
            items.push(item(e.span, option, Support::Ignored, "repeated key: Yate uses the first one"));
            continue;
        }
        seen.push(&e.key);
        match e.key.as_str() {
            "password" => user.password = Some(e.value.clone()),
            "alternatives" => {
                user.alternatives = e
                    .value
                    .split(',')
                    .map(|s| s.trim_matches([' ', '\t']))
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            _ => user.params.push((e.key.clone(), e.value.clone())),
        }
    }
    let note = match &user.password {
        None => "no password: may register only when authentication is not required, never authenticates".to_owned(),
        Some(p) if p.is_empty() => "empty password: anybody authenticates as this user".to_owned(),
        Some(_) => {
            format!("user with {} extra parameter(s), {} alternative(s)", user.params.len(), user.alternatives.len())
        }
    };
    items.push(item(header, format!("[{}]", section.name), Support::Same, note));
    user
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "[general]\nautocreate=yes\nroute=90\nfile=${configpath$/tmp}/reg.conf\nfoo=bar\n\
[alice]\npassword=secret\ncallername=Alice at ${address}\nalternatives=100, sales\npassword=other\n\
[bob]\nlocation=x\n[carol]\npassword=\n";

    #[test]
    fn reads_users_and_general() {
        let (users, items, _) = load_str("regfile.conf", CONF);
        assert!(users.general.autocreate);
        assert_eq!(users.general.route_priority, 90);
        assert_eq!(users.general.file.as_deref(), Some("/tmp/reg.conf"));
        let alice = users.get("alice").unwrap();
        assert_eq!(alice.password.as_deref(), Some("secret"));
        assert_eq!(alice.alternatives, ["100", "sales"]);
        assert_eq!(alice.params, [("callername".to_owned(), "Alice at ${address}".to_owned())]);
        assert_eq!(users.get("bob").unwrap().password, None);
        assert_eq!(users.get("general"), None);
        assert_eq!(users.alternatives_for("sales").map(|u| u.name.as_str()).collect::<Vec<_>>(), ["alice"]);
        let ignored: Vec<&str> =
            items.iter().filter(|i| i.status == Support::Ignored).map(|i| i.option.as_str()).collect();
        assert_eq!(ignored, ["[general] foo", "[alice] password"]);
        assert!(items.iter().any(|i| i.option == "[general] file" && i.status == Support::Differs));
    }

    #[test]
    fn answers_user_auth_like_regfile() {
        let (users, _, _) = load_str("regfile.conf", CONF);
        let mut m = Message::new("user.auth");
        m.set(b"username", b"alice");
        m.set(b"address", b"127.0.0.1:5071");
        assert!(users.answer_auth(&mut m));
        assert_eq!(m.retvalue, b"secret");
        assert_eq!(m.get(b"callername"), Some(&b"Alice at 127.0.0.1:5071"[..]));
        for (name, off) in [("bob", false), ("nobody", false), ("general", false)] {
            let mut m = Message::new("user.auth");
            m.set(b"username", name.as_bytes());
            assert_eq!(users.answer_auth(&mut m), off, "{name}");
        }
        let mut m = Message::new("user.auth");
        m.set(b"username", b"alice");
        m.set(b"auth_regfile", b"false");
        assert!(!users.answer_auth(&mut m));
        let mut carol = Message::new("user.auth");
        carol.set(b"username", b"carol");
        assert!(users.answer_auth(&mut carol) && carol.retvalue.is_empty());
    }

    #[test]
    fn registration_rights() {
        let (strict, _, _) = load_str("r.conf", "[alice]\npassword=x\n");
        assert!(strict.may_register("alice"));
        assert!(!strict.may_register("mallory"));
        assert!(!strict.may_register("general"));
        let (open, _, _) = load_str("r.conf", "[general]\nautocreate=on\n");
        assert!(open.may_register("mallory"));
    }
}
