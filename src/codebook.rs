//! `piasheet schema` and `piasheet codebook`: the JSON Schema comes from the Rust record
//! types (schemars), and the codebook joins that schema with the rules file's items,
//! labels and choice lists, so neither needs a hand-kept list of fields.

use crate::rules::Rules;
use serde_json::{Map, Value};

/// JSON Schema of one record.
pub fn schema() -> Value {
    schemars::schema_for!(crate::record::Record).to_value()
}

/// One scalar field of the schema.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub path: String,
    /// `string`, `integer`, `boolean`, `date` (ISO string) …, `| null` when optional.
    pub ty: String,
    pub description: String,
    /// Allowed values from the schema (`enum`).
    pub allowed: Vec<String>,
}

/// Follow `$ref` and unwrap `anyOf [X, null]`: the schema of X and whether null is allowed.
fn resolve<'a>(s: &'a Value, root: &'a Value) -> (&'a Value, bool) {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or_default();
        if let Some(def) = root.get("$defs").and_then(|d| d.get(name)) {
            return resolve(def, root);
        }
    }
    for k in ["anyOf", "oneOf"] {
        if let Some(branches) = s.get(k).and_then(Value::as_array) {
            let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
            let nullable = branches.iter().any(is_null);
            if let Some(b) = branches.iter().find(|b| !is_null(b)) {
                let (inner, n) = resolve(b, root);
                return (inner, nullable || n);
            }
        }
    }
    (s, false)
}

fn type_name(s: &Value, nullable: bool) -> String {
    let mut types: Vec<String> = match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ if s.get("enum").is_some() => vec!["string".into()],
        _ => vec!["any".into()],
    };
    if nullable && !types.iter().any(|t| t == "null") {
        types.push("null".into());
    }
    types.join(" | ")
}

