//! `piasheet diff`: what changed between two filings of a sheet (e.g. two years of the
//! same sheet), or between two datasets ([`dataset`]).
//!
//! Fields are compared by path. Repeated rows (`changes[]`, `files[]`, `contracts[]` …)
//! are matched by content, so one back-dated 変更箇所 row inserted shows as one added
//! row, not as every later row shifted. Warnings and findings are compared as sets
//! (gained / lost). What the file was (`source`) and how it was read (`status`,
//! `error`, `provenance`) are left out. Works on records as JSON, so it follows the
//! record as the form grows.

pub mod dataset;
pub mod html;

use serde::Serialize;
use serde_json::Value;

/// How a path differs.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// A field whose value differs.
    Changed,
    /// A repeated row only in the new record.
    Added,
    /// A repeated row only in the old record.
    Removed,
    /// A warning or finding only in the new record.
    Gained,
    /// A warning or finding only in the old record.
    Lost,
}

/// One difference. `old` is null for added / gained, `new` null for removed / lost.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Difference {
    /// Dotted path; rows by index (`changes[1]`: the new index, the old one for removed).
    pub path: String,
    /// How it differs.
    pub change: Change,
    /// The old value (a row, a warning, or a field's value).
    pub old: Value,
    /// The new value.
    pub new: Value,
}

/// The differences of two records, and cautions that the two may not be the same
/// sheet at all (different bodies, affairs or kinds).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Report {
    /// `different bodies: …`, `different affairs: …`, `different kinds: …`.
    pub cautions: Vec<String>,
    /// In the order of the old record (then what only the new one has).
    pub differences: Vec<Difference>,
}

/// Top-level keys that say how the file was read, not what the sheet says.
const IGNORED: &[&str] = &["source", "status", "error", "provenance"];
/// Top-level lists compared as sets of `(code, path)`: what was found, not fields.
const SETS: &[&str] = &["warnings", "findings"];

/// Rows of a block this much alike (share of equal leaves) are one row changed rather
/// than one removed and one added.
const SAME_ROW: f64 = 0.5;

fn is_choice(v: &Value) -> bool {
    v.as_object().is_some_and(crate::dataset::columnar::is_choice)
}

/// A repeated block: an array holding objects (rows), matched by content.
fn is_rows(a: &[Value]) -> bool {
    a.iter().any(Value::is_object)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(a: &Value, b: &Value, path: &str, out: &mut Vec<Difference>) {
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) if !is_choice(a) && !is_choice(b) => {
            let keys = ma.keys().chain(mb.keys().filter(|k| !ma.contains_key(*k)));
            for k in keys {
                if path.is_empty() && IGNORED.contains(&k.as_str()) {
                    continue;
                }
                let (x, y) = (ma.get(k).unwrap_or(&Value::Null), mb.get(k).unwrap_or(&Value::Null));
                if path.is_empty() && SETS.contains(&k.as_str()) {
                    sets(x, y, k, out);
                    continue;
                }
                walk(x, y, &join(path, k), out);
            }
        }
        (Value::Array(xa), Value::Array(xb)) if is_rows(xa) || is_rows(xb) => rows(xa, xb, path, out),
        // A block present on one side only: its rows are all added (or removed).
        (Value::Null, Value::Array(xb)) if is_rows(xb) => rows(&[], xb, path, out),
        (Value::Array(xa), Value::Null) if is_rows(xa) => rows(xa, &[], path, out),
        _ if a != b => out.push(Difference { path: path.to_string(), change: Change::Changed, old: a.clone(), new: b.clone() }),
        _ => {}
    }
}

/// The key of a warning or finding: what it says about which field.
fn set_key(v: &Value) -> (String, String) {
    let s = |k: &str| v.get(k).map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).unwrap_or_default();
    (s("code"), s("path"))
}

/// Warnings or findings gained and lost (a list absent from an old record is empty).
fn sets(a: &Value, b: &Value, name: &str, out: &mut Vec<Difference>) {
    let (xa, xb) = (a.as_array().map_or(&[][..], Vec::as_slice), b.as_array().map_or(&[][..], Vec::as_slice));
    let mut unmatched: Vec<Option<(String, String)>> = xb.iter().map(|v| Some(set_key(v))).collect();
    for x in xa {
        let k = set_key(x);
        match unmatched.iter_mut().find(|u| u.as_ref() == Some(&k)) {
            Some(u) => *u = None,
            None => out.push(Difference { path: name.to_string(), change: Change::Lost, old: x.clone(), new: Value::Null }),
        }
    }
    for (y, u) in xb.iter().zip(&unmatched) {
        if u.is_some() {
            out.push(Difference { path: name.to_string(), change: Change::Gained, old: Value::Null, new: y.clone() });
        }
    }
}

