//! Dataset files for researchers: `sheets.jsonl`, `sheets.csv`, `changes.csv`, one long
//! table per repeated block (`warnings.csv`, `files.csv`, …), the same tables typed as
//! Parquet, and `datapackage.json` describing the CSV columns. Written as a stream while
//! the batch runs (rows in input order), so memory stays flat however many sheets there
//! are. Columns and their types come from the record's JSON Schema ([`layout`]).

pub mod blocks;
pub mod columnar;
pub mod datapackage;

use columnar::{Cell, Column, ParquetTable, TableSpec};
use crate::record::{Change, Record};
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
    /// `sheets.jsonl`.
    pub jsonl: bool,
    /// `sheets.csv`, `changes.csv`, a CSV per repeated block, and `datapackage.json`.
    pub csv: bool,
    /// `sheets.parquet`, `changes.parquet`, a Parquet file per repeated block.
    pub parquet: bool,
}

impl Formats {
    /// Parse `json,jsonl,csv,parquet` (any subset, comma-separated).
    pub fn parse(s: &str) -> Result<Formats, String> {
        let mut f = Formats { json: false, jsonl: false, csv: false, parquet: false };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "json" => f.json = true,
                "jsonl" => f.jsonl = true,
                "csv" => f.csv = true,
                "parquet" => f.parquet = true,
                other => return Err(format!("unknown format {other:?} (expected json, jsonl, csv, parquet)")),
            }
        }
        Ok(f)
    }

    /// Whether any dataset file (made from every record's rows) is asked for.
    pub fn rows(&self) -> bool {
        self.jsonl || self.csv || self.parquet
    }
}

/// Key columns repeated on every `changes.csv` row, to join it back to `sheets.csv`.
pub const CHANGE_KEYS: &[&str] = &["source.file", "header.evaluation_number", "organization.lg_code", "organization.name", "header.title", "kind"];
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

/// The columns of `sheets.<kind>.csv` / `.parquet` for every kind: the scalar leaves of
/// that kind's schema, then the warnings (computed once).
pub fn kind_sheets() -> &'static [(String, Vec<Column>)] {
    static KINDS: std::sync::OnceLock<Vec<(String, Vec<Column>)>> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        crate::form::FormSet::current()
            .common
            .kinds
            .iter()
            .map(|k| {
                let schema = crate::schema::kept(&k.kind).unwrap_or(&Value::Null);
                let mut names: Vec<String> = crate::codebook::sheet_leaves_of(&k.kind).into_iter().map(|l| l.path).collect();
                names.push("warnings".into());
                (k.kind.clone(), columnar::typed(schema, &names))
            })
            .collect()
    })
}

/// The columns of every dataset table, typed from the record's JSON Schema (computed once).
pub struct Layout {
    /// `sheets.csv` / `sheets.parquet`, in [`sheet_columns`] order.
    pub sheets: Vec<Column>,
    /// `changes.csv` / `changes.parquet`: [`CHANGE_KEYS`] then [`CHANGE_FIELDS`].
    pub changes: Vec<Column>,
    /// The long tables the schema describes (see [`columnar::tables`]); blocks it does
    /// not describe get their tables from the records ([`blocks`]).
    pub tables: Vec<TableSpec>,
    /// The record's top-level keys: each one is on every `sheets.jsonl` line.
    pub top_keys: Vec<String>,
}

/// The dataset tables' columns (computed once from the kept 基礎 schema, `codebook::schema()`).
pub fn layout() -> &'static Layout {
    static LAYOUT: std::sync::OnceLock<Layout> = std::sync::OnceLock::new();
    LAYOUT.get_or_init(|| {
        let schema = crate::schema::kept(crate::form::FormSet::current().record_kind()).unwrap_or(&Value::Null);
        let mut changes = columnar::typed(schema, &CHANGE_KEYS.iter().map(|k| k.to_string()).collect::<Vec<_>>());
        changes.extend(CHANGE_FIELDS.iter().map(|f| Column { name: f.to_string(), ty: columnar::column_type(schema, &format!("changes[].{f}")) }));
        Layout {
            sheets: columnar::typed(schema, sheet_columns()),
            changes,
            tables: columnar::tables(schema, &["changes", "provenance"]),
            top_keys: columnar::top_level_keys(schema),
        }
    })
}

/// The dataset files being written: rows are appended in the order they come (the
/// caller gives them in input order, so two runs over the same inputs give identical
/// files), and the files are put in place whole by [`DatasetWriter::commit`].
pub struct DatasetWriter {
    jsonl: Option<AtomicFile>,
    sheets: Option<AtomicFile>,
    changes: Option<AtomicFile>,
    /// The long tables of the repeated blocks (with `csv` or `parquet`).
    blocks: Option<blocks::Blocks>,
    pq_sheets: Option<ParquetTable<AtomicFile>>,
    pq_changes: Option<ParquetTable<AtomicFile>>,
    /// Where `datapackage.json` goes (with `csv`).
    datapackage: Option<std::path::PathBuf>,
    /// `sheets.<kind>.csv` / `.parquet`, opened when the first sheet of the kind comes.
    kind_csv: std::collections::BTreeMap<String, AtomicFile>,
    kind_pq: std::collections::BTreeMap<String, ParquetTable<AtomicFile>>,
    out_dir: std::path::PathBuf,
}

/// A CSV file with a BOM (so Excel reads it as UTF-8, not the local code page) and its header.
fn csv_file(path: &Path, header: &[Column]) -> io::Result<AtomicFile> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(b"\xEF\xBB\xBF")?;
    f.write_all(&csv_row(header.iter().map(|c| c.name.as_str())))?;
    Ok(f)
}

impl DatasetWriter {
    /// Start the files of `formats` in `out_dir` (none for `json` alone).
    pub fn create(out_dir: &Path, formats: &Formats) -> io::Result<DatasetWriter> {
        let l = layout();
        let jsonl = formats.jsonl.then(|| AtomicFile::create(&out_dir.join("sheets.jsonl"))).transpose()?;
        let mut w = DatasetWriter {
            jsonl,
            sheets: None,
            changes: None,
            blocks: None,
            pq_sheets: None,
            pq_changes: None,
            datapackage: None,
            kind_csv: Default::default(),
            kind_pq: Default::default(),
            out_dir: out_dir.to_path_buf(),
        };
        if formats.csv {
            w.sheets = Some(csv_file(&out_dir.join("sheets.csv"), &l.sheets)?);
            w.changes = Some(csv_file(&out_dir.join("changes.csv"), &l.changes)?);
            w.datapackage = Some(out_dir.join("datapackage.json"));
        }
        if formats.parquet {
            let pq = |name: &str, cols: &[Column]| ParquetTable::create(AtomicFile::create(&out_dir.join(format!("{name}.parquet")))?, cols);
            w.pq_sheets = Some(pq("sheets", &l.sheets)?);
            w.pq_changes = Some(pq("changes", &l.changes)?);
        }
        if formats.csv || formats.parquet {
            w.blocks = Some(blocks::Blocks::new(out_dir, formats.csv, formats.parquet, l.tables.clone())?);
        }
        Ok(w)
    }

