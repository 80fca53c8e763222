//! The 変更箇所 table in pdfplumber `extract_text()`: each printed line is a band of the
//! page with its cells joined by single spaces (or by none, where a full 変更前 line
//! runs into the 変更後 column). What the text still shows:
//!
//! - the date, item and 提出時期 cells are one line each, vertically centred in their
//!   row, so they print on one line of the row (the row's *anchor*: `DATE ITEM … 事後 …`);
//! - 変更前 and 変更後 are top-aligned, so a row's text lines start above its anchor,
//!   both cells on the row's first line; going down, a line holds both cells until the
//!   shorter one ends, then only the longer one;
//! - the date is centred, so a row runs at most about as far below its anchor as above.
//!
//! A line holding both cells is cut at a space (or, for a line wider than any one cell,
//! where the 変更前 cell's wrap width ends); the cut is chosen by what the two cells
//! share (a 変更後 usually starts the way its 変更前 did), never inside a list number.
//! An item wrapped over the anchor line and the line above or below is joined where the
//! two parts make a label of the form.
//!
//! A row whose cells cannot be told apart this way (a single-cell line whose column is
//! unknown, a cut that cannot be placed) is kept pending with every way its lines may
//! split; after the body is read, the one split whose 変更後 is a body value or another
//! row's 変更前 (or whose 変更前 is another row's 変更後) reads it ([`resolve`]; a cell
//! listing names one per line may be the body's value with `、` between them). Two
//! such rows of one item with no known text read each other where one split alone
//! prints the earlier row's 変更後 again as the later row's 変更前 ([`chains`]).
//!
//! pdfplumber merges two close lines of a cell character by character (`重 ない 要 変 …`).
//! Such a merge is taken apart only where certain ([`unmerge`]): an item whose two lines
//! then make a known label, or a run between the item and the timing that is one merge
//! from end to end (its two lines go to one cell, which only a known text tells). Other
//! merges, or an item wrapped over more lines, are not guessed: the row is unreadable.
//!
//! Tables whose cells all sit at the top of their rows (the date on the row's first
//! line) are read by [`top_rows`]: each line's parts are given to the cells still going
//! on, where only one way fits.

use super::layout::is_page_number;
use super::{change_table, compact, is_timing, leading_date, timing_at_end};
use crate::normalize::display_width as width;
use crate::normalize::key;
use crate::pdf::TableRow;
use crate::record::Warning;
use std::collections::HashSet;


/// The change table's header row: a line starting with the header's first three cells
/// (`変更日 項目 変更前の記載`; the rest may wrap).
fn is_header(line: &str) -> bool {
    static HEAD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let head = HEAD.get_or_init(|| change_table().header.split_whitespace().take(3).collect());
    compact(line).starts_with(head.as_str())
}


fn is_roman(c: char) -> bool {
    ('Ⅰ'..='Ⅻ').contains(&c)
}

