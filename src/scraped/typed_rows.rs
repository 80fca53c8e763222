//! pdftotext plain: 変更箇所 rows of `いつ時点の計数か` read from a page printed column
//! by column, where no row is printed whole (see [`super::columns`]).
//!
//! pdftotext prints the page's 変更日/項目 column top to bottom, then the text cells, also
//! in the rows' order, but it cuts cells into several blocks (at wide spaces), moves some
//! blocks elsewhere and prints the timing column out of order. So which text belongs to
//! which row is in general not printed. It is for one kind of row: the cells of
//! `…いつ時点の計数か` are dates followed by `時点`, a value no other item has. So:
//!
//! - the page's rows with that item, in the order printed, form runs of adjacent rows;
//!   the page's `date 時点` cells form runs of adjacent blocks;
//! - when the two counts of runs agree, the n-th run of cells is the n-th run of rows
//!   (both columns keep the rows' order); a run of k rows is read when its run holds
//!   exactly 2k whole cells and nothing else dated (a date without its `時点`, a `時点`
//!   alone: a cell cut and moved);
//! - which cell is 変更前: the count's date moves forward, so of a row's two dates the
//!   earlier one is 変更前. With k ≥ 2 rows the cells may pair row by row or column by
//!   column: the run is read only when one pairing alone gives each row two different dates;
//! - 提出時期: only when every timing on the page is the same and the page holds as many
//!   timings as items (no row of it continued from or onto another page).
//!
//! Anything else on the page is left to the caller's count of unreadable rows.

use super::columns::Block;
use super::{compact, is_timing};
use crate::normalize::whole_date;
use crate::pdf::TableRow;

/// The labels of the items whose cells are dates followed by `時点` (compacted): the
/// as-of label of each form's fields (`いつ時点の計数か`).
fn dated_items() -> &'static [String] {
    static LABELS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LABELS.get_or_init(|| {
        let forms = crate::form::FormSet::current();
        let mut labels: Vec<String> = forms.forms.iter().flat_map(|f| f.leaves()).filter_map(|l| l.field.as_of.as_deref().map(compact)).filter(|l| !l.is_empty()).collect();
        labels.sort();
        labels.dedup();
        labels
    })
}

fn is_dated_item(item: &str) -> bool {
    let item = compact(item);
    dated_items().iter().any(|l| item.ends_with(l.as_str()))
}

/// The `date 時点` cells a block holds when it holds nothing else (two cells side by
/// side on one line, or a date and its `時点` on two lines): `None` otherwise.
fn dated_cells(text: &str) -> Option<Vec<String>> {
    let c = compact(text);
    let mut rest = c.as_str();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let n = super::leading_date(rest)?;
        let after = rest[n..].strip_prefix("時点")?;
        out.push(format!("{} 時点", &rest[..n]));
        rest = after;
    }
    (!out.is_empty()).then_some(out)
}

/// A block among the text cells, as far as dated cells go.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// Whole `date 時点` cells.
    Cells(Vec<String>),
    /// A date alone: a `date 時点` cell cut in two, or a cell of another item.
    Date(String),
    /// `時点` alone, or dated text mixed with other text: part of a cell cut and moved.
    Broken,
    /// Text of other cells, a row's 変更日 and 項目, a timing: ends a run.
    Other,
    /// Column titles, page numbers: neither cells nor the end of a run.
    Skip,
}

/// A row's mark: its date when paired with certainty, and its item.
#[derive(Debug)]
struct Mark {
    date: Option<String>,
    item: String,
}

