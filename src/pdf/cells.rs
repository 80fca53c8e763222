//! Ruling lines → cells → text lines, for one page.
//!
//! Instead of building the full intersection graph (pdfplumber), each glyph looks for the
//! nearest rule on its four sides that actually passes by it. Glyphs that find the same
//! four rules share a cell. This handles merged cells (no rule inside them) and tables
//! with missing borders without any special case. Glyphs not enclosed on all four sides
//! are free text and are grouped into lines by baseline only.
//!
//! All tolerances are fractions of the page's typical font size (`em`), so the result does
//! not depend on the page size or the producer's units.

use super::collect::{Glyph, PageGeom};
use std::cmp::Ordering;

/// A rule after snapping and joining: horizontal (`pos` = y, span in x) or vertical
/// (`pos` = x, span in y).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub pos: f32,
    pub lo: f32,
    pub hi: f32,
}

/// One visual line of text inside a cell.
#[derive(Debug, Clone)]
pub struct TextLine {
    pub text: String,
    /// Baseline.
    pub y: f32,
    /// [x0, y0, x1, y1], union of the glyph boxes.
    pub bbox: [f32; 4],
}

/// A cell with its text. `rect` is the enclosing rules for a real cell and the text box
/// for free text.
#[derive(Debug, Clone)]
pub struct Cell {
    pub rect: [f32; 4],
    /// True when bounded by rules on all four sides.
    pub ruled: bool,
    pub lines: Vec<TextLine>,
    /// Union of the line boxes.
    pub bbox: [f32; 4],
    pub em: f32,
}

#[derive(Debug)]
pub struct PageCells {
    pub number: u32,
    pub cells: Vec<Cell>,
    pub em: f32,
    /// Where the columns of this page's borderless table rows start (the x after each
    /// row's first gutter, for rows split there): other pages' rows may need them.
    pub column_starts: Vec<f32>,
    /// Column starts of borderless rows kept whole because no other row on the page
    /// confirmed their gutter: another page's `column_starts` may (see [`page_cells_with`]).
    pub unconfirmed_starts: Vec<f32>,
}

fn fcmp(a: f32, b: f32) -> Ordering {
    a.total_cmp(&b)
}

/// Typical font size of the page: the median em of its glyphs (headings and footnotes
/// should not move the tolerances).
fn median_em(glyphs: &[Glyph], page_h: f32) -> f32 {
    let mut ems: Vec<f32> = glyphs.iter().map(|g| g.em).collect();
    if ems.is_empty() {
        // No text: only used to scale rule filtering, so any sane size will do.
        return (page_h / 80.0).max(1.0);
    }
    ems.sort_by(|a, b| fcmp(*a, *b));
    ems[ems.len() / 2]
}

/// Cluster the positions of axis-aligned segments, then merge overlapping spans on each
/// position. `segs` are (pos, lo, hi).
fn snap_and_join(mut segs: Vec<(f32, f32, f32)>, snap: f32) -> Vec<Rule> {
    segs.sort_by(|a, b| fcmp(a.0, b.0));
    let mut rules = Vec::new();
    let mut i = 0;
    while i < segs.len() {
        // One cluster: consecutive positions closer than `snap` (a thin filled rectangle
        // gives two edges a line-width apart; rules meeting at a corner are offset by it).
        let mut j = i + 1;
        while j < segs.len() && segs[j].0 - segs[j - 1].0 <= snap {
            j += 1;
        }
        let pos = segs[i..j].iter().map(|s| s.0).sum::<f32>() / (j - i) as f32;
        let mut spans: Vec<(f32, f32)> = segs[i..j].iter().map(|s| (s.1, s.2)).collect();
        spans.sort_by(|a, b| fcmp(a.0, b.0));
        let mut cur = spans[0];
        for &(lo, hi) in &spans[1..] {
            if lo <= cur.1 + snap {
                cur.1 = cur.1.max(hi);
            } else {
                rules.push(Rule { pos, lo: cur.0, hi: cur.1 });
                cur = (lo, hi);
            }
        }
        rules.push(Rule { pos, lo: cur.0, hi: cur.1 });
        i = j;
    }
    rules
}