/// pdfplumber merges two lines whose tops are within its tolerance and sorts their
/// characters left to right: `軽 め事 微 後 な変 …`. Three or more one- or two-character
/// wide-text tokens in a row are taken for such a merge (cell text has no such runs).
fn interleaved(s: &str) -> bool {
    let mut run = 0;
    for t in s.split(' ') {
        let n = t.chars().count();
        if n >= 1 && n <= 2 && t.chars().all(|c| !c.is_ascii()) {
            run += 1;
            if run >= 3 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Two lines pdfplumber merged (see [`interleaved`]), taken apart. Their characters are
/// sorted left to right and a new token starts each time the line changes, so the tokens
/// alternate between the upper line (the first token: both lines start at the cell's
/// left edge, the upper one first) and the lower one. Only a run that is such a merge
/// from its first token to its last is taken apart: every token but the last one or two
/// wide characters (the last may be the longer line's tail), none of them a list number
/// or bullet. What is taken apart is still checked: an item must make a known label, a
/// cell's lines a known text (see [`resolve`]).
fn unmerge(tokens: &[&str]) -> Option<(String, String)> {
    // A list number or bullet (`２`, `①`, `・`) is followed by a space in its own line:
    // a token may end there without the line changing, and the tokens no longer alternate.
    let short = |t: &&str| (1..=2).contains(&t.chars().count()) && t.chars().all(|c| !c.is_ascii() && (is_roman(c) || !c.is_numeric()) && !"・（）「」【】".contains(c));
    let (last, rest) = tokens.split_last()?;
    if rest.len() < 2 || !rest.iter().all(short) || last.is_empty() {
        return None;
    }
    let (mut upper, mut lower) = (String::new(), String::new());
    for (i, t) in tokens.iter().enumerate() {
        if i % 2 == 0 { &mut upper } else { &mut lower }.push_str(t);
    }
    Some((upper, lower))
}

/// The anchor line's text between the item and the timing as two lines of one cell,
/// where it is wholly one merge of two lines (four tokens at least: a shorter run says
/// too little to be sure of).
fn middle_lines(middle: &str) -> Option<(String, String)> {
    let tokens: Vec<&str> = middle.split(' ').filter(|t| !t.is_empty()).collect();
    if tokens.len() < 4 || !interleaved(middle) {
        return None;
    }
    unmerge(&tokens)
}

/// A row's anchor line: `DATE ITEM [text] TIMING [note]`.
#[derive(Debug)]
struct Anchor {
    date: String,
    item: String,
    /// The item starts with a part's numeral (`Ⅰ５②所属長`): where it ends is known.
    roman: bool,
    middle: String,
    timing: Option<String>,
    note: String,
}

fn anchor(line: &str) -> Option<Anchor> {
    let t = line.trim();
    let n = leading_date(t)?;
    let rest = t[n..].strip_prefix(' ')?;
    let (mut item, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    // An item outside the numbered parts (`表紙 特記事項`, `（別添１）…`) is known by the
    // row's timing on the line; a text line starting with a date has none.
    let mut roman = item.starts_with(is_roman);
    if !roman && !rest.split(' ').any(|w| is_timing(w)) {
        return None;
    }
    let off = |s: &str| s.as_ptr() as usize - t.as_ptr() as usize;
    // `Ⅰ　システムの名称`: the part's numeral and the item's name apart.
    if roman && item.chars().count() == 1 {
        if let Some((name, r)) = rest.split_once(' ').or(Some((rest, ""))).filter(|(n, _)| !n.is_empty()) {
            item = &t[off(item)..off(name) + name.len()];
            rest = r;
        }
    }
    // `表紙 特記事項`: a part's name, then a label of the form: the item ends there.
    if !roman {
        if let Some((name, r)) = rest.split_once(' ').filter(|(n, _)| item_labels().contains(&label_core(n))) {
            item = &t[off(item)..off(name) + name.len()];
            rest = r;
            roman = true;
        }
    }
    // The timing: the last token that is 事前/事後 or ends with it (a full 変更後 line
    // runs into the timing cell with no gap).
    let tokens: Vec<&str> = rest.split(' ').filter(|s| !s.is_empty()).collect();
    let at = tokens.iter().rposition(|w| is_timing(w)).or_else(|| tokens.iter().rposition(|w| timing_at_end(w).is_some()));
    let (middle, timing, note) = match at {
        Some(i) => {
            let w = tokens[i];
            let cut = w.len() - timing_at_end(w).map_or(0, str::len);
            let mut middle = tokens[..i].join(" ");
            if cut > 0 {
                if !middle.is_empty() {
                    middle.push(' ');
                }
                middle.push_str(&w[..cut]);
            }
            (middle, Some(w[cut..].to_string()), tokens[i + 1..].join(" "))
        }
        None => (tokens.join(" "), None, String::new()),
    };
    Some(Anchor { date: t[..n].to_string(), item: item.to_string(), roman, middle, timing, note })
}

/// A token that opens a list item or a line and so is never the last of a cell's line
/// part: `１`, `(1)`, `①`, `・`.
fn is_marker(t: &str) -> bool {
    let n = t.chars().count();
    n <= 3
        && t.chars().all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c) || ('①'..='⑳').contains(&c) || "()（）・.．".contains(c))
}

/// Column widths of the table, learned from its lines.
struct Widths {
    /// Wrap width of one text cell (変更前 and 変更後 are as wide on these forms).
    cell: usize,
}

impl Widths {
    /// A cell's line that was wrapped (the cell's text goes on below it).
    fn full(&self, s: &str) -> bool {
        width(s) + 6 >= self.cell
    }
}

/// How a line splits into the two text cells.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cut {
    /// Both cells: byte offsets of the end of 変更前 and the start of 変更後.
    Two(usize, usize),
    /// No place to cut: one cell's line.
    One,
    /// Wider than one cell, but where 変更前 ends cannot be told.
    Unknown,
}

fn two_cut(line: &str, w: &Widths, prev_after: Option<&str>) -> Option<(usize, usize)> {
    match cut(line, w, prev_after) {
        Cut::Two(b, a) => Some((b, a)),
        _ => None,
    }
}

/// Where a line that holds both text cells is cut, if it can be.
fn cut(line: &str, w: &Widths, prev_after: Option<&str>) -> Cut {
    let line = line.trim();
    let spaces: Vec<usize> = line.match_indices(' ').map(|(p, _)| p).collect();
    let first_token = line.split(' ').next().unwrap_or("");
    let opening = |s: &str| s.chars().take(2).collect::<String>();
    // (rank, cut, whether the two sides open alike)
    let mut cands: Vec<(i64, usize, bool)> = Vec::new();
    for &p in &spaces {
        let (b, a) = (&line[..p], &line[p + 1..]);
        let last = b.rsplit(' ').next().unwrap_or("");
        if is_marker(last) || b.is_empty() || a.is_empty() {
            continue;
        }
        if width(b) > w.cell + 6 || width(a) > w.cell + 6 {
            continue;
        }
        // Both sides open alike, or end alike (`… 時点` / `… 時点`).
        let same_token = a.split(' ').next() == Some(first_token) || (b.contains(' ') && a.contains(' ') && a.rsplit(' ').next() == b.rsplit(' ').next());
        let alike = same_token || opening(a) == opening(b);
        let mut score = 0i64;
        if same_token {
            score += 4;
        } else if alike && prev_after.is_none() {
            // Only on a row's first line: further down, cells go on with any text.
            score += 2;
        }
        // The 変更後 line goes on the way the one above it did (`１ …` then `２ …`).
        if let Some(pa) = prev_after {
            if is_marker(pa.split(' ').next().unwrap_or("")) && is_marker(a.split(' ').next().unwrap_or("")) {
                score += 2;
            }
        }
        // Among equals, the cut that leaves the two parts the most alike in width.
        let balance = -(width(b) as i64 - width(a) as i64).abs();
        cands.push((score * 1000 + balance, p, alike));
    }
    // A line wider than a cell with no cut at a space: the 変更前 line ran into the
    // 変更後 column; cut where the 変更前 line's wrap width ends, at the one point where
    // 変更後 starts the way 変更前 did.
    if cands.is_empty() && width(line) > w.cell + 8 {
        let mut at = Vec::new();
        for (p, _) in line.char_indices().skip(1) {
            let wb = width(&line[..p]);
            if wb + 6 >= w.cell && wb <= w.cell + 6 && opening(&line[p..]) == opening(line) {
                at.push(p);
            }
        }
        return if at.len() == 1 { Cut::Two(at[0], at[0]) } else { Cut::Unknown };
    }
    cands.sort();
    let Some(&(rank, b, _)) = cands.last() else { return Cut::One };
    // Three or more places to cut and nothing to choose by: not guessed.
    if rank < 1000 && cands.len() > 2 {
        return Cut::Unknown;
    }
    // A line wider than a cell cut at a space after a short 変更前: the 変更前 may as
    // well be full and run into 変更後 with no gap; only a shared opening tells.
    if width(line) > w.cell + 8 && cands.iter().all(|c| !w.full(&line[..c.1]) && !c.2) {
        // Unless the cut follows a sentence's end: a cell's own text puts no space
        // after 。, so such a space is the gap between the cells.
        let ends: Vec<usize> = cands.iter().filter(|c| line[..c.1].ends_with('。')).map(|c| c.1).collect();
        return if let [e] = ends[..] { Cut::Two(e, e + 1) } else { Cut::Unknown };
    }
    Cut::Two(b, b + 1)
}

/// Two parts of a line that open alike (`令和３年…` / `令和４年…`): the two text cells of
/// a row's first line, as a change mostly keeps the shape of what it changes.
fn same_opening(b: &str, a: &str) -> bool {
    let o = |s: &str| s.trim().chars().take(2).collect::<String>();
    o(b).chars().count() == 2 && o(b) == o(a)
}

/// The text cells of one row as they are read line by line.
#[derive(Default)]
struct Cells {
    before: Vec<String>,
    after: Vec<String>,
    /// Which cells are still going on: both while lines hold two parts.
    open: [bool; 2],
    lines: usize,
    /// The row cannot be read back.
    bad: bool,
    /// Nor can its shape: where it ends is not known either.
    unsound: bool,
}

impl Cells {
    fn fail(&mut self, why: &str, line: &str) {
        if !self.bad && std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some() {
            eprintln!("  row unreadable: {why}: {line}");
        }
        self.bad = true;
    }

    fn started(&self) -> bool {
        self.lines > 0
    }

    /// Read one text line of the row. `strict`: only take a line that surely goes on
    /// this row's cells (below the anchor); false if it was not taken.
    fn take(&mut self, line: &str, w: &Widths, strict: bool) -> bool {
        let line = line.trim();
        if line.is_empty() {
            return true;
        }
        if interleaved(line) || line.starts_with(is_roman) {
            if strict {
                return false;
            }
            self.fail("interleaved or item line", line);
            self.unsound = true;
            self.lines += 1;
            return true;
        }
        let prev_after = if self.open == [true, true] { self.after.last().map(String::as_str) } else { None };
        if cut(line, w, prev_after) == Cut::Unknown {
            // Both cells, cut somewhere unknown: the row is not read, but its shape
            // (two cells going on) still tells where it ends.
            if strict && !self.open.iter().all(|&o| o) {
                return false;
            }
            let wrapped = self.before.last().is_some_and(|p| w.full(p)) || self.after.last().is_some_and(|p| w.full(p));
            if strict && !wrapped {
                return false;
            }
            self.fail("no cut", line);
            self.before.push(line.to_string());
            self.after.push(line.to_string());
            self.open = [true, true];
            self.lines += 1;
            return true;
        }
        if !self.started() {
            match two_cut(line, w, None) {
                Some((b, a)) => {
                    self.before.push(line[..b].trim().to_string());
                    self.after.push(line[a..].trim().to_string());
                    self.open = [true, true];
                }
                // A row's first line with one cell: which one cannot be told.
                None => {
                    self.fail("first line one cell", line);
                    self.unsound = true;
                    self.open = [true, false];
                    self.before.push(line.to_string());
                }
            }
            self.lines += 1;
            return true;
        }
        match self.open {
            [true, true] => {
                let (pb, pa) = (self.before.last().cloned().unwrap_or_default(), self.after.last().cloned().unwrap_or_default());
                let (fb, fa) = (w.full(&pb), w.full(&pa));
                if let Some((b, a)) = two_cut(line, w, Some(&pa)) {
                    // Below the anchor, two parts go on where a part above wrapped, or
                    // where both cells go on alike (a stretch the change kept); two
                    // parts that open alike but differ are the next row's first line.
                    let kept = compact(&line[..b]) == compact(&line[a..]);
                    if strict && !fb && !fa && !kept {
                        return false;
                    }
                    self.before.push(line[..b].trim().to_string());
                    self.after.push(line[a..].trim().to_string());
                } else {
                    // One cell goes on: the one whose line above was wrapped.
                    match (fb, fa) {
                        (true, false) => {
                            self.open = [true, false];
                            self.before.push(line.to_string());
                        }
                        (false, true) => {
                            self.open = [false, true];
                            self.after.push(line.to_string());
                        }
                        _ if strict => return false,
                        _ => {
                            self.fail("one cell, column unknown", line);
                            self.open = [true, false];
                            self.before.push(line.to_string());
                        }
                    }
                }
            }
            [b, a] if b || a => {
                if strict && two_cut(line, w, None).is_some_and(|(p, q)| same_opening(&line[..p], &line[q..])) {
                    // Two parts with the same opening: the next row's first line.
                    return false;
                }
                if b { &mut self.before } else { &mut self.after }.push(line.to_string());
            }
            _ => {
                if strict {
                    return false;
                }
                self.fail("all closed", line);
            }
        }
        self.lines += 1;
        true
    }
}

/// What the 変更箇所 pages of a pdfplumber text gave.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub rows: Vec<TableRow>,
    /// Rows seen but not rebuilt (the pending ones among them).
    pub unreadable: usize,
    pub pending: Vec<Pending>,
    /// Cells left blank where the text could not be read back.
    pub warnings: Vec<Warning>,
}

