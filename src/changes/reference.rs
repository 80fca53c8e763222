//! The change-history reader as it was before it was made linear in its rows (commit
//! acdd7bc), kept verbatim as the test oracle: the linear reader in `changes.rs` must
//! give the same rows and warnings on every input (see `tests::same_as_the_reference`).
//! Not compiled outside tests.

use crate::normalize::{find_date_in_key, join_cell_lines, key, parse_date};
use crate::reassemble::{is_change_row_start, Line};
use crate::record::{Change, Warning};
use crate::form::ChangeTable;
use std::collections::HashSet;

/// A row as found in the text, before its cells are split.
struct RawRow {
    date_text: String,
    item: String,
    /// Cells or blocks between the item and the timing, each a list of lines.
    blocks: Vec<Vec<String>>,
    /// The match key of each block (its lines' keys joined).
    block_keys: Vec<String>,
    timing: Option<String>,
    note: Vec<String>,
    /// Sort key for ties: (page, position in the page's table order).
    order: (usize, usize),
    /// Non-empty lines of the dump this row was read from.
    lines_used: usize,
}

/// Rows of the change table from the dump's lines at and after `start`.
/// `known` holds the current values of the body (match keys) for the chain evidence.
pub(super) fn from_text(lines: &[Line], start: usize, table: &ChangeTable, known: &HashSet<String>, warnings: &mut Vec<Warning>) -> Vec<Change> {
    let region = &lines[start.min(lines.len())..];
    let raw = rows_of(region, table);
    // Lines of the table that no row took (rows whose date was drawn apart from the
    // rest of the row): say so rather than drop them silently.
    let taken: usize = raw.iter().map(|r| r.lines_used).sum();
    let header = key(&table.header);
    let heading = key(&table.heading);
    let stray = region.iter().filter(|l| !l.key().is_empty() && l.key() != heading && !l.key().starts_with(&header)).count().saturating_sub(taken);
    if stray > 0 {
        warnings.push(Warning {
            path: "changes".into(),
            code: "unreadable_rows".into(),
            message: format!("{stray} line(s) of the 変更箇所 table could not be tied to a row (dates drawn apart from their rows); read the PDF instead for the full table"),
        });
    }
    split_rows(raw, table, known, warnings)
}

/// Split the change pages into pages (runs of three or more empty lines mark a page
/// break in pdf-extract dumps) and rows (a line that starts with a date and an item).
fn rows_of(lines: &[Line], table: &ChangeTable) -> Vec<RawRow> {
    let header = key(&table.header);
    let heading = key(&table.heading);
    let timings: Vec<String> = table.timings.iter().map(|t| key(t)).collect();
    // Page boundaries.
    let mut pages: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    let mut blank_run = 0;
    for (i, l) in lines.iter().enumerate() {
        if l.key().is_empty() {
            blank_run += 1;
        } else {
            if blank_run >= 3 && i > start {
                pages.push((start, i - blank_run));
                start = i;
            }
            blank_run = 0;
        }
    }
    pages.push((start, lines.len()));
    let mut rows = Vec::new();
    for (page_no, &(ps, pe)) in pages.iter().enumerate() {
        let page = &lines[ps..pe];
        let header_at = page.iter().position(|l| l.key().starts_with(&header));
        let starts: Vec<usize> = (0..page.len()).filter(|&i| is_change_row_start(&page[i].key(), table)).collect();
        for (n, &s) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(page.len());
            let body: Vec<&Line> = page[s..end].iter().filter(|l| !l.key().starts_with(&header) && l.key() != heading).collect();
            // Rows drawn after the page's header come first in the table; rows drawn
            // before it belong below them (Excel draws some rows ahead of the header).
            let pos = match header_at {
                Some(h) if s > h => s - h,
                Some(_) => page.len() + s,
                None => s,
            };
            if let Some(row) = parse_row(&body, &timings, (page_no, pos)) {
                rows.push(row);
            }
        }
    }
    rows
}

/// True for an item token that is only a reference (`Ⅰ`, `Ⅰ５②`) without its label.
fn is_bare_reference(token: &str) -> bool {
    let k = key(token);
    !k.is_empty() && k.chars().all(|c| c.is_ascii_digit() || matches!(c, 'I' | 'V' | 'X' | '.' | '-'))
}

