//! Long tables of the repeated blocks (`files[]`, `basic.systems[]`,
//! `files[].outsourcing.contracts[]`, `warnings[]` …), found in each record's JSON tree,
//! so a block of any kind of sheet gets its table whether or not the JSON Schema
//! describes it.
//!
//! Which columns a table has is only known once every record was seen (a later sheet
//! may fill a field no earlier one had), so rows are spooled to a temporary file as the
//! batch runs (memory stays flat), and the CSV and Parquet files are written from the
//! spool at the end: columns in order of first appearance (those the schema names
//! first, in schema order), typed by the schema where it knows the column, else by
//! what the values were (all integers → integer, all booleans → boolean, all ISO dates
//! in a date-named column → date, else text).

use super::columnar::{self, Cell, ColType, Column, ParquetTable, TableSpec, SHEET_KEY};
use crate::write::AtomicFile;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

/// One item of a repeated block of a record, flattened (made on the worker threads).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The block's path with array marks (`files[].outsourcing.contracts[]`).
    pub path: String,
    /// The index in each enclosing array, outermost first.
    pub index: Vec<i64>,
    /// The item's scalar leaves by dotted path (see [`columnar::leaves`]).
    pub leaves: Vec<(String, Value)>,
}

/// Every item of every repeated block of `record` (but the top-level keys in `skip`),
/// outer blocks before the blocks inside them, in document order.
pub fn items(record: &Value, skip: &[&str]) -> Vec<Item> {
    // `path` is one buffer, extended and cut back on the way down (issue #16: a path
    // was made for every object of the record).
    fn walk(v: &Value, path: &mut String, index: &mut Vec<i64>, skip: &[&str], out: &mut Vec<Item>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if path.is_empty() && skip.contains(&k.as_str()) {
                        continue;
                    }
                    let len = path.len();
                    push_key(path, k);
                    walk(x, path, index, skip, out);
                    path.truncate(len);
                }
            }
            Value::Array(a) if a.iter().any(Value::is_object) => {
                path.push_str("[]");
                for (i, x) in a.iter().enumerate() {
                    index.push(i as i64);
                    let leaves = ordered_leaves(x).into_iter().map(|(k, v)| (k, v.clone())).collect();
                    out.push(Item { path: path.clone(), index: index.clone(), leaves });
                    walk(x, path, index, &[], out);
                    index.pop();
                }
                path.truncate(path.len() - 2);
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(record, &mut String::with_capacity(64), &mut Vec::new(), skip, &mut out);
    out
}

/// `path.key`, or `key` at the top.
fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// The scalar leaves of an item in document order, named as [`columnar::leaves`] names
/// them (a choice's label at its own path); blocks inside are left to their own tables.
fn ordered_leaves(v: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(v: &'a Value, path: &mut String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(m) => {
                // A choice: its label first, at its own path, then `.code` and the rest
                // (the order of sheets.csv).
                let choice = columnar::is_choice(m);
                if let Some(label) = m.get("label").filter(|_| choice) {
                    out.push((path.clone(), label));
                }
                for (k, x) in m.iter().filter(|(k, _)| !(choice && *k == "label")) {
                    let len = path.len();
                    push_key(path, k);
                    walk(x, path, out);
                    path.truncate(len);
                }
            }
            // Blocks inside have their own tables; an empty list says nothing (and is
            // an empty block where other records have rows).
            Value::Array(a) if a.is_empty() || a.iter().any(Value::is_object) => {}
            other => out.push((path.clone(), other)),
        }
    }
    let mut out = Vec::new();
    walk(v, &mut String::new(), &mut out);
    out
}

/// What the values of one column were, to type a column the schema does not know.
#[derive(Debug, Clone, Copy, Default)]
struct Evidence {
    values: usize,
    ints: usize,
    bools: usize,
    dates: usize,
}

impl Evidence {
    fn see(&mut self, v: &Value) {
        if v.is_null() {
            return;
        }
        self.values += 1;
        match v {
            Value::Bool(_) => self.bools += 1,
            Value::Number(n) if n.is_i64() || n.is_u64() => self.ints += 1,
            Value::String(s) if columnar::parse_date(s).is_some() => self.dates += 1,
            _ => {}
        }
    }

    fn ty(&self, name: &str) -> ColType {
        match self.values {
            0 => ColType::Utf8,
            n if n == self.ints => ColType::Int64,
            n if n == self.bools => ColType::Boolean,
            n if n == self.dates && columnar::date_by_name(name) => ColType::Date32,
            _ => ColType::Utf8,
        }
    }
}

/// One table being gathered: its spool of rows and what its columns were.
struct Spool {
    /// Block path with array marks.
    path: String,
    /// The index columns (`file_index`, `contract_index`).
    index: Vec<String>,
    columns: Vec<String>,
    by_name: HashMap<String, usize>,
    evidence: Vec<Evidence>,
    /// The schema's type of a column, where the schema describes this block.
    typed: HashMap<String, ColType>,
    tmp: PathBuf,
    out: io::BufWriter<std::fs::File>,
}