/// Change rows from the lines of a pdfplumber text from the 変更箇所 heading on, with
/// the rows seen but not rebuilt.
pub(super) fn rows(lines: &[String]) -> Read {
    // Pages: each starts with the table's header (its last word may wrap to a line
    // of its own).
    let mut pages: Vec<Vec<&str>> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        if is_header(l) {
            pages.push(Vec::new());
            if !compact(l).ends_with("説明") && lines.get(i + 1).is_some_and(|n| compact(n) == "説明") {
                i += 1;
            }
        } else if let Some(p) = pages.last_mut() {
            if !l.is_empty() && !is_page_number(l) {
                p.push(l);
            }
        }
        i += 1;
    }
    // Dates at the top of their rows (a page's first line after the header is a row's
    // date line): the date line holds every cell's first line side by side, the note
    // too, and nothing tells them apart. Those tables are not read here.
    let top_aligned = pages.iter().any(|p| p.first().is_some_and(|l| anchor(l).is_some() || date_cut(l)));
    if top_aligned {
        return top_rows(&pages);
    }
    let joined: Vec<Vec<String>> = pages.iter().map(|p| join_wrapped_items(p)).collect();
    let pages: Vec<Vec<&str>> = joined.iter().map(|p| p.iter().map(String::as_str).collect()).collect();
    let cell = lines_width(&pages);
    let w = Widths { cell };
    let mut out = Vec::new();
    let mut unreadable = 0;
    let mut pending = Vec::new();
    let mut warnings = Vec::new();
    let debug = std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some();
    for (n, page) in pages.iter().enumerate() {
        let anchors: Vec<(usize, Anchor)> = page.iter().enumerate().filter_map(|(i, l)| anchor(l).map(|a| (i, a))).collect();
        // Rows whose dates are not whole one-line cells (a date cut over two lines, dates
        // at the top of their rows): not read here.
        let dated = anchors.len() + page.iter().filter(|l| date_cut(l)).count();
        if anchors.len() != dated || anchors.is_empty() {
            unreadable += dated.max(anchors.len());
            continue;
        }
        let mut cursor = 0;
        let mut start_guessed = false;
        // Each row's lines (start, end) and, for a row not read, what is known of it.
        let mut spans: Vec<(usize, usize, usize, Option<Pending>)> = Vec::new();
        let mut read_ok: Vec<usize> = Vec::new();
        for (k, (at, a)) in anchors.iter().enumerate() {
            let start = cursor;
            let next = anchors.get(k + 1).map_or(page.len(), |x| x.0);
            let mut cells = Cells::default();
            for l in &page[cursor..*at] {
                cells.take(l, &w, false);
            }
            let above = cells.lines;
            let unmerged = middle_lines(&a.middle);
            if !a.middle.is_empty() {
                for l in unmerged.as_ref().map_or(vec![a.middle.clone()], |(u, d)| vec![u.clone(), d.clone()]) {
                    cells.take(&l, &w, false);
                }
            } else {
                cells.open = [false, false];
            }
            let mut end = at + 1;
            let last = k + 1 == anchors.len();
            // A row's text starts at its top, above its centred date: the next row keeps
            // at least the line just above its anchor.
            let stop = if last { next } else { next.saturating_sub(1) };
            let mut told = a.middle.is_empty();
            while end < stop {
                if !last && end - at > above.max(1) {
                    break;
                }
                if !cells.take(page[end], &w, !last) {
                    told = !cells.unsound;
                    break;
                }
                end += 1;
            }
            told |= end >= stop;
            cursor = end;
            // Where this row ends was not told by the text (a row read wrongly, or one
            // stopped only by its length): the next row's start is a guess.
            let next_start_guessed = !told;
            let guessed = std::mem::replace(&mut start_guessed, next_start_guessed);
            let fixed = a.timing.is_some()
                && a.roman
                && !interleaved(&a.item)
                && a.item.chars().count() > 1
                && (!interleaved(&a.middle) || unmerged.is_some())
                && crate::normalize::parse_date(&a.date).is_some();
            // A note merged with a line of its own cell cannot be read back in order:
            // it is left blank, and said so.
            let note = if interleaved(&a.note) { String::new() } else { a.note.clone() };
            let cells_of = |before: String, after: String| vec![a.date.clone(), a.item.clone(), before, after, a.timing.clone().unwrap_or_default(), note.clone()];
            let ok = fixed && !guessed && !cells.bad && cells.started();
            if !ok {
                unreadable += 1;
                if debug {
                    eprintln!("  unreadable {} {} (bad {}, guessed start {}, told {}, lines {}..{})", a.date, a.item, cells.bad, guessed, told, at - above, end);
                }
                // Only where the row's two text cells part is not told (nor, within a
                // line or two, where the row starts and ends): the ways each line may
                // split are kept for the sheet's other texts to choose between.
                if fixed {
                    let note_lost = interleaved(&a.note);
                    spans.push((k, start, end, Some(Pending { row: TableRow { page: n as u32 + 1, cells: cells_of(String::new(), String::new()) }, spans: Vec::new(), note_lost, at: k, lo: None, hi: None, lines: Vec::new(), first: 0, anchor_line: 0, mid: 0, starts: Vec::new(), ends: Vec::new() })));
                } else {
                    spans.push((k, start, end, None));
                }
                continue;
            }
            spans.push((k, start, end, None));
            read_ok.push(k);
            if interleaved(&a.note) {
                warnings.push(note_lost(&a.date, &a.item));
            }
            out.push(TableRow { page: n as u32 + 1, cells: cells_of(cells.before.join("\n"), cells.after.join("\n")) });
        }
        // A row read keeps its lines; a row not read may start or end up to two lines
        // from where it was cut, within the lines no read row holds.
        for (i, (k, start, end, p)) in spans.iter().enumerate() {
            let Some(mut p) = p.clone() else { continue };
            let at = anchors[*k].0;
            let lo = if i > 0 { if read_ok.contains(&spans[i - 1].0) { spans[i - 1].2 } else { anchors[spans[i - 1].0].0 + 1 } } else { 0 };
            let hi = spans.get(i + 1).map_or(page.len(), |x| if read_ok.contains(&x.0) { x.1 } else { anchors[x.0].0 });
            // A read neighbour fixes where the row starts or ends (every line is some row's).
            p.lo = (i > 0 && read_ok.contains(&spans[i - 1].0)).then_some(lo);
            p.hi = spans.get(i + 1).filter(|x| read_ok.contains(&x.0)).map(|x| x.1);
            let middle = &anchors[*k].1.middle;
            let mut mid: Vec<Vec<(String, String)>> = Vec::new();
            match middle_lines(middle) {
                // Two lines of one cell merged: each is that cell's alone.
                Some((u, d)) => mid.extend([u, d].map(|l| vec![(l.clone(), String::new()), (String::new(), l)])),
                None if !middle.is_empty() => mid.push(self::splits(middle, &w)),
                None => {}
            }
            let hi = hi.max(at + 1);
            p.lines = page[lo..at].iter().map(|l| splits(l, &w)).chain(mid.iter().cloned()).chain(page[at + 1..hi].iter().map(|l| splits(l, &w))).collect();
            p.first = lo;
            p.anchor_line = at;
            p.mid = mid.len();
            // Where a pending row next to it may end, a chain of the two may place the
            // boundary anywhere between their anchors; elsewhere, near where it was cut.
            let near_starts = start.saturating_sub(2).max(lo)..=(start + 2).min(at);
            let near_ends = end.saturating_sub(2).max(at + 1)..=(end + 2).min(hi);
            let prev_pending = i > 0 && spans[i - 1].3.is_some();
            let next_pending = spans.get(i + 1).is_some_and(|x| x.3.is_some());
            p.starts = if prev_pending { (lo..=at).collect() } else { near_starts.clone().collect() };
            p.ends = if next_pending { (at + 1..=hi).collect() } else { near_ends.clone().collect() };
            for s in near_starts {
                for e in near_ends.clone() {
                    if let Some(splits) = p.span(s, e) {
                        p.spans.push(splits);
                    }
                }
            }
            if !p.spans.is_empty() {
                pending.push(p);
            }
        }
    }
    if debug {
        eprintln!("plumber rows: cell width {cell}, {} rows, {unreadable} unreadable", out.len());
        for r in &out {
            eprintln!("  {:?}", r.cells);
        }
    }
    Read { rows: out, unreadable, pending, warnings }
}

fn note_lost(date: &str, item: &str) -> Warning {
    let label = format!("changes row {date} {item}");
    Warning {
        path: format!("changes[{label}].timing_note"),
        code: "not_found".into(),
        message: format!("{label}: 提出時期に係る説明 is merged character by character with another line of text and is left blank"),
    }
}

/// A change row seen whole (its date, item, timing and lines told) whose two text cells
/// could not be told apart line by line.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The row with its 変更前 and 変更後 cells blank.
    row: TableRow,
    /// The row's text lines as they may be cut from its neighbours' (a few starts and
    /// ends); for each line, the ways it may split into (変更前, 変更後) parts.
    spans: Vec<Vec<Vec<(String, String)>>>,
    note_lost: bool,
    /// The row's anchor among its page's.
    at: usize,
    /// Where a read row next to it fixes the row's first line, or its end.
    lo: Option<usize>,
    hi: Option<usize>,
    /// The splits of every line the row may hold: page lines from `first` to its anchor
    /// line, the anchor's text (`mid` lines), then the lines below.
    lines: Vec<Vec<(String, String)>>,
    first: usize,
    anchor_line: usize,
    mid: usize,
    /// Where the row may start and end when read with another row (see [`chains`]).
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl Pending {
    /// The splits of the row's lines from page line `s` to `e` (the anchor's in between),
    /// if every one of them may split.
    fn span(&self, s: usize, e: usize) -> Option<Vec<Vec<(String, String)>>> {
        let from = s.checked_sub(self.first)?;
        let to = (self.anchor_line - self.first) + self.mid + e.checked_sub(self.anchor_line + 1)?;
        let lines = self.lines.get(from..to)?;
        (!lines.is_empty() && lines.iter().all(|l| !l.is_empty())).then(|| lines.to_vec())
    }
}

/// The ways a line of a row's text cells may split into (変更前 part, 変更後 part): one
/// cell's line (either), cut at a space, or cut where a full 変更前 line ran into the
/// 変更後 column with no gap. None for a line merged with another one.
fn splits(line: &str, w: &Widths) -> Vec<(String, String)> {
    let line = line.trim();
    if interleaved(line) || line.starts_with(is_roman) {
        return Vec::new();
    }
    let fits = |s: &str| width(s) <= w.cell + 6;
    let mut out = Vec::new();
    if fits(line) {
        out.push((line.to_string(), String::new()));
        out.push((String::new(), line.to_string()));
    }
    for (p, c) in line.char_indices().skip(1) {
        let (b, a) = (&line[..p], &line[p..]);
        let (b, a) = if c == ' ' { (b, &a[1..]) } else if b.ends_with(' ') { continue } else { (b, a) };
        if a.is_empty() || !fits(b) || !fits(a) || is_marker(b.rsplit(' ').next().unwrap_or("")) {
            continue;
        }
        // With no space, the 変更前 part is a full line.
        if c == ' ' || w.full(b) {
            out.push((b.to_string(), a.to_string()));
        }
    }
    out
}