/// Horizontal and vertical rules of a page. Short segments are dropped: they are glyph
/// outlines (producers draw fake-bold text as filled paths), check boxes or decoration,
/// and a real cell border is at least as long as the text it holds is tall.
pub fn rules(page: &PageGeom, em: f32) -> (Vec<Rule>, Vec<Rule>) {
    let flat = em * 0.15; // how far from axis-aligned a rule may be
    let min_len = em * 1.5;
    let mut h = Vec::new();
    let mut v = Vec::new();
    for s in &page.segs {
        let (w, ht) = (s.x1 - s.x0, s.y1 - s.y0);
        if ht <= flat && w >= min_len {
            h.push(((s.y0 + s.y1) / 2.0, s.x0, s.x1));
        } else if w <= flat && ht >= min_len {
            v.push(((s.x0 + s.x1) / 2.0, s.y0, s.y1));
        }
    }
    let snap = em * 0.3;
    let (h, v) = (snap_and_join(h, snap), snap_and_join(v, snap));
    // Cell lookup is glyphs × rules; a page drawn with thousands of rules (a chart, a
    // hatch pattern) is no form. Read it as unruled text rather than crawl.
    if h.len() + v.len() > MAX_RULES {
        return (Vec::new(), Vec::new());
    }
    (h, v)
}

/// More distinct rules than any form page has (a dense A4 form has a few hundred).
const MAX_RULES: usize = 3000;

/// Index of the nearest rule on one side of `p` (along the rule's normal) whose span
/// passes by `q`. `below` = look for smaller positions.
fn nearest(rules: &[Rule], p: f32, q: f32, tol: f32, below: bool) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, r) in rules.iter().enumerate() {
        if q < r.lo - tol || q > r.hi + tol {
            continue;
        }
        let ok = if below { r.pos < p } else { r.pos > p };
        if !ok {
            continue;
        }
        let better = match best {
            None => true,
            Some(b) => {
                if below {
                    r.pos > rules[b].pos
                } else {
                    r.pos < rules[b].pos
                }
            }
        };
        if better {
            best = Some(i);
        }
    }
    best
}

/// Split the glyphs of one cell into side-by-side text blocks. A merged cell often holds
/// several things that are laid out apart, e.g. `[ 値 ]` on one baseline and a column of
/// choice options next to it on other baselines. Glyphs on one baseline (tight
/// tolerance) form a run; runs that overlap horizontally are stacked lines of one block;
/// so a cell splits only where its parts share neither a baseline nor an x range.
pub fn text_blocks<'a>(glyphs: &mut [&'a Glyph]) -> Vec<Vec<&'a Glyph>> {
    glyphs.sort_by(|a, b| fcmp(b.y, a.y).then(fcmp(a.x, b.x)));
    // Baseline groups (tight tolerance: the answer line and the options column next to it
    // are often only half an em apart).
    let mut groups: Vec<Vec<&Glyph>> = Vec::new();
    for &g in glyphs.iter() {
        match groups.last_mut() {
            Some(l) if (l[0].y - g.y).abs() <= 0.25 * l[0].em.max(g.em) => l.push(g),
            _ => groups.push(vec![g]),
        }
    }
    // Runs: (x0, x1, glyphs). A baseline group is cut where the font size changes across
    // a gap: `[ 値 ]` and the smaller options text beside it can share a baseline exactly.
    let mut runs: Vec<(f32, f32, Vec<&Glyph>)> = Vec::new();
    for mut l in groups {
        l.sort_by(|a, b| fcmp(a.x, b.x));
        let mut prev: Option<&Glyph> = None;
        for g in l {
            let cut = prev.is_none_or(|p| {
                let gap = g.x - p.x1();
                gap > 0.3 * p.em.min(g.em) && (p.em - g.em).abs() > 0.1 * p.em.max(g.em)
            });
            match runs.last_mut() {
                Some(r) if !cut => {
                    r.0 = r.0.min(g.x);
                    r.1 = r.1.max(g.x1());
                    r.2.push(g);
                }
                _ => runs.push((g.x, g.x1(), vec![g])),
            }
            prev = Some(g);
        }
    }
    // Union-find over runs by x overlap (quadratic, but a cell has a handful of lines).
    let n = runs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            if runs[i].0 < runs[j].1 && runs[j].0 < runs[i].1 {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut blocks: Vec<(usize, Vec<&Glyph>)> = Vec::new();
    for (i, run) in runs.into_iter().enumerate() {
        let root = find(&mut parent, i);
        match blocks.iter_mut().find(|b| b.0 == root) {
            Some(b) => b.1.extend(run.2),
            None => blocks.push((root, run.2)),
        }
    }
    blocks.into_iter().map(|b| b.1).collect()
}

