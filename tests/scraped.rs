//! Text scraped by other extractors (`../shared/extractors/TOOL/NAME.txt`, each with its
//! expected record) and mirror-site text (`../shared/mirror/`): the shape is recognised,
//! and the records score at least what they reached when this stage was built. Scored
//! as `shared/tools/score.py` scores: every leaf of the expected record but `source.*`,
//! `warnings`, `status`, `provenance` (text after NFKC with white space removed); change
//! rows as a multiset of (date, item, before, after, timing).
//!
//! The shared folder is `../shared` beside the repository (CI has a copy there); without
//! it the tests say so and pass.

mod common;
use common::canon;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("extractors").is_dir() {
        Some(p)
    } else {
        eprintln!("no ../shared/extractors beside the repository: skipped");
        None
    }
}

#[derive(Default, Debug)]
struct Score {
    fields_ok: usize,
    fields: usize,
    rows_hit: usize,
    rows_want: usize,
    rows_got: usize,
}

impl Score {
    fn fields_pct(&self) -> f64 {
        100.0 * self.fields_ok as f64 / self.fields.max(1) as f64
    }
    fn recall(&self) -> f64 {
        if self.rows_want == 0 { 100.0 } else { 100.0 * self.rows_hit as f64 / self.rows_want as f64 }
    }
    fn precision(&self) -> f64 {
        if self.rows_got == 0 {
            if self.rows_want == 0 { 100.0 } else { 0.0 }
        } else {
            100.0 * self.rows_hit as f64 / self.rows_got as f64
        }
    }
}

const IGNORED: [&str; 4] = ["warnings", "status", "provenance", "changes"];

fn is_object_list(v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object))
}

/// (path, expected leaf, actual leaf or None when the path is missing).
fn leaves<'a>(e: &'a Value, a: Option<&'a Value>, path: &str, out: &mut Vec<(String, &'a Value, Option<&'a Value>)>) {
    match e {
        Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                if (path.is_empty() && (IGNORED.contains(&k.as_str()) || k == "source")) || k == "changes" {
                    continue;
                }
                leaves(v, a.and_then(|a| a.get(k)), &p, out);
            }
        }
        v if is_object_list(v) => {
            for (i, x) in v.as_array().unwrap().iter().enumerate() {
                leaves(x, a.and_then(|a| a.get(i)), &format!("{path}[{i}]"), out);
            }
        }
        leaf => out.push((path.to_string(), leaf, a)),
    }
}

fn row_key(r: &Value) -> Vec<Value> {
    ["date", "item", "before", "after", "timing"].iter().map(|k| canon(r.get(*k).unwrap_or(&Value::Null))).collect()
}

fn score(expected: &Value, got: &Value, name: &str, wrong: &mut Vec<String>, s: &mut Score) {
    let mut ls = Vec::new();
    leaves(expected, Some(got), "", &mut ls);
    for (path, want, have) in ls {
        s.fields += 1;
        if have.is_some_and(|h| canon(h) == canon(want)) {
            s.fields_ok += 1;
        } else {
            wrong.push(format!("{name}: {path}: want {want} got {have:?}"));
        }
    }
    let want: Vec<Vec<Value>> = expected["changes"].as_array().map(|a| a.iter().map(row_key).collect()).unwrap_or_default();
    let mut pool: Vec<Vec<Value>> = got["changes"].as_array().map(|a| a.iter().map(row_key).collect()).unwrap_or_default();
    s.rows_want += want.len();
    s.rows_got += pool.len();
    for k in want {
        if let Some(p) = pool.iter().position(|x| *x == k) {
            pool.remove(p);
            s.rows_hit += 1;
        }
    }
}

/// Every NAME.txt of a folder through the library: its shape and its score.
fn run_folder(dir: &Path) -> (Score, Vec<String>, Vec<(String, String)>) {
    let mut s = Score::default();
    let mut wrong = Vec::new();
    let mut shapes = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect();
    names.sort();
    for p in names {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&p).unwrap();
        let expected: Value = serde_json::from_str(&std::fs::read_to_string(format!("{}.expected.json", p.display())).unwrap()).unwrap();
        let got = serde_json::to_value(piasheet::extract_text_dump(&name, &bytes)).unwrap();
        shapes.push((name.clone(), got["source"]["text_layout"].as_str().unwrap_or("").to_string()));
        // Rows seen but not rebuilt are counted in a warning.
        let want_rows = expected["changes"].as_array().map_or(0, Vec::len);
        let got_rows = got["changes"].as_array().map_or(0, Vec::len);
        if got_rows < want_rows {
            let warned = got["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "unreadable_rows");
            assert!(warned, "{}: {got_rows} of {want_rows} change rows and no unreadable_rows warning", p.display());
        }
        score(&expected, &got, &name, &mut wrong, &mut s);
    }
    (s, wrong, shapes)
}

/// (folder, shape, fields %, change recall %, change precision %) reached.
const EXTRACTORS: [(&str, &str, f64, f64, f64); 7] = [
    ("pdftotext-layout", "pdftotext_layout", 100.0, 100.0, 100.0),
    ("pymupdf-sort", "pymupdf_sort", 100.0, 100.0, 100.0),
    // Side by side, joined by single spaces: rows whose cells cannot be told apart
    // (lines merged with a list number, long rows no other text of the sheet matches)
    // are counted unreadable.
    ("pdfplumber", "pdfplumber", 100.0, 94.0, 100.0),
    // Column by column: rows rebuilt on the pages whose columns' counts agree (kiso-a's
    // page is read run by run: the two rows whose cells interleave are counted unreadable).
    ("pdfminer", "pdfminer", 100.0, 94.0, 100.0),
    // Column by column, cells cut and moved: the いつ時点の計数か rows whose dated cells
    // bind with certainty, on pages whose timings are all the same (src/scraped/typed_rows.rs).
    ("pdftotext", "pdftotext", 97.5, 14.0, 100.0),
    // Content-stream order (see src/scraped/stream.rs): only the rows whose cells split one way.
    ("pdftotext-raw", "pdftotext_raw", 100.0, 60.0, 100.0),
    ("pymupdf", "pymupdf", 100.0, 71.0, 100.0),
];

