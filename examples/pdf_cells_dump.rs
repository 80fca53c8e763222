//! Debug aid: the cells rebuilt on one page (rect, ruled, lines).
//! Usage: cargo run --release --example pdf_cells_dump -- FILE.pdf PAGE
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("read");
    let page: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let doc = pdf_extract::Document::load_mem(&bytes).expect("load");
    let mut c = piasheet::pdf::collect::Collector::default();
    pdf_extract::output_doc_page(&doc, &mut c, page).expect("page");
    for p in &c.pages {
        let pc = piasheet::pdf::cells::page_cells(p);
        println!("page {} em {}", pc.number, pc.em);
        for cell in &pc.cells {
            let r = cell.rect;
            println!("CELL ruled={} rect=[{:.1} {:.1} {:.1} {:.1}]", cell.ruled, r[0], r[1], r[2], r[3]);
            for l in &cell.lines {
                println!("    y={:.1} {:?}", l.y, l.text);
            }
        }
    }
}