/// Scalar leaves of a row, for how alike two rows are.
fn row_leaves(v: &Value) -> Vec<(String, &Value)> {
    crate::dataset::columnar::leaves(v, &[]).into_iter().collect()
}

/// Share of leaves two rows have equal (0 to 1).
fn alike(a: &Value, b: &Value) -> f64 {
    let (la, lb) = (row_leaves(a), row_leaves(b));
    let total = la.len().max(lb.len());
    if total == 0 {
        return 1.0;
    }
    let equal = la.iter().filter(|(k, v)| lb.iter().any(|(q, w)| q == k && w == v)).count();
    equal as f64 / total as f64
}

/// Rows matched by content: the longest run of equal rows in common stays, and in each
/// stretch between, a removed row and an added row that are alike are one row changed.
fn rows(a: &[Value], b: &[Value], path: &str, out: &mut Vec<Difference>) {
    let ka: Vec<String> = a.iter().map(Value::to_string).collect();
    let kb: Vec<String> = b.iter().map(Value::to_string).collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &ka, &kb);
    let (mut dels, mut ins): (Vec<usize>, Vec<usize>) = (vec![], vec![]);
    let flush = |dels: &mut Vec<usize>, ins: &mut Vec<usize>, out: &mut Vec<Difference>| {
        let mut next_ins = 0;
        let mut changed = Vec::new();
        for &i in dels.iter() {
            // Keep the order: a removed row pairs only with an added row after the last pair.
            let pair = (next_ins..ins.len()).find(|&n| alike(&a[i], &b[ins[n]]) >= SAME_ROW);
            match pair {
                Some(n) => {
                    for &j in &ins[next_ins..n] {
                        changed.push((None, Some(j)));
                    }
                    changed.push((Some(i), Some(ins[n])));
                    next_ins = n + 1;
                }
                None => changed.push((Some(i), None)),
            }
        }
        for &j in &ins[next_ins..] {
            changed.push((None, Some(j)));
        }
        for pair in changed {
            match pair {
                (Some(i), Some(j)) => walk(&a[i], &b[j], &format!("{path}[{j}]"), out),
                (Some(i), None) => out.push(Difference { path: format!("{path}[{i}]"), change: Change::Removed, old: a[i].clone(), new: Value::Null }),
                (None, Some(j)) => out.push(Difference { path: format!("{path}[{j}]"), change: Change::Added, old: Value::Null, new: b[j].clone() }),
                (None, None) => {}
            }
        }
        dels.clear();
        ins.clear();
    };
    for op in ops {
        match op {
            similar::DiffOp::Equal { .. } => flush(&mut dels, &mut ins, out),
            similar::DiffOp::Delete { old_index, old_len, .. } => dels.extend(old_index..old_index + old_len),
            similar::DiffOp::Insert { new_index, new_len, .. } => ins.extend(new_index..new_index + new_len),
            similar::DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                dels.extend(old_index..old_index + old_len);
                ins.extend(new_index..new_index + new_len);
            }
        }
    }
    flush(&mut dels, &mut ins, out);
}

/// The fields that differ, in the order of `a` (then fields only in `b`).
pub fn diff(a: &Value, b: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(a, b, "", &mut out);
    out
}

fn text_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The body a record is about: `name (lg_code)`.
fn body(v: &Value) -> String {
    let name = text_at(v, "/organization/name").or_else(|| text_at(v, "/header/evaluator")).unwrap_or("?");
    match text_at(v, "/organization/lg_code") {
        Some(code) => format!("{name} ({code})"),
        None => name.to_string(),
    }
}

/// Why two records may not be two versions of one sheet.
pub fn cautions(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let same_body = match (text_at(a, "/organization/lg_code"), text_at(b, "/organization/lg_code")) {
        (Some(x), Some(y)) => x == y,
        _ => {
            let name = |v| text_at(v, "/organization/name").or_else(|| text_at(v, "/header/evaluator"));
            name(a) == name(b)
        }
    };
    if !same_body {
        out.push(format!("different bodies: {} → {}", body(a), body(b)));
    }
    let title = |v| text_at(v, "/header/title");
    if title(a) != title(b) {
        // One line each: a title misread from a poor dump can be a page long.
        let short = |t: Option<&str>| {
            let t = t.unwrap_or("?");
            if t.chars().count() > 60 { format!("{}…", t.chars().take(60).collect::<String>()) } else { t.to_string() }
        };
        out.push(format!("different affairs: {} → {}", short(title(a)), short(title(b))));
    }
    let kind = |v| text_at(v, "/kind");
    if kind(a) != kind(b) {
        out.push(format!("different kinds: {} → {}", kind(a).unwrap_or("?"), kind(b).unwrap_or("?")));
    }
    out
}

