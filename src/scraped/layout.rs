//! Layout-preserving text (`pdftotext -layout`, PyMuPDF `get_text(sort=True)`): each line
//! is a row band of the page, each cell sits at its column. Cells are rebuilt from the
//! columns and the row bands, the way the PDF path rebuilds them from glyph geometry:
//!
//! - a line is cut into chunks at runs of two or more spaces; a chunk's column is its
//!   character offset (these tools pad with one space per character column, whatever
//!   the glyph's width);
//! - chunks left of the value column are labels (questions); a wrapped label (a line as
//!   wide as the label column, continued at the same indent) is one label;
//! - value lines with no label of their own belong to the label of their row band: a
//!   multi-line value cell is centred on its label, so the lines above a label belong to
//!   it, and a run of value lines between two labels is shared out as the earlier label
//!   took lines above it;
//! - the 変更箇所 table: a row is a band of lines holding one date in the first column
//!   (the date sits on the row's bottom line); 変更前/変更後 are told apart by the
//!   column where 変更後 cells start, 提出時期 by its 事前/事後 token.

use super::{compact, is_timing, leading_date, Rebuilt, TextLayout};
use crate::pdf::TableRow;

#[derive(Debug, Clone)]
struct Chunk {
    /// Column (characters from the line start).
    col: usize,
    text: String,
}

impl Chunk {
    fn width(&self) -> usize {
        self.text.chars().count()
    }
    fn end(&self) -> usize {
        self.col + self.width()
    }
}

/// Chunks of a line: runs of text separated by two or more spaces.
fn chunks(line: &str) -> Vec<Chunk> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while i < chars.len() {
            if chars[i] == ' ' {
                if i + 1 < chars.len() && chars[i + 1] != ' ' {
                    i += 1;
                    continue;
                }
                break;
            }
            i += 1;
            end = i;
        }
        out.push(Chunk { col: start, text: chars[start..end].iter().collect() });
    }
    out
}

