//! Reloading `serve`'s configuration: a broken regexroute.conf is refused with its errors, a fixed one is taken.

mod serve_support;

use serve_support::{Client, Server, TempDir, REGFILE, YSIPCHAN};
use std::time::Duration;

/// Routes that mark every `user.register` with `mark`, so the bus log shows which
/// configuration handled it.
fn routes(mark: &str) -> String {
    format!("[extra]\nuser.register=50\n\n[user.register]\n.*=;route_mark={mark}\n")
}

const BROKEN: &str = "[extra]\nuser.register=50\n\n[user.register]\n.*=goto nowhere\n";

/// The `route_mark` of the latest `user.register`.
fn last_mark(server: &Server) -> Option<String> {
    let last = server.bus_named("user.register").pop()?;
    let params = last["params"].as_array()?.clone();
    params.iter().find(|p| p[0] == "route_mark").and_then(|p| p[1].as_str().map(str::to_owned))
}

fn register(server: &Server) {
    let r = Client::new(server.udp).register("alice", "secret", "MD5", Some(600));
    assert_eq!(r.code, 200, "{}", r.text);
}

#[test]
fn a_broken_configuration_is_refused_and_a_fixed_one_taken_without_restart() {
    let dir = TempDir::new("reload");
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", YSIPCHAN);
    dir.write("regexroute.conf", &routes("v1"));
    let server = Server::start(dir.path());
    register(&server);
    assert_eq!(last_mark(&server).as_deref(), Some("v1"));

    dir.write("regexroute.conf", BROKEN);
    let refused = server.wait_log("configuration refused", Duration::from_secs(10));
    assert!(refused, "the broken file was not noticed:\n{}", server.log());
    let location = format!("{}:5:", dir.path().join("regexroute.conf").display());
    assert!(server.log().contains(&location), "the error does not say {location}:\n{}", server.log());
    register(&server);
    assert_eq!(last_mark(&server).as_deref(), Some("v1"), "the old routes stopped answering");

    dir.write("regexroute.conf", &routes("v2"));
    let taken = server.wait_log("configuration reloaded", Duration::from_secs(10));
    assert!(taken, "the fixed file was not taken:\n{}", server.log());
    register(&server);
    assert_eq!(last_mark(&server).as_deref(), Some("v2"));
    let query = Client::new(server.udp).register("alice", "secret", "MD5", None);
    assert!(query.headers("Contact").len() >= 3, "registrations did not survive the reload: {}", query.text);
}

#[test]
fn sighup_reloads() {
    let dir = TempDir::new("sighup");
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", YSIPCHAN);
    dir.write("regexroute.conf", &routes("v1"));
    let server = Server::start(dir.path());
    server.hangup();
    assert!(server.wait_log("reloading: SIGHUP", Duration::from_secs(10)), "{}", server.log());
    assert!(server.wait_log("configuration reloaded", Duration::from_secs(10)), "{}", server.log());
    register(&server);
    assert_eq!(last_mark(&server).as_deref(), Some("v1"));
}
