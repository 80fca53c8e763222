//! `piasheet diff` through the binary on edited copies of the real sample: records
//! (content-matched change rows, cautions), datasets (two output folders), and the
//! HTML page parsed as a browser parses it.

use scraper::{Html, Selector};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt");

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piasheet")).args(args).output().expect("runs")
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("piasheet-diff-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The sample with `edits` applied (each must apply once) written to `path`.
fn write_copy(path: &Path, edits: &[(&str, &str)]) {
    let mut text = std::fs::read_to_string(SAMPLE).unwrap();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "edit {from:?} must apply exactly once");
        text = text.replacen(from, to, 1);
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn extract(input: &Path, out: &Path, format: &str) {
    let o = bin(&["extract", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--format", format, "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A 変更箇所 row dated before the others but the first: back-dated, one line.
const FIRST_ROW: &str = "平成28年4月1日 Ⅰ５②所属長 国保年金課長　　吉村　公孝 国保年金課長　　本間　雅雄 事後\n";
const BACKDATED: &str = "\n平成28年10月1日 Ⅳ８監査 自己点検 自己点検、内部監査 事後\n";
/// Two answers changed: a text cell and a choice.
const ANSWERS: [(&str, &str); 2] = [("①部署 市民協働部　国保年金課", "①部署 市民協働部　保険年金課"), ("\n十分に行っている\n", "\n特に力を入れて行っている\n")];

#[test]
fn a_backdated_row_and_two_answers_are_three_differences() {
    let dir = temp("record");
    write_copy(&dir.join("in/old.txt"), &[]);
    let backdated = format!("{FIRST_ROW}{BACKDATED}");
    write_copy(&dir.join("in/new.txt"), &[(FIRST_ROW, &backdated), ANSWERS[0], ANSWERS[1]]);
    extract(&dir.join("in"), &dir.join("out"), "json");
    let (a, b) = (dir.join("out/old.json"), dir.join("out/new.json"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());

    let o = bin(&["diff", a, b]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "related.department: 市民協働部　国保年金課 → 市民協働部　保険年金課",
            "risk.training: 2) 十分に行っている → 1) 特に力を入れて行っている",
            "changes[1] added: date=2016-10-01, date_text=平成28年10月1日, item=Ⅳ８監査, before=自己点検, after=自己点検、内部監査, timing=事後",
        ],
        "{text}"
    );

    let report: Value = serde_json::from_slice(&bin(&["diff", a, b, "--json"]).stdout).unwrap();
    let got: Vec<(&str, &str)> = report["differences"].as_array().unwrap().iter().map(|d| (d["path"].as_str().unwrap(), d["change"].as_str().unwrap())).collect();
    assert_eq!(got, [("related.department", "changed"), ("risk.training", "changed"), ("changes[1]", "added")]);
    assert_eq!(report["cautions"], Value::Array(vec![]));

    // The page: valid HTML (no parse error), one row per difference, the changed
    // characters marked on each side.
    let page = dir.join("diff.html");
    assert_eq!(bin(&["diff", a, b, "--html", page.to_str().unwrap()]).status.code(), Some(1));
    let html = Html::parse_document(&std::fs::read_to_string(&page).unwrap());
    assert!(html.errors.is_empty(), "{:?}", html.errors);
    let sel = |s: &str| Selector::parse(s).unwrap();
    let rows: Vec<(String, String)> = html
        .select(&sel("table.diff tbody tr"))
        .map(|tr| (tr.value().attr("class").unwrap().to_string(), tr.value().attr("data-path").unwrap().to_string()))
        .collect();
    assert_eq!(rows, [("changed".into(), "related.department".into()), ("changed".into(), "risk.training".into()), ("added".into(), "changes[1]".into())]);
    let dept = html.select(&sel("tr[data-path='related.department']")).next().unwrap();
    let marks = |s: &str| dept.select(&sel(s)).map(|e| e.text().collect::<String>()).collect::<Vec<_>>();
    // 国保年金課 → 保険年金課: the fewest characters that differ (国 gone, 険 new).
    assert_eq!((marks("td.old del"), marks("td.new ins")), (vec!["国".to_string()], vec!["険".to_string()]));
    assert!(html.select(&sel("style")).next().is_some() && html.select(&sel("script, link, img")).next().is_none(), "self-contained");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn different_bodies_and_affairs_are_cautioned() {
    let dir = temp("caution");
    write_copy(&dir.join("in/old.txt"), &[]);
    // Another city, another affair (the city's head and the title on the cover).
    write_copy(&dir.join("in/new.txt"), &[("\nいわき市長\n", "\n郡山市長\n"), ("6 国民健康保険事務   基礎項目評価書", "6 介護保険事務   基礎項目評価書")]);
    extract(&dir.join("in"), &dir.join("out"), "json");
    let text = String::from_utf8(bin(&["diff", dir.join("out/old.json").to_str().unwrap(), dir.join("out/new.json").to_str().unwrap()]).stdout).unwrap();
    let cautions: Vec<&str> = text.lines().filter(|l| l.starts_with("caution: ")).collect();
    assert_eq!(cautions.len(), 2, "{text}");
    assert!(cautions[0].contains("different bodies: いわき市 (072044) → 郡山市 (07203"), "{text}");
    assert!(cautions[1].contains("different affairs: 国民健康保険事務 基礎項目評価書 → 介護保険事務 基礎項目評価書"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn two_dataset_folders_give_added_removed_changed() {
    let dir = temp("dataset");
    // Last year: sheets 6 and 5. This year: 6 with a changed answer, and 7 instead of 5.
    write_copy(&dir.join("old/kokuho.txt"), &[]);
    write_copy(&dir.join("old/five.txt"), &[("\n6 国民健康保険事務", "\n5 国民健康保険事務")]);
    write_copy(&dir.join("new/kokuho.txt"), &[ANSWERS[1]]);
    write_copy(&dir.join("new/seven.txt"), &[("\n6 国民健康保険事務", "\n7 国民健康保険事務")]);
    extract(&dir.join("old"), &dir.join("out-old"), "json,jsonl");
    // The new run without sheets.jsonl: a folder of records is read as well.
    extract(&dir.join("new"), &dir.join("out-new"), "json");
    let (a, b) = (dir.join("out-old"), dir.join("out-new"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());

    let o = bin(&["diff", a, b]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("+ 072044 kiso no.7 いわき市"), "{text}");
    assert!(lines[1].starts_with("- 072044 kiso no.5 いわき市"), "{text}");
    assert!(lines[2].starts_with("~ 072044 kiso no.6 いわき市"), "{text}");
    assert_eq!(lines[3], "    risk.training: 2) 十分に行っている → 1) 特に力を入れて行っている");
    assert_eq!(lines[4], "1 added, 1 removed, 1 changed, 0 unchanged");

    let report: Value = serde_json::from_slice(&bin(&["diff", a, b, "--json"]).stdout).unwrap();
    assert_eq!(report["added"][0]["key"]["evaluation_number"], "7");
    assert_eq!(report["removed"][0]["key"]["evaluation_number"], "5");
    assert_eq!(report["changed"][0]["differences"][0]["path"], "risk.training");

    let page = dir.join("d.html");
    bin(&["diff", a, b, "--html", page.to_str().unwrap()]);
    let html = Html::parse_document(&std::fs::read_to_string(&page).unwrap());
    assert!(html.errors.is_empty(), "{:?}", html.errors);
    let count = |s: &str| html.select(&Selector::parse(s).unwrap()).count();
    assert_eq!((count("li.added"), count("li.removed"), count("section.changed tr.changed")), (1, 1, 1));

    // The same dataset against itself: equal, exit 0.
    let same = bin(&["diff", a, &format!("{a}/sheets.jsonl")]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(String::from_utf8(same.stdout).unwrap(), "0 added, 0 removed, 0 changed, 2 unchanged\n");
    // A record against a dataset is a usage error.
    assert_eq!(bin(&["diff", &format!("{a}/kokuho.json"), b]).status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}
