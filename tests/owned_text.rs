//! The batch's text path (`extract_text_owned`: the bytes given up, freed once decoded)
//! gives the same record as `extract_text_dump` on every shared text input, in every
//! encoding the decoder takes (issue #16: a memory change, never an output change).

use std::path::Path;

fn text_inputs() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("input/000_72349b560cd020d7.txt")];
    for dir in ["../shared/forms", "../shared/mirror"] {
        let mut found: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect();
        found.sort();
        files.extend(found);
    }
    files
}

#[test]
fn owned_text_path_gives_the_same_records() {
    let files = text_inputs();
    assert!(files.len() > 10, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let sjis = encoding_rs::SHIFT_JIS.encode(&text.replace('\n', "\r\n")).0.into_owned();
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let bad = [text.as_bytes(), b"\xFF\n".as_slice()].concat();
        for bytes in [text.into_bytes(), sjis, bom, bad] {
            let plain = serde_json::to_string(&piasheet::extract_text_dump(&name, &bytes)).unwrap();
            let source = piasheet::source_of(&name, &bytes, "text");
            let owned = serde_json::to_string(&piasheet::extract_text_owned(source, bytes)).unwrap();
            assert!(plain == owned, "{name}: the owned path differs");
        }
    }
}