/// The long tables of a run, spooled until [`Blocks::finish`].
pub struct Blocks {
    dir: PathBuf,
    csv: bool,
    parquet: bool,
    spools: Vec<Spool>,
    by_path: HashMap<String, usize>,
}

impl Drop for Blocks {
    /// Not finished (an error on the way): leave no spool behind.
    fn drop(&mut self) {
        for s in &self.spools {
            let _ = std::fs::remove_file(&s.tmp);
        }
    }
}

/// A table's finished description: file stem, block path and typed columns.
pub type Finished = TableSpec;

impl Blocks {
    /// Start gathering in `dir` (spools are hidden temporary files there). The tables
    /// the schema describes exist (with their columns, typed by it) even when empty.
    pub fn new(dir: &Path, csv: bool, parquet: bool, schema_tables: Vec<TableSpec>) -> io::Result<Blocks> {
        let mut b = Blocks { dir: dir.to_path_buf(), csv, parquet, spools: vec![], by_path: HashMap::new() };
        for t in &schema_tables {
            let leaves: Vec<String> = t.columns[1 + t.depth..].iter().map(|c| c.name.clone()).collect();
            let i = b.spool(&t.path)?;
            let s = &mut b.spools[i];
            for (name, c) in leaves.iter().zip(&t.columns[1 + t.depth..]) {
                s.typed.insert(name.clone(), c.ty);
                s.column(name);
            }
        }
        Ok(b)
    }

    /// The spool of a block path, made on first sight.
    fn spool(&mut self, path: &str) -> io::Result<usize> {
        if let Some(i) = self.by_path.get(path) {
            return Ok(*i);
        }
        let i = self.spools.len();
        let tmp = self.dir.join(format!(".{}.spool.{}.tmp", path.replace("[]", ""), std::process::id()));
        std::fs::create_dir_all(&self.dir)?;
        let out = io::BufWriter::new(std::fs::File::create(&tmp)?);
        let mut index: Vec<Column> = Vec::new();
        for seg in path.split('.').filter(|s| s.ends_with("[]")) {
            let name = columnar::index_column(seg.trim_end_matches("[]"), &index);
            index.push(Column { name, ty: ColType::Int64 });
        }
        let index = index.into_iter().map(|c| c.name).collect();
        self.spools.push(Spool { path: path.to_string(), index, columns: vec![], by_name: HashMap::new(), evidence: vec![], typed: HashMap::new(), tmp, out });
        self.by_path.insert(path.to_string(), i);
        Ok(i)
    }

