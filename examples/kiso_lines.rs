//! The lines of a drawing-order (pdf-extract) 基礎 dump after the unjumble stage, numbered,
//! to see what the form engine reads:
//!
//!     cargo run --release --example kiso_lines -- DUMP.txt
fn main() {
    let path = std::env::args().nth(1).expect("usage: kiso_lines DUMP.txt");
    let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable dump")).to_string();
    let set = piasheet::form::FormSet::builtin();
    let lines = piasheet::reassemble::lines_of(&text);
    let stamp = piasheet::engine::stamp(&lines).expect("a version stamp");
    let kind = set.kind_by_number(stamp.2).expect("a kind");
    let (form, _) = set.form_for(&kind.kind, Some(&stamp.0)).expect("a form");
    let end = piasheet::reassemble::change_region_start(&lines, &piasheet::form::FormSet::builtin().common.change_table);
    let cover_end = piasheet::engine::cover_end(&set.common, form, &lines, end);
    println!("cover_end {cover_end} body_end {end}");
    for (i, l) in piasheet::engine::unjumble(form, &set.common, lines, cover_end, end).iter().enumerate() {
        println!("{i:4} {}", l.raw());
    }
}