    /// Append one record's rows (in input order).
    pub fn append(&mut self, rows: &Rows) -> io::Result<()> {
        if let Some(Deferred { record, changes, formats }) = &rows.deferred {
            let changes = changes.as_deref();
            if let Some(out) = self.jsonl.as_mut().filter(|_| formats.jsonl) {
                write_complete(&mut *out, record, changes, &layout().top_keys)?;
                out.write_all(b"\n")?;
            }
            // The repeated blocks' items go to the spools once, with the CSV pass (they
            // feed the block tables of both formats).
            let csv = Formats { json: false, jsonl: false, csv: formats.csv, parquet: false };
            let parquet = Formats { json: false, jsonl: false, csv: false, parquet: formats.parquet };
            for (pass, only) in [csv, parquet].into_iter().enumerate() {
                if only.rows() {
                    let mut part = Rows::made(record, None, &only, false)?;
                    if pass == 1 && formats.csv {
                        part.items.clear();
                    }
                    self.append(&part)?;
                    self.append_changes(record, changes, &only)?;
                }
            }
            return Ok(());
        }
        for (out, bytes) in [(&mut self.jsonl, &rows.jsonl), (&mut self.sheets, &rows.sheet), (&mut self.changes, &rows.changes)] {
            if let Some(out) = out.as_mut() {
                out.write_all(bytes)?;
            }
        }
        if let Some(b) = self.blocks.as_mut() {
            b.append(&rows.sha256, &rows.items)?;
        }
        if let Some(t) = self.pq_sheets.as_mut().filter(|_| !rows.pq_sheet.is_empty()) {
            t.push(&rows.pq_sheet)?;
        }
        if let Some(t) = self.pq_changes.as_mut() {
            rows.pq_changes.iter().try_for_each(|r| t.push_parts(&rows.pq_change_keys, r))?;
        }
        if let Some((kind, cols)) = rows.kind.and_then(|k| kind_sheets().get(k)) {
            let (kind_sheet, pq_kind_sheet) = if rows.kind_is_sheet { (&rows.sheet, &rows.pq_sheet) } else { (&rows.kind_sheet, &rows.pq_kind_sheet) };
            if !kind_sheet.is_empty() {
                if !self.kind_csv.contains_key(kind) {
                    let f = csv_file(&self.out_dir.join(format!("sheets.{kind}.csv")), cols)?;
                    self.kind_csv.insert(kind.clone(), f);
                }
                if let Some(f) = self.kind_csv.get_mut(kind) {
                    f.write_all(kind_sheet)?;
                }
            }
            if !pq_kind_sheet.is_empty() {
                if !self.kind_pq.contains_key(kind) {
                    let t = ParquetTable::create(AtomicFile::create(&self.out_dir.join(format!("sheets.{kind}.parquet")))?, cols)?;
                    self.kind_pq.insert(kind.clone(), t);
                }
                if let Some(t) = self.kind_pq.get_mut(kind) {
                    t.push(pq_kind_sheet)?;
                }
            }
        }
        Ok(())
    }

    /// A large record's change rows, written as they are made rather than held first
    /// (issue #16: a large table's rows of one format are ~1.7× its dump).
    /// `changes`: the record's changes when they are kept typed beside it (see
    /// [`Rows::deferred_record`]).
    fn append_changes(&mut self, record: &Value, changes: Option<&[Change]>, only: &Formats) -> io::Result<()> {
        let found = columns().find(record, None);
        if let Some(out) = self.changes.as_mut().filter(|_| only.csv) {
            change_csv(change_rows(record, changes), &csv_keys(&found), &mut *out)?;
        }
        if let Some(t) = self.pq_changes.as_mut().filter(|_| only.parquet) {
            let keys = typed_keys(&found);
            change_cells(change_rows(record, changes), |fields| t.push_parts(&keys, &fields))?;
        }
        Ok(())
    }