fn joined(cs: &[Chunk]) -> String {
    cs.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// A page number glued to the heading that follows it (PyMuPDF sort: `1Ⅰ　関連情報`,
/// `4変更箇所`): the heading alone.
fn unglue_page_number(line: &str) -> Option<String> {
    let t = line.trim();
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &t[digits..];
    let heading = rest.starts_with(['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', 'Ⅵ', 'Ⅶ']) || compact(rest) == super::changes_heading();
    heading.then(|| rest.to_string())
}

pub(super) fn is_page_number(t: &str) -> bool {
    let t = t.trim();
    !t.is_empty() && t.len() <= 3 && t.chars().all(|c| c.is_ascii_digit())
}

struct SrcLine {
    text: String,
    page: u32,
}

pub(super) fn rebuild(text: &str, shape: TextLayout) -> Rebuilt {
    let mut lines: Vec<SrcLine> = Vec::new();
    let mut page = 1u32;
    for raw in text.split('\n') {
        let raw = raw.trim_end_matches('\r');
        let mut s = raw.to_string();
        while let Some(p) = s.find('\u{c}') {
            page += 1;
            s.replace_range(p..p + 1, "");
        }
        let s = s.replace('\t', " ").trim_end().to_string();
        let s = unglue_page_number(&s).unwrap_or(s);
        lines.push(SrcLine { text: s, page });
    }
    // Regions: cover (before Ⅰ), body, change table (from 変更箇所 + its header row).
    let body_start = lines.iter().position(|l| l.text.trim_start().starts_with('Ⅰ')).unwrap_or(0);
    let table_start = (body_start..lines.len()).find(|&i| {
        compact(&lines[i].text) == super::changes_heading() && lines[i + 1..].iter().take(4).any(|l| is_table_header(&l.text))
    });
    let body_end = table_start.unwrap_or(lines.len());
    let mut out: Vec<String> = Vec::new();
    for l in &lines[..body_start] {
        out.push(joined(&chunks(&l.text)));
    }
    out.extend(body(&lines[body_start..body_end], shape));
    let mut rebuilt = Rebuilt::default();
    if let Some(ts) = table_start {
        for l in &lines[ts..] {
            let c = chunks(&l.text);
            if !c.is_empty() {
                out.push(joined(&c));
            }
        }
        // pdftotext prints a wide space inside a cell as several spaces; PyMuPDF keeps
        // U+3000, so there two spaces already part cells.
        let cell_gap = if shape == TextLayout::PymupdfSort { 2 } else { CELL_GAP };
        let (rows, unreadable) = table(&lines[ts..], cell_gap);
        rebuilt.change_rows = Some(rows);
        rebuilt.unreadable_rows = unreadable;
    }
    rebuilt.lines = out;
    rebuilt
}

/// The change table's header row: it holds the first three characters (all a wrapped
/// cell surely keeps on its first line) of the first label and of at least two more
/// of the header's labels (rules/common.json).
fn is_table_header(line: &str) -> bool {
    let c = compact(line);
    let head = |l: &str| -> String { l.chars().take(3).collect() };
    let mut labels = super::change_table().header_labels().iter();
    labels.next().is_some_and(|first| c.contains(&head(first))) && labels.filter(|l| c.contains(&head(l))).count() >= 2
}

#[derive(Debug, Default, Clone)]
struct Row {
    left: Option<Chunk>,
    right: Vec<Chunk>,
}

impl Row {
    fn blank(&self) -> bool {
        self.left.is_none() && self.right.is_empty()
    }
}

#[derive(Debug)]
struct Group {
    start: usize,
    end: usize,
    /// Value lines above the label's first line that were given to it.
    above: usize,
}

/// The body (Ⅰ … before 変更箇所) as reading-order lines.
fn body(lines: &[SrcLine], shape: TextLayout) -> Vec<String> {
    let chunked: Vec<Vec<Chunk>> = lines.iter().map(|l| chunks(&l.text)).collect();
    // The value column: the commonest start of lines that do not start at the margin.
    let mut counts = std::collections::HashMap::<usize, usize>::new();
    for c in &chunked {
        if let Some(f) = c.first() {
            if (8..=60).contains(&f.col) && !is_page_number(&f.text) {
                *counts.entry(f.col).or_default() += 1;
            }
        }
    }
    let value_col = counts.iter().max_by_key(|(col, n)| (**n, std::cmp::Reverse(**col))).map(|(c, _)| *c).unwrap_or(24);
    let left_limit = (value_col * 2 / 3).clamp(6, 12);
    if std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some() {
        eprintln!("body: value column {value_col}, labels left of {left_limit}");
    }
    let rows: Vec<Row> = chunked
        .into_iter()
        .map(|mut c| {
            if c.len() == 1 && is_page_number(&c[0].text) {
                return Row { left: Some(Chunk { col: 0, text: c[0].text.clone() }), right: vec![] };
            }
            if c.first().is_some_and(|f| f.col < left_limit) {
                let left = c.remove(0);
                Row { left: Some(left), right: c }
            } else {
                Row { left: None, right: c }
            }
        })
        .collect();
    // Option lists whose numbers and texts interleave (`1)2) 十分である特に力を入れている`)
    // say nothing: left out (the answer is in its brackets).
    let mut rows = rows;
    for r in rows.iter_mut() {
        r.right.retain(|c| !glued_options(&c.text));
    }
    // The label column's width: wrapped labels fill it.
    let label_width = rows.iter().filter_map(|r| r.left.as_ref()).filter(|l| l.col >= 1).map(Chunk::width).max().unwrap_or(0);
    if shape == TextLayout::PymupdfSort {
        trailing_labels(&mut rows, label_width);
    }
    // Label groups.
    let mut group_of: Vec<Option<usize>> = vec![None; rows.len()];
    let mut groups: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let Some(l) = &rows[i].left else {
            i += 1;
            continue;
        };
        let start = i;
        let mut cur = l.clone();
        while i + 1 < rows.len() {
            let Some(next) = &rows[i + 1].left else { break };
            let wide = cur.col >= 1 && label_width > 0 && cur.width() * 5 >= label_width * 4;
            if !(wide && next.col.abs_diff(cur.col) <= 2) {
                break;
            }
            i += 1;
            cur = next.clone();
        }
        for g in group_of.iter_mut().take(i + 1).skip(start) {
            *g = Some(groups.len());
        }
        groups.push(Group { start, end: i, above: 0 });
        i += 1;
    }
    // Runs of value lines with no label, given to the label of their row band.
    let mut owner: Vec<Option<usize>> = vec![None; rows.len()];
    let mut i = 0;
    while i < rows.len() {
        if rows[i].left.is_some() || rows[i].blank() {
            i += 1;
            continue;
        }
        let r0 = i;
        while i + 1 < rows.len() && rows[i + 1].left.is_none() && !rows[i + 1].blank() {
            i += 1;
        }
        let r1 = i;
        let len = r1 - r0 + 1;
        let prev = if r0 > 0 { group_of[r0 - 1] } else { None };
        let next = group_of.get(r1 + 1).copied().flatten();
        match (prev, next) {
            (Some(p), Some(q)) => {
                // A label with no value on its own lines but value lines right under it
                // heads its cell (top-aligned): the lines above it are the earlier label's.
                let q_top = (groups[q].start..=groups[q].end).all(|j| rows[j].right.is_empty())
                    && rows.get(groups[q].end + 1).is_some_and(|r| r.left.is_none() && !r.blank());
                // A label with no value, followed by another label of its column (a
                // sub-heading like `システム２`): the lines above it are the earlier label's.
                let q_col = rows[groups[q].start].left.as_ref().map_or(0, |l| l.col);
                let q_heading = (groups[q].start..=groups[q].end).all(|j| rows[j].right.is_empty())
                    && rows.get(groups[q].end + 1).and_then(|r| r.left.as_ref()).is_some_and(|l| l.col >= q_col && q_col > 0);
                let k = if q_top || q_heading { len } else { groups[p].above.min(len) };
                for (j, o) in owner.iter_mut().enumerate().take(r1 + 1).skip(r0) {
                    *o = Some(if j < r0 + k { p } else { q });
                }
                groups[q].above = len - k;
            }
            (Some(p), None) => owner[r0..=r1].iter_mut().for_each(|o| *o = Some(p)),
            (None, Some(q)) => {
                // Not a sub-heading's (a label with no value followed by another label).
                let q_col = rows[groups[q].start].left.as_ref().map_or(0, |l| l.col);
                let q_heading = (groups[q].start..=groups[q].end).all(|j| rows[j].right.is_empty())
                    && rows.get(groups[q].end + 1).and_then(|r| r.left.as_ref()).is_some_and(|l| l.col >= q_col && q_col > 0);
                if !q_heading {
                    owner[r0..=r1].iter_mut().for_each(|o| *o = Some(q));
                    groups[q].above = len;
                }
            }
            (None, None) => {}
        }
        i += 1;
    }
    // Emit. Rows of each group: its own and the value lines given to it, in order.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for j in 0..rows.len() {
        if let Some(g) = owner[j].or(group_of[j]) {
            members[g].push(j);
        }
    }
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.blank() {
            out.push(String::new());
            continue;
        }
        if let Some(g) = group_of[i] {
            if groups[g].start != i {
                continue;
            }
            let gr = &groups[g];
            let labels: Vec<String> = rows[gr.start..=gr.end].iter().filter_map(|r| r.left.as_ref().map(|l| l.text.clone())).collect();
            let content: Vec<String> = members[g]
                .iter()
                .copied()
                .filter(|&j| !rows[j].right.is_empty())
                .map(|j| joined(&rows[j].right))
                .collect();
            if content.is_empty() {
                out.extend(labels);
            } else if labels.len() == 1 && content.len() == 1 {
                out.push(format!("{} {}", labels[0], content[0]));
            } else {
                out.extend(labels);
                out.push(String::new());
                out.extend(content);
            }
        } else if owner[i].is_none() {
            out.push(joined(&row.right));
        }
    }
    out
}

