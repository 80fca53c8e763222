//! Text scraped by other extractors (pdftotext, pdfminer.six, PyMuPDF, pdfplumber) or
//! copied from mirror sites: recognise the shape of the text ([`shape_of`]) and, where
//! the shape keeps enough of the page's geometry, rebuild the same reading-order lines
//! and 変更箇所 rows the PDF path builds from glyphs ([`rebuild`]). The extractor then
//! reads them exactly as it reads a PDF's layout.
//!
//! Nothing here knows the form's labels or answers: only the shape of the text
//! (columns, row bands, blank lines, dates, 事前/事後 tokens).

pub(crate) mod cells;
mod columns;
mod flat;
mod layout;
mod mirror;
mod plumber;
mod plumber_rows;
mod shape;
mod stream;
mod table;
mod typed_rows;

pub use shape::shape_of;

use crate::pdf::TableRow;

/// The shape of a text dump, named after the tool that makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextLayout {
    /// The Rust crate pdf-extract (drawing order; the seed's shape).
    PdfExtract,
    /// `pdftotext` (poppler) default: column by column, form feeds.
    Pdftotext,
    /// `pdftotext -layout`: rows padded with spaces to the glyphs' columns.
    PdftotextLayout,
    /// `pdftotext -raw`: content-stream order, no blank lines.
    PdftotextRaw,
    /// pdfminer.six `pdf2txt.py`: text boxes one after another, form feeds.
    Pdfminer,
    /// PyMuPDF `get_text()`: one span per line, content-stream order.
    Pymupdf,
    /// PyMuPDF `get_text(sort=True)`: rows padded with spaces.
    PymupdfSort,
    /// pdfplumber `extract_text()`: visual rows, cells joined by single spaces.
    Pdfplumber,
    /// A mirror site's text view, one cell per line.
    MirrorLines,
    /// A mirror site's text view, each page flattened into long lines.
    MirrorFlat,
    /// Reading order (label then value), e.g. piasheet's own `text-dump`.
    ReadingOrder,
}

impl TextLayout {
    pub const ALL: [TextLayout; 11] = [
        TextLayout::PdfExtract,
        TextLayout::Pdftotext,
        TextLayout::PdftotextLayout,
        TextLayout::PdftotextRaw,
        TextLayout::Pdfminer,
        TextLayout::Pymupdf,
        TextLayout::PymupdfSort,
        TextLayout::Pdfplumber,
        TextLayout::MirrorLines,
        TextLayout::MirrorFlat,
        TextLayout::ReadingOrder,
    ];

    /// Stable snake_case name (the value of `source.text_layout`).
    pub fn name(self) -> &'static str {
        match self {
            TextLayout::PdfExtract => "pdf_extract",
            TextLayout::Pdftotext => "pdftotext",
            TextLayout::PdftotextLayout => "pdftotext_layout",
            TextLayout::PdftotextRaw => "pdftotext_raw",
            TextLayout::Pdfminer => "pdfminer",
            TextLayout::Pymupdf => "pymupdf",
            TextLayout::PymupdfSort => "pymupdf_sort",
            TextLayout::Pdfplumber => "pdfplumber",
            TextLayout::MirrorLines => "mirror_lines",
            TextLayout::MirrorFlat => "mirror_flat",
            TextLayout::ReadingOrder => "reading_order",
        }
    }
}

impl std::fmt::Display for TextLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Reading-order lines rebuilt from a scraped text, with the change rows where the
/// shape allowed rebuilding them.
#[derive(Debug, Clone, Default)]
pub struct Rebuilt {
    /// Reading-order lines (the same conventions as [`crate::pdf::PdfLayout::lines`]).
    pub lines: Vec<String>,
    /// 変更箇所 rows, cells left to right. `None`: the shape does not tell the cells
    /// apart; the extractor reads the rows from `lines` as for any text dump.
    pub change_rows: Option<Vec<TableRow>>,
    /// Change rows seen but not rebuilt (left out rather than guessed).
    pub unreadable_rows: usize,
    /// Rows among those whose cells the sheet's other texts may still tell apart
    /// ([`resolve_pending`]); counted in `unreadable_rows` until then.
    pub pending: Vec<plumber_rows::Pending>,
    /// Cells of rebuilt rows left blank where the text could not be read back.
    pub warnings: Vec<crate::record::Warning>,
}

