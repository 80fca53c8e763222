//! Normalisation: match keys (NFKC, no white space), 和暦 dates → ISO, cleaned text values.

use regex::Regex;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

/// Key used to compare printed text with labels: NFKC, white space removed, and the
/// circle marks that stand for "ticked" folded to ○.
pub fn key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    key_into(s, &mut out);
    out
}

/// [`key`]`(s)` appended to `out` (perf: a caller keying many texts reuses one buffer).
pub fn key_into(s: &str, out: &mut String) {
    // perf: most characters of a sheet (ASCII, kanji, kana, CJK punctuation,
    // full-width ASCII, spaces) are their own NFKC form or map to one ASCII character,
    // and are starters that never compose with what precedes them, so NFKC of a string
    // is the concatenation of NFKC of the chunks that begin at such characters. Those
    // characters are keyed directly; only a chunk holding anything else (Ⅰ, ①, a
    // combining mark, half-width kana …) goes through the normaliser (`key_nfkc`).
    // The result is identical to `key_nfkc(s)` (tested exhaustively below).
    //
    // Characters that are their own key are copied in runs (`s[run..]` not yet copied)
    // instead of one by one; `chunk_out` is where the output of the chunk's first
    // character begins when that character was not copied as part of a run. The text is
    // read by bytes (`fast_key_at`), not by chars: the common characters are told from
    // their lead bytes without decoding them.
    let b = s.as_bytes();
    let (mut run, mut chunk_start, mut chunk_out, mut slow) = (0, 0, 0, false);
    let mut i = 0;
    while i < b.len() {
        let (len, fast) = fast_key_at(b, i);
        match fast {
            Some(m) => {
                if slow {
                    push_key_nfkc(&s[chunk_start..i], out);
                    slow = false;
                    run = i;
                }
                chunk_start = i;
                if m != Same {
                    out.push_str(&s[run..i]);
                    chunk_out = out.len();
                    if let To(m) = m {
                        out.push(m);
                    }
                    run = i + len;
                }
            }
            None if !slow => {
                // The chunk's first character goes to the normaliser with the rest.
                if run <= chunk_start {
                    out.push_str(&s[run..chunk_start]);
                } else {
                    out.truncate(chunk_out);
                }
                slow = true;
            }
            None => {}
        }
        i += len;
        if !slow {
            // perf: a run of characters that are their own key (ASCII letters, kanji,
            // kana: most of a sheet) only moves `chunk_start`, a few instructions each.
            while i < b.len() {
                let len = same_len_at(b, i);
                if len == 0 {
                    break;
                }
                chunk_start = i;
                i += len;
            }
        }
    }
    if slow {
        push_key_nfkc(&s[chunk_start..], out);
    } else {
        out.push_str(&s[run..]);
    }
}

/// What a character that keys on its own becomes in a key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fast {
    /// Itself.
    Same,
    /// Nothing (white space).
    Dropped,
    /// Another character.
    To(char),
}
use Fast::{Dropped, Same, To};

impl Fast {
    const fn of(c: char) -> Option<Fast> {
        match fast_key(c) {
            Some(Some(k)) if k == c => Some(Same),
            Some(Some(k)) => Some(To(k)),
            Some(None) => Some(Dropped),
            None => None,
        }
    }
}

/// [`Fast::of`] for every character below U+0080 and for U+3000..=U+30FF (CJK
/// punctuation and kana), by lookup.
const FAST_ASCII: [Option<Fast>; 128] = fast_table(0);
const FAST_KANA: [Option<Fast>; 256] = fast_table(0x3000);

const fn fast_table<const N: usize>(first: u32) -> [Option<Fast>; N] {
    let mut t = [None; N];
    let mut k = 0;
    while k < N {
        if let Some(c) = char::from_u32(first + k as u32) {
            t[k] = Fast::of(c);
        }
        k += 1;
    }
    t
}

/// The byte length of the character starting at byte `i` of the UTF-8 text `b` when
/// it is its own key ([`Fast::of`] is `Same`) and one of the common kinds (printable
/// ASCII, CJK ideographs, kana and CJK punctuation), else 0 (perhaps its own key too).
#[inline(always)]
fn same_len_at(b: &[u8], i: usize) -> usize {
    let x = b[i];
    let len = SAME_LEAD[usize::from(x)];
    if len != 0 {
        usize::from(len)
    } else if x == 0xe4 && b[i + 1] >= 0xb8 {
        3
    } else if x == 0xe3 {
        match b.get(i + 1..i + 3) {
            Some(&[y, z]) if y <= 0x83 && SAME_KANA[(usize::from(y & 3) << 6) | usize::from(z & 0x3f)] => 3,
            _ => 0,
        }
    } else {
        0
    }
}

/// For each byte, the length of the characters it leads when all of them are their own
/// key: printable ASCII (1) and E5..=E9 (3: U+5000..=U+9FFF, CJK ideographs); else 0.
const SAME_LEAD: [u8; 256] = {
    let mut t = [0; 256];
    let mut x = 0x21;
    while x <= 0x7e {
        t[x] = 1;
        x += 1;
    }
    let mut x = 0xe5;
    while x <= 0xe9 {
        t[x] = 3;
        x += 1;
    }
    t
};

