//! The lines of a column-order (pdftotext, pdfminer, PyMuPDF) 基礎 dump after the
//! column pass, numbered with the input line each came from, to see what the form
//! engine reads:
//!
//!     cargo run --release --example kiso_columns -- DUMP.txt
fn main() {
    let path = std::env::args().nth(1).expect("usage: kiso_columns DUMP.txt");
    let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable dump")).to_string();
    let set = piasheet::form::FormSet::builtin();
    let lines = piasheet::reassemble::lines_of(&text);
    // The stamp's version (pdftotext plain may split the stamp: the latest 基礎 form).
    let version = piasheet::engine::stamp(&lines).map(|s| s.0);
    let (form, _) = set.form_for("kiso", version.as_deref()).expect("a 基礎 form");
    let end = piasheet::reassemble::change_region_start(&lines, &set.common.change_table);
    let cover_end = piasheet::engine::cover_end(&set.common, form, &lines, end);
    println!("cover_end {cover_end} body_end {end}");
    match piasheet::engine::values_after_labels(form, &set.common, &lines, cover_end, end) {
        Some((moved, origin, warnings)) => {
            for (i, l) in moved.iter().enumerate() {
                println!("{i:4} <{:4} {}", origin[i], l.raw());
            }
            warnings.iter().for_each(|w| println!("warning {} {} {}", w.path, w.code, w.message));
        }
        None => println!("(no cell moves)"),
    }
}
