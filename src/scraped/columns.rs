//! 変更箇所 rows from text printed column by column in blocks (pdfminer.six's text
//! boxes: one block per cell, blocks separated by blank lines, pages by form feeds).
//! Within a page the tool prints each column top to bottom: the rows' 変更日 and 項目
//! (a date block right before an item block), the text cells (変更前, 変更後 of each row,
//! in row order) and the 提出時期 column. Groups of these columns may interleave, but
//! each column keeps the rows' order, so the n-th row takes the n-th timing and the
//! (2n)-th and (2n+1)-th text blocks.
//!
//! That holds only when the counts agree: every row has both texts and a timing, and
//! no 提出時期に係る説明 or cell cut in two adds a block. A page whose counts disagree is
//! not guessed: its rows are counted as unreadable.
//!
//! pdftotext's plain mode prints blocks too, but in an order that mixes the columns of
//! some rows with the rows of others (and may print a row's 変更後 before its 変更前
//! only when the cells' tops differ): there only a row printed whole, one block after
//! another, is read ([`Order::RowByRow`]).

use super::stream::ends_with_label;
use super::{compact, headers, is_timing, leading_date};
use crate::pdf::TableRow;

/// How the tool orders the blocks of a change page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// Each column top to bottom (pdfminer.six): groups of columns may interleave, but
    /// every column keeps the rows' order, so a page's columns are zipped when their
    /// counts agree.
    Columns,
    /// pdftotext plain: the columns keep no common order, so only a row printed whole
    /// is read: its 変更日 and 項目, exactly two text blocks, then its 提出時期. Its item
    /// must be one of the forms' labels (an item printed beside a cell's first line is
    /// no item).
    RowByRow,
}

/// What one block of a change page is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Block {
    /// Column titles and the table's heading (never a cell).
    Header,
    /// A page number.
    PageNumber,
    /// 変更日 and, when printed in the same block, the start of 項目.
    Date(String, Option<String>),
    /// 項目: a reference (`Ⅰ５②…`) with its label.
    Item(String),
    /// 提出時期.
    Timing(String),
    /// Any other text: a 変更前 / 変更後 cell (or a note, which breaks the count).
    Text(String),
    /// A row's start that cannot be read: an item that is no label (printed beside a
    /// cell's line), `true` with its date. Only in [`Order::RowByRow`].
    Spoiled(bool),
}


fn is_reference_start(s: &str) -> bool {
    s.starts_with(['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', 'Ⅵ', 'Ⅶ'])
}

/// Column titles only (`提出時期 提出時期に係る説明` in one block, or a title wrapped
/// over two lines: `提出時期に係る` / `説明`).
fn is_header(c: &str) -> bool {
    let mut ends = vec![false; c.len() + 1];
    ends[0] = true;
    for i in 0..c.len() {
        if ends[i] {
            for h in headers().filter(|h| c[i..].starts_with(*h)) {
                ends[i + h.len()] = true;
            }
        }
    }
    !c.is_empty() && ends[c.len()]
}

/// A date wrapped over the lines of a narrow 変更日 cell (`平成28年4月17` / `日`).
fn wrapped_date(lines: &[&str]) -> Option<String> {
    let joined: String = lines.iter().map(|l| l.trim()).collect();
    (lines.len() <= 3 && leading_date(&joined) == Some(joined.len())).then_some(joined)
}

fn classify(lines: &[&str], order: Order) -> Block {
    let text = lines.join("\n");
    let c = compact(&text);
    if is_header(&c) {
        return Block::Header;
    }
    if c.len() <= 4 && c.chars().all(|ch| ch.is_ascii_digit()) {
        return Block::PageNumber;
    }
    if is_timing(&c) {
        return Block::Timing(c);
    }
    let first = lines[0].trim();
    if let Some(n) = leading_date(first) {
        let rest = first[n..].trim();
        if lines.len() == 1 && rest.is_empty() {
            return Block::Date(first.to_string(), None);
        }
        if is_reference_start(rest) {
            // Date and the item's first line in one block; the item's other lines follow.
            let item: Vec<&str> = std::iter::once(rest).chain(lines[1..].iter().map(|l| l.trim())).collect();
            let item = item.concat();
            if order == Order::Columns || ends_with_label(&item) {
                return Block::Date(first[..n].to_string(), Some(item));
            }
            return Block::Spoiled(true);
        }
    }
    if let Some(date) = wrapped_date(lines) {
        return Block::Date(date, None);
    }
    let item_lines = if order == Order::RowByRow { 4 } else { 2 };
    if is_reference_start(first) && lines.len() <= item_lines {
        let item = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().concat();
        if order == Order::Columns || ends_with_label(&item) {
            return Block::Item(item);
        }
        return Block::Spoiled(false);
    }
    Block::Text(text)
}