pub use plumber_rows::{resolve as resolve_pending, Known, Pending};

/// Rebuild reading-order lines (and change rows) from a text of this shape. `None`:
/// the text is read as it is.
pub fn rebuild(text: &str, shape: TextLayout) -> Option<Rebuilt> {
    match shape {
        TextLayout::PdftotextLayout | TextLayout::PymupdfSort => Some(layout::rebuild(text, shape)),
        TextLayout::MirrorLines | TextLayout::MirrorFlat => mirror::rebuild(text, shape),
        // Column by column, or rows with their cells joined by single spaces: the text
        // stays as it is, but the change rows cannot be told apart. None is given rather
        // than wrong ones; the rows seen are counted.
        TextLayout::Pdfplumber => {
            let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            let seen = change_dates(text);
            // The body only: the change pages stay as they are.
            // (The last heading: a table of contents may name the change pages before.)
            let end = lines.iter().rposition(|l| is_changes_heading(&compact(l))).unwrap_or(lines.len());
            let read = plumber_rows::rows(&lines);
            let (rows, read_unreadable) = (read.rows, read.unreadable);
            let mut out = plumber::values_after_labels(&plumber::questions_in_order(&lines[..end]));
            out.extend_from_slice(&lines[end..]);
            // Rows seen (by their 提出時期) beyond those read or counted are unreadable too.
            let unreadable = read_unreadable.max(seen.saturating_sub(rows.len()));
            // Rows seen by either count: the text's rows are these (none is read from
            // the text as a dump's would be: its cells are side by side).
            let change_rows = (seen > 0 || !rows.is_empty() || unreadable > 0).then_some(rows);
            Some(Rebuilt { change_rows, lines: out, unreadable_rows: unreadable, pending: read.pending, warnings: read.warnings })
        }
        TextLayout::Pdftotext | TextLayout::PdftotextRaw | TextLayout::Pdfminer | TextLayout::Pymupdf => {
            let seen = change_dates(text);
            let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            // The cover's 番号/名称 labels and values one per line; a stamp cut in two.
            let mut lines = zip_numbers(join_part_numerals(stamp_apart(join_stamp(mirror::cover_fix(&lines).unwrap_or(lines)))));
            if matches!(shape, TextLayout::Pdfminer | TextLayout::Pdftotext) {
                columns::split_name_cell(&mut lines);
                columns::join_unit_to_department(&mut lines);
                if shape == TextLayout::Pdftotext {
                    columns::label_before_its_value(&mut lines);
                }
            }
            // pdfminer prints each cell as a block of its own, column by column: the rows
            // are rebuilt where the columns' counts agree (see `columns`).
            let (rows, unreadable) = match shape {
                TextLayout::Pdfminer => columns::rows(text, columns::Order::Columns).unwrap_or_default(),
                TextLayout::Pdftotext => columns::rows(text, columns::Order::RowByRow).unwrap_or_default(),
                // One text run per line in content-stream order (see `stream`).
                TextLayout::Pymupdf | TextLayout::PdftotextRaw => stream::rows(text).unwrap_or_default(),
                _ => (Vec::new(), seen),
            };
            // Rows seen (by their 提出時期) beyond those rebuilt are counted, not left to
            // the general text reader: on these column-by-column texts it pairs cells of
            // different rows (wrong rows), so no row is given that was not verified.
            let unreadable = unreadable.max(seen.saturating_sub(rows.len()));
            Some(Rebuilt { lines, change_rows: (seen > 0 || !rows.is_empty()).then_some(rows), unreadable_rows: unreadable, ..Default::default() })
        }
        TextLayout::ReadingOrder => dump_rows(text),
        TextLayout::PdfExtract => None,
    }
}

/// piasheet's own `text-dump` of a PDF: reading-order lines, then `# 変更箇所` and the
/// change rows as tab-separated cells (`\n` for a newline inside a cell).
fn dump_rows(text: &str) -> Option<Rebuilt> {
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let at = lines.iter().position(|l| *l == crate::pdf::DUMP_CHANGES_LINE)?;
    let mut rows = Vec::new();
    for l in &lines[at + 1..] {
        if l.trim().is_empty() {
            continue;
        }
        let cells: Vec<String> = l.split('\t').map(|c| c.replace("\\n", "\n")).collect();
        if cells.len() != 6 || leading_date(&cells[0]).is_none() {
            return None;
        }
        rows.push(TableRow { page: 0, cells });
    }
    let body = lines[..at].iter().map(|l| l.replace('\u{c}', "")).collect();
    Some(Rebuilt { lines: body, change_rows: Some(rows), ..Default::default() })
}

