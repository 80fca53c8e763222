//! Which tool made a text, from the text itself: form feeds, blank-line share, padded
//! rows, indentation, U+3000 and full-width forms, line lengths.

use super::TextLayout;

#[derive(Debug, Default)]
struct Stats {
    lines: usize,
    blank: usize,
    form_feeds: usize,
    /// Lines with a run of three or more spaces between two non-space characters.
    padded: usize,
    /// Lines indented by four or more spaces.
    indented: usize,
    /// Lines starting with exactly one space.
    one_space: usize,
    ideographic_spaces: usize,
    /// Full-width ASCII forms (！..～) other than the ideographic space.
    full_width_forms: usize,
    long_lines: usize,
    /// Lines holding a wrapped cell's cover labels side by side (`評価書番号 評価書名`).
    labels_joined: usize,
    /// Lines holding a value after a label on the same line (`公表日 令和5年…`).
    label_and_value: usize,
    /// Lines that are a bracket on its own (`[`, `]`).
    lone_brackets: usize,
}

fn stats(text: &str) -> Stats {
    let mut s = Stats::default();
    for raw in text.split('\n') {
        let line = raw.trim_end_matches('\r');
        s.form_feeds += line.matches('\u{c}').count();
        let line = line.trim_matches('\u{c}');
        s.lines += 1;
        if line.trim().is_empty() {
            s.blank += 1;
            continue;
        }
        let b = line.as_bytes();
        if b.len() > 1 && b[0] == b' ' && b[1] != b' ' {
            s.one_space += 1;
        }
        if line.starts_with("    ") {
            s.indented += 1;
        }
        if line.trim().contains("   ") {
            s.padded += 1;
        }
        s.ideographic_spaces += line.matches('\u{3000}').count();
        s.full_width_forms += line.chars().filter(|c| ('\u{ff01}'..='\u{ff5e}').contains(c)).count();
        if line.chars().count() > 200 {
            s.long_lines += 1;
        }
        // perf: every test below needs a 評 or a 公 on the line; most lines have neither.
        if !line.contains(['評', '公']) {
            if matches!(line.trim(), "[" | "]" | "［" | "］") {
                s.lone_brackets += 1;
            }
            continue;
        }
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("評価書番号評価書名") {
            s.labels_joined += 1;
        }
        if (compact.starts_with("公表日") && compact.len() > "公表日".len() && compact.chars().nth(3).is_some_and(|c| c == '令' || c == '平'))
            || (compact.starts_with("評価実施機関名") && compact.chars().count() > 7)
        {
            s.label_and_value += 1;
        }
        if matches!(line.trim(), "[" | "]" | "［" | "］") {
            s.lone_brackets += 1;
        }
    }
    s
}