    /// Finish every file and put it in place.
    pub fn commit(self) -> io::Result<()> {
        let kinds_written: Vec<String> = self.kind_csv.keys().cloned().collect();
        let mut files: Vec<AtomicFile> = [self.jsonl, self.sheets, self.changes].into_iter().flatten().chain(self.kind_csv.into_values()).collect();
        for t in self.pq_sheets.into_iter().chain(self.pq_changes).chain(self.kind_pq.into_values()) {
            files.push(t.finish()?);
        }
        for f in files {
            f.commit()?;
        }
        let tables = match self.blocks {
            Some(b) => b.finish()?,
            None => vec![],
        };
        if let Some(path) = self.datapackage {
            let mut package = datapackage::datapackage(layout(), &tables);
            for (kind, cols) in kind_sheets().iter().filter(|(k, _)| kinds_written.contains(k)) {
                if let Some(r) = package["resources"].as_array_mut() {
                    r.push(datapackage::kind_sheets_resource(kind, cols));
                }
            }
            let json = serde_json::to_vec_pretty(&package)?;
            crate::write::atomic_write(&path, &json)?;
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
    /// The items of the record's repeated blocks, and its checksum (their key).
    items: Vec<blocks::Item>,
    sha256: String,
    pq_sheet: Vec<Cell>,
    /// The `changes.parquet` rows: the record's [`CHANGE_KEYS`] cells (the same on
    /// every row, held once), and each row's [`CHANGE_FIELDS`] cells.
    pq_change_keys: Vec<Cell>,
    pq_changes: Vec<Vec<Cell>>,
    /// The row of `sheets.<kind>.csv` / `.parquet` (the record's kind: index into
    /// [`kind_sheets`]); none for a record without a kind (a failed one).
    kind: Option<usize>,
    kind_sheet: Vec<u8>,
    pq_kind_sheet: Vec<Cell>,
    /// The kind's table has the very columns of `sheets` (基礎's): its rows are
    /// `sheet` and `pq_sheet`, appended to both tables rather than copied.
    kind_is_sheet: bool,
    /// A large record (see [`Rows::deferred`]): the rows made when appended.
    deferred: Option<Deferred>,
}

/// Where a record's `sheets.jsonl` line comes from when it was not made from its value.
enum Line<'a> {
    /// Its JSON file's bytes, compacted ([`jsonl_of_json`]).
    InJson(&'a [u8]),
    /// Made with its JSON file ([`pretty_and_line`]).
    Made(Vec<u8>),
}

/// A large record whose rows are made when appended: its JSON value, and its changes
/// kept typed when they are not in the value (`"changes": []` there).
struct Deferred {
    record: Value,
    changes: Option<Vec<Change>>,
    formats: Formats,
}

impl Rows {
    /// The rows of a record in its JSON form. Made on the worker threads, so the
    /// flattening runs in parallel.
    pub fn of(record: &Value, formats: &Formats) -> io::Result<Rows> {
        Rows::made(record, None, formats, true)
    }

    /// [`Rows::of`] of a record whose JSON file was just written as `json` (serde_json's
    /// output of `record`, pretty or not): its `sheets.jsonl` line is those bytes
    /// compacted, not the record serialized again (issue #16). The same rows.
    pub fn of_written(record: &Value, json: &[u8], formats: &Formats) -> io::Result<Rows> {
        Rows::made(record, Some(Line::InJson(json)), formats, true)
    }

    /// [`Rows::of`] of a record whose `sheets.jsonl` line (without its line end) is
    /// `line`, made with its JSON file ([`pretty_and_line`]). The same rows.
    pub fn of_line(record: &Value, line: Vec<u8>, formats: &Formats) -> io::Result<Rows> {
        Rows::made(record, Some(Line::Made(line)), formats, true)
    }

    /// [`Rows::of`], with or without the change rows (a deferred record's are written
    /// as they are made: [`DatasetWriter::append_changes`]).
    fn made(record: &Value, line: Option<Line>, formats: &Formats, with_changes: bool) -> io::Result<Rows> {
        let mut rows = Rows::default();
        let l = layout();
        if formats.jsonl {
            match line {
                Some(Line::Made(line)) => rows.jsonl = line,
                Some(Line::InJson(j)) if jsonl_of_json(j, &l.top_keys, &mut rows.jsonl) => {}
                _ => {
                    rows.jsonl.clear();
                    write_complete(&mut rows.jsonl, record, None, &l.top_keys)?;
                }
            }
            rows.jsonl.push(b'\n');
        }
        if !(formats.csv || formats.parquet) {
            return Ok(rows);
        }
        // `changes` has its own table, keyed as changes.csv always was.
        rows.items = blocks::items(record, &["changes", "provenance"]);
        rows.sha256 = record.pointer("/source/sha256").and_then(Value::as_str).unwrap_or_default().to_string();
        let kind = record.get("kind").and_then(Value::as_str);
        rows.kind = kind.and_then(|k| kind_sheets().iter().position(|(name, _)| name == k));
        // A kind whose table has the very columns of `sheets` (基礎's) gets the same row
        // (issue #16: every 基礎 dump makes both).
        let cols = columns();
        rows.kind_is_sheet = rows.kind.is_some_and(|i| cols.kind_is_sheet[i]);
        let kind_ids = rows.kind.filter(|_| !rows.kind_is_sheet).map(|i| (cols.kinds[i].as_slice(), kind_sheets()[i].1.as_slice()));
        let warnings = Value::String(warnings_cell(record));
        let found = cols.find(record, Some(&warnings));
        if formats.parquet {
            let typed = |ids: &[usize], types: &[Column]| -> Vec<Cell> { ids.iter().zip(types).map(|(id, c)| columnar::cell(found[*id].typed, c.ty)).collect() };
            rows.pq_sheet = typed(&cols.sheets, &l.sheets);
            if let Some((ids, types)) = kind_ids {
                rows.pq_kind_sheet = typed(ids, types);
            }
            if with_changes {
                rows.pq_change_keys = typed_keys(&found);
                change_cells(change_rows(record, None), |fields| {
                    rows.pq_changes.push(fields);
                    Ok(())
                })?;
            }
        }
        if formats.csv {
            let text = |ids: &[usize]| csv_row(ids.iter().map(|id| csv_bytes(found[*id].csv)));
            rows.sheet = text(&cols.sheets);
            if let Some((ids, _)) = kind_ids {
                rows.kind_sheet = text(ids);
            }
            if with_changes {
                change_csv(change_rows(record, None), &csv_keys(&found), &mut rows.changes)?;
            }
        }
        Ok(rows)
    }

    /// The rows of a large record, made by [`DatasetWriter::append`] one format at a
    /// time and written at once, so that besides the record only one format's rows are
    /// held (issue #16, peak memory: the rows of every format together are ~5× a large
    /// dump). The files get the same bytes as from [`Rows::of`]; the cost is that these
    /// rows are made on the appending thread.
    pub fn deferred(record: Value, formats: &Formats) -> Rows {
        Rows { deferred: Some(Deferred { record, changes: None, formats: *formats }), ..Rows::default() }
    }

    /// [`Rows::deferred`] of a record not yet made a JSON value: its changes (most of a
    /// large record) are kept as they are and each made a JSON value only while its rows
    /// are written; the rest becomes the value (issue #16: the whole record as a value
    /// beside the record was a second copy, ~1.3× a large dump). Same files.
    pub fn deferred_record(mut record: Record, formats: &Formats) -> io::Result<Rows> {
        let changes = std::mem::take(&mut record.changes);
        let value = serde_json::to_value(&record)?;
        drop(record);
        Ok(Rows { deferred: Some(Deferred { record: value, changes: Some(changes), formats: *formats }), ..Rows::default() })
    }

    /// Whether these are a large record's rows, made when appended.
    pub fn is_deferred(&self) -> bool {
        self.deferred.is_some()
    }

    /// The rows of a record stored as JSON in `path` (an output kept by `--resume`).
    pub fn of_file(path: &Path, formats: &Formats) -> io::Result<Rows> {
        let bytes = std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let record: Value = serde_json::from_slice(&bytes).map_err(|e| bad_data(path, e))?;
        Rows::of(&record, formats)
    }
}

/// A record's `sheets.jsonl` line (every top-level key, see [`Layout::top_keys`]), with
/// its line end: also what `extract -o -` prints.
pub fn jsonl_line(record: &Value) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    write_complete(&mut out, record, None, &layout().top_keys)?;
    out.push(b'\n');
    Ok(out)
}

/// A typed cell as CSV text: null is empty, dates ISO, booleans `true`/`false`.
fn csv_cell(c: &Cell) -> String {
    match c {
        Cell::Null => String::new(),
        Cell::Str(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Date(d) => columnar::format_date(*d),
    }
}

/// A record as one JSON object with every top-level key of the schema, in schema order
/// (null when the record lacks it, e.g. `error` on a record that did not fail), so
/// readers that infer one schema from the lines (DuckDB, Polars) see the same keys on
/// every line; keys not in the schema follow. `changes`: the record's changes when kept
/// typed beside it (written in the place of its `changes`).
fn write_complete<W: Write>(mut out: W, record: &Value, changes: Option<&[Change]>, keys: &[String]) -> io::Result<()> {
    let Some(m) = record.as_object() else {
        return serde_json::to_writer(out, record).map_err(io::Error::from);
    };
    out.write_all(b"{")?;
    let extra = m.keys().filter(|k| !keys.contains(k));
    for (i, k) in keys.iter().chain(extra).enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut out, k)?;
        out.write_all(b":")?;
        match changes.filter(|_| k == "changes") {
            Some(c) => serde_json::to_writer(&mut out, c)?,
            None => serde_json::to_writer(&mut out, m.get(k).unwrap_or(&Value::Null))?,
        }
    }
    out.write_all(b"}")?;
    Ok(())
}

