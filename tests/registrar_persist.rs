//! Registrations surviving a restart, and regfile.conf from disk.
//!
//! Save and load round trips with a controlled clock, what a restart drops
//! (lapsed, TCP, removed users), reloads, and regfile.conf with its migrate items.

mod registrar_support;

use registrar_support::*;
use rexroute::ini::{LoadOptions, RealFs};
use rexroute::sip::regfile::{self, Support};
use rexroute::sip::registrar::{Config, Peer, PersistError, Transport};
use std::path::PathBuf;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rexroute-{tag}-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn restart_keeps_remaining_lifetime() {
    let dir = temp_dir("reg-restart");
    let path = dir.join("registrations.json");
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let mut bob = Ua::new("bob", "secret2", 5072);
    alice.register(&mut reg, t(0), &format!("<{}>;q=0.7", alice.contact()), Some(600));
    bob.register(&mut reg, t(0), &format!("<{}>", bob.contact()), Some(60));
    let before: Vec<_> = reg.bindings().iter().cloned().collect();
    assert!(reg.take_dirty());
    reg.save(&path, t(30)).unwrap();

    // The process restarts 100 s later.
    let mut again = registrar();
    assert_eq!(again.load(&path, t(100)).unwrap(), 1, "bob lapsed at 60 s");
    let found = again.lookup("alice", t(100));
    assert_eq!(found.len(), 1);
    assert_eq!(*found[0], before.iter().find(|b| b.user == "alice").cloned().unwrap());
    assert_eq!(found[0].remaining(secs(100)), 500);
    assert!(again.take_dirty(), "dropping bob changed the state");
    // The restored binding still orders refreshes: the old CSeq on the old Call-ID is refused.
    // (A new Ua with the same Call-ID starts its CSeq over: 1 is challenged, 2 equals the stored 2.)
    let mut replay = Ua::new("alice", "secret", 5071);
    let out = replay.register(&mut again, t(101), &format!("<{}>", alice.contact()), Some(600));
    assert_eq!(out.response.code, 500);
    let refresh = alice.register(&mut again, t(102), &format!("<{}>", alice.contact()), Some(600));
    assert_eq!(refresh.response.code, 200);
    assert_eq!(again.lookup("alice", t(102))[0].expires_at, secs(702));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn restart_drops_tcp_and_removed_users() {
    let dir = temp_dir("reg-drop");
    let path = dir.join("state.json");
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let mut bob = Ua::new("bob", "secret2", 5072);
    alice.register(&mut reg, t(0), &format!("<{}>", alice.contact()), Some(600));
    let tcp = Peer { transport: Transport::Tcp, connection_id: "tcp:1".into(), ..bob.peer() };
    let req = bob.register_request(&format!("<{}>", bob.contact()), Some(600));
    let first = reg.handle_register(&req, &tcp, t(0), &mut nobody);
    bob.learn(&first.response);
    let req = bob.register_request(&format!("<{}>", bob.contact()), Some(600));
    let out = reg.handle_register(&req, &tcp, t(0), &mut nobody);
    assert_eq!(param(sent(&out, "user.register"), "connection_reliable"), "true");
    reg.save(&path, t(1)).unwrap();

    // alice was removed from regfile.conf meanwhile; bob's TCP connection is gone.
    let mut again = registrar_with(Config::default(), "[bob]\npassword=secret2\n");
    assert_eq!(again.load(&path, t(2)).unwrap(), 0);
    assert!(again.bindings().is_empty());

    // While running, a closed connection drops its bindings.
    let gone = reg.drop_connection("tcp:1", t(3));
    assert_eq!(gone.len(), 1);
    assert_eq!(param(&gone[0], "username"), "bob");
    assert_eq!(param(&gone[0], "reason"), "connection closed");
    assert!(reg.drop_connection("general", t(3)).is_empty(), "UDP bindings are not connection-bound");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reload_drops_users_removed_from_regfile() {
    let mut reg = registrar();
    let mut alice = Ua::new("alice", "secret", 5071);
    let mut bob = Ua::new("bob", "secret2", 5072);
    alice.register(&mut reg, t(0), &format!("<{}>", alice.contact()), Some(600));
    bob.register(&mut reg, t(0), &format!("<{}>", bob.contact()), Some(600));
    reg.take_dirty();
    let (users, _, _) = regfile::load_str("regfile.conf", "[bob]\npassword=secret2\n");
    let gone = reg.set_users(users, t(5));
    assert_eq!(gone.len(), 1);
    assert_eq!(param(&gone[0], "username"), "alice");
    assert!(reg.take_dirty());
    assert_eq!(reg.lookup("bob", t(5)).len(), 1);
    assert!(reg.users().get("alice").is_none());
}

#[test]
fn missing_state_file_is_an_empty_start_and_bad_ones_are_errors() {
    let dir = temp_dir("reg-bad");
    let mut reg = registrar();
    assert_eq!(reg.load(&dir.join("none.json"), t(0)).unwrap(), 0);
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"format\":\"rexroute-registrations\",\"version\":1,").unwrap();
    let err = reg.load(&bad, t(0)).unwrap_err();
    assert!(matches!(err, PersistError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("bad.json"));
    let unwritable = dir.join("no-such-dir").join("state.json");
    assert!(matches!(reg.save(&unwritable, t(0)), Err(PersistError::Io { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn regfile_from_disk_with_includes_and_items() {
    let dir = temp_dir("regfile");
    let main = dir.join("regfile.conf");
    std::fs::write(&main, "[general]\nautocreate=false\nfile=${statedir$/var/lib}/reg.conf\n[$include users.conf]\n")
        .unwrap();
    std::fs::write(dir.join("users.conf"), "[alice]\npassword=secret\nlocation=lab\n").unwrap();
    let opts = LoadOptions { run_params: vec![("statedir".into(), "/srv".into())], ..LoadOptions::default() };
    let (users, items, doc) = regfile::load(&main, &opts, &RealFs).unwrap();
    assert_eq!(users.get("alice").unwrap().password.as_deref(), Some("secret"));
    assert_eq!(users.general.file.as_deref(), Some("/srv/reg.conf"));
    let file_item = items.iter().find(|i| i.option == "[general] file").unwrap();
    assert_eq!(file_item.status, Support::Differs);
    assert!(
        doc.sources.location(file_item.span).ends_with("regfile.conf:3:1"),
        "{}",
        doc.sources.location(file_item.span)
    );
    let alice_item = items.iter().find(|i| i.option == "[alice]").unwrap();
    assert!(doc.sources.location(alice_item.span).contains("users.conf"));
    assert!(regfile::load(&dir.join("missing.conf"), &opts, &RealFs).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
