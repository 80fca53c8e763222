//! The dataset outputs, schema, consistency checks and diff, through the binary on the
//! real sample (and edited copies of it) in temporary folders.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt");

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piasheet")).args(args).output().expect("runs")
}

/// A fresh temporary folder for one test.
fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("piasheet-dataset-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("in")).unwrap();
    d
}

/// Copy the sample into `dir/in/NAME.txt` with `edits` applied (each must apply).
fn sample_copy(dir: &Path, name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(SAMPLE).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "edit {from:?} does not apply");
        text = text.replacen(from, to, 1);
    }
    let p = dir.join("in").join(format!("{name}.txt"));
    std::fs::write(&p, text).unwrap();
    p
}

fn extract(dir: &Path, extra: &[&str]) -> Output {
    let (input, out) = (dir.join("in"), dir.join("out"));
    let mut args = vec!["extract", input.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = bin(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn record(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("out").join(format!("{name}.json"))).unwrap()).unwrap()
}

fn warning_codes(r: &Value) -> Vec<String> {
    r["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn dataset_files_of_the_sample() {
    let dir = temp("files");
    sample_copy(&dir, "sample", &[]);
    extract(&dir, &[]);
    let out = dir.join("out");

    let csv_bytes = std::fs::read(out.join("sheets.csv")).unwrap();
    assert!(csv_bytes.starts_with(b"\xEF\xBB\xBF"), "no UTF-8 BOM");
    let mut rdr = csv::Reader::from_reader(&csv_bytes[3..]);
    let header = rdr.headers().unwrap().clone();
    for col in ["risk.audit.internal_audit", "organization.name", "risk.storage", "risk.storage.code", "threshold.target_population.as_of"] {
        assert!(header.iter().any(|h| h == col), "no column {col}");
    }
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let cell = |name: &str| rows[0].get(header.iter().position(|h| h == name).unwrap()).unwrap().to_string();
    assert_eq!(cell("organization.name"), "いわき市");
    assert_eq!(cell("risk.audit.internal_audit"), "true");
    assert_eq!((cell("risk.storage").as_str(), cell("risk.storage.code").as_str()), ("十分である", "2"));

    let jsonl = std::fs::read_to_string(out.join("sheets.jsonl")).unwrap();
    let lines: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 1);
    // The line is the record, with every top-level key the record left out as null.
    let (line, rec) = (lines[0].as_object().unwrap(), record(&dir, "sample"));
    assert!(rec.as_object().unwrap().keys().all(|k| line.contains_key(k)));
    for (k, v) in line {
        assert_eq!(v, rec.get(k).unwrap_or(&Value::Null), "{k}");
    }
    assert!(line.contains_key("error") && line["error"].is_null());

    let changes = std::fs::read(out.join("changes.csv")).unwrap();
    assert!(changes.starts_with(b"\xEF\xBB\xBF"));
    let mut rdr = csv::Reader::from_reader(&changes[3..]);
    assert_eq!(rdr.headers().unwrap().iter().take(2).collect::<Vec<_>>(), ["source.file", "header.evaluation_number"]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 23);
    assert!(rows.iter().all(|r| &r[3] == "いわき市"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rows_are_sorted_and_formats_selectable() {
    let dir = temp("sorted");
    sample_copy(&dir, "b", &[]);
    sample_copy(&dir, "a", &[]);
    extract(&dir, &["--format", "jsonl"]);
    let out = dir.join("out");
    assert!(!out.join("a.json").exists() && !out.join("sheets.csv").exists());
    let files: Vec<String> = std::fs::read_to_string(out.join("sheets.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["source"]["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 2);
    assert!(files[0] < files[1], "{files:?}");
    // Only the dataset and the (empty) error list: no temporary or per-file leftovers.
    let names: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).filter(|n| n != "errors.jsonl").collect();
    assert_eq!(names.len(), 1, "leftovers: {names:?}");
    let bad = bin(&["extract", dir.join("in").to_str().unwrap(), "--format", "xml"]);
    assert_eq!(bad.status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A small JSON Schema walker: types, enums, properties (no unknown keys), items, $ref.
fn validate(v: &Value, s: &Value, root: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let def = &root["$defs"][r.rsplit('/').next().unwrap()];
        return validate(v, def, root, path, errors);
    }
    for k in ["anyOf", "oneOf"] {
        if let Some(branches) = s.get(k).and_then(Value::as_array) {
            if !branches.iter().any(|b| {
                let mut e = Vec::new();
                validate(v, b, root, path, &mut e);
                e.is_empty()
            }) {
                errors.push(format!("{path}: fits no branch of {k}"));
            }
            return;
        }
    }
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let ok = |t: &str| match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|t| ok(t)) {
        errors.push(format!("{path}: {v} is not {types:?}"));
        return;
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{path}: {v} not in {e:?}"));
        }
    }
    if let Some(m) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for req in s.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !m.contains_key(req.as_str().unwrap()) {
                errors.push(format!("{path}: missing {req}"));
            }
        }
        for (k, x) in m {
            let p = format!("{path}.{k}");
            match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                (Some(sub), _) => validate(x, sub, root, &p, errors),
                (None, Some(sub)) if sub.is_object() => validate(x, sub, root, &p, errors),
                _ => errors.push(format!("{p}: not in the schema")),
            }
        }
    }
    if let Some(a) = v.as_array() {
        for (i, x) in a.iter().enumerate() {
            let sub = s.get("prefixItems").and_then(|p| p.get(i)).or(s.get("items").filter(|i| i.is_object()));
            if let Some(sub) = sub {
                validate(x, sub, root, &format!("{path}[{i}]"), errors);
            }
        }
    }
}

