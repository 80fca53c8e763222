//! Print the lines where the main route (own reader first) and pdf-extract alone differ.
//! Usage: cargo run --release --example route_diff -- FILE.pdf...
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap();
        let (a, b) = match (piasheet::pdf::layout_from_bytes(&bytes), piasheet::pdf::pdf_extract_layout_from_bytes(&bytes)) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                println!("{path}: main {:?} / pdf-extract alone {:?}\n", a.err(), b.err());
                continue;
            }
        };
        println!("{path}: lines {} vs {}, rows {} vs {}, warnings {:?} vs {:?}, route {:?} vs {:?}", a.lines.len(), b.lines.len(), a.change_rows.len(), b.change_rows.len(), a.warnings, b.warnings, a.route, b.route);
        let (mut n, mut worst, mut tdiff) = (0, 0f32, 0);
        for (x, y) in a.lines.iter().zip(&b.lines) {
            if x.text != y.text || x.page != y.page { tdiff += 1; }
            if x.bbox != y.bbox { n += 1; }
            for k in 0..4 { worst = worst.max((x.bbox[k] - y.bbox[k]).abs()); }
        }
        println!("  text/page differ: {tdiff}, boxes differ: {n}, largest coordinate gap: {worst} pt");
        if std::env::var_os("VERBOSE").is_none() { continue; }
        for (i, (x, y)) in a.lines.iter().zip(&b.lines).enumerate() {
            if x.text != y.text || x.page != y.page || x.bbox != y.bbox {
                println!("{i}: own p{} {:?} {:?}\n{i}: pdx p{} {:?} {:?}", x.page, x.bbox, x.text, y.page, y.bbox, y.text);
            }
        }
        for (i, (x, y)) in a.change_rows.iter().zip(&b.change_rows).enumerate() {
            if x.page != y.page || x.cells != y.cells {
                println!("row {i}: {x:?}\n row {i}: {y:?}");
            }
        }
    }
}
