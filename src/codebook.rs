//! `piasheet schema` and `piasheet codebook`: the JSON Schema comes from the Rust record
//! types (schemars), and the codebook joins that schema with the rules file's items,
//! labels and choice lists, so neither needs a hand-kept list of fields.

use crate::form::{Common, FieldType, Form, FormSet};
use serde_json::{Map, Value};

/// JSON Schema of one 基礎 record (see [`crate::schema`] for every kind).
pub fn schema() -> Value {
    crate::schema::schema(FormSet::current().record_kind()).unwrap_or_default()
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
    sheet_leaves_of(FormSet::current().record_kind())
}

/// Scalar leaves of a sheet of `kind` (the columns of `sheets.<kind>.csv`): the envelope
/// and that kind's body, lists left to their own tables.
pub fn sheet_leaves_of(kind: &str) -> Vec<Leaf> {
    let root = crate::schema::kept(kind).unwrap_or(&Value::Null);
    let mut out = Vec::new();
    leaves_of(root, root, "", false, &["changes", "warnings", "provenance"], &mut out);
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
    // PDF inputs only: where on the page the value was read.
    out.push(Leaf { path: "provenance.<field path>.page".into(), ty: "integer | null".into(), description: "PDF inputs (null for text): the 1-based page of the value's first printed line".into(), allowed: vec![] });
    out.push(Leaf { path: "provenance.<field path>.box".into(), ty: "[number, number, number, number] | null".into(), description: "PDF inputs (null for text): [x0, y0, x1, y1] in PDF points (origin bottom-left) around the value's cells on that page".into(), allowed: vec![] });
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

/// The form item and printed label of a record path, from the form description.
fn form_info(path: &str, form: &Form, common: &Common) -> (String, String, String) {
    let base = path.strip_suffix(".code").unwrap_or(path);
    let leaves = form.leaves();
    if let Some(f) = leaves.iter().find(|l| l.path == base).map(|l| l.field) {
        return match f.ty {
            FieldType::Choice | FieldType::Band => {
                let list = f.list.as_deref().and_then(|n| common.lists.get(n)).map(Vec::as_slice).unwrap_or_default();
                let allowed = if path.ends_with(".code") {
                    list.iter().map(|o| o.code.to_string()).collect::<Vec<_>>().join(", ")
                } else {
                    // Labels as the data holds them (NFKC, no white space), so a filter copied
                    // from the codebook matches.
                    list.iter().map(|o| format!("{}) {}", o.code, crate::normalize::key(&o.label))).collect::<Vec<_>>().join("; ")
                };
                (f.item.clone(), f.label.first().cloned().unwrap_or_default(), allowed)
            }
            // A box is known by the words printed beside it.
            FieldType::Box => (f.item.clone(), f.after.clone().or_else(|| f.label.first().cloned()).unwrap_or_default(), "true (○) / false".into()),
            _ => (f.item.clone(), f.label.join(" / "), String::new()),
        };
    }
    if let Some(f) = leaves.iter().find(|l| base.strip_suffix(".as_of") == Some(l.path.as_str())).map(|l| l.field) {
        if let Some(label) = &f.as_of {
            return (f.item.clone(), label.clone(), "YYYY-MM-DD".into());
        }
    }
    // The cover page has labels but no item numbers.
    let c = &common.cover;
    let cover = match base {
        "header.evaluation_number" | "header.title" => Some(&c.number_and_title),
        "header.declaration" => Some(&c.declaration),
        "header.special_notes" => Some(&c.special_notes),
        "header.evaluator" | "organization.name" | "organization.title" => Some(&c.evaluator),
        "header.published_on" => Some(&c.published),
        _ => None,
    };
    match cover {
        Some(l) => ("表紙".into(), l.clone(), if base == "header.published_on" { "YYYY-MM-DD".into() } else { String::new() }),
        None if base.starts_with("changes[]") => (common.change_table.heading.clone(), String::new(), String::new()),
        None => (String::new(), String::new(), String::new()),
    }
}

/// Every field of the 基礎 record (typed, see kiso-schema.md) by the newest form
/// description, with the warning codes at the end.
pub fn entries(forms: &FormSet) -> Vec<Entry> {
    let mut rows = Vec::new();
    let Some((form, _)) = forms.form_for(forms.record_kind(), None) else { return rows };
    for l in sheet_leaves().into_iter().chain(nested_leaves()) {
        let (item, label, mut allowed) = form_info(&l.path, form, &forms.common);
        if allowed.is_empty() && !l.allowed.is_empty() {
            allowed = l.allowed.join(", ");
        }
        if l.path == "changes[].timing" {
            allowed = forms.common.change_table.timings.join(", ");
        }
        let mut note = if l.description == "choice label" { String::new() } else { l.description.replace('\n', " ") };
        let lacking = lacking_versions(&l.path, form, forms);
        if !lacking.is_empty() {
            let sep = if note.is_empty() { "" } else { " " };
            note = format!("{note}{sep}not printed on {} (null there, no warning)", lacking.join(", "));
        }
        rows.push(Entry { path: l.path, item, label, ty: l.ty, allowed, note });
    }
    rows.extend(code_rows());
    rows
}

/// The versions of `newest`'s kind that do not print the field of `path` (a field's
/// path or one of its parts), newest first.
fn lacking_versions(path: &str, newest: &Form, forms: &FormSet) -> Vec<String> {
    let base = path.strip_suffix(".code").unwrap_or(path);
    if !newest.leaves().iter().any(|l| base == l.path || base.strip_prefix(l.path.as_str()).is_some_and(|r| r.starts_with('.'))) {
        return Vec::new();
    }
    let mut versions: Vec<&Form> = forms.forms.iter().filter(|f| f.kind.kind == newest.kind.kind && !f.has(base)).collect();
    versions.sort_by(|a, b| b.version_date.cmp(&a.version_date));
    versions.iter().map(|f| format!("{} 様式{}", f.version, f.kind.form_number)).collect()
}

/// The warning, finding and error codes, each with its meaning.
fn code_rows() -> Vec<Entry> {
    let mut rows = Vec::new();
    for (code, meaning) in crate::codes::WARNINGS {
        rows.push(Entry { path: "warnings[].code".into(), item: String::new(), label: String::new(), ty: "warning code".into(), allowed: code.to_string(), note: meaning.to_string() });
    }
    for (code, meaning) in crate::codes::FINDINGS {
        rows.push(Entry { path: "findings[].code".into(), item: String::new(), label: String::new(), ty: "finding code".into(), allowed: code.to_string(), note: meaning.to_string() });
    }
    for (code, meaning) in crate::codes::ERRORS {
        rows.push(Entry { path: "error.code".into(), item: String::new(), label: String::new(), ty: "error code".into(), allowed: code.to_string(), note: meaning.to_string() });
    }
    rows
}

/// The codebook of `kind` as Markdown (`csv == false`) or CSV (with a BOM, for Excel).
pub fn render_kind(kind: &str, as_csv: bool) -> Result<String, String> {
    let (id, rows) = if kind == FormSet::current().record_kind() {
        let forms = FormSet::current();
        let (form, _) = forms.form_for(kind, None).ok_or_else(|| format!("no form description for kind {kind:?}"))?;
        (form.id.clone(), entries(forms))
    } else {
        let forms = crate::form::FormSet::current();
        let (form, _) = forms.form_for(kind, None).ok_or_else(|| format!("no form description for kind {kind:?}"))?;
        (form.id.clone(), form_entries(kind, forms))
    };
    let header = ["path", "form item", "label (ja)", "type", "allowed values", "note"];
    if as_csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header).map_err(|e| e.to_string())?;
        for r in &rows {
            w.write_record([&r.path, &r.item, &r.label, &r.ty, &r.allowed, &r.note]).map_err(|e| e.to_string())?;
        }
        let body = String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        return Ok(format!("\u{feff}{body}"));
    }
    let cell = |s: &str| s.replace('|', "\\|");
    let mut md = format!("# piasheet codebook ({id}, schema {})\n\n| {} |\n|{}\n", crate::SCHEMA_VERSION, header.join(" | "), "---|".repeat(header.len()));
    for r in &rows {
        md += &format!("| `{}` | {} | {} | {} | {} | {} |\n", r.path, cell(&r.item), cell(&r.label), cell(&r.ty), cell(&r.allowed), cell(&r.note));
    }
    Ok(md)
}

