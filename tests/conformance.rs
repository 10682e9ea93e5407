//! Every route case in `conformance/route/` through the `rexroute route` binary, with
//! both engines, compared with the result recorded from Yate (one test per case).

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const COMPARED: &[&str] = &["handled", "name", "retvalue", "params", "params_list", "echo", "enqueued"];
const ENQ_COMPARED: &[&str] = &["name", "handled", "retvalue", "params", "phase"];

/// Parameters as ordered pairs, whether written as an object or a list.
fn pairs(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Object(m)) => Value::Array(m.iter().map(|(k, v)| pair(k, v)).collect()),
        Some(Value::Array(l)) => {
            Value::Array(l.iter().filter_map(|p| p.as_array()).map(|p| pair(&text(&p[0]), &p[1])).collect())
        }
        _ => Value::Array(vec![]),
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn pair(k: &str, v: &Value) -> Value {
    Value::Array(vec![Value::String(k.to_string()), Value::String(text(v))])
}

fn canon(line: &Value, expected: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for k in COMPARED {
        if *k == "params_list" && expected.get(k).is_none() {
            continue;
        }
        let v = match *k {
            "params" | "params_list" => pairs(line.get(k)),
            "enqueued" => Value::Array(
                line.get(k).and_then(Value::as_array).map(|l| l.iter().map(enqueued).collect()).unwrap_or_default(),
            ),
            "echo" => line.get(k).cloned().unwrap_or(Value::Array(vec![])),
            _ => line.get(k).cloned().unwrap_or(Value::Null),
        };
        out.push((k.to_string(), v));
    }
    out
}

fn enqueued(m: &Value) -> Value {
    let mut o = serde_json::Map::new();
    for k in ENQ_COMPARED {
        let v = if *k == "params" { pairs(m.get(k)) } else { m.get(k).cloned().unwrap_or(Value::Null) };
        o.insert(k.to_string(), v);
    }
    Value::Object(o)
}

/// Both engines must give Yate's results: the decision program and the reference walk.
fn route_case(expected_path: &Path) -> datatest_stable::Result<()> {
    for engine in ["compiled", "naive"] {
        route_with(expected_path, engine).map_err(|e| format!("engine {engine}: {e}"))?;
    }
    Ok(())
}

fn route_with(expected_path: &Path, engine: &str) -> datatest_stable::Result<()> {
    let dir = expected_path.parent().ok_or("no case folder")?;
    let expected = std::fs::read_to_string(expected_path)?;
    let out = Command::new(env!("CARGO_BIN_EXE_rexroute"))
        .args(["route", "--engine", engine, "--batch", "input.jsonl", "regexroute.conf"])
        .current_dir(dir)
        .output()?;
    if !out.status.success() {
        return Err(format!("exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr)).into());
    }
    let got: Vec<&str> = std::str::from_utf8(&out.stdout)?.lines().filter(|l| !l.trim().is_empty()).collect();
    let exp: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    if got.len() != exp.len() {
        return Err(format!("{} output lines, expected {}", got.len(), exp.len()).into());
    }
    for (i, (e, g)) in exp.iter().zip(&got).enumerate() {
        let e: Value = serde_json::from_str(e)?;
        let g: Value = serde_json::from_str(g)?;
        let (ce, cg) = (canon(&e, &e), canon(&g, &e));
        for ((k, ev), (_, gv)) in ce.iter().zip(&cg) {
            if ev != gv {
                return Err(format!("line {}: {k}: expected {ev} got {gv}", i + 1).into());
            }
        }
    }
    Ok(())
}

datatest_stable::harness!(route_case, "conformance/route", r"expected\.jsonl$");