#[test]
fn records_validate_against_the_schema() {
    let o = bin(&["schema"]);
    assert!(o.status.success());
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(schema["properties"]["provenance"].is_object(), "provenance is in the schema");
    let dir = temp("schema");
    sample_copy(&dir, "sample", &[]);
    sample_copy(&dir, "edited", &[("[ 500人未満 ]", "[ 500人以上 ]")]);
    std::fs::write(dir.join("in/empty.txt"), "").unwrap();
    let (input, out) = (dir.join("in"), dir.join("out"));
    // The empty file fails (exit 1) but still gives a record.
    bin(&["extract", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--provenance"]);
    for name in ["sample", "edited", "empty"] {
        let r = record(&dir, name);
        let mut errors = Vec::new();
        validate(&r, &schema, &schema, "", &mut errors);
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    assert!(record(&dir, "sample")["provenance"]["related.department"]["lines"].is_array());
    // The walker does catch what does not fit.
    let mut bad = record(&dir, "sample");
    bad["status"] = "done".into();
    bad["risk"]["audit"]["internal_audit"] = "yes".into();
    bad["header"]["extra"] = 1.into();
    let mut errors = Vec::new();
    validate(&bad, &schema, &schema, "", &mut errors);
    assert_eq!(errors.len(), 3, "{errors:?}");
    let codebook = String::from_utf8(bin(&["codebook"]).stdout).unwrap();
    for needle in ["`risk.audit.internal_audit`", "内部監査", "`provenance.", "threshold_mismatch", "latest_change_differs", "ambiguous_checkbox"] {
        assert!(codebook.contains(needle), "codebook lacks {needle}");
    }
    let csv_book = bin(&["codebook", "--csv"]).stdout;
    assert!(csv::Reader::from_reader(&csv_book[..]).records().count() > 60);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn consistency_warnings_on_edited_copies() {
    let dir = temp("checks");
    let cover_date = "令和6年5月24日\n\nいわき市長";
    let cases: &[(&str, &[(&str, &str)], &[&str])] = &[
        ("sample", &[], &[]),
        ("handlers", &[("[ 500人未満 ]", "[ 500人以上 ]")], &["threshold_mismatch"]),
        ("result", &[("基礎項目評価及び重点項目評価の実施", "基礎項目評価及び全項目評価の実施")], &["threshold_mismatch", "kind_below_required"]),
        ("published", &[(cover_date, "令和6年5月1日\n\nいわき市長")], &["published_before_change"]),
        (
            "early",
            &[(cover_date, "令和5年12月1日\n\nいわき市長")],
            &["count_date_after_published", "count_date_after_published", "published_before_change"],
        ),
        ("head", &[("②所属長の役職名 国保年金課長", "②所属長の役職名 国保年金課長補佐")], &["latest_change_differs"]),
    ];
    for (name, edits, _) in cases {
        sample_copy(&dir, name, edits);
    }
    extract(&dir, &["--format", "json"]);
    for (name, _, expected) in cases {
        let r = record(&dir, name);
        assert_eq!(warning_codes(&r), *expected, "{name}: {}", r["warnings"]);
        assert_eq!(r["status"], if expected.is_empty() { "ok" } else { "partial" });
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn diff_lists_exactly_the_edited_fields() {
    let dir = temp("diff");
    sample_copy(&dir, "old", &[]);
    sample_copy(&dir, "new", &[("①部署 市民協働部　国保年金課", "①部署 市民協働部　保険年金課"), ("[ 発生なし ]", "[ 発生あり ]")]);
    extract(&dir, &["--format", "json"]);
    let (a, b) = (dir.join("out/old.json"), dir.join("out/new.json"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());

    let same = bin(&["diff", a, a]);
    assert_eq!(same.status.code(), Some(0));
    assert!(same.stdout.is_empty());

    let text = bin(&["diff", a, b]);
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("related.department: 市民協働部　国保年金課 → 市民協働部　保険年金課"), "{text}");
    assert!(text.contains("threshold.serious_incident: 2) 発生なし → 1) 発生あり"), "{text}");

    let json = bin(&["diff", a, b, "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let diffs = &report["differences"];
    let paths: Vec<&str> = diffs.as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths[..2], ["related.department", "threshold.serious_incident"]);
    assert_eq!(diffs[1]["new"]["code"], 1);
    // 重大事故 発生あり contradicts the threshold result: the consistency check that
    // says so is gained (a warning now, a finding once findings are apart).
    assert!(paths.len() > 2, "{paths:?}");
    for d in &diffs.as_array().unwrap()[2..] {
        assert!(matches!(d["path"].as_str(), Some("warnings" | "findings")) && d["change"] == "gained", "{d}");
    }

    // Multi-line texts are diffed by line.
    let mut edited: Value = serde_json::from_str(&std::fs::read_to_string(b).unwrap()).unwrap();
    let summary = edited["related"]["affair_summary"].as_str().unwrap().replacen("【内容】", "【内容】\n０ 追加した行", 1);
    edited["related"]["affair_summary"] = summary.into();
    let c = dir.join("out/multi.json");
    std::fs::write(&c, serde_json::to_vec(&edited).unwrap()).unwrap();
    let text = String::from_utf8(bin(&["diff", b, c.to_str().unwrap()]).stdout).unwrap();
    assert!(text.starts_with("related.affair_summary:\n"), "{text}");
    assert!(text.lines().any(|l| l.trim_start() == "+ ０ 追加した行"), "{text}");
    assert_eq!(text.lines().filter(|l| l.trim_start().starts_with(['+', '-'])).count(), 1, "{text}");

    let missing = bin(&["diff", a, "/nonexistent/x.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(missing.stdout.is_empty() && !missing.stderr.is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}
