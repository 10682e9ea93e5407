//! Rules that route from inside registration handling: regfile's `call.route` answers from the registrations.

mod serve_support;

use serve_support::{Client, Server, TempDir, REGFILE, YSIPCHAN};

/// Every `user.register` dispatches a `call.route` for the same user, synchronously:
/// the registrar is in the middle of the REGISTER when regfile's handler runs.
const ROUTES: &str = "[extra]\nuser.register=50\n\n[user.register]\n.*=dispatch call.route;called=${username}\n";

/// The `call.route` messages once there are `n` (the bus log is written after the answer).
fn nested_routes(server: &Server, n: usize) -> Vec<serde_json::Value> {
    serve_support::wait_for(std::time::Duration::from_secs(3), || server.bus_named("call.route").len() >= n);
    server.bus_named("call.route")
}

#[test]
fn call_route_dispatched_inside_user_register_sees_the_registrations() {
    let dir = TempDir::new("nested");
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", YSIPCHAN);
    dir.write("regexroute.conf", ROUTES);
    let server = Server::start(dir.path());
    let first = Client::new(server.udp);
    let r = first.register("alice", "secret", "MD5", Some(600));
    assert_eq!(r.code, 200, "{}", r.text);
    let routes = nested_routes(&server, 1);
    assert_eq!(routes.len(), 1, "{:?}", server.bus());
    // Before its first REGISTER is stored, alice is known but offline.
    assert_eq!(routes[0]["handled"], false);
    assert!(routes[0]["params"].as_array().unwrap().iter().any(|p| p[0] == "error" && p[1] == "offline"));

    let r = Client::new(server.udp).register("alice", "secret", "MD5", Some(600));
    assert_eq!(r.code, 200, "{}", r.text);
    let routes = nested_routes(&server, 2);
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[1]["handled"], true);
    assert_eq!(routes[1]["retvalue"], format!("sip/sip:alice@127.0.0.1:{}", first.port()));
}

#[test]
fn rules_see_the_modules_a_yate_would_have_loaded() {
    let dir = TempDir::new("loaded");
    dir.write("regfile.conf", REGFILE);
    dir.write("ysipchan.conf", YSIPCHAN);
    let routes = "[$enabled $loaded regfile]\n[extra]\nuser.register=50\n[$enabled]\n\n\
[user.register]\n.*=;ysip=$(loaded,ysipchan);other=$(loaded,pbx)\n";
    dir.write("regexroute.conf", routes);
    let server = Server::start(dir.path());
    let r = Client::new(server.udp).register("bob", "secret2", "MD5", Some(600));
    assert_eq!(r.code, 200, "{}", r.text);
    let reg = server.bus_named("user.register");
    let params = reg[0]["params"].as_array().unwrap();
    assert!(params.iter().any(|p| p[0] == "ysip" && p[1] == "true"), "{params:?}");
    assert!(params.iter().any(|p| p[0] == "other" && p[1] == "false"), "{params:?}");
}
