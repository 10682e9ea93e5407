//! JSON lines in and out, in the conformance format (`../shared/conformance/README.md`).

use crate::bus::{Finished, Outcome, Phase};
use crate::runtime::message::Message;
use serde_json::Value;
use std::fmt::Write;

/// One input line.
pub struct Input {
    /// The message to dispatch.
    pub msg: Message,
}

/// Parses an input line: `{"name":..., "params": {...} | [[k,v],...], "retvalue":..., "time":...}`.
pub fn parse_input(line: &str, default_time: u64) -> Result<Input, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = v.as_object().ok_or("input line is not a JSON object")?;
    let name = obj.get("name").map(text).unwrap_or_else(|| "call.route".to_string());
    let mut msg = Message::new(name.into_bytes());
    match obj.get("params") {
        Some(Value::Object(m)) => {
            for (k, v) in m {
                msg.add(k.as_bytes(), text(v).as_bytes());
            }
        }
        Some(Value::Array(list)) => {
            for pair in list {
                let p =
                    pair.as_array().filter(|p| p.len() == 2).ok_or("params list items must be [name, value] pairs")?;
                msg.add(text(&p[0]).as_bytes(), text(&p[1]).as_bytes());
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => return Err("params must be an object or a list of pairs".to_string()),
    }
    msg.retvalue = obj.get("retvalue").map(text).unwrap_or_default().into_bytes();
    msg.time = match obj.get("time") {
        Some(t) => t.as_u64().or_else(|| t.as_f64().map(|f| f as u64)).ok_or("time must be a number of seconds")?,
        None => default_time,
    };
    Ok(Input { msg })
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn js(b: &[u8]) -> String {
    Value::String(String::from_utf8_lossy(b).into_owned()).to_string()
}

fn params_json(out: &mut String, m: &Message) {
    out.push('{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}: {}", js(k), js(v));
    }
    out.push('}');
}

fn has_duplicates(m: &Message) -> bool {
    m.iter().enumerate().any(|(i, (k, _))| m.iter().take(i).any(|(k2, _)| k2 == k))
}

fn message_fields(out: &mut String, m: &Message, handled: bool) {
    let _ = write!(
        out,
        "\"handled\": {handled}, \"name\": {}, \"retvalue\": {}, \"params\": ",
        js(&m.name),
        js(&m.retvalue)
    );
    params_json(out, m);
    if has_duplicates(m) {
        let list: Vec<Value> = m
            .iter()
            .map(|(k, v)| {
                Value::Array(vec![
                    Value::String(String::from_utf8_lossy(k).into()),
                    Value::String(String::from_utf8_lossy(v).into()),
                ])
            })
            .collect();
        let _ = write!(out, ", \"params_list\": {}", Value::Array(list));
    }
}

/// The output line for one input message.
pub fn result_line(m: &Message, handled: bool, o: &Outcome) -> String {
    let mut s = String::from("{");
    message_fields(&mut s, m, handled);
    let strs = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect()).to_string();
    let _ = write!(s, ", \"echo\": {}, \"log\": {}, \"enqueued\": [", strs(&o.echo), strs(&o.log));
    for (i, f) in o.finished.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        finished_json(&mut s, f);
    }
    s.push(']');
    if let Some(t) = &o.trace {
        let _ = write!(s, ", \"trace\": {}", strs(t));
    }
    s.push('}');
    s
}

fn finished_json(s: &mut String, f: &Finished) {
    s.push('{');
    message_fields(s, &f.msg, f.handled);
    let phase = match f.phase {
        Phase::Sync => "sync",
        Phase::Async => "async",
    };
    let _ = write!(s, ", \"phase\": \"{phase}\"}}");
}
