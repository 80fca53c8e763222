//! A form described as data: a made-up kind, written into a temporary rules folder,
//! is read through `--rules` with no Rust change (issue #11).

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("piasheet-rules-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const COMMON: &str = r#"{
  "kinds": [{"kind": "toy", "form_number": 9, "title": "特定個人情報保護評価書（試験評価書）", "short": "試験評価書"}],
  "lists": {"YESNO": [{"code": 1, "label": "はい"}, {"code": 2, "label": "いいえ"}]}
}"#;

const TOY: &str = r#"{
  "id": "toy-r5-4", "kind": "toy", "version": "令和5年4月",
  "body": [
    {"section": "Ⅰ", "heading": ["Ⅰ　基本"], "path": "basic", "nodes": [
      {"path": "affair_name", "type": "string", "label": ["①事務の名称"]},
      {"block": "items", "path": "items", "start": "項目", "numbered": true, "title": "name", "nodes": [
        {"path": "kind", "type": "choice", "label": ["①区分"], "list": "YESNO"},
        {"path": "note", "type": "text", "label": ["②備考"]}
      ]},
      {"path": "closing", "type": "date", "label": ["②締切日"], "with_text": true}
    ]}
  ]
}"#;

const SHEET: &str = "[令和5年4月　様式9]
特定個人情報保護評価書（試験評価書）
評価書番号 評価書名
7 試験事務 試験評価書
個人のプライバシー等の権利利益の保護の宣言
試験市は、試験事務における特定個人情報ファイルの取扱いにあたり、保護に取り組んでいることを宣言する。
特記事項 なし
評価実施機関名 いわき市長
公表日 令和5年6月1日
Ⅰ　基本
①事務の名称 試験事務
項目１ 一つ目
①区分
[ はい ] ＜選択肢＞
1) はい
2) いいえ
②備考 最初の備考
項目２ 二つ目
①区分
[ いいえ ] ＜選択肢＞
1) はい
2) いいえ
②備考
二つ目の備考は
二行にわたる。
②締切日 令和５年７月１日
";

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_piasheet")).args(args).output().unwrap()
}

