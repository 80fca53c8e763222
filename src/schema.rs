//! The JSON Schema of a record, per kind. The envelope comes from the Rust record
//! types (schemars); the body of a kind from its form description (the 基礎 body from
//! its typed structs and rules file). The result constrains: every key required,
//! no unknown keys, ISO dates, 団体コード of six digits, choice codes and labels of
//! their lists, the known kinds, statuses and codes.

use crate::form::{Choice, Common, FieldType, Form, FormSet};
use crate::normalize::key;
use serde_json::{json, Map, Value};

const DATE: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
const MONTH: &str = r"^[0-9]{4}-[0-9]{2}$";

/// The schema of a record of `kind` (`kiso`, `juten`, `zenkomoku`).
pub fn schema(kind: &str) -> Result<Value, String> {
    kept(kind).cloned()
}

/// [`schema`], built once per kind and form set and kept for the process: a run of
/// `extract` reads it about eight times (the dataset columns of each kind, the
/// codebook), and building it (or copying it) cost more than reading 50 text dumps
/// (issue #16). The form set is told by its address: `--rules` installs another one
/// (once, before any record is read); each kept schema stays (a few per process).
pub fn kept(kind: &str) -> Result<&'static Value, String> {
    type Kept = Vec<(usize, String, Result<&'static Value, String>)>;
    static KEPT: std::sync::Mutex<Kept> = std::sync::Mutex::new(Vec::new());
    let forms = std::ptr::from_ref(FormSet::current()) as usize;
    let mut kept = KEPT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, _, s)) = kept.iter().find(|(f, k, _)| *f == forms && k == kind) {
        return s.clone();
    }
    let s = make(kind).map(|v| &*Box::leak(Box::new(v)));
    kept.push((forms, kind.to_string(), s.clone()));
    s
}

fn make(kind: &str) -> Result<Value, String> {
    let forms = FormSet::current();
    let mut root = schemars::schema_for!(crate::record::Record).to_value();
    inline_refs(&mut root);
    tighten(&mut root);
    let props = root["properties"].as_object_mut().ok_or("no properties")?;
    // Paths every kind shares.
    set_at(props, "header.published_on", |s| nullable_pattern(s, DATE));
    set_at(props, "header.approved_on", |s| nullable_pattern(s, DATE));
    set_at(props, "form.date", |s| nullable_pattern(s, MONTH));
    set_at(props, "organization.lg_code", |s| nullable_pattern(s, r"^[0-9]{6}$"));
    set_at(props, "source.sha256", |s| s["pattern"] = json!("^[0-9a-f]{64}$"));
    set_at(props, "source.format", |s| s["enum"] = json!(["text", "pdf"]));
    set_at(props, "changes.[].date", |s| nullable_pattern(s, DATE));
    // The 提出時期 values the change table prints (rules/common.json).
    let timings: Vec<Value> = forms.common.change_table.timings.iter().map(|t| json!(t)).chain([Value::Null]).collect();
    set_at(props, "changes.[].timing", |s| s["enum"] = json!(timings));
    let kinds: Vec<Value> = forms.common.kinds.iter().map(|k| json!(k.kind)).chain([Value::Null]).collect();
    props.insert("kind".into(), json!({"type": ["string", "null"], "enum": kinds}));
    let warnings: Vec<&str> = crate::codes::WARNINGS.iter().map(|(c, _)| *c).collect();
    set_at(props, "warnings.[].code", |s| s["enum"] = json!(warnings));
    let findings: Vec<&str> = crate::codes::FINDINGS.iter().map(|(c, _)| *c).collect();
    set_at(props, "findings.[].code", |s| s["enum"] = json!(findings));
    let errors: Vec<&str> = crate::codes::error_codes().collect();
    set_at(props, "error.code", |s| s["enum"] = json!(errors));
    match kind {
        k if k == forms.record_kind() => kiso_body(props),
        other => {
            let (form, _) = forms.form_for(other, None).ok_or_else(|| format!("no form description for kind {other:?}"))?;
            for k in crate::record::TYPED_PARTS {
                props.remove(*k);
            }
            let body = body_schema(form, &forms.common);
            // The body keys go before `changes`, in form order.
            let tail: Vec<(String, Value)> = ["changes", "extra_items", "warnings", "findings", "status", "error", "provenance"].iter().filter_map(|k| props.remove(*k).map(|v| (k.to_string(), v))).collect();
            for (k, v) in body {
                props.insert(k, v);
            }
            props.extend(tail);
        }
    }
    // Required: the envelope every record has, failed ones included (a failed record
    // has no body; inside the body every key is required).
    const ENVELOPE: &[&str] = &["schema_version", "source", "kind", "form", "header", "organization", "changes", "extra_items", "warnings", "findings", "status"];
    let required: Vec<&str> = ENVELOPE.iter().copied().filter(|k| props.contains_key(*k)).collect();
    root["title"] = json!(format!("piasheet record: {kind}"));
    root["required"] = json!(required);
    root["additionalProperties"] = json!(false);
    Ok(root)
}

