//! Entry points for programs that embed the library (the Python package): read one
//! input with an explicit PDF worker executable, so that a host program (an
//! interpreter) is never re-launched as a worker.

use crate::batch::{self, Input, Options};
use crate::record::Record;
use std::path::Path;

/// An [`Input`] for a path read on its own (no output folder: `output` is `<stem>.json`).
pub fn input_of(path: &Path) -> Input {
    Input { path: path.to_path_buf(), output: Path::new(path.file_stem().unwrap_or_default()).with_extension("json") }
}

/// Read one input file into a record, as `piasheet extract` does, with PDFs read by
/// `worker_exe` (the `piasheet` binary) in a supervised worker process. Never panics.
pub fn read_path_with(path: &Path, opts: &Options, worker_exe: &Path) -> Record {
    let input = input_of(path);
    match batch::load(&input, opts) {
        Ok(bytes) => record_of_with(&input, bytes, opts, worker_exe),
        Err(r) => *r,
    }
}

/// Parse bytes already loaded into a record: a text dump in this process (under the
/// `opts.pdf_timeout` deadline), a PDF in a `worker_exe` process. Never panics.
pub fn record_of_with(input: &Input, bytes: Vec<u8>, opts: &Options, worker_exe: &Path) -> Record {
    let is_pdf = bytes.starts_with(b"%PDF") || input.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if !is_pdf {
        return batch::record_of(input, bytes, opts);
    }
    let file = input.path.to_string_lossy().into_owned();
    let mut record = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pdf_record(&file, &input.path, &bytes, opts, worker_exe)))
        .unwrap_or_else(|_| crate::failed(crate::source_of(&file, &bytes, "pdf"), "internal", "parser bug: please report it with the file"));
    if !opts.provenance {
        record.provenance = None;
    }
    record
}

fn pdf_record(file: &str, path: &Path, bytes: &[u8], opts: &Options, worker_exe: &Path) -> Record {
    let mut source = crate::source_of(file, bytes, "pdf");
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return crate::failed(source, "empty", format!("an empty file ({} bytes, no content)", bytes.len()));
    }
    if !bytes.starts_with(b"%PDF") {
        let what = if crate::decode::looks_like_html(bytes) { "an HTML page" } else { "no %PDF header" };
        return crate::failed(source, "not_a_sheet", format!("named .pdf but not a PDF ({what})"));
    }
    match crate::pdf::read_pdf_with_limits(worker_exe, path, bytes, opts.pdf_timeout, opts.max_memory) {
        Ok(layout) => {
            source.pages = Some(layout.pages as u32);
            crate::extract_pdf_layout(source, &layout)
        }
        Err(e) => crate::failed(source, &e.code, e.message),
    }
}

/// A record's cells as `sheets.csv` holds them (in [`crate::dataset::sheet_columns`]
/// order), and its `changes.csv` rows (the [`crate::dataset::CHANGE_KEYS`], then the
/// [`crate::dataset::CHANGE_FIELDS`]): for building tables from `sheets.jsonl`.
pub fn table_cells(record: &serde_json::Value) -> (Vec<String>, Vec<Vec<String>>) {
    use crate::dataset::{flatten, sheet_columns, CHANGE_FIELDS, CHANGE_KEYS};
    let cells = flatten(record);
    let cell = |k: &str| cells.get(k).map_or(String::new(), |c| c.to_string());
    let sheet = sheet_columns().iter().map(|c| cell(c)).collect();
    let keys: Vec<String> = CHANGE_KEYS.iter().map(|k| cell(k)).collect();
    let scalar = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let changes = record
        .get("changes")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .map(|row| keys.iter().cloned().chain(CHANGE_FIELDS.iter().map(|f| scalar(row.get(*f)))).collect())
        .collect();
    (sheet, changes)
}

/// The `format` (`date`), else the `pattern`, of each scalar leaf of the record schema
/// that has one, by dotted path (`header.published_on` → `date`, `form.date` →
/// `^[0-9]{4}-[0-9]{2}$`): which columns are dates (and months, codes) for typed tables.
pub fn leaf_patterns() -> Vec<(String, String)> {
    use serde_json::Value;
    fn resolve<'a>(s: &'a Value, root: &'a Value, depth: usize) -> Vec<&'a Value> {
        if depth > 32 {
            return vec![];
        }
        if let Some(name) = s.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()) {
            if let Some(def) = root.get("$defs").and_then(|d| d.get(name)) {
                return resolve(def, root, depth + 1);
            }
        }
        let mut out = vec![s];
        for k in ["anyOf", "oneOf", "allOf"] {
            for b in s.get(k).and_then(Value::as_array).into_iter().flatten() {
                out.extend(resolve(b, root, depth + 1));
            }
        }
        out
    }
    fn walk(s: &Value, root: &Value, path: &str, depth: usize, out: &mut Vec<(String, String)>) {
        for s in resolve(s, root, depth) {
            // `format` first (`date`), else the `pattern` (a month, a code).
            if let Some(p) = s.get("format").and_then(Value::as_str).or_else(|| s.get("pattern").and_then(Value::as_str)) {
                if !out.iter().any(|(q, _)| q == path) {
                    out.push((path.to_string(), p.to_string()));
                }
            }
            for (k, sub) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(sub, root, &p, depth + 1, out);
            }
        }
    }
    let root = crate::codebook::schema();
    let mut out = Vec::new();
    walk(&root, &root, "", 0, &mut out);
    out
}