/// `1)2) …`: option numbers printed one after the other, their texts interleaved.
fn glued_options(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 4 && b[0].is_ascii_digit() && b[1] == b')' && b[2].is_ascii_digit() && b[3] == b')'
}

/// Whether a chunk can be (part of) a label: text, not a bracket, an option or a number.
fn label_like(t: &str) -> bool {
    let first = t.chars().next().unwrap_or(' ');
    !(first.is_ascii_digit() || matches!(first, '[' | ']' | '［' | '］' | '＜' | '<' | '〒' | '(' | '（'))
        && !t.chars().any(|c| c.is_ascii_digit())
}

/// PyMuPDF `sort=True` prints a label whose baseline is a little lower than its row's at
/// the end of the row (`〒686-8312 …  連絡先`, `[ 十分である ]  2) 十分である  紐付けが…十分か`):
/// put it back in the label column. Two cases: the last chunk of a row with no label
/// right under a wrapped question (its continuation), and the last short chunk of a run
/// of value lines with no label next to it (the cell's own label).
fn trailing_labels(rows: &mut [Row], label_width: usize) {
    let n = rows.len();
    // Continuations of wrapped questions.
    for i in 1..n {
        if rows[i].left.is_some() || rows[i].right.len() < 2 {
            continue;
        }
        let Some(prev) = rows[..i].iter().rev().take(8).find(|r| !r.blank()).and_then(|r| r.left.clone()) else { continue };
        let wide = prev.col >= 1 && label_width > 0 && prev.width() * 5 >= label_width * 4;
        let last = rows[i].right.last().unwrap();
        if wide && label_like(&last.text) {
            let mut c = rows[i].right.pop().unwrap();
            c.col = prev.col;
            rows[i].left = Some(c);
            // The label goes first: the row's other chunks stay as its value.
        }
    }
    // Runs of value lines with no label next to them.
    let mut i = 0;
    while i < n {
        if rows[i].left.is_some() || rows[i].blank() {
            i += 1;
            continue;
        }
        let r0 = i;
        while i + 1 < n && rows[i + 1].left.is_none() && !rows[i + 1].blank() {
            i += 1;
        }
        let r1 = i;
        i += 1;
        let prev_label = r0 > 0 && rows[r0 - 1].left.is_some();
        let next_label = r1 + 1 < n && rows[r1 + 1].left.is_some();
        if prev_label || next_label {
            continue;
        }
        let found = (r0..=r1).find(|&j| rows[j].right.len() >= 2 && rows[j].right.last().is_some_and(|c| c.width() <= 8 && label_like(&c.text)));
        if let Some(j) = found {
            let mut c = rows[j].right.pop().unwrap();
            c.col = 2;
            rows[j].left = Some(c);
        }
    }
}

