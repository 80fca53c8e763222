//! The 変更箇所 (change history) table: found by its header row, which is repeated on
//! every page it spans. Columns come from the header cells, rows from the horizontal
//! rules (cells of one row share their top rule).

use super::cells::{Cell, PageCells};
use super::TableRow;

/// Header labels, in column order.
pub const HEADER: [&str; 6] = ["変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明"];

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn cell_text(c: &Cell) -> String {
    c.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
}

/// Header cells of the table on this page: one ruled cell per label, all on one row.
fn find_header(page: &PageCells) -> Option<Vec<&Cell>> {
    let tol = page.em * 0.5;
    // Anchor on the most specific label, then require the others on the same row.
    for anchor in page.cells.iter().filter(|c| c.ruled && squash(&cell_text(c)) == HEADER[3]) {
        let same_row = |c: &&Cell| (c.rect[3] - anchor.rect[3]).abs() <= tol && (c.rect[1] - anchor.rect[1]).abs() <= tol;
        let mut cols = Vec::new();
        for label in HEADER {
            let found = page.cells.iter().filter(|c| c.ruled).filter(same_row).find(|c| squash(&cell_text(c)) == label);
            cols.push(found?);
        }
        // Left to right, or this is not the header we know.
        if cols.windows(2).all(|w| w[0].rect[0] < w[1].rect[0]) {
            return Some(cols);
        }
    }
    None
}

/// Data rows of the change table on one page, top to bottom.
pub fn page_rows(page: &PageCells) -> Vec<TableRow> {
    let Some(header) = find_header(page) else { return Vec::new() };
    let tol = page.em * 0.5;
    let left = header[0].rect[0] - tol;
    let right = header[5].rect[2] + tol;
    let top = header[0].rect[1] + tol; // the header's bottom rule
    // Column boundaries: a cell belongs to the column its left edge falls in.
    let col_of = |c: &Cell| header.iter().rposition(|h| c.rect[0] >= h.rect[0] - tol).unwrap_or(0);

    let mut body: Vec<&Cell> = page
        .cells
        .iter()
        .filter(|c| c.ruled && c.rect[0] >= left && c.rect[2] <= right && c.rect[3] <= top)
        .collect();
    body.sort_by(|a, b| b.rect[3].total_cmp(&a.rect[3]).then(a.rect[0].total_cmp(&b.rect[0])));

    let mut rows: Vec<(f32, TableRow)> = Vec::new();
    for c in body {
        let new_row = match rows.last() {
            Some((row_top, _)) => (row_top - c.rect[3]).abs() > tol,
            None => true,
        };
        if new_row {
            rows.push((c.rect[3], TableRow { page: page.number, cells: vec![String::new(); HEADER.len()] }));
        }
        if let Some((_, row)) = rows.last_mut() {
            let slot = &mut row.cells[col_of(c)];
            // Two text cells in one column (a split cell) stay in visual order.
            if !slot.is_empty() {
                slot.push('\n');
            }
            slot.push_str(&cell_text(c));
        }
    }
    // A repeated header row inside the body (some producers repeat it mid-page).
    rows.into_iter()
        .map(|(_, r)| r)
        .filter(|r| !r.cells.iter().zip(HEADER).all(|(c, h)| squash(c) == h))
        .collect()
}

/// Append one page's rows. A row cut by a page break continues at the top of the next
/// page without its date and item: its cells are appended to the row it continues.
pub fn append_page_rows(all: &mut Vec<TableRow>, page_rows: Vec<TableRow>) {
    for (i, row) in page_rows.into_iter().enumerate() {
        let continues = i == 0 && row.cells[0].is_empty() && row.cells[1].is_empty();
        match all.last_mut() {
            Some(prev) if continues && prev.page + 1 == row.page => {
                for (p, c) in prev.cells.iter_mut().zip(row.cells) {
                    if !c.is_empty() {
                        if !p.is_empty() {
                            p.push('\n');
                        }
                        p.push_str(&c);
                    }
                }
            }
            _ => all.push(row),
        }
    }
}