/// A text block with a timing at the end of one of its lines (`…カード等 事前`: the
/// tool joined the 提出時期 cell to a cell's line on its baseline): the text without it,
/// and the timing.
fn timing_apart(lines: &[&str]) -> Option<(String, String)> {
    let at_end = |l: &str| l.trim_end().rsplit_once([' ', '　']).filter(|(head, last)| is_timing(last) && !head.trim().is_empty()).map(|(head, last)| (head.trim_end().to_string(), last.to_string()));
    let found: Vec<usize> = (0..lines.len()).filter(|&i| at_end(lines[i]).is_some()).collect();
    let [i] = found[..] else { return None };
    let (head, timing) = at_end(lines[i])?;
    let text: Vec<&str> = lines[..i].iter().copied().chain(std::iter::once(head.as_str())).chain(lines[i + 1..].iter().copied()).collect();
    Some((text.join("\n"), timing))
}

/// Blocks of one page: runs of non-blank lines.
fn blocks(page: &str, order: Order) -> Vec<Block> {
    blocks_of(page, order, false)
}

/// [`blocks`], with a block whose every line is a 変更日 or a 項目 (or both) cut into one
/// block per line: pdftotext joins the date or item cells of short rows that follow each
/// other into one block.
pub(super) fn mark_lines_apart(page: &str) -> Vec<Block> {
    blocks_of(page, Order::RowByRow, true)
}

fn blocks_of(page: &str, order: Order, apart: bool) -> Vec<Block> {
    let mut out = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let is_mark = |l: &&str| matches!(classify(&[*l], order), Block::Date(..) | Block::Item(_) | Block::Spoiled(_));
    let push = |run: &[&str], out: &mut Vec<Block>| match classify(run, order) {
        _ if apart && run.len() > 1 && run.iter().all(is_mark) => out.extend(run.iter().map(|l| classify(&[*l], order))),
        Block::Text(t) => match timing_apart(run) {
            Some((text, timing)) => out.extend([Block::Text(text), Block::Timing(timing)]),
            None => out.push(Block::Text(t)),
        },
        b => out.push(b),
    };
    for l in page.split('\n').map(|l| l.trim_end_matches('\r')) {
        if l.trim().is_empty() {
            if !run.is_empty() {
                push(&run, &mut out);
                run.clear();
            }
        } else {
            run.push(l);
        }
    }
    if !run.is_empty() {
        push(&run, &mut out);
    }
    out
}

/// What a page's blocks are, in the order printed.
enum Event {
    Mark(String, String),
    Text(String),
    Timing(String),
    /// A row seen but not readable (pdftotext plain); `true` when it is counted here (its
    /// date was seen: an item alone is the end of a row counted by its date).
    Spoiled(bool),
}

/// An item cut over two blocks (`Ⅰ２特定個人情報ファイ` / `ル名`): the next block is
/// joined when it is short and completes one of the forms' labels.
fn completes_item(item: &str, next: Option<&Block>) -> Option<String> {
    let Some(Block::Text(t)) = next else { return None };
    let ends_label = |s: &str| {
        let k: Vec<char> = super::flat::match_key(s).chars().collect();
        super::flat::labels().longest_suffix(&k).is_some()
    };
    let joined = format!("{}{}", item, t.trim());
    (!t.contains('\n') && t.trim().chars().count() <= 6 && !ends_label(item) && ends_label(&joined)).then_some(joined)
}

