//! The 変更箇所 table as typed rows. In a dump, rows come out page by page but out of
//! order, a one-line row is its cells joined by single spaces, and a multi-line row's
//! 変更前 and 変更後 cells are blocks with nothing marking where one ends. The split is
//! decided by evidence from the document: markers such as `（従前の記載に次の内容を追加）`,
//! a cell that starts over with the same heading, the chain of revisions (one
//! change's 変更後 is the next change's 変更前; the latest 変更後 is the current value),
//! and for an item's newest row, the current value's opening line.

use crate::normalize::{has_date_in_key, join_cell_lines, key, key_into, parse_date};
use crate::pdf::TableRow;
use crate::reassemble::{is_change_row_start, Line};
use crate::record::{Change, Warning};
use crate::form::ChangeTable;
use std::collections::{HashMap, HashSet};

// Cost model (the table can be most of a 64 MB dump, ~100,000 rows): every step below
// is linear in the table's size, or n log n for the final sort. Rows borrow their lines
// from the dump instead of copying them; a row's blocks are keyed once into one string,
// so the key of any run of leading or trailing blocks is a slice of it (no copy), and
// the chain evidence (`settled`) holds such slices. Looking a run up costs its length in
// hashing only when some known value has that length. The reader before this (kept as
// the test oracle in `changes/reference.rs`) compared every row with every other row
// for `newest` and copied every run it looked up: 8 s for 40k rows, 29 s for 80k.

/// A row as found in the text, before its cells are split. Its pieces are the table's
/// lines (by index, their keys the lines' own) or parts of them (copied: cells on a
/// row's first line, short).
struct RawRow {
    date_text: String,
    item: String,
    /// The pieces of the cells or blocks between the item and the timing, block after
    /// block (one list, not one per block: issue #16, a large table's rows are all held
    /// at once); block `i`'s pieces end at `line_ends[i]`. A piece is a line of the
    /// table, by its index in the table's lines (its raw text and key are the line's),
    /// or [`PART`]: the next of `parts`, a part of a line (a cell on a row's first line)
    /// with its key.
    /// (Indices, not copies: every row is held until the table is split, and a copy of
    /// the lines' keys (the rows' key) and a `&str` per line were most of a large
    /// table's rows, ~1.3× its dump beside the lines themselves.)
    pieces: Box<[u32]>,
    line_ends: Box<[u32]>,
    parts: Box<[(Box<str>, Box<str>)]>,
    /// Where each block's key ends in the row's key (its pieces' keys concatenated,
    /// made by [`RawRow::key_into`] when the row is split).
    ends: Box<[u32]>,
    /// Length of the key of each block's first line (a prefix of the block's key).
    head_len: Box<[u32]>,
    timing: Option<String>,
    note: Vec<String>,
    /// Sort key for ties: (page, position in the page's table order).
    order: (usize, usize),
    /// Non-empty lines of the dump this row was read from.
    lines_used: usize,
}

/// A piece of a [`RawRow`] that is a part of a line, not a whole line.
const PART: u32 = u32::MAX;

impl RawRow {
    fn start(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.ends[i - 1] as usize
        }
    }

    /// Each piece's raw text and key, in order; `table` is the lines the row was read from.
    fn pieces<'s>(&'s self, table: &'s [Line]) -> impl Iterator<Item = (&'s str, &'s str)> + 's {
        let mut parts = self.parts.iter();
        self.pieces.iter().map(move |&p| match p {
            PART => parts.next().map_or(("", ""), |(raw, key)| (&**raw, &**key)),
            i => table.get(i as usize).map_or(("", ""), |l| (l.raw(), l.key())),
        })
    }

    /// The row's key (its pieces' keys concatenated) into `out`: block `i`'s key is
    /// `out[start(i)..ends[i]]`.
    fn key_into(&self, table: &[Line], out: &mut String) {
        out.clear();
        self.pieces(table).for_each(|(_, k)| out.push_str(k));
    }

    /// The key of block `i`'s first line; `key` is the row's ([`RawRow::key_into`]).
    fn head<'k>(&self, key: &'k str, i: usize) -> &'k str {
        let s = self.start(i);
        &key[s..s + self.head_len[i] as usize]
    }

    /// The key of block `i`; `key` is the row's.
    fn block_key<'k>(&self, key: &'k str, i: usize) -> &'k str {
        &key[self.start(i)..self.ends[i] as usize]
    }

    fn blocks(&self) -> usize {
        self.ends.len()
    }

    /// The raw lines of blocks `from..to`.
    fn lines_of<'s>(&'s self, table: &'s [Line], from: usize, to: usize) -> Vec<&'s str> {
        let end = |b: usize| if b == 0 { 0 } else { self.line_ends[b - 1] as usize };
        self.pieces(table).take(end(to)).skip(end(from)).map(|(raw, _)| raw).collect()
    }
}

/// Rows of the change table from the dump's lines at and after `start`.
/// `known` holds the current values of the body (match keys) for the chain evidence.
pub fn from_text(lines: &[Line], start: usize, spec: &ChangeTable, known: &HashSet<String>, warnings: &mut Vec<Warning>) -> Vec<Change> {
    read(&mut &lines[start.min(lines.len())..], spec, known, warnings)
}

/// [`from_text`], emptying each line of the table once its row is made (the lines are
/// spent: issue #16, a large table's lines and the changes made of them were held side
/// by side at the peak; now the one replaces the other). The same changes and warnings.
pub fn from_text_spending(lines: &mut [Line], start: usize, spec: &ChangeTable, known: &HashSet<String>, warnings: &mut Vec<Warning>) -> Vec<Change> {
    let start = start.min(lines.len());
    read(&mut &mut lines[start..], spec, known, warnings)
}

/// The lines a table is read from: borrowed, or lent to be emptied as their rows are
/// made ([`from_text_spending`]).
trait TableLines {
    fn lines(&self) -> &[Line];
    /// Line `index` is read for good.
    fn spend(&mut self, _index: usize) {}
}

impl TableLines for &[Line] {
    fn lines(&self) -> &[Line] {
        self
    }
}

impl TableLines for &mut [Line] {
    fn lines(&self) -> &[Line] {
        self
    }

    fn spend(&mut self, index: usize) {
        if let Some(l) = self.get_mut(index) {
            *l = Line::empty();
        }
    }
}

fn read(source: &mut impl TableLines, spec: &ChangeTable, known: &HashSet<String>, warnings: &mut Vec<Warning>) -> Vec<Change> {
    let region = source.lines();
    if let Some(rows) = two_pass_rows(region, spec, known, warnings) {
        return rows;
    }
    if let Some((rows, lost)) = cell_order::rows(region, spec) {
        unreadable(warnings, lost, "a cell left blank or split");
        return from_table(&rows, warnings);
    }
    let raw = rows_of(region, spec);
    // Lines of the table that no row took (rows whose date was drawn apart from the
    // rest of the row): say so rather than drop them silently.
    let taken: usize = raw.iter().map(|r| r.lines_used).sum();
    let header = key(&spec.header);
    let heading = key(&spec.heading);
    let stray = region.iter().filter(|l| !l.key().is_empty() && l.key() != heading && !l.key().starts_with(&header)).count().saturating_sub(taken);
    if stray > 0 {
        warnings.push(Warning {
            path: "changes".into(),
            code: "unreadable_rows".into(),
            message: format!("{stray} line(s) of the 変更箇所 table could not be tied to a row (dates drawn apart from their rows); read the PDF instead for the full table"),
        });
    }
    split_rows(raw, source, spec, known, warnings)
}

/// The one warning for `lost` rows of the table left out rather than guessed, and why.
fn unreadable(warnings: &mut Vec<Warning>, lost: usize, why: &str) {
    if lost > 0 {
        warnings.push(Warning {
            path: "changes".into(),
            code: "unreadable_rows".into(),
            message: format!("{lost} row(s) of the 変更箇所 table could not be rebuilt ({why}); read the PDF instead for the full table"),
        });
    }
}