/// Texts of the sheet a pending row's cells may be, as match keys.
#[derive(Debug, Default)]
pub struct Known {
    /// What a row's 変更後 may be: a value of the body (the sheet as it is now), or the
    /// 変更前 of another row (a later change starts from it).
    pub after: HashSet<String>,
    /// What a row's 変更前 may be: the 変更後 of another row (what an earlier change made).
    pub before: HashSet<String>,
}

/// Rows of `pending` whose cells the sheet's known texts tell apart: a row is read when
/// exactly one way of splitting its lines gives a 変更前 or 変更後 that is, whole, such a
/// text. Rows read feed the known texts in turn. Returns the rows read, with warnings
/// for their cells left blank.
pub fn resolve(pending: &[Pending], known: &mut Known) -> (Vec<TableRow>, Vec<Warning>) {
    let mut done = vec![false; pending.len()];
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    loop {
        let mut progress = false;
        for (i, p) in pending.iter().enumerate() {
            if done[i] {
                continue;
            }
            let reading = one_reading(p, known);
            if std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some() {
                eprintln!("  pending {} {}: {} spans, read: {}", p.row.cells[0], p.row.cells[1], p.spans.len(), reading.is_some());
            }
            let Some((before, after)) = reading else { continue };
            done[i] = true;
            progress = true;
            known.after.insert(key(&before));
            known.before.insert(key(&after));
            let mut row = p.row.clone();
            row.cells[2] = before;
            row.cells[3] = after;
            if p.note_lost {
                warnings.push(note_lost(&row.cells[0], &row.cells[1]));
            }
            out.push(row);
        }
        // No known text left to read by: rows of one item may read each other.
        if !progress {
            for (i, reading) in chains(pending, &done) {
                done[i] = true;
                progress = true;
                let (before, after) = reading;
                known.after.insert(key(&before));
                known.before.insert(key(&after));
                let mut row = pending[i].row.clone();
                row.cells[2] = before;
                row.cells[3] = after;
                if pending[i].note_lost {
                    warnings.push(note_lost(&row.cells[0], &row.cells[1]));
                }
                out.push(row);
            }
        }
        if !progress {
            break;
        }
    }
    (out, warnings)
}

/// Pending rows read by each other: where an item changed twice, the later change
/// starts from what the earlier one made, so the earlier row's 変更後 is the later row's
/// 変更前, printed twice. Each row not yet read is paired with the next change of its
/// item (by date; two on one date are not ordered); a pair is read where exactly one way
/// of splitting both rows' lines prints that text in both places (in the order the
/// cells fill a row, each row's 変更前 and 変更後 different). A row given two readings by
/// its two pairs is read by neither.
fn chains(pending: &[Pending], done: &[bool]) -> Vec<(usize, (String, String))> {
    let date = |p: &Pending| crate::normalize::parse_date(&p.row.cells[0]);
    let mut open: Vec<usize> = (0..pending.len()).filter(|&i| !done[i] && date(&pending[i]).is_some()).collect();
    open.sort_by_key(|&i| date(&pending[i]));
    let mut got: Vec<[(usize, (String, String)); 2]> = Vec::new();
    for (n, &i) in open.iter().enumerate() {
        let item = label_core(&pending[i].row.cells[1]);
        let Some(&j) = open[n + 1..].iter().find(|&&j| label_core(&pending[j].row.cells[1]) == item) else { continue };
        if date(&pending[j]) == date(&pending[i]) {
            continue;
        }
        let found = chain_readings(&pending[i], &pending[j]);
        if std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some() {
            eprintln!("  chain {} -> {} {}: {:?}", pending[i].row.cells[0], pending[j].row.cells[0], pending[i].row.cells[1], found.as_ref().map(|f| f.len()));
        }
        let Some(found) = found else { continue };
        if let [[b0, a0, b1, a1]] = &found[..] {
            got.push([(i, (b0.clone(), a0.clone())), (j, (b1.clone(), a1.clone()))]);
        }
    }
    let one_reading = |i: usize| {
        let mut rs: Vec<&(String, String)> = got.iter().flatten().filter(|(k, _)| *k == i).map(|(_, r)| r).collect();
        rs.dedup();
        rs.len() == 1
    };
    let mut out: Vec<(usize, (String, String))> = got.iter().filter(|[x, y]| one_reading(x.0) && one_reading(y.0)).flatten().cloned().collect();
    out.sort();
    out.dedup();
    out
}

