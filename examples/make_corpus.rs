//! Corpus generator: N varied 基礎項目評価書 text dumps derived from the real sample
//! (`input/000_72349b560cd020d7.txt`), each with its expected record.
//!
//!     cargo run --release --example make_corpus -- N DIR [--seed S]
//!
//! writes `DIR/in/NAME.txt` and `DIR/expected/NAME.json` (score with
//! `score.py --dir DIR/expected OUT`). `make_corpus -- --repeat-changes K DIR` writes
//! one sheet instead: the sample with its change table K times over.
//!
//! Variation is by text substitution on the sample's lines, keeping the dump's
//! structure: the body (a municipality whose name is unique across prefectures, from
//! data/lg-codes.csv), 評価書番号, 公表日 (和暦,
//! incl. 令和元年), both いつ時点 dates (equal), the unique-option answers (Ⅰ4①, Ⅱ1,
//! Ⅱ2, Ⅱ3, Ⅳ1, Ⅳ9, replaced at their answer position only), the 8 Ⅳ 十分か answers
//! (all equal), Ⅲ result (kept consistent with Ⅱ), Ⅳ1 (never below what Ⅲ
//! requires), the encoding and the length of the change history (whole rows dropped).
//! The change history agrees with the body (issue #14): the newest row of a field that
//! keeps rows is never dropped, dates move back by whole years until none is after the
//! 公表日, and the newest いつ時点 rows give the body's count date; so every sheet reads
//! `ok` (tests/corpus.rs checks it).
//!
//! The generator core (`generate`) is also used by `tests/corpus.rs`.
#![allow(dead_code)]

use serde_json::{json, Value};
use unicode_normalization::UnicodeNormalization;

pub const SAMPLE: &str = include_str!("../input/000_72349b560cd020d7.txt");
pub const GOLDEN: &str = include_str!("../tests/golden/000_72349b560cd020d7.json");
const LG_CODES: &str = include_str!("../data/lg-codes.csv");

/// One generated sheet.
pub struct Sheet {
    pub name: String,
    pub bytes: Vec<u8>,
    pub expected: Value,
}

/// splitmix64: small, seedable, no dependency.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Canonical form used for matching (like score.py): NFKC, no white space.
pub fn canon(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace()).collect()
}

struct Body {
    code: String,
    prefecture: String,
    city: String,
}

/// Municipalities whose name names exactly one body in the table.
fn unique_bodies() -> Vec<Body> {
    let rows: Vec<Body> = LG_CODES
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c.len() >= 3 && !c[2].is_empty()).then(|| Body { code: c[0].into(), prefecture: c[1].into(), city: c[2].into() })
        })
        .collect();
    let mut count = std::collections::HashMap::new();
    for b in &rows {
        *count.entry(b.city.clone()).or_insert(0) += 1;
    }
    rows.into_iter().filter(|b| count[&b.city] == 1 && b.city.ends_with(['市', '町', '村', '区'])).collect()
}

/// 和暦 for a date (令和 from 2019-05-01, 元年 for year 1).
fn wareki(y: u32, m: u32, d: u32, wide: bool) -> String {
    let (era, n) = if (y, m) >= (2019, 5) { ("令和", y - 2018) } else { ("平成", y - 1988) };
    let num = |v: u32| {
        let s = v.to_string();
        if wide {
            s.chars().map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap()).collect()
        } else {
            s
        }
    };
    let year = if n == 1 { "元".to_string() } else { num(n) };
    format!("{era}{year}年{}月{}日", num(m), num(d))
}

fn random_date(rng: &mut Rng, from_year: u32, to_year: u32) -> (u32, u32, u32) {
    let y = from_year + rng.below((to_year - from_year + 1) as u64) as u32;
    let m = 1 + rng.below(12) as u32;
    let d = 1 + rng.below(28) as u32;
    (y, m, d)
}

/// A row of the change history in the dump: [start, end) line indices.
fn change_rows(lines: &[String]) -> Vec<(usize, usize)> {
    let is_start = |l: &str| {
        let mut it = l.splitn(2, ' ');
        let (date, rest) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
        (date.starts_with("平成") || date.starts_with("令和")) && date.ends_with('日') && (rest.starts_with('Ⅰ') || rest.starts_with('Ⅱ'))
    };
    // A row also ends at the table's header lines, which belong to no row.
    let is_stop = |l: &str| l.starts_with("変更箇所") || l.starts_with("変更日 ");
    let starts: Vec<usize> = (0..lines.len()).filter(|&i| is_start(&lines[i])).collect();
    starts
        .iter()
        .map(|&s| {
            let mut e = s + 1;
            while e < lines.len() && !is_start(&lines[e]) && !is_stop(&lines[e]) {
                e += 1;
            }
            (s, e)
        })
        .collect()
}