#[test]
fn extractor_folders_score() {
    let Some(shared) = shared() else { return };
    let mut failures = Vec::new();
    for (folder, shape, fields, recall, precision) in EXTRACTORS {
        let (s, wrong, shapes) = run_folder(&shared.join("extractors").join(folder));
        for (name, got) in &shapes {
            if got != shape {
                failures.push(format!("{folder}/{name}: shape {got}, want {shape}"));
            }
        }
        eprintln!(
            "{folder}: fields {}/{} ({:.1}%)  changes: recall {:.1}% precision {:.1}%",
            s.fields_ok,
            s.fields,
            s.fields_pct(),
            s.recall(),
            s.precision()
        );
        // Where the rows cannot be rebuilt, none is guessed.
        if recall == 0.0 && s.rows_got > 0 {
            failures.push(format!("{folder}: {} change rows guessed", s.rows_got));
        }
        if s.fields_pct() < fields || s.recall() < recall || s.precision() < precision {
            failures.push(format!(
                "{folder}: fields {:.1}% (min {fields}), recall {:.1}% (min {recall}), precision {:.1}% (min {precision})\n  {}",
                s.fields_pct(),
                s.recall(),
                s.precision(),
                wrong.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mirror_texts_keep_the_cover() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("mirror");
    if !dir.is_dir() {
        return;
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".txt") {
            continue;
        }
        let got = serde_json::to_value(piasheet::extract_text_dump(&name, &std::fs::read(&p).unwrap())).unwrap();
        let want_shape = if name.ends_with("-flat.txt") { "mirror_flat" } else { "mirror_lines" };
        assert_eq!(got["source"]["text_layout"], want_shape, "{name}");
        // The 基礎 sheets (the other kinds are read by the form engine): number and title.
        if name.starts_with("kiso-") {
            let expected: Value = serde_json::from_str(&std::fs::read_to_string(format!("{}.expected.json", p.display())).unwrap()).unwrap();
            for k in ["evaluation_number", "title", "declaration", "evaluator", "published_on"] {
                assert_eq!(canon(&got["header"][k]), canon(&expected["header"][k]), "{name}: header.{k}");
            }
            if name.ends_with("-lines.txt") {
                for k in ["special_notes"] {
                    assert_eq!(canon(&got["header"][k]), canon(&expected["header"][k]), "{name}: header.{k}");
                }
            }
        }
    }
}

/// A mirror-style text of the seed, written from the golden values: label line, then
/// value line, ASCII parentheses. Every header field must come out.
#[test]
fn mirror_style_seed_header() {
    let golden = common::golden();
    let h = &golden["header"];
    let s = |k: &str| h[k].as_str().unwrap_or("").to_string();
    let published = {
        // 2016-04-01 → 平成28年4月1日 (the golden keeps the ISO date).
        let d = s("published_on");
        let (y, m, dd) = (d[..4].parse::<u32>().unwrap(), d[5..7].parse::<u32>().unwrap(), d[8..10].parse::<u32>().unwrap());
        if y >= 2019 && (y > 2019 || m >= 5) { format!("令和{}年{m}月{dd}日", y - 2018) } else { format!("平成{}年{m}月{dd}日", y - 1988) }
    };
    let sample = common::sample_text();
    let stamp = sample.lines().find(|l| l.trim().starts_with('[') && l.contains("様式")).unwrap_or("[平成31年１月　様式２]").trim().to_string();
    let mut text = format!(
        "特定個人情報保護評価書(基礎項目評価書)\n評価書番号\n{}\n評価書名\n{}\n個人のプライバシー等の権利利益の保護の宣言\n{}\n特記事項\n{}\n評価実施機関名\n{}\n公表日\n{}\n{}\n",
        s("evaluation_number"),
        s("title"),
        s("declaration"),
        s("special_notes"),
        s("evaluator"),
        published,
        stamp.replace('（', "(").replace('）', ")"),
    );
    // The rest of the sheet as a mirror prints it: the sample from Ⅰ on, ASCII forms
    // (NFKC), one cell per line, no blank lines.
    if let Some(p) = sample.find("Ⅰ") {
        use unicode_normalization::UnicodeNormalization;
        for l in sample[p..].lines().map(str::trim).filter(|l| !l.is_empty()) {
            text.push_str(&l.nfkc().collect::<String>());
            text.push('\n');
        }
    }
    let text: String = {
        use unicode_normalization::UnicodeNormalization;
        text.nfkc().collect()
    };
    assert_eq!(piasheet::scraped::shape_of(&text), piasheet::scraped::TextLayout::MirrorLines);
    let got = serde_json::to_value(piasheet::extract_text_dump("seed-mirror.txt", text.as_bytes())).unwrap();
    for k in ["evaluation_number", "title", "declaration", "special_notes", "evaluator", "published_on"] {
        assert_eq!(canon(&got["header"][k]), canon(&h[k]), "header.{k} of a mirror-style seed");
    }
}