/// Every reading of two pending rows, `a` changed before `b`, where `a`'s 変更後 is `b`'s
/// 変更前 (at least [`MIN_KNOWN`] long): `[a 変更前, a 変更後, b 変更前, b 変更後]`. Their
/// spans are taken where the rows' lines neither overlap nor leave a line to no row
/// (rows next to each other share their boundary; a read neighbour fixes it). None: too
/// many to try.
fn chain_readings(a: &Pending, b: &Pending) -> Option<Vec<[String; 4]>> {
    let mut out: Vec<[String; 4]> = Vec::new();
    let mut budget = 400_000usize;
    let keys = |lines: &Vec<Vec<(String, String)>>| -> Vec<Vec<[String; 2]>> { lines.iter().map(|ls| ls.iter().map(|(b, a)| [key(b), key(a)]).collect()).collect() };
    let fixed = |p: &Pending, r: &(usize, usize)| p.lo.is_none_or(|lo| r.0 == lo) && p.hi.is_none_or(|hi| r.1 == hi);
    let ranges = |p: &Pending| -> Vec<(usize, usize)> { p.starts.iter().flat_map(|&s| p.ends.iter().map(move |&e| (s, e))).filter(|r| fixed(p, r)).collect() };
    let (ras, rbs) = (ranges(a), ranges(b));
    if ras.len() * rbs.len() > 4000 {
        return None;
    }
    for &ra in &ras {
        let Some(la) = a.span(ra.0, ra.1) else { continue };
        for &rb in &rbs {
            if a.row.page == b.row.page {
                let apart = ra.1 <= rb.0 || rb.1 <= ra.0;
                let shared = (b.at != a.at + 1 || ra.1 == rb.0) && (a.at != b.at + 1 || rb.1 == ra.0);
                if !apart || !shared {
                    continue;
                }
            }
            let Some(lb) = b.span(rb.0, rb.1) else { continue };
            let (la, lb) = (&la, &lb);
            let mut j = Joint { a: keys(la), b: keys(lb), ca: Vec::new(), cb: Vec::new(), text: String::new(), found: Vec::new(), budget, dead: HashSet::new() };
            j.walk(0, 0, None, None);
            budget = j.budget;
            if budget == 0 {
                return None;
            }
            for (ca, cb) in &j.found {
                let part = |lines: &Vec<Vec<(String, String)>>, c: &[usize], side: usize| {
                    c.iter().enumerate().map(|(l, &k)| if side == 0 { &lines[l][k].0 } else { &lines[l][k].1 }).filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join("\n")
                };
                let r = [part(la, ca, 0), part(la, ca, 1), part(lb, cb, 0), part(lb, cb, 1)];
                if key(&r[0]) != key(&r[1]) && key(&r[2]) != key(&r[3]) && key(&r[1]).chars().count() >= MIN_KNOWN {
                    out.push(r);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// The search of [`chain_readings`] over one span of each row: the earlier row's 変更後
/// parts and the later row's 変更前 parts are laid along one text, the one behind taking
/// its next line, each row's lines keeping the cells' shape (see [`walk`]).
struct Joint {
    a: Vec<Vec<[String; 2]>>,
    b: Vec<Vec<[String; 2]>>,
    ca: Vec<usize>,
    cb: Vec<usize>,
    /// The text laid so far (the longer of the two sides).
    text: String,
    found: Vec<(Vec<usize>, Vec<usize>)>,
    budget: usize,
    dead: HashSet<(usize, usize, Option<usize>, Option<usize>, bool, String)>,
}

impl Joint {
    /// `na`, `nb`: how much of `text` each side has laid; `alone_*`: as in [`walk`].
    fn walk(&mut self, na: usize, nb: usize, alone_a: Option<usize>, alone_b: Option<usize>) {
        if self.budget == 0 || self.found.len() > 8 {
            return;
        }
        self.budget -= 1;
        // What is left to do depends only on the lines left, the shapes and the text one
        // side has laid ahead of the other: a state seen to lead nowhere is not tried again.
        let state = (self.ca.len(), self.cb.len(), alone_a, alone_b, na > nb, self.text[na.min(nb)..].to_string());
        if self.dead.contains(&state) {
            return;
        }
        let found = self.found.len();
        self.step(na, nb, alone_a, alone_b);
        if self.found.len() == found {
            self.dead.insert(state);
        }
    }

    fn step(&mut self, na: usize, nb: usize, alone_a: Option<usize>, alone_b: Option<usize>) {
        let (a_done, b_done) = (self.ca.len() == self.a.len(), self.cb.len() == self.b.len());
        if a_done && b_done {
            if na == nb {
                self.found.push((self.ca.clone(), self.cb.clone()));
            }
            return;
        }
        // A side done laid its whole text: the other may not go past it.
        if (b_done && na > nb) || (a_done && nb > na) {
            return;
        }
        // The side behind lays its next line: `a` gives its 変更後 part, `b` its 変更前.
        let take_a = !a_done && (na <= nb || b_done);
        let other_done = if take_a { b_done } else { a_done };
        let (lines, side, at, alone) = if take_a { (&self.a, 1, na, alone_a) } else { (&self.b, 0, nb, alone_b) };
        let l = if take_a { self.ca.len() } else { self.cb.len() };
        let options: Vec<(usize, Option<usize>, String)> = lines[l]
            .iter()
            .enumerate()
            .filter_map(|(k, parts)| {
                let only = match (parts[0].is_empty(), parts[1].is_empty()) {
                    (false, false) => None,
                    (false, true) => Some(0),
                    _ => Some(1),
                };
                (alone.is_none() || only == alone).then(|| (k, only, parts[side].clone()))
            })
            .collect();
        for (k, only, part) in options {
            let len = self.text.len();
            let end = at + part.len();
            let fits = if end <= len { self.text[at..].starts_with(&part) } else { part.starts_with(&self.text[at..]) };
            if !fits || (other_done && end > len) {
                continue;
            }
            if end > len {
                self.text.push_str(&part[len - at..]);
            }
            if take_a {
                self.ca.push(k);
                self.walk(end, nb, only, alone_b);
                self.ca.pop();
            } else {
                self.cb.push(k);
                self.walk(na, end, alone_a, only);
                self.cb.pop();
            }
            self.text.truncate(len);
        }
    }
}

/// Known texts shorter than this say too little to choose a split by.
const MIN_KNOWN: usize = 6;

/// A match key without list separators: a cell listing names one per line is the body's
/// value with them joined by `、` (`…ファイル` / `…ファイル` and `…ファイル、…ファイル`).
fn loose(k: &str) -> String {
    k.chars().filter(|c| !matches!(c, '、' | ',')).collect()
}

/// The one split of a pending row's lines whose 変更前 or 変更後 is a known text: matched
/// whole, or else (none matching so) with list separators left out.
fn one_reading(p: &Pending, known: &Known) -> Option<(String, String)> {
    let exact = readings(p, known, &|k: String| k)?;
    let found = if exact.is_empty() { readings(p, known, &|k: String| loose(&k))? } else { exact };
    let mut found = found;
    (found.len() == 1).then(|| found.pop()).flatten()
}

/// Every split of a pending row's lines whose 変更前 or 変更後 is a known text, the
/// texts and the lines' parts compared as `norm` makes them. None: too many to try.
fn readings(p: &Pending, known: &Known, norm: &dyn Fn(String) -> String) -> Option<Vec<(String, String)>> {
    let mut readings: Vec<(String, String)> = Vec::new();
    let mut budget = 200_000usize;
    let before: Vec<String> = known.before.iter().map(|t| norm(t.clone())).collect();
    let after: Vec<String> = known.after.iter().map(|t| norm(t.clone())).collect();
    for lines in &p.spans {
        let keys: Vec<Vec<[String; 2]>> = lines.iter().map(|ls| ls.iter().map(|(b, a)| [norm(key(b)), norm(key(a))]).collect()).collect();
        let mut found: Vec<Vec<usize>> = Vec::new();
        for (side, texts) in [(0, &before), (1, &after)] {
            for t in texts.iter().filter(|t| t.chars().count() >= MIN_KNOWN) {
                let mut choice = Vec::with_capacity(keys.len());
                walk(&keys, side, t, 0, None, &mut choice, &mut found, &mut budget);
                if budget == 0 {
                    return None;
                }
            }
        }
        let texts = |c: &Vec<usize>| {
            let part = |side: usize| c.iter().enumerate().map(|(l, &k)| if side == 0 { &lines[l][k].0 } else { &lines[l][k].1 }).filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join("\n");
            (part(0), part(1))
        };
        readings.extend(found.iter().map(texts));
    }
    readings.sort();
    readings.dedup();
    if std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some() {
        eprintln!("    {} reading(s)", readings.len());
        if readings.len() > 1 {
            for r in &readings {
                eprintln!("      {r:?}");
            }
        }
    }
    Some(readings)
}

/// Every choice of one split per line whose parts on `side` make up `target`. The two
/// cells sit at the top of the row, so its lines hold both cells, then only the longer
/// one (`alone`: the cell, 0 or 1, that has gone on alone since some line).
#[allow(clippy::too_many_arguments)]
fn walk(keys: &[Vec<[String; 2]>], side: usize, target: &str, at: usize, alone: Option<usize>, choice: &mut Vec<usize>, found: &mut Vec<Vec<usize>>, budget: &mut usize) {
    if *budget == 0 || found.len() > 8 {
        return;
    }
    *budget -= 1;
    let l = choice.len();
    if l == keys.len() {
        if at == target.len() {
            found.push(choice.clone());
        }
        return;
    }
    for (k, parts) in keys[l].iter().enumerate() {
        let only = match (parts[0].is_empty(), parts[1].is_empty()) {
            (false, false) => None,
            (false, true) => Some(0),
            _ => Some(1),
        };
        let fits = match alone {
            None => true,
            Some(c) => only == Some(c),
        };
        if fits && target[at..].starts_with(parts[side].as_str()) {
            choice.push(k);
            walk(keys, side, target, at + parts[side].len(), only, choice, found, budget);
            choice.pop();
        }
    }
}

/// Items wrapped over two lines (`Ⅰ２特定個人情報ファイ` / `ル名`): the item cell is
/// centred on the row's date, so one of its lines stands on the anchor line and the
/// other opens the line above or below it, before the text cells' parts. Where the two
/// make a known label, the item is put back whole on the anchor line.
fn join_wrapped_items(page: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = page.iter().map(|s| s.to_string()).collect();
    let first = |s: &str| s.split(' ').next().unwrap_or("").to_string();
    let known = |s: &str| item_labels().contains(&label_core(s));
    for i in 0..out.len() {
        let Some(n) = leading_date(&out[i]) else { continue };
        let line = out[i].clone();
        let rest = line[n..].trim_start();
        let (item, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        if !tail.split(' ').any(is_timing) || known(item) {
            continue;
        }
        // The item's two lines merged by pdfplumber (`Ⅰ ル名 ２特定個人情報ファイ`): taken
        // apart where exactly one run of the line's first tokens makes a known label.
        let tokens: Vec<&str> = rest.split(' ').collect();
        let lone_roman = item.chars().count() == 1 && item.starts_with(is_roman);
        if item.starts_with(is_roman) && !(lone_roman && tokens.get(1).is_some_and(|n| known(&format!("{item}{n}")))) {
            let found: Vec<(usize, String)> = (3..=tokens.len().min(12))
                .filter_map(|k| unmerge(&tokens[..k]).map(|(u, d)| (k, format!("{u}{d}"))))
                .filter(|(_, label)| known(label))
                .collect();
            if let [(k, label)] = &found[..] {
                out[i] = format!("{} {label} {}", &line[..n], tokens[*k..].join(" "));
                continue;
            }
        }
        if i > 0 {
            let p = first(&out[i - 1]);
            if p.starts_with(is_roman) && known(&format!("{p}{item}")) {
                out[i] = format!("{} {p}{item} {tail}", &line[..n]);
                out[i - 1] = out[i - 1][p.len()..].trim().to_string();
                continue;
            }
        }
        if item.starts_with(is_roman) && i + 1 < out.len() && leading_date(&out[i + 1]).is_none() {
            let q = first(&out[i + 1]);
            if known(&format!("{item}{q}")) {
                out[i] = format!("{} {item}{q} {tail}", &line[..n]);
                out[i + 1] = out[i + 1][q.len()..].trim().to_string();
            }
        }
    }
    out.retain(|l| !l.is_empty());
    out
}

/// A line that starts like a date but is not one: the date cell wrapped (`平成30年12月15` /
/// `日`), as in tables whose dates sit at the top of narrow date cells.
fn date_cut(l: &str) -> bool {
    let era = l.starts_with("令和") || l.starts_with("平成") || l.starts_with("昭和");
    era && leading_date(l).is_none() && l.chars().nth(2).is_some_and(|c| c.is_ascii_digit() || ('０'..='９').contains(&c) || c == '元')
}

/// The wrap width of a text cell. A line holding both cells wrapped is the widest of
/// the table, two cells and a gap wide: half of it is a first guess, a little short
/// where spaces were collapsed. The widest single cell line near that guess (a line
/// with no space, or either side of a line's only space) is the width itself.
fn lines_width(pages: &[Vec<&str>]) -> usize {
    let lines: Vec<&str> = pages.iter().flatten().copied().filter(|l| anchor(l).is_none()).collect();
    let guess = lines.iter().map(|l| width(l)).max().unwrap_or(0).saturating_sub(1) / 2;
    let parts = lines.iter().flat_map(|l| {
        let ps: Vec<&str> = l.split(' ').collect();
        if ps.len() <= 2 { ps } else { Vec::new() }
    });
    // Near: up to a third wider (a small table's widest line may hold two short cells);
    // a line where a full cell ran into the next has about two cells' width.
    let best = parts.map(width).filter(|&p| p <= guess + guess / 3).max().unwrap_or(0);
    best.max(guess).max(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    const HEADER: &str = "変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る説明";

    #[test]
    fn rows_from_side_by_side_lines() {
        let text = format!(
            "変更箇所\n{HEADER}\n市民課長 菅野 智子 市民課長 山田 秀樹\n平成28年3月31日 Ⅰ５②所属長 事前\n令和３年９月１日 時点 令和４年９月１日 時点\n令和4年11月11日 Ⅱ１いつ時点の計数か 事後\n5"
        );
        let Read { rows, unreadable, .. } = rows(&lines(&text));
        assert_eq!(unreadable, 0);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells, ["平成28年3月31日", "Ⅰ５②所属長", "市民課長 菅野 智子", "市民課長 山田 秀樹", "事前", ""]);
        assert_eq!(rows[1].cells[2..4], ["令和３年９月１日 時点", "令和４年９月１日 時点"]);
    }

    #[test]
    fn a_cell_going_on_below_the_date_stays_in_its_row() {
        // 変更前 runs on below the date line (the date is centred, the text top-aligned);
        // the next row starts where both cells start again.
        let text = format!(
            "{HEADER}\n【概要】 （従前の記載に次の内容を追加）\n介護保険法に基づき、被保険者の資格管理、要介護・要支援 ※詳細は、（別添１）事務の内容を参照。\n認定、保険給付及び保険料の賦課徴収に関する事務を行う。\n平成30年12月30日 Ⅰ１②事務の内容 【内容】 事前\n１ 被保険者の資格の取得・喪失の管理\n枚方市健康福祉部介護保険課 枚方市健康福祉部介護保険課\n平成30年12月30日 Ⅴ２①連絡先 電話 030-504-8353 097-291-6642 事後"
        );
        let Read { rows, unreadable, .. } = rows(&lines(&text));
        assert_eq!(unreadable, 0, "{rows:?}");
        assert_eq!(rows[0].cells[2], "【概要】\n介護保険法に基づき、被保険者の資格管理、要介護・要支援\n認定、保険給付及び保険料の賦課徴収に関する事務を行う。\n【内容】\n１ 被保険者の資格の取得・喪失の管理");
        assert_eq!(rows[0].cells[3], "（従前の記載に次の内容を追加）\n※詳細は、（別添１）事務の内容を参照。");
        assert_eq!(rows[1].cells[2..5], ["枚方市健康福祉部介護保険課\n電話 030-504-8353", "枚方市健康福祉部介護保険課\n097-291-6642", "事後"]);
    }

    #[test]
    fn rows_not_told_apart_are_counted() {
        // An item wrapped and merged character by character with a cell's lines.
        let text = format!(
            "{HEADER}\n住民基本台帳ファイル 住民基本台帳ファイル\n平成29年4月20日 Ⅰ ル名 ２特定個人情報ファイ 本 送 人 付 確 先 認 情 情 報 報 ファ フ イ ァ ル イル 事後\n10万人以上30万人未満 30万人以上\n令和4年11月11日 Ⅱ１対象人数 事前"
        );
        let Read { rows, unreadable, .. } = rows(&lines(&text));
        assert_eq!(unreadable, 1);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells[1..4], ["Ⅱ１対象人数", "10万人以上30万人未満", "30万人以上"]);
    }

    #[test]
    fn dates_at_the_top_of_their_rows_are_not_read() {
        let text = format!("{HEADER}\n平成30年12月15 Ⅱ３④使用の主体 使用部 申請の受付 法令に定める 事後 委託契約書に秘\n日 署 行う。 わない。 密保持\n");
        let Read { rows, unreadable, .. } = rows(&lines(&text));
        assert!(rows.is_empty());
        assert_eq!(unreadable, 1);
    }

    #[test]
    fn an_item_wrapped_over_the_anchor_line_is_joined_by_its_label() {
        // The item cell is centred: `Ⅰ２特定個人情報ファイ` opens the line above the date,
        // `ル名` stands on the date's line; together they are a label of the form.
        let text = format!("{HEADER}\nⅠ２特定個人情報ファイ 国民健康保険被保険者ファイル 国民健康保険被保険者ファイル（副本）\n平成28年11月25日 ル名 事後\n5");
        let Read { rows, unreadable, .. } = rows(&lines(&text));
        assert_eq!(unreadable, 0, "{rows:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells, ["平成28年11月25日", "Ⅰ２特定個人情報ファイル名", "国民健康保険被保険者ファイル", "国民健康保険被保険者ファイル（副本）", "事後", ""]);
    }

    #[test]
    fn a_run_on_row_is_read_by_a_later_rows_text() {
        // The second line's 変更前 runs into its 変更後 with no gap, and the date's line
        // holds one cell's last line: which cell's cannot be told from the shape. The
        // later row's 変更前 (what this row changed the item to) tells.
        let text = format!(
            "{HEADER}\n令和２年８月１日 時点 令和３年９月１日 時点\n令和3年12月6日 Ⅱ１いつ時点の計数か 事後\nホストシステム、中間サーバー、団体内統合利用番号連携サ ホストシステム、中間サーバー、団体内統合利用番号連携サ\nーバー、次期国保総合システムおよび国保情報集約システムーバー、国保総合システムおよび国保情報集約システム、医\n令和3年1月15日 Ⅰ１③システムの名称 療保険者向け中間サーバー等 事後\n5"
        );
        let read = rows(&lines(&text));
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.unreadable, 1);
        assert_eq!(read.pending.len(), 1);
        // Nothing known: still not read.
        let (none, _) = resolve(&read.pending, &mut Known::default());
        assert!(none.is_empty());
        let after = "ホストシステム、中間サーバー、団体内統合利用番号連携サーバー、国保総合システムおよび国保情報集約システム、医療保険者向け中間サーバー等";
        let mut known = Known::default();
        known.after.insert(key(after));
        let (rows, warnings) = resolve(&read.pending, &mut known);
        assert!(warnings.is_empty());
        assert_eq!(rows.len(), 1);
        assert_eq!(key(&rows[0].cells[2]), key("ホストシステム、中間サーバー、団体内統合利用番号連携サーバー、次期国保総合システムおよび国保情報集約システム"));
        assert_eq!(key(&rows[0].cells[3]), key(after));
        assert_eq!(rows[0].cells[1], "Ⅰ１③システムの名称");
    }

    #[test]
    fn a_body_value_is_not_taken_for_a_rows_before() {
        // Both cells open alike and one goes on alone: the body's value (the sheet as it
        // is now) can only be the 変更後.
        let text = format!("{HEADER}\n番号法 第7条（指定及び通知）、第16条（本人確認の措置 番号法 第7条（指定及び通知）、第16条（本人確認の措置\n）、第17条（個人番号カードの交付等） ）、第17条（個人番号カードの交付等）\n住民基本台帳法 第5条、第6条、第7条、第8条、第12条、第\n平成29年9月17日 Ⅰ３法令上の根拠 22条～第24条、第30条の6 事後\n5");
        let read = rows(&lines(&text));
        assert!(read.rows.is_empty());
        let kept = "番号法 第7条（指定及び通知）、第16条（本人確認の措置）、第17条（個人番号カードの交付等）";
        let grown = format!("{kept}住民基本台帳法 第5条、第6条、第7条、第8条、第12条、第22条～第24条、第30条の6");
        let mut known = Known::default();
        known.after.insert(key(&grown));
        let (rows, _) = resolve(&read.pending, &mut known);
        assert_eq!(rows.len(), 1);
        assert_eq!(key(&rows[0].cells[2]), key(kept));
        assert_eq!(key(&rows[0].cells[3]), key(&grown));
        // Known only as a 変更前 (another row's 変更後): then it is read the other way.
        let mut known = Known::default();
        known.before.insert(key(&grown));
        let (rows, _) = resolve(&read.pending, &mut known);
        assert_eq!(rows.len(), 1);
        assert_eq!(key(&rows[0].cells[3]), key(kept));
    }

    #[test]
    fn a_merged_note_is_left_blank_with_a_warning() {
        let text = format!("{HEADER}\n市民課長 菅野 智子 市民課長 山田 秀樹\n平成28年3月31日 Ⅰ５②所属長 事前 任 行 意 うも に の 事前の提出を\n5");
        let read = rows(&lines(&text));
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].cells[5], "");
        assert_eq!(read.warnings.len(), 1);
        assert!(read.warnings[0].path.ends_with(".timing_note"), "{:?}", read.warnings);
        assert!(read.warnings[0].path.contains("Ⅰ５②所属長"));
    }

    #[test]
    fn merged_item_and_cell_lines_are_taken_apart() {
        // The item's two lines (`Ⅰ２特定個人情報ファイ` / `ル名`) and the 変更後's second and
        // third lines (`課税台帳ファイル` / `収納情報ファイル`) merged on the date line; the
        // body lists the files with `、`.
        let text = format!("{HEADER}\n宛名ファイル 宛名ファイル\n令和2年4月1日 Ⅰ ル名 ２特定個人情報ファイ 課 収 税 納 台 情 帳 報 フ フ ァ ァ イ イ ル ル 事後\n5");
        let read = rows(&lines(&text));
        assert!(read.rows.is_empty());
        assert_eq!(read.unreadable, 1);
        assert_eq!(read.pending.len(), 1);
        assert_eq!(read.pending[0].row.cells[1], "Ⅰ２特定個人情報ファイル名");
        let mut known = Known::default();
        known.after.insert(key("宛名ファイル、課税台帳ファイル、収納情報ファイル"));
        let (rows, _) = resolve(&read.pending, &mut known);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells, ["令和2年4月1日", "Ⅰ２特定個人情報ファイル名", "宛名ファイル", "宛名ファイル\n課税台帳ファイル\n収納情報ファイル", "事後", ""]);
        // Known only as a 変更前: the merged lines are the 変更前's.
        let mut known = Known::default();
        known.before.insert(key("宛名ファイル課税台帳ファイル収納情報ファイル"));
        let (rows, _) = resolve(&read.pending, &mut known);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells[2..4], ["宛名ファイル\n課税台帳ファイル\n収納情報ファイル".to_string(), "宛名ファイル".to_string()]);
    }

    #[test]
    fn a_merge_with_a_list_number_is_not_taken_apart() {
        // `２ 被保険者証の交付` / `に関する事務`: the space after `２` ends a token with no
        // change of line, so the tokens do not alternate; no row, whatever the sheet holds.
        assert_eq!(middle_lines("２ に 関 被保 する 険 事 者 務 証の交付"), None);
        assert_eq!(unmerge(&["課", "収", "税", "納税額"]), Some(("課税".into(), "収納税額".into())));
        let text = format!("{HEADER}\n【内容】 【内容】\n令和2年4月1日 Ⅰ１②事務の概要 ２ に 関 被保 する 険 事 者 務 証の交付 事後\n5");
        let read = rows(&lines(&text));
        assert!(read.rows.is_empty());
        assert_eq!(read.unreadable, 1);
        let mut known = Known::default();
        known.after.insert(key("【内容】２関する事務に被保険者証の交付"));
        known.before.insert(key("【内容】２関する事務に被保険者証の交付"));
        let (rows, _) = resolve(&read.pending, &mut known);
        assert!(rows.is_empty(), "{rows:?}");
    }

    #[test]
    fn merged_lines_matching_no_known_text_give_no_row() {
        let text = format!("{HEADER}\n宛名ファイル 宛名ファイル\n令和2年4月1日 Ⅰ ル名 ２特定個人情報ファイ 課 収 税 納 台 情 帳 報 フ フ ァ ァ イ イ ル ル 事後\n5");
        let read = rows(&lines(&text));
        let mut known = Known::default();
        // The lines in the other order: not this row's text.
        known.after.insert(key("宛名ファイル、収納情報ファイル、課税台帳ファイル"));
        let (rows, _) = resolve(&read.pending, &mut known);
        assert!(rows.is_empty(), "{rows:?}");
    }

    #[test]
    fn two_changes_of_one_item_read_each_other() {
        // Each row's date line holds one cell's last line, of a column the shape does not
        // tell, and no text of the sheet is known: the earlier row's 変更後 is printed again
        // as the later row's 変更前, and only one way of splitting both prints it twice.
        let text = format!("{HEADER}\n旧い記載の文面です。 新しい記載の文面です。\n令和2年5月1日 Ⅰ４②法令上の根拠 追記の一文。 事後\n新しい記載の文面です。 さらに新しい文面です。\n令和4年6月1日 Ⅰ４②法令上の根拠 別の一文です。 事後\n5");
        let read = rows(&lines(&text));
        assert!(read.rows.is_empty(), "{:?}", read.rows);
        assert_eq!(read.pending.len(), 2);
        let (mut rows, _) = resolve(&read.pending, &mut Known::default());
        rows.sort_by(|a, b| a.cells.cmp(&b.cells));
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].cells, ["令和2年5月1日", "Ⅰ４②法令上の根拠", "旧い記載の文面です。\n追記の一文。", "新しい記載の文面です。", "事後", ""]);
        assert_eq!(rows[1].cells, ["令和4年6月1日", "Ⅰ４②法令上の根拠", "新しい記載の文面です。", "さらに新しい文面です。\n別の一文です。", "事後", ""]);
    }

    #[test]
    fn a_chain_read_two_ways_gives_no_row() {
        // Both date lines hold the same line: with it or without it, the earlier 変更後 is
        // the later 変更前. Two readings: neither row is given.
        let text = format!("{HEADER}\n旧い記載の文面です。 新しい記載の文面です。\n令和2年5月1日 Ⅰ４②法令上の根拠 追記の一文。 事後\n新しい記載の文面です。 さらに新しい文面です。\n令和4年6月1日 Ⅰ４②法令上の根拠 追記の一文。 事後\n5");
        let read = rows(&lines(&text));
        assert_eq!(read.pending.len(), 2);
        let (rows, _) = resolve(&read.pending, &mut Known::default());
        assert!(rows.is_empty(), "{rows:?}");
        // Two changes of different items do not read each other.
        let other = text.replace("令和4年6月1日 Ⅰ４②法令上の根拠", "令和4年6月1日 Ⅰ３法令上の根拠");
        let read = rows_of(&other);
        let (rows, _) = resolve(&read.pending, &mut Known::default());
        assert!(rows.is_empty(), "{rows:?}");
    }

    fn rows_of(text: &str) -> Read {
        rows(&lines(text))
    }

    const TOP_HEADER: &str = "変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る\n説明";

    #[test]
    fn rows_with_their_date_at_the_top() {
        // Every cell starts on the row's first line; the date and the item wrap; a cell
        // missing from a line has ended; a full line goes on below.
        let text = format!(
            "{TOP_HEADER}\n平成２８年９月 Ⅲ３特定個人情報の使用に ・入手した情報は、システムへの ・入手した情報は、システムへの 事後 サーバは入退室\n１日 おけるその他のリスク及び 登録前に複数の職員で確認してい 登録前に複数の職員で確認してい 管理を行ってい\nそのリスクに対する措置 る。 る。母子保健に関する事務の実施 る。\n・紙媒体は、溶解処理により廃棄 に必要な範囲に限り、特定個人情\nし、廃棄の記録を残している。 報を取り扱う。\n平成27年1月7日 Ⅰ５②所属長 市民課長 保険課長 事前\n12"
        );
        let Read { rows, unreadable, .. } = rows(&lines(&text));
        assert_eq!(unreadable, 0, "{rows:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].cells,
            [
                "平成２８年９月１日",
                "Ⅲ３特定個人情報の使用におけるその他のリスク及びそのリスクに対する措置",
                "・入手した情報は、システムへの\n登録前に複数の職員で確認してい\nる。\n・紙媒体は、溶解処理により廃棄\nし、廃棄の記録を残している。",
                "・入手した情報は、システムへの\n登録前に複数の職員で確認してい\nる。母子保健に関する事務の実施\nに必要な範囲に限り、特定個人情\n報を取り扱う。",
                "事後",
                "サーバは入退室\n管理を行ってい\nる。",
            ]
        );
        assert_eq!(rows[1].cells, ["平成27年1月7日", "Ⅰ５②所属長", "市民課長", "保険課長", "事前", ""]);
    }

    #[test]
    fn a_top_row_read_two_ways_is_not_given() {
        // Neither cell's first line is full, so the line below may go on either: no row.
        let text = format!("{TOP_HEADER}\n平成27年4月6日 Ⅰ５②所属長 短い文です。 別の短い文。 事前\n続きの一行。\n12");
        let Read { rows, unreadable, .. } = rows(&lines(&text));
        assert!(rows.is_empty(), "{rows:?}");
        assert_eq!(unreadable, 1);
    }

    #[test]
    fn a_line_cut_where_the_cells_open_alike() {
        let w = Widths { cell: 56 };
        let l = "ーバー、次期国保総合システムおよび国保情報集約システムーバー、国保総合システムおよび国保情報集約システム、医";
        assert_eq!(cut(l, &w, None), Cut::Two("ーバー、次期国保総合システムおよび国保情報集約システム".len(), "ーバー、次期国保総合システムおよび国保情報集約システム".len()));
        // Several places to cut and nothing to choose by.
        assert_eq!(cut("別表第1 項番30 番号法 第9条第1項 別表第一 30の項（利用範囲）", &w, Some("x")), Cut::Unknown);
        assert_eq!(cut("１ 被保険者の資格の取得・喪失の管理", &w, None), Cut::One);
    }
}