fn find_line(lines: &[String], pred: impl Fn(&str) -> bool) -> usize {
    lines.iter().position(|l| pred(l)).expect("sample line not found")
}

const POPULATION: [(&str, u64, Option<u64>); 5] = [
    ("1,000人未満（任意実施）", 0, Some(1000)),
    ("1,000人以上1万人未満", 1000, Some(10000)),
    ("1万人以上10万人未満", 10000, Some(100000)),
    ("10万人以上30万人未満", 100000, Some(300000)),
    ("30万人以上", 300000, None),
];
const KINDS: [&str; 3] = ["基礎項目評価書", "基礎項目評価書及び重点項目評価書", "基礎項目評価書及び全項目評価書"];
const ENOUGH: [&str; 3] = ["特に力を入れている", "十分である", "課題が残されている"];
const TRAINING: [&str; 3] = ["特に力を入れて行っている", "十分に行っている", "十分に行っていない"];

/// Ⅲ しきい値判断結果 from Ⅱ (population band 1..5, handlers ≥ 500, serious incident).
fn threshold_result(band: usize, many_handlers: bool, incident: bool) -> &'static str {
    let heavy = many_handlers || incident;
    match band {
        1 => "特定個人情報保護評価の実施が義務付けられない",
        2 => "基礎項目評価の実施が義務付けられる",
        3 if heavy => "基礎項目評価及び重点項目評価の実施が義務付けられる",
        3 => "基礎項目評価の実施が義務付けられる",
        4 if heavy => "基礎項目評価及び全項目評価の実施が義務付けられる",
        4 => "基礎項目評価及び重点項目評価の実施が義務付けられる",
        _ => "基礎項目評価及び全項目評価の実施が義務付けられる",
    }
}

fn choice(code: usize, label: &str) -> Value {
    json!({ "code": code, "label": label })
}

/// Generate `n` sheets from `seed` (deterministic).
pub fn generate(n: usize, seed: u64) -> Vec<Sheet> {
    generate_from(0, n, seed)
}