/// Is this character a space of the ASCII kind (the ones we normalise)?
fn is_ascii_space(s: &str) -> bool {
    s.chars().all(|c| c == ' ' || c == '\u{a0}')
}

/// Group glyphs into visual lines by baseline, then order each line by x and insert a
/// single space where the glyphs do not touch (gap > 0.15 em). Draw order is irrelevant.
pub fn make_lines(glyphs: &mut [&Glyph]) -> Vec<TextLine> {
    baseline_groups(glyphs).iter().filter_map(|l| line_text(l)).collect()
}

/// The lines of one cell: as `make_lines`, with the wrapped lines of a grid column read
/// after that column's line (see `wrapped_in_columns`).
fn cell_lines(glyphs: &mut [&Glyph]) -> Vec<TextLine> {
    wrapped_in_columns(baseline_groups(glyphs)).iter().filter_map(|l| line_text(l)).collect()
}

/// Glyphs on one baseline, top line first, each line left to right.
fn baseline_groups<'a>(glyphs: &mut [&'a Glyph]) -> Vec<Vec<&'a Glyph>> {
    glyphs.sort_by(|a, b| fcmp(b.y, a.y).then(fcmp(a.x, b.x)));
    let mut lines: Vec<Vec<&Glyph>> = Vec::new();
    for &g in glyphs.iter() {
        match lines.last_mut() {
            // Sorted by y, so only the last line can take this glyph.
            Some(l) if (l[0].y - g.y).abs() <= 0.5 * l[0].em.max(g.em) => l.push(g),
            _ => lines.push(vec![g]),
        }
    }
    for l in &mut lines {
        l.sort_by(|a, b| fcmp(a.x, b.x));
    }
    lines
}

/// Parts of a line separated by a gap of at least half an em (columns of a grid drawn
/// on one baseline; words are closer), or by any gap wider than a word's (0.15 em, as
/// `line_text`) before a glyph at one of `starts`: index ranges into the line.
fn segments(l: &[&Glyph], starts: &[f32]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut reach) = (0, f32::MIN);
    for (i, g) in l.iter().enumerate() {
        let gap = g.x - reach;
        if i > 0 && (gap >= 0.5 * g.em || gap > 0.15 * g.em && starts.iter().any(|&x| (g.x - x).abs() <= 0.1 * g.em)) {
            out.push(start..i);
            start = i;
        }
        reach = reach.max(g.x1());
    }
    if !l.is_empty() {
        out.push(start..l.len());
    }
    out
}

