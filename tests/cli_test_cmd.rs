//! `rexroute test`: the worked examples pass, and wrong expectations are reported.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rexroute_test(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_rexroute")).arg("test").args(args).current_dir(root()).output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run rexroute: {e}"),
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn last_line(o: &Output) -> String {
    stdout(o).lines().last().unwrap_or_default().to_string()
}

/// (passed, failed) from the summary line, which must be exactly `N passed, M failed`.
fn summary(o: &Output) -> (usize, usize) {
    let line = last_line(o);
    let parse = |s: Option<&str>| s.and_then(|n| n.parse().ok());
    let mut words = line.split(' ');
    let passed = parse(words.next());
    let rest: Vec<&str> = words.collect();
    match (passed, rest.as_slice()) {
        (Some(p), ["passed,", f, "failed"]) => match parse(Some(f)) {
            Some(f) => (p, f),
            None => panic!("bad summary line {line:?}"),
        },
        _ => panic!("bad summary line {line:?}"),
    }
}

/// Every folder under examples/ with a `*.test.toml` file.
fn example_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root().join("examples")) else { return out };
    for e in entries.flatten() {
        let dir = e.path();
        let has_tests = std::fs::read_dir(&dir)
            .map(|r| r.flatten().any(|f| f.file_name().to_string_lossy().ends_with(".test.toml")))
            .unwrap_or(false);
        if has_tests {
            out.push(dir);
        }
    }
    out.sort();
    out
}

#[test]
fn every_example_passes() {
    let dirs = example_dirs();
    assert!(dirs.iter().any(|d| d.ends_with("basic")), "examples/basic is missing");
    for dir in dirs {
        let rel = dir.strip_prefix(root()).unwrap_or(&dir).to_string_lossy().into_owned();
        let o = rexroute_test(&[&rel]);
        assert_eq!(o.status.code(), Some(0), "{rel}:\n{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        let (passed, failed) = summary(&o);
        assert_eq!(failed, 0);
        assert!(passed > 0, "{rel} ran no case");
    }
}

#[test]
fn basic_example_runs_its_cases() {
    let o = rexroute_test(&["examples/basic/routes.test.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(last_line(&o), "15 passed, 0 failed");
    assert_eq!(stdout(&o).lines().count(), 1, "passing cases print nothing without -v");
    let v = rexroute_test(&["-v", "examples/basic/routes.test.toml"]);
    assert_eq!(stdout(&v).lines().filter(|l| l.starts_with("ok ")).count(), 15);
}

#[test]
fn wrong_expectations_fail_with_expected_and_got() {
    let o = rexroute_test(&["tests/fixtures/wrong.test.toml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(summary(&o), (1, 2));
    assert_eq!(out.lines().filter(|l| l.starts_with("FAIL ")).count(), 2, "{out}");
    assert!(out.contains("FAIL tests/fixtures/wrong.test.toml:10: wrong: the international call"), "{out}");
    assert!(
        out.contains(
            "  target: expected \"sip/sip:+4420794600@trunk2.example.net\", \
             got \"sip/sip:+4420794600@trunk1.example.net\""
        ),
        "{out}"
    );
    assert!(out.contains("  params.called: expected absent, got \"+4420794600\""), "{out}");
    assert!(out.contains("  handled: expected false, got true"), "{out}");
    assert!(out.contains("  echo: expected [], got [\"EMERGENCY: 101 dialled 110\"]"), "{out}");
    assert!(out.contains("  enqueued[0].phase: expected sync, got async"), "{out}");
    assert!(out.contains("  trace:\n    context 'internal' (depth 0), match string \"004420794600\""), "{out}");
    assert!(out.contains("regexroute.conf:35:1 internal#4: ^00\\([1-9][0-9]*\\)$=goto outbound;called=+\\1"), "{out}");
    assert!(out.contains("matched, captures \\0=\"004420794600\" \\1=\"4420794600\""), "{out}");
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rexroute-test-cmd-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{}: {e}", dir.display());
    }
    dir
}

fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        panic!("{}: {e}", path.display());
    }
}

#[test]
fn unknown_keys_are_errors_with_their_location() {
    let dir = scratch("unknown");
    write(&dir.join("r.conf"), "[default]\n.*=x\n");
    let t = dir.join("r.test.toml");
    write(&t, "config = \"r.conf\"\n\n[[case]]\nparams = { called = \"1\" }\nexpect.tagret = \"x\"\n");
    let o = rexroute_test(&[&t.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 5, column 8"), "{err}");
    assert!(err.contains("unknown field `tagret`"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_config_is_an_error() {
    let dir = scratch("noconf");
    let t = dir.join("x.test.toml");
    write(&t, "config = \"nope.conf\"\n");
    let o = rexroute_test(&[&t.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.conf"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn duplicate_params_and_globals_carry_over() {
    let dir = scratch("dups");
    write(&dir.join("r.conf"), "[default]\n.*=$(++$n);dup=changed\n");
    let t = dir.join("r.test.toml");
    write(
        &t,
        "config = \"r.conf\"\n\
         [[case]]\nparams = [[\"called\", \"1\"], [\"dup\", \"a\"], [\"dup\", \"b\"]]\n\
         expect.target = \"1\"\nexpect.params = [[\"dup\", \"changed\"], [\"dup\", \"b\"]]\n\
         [[case]]\nparams = { called = \"1\" }\nexpect.target = \"2\"\n",
    );
    let o = rexroute_test(&[&t.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(last_line(&o), "2 passed, 0 failed");
    let _ = std::fs::remove_dir_all(&dir);
}
