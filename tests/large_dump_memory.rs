//! Issue #16, peak memory of large inputs: a pdf-extract dump with a long 変更箇所 table
//! is read holding its lines once. (The pass that settles answers on the printed order
//! keeps a copy of the body's lines as printed; a copy of every line held the table
//! twice, 5.5x a 63 MB dump's size in RSS.) Heap counted by a wrapper of the system
//! allocator; the only test of this binary, so no other test allocates meanwhile.

use std::sync::atomic::Ordering::Relaxed;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE, PEAK};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A change row's first line: `平成…日 Ⅰ…` (as `examples/make_corpus` finds them).
fn is_row_start(l: &str) -> bool {
    let (date, rest) = l.split_once(' ').unwrap_or((l, ""));
    (date.starts_with("平成") || date.starts_with("令和")) && date.ends_with('日') && (rest.starts_with('Ⅰ') || rest.starts_with('Ⅱ'))
}

#[test]
fn a_long_change_table_is_read_holding_its_lines_once() {
    let root = env!("CARGO_MANIFEST_DIR");
    let seed = std::fs::read_to_string(format!("{root}/input/000_72349b560cd020d7.txt")).expect("seed");
    let seed_rows = piasheet::extract_text_dump("seed.txt", seed.as_bytes()).changes.len();
    assert!(seed_rows > 10, "the seed has change rows");
    // The seed's change table 400 times over (~5 MB), as `make_corpus --repeat-changes`.
    let lines: Vec<&str> = seed.trim_end().split('\n').collect();
    let start = lines.iter().position(|l| is_row_start(l)).expect("a first change row");
    let (body, table) = (lines[..start].join("\n"), lines[start..].join("\n"));
    let times = 400;
    let mut text = body;
    for _ in 0..times {
        text.push('\n');
        text.push_str(&table);
        text.push_str("\n\n\n\n");
    }
    let bytes = text.into_bytes();
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let record = piasheet::extract_text_dump("large.txt", &bytes);
    let held = PEAK.load(Relaxed) - before;
    assert_eq!(record.changes.len(), times * seed_rows, "every row read");
    println!("reading {} bytes held at most {held} bytes ({:.2}x)", bytes.len(), held as f64 / bytes.len() as f64);
    // Measured: 2.75x; with every line copied, 4.60x.
    assert!(held < 3 * bytes.len(), "reading {} bytes held {held} bytes at its peak", bytes.len());
}