fn leaves_of(s: &Value, root: &Value, path: &str, nullable: bool, skip: &[&str], out: &mut Vec<Leaf>) {
    let (s, n) = resolve(s, root);
    let nullable = nullable || n;
    let description = s.get("description").and_then(Value::as_str).unwrap_or_default().to_string();
    let empty = Map::new();
    let props = s.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    if props.is_empty() {
        if s.get("type").and_then(Value::as_str) == Some("array") {
            return;
        }
        let allowed = s.get("enum").and_then(Value::as_array).map(|a| a.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default();
        out.push(Leaf { path: path.to_string(), ty: type_name(s, nullable), description, allowed });
        return;
    }
    // A choice is one column (its label) plus `.code` and its other parts.
    let choice = props.contains_key("code") && props.contains_key("label");
    if choice {
        out.push(Leaf { path: path.to_string(), ty: type_name(&Value::from("string"), nullable).replace("any", "string"), description: "choice label".into(), allowed: vec![] });
    }
    for (k, sub) in props {
        if (path.is_empty() && skip.contains(&k.as_str())) || (choice && k == "label") {
            continue;
        }
        let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        leaves_of(sub, root, &p, nullable, skip, out);
    }
}

/// Scalar leaves of a sheet (the columns of `sheets.csv`), in record order.
pub fn sheet_leaves() -> Vec<Leaf> {
    let root = schema();
    let mut out = Vec::new();
    leaves_of(&root, &root, "", false, &["changes", "warnings", "provenance"], &mut out);
    for l in &mut out {
        if l.description == "choice label" {
            l.ty = if l.ty.contains("null") { "string | null".into() } else { "string".into() };
        }
    }
    out
}

/// Leaves of the array items and maps: `changes[]`, `warnings[]`, `provenance`.
fn nested_leaves() -> Vec<Leaf> {
    let root = schema();
    let mut out = Vec::new();
    let props = &root["properties"];
    for name in ["changes", "warnings"] {
        let (arr, _) = resolve(&props[name], &root);
        leaves_of(&arr["items"], &root, &format!("{name}[]"), false, &[], &mut out);
    }
    let (prov, _) = resolve(&props["provenance"], &root);
    let desc = prov.get("description").or(props["provenance"].get("description")).and_then(Value::as_str).unwrap_or_default();
    out.push(Leaf { path: "provenance.<field path>.lines".into(), ty: "[integer, integer] | absent".into(), description: desc.into(), allowed: vec![] });
    out
}

/// One row of the codebook.
pub struct Entry {
    pub path: String,
    pub item: String,
    pub label: String,
    pub ty: String,
    pub allowed: String,
    pub note: String,
}

/// The form item and printed label of a record path, from the rules file.
fn form_info(path: &str, rules: &Rules) -> (String, String, String) {
    let base = path.strip_suffix(".code").unwrap_or(path);
    let section_label = |section: &str| rules.headings.iter().find(|h| h.section == section).map(|h| h.label.clone()).unwrap_or_default();
    if let Some(f) = rules.text_fields.iter().find(|f| f.path == base) {
        return (f.item.clone(), f.labels.join(" / "), String::new());
    }
    if let Some(f) = rules.choice_fields.iter().find(|f| f.path == base) {
        let label = f.labels.first().cloned().unwrap_or_else(|| section_label(&f.section));
        let list = rules.list(&f.list);
        let allowed = if path.ends_with(".code") {
            list.iter().map(|o| o.code.to_string()).collect::<Vec<_>>().join(", ")
        } else {
            list.iter().map(|o| format!("{}) {}", o.code, o.label)).collect::<Vec<_>>().join("; ")
        };
        return (f.item.clone(), label, allowed);
    }
    if let Some(b) = rules.boxes.iter().find(|b| b.path == base) {
        return (b.item.clone(), b.label.clone(), "true (○) / false".into());
    }
    if let Some(i) = rules.as_of.paths.iter().position(|p| p == base) {
        return (rules.as_of.sections.get(i).cloned().unwrap_or_default(), rules.as_of.label.clone(), "YYYY-MM-DD".into());
    }
    if base == rules.result.path {
        return (rules.result.item.clone(), section_label(&rules.result.item), String::new());
    }
    // The cover page has labels but no item numbers.
    let c = &rules.cover;
    let cover = match base {
        "header.evaluation_number" | "header.title" => Some(&c.number_and_title_header),
        "header.declaration" => Some(&c.declaration_label),
        "header.special_notes" => Some(&c.special_notes_label),
        "header.evaluator" | "organization.name" | "organization.title" => Some(&c.evaluator_label),
        "header.published_on" => Some(&c.published_label),
        _ => None,
    };
    match cover {
        Some(l) => ("表紙".into(), l.clone(), if base == "header.published_on" { "YYYY-MM-DD".into() } else { String::new() }),
        None if base.starts_with("changes[]") => (c_heading(rules), String::new(), String::new()),
        None => (String::new(), String::new(), String::new()),
    }
}

fn c_heading(rules: &Rules) -> String {
    rules.changes.heading.clone()
}

/// Every field of the record, with the warning codes at the end.
pub fn entries(rules: &Rules) -> Vec<Entry> {
    let mut rows = Vec::new();
    for l in sheet_leaves().into_iter().chain(nested_leaves()) {
        let (item, label, mut allowed) = form_info(&l.path, rules);
        if allowed.is_empty() && !l.allowed.is_empty() {
            allowed = l.allowed.join(", ");
        }
        if l.path == "changes[].timing" {
            allowed = rules.changes.timings.join(", ");
        }
        let note = if l.description == "choice label" { String::new() } else { l.description.replace('\n', " ") };
        rows.push(Entry { path: l.path, item, label, ty: l.ty, allowed, note });
    }
    for (code, meaning) in WARNING_CODES.iter().chain(crate::check::CODES) {
        rows.push(Entry { path: "warnings[].code".into(), item: String::new(), label: String::new(), ty: "warning code".into(), allowed: code.to_string(), note: meaning.to_string() });
    }
    for (code, meaning) in ERROR_CODES {
        rows.push(Entry { path: "error.code".into(), item: String::new(), label: String::new(), ty: "error code".into(), allowed: code.to_string(), note: meaning.to_string() });
    }
    rows
}

/// Warning codes of the extractor itself (the consistency checks list theirs in
/// [`crate::check::CODES`]).
pub const WARNING_CODES: &[(&str, &str)] = &[
    ("not_found", "the item, answer, date or check box was not found: its value is null"),
    ("ambiguous_value", "different answers found for one question; the one on the named line was taken"),
    ("ambiguous_checkbox", "○ marks drawn apart from their boxes: which box each belongs to is a guess"),
    ("ambiguous_body", "the 評価実施機関名 fits more than one body; the 団体コード is a guess"),
    ("uncertain_assignment", "fewer value cells than labels waiting for one: this value was taken as empty"),
    ("uncertain_order", "answers or 計数 dates whose question is inferred from their order"),
    ("uncertain_split", "several text blocks merged into this value, or where 変更前 ends and 変更後 begins is a guess"),
    ("bad_date", "a 変更日 that is not a date; date_text keeps the printed text"),
    ("unknown_form_version", "a form version stamp with no rules file; read with the newest"),
];

/// Codes of `error.code` on a `failed` record.
pub const ERROR_CODES: &[(&str, &str)] = &[
    ("io", "the file could not be read"),
    ("empty", "the file is empty"),
    ("binary", "not text in any supported encoding"),
    ("too_large", "larger than --max-bytes"),
    ("timeout", "a PDF took longer than --timeout"),
    ("unsupported", "an input this build cannot read (e.g. PDF before the reader lands)"),
    ("unsupported_kind", "a 重点項目 or 全項目評価書, not a 基礎項目評価書"),
    ("not_a_sheet", "not a PIA sheet"),
    ("internal", "a bug in the parser on this file"),
];

/// The codebook as Markdown (`csv == false`) or CSV.
pub fn render(rules: &Rules, as_csv: bool) -> Result<String, String> {
    let rows = entries(rules);
    let header = ["path", "form item", "label (ja)", "type", "allowed values", "note"];
    if as_csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header).map_err(|e| e.to_string())?;
        for r in &rows {
            w.write_record([&r.path, &r.item, &r.label, &r.ty, &r.allowed, &r.note]).map_err(|e| e.to_string())?;
        }
        return String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string());
    }
    let cell = |s: &str| s.replace('|', "\\|");
    let mut md = format!("# piasheet codebook ({}, schema {})\n\n| {} |\n|{}\n", rules.id, crate::SCHEMA_VERSION, header.join(" | "), "---|".repeat(header.len()));
    for r in &rows {
        md += &format!("| `{}` | {} | {} | {} | {} | {} |\n", r.path, cell(&r.item), cell(&r.label), cell(&r.ty), cell(&r.allowed), cell(&r.note));
    }
    Ok(md)
}