fn events(blocks: Vec<Block>, order: Order) -> Vec<Event> {
    let mut out = Vec::new();
    let mut it = blocks.into_iter().peekable();
    while let Some(b) = it.next() {
        let mark = match b {
            Block::Header | Block::PageNumber => continue,
            Block::Date(d, Some(item)) => (d, item),
            // A row starts where a date is followed by its item; a date alone is a text.
            Block::Date(d, None) => match it.peek() {
                Some(Block::Item(_)) => {
                    let Some(Block::Item(item)) = it.next() else { unreachable!() };
                    (d, item)
                }
                // (pdftotext plain: a cell may be a date, but so may a row's date
                // whose item is spoiled; neither is read.)
                Some(Block::Spoiled(_)) => {
                    it.next();
                    out.push(Event::Spoiled(true));
                    continue;
                }
                // pdftotext plain: a cell may be a date, and so may be a row's date
                // whose item is spoiled: neither is read, nor counted here (the caller
                // counts the rows by their timings).
                _ => {
                    out.push(if order == Order::RowByRow { Event::Spoiled(false) } else { Event::Text(d) });
                    continue;
                }
            },
            // An item without its date: a row not printed whole.
            Block::Item(_) if order == Order::RowByRow => {
                out.push(Event::Spoiled(false));
                continue;
            }
            Block::Spoiled(dated) => {
                out.push(Event::Spoiled(dated));
                continue;
            }
            Block::Item(t) | Block::Text(t) => {
                out.push(Event::Text(t));
                continue;
            }
            Block::Timing(t) => {
                out.push(Event::Timing(t));
                continue;
            }
        };
        let (d, item) = mark;
        let item = match completes_item(&item, it.peek()) {
            Some(joined) => {
                it.next();
                joined
            }
            None => item,
        };
        out.push(Event::Mark(d, item));
    }
    out
}

/// The rows of one page, how many were left out and whether text the rows do not take
/// opens the page, or `Err(rows seen)` when nothing of the page can be trusted.
fn page_rows(blocks: Vec<Block>, page: u32, order: Order) -> Result<(Vec<TableRow>, usize, bool), usize> {
    let events = events(blocks, order);
    if order == Order::RowByRow {
        return Ok(whole_rows(&events, page));
    }
    let marks: Vec<(&String, &String)> = events.iter().filter_map(|e| if let Event::Mark(d, i) = e { Some((d, i)) } else { None }).collect();
    let texts: Vec<&String> = events.iter().filter_map(|e| if let Event::Text(t) = e { Some(t) } else { None }).collect();
    let timings: Vec<&String> = events.iter().filter_map(|e| if let Event::Timing(t) = e { Some(t) } else { None }).collect();
    if marks.is_empty() && texts.is_empty() && timings.is_empty() {
        return Ok((Vec::new(), 0, false));
    }
    let row = |(date, item): (&String, &String), before: &String, after: &String, timing: &String| TableRow {
        page,
        cells: vec![date.clone(), item.clone(), before.clone(), after.clone(), timing.clone(), String::new()],
    };
    if marks.is_empty() || timings.len() != marks.len() {
        return Err(marks.len().max(timings.len()));
    }
    if order == Order::Columns && texts.len() == 2 * marks.len() {
        let rows = marks.iter().zip(&timings).enumerate().map(|(n, (m, t))| row(*m, texts[2 * n], texts[2 * n + 1], t)).collect();
        return Ok((rows, 0, false));
    }
    // The counts disagree (notes, cells of two rows interleaved): each run of rows is
    // read with the text blocks printed right after it, when there are exactly two per
    // row; the timing column still keeps the rows' order. A timing ends a run: the
    // blocks after it (notes) wait for no row.
    let mut rows = Vec::new();
    let mut lost = 0;
    let (mut run, mut cells): (Vec<usize>, Vec<&String>) = (Vec::new(), Vec::new());
    let mut n = 0;
    let close = |run: &mut Vec<usize>, cells: &mut Vec<&String>, rows: &mut Vec<TableRow>, lost: &mut usize| {
        if cells.len() == 2 * run.len() && (order == Order::Columns || run.len() == 1) {
            rows.extend(run.iter().enumerate().map(|(k, &m)| row(marks[m], cells[2 * k], cells[2 * k + 1], timings[m])));
        } else {
            *lost += run.len();
        }
        run.clear();
        cells.clear();
    };
    for e in &events {
        match e {
            Event::Mark(..) => {
                if !cells.is_empty() {
                    close(&mut run, &mut cells, &mut rows, &mut lost);
                }
                run.push(n);
                n += 1;
            }
            Event::Text(t) if !run.is_empty() => cells.push(t),
            Event::Text(_) | Event::Spoiled(_) => {}
            Event::Timing(_) => {
                if !run.is_empty() {
                    close(&mut run, &mut cells, &mut rows, &mut lost);
                }
            }
        }
    }
    close(&mut run, &mut cells, &mut rows, &mut lost);
    // Text before the page's first row may end the previous page's last row.
    let leading_text = matches!(events.iter().find(|e| !matches!(e, Event::Timing(_))), Some(Event::Text(_)));
    Ok((rows, lost, leading_text))
}