/// Whether each of U+3000..=U+30FF is its own key (`Fast::of` is `Same`).
const SAME_KANA: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    while k < 256 {
        t[k] = matches!(FAST_KANA[k], Some(Same));
        k += 1;
    }
    t
};

/// The byte length of the character starting at byte `i` of the UTF-8 text `b`, and
/// [`Fast::of`] of it. perf: ASCII and U+3000..=U+30FF by table, CJK ideographs
/// (U+4E00..=U+9FFF, whose lead bytes are E4 B8.. to E9) without decoding.
#[inline(always)]
fn fast_key_at(b: &[u8], i: usize) -> (usize, Option<Fast>) {
    let x = b[i];
    if x < 0x80 {
        return (1, FAST_ASCII[x as usize]);
    }
    if x & 0xf0 == 0xe0 {
        if matches!(x, 0xe5..=0xe9) {
            return (3, Some(Same));
        }
        let cp = (u32::from(x & 0x0f) << 12) | (u32::from(b[i + 1] & 0x3f) << 6) | u32::from(b[i + 2] & 0x3f);
        return match cp {
            0x3000..=0x30ff => (3, FAST_KANA[(cp - 0x3000) as usize]),
            0x4e00..=0x9fff => (3, Some(Same)),
            // A three-byte lead makes a valid code point here (the text is UTF-8).
            _ => (3, char::from_u32(cp).and_then(Fast::of)),
        };
    }
    // Two and four-byte characters: decoded (`x` leads one: the text is UTF-8).
    let len = if x >= 0xf0 { 4 } else { 2 };
    let c = std::str::from_utf8(&b[i..i + len]).ok().and_then(|t| t.chars().next());
    (len, c.and_then(Fast::of))
}

/// The key of a character that keys on its own (`Some(None)`: dropped, `Some(Some(k))`:
/// becomes `k`), or `None` when it needs the normaliser.
#[inline]
pub(crate) const fn fast_key(c: char) -> Option<Option<char>> {
    match c {
        ' ' | '\t' | '\n' | '\r' | '\u{3000}' => Some(None),
        '\u{21}'..='\u{7e}' | '\u{4e00}'..='\u{9fff}' | '\u{3041}'..='\u{3096}' | '\u{30a1}'..='\u{30fa}' | 'ー' | '・' => Some(Some(c)),
        '、' | '。' | '〃' | '々' | '\u{3008}'..='\u{3011}' | '〒' | '\u{3014}'..='\u{301b}' | '―' | '‐' | '‘' | '’' | '“' | '”' | '○' | '●' | '□' | '■' | '△' | '▲' | '※' | '→' | '←' | '×' | '÷' | '±' => Some(Some(c)),
        '〇' | '◯' => Some(Some('○')),
        // Full-width ASCII: NFKC is the ASCII character.
        '\u{ff01}'..='\u{ff5e}' => Some(char::from_u32(c as u32 - 0xfee0)),
        _ => None,
    }
}

/// [`key`] by the book: NFKC of the whole string, white space removed, circles folded.
pub fn key_nfkc(s: &str) -> String {
    let mut out = String::new();
    push_key_nfkc(s, &mut out);
    out
}

/// [`key_nfkc`]`(s)` appended to `out`. perf: kept out of [`key_into`]'s loop (rare, and
/// the normaliser's state would crowd the loop's registers).
#[inline(never)]
fn push_key_nfkc(s: &str, out: &mut String) {
    out.extend(s.nfkc().filter(|c| !c.is_whitespace()).map(|c| if matches!(c, '〇' | '◯') { '○' } else { c }));
}

/// The raw text left after the first `n` key characters of `raw` (see [`key`]).
pub fn after_key_prefix(raw: &str, n: usize) -> &str {
    let mut seen = 0;
    for (i, c) in raw.char_indices() {
        if seen >= n {
            return &raw[i..];
        }
        seen += key_len_of_char(c);
    }
    ""
}

/// How many characters `c` becomes in a [`key`].
fn key_len_of_char(c: char) -> usize {
    match fast_key(c) {
        Some(m) => usize::from(m.is_some()),
        None => key(c.encode_utf8(&mut [0; 4])).chars().count(),
    }
}

const ERAS: &[(&str, i32)] = &[("明治", 1868), ("大正", 1912), ("昭和", 1926), ("平成", 1989), ("令和", 2019)];

fn date_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(明治|大正|昭和|平成|令和)?(元|\d{1,4})年(\d{1,2})月(?:(\d{1,2})日)?").expect("date regex")
    })
}

/// A date found in text: ISO form and the byte range in the key string it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundDate {
    pub iso: String,
    pub start: usize,
    pub end: usize,
}

/// perf: can a date of [`find_date_in_key`] start at byte 0 of this key? (An era name,
/// 元 or a digit comes first.) A cheap necessary condition to skip the regex.
pub fn may_start_with_date(k: &str) -> bool {
    matches!(k.chars().next(), Some('明' | '大' | '昭' | '平' | '令' | '元' | '0'..='9'))
}