/// Replace every `$ref` by the definition it names (so constraints can differ by path).
fn inline_refs(root: &mut Value) {
    let defs = root.get("$defs").cloned().unwrap_or(Value::Null);
    fn walk(v: &mut Value, defs: &Value, depth: usize) {
        if depth > 32 {
            return;
        }
        if let Some(r) = v.get("$ref").and_then(Value::as_str).map(str::to_string) {
            let name = r.rsplit('/').next().unwrap_or_default();
            if let Some(def) = defs.get(name) {
                let mut d = def.clone();
                if let (Value::Object(dm), Value::Object(vm)) = (&mut d, &*v) {
                    for (k, x) in vm {
                        if k != "$ref" {
                            dm.insert(k.clone(), x.clone());
                        }
                    }
                }
                *v = d;
            }
        }
        match v {
            Value::Object(m) => m.values_mut().for_each(|x| walk(x, defs, depth + 1)),
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, defs, depth + 1)),
            _ => {}
        }
    }
    walk(root, &defs, 0);
    if let Value::Object(m) = root {
        m.remove("$defs");
    }
}

/// Every object: all its keys required, no others allowed (maps such as
/// `provenance` keep their `additionalProperties` schema).
fn tighten(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get("properties") {
                let keys: Vec<Value> = props.keys().map(|k| json!(k)).collect();
                m.insert("required".into(), Value::Array(keys));
                m.insert("additionalProperties".into(), json!(false));
            }
            m.values_mut().for_each(tighten);
        }
        Value::Array(a) => a.iter_mut().for_each(tighten),
        _ => {}
    }
}

/// The schema at a dotted path (`changes.[].date`: `[]` steps into array items),
/// through nullable branches.
fn set_at(props: &mut Map<String, Value>, path: &str, f: impl FnOnce(&mut Value)) {
    let mut parts = path.split('.');
    let Some(first) = parts.next() else { return };
    let Some(mut node) = props.get_mut(first) else { return };
    for p in parts {
        node = non_null(node);
        let next = if p == "[]" { node.get_mut("items") } else { node.get_mut("properties").and_then(|x| x.get_mut(p)) };
        let Some(n) = next else { return };
        node = n;
    }
    f(non_null(node));
}

/// The non-null branch of `anyOf [X, null]`, or the schema itself.
fn non_null(v: &mut Value) -> &mut Value {
    let branch = v
        .get("anyOf")
        .and_then(Value::as_array)
        .filter(|a| a.iter().any(|b| b.get("type") == Some(&json!("null"))))
        .and_then(|a| a.iter().position(|b| b.get("type") != Some(&json!("null"))));
    match branch {
        Some(i) => &mut v["anyOf"][i],
        None => v,
    }
}

fn nullable_pattern(s: &mut Value, pattern: &str) {
    s["type"] = json!(["string", "null"]);
    s["pattern"] = json!(pattern);
    if pattern == DATE {
        // `format: date` is what typed readers (Parquet's Date32) go by.
        s["format"] = json!("date");
    }
}

/// The 基礎 body: choice codes and labels from the form description's lists.
fn kiso_body(props: &mut Map<String, Value>) {
    let forms = crate::form::FormSet::current();
    let Some((form, _)) = forms.form_for(forms.record_kind(), None) else { return };
    for l in form.leaves() {
        let f = l.field;
        if !matches!(f.ty, crate::form::FieldType::Choice | crate::form::FieldType::Band) {
            continue;
        }
        let list = f.list.as_deref().and_then(|n| forms.common.lists.get(n)).map(Vec::as_slice).unwrap_or_default();
        let codes: Vec<u32> = list.iter().map(|o| o.code).collect();
        let labels: Vec<String> = list.iter().map(|o| key(&o.label)).collect();
        set_at(props, &l.path, |s| {
            s["properties"]["code"]["enum"] = json!(codes);
            s["properties"]["label"]["enum"] = json!(labels);
        });
    }
    for l in form.leaves().iter().filter(|l| l.field.as_of.is_some()) {
        set_at(props, &format!("{}.as_of", l.path), |s| nullable_pattern(s, DATE));
    }
}

/// Nullable schema of one value.
fn nullable(mut s: Value) -> Value {
    if let Some(t) = s.get("type").and_then(Value::as_str).map(str::to_string) {
        s["type"] = json!([t, "null"]);
        if let Some(e) = s.get_mut("enum").and_then(Value::as_array_mut) {
            e.push(Value::Null);
        }
        s
    } else {
        json!({"anyOf": [s, {"type": "null"}]})
    }
}

fn object(props: Map<String, Value>) -> Value {
    let keys: Vec<&String> = props.keys().collect();
    json!({"type": "object", "properties": props, "required": keys, "additionalProperties": false})
}

fn choice_schema(list: &[Choice], band: bool) -> Value {
    let codes: Vec<u32> = list.iter().map(|o| o.code).collect();
    let labels: Vec<String> = list.iter().map(|o| key(&o.label)).collect();
    let mut p = Map::new();
    p.insert("code".into(), json!({"type": "integer", "enum": codes}));
    p.insert("label".into(), json!({"type": "string", "enum": labels}));
    if band {
        p.insert("at_least".into(), json!({"type": ["integer", "null"]}));
        p.insert("less_than".into(), json!({"type": ["integer", "null"]}));
    }
    nullable(object(p))
}

