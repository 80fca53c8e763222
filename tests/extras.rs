//! extra_items: a numbered item the form does not describe, printed on a real sheet, is
//! kept with its printed path, label and value, and every other field stays as it was.
//! Numbered lists written inside a value are no extra items.

use piasheet::pdf::{layout_from_bytes, layout_text};
use piasheet::record::{ExtraItem, Record, Status};
use serde_json::Value;
use std::path::Path;

/// The reading-order text of the 全項目評価書 fixture (what `piasheet text-dump` prints).
fn sheet_text() -> String {
    let pdf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/forms/zenkomoku-h30.pdf");
    let bytes = std::fs::read(&pdf).expect("the shared 全項目評価書 fixture");
    layout_text(&layout_from_bytes(&bytes).expect("readable PDF"))
}

/// `text` with `new` lines inserted after the first line starting with `after`.
fn insert_after(text: &str, after: &str, new: &[&str]) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let at = lines.iter().position(|l| l.starts_with(after)).unwrap_or_else(|| panic!("no line {after:?}"));
    for (k, l) in new.iter().enumerate() {
        lines.insert(at + 1 + k, l);
    }
    lines.join("\n")
}

fn read(text: &str) -> Record {
    piasheet::extract_text_dump("sheet.txt", text.as_bytes())
}

/// The record without what an extra item is allowed to change.
fn body_of(r: &Record) -> Value {
    let mut v = serde_json::to_value(r).expect("json");
    let m = v.as_object_mut().expect("object");
    for k in ["source", "extra_items", "warnings", "status", "provenance"] {
        m.remove(k);
    }
    v
}

#[test]
fn an_undescribed_numbered_item_goes_to_extra_items_and_nothing_else_changes() {
    let text = sheet_text();
    let plain = read(&text);
    assert_eq!(plain.status, Status::Ok, "{:?}", plain.warnings);
    assert!(plain.extra_items.is_empty(), "{:?}", plain.extra_items);
    // Ⅲ7 リスク１ ends at ⑩ on this form; a sheet prints ⑪ (a choice) and ⑫ (text) after
    // ⑩'s 具体的な保管方法.
    let extra = [
        "⑪人手を介在させる作業",
        "",
        "[ 十分に行っている ] ＜選択肢＞",
        "1) 特に力を入れて行っている",
        "2) 十分に行っている",
        "3) 十分に行っていない",
        "⑫追加の確認事項 年に一度、保管状況を点検している。",
        "点検の記録は５年間保存する。",
    ];
    let with = read(&insert_after(&text, "具体的な保管方法", &extra));
    assert_eq!(
        with.extra_items,
        vec![
            ExtraItem { path_printed: Some("files[0]/Ⅲ７リスク１⑪".into()), label: "人手を介在させる作業".into(), value: Some("十分に行っている".into()) },
            ExtraItem { path_printed: Some("files[0]/Ⅲ７リスク１⑫".into()), label: "追加の確認事項".into(), value: Some("年に一度、保管状況を点検している。\n点検の記録は５年間保存する。".into()) },
        ]
    );
    let codes: Vec<(&str, &str)> = with.warnings.iter().map(|w| (w.path.as_str(), w.code.as_str())).collect();
    assert_eq!(codes, vec![("extra_items[0]", "extra_item"), ("extra_items[1]", "extra_item")]);
    assert_eq!(with.status, Status::Partial);
    // Every other field as before: ⑩'s 具体的な保管方法 does not swallow the extra lines.
    assert_eq!(body_of(&with), body_of(&plain));
}

#[test]
fn a_numbered_list_inside_a_value_is_no_extra_item() {
    let text = sheet_text();
    // Under Ⅰ1②事務の内容 a list ①②③: its ③ follows the form's ② but continues the
    // list, and the form's own ③対象人数 comes later.
    let listed = insert_after(&text, "【概要】", &["①資格の管理", "②認定の管理", "③給付の管理"]);
    let r = read(&listed);
    assert!(r.extra_items.is_empty(), "{:?}", r.extra_items);
    let content = r.body["basic"]["affair_content"].as_str().expect("affair_content");
    assert!(content.contains("①資格の管理\n②認定の管理\n③給付の管理"), "{content}");
}