fn parse_row(lines: &[&Line], timings: &[String], order: (usize, usize)) -> Option<RawRow> {
    let first = lines.first()?.raw().trim();
    let mut tokens: Vec<&str> = first.split(' ').filter(|t| !t.is_empty()).collect();
    // The date: leading tokens up to where the date ends.
    let mut date_end = 1;
    while date_end < tokens.len() && find_date_in_key(&key(&tokens[..date_end].concat()), false).is_none() {
        date_end += 1;
    }
    let date_text = tokens[..date_end].join("");
    tokens.drain(..date_end);
    // The item; a bare reference is joined with the label that follows (`Ⅰ システムの名称`).
    let mut item_len = 1.min(tokens.len());
    while item_len < tokens.len() && is_bare_reference(&tokens[..item_len].join("")) {
        item_len += 1;
    }
    let item = tokens[..item_len].join(" ");
    tokens.drain(..item_len);
    let mut blocks = Blocks::default();
    let mut timing = None;
    let mut note: Vec<String> = Vec::new();
    // One-line cells on the first line.
    for (i, t) in tokens.iter().enumerate() {
        if timings.contains(&key(t)) && timing.is_none() {
            timing = Some(t.to_string());
            if i + 1 < tokens.len() {
                note.push(tokens[i + 1..].join(" "));
            }
            break;
        }
        blocks.line(t.to_string(), &key(t));
        blocks.close();
    }
    // Multi-line cells below: blocks separated by empty lines, then the timing.
    for l in &lines[1..] {
        if timing.is_some() {
            if !l.key().is_empty() {
                note.push(l.raw().trim().to_string());
            }
            continue;
        }
        if l.key().is_empty() {
            blocks.close();
            continue;
        }
        let trimmed = l.raw().trim();
        if let Some(t) = timings.iter().find(|t| l.key() == **t || l.key().starts_with(t.as_str()) && trimmed.contains(' ')) {
            blocks.close();
            let rest = trimmed.split_once(' ').map(|x| x.1).unwrap_or("").trim();
            timing = Some(t.clone());
            if !rest.is_empty() {
                note.push(rest.to_string());
            }
            continue;
        }
        // A cell line ending in ` 事後` (the timing drawn on the same line).
        if let Some((head, tail)) = trimmed.rsplit_once(' ') {
            if timings.contains(&key(tail)) {
                blocks.line(head.to_string(), &key(head));
                blocks.close();
                timing = Some(tail.to_string());
                continue;
            }
        }
        blocks.line(l.raw().to_string(), &l.key());
    }
    blocks.close();
    let lines_used = lines.iter().filter(|l| !l.key().is_empty()).count();
    Some(RawRow { date_text, item, blocks: blocks.lines, block_keys: blocks.keys, timing, note, order, lines_used })
}

/// A row's blocks as they are gathered, each with its key (kept from the lines, which
/// are keyed already, instead of keyed again).
#[derive(Default)]
struct Blocks {
    lines: Vec<Vec<String>>,
    keys: Vec<String>,
    current: Vec<String>,
    current_key: String,
}

impl Blocks {
    fn line(&mut self, raw: String, key: &str) {
        self.current.push(raw);
        self.current_key.push_str(key);
    }

    /// End the current block (if it has lines).
    fn close(&mut self) {
        if !self.current.is_empty() {
            self.lines.push(std::mem::take(&mut self.current));
            self.keys.push(std::mem::take(&mut self.current_key));
        }
    }
}

fn cell_text(blocks: &[Vec<String>]) -> Option<String> {
    let lines: Vec<&str> = blocks.iter().flatten().map(String::as_str).collect();
    let t = join_cell_lines(&lines);
    (!t.is_empty()).then_some(t)
}