/// Rows of a kind read by the form engine: the envelope's leaves, then each field of
/// the newest description, with the versions that do not print it.
fn form_entries(kind: &str, forms: &crate::form::FormSet) -> Vec<Entry> {
    let mut rows = Vec::new();
    for l in sheet_leaves() {
        if ["related.", "threshold.", "risk."].iter().any(|p| l.path.starts_with(p)) {
            continue;
        }
        rows.push(Entry { path: l.path, item: String::new(), label: String::new(), ty: l.ty, allowed: l.allowed.join(", "), note: l.description.replace('\n', " ") });
    }
    let Some((newest, _)) = forms.form_for(kind, None) else { return rows };
    let versions: Vec<&crate::form::Form> = forms.forms.iter().filter(|f| f.kind.kind == kind).collect();
    let schemas = crate::schema::leaf_schemas(newest, &forms.common);
    for leaf in newest.leaves() {
        let f = leaf.field;
        let lacking: Vec<&str> = versions.iter().filter(|v| !v.has(&leaf.path)).map(|v| v.version.as_str()).collect();
        let note = if lacking.is_empty() { String::new() } else { format!("not printed on {}", lacking.join(", ")) };
        let list = f.list.as_deref().and_then(|n| forms.common.lists.get(n));
        let allowed = match list {
            Some(l) => l.iter().map(|o| format!("{}) {}", o.code, crate::normalize::key(&o.label))).collect::<Vec<_>>().join("; "),
            None => String::new(),
        };
        let label = f.label.join(" / ");
        for (path, s) in schemas.iter().filter(|(p, _)| p == &leaf.path || p.starts_with(&format!("{}.", leaf.path)) || p.starts_with(&format!("{}_text", leaf.path))) {
            let ty = match f.ty {
                crate::form::FieldType::Checks if path.contains("_text.") => "string | null".to_string(),
                crate::form::FieldType::Checks => format!("boolean | null (box {})", path.rsplit('.').next().unwrap_or_default()),
                _ => format!("{:?}", f.ty).to_lowercase(),
            };
            let _ = s;
            rows.push(Entry { path: path.clone(), item: f.item.clone(), label: label.clone(), ty, allowed: allowed.clone(), note: note.clone() });
        }
    }
    rows.push(Entry { path: "extra_items[]".into(), item: String::new(), label: String::new(), ty: "{path_printed, label, value}".into(), allowed: String::new(), note: "numbered items the form description does not name".into() });
    rows.extend(code_rows());
    rows
}
