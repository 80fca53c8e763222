//! Mirror-site text views (`research/scraped-text.md`, "Mirror sites") written from the
//! seed's golden record, in both styles a mirror prints: one cell per line, and pages
//! flattened into long lines with `、。「」` dropped and the site's text around them.
//! Every `header` field must come out as the golden record has it (after the marks
//! the style drops).

use piasheet::extract_text_dump;
use serde_json::Value;
use std::path::Path;
use unicode_normalization::UnicodeNormalization;

fn golden() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/golden/000_72349b560cd020d7.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).expect("golden json")
}

fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    path.split('.').fold(v, |v, k| &v[k]).as_str().unwrap_or("")
}

/// ASCII forms and spaces, as mirrors print them.
fn ascii(t: &str) -> String {
    t.nfkc().collect()
}

/// `2024-05-24` → `令和6年5月24日`.
fn wareki(iso: &str) -> String {
    let p: Vec<u32> = iso.split('-').map(|x| x.parse().unwrap()).collect();
    let (era, y) = if p[0] >= 2019 { ("令和", p[0] - 2018) } else { ("平成", p[0] - 1988) };
    format!("{era}{y}年{}月{}日", p[1], p[2])
}

/// Narrow cells wrap their text: 40 characters a line.
fn wrapped(t: &str) -> Vec<String> {
    let chars: Vec<char> = t.chars().collect();
    chars.chunks(40).map(|c| c.iter().collect()).collect()
}

fn stamp(g: &Value) -> String {
    format!("[{}]", s(g, "form.label"))
}

/// One cell per line.
fn lines_style(g: &Value) -> String {
    let mut out = vec!["特定個人情報保護評価書(基礎項目評価書)".to_string(), "評価書番号".into(), s(g, "header.evaluation_number").into(), "評価書名".into(), ascii(s(g, "header.title"))];
    out.push("個人のプライバシー等の権利利益の保護の宣言".into());
    out.extend(wrapped(&ascii(s(g, "header.declaration"))));
    out.push("特記事項".into());
    out.extend(s(g, "header.special_notes").lines().map(ascii));
    out.push("評価実施機関名".into());
    out.push(ascii(s(g, "header.evaluator")));
    out.push("公表日".into());
    out.push(wareki(s(g, "header.published_on")));
    out.push(stamp(g));
    out.extend(["Ⅰ 関連情報".into(), "1.特定個人情報ファイルを取り扱う事務".into(), "①事務の名称".into(), ascii(s(g, "related.affair_name"))]);
    out.push("②事務の概要".into());
    out.extend(s(g, "related.affair_summary").lines().map(ascii));
    out.push("2.特定個人情報ファイル名".into());
    out.extend(s(g, "related.file_name").lines().map(ascii));
    out.join("\n") + "\n"
}

/// Without the marks flattening mirrors drop.
fn dropped(t: &str) -> String {
    t.chars().filter(|c| !"、。「」".contains(*c)).collect()
}

/// Spaced out as flattening mirrors print: a space between digits and the rest.
fn spaced(t: &str) -> String {
    let mut out = String::new();
    let mut prev_digit = None;
    for c in t.chars() {
        let d = c.is_ascii_digit();
        if prev_digit.is_some_and(|p| p != d) {
            out.push(' ');
        }
        out.push(c);
        prev_digit = Some(d);
    }
    out
}

/// Pages flattened into long lines, the site's text around them.
fn flat_style(g: &Value) -> String {
    let one = |t: &str| dropped(&ascii(t)).replace('\n', " ");
    let title = one(s(g, "header.title"));
    let head = format!("特定個人情報保護評価書 ( 基礎項目評価書 ) 評価書番号 評価書名 {} {} 個人のプライバシー等の権利利益の保護の宣言", s(g, "header.evaluation_number"), title);
    let decl = one(s(g, "header.declaration"));
    let preview: String = format!("{head} {decl}").chars().take(200).collect();
    let label = s(g, "form.label").replace(' ', "");
    let cover2 = format!(
        "特記事項 {} 評価実施機関名 {} 公表日 {} [ {} ] 1 / 6 ページ",
        one(s(g, "header.special_notes")),
        one(s(g, "header.evaluator")),
        spaced(&wareki(s(g, "header.published_on"))),
        spaced(&label)
    );
    let page2 = format!(
        "2 Ⅰ 関連情報 1. 特定個人情報ファイルを取り扱う事務 ①事務の名称 {} ②事務の概要 {} 2. 特定個人情報ファイル名 {} 2 / 6 ページ",
        one(s(g, "related.affair_name")),
        spaced(&one(s(g, "related.affair_summary"))),
        one(s(g, "related.file_name"))
    );
    [preview.clone(), String::new(), "Size: px".into(), "Start display at page:".into(), String::new(), format!("Download \"{preview}\""), String::new(), "Transcription".into(), String::new(), format!("1 {head} {decl}"), cover2, String::new(), page2]
        .join("\n")
        + "\n"
}

fn check_header(text: &str, layout: &str, want: impl Fn(&str) -> String) {
    let g = golden();
    let r = serde_json::to_value(extract_text_dump("seed-mirror.txt", text.as_bytes())).unwrap();
    assert_eq!(r["source"]["text_layout"], layout, "{text}");
    let header = g["header"].as_object().expect("golden header");
    assert!(header.len() >= 6);
    for (name, v) in header {
        let got = &r["header"][name];
        match v {
            Value::String(w) => {
                let canon = |t: &str| -> String { t.nfkc().filter(|c| !c.is_whitespace()).collect() };
                assert_eq!(canon(got.as_str().unwrap_or("<not a string>")), canon(&want(w)), "header.{name} ({layout})");
            }
            _ => assert_eq!(got, v, "header.{name} ({layout})"),
        }
    }
    assert_eq!(r["form"]["label"], g["form"]["label"], "{layout}");
    assert_eq!(r["kind"], g["kind"], "{layout}");
}

#[test]
fn seed_header_one_cell_per_line() {
    let g = golden();
    check_header(&lines_style(&g), "mirror_lines", |w| w.to_string());
}

#[test]
fn seed_header_flattened_pages() {
    let g = golden();
    check_header(&flat_style(&g), "mirror_flat", dropped);
}
