//! Issue #16, peak memory of large inputs: a large record's dataset rows (`Rows::deferred`)
//! are written as they are made. Appending one must not hold its change rows of any
//! format (the CSV text or the Parquet cells of every row: each more than the changes'
//! own JSON) beside the record. Heap counted by a wrapper of the system allocator; the
//! only test of this binary, so no other test allocates meanwhile.

use piasheet::dataset::{DatasetWriter, Formats, Rows};
use std::sync::atomic::Ordering::Relaxed;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE, PEAK};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_deferred_record_is_appended_without_holding_its_change_rows() {
    let root = env!("CARGO_MANIFEST_DIR");
    let bytes = std::fs::read(format!("{root}/input/000_72349b560cd020d7.txt")).expect("seed");
    let mut record = serde_json::to_value(piasheet::extract_text_dump("seed.txt", &bytes)).unwrap();
    // The seed's change table 300 times over: ~7,000 rows.
    let rows = record["changes"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty(), "the seed has change rows");
    let n = 300 * rows.len();
    record["changes"] = serde_json::Value::Array((0..300).flat_map(|_| rows.iter().cloned()).collect());
    let changes_json = serde_json::to_vec(&record["changes"]).unwrap().len();
    let dir = std::env::temp_dir().join(format!("piasheet-deferred-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let formats = Formats::parse("jsonl,csv,parquet").unwrap();
    let mut w = DatasetWriter::create(&dir, &formats).unwrap();
    let rows = Rows::deferred(record, &formats);
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    w.append(&rows).unwrap();
    let held = PEAK.load(Relaxed) - before;
    drop(rows);
    w.commit().unwrap();
    let csv = std::fs::read_to_string(dir.join("changes.csv")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(csv.lines().count() > n, "every change row written (a row is one line or more)");
    // Measured: 1.5 MB held for 4.5 MB of changes JSON (a Parquet batch and row group,
    // the writers' buffers); holding a format's rows first held 4.5 MB of CSV text alone.
    println!("appending held {held} bytes for {} bytes of changes.csv, {changes_json} bytes of changes JSON", csv.len());
    // The bound would catch a reader holding the rows: the CSV text alone is over it.
    assert!(csv.len() * 2 > changes_json);
    assert!(held * 2 < changes_json, "appending held {held} bytes for {changes_json} bytes of changes");
}
