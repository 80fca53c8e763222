//! Typed columns for the dataset files: which columns a table has and the type of each,
//! read from the record's JSON Schema (`piasheet schema`), and the Parquet writer that
//! streams rows into `sheets.parquet`, `changes.parquet` and one long table per
//! repeated block (`files.parquet`, `basic.systems.parquet`, …).
//!
//! Everything here works from a record as a `serde_json::Value` and from the schema,
//! never from the Rust record types, so it follows the record as the form grows: a new
//! repeated block in the schema is a new table, a new leaf is a new column.

use arrow_array::builder::{ArrayBuilder, BooleanBuilder, Date32Builder, Int64Builder, StringBuilder};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

/// The type of one column, in every output that has types (Parquet, datapackage.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// Text, and codes such as `organization.lg_code` (kept as text: leading zeros).
    Utf8,
    /// A whole number (choice codes, band bounds, counts); null when absent.
    Int64,
    /// A check box (`true` ticked, `false` not); null when unknown.
    Boolean,
    /// An ISO `YYYY-MM-DD` date, as days since 1970-01-01.
    Date32,
}

impl ColType {
    /// The Arrow type of the column.
    pub fn arrow(self) -> DataType {
        match self {
            ColType::Utf8 => DataType::Utf8,
            ColType::Int64 => DataType::Int64,
            ColType::Boolean => DataType::Boolean,
            ColType::Date32 => DataType::Date32,
        }
    }

    /// The Frictionless Table Schema type of the column.
    pub fn frictionless(self) -> &'static str {
        match self {
            ColType::Utf8 => "string",
            ColType::Int64 => "integer",
            ColType::Boolean => "boolean",
            ColType::Date32 => "date",
        }
    }
}

/// One column of a table: its name (a dotted path, as in the CSV header) and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Dotted path, relative to the table's item (`risk.storage.code`, `date`).
    pub name: String,
    /// The column's type.
    pub ty: ColType,
}

/// A long table: one row per item of a repeated block (an array of objects) of a record.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// File stem: the block's path without the array marks (`files.outsourcing.contracts`).
    pub name: String,
    /// The block's path with array marks (`files[].outsourcing.contracts[]`).
    pub path: String,
    /// `sheet_sha256`, one `<item>_index` per enclosing array, then the item's leaves.
    pub columns: Vec<Column>,
    /// How many index columns follow `sheet_sha256`.
    pub depth: usize,
}

/// The key column of every long table: `source.sha256` of the sheet its rows belong to.
pub const SHEET_KEY: &str = "sheet_sha256";

/// Follow `$ref` and unwrap `anyOf`/`oneOf`: every non-null schema the value may have.
/// (Several when a block differs by kind: their properties are taken together.)
fn branches<'a>(s: &'a Value, root: &'a Value, out: &mut Vec<&'a Value>) {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or_default();
        if let Some(def) = root.get("$defs").or_else(|| root.get("definitions")).and_then(|d| d.get(name)) {
            branches(def, root, out);
        }
        return;
    }
    let mut any = false;
    for k in ["anyOf", "oneOf", "allOf"] {
        for b in s.get(k).and_then(Value::as_array).into_iter().flatten() {
            any = true;
            branches(b, root, out);
        }
    }
    let only_null = s.get("type").and_then(Value::as_str) == Some("null");
    let has_own = s.get("type").is_some() || s.get("properties").is_some() || s.get("enum").is_some() || s.get("format").is_some();
    if !only_null && (has_own || !any) {
        out.push(s);
    }
}

/// The schema's `type` names but `null`.
fn types_of(s: &Value) -> Vec<&str> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
    .into_iter()
    .filter(|t| *t != "null")
    .collect()
}

/// The properties of an object schema, taken together over its branches, in order.
fn properties<'a>(bs: &[&'a Value]) -> Vec<(&'a String, &'a Value)> {
    let mut out: Vec<(&String, &Value)> = Vec::new();
    for b in bs {
        for (k, v) in b.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if !out.iter().any(|(q, _)| *q == k) {
                out.push((k, v));
            }
        }
    }
    out
}

/// A choice is an object with `code` and `label` (the label is the column of the
/// choice's own path, the number its `.code` column).
fn is_choice_schema(props: &[(&String, &Value)]) -> bool {
    props.iter().any(|(k, _)| *k == "code") && props.iter().any(|(k, _)| *k == "label")
}

