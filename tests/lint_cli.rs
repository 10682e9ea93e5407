//! `rexroute lint` through the binary: exit statuses 0/1/2 and the JSON fields.

use std::path::PathBuf;
use std::process::{Command, Output};

fn lint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rexroute")).arg("lint").args(args).output().expect("binary runs")
}

fn write(name: &str, text: &str) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("temp file written");
    path.display().to_string()
}

#[test]
fn clean_file_exits_0() {
    let f = write("clean.conf", "[default]\n^1$=tone/busy\n");
    let out = lint(&[&f]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no problems found"));
}

#[test]
fn warnings_only_exit_0() {
    let f = write("warn.conf", "[default]\n#^1$=tone/busy\n");
    let out = lint(&[&f]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 errors, 1 warning"));
}

#[test]
fn errors_exit_1() {
    let f = write("error.conf", "[default]\n^\\(1$=tone/busy\n");
    assert_eq!(lint(&[&f]).status.code(), Some(1));
}

#[test]
fn usage_and_io_failures_exit_2() {
    assert_eq!(lint(&[]).status.code(), Some(2));
    assert_eq!(lint(&["--format", "xml", "x.conf"]).status.code(), Some(2));
    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-file.conf");
    let out = lint(&[&missing.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-file.conf"));
}

#[test]
fn json_lines_carry_positions_and_codes() {
    let f = write("json.conf", "[default]\n^1$=goto nowhere\n#x=y\n");
    let out = lint(&["--format", "json", &f]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let objs: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("each line is a JSON object")).collect();
    assert_eq!(objs.len(), 2, "{stdout}");
    let goto = &objs[0];
    assert_eq!(goto["file"], f.as_str());
    assert_eq!(goto["code"], "RR106");
    assert_eq!(goto["severity"], "error");
    assert_eq!((goto["line"].as_u64(), goto["column"].as_u64()), (Some(2), Some(5)));
    assert_eq!((goto["end_line"].as_u64(), goto["end_column"].as_u64()), (Some(2), Some(17)));
    assert!(goto["message"].as_str().is_some_and(|m| m.contains("nowhere")));
    assert_eq!(objs[1]["code"], "RR103");
    assert_eq!(objs[1]["severity"], "warning");
}