/// An item's label without its numbering, as a match key: `Ⅰ２特定個人情報ファイル名` and
/// `２．特定個人情報ファイル名` are both `特定個人情報ファイル名`.
fn label_core(s: &str) -> String {
    super::flat::match_key(s).trim_start_matches(|c: char| c.is_ascii_digit() || "IVX().".contains(c)).to_string()
}

/// The labels of every known form without their numbering: what a change row's item
/// names after its item number.
fn item_labels() -> &'static HashSet<String> {
    static LABELS: std::sync::OnceLock<HashSet<String>> = std::sync::OnceLock::new();
    LABELS.get_or_init(|| super::flat::labels().keys().map(label_core).filter(|k| k.chars().count() >= 3).collect())
}

/// Where a row's item may stand after some of its lines (`acc`: their match key).
fn item_state(acc: &str) -> (bool, bool) {
    let labels = item_labels();
    let whole = labels.contains(acc);
    let goes_on = labels.iter().any(|l| l.len() > acc.len() && l.starts_with(acc));
    (whole, goes_on)
}

/// Column widths of a table whose cells sit at the top of their rows, learned from the
/// rows' first lines (where each cell's first line stands alone): item, text cell, note.
struct TopWidths {
    item: usize,
    cell: usize,
    note: usize,
}