/// Rows read from a PDF's table geometry: cells are already separate.
pub fn from_table(rows: &[TableRow], warnings: &mut Vec<Warning>) -> Vec<Change> {
    let mut table = Table::default();
    rows.iter().for_each(|r| table.push(r));
    table.finish(warnings)
}

/// Changes made from table rows one row at a time, so a reader need not hold every
/// row's cells beside the changes made of them (issue #16: a large table's peak memory).
#[derive(Default)]
struct Table {
    changes: Vec<Change>,
    /// `bad_date` warnings, given only by [`Table::finish`] (a reader may still give up).
    warnings: Vec<Warning>,
}

impl Table {
    fn push(&mut self, r: &TableRow) {
        let n = self.changes.len();
        let cell = |i: usize| r.cells.get(i).map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        let date_text = cell(0).unwrap_or_default();
        let date = parse_date(&date_text);
        if date.is_none() {
            self.warnings.push(Warning { path: format!("changes[{n}].date"), code: "bad_date".into(), message: format!("change row date {date_text:?} is not a date") });
        }
        let text = |i: usize| cell(i).map(|c| join_cell_lines(&c.lines().collect::<Vec<_>>()));
        self.changes.push(Change { date, date_text, item: cell(1).unwrap_or_default(), before: text(2), after: text(3), timing: cell(4), timing_note: text(5) });
    }

    /// The changes by date, rows of one date in table order (a stable sort).
    fn finish(mut self, warnings: &mut Vec<Warning>) -> Vec<Change> {
        warnings.append(&mut self.warnings);
        self.changes.sort_by(|a, b| a.date.cmp(&b.date));
        self.changes
    }
}

/// Split the change pages into pages (runs of three or more empty lines mark a page
/// break in pdf-extract dumps) and rows (a line that starts with a date and an item).
fn rows_of(lines: &[Line], table: &ChangeTable) -> Vec<RawRow> {
    let header = key(&table.header);
    let heading = key(&table.heading);
    let timings: Vec<String> = table.timings.iter().map(|t| key(t)).collect();
    let pages = pages_of(lines);
    // Every page's row starts first, so that the row list is made at its size: grown by
    // doubling, it was up to three times its size at each growth (the old list and the
    // new one side by side) and copied again when shrunk (issue #16).
    let starts_of: Vec<Vec<usize>> = pages.iter().map(|&(ps, pe)| (0..pe - ps).filter(|&i| is_change_row_start(&lines[ps + i].key(), table)).collect()).collect();
    let mut rows = Vec::with_capacity(starts_of.iter().map(Vec::len).sum());
    // The row's lines, by index in `lines`.
    let mut body: Vec<usize> = Vec::new();
    for (page_no, (&(ps, pe), starts)) in pages.iter().zip(&starts_of).enumerate() {
        let page = &lines[ps..pe];
        let header_at = page.iter().position(|l| l.key().starts_with(&header));
        for (n, &s) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(page.len());
            body.clear();
            body.extend((ps + s..ps + end).filter(|&i| !lines[i].key().starts_with(&header) && lines[i].key() != heading));
            // Rows drawn after the page's header come first in the table; rows drawn
            // before it belong below them (Excel draws some rows ahead of the header).
            let pos = match header_at {
                Some(h) if s > h => s - h,
                Some(_) => page.len() + s,
                None => s,
            };
            if let Some(row) = parse_row(lines, &body, &timings, (page_no, pos)) {
                rows.push(row);
            }
        }
    }
    // Held until the table is split: the room of rows not read is given back first.
    rows.shrink_to_fit();
    rows
}

/// True for an item token that is only a reference (`Ⅰ`, `Ⅰ５②`) without its label.
/// (The reader uses [`item_tokens`]; this is the plain form it is tested against.)
#[cfg(test)]
fn is_bare_reference(token: &str) -> bool {
    let k = key(token);
    !k.is_empty() && k.chars().all(|c| c.is_ascii_digit() || matches!(c, 'I' | 'V' | 'X' | '.' | '-'))
}

/// How many leading tokens of a row's first line make its date: the fewest whose
/// join holds a date.
///
/// perf: a token that keys to nothing (white space only: NFKC makes it spaces, which
/// compose with nothing) leaves the join's key, and so its date, as it was, and is not
/// looked at again; only tokens that add to the key are, and a date is found within
/// its ~20 characters. So a hostile line of a million such tokens stays linear
/// (joining the prefix anew for every token was quadratic). Same result as
/// `reference::parse_row`'s loop (tested in `tests::row_tokens_as_the_reference`).
fn date_tokens(tokens: &[&str]) -> usize {
    let mut date_end = 1;
    while date_end < tokens.len() {
        let added_nothing = date_end > 1 && key(tokens[date_end - 1]).is_empty();
        if !added_nothing && has_date(&key(&tokens[..date_end].concat())) {
            break;
        }
        date_end += 1;
    }
    date_end
}

/// Does key `k` hold a date ([`crate::normalize::find_date_in_key`])? perf: a row's first token is most
/// often its date alone, found at the key's start without the regex's scan
/// ([`crate::normalize::date_at_start`] is `find_date_in_key`'s date when one starts the
/// key), and no ISO form is written ([`has_date_in_key`]).
fn has_date(k: &str) -> bool {
    has_date_in_key(k, false)
}

/// How many leading tokens (after the date) make the item: a bare reference (`Ⅰ`,
/// `Ⅰ５②`) takes the tokens that follow while their join is still a bare reference.
///
/// perf: the join is a bare reference exactly when every token keys to reference
/// characters (ASCII digits, I, V, X, `.`, `-`) and one at least to some: NFKC never
/// composes or reorders ASCII starters with their neighbours, so the key of the join
/// is the join of the keys. Known token by token, in one pass (re-keying the growing
/// join was quadratic in a line of many tokens). Tested against the join.
fn item_tokens(tokens: &[&str]) -> usize {
    let is_ref = |k: &str| k.chars().all(|c| c.is_ascii_digit() || matches!(c, 'I' | 'V' | 'X' | '.' | '-'));
    let mut item_len = 1.min(tokens.len());
    // Whether tokens[..item_len] keys to reference characters only, and to any at all.
    let (mut all_ref, mut any) = (true, false);
    if let Some(t) = tokens.first() {
        let k = key(t);
        (all_ref, any) = (is_ref(&k), !k.is_empty());
    }
    while item_len < tokens.len() && all_ref && any {
        let k = key(tokens[item_len]);
        all_ref &= is_ref(&k);
        any |= !k.is_empty();
        item_len += 1;
    }
    item_len
}