/// The rows printed whole, one block after another: a row's 変更日 and 項目, exactly two
/// text blocks (変更前, 変更後) and the timing that ends it. Any other row seen (a mark
/// with one text or three, a timing missing, two marks in a row) is counted as lost.
/// Texts after a timing wait for no row (notes); so do texts before the page's first
/// mark, which may end the previous page's last row (told to the caller).
fn whole_rows(events: &[Event], page: u32) -> (Vec<TableRow>, usize, bool) {
    let mut rows = Vec::new();
    let mut lost = 0;
    let mut open: Option<(&String, &String, Vec<&String>)> = None;
    for e in events {
        match e {
            Event::Mark(date, item) => {
                lost += usize::from(open.is_some());
                open = Some((date, item, Vec::new()));
            }
            Event::Text(t) => {
                if let Some((_, _, cells)) = &mut open {
                    cells.push(t);
                }
            }
            Event::Spoiled(dated) => lost += usize::from(*dated) + usize::from(open.take().is_some()),
            Event::Timing(timing) => match open.take() {
                Some((date, item, cells)) => match cells[..] {
                    [before, after] => rows.push(TableRow { page, cells: vec![date.clone(), item.clone(), before.clone(), after.clone(), timing.clone(), String::new()] }),
                    _ => lost += 1,
                },
                None => {}
            },
        }
    }
    lost += usize::from(open.is_some());
    let leading_text = matches!(events.iter().find(|e| !matches!(e, Event::Timing(_))), Some(Event::Text(_)));
    (rows, lost, leading_text)
}

/// Change rows of a block-printed text and the number of rows left out. `None`: the
/// text has no 変更箇所 heading.
pub(super) fn rows(text: &str, order: Order) -> Option<(Vec<TableRow>, usize)> {
    let start = text.split('\n').scan(0usize, |at, l| {
        let s = *at;
        *at += l.len() + 1;
        Some((s, l))
    });
    let at = start.filter(|(_, l)| super::is_changes_heading(&compact(l))).map(|(s, _)| s).last()?;
    let mut out: Vec<TableRow> = Vec::new();
    let mut unreadable = 0;
    let mut last_ok = false;
    for (n, page) in text[at..].split('\u{c}').enumerate() {
        let page_blocks = blocks(page, order);
        // pdftotext plain, no row printed whole: the `いつ時点の計数か` rows its cells
        // tell apart (none of them can continue onto the next page: their counts agree).
        if order == Order::RowByRow {
            let typed = super::typed_rows::page_rows(page, n as u32);
            if let (false, Ok((rows, _, leading_text))) = (typed.is_empty(), page_rows(page_blocks.clone(), n as u32, order)) {
                if rows.is_empty() {
                    if last_ok && leading_text {
                        out.pop();
                        unreadable += 1;
                    }
                    unreadable += super::change_dates(&format!("変更箇所\n{page}")).saturating_sub(typed.len());
                    out.extend(typed);
                    last_ok = false;
                    continue;
                }
            }
        }
        match page_rows(page_blocks, n as u32, order) {
            Ok((rows, lost, leading_text)) => {
                if last_ok && leading_text {
                    out.pop();
                    unreadable += 1;
                }
                last_ok = !rows.is_empty();
                out.extend(rows);
                unreadable += lost;
            }
            Err(seen) => {
                // A page of cells without rows may hold the end of the previous page's
                // last row: that row is not trusted either.
                if last_ok && seen == 0 {
                    out.pop();
                    unreadable += 1;
                }
                unreadable += seen;
                last_ok = false;
            }
        }
    }
    Some((out, unreadable))
}