/// A grid of items side by side in one cell (check boxes in two or three columns) wraps
/// a long item inside its column: the line below holds only its rest, starting where the
/// item starts. Read row by row, that rest would follow the last item of the row instead.
/// So the row is cut after the wrapped item's column and its wrapped lines put there:
/// `［ ］電子記録媒体（…を除く` / `。）` / `［ ］フラッシュメモリ`.
fn wrapped_in_columns(lines: Vec<Vec<&Glyph>>) -> Vec<Vec<&Glyph>> {
    // The grid's columns start where some line of the cell has an item after a wide gap.
    // A wrapped item that fills its column (a font wider than the one its lines were
    // broken for) may leave less than half an em before the next item: at those x, a
    // word gap separates items too.
    let wide: Vec<_> = lines.iter().map(|l| segments(l, &[])).collect();
    let starts: Vec<f32> = lines.iter().zip(&wide).flat_map(|(l, segs)| segs.iter().skip(1).map(|s| l[s.start].x)).collect();
    let mut out: Vec<Vec<&Glyph>> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let row = &lines[i];
        let segs = if starts.is_empty() { wide[i].clone() } else { segments(row, &starts) };
        let mut done = false;
        if segs.len() >= 2 {
            // The column (not the last one) a following line sits in, if it lies wholly
            // inside one: it starts where that column's item starts and ends before the
            // next item.
            let em = row[0].em;
            let column_of = |l: &[&Glyph]| -> Option<usize> {
                let (x0, x1) = (l[0].x, l.iter().map(|g| g.x1()).fold(f32::MIN, f32::max));
                let k = segs.iter().position(|s| (row[s.start].x - x0).abs() <= 0.5 * em)?;
                let next = row.get(segs.get(k + 1)?.start)?.x;
                // A line wraps when its next character does not fit: the wrapped item
                // fills its column, up to about an em and the cells' padding before the
                // next item. A short item followed by a line in its column is no wrap
                // (an item whose box was drawn a little off its baseline, say).
                let end = row[segs[k].end - 1].x1();
                // And the items are a grid's: no other line of the cell crosses into the
                // space before the next column (a paragraph with a wide space in it has
                // lines running across that x; the row's own item may end in it).
                // (perf: the cell's every glyph is looked at last, only when the rest holds.)
                let crossed = || {
                    lines.iter().enumerate().filter(|&(j, _)| j != i).flat_map(|(_, l)| l).any(|g| g.x < next && g.x1() > next - 0.4 * em)
                };
                (x1 < next && next - end <= 2.5 * em && !crossed()).then_some(k)
            };
            if let Some(k) = lines.get(i + 1).and_then(|l| column_of(l)) {
                let mut j = i + 1;
                while j < lines.len() && column_of(&lines[j]) == Some(k) {
                    j += 1;
                }
                let cut = segs[k + 1].start;
                out.push(row[..cut].to_vec());
                out.extend(lines[i + 1..j].iter().cloned());
                out.push(row[cut..].to_vec());
                i = j;
                done = true;
            }
        }
        if !done {
            out.push(row.clone());
            i += 1;
        }
    }
    out
}

/// The text of one baseline group, with spaces where glyphs do not touch; None when blank.
fn line_text(l: &[&Glyph]) -> Option<TextLine> {
    let mut text = String::new();
    let mut prev: Option<&Glyph> = None;
    for g in l {
        let space = is_ascii_space(&g.text);
        if let Some(p) = prev {
            let gap = g.x - p.x1();
            // Glyphs of a word touch (gap 0 within rounding); an undrawn ASCII
            // space in a proportional font is ~0.2 em, so 0.15 em separates them.
            let wide = gap > 0.15 * p.em.min(g.em);
            if wide && !space && !text.ends_with(' ') {
                text.push(' ');
            }
        }
        if space {
            // Runs of ASCII spaces (padding) collapse to one; U+3000 is content.
            if !text.is_empty() && !text.ends_with(' ') {
                text.push(' ');
            }
        } else {
            text.push_str(&g.text);
        }
        prev = Some(g);
    }
    let text = text.trim_end_matches(' ').to_string();
    if text.is_empty() {
        return None;
    }
    Some(TextLine { text, y: l[0].y, bbox: glyph_bbox(l) })
}

