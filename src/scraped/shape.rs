//! Which tool made a text, from the text itself: form feeds, blank-line share, padded
//! rows, indentation, U+3000 and full-width forms, line lengths.

use super::TextLayout;

#[derive(Debug, Default, PartialEq, Eq)]
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

/// The counts of [`Stats`], made cheaply (this runs on every text dump, before anything
/// else is read: issue #16): the wide characters, form feeds, runs of three spaces and
/// `評` found over the whole text at once (SIMD searches), the other tests per line
/// without copying it. Equal to the plain definitions kept in the tests
/// (`tests::stats_plain`).
fn stats(text: &str) -> Stats {
    // Wide characters of blank lines are taken back off below (they count on the other
    // lines only); neither U+3000 nor a form crosses a line end.
    let (ideographic_spaces, full_width_forms) = wide_spaces_and_forms(text.as_bytes());
    let mut s = Stats { form_feeds: crate::normalize::count_byte(text.as_bytes(), 0x0c), ideographic_spaces, full_width_forms, ..Stats::default() };
    // Where runs of three spaces and 評 start, in order: a line's test is whether the
    // next one at or after its start lies in it. (Non-overlapping runs suffice: a run of
    // three or more spaces inside a trimmed line starts one at its first space.)
    let mut three_spaces = memchr::memmem::find_iter(text.as_bytes(), b"   ").peekable();
    let mut hyo = memchr::memmem::find_iter(text.as_bytes(), "評".as_bytes()).peekable();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]) {
        let (raw, raw_start) = (&text[start..end], start);
        start = end + 1;
        // `raw.trim_end_matches('\r').trim_matches('\u{c}')`, by bytes (both are ASCII).
        let b = raw.as_bytes();
        let mut e = b.len();
        while e > 0 && b[e - 1] == b'\r' {
            e -= 1;
        }
        let mut f = 0;
        while f < e && b[f] == 0x0c {
            f += 1;
        }
        while e > f && b[e - 1] == 0x0c {
            e -= 1;
        }
        let (line, line_start) = (&raw[f..e], raw_start + f);
        s.lines += 1;
        let trimmed = trim(line);
        if trimmed.is_empty() {
            s.blank += 1;
            let (ideographic, full_width) = wide_spaces_and_forms(line.as_bytes());
            s.ideographic_spaces -= ideographic;
            s.full_width_forms -= full_width;
            continue;
        }
        let b = line.as_bytes();
        if b.len() > 1 && b[0] == b' ' && b[1] != b' ' {
            s.one_space += 1;
        }
        if line.starts_with("    ") {
            s.indented += 1;
        }
        // `trimmed` is a slice of `text`: its place there.
        let trimmed_start = trimmed.as_ptr() as usize - text.as_ptr() as usize;
        if next_at_or_after(&mut three_spaces, trimmed_start).is_some_and(|at| at + 3 <= trimmed_start + trimmed.len()) {
            s.padded += 1;
        }
        // A char takes at least one byte: only a long line can have 200 chars.
        if b.len() > 200 && line.chars().count() > 200 {
            s.long_lines += 1;
        }
        // The label tests need 評 somewhere or 公 first; most lines have neither, and
        // are not copied.
        // Of those, only one starting with 公 or 評, or holding 番 (of 評価書番号評価書名),
        // can pass a test: white space is all `compact` drops.
        let has_hyo = next_at_or_after(&mut hyo, line_start).is_some_and(|at| at < line_start + line.len());
        let may_pass = || trimmed.starts_with(['公', '評']) || memchr::memmem::find(trimmed.as_bytes(), "番".as_bytes()).is_some();
        if (has_hyo || trimmed.starts_with('公')) && may_pass() {
            let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            if compact.contains("評価書番号評価書名") {
                s.labels_joined += 1;
            }
            if (compact.starts_with("公表日") && compact.len() > "公表日".len() && compact.chars().nth(3).is_some_and(|c| c == '令' || c == '平'))
                || (compact.starts_with("評価実施機関名") && compact.chars().count() > 7)
            {
                s.label_and_value += 1;
            }
        }
        if matches!(trimmed, "[" | "]" | "［" | "］") {
            s.lone_brackets += 1;
        }
    }
    s
}