/// Parse the first 和暦 or western date (`令和6年5月24日`, `令和元年10月4日`, `2024年5月24日`) in a
/// key string. With `month_only`, a year-month without a day is accepted (`2019-01`).
/// perf: most keys asked (a change row's date cell) start with their date, read by hand
/// ([`date_at_start`]) without the regex's scan: a date found at byte 0 is the scan's first
/// match and its answer; otherwise the scan decides ([`find_date_by_scan`]).
pub fn find_date_in_key(k: &str, month_only: bool) -> Option<FoundDate> {
    if may_start_with_date(k) {
        if let Some(d) = date_at_start(k, month_only) {
            return Some(d);
        }
    }
    find_date_by_scan(k, month_only)
}

/// `find_date_in_key(k, month_only).is_some()`. perf: no ISO form written, and the
/// date at the key's start looked for once (not again by `find_date_in_key`).
pub fn has_date_in_key(k: &str, month_only: bool) -> bool {
    date_end_at_start(k, month_only).is_some() || find_date_by_scan(k, month_only).is_some()
}

/// [`find_date_in_key`] by the date regex alone (the reference for its fast path).
fn find_date_by_scan(k: &str, month_only: bool) -> Option<FoundDate> {
    for cap in date_re().captures_iter(k) {
        match date_of(&cap, month_only) {
            Step::Found(d) => return Some(d),
            Step::Skip => continue,
            Step::Stop => return None,
        }
    }
    None
}

/// [`find_date_in_key`] for a date that starts the key: same result when that date
/// starts at byte 0, `None` otherwise. perf: one anchored attempt instead of a scan of
/// the whole line for every match.
pub fn date_at_start(k: &str, month_only: bool) -> Option<FoundDate> {
    match ascii_date_at_start(k) {
        Some(Some(p)) => match date_of_parts(p, month_only) {
            Step::Found(d) => Some(d),
            Step::Skip | Step::Stop => None,
        },
        Some(None) => None,
        None => date_at_start_by_regex(k, month_only),
    }
}

/// Where the date that starts `k` ends: [`date_at_start`]`(k, month_only).map(|d| d.end)`.
/// perf: the date is checked but its ISO form not written (a change table asks this of
/// every line that may open a row).
pub fn date_end_at_start(k: &str, month_only: bool) -> Option<usize> {
    match ascii_date_at_start(k) {
        Some(Some(p)) => date_numbers(&p, month_only).ok().map(|_| p.end),
        Some(None) => None,
        None => date_at_start_by_regex(k, month_only).map(|d| d.end),
    }
}

/// The parts of a date the date regex matches at the start of a key.
struct DateParts<'a> {
    end: usize,
    era: Option<&'a str>,
    year: &'a str,
    month: &'a str,
    day: Option<&'a str>,
}

/// perf: the anchored date regex read by hand where its digits are ASCII (a change
/// table tests hundreds of cells a read). `Some(None)`: no match; `None`: a non-ASCII
/// digit is next to a number (the regex's `\d` is Unicode), left to the regex.
fn ascii_date_at_start(k: &str) -> Option<Option<DateParts<'_>>> {
    let era = ERAS.iter().map(|e| e.0).find(|e| k.starts_with(e));
    let mut at = era.map_or(0, str::len);
    // ASCII digits from `at`, at most `max` of them, or no match; `None` as above.
    let digits = |at: usize, max: usize| -> Option<Option<(usize, usize)>> {
        let n = k[at..].bytes().take_while(u8::is_ascii_digit).count();
        if k[at + n..].chars().next().is_some_and(|c| c.is_numeric() && !c.is_ascii_digit()) {
            return None;
        }
        Some((1..=max).contains(&n).then_some((at, at + n)))
    };
    let year = if k[at..].starts_with('元') {
        (at, at + '元'.len_utf8())
    } else {
        match digits(at, 4)? {
            Some(y) => y,
            None => return Some(None),
        }
    };
    at = year.1;
    let Some(rest) = k[at..].strip_prefix('年') else { return Some(None) };
    at = k.len() - rest.len();
    let Some(month) = digits(at, 2)? else { return Some(None) };
    let Some(rest) = k[month.1..].strip_prefix('月') else { return Some(None) };
    at = k.len() - rest.len();
    let mut day = None;
    if let Some(d) = digits(at, 2)? {
        if let Some(rest) = k[d.1..].strip_prefix('日') {
            day = Some(&k[d.0..d.1]);
            at = k.len() - rest.len();
        }
    }
    Some(Some(DateParts { end: at, era, year: &k[year.0..year.1], month: &k[month.0..month.1], day }))
}

/// [`date_at_start`] by the regex (the reference for the hand-read fast path).
fn date_at_start_by_regex(k: &str, month_only: bool) -> Option<FoundDate> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(&format!("^(?:{})", date_re().as_str())).expect("date regex"));
    match date_of(&re.captures(k)?, month_only) {
        Step::Found(d) => Some(d),
        Step::Skip | Step::Stop => None,
    }
}

/// What a date match says: a date, not a date (look further), or give up.
enum Step {
    Found(FoundDate),
    Skip,
    Stop,
}