fn one(i: usize, base: &[String], golden: &Value, bodies: &[Body], rng: &mut Rng) -> Sheet {
    let mut lines = base.to_vec();
    let mut exp = golden.clone();

    // --- Body: replace いわき市 everywhere (declaration, evaluator, contacts).
    let b = &bodies[rng.below(bodies.len() as u64) as usize];
    let title = match b.city.chars().last().unwrap() {
        '市' => "市長",
        '町' => "町長",
        '村' => "村長",
        _ => "区長",
    };
    let old_city = "いわき市";
    for l in lines.iter_mut() {
        if l.contains(old_city) {
            *l = l.replace(old_city, &b.city);
        }
    }
    replace_strings(&mut exp["header"], old_city, &b.city);
    replace_strings(&mut exp["related"], old_city, &b.city);
    exp["header"]["evaluator"] = json!(format!("{}長", b.city));
    let ward = b.city.ends_with('区') && b.prefecture == "東京都";
    exp["organization"] = json!({
        "name": b.city, "title": title,
        "kind": if ward { "special_ward" } else { "municipality" },
        "prefecture": b.prefecture, "lg_code": b.code,
    });

    // --- 評価書番号 (line `6 国民健康保険事務   基礎項目評価書`).
    let number = 1 + rng.below(120);
    let k = find_line(&lines, |l| l.starts_with("6 国民健康保険事務"));
    lines[k] = format!("{number}{}", &lines[k][1..]);
    exp["header"]["evaluation_number"] = json!(number.to_string());

    // --- 公表日 and both いつ時点 dates (one date, before the publication).
    let (y, m, d) = random_date(rng, 2016, 2025);
    let wide = rng.chance(20);
    let k = find_line(&lines, |l| l.trim() == "令和6年5月24日");
    lines[k] = format!("  {}", wareki(y, m, d, wide));
    exp["header"]["published_on"] = json!(format!("{y:04}-{m:02}-{d:02}"));
    let (ay, am, ad) = if m > 1 { (y, m - 1, 1) } else { (y - 1, 12, 1) };
    for l in lines.iter_mut().filter(|l| l.trim() == "いつ時点の計数か 令和6年1月1日 時点") {
        *l = format!(" いつ時点の計数か {} 時点", wareki(ay, am, ad, wide));
    }
    let as_of = format!("{ay:04}-{am:02}-{ad:02}");
    exp["threshold"]["target_population"]["as_of"] = json!(as_of);
    exp["threshold"]["handlers"]["as_of"] = json!(as_of);

    // --- Ⅰ4① 実施の有無: the answer in `[ 実施する ] 1) 実施する`.
    let linkage = 1 + rng.below(2) as usize;
    let label = ["実施する", "実施しない"][linkage - 1];
    let k = find_line(&lines, |l| l == "[ 実施する ] 1) 実施する");
    lines[k] = format!("[ {label} ] 1) 実施する");
    exp["related"]["network_linkage"] = choice(linkage, label);

    // --- Ⅱ1 band: the answer before ` ] 2) 1,000人以上1万人未満`.
    let band = 1 + rng.below(5) as usize;
    let (label, at_least, less_than) = POPULATION[band - 1];
    let k = find_line(&lines, |l| l.ends_with(" ] 2) 1,000人以上1万人未満"));
    lines[k] = format!("{label} ] 2) 1,000人以上1万人未満");
    let tp = &mut exp["threshold"]["target_population"];
    tp["code"] = json!(band);
    tp["label"] = json!(label);
    tp["at_least"] = json!(at_least);
    tp["less_than"] = json!(less_than);

    // --- Ⅱ2 handlers: `[ 500人未満 ]`.
    let many = rng.chance(30);
    let label = if many { "500人以上" } else { "500人未満" };
    let k = find_line(&lines, |l| l.contains("[ 500人未満 ]"));
    lines[k] = lines[k].replace("[ 500人未満 ]", &format!("[ {label} ]"));
    let h = &mut exp["threshold"]["handlers"];
    h["code"] = json!(if many { 1 } else { 2 });
    h["label"] = json!(label);
    h["at_least"] = json!(if many { 500 } else { 0 });
    h["less_than"] = if many { Value::Null } else { json!(500) };

    // --- Ⅱ3 serious incident: `[ 発生なし ] ＜選択肢＞`.
    let incident = rng.chance(20);
    let label = if incident { "発生あり" } else { "発生なし" };
    let k = find_line(&lines, |l| l.starts_with("[ 発生なし ]"));
    lines[k] = lines[k].replace("[ 発生なし ]", &format!("[ {label} ]"));
    exp["threshold"]["serious_incident"] = choice(if incident { 1 } else { 2 }, label);

    // --- Ⅲ result, consistent with Ⅱ.
    let result = threshold_result(band, many, incident);
    let k = find_line(&lines, |l| l == "基礎項目評価及び重点項目評価の実施が義務付けられる");
    lines[k] = result.to_string();
    exp["threshold"]["result"] = json!(result);

    // --- Ⅳ1 kind: the lone answer line after the 2)又は3) note; never below what Ⅲ
    // requires (a filing with fewer sheets than required is not a consistent one).
    let kind = (1 + rng.below(3) as usize).max(required_level(result));
    let k = find_line(&lines, |l| l == "基礎項目評価書及び重点項目評価書");
    lines[k] = KINDS[kind - 1].to_string();
    exp["risk"]["assessment_kind"] = choice(kind, KINDS[kind - 1]);

    // --- Ⅳ9 training: the lone `十分に行っている` line.
    let training = 1 + rng.below(3) as usize;
    let k = find_line(&lines, |l| l == "十分に行っている");
    lines[k] = TRAINING[training - 1].to_string();
    exp["risk"]["training"] = choice(training, TRAINING[training - 1]);

    // --- The 8 十分か answers, all one value: ` [ ]十分である` and the 7 lone lines.
    let enough = 1 + rng.below(3) as usize;
    let label = ENOUGH[enough - 1];
    let k = find_line(&lines, |l| l == " [ ]十分である");
    lines[k] = format!(" [ ]{label}");
    let mut replaced = 1;
    for l in lines.iter_mut().filter(|l| l.as_str() == "十分である") {
        *l = label.to_string();
        replaced += 1;
    }
    assert_eq!(replaced, 8, "the sample has 8 十分か answers");
    let c = choice(enough, label);
    let r = &mut exp["risk"];
    for p in ["acquisition", "use_linkage", "use_unauthorized", "storage"] {
        r[p] = c.clone();
    }
    r["outsourcing"]["misuse"] = c.clone();
    r["provision"]["misuse"] = c.clone();
    r["network"]["acquisition"] = c.clone();
    r["network"]["provision"] = c;

    // --- Change history, kept consistent with the body (issue #14): rows are dropped
    // (and the same rows of the expected list), but never the newest row of a field
    // that keeps other rows (it is what set the current value); a field's whole history
    // may go. Dates move back by whole years until none is after the 公表日, and the
    // newest いつ時点 row changes the count date to the body's (varied) one.
    let drop_rate = [0u64, 10, 30, 60, 90][rng.below(5) as usize];
    let published = (y, m, d);
    let as_of_text = format!("{}\u{3000}時点", wareki(ay, am, ad, true));
    change_history(&mut lines, &mut exp, drop_rate, published, &as_of_text, rng);

    // --- Encoding.
    let mut text = lines.join("\n");
    text.push('\n');
    let enc = rng.below(5);
    let (bytes, enc_name) = match enc {
        0 => (text.into_bytes(), "UTF-8"),
        1 => ([&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(), "UTF-8"),
        2 | 3 => {
            let (e, name, t) = if enc == 2 {
                (encoding_rs::SHIFT_JIS, "Shift_JIS", text.replace('\n', "\r\n"))
            } else {
                (encoding_rs::EUC_JP, "EUC-JP", text.clone())
            };
            let (out, _, errors) = e.encode(&t);
            if errors {
                // Not representable (a rare kanji in the name): keep UTF-8.
                (text.into_bytes(), "UTF-8")
            } else {
                (out.into_owned(), name)
            }
        }
        _ => {
            let mut v = vec![0xFF, 0xFE];
            for u in text.encode_utf16() {
                v.extend_from_slice(&u.to_le_bytes());
            }
            (v, "UTF-16LE")
        }
    };
    let name = format!("{i:05}_{}", b.code);
    exp["source"]["encoding"] = json!(enc_name);
    exp["source"]["file"] = json!(format!("in/{name}.txt"));
    exp["source"]["bytes"] = json!(bytes.len());
    exp["source"]["sha256"] = Value::Null;
    Sheet { name, bytes, expected: exp }
}

/// Level of a Ⅲ result (as `check::result_level`): 3 全項目, 2 重点, 1 基礎, 0 none.
fn required_level(result: &str) -> usize {
    if result.contains("全項目") {
        3
    } else if result.contains("重点") {
        2
    } else if result.contains("義務付けられない") {
        0
    } else {
        1
    }
}

/// The field a change row's item changes (the sample's items; several wordings name
/// one field: `Ⅰ５②所属長` and `Ⅰ５②所属長の役職名`, `Ⅰ システムの名称` and
/// `Ⅰ１③システムの名称`).
fn field_of(item: &str) -> String {
    // White space removed but not NFKC: Ⅱ and ② stay one character each.
    let c: String = item.chars().filter(|ch| !ch.is_whitespace()).collect();
    let number: String = c.chars().take_while(|ch| !matches!(ch, 'ぁ'..='ヿ' | '一'..='鿿')).collect();
    if c.contains("所属長") {
        "department_head".into()
    } else if c.contains("システムの名称") {
        "systems".into()
    } else if c.contains("いつ時点") || c.contains("法令上の根拠") {
        // Ⅱ1 / Ⅱ2 count dates; Ⅰ3 / Ⅰ4 legal bases (Ⅰ４ and Ⅰ４②: one field).
        format!("{}{}", number.chars().take(2).collect::<String>(), &c[number.len()..])
    } else {
        c
    }
}

/// ISO `YYYY-MM-DD` → (y, m, d).
fn ymd(iso: &str) -> (u32, u32, u32) {
    let p: Vec<u32> = iso.split('-').map(|x| x.parse().expect("ISO date")).collect();
    (p[0], p[1], p[2])
}

/// (y, m, d) of a 和暦 date in canonical form (`令和5年1月1日`, `平成31年…`, `令和元年…`).
fn parse_wareki(c: &str) -> Option<(u32, u32, u32)> {
    let (base, rest) = if let Some(r) = c.strip_prefix("令和") { (2018, r) } else { (1988, c.strip_prefix("平成")?) };
    let (year, rest) = rest.split_once('年')?;
    let (month, rest) = rest.split_once('月')?;
    let (day, _) = rest.split_once('日')?;
    let year: u32 = if year == "元" { 1 } else { year.parse().ok()? };
    Some((base + year, month.parse().ok()?, day.parse().ok()?))
}

/// A `…　時点` cell moved back by `years` (full-width digits, as the sample prints them).
fn shift_count_date(cell: &str, years: u32) -> String {
    match parse_wareki(&canon(cell)) {
        Some((y, m, d)) => format!("{}\u{3000}時点", wareki(y - years, m, d, true)),
        None => cell.to_string(),
    }
}

/// See the caller: drop rows, move dates back, set the newest count-date rows.
fn change_history(lines: &mut Vec<String>, exp: &mut Value, drop_rate: u64, published: (u32, u32, u32), as_of_text: &str, rng: &mut Rng) {
    let rows = change_rows(lines);
    let golden: Vec<Value> = exp["changes"].as_array().unwrap().clone();
    // Each dump row is the k-th row with its (date_text, item) in the expected list.
    let ids: Vec<(String, String)> = golden.iter().map(|r| (canon(r["date_text"].as_str().unwrap()), canon(r["item"].as_str().unwrap()))).collect();
    let mut seen = std::collections::HashMap::new();
    let row_of: Vec<usize> = rows
        .iter()
        .map(|&(s, _)| {
            let line = canon(&lines[s]);
            let id = ids.iter().filter(|(d, it)| line.starts_with(&format!("{d}{it}"))).max_by_key(|(d, it)| d.len() + it.len()).expect("change row not in the golden");
            let k = seen.entry(id.clone()).or_insert(0usize);
            let g = (0..ids.len()).filter(|&g| &ids[g] == id).nth(*k).expect("as many rows as the golden");
            *k += 1;
            g
        })
        .collect();
    let fields: Vec<String> = golden.iter().map(|r| field_of(r["item"].as_str().unwrap())).collect();
    let dates: Vec<String> = golden.iter().map(|r| r["date"].as_str().unwrap().to_string()).collect();
    let newest = |g: usize| !(0..golden.len()).any(|h| fields[h] == fields[g] && dates[h] > dates[g]);
    // Which rows stay: a field's whole history goes, or its older rows one by one.
    let mut field_names: Vec<&String> = fields.iter().collect();
    field_names.sort();
    field_names.dedup();
    let gone: Vec<String> = field_names.into_iter().filter(|_| rng.chance(drop_rate)).cloned().collect();
    let keep: Vec<bool> = (0..golden.len()).map(|g| !gone.contains(&fields[g]) && (newest(g) || !rng.chance(drop_rate))).collect();
    // Move every date back by whole years until the newest is not after the 公表日.
    let latest = (0..golden.len()).filter(|&g| keep[g]).map(|g| ymd(&dates[g])).max();
    let years = latest.map_or(0, |(ly, lm, ld)| (0..).find(|&n| (ly - n, lm, ld) <= published).unwrap());
    let shift = |iso: &str| {
        let (y, m, d) = ymd(iso);
        (format!("{:04}-{m:02}-{d:02}", y - years), wareki(y - years, m, d, false))
    };
    // The dump: rows dropped (from the end, so line numbers hold), first lines rewritten.
    for (r, &(s, e)) in rows.iter().enumerate().rev() {
        let g = row_of[r];
        if !keep[g] {
            lines.drain(s..e);
            continue;
        }
        let mut cells: Vec<String> = lines[s].split(' ').map(str::to_string).collect();
        cells[0] = shift(&dates[g]).1;
        if fields[g].contains("いつ時点") {
            assert_eq!(cells.len(), 5, "a one-line いつ時点 row: {}", lines[s]);
            cells[2] = shift_count_date(&cells[2], years);
            cells[3] = if newest(g) { as_of_text.to_string() } else { shift_count_date(&cells[3], years) };
        }
        lines[s] = cells.join(" ");
    }
    // The expected rows, the same way (their order, by date, does not change).
    let kept: Vec<Value> = (0..golden.len())
        .filter(|&g| keep[g])
        .map(|g| {
            let mut r = golden[g].clone();
            let (iso, text) = shift(&dates[g]);
            r["date"] = json!(iso);
            r["date_text"] = json!(text);
            if fields[g].contains("いつ時点") {
                r["before"] = json!(shift_count_date(r["before"].as_str().unwrap(), years));
                r["after"] = json!(if newest(g) { as_of_text.to_string() } else { shift_count_date(r["after"].as_str().unwrap(), years) });
            }
            r
        })
        .collect();
    exp["changes"] = Value::Array(kept);
}

/// The sample with its change table repeated `times` times (a page break between
/// copies), with its expected record (the sample's rows, `times` times over): the size
/// series of the benchmark (`bench --sizes`). The sample is consistent, so each reads
/// `ok`; at 1,000 times it is 23,000 rows, 13 MB.
pub fn repeated_changes(times: usize) -> Sheet {
    let lines: Vec<&str> = SAMPLE.trim_end().split('\n').collect();
    let owned: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let start = change_rows(&owned)[0].0;
    let mut text = lines[..start].join("\n");
    let table = lines[start..].join("\n");
    for _ in 0..times {
        text.push('\n');
        text.push_str(&table);
        text.push_str("\n\n\n\n");
    }
    let mut exp: Value = serde_json::from_str(GOLDEN).expect("golden JSON");
    let rows = exp["changes"].as_array().unwrap().clone();
    exp["changes"] = Value::Array((0..times).flat_map(|_| rows.iter().cloned()).collect());
    let name = format!("changes_x{times}");
    exp["source"]["file"] = json!(format!("in/{name}.txt"));
    exp["source"]["bytes"] = json!(text.len());
    exp["source"]["sha256"] = Value::Null;
    Sheet { name, bytes: text.into_bytes(), expected: exp }
}

fn replace_strings(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s.contains(from) => *s = s.replace(from, to),
        Value::Object(m) => m.values_mut().for_each(|x| replace_strings(x, from, to)),
        Value::Array(a) => a.iter_mut().for_each(|x| replace_strings(x, from, to)),
        _ => {}
    }
}

