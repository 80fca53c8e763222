//! The 変更箇所 table of a mirror-site text view. A mirror prints each row's cells in
//! order — 変更日, 項目, 変更前, 変更後, 提出時期, 説明 — one cell line per line (a wrapped
//! cell over several lines), or all of them on the page's long line, separated by
//! spaces. Nothing marks where 変更前 ends and 変更後 begins: the rows are written back
//! in the shape the text reader takes (`date item`, the cell units as blocks, then the
//! timing and its note), so the split is decided by the document's evidence there
//! (`changes::from_text`: the chain of revisions, the current values, markers).
//!
//! A row is found by its date followed by an item reference (`Ⅰ`…, `表紙`, `（別添`); the
//! item runs to the end of a form label. A row whose item or timing cannot be found is
//! left out and counted.

use super::flat::{keyed, labels, match_key};
use super::{is_timing, leading_date};

/// One row as printed: the cell units between the item and the timing are lines (one
/// cell per line) or words (flattened pages).
#[derive(Debug, PartialEq)]
pub(super) struct Row {
    pub date: String,
    pub item: String,
    pub units: Vec<String>,
    pub timing: String,
    pub note: Vec<String>,
}

/// The table's column header, as one line (its match key).
pub(super) fn header_key() -> String {
    super::change_table().header_labels().concat()
}

fn is_item_start(s: &str) -> bool {
    let k = match_key(s);
    s.trim_start().starts_with(|c: char| ('Ⅰ'..='Ⅻ').contains(&c)) || k.starts_with("表紙") || k.starts_with("(別添")
}

/// `s` as a whole date (`令和2年11月20日`, spaces allowed): the date without spaces.
fn whole_date(s: &str) -> Option<String> {
    let t = s.trim();
    let n = leading_date(t)?;
    t[n..].trim().is_empty().then(|| t.chars().filter(|c| !c.is_whitespace()).collect())
}

/// Rows printed one cell line per line (`lines`: the table's lines after its header).
/// Returns the rows and how many rows were seen but not read.
pub(super) fn rows_of_lines(lines: &[&str]) -> (Vec<Row>, usize) {
    let lines: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty() && match_key(l) != header_key()).collect();
    // A row starts at a date (perhaps wrapped: `令和2年11月20` / `日`) followed by an item.
    let start_at = |i: usize| -> Option<(String, usize)> {
        let (date, next) = match whole_date(lines[i]) {
            Some(d) => (d, i + 1),
            None => (whole_date(&format!("{}{}", lines[i], lines.get(i + 1)?))?, i + 2),
        };
        lines.get(next).filter(|l| is_item_start(l)).map(|_| (date, next))
    };
    let starts: Vec<(usize, String, usize)> = (0..lines.len()).filter_map(|i| start_at(i).map(|(d, n)| (i, d, n))).collect();
    let mut rows = Vec::new();
    let mut lost = 0;
    for (n, (_, date, item_at)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(lines.len(), |s| s.0);
        let body = &lines[*item_at..end];
        // The item: its first line and the wrapped lines that complete a form label
        // (the item cell is narrow; a before-cell line is no label's end).
        let mut take = 1;
        for m in 2..=body.len().min(6) {
            if body[1..m].iter().any(|l| l.chars().count() > 14 || whole_date(l).is_some() || is_timing(&match_key(l))) {
                break;
            }
            let fk: Vec<char> = match_key(&body[..m].concat()).chars().collect();
            if labels().longest_suffix(&fk).is_some() {
                take = m;
            }
        }
        let item: String = body[..take].concat().chars().filter(|c| !c.is_whitespace()).collect();
        let rest = &body[take..];
        let Some(t) = rest.iter().position(|l| is_timing(&match_key(l))) else {
            lost += 1;
            continue;
        };
        rows.push(Row {
            date: date.clone(),
            item,
            units: rest[..t].iter().map(|s| s.to_string()).collect(),
            timing: match_key(rest[t]),
            note: rest[t + 1..].iter().map(|s| s.to_string()).collect(),
        });
    }
    (rows, lost)
}

