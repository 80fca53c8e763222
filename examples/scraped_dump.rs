//! Print the shape of a text dump and what `scraped::rebuild` makes of it:
//! `cargo run --release --example scraped_dump -- FILE.txt [--rows]`.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: scraped_dump FILE.txt [--rows]");
        std::process::exit(2);
    };
    let bytes = std::fs::read(path).expect("read");
    let text = String::from_utf8_lossy(&bytes);
    let shape = piasheet::scraped::shape_of(&text);
    println!("# shape: {shape}");
    match piasheet::scraped::rebuild(&text, shape) {
        None => println!("# not rebuilt"),
        Some(r) => {
            if !args.iter().any(|a| a == "--rows") {
                for l in &r.lines {
                    println!("{l}");
                }
            }
            println!("# change rows (unreadable: {})", r.unreadable_rows);
            for row in r.change_rows.iter().flatten() {
                println!("{}", row.cells.iter().map(|c| c.replace('\n', "\\n")).collect::<Vec<_>>().join(" | "));
            }
        }
    }
}
