//! End to end over a generated corpus: 40 varied sheets (every encoding, bodies,
//! dates, answers, change-history lengths) through the real binary; every field of
//! every output must equal the expected record (text compared like score.py: NFKC,
//! white space removed), the change rows must match as a multiset, and every record
//! must be `ok` (the generated filings are consistent).

#[path = "../examples/make_corpus.rs"]
mod make_corpus;

use serde_json::Value;
use std::process::Command;

/// Fields score.py ignores.
const IGNORED: [&str; 6] = ["source.file", "source.sha256", "source.bytes", "warnings", "status", "provenance"];

fn canon(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(make_corpus::canon(s)),
        other => other.clone(),
    }
}

/// Every leaf of `want` (but `changes` and the ignored fields) must be in `got`.
fn compare(path: &str, want: &Value, got: Option<&Value>, errors: &mut Vec<String>) {
    if IGNORED.contains(&path) {
        return;
    }
    match want {
        Value::Object(m) => {
            for (k, v) in m {
                if path.is_empty() && k == "changes" {
                    continue;
                }
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                compare(&p, v, got.and_then(|g| g.get(k)), errors);
            }
        }
        _ => match got {
            Some(g) if canon(g) == canon(want) => {}
            g => errors.push(format!("{path}: want {want} got {}", g.map_or("<missing>".to_string(), |g| g.to_string()))),
        },
    }
}

fn row_key(r: &Value) -> Vec<Value> {
    ["date", "item", "before", "after", "timing"].iter().map(|k| canon(&r[*k])).collect()
}

#[test]
fn generated_corpus_is_read_exactly() {
    let dir = std::env::temp_dir().join(format!("piasheet-corpus-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sheets = make_corpus::generate(40, 7);
    make_corpus::write_corpus(&dir, &sheets).unwrap();
    let encodings: std::collections::HashSet<&str> = sheets.iter().filter_map(|s| s.expected["source"]["encoding"].as_str()).collect();
    assert_eq!(encodings.len(), 4, "every encoding is exercised: {encodings:?}");

    let out = dir.join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_piasheet")).arg("extract").arg(dir.join("in")).arg("-o").arg(&out).status().unwrap();
    assert!(status.success(), "piasheet extract failed: {status}");

    let mut errors = Vec::new();
    let (mut fields, mut rows) = (0, 0);
    for s in &sheets {
        let got: Value = serde_json::from_slice(&std::fs::read(out.join(format!("{}.json", s.name))).unwrap()).unwrap();
        let mut errs = Vec::new();
        compare("", &s.expected, Some(&got), &mut errs);
        // The generator makes consistent filings (issue #14): nothing to warn about.
        if got["status"] != "ok" {
            errs.push(format!("status {} warnings {}", got["status"], got["warnings"]));
        }
        let mut pool: Vec<Vec<Value>> = got["changes"].as_array().map(|a| a.iter().map(row_key).collect()).unwrap_or_default();
        let want: Vec<Vec<Value>> = s.expected["changes"].as_array().unwrap().iter().map(row_key).collect();
        for w in &want {
            match pool.iter().position(|g| g == w) {
                Some(i) => {
                    pool.remove(i);
                }
                None => errs.push(format!("changes: row not found: {} {}", w[0], w[1])),
            }
        }
        for extra in &pool {
            errs.push(format!("changes: unexpected row: {} {}", extra[0], extra[1]));
        }
        rows += want.len();
        fields += 1;
        errors.extend(errs.into_iter().map(|e| format!("{}: {e}", s.name)));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(errors.is_empty(), "{} mismatches over {fields} documents, {rows} change rows:\n{}", errors.len(), errors.join("\n"));
}

/// The sample without its 令和3年1月15日 Ⅰ４② row (lines 351–381): no later row
/// chains to 平成31年2月12日 Ⅰ４②, whose split then rests on the body's current value
/// (the newest row's 変更後 opens like it).
#[test]
fn split_without_the_later_row() {
    let lines: Vec<&str> = make_corpus::SAMPLE.split('\n').collect();
    let text = [&lines[..350], &lines[381..]].concat().join("\n");
    let rec = piasheet::extract_text_dump("min.txt", text.as_bytes());
    let golden: Value = serde_json::from_str(make_corpus::GOLDEN).unwrap();
    let want = golden["changes"].as_array().unwrap().iter().find(|r| r["date_text"] == "平成31年2月12日").unwrap();
    let got = rec.changes.iter().find(|r| r.date_text == "平成31年2月12日").expect("row read");
    assert_eq!(make_corpus::canon(got.before.as_deref().unwrap_or("")), make_corpus::canon(want["before"].as_str().unwrap()));
    assert_eq!(make_corpus::canon(got.after.as_deref().unwrap_or("")), make_corpus::canon(want["after"].as_str().unwrap()));
}