/// Which cell of a change row a chunk belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Item = 1,
    Before = 2,
    After = 3,
    Timing = 4,
    Note = 5,
}

/// 変更箇所 rows from the table region (heading, header rows, rows). Rows that cannot be
/// told apart are counted, not guessed.
fn table(lines: &[SrcLine], cell_gap: usize) -> (Vec<TableRow>, usize) {
    // Lines of the table proper, chunked; None = blank.
    let mut body: Vec<(Option<Vec<Chunk>>, u32)> = Vec::new();
    for l in lines {
        let c = chunks(&l.text);
        let t = compact(&l.text);
        if t == super::changes_heading() || is_table_header(&l.text) || is_page_number(&t) {
            body.push((None, l.page));
            continue;
        }
        body.push(((!c.is_empty()).then_some(c), l.page));
    }
    // A date line: the first chunk starts at the margin with a date.
    let date_len = |c: &[Chunk]| -> Option<usize> { c.first().filter(|f| f.col <= 2).and_then(|f| leading_date(&f.text)) };
    // Blocks separated by blank lines; blocks without a date join the next block with one.
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    for (i, (c, _)) in body.iter().enumerate() {
        match c {
            Some(_) => cur.push(i),
            None => {
                if !cur.is_empty() {
                    blocks.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        blocks.push(cur);
    }
    let has_date = |b: &Vec<usize>| b.iter().any(|&i| date_len(body[i].0.as_ref().unwrap()).is_some());
    let mut rows_lines: Vec<Vec<usize>> = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    for b in blocks {
        if !has_date(&b) {
            pending.extend(b);
            continue;
        }
        let mut lines_b = std::mem::take(&mut pending);
        lines_b.extend(b);
        // Several dates in one block: cut after each date line (the date is on a row's bottom line).
        let date_idx: Vec<usize> = lines_b.iter().enumerate().filter(|(_, &i)| date_len(body[i].0.as_ref().unwrap()).is_some()).map(|(k, _)| k).collect();
        let mut from = 0;
        for (n, &d) in date_idx.iter().enumerate() {
            let to = if n + 1 == date_idx.len() { lines_b.len() } else { d + 1 };
            rows_lines.push(lines_b[from..to].to_vec());
            from = to;
        }
    }
    let mut unreadable = 0;
    if !pending.is_empty() {
        match rows_lines.last_mut() {
            Some(last) => last.extend(pending),
            None => return (Vec::new(), 0),
        }
    }
    // Columns of the table, from every row. Items name a section (`Ⅰ５②所属長`).
    let mut item_cols = Vec::new();
    let mut timing_cols = Vec::new();
    let starts_item = |t: &str| t.starts_with(['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', 'Ⅵ', 'Ⅶ']);
    for rl in &rows_lines {
        for &i in rl {
            let c = body[i].0.as_ref().unwrap();
            if let Some(dl) = date_len(c) {
                let first = &c[0];
                let rest = first.text[dl..].trim_start();
                if starts_item(rest) {
                    item_cols.push(first.col + first.text[..first.text.len() - rest.len()].chars().count());
                }
            }
            for ch in c {
                if starts_item(&ch.text) && ch.col > 0 {
                    item_cols.push(ch.col);
                }
                if is_timing(ch.text.split(' ').next().unwrap_or("")) && ch.col > 0 {
                    timing_cols.push(ch.col);
                }
            }
        }
    }
    // 提出時期に係る説明 starts right of the timing token on the lines that have both.
    let mut note_cols: Vec<usize> = Vec::new();
    for rl in &rows_lines {
        for &i in rl {
            let c = body[i].0.as_ref().unwrap();
            for w in c.windows(2) {
                if is_timing(&w[0].text) {
                    note_cols.push(w[1].col);
                }
            }
        }
    }
    let item_col = item_cols.iter().copied().min().unwrap_or(0);
    let item_max = item_cols.iter().copied().filter(|&c| c <= item_col + 4).max().unwrap_or(item_col);
    let Some(timing_col) = timing_cols.iter().copied().min() else {
        return (Vec::new(), rows_lines.len());
    };
    // No 説明 next to any timing token: the table has no 説明 text (a long 変更後 line
    // may run past the timing column).
    let note_col = note_cols.iter().copied().min().map_or(usize::MAX, |c| c.max(timing_col + 3));
    let mut zone_cols: Vec<usize> = Vec::new();
    for rl in &rows_lines {
        for &i in rl {
            for ch in body[i].0.as_ref().unwrap() {
                if ch.col > item_max + 2 && ch.col + 2 < timing_col {
                    zone_cols.push(ch.col);
                }
            }
        }
    }
    zone_cols.sort_unstable();
    // 変更前 starts at the leftmost column several lines start at.
    // (sorted: a column shared by two lines has a neighbour within 2)
    let before_col = zone_cols
        .windows(2)
        .find(|w| w[1] - w[0] <= 2)
        .map(|w| w[0])
        .or(zone_cols.first().copied())
        .unwrap_or(item_max + 8);
    if std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some() {
        eprintln!("table columns: item {item_col}..{item_max} before {before_col} timing {timing_col}");
    }
    let mut out = Vec::new();
    for rl in rows_lines {
        let mut date = String::new();
        let mut cells: [Vec<String>; 6] = Default::default();
        let mut page = 0;
        // Per line: the text of each cell, and the 変更前/変更後 chunks still to tell apart.
        let mut per_line: Vec<([Vec<String>; 6], Vec<Chunk>)> = Vec::new();
        for &i in &rl {
            let (c, p) = (&body[i].0, body[i].1);
            let mut c = c.clone().unwrap();
            if page == 0 {
                page = p;
            }
            let mut line_cells: [Vec<String>; 6] = Default::default();
            if let Some(dl) = date_len(&c) {
                page = p;
                let first = c.remove(0);
                date = first.text[..dl].to_string();
                let rest = first.text[dl..].trim();
                if !rest.is_empty() {
                    let col = first.col + first.text[..dl].chars().count() + 1;
                    c.insert(0, Chunk { col, text: rest.to_string() });
                }
            }
            let mut zone: Vec<Chunk> = Vec::new();
            for ch in c {
                for (cell, text, col) in classify(ch, item_max, before_col, note_col) {
                    if cell == Cell::Before {
                        zone.push(Chunk { col, text });
                    } else {
                        line_cells[cell as usize].push(text);
                    }
                }
            }
            per_line.push((line_cells, zone));
        }
        // Where 変更後 starts in this row: the second of two cells side by side.
        let segs: Vec<Vec<Chunk>> = per_line.iter().map(|(_, z)| segments(z, cell_gap)).collect();
        let row_after = segs.iter().filter(|s| s.len() == 2).map(|s| s[1].col).min().or_else(|| {
            // Only single cells: a line starting well right of 変更前 is 変更後.
            segs.iter().filter(|s| s.len() == 1 && s[0].col > before_col + 12).map(|s| s[0].col).min()
        });
        // Both cells start at the row's top: below the last line holding both, the lines
        // are the longer cell's; which one, the majority of their columns says.
        let last_both = segs.iter().rposition(|s| s.len() == 2);
        let tail_after = last_both.map(|lb| {
            let mid = (before_col + row_after.unwrap_or(before_col + 20)) / 2;
            let tail: Vec<&Chunk> = segs[lb + 1..].iter().filter(|s| s.len() == 1).map(|s| &s[0]).collect();
            let right = tail.iter().filter(|c| c.col > mid).count();
            (lb, right * 2 > tail.len())
        });
        for (k, ((mut line_cells, _), seg)) in per_line.into_iter().zip(segs).enumerate() {
            let tail = tail_after.filter(|(lb, _)| k > *lb).map(|(_, after)| after);
            for (cell, text) in sides(seg, before_col, row_after, tail) {
                line_cells[cell as usize].push(text);
            }
            for (k, lc) in line_cells.iter().enumerate() {
                if !lc.is_empty() {
                    cells[k].push(lc.join(" "));
                }
            }
        }
        if date.is_empty() || cells[Cell::Item as usize].is_empty() || cells[Cell::Timing as usize].len() != 1 {
            unreadable += 1;
            continue;
        }
        cells[0].push(date);
        // Runs of spaces (a wide space printed as columns) as one.
        let squeeze = |s: &str| s.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
        out.push(TableRow { page, cells: cells.iter().map(|c| c.iter().map(|l| squeeze(l)).collect::<Vec<_>>().join("\n")).collect() });
    }
    (out, unreadable)
}

/// A gap this wide (in columns) separates two cells; a wide space inside a cell is
/// printed as fewer columns.
const CELL_GAP: usize = 6;

/// The cell(s) of one chunk of a change row, with their columns. 変更前 and 変更後 both
/// come out as `Before` (told apart by [`split_sides`]).
fn classify(ch: Chunk, item_max: usize, before_col: usize, note_col: usize) -> Vec<(Cell, String, usize)> {
    let first_word = ch.text.split(' ').next().unwrap_or("");
    if is_timing(first_word) {
        let rest = ch.text[first_word.len()..].trim();
        let mut v = vec![(Cell::Timing, first_word.to_string(), ch.col)];
        if !rest.is_empty() {
            v.push((Cell::Note, rest.to_string(), ch.col + 3));
        }
        return v;
    }
    if let Some(pos) = ch.text.rfind(' ') {
        let last = &ch.text[pos + 1..];
        if is_timing(last) {
            let col = ch.col + ch.text[..pos + 1].chars().count();
            let head = Chunk { col: ch.col, text: ch.text[..pos].trim_end().to_string() };
            let mut v = classify(head, item_max, before_col, note_col);
            v.push((Cell::Timing, last.to_string(), col));
            return v;
        }
    }
    if ch.col + 2 >= note_col && note_col != usize::MAX {
        return vec![(Cell::Note, ch.text, ch.col)];
    }
    if ch.col <= item_max + 2 && ch.col + 2 < before_col {
        // An item; a 変更前 cell joined to it by one space is cut at the before column.
        if ch.end() > before_col + 1 {
            if let Some((head, tail)) = cut_near(&ch, before_col, ch.col + 2) {
                let mut v = vec![(Cell::Item, head.text, head.col)];
                v.extend(classify(tail, item_max, before_col, note_col));
                return v;
            }
        }
        return vec![(Cell::Item, ch.text, ch.col)];
    }
    vec![(Cell::Before, ch.text, ch.col)]
}

/// The chunks of one line's 変更前/変更後 zone as one or two segments: two when the
/// widest gap is a gap between cells.
fn segments(zone: &[Chunk], cell_gap: usize) -> Vec<Chunk> {
    let merge = |cs: &[Chunk]| -> Option<Chunk> {
        let mut it = cs.iter();
        let mut m = it.next()?.clone();
        for ch in it {
            let pad = ch.col.saturating_sub(m.end()).max(1);
            m.text.push_str(&" ".repeat(pad));
            m.text.push_str(&ch.text);
        }
        Some(m)
    };
    let widest = zone.windows(2).enumerate().map(|(k, w)| (w[1].col.saturating_sub(w[0].end()), k)).max();
    match widest {
        Some((gap, k)) if gap >= cell_gap => merge(&zone[..=k]).into_iter().chain(merge(&zone[k + 1..])).collect(),
        _ => merge(zone).into_iter().collect(),
    }
}

/// 変更前 / 変更後 of one line's segments, given where 変更後 starts in the row.
/// `tail`: the line is below the last line holding both cells, in the 変更後 cell
/// (`Some(true)`) or the 変更前 cell (`Some(false)`) by the majority of such lines.
fn sides(segs: Vec<Chunk>, before_col: usize, after_col: Option<usize>, tail: Option<bool>) -> Vec<(Cell, String)> {
    let mut segs = segs.into_iter();
    let (Some(first), second) = (segs.next(), segs.next()) else { return vec![] };
    if let Some(second) = second {
        return vec![(Cell::Before, first.text), (Cell::After, second.text)];
    }
    if tail == Some(true) {
        return vec![(Cell::After, first.text)];
    }
    let Some(after_col) = after_col else { return vec![(Cell::Before, first.text)] };
    let mid = (before_col + after_col) / 2;
    if first.col + 3 >= after_col || (first.col > mid && tail.is_none()) {
        return vec![(Cell::After, first.text)];
    }
    // A 変更前 line joined to 変更後 by one space: cut at a single space right of the middle.
    if first.col <= mid {
        if let Some((head, tail)) = cut_near(&first, after_col, mid) {
            return vec![(Cell::Before, head.text), (Cell::After, tail.text)];
        }
    }
    vec![(Cell::Before, first.text)]
}

/// Cut a chunk at its first single space from column `min_col` on (not right of `col`,
/// the next cell's start, by more than a few columns): a cell's lines fill its width,
/// so the first cell ends at the first space past its middle.
fn cut_near(ch: &Chunk, col: usize, min_col: usize) -> Option<(Chunk, Chunk)> {
    let chars: Vec<char> = ch.text.chars().collect();
    let best = chars
        .iter()
        .enumerate()
        .filter(|(k, &c)| c == ' ' && chars.get(k + 1) != Some(&' ') && (*k == 0 || chars[k - 1] != ' '))
        .map(|(k, _)| k)
        .filter(|&k| {
            let at = ch.col + k + 1;
            at >= min_col && at <= col + 30
        })
        .min()?;
    let head: String = chars[..best].iter().collect();
    let tail: String = chars[best + 1..].iter().collect();
    Some((Chunk { col: ch.col, text: head }, Chunk { col: ch.col + best + 1, text: tail }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_at_double_spaces() {
        let c = chunks("    ①部署                   市民部       市民課");
        assert_eq!(c.iter().map(|c| (c.col, c.text.as_str())).collect::<Vec<_>>(), [(4, "①部署"), (26, "市民部"), (36, "市民課")]);
        let c = chunks("平成30年10月24日 Ⅱ１いつ時点の計数か");
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn value_cell_centred_on_its_label() {
        let text = "Ⅰ   関連情報\n１．事務\n    ①事務の名称                ある事務\n                          【概要】\n                          一行目\n    ②事務の概要                二行目\n                          三行目\n\n\n                          Ａシステム\n    ③システムの名称              Ｂシステム\n";
        let r = rebuild(text, TextLayout::PdftotextLayout);
        assert_eq!(r.lines, ["Ⅰ 関連情報", "１．事務", "①事務の名称 ある事務", "②事務の概要", "", "【概要】", "一行目", "二行目", "三行目", "", "", "③システムの名称", "", "Ａシステム", "Ｂシステム", ""]);
    }

    #[test]
    fn top_aligned_labels_and_sub_headings() {
        let text = "Ⅰ 基本情報\n    システム１\n    ②システムの機能              ・一行目\n                          ・二行目\n    ③他のシステムとの接続\n                               ［   ］甲         ［      ］乙\n\n                               ［   ］丙\n    システム２\n    ①システムの名称              丁\n";
        let r = rebuild(text, TextLayout::PdftotextLayout);
        assert_eq!(
            r.lines,
            ["Ⅰ 基本情報", "システム１", "②システムの機能", "", "・一行目", "・二行目", "③他のシステムとの接続 ［ ］甲 ［ ］乙", "", "［ ］丙", "システム２", "①システムの名称 丁", ""]
        );
    }

    #[test]
    fn change_rows_from_columns() {
        let mut text = String::from("Ⅰ 関連情報\n変更箇所\n   変更日           項目                      変更前の記載                          変更後の記載        提出時期 提出時期に係る説明\n                           市民課長   菅野    智子                市民課長     山田   秀樹\n平成28年3月31日                                                                                  任意に事前の提出を\n             Ⅰ５②所属長                                                                   事前    行うもの\n\n");
        text += &format!("{}{} い一行目\n{}い二行目\n", " ".repeat(27), "あ".repeat(28), " ".repeat(56));
        text += "令和4年11月11日   Ⅱ１対象人数                                                                   事後\n";
        let r = rebuild(&text, TextLayout::PdftotextLayout);
        let rows = r.change_rows.unwrap();
        assert_eq!(r.unreadable_rows, 0);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells, ["平成28年3月31日", "Ⅰ５②所属長", "市民課長 菅野 智子", "市民課長 山田 秀樹", "事前", "任意に事前の提出を\n行うもの"]);
        assert_eq!(rows[1].cells[2], "あ".repeat(28));
        assert_eq!(rows[1].cells[3], "い一行目\nい二行目");
    }
}
