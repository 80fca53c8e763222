//! `piasheet diff`: field-by-field differences between two records, e.g. two years of
//! the same sheet. What the file was (source), how it was read (warnings, status,
//! provenance) is left out: only what the sheet says.

use serde::Serialize;
use serde_json::Value;

/// One differing field.
#[derive(Debug, Serialize, PartialEq)]
pub struct Difference {
    pub path: String,
    pub old: Value,
    pub new: Value,
}

const IGNORED: &[&str] = &["source", "warnings", "status", "provenance"];

/// Leaves of a record by path. A choice is one leaf (its code and label change
/// together); arrays are indexed as `changes[3].after`.
fn leaves(v: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) if !(m.contains_key("code") && m.contains_key("label")) => {
            for (k, x) in m {
                if path.is_empty() && IGNORED.contains(&k.as_str()) {
                    continue;
                }
                leaves(x, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, &format!("{path}[{i}]"), out);
            }
            if a.is_empty() {
                out.push((path.to_string(), Value::Array(vec![])));
            }
        }
        other => out.push((path.to_string(), other.clone())),
    }
}

/// The fields that differ, in the order of `a` (then fields only in `b`).
pub fn diff(a: &Value, b: &Value) -> Vec<Difference> {
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    leaves(a, "", &mut la);
    leaves(b, "", &mut lb);
    let mut out = Vec::new();
    for (p, va) in &la {
        let vb = lb.iter().find(|(q, _)| q == p).map(|(_, v)| v.clone()).unwrap_or(Value::Null);
        if *va != vb {
            out.push(Difference { path: p.clone(), old: va.clone(), new: vb });
        }
    }
    for (p, vb) in &lb {
        if !la.iter().any(|(q, _)| q == p) && !vb.is_null() {
            out.push(Difference { path: p.clone(), old: Value::Null, new: vb.clone() });
        }
    }
    out
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        Value::Object(m) if m.contains_key("label") => {
            // A choice: "2) 十分である", with its other parts (as_of …) after it.
            let mut s = format!("{}) {}", m["code"], m["label"].as_str().unwrap_or_default());
            for (k, x) in m.iter().filter(|(k, x)| !matches!(k.as_str(), "code" | "label" | "at_least" | "less_than") && !x.is_null()) {
                s += &format!(" [{k} {}]", show(x));
            }
            s
        }
        other => other.to_string(),
    }
}

/// Terminal form: `path: old → new`; multi-line texts as -/+ lines.
pub fn render_text(diffs: &[Difference]) -> String {
    let mut out = String::new();
    for d in diffs {
        let (a, b) = (show(&d.old), show(&d.new));
        if a.contains('\n') || b.contains('\n') {
            out += &format!("{}:\n", d.path);
            for change in similar::TextDiff::from_lines(&a, &b).iter_all_changes() {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => "-",
                    similar::ChangeTag::Insert => "+",
                    similar::ChangeTag::Equal => " ",
                };
                out += &format!("  {sign} {}", change.value());
                if !change.value().ends_with('\n') {
                    out.push('\n');
                }
            }
        } else {
            out += &format!("{}: {a} → {b}\n", d.path);
        }
    }
    out
}
