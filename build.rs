//! The built-in form descriptions: every `rules/*.json` but `common.json`, compiled in
//! (`src/form.rs` includes the list made here), so a new kind or version is a file
//! dropped in `rules/` and nothing in `src/`.

use std::fmt::Write;

fn main() {
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("rules/ is readable")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && n != "common.json")
        .collect();
    // Newest version of a kind first, as the files name them (`zenkomoku-h30-5` before `-h28-1`).
    names.sort_by(|a, b| b.cmp(a));
    let mut out = String::from("&[\n");
    for n in &names {
        println!("cargo:rerun-if-changed={}", dir.join(n).display());
        writeln!(out, "    ({n:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{n}\"))),").unwrap();
    }
    out.push_str("]\n");
    std::fs::write(std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs"), out).expect("OUT_DIR is writable");
}