/// The row made of `body`, the indices of its lines in `table`.
fn parse_row(table: &[Line], body: &[usize], timings: &[String], order: (usize, usize)) -> Option<RawRow> {
    let lines: Vec<&Line> = body.iter().map(|&i| &table[i]).collect();
    let first = lines.first()?.raw().trim();
    let mut tokens: Vec<&str> = first.split(' ').filter(|t| !t.is_empty()).collect();
    // The date: leading tokens up to where the date ends.
    let date_end = date_tokens(&tokens);
    let date_text = tokens[..date_end].join("");
    tokens.drain(..date_end);
    // The item; a bare reference is joined with the label that follows (`Ⅰ システムの名称`).
    let item_len = item_tokens(&tokens);
    let item = tokens[..item_len].join(" ");
    tokens.drain(..item_len);
    let mut blocks = Blocks::default();
    let mut timing = None;
    let mut note: Vec<String> = Vec::new();
    // One-line cells on the first line.
    for (i, t) in tokens.iter().enumerate() {
        let k = key(t);
        if timings.contains(&k) && timing.is_none() {
            timing = Some(t.to_string());
            if i + 1 < tokens.len() {
                note.push(tokens[i + 1..].join(" "));
            }
            break;
        }
        blocks.part(t, k);
        blocks.close();
    }
    // Multi-line cells below: blocks separated by empty lines, then the timing.
    // (perf: a line's last word is keyed in one buffer, not a String each.)
    let mut tail_key = String::new();
    for (&index, l) in body[1..].iter().zip(&lines[1..]) {
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
            tail_key.clear();
            key_into(tail, &mut tail_key);
            if timings.contains(&tail_key) {
                blocks.part(head, key(head));
                blocks.close();
                timing = Some(tail.to_string());
                continue;
            }
        }
        blocks.line(index, l.key());
    }
    blocks.close();
    let lines_used = lines.iter().filter(|l| !l.key().is_empty()).count();
    let Blocks { pieces, line_ends, parts, ends, head_len, .. } = blocks;
    // Every row is held until the table is split: no room to spare (issue #16).
    let (pieces, line_ends, parts, ends, head_len) = (pieces.into_boxed_slice(), line_ends.into_boxed_slice(), parts.into_boxed_slice(), ends.into_boxed_slice(), head_len.into_boxed_slice());
    Some(RawRow { date_text, item, pieces, line_ends, parts, ends, head_len, timing, note, order, lines_used })
}

/// A row's blocks as they are gathered: the fields of [`RawRow`] of the same names (the
/// current block is the pieces after the last of `line_ends`), and the length of the
/// row's key so far (the lines are keyed already; only parts of lines are keyed here).
#[derive(Default)]
struct Blocks {
    pieces: Vec<u32>,
    line_ends: Vec<u32>,
    parts: Vec<(Box<str>, Box<str>)>,
    key_len: u32,
    ends: Vec<u32>,
    head_len: Vec<u32>,
    current_head: u32,
}

impl Blocks {
    fn current_is_empty(&self) -> bool {
        self.pieces.len() == self.line_ends.last().map_or(0, |&e| e as usize)
    }

    fn push(&mut self, piece: u32, key_len: usize) {
        if self.current_is_empty() {
            self.current_head = key_len as u32;
        }
        self.pieces.push(piece);
        self.key_len += key_len as u32;
    }

    /// Line `index` of the table, whose key is `key`. (A table of 2^32 lines would be a
    /// text of 4 GB and more; lines index as `u32`, as `Line` measures its text.)
    fn line(&mut self, index: usize, key: &str) {
        self.push(index as u32, key.len());
    }

    /// A part of a line, keyed.
    fn part(&mut self, raw: &str, key: String) {
        self.push(PART, key.len());
        self.parts.push((raw.into(), key.into_boxed_str()));
    }

    /// End the current block (if it has pieces).
    fn close(&mut self) {
        if !self.current_is_empty() {
            self.line_ends.push(self.pieces.len() as u32);
            self.ends.push(self.key_len);
            self.head_len.push(self.current_head);
        }
    }
}

fn cell_text(lines: &[&str]) -> Option<String> {
    let t = join_cell_lines(lines);
    (!t.is_empty()).then_some(t)
}

/// What is known to be a whole cell: the body's current values and the cells of rows
/// already settled (the chain). Settled cells are held by their fingerprints (the rows'
/// keys are made one row at a time, and a copy of every settled cell would be most of a
/// large table again: issue #16).
struct Known<'k> {
    current: &'k HashSet<String>,
    settled: HashSet<Fingerprint>,
    /// Byte lengths of every string in `current` and `settled`: a run of blocks whose
    /// key has another length is not looked up (not hashed), which keeps a row with many
    /// blocks linear in practice.
    lens: HashSet<usize>,
    /// `current`, sorted: the values with a given prefix are the run that starts at the
    /// prefix's place.
    sorted: Vec<&'k str>,
}

impl<'k> Known<'k> {
    fn new(current: &'k HashSet<String>) -> Self {
        let mut sorted: Vec<&str> = current.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        Known { current, settled: HashSet::new(), lens: current.iter().map(String::len).collect(), sorted }
    }

    fn contains(&self, k: &str) -> bool {
        if !self.lens.contains(&k.len()) {
            return false;
        }
        work::add(k.len());
        self.current.contains(k) || self.settled.contains(&fingerprint(k))
    }

    fn settle(&mut self, k: &str) {
        self.lens.insert(k.len());
        self.settled.insert(fingerprint(k));
    }

    /// Does any current value start with `h`?
    fn opens_a_current_value(&self, h: &str) -> bool {
        let at = self.sorted.partition_point(|v| *v < h);
        work::add(h.len());
        self.sorted.get(at).is_some_and(|v| v.starts_with(h))
    }
}

/// A key's length and two independent 64-bit hashes of it: two keys of a table share one
/// by chance with odds of about 2^-128 per pair (so never, for any table that fits the
/// input limit), and a fingerprint is 24 bytes however long the cell.
type Fingerprint = (usize, u64, u64);

fn fingerprint(k: &str) -> Fingerprint {
    use std::hash::{DefaultHasher, Hash, Hasher};
    // `DefaultHasher::new()` has fixed keys: the same key hashes alike within a run.
    let (mut a, mut b) = (DefaultHasher::new(), DefaultHasher::new());
    k.hash(&mut a);
    0xA5u8.hash(&mut b);
    k.hash(&mut b);
    (k.len(), a.finish(), b.finish())
}

/// Where 変更後 starts among a row's blocks, and whether the document proves it.
/// `known`: the body's current values and the cells of rows already settled (the
/// chain); `newest`: the row is the newest for its item (no later row changed the item
/// since), so the body's current values say where its 変更後 starts.
fn split_point(r: &RawRow, key: &str, markers: &[String], known: &Known, newest: bool) -> (usize, bool) {
    let n = r.blocks();
    work::add(n);
    if n <= 1 {
        return (0, false);
    }
    if let Some(m) = (1..n).find(|&i| markers.iter().any(|mk| r.head(key, i).starts_with(mk.as_str()))) {
        return (m, true);
    }
    if n == 2 {
        return (1, true);
    }
    // The key of a run of blocks is their keys concatenated: a slice of the row's key.
    let mut best = (0, 0, 0); // (score, first split with it, how many splits have it)
    for k in 1..n {
        let at = r.ends[k - 1] as usize;
        let score = known.contains(&key[..at]) as usize + known.contains(&key[at..]) as usize;
        if score > best.0 {
            best = (score, k, 1);
        } else if score == best.0 {
            best.2 += 1;
        }
    }
    if best.0 > 0 && best.2 == 1 {
        return (best.1, true);
    }
    // A cell that starts over: the 変更後 text repeats the 変更前 text's first line.
    let head = r.head(key, 0);
    if let Some(j) = (1..n).find(|&j| r.head(key, j) == head) {
        return (j, true);
    }
    // The newest row of an item changed it to its current value (give or take later
    // edits the table does not record), so 変更後 starts at the one block whose first
    // line begins a current value of the body. Only the opening is compared: later
    // edits tend to change the wording further on, not the heading. Keys join lines,
    // so wrapping does not matter. When 変更前 opens like a current value too, this
    // says nothing.
    if newest {
        let mut opens = (0..n).filter(|&j| {
            let h = r.head(key, j);
            !h.is_empty() && known.opens_a_current_value(h)
        });
        if let (Some(j), None) = (opens.next(), opens.next()) {
            if j > 0 {
                return (j, true);
            }
        }
    }
    // Last resort: the split that balances the two cells' lengths (the first such).
    let counts: Vec<usize> = (0..n).map(|i| r.block_key(key, i).chars().count()).collect();
    let total: usize = counts.iter().sum();
    let mut before = 0;
    let mut best = (usize::MAX, 1); // (distance, k)
    for k in 1..n {
        before += counts[k - 1];
        let d = (before * 2).abs_diff(total);
        if d < best.0 {
            best = (d, k);
        }
    }
    (best.1, false)
}