/// Whether a JSON value is a choice (see [`is_choice_schema`]).
pub fn is_choice(m: &Map<String, Value>) -> bool {
    m.contains_key("code") && m.contains_key("label")
}

/// Columns that carry a date by their name when the schema gives no `format`: the
/// record's convention (`published_on`, `changes[].date`, `as_of`, `holding_start`,
/// `period.from`). `form.date` is the form version's month (`YYYY-MM`), not a day.
pub fn date_by_name(path: &str) -> bool {
    if path == "form.date" {
        return false;
    }
    let mut segs = path.rsplit('.').map(|s| s.trim_end_matches("[]"));
    let last = segs.next().unwrap_or_default();
    let parent = segs.next().unwrap_or_default();
    last.ends_with("_on")
        || last == "date"
        || last.ends_with("_date")
        || last == "as_of"
        || last == "start"
        || last.ends_with("_start")
        || (parent == "period" && matches!(last, "from" | "to"))
}

/// The type of a leaf schema at `path`.
fn leaf_type(bs: &[&Value], path: &str) -> ColType {
    let types: Vec<&str> = bs.iter().flat_map(|b| types_of(b)).collect();
    let format = bs.iter().find_map(|b| b.get("format").and_then(Value::as_str));
    let all = |t: &str| !types.is_empty() && types.iter().all(|x| *x == t);
    if all("integer") {
        ColType::Int64
    } else if all("boolean") {
        ColType::Boolean
    } else if format == Some("date") || (all("string") && format.is_none() && !bs.iter().any(|b| b.get("pattern").is_some()) && date_by_name(path)) {
        ColType::Date32
    } else {
        ColType::Utf8
    }
}

/// The leaf columns of an object schema below `prefix` (arrays are left to their own
/// tables; a choice gives its label at its own path, then its other parts).
fn leaf_columns(s: &Value, root: &Value, prefix: &str, skip_top: &[&str], out: &mut Vec<Column>) {
    let mut bs = Vec::new();
    branches(s, root, &mut bs);
    if bs.iter().any(|b| types_of(b).contains(&"array")) {
        // Rows of objects have their own table; a list of scalars is one cell (as JSON).
        let mut ibs = Vec::new();
        for items in bs.iter().filter_map(|b| b.get("items")) {
            branches(items, root, &mut ibs);
        }
        if properties(&ibs).is_empty() {
            out.push(Column { name: prefix.to_string(), ty: ColType::Utf8 });
        }
        return;
    }
    let props = properties(&bs);
    if props.is_empty() {
        // A map (`additionalProperties`) has no fixed columns.
        if bs.iter().any(|b| b.get("additionalProperties").is_some_and(Value::is_object)) {
            return;
        }
        out.push(Column { name: prefix.to_string(), ty: leaf_type(&bs, prefix) });
        return;
    }
    let choice = is_choice_schema(&props);
    if choice {
        out.push(Column { name: prefix.to_string(), ty: ColType::Utf8 });
    }
    for (k, sub) in props {
        if (prefix.is_empty() && skip_top.contains(&k.as_str())) || (choice && k == "label") {
            continue;
        }
        let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        leaf_columns(sub, root, &p, &[], out);
    }
}

/// `files` → `file_index`: the index column of an array, by the singular of its name.
pub fn index_column(key: &str, taken: &[Column]) -> String {
    let base = key.strip_suffix('s').filter(|b| !b.is_empty()).unwrap_or(key);
    let mut name = format!("{base}_index");
    let mut n = 2;
    while taken.iter().any(|c| c.name == name) {
        name = format!("{base}_index{n}");
        n += 1;
    }
    name
}

