//! 変更箇所 rows from text printed in content-stream order, one text run per line and no
//! blank lines (PyMuPDF `get_text()`, `pdftotext -raw`). Spreadsheet-made sheets draw a
//! change page in two passes, each in the rows' order:
//!
//! - pass A: per row its 項目 (a reference `Ⅰ５②…`), perhaps some of its cells, and its
//!   提出時期 (事前 / 事後) last, so every row of pass A ends with a timing;
//! - pass B, after the page's last timing: per row its 変更日 (a whole date on a line of
//!   its own), then the cells pass A left out (the 項目 too when pass A had none).
//!
//! So the n-th timing run and the n-th date belong to one row, when the counts agree.
//! Which cell is 変更前 and which 変更後 is only certain when all the row's cells are in
//! one pass and split one way only (see [`split_cells`]); any other row is counted as
//! unreadable, never guessed.

use super::flat::{labels, match_key};
use super::{compact, headers, is_timing, leading_date};
use crate::pdf::TableRow;


/// The column titles (one per line, or all on one line).
fn is_header(l: &str) -> bool {
    let mut words = l.split_whitespace().peekable();
    words.peek().is_some() && words.all(|w| headers().any(|h| h == w))
}

fn is_page_number(l: &str) -> bool {
    let c = compact(l);
    !c.is_empty() && c.len() <= 4 && c.chars().all(|ch| ch.is_ascii_digit())
}

fn whole_date(l: &str) -> bool {
    leading_date(l).is_some_and(|n| l[n..].trim().is_empty())
}

fn is_reference_start(s: &str) -> bool {
    s.starts_with(['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', 'Ⅵ', 'Ⅶ'])
}

/// Does `s` end with one of the forms' labels (a 項目 printed whole)?
pub(super) fn ends_with_label(s: &str) -> bool {
    let k: Vec<char> = match_key(s).chars().collect();
    labels().longest_suffix(&k).is_some()
}

/// The 項目 at `lines[0]`: a reference (`Ⅰ５②所属長`), with the short lines that follow
/// when they complete one of the forms' labels (`Ⅰ２特定個人情報ファイ` / `ル名`). The
/// item and how many lines it takes; `None` when `lines[0]` is no reference.
fn item_at(lines: &[String]) -> Option<(String, usize)> {
    let first = lines.first()?;
    if !is_reference_start(first) {
        return None;
    }
    if ends_with_label(first) {
        return Some((first.clone(), 1));
    }
    let mut joined = first.clone();
    for (m, l) in lines.iter().enumerate().skip(1).take(3) {
        if l.chars().count() > 14 || whole_date(l) || is_timing(l) {
            break;
        }
        joined.push_str(l);
        if ends_with_label(&joined) {
            return Some((joined, m + 1));
        }
    }
    Some((first.clone(), 1))
}

/// A page's lines as units: a timing printed at the end of a line (`Ⅰ８連絡先 事後`,
/// -raw joins runs on one baseline) is a unit of its own, and so is a date with an item
/// after it (`平成29年4月20日 Ⅰ２特定個人情報ファイ`).
fn units(lines: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines {
        if let Some((head, last)) = l.rsplit_once(' ').filter(|(h, last)| is_timing(last) && !h.trim().is_empty()) {
            out.push(head.trim().to_string());
            out.push(last.to_string());
            continue;
        }
        match leading_date(l) {
            Some(n) if is_reference_start(l[n..].trim()) => {
                out.push(l[..n].to_string());
                out.push(l[n..].trim().to_string());
            }
            _ => out.push(l.to_string()),
        }
    }
    out
}

/// Pass B's lines with a date followed by other text on the line (a note on the date's
/// baseline, -raw) cut after the date. Done only when that makes the counts agree, as a
/// cell may start with a date (`平成27年7月31日 時点`).
fn dates_apart(b: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for l in b {
        match leading_date(l) {
            Some(n) if !l[n..].trim().is_empty() => {
                out.push(l[..n].to_string());
                out.push(l[n..].trim().to_string());
            }
            _ => out.push(l.clone()),
        }
    }
    out
}

/// Do two lines mirror each other (the same first or last word): 変更前 and 変更後 of a
/// short value (`市民課長　菅野　智子` / `市民課長　山田　秀樹`, `… 時点` / `… 時点`).
fn mirrored(a: &str, b: &str) -> bool {
    let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split_whitespace().collect(), b.split_whitespace().collect());
    wa.len() >= 2 && wb.len() >= 2 && a != b && (wa[0] == wb[0] || wa.last() == wb.last())
}

