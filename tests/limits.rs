//! Limits that keep hostile or mistaken configurations from crashing or hanging routing.

use std::process::Command;

fn route(name: &str, conf: &str, called: &str) -> serde_json::Value {
    route_with(name, conf, called, &[])
}

fn route_with(name: &str, conf: &str, called: &str, flags: &[&str]) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("rexroute-limits-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("regexroute.conf");
    std::fs::write(&path, conf).expect("write conf");
    let out = Command::new(env!("CARGO_BIN_EXE_rexroute"))
        .args(["route", "--param", &format!("called={called}")])
        .args(flags)
        .arg(&path)
        .output()
        .expect("run rexroute");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
    serde_json::from_slice(&out.stdout).expect("JSON line")
}

#[test]
fn dispatch_recursion_is_bounded() {
    let v = route("dispatch", "[default]\n.*=dispatch call.route;called=1\n", "1");
    assert_eq!(v["handled"], false);
    assert_eq!(v["enqueued"].as_array().map(Vec::len), Some(16));
    let log = v["log"].to_string();
    assert!(log.contains("Refusing to dispatch"), "{log}");
}

#[test]
fn dispatch_fan_out_is_bounded() {
    // Each call dispatches two more: 2^16 calls within the depth limit without a budget.
    let v = route("fan-out", "[default]\n.*=dispatch call.route;called=1\n.*=dispatch call.route;called=1\n", "1");
    assert_eq!(v["enqueued"].as_array().map(Vec::len), Some(1024));
    let log = v["log"].to_string();
    assert!(log.contains("dispatches already ran for this message"), "{log}");
}

#[test]
fn doubling_values_are_bounded() {
    // Forty doublings of a ten-byte parameter: ten terabytes without a limit.
    let conf = format!("[default]\n.*=;x=0123456789\n{}^1$=-\n", ".*=;x=${x}${x}\n".repeat(40));
    let v = route("doubling", &conf, "1");
    assert_eq!(v["handled"], true);
    let x = v["params"]["x"].as_str().map_or(0, str::len);
    assert!(x <= rexroute::runtime::vm::MAX_VALUE && x > rexroute::runtime::vm::MAX_VALUE / 2, "{x} bytes");
    let log = v["log"].to_string();
    assert_eq!(log.matches("Refusing to set 'x'").count(), 26, "{}", &log[..log.len().min(300)]);
}

#[test]
fn doubling_match_strings_names_and_return_values_are_bounded() {
    // Forty doublings of the match string and of the message's name (`newmatch`,
    // `rename`): a terabyte each without a limit. A return value built from a bounded
    // parameter three times is refused too.
    let conf = format!(
        "[default]\n.*=;x=0123456789\n{}.*=retval ${{x}}${{x}}\n.*=retval ${{x}}\n{}{}.*=;len=$(length,\\0)\n",
        ".*=;x=${x}${x}\n".repeat(40),
        ".*=newmatch \\0\\0\n".repeat(40),
        ".*=rename $(message,name)$(message,name)\n".repeat(40),
    );
    let v = route("doubling-keywords", &conf, "1");
    let max = rexroute::runtime::vm::MAX_VALUE;
    let len: usize = v["params"]["len"].as_str().and_then(|l| l.parse().ok()).unwrap_or(0);
    assert!(len <= max && len > max / 2, "match string of {len} bytes");
    let name = v["name"].as_str().map_or(0, str::len);
    assert!(name <= max && name > max / 2, "name of {name} bytes");
    let ret = v["retvalue"].as_str().map_or(0, str::len);
    assert!(ret <= max && ret > max / 2, "return value of {ret} bytes");
    let log = v["log"].to_string();
    for (what, want) in [("the match string", 22), ("the message name", 26), ("the return value", 1)] {
        let refused = log.matches(&format!("Refusing to set {what}")).count();
        assert_eq!(refused, want, "{what}");
    }
}

#[test]
fn traces_show_long_texts_cut() {
    // A 256 KiB match string at every line of a trace would make it grow with the
    // square of the match string: each line shows its first 256 bytes and its length.
    let conf = format!("[default]\n{}^1=x\n", ".*=newmatch \\0\\0\n".repeat(18));
    let v = route_with("trace-cut", &conf, "1", &["--trace"]);
    assert_eq!(v["handled"], true);
    let trace: Vec<&str> = v["trace"].as_array().map_or(Vec::new(), |t| t.iter().filter_map(|l| l.as_str()).collect());
    assert!(trace.iter().any(|l| l.contains("... (262144 bytes)")), "{:?}", &trace[trace.len().saturating_sub(3)..]);
    assert!(
        trace.iter().all(|l| l.len() < 1024),
        "a trace line of {} bytes",
        trace.iter().map(|l| l.len()).max().unwrap_or(0)
    );
}

#[test]
fn include_fan_out_is_bounded() {
    // Two includes that find nothing, at every level of 20: 2^21 context entries, and
    // a loop warning for each refused at the bottom, without a budget.
    let conf = "[priorities]\nmaxdepth=20\n[default]\n^never$=x\n.*=include default\n.*=include default\n";
    let v = route("include", conf, "1");
    assert_eq!(v["handled"], false);
    let log = v["log"].to_string();
    assert_eq!(log.matches("context entries already made for this message").count(), 1, "{log}");
    let lines = v["log"].as_array().map_or(0, Vec::len);
    assert!(lines <= 1100, "{lines} log lines");
}

#[test]
fn goto_loops_inside_dispatches_stay_within_the_stack() {
    let conf = "[priorities]\nmaxdepth=100\n[default]\n^1$=dispatch call.route;called=2\n^2$=goto default\n";
    let v = route("goto", conf, "1");
    assert_eq!(v["handled"], false);
    assert!(v["log"].to_string().contains("Possible loop detected"));
}