/// The page's marks in the order printed, and which blocks they took. A date is paired
/// with the item right after it, and a run of k dates with the run of k items after it
/// (pdftotext may print a few dates, then their items), unless an item without a date
/// comes right before (the pairing could then run the other way).
fn marks(blocks: &[Block]) -> (Vec<Mark>, Vec<bool>) {
    let mut out = Vec::new();
    let mut taken = vec![false; blocks.len()];
    // Items paired with a date (an item left unpaired may take the date after it).
    let mut paired = vec![false; blocks.len()];
    let mut i = 0;
    let is_item = |b: &Block| matches!(b, Block::Item(_) | Block::Spoiled(false));
    while i < blocks.len() {
        match &blocks[i] {
            Block::Date(d, Some(item)) => {
                out.push(Mark { date: Some(d.clone()), item: item.clone() });
                taken[i] = true;
            }
            Block::Spoiled(_) => {
                out.push(Mark { date: None, item: String::new() });
                taken[i] = true;
            }
            Block::Item(item) => {
                out.push(Mark { date: None, item: item.clone() });
                taken[i] = true;
            }
            Block::Date(_, None) => {
                let k = blocks[i..].iter().take_while(|b| matches!(b, Block::Date(_, None))).count();
                let m = blocks[i + k..].iter().take_while(|b| is_item(b)).count();
                let before_free = i == 0 || !is_item(&blocks[i - 1]) || paired[i - 1];
                if m == k && before_free {
                    for j in 0..k {
                        let (Block::Date(d, None), item) = (&blocks[i + j], &blocks[i + k + j]) else { unreachable!() };
                        let item = if let Block::Item(t) = item { t.clone() } else { String::new() };
                        out.push(Mark { date: Some(d.clone()), item });
                        taken[i + j] = true;
                        taken[i + k + j] = true;
                        paired[i + k + j] = true;
                    }
                    i += 2 * k;
                    continue;
                }
                // Dates not paired stay among the cells (a cell may be a date).
                i += k;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (out, taken)
}

fn piece(block: &Block) -> Piece {
    match block {
        Block::Header | Block::PageNumber => Piece::Skip,
        Block::Date(d, None) => Piece::Date(d.clone()),
        Block::Text(t) => {
            if let Some(cells) = dated_cells(t) {
                return Piece::Cells(cells);
            }
            // A `時点` word, or a whole dated cell, among other text: a cell cut and
            // moved. (A date line alone may be a row's 変更日 joined to a cell.)
            let dated_line = t.lines().any(|l| compact(l).ends_with("時点") && whole_date(l).is_some());
            if dated_line || t.split_whitespace().any(|w| w == "時点") {
                return Piece::Broken;
            }
            Piece::Other
        }
        _ => Piece::Other,
    }
}

/// Runs of dated cells in the order printed: `Some(cells)` when the run holds whole
/// cells only, `None` when something in it is cut (it still counts as a run). A run of
/// dates alone, without any `時点`, is no run of these cells.
fn cell_runs(blocks: &[Block], taken: &[bool]) -> Vec<Option<Vec<String>>> {
    let mut pieces: Vec<Piece> = blocks.iter().zip(taken).map(|(b, &t)| if t { Piece::Other } else { piece(b) }).collect();
    // A date followed by `時点` alone is one cell cut at its wide space (a page number
    // or column title may be printed between them).
    for i in 0..pieces.len() {
        let Piece::Date(d) = &pieces[i] else { continue };
        let Some(j) = (i + 1..pieces.len()).find(|&j| pieces[j] != Piece::Skip) else { continue };
        if matches!(&blocks[j], Block::Text(t) if !taken[j] && compact(t) == "時点") {
            pieces[i] = Piece::Cells(vec![format!("{} 時点", compact(d))]);
            pieces[j] = Piece::Skip;
        }
    }
    let mut runs = Vec::new();
    let mut run: Vec<&Piece> = Vec::new();
    let close = |run: &mut Vec<&Piece>, runs: &mut Vec<Option<Vec<String>>>| {
        if run.iter().any(|p| !matches!(p, Piece::Date(_))) {
            let whole = run.iter().all(|p| matches!(p, Piece::Cells(_)));
            runs.push(whole.then(|| run.iter().flat_map(|p| if let Piece::Cells(c) = p { c.clone() } else { Vec::new() }).collect()));
        }
        run.clear();
    };
    for p in &pieces {
        match p {
            Piece::Skip => {}
            Piece::Other => close(&mut run, &mut runs),
            p => run.push(p),
        }
    }
    close(&mut run, &mut runs);
    runs
}

/// Runs of adjacent marks with the dated item, as ranges of `marks`.
fn mark_runs(marks: &[Mark]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, m) in marks.iter().enumerate() {
        if !is_dated_item(&m.item) {
            continue;
        }
        match out.last_mut() {
            Some(r) if r.end == i => r.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// 変更前 and 変更後 of each row of a run from its 2k cells, when one pairing only (row
/// by row, or column by column) gives every row two different dates; the earlier is
/// 変更前.
fn pair_cells(cells: &[String]) -> Option<Vec<(String, String)>> {
    let k = cells.len() / 2;
    let iso: Vec<String> = cells.iter().map(|c| whole_date(c)).collect::<Option<_>>()?;
    let pairing = |at: &dyn Fn(usize) -> (usize, usize)| -> Option<Vec<(String, String)>> {
        (0..k)
            .map(|n| {
                let (a, b) = at(n);
                match iso[a].cmp(&iso[b]) {
                    std::cmp::Ordering::Less => Some((cells[a].clone(), cells[b].clone())),
                    std::cmp::Ordering::Greater => Some((cells[b].clone(), cells[a].clone())),
                    std::cmp::Ordering::Equal => None,
                }
            })
            .collect()
    };
    let by_row = pairing(&|n| (2 * n, 2 * n + 1));
    let by_column = if k >= 2 { pairing(&|n| (n, k + n)) } else { None };
    match (by_row, by_column) {
        (Some(r), None) => Some(r),
        (None, Some(c)) => Some(c),
        (Some(r), Some(c)) if r == c => Some(r),
        _ => None,
    }
}

/// The `いつ時点の計数か` rows of a page that can be read with certainty (perhaps none).
pub(super) fn page_rows(text: &str, page: u32) -> Vec<TableRow> {
    let blocks = &super::columns::mark_lines_apart(text)[..];
    let timings: Vec<&str> = text.split_whitespace().filter(|w| is_timing(w)).collect();
    let Some(&timing) = timings.first() else { return Vec::new() };
    let (marks, taken) = marks(blocks);
    // Every timing the same, one per item; every dated item of the page among the marks.
    if timings.iter().any(|t| *t != timing) || timings.len() != marks.len() {
        return Vec::new();
    }
    let printed: usize = dated_items().iter().map(|l| compact(text).matches(l.as_str()).count()).sum();
    if printed != marks.iter().filter(|m| is_dated_item(&m.item)).count() {
        return Vec::new();
    }
    let (rows_of, cells_of) = (mark_runs(&marks), cell_runs(blocks, &taken));
    if rows_of.len() != cells_of.len() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (run, cells) in rows_of.into_iter().zip(cells_of) {
        let Some(cells) = cells.filter(|c| c.len() == 2 * run.len()) else { continue };
        if marks[run.clone()].iter().any(|m| m.date.is_none()) {
            continue;
        }
        let Some(pairs) = pair_cells(&cells) else { continue };
        for (m, (before, after)) in marks[run].iter().zip(pairs) {
            let date = m.date.clone().expect("dated marks only");
            out.push(TableRow { page, cells: vec![date, m.item.clone(), before, after, timing.to_string(), String::new()] });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_cells_whole_or_not() {
        assert_eq!(dated_cells("令和３年９月１日 時点"), Some(vec!["令和３年９月１日 時点".to_string()]));
        assert_eq!(dated_cells("平成27年7月31日 時点 平成29年3月31日 時点").map(|c| c.len()), Some(2));
        assert_eq!(dated_cells("令和３年９月１日\n時点"), Some(vec!["令和３年９月１日 時点".to_string()]));
        assert_eq!(dated_cells("令和３年９月１日"), None);
        assert_eq!(dated_cells("時点"), None);
        assert_eq!(dated_cells("令和３年９月１日 時点 事後"), None);
    }

    #[test]
    fn one_pairing_only() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // Row by row: (H27 → H29) twice; column by column would give equal dates.
        let p = pair_cells(&s(&["平成27年7月31日 時点", "平成29年3月31日 時点", "平成27年7月31日 時点", "平成29年3月31日 時点"])).unwrap();
        assert_eq!(p[0], ("平成27年7月31日 時点".to_string(), "平成29年3月31日 時点".to_string()));
        // Both pairings possible and different: not read.
        assert_eq!(pair_cells(&s(&["令和1年1月1日 時点", "令和2年1月1日 時点", "令和3年1月1日 時点", "令和4年1月1日 時点"])), None);
        // The later date printed first is 変更後.
        assert_eq!(pair_cells(&s(&["令和2年1月1日 時点", "令和1年1月1日 時点"])).unwrap()[0].0, "令和1年1月1日 時点");
        assert_eq!(pair_cells(&s(&["令和2年1月1日 時点", "令和2年1月1日 時点"])), None);
    }

    /// A made-up change page as pdftotext plain prints it: the 変更日/項目 column, then
    /// the cells (a name cut at its wide spaces, dated cells whole, cut before `時点`,
    /// or two side by side on one line), then the timings.
    fn page(timings: &str, cells: &str) -> String {
        format!(
            "変更箇所\n変更日\n\n項目\n\n令和2年5月1日\n\nⅠ５②所属長\n\n令和2年5月1日\n\nⅡ１いつ時点の計数か\n\n\
             令和3年6月1日 Ⅱ２いつ時点の計数か\n\n令和3年6月1日\n\nⅡ１いつ時点の計数か\n\n変更前の記載\n\n課長\n\n山川\n\n\
             変更後の記載\n\n{cells}\n\n課長 川上\n\n提出時期 提出時期に係る説明\n\n{timings}\n\n 7\n{ff}",
            ff = '\u{c}'
        )
    }

    const CELLS: &str = "令和元年10月1日 時点\n\n令和2年4月1日 時点\n\n令和2年4月1日\n\n時点\n\n令和3年4月1日\n\n時点\n\n令和2年4月1日 時点 令和3年4月1日 時点";

    fn read(t: &str) -> (Vec<Vec<String>>, usize) {
        let r = crate::scraped::rebuild(t, crate::scraped::TextLayout::Pdftotext).unwrap();
        (r.change_rows.unwrap().into_iter().map(|row| row.cells[..5].to_vec()).collect(), r.unreadable_rows)
    }

    #[test]
    fn dated_rows_of_a_page_printed_column_by_column() {
        let (rows, unreadable) = read(&page("事後\n事後\n事後\n\n事後", CELLS));
        let got: Vec<String> = rows.iter().map(|r| r.join("|")).collect();
        assert_eq!(
            got,
            [
                "令和2年5月1日|Ⅱ１いつ時点の計数か|令和元年10月1日 時点|令和2年4月1日 時点|事後",
                "令和3年6月1日|Ⅱ２いつ時点の計数か|令和2年4月1日 時点|令和3年4月1日 時点|事後",
                "令和3年6月1日|Ⅱ１いつ時点の計数か|令和2年4月1日 時点|令和3年4月1日 時点|事後",
            ]
        );
        // The 所属長 row, whose cells are cut and mixed, is counted.
        assert_eq!(unreadable, 1);
    }

    #[test]
    fn dated_rows_that_do_not_pair_with_certainty_are_counted() {
        // Timings that differ: which row is 事前 is not printed.
        assert_eq!(read(&page("事後\n事前\n事後\n\n事後", CELLS)), (Vec::new(), 4));
        // A date whose `時点` was moved away: the run of cells is cut.
        let cut = CELLS.replacen("令和3年4月1日\n\n時点", "令和3年4月1日", 1) + "\n\n課長\n\n時点";
        assert_eq!(read(&page("事後\n事後\n事後\n\n事後", &cut)), (Vec::new(), 4));
        // One cell short of the run's rows.
        let short = CELLS.replacen("令和元年10月1日 時点\n\n", "", 1);
        assert_eq!(read(&page("事後\n事後\n事後\n\n事後", &short)), (Vec::new(), 4));
    }

}