/// 変更前 and 変更後 from the cell lines of one pass, when they split one way only:
/// - two lines: one each (every cell is printed on lines of its own);
/// - one line holding both (-raw joins runs on one baseline): an even number of
///   space-separated words whose halves start or end with the same word
///   (`市民課長 菅野 智子 市民課長 山田 秀樹`, `令和３年… 時点 令和４年… 時点`);
/// - more lines: where [`where_after_starts`] finds one line only, after no heading.
///   The 提出時期に係る説明 column, narrower, would come after 変更後 (-raw may even
///   print its first line on a line of 変更後): when 変更後's last line is under half
///   the cells' width (and no list item), it may be the end of such a note, and the row
///   is not read.
fn split_cells(lines: &[String]) -> Option<(String, String)> {
    match lines.len() {
        0 => None,
        1 => {
            let words: Vec<&str> = lines[0].split(' ').filter(|w| !w.is_empty()).collect();
            let k = words.len() / 2;
            let halves = words.len() % 2 == 0 && k >= 2 && (words[0] == words[k] || words[k - 1] == words[2 * k - 1]);
            halves.then(|| (words[..k].join(" "), words[k..].join(" ")))
        }
        2 => Some((lines[0].clone(), lines[1].clone())),
        n => {
            let j = where_after_starts(lines)?;
            // A heading (`【情報提供の根拠】`, `（従前の記載に次の内容を追加）`) opens what
            // follows, a line ending in a colon a list: neither ends 変更前.
            let prev = lines[j - 1].trim();
            let parenthesised = prev.starts_with(['（', '(']) && prev.ends_with(['）', ')']);
            if super::cells::is_heading(prev) || parenthesised || prev.ends_with(['：', ':']) {
                return None;
            }
            let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            let last = &lines[n - 1];
            let numbered = super::cells::list_number(last.trim()).is_some_and(|k| k >= 2);
            if n - j >= 2 && 2 * last.chars().count() < width && !numbered {
                return None;
            }
            Some((lines[..j].join("\n"), lines[j..].join("\n")))
        }
    }
}

/// Where 変更後 starts among more than two cell lines, when the cues agree on one line:
/// - 変更後 starts over with 変更前's first line, which comes back once only;
/// - 変更後 opens with `（従前の記載に…）` (a note on 変更前: it can only open 変更後);
/// - 変更後 is a numbered list starting at 1, numbered on to the end (`１　…`, `２　…`),
///   and the only list that starts at 1 after the first line (the list runs to the
///   cell's end: no heading after it, at most one wrapped line after its last item).
fn where_after_starts(lines: &[String]) -> Option<usize> {
    let n = lines.len();
    let mut cues: Vec<usize> = Vec::new();
    let again: Vec<usize> = (1..n).filter(|&j| lines[j] == lines[0]).collect();
    if let [j] = again[..] {
        cues.push(j);
    }
    let prior: Vec<usize> = (1..n).filter(|&j| lines[j].trim_start().trim_start_matches(['（', '(']).starts_with("従前の記載")).collect();
    if let [j] = prior[..] {
        cues.push(j);
    }
    let number = |j: usize| super::cells::list_number(lines[j].trim());
    let ones: Vec<usize> = (1..n).filter(|&j| number(j) == Some(1)).collect();
    if let [j] = ones[..] {
        let numbers: Vec<u32> = (j..n).filter_map(number).collect();
        let last_item = (j..n).rfind(|&k| number(k).is_some()).unwrap_or(j);
        let to_the_end = n - 1 - last_item <= 1 && !lines[j..].iter().any(|l| super::cells::is_heading(l.trim()));
        if numbers.len() >= 2 && numbers.iter().enumerate().all(|(k, &m)| m == k as u32 + 1) && to_the_end {
            cues.push(j);
        }
    }
    cues.dedup();
    match cues[..] {
        [j] => Some(j),
        _ => None,
    }
}

/// The rows of one page, and how many rows were seen but not read.
fn page_rows(lines: &[&str], page: u32) -> (Vec<TableRow>, usize) {
    // Dates with other text on their line are cut only when that makes the counts agree.
    let (runs, b, starts) = match passes(units(lines), false) {
        Ok(p) => p,
        Err(seen) => match passes(units(lines), true) {
            Ok(p) => p,
            Err(_) => return (Vec::new(), seen),
        },
    };
    let mut rows = Vec::new();
    let mut lost = 0;
    for (n, run) in runs.iter().enumerate() {
        let (timing, in_a) = run.split_last().expect("a run ends with its timing");
        let in_b = &b[starts[n] + 1..starts.get(n + 1).copied().unwrap_or(b.len())];
        // The 項目 in one pass exactly; the rest of both passes are cells.
        let (item, cells_a, cells_b) = match (item_at(in_a), item_at(in_b)) {
            (Some((item, k)), None) => (item, &in_a[k..], in_b),
            (None, Some((item, k))) => (item, in_a, &in_b[k..]),
            _ => {
                lost += 1;
                continue;
            }
        };
        // Cells in both passes: which is which is not shown, unless pass A holds two
        // lines that mirror each other (変更前 and 変更後), and pass B then the note.
        // A second reference among the cells: the runs are out of step.
        let (cells, note) = match (cells_a.is_empty(), cells_b.is_empty()) {
            (false, true) => (cells_a, String::new()),
            (true, false) => (cells_b, String::new()),
            (false, false) if cells_a.len() == 2 && mirrored(&cells_a[0], &cells_a[1]) => (cells_a, cells_b.concat()),
            _ => {
                lost += 1;
                continue;
            }
        };
        let Some((before, after)) = split_cells(cells).filter(|_| !cells.iter().any(|l| is_reference_start(l))) else {
            lost += 1;
            continue;
        };
        rows.push(TableRow { page, cells: vec![b[starts[n]].clone(), item, before, after, timing.clone(), note] });
    }
    (rows, lost)
}