/// Every array of objects in the schema, outermost first, as a long table.
fn find_tables(s: &Value, root: &Value, path: &str, index: &[Column], out: &mut Vec<TableSpec>) {
    let mut bs = Vec::new();
    branches(s, root, &mut bs);
    if let Some(items) = bs.iter().find_map(|b| b.get("items").filter(|i| i.is_object())) {
        let mut ibs = Vec::new();
        branches(items, root, &mut ibs);
        let props = properties(&ibs);
        if props.is_empty() {
            return; // an array of scalars: one JSON cell, not a table
        }
        let key = path.rsplit('.').next().unwrap_or(path).trim_end_matches("[]");
        let mut idx = index.to_vec();
        idx.push(Column { name: index_column(key, &idx), ty: ColType::Int64 });
        let item_path = format!("{path}[]");
        let mut columns = vec![Column { name: SHEET_KEY.into(), ty: ColType::Utf8 }];
        columns.extend(idx.iter().cloned());
        let mut leaves = Vec::new();
        leaf_columns(items, root, "", &[], &mut leaves);
        columns.extend(leaves);
        out.push(TableSpec { name: item_path.replace("[]", ""), path: item_path.clone(), columns, depth: idx.len() });
        for (k, sub) in props {
            find_tables(sub, root, &format!("{item_path}.{k}"), &idx, out);
        }
        return;
    }
    for (k, sub) in properties(&bs) {
        let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        find_tables(sub, root, &p, index, out);
    }
}

/// The type of the column at a dotted path of the record (`risk.storage.code`,
/// `changes[].date`), from the schema; text when the schema does not say.
pub fn column_type(schema: &Value, path: &str) -> ColType {
    let mut node = vec![schema];
    let segs: Vec<&str> = path.split('.').collect();
    for (i, seg) in segs.iter().enumerate() {
        let (name, into_items) = match seg.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (*seg, false),
        };
        let mut bs = Vec::new();
        for n in &node {
            branches(n, schema, &mut bs);
        }
        let props = properties(&bs);
        // The label of a choice is the column at the choice's own path.
        let Some((_, sub)) = props.iter().find(|(k, _)| *k == name) else { return ColType::Utf8 };
        let mut next = vec![*sub];
        if into_items {
            let mut sbs = Vec::new();
            branches(sub, schema, &mut sbs);
            next = sbs.iter().filter_map(|b| b.get("items")).collect();
        }
        if i + 1 == segs.len() {
            let mut lbs = Vec::new();
            for n in &next {
                branches(n, schema, &mut lbs);
            }
            if is_choice_schema(&properties(&lbs)) {
                return ColType::Utf8;
            }
            return leaf_type(&lbs, path);
        }
        node = next;
    }
    ColType::Utf8
}

/// Typed columns for named columns (e.g. `dataset::sheet_columns()`), in that order.
pub fn typed(schema: &Value, names: &[String]) -> Vec<Column> {
    names.iter().map(|n| Column { name: n.clone(), ty: column_type(schema, n) }).collect()
}

/// The long tables of a record schema: every repeated block but those named in `skip`
/// (top-level names, e.g. `changes`, which has its own table keyed like `changes.csv`).
pub fn tables(schema: &Value, skip: &[&str]) -> Vec<TableSpec> {
    let mut out = Vec::new();
    find_tables(schema, schema, "", &[], &mut out);
    out.retain(|t| !skip.iter().any(|s| t.path == format!("{s}[]") || t.path.starts_with(&format!("{s}[]."))));
    out
}

/// The top-level keys of a record, in schema order (every record carries each one).
pub fn top_level_keys(schema: &Value) -> Vec<String> {
    let mut bs = Vec::new();
    branches(schema, schema, &mut bs);
    properties(&bs).into_iter().map(|(k, _)| k.clone()).collect()
}

/// One typed cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value.
    Null,
    /// Text (also a code, or a non-text JSON value in a text column, as JSON).
    Str(String),
    /// A whole number.
    Int(i64),
    /// A check box.
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
}

/// Days since 1970-01-01 of an ISO `YYYY-MM-DD` date, or None when it is not a real date.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit())).and_then(|t| t.parse::<i64>().ok());
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > days_in[m as usize - 1] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146097 + doe - 719468).ok()
}

/// `YYYY-MM-DD` of days since 1970-01-01 (the inverse of [`parse_date`]).
pub fn format_date(days: i32) -> String {
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A JSON value as a cell of a column of type `ty`. A value that does not fit the type
/// (a date column holding `not-a-date`) is null rather than a failed file: the JSON
/// record keeps the original.
pub fn cell(v: Option<&Value>, ty: ColType) -> Cell {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Cell::Null };
    match ty {
        ColType::Utf8 => Cell::Str(match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        ColType::Int64 => v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).map_or(Cell::Null, Cell::Int),
        ColType::Boolean => match v {
            Value::Bool(b) => Cell::Bool(*b),
            Value::String(s) if s == "true" || s == "false" => Cell::Bool(s == "true"),
            _ => Cell::Null,
        },
        ColType::Date32 => v.as_str().and_then(parse_date).map_or(Cell::Null, Cell::Date),
    }
}