#[cfg(test)]
mod tests {
    use super::Order;

    fn page(rows: &[(&str, &str, &str, &str, &str)]) -> String {
        let mut t = String::from("変更箇所\n\n変更日\n\n項目\n\n変更前の記載\n\n変更後の記載\n\n提出時期 提出時期に係る説明\n\n");
        for r in rows {
            t += &format!("{}\n\n{}\n\n", r.0, r.1);
        }
        for r in rows {
            t += &format!("{}\n\n{}\n\n", r.2, r.3);
        }
        for r in rows {
            t += &format!("{}\n\n", r.4);
        }
        t + " 5\n\u{c}"
    }

    #[test]
    fn columns_are_zipped_in_order() {
        let t = page(&[("令和3年1月15日", "Ⅱ１いつ時点の計数か", "令和２年\n１月", "令和３年", "事後"), ("令和5年2月21日", "Ⅰ５②所属長", "課長　Ａ", "課長　Ｂ", "事前")]);
        let (rows, bad) = super::rows(&t, Order::Columns).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells, ["令和3年1月15日", "Ⅱ１いつ時点の計数か", "令和２年\n１月", "令和３年", "事後", ""]);
        assert_eq!(rows[1].cells[..5], ["令和5年2月21日", "Ⅰ５②所属長", "課長　Ａ", "課長　Ｂ", "事前"]);
    }

    #[test]
    fn cells_before_their_row_wait_for_it() {
        // Texts of a row printed before its date and item (as pdfminer does).
        let t = "変更箇所\n\n変更日\n\nＡ\n\nＢ\n\n令和3年1月15日\n\nⅠ３法令上の根拠\n\n事後\n\n 5\n";
        let (rows, bad) = super::rows(t, Order::Columns).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(rows[0].cells[..5], ["令和3年1月15日", "Ⅰ３法令上の根拠", "Ａ", "Ｂ", "事後"]);
    }

    #[test]
    fn counts_that_disagree_give_no_row() {
        // A 提出時期に係る説明 printed among the cells of a run of rows: that run is not
        // guessed.
        let t = "変更箇所\n\n令和3年1月15日\n\nⅠ３法令上の根拠\n\n令和5年2月21日\n\nⅠ５②所属長\n\nＡ\n\nＢ\n\n軽微な変更であるため\n\nＣ\n\nＤ\n\n事後\n\n事後\n\n 5\n";
        let (rows, bad) = super::rows(t, Order::Columns).unwrap();
        assert!(rows.is_empty());
        assert_eq!(bad, 2);
        // After the timing column, it waits for no row.
        let t = page(&[("令和3年1月15日", "Ⅰ３法令上の根拠", "Ａ", "Ｂ", "事後\n\n軽微な変更であるため"), ("令和5年2月21日", "Ⅰ５②所属長", "Ｃ", "Ｄ", "事後")]);
        let (rows, bad) = super::rows(&t, Order::Columns).unwrap();
        assert_eq!((rows.len(), bad), (2, 0));
        assert_eq!(rows[1].cells[..5], ["令和5年2月21日", "Ⅰ５②所属長", "Ｃ", "Ｄ", "事後"]);
        // A missing timing, too.
        let t = page(&[("令和3年1月15日", "Ⅰ３法令上の根拠", "Ａ", "Ｂ", "")]);
        let (rows, bad) = super::rows(&t, Order::Columns).unwrap();
        assert!(rows.is_empty());
        assert_eq!(bad, 1);
    }

    #[test]
    fn a_cell_running_onto_the_next_page_drops_the_last_row() {
        let mut t = page(&[("令和3年1月15日", "Ⅰ３法令上の根拠", "Ａ", "Ｂ", "事後")]);
        t += "変更日\n\n項目\n\nＢの続き\n\n 6\n";
        let (rows, bad) = super::rows(&t, Order::Columns).unwrap();
        assert!(rows.is_empty());
        assert_eq!(bad, 1);
    }

    #[test]
    fn runs_of_rows_when_the_page_counts_disagree() {
        // Notes after the first row's timing; the cells of two rows interleaved; an item
        // cut over two blocks.
        let t = "変更箇所\n\n変更日\n\n令和3年1月15日\n\nⅠ３法令上の根拠\n\nＡ\n\nＢ\n\n事後\n\n軽微な変更\n\n令和3年2月1日\n\nⅠ５②所属長\n\n令和3年3月1日\n\nⅡ１いつ時点の計数か\n\nＣ\n\nＤ\n\nＥ\n\nＦ\n\n令和4年1月1日 Ⅰ２特定個人情報ファイ\n\nル名\n\nＧ\n\n令和4年2月1日\n\nⅡ１対象人数\n\nＨ\n\nＩ\n\nＪ\n\n事前\n\n事後\n\n事後\n\n事後\n\n 5\n";
        let (rows, bad) = super::rows(t, Order::Columns).unwrap();
        assert_eq!(bad, 2, "{rows:?}");
        let got: Vec<_> = rows.iter().map(|r| r.cells[..5].join("|")).collect();
        assert_eq!(got, ["令和3年1月15日|Ⅰ３法令上の根拠|Ａ|Ｂ|事後", "令和3年2月1日|Ⅰ５②所属長|Ｃ|Ｄ|事前", "令和3年3月1日|Ⅱ１いつ時点の計数か|Ｅ|Ｆ|事後"]);
    }

    /// pdftotext plain: rows printed whole are read (a date wrapped in its narrow cell,
    /// a timing joined to a cell's line, a column title wrapped in two).
    #[test]
    fn rows_printed_whole_are_read() {
        let t = "（別添３）変更箇所\n変更日\n\n項目\n\n変更前の記載\n\n変更後の記載\n\n提出時期\n\n提出時期に係る\n説明\n\n\
                 平成２９年６月\n１１日\n\nⅠ５②所属長\n\n市民課長　Ａ\n\n市民課長　Ｂ\n\n事前\n\n任意に事前の提出を\n行うもの\n\n\
                 令和3年9月20日 Ⅱ１いつ時点の計数か\n\n令和２年\n１月１日時点\n\n令和３年１月１日 事後\n時点\n\n 17\n\u{c}";
        let (rows, bad) = super::rows(t, Order::RowByRow).unwrap();
        assert_eq!(bad, 0);
        let got: Vec<_> = rows.iter().map(|r| r.cells[..5].join("|")).collect();
        assert_eq!(got, ["平成２９年６月１１日|Ⅰ５②所属長|市民課長　Ａ|市民課長　Ｂ|事前", "令和3年9月20日|Ⅱ１いつ時点の計数か|令和２年\n１月１日時点|令和３年１月１日\n時点|事後"]);
    }

    /// pdftotext plain printing the columns one after another (all dates and items, then
    /// the texts, then the timings): no row is read, every row is counted.
    #[test]
    fn columns_that_do_not_line_up_give_no_row() {
        let t = "変更箇所\n変更日\n\n項目\n\n令和3年1月15日\n\nⅠ３法令上の根拠\n\n令和5年2月21日\n\nⅠ５②所属長\n\n\
                 変更前の記載\n\nＡ\n\nＢ\n\nＣ\n\nＤ\n\n事後\n\n事前\n\n 5\n\u{c}";
        let (rows, bad) = super::rows(t, Order::RowByRow).unwrap();
        assert!(rows.is_empty());
        assert_eq!(bad, 2);
        // The same page zipped column by column (pdfminer) gives both rows.
        assert_eq!(super::rows(t, Order::Columns).unwrap().0.len(), 2);
        let r = crate::scraped::rebuild(t, crate::scraped::TextLayout::Pdftotext).unwrap();
        assert_eq!(r.change_rows.map(|rows| rows.len()), Some(0));
        assert_eq!(r.unreadable_rows, 2);
    }

    /// An item printed beside a cell's first line (`Ⅱ３⑦使用の主体` / `署`, with `使用部`
    /// before the cell) is no item: its row is not read.
    #[test]
    fn an_item_that_is_no_label_gives_no_row() {
        let t = "変更箇所\n\n令和4年3月26日\n\nⅡ３⑦使用の主体\n署\n\n使用部 システムへのログインは\n行う。\n\nアクセスは限る。\n\n事後\n\n 5\n";
        let (rows, bad) = super::rows(t, Order::RowByRow).unwrap();
        assert!(rows.is_empty(), "{rows:?}");
        assert_eq!(bad, 1);
    }

    #[test]
    fn a_date_alone_is_a_text() {
        let t = page(&[("令和3年1月15日", "Ⅰ公表日", "令和2年1月1日", "令和3年1月15日", "事後")]);
        let (rows, bad) = super::rows(&t, Order::Columns).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(rows[0].cells[..5], ["令和3年1月15日", "Ⅰ公表日", "令和2年1月1日", "令和3年1月15日", "事後"]);
    }
}