/// A page's units as pass A's runs (each ending with a timing), pass B's units and where
/// its dates are; `Err(rows seen)` when the counts disagree.
#[allow(clippy::type_complexity)]
fn passes(units: Vec<String>, split_dates: bool) -> Result<(Vec<Vec<String>>, Vec<String>, Vec<usize>), usize> {
    let dates = units.iter().filter(|u| whole_date(u)).count();
    let Some(last_timing) = units.iter().rposition(|u| is_timing(u)) else { return Err(dates) };
    let b = if split_dates { dates_apart(&units[last_timing + 1..]) } else { units[last_timing + 1..].to_vec() };
    let runs: Vec<Vec<String>> = units[..=last_timing].split_inclusive(|u| is_timing(u)).map(<[String]>::to_vec).collect();
    let starts: Vec<usize> = (0..b.len()).filter(|&i| whole_date(&b[i])).collect();
    if starts.len() != runs.len() || starts.first() != Some(&0) {
        return Err(runs.len().max(starts.len()));
    }
    Ok((runs, b, starts))
}

/// Change rows of a text in content-stream order and the number of rows left out.
/// `None`: the text has no 変更箇所 heading.
pub(super) fn rows(text: &str) -> Option<(Vec<TableRow>, usize)> {
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r').trim_matches('\u{c}').trim()).collect();
    let at = lines.iter().rposition(|l| super::is_changes_heading(&compact(l)))?;
    // Pages: the runs between the column titles and page numbers.
    let mut pages: Vec<Vec<&str>> = vec![Vec::new()];
    for l in &lines[at + 1..] {
        if l.is_empty() {
            continue;
        }
        if is_header(l) || is_page_number(l) {
            if pages.last().is_some_and(|p| !p.is_empty()) {
                pages.push(Vec::new());
            }
            continue;
        }
        pages.last_mut().expect("one page at least").push(l);
    }
    let mut out = Vec::new();
    let mut lost = 0;
    for (n, page) in pages.iter().enumerate() {
        let (rows, l) = page_rows(page, n as u32);
        out.extend(rows);
        lost += l;
    }
    Some((out, lost))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn runs_and_dates_are_paired_in_order() {
        let t = "変更箇所\n変更日\n項目\n変更前の記載\n変更後の記載\n提出時期\n提出時期に係る説明\n\
                 Ⅰ５②所属長\n課長　Ａ\n課長　Ｂ\n事前\n\
                 Ⅰ３法令上の根拠\n事後\n\
                 住民基本台帳ファイル\n事後\n\
                 平成28年3月31日\n\
                 令和元年10月4日\n番号法　第7条\n番号法　第7条\n住民基本台帳法\n\
                 平成29年4月20日\nⅠ２特定個人情報ファイ\nル名\n住民基本台帳ファイル\n本人確認情報ファイル\n 5\n";
        let (rows, lost) = rows(t).unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].cells, ["平成28年3月31日", "Ⅰ５②所属長", "課長　Ａ", "課長　Ｂ", "事前", ""]);
        assert_eq!(rows[1].cells[..5], ["令和元年10月4日", "Ⅰ３法令上の根拠", "番号法　第7条", "番号法　第7条\n住民基本台帳法", "事後"]);
        // Cells in both passes (`住民基本台帳ファイル` in A, the rest in B): not read.
        assert_eq!(lost, 1);
    }

    #[test]
    fn counts_that_disagree_give_no_row() {
        let t = "変更箇所\nⅠ５②所属長\nＡ\nＢ\n事前\nⅠ３法令上の根拠\nＣ\nＤ\n事後\n平成28年3月31日\n";
        let (rows, lost) = rows(t).unwrap();
        assert!(rows.is_empty());
        assert_eq!(lost, 2);
    }

    #[test]
    fn raw_lines_joined_on_a_baseline() {
        let t = "変更箇所\n変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る説明\nⅡ１いつ時点の計数か\n令和３年９月１日 時点 令和４年９月１日 時点\n事後\nⅠ８連絡先 事後\n令和4年11月11日\n令和元年10月4日\n川越市市民部市民課\n〒686-8312 川越市錦町\n電話 046-980\n川越市市民部市民課\n〒686-8312 川越市錦町\nTEL 014-577\n";
        let (rows, lost) = rows(t).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(lost, 0);
        assert_eq!(rows[0].cells[..5], ["令和4年11月11日", "Ⅱ１いつ時点の計数か", "令和３年９月１日 時点", "令和４年９月１日 時点", "事後"]);
        assert_eq!(rows[1].cells[2..4], ["川越市市民部市民課\n〒686-8312 川越市錦町\n電話 046-980", "川越市市民部市民課\n〒686-8312 川越市錦町\nTEL 014-577"]);
    }

    #[test]
    fn cells_split_one_way_only() {
        assert_eq!(split_cells(&s(&["Ａ Ｂ Ｃ Ｄ"])), None, "halves that share no word");
        assert_eq!(split_cells(&s(&["令和３年 時点"])), None);
        // The first line comes back twice: no single split.
        assert_eq!(split_cells(&s(&["【概要】", "ア", "【概要】", "イ", "【概要】"])), None);
        // A narrow note after 変更後.
        let with_note = s(&["番号法　第7条（指定及び通知）、第16条（本人確認の措置", "）、第17条", "番号法　第7条（指定及び通知）、第16条（本人確認の措置", "）、第17条（個人番号カードの交付等）", "軽微な変更であるた", "め事後に提出"]);
        assert_eq!(split_cells(&with_note), None);
        // 変更後 starting with a heading before the repeated line.
        assert_eq!(split_cells(&s(&["番号法第19条第7号", "別表第二", "【情報提供の根拠】", "番号法第19条第7号", "別表第二（改）"])), None);
        assert_eq!(split_cells(&s(&["【根拠】", "番号法第19条第7号", "（従前の記載に次の内容を追加）", "【根拠】", "番号法第19条第8号"])), None);
        // 変更後 opening with a note on 変更前, or a numbered list.
        let prior = split_cells(&s(&["【概要】", "国民健康保険法に基づき、被保険者の資格管理に関する事務を行う。", "（従前の記載に次の内容を追加）", "５　オンライン資格確認等システム稼働に向けた事務"]));
        assert_eq!(prior.map(|c| c.1.lines().count()), Some(2));
        let list = split_cells(&s(&["住民記録システム、住民基本台帳ネットワークシステム（市町", "村ＣＳ）", "１　住民記録システム", "２　統合宛名システム", "３　中間サーバー"]));
        assert_eq!(list.map(|c| c.0), Some("住民記録システム、住民基本台帳ネットワークシステム（市町\n村ＣＳ）".to_string()));
        // A list introduced inside 変更前 is no cell's start.
        assert_eq!(split_cells(&s(&["【内容】次のとおり事務を行う。次のとおり事務を行う。", "１　資格の管理", "２　給付", "【内容】", "住民記録システム、住民基本台帳ネットワークシステム"])), None);
        let ok = split_cells(&s(&["ホストシステム、中間サーバー、団体内統合利用番号連携サ", "ーバー", "ホストシステム、中間サーバー、団体内統合利用番号連携サ", "ーバー、次期国保総合システムおよび国保情報集約システム"]));
        assert_eq!(ok.map(|c| c.1.lines().count()), Some(2));
    }

    #[test]
    fn a_note_in_pass_b_beside_mirrored_cells() {
        // -raw prints the note on its date's baseline: cut only because the counts then agree.
        let t = "変更箇所\nⅠ５②所属長\n市民課長　菅野　智子\n市民課長　山田　秀樹\n事前\nⅡ１いつ時点の計数か\n令和3年9月1日 時点 令和4年9月1日 時点\n事後\n平成28年3月31日 任意に事前の提出を\n行うもの\n令和4年11月11日\n";
        let (rows, lost) = super::rows(t).unwrap();
        assert_eq!(lost, 0);
        assert_eq!(rows[0].cells, ["平成28年3月31日", "Ⅰ５②所属長", "市民課長　菅野　智子", "市民課長　山田　秀樹", "事前", "任意に事前の提出を行うもの"]);
        assert_eq!(rows[1].cells[2..4], ["令和3年9月1日 時点", "令和4年9月1日 時点"], "pass A's dates are not cut");
        // Two lines that do not mirror each other may be one cell: not read.
        let t = "変更箇所\nⅠ５②所属長\n番号法の規定に\nよる事務\n事前\n平成28年3月31日\n番号法\n";
        let (rows, lost) = super::rows(t).unwrap();
        assert!(rows.is_empty());
        assert_eq!(lost, 1);
    }
}