/// The scalar leaves of a JSON object by dotted path, as the columns name them: a
/// choice gives its label at its own path and its number at `.code`; arrays are left to
/// their own tables (and top-level keys in `skip` left out).
pub fn leaves<'a>(v: &'a Value, skip_top: &[&str]) -> HashMap<String, &'a Value> {
    fn walk<'a>(v: &'a Value, path: &mut String, skip: &[&str], out: &mut HashMap<String, &'a Value>) {
        match v {
            Value::Object(m) => {
                let choice = is_choice(m);
                for (k, x) in m {
                    if path.is_empty() && skip.contains(&k.as_str()) {
                        continue;
                    }
                    if choice && k == "label" {
                        out.insert(path.clone(), x);
                        continue;
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    walk(x, path, &[], out);
                    path.truncate(len);
                }
            }
            Value::Array(a) if a.iter().any(Value::is_object) => {}
            other => {
                out.insert(path.clone(), other);
            }
        }
    }
    let mut out = HashMap::with_capacity(128);
    walk(v, &mut String::new(), skip_top, &mut out);
    out
}

/// Rows per Arrow batch handed to the Parquet writer.
const BATCH_ROWS: usize = 256;
/// Rows per Parquet row group, and its size cap: the writer holds one row group's
/// encoded pages (and a dictionary per column) in memory, so this bounds memory however
/// long the run. Measured on 4000 generated sheets: peak RSS +22 MB over the JSONL-only
/// run at 256 rows, +40 MB at 1024.
const ROW_GROUP_ROWS: usize = 256;
const ROW_GROUP_BYTES: usize = 64 << 20;

/// A Parquet file written as rows come: rows are gathered into Arrow batches of
/// [`BATCH_ROWS`], and the writer closes a row group every [`ROW_GROUP_ROWS`] rows.
pub struct ParquetTable<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    types: Vec<ColType>,
    builders: Vec<Box<dyn ArrayBuilder>>,
    rows: usize,
}

fn pq_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("parquet: {e}"))
}

/// The Arrow schema of a table: every column nullable (a value can always be missing).
pub fn arrow_schema(columns: &[Column]) -> SchemaRef {
    Arc::new(Schema::new(columns.iter().map(|c| Field::new(&c.name, c.ty.arrow(), true)).collect::<Vec<_>>()))
}

/// A column's builder with room for a batch: [`BATCH_ROWS`] cells and, for text,
/// `text_bytes` of it.
fn builder(ty: ColType, text_bytes: usize) -> Box<dyn ArrayBuilder> {
    match ty {
        ColType::Utf8 => Box::new(StringBuilder::with_capacity(BATCH_ROWS, text_bytes)),
        ColType::Int64 => Box::new(Int64Builder::with_capacity(BATCH_ROWS)),
        ColType::Boolean => Box::new(BooleanBuilder::with_capacity(BATCH_ROWS)),
        ColType::Date32 => Box::new(Date32Builder::with_capacity(BATCH_ROWS)),
    }
}

/// Text bytes a new text builder starts with room for (the next batch is given room for
/// what the last one held, up to [`MAX_TEXT_ROOM`]).
const TEXT_ROOM: usize = 1024;
/// Not more: a batch of a large record's rows need not hold its room while other files
/// are written (tests/deferred_memory.rs bounds a large record's memory).
const MAX_TEXT_ROOM: usize = 1 << 20;