/// One CSV record as bytes, with its line end: the bytes the csv crate's `Writer` (its
/// defaults) writes for it (issue #16: a csv writer, with its 8 KB buffer, was made for
/// every row). A record of no bytes is `""` there, so that it reads back as one field.
fn csv_row<T: AsRef<[u8]>>(cells: impl Iterator<Item = T>) -> Vec<u8> {
    let mut out = Vec::new();
    csv_fields(cells, &mut out);
    if out.is_empty() {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
    out
}

/// CSV fields ([`csv_field`]) appended to `out`, separated by commas.
fn csv_fields<T: AsRef<[u8]>>(cells: impl Iterator<Item = T>, out: &mut Vec<u8>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(c.as_ref(), out);
    }
}

/// One CSV field appended to `out`, as the csv crate writes it: quoted only when it holds
/// a comma, a quote or a line end (`\r` too: readers end a record there), its quotes doubled.
fn csv_field(cell: &[u8], out: &mut Vec<u8>) {
    if memchr::memchr3(b',', b'"', b'\n', cell).is_none() && memchr::memchr(b'\r', cell).is_none() {
        out.extend_from_slice(cell);
        return;
    }
    out.push(b'"');
    let mut rest = cell;
    while let Some(q) = memchr::memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=q]);
        out.push(b'"');
        rest = &rest[q + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

fn bad_data(path: &Path, e: serde_json::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
}

/// A record's change rows as JSON values: from its `changes`, or from `typed` when they
/// are kept beside it (each made a value in turn, so they are never all values at once).
fn change_rows<'a>(record: &'a Value, typed: Option<&'a [Change]>) -> Box<dyn Iterator<Item = io::Result<Cow<'a, Value>>> + 'a> {
    match typed {
        Some(t) => Box::new(t.iter().map(|c| serde_json::to_value(c).map(Cow::Owned).map_err(io::Error::from))),
        None => Box::new(record.get("changes").and_then(Value::as_array).into_iter().flatten().map(|v| Ok(Cow::Borrowed(v)))),
    }
}

/// The `changes.csv` rows of a record, written to `out`; `keys` are its cells of the
/// [`CHANGE_KEYS`] columns ([`csv_keys`]).
/// [`csv_row`]'s bytes; the key cells, the same on every row, are made CSV once.
fn change_csv<'a>(rows: impl Iterator<Item = io::Result<Cow<'a, Value>>>, keys: &[Cow<'_, str>], mut out: impl Write) -> io::Result<()> {
    let mut prefix = Vec::new();
    csv_fields(keys.iter().map(|k| k.as_bytes()), &mut prefix);
    if !keys.is_empty() {
        prefix.push(b',');
    }
    // Written to `out` in pieces: a large record's rows are never all held.
    let mut buf = Vec::new();
    for row in rows {
        let row = row?;
        buf.extend_from_slice(&prefix);
        csv_fields(CHANGE_FIELDS.iter().map(|f| csv_bytes(row.get(*f))), &mut buf);
        buf.push(b'\n');
        if buf.len() >= 1 << 13 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)
}

/// The `changes.parquet` rows of a record, each row's [`CHANGE_FIELDS`] cells given to
/// `push` (its [`CHANGE_KEYS`] cells, [`typed_keys`], are the same on every row: the
/// caller pushes them before these, not cloned into each row).
fn change_cells<'a>(rows: impl Iterator<Item = io::Result<Cow<'a, Value>>>, mut push: impl FnMut(Vec<Cell>) -> io::Result<()>) -> io::Result<()> {
    let l = layout();
    for row in rows {
        let row = row?;
        push(l.changes[CHANGE_KEYS.len()..].iter().map(|c| columnar::cell(row.get(&c.name), c.ty)).collect())?;
    }
    Ok(())
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
    out.insert("warnings".into(), Cow::Owned(warnings_cell(record)));
    out
}

/// The `warnings` column: `code@path` of every warning, joined by `; `.
pub fn warnings_cell(record: &Value) -> String {
    let warnings: Vec<String> = record
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|w| format!("{}@{}", scalar(w.get("code").unwrap_or(&Value::Null)), scalar(w.get("path").unwrap_or(&Value::Null))))
        .collect();
    warnings.join("; ")
}

/// Every column a record's rows are read into (`sheets`, each kind's `sheets.<kind>`,
/// the [`CHANGE_KEYS`]), numbered once, so that a record's values are found in one walk
/// of it ([`Columns::find`]; issue #16: the rows had been made from two maps of every
/// leaf by path, built per record, then looked up column by column).
struct Columns {
    /// Column name → number.
    ids: ColumnIds,
    /// The numbers of [`Layout::sheets`], in order.
    sheets: Vec<usize>,
    /// The numbers of each [`kind_sheets`] table, in order.
    kinds: Vec<Vec<usize>>,
    /// The numbers of the [`CHANGE_KEYS`].
    change_keys: Vec<usize>,
    /// Whether each kind's table has the very columns of `sheets` (基礎's).
    kind_is_sheet: Vec<bool>,
}

/// Column name → number, looked up at every leaf of every record ([`Columns::find`]):
/// hashed with foldhash, not SipHash (issue #16: SipHash was most of the walk's cost; the
/// names are the schema's, not an attacker's).
type ColumnIds = HashMap<&'static str, usize, foldhash::fast::FixedState>;

/// What a record holds at one column: its `sheets.csv` value (as [`flatten`] finds it)
/// and its Parquet value (as [`columnar::leaves`] finds it; the two differ on a list of
/// scalars, which only Parquet gives, as JSON).
#[derive(Debug, Clone, Copy, Default)]
struct Found<'a> {
    csv: Option<&'a Value>,
    typed: Option<&'a Value>,
}

/// The dataset tables' columns, numbered (computed once).
fn columns() -> &'static Columns {
    static COLUMNS: std::sync::OnceLock<Columns> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| {
        let mut ids = ColumnIds::default();
        let mut number = |name: &'static str| {
            let next = ids.len();
            *ids.entry(name).or_insert(next)
        };
        let sheets = layout().sheets.iter().map(|c| number(&c.name)).collect();
        let kinds = kind_sheets().iter().map(|(_, cols)| cols.iter().map(|c| number(&c.name)).collect()).collect();
        let change_keys = CHANGE_KEYS.iter().map(|k| number(k)).collect();
        let kind_is_sheet = kind_sheets().iter().map(|(_, cols)| *cols == layout().sheets).collect();
        Columns { ids, sheets, kinds, change_keys, kind_is_sheet }
    })
}

