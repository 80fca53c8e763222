//! The 変更箇所 (change history) table: found by its header row, which most producers
//! repeat on every page it spans; a page without it that goes on with the same column
//! rules continues the table. Columns come from the header cells, rows from the
//! horizontal rules (cells of one row share their top rule).

use super::cells::{Cell, PageCells};
use super::TableRow;

/// The table's columns: 変更日, 項目, 変更前の記載, 変更後の記載, 提出時期, 提出時期に係る説明
/// (the fields of a change row, `record::Change`).
const COLUMNS: usize = 6;

/// Header labels, in column order: the form description's header row
/// (`rules/common.json` `change_table.header`), or none when it does not name
/// [`COLUMNS`] labels.
fn header() -> Option<&'static [String; COLUMNS]> {
    static LABELS: std::sync::OnceLock<Option<[String; COLUMNS]>> = std::sync::OnceLock::new();
    LABELS
        .get_or_init(|| {
            let labels: Vec<String> = crate::form::FormSet::current().common.change_table.header.split_whitespace().map(squash).collect();
            labels.try_into().ok()
        })
        .as_ref()
}

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
    let labels = header()?;
    for anchor in page.cells.iter().filter(|c| c.ruled && squash(&cell_text(c)) == labels[3]) {
        let same_row = |c: &&Cell| (c.rect[3] - anchor.rect[3]).abs() <= tol && (c.rect[1] - anchor.rect[1]).abs() <= tol;
        let mut cols = Vec::new();
        for label in labels {
            let found = page.cells.iter().filter(|c| c.ruled).filter(same_row).find(|c| squash(&cell_text(c)) == *label);
            cols.push(found?);
        }
        // Left to right, or this is not the header we know.
        if cols.windows(2).all(|w| w[0].rect[0] < w[1].rect[0]) {
            return Some(cols);
        }
    }
    None
}

/// The table's column edges (x), left to right: each column's left edge, then the last
/// one's right edge.
#[derive(Debug, Clone)]
pub struct Columns {
    page: u32,
    edges: [f32; COLUMNS + 1],
}

impl Columns {
    fn of_header(page: u32, header: &[&Cell]) -> Self {
        let mut edges = [0.0; COLUMNS + 1];
        for (e, h) in edges.iter_mut().zip(header) {
            *e = h.rect[0];
        }
        edges[COLUMNS] = header[COLUMNS - 1].rect[2];
        Columns { page, edges }
    }

    /// The column whose rules enclose this cell exactly (one column, not a span).
    fn enclosing(&self, c: &Cell, tol: f32) -> Option<usize> {
        let k = self.edges[..COLUMNS].iter().position(|&x| (c.rect[0] - x).abs() <= tol)?;
        ((c.rect[2] - self.edges[k + 1]).abs() <= tol).then_some(k)
    }
}

/// Data rows of the change table on one page, top to bottom, and the table's columns
/// when it may go on to the next page.
///
/// A page with the header row: the ruled cells below it. A page without it, right after
/// a page of the table (`carried`): a producer that prints the header once goes on with
/// the same column rules, so the ruled cells from the page's top that each fill one of
/// the carried columns are rows too, down to the first ruled cell that does not.
pub fn page_rows(page: &PageCells, carried: Option<&Columns>) -> (Vec<TableRow>, Option<Columns>) {
    let tol = page.em * 0.5;
    let mut body: Vec<&Cell>;
    let columns;
    if let Some(header) = find_header(page) {
        columns = Columns::of_header(page.number, &header);
        let (left, right) = (columns.edges[0] - tol, columns.edges[COLUMNS] + tol);
        let top = header[0].rect[1] + tol; // the header's bottom rule
        body = page.cells.iter().filter(|c| c.ruled && c.rect[0] >= left && c.rect[2] <= right && c.rect[3] <= top).collect();
    } else if let Some(prev) = carried.filter(|c| c.page + 1 == page.number) {
        columns = Columns { page: page.number, ..prev.clone() };
        body = page.cells.iter().filter(|c| c.ruled).collect();
        body.sort_by(|a, b| b.rect[3].total_cmp(&a.rect[3]));
        // Top down, while the cells fill the columns (the first cell that does not ends
        // the table: another table, or none at all).
        let end = body.iter().position(|c| columns.enclosing(c, tol).is_none()).unwrap_or(body.len());
        body.truncate(end);
        if body.is_empty() {
            return (Vec::new(), None);
        }
    } else {
        return (Vec::new(), None);
    }
    // Column boundaries: a cell belongs to the column its left edge falls in.
    let col_of = |c: &Cell| columns.edges[..COLUMNS].iter().rposition(|&x| c.rect[0] >= x - tol).unwrap_or(0);
    body.sort_by(|a, b| b.rect[3].total_cmp(&a.rect[3]).then(a.rect[0].total_cmp(&b.rect[0])));

    let mut rows: Vec<(f32, TableRow)> = Vec::new();
    for c in body {
        let new_row = match rows.last() {
            Some((row_top, _)) => (row_top - c.rect[3]).abs() > tol,
            None => true,
        };
        if new_row {
            rows.push((c.rect[3], TableRow { page: page.number, cells: vec![String::new(); COLUMNS] }));
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
    let rows = rows.into_iter().map(|(_, r)| r).filter(|r| !r.cells.iter().zip(header().into_iter().flatten()).all(|(c, h)| squash(c) == *h)).collect();
    (rows, Some(columns))
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
