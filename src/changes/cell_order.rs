//! Tables drawn cell by cell: each row's cells in column order, each cell's lines top to
//! bottom (word processors draw tables so). pdf-extract's own spacing then marks the
//! cells, with no geometry left in the text:
//!
//! * a cell's next line lies left of where its line ended and lower by one line: a bare
//!   line break;
//! * the next cell starts right of where the last one ended: a space when it starts
//!   within a line and a half of that height (on the same text line), a line break and
//!   a space when further (it starts at the row's top after a cell of three or more
//!   lines, or it is centred lower);
//! * the next row starts at the left and lower than anything of the row above: a blank
//!   line.
//!
//! So a paragraph is a row, a leading or inner space starts a cell, and a line without
//! one goes on with the cell before it (a wrapped date `令和4年3月2` / `1日` included).
//! A row is taken only when its cells read as date, item, 変更前, 変更後, 提出時期 and at
//! most one 説明 cell; any other row is counted as unreadable, not guessed at.

use super::{key, ChangeTable, Line, TableRow};
use crate::normalize::whole_date_of_key;

/// The cells of one paragraph (a row), each a list of line pieces.
fn cells_of<'a>(para: &[&'a Line]) -> Vec<Vec<&'a str>> {
    let mut cells: Vec<Vec<&'a str>> = Vec::new();
    for (n, l) in para.iter().enumerate() {
        let raw = l.raw().trim_end();
        let goes_on = n > 0 && !raw.starts_with(' ');
        for (j, piece) in raw.split(' ').filter(|p| !p.is_empty()).enumerate() {
            match cells.last_mut() {
                Some(c) if j == 0 && goes_on => c.push(piece),
                _ => cells.push(vec![piece]),
            }
        }
    }
    cells
}

fn joined_key(cell: &[&str]) -> String {
    cell.iter().map(|p| key(p)).collect()
}

/// One row from its cells, or None when they are not date, item, two texts, timing, note.
fn row_of(cells: &[Vec<&str>], table: &ChangeTable, timings: &[String]) -> Option<Vec<String>> {
    let [date, rest @ ..] = cells else { return None };
    whole_date_of_key(&joined_key(date))?;
    // A bare reference (`Ⅰ`, `Ⅰ５②`) is followed by its label, as on a one-line row.
    let is_ref = |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_digit() || matches!(c, 'I' | 'V' | 'X' | '.' | '-'));
    let mut n = 1;
    while n < rest.len() && is_ref(&rest[..n].iter().map(|c| joined_key(c)).collect::<String>()) {
        n += 1;
    }
    let item = rest.get(..n)?.iter().map(|c| c.concat()).collect::<Vec<_>>().join(" ");
    if !table.item_prefix_keys().iter().any(|p| key(&item).starts_with(p.as_str())) {
        return None;
    }
    let rest = &rest[n..];
    let t = rest.iter().position(|c| timings.contains(&joined_key(c)))?;
    // 変更前 and 変更後 both printed: with one of them blank the other's column is unknown.
    if t != 2 || rest.len() > 4 {
        return None;
    }
    let text = |c: &Vec<&str>| c.join("\n");
    let mut row = vec![date.concat(), item, text(&rest[0]), text(&rest[1]), rest[2].concat()];
    row.push(rest.get(3).map(text).unwrap_or_default());
    Some(row)
}