#[test]
fn a_toy_kind_with_a_repeated_block_and_a_choice_list() {
    let d = temp("toy");
    let rules = d.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("common.json"), COMMON).unwrap();
    std::fs::write(rules.join("toy-r5-4.json"), TOY).unwrap();
    std::fs::write(d.join("toy.txt"), SHEET).unwrap();
    let out = d.join("out");
    let o = run(&["extract", "--rules", rules.to_str().unwrap(), d.join("toy.txt").to_str().unwrap(), "-o", out.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&std::fs::read(out.join("toy.json")).unwrap()).unwrap();
    assert_eq!(r["kind"], "toy");
    assert_eq!(r["form"]["label"], "令和5年4月 様式9");
    assert_eq!(r["form"]["number"], 9);
    assert_eq!(r["header"]["evaluation_number"], "7");
    assert_eq!(r["header"]["evaluator"], "いわき市長");
    assert_eq!(r["header"]["published_on"], "2023-06-01");
    assert_eq!(r["header"]["special_notes"], Value::Null);
    assert_eq!(r["organization"]["lg_code"], "072044");
    let basic = &r["basic"];
    assert_eq!(basic["affair_name"], "試験事務");
    let items = basic["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "一つ目");
    assert_eq!(items[0]["kind"], serde_json::json!({"code": 1, "label": "はい"}));
    assert_eq!(items[0]["note"], "最初の備考");
    assert_eq!(items[1]["kind"]["code"], 2);
    assert_eq!(items[1]["note"], "二つ目の備考は\n二行にわたる。");
    assert_eq!(basic["closing"], "2023-07-01");
    assert_eq!(basic["closing_text"], "令和５年７月１日");
    assert_eq!(r["status"], "ok", "{}", r["warnings"]);

    // Without the rules folder the same text is no known kind: not read as a toy.
    let o = run(&["extract", d.join("toy.txt").to_str().unwrap(), "-o", d.join("out2").to_str().unwrap(), "-q"]);
    let r: Value = serde_json::from_slice(&std::fs::read(d.join("out2/toy.json")).unwrap()).unwrap();
    assert_ne!(r["kind"], "toy", "{:?}", o.status);
}

#[test]
fn a_rules_file_the_output_cannot_hold_is_refused_at_load() {
    let d = temp("bad");
    std::fs::write(d.join("common.json"), COMMON).unwrap();
    let clash = TOY.replace(r#""path": "closing""#, r#""path": "affair_name.closing""#);
    std::fs::write(d.join("toy-r5-4.json"), clash).unwrap();
    std::fs::write(d.join("x.txt"), SHEET).unwrap();
    let o = run(&["extract", "--rules", d.to_str().unwrap(), d.join("x.txt").to_str().unwrap(), "-o", d.join("out").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("toy-r5-4.json") && err.contains("affair_name is a value and an object"), "{err}");
    let unknown = TOY.replace(r#""list": "YESNO""#, r#""list": "NOPE""#);
    std::fs::write(d.join("toy-r5-4.json"), unknown).unwrap();
    let o = run(&["extract", "--rules", d.to_str().unwrap(), d.join("x.txt").to_str().unwrap(), "-o", d.join("out").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown list \"NOPE\""));
}

/// A toy kind's own consistency check, all data: the kind names the check and its
/// opt-out table in the rules folder's `common.json`, and the finding comes out.
#[test]
fn a_toy_kind_with_its_own_check() {
    let d = temp("check");
    let rules = d.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let common = COMMON.replace(
        r#""short": "試験評価書"}"#,
        r#""short": "試験評価書", "checks": ["opt_out_pairs"], "opt_out_pairs": "toy"}"#,
    );
    let common = common.replacen(
        "{\n  \"kinds\"",
        r#"{
  "opt_out_pairs": {"toy": [{"each": "basic.items", "opt_out": "none",
    "no": [{"path": "kind", "label": "いいえ"}], "yes": [{"path": "kind", "label": "はい"}],
    "unticked": "いいえ but 該当しない is not ticked", "ticked": "はい but 該当しない is ticked"}]},
  "kinds""#,
        1,
    );
    std::fs::write(rules.join("common.json"), &common).unwrap();
    let toy = TOY.replace(
        r#"{"path": "note", "type": "text", "label": ["②備考"]}"#,
        r#"{"path": "note", "type": "text", "label": ["②備考"]},
        {"path": "none", "type": "box", "label": ["③対象外"], "after": "該当しない"}"#,
    );
    std::fs::write(rules.join("toy-r5-4.json"), toy).unwrap();
    // Item 1 says はい with its box ticked, item 2 いいえ with its box not ticked.
    let sheet = SHEET.replace("②備考 最初の備考\n", "②備考 最初の備考\n③対象外 [ ○ ] 該当しない\n").replace("二行にわたる。\n", "二行にわたる。\n③対象外 [ ] 該当しない\n");
    std::fs::write(d.join("toy.txt"), sheet).unwrap();
    let out = d.join("out");
    let o = run(&["extract", "--rules", rules.to_str().unwrap(), d.join("toy.txt").to_str().unwrap(), "-o", out.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&std::fs::read(out.join("toy.json")).unwrap()).unwrap();
    let items = r["basic"]["items"].as_array().unwrap();
    assert_eq!((&items[0]["none"], &items[1]["none"]), (&Value::Bool(true), &Value::Bool(false)), "{}", r["warnings"]);
    let findings: Vec<(&str, &str, &str)> = r["findings"].as_array().unwrap().iter().map(|f| (f["code"].as_str().unwrap(), f["path"].as_str().unwrap(), f["message"].as_str().unwrap())).collect();
    assert_eq!(
        findings,
        [
            ("inconsistent_opt_out", "basic.items[0].none", "はい but 該当しない is ticked"),
            ("inconsistent_opt_out", "basic.items[1].none", "いいえ but 該当しない is not ticked"),
        ]
    );
    // A check the code does not have is refused when the rules load.
    std::fs::write(rules.join("common.json"), common.replace(r#"["opt_out_pairs"]"#, r#"["opt_out_pears"]"#)).unwrap();
    let o = run(&["extract", "--rules", rules.to_str().unwrap(), d.join("toy.txt").to_str().unwrap(), "-o", out.to_str().unwrap(), "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown check \"opt_out_pears\""), "{}", String::from_utf8_lossy(&o.stderr));
}
