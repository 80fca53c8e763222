//! Debug aid: one page of a PDF as the reader sees it — the raw glyphs and rule
//! segments pdf-extract reports, or (with `--cells`) the cells rebuilt from them.
//! Usage: cargo run --release --example pdf_page_dump -- FILE.pdf PAGE [--cells]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("read");
    let page: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let cells = args.iter().any(|a| a == "--cells");
    let doc = pdf_extract::Document::load_mem(&bytes).expect("load");
    let mut c = piasheet::pdf::collect::Collector::default();
    pdf_extract::output_doc_page(&doc, &mut c, page).expect("page");
    for p in &c.pages {
        if cells {
            let pc = piasheet::pdf::cells::page_cells(p);
            println!("page {} em {}", pc.number, pc.em);
            for cell in &pc.cells {
                let r = cell.rect;
                println!("CELL ruled={} rect=[{:.1} {:.1} {:.1} {:.1}]", cell.ruled, r[0], r[1], r[2], r[3]);
                for l in &cell.lines {
                    println!("    y={:.1} {:?}", l.y, l.text);
                }
            }
            continue;
        }
        println!("page {} media {:?} glyphs {} drawn {}", p.number, p.media, p.glyphs.len(), p.glyph_count);
        for s in &p.segs {
            println!("SEG {:.2} {:.2} {:.2} {:.2}", s.x0, s.y0, s.x1, s.y1);
        }
        for g in &p.glyphs {
            println!("G {:?} x={:.2} y={:.2} adv={:.2} em={:.2}", g.text, g.x, g.y, g.adv, g.em);
        }
    }
}