/// Where 変更後 starts among a row's blocks, and whether the document proves it.
/// `known`: the body's current values and the cells of rows already settled (the
/// chain); `current`: the body's current values only, given for a row that is the
/// newest for its item (no later row changed the item since).
fn split_point(blocks: &[Vec<String>], bk: &[String], markers: &[String], is_known: &dyn Fn(&str) -> bool, current: Option<&HashSet<String>>) -> (usize, bool) {
    let n = blocks.len();
    if n <= 1 {
        return (0, false);
    }
    if let Some(m) = (1..n).find(|&i| markers.iter().any(|mk| blocks[i].first().is_some_and(|l| key(l).starts_with(mk.as_str())))) {
        return (m, true);
    }
    if n == 2 {
        return (1, true);
    }
    // `bk`: each block's key; the key of a run of blocks is their concatenation (same
    // as keying the run's lines).
    let scores: Vec<(usize, usize)> = (1..n).map(|k| (k, is_known(&bk[..k].concat()) as usize + is_known(&bk[k..].concat()) as usize)).collect();
    let best = scores.iter().map(|s| s.1).max().unwrap_or(0);
    if best > 0 && scores.iter().filter(|s| s.1 == best).count() == 1 {
        return (scores.iter().find(|s| s.1 == best).map_or(1, |s| s.0), true);
    }
    // A cell that starts over: the 変更後 text repeats the 変更前 text's first line.
    let head = blocks[0].first().map(|l| key(l)).unwrap_or_default();
    if let Some(j) = (1..n).find(|&j| blocks[j].first().map(|l| key(l)) == Some(head.clone())) {
        return (j, true);
    }
    // The newest row of an item changed it to its current value (give or take later
    // edits the table does not record), so 変更後 starts at the one block whose first
    // line begins a current value of the body. Only the opening is compared: later
    // edits tend to change the wording further on, not the heading. Keys join lines,
    // so wrapping does not matter. When 変更前 opens like a current value too, this
    // says nothing.
    if let Some(current) = current {
        let opens_a_value = |b: &Vec<String>| b.first().map(|l| key(l)).is_some_and(|h| !h.is_empty() && current.iter().any(|v| v.starts_with(&h)));
        let opens: Vec<usize> = (0..n).filter(|&j| opens_a_value(&blocks[j])).collect();
        if let [j] = opens[..] {
            if j > 0 {
                return (j, true);
            }
        }
    }
    // Last resort: the split that balances the two cells' lengths.
    let counts: Vec<usize> = bk.iter().map(|k| k.chars().count()).collect();
    let total: usize = counts.iter().sum();
    let k = (1..n).min_by_key(|&k| (counts[..k].iter().sum::<usize>() * 2).abs_diff(total)).unwrap_or(1);
    (k, false)
}

fn split_rows(raw: Vec<RawRow>, table: &ChangeTable, known: &HashSet<String>, warnings: &mut Vec<Warning>) -> Vec<Change> {
    let markers: Vec<String> = table.addition_markers.iter().map(|m| key(m)).collect();
    let current = known;
    // Cells of rows already split, added to the body's values as evidence.
    let mut settled: HashSet<String> = HashSet::new();
    // A row is the newest for its item when no other row changed the same item later.
    let items: Vec<(String, Option<String>)> = raw.iter().map(|r| (key(&r.item), parse_date(&r.date_text))).collect();
    let newest: Vec<bool> = items.iter().map(|(it, d)| !items.iter().any(|(it2, d2)| it2 == it && d2.is_some() && d2 > d)).collect();
    let mut splits: Vec<Option<(usize, bool)>> = vec![None; raw.len()];
    // Rows the document settles on its own first; their cells then serve as evidence
    // for the others (the chain of revisions).
    for _pass in 0..3 {
        let mut progress = false;
        for (i, r) in raw.iter().enumerate() {
            if matches!(splits[i], Some((_, true))) {
                continue;
            }
            let is_known = |k: &str| current.contains(k) || settled.contains(k);
            let (k, sure) = split_point(&r.blocks, &r.block_keys, &markers, &is_known, newest[i].then_some(current));
            if sure {
                settled.insert(r.block_keys[..k].concat());
                settled.insert(r.block_keys[k..].concat());
                progress = true;
            }
            splits[i] = Some((k, sure));
        }
        if !progress {
            break;
        }
    }
    let mut rows: Vec<((usize, usize), Change)> = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let (k, sure) = splits[i].unwrap_or((0, false));
        let date = parse_date(&r.date_text);
        let label = format!("changes row {} {}", r.date_text, r.item);
        if !sure && !r.blocks.is_empty() {
            warnings.push(Warning { path: format!("changes[{}]", label), code: "uncertain_split".into(), message: format!("{label}: where 変更前 ends and 変更後 begins is a best guess") });
        }
        if r.timing.is_none() {
            warnings.push(Warning { path: format!("changes[{}].timing", label), code: "not_found".into(), message: format!("{label}: no 提出時期 (事前/事後)") });
        }
        let (before, after) = if r.blocks.len() == 1 { (None, cell_text(&r.blocks)) } else { (cell_text(&r.blocks[..k]), cell_text(&r.blocks[k..])) };
        let note = (!r.note.is_empty()).then(|| join_cell_lines(&r.note.iter().map(String::as_str).collect::<Vec<_>>()));
        rows.push((r.order, Change { date, date_text: r.date_text, item: r.item, before, after, timing: r.timing, timing_note: note }));
    }
    rows.sort_by(|a, b| a.1.date.cmp(&b.1.date).then(a.0.cmp(&b.0)));
    rows.into_iter().map(|(_, c)| c).collect()
}