fn date_of(cap: &regex::Captures, month_only: bool) -> Step {
    let (Some(whole), Some(year_text), Some(month_text)) = (cap.get(0), cap.get(2), cap.get(3)) else { return Step::Stop };
    let parts = DateParts { end: whole.end(), era: cap.get(1).map(|m| m.as_str()), year: year_text.as_str(), month: month_text.as_str(), day: cap.get(4).map(|m| m.as_str()) };
    match date_of_parts(parts, month_only) {
        Step::Found(d) => Step::Found(FoundDate { start: whole.start(), end: whole.end(), ..d }),
        other => other,
    }
}

/// [`date_of`] on the parts matched (a found date is given `start` 0).
fn date_of_parts(p: DateParts, month_only: bool) -> Step {
    match date_numbers(&p, month_only) {
        Ok((year, month, day)) => Step::Found(FoundDate { iso: iso_of(year, month, day), start: 0, end: p.end }),
        Err(step) => step,
    }
}

/// The year, month and day (none for a month) of the parts matched, or what the match
/// says when it is no date.
fn date_numbers(p: &DateParts, month_only: bool) -> Result<(i32, u32, Option<u32>), Step> {
    let year_num: i32 = match p.year {
        "元" => 1,
        n => match n.parse() {
            Ok(n) => n,
            Err(_) => return Err(Step::Stop),
        },
    };
    let year = match p.era {
        Some(era) => {
            let Some(base) = ERAS.iter().find(|(name, _)| *name == era).map(|e| e.1) else { return Err(Step::Stop) };
            if !(1..=99).contains(&year_num) {
                return Err(Step::Skip);
            }
            base + year_num - 1
        }
        None if year_num >= 1900 => year_num,
        None => return Err(Step::Skip),
    };
    let Ok(month) = p.month.parse::<u32>() else { return Err(Step::Stop) };
    if !(1..=12).contains(&month) {
        return Err(Step::Skip);
    }
    match p.day {
        Some(d) => {
            let Ok(day) = d.parse::<u32>() else { return Err(Step::Stop) };
            if day < 1 || day > days_in_month(year, month) {
                return Err(Step::Skip);
            }
            Ok((year, month, Some(day)))
        }
        None if month_only => Ok((year, month, None)),
        None => Err(Step::Skip),
    }
}