/// `source`: the lines the rows were read from (each row's spent once its change is made;
/// the rows' lines are apart, a page's rows split it at their first lines).
fn split_rows(raw: Vec<RawRow>, source: &mut impl TableLines, spec: &ChangeTable, current: &HashSet<String>, warnings: &mut Vec<Warning>) -> Vec<Change> {
    // The lines no row holds as a piece (headers, headings, a row's first line and its
    // timing, whose parts the row copied) are read for good: spent first. With each row's
    // spent once its change is made, the table's lines are then freed wholly, in the
    // order they were made, so the allocator's pages they filled empty and take the
    // changes (issue #16: one line left per row kept every page of them alive, and the
    // changes went to new memory).
    let mut held = vec![false; source.lines().len()];
    for &p in raw.iter().flat_map(|r| r.pieces.iter()) {
        if let Some(h) = held.get_mut(p as usize) {
            *h = true;
        }
    }
    held.iter().enumerate().filter(|(_, &h)| !h).for_each(|(i, _)| source.spend(i));
    drop(held);
    let markers: Vec<String> = spec.addition_markers.iter().map(|m| key(m)).collect();
    let dates: Vec<Option<String>> = raw.iter().map(|r| parse_date(&r.date_text)).collect();
    // A row is the newest for its item when no other row changed the same item later:
    // its date is not before the latest date of the item (rows without a date are
    // newest only where no row of the item has one).
    let items: Vec<String> = raw.iter().map(|r| key(&r.item)).collect();
    let mut latest: HashMap<&str, &str> = HashMap::new();
    for (it, d) in items.iter().zip(&dates) {
        if let Some(d) = d.as_deref() {
            let slot = latest.entry(it.as_str()).or_insert(d);
            if d > *slot {
                *slot = d;
            }
        }
    }
    let newest: Vec<bool> = items.iter().zip(&dates).map(|(it, d)| latest.get(it.as_str()).is_none_or(|l| Some(*l) <= d.as_deref())).collect();
    // Not needed past here: freed before the passes, the peak of a large table (issue #16).
    drop(latest);
    drop(items);
    work::add(raw.len());
    let mut known = Known::new(current);
    let mut splits: Vec<Option<(usize, bool)>> = vec![None; raw.len()];
    // The row being split's key (one buffer, made again for each row).
    let mut key = String::new();
    // Rows the document settles on its own first; their cells then serve as evidence
    // for the others (the chain of revisions). At most three passes over the rows.
    for _pass in 0..3 {
        let mut progress = false;
        for (i, r) in raw.iter().enumerate() {
            if matches!(splits[i], Some((_, true))) {
                continue;
            }
            r.key_into(source.lines(), &mut key);
            let (k, sure) = split_point(r, &key, &markers, &known, newest[i]);
            if sure {
                let at = if k == 0 { 0 } else { r.ends[k - 1] as usize };
                known.settle(&key[..at]);
                known.settle(&key[at..]);
                progress = true;
            }
            splits[i] = Some((k, sure));
        }
        if !progress {
            break;
        }
    }
    drop(known);
    let mut orders: Vec<(usize, usize)> = Vec::with_capacity(raw.len());
    // Each raw row becomes its change in the raw rows' own list (a change is not larger
    // than a raw row, so the standard library collects in place): no second list of
    // every row beside the first at the peak (issue #16).
    let mut rows: Vec<Change> = raw.into_iter().zip(splits).zip(dates).map(|((r, split), date)| {
        let (k, sure) = split.unwrap_or((0, false));
        let label = format!("changes row {} {}", r.date_text, r.item);
        if !sure && r.blocks() > 0 {
            warnings.push(Warning { path: format!("changes[{}]", label), code: "uncertain_split".into(), message: format!("{label}: where 変更前 ends and 変更後 begins is a best guess") });
        }
        if r.timing.is_none() {
            warnings.push(Warning { path: format!("changes[{}].timing", label), code: "not_found".into(), message: format!("{label}: no 提出時期 (事前/事後)") });
        }
        let n = r.blocks();
        let cell = |from: usize, to: usize| cell_text(&r.lines_of(source.lines(), from, to));
        let (before, after) = if n == 1 { (None, cell(0, 1)) } else { (cell(0, k), cell(k, n)) };
        r.pieces.iter().filter(|&&p| p != PART).for_each(|&p| source.spend(p as usize));
        let note = (!r.note.is_empty()).then(|| join_cell_lines(&r.note.iter().map(String::as_str).collect::<Vec<_>>()));
        orders.push(r.order);
        Change { date, date_text: r.date_text, item: r.item, before, after, timing: r.timing, timing_note: note }
    }).collect();
    // By date, rows of one date in table order: the order found by sorting positions
    // (stable, as the rows' sort was), then applied in place (a sorted copy was a second
    // list of every change at the peak: issue #16).
    let mut by: Vec<usize> = (0..rows.len()).collect();
    by.sort_by(|&a, &b| rows[a].date.cmp(&rows[b].date).then(orders[a].cmp(&orders[b])));
    apply_order(&mut rows, by);
    rows
}

/// Reorder `items` so that item `i` is the one now at `by[i]` (`by` a permutation),
/// in place: each cycle of the permutation followed once, by swaps.
fn apply_order<T>(items: &mut [T], mut by: Vec<usize>) {
    for i in 0..by.len() {
        let mut j = i;
        loop {
            let k = by[j];
            by[j] = j;
            if k == i || k >= items.len() {
                break;
            }
            items.swap(j, k);
            j = k;
        }
    }
}

/// A count of the elementary work of [`split_rows`] (rows, blocks, bytes hashed or
/// compared), so a test can check that it grows linearly with the table without
/// timing anything. Compiled to nothing outside tests.
mod work {
    #[cfg(test)]
    thread_local! {
        pub static COUNT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    #[inline(always)]
    pub fn add(_n: usize) {
        #[cfg(test)]
        COUNT.with(|c| c.set(c.get() + _n as u64));
    }
}

mod cell_order;
#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::find_date_in_key;
    use crate::reassemble::lines_of;

    fn rows(text: &str) -> (Vec<Change>, Vec<Warning>) {
        let mut w = Vec::new();
        let c = from_text(&lines_of(text), 0, &crate::form::FormSet::builtin().common.change_table, &HashSet::new(), &mut w);
        (c, w)
    }