/// Union of glyph boxes; a glyph box spans the em square around the baseline
/// (descent ≈ 0.12 em for CJK fonts).
fn glyph_bbox(gs: &[&Glyph]) -> [f32; 4] {
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for g in gs {
        b[0] = b[0].min(g.x);
        b[1] = b[1].min(g.y - 0.12 * g.em);
        b[2] = b[2].max(g.x1());
        b[3] = b[3].max(g.y + 0.88 * g.em);
    }
    b
}

pub fn union(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
    [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]
}

/// Rebuild the cells of one page.
pub fn page_cells(page: &PageGeom) -> PageCells {
    page_cells_with(page, &[])
}

/// [`page_cells`], with the column starts of the document's other pages: a borderless
/// row alone on its page (a page break inside a block) has no other row on the page to
/// confirm its gutter, but the same table's rows on other pages start their columns at
/// the same x.
pub fn page_cells_with(page: &PageGeom, other_columns: &[f32]) -> PageCells {
    let page_h = (page.media[3] - page.media[1]).abs();
    let em = median_em(&page.glyphs, page_h);
    let (hr, vr) = rules(page, em);
    let tol = em * 0.3;

    // Cell key = indices of the enclosing rules (left, right, bottom, top).
    type Key = (Option<usize>, Option<usize>, Option<usize>, Option<usize>);
    let mut keyed: Vec<(Key, &Glyph)> = Vec::with_capacity(page.glyphs.len());
    for g in &page.glyphs {
        let (ax, ay) = g.anchor();
        let key = (
            nearest(&vr, ax, ay, tol, true),
            nearest(&vr, ax, ay, tol, false),
            nearest(&hr, ay, ax, tol, true),
            nearest(&hr, ay, ax, tol, false),
        );
        keyed.push((key, g));
    }
    keyed.sort_by_key(|k| k.0);

    let mut cells = Vec::new();
    let mut free: Vec<&Glyph> = Vec::new();
    // The horizontal rules (bottom, top) around each glyph, by glyph address.
    let bands: std::collections::HashMap<*const Glyph, (Option<usize>, Option<usize>)> =
        keyed.iter().map(|(k, g)| (*g as *const Glyph, (k.2, k.3))).collect();
    let band_of = |g: &Glyph| bands[&(g as *const Glyph)];
    let mut i = 0;
    while i < keyed.len() {
        let mut j = i;
        while j < keyed.len() && keyed[j].0 == keyed[i].0 {
            j += 1;
        }
        let key = keyed[i].0;
        let mut gs: Vec<&Glyph> = keyed[i..j].iter().map(|k| k.1).collect();
        match key {
            (Some(l), Some(r), Some(b), Some(t)) => {
                let rect = [vr[l].pos, hr[b].pos, vr[r].pos, hr[t].pos];
                for mut block in text_blocks(&mut gs) {
                    let lines = cell_lines(&mut block);
                    if !lines.is_empty() {
                        cells.push(cell(rect, true, lines, &block));
                    }
                }
            }
            _ => free.extend(gs),
        }
        i = j;
    }
    // Rows of a borderless table: glyphs between two horizontal rules that no vertical
    // rule closes in. A producer that draws each row's bottom rule only leaves the first
    // row of a page without a rule above: its top is its text's.
    free.sort_by(|a, b| band_of(a).cmp(&band_of(b)));
    let mut bands: Vec<(usize, f32, &[&Glyph])> = Vec::new();
    let mut rest: Vec<&Glyph> = Vec::new();
    for band in free.chunk_by(|a, b| band_of(a) == band_of(b)) {
        match band_of(band[0]) {
            (Some(b), t) => {
                let text_top = band.iter().map(|g| g.y + 0.88 * g.em).fold(f32::MIN, f32::max);
                bands.push((b, t.map_or(text_top, |t| hr[t].pos), band));
            }
            _ => rest.extend_from_slice(band),
        }
    }
    let gutters: Vec<Option<(f32, f32)>> = bands.iter().map(|b| first_gutter(b.2)).collect();
    let mut column_starts = Vec::new();
    let mut unconfirmed_starts = Vec::new();
    for (i, &(b, t, band)) in bands.iter().enumerate() {
        // A table's column starts at one x in each of its rows: a gutter whose right
        // column starts where no other row's does is more likely the end of a heading
        // before a box printed on its line. Rows on other pages count too (`confirms`).
        let recurs = |g: (f32, f32)| {
            gutters.iter().enumerate().any(|(j, h)| j != i && h.is_some_and(|h| (h.1 - g.1).abs() <= em))
                || confirms(other_columns, g.1, em)
        };
        let Some((cut, start)) = gutters[i].filter(|g| recurs(*g)) else {
            unconfirmed_starts.extend(gutters[i].map(|g| g.1));
            rest.extend_from_slice(band);
            continue;
        };
        column_starts.push(start);
        let (left, right): (Vec<&Glyph>, Vec<&Glyph>) = band.iter().partition(|g| g.x1() <= cut + 1e-3);
        for mut col in [left, right] {
            let (x0, x1) = col.iter().fold((f32::MAX, f32::MIN), |(a, b), g| (a.min(g.x), b.max(g.x1())));
            let rect = [x0, hr[b].pos, x1, t];
            for mut block in text_blocks(&mut col) {
                let lines = cell_lines(&mut block);
                if !lines.is_empty() {
                    cells.push(cell(rect, false, lines, &block));
                }
            }
        }
    }
    let mut free = rest;
    // Free text (titles, page numbers, pages without rules): each visual line is its own
    // cell, so it takes part in row grouping like a single-line cell.
    for line in make_lines(&mut free) {
        let rect = line.bbox;
        let lem = (line.bbox[3] - line.bbox[1]).max(1.0);
        cells.push(Cell { rect, ruled: false, bbox: rect, em: lem, lines: vec![line] });
    }
    PageCells { number: page.number, cells, em, column_starts, unconfirmed_starts }
}