/// Write sheets below `dir` (`in/NAME.txt`, `expected/NAME.json`).
pub fn write_corpus(dir: &std::path::Path, sheets: &[Sheet]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("in"))?;
    std::fs::create_dir_all(dir.join("expected"))?;
    for s in sheets {
        std::fs::write(dir.join("in").join(format!("{}.txt", s.name)), &s.bytes)?;
        let json = serde_json::to_vec_pretty(&s.expected).unwrap();
        std::fs::write(dir.join("expected").join(format!("{}.json", s.name)), json)?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 1u64;
    let mut pos = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--seed" {
            seed = it.next().and_then(|s| s.parse().ok()).expect("--seed S");
        } else {
            pos.push(a.clone());
        }
    }
    // `make_corpus --repeat-changes K DIR`: the sample with its change table K times.
    if pos.len() == 3 && pos[0] == "--repeat-changes" {
        let sheet = repeated_changes(pos[1].parse().expect("K"));
        write_corpus(std::path::Path::new(&pos[2]), &[sheet]).expect("write corpus");
        return;
    }
    if pos.len() != 2 {
        eprintln!("usage: make_corpus N DIR [--seed S] | make_corpus --repeat-changes K DIR");
        std::process::exit(2);
    }
    let n: usize = pos[0].parse().expect("N");
    let dir = std::path::PathBuf::from(&pos[1]);
    // Generate in chunks so 20,000+ sheets never sit in memory at once.
    let mut rng_seed = seed;
    let mut done = 0;
    while done < n {
        let chunk = (n - done).min(1000);
        let sheets = generate_from(done, chunk, rng_seed);
        write_corpus(&dir, &sheets).expect("write corpus");
        done += chunk;
        rng_seed = rng_seed.wrapping_add(1);
    }
    eprintln!("make_corpus: {n} sheets → {}/in, expected → {}/expected", dir.display(), dir.display());
}

/// Sheets `first..first+n` (names numbered from `first`).
pub fn generate_from(first: usize, n: usize, seed: u64) -> Vec<Sheet> {
    let bodies = unique_bodies();
    let golden: Value = serde_json::from_str(GOLDEN).expect("golden JSON");
    let base: Vec<String> = SAMPLE.lines().map(str::to_string).collect();
    let mut rng = Rng::new(seed);
    (first..first + n).map(|i| one(i, &base, &golden, &bodies, &mut rng)).collect()
}