/// `format!("{year:04}-{month:02}-{day:02}")`, or `"{year:04}-{month:02}"` without a day.
/// perf: written digit by digit (no formatter), for the years and months a date has.
fn iso_of(year: i32, month: u32, day: Option<u32>) -> String {
    if !(0..=9999).contains(&year) || month > 99 || day.is_some_and(|d| d > 99) {
        return match day {
            Some(day) => format!("{year:04}-{month:02}-{day:02}"),
            None => format!("{year:04}-{month:02}"),
        };
    }
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let y = year as u32;
    let mut iso = String::with_capacity(10);
    iso.extend([digit(y / 1000), digit(y / 100), digit(y / 10), digit(y), '-', digit(month / 10), digit(month)]);
    if let Some(d) = day {
        iso.extend(['-', digit(d / 10), digit(d)]);
    }
    iso
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// ISO date of printed text such as `令和６年５月24日` (full-width digits allowed).
pub fn parse_date(text: &str) -> Option<String> {
    find_date_in_key(&key(text), false).map(|d| d.iso)
}

/// If the whole text is one date (optionally followed by `時点`), its ISO form.
pub fn whole_date(text: &str) -> Option<String> {
    whole_date_of_key(&key(text))
}

/// perf: can [`key`]`(text)` be a whole date (with or without `時点`)? A necessary
/// condition read off the raw text without keying it, so a long cell is rejected in a few
/// characters: the key's first character must be an era's, 元 or a digit, and the key at
/// most 15 characters long (`明治1234年12月31日時点`). `false` only when
/// `whole_date(text)` is `None`; `true` says nothing.
pub fn may_be_whole_date(text: &str) -> bool {
    // A character that keys on its own to a non-space (`fast_key` gives `Some(Some)`) starts
    // a chunk whose key is at least one character: its own, or its composition with the
    // marks after it, which is never a digit or a kanji. Any other character (Ⅰ, ①, ㍻, a
    // combining mark …) may key to anything: the answer is then `true`.
    match text.chars().find(|&c| fast_key(c) != Some(None)).map(fast_key) {
        None => return false, // the key is empty
        Some(Some(Some(first))) if !may_start_with_date(first.encode_utf8(&mut [0; 4])) => return false,
        _ => {}
    }
    text.chars().filter(|&c| matches!(fast_key(c), Some(Some(_)))).nth(15).is_none()
}

/// [`whole_date`] of text already keyed.
pub fn whole_date_of_key(k: &str) -> Option<String> {
    if !may_start_with_date(k) {
        return None; // perf: no date can start at 0, skip the regex
    }
    let d = date_at_start(k, false)?;
    let rest = &k[d.end..];
    (rest.is_empty() || rest == "時点").then_some(d.iso)
}

/// How many times `byte` occurs in `b`. perf: counted in blocks of 255 bytes with
/// byte-wide counters, which the compiler compares 16 or 32 bytes at a time.
pub fn count_byte(b: &[u8], byte: u8) -> usize {
    b.chunks(255).map(|block| usize::from(block.iter().fold(0u8, |n, &x| n + u8::from(x == byte)))).sum()
}

/// Display width in columns (full-width characters count 2): used to tell lines broken
/// by a narrow cell from real line breaks.
/// Narrow: below U+1100, and the half-width katakana U+FF61..=U+FF9F. perf: counted by
/// UTF-8 bytes without branches, in blocks, so that the compiler compares many bytes at
/// once (a cell's every line is measured). Each char's lead byte (not `10xxxxxx`) counts
/// 1, and 1 more if it leads a wide char: E1 and above (E0 leads U+0800..=U+0FFF), but
/// not `E1 80..=83` (below U+1100) nor `EF BD A1..=BF` / `EF BE 80..=9F` (half-width
/// katakana). A three- or four-byte lead is never among a text's last two bytes.
pub fn display_width(s: &str) -> usize {
    let b = s.as_bytes();
    let n = b.len().saturating_sub(2);
    let mut width = b[n..].iter().filter(|&&x| (x as i8) >= -64).count();
    let mut start = 0;
    while start < n {
        // Two at most per byte: a u8 sum of 120 does not overflow.
        let end = (start + 120).min(n);
        let (x, y, z) = (&b[start..end], &b[start + 1..end + 1], &b[start + 2..end + 2]);
        let mut w = 0u8;
        for k in 0..x.len() {
            let (x, y, z) = (x[k], y[k], z[k]);
            let lead = u8::from((x as i8) >= -64);
            let wide = u8::from(x >= 0xe1);
            let narrow_high = u8::from(((x == 0xe1) & (y < 0x84)) | ((x == 0xef) & (((y == 0xbd) & (z >= 0xa1)) | ((y == 0xbe) & (z <= 0x9f)))));
            w = w.wrapping_add(lead + wide - narrow_high);
        }
        width += usize::from(w);
        start = end;
    }
    width
}

/// Characters that start a new logical line in a cell (list markers, headings), so a
/// line starting with one is never glued to the line before.
fn starts_new_line(line: &str) -> bool {
    let mut chars = line.chars();
    let Some(first) = chars.next() else { return true };
    let second = chars.next();
    matches!(first, '【' | '・' | '（' | '(' | '<' | '＜' | '〒' | '※' | '■' | '●' | '○' | '◆' | '□' | '-' | '－' | '＊' | '*')
        || ('①'..='⑳').contains(&first)
        || ((first.is_ascii_digit() || ('０'..='９').contains(&first))
            && matches!(second, Some(' ' | '　' | '.' | '．' | ')' | '）' | '、')))
}

/// Join the lines of one cell: each line trimmed, empty lines dropped, a line that
/// reaches the cell's width joined to the next (it was wrapped by the cell, not by
/// the writer), other line breaks kept as `\n`.
pub fn join_cell_lines(lines: &[&str]) -> String {
    let lines: Vec<(&str, usize)> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).map(|l| (l, display_width(l))).collect();
    let width = lines.iter().map(|l| l.1).max().unwrap_or(0);
    let mut out = String::with_capacity(lines.iter().map(|l| l.0.len() + 1).sum());
    for (i, &(line, _)) in lines.iter().enumerate() {
        if i > 0 {
            let prev_width = lines[i - 1].1;
            let wrapped = width >= 20 && prev_width + 2 >= width && !starts_new_line(line);
            if !wrapped {
                out.push('\n');
            }
        }
        out.push_str(line);
    }
    out
}

/// A text value as the schema wants it: `null` for blank and the form's "nothing" marks.
pub fn text_value(text: &str, empty_values: &[String]) -> Option<String> {
    text_value_in(text, &Empties::of(empty_values))
}

/// The keys of the marks that print an empty cell (`－`, `なし`), made once for
/// [`text_value_in`].
pub struct Empties {
    keys: Vec<String>,
    longest: usize,
}

impl Empties {
    pub fn of(empty_values: &[String]) -> Empties {
        let keys: Vec<String> = empty_values.iter().map(|e| key(e)).collect();
        let longest = keys.iter().map(|e| e.chars().count()).max().unwrap_or(0);
        Empties { keys, longest }
    }
}

