//! Dump a PDF's text the way pdf-extract's `extract_text` does (how the sample dump was made).
fn main() {
    for p in std::env::args().skip(1) {
        match pdf_extract::extract_text(&p) {
            Ok(t) => print!("{t}"),
            Err(e) => eprintln!("{p}: {e}"),
        }
    }
}
