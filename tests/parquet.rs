//! The typed dataset files read back as a reader would: the Parquet files with the Rust
//! parquet reader (the same Arrow types Polars, pandas/pyarrow and DuckDB map to their
//! own), `datapackage.json` against the CSV headers, and the completed JSONL lines.

use arrow_array::{Array, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt");

/// The sample and an empty file (a failed record: every field null) extracted to `dir/out`.
fn run(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("piasheet-parquet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("in")).unwrap();
    std::fs::copy(SAMPLE, dir.join("in/a_sample.txt")).unwrap();
    std::fs::write(dir.join("in/b_empty.txt"), "").unwrap();
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_piasheet")).args(["extract", dir.join("in").to_str().unwrap(), "-o", out.to_str().unwrap(), "-q"]).output().unwrap();
    // The empty file fails: exit 1, one error line; the sample is read.
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

/// Every batch of a Parquet file, concatenated into one.
fn read(path: &Path) -> RecordBatch {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let schema = batches.first().map(|b| b.schema()).expect("at least one batch");
    arrow_select_concat(&schema, &batches)
}

fn arrow_select_concat(schema: &arrow_schema::SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
    // Small files: one batch holds them (the reader's default batch is 1024 rows).
    assert_eq!(batches.len(), 1, "expected one batch");
    RecordBatch::try_new(schema.clone(), batches[0].columns().to_vec()).unwrap()
}

fn col<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> &'a T {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
    c.as_any().downcast_ref::<T>().unwrap_or_else(|| panic!("{name} is {:?}", c.data_type()))
}

#[test]
fn parquet_columns_are_typed() {
    let dir = run("types");
    let out = dir.join("out");
    let sheets = read(&out.join("sheets.parquet"));
    assert_eq!(sheets.num_rows(), 2);
    let schema = sheets.schema();
    let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(ty("header.published_on"), DataType::Date32);
    assert_eq!(ty("threshold.target_population.as_of"), DataType::Date32);
    assert_eq!(ty("form.date"), DataType::Utf8, "a month (2019-01), not a day");
    assert_eq!(ty("organization.lg_code"), DataType::Utf8);
    assert_eq!(ty("risk.storage"), DataType::Utf8);
    assert_eq!(ty("risk.storage.code"), DataType::Int64);
    assert_eq!(ty("threshold.target_population.at_least"), DataType::Int64);
    assert_eq!(ty("risk.audit.internal_audit"), DataType::Boolean);
    // Column order is the CSV's.
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let csv = std::fs::read(out.join("sheets.csv")).unwrap();
    let header: Vec<String> = csv::Reader::from_reader(&csv[3..]).headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(names, header);

    // Row 0: the sample. Row 1: the empty file, every field null.
    let published = col::<Date32Array>(&sheets, "header.published_on");
    assert_eq!(published.value(0), 19867, "2024-05-24 as days since 1970-01-01");
    assert!(published.is_null(1));
    let lg = col::<StringArray>(&sheets, "organization.lg_code");
    assert_eq!(lg.value(0), "072044", "leading zero kept");
    let at_least = col::<Int64Array>(&sheets, "threshold.target_population.at_least");
    assert_eq!((at_least.value(0), at_least.is_null(1)), (100000, true), "nullable integer");
    let storage = col::<Int64Array>(&sheets, "risk.storage.code");
    assert_eq!(storage.value(0), 2);
    assert_eq!(col::<StringArray>(&sheets, "risk.storage").value(0), "十分である");
    let audit = col::<BooleanArray>(&sheets, "risk.audit.internal_audit");
    assert!(audit.value(0) && audit.is_null(1));
    assert!(!col::<BooleanArray>(&sheets, "risk.audit.external_audit").value(0));
    assert_eq!(col::<StringArray>(&sheets, "status").value(1), "failed");

    let changes = read(&out.join("changes.parquet"));
    assert_eq!(changes.num_rows(), 23);
    assert_eq!(changes.schema().field_with_name("date").unwrap().data_type(), &DataType::Date32);
    assert_eq!(col::<Date32Array>(&changes, "date").value(0), 16892, "2016-04-01");
    assert_eq!(col::<StringArray>(&changes, "organization.lg_code").value(0), "072044");
    assert_eq!(col::<StringArray>(&changes, "date_text").value(0), "平成28年4月1日");

    // A long table per repeated block, keyed to its sheet.
    let warnings = std::fs::File::open(out.join("warnings.parquet")).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(warnings).unwrap();
    let fields: Vec<&str> = builder.schema().fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(&fields[..2], ["sheet_sha256", "warning_index"]);
    assert!(fields.contains(&"code"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn datapackage_types_every_csv_column_and_jsonl_lines_are_complete() {
    let dir = run("package");
    let out = dir.join("out");
    let package: Value = serde_json::from_slice(&std::fs::read(out.join("datapackage.json")).unwrap()).unwrap();
    let resources = package["resources"].as_array().unwrap();
    for r in resources {
        let path = out.join(r["path"].as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header: Vec<String> = csv::Reader::from_reader(&bytes[3..]).headers().unwrap().iter().map(str::to_string).collect();
        let fields: Vec<&str> = r["schema"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(header, fields, "{}", r["path"]);
    }
    let sheets = resources.iter().find(|r| r["name"] == "sheets").unwrap();
    let ty = |n: &str| sheets["schema"]["fields"].as_array().unwrap().iter().find(|f| f["name"] == n).map(|f| f["type"].as_str().unwrap().to_string());
    assert_eq!(ty("organization.lg_code").as_deref(), Some("string"));
    assert_eq!(ty("header.evaluation_number").as_deref(), Some("string"));
    assert_eq!(ty("header.published_on").as_deref(), Some("date"));
    assert_eq!(ty("risk.storage.code").as_deref(), Some("integer"));
    assert_eq!(ty("risk.audit.internal_audit").as_deref(), Some("boolean"));

    // Every line has every top-level key, null when empty, in one order.
    let jsonl = std::fs::read_to_string(out.join("sheets.jsonl")).unwrap();
    let lines: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&lines[0]), keys(&lines[1]));
    assert!(lines[0]["error"].is_null() && lines[0].as_object().unwrap().contains_key("error"));
    assert_eq!(lines[1]["error"]["code"], "empty");
    assert!(lines[0]["source"]["pages"].is_null() && lines[1]["source"]["pages"].is_null());
    std::fs::remove_dir_all(dir).unwrap();
}
