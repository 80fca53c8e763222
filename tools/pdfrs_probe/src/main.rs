// Probe: how much Japanese text the `pdf` crate (pdf-rs) gets out of a file:
// pages, content ops, ToUnicode maps. Prints the count of chars >= U+3000, or ERR.
use pdf::content::{Op, TextDrawAdjusted};
use pdf::file::FileOptions;
use pdf::font::FontType;
use std::collections::HashMap;

fn run(data: Vec<u8>) -> Result<usize, String> {
    let file = FileOptions::cached().load(data).map_err(|e| e.to_string())?;
    let resolver = file.resolver();
    let mut cjk = 0;
    for page in file.pages() {
        let Ok(page) = page else { continue };
        let Ok(res) = page.resources() else { continue };
        let mut maps = HashMap::new();
        for (name, f) in res.fonts.iter() {
            if let Ok(font) = f.load(&resolver) {
                let two = matches!(font.subtype, FontType::Type0);
                let map = font.to_unicode(&resolver).and_then(|r| r.ok());
                maps.insert(name.clone(), (two, map));
            }
        }
        let Some(content) = &page.contents else { continue };
        let Ok(ops) = content.operations(&resolver) else { continue };
        let mut cur = None;
        let mut show = |cur: &Option<pdf::primitive::Name>, bytes: &[u8], cjk: &mut usize| {
            let Some((two, Some(map))) = cur.as_ref().and_then(|n| maps.get(n)) else { return };
            let codes: Vec<u16> = if *two { bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect() } else { bytes.iter().map(|&b| b as u16).collect() };
            for c in codes {
                if let Some(s) = map.get(c) {
                    *cjk += s.chars().filter(|&ch| ch as u32 >= 0x3000).count();
                }
            }
        };
        for op in ops {
            match op {
                Op::TextFont { name, .. } => cur = Some(name),
                Op::TextDraw { text } => show(&cur, text.as_bytes(), &mut cjk),
                Op::TextDrawAdjusted { array } => {
                    for a in array {
                        if let TextDrawAdjusted::Text(t) = a {
                            show(&cur, t.as_bytes(), &mut cjk);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(cjk)
}

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let data = std::fs::read(&path).unwrap();
    std::panic::set_hook(Box::new(|_| {}));
    match std::panic::catch_unwind(|| run(data)) {
        Ok(Ok(n)) => println!("{n}"),
        Ok(Err(e)) => println!("ERR {}", e.lines().next().unwrap_or("")),
        Err(_) => println!("PANIC"),
    }
}