    #[test]
    fn one_line_row_with_a_space_in_the_item() {
        let (c, w) = rows("令和6年5月24日 Ⅰ システムの名称 Aシステム Bシステム 事前\n");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].item, "Ⅰ システムの名称");
        assert_eq!((c[0].before.as_deref(), c[0].after.as_deref()), (Some("Aシステム"), Some("Bシステム")));
        assert_eq!(c[0].timing.as_deref(), Some("事前"));
        assert_eq!(c[0].date.as_deref(), Some("2024-05-24"));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn repeated_header_and_heading_are_not_rows() {
        let text = "変更箇所\n変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る説明\n\n平成28年4月1日 Ⅰ５②所属長 課長　甲 課長　乙 事後\n\n\n\n変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る説明\n\n平成27年4月1日 Ⅰ５②所属長 課長　丙 課長　甲 事後\n";
        let (c, _) = rows(text);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].date_text, "平成27年4月1日", "sorted by date");
        assert_eq!(c[1].after.as_deref(), Some("課長　乙"));
    }

    #[test]
    fn blank_line_inside_a_cell_and_addition_marker() {
        let text = "令和3年1月15日 Ⅰ４②法令上の根拠\n\n【情報提供の根拠】\n番号法第19条第7号\n\n【情報照会の根拠】\n番号法第19条第7号\n\n（従前の記載に次の内容を追加）\n\n（準備業務）\n・附則第6条\n\n事後\n";
        let (c, w) = rows(text);
        assert_eq!(c[0].before.as_deref(), Some("【情報提供の根拠】\n番号法第19条第7号\n【情報照会の根拠】\n番号法第19条第7号"));
        assert_eq!(c[0].after.as_deref(), Some("（従前の記載に次の内容を追加）\n（準備業務）\n・附則第6条"));
        assert!(w.is_empty());
    }

    #[test]
    fn chain_of_revisions_settles_a_split() {
        // The second row's 変更前 (two blocks) is the first row's 変更後.
        let text = "平成31年2月12日 Ⅰ４②法令上の根拠\n\n旧い根拠\n\n【提供】\n新しい根拠\n\n【照会】\n新しい照会\n\n事後\n\n令和3年1月15日 Ⅰ４②法令上の根拠\n\n【提供】\n新しい根拠\n\n【照会】\n新しい照会\n\n（従前の記載に次の内容を追加）\n\n追加分\n\n事後\n";
        let (c, w) = rows(text);
        assert_eq!(c[0].before.as_deref(), Some("旧い根拠"));
        assert_eq!(c[0].after.as_deref(), Some("【提供】\n新しい根拠\n【照会】\n新しい照会"));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn newest_row_after_opens_like_the_current_value() {
        // Five blocks, no marker, no chain, no repeated head: balance alone would put
        // the short 【提供の根拠】 block in 変更前. The body's current value (edited again
        // later on: 第8号) opens like that block, so 変更後 starts there.
        let text = "平成31年2月12日 Ⅰ４②法令上の根拠\n\n旧い根拠 第7号\n\n旧い照会 第7号\n\n【提供の根拠】\n第7号\n\n第7号による長い長い長い長い長い長い長い長い長い長い説明\n\n【照会の根拠】\n第7号\n\n事後\n";
        let current: HashSet<String> = [key("【提供の根拠】\n第8号\n【照会の根拠】\n第8号"), key("国民健康保険事務")].into_iter().collect();
        let mut w = Vec::new();
        let c = from_text(&lines_of(text), 0, &crate::form::FormSet::builtin().common.change_table, &current, &mut w);
        assert_eq!(c[0].before.as_deref(), Some("旧い根拠 第7号\n旧い照会 第7号"));
        assert_eq!(c[0].after.as_deref(), Some("【提供の根拠】\n第7号\n第7号による長い長い長い長い長い長い長い長い長い長い説明\n【照会の根拠】\n第7号"));
        assert!(w.is_empty(), "{w:?}");
        // Without the current value the same row is a flagged (here wrong) guess.
        let (c, w) = rows(text);
        assert_eq!(c[0].before.as_deref(), Some("旧い根拠 第7号\n旧い照会 第7号\n【提供の根拠】\n第7号"));
        assert!(w.iter().any(|w| w.code == "uncertain_split"), "{w:?}");
        // A later row of the same item holds the current value, not this one: no evidence.
        let later = format!("{text}\n令和3年1月15日 Ⅰ４②法令上の根拠 甲 乙 事後\n");
        let mut w = Vec::new();
        from_text(&lines_of(&later), 0, &crate::form::FormSet::builtin().common.change_table, &current, &mut w);
        assert!(w.iter().any(|w| w.code == "uncertain_split" && w.path.contains("平成31年")), "{w:?}");
    }

    #[test]
    fn timing_note_after_timing() {
        let (c, _) = rows("平成28年3月31日 Ⅰ５②所属長 課長　甲 課長　乙 事前 任意に事前の提出を行うもの\n");
        assert_eq!(c[0].timing_note.as_deref(), Some("任意に事前の提出を行うもの"));
    }

    // --- The linear reader against the old one, and its growth. ---

    const SAMPLE: &str = include_str!("../input/000_72349b560cd020d7.txt");

    /// The sample's lines before its change table, and the table's rows (each with
    /// the lines up to the next row: blank lines, page breaks, headers).
    fn sample_rows() -> (Vec<&'static str>, Vec<Vec<&'static str>>) {
        let lines: Vec<&str> = SAMPLE.lines().collect();
        let table = &crate::form::FormSet::builtin().common.change_table;
        let starts: Vec<usize> = (0..lines.len()).filter(|&i| crate::reassemble::is_change_row_start(&key(lines[i]), table)).collect();
        let rows = starts.iter().enumerate().map(|(n, &s)| lines[s..starts.get(n + 1).copied().unwrap_or(lines.len())].to_vec()).collect();
        (lines[..starts[0]].to_vec(), rows)
    }

    /// The sample with its change table repeated `times` times (a page break between).
    pub(super) fn repeated(times: usize) -> String {
        let (head, rows) = sample_rows();
        let table: Vec<&str> = rows.concat();
        let mut text = head.join("\n");
        for _ in 0..times {
            text.push('\n');
            text.push_str(&table.join("\n"));
            text.push_str("\n\n\n\n");
        }
        text
    }

    /// splitmix64.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % n as u64) as usize
        }
    }

    /// A change table made of the sample's rows, picked with repeats, in any order,
    /// with dates swapped between rows, blocks split and merged, timings dropped,
    /// addition markers, headers and page breaks put in; and a random part of the
    /// body's values (and of the rows' cells) as the known values.
    fn random_table(rng: &mut Rng, rows: &[Vec<&str>], values: &[String]) -> (String, HashSet<String>) {
        let dates: Vec<&str> = rows.iter().map(|r| r[0].split(' ').next().unwrap()).collect();
        let mut text = String::new();
        for _ in 0..1 + rng.below(40) {
            let mut row: Vec<String> = rows[rng.below(rows.len())].iter().map(|l| l.to_string()).collect();
            if rng.below(4) == 0 {
                let rest = row[0].split_once(' ').unwrap().1.to_string();
                row[0] = format!("{} {rest}", dates[rng.below(dates.len())]);
            }
            for _ in 0..rng.below(3) {
                let at = 1 + rng.below(row.len());
                match rng.below(5) {
                    0 => row.insert(at.min(row.len()), String::new()),
                    1 if at < row.len() && row[at].is_empty() => drop(row.remove(at)),
                    2 => row.insert(at.min(row.len()), "（従前の記載に次の内容を追加）".into()),
                    3 => row.retain(|l| l.trim() != "事後" && l.trim() != "事前"),
                    _ => row.insert(at.min(row.len()), row[rng.below(row.len())].clone()),
                }
            }
            for l in row {
                text.push_str(&l);
                text.push('\n');
            }
            match rng.below(6) {
                0 => text.push_str("\n\n\n\n"),
                1 => text.push_str("変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る説明\n\n"),
                _ => {}
            }
        }
        let known = values.iter().filter(|_| rng.below(3) > 0).cloned().collect();
        (text, known)
    }

    /// Both readers on `text` with `known`: same rows, same warnings.
    fn assert_same(text: &str, known: &HashSet<String>, case: &str) {
        let lines = lines_of(text);
        let table = &crate::form::FormSet::builtin().common.change_table;
        let (mut w_new, mut w_old) = (Vec::new(), Vec::new());
        let new = from_text(&lines, 0, table, known, &mut w_new);
        let old = reference::from_text(&lines, 0, table, known, &mut w_old);
        assert_eq!(new, old, "{case}:\n{text}");
        assert_eq!(w_new, w_old, "{case}:\n{text}");
        // The reader that spends its lines: the same again.
        let (mut spent, mut w_spent) = (lines.clone(), Vec::new());
        assert_eq!(from_text_spending(&mut spent, 0, table, known, &mut w_spent), new, "{case} (spending):\n{text}");
        assert_eq!(w_spent, w_new, "{case} (spending):\n{text}");
    }

    /// The spending reader empties the table's lines, and only those: the lines before
    /// the table's start are left.
    #[test]
    fn spending_empties_the_tables_lines() {
        let text = "本文の行\n（別添３）\n変更箇所\n変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る説明\n\n平成28年4月1日 Ⅰ５②所属長\n\n課長　甲\n\n課長　乙\n\n事後\n";
        let mut lines = lines_of(text);
        let (mut w, mut w_spent) = (Vec::new(), Vec::new());
        let table = &crate::form::FormSet::builtin().common.change_table;
        let plain = from_text(&lines, 2, table, &HashSet::new(), &mut w);
        assert_eq!(from_text_spending(&mut lines, 2, table, &HashSet::new(), &mut w_spent), plain);
        assert_eq!(plain[0].after.as_deref(), Some("課長　乙"));
        let left: Vec<&str> = lines.iter().map(|l| l.raw()).filter(|r| !r.is_empty()).collect();
        assert_eq!(left, ["本文の行", "（別添３）"]);
    }

    /// `split_rows` makes the changes in the raw rows' list only while a change is not
    /// larger than a raw row (issue #16: else a second list of every row at the peak).
    #[test]
    fn a_change_fits_in_a_raw_rows_place() {
        assert!(std::mem::size_of::<Change>() <= std::mem::size_of::<RawRow>());
        assert_eq!(std::mem::align_of::<Change>(), std::mem::align_of::<RawRow>());
    }

    #[test]
    fn apply_order_puts_each_item_where_its_position_says() {
        let mut rng = Rng(5);
        for n in [0, 1, 2, 3, 10, 100] {
            let mut by: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                by.swap(i, rng.below(i + 1));
            }
            let items: Vec<String> = (0..n).map(|i| format!("item {i}")).collect();
            let mut ordered = items.clone();
            apply_order(&mut ordered, by.clone());
            assert_eq!(ordered, by.iter().map(|&i| items[i].clone()).collect::<Vec<_>>(), "{by:?}");
        }
    }

    #[test]
    fn same_as_the_reference() {
        let (_, rows) = sample_rows();
        // Known values: every string of the sample's record (the body's current
        // values, as `lib.rs` gives them) and the cells of its change rows.
        let record = crate::extract_text_dump("sample.txt", SAMPLE.as_bytes());
        let mut values: Vec<String> = Vec::new();
        fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) => out.push(key(s)),
                serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
                serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
                _ => {}
            }
        }
        strings(&serde_json::to_value(&record).unwrap(), &mut values);
        assert!(values.len() > 100);
        let all: HashSet<String> = values.iter().cloned().collect();
        // The sample itself, and repeated.
        for times in [1, 2, 5] {
            assert_same(&repeated(times), &all, &format!("sample x{times}"));
            assert_same(&repeated(times), &HashSet::new(), &format!("sample x{times}, nothing known"));
        }
        // Rare paths: a tie of the balance (blocks of equal length, different heads),
        // a block whose key is empty (a full-width space cell), a row of one block.
        let known_heads: HashSet<String> = [key("甲乙"), key("丁戊"), String::new()].into_iter().collect();
        for text in [
            "令和6年5月24日 Ⅰ３法令上の根拠\n\n甲乙\n\n丙\n\n丁戊\n\n事後\n",
            "令和6年5月24日 Ⅰ３法令上の根拠\n\n甲乙\n\n丙丙\n\n丁戊\n\n己庚\n\n事後\n",
            "令和6年5月24日 Ⅰ システムの名称 \u{3000} Bシステム Cシステム 事前\n",
            "令和6年5月24日 Ⅰ システムの名称 Aシステム 事前\n",
            "令和6年5月24日 Ⅰ システムの名称\n\n事前\n",
        ] {
            for known in [&HashSet::new(), &known_heads, &all, &[key("Cシステムの一覧")].into_iter().collect()] {
                assert_same(text, known, text);
            }
        }
        let mut rng = Rng(16);
        for case in 0..400 {
            let (text, known) = random_table(&mut rng, &rows, &values);
            assert_same(&text, &known, &format!("case {case}"));
        }
    }

    /// The token-by-token date and item lengths equal the old loops over the joined
    /// prefix, on token lists drawn from characters that NFKC folds, joins or drops.
    #[test]
    fn row_tokens_as_the_reference() {
        let pool = [
            "Ⅰ", "Ⅱ", "Ⅳ", "１", "②", "⑳", "I", "V", "X", "7", ".", "．", "-", "－", "　", "\u{a0}", "\u{3000}\u{3000}", "\u{0301}", "\u{3099}", "ｶ", "ﾞ", "ⅰ", "⒈", "㈱",
            "あ", "x", "令和", "元", "6年", "5月", "24日", "令和6年5月24日", "2024年", "13月", "平成31年2月", "12日", "時点", "Ⅰ５②所属長", "システムの名称",
        ];
        let mut rng = Rng(7);
        for _ in 0..20_000 {
            let tokens: Vec<&str> = (0..1 + rng.below(7)).map(|_| pool[rng.below(pool.len())]).collect();
            let mut old_date = 1;
            while old_date < tokens.len() && find_date_in_key(&key(&tokens[..old_date].concat()), false).is_none() {
                old_date += 1;
            }
            assert_eq!(date_tokens(&tokens), old_date, "{tokens:?}");
            let mut old_item = 1.min(tokens.len());
            while old_item < tokens.len() && is_bare_reference(&tokens[..old_item].join("")) {
                old_item += 1;
            }
            assert_eq!(item_tokens(&tokens), old_item, "{tokens:?}");
        }
        assert_eq!(item_tokens(&[]), 0);
    }

    /// perf: `has_date` (the anchored reading first) says what `find_date_in_key` says,
    /// on every line of the sample dump and on dates with more before or after them.
    #[test]
    fn has_date_as_find_date_in_key() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).expect("sample dump");
        let mut keys: Vec<String> = text.lines().map(key).collect();
        for d in ["令和6年5月24日", "平成31年2月12日", "2024年4月1日", "令和元年5月1日", "R6.5.24", "2019/4/1", "令和6年13月1日", "平成31年2月", "６年５月"] {
            keys.extend([d.to_string(), format!("{d}Ⅰ5②"), format!("変更{d}"), format!("{d}{d}"), format!("1{d}")].map(|k| key(&k)));
        }
        let mut dated = 0;
        for k in &keys {
            let want = find_date_in_key(k, false).is_some();
            assert_eq!(has_date(k), want, "{k:?}");
            dated += want as usize;
        }
        assert!(dated > 40, "{dated} dated");
    }

    /// A first line of a million white-space cells before its date ends, and a million
    /// reference tokens as its item: read in linear time (this test would not finish
    /// with the old loops).
    #[test]
    fn hostile_first_lines() {
        let mut tokens = vec!["令和6年5月24"];
        tokens.extend(std::iter::repeat_n("\u{3000}", 1_000_000));
        tokens.push("日");
        assert_eq!(date_tokens(&tokens), tokens.len());
        let mut tokens = vec!["Ⅰ"; 1_000_000];
        tokens.push("システムの名称");
        assert_eq!(item_tokens(&tokens), tokens.len());
    }

    /// The work of the split (rows, blocks, bytes hashed or compared) per row is the
    /// same at 100 and 1,000 times the sample's rows: linear, not quadratic. (Counted,
    /// not timed.)
    #[test]
    fn split_work_is_linear_in_the_rows() {
        let table = &crate::form::FormSet::builtin().common.change_table;
        let work_of = |times: usize| {
            let lines = lines_of(&repeated(times));
            let start = lines.iter().position(|l| crate::reassemble::is_change_row_start(&l.key(), table)).unwrap();
            let raw = rows_of(&lines[start..], table);
            assert_eq!(raw.len(), 23 * times);
            work::COUNT.with(|c| c.set(0));
            split_rows(raw, &mut &lines[start..], table, &HashSet::new(), &mut Vec::new());
            work::COUNT.with(|c| c.get())
        };
        let (w100, w1000) = (work_of(100), work_of(1000));
        assert!(w100 > 0);
        let ratio = w1000 as f64 / w100 as f64;
        assert!((9.0..=11.0).contains(&ratio), "work at 1,000x / 100x = {ratio} (10 if linear)");
    }

    /// At 1,000 times the sample's rows (23,000 rows, 13 MB), every row is read as
    /// it is at 1x: the same rows, 1,000 times each, and no warning.
    #[test]
    fn a_thousand_times_the_rows() {
        let read = |times: usize| {
            let mut w = Vec::new();
            let rec = crate::extract_text_dump("x.txt", repeated(times).as_bytes());
            w.extend(rec.warnings);
            (rec.changes, w)
        };
        let (one, w) = read(1);
        assert_eq!((one.len(), w.len()), (23, 0));
        let (many, w) = read(1000);
        assert!(w.is_empty(), "{:?}", &w[..w.len().min(3)]);
        let mut count = std::collections::HashMap::new();
        for c in &many {
            *count.entry(serde_json::to_string(c).unwrap()).or_insert(0) += 1;
        }
        let mut want = std::collections::HashMap::new();
        for c in &one {
            *want.entry(serde_json::to_string(c).unwrap()).or_insert(0) += 1000;
        }
        assert_eq!(count, want);
    }
}

