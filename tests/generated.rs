//! The project's own generated sheets (issue #12): 重点 and 全項目 sheets of every stamp
//! piasheet knows, rendered from random but valid records by tools/gen (two layouts, as
//! two producers would make them), with the pdf-extract dump of each PDF.
//!
//! `tests/generated/NAME.pdf` is read by the PDF route and must give every field of
//! `NAME.json.gz` (the record it was rendered from). `NAME.txt.gz` is what pdf-extract
//! returns for that PDF; its reading is scored and must not fall below the floor
//! (jumbled dumps are still being improved). Nothing is rendered here: the test only reads
//! the committed files (regenerate with docs/generated-sheets.md).
//!
//! Comparison as shared/tools/score.py: text after NFKC with white space removed, lists
//! of objects element by element, `changes` rows as a multiset; `source.file`, `sha256`,
//! `bytes`, `warnings`, `status`, `provenance` are not compared.

use flate2::read::GzDecoder;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use unicode_normalization::UnicodeNormalization;

const IGNORED: [&str; 6] = ["source.file", "source.sha256", "source.bytes", "warnings", "status", "provenance"];

/// Share of the dumps' fields read right that main achieved when the set was made
/// (39682 of 108468 = 0.3658, change rows found: none); a change that reads fewer fails.
/// Raise it as jumbled dumps are read better (0.986: 106950 of 108468 once an answer
/// wrapped after its bracket is read).
const DUMP_FLOOR: f64 = 0.986;

/// Share of the dumps' change rows found (0 before the cell-by-cell table reader); every
/// row read from a dump must be one of the sheet's rows (precision is not a floor: a
/// wrong row fails).
const DUMP_CHANGES_RECALL_FLOOR: f64 = 0.99;

const KNOWN_HEADER: &str = "# Fields the PDF route reads wrong in tests/generated (SHEET<TAB>PATH), see tests/generated.rs.\n# Written by PIASHEET_BLESS_GENERATED=1 cargo test --release --test generated; only delete lines by hand.\n";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/generated")
}

fn gunzip(p: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(std::fs::File::open(p).unwrap()).read_to_end(&mut out).unwrap();
    out
}

fn canon(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.nfkc().filter(|c| !c.is_whitespace()).collect()),
        other => other.clone(),
    }
}

fn is_object_list(v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object))
}

/// Every leaf of `want` (but `changes` and the ignored paths) against `got`: (fields, wrong).
fn compare(path: &str, want: &Value, got: Option<&Value>, total: &mut usize, wrong: &mut Vec<String>) {
    if IGNORED.contains(&path) {
        return;
    }
    match want {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "changes" {
                    continue;
                }
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                compare(&p, v, got.and_then(|g| g.get(k)), total, wrong);
            }
        }
        Value::Array(items) if is_object_list(want) => {
            for (i, v) in items.iter().enumerate() {
                compare(&format!("{path}[{i}]"), v, got.and_then(|g| g.get(i)), total, wrong);
            }
        }
        _ => {
            *total += 1;
            match got {
                Some(g) if canon(g) == canon(want) => {}
                g => wrong.push(format!("{path}: want {want} got {}", g.map_or("<missing>".to_string(), |g| g.to_string()))),
            }
        }
    }
}

fn row_key(r: &Value) -> Vec<Value> {
    ["date", "item", "before", "after", "timing"].iter().map(|k| canon(&r[*k])).collect()
}

/// Expected rows not in the output, then output rows not expected.
fn change_diffs(want: &Value, got: &Value) -> (usize, Vec<String>) {
    let mut pool: Vec<Vec<Value>> = got["changes"].as_array().map(|a| a.iter().map(row_key).collect()).unwrap_or_default();
    let rows: Vec<Vec<Value>> = want["changes"].as_array().unwrap().iter().map(row_key).collect();
    let mut errs = Vec::new();
    for w in &rows {
        match pool.iter().position(|g| g == w) {
            Some(i) => {
                pool.remove(i);
            }
            None => errs.push(format!("changes: row not found: {} {}", w[0], w[1])),
        }
    }
    errs.extend(pool.iter().map(|e| format!("changes: unexpected row: {} {}", e[0], e[1])));
    (rows.len(), errs)
}