/// The sheet's name cell (事務の名称) printed in one block with the cell below it (the
/// tools join cells of one column that touch). The cover's 評価書名 is that name followed
/// by the kind (`○○事務 基礎項目評価書`), so the first block of the body that opens with
/// exactly that name on a line of its own is cut after it. Nothing is cut without that
/// evidence.
pub(super) fn split_name_cell(lines: &mut Vec<String>) {
    let kinds = &crate::form::FormSet::current().common.kinds;
    let Some((at, name)) = lines.iter().enumerate().find_map(|(i, l)| {
        // The title alone, or after the 評価書番号 on the same line (`15 ○○事務 基礎項目評価書`).
        let mut words: Vec<&str> = l.split_whitespace().collect();
        if words.len() > 1 && words[0].chars().all(|ch| ch.is_ascii_digit() || ('０'..='９').contains(&ch)) {
            words.remove(0);
        }
        let c = compact(&words.concat());
        let kind = kinds.iter().map(|k| k.short.as_str()).find(|k| c.ends_with(k))?;
        let name = &c[..c.len() - kind.len()];
        (name.chars().count() >= 2 && !c.contains("特定個人情報保護評価書") && !name.contains("評価書")).then(|| (i, name.to_string()))
    }) else {
        return;
    };
    let cut = (at + 1..lines.len().saturating_sub(1)).find(|&i| {
        compact(&lines[i]) == name && !lines[i + 1].trim().is_empty() && (i == 0 || lines[i - 1].trim().is_empty())
    });
    if let Some(i) = cut {
        lines.insert(i + 1, String::new());
    }
}

