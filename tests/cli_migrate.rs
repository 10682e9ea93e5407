//! `rexroute migrate`: the report, its groups and locations, the copies and the exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rexroute-migrate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(dir.join("yate/regexroute.d")) {
        panic!("{}: {e}", dir.display());
    }
    dir
}

fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        panic!("{}: {e}", path.display());
    }
}

fn read(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

fn migrate(yate: &Path, out: &Path) -> Output {
    let cmd = Command::new(env!("CARGO_BIN_EXE_rexroute")).arg("migrate").arg(yate).arg("--out").arg(out).output();
    match cmd {
        Ok(o) => o,
        Err(e) => panic!("cannot run rexroute: {e}"),
    }
}

/// The item lines of one `## TITLE` group of MIGRATION.md.
fn group(md: &str, title: &str) -> Vec<String> {
    let head = format!("## {title}\n");
    let Some(start) = md.find(&head) else { panic!("no group {title:?} in\n{md}") };
    let body = &md[start + head.len()..];
    let end = body.find("\n## ").unwrap_or(body.len());
    body[..end].lines().filter(|l| l.starts_with("- ")).map(str::to_string).collect()
}

fn has(items: &[String], place: &str, text: &str) -> bool {
    items.iter().any(|l| l.starts_with(&format!("- `{place}`: ")) && l.contains(text))
}

const CONF: &str = "\
[priorities]
status=120
trackparam=no
route=90

[$include regexroute.d]

[default]
^1\\(..\\)$=sip/sip:\\1@pbx;gw=$(config,general,gateway)
.*=msleep 90000

[extra]
chan.notify=100,,notify
call.cdr=80,,nosuchcontext

[notify]
.*=noop
";

fn plain_dir(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = scratch(name);
    let yate = dir.join("yate");
    write(&yate.join("regexroute.conf"), CONF);
    write(&yate.join("regexroute.d/10-local.conf"), "[local]\n^2$=sip/sip:2@pbx\n");
    write(&yate.join("yate.conf"), "[general]\nmaxworkers=10\n");
    (dir.clone(), yate, dir.join("out"))
}

#[test]
fn plain_regexroute_dir_is_supported() {
    let (dir, yate, out) = plain_dir("plain");
    let o = migrate(&yate, &out);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    let md = read(&out.join("MIGRATION.md"));
    assert_eq!(stdout, md, "the report is printed as written");
    assert_eq!(read(&out.join("regexroute.conf")), CONF);
    assert!(read(&out.join("regexroute.d/10-local.conf")).contains("^2$"));
    assert!(!out.join("yate.conf").exists());

    let same = group(&md, "Runs as in Yate");
    assert!(has(&same, "regexroute.conf:4", "call.route handler at priority 90"), "{same:?}");
    assert!(has(&same, "regexroute.conf:3", "no handler tracking"), "{same:?}");
    assert!(has(&same, "regexroute.conf:6", "followed, reads `regexroute.d/10-local.conf`"), "{same:?}");
    assert!(has(&same, "regexroute.conf:13", "handler for `chan.notify` at priority 100"), "{same:?}");
    assert!(has(&same, "regexroute.conf:8", "`[default]`"), "{same:?}");
    assert!(has(&same, "regexroute.d/10-local.conf:1", "`[local]`: context, 1 rule"), "{same:?}");

    let differs = group(&md, "Read differently");
    assert!(has(&differs, "regexroute.conf:9", "`$(config,general,gateway)` reads rexroute's engine"), "{differs:?}");
    assert!(has(&differs, "regexroute.conf:10", "`msleep 90000`: rexroute sleeps at most 60 s"), "{differs:?}");

    let ignored = group(&md, "Ignored");
    assert!(has(&ignored, "regexroute.conf:2", "no `status` command"), "{ignored:?}");
    assert!(has(&ignored, "regexroute.conf:14", "context `[nosuchcontext]` does not exist"), "{ignored:?}");
    assert!(has(&ignored, "yate.conf", "`$(config,…)` in the rules does not see it"), "{ignored:?}");

    assert!(group(&md, "Not supported yet").is_empty());
    assert!(md.contains("Everything this directory uses is supported."));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sip_files_are_reported_option_by_option() {
    let (dir, yate, out) = plain_dir("sip");
    write(&yate.join("regfile.conf"), "[general]\nfile=/var/lib/yate/reg.conf\n[alice]\npassword=secret\n");
    write(
        &yate.join("ysipchan.conf"),
        "[general]\nmaxpkt=4096\nauth_copy_headers=X-A\n[listener secure]\ntype=tls\n[methods]\nmessage=yes\n",
    );
    write(&yate.join("lateroute.conf"), "[general]\ntypes=lateroute\n");
    let o = migrate(&yate, &out);
    assert_eq!(o.status.code(), Some(1), "a TLS listener is not supported");
    let md = read(&out.join("MIGRATION.md"));
    let same = group(&md, "Runs as in Yate");
    assert!(has(&same, "regfile.conf:3", "`[alice]`"), "{same:?}");
    assert!(has(&same, "ysipchan.conf:7", "MESSAGE handled as `sip.message`, digest-challenged"), "{same:?}");
    assert!(has(&same, "ysipchan.conf:3", "`[general] auth_copy_headers`"), "{same:?}");
    assert!(has(&same, "lateroute.conf:2", "`[general] types`"), "{same:?}");
    let differs = group(&md, "Read differently");
    assert!(has(&differs, "regfile.conf:2", "own JSON state file"), "{differs:?}");
    assert!(has(&differs, "ysipchan.conf:2", "`513 Message Too Large`"), "{differs:?}");
    assert!(has(&differs, "lateroute.conf:1", "set `msg_route=call.route`"), "{differs:?}");
    let unsupported = group(&md, "Not supported yet");
    assert_eq!(unsupported.len(), 1, "{unsupported:?}");
    assert!(has(&unsupported, "ysipchan.conf:5", "`[listener secure] type`"), "{unsupported:?}");
    for f in ["regfile.conf", "ysipchan.conf", "lateroute.conf"] {
        assert_eq!(read(&out.join(f)), read(&yate.join(f)), "{f} is copied for rexroute serve");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_chat_example_migrates_completely() {
    let (dir, _, out) = plain_dir("chat");
    let chat = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/chat");
    let o = migrate(&chat, &out);
    let md = read(&out.join("MIGRATION.md"));
    assert_eq!(o.status.code(), Some(0), "{md}");
    assert!(group(&md, "Not supported yet").is_empty());
    assert!(md.contains("Everything this directory uses is supported."));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn loader_notes_and_disabled_regions_are_reported() {
    let dir = scratch("notes");
    let yate = dir.join("yate");
    let out = dir.join("out");
    write(
        &yate.join("regexroute.conf"),
        "^0$=dropped\n[$include missing.conf]\n[$enabled $loaded ysipchan]\n[$include sip.conf]\n[$enabled]\n\
         [$once]\nloop=$(loop)\n[priorities]\nrex_debug=no\nroute=100\nroute=50\n",
    );
    write(&yate.join("sip.conf"), "[x]\n");
    let o = migrate(&yate, &out);
    assert_eq!(o.status.code(), Some(0));
    let md = read(&out.join("MIGRATION.md"));
    let ignored = group(&md, "Ignored");
    assert!(has(&ignored, "regexroute.conf:1", "outside any section"), "{ignored:?}");
    assert!(has(&ignored, "regexroute.conf:2", "could not be read"), "{ignored:?}");
    assert!(has(&ignored, "regexroute.conf:4", "inside a disabled `$enabled` region"), "{ignored:?}");
    assert!(has(&ignored, "regexroute.conf:11", "only the first `route` (line 10) counts"), "{ignored:?}");
    assert!(has(&ignored, "sip.conf", "not read by rexroute"), "{ignored:?}");
    let differs = group(&md, "Read differently");
    assert!(has(&differs, "regexroute.conf:3", "only `regexroute` as a loaded module"), "{differs:?}");
    assert!(has(&differs, "regexroute.conf:7", "global `$loop` expands into itself"), "{differs:?}");
    assert!(has(&differs, "regexroute.conf:9", "rex_debug"), "{differs:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_exit_2() {
    let dir = scratch("bad");
    let yate = dir.join("yate");
    let o = migrate(&yate, &dir.join("out"));
    assert_eq!(o.status.code(), Some(2), "no regexroute.conf");
    write(&yate.join("regexroute.conf"), "[default]\n");
    let o = migrate(&yate, &yate);
    assert_eq!(o.status.code(), Some(2), "--out is the Yate directory");
    assert!(!yate.join("MIGRATION.md").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
