//! `rexroute bench`: one JSON line counting every message routed, fresh or cold.

use std::process::Command;

fn bench(extra: &[&str]) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("rexroute-bench-{}-{}", std::process::id(), extra.len()));
    let _ = std::fs::create_dir_all(&dir);
    let conf = dir.join("regexroute.conf");
    let batch = dir.join("in.jsonl");
    let written = std::fs::write(&conf, "[default]\n^00\\(.*\\)$=sip/\\1\n.*=-;error=noroute\n")
        .and_then(|()| {
            std::fs::write(
                &batch,
                "{\"name\":\"call.route\",\"params\":{\"called\":\"0049\"}}\n{\"name\":\"call.route\",\"params\":{\"called\":\"1\"}}\n",
            )
        });
    if let Err(e) = written {
        panic!("cannot write the bench files: {e}");
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rexroute"));
    cmd.arg("bench").arg(&conf).arg("--batch").arg(&batch).args(["--repeat", "70"]).args(extra);
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run rexroute: {e}"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => panic!("not one JSON line: {e}: {}", String::from_utf8_lossy(&out.stdout)),
    }
}

#[test]
fn bench_counts_every_routed_message() {
    for extra in [&[][..], &["--cold"][..], &["--engine", "naive"][..]] {
        let v = bench(extra);
        assert_eq!(v["messages"], 140, "{extra:?}: {v}");
        assert_eq!(v["rules"], 2);
        let engine = if extra.contains(&"naive") { "naive" } else { "compiled" };
        assert_eq!(v["engine"], engine);
        assert!(v["per_second"].as_f64().is_some_and(|r| r > 0.0), "{v}");
    }
}