impl Columns {
    /// The record's values at every column, by number: the walk of [`flatten`] and of
    /// [`columnar::leaves`] (skipping `changes`, `warnings` and `provenance`) in one, a
    /// leaf kept only when some column names its path. `warnings`: the `warnings`
    /// column's value ([`warnings_cell`]).
    fn find<'a>(&self, record: &'a Value, warnings: Option<&'a Value>) -> Vec<Found<'a>> {
        fn walk<'a>(v: &'a Value, path: &mut String, ids: &ColumnIds, out: &mut [Found<'a>]) {
            let at = |path: &str| ids.get(path).copied();
            match v {
                Value::Object(m) => {
                    let choice = columnar::is_choice(m);
                    for (k, x) in m {
                        if path.is_empty() && matches!(k.as_str(), "changes" | "warnings" | "provenance") {
                            continue;
                        }
                        if choice && k == "label" {
                            if let Some(i) = at(path) {
                                out[i] = Found { csv: Some(x), typed: Some(x) };
                            }
                            continue;
                        }
                        let len = path.len();
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(k);
                        walk(x, path, ids, out);
                        path.truncate(len);
                    }
                }
                // `flatten` leaves every list out; `leaves` keeps a list of scalars.
                Value::Array(a) => {
                    if !a.iter().any(Value::is_object) {
                        if let Some(i) = at(path) {
                            out[i].typed = Some(v);
                        }
                    }
                }
                scalar_value => {
                    if let Some(i) = at(path) {
                        out[i] = Found { csv: Some(scalar_value), typed: Some(scalar_value) };
                    }
                }
            }
        }
        let mut out = vec![Found::default(); self.ids.len()];
        walk(record, &mut String::with_capacity(64), &self.ids, &mut out);
        if let (Some(w), Some(i)) = (warnings, self.ids.get("warnings")) {
            out[*i] = Found { csv: Some(w), typed: Some(w) };
        }
        out
    }
}

/// A found value as a CSV cell's bytes (see [`scalar`]; none is empty).
fn csv_bytes(v: Option<&Value>) -> Cow<'_, [u8]> {
    match v.map(scalar) {
        None => Cow::Borrowed(b""),
        Some(Cow::Borrowed(s)) => Cow::Borrowed(s.as_bytes()),
        Some(Cow::Owned(s)) => Cow::Owned(s.into_bytes()),
    }
}

/// The [`CHANGE_KEYS`] cells of a record for `changes.csv`.
fn csv_keys<'a>(found: &[Found<'a>]) -> Vec<Cow<'a, str>> {
    columns().change_keys.iter().map(|i| found[*i].csv.map_or(Cow::Borrowed(""), scalar)).collect()
}

/// The [`CHANGE_KEYS`] cells of a record for `changes.parquet`, typed.
fn typed_keys(found: &[Found<'_>]) -> Vec<Cell> {
    columns().change_keys.iter().zip(&layout().changes).map(|(i, c)| columnar::cell(found[*i].typed, c.ty)).collect()
}

/// The `sheets.jsonl` line of a record (without its line end) from its JSON as
/// serde_json wrote it, pretty or compact, appended to `out`: the whitespace between
/// tokens dropped and the top-level entries put in the order of [`write_complete`]
/// (`keys`, null for one missing, then the others in their order). Both are serde_json's
/// output of the same value, so the bytes are the same (issue #16: the record was
/// serialized again for this line). False, `out` part-written, when `json` is not one
/// JSON object.
fn jsonl_of_json(json: &[u8], keys: &[String], out: &mut Vec<u8>) -> bool {
    let mut compact = Vec::with_capacity(json.len());
    // Each top-level entry of `compact`: where its key starts, where the key ends,
    // where the entry ends.
    let mut entries: Vec<[usize; 3]> = Vec::with_capacity(keys.len() + 8);
    let (mut depth, mut key_next, mut i) = (0usize, false, 0);
    while i < json.len() {
        let b = json[i];
        match b {
            b'"' => {
                // A string, escapes and all, as it is.
                let mut end = i + 1;
                loop {
                    let Some(rest) = json.get(end..) else { return false };
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(k) if json[end + k] == b'\\' => end += k + 2,
                        Some(k) => {
                            end += k + 1;
                            break;
                        }
                        None => return false,
                    }
                }
                let Some(s) = json.get(i..end) else { return false };
                if depth == 1 && key_next {
                    entries.push([compact.len(), compact.len() + s.len(), 0]);
                    key_next = false;
                }
                compact.extend_from_slice(s);
                i = end;
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => {}
            b'{' | b'[' => {
                if depth == 0 && (b != b'{' || !compact.is_empty()) {
                    return false;
                }
                depth += 1;
                key_next = depth == 1;
                compact.push(b);
            }
            b'}' | b']' | b',' => {
                if depth == 0 {
                    return false;
                }
                if depth == 1 {
                    match entries.last_mut() {
                        Some(e) if e[2] == 0 => e[2] = compact.len(),
                        None if b == b'}' => {}
                        _ => return false,
                    }
                    key_next = b == b',';
                }
                if b != b',' {
                    depth -= 1;
                }
                compact.push(b);
            }
            _ => compact.push(b),
        }
        i += 1;
    }
    if depth != 0 || compact.last() != Some(&b'}') || entries.iter().any(|e| e[2] == 0) {
        return false;
    }
    ordered_line(&compact, &entries, keys, out);
    true
}

/// The `sheets.jsonl` line of a record from its compact JSON (`compact`, whose top-level
/// entries are `entries`: where each key starts, where it ends, where the entry ends),
/// appended to `out`: the entries put in the order of [`write_complete`] (`keys`, null
/// for one missing, then the others in their order).
fn ordered_line(compact: &[u8], entries: &[[usize; 3]], keys: &[String], out: &mut Vec<u8>) {
    let key_of = |e: &[usize; 3]| &compact[e[0]..e[1]];
    let mut used = vec![false; entries.len()];
    out.push(b'{');
    for (n, k) in keys.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let quoted = serde_json::to_vec(k).unwrap_or_default();
        match entries.iter().position(|e| key_of(e) == quoted.as_slice()) {
            Some(at) => {
                used[at] = true;
                out.extend_from_slice(&compact[entries[at][0]..entries[at][2]]);
            }
            None => {
                out.extend_from_slice(&quoted);
                out.extend_from_slice(b":null");
            }
        }
    }
    for (e, _) in entries.iter().zip(&used).filter(|(_, u)| !**u) {
        if out.len() > 1 {
            out.push(b',');
        }
        out.extend_from_slice(&compact[e[0]..e[2]]);
    }
    out.push(b'}');
}

