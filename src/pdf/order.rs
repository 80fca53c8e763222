//! Cells of a page → reading-order lines, in the convention the text extractor expects:
//!
//! * page top to bottom, visual rows of cells; in a row, cells left to right;
//! * a row of single-line cells is ONE line, cell texts joined by one space
//!   (`①事務の名称 国民健康保険事務`, `[ ○ ］　自己点検 [ ○ ］ …`);
//! * a row with a multi-line cell gives each cell's lines, cells separated by one empty
//!   line; neighbouring single-line cells on one baseline still form one line (so
//!   `label [ value ]` stays together), and a choice-options cell whose first line is the
//!   `＜選択肢＞` header on that baseline has the header appended to that line, its
//!   options following as its own lines.

use super::cells::{union, Cell, PageCells, TextLine};
use super::LayoutLine;
use std::cmp::Ordering;

fn fcmp(a: f32, b: f32) -> Ordering {
    a.total_cmp(&b)
}

/// Visual rows. Ruled cells of one table row share their top rule; a merged cell that
/// spans several rows belongs to the row where it starts and must not pull the next rows
/// in, so a row ends at the HIGHEST bottom of its cells (the shortest cell). Free text
/// uses its text box as its rectangle.
pub fn rows(cells: &[Cell], em: f32) -> Vec<Vec<&Cell>> {
    let mut idx: Vec<&Cell> = cells.iter().collect();
    idx.sort_by(|a, b| fcmp(b.rect[3], a.rect[3]).then(fcmp(a.rect[0], b.rect[0])));
    let min_overlap = em * 0.3;
    let mut rows: Vec<(f32, Vec<&Cell>)> = Vec::new(); // (row bottom, cells)
    for c in idx {
        // Sorted by top, so a cell can only join the current (last) row.
        match rows.last_mut() {
            Some((bottom, row)) if c.rect[3] - *bottom > min_overlap => {
                *bottom = bottom.max(c.rect[1]);
                row.push(c);
            }
            _ => rows.push((c.rect[1], vec![c])),
        }
    }
    rows.into_iter()
        .map(|(_, mut row)| {
            sort_columns(&mut row, em);
            row
        })
        .collect()
}

/// Left to right; cells stacked in one column (x starts within half an em) top first.
fn sort_columns(row: &mut [&Cell], em: f32) {
    let mut xs: Vec<f32> = row.iter().map(|c| c.bbox[0]).collect();
    xs.sort_by(|a, b| fcmp(*a, *b));
    // Column starts: cluster the x0 values, so the comparison below is a total order.
    let mut starts: Vec<f32> = Vec::new();
    for x in xs {
        if starts.last().is_none_or(|s| x - *s > em * 0.5) {
            starts.push(x);
        }
    }
    let col = |c: &Cell| starts.iter().rposition(|s| c.bbox[0] >= *s - 1e-3).unwrap_or(0);
    row.sort_by(|a, b| col(a).cmp(&col(b)).then(fcmp(b.bbox[3], a.bbox[3])));
}

/// A block of output: consecutive lines printed without a separator.
struct Block {
    lines: Vec<TextLine>,
}

fn same_baseline(a: &TextLine, b: &TextLine, em: f32) -> bool {
    (a.y - b.y).abs() <= em * 0.5
}

fn join(a: &TextLine, b: &TextLine) -> TextLine {
    TextLine { text: format!("{} {}", a.text, b.text), y: a.y, bbox: union(a.bbox, b.bbox) }
}

fn is_choice_header(s: &str) -> bool {
    let s = s.trim_start();
    s.starts_with("＜選択肢＞") || s.starts_with("<選択肢>") || s.starts_with("〈選択肢〉")
}

/// Lines of one visual row.
fn row_blocks(row: &[&Cell], em: f32) -> Vec<Block> {
    if row.iter().all(|c| c.lines.len() == 1) {
        let mut line = row[0].lines[0].clone();
        for c in &row[1..] {
            line = join(&line, &c.lines[0]);
        }
        return vec![Block { lines: vec![line] }];
    }
    let mut blocks: Vec<Block> = Vec::new();
    // Whether the last block is a run of single-line cells that may still grow.
    let mut open_run = false;
    for c in row {
        if c.lines.len() == 1 {
            let l = &c.lines[0];
            if open_run {
                if let Some(last) = blocks.last_mut().and_then(|b| b.lines.last_mut()) {
                    if same_baseline(last, l, em) {
                        *last = join(last, l);
                        continue;
                    }
                }
            }
            blocks.push(Block { lines: vec![l.clone()] });
            open_run = true;
            continue;
        }
        let mut lines = c.lines.clone();
        // `label [ value ]` followed by its options: the `＜選択肢＞` header goes on the
        // answer's line (whether it sits a little above it or level with it), the options
        // follow as the same cell's lines.
        if open_run && is_choice_header(&lines[0].text) {
            if let Some(b) = blocks.last_mut() {
                if let Some(last) = b.lines.last_mut() {
                    *last = join(last, &lines[0]);
                    b.lines.extend(lines.drain(1..));
                    open_run = false;
                    continue;
                }
            }
        }
        blocks.push(Block { lines });
        open_run = false;
    }
    blocks
}

/// Reading-order lines of one page.
pub fn page_lines(page: &PageCells) -> Vec<LayoutLine> {
    let mut out = Vec::new();
    for row in rows(&page.cells, page.em) {
        let blocks = row_blocks(&row, page.em);
        for (i, b) in blocks.iter().enumerate() {
            if i > 0 {
                // Empty separator line between cells; its box is a zero-size box.
                out.push(LayoutLine { text: String::new(), page: page.number, bbox: [0.0; 4] });
            }
            for l in &b.lines {
                out.push(LayoutLine { text: l.text.clone(), page: page.number, bbox: l.bbox });
            }
        }
    }
    out
}