/// A 部署 cell printed in two parts (`市民部` … `市民課`: the tool cuts a cell at a wide
/// space and prints the right part after the cells left of it below). The right part is
/// told by the 所属長's title printed between: the head of the unit it names
/// (`市民課` + `長` = `市民課長`). So a one-line block right after a one-line value that
/// is itself plus `長`, with one label block between that value and the one-line block
/// before it, goes back after that block. Nothing moves without that evidence.
pub(super) fn join_unit_to_department(lines: &mut Vec<String>) {
    // Blocks of one line: (line index) in order, with what lies between them.
    let single = |i: usize, lines: &[String]| {
        !lines[i].trim().is_empty() && (i == 0 || lines[i - 1].trim().is_empty()) && lines.get(i + 1).is_none_or(|l| l.trim().is_empty())
    };
    let starts: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].trim().is_empty() && (i == 0 || lines[i - 1].trim().is_empty())).collect();
    for w in starts.windows(4) {
        let [dept, _label, title, unit] = [w[0], w[1], w[2], w[3]];
        if ![dept, w[1], title, unit].iter().all(|&i| single(i, lines)) {
            continue;
        }
        let u = compact(&lines[unit]);
        if u.chars().count() >= 2 && compact(&lines[title]) == format!("{u}長") && !compact(&lines[dept]).ends_with(&u) {
            lines[dept] = format!("{}　{}", lines[dept].trim_end(), lines[unit].trim());
            lines.remove(unit);
            if lines.get(unit).is_some_and(|l| l.trim().is_empty()) {
                lines.remove(unit);
            }
            return;
        }
    }
}

