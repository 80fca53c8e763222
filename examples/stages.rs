//! Where the time of a text dump goes, stage by stage, in one thread:
//!
//!     cargo run --release --example stages -- DIR [--runs 3]
//!
//! Reads every `*.txt` of DIR into memory first (so I/O is not counted), then times
//! each stage of the text path over all of them: decode, lines, changes, the whole record (incl. checks), and the pretty JSON output. Prints µs per
//! document for each.

use piasheet::{changes, decode, reassemble};
use std::collections::HashSet;
use std::time::Instant;

// The same allocator as the CLI, so the numbers are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().expect("usage: stages DIR [--runs N]");
    let runs: usize = args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|n| n.parse().ok()).unwrap_or(3);
    let mut files: Vec<Vec<u8>> = Vec::new();
    for e in std::fs::read_dir(dir).expect("read DIR") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "txt") {
            files.push(std::fs::read(&p).expect("read file"));
        }
    }
    let n = files.len().max(1) as f64;
    let time = |name: &str, f: &mut dyn FnMut()| {
        let best = (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        println!("{name:<10} {:8.1} µs/document", best * 1e6 / n);
    };
    let texts: Vec<String> = files.iter().map(|b| decode::decode_text(b).expect("decodes").text).collect();
    time("decode", &mut || files.iter().for_each(|b| drop(decode::decode_text(b))));
    // Decoding by encoding: the legacy ones cost most.
    let mut by_encoding: std::collections::BTreeMap<&str, (usize, f64)> = Default::default();
    for b in &files {
        let t = Instant::now();
        let enc = decode::decode_text(b).map(|d| d.encoding).unwrap_or("failed");
        let e = by_encoding.entry(enc).or_default();
        (e.0, e.1) = (e.0 + 1, e.1 + t.elapsed().as_secs_f64());
    }
    for (enc, (count, secs)) in by_encoding {
        println!("  {enc:<9} {:8.1} µs/document ({count} documents)", secs * 1e6 / count as f64);
    }
    time("lines", &mut || texts.iter().for_each(|t| drop(reassemble::lines_of(t))));
    let lines: Vec<Vec<reassemble::Line>> = texts.iter().map(|t| reassemble::lines_of(t)).collect();
    let known = HashSet::new();
    let table = &piasheet::form::FormSet::builtin().common.change_table;
    time("changes", &mut || lines.iter().for_each(|l| drop(changes::from_text(l, reassemble::change_region_start(l, table), table, &known, &mut Vec::new()))));
    time("record", &mut || files.iter().for_each(|b| drop(piasheet::extract_text_dump("f.txt", b))));
    let records: Vec<_> = files.iter().map(|b| piasheet::extract_text_dump("f.txt", b)).collect();
    time("json", &mut || records.iter().for_each(|r| drop(serde_json::to_vec_pretty(r))));
}