/// Tables drawn in two passes (LibreOffice's PDFs through pdf-extract): first every row's
/// one-line cells, one paragraph per row ending at its 提出時期 (cells that wrap, and
/// some dates, left out), then the left-out cells, row by row in column order (a new
/// cell starts after a blank line, on a line that begins with a space, or after a
/// space). The left-out cells are given back to the rows' empty places by their types
/// (a date, an item, any text); a 提出時期に係る説明 may come between rows. Only an
/// assignment the types leave no choice about is kept; otherwise the page's incomplete
/// rows are counted as unreadable. `None`: the table is not of this shape.
mod two_pass {
    use super::*;
    use crate::normalize::whole_date_of_key;

    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Slot {
        Date,
        Item,
        Before,
        After,
        /// One of 変更前/変更後 (the other is on the row's line).
        Either,
        Note,
    }

    struct Row {
        date: Option<String>,
        item: Option<String>,
        before: Option<String>,
        after: Option<String>,
        /// The one text cell on the line when the other was left out.
        single: Option<String>,
        timing: String,
        note: Option<String>,
    }

    fn is_item(s: &str) -> bool {
        let t = s.trim_start();
        t.starts_with(|c: char| ('Ⅰ'..='Ⅻ').contains(&c)) || t.starts_with("表紙") || t.starts_with("（別添") || t.starts_with("(別添")
    }