/// The shape of a text dump (see [`TextLayout`]).
pub fn shape_of(text: &str) -> TextLayout {
    let s = stats(text);
    let non_blank = (s.lines - s.blank).max(1) as f64;
    let share = |n: usize| n as f64 / non_blank;
    let blank_share = s.blank as f64 / s.lines.max(1) as f64;
    // Flattened pages: a handful of very long lines.
    if s.long_lines >= 2 && s.lines - s.blank < 200 {
        return TextLayout::MirrorFlat;
    }
    // Rows padded with spaces to the glyphs' columns.
    if share(s.padded) > 0.08 && share(s.indented) > 0.15 {
        return if s.form_feeds > 0 { TextLayout::PdftotextLayout } else { TextLayout::PymupdfSort };
    }
    if s.form_feeds > 0 {
        if blank_share < 0.05 {
            return TextLayout::PdftotextRaw;
        }
        if s.label_and_value > 0 && blank_share < 0.25 {
            return TextLayout::ReadingOrder;
        }
        return if s.ideographic_spaces > 0 { TextLayout::Pdfminer } else { TextLayout::Pdftotext };
    }
    // pdf-extract starts a line with one space where a glyph run began right of the
    // last one: other extractors do that on ≤ 2.2% of lines, pdf-extract on ≥ 8%, even
    // on dense sheets with few blank lines (borderless tables, word processors). Ten
    // such lines at least, so that a page number ` 1` does not make a short text one.
    if share(s.one_space) > 0.02 && (blank_share > 0.15 || (share(s.one_space) > 0.05 && s.one_space >= 10)) {
        return TextLayout::PdfExtract;
    }
    if blank_share < 0.05 {
        // Mirror sites print ASCII forms (NFKC-like) and no U+3000.
        if s.full_width_forms == 0 && s.ideographic_spaces == 0 {
            return TextLayout::MirrorLines;
        }
        if s.labels_joined > 0 && s.ideographic_spaces == 0 {
            return TextLayout::Pdfplumber;
        }
        if s.lone_brackets > 0 || s.ideographic_spaces > 0 {
            return TextLayout::Pymupdf;
        }
        return TextLayout::Pdfplumber;
    }
    if s.label_and_value > 0 && blank_share < 0.25 {
        return TextLayout::ReadingOrder;
    }
    TextLayout::PdfExtract
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_rows() {
        let t = "     [平成31年１月   様式２]\n\n      評価書番号                               評価書名\n\n          1       住民基本台帳に関する事務 基礎項目評価書\n\u{c}Ⅰ   関連情報\n    ①事務の名称                住民基本台帳に関する事務\n";
        assert_eq!(shape_of(t), TextLayout::PdftotextLayout);
        assert_eq!(shape_of(&t.replace('\u{c}', "")), TextLayout::PymupdfSort);
    }

    #[test]
    fn one_line_per_cell() {
        let plumber = "[平成31年１月 様式２]\n特定個人情報保護評価書（基礎項目評価書）\n評価書番号 評価書名\n1 住民基本台帳に関する事務 基礎項目評価書\n評価実施機関名 川越市長\n公表日 令和5年9月11日";
        assert_eq!(shape_of(plumber), TextLayout::Pdfplumber);
        let mirror = "特定個人情報保護評価書(基礎項目評価書)\n評価書番号\n1\n評価書名\n住民基本台帳に関する事務 基礎項目評価書\n評価実施機関名\n川越市長";
        assert_eq!(shape_of(mirror), TextLayout::MirrorLines);
        let mupdf = " 1\n特定個人情報保護評価書（基礎項目評価書）\n評価書番号\n評価書名\n1\n[平成31年１月　様式２]\n[\n実施する\n]";
        assert_eq!(shape_of(mupdf), TextLayout::Pymupdf);
    }

    #[test]
    fn form_feed_shapes() {
        let raw = "[平成31年１月 様式２]\n特定個人情報保護評価書（基礎項目評価書）\n評価書番号 評価書名\n1 ○○事務 基礎項目評価書\n評価実施機関名\n○○市長\n\u{c}Ⅰ 関連情報\n１．特定個人情報ファイルを取り扱う事務\n①事務の名称 ○○事務\n②事務の概要\n○○";
        assert_eq!(shape_of(raw), TextLayout::PdftotextRaw);
        let plain = "[平成31年１月\n\n様式２]\n\n評価書番号\n\n評価書名\n\n1\n\u{c}Ⅰ 関連情報\n";
        assert_eq!(shape_of(plain), TextLayout::Pdftotext);
        assert_eq!(shape_of(&plain.replace("Ⅰ ", "Ⅰ\u{3000}")), TextLayout::Pdfminer);
    }

    #[test]
    fn pdf_extract_and_flat() {
        let pe = "[平成31年１月　様式２]\n\n評価書番号 評価書名\n\n 公表日\n\n 令和5年9月11日\n\nⅠ　関連情報\n\n x\n";
        assert_eq!(shape_of(pe), TextLayout::PdfExtract);
        let long = "特定個人情報保護評価書 ".repeat(30);
        let flat = format!("{long}\n\n{long}\nSize: px\n");
        assert_eq!(shape_of(&flat), TextLayout::MirrorFlat);
    }
}