/// Whether a column start seen on another page (`columns`) is at `x`: closer than on one
/// page, as one producer puts a table's column at one x on every page.
pub fn confirms(columns: &[f32], x: f32, em: f32) -> bool {
    columns.iter().any(|&c| (c - x).abs() <= 0.25 * em)
}

/// The first column gutter of a borderless table row, as the empty x range (from, to):
/// the leftmost x range that no glyph of the row covers, on any of its lines, at least an
/// em wide (two cells' padding; words on a line are closer). Only the first: the label
/// column of a form row; what lies right of it stays one cell, as a merged value cell
/// would be (a `[ 値 ]` box centred in its column has gutters inside it too).
/// None when the row has no gutter (one column of text) or its columns do not start on
/// one line.
fn first_gutter(band: &[&Glyph]) -> Option<(f32, f32)> {
    let mut spans: Vec<(f32, f32, f32)> = band.iter().map(|g| (g.x, g.x1(), g.em)).collect();
    spans.sort_by(|a, b| fcmp(a.0, b.0));
    let mut reach = spans[0].1;
    for w in spans.windows(2) {
        let (prev, next) = (w[0], w[1]);
        let em = prev.2.max(next.2);
        if next.0 - reach >= em {
            // Cells of one table row start on its first line. When they do not, the
            // space between the rules holds several rows drawn without rules between them
            // (a label beside its value's second line): no column split is safe.
            let top = |left: bool| {
                band.iter().filter(|g| (g.x1() <= reach + 1e-3) == left).map(|g| g.y).fold(f32::MIN, f32::max)
            };
            if (top(true) - top(false)).abs() > 0.5 * em {
                return None;
            }
            return Some((reach, next.0));
        }
        reach = reach.max(next.1);
    }
    None
}

fn cell(rect: [f32; 4], ruled: bool, lines: Vec<TextLine>, gs: &[&Glyph]) -> Cell {
    let mut bbox = lines[0].bbox;
    for l in &lines[1..] {
        bbox = union(bbox, l.bbox);
    }
    let mut ems: Vec<f32> = gs.iter().map(|g| g.em).collect();
    ems.sort_by(|a, b| fcmp(*a, *b));
    let em = ems.get(ems.len() / 2).copied().unwrap_or(1.0);
    Cell { rect, ruled, lines, bbox, em }
}

