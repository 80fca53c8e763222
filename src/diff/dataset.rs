//! Dataset mode of `piasheet diff`: two runs (output folders or `sheets.jsonl` files)
//! compared sheet by sheet — the watchdog's yearly comparison. Sheets are keyed by
//! body (団体コード, else the body's name), kind and 評価書番号; each side's sheets
//! are reported added, removed, or changed field by field ([`super::compare`]).

use super::Report;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// What identifies a sheet across years: body, kind, 評価書番号.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Key {
    /// `organization.lg_code`, else `organization.name`, else `header.evaluator`; a
    /// record with none of them (a failed read) is keyed by `file:<source.file>`.
    pub body: String,
    /// `kind` (kiso, juten, zenkomoku).
    pub kind: String,
    /// `header.evaluation_number` (評価書番号), `?` when missing.
    pub evaluation_number: String,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} no.{}", self.body, self.kind, self.evaluation_number)
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// The key of a record.
pub fn key_of(v: &Value) -> Key {
    let body = text(v, "/organization/lg_code").or_else(|| text(v, "/organization/name")).or_else(|| text(v, "/header/evaluator"));
    let number = text(v, "/header/evaluation_number");
    let body = match (body, number) {
        (Some(b), _) => b.to_string(),
        (None, None) => format!("file:{}", text(v, "/source/file").unwrap_or("?")),
        (None, Some(_)) => "?".into(),
    };
    Key { body, kind: text(v, "/kind").unwrap_or("?").to_string(), evaluation_number: number.unwrap_or("?").to_string() }
}

/// A sheet as listed in the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sheet {
    /// Its key in the comparison.
    pub key: Key,
    /// `source.file`.
    pub file: Option<String>,
    /// `organization.name`.
    pub name: Option<String>,
    /// `header.title`.
    pub title: Option<String>,
    /// `header.published_on` (公表日).
    pub published_on: Option<String>,
}

impl Sheet {
    fn of(v: &Value) -> Sheet {
        let s = |p: &str| text(v, p).map(str::to_string);
        Sheet { key: key_of(v), file: s("/source/file"), name: s("/organization/name"), title: s("/header/title"), published_on: s("/header/published_on") }
    }

    /// `072044 kiso no.6 いわき市 国民健康保険事務 基礎項目評価書 (2024-05-24, in/x.txt)`.
    pub fn line(&self) -> String {
        let mut s = self.key.to_string();
        for part in [&self.name, &self.title].into_iter().flatten() {
            s += &format!(" {part}");
        }
        let meta: Vec<&str> = [&self.published_on, &self.file].into_iter().flatten().map(String::as_str).collect();
        if !meta.is_empty() {
            s += &format!(" ({})", meta.join(", "));
        }
        s
    }
}

/// A sheet in both datasets, with what changed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Changed {
    /// The sheet in the old dataset.
    pub old: Sheet,
    /// The sheet in the new dataset.
    pub new: Sheet,
    /// Its cautions and differences (flattened into this object in `--json`).
    #[serde(flatten)]
    pub report: Report,
}

/// Two datasets compared.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct DatasetReport {
    /// Sheets only in the new dataset, by key.
    pub added: Vec<Sheet>,
    /// Sheets only in the old dataset, by key.
    pub removed: Vec<Sheet>,
    /// Sheets in both that differ, by key.
    pub changed: Vec<Changed>,
    /// How many sheets are in both and equal.
    pub unchanged: usize,
    /// Keys held by several sheets of one side (e.g. two versions in one scrape): the
    /// newest by 公表日 (then the last read) is compared.
    pub cautions: Vec<String>,
}

impl DatasetReport {
    /// Whether the datasets differ (diff(1)'s exit status 1).
    pub fn differs(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty())
    }
}

/// Records of a dataset: a `.jsonl` file, a folder's `sheets.jsonl`, or, for a folder
/// written with `--format json` only, every record `*.json` below it.
pub fn load(path: &Path) -> Result<Vec<Value>, String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if path.is_dir() {
        let jsonl = path.join("sheets.jsonl");
        if jsonl.is_file() {
            return load(&jsonl);
        }
        let mut files = Vec::new();
        walk(path, &mut files).map_err(|e| err(&e))?;
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let bytes = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            // Only records: the folder also holds datapackage.json.
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                if v.get("schema_version").is_some() {
                    out.push(v);
                }
            }
        }
        if out.is_empty() {
            return Err(err(&"no sheets.jsonl and no record *.json in this folder"));
        }
        return Ok(out);
    }
    let file = std::fs::File::open(path).map_err(|e| err(&e))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| err(&e))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| format!("{}:{}: not a record: {e}", path.display(), n + 1))?);
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Records by key; for a key held twice, the newest (by 公表日, then order) and a caution.
fn by_key(records: Vec<Value>, side: &str, cautions: &mut Vec<String>) -> BTreeMap<Key, Value> {
    let mut map: BTreeMap<Key, Value> = BTreeMap::new();
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for r in records {
        let k = key_of(&r);
        *counts.entry(k.clone()).or_default() += 1;
        let newer = map.get(&k).is_none_or(|old| text(&r, "/header/published_on") >= text(old, "/header/published_on"));
        if newer {
            map.insert(k, r);
        }
    }
    for (k, n) in counts.into_iter().filter(|(_, n)| *n > 1) {
        cautions.push(format!("{side}: {n} sheets for {k}: the newest is compared"));
    }
    map
}

/// Compare two datasets' records.
pub fn compare(old: Vec<Value>, new: Vec<Value>) -> DatasetReport {
    let mut report = DatasetReport::default();
    let a = by_key(old, "old", &mut report.cautions);
    let mut b = by_key(new, "new", &mut report.cautions);
    for (k, x) in a {
        match b.remove(&k) {
            None => report.removed.push(Sheet::of(&x)),
            Some(y) => {
                let r = super::compare(&x, &y);
                if r.differences.is_empty() {
                    report.unchanged += 1;
                } else {
                    report.changed.push(Changed { old: Sheet::of(&x), new: Sheet::of(&y), report: r });
                }
            }
        }
    }
    report.added = b.values().map(Sheet::of).collect();
    report
}

/// Terminal form: `+` added, `-` removed, `~` changed with its differences indented,
/// then a summary line.
pub fn render_text(r: &DatasetReport) -> String {
    let mut out: String = r.cautions.iter().map(|c| format!("caution: {c}\n")).collect();
    for s in &r.added {
        out += &format!("+ {}\n", s.line());
    }
    for s in &r.removed {
        out += &format!("- {}\n", s.line());
    }
    for c in &r.changed {
        out += &format!("~ {}\n", c.new.line());
        for line in super::render_report(&c.report).lines() {
            out += &format!("    {line}\n");
        }
    }
    out += &format!("{} added, {} removed, {} changed, {} unchanged\n", r.added.len(), r.removed.len(), r.changed.len(), r.unchanged);
    out
}
