//! Dataset files for researchers: `sheets.jsonl`, `sheets.csv`, `changes.csv`, built by
//! streaming over the per-file JSON outputs so memory stays flat however many sheets
//! there are (only the file names and their sort keys are held).

use crate::write::AtomicFile;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Which outputs `extract` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// One pretty JSON per input.
    pub json: bool,
    pub jsonl: bool,
    pub csv: bool,
}

impl Formats {
    /// Parse `json,jsonl,csv` (any subset, comma-separated).
    pub fn parse(s: &str) -> Result<Formats, String> {
        let mut f = Formats { json: false, jsonl: false, csv: false };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "json" => f.json = true,
                "jsonl" => f.jsonl = true,
                "csv" => f.csv = true,
                other => return Err(format!("unknown format {other:?} (expected json, jsonl, csv)")),
            }
        }
        Ok(f)
    }
}

/// Key columns repeated on every `changes.csv` row, to join it back to `sheets.csv`.
pub const CHANGE_KEYS: &[&str] = &["source.file", "header.evaluation_number", "organization.lg_code", "organization.name", "header.title"];
/// Fields of one change row, in `changes.csv` order.
pub const CHANGE_FIELDS: &[&str] = &["date", "date_text", "item", "before", "after", "timing", "timing_note"];

/// Columns of `sheets.csv`: every scalar leaf of the record schema, then the warnings.
pub fn sheet_columns() -> Vec<String> {
    let mut cols: Vec<String> = crate::codebook::sheet_leaves().into_iter().map(|l| l.path).collect();
    cols.push("warnings".into());
    cols
}

/// Write the dataset files of `formats` into `out_dir` from the records in `json_files`.
/// Rows are sorted by `source.file`, so every run gives the same files. A JSON file that
/// is missing (its write failed, already reported) is left out.
pub fn write_dataset(out_dir: &Path, json_files: &[PathBuf], formats: &Formats) -> io::Result<()> {
    if !formats.jsonl && !formats.csv {
        return Ok(());
    }
    // First pass: only the sort key of each file.
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Key {
        source: KeySource,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct KeySource {
        file: String,
    }
    let keys: Vec<Option<String>> = json_files
        .par_iter()
        .map(|path| match read_present(path)? {
            Some(bytes) => serde_json::from_slice::<Key>(&bytes).map(|k| Some(k.source.file)).map_err(|e| bad_data(path, e)),
            None => Ok(None),
        })
        .collect::<io::Result<_>>()?;
    let mut order: Vec<(String, &PathBuf)> = keys.into_iter().zip(json_files).filter_map(|(k, p)| Some((k?, p))).collect();
    order.sort();

    let mut jsonl = formats.jsonl.then(|| AtomicFile::create(&out_dir.join("sheets.jsonl"))).transpose()?;
    let mut sheets = None;
    let mut changes = None;
    let columns = sheet_columns();
    if formats.csv {
        // The BOM makes Excel read the file as UTF-8 instead of the local code page.
        let mut s = AtomicFile::create(&out_dir.join("sheets.csv"))?;
        s.write_all(b"\xEF\xBB\xBF")?;
        s.write_all(&csv_row(columns.iter())?)?;
        let mut c = AtomicFile::create(&out_dir.join("changes.csv"))?;
        c.write_all(b"\xEF\xBB\xBF")?;
        c.write_all(&csv_row(CHANGE_KEYS.iter().chain(CHANGE_FIELDS))?)?;
        sheets = Some(s);
        changes = Some(c);
    }
    // The rows of a chunk of files are made in parallel (each file parsed and flattened
    // on its own), then written in order; one chunk is held at a time.
    for chunk in order.chunks(CHUNK) {
        let rows: Vec<Rows> = chunk.par_iter().map(|(_, path)| rows_of(path, formats, &columns)).collect::<io::Result<_>>()?;
        for r in rows {
            if let Some(out) = jsonl.as_mut() {
                out.write_all(&r.jsonl)?;
            }
            if let (Some(s), Some(c)) = (sheets.as_mut(), changes.as_mut()) {
                s.write_all(&r.sheet)?;
                c.write_all(&r.changes)?;
            }
        }
    }
    if let Some(out) = jsonl {
        out.commit()?;
    }
    for w in [sheets, changes].into_iter().flatten() {
        w.commit()?;
    }
    Ok(())
}

/// Files whose dataset rows are made at once (bounds the memory held).
const CHUNK: usize = 256;

/// The dataset rows of one record, ready to append: its `sheets.jsonl` line, its
/// `sheets.csv` row and its `changes.csv` rows (each empty when not asked for).
#[derive(Default)]
struct Rows {
    jsonl: Vec<u8>,
    sheet: Vec<u8>,
    changes: Vec<u8>,
}

fn rows_of(path: &Path, formats: &Formats, columns: &[String]) -> io::Result<Rows> {
    let mut rows = Rows::default();
    // A file removed since the sort pass is left out, like a missing one.
    let Some(bytes) = read_present(path)? else { return Ok(rows) };
    let record: Value = serde_json::from_slice(&bytes).map_err(|e| bad_data(path, e))?;
    if formats.jsonl {
        serde_json::to_writer(&mut rows.jsonl, &record)?;
        rows.jsonl.push(b'\n');
    }
    if formats.csv {
        let cells = flatten(&record);
        rows.sheet = csv_row(columns.iter().map(|col| cells.get(col.as_str()).map_or("", String::as_str)))?;
        let keys: Vec<&str> = CHANGE_KEYS.iter().map(|k| cells.get(*k).map_or("", String::as_str)).collect();
        let mut c = csv::Writer::from_writer(&mut rows.changes);
        for row in record.get("changes").and_then(Value::as_array).into_iter().flatten() {
            let fields: Vec<String> = CHANGE_FIELDS.iter().map(|f| row.get(*f).map(scalar).unwrap_or_default()).collect();
            c.write_record(keys.iter().copied().chain(fields.iter().map(String::as_str)))?;
        }
        c.flush()?;
    }
    Ok(rows)
}

/// One CSV record as bytes.
fn csv_row<T: AsRef<[u8]>>(cells: impl Iterator<Item = T>) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cells)?;
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// The bytes of `path`, or `None` if it does not exist.
fn read_present(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
}

fn bad_data(path: &Path, e: serde_json::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
}

/// A JSON scalar as a CSV cell: null is empty, strings as they are.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The record's cells by dotted path: a choice gives its label at its own path and the
/// number at `.code`; arrays are left to their own files, except warnings (one cell).
pub fn flatten(record: &Value) -> HashMap<String, String> {
    fn walk(v: &Value, path: &str, out: &mut HashMap<String, String>) {
        match v {
            Value::Object(m) => {
                let choice = m.contains_key("code") && m.contains_key("label");
                for (k, x) in m {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    if path.is_empty() && matches!(k.as_str(), "changes" | "warnings" | "provenance") {
                        continue;
                    }
                    if choice && k == "label" {
                        out.insert(path.to_string(), scalar(x));
                    } else {
                        walk(x, &p, out);
                    }
                }
            }
            Value::Array(_) => {}
            scalar_value => {
                out.insert(path.to_string(), scalar(scalar_value));
            }
        }
    }
    let mut out = HashMap::new();
    walk(record, "", &mut out);
    let warnings: Vec<String> = record
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|w| format!("{}@{}", scalar(w.get("code").unwrap_or(&Value::Null)), scalar(w.get("path").unwrap_or(&Value::Null))))
        .collect();
    out.insert("warnings".into(), warnings.join("; "));
    out
}
