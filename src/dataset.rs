//! Dataset files for researchers: `sheets.jsonl`, `sheets.csv`, `changes.csv`, written
//! as a stream while the batch runs (rows in input order), so memory stays flat however
//! many sheets there are.

use crate::write::AtomicFile;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

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

/// Columns of `sheets.csv`: every scalar leaf of the record schema, then the warnings
/// (computed once: every row looks them up).
pub fn sheet_columns() -> &'static [String] {
    static COLUMNS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| {
        let mut cols: Vec<String> = crate::codebook::sheet_leaves().into_iter().map(|l| l.path).collect();
        cols.push("warnings".into());
        cols
    })
}

/// The dataset files being written: rows are appended in the order they come (the
/// caller gives them in input order, so two runs over the same inputs give identical
/// files), and the files are put in place whole by [`DatasetWriter::commit`].
pub struct DatasetWriter {
    jsonl: Option<AtomicFile>,
    sheets: Option<AtomicFile>,
    changes: Option<AtomicFile>,
}

impl DatasetWriter {
    /// Start the files of `formats` in `out_dir` (none for `json` alone).
    pub fn create(out_dir: &Path, formats: &Formats) -> io::Result<DatasetWriter> {
        let jsonl = formats.jsonl.then(|| AtomicFile::create(&out_dir.join("sheets.jsonl"))).transpose()?;
        let (mut sheets, mut changes) = (None, None);
        if formats.csv {
            // The BOM makes Excel read the file as UTF-8 instead of the local code page.
            let mut s = AtomicFile::create(&out_dir.join("sheets.csv"))?;
            s.write_all(b"\xEF\xBB\xBF")?;
            s.write_all(&csv_row(sheet_columns().iter())?)?;
            let mut c = AtomicFile::create(&out_dir.join("changes.csv"))?;
            c.write_all(b"\xEF\xBB\xBF")?;
            c.write_all(&csv_row(CHANGE_KEYS.iter().chain(CHANGE_FIELDS))?)?;
            (sheets, changes) = (Some(s), Some(c));
        }
        Ok(DatasetWriter { jsonl, sheets, changes })
    }

    pub fn append(&mut self, rows: &Rows) -> io::Result<()> {
        for (out, bytes) in [(&mut self.jsonl, &rows.jsonl), (&mut self.sheets, &rows.sheet), (&mut self.changes, &rows.changes)] {
            if let Some(out) = out.as_mut() {
                out.write_all(bytes)?;
            }
        }
        Ok(())
    }

    pub fn commit(self) -> io::Result<()> {
        for f in [self.jsonl, self.sheets, self.changes].into_iter().flatten() {
            f.commit()?;
        }
        Ok(())
    }
}

/// The dataset rows of one record, ready to append: its `sheets.jsonl` line, its
/// `sheets.csv` row and its `changes.csv` rows (each empty when not asked for).
#[derive(Default)]
pub struct Rows {
    jsonl: Vec<u8>,
    sheet: Vec<u8>,
    changes: Vec<u8>,
}

impl Rows {
    /// The rows of a record in its JSON form. Made on the worker threads, so the
    /// flattening runs in parallel.
    pub fn of(record: &Value, formats: &Formats) -> io::Result<Rows> {
        let mut rows = Rows::default();
        if formats.jsonl {
            serde_json::to_writer(&mut rows.jsonl, record)?;
            rows.jsonl.push(b'\n');
        }
        if formats.csv {
            let cells = flatten(record);
            rows.sheet = csv_row(sheet_columns().iter().map(|col| cells.get(col.as_str()).map_or("", |c| c.as_ref())))?;
            let keys: Vec<&str> = CHANGE_KEYS.iter().map(|k| cells.get(*k).map_or("", |c| c.as_ref())).collect();
            let mut c = csv::Writer::from_writer(&mut rows.changes);
            for row in record.get("changes").and_then(Value::as_array).into_iter().flatten() {
                let fields: Vec<Cow<str>> = CHANGE_FIELDS.iter().map(|f| row.get(*f).map(scalar).unwrap_or_default()).collect();
                c.write_record(keys.iter().copied().chain(fields.iter().map(|f| f.as_ref())))?;
            }
            c.flush()?;
        }
        Ok(rows)
    }

    /// The rows of a record stored as JSON in `path` (an output kept by `--resume`).
    pub fn of_file(path: &Path, formats: &Formats) -> io::Result<Rows> {
        let bytes = std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let record: Value = serde_json::from_slice(&bytes).map_err(|e| bad_data(path, e))?;
        Rows::of(&record, formats)
    }
}

/// One CSV record as bytes.
fn csv_row<T: AsRef<[u8]>>(cells: impl Iterator<Item = T>) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cells)?;
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

fn bad_data(path: &Path, e: serde_json::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
}

/// A JSON scalar as a CSV cell: null is empty, strings as they are.
fn scalar(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// The record's cells by dotted path: a choice gives its label at its own path and the
/// number at `.code`; arrays are left to their own files, except warnings (one cell).
pub fn flatten(record: &Value) -> HashMap<String, Cow<'_, str>> {
    // `path` is one buffer, extended and cut back on the way down.
    fn walk<'a>(v: &'a Value, path: &mut String, out: &mut HashMap<String, Cow<'a, str>>) {
        match v {
            Value::Object(m) => {
                let choice = m.contains_key("code") && m.contains_key("label");
                for (k, x) in m {
                    if path.is_empty() && matches!(k.as_str(), "changes" | "warnings" | "provenance") {
                        continue;
                    }
                    if choice && k == "label" {
                        out.insert(path.clone(), scalar(x));
                        continue;
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    walk(x, path, out);
                    path.truncate(len);
                }
            }
            Value::Array(_) => {}
            scalar_value => {
                out.insert(path.clone(), scalar(scalar_value));
            }
        }
    }
    let mut out = HashMap::with_capacity(128);
    walk(record, &mut String::new(), &mut out);
    let warnings: Vec<String> = record
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|w| format!("{}@{}", scalar(w.get("code").unwrap_or(&Value::Null)), scalar(w.get("path").unwrap_or(&Value::Null))))
        .collect();
    out.insert("warnings".into(), Cow::Owned(warnings.join("; ")));
    out
}