    fn is_date(s: &str) -> bool {
        if !crate::normalize::may_be_whole_date(s) {
            return false; // perf: most cells are long or start with no date's character
        }
        let k = key(s);
        !k.ends_with("時点") && whole_date_of_key(&k).is_some()
    }

    fn fits(slot: Slot, cell: &str) -> bool {
        match slot {
            Slot::Date => is_date(cell),
            Slot::Item => is_item(cell),
            Slot::Before | Slot::After | Slot::Either => !is_item(cell),
            Slot::Note => !is_item(cell) && !is_date(cell),
        }
    }

    /// A row's paragraph: `[date] [item] [before [after]] timing [note]`.
    fn row_of(tokens: &[&str], timings: &[String]) -> Option<Row> {
        let t = tokens.iter().position(|w| timings.contains(&key(w)))?;
        let mut cells = &tokens[..t];
        let note = (t + 1 < tokens.len()).then(|| tokens[t + 1..].join(" "));
        let mut date = None;
        if cells.first().is_some_and(|c| is_date(c)) {
            date = Some(cells[0].to_string());
            cells = &cells[1..];
        }
        let mut item = None;
        if cells.first().is_some_and(|c| is_item(c)) {
            let mut it = cells[0].to_string();
            cells = &cells[1..];
            // A bare reference (`Ⅰ`, `Ⅰ５②`) with its label after a space.
            let bare = it.chars().all(|c| ('Ⅰ'..='Ⅻ').contains(&c) || ('０'..='９').contains(&c) || c.is_ascii_digit() || ('①'..='⑳').contains(&c));
            if bare && cells.first().is_some_and(|c| !is_date(c) && !is_item(c)) {
                it = format!("{it} {}", cells[0]);
                cells = &cells[1..];
            }
            item = Some(it);
        }
        let (mut before, mut after, mut single) = (None, None, None);
        match cells {
            [] => {}
            [x] => single = Some(x.to_string()),
            [b, a] => {
                before = Some(b.to_string());
                after = Some(a.to_string());
            }
            _ => return None,
        }
        Some(Row { date, item, before, after, single, timing: tokens[t].to_string(), note })
    }

    fn slots(r: &Row) -> Vec<Slot> {
        let mut s = Vec::new();
        if r.date.is_none() {
            s.push(Slot::Date);
        }
        if r.item.is_none() {
            s.push(Slot::Item);
        }
        if r.single.is_some() {
            s.push(Slot::Either);
        } else if r.before.is_none() {
            s.push(Slot::Before);
            s.push(Slot::After);
        }
        s
    }