/// The rows of a cell-by-cell table, and how many row paragraphs could not be read.
/// None: the region is not of this shape (a paragraph that neither starts a row nor is
/// the heading, the column header or a page number).
pub(super) fn rows(region: &[Line], table: &ChangeTable) -> Option<(Vec<TableRow>, usize)> {
    let header = key(&table.header);
    let heading = key(&table.heading);
    let timings: Vec<String> = table.timings.iter().map(|t| key(t)).collect();
    let (mut rows, mut lost, mut wrapped) = (Vec::new(), 0, false);
    for para in region.split(|l| l.key().is_empty()).filter(|p| !p.is_empty()) {
        let k: String = para.iter().map(|l| l.key()).collect();
        let page_number = k.len() <= 4 && k.bytes().all(|b| b.is_ascii_digit());
        if page_number || k.ends_with(&heading) || k.starts_with(&header) || header.starts_with(&k) {
            continue;
        }
        // A row's paragraph starts with its date (which may wrap after a few characters).
        if !crate::normalize::may_start_with_date(&k) || crate::normalize::date_end_at_start(&k, false).is_none() {
            return None;
        }
        let lines: Vec<&Line> = para.iter().collect();
        match row_of(&cells_of(&lines), table, &timings) {
            Some(cells) => {
                wrapped |= lines.len() > 1;
                rows.push(TableRow { page: 0, cells })
            }
            None => lost += 1,
        }
    }
    // A table whose rows read are all one line reads the same in any drawing order:
    // left to the row reader (which knows more about one-line cells).
    (!rows.is_empty() && wrapped).then_some((rows, lost))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Option<(Vec<Vec<String>>, usize)> {
        let lines = crate::reassemble::lines_of(text);
        rows(&lines, &crate::form::FormSet::builtin().common.change_table).map(|(r, lost)| (r.into_iter().map(|r| r.cells).collect(), lost))
    }

    /// pdf-extract's breaks and spaces mark the cells: a wrapped date and item, a cell
    /// starting beside the last line of a two-line cell, a leading space after a taller
    /// cell, the 説明 running on below the timing.
    #[test]
    fn cells_follow_the_breaks_and_spaces() {
        let text = "（別添３）変更箇所\n\n変更日 項目 変更前の記載 変更後の記載 提出時期 提出時期に係る\n説明\n\n\
            平成28年8月18\n日 Ⅴ１⑤法令による特別の手\n続 甲の一行目\n甲の二行目 乙の記載 事前\n\n\
            令和4年3月21日 Ⅲ４特定個人情報ファイル\nの取扱い\n ・丙\n・丁\n 戊 事後 説明の\n続き\n\n18\n";
        let (rows, lost) = run(text).expect("cell-by-cell table");
        assert_eq!(lost, 0);
        assert_eq!(rows[0], ["平成28年8月18日", "Ⅴ１⑤法令による特別の手続", "甲の一行目\n甲の二行目", "乙の記載", "事前", ""]);
        assert_eq!(rows[1], ["令和4年3月21日", "Ⅲ４特定個人情報ファイルの取扱い", "・丙\n・丁", "戊", "事後", "説明の\n続き"]);
    }

    /// One-line rows read the same in any drawing order: left to the one-line reader.
    #[test]
    fn one_line_rows_are_left_to_the_row_reader() {
        assert!(run("令和4年3月22日 Ⅰ１②事務の内容 甲 乙 事後\n").is_none());
    }

    /// A row with one text cell: which column it stands in is not in the text, so the
    /// row is counted as unreadable, not given.
    #[test]
    fn a_row_with_one_text_is_not_guessed() {
        let (rows, lost) = run("令和4年3月21日 Ⅰ１②事務の内容 甲\n甲の続き 事前\n\n令和4年3月22日 Ⅰ システムの名称 甲\n甲の続き 乙 事後\n").unwrap();
        assert_eq!((rows.len(), lost), (1, 1));
        // A bare reference takes its label, as on a one-line row.
        assert_eq!(rows[0][1..5], ["Ⅰ システムの名称", "甲\n甲の続き", "乙", "事後"]);
    }

    /// Multi-line cells as blocks apart from their row (another drawing order): not this
    /// shape, left to the other readers.
    #[test]
    fn blocks_apart_from_their_row_are_another_shape() {
        assert!(run("令和4年3月21日 Ⅰ１②事務の内容 事前\n\n一行目\n二行目\n\n三行目\n").is_none());
    }
}
