//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

pub const SAMPLE: &str = "input/000_72349b560cd020d7.txt";

pub fn sample_text() -> String {
    std::fs::read_to_string(SAMPLE).expect("sample dump in input/")
}

pub fn golden() -> Value {
    serde_json::from_str(&std::fs::read_to_string("tests/golden/000_72349b560cd020d7.json").unwrap()).unwrap()
}

/// Text compared as the project's scorer does: NFKC, white space removed.
pub fn canon(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.nfkc().filter(|c| !c.is_whitespace()).collect()),
        other => other.clone(),
    }
}

/// Every leaf of `expected` (but the ignored paths) must equal the same leaf of
/// `actual`; returns the differing paths.
pub fn field_diffs(expected: &Value, actual: &Value, ignore: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    walk(expected, actual, "", ignore, &mut out);
    out
}

fn walk(e: &Value, a: &Value, path: &str, ignore: &[&str], out: &mut Vec<String>) {
    if ignore.contains(&path) {
        return;
    }
    match e {
        Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(v, a.get(k).unwrap_or(&Value::Null), &p, ignore, out);
            }
        }
        Value::Array(items) => {
            let got = a.as_array().cloned().unwrap_or_default();
            if got.len() != items.len() {
                out.push(format!("{path}: {} items, want {}", got.len(), items.len()));
            }
            for (i, v) in items.iter().enumerate() {
                walk(v, got.get(i).unwrap_or(&Value::Null), &format!("{path}[{i}]"), ignore, out);
            }
        }
        leaf => {
            if canon(leaf) != canon(a) {
                out.push(format!("{path}: want {leaf} got {a}"));
            }
        }
    }
}

pub fn extract(text_or_bytes: &[u8]) -> Value {
    serde_json::to_value(piasheet::extract_text_dump(SAMPLE, text_or_bytes)).unwrap()
}