    /// A list number such as `１`, `2`, `(3)`, `③`.
    fn is_enumerator(s: &str) -> bool {
        let n = s.chars().count();
        n > 0 && n <= 4 && s.chars().all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c) || ('①'..='⑳').contains(&c) || "()（）.．、".contains(c))
    }

    /// The left-out cells, in order.
    /// With each cell: whether a blank line comes before it (a blank line never falls
    /// inside a row's cells).
    fn cells_of(lines: &[&Line]) -> (Vec<Vec<String>>, Vec<bool>) {
        let mut cells: Vec<Vec<String>> = Vec::new();
        let mut blank: Vec<bool> = Vec::new();
        let mut cur: Vec<String> = Vec::new();
        let mut after_blank = false;
        for l in lines {
            if l.key().is_empty() {
                if !cur.is_empty() {
                    cells.push(std::mem::take(&mut cur));
                }
                after_blank = true;
                continue;
            }
            let raw = l.raw().trim_end_matches('\r').trim_end();
            if raw.starts_with(' ') && !cur.is_empty() {
                cells.push(std::mem::take(&mut cur));
            }
            // A space after a list number (`１ 給与…`) is inside the cell.
            let mut parts: Vec<String> = Vec::new();
            for p in raw.trim_start().split(' ').filter(|p| !p.is_empty()) {
                match parts.last_mut() {
                    Some(last) if is_enumerator(last) => {
                        last.push(' ');
                        last.push_str(p);
                    }
                    _ => parts.push(p.to_string()),
                }
            }
            for (i, p) in parts.into_iter().enumerate() {
                if i > 0 && !cur.is_empty() {
                    cells.push(std::mem::take(&mut cur));
                }
                if cur.is_empty() {
                    blank.push(after_blank);
                    after_blank = false;
                }
                cur.push(p);
            }
        }
        if !cur.is_empty() {
            cells.push(cur);
        }
        (cells, blank)
    }

    /// Cells of one page, or None when the page is not of this shape.
    pub(super) fn page(page: &[Line], table: &ChangeTable, known: &HashSet<String>) -> Option<(Vec<TableRow>, usize)> {
        let header = key(&table.header);
        let heading = key(&table.heading);
        let timings: Vec<String> = table.timings.iter().map(|t| key(t)).collect();
        let h = page.iter().position(|l| l.key().starts_with(&header))?;
        let rest: Vec<&Line> = page[h + 1..].iter().filter(|l| l.key() != heading).collect();
        // Paragraphs holding a timing, right after the header.
        let mut rows: Vec<Row> = Vec::new();
        let mut i = 0;
        let has_timing = |l: &Line| l.raw().split([' ', '\u{3000}']).any(|w| timings.contains(&key(w)));
        loop {
            while i < rest.len() && rest[i].key().is_empty() {
                i += 1;
            }
            let mut j = i;
            while j < rest.len() && !rest[j].key().is_empty() {
                j += 1;
            }
            if j == i || !rest[i..j].iter().any(|l| has_timing(l)) {
                break;
            }
            let tokens: Vec<&str> = rest[i..j].iter().flat_map(|l| l.raw().trim_end_matches('\r').split(' ')).filter(|w| !w.trim().is_empty()).collect();
            let n_timing = tokens.iter().filter(|w| timings.contains(&key(w))).count();
            if n_timing != 1 {
                return None;
            }
            rows.push(row_of(&tokens, &timings)?);
            i = j;
        }
        // Page numbers (`  6`) are no cells.
        let stream: Vec<&Line> = rest[i..].iter().copied().filter(|l| !(l.raw().starts_with(' ') && { let t = l.raw().trim(); !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()) })).collect();
        let stream = &stream[..];
        if rows.is_empty() || stream.iter().any(|l| has_timing(l)) {
            return None;
        }
        let incomplete = rows.iter().any(|r| !slots(r).is_empty());
        if !incomplete {
            return None;
        }
        let (cells, blank) = cells_of(stream);
        // Slot sequence: each row's empty places, then its optional note.
        let mut seq: Vec<(usize, Slot, bool)> = Vec::new(); // (row, slot, optional)
        for (n, r) in rows.iter().enumerate() {
            for s in slots(r) {
                seq.push((n, s, false));
            }
            if r.note.is_none() {
                seq.push((n, Slot::Note, true));
            }
        }
        let (m, c) = (seq.len(), cells.len());
        if m.saturating_mul(c) > 4_000_000 {
            return None;
        }
        let text = |j: usize| cells[j].join("\n");
        let marks: Vec<String> = table.addition_markers.iter().map(|m| key(m)).collect();
        let marked = |j: usize| {
            let k = key(&cells[j][0]);
            marks.iter().any(|m| !m.is_empty() && k.starts_with(m.as_str()))
        };
        // A cell after a blank line opens its row; a cell opening with an addition
        // marker is a 変更後.
        let first_of_row: Vec<bool> = (0..seq.len()).map(|k| k == 0 || seq[k - 1].0 != seq[k].0).collect();
        let ok: Vec<Vec<bool>> = seq
            .iter()
            .enumerate()
            .map(|(k, &(_, s, _))| {
                (0..c)
                    .map(|j| {
                        fits(s, &text(j))
                            && !(j > 0 && blank[j] && !first_of_row[k])
                            && !(marked(j) && matches!(s, Slot::Before | Slot::Note | Slot::Date | Slot::Item))
                    })
                    .collect()
            })
            .collect();
        // fwd[k][j]: the first k slots can take exactly the first j cells.
        let mut fwd = vec![vec![false; c + 1]; m + 1];
        fwd[0][0] = true;
        for k in 0..m {
            for j in 0..=c {
                if !fwd[k][j] {
                    continue;
                }
                if seq[k].2 {
                    fwd[k + 1][j] = true;
                }
                if j < c && ok[k][j] {
                    fwd[k + 1][j + 1] = true;
                }
            }
        }
        let mut bwd = vec![vec![false; c + 1]; m + 1];
        bwd[m][c] = true;
        for k in (0..m).rev() {
            for j in 0..=c {
                bwd[k][j] = (seq[k].2 && bwd[k + 1][j]) || (j < c && ok[k][j] && bwd[k + 1][j + 1]);
            }
        }
        let total_rows = rows.len();
        let broken = |rows: &[Row]| rows.iter().filter(|r| !slots(r).is_empty()).count();
        if !fwd[m][c] {
            return Some((Vec::new(), broken(&rows)));
        }
        // Each required slot must have exactly one possible cell.
        let mut unsure: HashSet<usize> = HashSet::new();
        let mut filled: Vec<(usize, Slot, String)> = Vec::new();
        for k in 0..m {
            let (row, s, opt) = seq[k];
            if opt {
                continue;
            }
            let js: Vec<usize> = (0..c).filter(|&j| fwd[k][j] && ok[k][j] && bwd[k + 1][j + 1]).collect();
            if js.len() == 1 {
                filled.push((row, s, text(js[0])));
            } else {
                unsure.insert(row);
            }
        }
        for (row, s, t) in filled {
            let r = &mut rows[row];
            match s {
                Slot::Date => r.date = Some(t),
                Slot::Item => r.item = Some(t),
                Slot::Before => r.before = Some(t),
                Slot::After => r.after = Some(t),
                Slot::Either => {
                    // Which of the two was left out: an addition starts with the old
                    // text; the current value of the body is the 変更後.
                    let one = r.single.take().unwrap_or_default();
                    let (k1, k2) = (key(&one), key(&t));
                    if k2.starts_with(&k1) || known.contains(&k2) && !known.contains(&k1) {
                        r.before = Some(one);
                        r.after = Some(t);
                    } else if k1.starts_with(&k2) || known.contains(&k1) && !known.contains(&k2) {
                        r.before = Some(t);
                        r.after = Some(one);
                    } else {
                        unsure.insert(row);
                    }
                }
                Slot::Note => {}
            }
        }
        let mut out = Vec::new();
        for (n, r) in rows.into_iter().enumerate() {
            if unsure.contains(&n) || r.date.is_none() || r.item.is_none() {
                continue;
            }
            let cell = |v: Option<String>| v.unwrap_or_default();
            out.push(TableRow { page: 0, cells: vec![cell(r.date), cell(r.item), cell(r.before), cell(r.after), r.timing, cell(r.note)] });
        }
        let lost = total_rows - out.len();
        Some((out, lost))
    }
}

/// Page boundaries of the table's lines: a run of three or more blank lines is a page
/// break. Each page is `(first line, end)`, the blank run left out.
fn pages_of(lines: &[Line]) -> Vec<(usize, usize)> {
    let mut pages = Vec::new();
    let (mut start, mut blank_run) = (0, 0);
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
    pages
}

/// The two-pass shape ([`two_pass`]) over the table's pages; `None` when no page has it.
fn two_pass_rows(region: &[Line], table: &ChangeTable, known: &HashSet<String>, warnings: &mut Vec<Warning>) -> Option<Vec<Change>> {
    let pages = pages_of(region);
    let header = key(&table.header);
    // Each page's rows become changes at once (not all rows' cells held first).
    let mut done = Table::default();
    let mut lost = 0;
    // A page without blank lines around its break: each header starts a page.
    let mut parts: Vec<(usize, usize)> = Vec::new();
    for &(s, e) in &pages {
        let heads: Vec<usize> = (s..e).filter(|&i| region[i].key().starts_with(&header)).collect();
        for (n, &h) in heads.iter().enumerate() {
            parts.push((h, heads.get(n + 1).copied().unwrap_or(e)));
        }
    }
    for &(s, e) in &parts {
        let (r, l) = two_pass::page(&region[s..e], table, known)?;
        r.iter().for_each(|row| done.push(row));
        lost += l;
    }
    if done.changes.is_empty() && lost == 0 {
        return None;
    }
    unreadable(warnings, lost, "cells drawn apart from their rows");
    Some(done.finish(warnings))
}