/// A row's first line in a table with cells at the top: `DATE ITEM 変更前 変更後 TIMING
/// [NOTE]`, the date maybe cut (`平成30年12月15` / `日`).
struct TopFirst<'a> {
    date: String,
    /// The date goes on on the next line.
    date_cut: bool,
    item: String,
    middle: Vec<&'a str>,
    timing: &'a str,
    note: Vec<&'a str>,
}

fn top_first(line: &str) -> Option<TopFirst<'_>> {
    let t = line.trim();
    let (date, date_cut, rest) = match leading_date(t) {
        Some(n) => (t[..n].to_string(), false, t[n..].trim_start()),
        None if date_cut(t) => {
            let (d, r) = t.split_once(' ')?;
            (d.to_string(), true, r)
        }
        None => return None,
    };
    let tokens: Vec<&str> = rest.split(' ').filter(|s| !s.is_empty()).collect();
    let at = tokens.iter().position(|w| is_timing(w))?;
    // `Ⅰ　システムの名称`: the part's numeral and the item's name apart.
    let n = if tokens.first().is_some_and(|w| w.chars().count() == 1 && w.starts_with(is_roman)) { 2 } else { 1 };
    if at < n || !tokens[0].starts_with(is_roman) {
        return None;
    }
    Some(TopFirst { date, date_cut, item: tokens[..n].join(" "), middle: tokens[n..at].to_vec(), timing: tokens[at], note: tokens[at + 1..].to_vec() })
}