/// A label printed after its value in one block (`３．個人番号の利用` / value lines /
/// `法令上の根拠`: the label is centred on its tall value cell, and the tool joins the
/// heading above, the value and the label in one block). When a block ends with a value
/// label and the nearest label above it is a heading (no value follows it), with value
/// lines between, the label is put back right under the heading, before its value.
pub(super) fn label_before_its_value(lines: &mut [String]) {
    let labels = super::flat::labels();
    let mut start = 0;
    while start < lines.len() {
        let end = (start..lines.len()).find(|&i| lines[i].trim().is_empty()).unwrap_or(lines.len());
        // The heading nearest above the block's last line, with value lines between.
        let heading = (start..end.saturating_sub(1)).rev().find(|&i| labels.kind_of(&lines[i]).is_some()).filter(|&h| labels.kind_of(&lines[h]) == Some(true));
        if let Some(h) = heading.filter(|&h| end - h >= 3 && labels.kind_of(&lines[end - 1]) == Some(false)) {
            lines[h + 1..end].rotate_right(1);
        }
        start = end + 1;
    }
}

#[cfg(test)]
mod department {
    use super::join_unit_to_department;
    use super::name_cell::lines;

    #[test]
    fn a_label_after_its_value_goes_before_it() {
        let mut l = lines("２．特定個人情報ファイル名\nＡファイル\n３．個人番号の利用\n番号法 第7条\n住民基本台帳法 第5条\n法令上の根拠\n\n４．情報提供ネットワークシステムによる情報連携");
        super::label_before_its_value(&mut l);
        assert_eq!(l[..6], ["２．特定個人情報ファイル名", "Ａファイル", "３．個人番号の利用", "法令上の根拠", "番号法 第7条", "住民基本台帳法 第5条"]);
        // A block that does not open with a heading stays as it is.
        let t = "番号法 第7条\n住民基本台帳法 第5条\n法令上の根拠\n";
        let mut l = lines(t);
        super::label_before_its_value(&mut l);
        assert_eq!(l, lines(t));
    }

    #[test]
    fn the_unit_goes_back_to_its_department() {
        let mut l = lines("①部署\n\n市民部\n\n②所属長の役職名\n\n市民課長\n\n市民課\n\n６．他の評価実施機関");
        join_unit_to_department(&mut l);
        assert_eq!(l, lines("①部署\n\n市民部　市民課\n\n②所属長の役職名\n\n市民課長\n\n６．他の評価実施機関"));
        // Without the title naming it, nothing moves.
        let t = "①部署\n\n市民部\n\n②所属長の役職名\n\n市民部長\n\n市民課\n\n６．他の評価実施機関";
        let mut l = lines(t);
        join_unit_to_department(&mut l);
        assert_eq!(l, lines(t));
    }
}

#[cfg(test)]
mod name_cell {
    use super::split_name_cell;

    /// A text's lines, as the column readers take them (also used by `department`).
    pub(super) fn lines(t: &str) -> Vec<String> {
        t.split('\n').map(str::to_string).collect()
    }

    #[test]
    fn the_name_is_cut_from_the_cell_below() {
        let mut l = lines("評価書番号 評価書名\n12 ○○に関する事務 基礎項目評価書\n\n①事務の名称\n\n②事務の概要\n\n○○に関する事務\n【概要】\n○○を行う。");
        split_name_cell(&mut l);
        assert_eq!(l[7..], ["○○に関する事務", "", "【概要】", "○○を行う。"]);
    }

    #[test]
    fn nothing_is_cut_without_the_title() {
        let t = "評価書名\n\n○○ 基礎項目評価書\n\n①事務の名称\n\n②事務の概要\n\n○○に関する事務\n【概要】\n○○を行う。";
        let mut l = lines(t);
        split_name_cell(&mut l);
        assert_eq!(l, lines(t));
    }
}