/// The version stamp cut over two lines (`[平成31年１月` / blank / `様式２]`) put back on one.
fn join_stamp(mut lines: Vec<String>) -> Vec<String> {
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t.starts_with(['[', '［']) && !t.contains([']', '］']) && t.chars().count() <= 12 {
            if let Some(j) = (i + 1..lines.len().min(i + 4)).find(|&j| !lines[j].trim().is_empty()) {
                let u = lines[j].trim();
                if u.ends_with([']', '］']) && !u.contains(['[', '［']) && u.chars().count() <= 8 {
                    lines[i] = format!("{} {}", t, u);
                    lines.drain(i + 1..=j);
                }
            }
        }
        i += 1;
    }
    lines
}

/// A numbered list whose numbers the tool printed as a block of their own (`１`…`４`,
/// blank, then the four items): each number put back before its item. Only when the
/// numbers run 1, 2, … n and the next block has exactly n lines.
fn zip_numbers(mut lines: Vec<String>) -> Vec<String> {
    let number = |s: &str| -> Option<u32> {
        let t = s.trim();
        (!t.is_empty() && t.chars().count() <= 2).then_some(())?;
        t.chars().try_fold(0, |n, c| Some(n * 10 + c.to_digit(10).or_else(|| (c as u32).checked_sub('０' as u32).filter(|d| *d < 10))?))
    };
    let mut i = 0;
    while i < lines.len() {
        let n = (i..lines.len()).take_while(|&j| number(&lines[j]) == Some((j - i + 1) as u32)).count();
        let starts_block = i == 0 || lines[i - 1].trim().is_empty();
        if n >= 2 && starts_block && lines.get(i + n).is_some_and(|l| l.trim().is_empty()) {
            let items = i + n + 1;
            let m = (items..lines.len()).take_while(|&j| !lines[j].trim().is_empty()).count();
            if m == n {
                for k in 0..n {
                    lines[items + k] = format!("{}　{}", lines[i + k].trim(), lines[items + k].trim());
                }
                lines.drain(i..items);
                continue;
            }
        }
        i += 1;
    }
    lines
}

/// A part's numeral printed as a block of its own at a page's top (`\fⅠ` / blank /
/// `関連情報`, pdftotext) put back before its title, so the heading ends the text above it. Change pages (from
/// the 変更箇所 title on) are left as they are: their 項目 cells start with numerals.
fn join_part_numerals(mut lines: Vec<String>) -> Vec<String> {
    let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace() && *c != '\u{c}').collect::<String>();
    let end = lines.iter().position(|l| compact(l) == changes_heading()).unwrap_or(lines.len());
    let is_numeral = |s: &str| s.chars().count() == 1 && s.starts_with(['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', 'Ⅵ', 'Ⅶ']);
    let mut i = 0;
    let mut end = end;
    while i < end {
        // Only at a page's top: there the numeral's block comes right before the title's;
        // elsewhere another column (an answer) may come between them.
        if lines[i].starts_with('\u{c}') && is_numeral(&compact(&lines[i])) {
            if let Some(j) = (i + 1..end.min(i + 3)).find(|&j| !lines[j].trim().is_empty()) {
                let title = compact(&lines[j]);
                if !title.is_empty() && title.chars().all(|c| !c.is_ascii_digit() && !is_numeral(&c.to_string())) && title.chars().count() <= 20 {
                    lines[i] = format!("{} {}", lines[i].trim_end(), lines[j].trim());
                    lines.drain(i + 1..=j);
                    end -= j - i;
                }
            }
        }
        i += 1;
    }
    lines
}

/// The version stamp set apart by blank lines: it is a block of its own, never the first
/// line of the paragraph below it (tools without blank lines print the declaration
/// right under it).
fn stamp_apart(lines: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len() + 4);
    for l in lines {
        let c: String = l.chars().filter(|c| !c.is_whitespace()).collect();
        let stamp = c.starts_with(['[', '［']) && c.ends_with([']', '］']) && c.contains("様式") && c.chars().count() <= 16;
        if stamp && out.last().is_some_and(|p: &String| !p.trim().is_empty()) {
            out.push(String::new());
        }
        out.push(l);
        if stamp {
            out.push(String::new());
        }
    }
    out
}