/// A record's JSON file and its `sheets.jsonl` line (without its line end), made in one
/// serialization of `record` (issue #16: the record was made a JSON value, the value
/// written pretty, and the pretty bytes compacted again for the line). The same bytes
/// as `serde_json::to_vec_pretty` of the record's JSON value and [`jsonl_line`] of it:
/// an `f32` is written as the value holds it (widened to `f64`). None, when one pass
/// cannot promise that: `record` is not a JSON object, or has a top-level key twice (the
/// value keeps one of them).
pub fn pretty_and_line<T: serde::Serialize + ?Sized>(record: &T, size_hint: usize) -> io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut pretty = Vec::with_capacity(size_hint);
    let (mut compact, mut entries) = (Vec::with_capacity(size_hint / 2), Vec::with_capacity(32));
    let twin = Twin { pretty: serde_json::ser::PrettyFormatter::new(), compact: &mut compact, depth: 0, entries: &mut entries };
    record.serialize(&mut serde_json::Serializer::with_formatter(&mut pretty, twin))?;
    if compact.first() != Some(&b'{') || entries.iter().any(|e| e[1] == 0 || e[2] == 0) {
        return Ok(None);
    }
    let key_of = |e: &[usize; 3]| &compact[e[0]..e[1]];
    if entries.iter().enumerate().any(|(i, a)| entries[..i].iter().any(|b| key_of(a) == key_of(b))) {
        return Ok(None);
    }
    let mut line = Vec::with_capacity(compact.len() + 64);
    ordered_line(&compact, &entries, &layout().top_keys, &mut line);
    Ok(Some((pretty, line)))
}

/// A record's pretty JSON written from the record itself, never made a JSON value
/// (a large record's file, issue #16: peak memory): the bytes of `to_vec_pretty` of its
/// value, as [`pretty_and_line`] writes every other record's. An `f32` (a PDF box) is
/// written widened to `f64` as the value holds it: plain `to_writer_pretty` wrote
/// `482.93933` where the record's `sheets.jsonl` line and every smaller record's file
/// had `482.9393310546875`.
pub fn write_pretty<W: Write, T: serde::Serialize + ?Sized>(w: W, record: &T) -> io::Result<()> {
    let widened = Widened(serde_json::ser::PrettyFormatter::new());
    record.serialize(&mut serde_json::Serializer::with_formatter(w, widened)).map_err(io::Error::from)
}

/// The serde_json formatter of [`write_pretty`]: pretty, with `f32` widened to `f64`.
struct Widened(serde_json::ser::PrettyFormatter<'static>);

/// Formatter calls handed to the wrapped formatter as they are.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $name<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.0.$name(w $(, $arg)*)
        }
    )*};
}

impl serde_json::ser::Formatter for Widened {
    forward! {
        write_null(); write_bool(v: bool);
        write_i8(v: i8); write_i16(v: i16); write_i32(v: i32); write_i64(v: i64); write_i128(v: i128);
        write_u8(v: u8); write_u16(v: u16); write_u32(v: u32); write_u64(v: u64); write_u128(v: u128);
        write_f64(v: f64); write_number_str(v: &str);
        begin_string(); end_string(); write_string_fragment(v: &str); write_char_escape(e: serde_json::ser::CharEscape);
        begin_array(); end_array(); begin_array_value(first: bool); end_array_value();
        begin_object(); end_object(); begin_object_key(first: bool); end_object_key();
        begin_object_value(); end_object_value(); write_raw_fragment(v: &str);
    }

    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, v: f32) -> io::Result<()> {
        self.0.write_f64(w, f64::from(v))
    }
}

/// The serde_json formatter of [`pretty_and_line`]: every token written pretty to the
/// serializer's output and compact to `compact`, the top-level entries of `compact`
/// noted on the way.
struct Twin<'a> {
    pretty: serde_json::ser::PrettyFormatter<'static>,
    compact: &'a mut Vec<u8>,
    /// Objects and arrays open: 1 inside the top-level object.
    depth: usize,
    /// Each top-level entry of `compact`: where its key starts, where the key ends,
    /// where the entry ends (0: not yet).
    entries: &'a mut Vec<[usize; 3]>,
}

/// A formatter call made on both sides of a [`Twin`].
macro_rules! both {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $name<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.pretty.$name(w $(, $arg)*)?;
            serde_json::ser::CompactFormatter.$name(&mut *self.compact $(, $arg)*)
        }
    )*};
}

impl Twin<'_> {
    /// At the top level, where the current entry's key (`slot` 1) or the entry (2) ends.
    fn note_end(&mut self, slot: usize) {
        if let Some(e) = self.entries.last_mut().filter(|_| self.depth == 1) {
            e[slot] = self.compact.len();
        }
    }
}

/// A [`Twin`] call that opens or closes an array or object: `depth` moved by `$step`,
/// then the call made on both sides.
macro_rules! nested {
    ($($name:ident($step:expr);)*) => {$(
        fn $name<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.depth = ($step)(self.depth);
            self.pretty.$name(w)?;
            serde_json::ser::CompactFormatter.$name(&mut *self.compact)
        }
    )*};
}

