//! `piasheet schema --kind K` really constrains: real records of each kind fit it, and
//! a record with a missing key, a bad date, an unknown choice code or a bad 団体コード
//! does not (checked with a JSON Schema validator, not by hand).

use serde_json::{json, Value};
use std::process::Command;

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_piasheet")).args(args).output().unwrap()
}

fn schema(kind: &str) -> jsonschema::Validator {
    let o = bin(&["schema", "--kind", kind]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::validator_for(&s).unwrap()
}

fn record(path: &str) -> Value {
    let dir = std::env::temp_dir().join(format!("piasheet-schema-{}-{}", std::process::id(), path.replace('/', "_")));
    let o = bin(&["extract", path, "-o", dir.to_str().unwrap(), "-q"]);
    assert!(o.status.code().unwrap_or(9) <= 1, "{}", String::from_utf8_lossy(&o.stderr));
    let stem = std::path::Path::new(path).file_stem().unwrap().to_str().unwrap().to_string();
    let r = serde_json::from_slice(&std::fs::read(dir.join(format!("{stem}.json"))).unwrap()).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    r
}

fn errors(v: &jsonschema::Validator, r: &Value) -> Vec<String> {
    v.iter_errors(r).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn kiso_records_fit_and_bad_ones_do_not() {
    let v = schema("kiso");
    let good = record("input/000_72349b560cd020d7.txt");
    assert!(errors(&v, &good).is_empty(), "{:?}", errors(&v, &good));
    assert!(!errors(&v, &json!({})).is_empty(), "{{}} is not a record");
    let mut bad = good.clone();
    bad["header"]["published_on"] = json!("not-a-date");
    assert!(errors(&v, &bad).iter().any(|e| e.contains("published_on")), "{:?}", errors(&v, &bad));
    let mut bad = good.clone();
    bad["threshold"]["serious_incident"]["code"] = json!(9);
    assert!(errors(&v, &bad).iter().any(|e| e.contains("serious_incident")), "{:?}", errors(&v, &bad));
    let mut bad = good.clone();
    bad["organization"]["lg_code"] = json!("abc");
    assert!(errors(&v, &bad).iter().any(|e| e.contains("lg_code")), "{:?}", errors(&v, &bad));
    let mut bad = good;
    bad.as_object_mut().unwrap().remove("changes");
    assert!(!errors(&v, &bad).is_empty(), "a missing key fails");
}

#[test]
fn new_kinds_fit_their_own_schema() {
    let shared = std::path::Path::new("../shared/forms");
    assert!(shared.is_dir(), "the shared fixtures (../shared) are needed");
    for (kind, file) in [("juten", "juten-h30.pdf"), ("zenkomoku", "zenkomoku-h30.pdf"), ("zenkomoku", "zenkomoku-h26.txt")] {
        let v = schema(kind);
        let r = record(shared.join(file).to_str().unwrap());
        assert_eq!(r["kind"], kind);
        assert!(errors(&v, &r).is_empty(), "{file}: {:?}", errors(&v, &r));
        let mut bad = r.clone();
        bad["files"][0]["basic"]["population"]["code"] = json!(9);
        assert!(errors(&v, &bad).iter().any(|e| e.contains("population")), "{file}");
        let mut bad = r;
        bad["files"][0]["basic"]["holding_start"] = json!("2017/11/16");
        assert!(errors(&v, &bad).iter().any(|e| e.contains("holding_start")), "{file}");
    }
    // A 全項目 record is not a 重点 one.
    let z = record(shared.join("zenkomoku-h30.pdf").to_str().unwrap());
    assert!(!errors(&schema("juten"), &z).is_empty());
}