/// The committed sheets: name → expected record (of the PDF).
fn sheets() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json.gz") {
            out.insert(stem.to_string(), serde_json::from_slice(&gunzip(&p)).unwrap());
        }
    }
    out
}

fn extract(inputs: &[PathBuf], out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_piasheet")).arg("extract").args(inputs).arg("-o").arg(out).status().unwrap();
    assert!(status.success(), "piasheet extract failed: {status}");
}

struct Score {
    fields: usize,
    wrong: Vec<String>,
    rows: usize,
    row_errors: Vec<String>,
}

/// Every (output stem, expected record) against `out/STEM.json`.
fn score(cases: &[(String, Value)], out: &Path, txt: bool) -> Score {
    let mut s = Score { fields: 0, wrong: Vec::new(), rows: 0, row_errors: Vec::new() };
    for (name, want) in cases {
        let mut want = want.clone();
        if txt {
            // The dump's record differs only in `source` (as shared/forms/*.txt.expected.json).
            want["source"]["format"] = "text".into();
            want["source"]["encoding"] = "UTF-8".into();
            want["source"]["pages"] = Value::Null;
        }
        let got: Value = serde_json::from_slice(&std::fs::read(out.join(format!("{name}.json"))).unwrap()).unwrap();
        let mut wrong = Vec::new();
        compare("", &want, Some(&got), &mut s.fields, &mut wrong);
        s.wrong.extend(wrong.into_iter().map(|w| format!("{name}\t{w}")));
        let (rows, errs) = change_diffs(&want, &got);
        s.rows += rows;
        s.row_errors.extend(errs.into_iter().map(|e| format!("{name}\t{e}")));
    }
    s
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("piasheet-generated-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn generated_set_covers_the_new_kinds_and_stamps() {
    let sheets = sheets();
    let mut per_form: BTreeMap<String, usize> = BTreeMap::new();
    for want in sheets.values() {
        *per_form.entry(format!("{} {}", want["kind"].as_str().unwrap(), want["form"]["label"].as_str().unwrap())).or_default() += 1;
    }
    assert!(sheets.len() >= 200, "{} sheets", sheets.len());
    for form in ["zenkomoku 平成26年4月 様式4", "zenkomoku 平成28年1月 様式4", "zenkomoku 平成30年5月 様式4", "juten 平成26年4月 様式3", "juten 平成30年5月 様式3"] {
        assert!(per_form.get(form).copied().unwrap_or(0) >= 40, "{form}: {per_form:?}");
    }
    for name in sheets.keys() {
        assert!(dir().join(format!("{name}.pdf")).is_file(), "{name}.pdf");
        assert!(dir().join(format!("{name}.txt.gz")).is_file(), "{name}.txt.gz");
    }
}

/// The PDF route must read every field of every generated PDF. Fields it reads wrong on
/// main today are listed, one `SHEET<TAB>PATH` a line, in `tests/generated/pdf-known-wrong.txt`
/// (reported in the issue; they are genuine reading faults, not generator artefacts). A
/// field wrong that is not listed fails the test, and so does a listed one read right now:
/// delete its line, so the list only shrinks.
#[test]
fn generated_pdfs_are_read_exactly() {
    let sheets = sheets();
    let out = tmp("pdf");
    // Every sheet's PDF (CID fonts), and the embedded-font twins committed for some.
    let mut cases: Vec<(String, Value)> = Vec::new();
    for (name, want) in &sheets {
        cases.push((name.clone(), want.clone()));
        if dir().join(format!("{name}-ipa.pdf")).is_file() {
            cases.push((format!("{name}-ipa"), want.clone()));
        }
    }
    let inputs: Vec<PathBuf> = cases.iter().map(|(n, _)| dir().join(format!("{n}.pdf"))).collect();
    extract(&inputs, &out);
    let s = score(&cases, &out, false);
    let _ = std::fs::remove_dir_all(&out);
    // A wrong field is `SHEET\tPATH: want … got …`; the list keys on `SHEET\tPATH`.
    let key = |w: &String| w.split(": want ").next().unwrap_or(w).to_string();
    let known: std::collections::BTreeSet<String> = std::fs::read_to_string(dir().join("pdf-known-wrong.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let wrong: Vec<&String> = s.wrong.iter().chain(s.row_errors.iter()).collect();
    let now: std::collections::BTreeSet<String> = wrong.iter().map(|w| key(w)).collect();
    if std::env::var_os("PIASHEET_BLESS_GENERATED").is_some() {
        // After regenerating the set (docs/generated-sheets.md): list what is wrong now.
        let text: String = now.iter().map(|k| format!("{k}\n")).collect();
        std::fs::write(dir().join("pdf-known-wrong.txt"), format!("{KNOWN_HEADER}{text}")).unwrap();
        return;
    }
    let new: Vec<&&String> = wrong.iter().filter(|w| !known.contains(&key(w))).collect();
    let fixed: Vec<&String> = known.iter().filter(|k| !now.contains(*k)).collect();
    eprintln!(
        "generated PDFs: fields {}/{} right, {} change-row errors over {} rows, {} PDFs ({} known wrong)",
        s.fields - s.wrong.len(),
        s.fields,
        s.row_errors.len(),
        s.rows,
        cases.len(),
        known.len()
    );
    assert!(new.is_empty(), "{} fields read wrong that are not in pdf-known-wrong.txt:\n{}", new.len(), new.iter().map(|w| w.as_str()).collect::<Vec<_>>().join("\n"));
    assert!(fixed.is_empty(), "{} fields of pdf-known-wrong.txt are read right now; delete their lines:\n{}", fixed.len(), fixed.iter().map(|w| w.as_str()).collect::<Vec<_>>().join("\n"));
}

#[test]
fn generated_dumps_do_not_fall_below_the_floor() {
    let sheets = sheets();
    let work = tmp("txt");
    let inputs: Vec<PathBuf> = sheets
        .keys()
        .map(|n| {
            let p = work.join(format!("{n}.txt"));
            std::fs::write(&p, gunzip(&dir().join(format!("{n}.txt.gz")))).unwrap();
            p
        })
        .collect();
    let out = work.join("out");
    extract(&inputs, &out);
    let cases: Vec<(String, Value)> = sheets.into_iter().collect();
    let s = score(&cases, &out, true);
    let _ = std::fs::remove_dir_all(&work);
    let share = (s.fields - s.wrong.len()) as f64 / s.fields as f64;
    let recall = (s.rows - s.row_errors.iter().filter(|e| e.contains("row not found")).count()) as f64 / s.rows.max(1) as f64;
    eprintln!("generated dumps: fields {}/{} ({:.1}%), change rows found {:.1}%", s.fields - s.wrong.len(), s.fields, share * 100.0, recall * 100.0);
    assert!(share >= DUMP_FLOOR, "fields read right fell to {share:.4} (floor {DUMP_FLOOR}):\n{}", s.wrong.iter().take(200).cloned().collect::<Vec<_>>().join("\n"));
    let unexpected: Vec<&String> = s.row_errors.iter().filter(|e| e.contains("unexpected row")).collect();
    assert!(unexpected.is_empty(), "{} change rows read from dumps are not rows of their sheets:\n{}", unexpected.len(), unexpected.iter().map(|e| e.as_str()).collect::<Vec<_>>().join("\n"));
    assert!(recall >= DUMP_CHANGES_RECALL_FLOOR, "change rows found fell to {recall:.4} (floor {DUMP_CHANGES_RECALL_FLOOR}):\n{}", s.row_errors.join("\n"));
}