impl serde_json::ser::Formatter for Twin<'_> {
    both! {
        write_null(); write_bool(v: bool);
        write_i8(v: i8); write_i16(v: i16); write_i32(v: i32); write_i64(v: i64); write_i128(v: i128);
        write_u8(v: u8); write_u16(v: u16); write_u32(v: u32); write_u64(v: u64); write_u128(v: u128);
        write_f64(v: f64); write_number_str(v: &str);
        begin_string(); end_string(); write_string_fragment(v: &str);
        begin_array_value(first: bool); end_array_value(); begin_object_value(); 
        write_raw_fragment(v: &str);
    }

    /// As a JSON value holds it: `serde_json::to_value` widens an `f32` to `f64` (a PDF
    /// box's 482.9393310546875, not 482.93933).
    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, v: f32) -> io::Result<()> {
        self.write_f64(w, f64::from(v))
    }

    fn write_char_escape<W: ?Sized + Write>(&mut self, w: &mut W, e: serde_json::ser::CharEscape) -> io::Result<()> {
        use serde_json::ser::CharEscape as C;
        let copy = match &e {
            C::Quote => C::Quote,
            C::ReverseSolidus => C::ReverseSolidus,
            C::Solidus => C::Solidus,
            C::Backspace => C::Backspace,
            C::FormFeed => C::FormFeed,
            C::LineFeed => C::LineFeed,
            C::CarriageReturn => C::CarriageReturn,
            C::Tab => C::Tab,
            C::AsciiControl(b) => C::AsciiControl(*b),
        };
        self.pretty.write_char_escape(w, e)?;
        serde_json::ser::CompactFormatter.write_char_escape(&mut *self.compact, copy)
    }

    nested! {
        begin_array(|d: usize| d + 1); end_array(|d: usize| d.saturating_sub(1));
        begin_object(|d: usize| d + 1); end_object(|d: usize| d.saturating_sub(1));
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.pretty.begin_object_key(w, first)?;
        serde_json::ser::CompactFormatter.begin_object_key(&mut *self.compact, first)?;
        if self.depth == 1 {
            self.entries.push([self.compact.len(), 0, 0]);
        }
        Ok(())
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object_key(w)?;
        serde_json::ser::CompactFormatter.end_object_key(&mut *self.compact)?;
        self.note_end(1);
        Ok(())
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object_value(w)?;
        serde_json::ser::CompactFormatter.end_object_value(&mut *self.compact)?;
        self.note_end(2);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records of each kind (a failed one too), as JSON values, and made-up ones with
    /// what the fixtures lack: lists of scalars, escapes, empty blocks, keys in another
    /// order, a key not in the schema, top-level keys missing.
    fn sample_values() -> Vec<Value> {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut values = Vec::new();
        for name in ["input/000_72349b560cd020d7.txt", "../shared/forms/zenkomoku-h30.txt", "../shared/forms/juten-h30.txt", "../shared/forms/kiso-h26.txt"] {
            let bytes = std::fs::read(format!("{root}/{name}")).expect(name);
            values.push(serde_json::to_value(crate::extract_text_dump(name, &bytes)).unwrap());
        }
        values.push(serde_json::to_value(crate::extract_text_dump("empty.txt", b"")).unwrap());
        let mut odd = values[0].clone();
        odd["organization"]["name"] = serde_json::json!("a \"quoted\" name\\ with\nlines,\t{braces} [and] \u{3000}全角 : colons");
        odd["header"]["title"] = serde_json::json!(["a", "list", 3]);
        odd["header"]["evaluator"] = serde_json::json!(12.5);
        odd["risk"]["storage"] = serde_json::json!({"label": ["odd"], "code": 2});
        odd["extra_items"] = serde_json::json!([{}, {"label": "x", "nested": {"empty": {}, "list": []}}]);
        odd["not_in_schema"] = serde_json::json!({"k": [1, {"a": null}], "": true});
        if let Some(m) = odd.as_object_mut() {
            m.remove("error");
            m.remove("kind");
        }
        values.push(odd);
        values.push(serde_json::json!({"status": "ok", "zzz": 1, "schema_version": "1"}));
        values.push(serde_json::json!({}));
        values
    }

    /// The `sheets.jsonl` line made from a record's written JSON (pretty, as the files
    /// are, or compact) is the line [`write_complete`] makes from its value.
    #[test]
    fn jsonl_lines_from_the_written_json_are_the_lines_from_the_value() {
        let keys = &layout().top_keys;
        for v in sample_values() {
            let mut want = Vec::new();
            write_complete(&mut want, &v, None, keys).unwrap();
            for json in [serde_json::to_vec_pretty(&v).unwrap(), serde_json::to_vec(&v).unwrap()] {
                let mut got = Vec::new();
                assert!(jsonl_of_json(&json, keys, &mut got), "{}", String::from_utf8_lossy(&json));
                assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
            }
        }
        // Not one JSON object: refused, so the caller writes the line from the value.
        for bad in [&br#"[1, 2]"#[..], br#""text""#, br#"{"a": "unterminated}"#, br#"{"a": 1"#, br#"{"a": 1} {}"#, br#"{"a": "x\"}"#] {
            assert!(!jsonl_of_json(bad, keys, &mut Vec::new()), "{}", String::from_utf8_lossy(bad));
        }
    }

    /// The sample's record, one of each other kind, and a failed one (an empty input).
    fn records_of_each_kind() -> Vec<crate::record::Record> {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut records = Vec::new();
        for name in ["input/000_72349b560cd020d7.txt", "../shared/forms/zenkomoku-h30.txt", "../shared/forms/juten-h30.txt", "../shared/forms/kiso-h26.txt"] {
            let bytes = std::fs::read(format!("{root}/{name}")).expect(name);
            records.push(crate::extract_text_dump(name, &bytes));
        }
        records.push(crate::extract_text_dump("empty.txt", b""));
        records
    }

    /// A record's JSON file and `sheets.jsonl` line made in one pass
    /// ([`pretty_and_line`]) are the bytes of `to_vec_pretty` and [`jsonl_line`] of its
    /// JSON value: records of each kind and a failed one, one with provenance (PDF boxes
    /// are `f32`: the value widens them), escapes, body keys, and every sample value
    /// (keys missing, keys not in the schema, keys out of order).
    #[test]
    fn pretty_and_line_are_the_bytes_made_from_the_value() {
        let mut records = records_of_each_kind();
        let mut odd = records[0].clone();
        odd.organization.name = Some("a \"quoted\" name\\ with\nlines,\t\u{1}{braces} [and] \u{3000}全角 : colons".into());
        let boxed = |b: [f32; 4]| crate::record::Provenance { lines: [1, 2], page: Some(3), bbox: Some(b) };
        odd.provenance = Some([("a".to_string(), boxed([482.93933, 0.1, 1e-7, 3.4e38])), ("b".to_string(), boxed([0.0, -1.5, 7.0, 100.25]))].into_iter().collect());
        odd.body.insert("zz_extra".into(), serde_json::json!({"k": [1, 2.5, {"a": null}], "": true, "e": {}, "l": []}));
        records.push(odd);
        let check = |value: &Value, made: Option<(Vec<u8>, Vec<u8>)>| {
            let (pretty, line) = made.expect("one JSON object, no key twice");
            assert_eq!(String::from_utf8_lossy(&pretty), String::from_utf8_lossy(&serde_json::to_vec_pretty(value).unwrap()));
            let mut want = jsonl_line(value).unwrap();
            assert_eq!(want.pop(), Some(b'\n'));
            assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(&want));
        };
        for r in &records {
            check(&serde_json::to_value(r).unwrap(), pretty_and_line(r, 0).unwrap());
            // A large record's file, written from the record: the same bytes as a small one's.
            let (mut large, small) = (Vec::new(), pretty_and_line(r, 0).unwrap().unwrap().0);
            write_pretty(&mut large, r).unwrap();
            assert_eq!(String::from_utf8_lossy(&large), String::from_utf8_lossy(&small), "{}", r.source.file);
        }
        assert!(String::from_utf8_lossy(&pretty_and_line(&records[5], 0).unwrap().unwrap().0).contains("482.9393310546875"));
        // Plain to_writer_pretty of the record is not those bytes (the f32 written short).
        assert!(String::from_utf8_lossy(&serde_json::to_vec_pretty(&records[5]).unwrap()).contains("482.93933,"));
        for v in sample_values() {
            let mut written = Vec::new();
            write_pretty(&mut written, &v).unwrap();
            assert_eq!(written, serde_json::to_vec_pretty(&v).unwrap());
        }
        for v in sample_values() {
            check(&v, pretty_and_line(&v, 100).unwrap());
        }
        // Not one JSON object, or a top-level key twice (a flattened map's key that is
        // also a field: the value keeps one): none, so the caller takes the value's way.
        #[derive(serde::Serialize)]
        struct Twice {
            kind: &'static str,
            #[serde(flatten)]
            body: serde_json::Map<String, Value>,
        }
        let twice = Twice { kind: "a", body: [("kind".to_string(), serde_json::json!("b"))].into_iter().collect() };
        assert!(pretty_and_line(&twice, 0).unwrap().is_none());
        assert!(pretty_and_line(&[1, 2], 0).unwrap().is_none());
        assert!(pretty_and_line("text", 0).unwrap().is_none());
    }

    /// [`csv_row`] and [`change_csv`] write the bytes of the csv crate's `Writer`
    /// (which wrote these files before): fields with commas, quotes, line ends, `\r`,
    /// spaces, tabs, full-width text, empty fields, a record of one empty field or none,
    /// and the change rows of every sample record.
    #[test]
    fn csv_rows_are_the_csv_crates() {
        let crate_row = |r: &[&str]| {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(r).unwrap();
            w.into_inner().unwrap()
        };
        let fields = ["", "a", "a,b", "say \"hi\"", "\"", "\"\"", "line\nbreak", "cr\rhere", "crlf\r\n", " spaced ", "#hash", "全角、テキスト，", "タブ\tあり", "'q'", ";", "\u{feff}bom", "1.5", "\\"];
        let mut records: Vec<Vec<&str>> = vec![vec![], vec![""], vec!["", ""], vec!["\""]];
        for a in fields {
            records.push(vec![a]);
            for b in fields {
                records.push(vec![a, b, ""]);
                records.push(vec!["", a, b]);
            }
        }
        for r in &records {
            assert_eq!(String::from_utf8_lossy(&csv_row(r.iter())), String::from_utf8_lossy(&crate_row(r)), "{r:?}");
        }
        for mut v in sample_values() {
            v["organization"]["name"] = serde_json::json!("a, \"name\"\r\n");
            if let Some(c) = v.get_mut("changes").and_then(|c| c.as_array_mut()).and_then(|c| c.first_mut()) {
                c["before"] = serde_json::json!("x,\"y\"\nz");
                c["item"] = serde_json::json!(7);
            }
            let found = columns().find(&v, None);
            let keys = csv_keys(&found);
            let mut got = Vec::new();
            change_csv(change_rows(&v, None), &keys, &mut got).unwrap();
            let mut want = Vec::new();
            for row in v.get("changes").and_then(Value::as_array).into_iter().flatten() {
                let fields: Vec<Cow<str>> = CHANGE_FIELDS.iter().map(|f| row.get(*f).map(scalar).unwrap_or_default()).collect();
                let cells: Vec<&str> = keys.iter().map(|k| k.as_ref()).chain(fields.iter().map(|f| f.as_ref())).collect();
                want.extend(crate_row(&cells));
            }
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        }
    }

    /// The one walk of [`Columns::find`] finds, at every column, what [`flatten`] gives
    /// `sheets.csv` and what [`columnar::leaves`] gives Parquet.
    #[test]
    fn found_cells_are_the_flattened_and_typed_cells() {
        let cols = columns();
        let mut names: Vec<(&str, usize)> = cols.ids.iter().map(|(k, v)| (*k, *v)).collect();
        names.sort();
        assert!(names.len() > 100 && names.iter().any(|(n, _)| *n == "warnings"));
        for v in sample_values() {
            let warnings = Value::String(warnings_cell(&v));
            let found = cols.find(&v, Some(&warnings));
            let flat = flatten(&v);
            let typed = columnar::leaves(&v, &["changes", "warnings", "provenance"]);
            for (name, id) in &names {
                let csv = csv_bytes(found[*id].csv);
                assert_eq!(String::from_utf8_lossy(&csv), flat.get(*name).map_or("", |c| c.as_ref()), "{name}");
                let want = if *name == "warnings" { Some(&warnings) } else { typed.get(*name).copied() };
                assert_eq!(found[*id].typed, want, "{name}");
            }
        }
    }

    /// Every dataset file written from records appended as [`Rows::deferred`] or
    /// [`Rows::deferred_record`] (changes kept typed) is the same, byte for byte, as from
    /// [`Rows::of`] (issue #16: the large-record path only changes when the rows are
    /// made), with deferred and plain rows interleaved, records of each kind (repeated
    /// blocks too) and a failed one.
    #[test]
    fn deferred_rows_write_the_same_files() {
        let records = records_of_each_kind();
        assert!(records.iter().any(|r| r.changes.len() > 1), "a record with change rows");
        let values: Vec<Value> = records.iter().map(|r| serde_json::to_value(r).unwrap()).collect();
        // A large record's JSON file is written from the record, not its value: the same bytes.
        for (r, v) in records.iter().zip(&values) {
            let mut written = Vec::new();
            write_pretty(&mut written, r).unwrap();
            assert_eq!(written, serde_json::to_vec_pretty(v).unwrap(), "{}", r.source.file);
        }
        assert!(values.iter().any(|v| v["kind"] == "zenkomoku") && values.iter().any(|v| v["status"] == "failed"));
        for formats in ["jsonl,csv,parquet", "csv", "parquet", "jsonl", "jsonl,parquet"] {
            let formats = Formats::parse(formats).unwrap();
            let dir = std::env::temp_dir().join(format!("piasheet-deferred-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let folders = [dir.join("plain"), dir.join("deferred"), dir.join("deferred_record")];
            for (deferred, out) in folders.iter().enumerate() {
                let mut w = DatasetWriter::create(out, &formats).unwrap();
                for (i, v) in values.iter().enumerate() {
                    // All plain, or every other record deferred (the first included).
                    let rows = match deferred {
                        1 if i % 2 == 0 => Rows::deferred(v.clone(), &formats),
                        2 if i % 2 == 0 => Rows::deferred_record(records[i].clone(), &formats).unwrap(),
                        _ => Rows::of(v, &formats).unwrap(),
                    };
                    w.append(&rows).unwrap();
                }
                w.commit().unwrap();
            }
            let mut names: Vec<_> = std::fs::read_dir(&folders[0]).unwrap().map(|e| e.unwrap().file_name()).collect();
            names.sort();
            assert!(!names.is_empty());
            for name in &names {
                let a = std::fs::read(folders[0].join(name)).unwrap();
                for other in &folders[1..] {
                    let b = std::fs::read(other.join(name));
                    assert!(b.as_ref().is_ok_and(|b| *b == a), "{formats:?}: {other:?}/{name:?} differs");
                }
            }
            for other in &folders[1..] {
                assert_eq!(std::fs::read_dir(other).unwrap().count(), names.len());
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