/// Schemas of each output path a form writes, as (dotted path with `[]`, schema).
pub fn leaf_schemas(form: &Form, common: &Common) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for leaf in form.leaves() {
        let f = leaf.field;
        let list = f.list.as_deref().and_then(|l| common.lists.get(l)).map_or(&[][..], Vec::as_slice);
        let group = f.list.as_deref().and_then(|g| common.groups.get(g)).map_or(&[][..], Vec::as_slice);
        let string = json!({"type": ["string", "null"]});
        match f.ty {
            FieldType::String | FieldType::Text | FieldType::Zone => out.push((leaf.path, string)),
            FieldType::Choice => out.push((leaf.path, choice_schema(list, false))),
            FieldType::Band => out.push((leaf.path, choice_schema(list, true))),
            FieldType::Box => out.push((leaf.path, json!({"type": ["boolean", "null"]}))),
            FieldType::Count => out.push((leaf.path, json!({"type": ["integer", "null"], "minimum": 0}))),
            FieldType::Date => {
                out.push((leaf.path.clone(), json!({"type": ["string", "null"], "pattern": DATE, "format": "date"})));
                if f.with_text {
                    out.push((format!("{}_text", leaf.path), string));
                }
            }
            FieldType::Period => {
                let mut p = Map::new();
                p.insert("from".into(), json!({"type": ["string", "null"], "pattern": DATE, "format": "date"}));
                p.insert("to".into(), json!({"type": ["string", "null"], "pattern": DATE, "format": "date"}));
                p.insert("text".into(), json!({"type": "string"}));
                out.push((leaf.path, nullable(object(p))));
            }
            FieldType::Checks => {
                for b in group {
                    out.push((format!("{}.{}", leaf.path, b.key), json!({"type": ["boolean", "null"]})));
                }
                for b in group.iter().filter(|b| crate::engine::takes_text(b)) {
                    out.push((format!("{}_text.{}", leaf.path, b.key), json!({"type": ["string", "null"]})));
                }
            }
        }
    }
    out
}

/// The body's top-level properties, nested from the form's leaves.
fn body_schema(form: &Form, common: &Common) -> Map<String, Value> {
    // A tree of maps first; `[]` marks an array of objects.
    let mut tree = Map::new();
    for (path, s) in leaf_schemas(form, common) {
        insert(&mut tree, &path, s);
    }
    let Value::Object(m) = build(Value::Object(tree)) else { return Map::new() };
    let mut out = Map::new();
    for (k, v) in m {
        out.insert(k, v);
    }
    out
}

/// Marks an intermediate node of the path tree.
const NODE: &str = "\u{0}node";

fn insert(tree: &mut Map<String, Value>, path: &str, leaf: Value) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    match rest {
        None => {
            tree.insert(head.to_string(), leaf);
        }
        Some(rest) => {
            let slot = tree.entry(head.to_string()).or_insert_with(|| json!({ NODE: {} }));
            if let Some(Value::Object(sub)) = slot.get_mut(NODE) {
                insert(sub, rest, leaf);
            }
        }
    }
}

fn build(v: Value) -> Value {
    let Value::Object(m) = v else { return v };
    let mut props = Map::new();
    for (k, x) in m {
        let is_node = x.get(NODE).is_some();
        let built = if is_node { object_of(x[NODE].clone()) } else { x };
        match k.strip_suffix("[]") {
            Some(name) => {
                props.insert(name.to_string(), json!({"type": "array", "items": built}));
            }
            None => {
                props.insert(k, built);
            }
        }
    }
    Value::Object(props)
}

fn object_of(children: Value) -> Value {
    let Value::Object(p) = build(children) else { return json!({}) };
    object(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kept schema is the one a fresh build gives, every time it is asked for
    /// (an unknown kind's error too).
    #[test]
    fn kept_schema_equals_a_fresh_build() {
        for kind in ["kiso", "juten", "zenkomoku", "kiso", "zenkomoku", "nonesuch", "nonesuch"] {
            let fresh = make(kind);
            assert_eq!(schema(kind), fresh, "{kind}");
            assert_eq!(kept(kind).cloned(), fresh, "{kind}");
            assert_eq!(fresh.is_ok(), kind != "nonesuch", "{kind}");
        }
    }

    #[test]
    fn each_kind_has_a_schema_with_its_body() {
        let z = schema("zenkomoku").unwrap();
        let files = &z["properties"]["files"];
        assert_eq!(files["type"], "array");
        let pop = &files["items"]["properties"]["basic"]["properties"]["population"];
        assert!(pop.to_string().contains("\"at_least\""), "{pop}");
        assert!(z["properties"].get("related").is_none());
        let k = schema("kiso").unwrap();
        assert!(k["properties"]["related"].is_object());
        assert!(schema("nothing").is_err());
    }
}