impl<W: Write + Send> ParquetTable<W> {
    /// Start a Parquet file with these columns on `out`.
    pub fn create(out: W, columns: &[Column]) -> io::Result<ParquetTable<W>> {
        let schema = arrow_schema(columns);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .set_created_by(format!("piasheet {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(pq_err)?;
        let types: Vec<ColType> = columns.iter().map(|c| c.ty).collect();
        let builders = types.iter().map(|t| builder(*t, TEXT_ROOM)).collect();
        Ok(ParquetTable { writer, schema, types, builders, rows: 0 })
    }

    /// Append one row (one cell per column; a cell of the wrong kind is written as null).
    pub fn push(&mut self, row: &[Cell]) -> io::Result<()> {
        self.push_parts(row, &[])
    }

    /// [`ParquetTable::push`] of the row whose cells are `first` then `rest` (cells
    /// shared by many rows, then the row's own, not copied into one row first).
    pub fn push_parts(&mut self, first: &[Cell], rest: &[Cell]) -> io::Result<()> {
        let mut cells = first.iter().chain(rest);
        for (b, ty) in self.builders.iter_mut().zip(&self.types) {
            let c = cells.next().unwrap_or(&Cell::Null);
            let any = b.as_any_mut();
            match ty {
                ColType::Utf8 => {
                    let b = any.downcast_mut::<StringBuilder>().expect("string column");
                    match c {
                        Cell::Str(s) => b.append_value(s),
                        _ => b.append_null(),
                    }
                }
                ColType::Int64 => any.downcast_mut::<Int64Builder>().expect("int column").append_option(if let Cell::Int(n) = c { Some(*n) } else { None }),
                ColType::Boolean => any.downcast_mut::<BooleanBuilder>().expect("bool column").append_option(if let Cell::Bool(v) = c { Some(*v) } else { None }),
                ColType::Date32 => any.downcast_mut::<Date32Builder>().expect("date column").append_option(if let Cell::Date(d) = c { Some(*d) } else { None }),
            }
        }
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        // finish() gives a builder's buffers away with its array, and an empty builder
        // grows them again from nothing by doubling (issue #16: about half the run's page
        // faults were these reallocations): each is made anew with room for a batch like
        // this one.
        let arrays: Vec<ArrayRef> = (self.builders.iter_mut().zip(&self.types))
            .map(|(b, ty)| {
                let array = b.finish();
                let text_bytes = array.as_any().downcast_ref::<StringArray>().map_or(0, |a| a.value_data().len());
                *b = builder(*ty, text_bytes.clamp(TEXT_ROOM, MAX_TEXT_ROOM));
                array
            })
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(pq_err)?;
        self.writer.write(&batch).map_err(pq_err)?;
        self.rows = 0;
        Ok(())
    }

    /// Write the last rows and the footer; gives back the output (to commit it).
    pub fn finish(mut self) -> io::Result<W> {
        self.write_batch()?;
        self.writer.into_inner().map_err(pq_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Builders made anew after each batch, with room for the last batch's text
    /// (issue #16), lose no cell: a table of several batches (short text, then a batch
    /// over [`MAX_TEXT_ROOM`], then short again), nulls and cells of the wrong kind in
    /// every column, read back cell by cell.
    #[test]
    fn rows_of_every_batch_are_read_back() {
        let columns: Vec<Column> = [("s", ColType::Utf8), ("n", ColType::Int64), ("b", ColType::Boolean), ("d", ColType::Date32)]
            .into_iter()
            .map(|(name, ty)| Column { name: name.into(), ty })
            .collect();
        let text = |i: usize| match i {
            _ if i % 7 == 3 => None,
            _ if (BATCH_ROWS..2 * BATCH_ROWS).contains(&i) => Some(format!("{i}{}", "長".repeat(2 * MAX_TEXT_ROOM / (3 * BATCH_ROWS) + i % 5))),
            _ => Some(format!("{i}:{}", "x".repeat(i % 13))),
        };
        let rows = 4 * BATCH_ROWS + 7;
        let path = std::env::temp_dir().join(format!("piasheet-batches-{}.parquet", std::process::id()));
        let mut table = ParquetTable::create(std::fs::File::create(&path).unwrap(), &columns).unwrap();
        for i in 0..rows {
            let cells = [
                text(i).map_or(Cell::Null, Cell::Str),
                if i % 5 == 1 { Cell::Str("not a number".into()) } else { Cell::Int(i as i64 - 100) },
                if i % 6 == 2 { Cell::Null } else { Cell::Bool(i % 2 == 0) },
                if i % 4 == 0 { Cell::Null } else { Cell::Date(i as i32 * 3) },
            ];
            let (first, rest) = cells.split_at(i % 3);
            table.push_parts(first, rest).unwrap();
        }
        table.finish().unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap().build().unwrap();
        let mut i = 0;
        for batch in reader {
            let batch = batch.unwrap();
            let s = batch.column(0).as_any().downcast_ref::<StringArray>().unwrap();
            let n = batch.column(1).as_any().downcast_ref::<arrow_array::Int64Array>().unwrap();
            let b = batch.column(2).as_any().downcast_ref::<arrow_array::BooleanArray>().unwrap();
            let d = batch.column(3).as_any().downcast_ref::<arrow_array::Date32Array>().unwrap();
            for r in 0..batch.num_rows() {
                assert_eq!(s.is_valid(r).then(|| s.value(r).to_string()), text(i), "row {i}");
                assert_eq!(n.is_valid(r).then(|| n.value(r)), (i % 5 != 1).then(|| i as i64 - 100), "row {i}");
                assert_eq!(b.is_valid(r).then(|| b.value(r)), (i % 6 != 2).then_some(i % 2 == 0), "row {i}");
                assert_eq!(d.is_valid(r).then(|| d.value(r)), (i % 4 != 0).then(|| i as i32 * 3), "row {i}");
                i += 1;
            }
        }
        assert_eq!(i, rows);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn dates_are_days_since_the_epoch_and_checked() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-05-24"), Some(19867));
        assert_eq!(parse_date("2024-02-29"), Some(19782));
        for d in [-1000, 0, 19782, 19867, 40000] {
            assert_eq!(parse_date(&format_date(d)), Some(d));
        }
        for bad in ["2023-02-29", "2019-01", "2024-13-01", "not-a-date", "２０２４-05-24", "2024-5-24"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    /// A schema shaped as schemars writes it, with a repeated block in a repeated block.
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "source": {"$ref": "#/$defs/Source"},
                "header": {"type": "object", "properties": {"published_on": {"type": ["string", "null"]}, "number": {"type": ["integer", "null"]}}},
                "form": {"type": "object", "properties": {"date": {"type": ["string", "null"]}}},
                "choice": {"anyOf": [{"$ref": "#/$defs/Choice"}, {"type": "null"}]},
                "files": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"},
                    "ok": {"type": ["boolean", "null"]},
                    "contracts": {"type": "array", "items": {"type": "object", "properties": {"to": {"type": "string"}, "signed": {"type": "string", "format": "date"}}}},
                    "tags": {"type": "array", "items": {"type": "string"}}
                }}},
                "error": {"anyOf": [{"type": "object", "properties": {"code": {"type": "string"}}}, {"type": "null"}]}
            },
            "$defs": {
                "Source": {"type": "object", "properties": {"sha256": {"type": "string"}}},
                "Choice": {"type": "object", "properties": {"code": {"type": "integer"}, "label": {"type": "string"}}}
            }
        })
    }

    #[test]
    fn types_come_from_the_schema() {
        let s = schema();
        assert_eq!(column_type(&s, "header.published_on"), ColType::Date32);
        assert_eq!(column_type(&s, "header.number"), ColType::Int64);
        assert_eq!(column_type(&s, "form.date"), ColType::Utf8, "a month, not a day");
        assert_eq!(column_type(&s, "choice"), ColType::Utf8);
        assert_eq!(column_type(&s, "choice.code"), ColType::Int64);
        assert_eq!(column_type(&s, "files[].ok"), ColType::Boolean);
        assert_eq!(column_type(&s, "files[].contracts[].signed"), ColType::Date32);
        assert_eq!(column_type(&s, "source.sha256"), ColType::Utf8);
        assert_eq!(column_type(&s, "nowhere"), ColType::Utf8);
        assert_eq!(top_level_keys(&s), ["source", "header", "form", "choice", "files", "error"]);
    }

    #[test]
    fn every_repeated_block_of_the_schema_is_a_table_keyed_to_its_sheet() {
        let s = schema();
        let t = tables(&s, &[]);
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["files", "files.contracts"]);
        let cols: Vec<&str> = t[1].columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cols, ["sheet_sha256", "file_index", "contract_index", "to", "signed"]);
        let fcols: Vec<&str> = t[0].columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(fcols, ["sheet_sha256", "file_index", "name", "ok", "tags"]);
        assert_eq!(t[1].columns[4].ty, ColType::Date32);
        assert!(tables(&s, &["files"]).is_empty(), "a skipped block takes its inner blocks along");
    }
}
