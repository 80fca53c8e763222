//! Heap held after each stage of the text path for one dump, and the peak, as multiples
//! of the input's size (the system allocator, counted):
//!
//!     cargo run --release --example mem_stages -- FILE.txt
//!
//! For the memory bound of large dumps (issue #16: peak ≤ 4× the input): shows which
//! stage's data is alive at the peak. The CLI's RSS (`bench --sizes`) adds the
//! allocator's and the process's own overhead to this.

use piasheet::{changes, decode, reassemble};
use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;

#[path = "../tests/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE, PEAK};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    let path = std::env::args().nth(1).expect("usage: mem_stages FILE.txt");
    let bytes = std::fs::read(&path).expect("read");
    let n = bytes.len() as f64;
    let base = LIVE.load(Relaxed) - bytes.len();
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    let show = |stage: &str| {
        let (live, peak) = (LIVE.load(Relaxed) - base, PEAK.load(Relaxed) - base);
        println!("{stage:<22} live {:7.1} MB = {:4.2}x   peak so far {:7.1} MB = {:4.2}x", live as f64 / 1e6, live as f64 / n, peak as f64 / 1e6, peak as f64 / n);
    };
    println!("input {:.1} MB", n / 1e6);
    show("bytes");
    // MEM_STAGES_OWNED=1: the CLI's own path only (e.g. under heaptrack, whose peak is
    // then this path's).
    if std::env::var_os("MEM_STAGES_OWNED").is_none() {
        borrowed_stages(&bytes, &show);
    }
    owned_path(bytes, &show);
}

/// Each stage of the text path, its data kept, then the output path's.
fn borrowed_stages(bytes: &[u8], show: &dyn Fn(&str)) {
    let text = decode::decode_text(bytes).expect("decodes").text;
    show("+ decoded text");
    let lines = reassemble::lines_of(&text);
    show("+ lines");
    let table = &piasheet::form::FormSet::builtin().common.change_table;
    let rows = changes::from_text(&lines, reassemble::change_region_start(&lines, table), table, &HashSet::new(), &mut Vec::new());
    show("+ change rows");
    drop((rows, lines, text));
    show("(dropped)");
    let record = piasheet::extract_text_dump("f.txt", bytes);
    show("+ record (whole path)");
    let json = serde_json::to_vec_pretty(&record).expect("json");
    show("+ pretty JSON");
    drop(json);
    show("(JSON dropped)");
    // The CLI's output path (`cli/extract.rs`): the record as a JSON value, the pretty
    // file, then the dataset rows of every format.
    let value = serde_json::to_value(&record).expect("value");
    show("+ record as a Value");
    let json = serde_json::to_vec_pretty(&value).expect("json");
    show("+ pretty JSON of it");
    drop(json);
    if std::env::var_os("MEM_STAGES_ROWS").is_some() {
        for f in ["jsonl", "csv", "parquet"] {
            let rows = piasheet::dataset::Rows::of(&value, &piasheet::dataset::Formats::parse(f).expect("formats")).expect("rows");
            show(&format!("+ rows: {f} only"));
            drop(rows);
        }
    }
    let formats = piasheet::dataset::Formats::parse("json,jsonl,csv,parquet").expect("formats");
    let rows = piasheet::dataset::Rows::of(&value, &formats).expect("rows");
    show("+ dataset rows");
    drop((rows, value, record));
    show("(all dropped)");
}

fn owned_path(bytes: Vec<u8>, show: &dyn Fn(&str)) {
    // The CLI's own path: the bytes given up (freed once decoded), the text freed once
    // split into lines; its peak counted from here, the input included.
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    let formats = piasheet::dataset::Formats::parse("json,jsonl,csv,parquet").expect("formats");
    let source = piasheet::source_of("f.txt", &bytes, "text");
    let record = piasheet::extract_text_owned(source, bytes);
    show("owned path: record");
    // The CLI's large-record output: the pretty JSON written from the record as it is
    // made (here into a sink), then the rows deferred with the changes kept typed.
    serde_json::to_writer_pretty(std::io::BufWriter::with_capacity(1 << 16, std::io::sink()), &record).expect("json");
    show("+ pretty JSON written");
    let rows = piasheet::dataset::Rows::deferred_record(record, &formats).expect("rows");
    show("+ deferred rows");
    let dir = std::env::temp_dir().join(format!("mem-stages-{}", std::process::id()));
    let mut w = piasheet::dataset::DatasetWriter::create(&dir, &formats).expect("dataset");
    w.append(&rows).expect("append");
    show("+ rows appended");
    drop((rows, w));
    let _ = std::fs::remove_dir_all(&dir);
}
