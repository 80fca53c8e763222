//! `datapackage.json`: a Frictionless Data Package describing every CSV file of the
//! dataset with a Table Schema, so a reader that honours it (frictionless, R's
//! `frictionless` package, or a few lines of pandas) types each column as the Parquet
//! files do: codes such as `organization.lg_code` stay strings (leading zeros kept),
//! dates are dates, choice codes and counts integers, check boxes booleans.

use super::{Layout, CHANGE_KEYS};
use crate::dataset::columnar::{ColType, Column, TableSpec, SHEET_KEY};
use serde_json::{json, Value};

/// The Table Schema field of one column.
fn field(c: &Column) -> Value {
    let mut f = json!({ "name": c.name, "type": c.ty.frictionless() });
    match c.ty {
        // Exactly what the CSV holds; Frictionless' defaults also accept yes/no/1/0.
        ColType::Boolean => {
            f["trueValues"] = json!(["true"]);
            f["falseValues"] = json!(["false"]);
        }
        ColType::Date32 => f["format"] = "default".into(),
        ColType::Utf8 | ColType::Int64 => {}
    }
    f
}

/// One CSV resource.
fn resource(name: &str, columns: &[Column], description: &str, foreign_keys: Value) -> Value {
    let mut schema = json!({
        "fields": columns.iter().map(field).collect::<Vec<_>>(),
        // An empty cell is a missing value (null in the JSON record).
        "missingValues": [""],
    });
    if foreign_keys.as_array().is_some_and(|a| !a.is_empty()) {
        schema["foreignKeys"] = foreign_keys;
    }
    json!({
        "name": name.replace('.', "-"),
        "path": format!("{name}.csv"),
        "profile": "tabular-data-resource",
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        // The files start with a byte order mark (for Excel); readers skip it.
        "encoding": "utf-8",
        "dialect": { "delimiter": ",", "quoteChar": "\"", "doubleQuote": true, "header": true, "lineTerminator": "\n" },
        "schema": schema,
    })
}

/// The data package of the CSV files written with `--format csv`: the sheets, the
/// changes and the long `tables` (as written).
pub fn datapackage(l: &Layout, tables: &[TableSpec]) -> Value {
    let to_sheets = |fields: Value, reference: Value| json!([{ "fields": fields, "reference": { "resource": "sheets", "fields": reference } }]);
    let mut resources = vec![
        resource("sheets", &l.sheets, "one row per sheet: every scalar field of the record; a choice gives its label and a .code column", json!([])),
        resource(
            "changes",
            &l.changes,
            "one row per 変更箇所 row, with the keys of its sheet",
            to_sheets(json!(CHANGE_KEYS[0]), json!(CHANGE_KEYS[0])),
        ),
    ];
    for t in tables {
        resources.push(resource(
            &t.name,
            &t.columns,
            &format!("one row per item of {} (with the indexes of the enclosing items), keyed to its sheet by {SHEET_KEY} = source.sha256", t.path),
            to_sheets(json!(SHEET_KEY), json!("source.sha256")),
        ));
    }
    json!({
        "profile": "tabular-data-package",
        "name": "piasheet-dataset",
        "title": "特定個人情報保護評価書 (PIA sheets) read by piasheet",
        "version": env!("CARGO_PKG_VERSION"),
        "resources": resources,
    })
}

/// The resource of `sheets.<kind>.csv` (only the kinds a run met are written).
pub fn kind_sheets_resource(kind: &str, columns: &[Column]) -> Value {
    resource(
        &format!("sheets.{kind}"),
        columns,
        &format!("one row per {kind} sheet: the envelope and every scalar field of that kind's body"),
        json!([{ "fields": "source.sha256", "reference": { "resource": "sheets", "fields": "source.sha256" } }]),
    )
}