/// Compare two records: cautions, then differences.
pub fn compare(a: &Value, b: &Value) -> Report {
    Report { cautions: cautions(a, b), differences: diff(a, b) }
}

/// A value in one line or block of text: a choice as `2) 十分である` with its other parts.
pub fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        Value::Object(m) if is_choice(v) => {
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

/// A row (added or removed) in one line: its non-empty leaves, long texts cut.
pub fn show_row(v: &Value) -> String {
    let Some(m) = v.as_object() else { return show(v) };
    let cut = |s: String| if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s };
    m.iter()
        .filter(|(_, x)| !x.is_null())
        .map(|(k, x)| format!("{k}={}", cut(show(x).replace('\n', "⏎"))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One warning or finding in one line: `code at path: message`.
fn show_found(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    format!("{} at {}: {}", s("code"), s("path"), s("message"))
}

/// Terminal form of differences: `path: old → new`; multi-line texts as -/+ lines;
/// rows as `path added: …`; warnings and findings as `warnings gained: …`.
pub fn render_text(diffs: &[Difference]) -> String {
    let mut out = String::new();
    for d in diffs {
        match d.change {
            Change::Added => out += &format!("{} added: {}\n", d.path, show_row(&d.new)),
            Change::Removed => out += &format!("{} removed: {}\n", d.path, show_row(&d.old)),
            Change::Gained => out += &format!("{} gained: {}\n", d.path, show_found(&d.new)),
            Change::Lost => out += &format!("{} lost: {}\n", d.path, show_found(&d.old)),
            Change::Changed => {
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
        }
    }
    out
}

/// Terminal form of a report: `caution: …` lines, then the differences.
pub fn render_report(r: &Report) -> String {
    let mut out: String = r.cautions.iter().map(|c| format!("caution: {c}\n")).collect();
    out += &render_text(&r.differences);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(date: &str, item: &str, after: &str) -> Value {
        json!({"date": date, "item": item, "before": "x", "after": after, "timing": "事後"})
    }

    #[test]
    fn an_inserted_row_is_one_added_row() {
        let a = json!({"changes": [row("2016-04-01", "Ⅰ5", "a"), row("2017-04-01", "Ⅰ5", "b"), row("2018-04-01", "Ⅰ6", "c")]});
        let mut b = a.clone();
        b["changes"].as_array_mut().unwrap().insert(0, row("2015-01-01", "Ⅱ1", "new"));
        let d = diff(&a, &b);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].path.as_str(), d[0].change), ("changes[0]", Change::Added));
    }

    #[test]
    fn an_edited_row_is_one_row_changed_field_by_field() {
        let a = json!({"changes": [row("2016-04-01", "Ⅰ5", "a"), row("2017-04-01", "Ⅰ5", "b")]});
        let b = json!({"changes": [row("2016-04-01", "Ⅰ5", "a"), row("2017-04-01", "Ⅰ5", "B")]});
        let d = diff(&a, &b);
        assert_eq!(d, [Difference { path: "changes[1].after".into(), change: Change::Changed, old: "b".into(), new: "B".into() }]);
        // A row replaced by one with nothing in common is removed + added.
        let c = json!({"changes": [row("2016-04-01", "Ⅰ5", "a"), json!({"date": "2020-01-01", "item": "Ⅲ", "before": "p", "after": "q", "timing": "事前"})]});
        let kinds: Vec<Change> = diff(&a, &c).iter().map(|d| d.change).collect();
        assert_eq!(kinds, [Change::Removed, Change::Added]);
    }

    #[test]
    fn warnings_and_findings_are_gained_and_lost() {
        let w = |code: &str| json!({"path": "p", "code": code, "message": "m"});
        let a = json!({"warnings": [w("a"), w("b")], "status": "partial"});
        let b = json!({"warnings": [w("b")], "findings": [w("threshold_mismatch")], "status": "ok"});
        let d = diff(&a, &b);
        let got: Vec<(&str, Change)> = d.iter().map(|d| (d.path.as_str(), d.change)).collect();
        assert_eq!(got, [("warnings", Change::Lost), ("findings", Change::Gained)]);
        assert!(render_text(&d).contains("findings gained: threshold_mismatch at p: m"));
    }

    #[test]
    fn different_bodies_and_affairs_are_cautioned() {
        let r = |code: &str, title: &str| json!({"kind": "kiso", "organization": {"name": "n", "lg_code": code}, "header": {"title": title}});
        assert!(cautions(&r("072044", "t"), &r("072044", "t")).is_empty());
        let c = cautions(&r("072044", "t"), &r("072036", "u"));
        assert_eq!(c, ["different bodies: n (072044) → n (072036)", "different affairs: t → u"]);
    }
}