#[cfg(test)]
mod tests {
    use super::super::collect::{Glyph, PageGeom, Seg};
    use super::super::order::page_lines;
    use super::page_cells;

    const EM: f32 = 7.5;

    fn text(g: &mut Vec<Glyph>, x: f32, y: f32, s: &str) {
        for (i, c) in s.chars().enumerate() {
            g.push(Glyph { text: c.to_string(), x: x + EM * i as f32, y, adv: EM, em: EM });
        }
    }

    /// Horizontal rules only (a word processor's borderless table), at these heights.
    fn page(glyphs: Vec<Glyph>, rules: &[f32]) -> PageGeom {
        let segs = rules.iter().map(|&y| Seg { x0: 30.0, y0: y, x1: 570.0, y1: y }).collect();
        PageGeom { number: 1, media: [0.0, 0.0, 595.0, 842.0], glyphs, segs, ..Default::default() }
    }

    fn lines(p: &PageGeom) -> Vec<String> {
        page_lines(&page_cells(p)).into_iter().map(|l| l.text).collect()
    }

    /// Two rows: a two-line label beside a three-line value each. Each column is read as
    /// a cell (label lines, empty line, value lines), not line by line across both.
    #[test]
    fn borderless_rows_split_at_their_column_gutter() {
        let mut g = Vec::new();
        for (top, n) in [(400.0, "甲"), (350.0, "乙")] {
            text(&mut g, 32.0, top - 8.0, &format!("{n}ラベル一行目"));
            text(&mut g, 32.0, top - 18.5, "二行目");
            for (i, v) in ["値一", "値二", "値三"].iter().enumerate() {
                text(&mut g, 240.0, top - 8.0 - 10.5 * i as f32, &format!("{n}{v}"));
            }
        }
        let got = lines(&page(g, &[400.0, 350.0, 300.0]));
        let want = ["甲ラベル一行目", "二行目", "", "甲値一", "甲値二", "甲値三", "乙ラベル一行目", "二行目", "", "乙値一", "乙値二", "乙値三"];
        assert_eq!(got, want);
    }

    /// A gutter seen in one row only (a heading with a box at its end, a second heading
    /// below it, no rule between) is no table column: the lines stay whole.
    #[test]
    fn a_gutter_in_one_row_only_keeps_lines_whole() {
        let mut g = Vec::new();
        text(&mut g, 36.0, 392.0, "５．見出し");
        text(&mut g, 452.0, 392.0, "［　］しない");
        text(&mut g, 36.0, 381.0, "リスク１");
        let got = lines(&page(g, &[400.0, 370.0]));
        assert_eq!(got, ["５．見出し ［　］しない", "リスク１"]);
    }

    /// Columns that do not start on the row's first line are several unruled rows
    /// (a value line above the next row's label): not split.
    #[test]
    fn columns_not_starting_together_are_not_split() {
        let mut g = Vec::new();
        text(&mut g, 244.0, 392.0, "（３）件");
        text(&mut g, 32.0, 381.0, "委託事項１");
        text(&mut g, 240.0, 381.0, "業務名");
        text(&mut g, 32.0, 342.0, "ラベル");
        text(&mut g, 32.0, 331.5, "二行目");
        text(&mut g, 240.0, 342.0, "値一");
        text(&mut g, 240.0, 331.5, "値二");
        text(&mut g, 32.0, 312.0, "次のラベル");
        text(&mut g, 32.0, 301.5, "二行目");
        text(&mut g, 240.0, 312.0, "次の値");
        text(&mut g, 240.0, 301.5, "二行目");
        let got = lines(&page(g, &[400.0, 350.0, 320.0, 290.0]));
        let want = ["（３）件", "委託事項１ 業務名", "ラベル", "二行目", "", "値一", "値二", "次のラベル", "二行目", "", "次の値", "二行目"];
        assert_eq!(got, want);
    }

