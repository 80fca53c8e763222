//! pdf-extract dumps of 全項目/重点 sheets come in the PDF's drawing order (wrapped cells
//! after the single-line ones of their page). Each dump in `../shared/forms` must read
//! about as well as its PDF: at least 97% of the expected leaves, every change row.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

/// Leaves of `v` (arrays and objects walked), as the scorer counts fields.
fn leaves(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.values().map(leaves).sum(),
        Value::Array(a) => a.iter().map(leaves).sum(),
        _ => 1,
    }
}

#[test]
fn shared_form_dumps_read_like_their_pdfs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/forms");
    assert!(dir.is_dir(), "../shared/forms is part of the project's shared materials");
    let ignore = ["source", "warnings", "status", "provenance", "changes", "extra_items", "schema_version"];
    let mut checked = 0;
    for kind in ["zenkomoku-h30", "zenkomoku-h26", "juten-h30"] {
        let path = dir.join(format!("{kind}.txt"));
        let got = serde_json::to_value(piasheet::extract_text_dump(&format!("{kind}.txt"), &std::fs::read(&path).unwrap())).unwrap();
        let want: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{kind}.txt.expected.json"))).unwrap()).unwrap();
        assert_eq!(got["source"]["text_layout"], "pdf_extract", "{kind}: read as a pdf-extract dump");
        let total: usize = want.as_object().unwrap().iter().filter(|(k, _)| !ignore.contains(&k.as_str())).map(|(_, v)| leaves(v)).sum();
        let diffs = field_diffs(&want, &got, &ignore);
        let share = 1.0 - diffs.len() as f64 / total as f64;
        assert!(share >= 0.97, "{kind}: {:.1}% of {total} fields\n{}", share * 100.0, diffs.join("\n"));
        // Change rows as a multiset, on what the scorer matches them by.
        let rows = |v: &Value| {
            let mut r: Vec<String> = v["changes"].as_array().unwrap().iter().map(canon_row).collect();
            r.sort();
            r
        };
        assert_eq!(rows(&got), rows(&want), "{kind}: change rows");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

fn canon_row(v: &Value) -> String {
    match v {
        Value::Object(m) => ["date", "item", "before", "after", "timing"].iter().map(|k| format!("{k}={}", canon_row(m.get(*k).unwrap_or(&Value::Null)))).collect::<Vec<_>>().join("|"),
        other => canon(other).to_string(),
    }
}