    /// Add the items of one record (in input order).
    pub fn append(&mut self, sha256: &str, items: &[Item]) -> io::Result<()> {
        for item in items {
            let i = self.spool(&item.path)?;
            let s = &mut self.spools[i];
            let mut cells: Vec<(usize, &Value)> = Vec::with_capacity(item.leaves.len());
            for (name, v) in &item.leaves {
                let c = s.column(name);
                s.evidence[c].see(v);
                cells.push((c, v));
            }
            // One spool line: [sha256, [indexes], [[column, value], …]].
            serde_json::to_writer(&mut s.out, &(sha256, &item.index, &cells))?;
            s.out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Write every table's CSV and Parquet from its spool; returns the tables written
    /// (for `datapackage.json`). Spools are removed, done or not.
    pub fn finish(mut self) -> io::Result<Vec<Finished>> {
        let mut done = Vec::new();
        let mut result = Ok(());
        let blocks: Vec<String> = self.spools.iter().map(|s| s.path.clone()).collect();
        for s in std::mem::take(&mut self.spools) {
            let tmp = s.tmp.clone();
            if result.is_ok() {
                match write_table(s, &self.dir, self.csv, self.parquet, &blocks) {
                    Ok(t) => done.push(t),
                    Err(e) => result = Err(e),
                }
            }
            let _ = std::fs::remove_file(tmp);
        }
        result.map(|_| done)
    }
}

impl Spool {
    /// The position of a column, added at the end on first sight.
    fn column(&mut self, name: &str) -> usize {
        if let Some(c) = self.by_name.get(name) {
            return *c;
        }
        self.columns.push(name.to_string());
        self.evidence.push(Evidence::default());
        self.by_name.insert(name.to_string(), self.columns.len() - 1);
        self.columns.len() - 1
    }
}

/// One spooled table written out as `<name>.csv` and/or `<name>.parquet`. A column
/// that was only ever null where other records hold a block (`transfer.recipients:
/// null` beside `transfer.recipients: [{…}]`) is left out: the block has its table.
fn write_table(s: Spool, dir: &Path, csv: bool, parquet: bool, blocks: &[String]) -> io::Result<Finished> {
    let Spool { path, index, columns, evidence, typed, tmp, out, .. } = s;
    drop(out.into_inner().map_err(|e| e.into_error())?);
    let mut cols = vec![Column { name: SHEET_KEY.into(), ty: ColType::Utf8 }];
    cols.extend(index.iter().map(|n| Column { name: n.clone(), ty: ColType::Int64 }));
    let depth = index.len();
    // Where each spooled column goes in the row (None: left out).
    let mut place: Vec<Option<usize>> = Vec::with_capacity(columns.len());
    for (name, ev) in columns.iter().zip(&evidence) {
        if ev.values == 0 && !typed.contains_key(name) && blocks.contains(&format!("{path}.{name}[]")) {
            place.push(None);
            continue;
        }
        place.push(Some(cols.len()));
        cols.push(Column { name: name.clone(), ty: typed.get(name).copied().unwrap_or_else(|| ev.ty(name)) });
    }
    let spec = TableSpec { name: path.replace("[]", ""), path, columns: cols, depth };
    let mut csv_out = if csv { Some(super::csv_file(&dir.join(format!("{}.csv", spec.name)), &spec.columns)?) } else { None };
    let mut pq_out = if parquet { Some(ParquetTable::create(AtomicFile::create(&dir.join(format!("{}.parquet", spec.name)))?, &spec.columns)?) } else { None };
    let reader = io::BufReader::new(std::fs::File::open(&tmp)?);
    for line in reader.lines() {
        let (sha, idx, cells): (String, Vec<i64>, Vec<(usize, Value)>) = serde_json::from_str(&line?)?;
        let mut row = vec![Cell::Null; spec.columns.len()];
        row[0] = Cell::Str(sha);
        for (k, i) in idx.iter().enumerate() {
            row[1 + k] = Cell::Int(*i);
        }
        for (c, v) in cells {
            if let Some(at) = place.get(c).copied().flatten() {
                row[at] = columnar::cell(Some(&v), spec.columns[at].ty);
            }
        }
        if let Some(w) = csv_out.as_mut() {
            w.write_all(&super::csv_row(row.iter().map(super::csv_cell)))?;
        }
        if let Some(t) = pq_out.as_mut() {
            t.push(&row)?;
        }
    }
    if let Some(w) = csv_out {
        w.commit()?;
    }
    if let Some(t) = pq_out {
        t.finish()?.commit()?;
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blocks_are_found_in_the_tree_and_typed_by_their_values() {
        let record = json!({
            "source": {"sha256": "ab"},
            "basic": {"systems": [{"name": "s1", "functions": "f"}, {"name": "s2", "functions": null}]},
            "files": [
                {"name": "a", "basic": {"holding_start": "2017-08-19", "population": {"code": 3, "label": "10万人以上"}},
                 "outsourcing": {"contracts": [{"to": "c0", "people": 10}]}, "transfer": {"recipients": []}},
                {"name": "b", "basic": {"holding_start": "2018-01-01", "population": null},
                 "outsourcing": {"contracts": [{"to": "c1", "people": 20, "extra": true}]}, "transfer": {"recipients": [{"to": "t"}]}}
            ],
            "changes": [{"date": "2020-01-01"}]
        });
        let items = items(&record, &["changes"]);
        let paths: Vec<&str> = items.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["basic.systems[]", "basic.systems[]", "files[]", "files[].outsourcing.contracts[]", "files[]", "files[].outsourcing.contracts[]", "files[].transfer.recipients[]"]);
        assert_eq!(items[5].index, [1, 0]);

        let dir = std::env::temp_dir().join(format!("piasheet-blocks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut b = Blocks::new(&dir, true, true, vec![]).unwrap();
        b.append("ab", &items).unwrap();
        let tables = b.finish().unwrap();
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["basic.systems", "files", "files.outsourcing.contracts", "files.transfer.recipients"]);
        let cols = |t: &TableSpec| t.columns.iter().map(|c| (c.name.clone(), c.ty)).collect::<Vec<_>>();
        assert_eq!(
            cols(&tables[1]),
            [
                ("sheet_sha256".to_string(), ColType::Utf8),
                ("file_index".into(), ColType::Int64),
                ("name".into(), ColType::Utf8),
                ("basic.holding_start".into(), ColType::Date32),
                ("basic.population".into(), ColType::Utf8),
                ("basic.population.code".into(), ColType::Int64),
            ]
        );
        let contracts = cols(&tables[2]);
        assert_eq!(contracts[1..3], [("file_index".to_string(), ColType::Int64), ("contract_index".into(), ColType::Int64)]);
        assert_eq!(contracts[4..], [("people".to_string(), ColType::Int64), ("extra".into(), ColType::Boolean)], "a column first seen later is added");
        let csv = std::fs::read_to_string(dir.join("files.outsourcing.contracts.csv")).unwrap();
        assert_eq!(csv.trim_start_matches('\u{feff}'), "sheet_sha256,file_index,contract_index,to,people,extra\nab,0,0,c0,10,\nab,1,0,c1,20,true\n");
        // The Parquet file carries the same types.
        let file = std::fs::File::open(dir.join("files.parquet")).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let schema = reader.schema().clone();
        assert_eq!(schema.field_with_name("basic.holding_start").unwrap().data_type(), &arrow_schema::DataType::Date32);
        assert_eq!(schema.field_with_name("basic.population.code").unwrap().data_type(), &arrow_schema::DataType::Int64);
        let batch = reader.build().unwrap().next().unwrap().unwrap();
        assert_eq!(batch.num_rows(), 2);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".tmp")).collect();
        assert!(left.is_empty(), "spools removed: {left:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
