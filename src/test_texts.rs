//! Texts the fast paths' tests compare against their plain versions (test builds only).

use std::path::{Path, PathBuf};

/// The sample dump and three generated ones (a Calc and a Word drawing order of a
/// 全項目 sheet, a Calc 重点 sheet).
pub(crate) fn sample_and_generated() -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut texts = vec![std::fs::read_to_string(format!("{root}/input/000_72349b560cd020d7.txt")).expect("sample dump")];
    for name in ["g002-zenkomoku-h30-5-calc.txt.gz", "g007-zenkomoku-h30-5-word.txt.gz", "g024-juten-h30-5-calc.txt.gz"] {
        let file = std::fs::File::open(format!("{root}/tests/generated/{name}")).expect("generated dump");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).expect("gzip text");
        texts.push(text);
    }
    texts
}

/// Every `*.txt` under the folders `dirs` (relative to the crate's root; `../shared`
/// too), each with its path, decoded lossily.
pub(crate) fn txt_files_under(dirs: &[&str]) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    let mut texts = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "txt") {
                if let Ok(b) = std::fs::read(&p) {
                    texts.push((p, String::from_utf8_lossy(&b).into_owned()));
                }
            }
        }
    }
    texts
}