/// The first of `places` (ascending) at or after `at`; those before are passed over.
fn next_at_or_after(places: &mut std::iter::Peekable<impl Iterator<Item = usize>>, at: usize) -> Option<usize> {
    while places.next_if(|&p| p < at).is_some() {}
    places.peek().copied()
}

/// `line.trim()`. perf: an end that is a character no white space can be (printable
/// ASCII, or U+4000 and above) is kept without decoding it.
fn trim(line: &str) -> &str {
    let solid = |x: u8| x.wrapping_sub(0x21) < 0x5e || x >= 0xe4;
    let line = if line.as_bytes().first().is_some_and(|&x| solid(x)) { line } else { line.trim_start() };
    // The last character is printable ASCII, or three bytes led by E4..=EF.
    let solid_end = match line.as_bytes() {
        [.., x] if x.wrapping_sub(0x21) < 0x5e => true,
        [.., x, _, _] => (0xe4..=0xef).contains(x),
        _ => false,
    };
    if solid_end {
        line
    } else {
        line.trim_end()
    }
}

/// U+3000 and U+FF01..=U+FF5E in UTF-8 bytes: `E3 80 80`, and `EF BC 81..=BF` or
/// `EF BD 80..=9E` (E3 and EF only ever lead a three-byte char). Without branches and
/// counted in bytes per block of 192 positions, so that the compiler compares many bytes
/// at once (a loop over chars, or with wider counters, is several times slower).
fn wide_spaces_and_forms(b: &[u8]) -> (usize, usize) {
    let n = b.len().saturating_sub(2);
    let (mut ideographic, mut full_width) = (0usize, 0usize);
    let mut start = 0;
    while start < n {
        let end = (start + 192).min(n);
        let (x, y, z) = (&b[start..end], &b[start + 1..end + 1], &b[start + 2..end + 2]);
        let (mut i, mut f) = (0u8, 0u8);
        for k in 0..x.len() {
            let (x, y, z) = (x[k], y[k], z[k]);
            i += u8::from((x == 0xE3) & (y == 0x80) & (z == 0x80));
            f += u8::from((x == 0xEF) & (((y == 0xBC) & (z >= 0x81)) | ((y == 0xBD) & (z <= 0x9E))));
        }
        ideographic += usize::from(i);
        full_width += usize::from(f);
        start = end;
    }
    (ideographic, full_width)
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

    /// The plain definitions of the counts (the fast [`stats`] must equal them).
    fn stats_plain(text: &str) -> Stats {
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

    /// The one-pass counts equal the plain ones: on every text dump of the repository
    /// and `../shared` (every extractor's shape), and on 20,000 random lines over the
    /// characters the counts look at (the edges of U+FF01..=U+FF5E, U+3000 and other
    /// white space, form feeds, CR, the labels' characters).
    #[test]
    fn one_pass_stats_equal_the_plain_ones() {
        let mut texts: Vec<String> = crate::test_texts::txt_files_under(&["input", "../shared"]).into_iter().map(|(_, t)| t).collect();
        assert!(texts.len() >= 20, "only {} texts found", texts.len());
        let alphabet: Vec<char> = " \u{3000}\u{c}\r\n\t　[]［］評価書番号名公表日令平実施機関ａ！～\u{ff00}\u{ff5f}\u{ff3f}\u{ff40}\u{e380}\u{3001}x1".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 240) as usize;
            texts.push((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect());
        }
        // Other white space at the lines' ends (trimmed by `trim`'s slow side), runs of
        // spaces, and characters of every UTF-8 length.
        let alphabet: Vec<char> = " \u{a0}\u{85}\u{2003}\u{3000}\t\r\n\u{c}評公表日令ab国é𠀋［]\u{ff01}".chars().collect();
        for _ in 0..20_000 {
            let len = (next() % 120) as usize;
            texts.push((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect());
        }
        for pick in ["評価書番号 評価書名", "評 価 実 施 機 関 名　川越市長", " 公 表 日 令和5年", "　公表日平成", "公表日", "評価実施機関名", "a   b", "   ", "[", " ］ ", "1 評価書番号\u{3000}評価書名", "x評価実施機関名 市長", "(公表日令和", "評価書 名 番号"] {
            texts.push(pick.to_string());
        }
        for t in &texts {
            assert_eq!(stats(t), stats_plain(t), "{:?}", t.chars().take(80).collect::<String>());
        }
    }

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