/// How many 変更箇所 rows a text holds: every row has one 提出時期 (事前 / 事後), in
/// whatever order the tool printed the cells; without them, the lines of the change
/// pages that start with a date followed by nothing or by an item.
pub(crate) fn change_dates(text: &str) -> usize {
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(start) = lines.iter().position(|l| is_changes_heading(&compact(l))) else { return 0 };
    let pages = &lines[start + 1..];
    let timings = pages.iter().flat_map(|l| l.split_whitespace()).filter(|w| is_timing(w.trim_matches('\u{c}'))).count();
    if timings > 0 {
        return timings;
    }
    pages
        .iter()
        .filter(|l| {
            let t = l.trim().trim_start_matches('\u{c}');
            leading_date(t).is_some_and(|n| {
                let rest = t[n..].trim_start();
                rest.is_empty() || rest.starts_with(['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', 'Ⅵ', 'Ⅶ'])
            })
        })
        .count()
}

/// Text with its white space removed (how labels and headings are compared here).
pub(crate) fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The change table's heading and column titles, as printed (rules/common.json).
pub(super) fn headers() -> impl Iterator<Item = &'static str> {
    std::iter::once(changes_heading()).chain(change_table().header_labels().iter().map(String::as_str))
}

/// The change table's heading (`変更箇所`, rules/common.json).
pub(super) fn changes_heading() -> &'static str {
    &change_table().heading
}

/// The 変更箇所 heading, compacted: short (not a sentence naming it), perhaps after the
/// `（別添２）` / `（別添３）` number 重点項目 and 全項目 sheets give it.
pub(super) fn is_changes_heading(c: &str) -> bool {
    let c = match c.strip_prefix("（別添").or_else(|| c.strip_prefix("(別添")) {
        Some(rest) => rest.split_once(['）', ')']).map_or(c, |(_, after)| after),
        None => c,
    };
    c.ends_with(changes_heading()) && c.chars().count() <= changes_heading().chars().count() + 4
}

/// A date of the 和暦 form at the start of `s` (`令和5年9月11日`, `平成31年１月1日`, also with
/// full-width digits); its byte length.
pub(crate) fn leading_date(s: &str) -> Option<usize> {
    let mut chars = s.char_indices().peekable();
    let mut era = String::new();
    for _ in 0..2 {
        let (_, c) = chars.next()?;
        era.push(c);
    }
    if !matches!(era.as_str(), "令和" | "平成" | "昭和") {
        return None;
    }
    let digits = |chars: &mut std::iter::Peekable<std::str::CharIndices>, allow_gan: bool| -> bool {
        let mut n = 0;
        while let Some(&(_, c)) = chars.peek() {
            if c.is_ascii_digit() || ('０'..='９').contains(&c) || (allow_gan && n == 0 && c == '元') {
                chars.next();
                n += 1;
                if c == '元' {
                    break;
                }
            } else if c == ' ' && n > 0 {
                chars.next();
            } else {
                break;
            }
        }
        n > 0 && n <= 2
    };
    for (unit, gan) in [('年', true), ('月', false), ('日', false)] {
        while chars.peek().map(|&(_, c)| c == ' ') == Some(true) {
            chars.next();
        }
        if !digits(&mut chars, gan) {
            return None;
        }
        while chars.peek().map(|&(_, c)| c == ' ') == Some(true) {
            chars.next();
        }
        let (i, c) = chars.next()?;
        if c != unit {
            return None;
        }
        if unit == '日' {
            return Some(i + c.len_utf8());
        }
    }
    None
}

/// The 変更箇所 table as the form descriptions print it (header row, 提出時期 values).
pub(crate) fn change_table() -> &'static crate::form::ChangeTable {
    &crate::form::FormSet::current().common.change_table
}

/// A 提出時期 value (事前 / 事後, as the change table lists them).
pub(crate) fn is_timing(s: &str) -> bool {
    change_table().timings.iter().any(|t| t == s)
}