/// [`text_value`] with the empty marks keyed already (a reader calls it per field).
pub fn text_value_in(text: &str, empties: &Empties) -> Option<String> {
    let t = text.trim();
    let Empties { keys: empties, longest } = empties;
    let longest = *longest;
    // perf: NFKC joins at most three characters into one (Hangul L+V+T), so a text of
    // more than 3 × `longest` characters besides white space keys to no empty mark:
    // long cells are not keyed at all.
    let short = t.chars().filter(|c| !c.is_whitespace()).nth(3 * longest).is_none();
    if t.is_empty() || (short && {
        let kt = key(t);
        empties.contains(&kt)
    }) {
        None
    } else {
        Some(t.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// perf: `display_width` by bytes equals the plain per-char rule on every char
    /// (each UTF-8 length and both edges of every narrow range) and on mixed lines.
    #[test]
    fn display_width_by_bytes_equals_chars() {
        let plain = |s: &str| s.chars().map(|c| if (c as u32) < 0x1100 || ('\u{ff61}'..='\u{ff9f}').contains(&c) { 1 } else { 2 }).sum::<usize>();
        for cp in 0..0x110000u32 {
            let Some(c) = char::from_u32(cp) else { continue };
            let s = c.to_string();
            assert_eq!(display_width(&s), plain(&s), "U+{cp:04X}");
        }
        for s in ["", "abc", "評価書　番号 12", "ｶﾞｷﾞ｡ｰﾟ", "éñ\u{10ff}\u{1100}\u{ff60}\u{ffa0}😀", "①特定個人情報ファイル名\t(別添1)"] {
            assert_eq!(display_width(s), plain(s), "{s}");
        }
        // Long mixed lines (several blocks, every UTF-8 length, the range edges).
        let alphabet: Vec<char> = "a é\u{800}\u{fff}\u{1000}\u{10ff}\u{1100}評　\u{ff60}\u{ff61}\u{ff7f}\u{ff80}\u{ff9f}\u{ffa0}\u{ffff}😀𠀋".chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 400) as usize;
            let s: String = (0..len).map(|i| alphabet[((seed >> (i % 50)) as usize + i * 7) % alphabet.len()]).collect();
            assert_eq!(display_width(&s), plain(&s), "{s}");
        }
    }

    /// perf: the fast path of `key` equals NFKC for every character it accepts, alone
    /// and next to combining marks, and on every line of the sample.
    #[test]
    fn fast_key_equals_nfkc() {
        let marks = ['\u{3099}', '\u{309a}', '\u{0301}', '\u{ff9e}', 'ﾟ', 'ｶ', ' ', 'Ⅰ'];
        for cp in 0..0x30000u32 {
            let Some(c) = char::from_u32(cp) else { continue };
            let s = c.to_string();
            assert_eq!(key(&s), key_nfkc(&s), "U+{cp:04X}");
            for m in marks {
                for s in [format!("{c}{m}"), format!("{m}{c}"), format!("あ{c}{m}")] {
                    assert_eq!(key(&s), key_nfkc(&s), "{s:?}");
                }
            }
        }
        for l in include_str!("../input/000_72349b560cd020d7.txt").lines() {
            assert_eq!(key(l), key_nfkc(l), "{l}");
        }
        // Mixed strings: fast characters around slow ones, in every order.
        let parts = ["あ", "か", "\u{3099}", "Ⅳ", "①", "Ａ", "\u{0301}", "　", " ", "ｶ", "ﾞ", "〇", "x", "（", "㈱", "\u{309b}", "ｰ"];
        for a in parts {
            for b in parts {
                for c in parts {
                    let s = format!("{a}{b}{c}あ{a}{c}");
                    assert_eq!(key(&s), key_nfkc(&s), "{s:?}");
                }
            }
        }
    }

    /// Characters at the edges of what the byte-level fast paths of `key` tell apart: each
    /// kind of lead byte, the ends of the tables (U+3000..=U+30FF, CJK ideographs,
    /// full-width ASCII), white space and control characters, marks that compose.
    const EDGE_CHARS: &[char] = &[
        '\u{2fff}', '\u{3000}', '\u{3001}', '\u{3007}', '\u{303f}', '\u{3040}', '\u{3041}', '\u{3096}', '\u{3097}', '\u{3099}', '\u{309b}', '\u{30a0}', '\u{30a1}', '\u{30fa}',
        '\u{30fb}', '\u{30fc}', '\u{30ff}', '\u{3100}', '\u{3400}', '\u{4dff}', '\u{4e00}', '\u{4fff}', '\u{5000}', '\u{9fff}', '\u{a000}', '\u{ff00}', '\u{ff01}', '\u{ff5e}',
        '\u{ff5f}', 'ｶ', 'ﾞ', ' ', '\t', '\n', '\r', '\u{b}', '\u{1f}', '!', '~', '\u{7f}', 'a', '〇', '◯', '①', 'Ⅳ', '\u{301}', '㍻', '×', '\u{a0}', '\u{85}',
        '\u{2003}', '𠀋', '\u{1f600}', 'é', '\u{feff}',
    ];

    proptest::proptest! {
        /// perf: the byte-level `key` equals NFKC by the book (`key_nfkc`) on random
        /// strings of any characters mixed with the edge characters.
        #[test]
        fn key_equals_key_nfkc_on_random_strings(chars in proptest::collection::vec(proptest::prop_oneof![proptest::arbitrary::any::<char>(), proptest::sample::select(EDGE_CHARS)], 0..48)) {
            let s: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(key(&s), key_nfkc(&s));
            let mut appended = String::from("前");
            key_into(&s, &mut appended);
            proptest::prop_assert_eq!(appended, format!("前{}", key_nfkc(&s)));
        }
    }

    /// perf: the byte-level `key` equals `key_nfkc` on every line of the repository's and
    /// `../shared`'s text dumps (every extractor's output).
    #[test]
    fn key_equals_key_nfkc_on_fixture_lines() {
        let mut lines = 0;
        for (p, text) in crate::test_texts::txt_files_under(&["input", "tests/fixtures", "../shared"]) {
            for l in text.lines() {
                assert_eq!(key(l), key_nfkc(l), "{l:?} in {}", p.display());
                lines += 1;
            }
        }
        assert!(lines > 10_000, "only {lines} lines found");
    }

    #[test]
    fn count_byte_counts() {
        for (t, b) in [("", b'\n'), ("\n", b'\n'), ("a\nb\n\n", b'\n'), ("\u{c}x\u{c}", 0x0c)] {
            assert_eq!(count_byte(t.as_bytes(), b), t.bytes().filter(|&x| x == b).count(), "{t:?}");
        }
        let long = "国\n".repeat(1000);
        assert_eq!(count_byte(long.as_bytes(), b'\n'), 1000, "more than 255 in a block's worth");
    }

    /// perf: `may_be_whole_date` never rejects a text that is a whole date.
    #[test]
    fn may_be_whole_date_keeps_every_whole_date() {
        let mut texts: Vec<String> = include_str!("../input/000_72349b560cd020d7.txt").lines().map(String::from).collect();
        let dates = ["令和6年5月24日", "令和元年10月4日", "平成２７年１２月１日　時点", "2024年2月29日", "明治1234年12月31日時点", "㍻27年1月1日", "令和٣年1月1日", "元年3月1日"];
        let around = ["", " ", "　", "\u{a0}", "\u{2003}", "\u{0301}", "\n", "x", "①", "時点", "㍻"];
        for d in dates {
            for a in around {
                for b in around {
                    texts.push(format!("{a}{d}{b}"));
                    texts.push(format!("{a}{}{b}", d.chars().flat_map(|c| [c, ' ']).collect::<String>()));
                }
            }
        }
        let mut kept = 0;
        for t in &texts {
            if whole_date(t).is_some() {
                assert!(may_be_whole_date(t), "{t:?}");
                kept += 1;
            }
        }
        assert!(kept > 100, "{kept}");
        assert!(!may_be_whole_date("令和6年5月24日から令和7年3月まで"));
        assert!(!may_be_whole_date("  基本情報"));
        assert!(may_be_whole_date("  Ⅰ基本情報"), "Ⅰ keys through NFKC: not decided on the raw text");
        assert!(!may_be_whole_date(""));
    }

    #[test]
    fn wareki_dates() {
        assert_eq!(parse_date("令和6年5月24日").as_deref(), Some("2024-05-24"));
        assert_eq!(parse_date("令和元年10月4日").as_deref(), Some("2019-10-04"));
        assert_eq!(parse_date("平成２７年１２月１日　時点").as_deref(), Some("2015-12-01"));
        assert_eq!(parse_date("昭和64年1月7日").as_deref(), Some("1989-01-07"));
        assert_eq!(parse_date("2024年2月29日").as_deref(), Some("2024-02-29"));
        assert_eq!(parse_date("令和5年2月29日"), None, "2023 is not a leap year");
        assert_eq!(parse_date("令和5年13月1日"), None);
        assert_eq!(parse_date("国保年金課長"), None);
    }

    /// perf: `find_date_in_key` (a date at byte 0 read by hand first) equals the regex's
    /// scan on made-up keys and on every line and line tail of the fixtures.
    #[test]
    fn find_date_in_key_equals_the_scan() {
        let made = ["令和6年5月24日", "令和6年5月24日時点", "令和0年5月1日令和2年1月1日", "2024年13月1日", "12345年1月1日", "令和元年10月4日Ⅰ", "元年3月1日", "平成31年2月", "x令和6年5月24日", "令和6年2月30日", "令和٣年1月1日", "令和6年2月30日 令和6年3月1日", "2019年1月", "Ⅰ 令和6年5月24日", "6年5月24日", ""];
        let mut keys: Vec<String> = made.iter().map(|s| s.to_string()).collect();
        let root = env!("CARGO_MANIFEST_DIR");
        for entry in ["input", "tests/fixtures"].iter().flat_map(|d| std::fs::read_dir(format!("{root}/{d}")).into_iter().flatten().flatten()) {
            let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
            for line in text.lines().filter(|l| l.contains('年')) {
                let k = key(line);
                keys.extend(k.char_indices().map(|(at, _)| k[at..].to_string()).filter(|t| may_start_with_date(t)));
                keys.push(k);
            }
        }
        assert!(keys.len() > 500, "fixture lines read: {}", keys.len());
        for k in &keys {
            for month_only in [false, true] {
                assert_eq!(find_date_in_key(k, month_only), find_date_by_scan(k, month_only), "{k} {month_only}");
            }
        }
    }

    /// perf: the hand-written ISO form equals the formatter's, the date's end and
    /// presence equal the found date's (on the made-up keys of the tests above and the
    /// sample's every line tail).
    #[test]
    fn iso_end_and_presence_as_the_found_date() {
        for year in (0..=10_050).step_by(7).chain([1868, 1900, 1999, 2000, 2019, 2024, 9999, 10_000, -1]) {
            for month in [1, 2, 9, 10, 12, 100] {
                assert_eq!(iso_of(year, month, None), format!("{year:04}-{month:02}"));
                for day in [1, 9, 10, 29, 31, 100] {
                    assert_eq!(iso_of(year, month, Some(day)), format!("{year:04}-{month:02}-{day:02}"));
                }
            }
        }
        let made = ["令和6年5月24日", "令和6年5月24日時点", "令和0年5月1日令和2年1月1日", "2024年13月1日", "12345年1月1日", "令和元年10月4日Ⅰ", "元年3月1日", "平成31年2月", "x令和6年5月24日", "令和6年2月30日", "令和٣年1月1日", "令和6年2月30日 令和6年3月1日", "2019年1月", "Ⅰ 令和6年5月24日", "6年5月24日", "2024年2月29日", "2023年2月29日", ""];
        let mut keys: Vec<String> = made.iter().map(|s| s.to_string()).collect();
        for l in include_str!("../input/000_72349b560cd020d7.txt").lines() {
            let k = key(l);
            keys.extend(k.char_indices().map(|(at, _)| k[at..].to_string()));
        }
        let mut found = 0;
        for k in &keys {
            for month_only in [false, true] {
                assert_eq!(date_end_at_start(k, month_only), date_at_start(k, month_only).map(|d| d.end), "{k} {month_only}");
                assert_eq!(has_date_in_key(k, month_only), find_date_in_key(k, month_only).is_some(), "{k} {month_only}");
                found += usize::from(date_end_at_start(k, month_only).is_some());
            }
        }
        assert!(found > 20, "{found} dates at a key's start");
    }

    #[test]
    fn date_at_start_equals_the_first_date_at_zero() {
        for k in ["令和6年5月24日", "令和6年5月24日時点", "令和0年5月1日令和2年1月1日", "2024年13月1日", "12345年1月1日", "令和元年10月4日Ⅰ", "元年3月1日", "平成31年2月", "x令和6年5月24日", "令和6年2月30日", "令和٣年1月1日", ""] {
            for month_only in [false, true] {
                let want = find_date_by_scan(k, month_only).filter(|d| d.start == 0);
                assert_eq!(date_at_start(k, month_only), want, "{k} {month_only}");
            }
        }
    }

    /// perf: the hand-read date at a key's start equals the regex's on every mix of
    /// eras, numbers (ASCII, Arabic-Indic, too long), 年/月/日 and what follows.
    #[test]
    fn date_at_start_equals_the_regex() {
        let heads = ["", "令和", "明治", "平成", "大正", "昭和", "令", "x"];
        let years = ["", "元", "1", "6", "31", "0", "99", "100", "2024", "12345", "٣", "1٣"];
        let months = ["", "1", "02", "12", "13", "0", "123", "٣"];
        let days = ["", "1", "29", "30", "31", "32", "001", "٣", "2٣"];
        let tails = ["", "日", "時点", "1", "年", "Ⅰ"];
        let mut n = 0;
        for h in heads {
            for y in years {
                for (ny, yk) in [(y, "年"), (y, "")] {
                    for m in months {
                        for mk in ["月", ""] {
                            for d in days {
                                for t in tails {
                                    let k = format!("{h}{ny}{yk}{m}{mk}{d}{t}");
                                    for month_only in [false, true] {
                                        assert_eq!(date_at_start(&k, month_only), date_at_start_by_regex(&k, month_only), "{k} {month_only}");
                                    }
                                    n += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(n > 10_000);
        for l in include_str!("../input/000_72349b560cd020d7.txt").lines() {
            let k = key(l);
            for at in k.char_indices().map(|(i, _)| i) {
                assert_eq!(date_at_start(&k[at..], false), date_at_start_by_regex(&k[at..], false), "{}", &k[at..]);
            }
        }
    }

    #[test]
    fn whole_date_accepts_jiten_only() {
        assert_eq!(whole_date(" 令和6年1月1日 時点").as_deref(), Some("2024-01-01"));
        assert_eq!(whole_date("令和6年1月1日"), whole_date("令和６年１月１日"));
        assert_eq!(whole_date("令和6年1月1日 Ⅰ５②所属長"), None);
    }

    #[test]
    fn key_folds_width_space_and_circles() {
        assert_eq!(key("[ 〇 ］　自己点検"), "[○]自己点検");
        assert_eq!(key("２．取扱者数"), "2.取扱者数");
        assert_eq!(after_key_prefix(" ①部署 市民部　市民課", key("①部署").chars().count()), " 市民部　市民課");
    }

    #[test]
    fn wrapped_lines_are_joined_real_breaks_kept() {
        let cell = ["国民健康保険法の規定に基づき、国民健康保", "険の資格・給付に関する事務を行う。", "【内容】", "１ 被保険者資格の管理"];
        assert_eq!(
            join_cell_lines(&cell),
            "国民健康保険法の規定に基づき、国民健康保険の資格・給付に関する事務を行う。\n【内容】\n１ 被保険者資格の管理"
        );
    }

    #[test]
    fn empty_marks_are_null() {
        let empties = vec!["―".to_string(), "なし".to_string()];
        assert_eq!(text_value(" ― ", &empties), None);
        assert_eq!(text_value("なし", &empties), None);
        assert_eq!(text_value("市民課", &empties).as_deref(), Some("市民課"));
    }
}