    /// Check boxes in two columns of one ruled cell; the first item wraps in its column.
    /// Its rest follows it, before the item beside it; a short item with a line below it
    /// in its column (the next row's first item) is no wrap.
    #[test]
    fn a_wrapped_grid_item_is_read_before_its_neighbour() {
        let mut g = Vec::new();
        text(&mut g, 204.0, 392.0, "［　］長い項目の名前が列の幅");
        text(&mut g, 320.0, 392.0, "［　］隣");
        text(&mut g, 204.0, 381.0, "いっぱい");
        text(&mut g, 204.0, 370.0, "［　］短");
        text(&mut g, 320.0, 370.0, "［　］右");
        text(&mut g, 204.0, 359.0, "［　］次");
        let mut p = page(g, &[400.0, 350.0]);
        for x in [200.0, 560.0] {
            p.segs.push(Seg { x0: x, y0: 350.0, x1: x, y1: 400.0 });
        }
        let got = lines(&p);
        assert_eq!(got, ["［　］長い項目の名前が列の幅", "いっぱい", "［　］隣", "［　］短 ［　］右", "［　］次"]);
    }

    /// The wrapped item fills its column up to less than half an em before its neighbour
    /// (a font wider than the one the lines were broken for): the next row's item starts
    /// at that x after a wide gap, so the narrow gap there parts two items too.
    #[test]
    fn a_wrapped_grid_item_filling_its_column_is_read_before_its_neighbour() {
        let mut g = Vec::new();
        text(&mut g, 204.0, 392.0, "［　］長い項目の名前が列の幅");
        text(&mut g, 312.0, 392.0, "［　］隣");
        text(&mut g, 204.0, 381.0, "いっぱい");
        text(&mut g, 204.0, 370.0, "［　］短");
        text(&mut g, 312.0, 370.0, "［　］右");
        let mut p = page(g, &[400.0, 350.0]);
        for x in [200.0, 560.0] {
            p.segs.push(Seg { x0: x, y0: 350.0, x1: x, y1: 400.0 });
        }
        assert_eq!(lines(&p), ["［　］長い項目の名前が列の幅", "いっぱい", "［　］隣", "［　］短 ［　］右"]);
    }

    /// Rules drawn under each row only: the first row of a page has none above it and is
    /// split like the others.
    #[test]
    fn the_first_row_of_a_page_needs_no_rule_above() {
        let mut g = Vec::new();
        for (top, n) in [(380.0, "甲"), (350.0, "乙")] {
            text(&mut g, 32.0, top - 8.0, &format!("{n}ラベル"));
            text(&mut g, 32.0, top - 18.5, "二行目");
            text(&mut g, 240.0, top - 8.0, &format!("{n}値一"));
            text(&mut g, 240.0, top - 18.5, &format!("{n}値二"));
        }
        let got = lines(&page(g, &[350.0, 320.0]));
        assert_eq!(got, ["甲ラベル", "二行目", "", "甲値一", "甲値二", "乙ラベル", "二行目", "", "乙値一", "乙値二"]);
    }

    /// A paragraph with a wide space in a line is no grid: a line of the cell runs across
    /// the space, so a short last line stays after the line it ends.
    #[test]
    fn a_paragraph_with_a_wide_space_keeps_its_order() {
        let mut g = Vec::new();
        text(&mut g, 204.0, 392.0, "番号法");
        text(&mut g, 234.0, 392.0, "第9条（国民");
        text(&mut g, 204.0, 381.0, "）");
        text(&mut g, 204.0, 370.0, "行政手続における特定の個人");
        let mut p = page(g, &[400.0, 350.0]);
        for x in [200.0, 560.0] {
            p.segs.push(Seg { x0: x, y0: 350.0, x1: x, y1: 400.0 });
        }
        assert_eq!(lines(&p), ["番号法 第9条（国民", "）", "行政手続における特定の個人"]);
    }
}
