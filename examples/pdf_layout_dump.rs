//! Print the reading-order text of PDFs as `layout_text` renders it (in-process, no worker).
//! Usage: cargo run --release --example pdf_layout_dump -- FILE.pdf...
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        match piasheet::pdf::layout_from_bytes(&bytes) {
            Ok(l) => {
                for w in &l.warnings {
                    eprintln!("{path}: warning: {w}");
                }
                print!("{}", piasheet::pdf::layout_text(&l));
            }
            Err(e) => eprintln!("{path}: {e}"),
        }
    }
}