/// Rows of a table whose cells all sit at the top of their rows (every row's first line
/// holds the first line of each cell, side by side). Each line below holds the lines of
/// the cells still going on, left to right: a cell's lines follow one another with no
/// gap, so once a cell is missing from a line it has ended. Where a line's parts go is
/// found by trying every way that fits the cells' widths, an item that is a known label,
/// a wrapped line going on and a note that goes on only after a full line; a row read
/// more than one way is counted as unreadable.
fn top_rows(pages: &[Vec<&str>]) -> Read {
    let debug = std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some();
    let firsts: Vec<TopFirst> = pages.iter().flatten().filter_map(|l| top_first(l)).collect();
    let max = |it: &mut dyn Iterator<Item = usize>| it.max().unwrap_or(0);
    let w = TopWidths {
        item: max(&mut firsts.iter().map(|f| width(&f.item))),
        cell: max(&mut firsts.iter().filter(|f| f.middle.len() == 2).flat_map(|f| f.middle.iter().map(|m| width(m)))),
        note: max(&mut firsts.iter().filter(|f| f.note.len() == 1).map(|f| width(f.note[0]))),
    };
    let mut read = Read::default();
    for (n, page) in pages.iter().enumerate() {
        let starts: Vec<usize> = (0..page.len()).filter(|&i| top_first(page[i]).is_some() || leading_date(page[i]).is_some() || date_cut(page[i])).collect();
        // Lines before the page's first row go on a row of the page before: that row
        // and these lines are not read.
        if starts.first() != Some(&0) && !page.is_empty() {
            if n > 0 && read.rows.last().is_some_and(|r| r.page == n as u32) {
                read.rows.pop();
                read.unreadable += 1;
            }
        }
        for (k, &s) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(page.len());
            match top_row(&page[s..end], &w) {
                Some(cells) => read.rows.push(TableRow { page: n as u32 + 1, cells }),
                None => {
                    read.unreadable += 1;
                    if debug {
                        eprintln!("  unreadable top row: {}", page[s]);
                    }
                }
            }
        }
    }
    if debug {
        eprintln!("plumber top rows: widths {} {} {}, {} rows, {} unreadable", w.item, w.cell, w.note, read.rows.len(), read.unreadable);
        for r in &read.rows {
            eprintln!("  {:?}", r.cells);
        }
    }
    read
}

/// Slack on a column's width (a wide character), and how short of it a line still is
/// full (wrapped: its cell goes on below).
const SLACK: usize = 2;
const FULL: usize = 4;

/// Columns of a row's lines below its first.
const ITEM: usize = 0;
const BEFORE: usize = 1;
const AFTER: usize = 2;
const NOTE: usize = 3;

/// What is known of a row while its lines are read.
#[derive(Clone)]
struct TopState {
    open: [bool; 4],
    /// Each cell's last line.
    last: [String; 4],
    /// The item's match key so far.
    item: String,
    parts: [Vec<String>; 4],
}

/// The cells of a row with its cells at the top, if its lines can be read only one way.
fn top_row(lines: &[&str], w: &TopWidths) -> Option<Vec<String>> {
    let f = top_first(lines[0])?;
    let rest = &lines[1..];
    let mut date = f.date.clone();
    let mut first_tokens: Option<Vec<&str>> = None;
    if f.date_cut {
        let l = rest.first()?;
        let (d, r) = l.split_once(' ').unwrap_or((l, ""));
        let whole = format!("{date}{d}");
        if leading_date(&whole) != Some(whole.len()) {
            return None;
        }
        date = whole;
        first_tokens = Some(r.split(' ').filter(|s| !s.is_empty()).collect());
    }
    if crate::normalize::parse_date(&date).is_none() {
        return None;
    }
    // The first line's two text cells: two parts (one each) or none (both blank).
    let (b0, a0) = match f.middle.as_slice() {
        [] => (String::new(), String::new()),
        [b, a] => (b.to_string(), a.to_string()),
        _ => return None,
    };
    let core = label_core(&f.item);
    let (whole, goes_on) = item_state(&core);
    if !whole && !goes_on {
        return None;
    }
    let state = TopState {
        open: [goes_on, !b0.is_empty(), !a0.is_empty(), !f.note.is_empty()],
        last: [f.item.clone(), b0.clone(), a0.clone(), f.note.join(" ")],
        item: core,
        parts: [vec![f.item.clone()], vec![b0], vec![a0], vec![f.note.join(" ")]],
    };
    let mut token_lines: Vec<Vec<&str>> = rest.iter().map(|l| l.split(' ').filter(|s| !s.is_empty()).collect()).collect();
    if let Some(t) = first_tokens {
        token_lines[0] = t;
    }
    if token_lines.is_empty() && state.open[ITEM] && !whole {
        return None;
    }
    let mut found: Vec<[String; 4]> = Vec::new();
    let mut budget = 50_000usize;
    top_walk(&token_lines, 0, state, w, &mut found, &mut budget);
    found.sort();
    found.dedup();
    if budget == 0 || found.len() != 1 {
        return None;
    }
    let [item, before, after, note] = found.pop()?;
    Some(vec![date, item, before, after, f.timing.to_string(), note])
}

fn top_walk(lines: &[Vec<&str>], i: usize, st: TopState, w: &TopWidths, found: &mut Vec<[String; 4]>, budget: &mut usize) {
    if *budget == 0 || found.len() > 2 {
        return;
    }
    *budget -= 1;
    let full = |c: usize, s: &str| {
        let cw = [w.item, w.cell, w.cell, w.note][c];
        width(s) + FULL >= cw && !s.ends_with('。')
    };
    if i == lines.len() {
        if !item_state(&st.item).0 {
            return;
        }
        let text = |c: usize| st.parts[c].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join("\n");
        found.push([st.parts[ITEM].concat(), text(BEFORE), text(AFTER), text(NOTE)]);
        return;
    }
    let tokens = &lines[i];
    let open: Vec<usize> = (0..4).filter(|&c| st.open[c]).collect();
    // Every subset of the open cells, each given one or more of the line's tokens in
    // order.
    for mask in 1u32..(1 << open.len()) {
        let cols: Vec<usize> = open.iter().enumerate().filter(|(k, _)| mask & (1 << k) != 0).map(|(_, &c)| c).collect();
        if cols.len() > tokens.len() {
            continue;
        }
        // A cell whose last line was full goes on; the item goes on until it is a label.
        let must = |c: usize| if c == ITEM { !item_state(&st.item).0 } else { c != NOTE && full(c, &st.last[c]) };
        if open.iter().any(|&c| must(c) && !cols.contains(&c)) {
            continue;
        }
        // A note goes on only below a full line.
        if cols.contains(&NOTE) && !full(NOTE, &st.last[NOTE]) {
            continue;
        }
        for cuts in compositions(tokens.len(), cols.len()) {
            let mut next = st.clone();
            next.open = [false; 4];
            let mut ok = true;
            let mut from = 0;
            for (&c, &to) in cols.iter().zip(&cuts) {
                let part = tokens[from..to].join(" ");
                from = to;
                let cw = [w.item, w.cell, w.cell, w.note][c];
                if width(&part) > cw + SLACK {
                    ok = false;
                    break;
                }
                if c == ITEM {
                    let acc = format!("{}{}", next.item, super::flat::match_key(&part));
                    let (whole, goes_on) = item_state(&acc);
                    if !whole && !goes_on {
                        ok = false;
                        break;
                    }
                    next.item = acc;
                }
                next.open[c] = true;
                next.last[c] = part.clone();
                next.parts[c].push(part);
            }
            if ok {
                top_walk(lines, i + 1, next, w, found, budget);
            }
        }
    }
}

/// Ways to cut `n` tokens into `k` non-empty runs: each run's end.
fn compositions(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return if n == 0 { vec![Vec::new()] } else { Vec::new() };
    }
    let mut out = Vec::new();
    for first in 1..=n.saturating_sub(k - 1) {
        for mut rest in compositions(n - first, k - 1) {
            rest.iter_mut().for_each(|e| *e += first);
            rest.insert(0, first);
            out.push(rest);
        }
    }
    out
}