/// The 提出時期 value `s` ends with, if any (a cell printed against it with no gap).
pub(crate) fn timing_at_end(s: &str) -> Option<&'static str> {
    change_table().timings.iter().map(String::as_str).find(|t| s.ends_with(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 重点/全項目 sheets title the change pages `（別添２）変更箇所`: the rows of a
    /// column-by-column text are counted and never left to the general text reader
    /// (`change_rows: None`), which pairs cells of different rows there.
    #[test]
    fn numbered_changes_heading_keeps_rows_from_the_text_reader() {
        assert!(is_changes_heading("（別添２）変更箇所") && is_changes_heading("変更箇所") && is_changes_heading("(別添3)変更箇所"));
        assert!(!is_changes_heading("（別添２）変更箇所の記載について説明する"));
        let t = "Ⅰ　基本情報\n（別添２）　変更箇所\n変更日\n項目\n変更前の記載\n変更後の記載\n提出時期\n提出時期に係る説明\n\
                 Ⅰ６②所属長の役職名\n保険年金総務課長\n保険年金課長\n事後\n表紙\n特記事項\n事前\n令和２年４月２５日\n令和２年１１月２０日\n";
        assert_eq!(change_dates(t), 2);
        for shape in [TextLayout::Pymupdf, TextLayout::PdftotextRaw, TextLayout::Pdfminer, TextLayout::Pdftotext] {
            let r = rebuild(t, shape).unwrap();
            let rows = r.change_rows.expect("rows are the rebuilt ones (perhaps none), not the text reader's");
            assert_eq!(rows.len() + r.unreadable_rows, 2, "{shape:?}");
            assert!(r.unreadable_rows > 0, "{shape:?}");
        }
    }

    #[test]
    fn dates_at_line_start() {
        assert_eq!(leading_date("令和5年9月11日 Ⅰ８"), Some("令和5年9月11日".len()));
        assert_eq!(leading_date("平成31年１月１日"), Some("平成31年１月１日".len()));
        assert_eq!(leading_date("令和元年10月4日"), Some("令和元年10月4日".len()));
        assert_eq!(leading_date("令和5年9月"), None);
        assert_eq!(leading_date("平成"), None);
    }

    #[test]
    fn text_dump_rows() {
        let t = "公表日 令和5年9月11日\n\u{c}変更箇所\n# 変更箇所\n令和5年9月11日\tⅠ１③システムの名称\tＡ\tＢ\\nＣ\t事後\t\n";
        let r = rebuild(t, TextLayout::ReadingOrder).unwrap();
        let rows = r.change_rows.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells, ["令和5年9月11日", "Ⅰ１③システムの名称", "Ａ", "Ｂ\nＣ", "事後", ""]);
        assert_eq!(r.lines, ["公表日 令和5年9月11日", "変更箇所"]);
    }

    #[test]
    fn the_stamp_is_a_block_of_its_own() {
        let l: Vec<String> = ["公表日", "[平成31年１月　様式２]", "○○市は、…宣言する。"].iter().map(|s| s.to_string()).collect();
        assert_eq!(stamp_apart(l), ["公表日", "", "[平成31年１月　様式２]", "", "○○市は、…宣言する。"]);
    }

    #[test]
    fn numbers_printed_apart_go_back_to_their_items() {
        let l: Vec<String> = ["③システムの名称", "", "１", "２", "", "住民記録システム", "中間サーバー", "", "１", "２", "", "三行", "の", "値"].iter().map(|s| s.to_string()).collect();
        // The second list's counts disagree (2 numbers, 3 lines): left as it is.
        assert_eq!(zip_numbers(l), ["③システムの名称", "", "１　住民記録システム", "２　中間サーバー", "", "１", "２", "", "三行", "の", "値"]);
    }

    #[test]
    fn a_numeral_at_a_page_top_joins_its_title() {
        let l: Vec<String> = ["特記事項", "\u{c}Ⅰ ", "", "関連情報", "", "Ⅲ", "", "発生なし", "\u{c}変更箇所", "\u{c}Ⅱ", "", "しきい値"].iter().map(|s| s.to_string()).collect();
        assert_eq!(join_part_numerals(l), ["特記事項", "\u{c}Ⅰ 関連情報", "", "Ⅲ", "", "発生なし", "\u{c}変更箇所", "\u{c}Ⅱ", "", "しきい値"]);
    }

    #[test]
    fn names_are_stable() {
        let names: Vec<&str> = TextLayout::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            ["pdf_extract", "pdftotext", "pdftotext_layout", "pdftotext_raw", "pdfminer", "pymupdf", "pymupdf_sort", "pdfplumber", "mirror_lines", "mirror_flat", "reading_order"]
        );
    }
}