/// Rows of a flattened table (`text`: the table's pages after the header, joined).
pub(super) fn rows_of_words(text: &str) -> (Vec<Row>, usize) {
    let hk = header_key();
    let words: Vec<&str> = text.split_whitespace().collect();
    // Units: words, with a date's words (`令和 5 年 9 月 11 日`) as one.
    let mut units: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let rest = words[i..].join(" ");
        if let Some(n) = leading_date(&rest) {
            let date = &rest[..n];
            let used = date.split_whitespace().count();
            units.push(date.chars().filter(|c| !c.is_whitespace()).collect());
            i += used.max(1);
            continue;
        }
        // A bracketed note (`( 従前の記載に次の内容を追加 )`) is one unit: markers are
        // looked for at the start of a unit.
        if words[i].starts_with(['(', '（']) && !words[i].contains([')', '）']) {
            if let Some(e) = (i + 1..words.len().min(i + 8)).find(|&e| words[e].ends_with([')', '）'])) {
                units.push(words[i..=e].join(" "));
                i = e + 1;
                continue;
            }
        }
        units.push(words[i].to_string());
        i += 1;
    }
    // A header printed again on the next page is no cell.
    let header = super::change_table().header_labels();
    let mut k = 0;
    let mut kept: Vec<String> = Vec::new();
    while k < units.len() {
        if header.first() == Some(&units[k]) && units.len() >= k + header.len() && match_key(&units[k..k + header.len()].concat()) == hk {
            k += header.len();
            continue;
        }
        kept.push(std::mem::take(&mut units[k]));
        k += 1;
    }
    let units = kept;
    let starts: Vec<usize> = (0..units.len()).filter(|&i| whole_date(&units[i]).is_some() && units.get(i + 1).is_some_and(|u| is_item_start(u))).collect();
    let mut rows = Vec::new();
    let mut lost = 0;
    for (n, &s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(units.len());
        let body = &units[s + 1..end];
        // The item: from the reference to the end of the first form label that stands
        // as words of its own.
        let joined = body.iter().take(16).cloned().collect::<Vec<_>>().join(" ");
        let (fk, at) = keyed(&joined);
        let mut item_end = None;
        for p in 1..fk.len().min(40) {
            let max = fk.len() - p;
            let found = (3..=max.min(80)).rev().find(|&m| {
                let k: String = fk[p..p + m].iter().collect();
                let e = at.get(p + m).copied().unwrap_or(joined.len());
                labels().get(&k).is_some() && (e >= joined.len() || joined[..e].ends_with(' '))
            });
            if let Some(m) = found {
                item_end = Some(at.get(p + m).copied().unwrap_or(joined.len()));
                break;
            }
        }
        let Some(e) = item_end else {
            lost += 1;
            continue;
        };
        let item_words = joined[..e].split_whitespace().count();
        let item: String = joined[..e].chars().filter(|c| !c.is_whitespace()).collect();
        let rest = &body[item_words..];
        let Some(t) = rest.iter().position(|u| is_timing(u)) else {
            lost += 1;
            continue;
        };
        rows.push(Row { date: units[s].clone(), item, units: starts_over(&rest[..t]), timing: rest[t].clone(), note: rest[t + 1..].to_vec() });
    }
    (rows, lost)
}

/// Words of a flattened row's two cells. When 変更後 starts over with 変更前's first
/// word (`国保年金課長 吉村 公孝 国保年金課長 本間 雅雄`), and that word comes back once
/// only, the cells are the two runs: words alone would let a value that is a word of
/// the cell (`国保年金課長`, a current value) decide instead. Else the words as they are.
fn starts_over(units: &[String]) -> Vec<String> {
    let Some(first) = units.first() else { return Vec::new() };
    let is_plain = whole_date(first).is_none() && !first.chars().all(|c| c.is_ascii_digit() || c.is_ascii_punctuation());
    let again: Vec<usize> = (1..units.len()).filter(|&j| units[j] == *first).collect();
    match again[..] {
        [j] if is_plain => vec![units[..j].join(" "), units[j..].join(" ")],
        _ => units.to_vec(),
    }
}

/// The rows in the shape the text reader takes: the heading and the header, then per
/// row `date item`, each cell unit as a block of its own, and `timing note`.
pub(super) fn write(heading: &str, rows: &[Row]) -> Vec<String> {
    let mut out = vec![heading.to_string(), super::change_table().header_labels().join(" "), String::new()];
    for r in rows {
        out.push(format!("{} {}", r.date, r.item));
        out.push(String::new());
        for u in &r.units {
            out.push(u.clone());
            out.push(String::new());
        }
        let note = r.note.join(" ");
        out.push(format!("{} {}", r.timing, note).trim().to_string());
        out.push(String::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_one_cell_per_line() {
        let lines = ["令和2年11月20", "日", "Ⅰ2特定個人情報ファ", "イル名", "住民基本台帳ファイル", "住民基本台帳ファイル", "本人確認情報ファイル", "事後", "軽微な変更であるた", "め", "平成28年3月31日", "Ⅰ5②所属長", "市民課長 菅野 智子", "市民課長 山田 秀樹", "事前"];
        let (rows, lost) = rows_of_lines(&lines);
        assert_eq!(lost, 0);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].date.as_str(), rows[0].item.as_str(), rows[0].units.len(), rows[0].timing.as_str()), ("令和2年11月20日", "Ⅰ2特定個人情報ファイル名", 3, "事後"));
        assert_eq!(rows[0].note, ["軽微な変更であるた", "め"]);
        assert_eq!((rows[1].item.as_str(), rows[1].units.len()), ("Ⅰ5②所属長", 2));
    }

    #[test]
    fn rows_of_a_flat_page() {
        let t = "平成 28 年 3 月 31 日 Ⅰ 5 ②所属長 市民課長 菅野 智子 市民課長 山田 秀樹 事前 任意に事前の提出を行うもの 令和 4 年 11 月 11 日 Ⅱ 1 いつ時点の計数か 令和 3 年 9 月 1 日 時点 令和 4 年 9 月 1 日 時点 事後 変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る説明 令和 5 年 1 月 1 日 Ⅰ 8 謎の項目 あ い 事後";
        let (rows, lost) = rows_of_words(t);
        assert_eq!(rows.len(), 2);
        assert_eq!(lost, 1, "an item that ends at no label is not guessed");
        assert_eq!((rows[0].date.as_str(), rows[0].item.as_str()), ("平成28年3月31日", "Ⅰ5②所属長"));
        assert_eq!(rows[0].units, ["市民課長 菅野 智子", "市民課長 山田 秀樹"], "the cell starts over");
        assert_eq!(rows[0].note, ["任意に事前の提出を行うもの"]);
        assert_eq!(rows[1].item, "Ⅱ1いつ時点の計数か");
        assert_eq!(rows[1].units, ["令和3年9月1日", "時点", "令和4年9月1日", "時点"]);
    }
}
