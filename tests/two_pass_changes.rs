//! 変更箇所 tables that pdf-extract prints in two passes (PDFs of LibreOffice and other
//! producers): first each row's one-line cells, then the cells left out (wrapped text,
//! other fonts), row by row. The rows are rebuilt from the cells' types; a row the
//! types leave open is counted as unreadable, never guessed.

mod common;
use common::canon;
use serde_json::Value;
use std::path::Path;

fn rows(v: &Value) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = v["changes"]
        .as_array()
        .map(|a| a.iter().map(|r| ["date", "item", "before", "after", "timing"].iter().map(|k| canon(&r[*k])).collect()).collect())
        .unwrap_or_default();
    out.sort_by_key(|r| format!("{r:?}"));
    out
}

#[test]
fn synthetic_two_pass_table() {
    let text = "変更箇所\n\n変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る説明\n\n\
令和2年4月1日 Ⅵ１①実施日 事後\n\n\
令和2年4月1日 Ⅰ７①部署 総務課 住民課 事後\n\n\
令和2年4月1日 Ⅰ１②事務の内容 事前\n\n\
令和元年5月1日 令和2年4月1日\n\n\
【概要】\n住民の記録\n １ 届出の受付\n （従前の記載に次の内容を追加）\n２ 証明書の交付\n 重要な変更に当たら\nないため\n";
    // The seed's body, then this table in place of its own.
    let seed = include_str!("../input/000_72349b560cd020d7.txt");
    let at = seed.find("\n変更箇所\n").expect("seed's change heading") + 1;
    let text = format!("{}{}", &seed[..at], text);
    let v = serde_json::to_value(piasheet::extract_text_dump("t.txt", text.as_bytes())).unwrap();
    let c = v["changes"].as_array().expect("changes");
    assert_eq!(c.len(), 3, "{:#?}", v["changes"]);
    let by_item = |it: &str| c.iter().find(|r| r["item"] == it).unwrap_or_else(|| panic!("{it}: {:#?}", v["changes"])).clone();
    let r = by_item("Ⅵ１①実施日");
    assert_eq!((r["before"].as_str(), r["after"].as_str()), (Some("令和元年5月1日"), Some("令和2年4月1日")));
    let r = by_item("Ⅰ１②事務の内容");
    assert!(r["after"].as_str().unwrap().starts_with("（従前の記載に次の内容を追加）"), "{r:#?}");
    assert!(r["before"].as_str().unwrap().contains("１ 届出の受付"), "{r:#?}");
    assert_eq!(r["timing"], "事前");
}

#[test]
fn libreoffice_dumps_rebuild_every_row() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/forms");
    if !dir.is_dir() {
        eprintln!("no ../shared/forms: skipped");
        return;
    }
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect();
    names.sort();
    assert!(!names.is_empty());
    for p in names {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let got = serde_json::to_value(piasheet::extract_text_dump(&name, &std::fs::read(&p).unwrap())).unwrap();
        let want: Value = serde_json::from_str(&std::fs::read_to_string(p.with_file_name(format!("{name}.expected.json"))).unwrap()).unwrap();
        assert_eq!(rows(&got), rows(&want), "{name}");
    }
}
