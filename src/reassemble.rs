//! Reassemble: decoded text → lines, each with its match key, and where the
//! change-history pages begin. What the lines hold is read by the form engine
//! ([`crate::engine`]) from the form's description.

use crate::normalize::{key, key_into};
use std::collections::HashMap;

/// One line of the source with its match key ([`key`] of the raw text).
///
/// perf (issue #16, peak memory of large dumps, where lines are most of the heap): the
/// raw text and the key share one allocation of exact size, raw then key, and the key
/// is not stored again when the raw text ends with it (a line with nothing to normalise
/// but leading white space). The allocation is held by a thin pointer and its length, so
/// a line is 16 bytes (two `String`s were 48, a `Box<str>` and two offsets 24; a large
/// dump has a line per ~40 bytes, so 8 bytes a line are 0.2x its size).
pub struct Line {
    /// The text: `len()` bytes of UTF-8, owned (a `Box<[u8]>` taken apart; dangling
    /// when empty).
    text: std::ptr::NonNull<u8>,
    /// The text's length, with [`KEY_APART`] set when the key follows the raw text
    /// (else the raw text is the whole text and ends with the key).
    len: u32,
    /// Where the key starts in the text; the key apart, also where the raw text ends.
    key_start: u32,
}

/// [`Line::len`]'s flag: the key is stored after the raw text.
const KEY_APART: u32 = 1 << 31;

// SAFETY: a line owns its text (as a `Box<[u8]>` would) and never changes it.
unsafe impl Send for Line {}
unsafe impl Sync for Line {}

impl Line {
    /// A line of raw text, keyed.
    pub fn of(raw: &str) -> Line {
        Line::new(raw, &key(raw))
    }

    /// [`Line::of`], the key made in `scratch` (perf: one buffer for the keys of all the
    /// lines of a text, not one `String` a line).
    fn of_using(raw: &str, scratch: &mut String) -> Line {
        scratch.clear();
        key_into(raw, scratch);
        Line::new(raw, scratch)
    }

    /// A line of raw text and its key (already made by the caller). A line of 2 GiB or
    /// more with its key (no input comes near) is kept empty.
    pub fn new(raw: &str, key: &str) -> Line {
        let (raw, key) = if raw.len() + key.len() < KEY_APART as usize { (raw, key) } else { ("", "") };
        let apart = !raw.ends_with(key);
        let text: Box<[u8]> = if apart {
            let mut text = Vec::with_capacity(raw.len() + key.len());
            text.extend_from_slice(raw.as_bytes());
            text.extend_from_slice(key.as_bytes());
            text.into_boxed_slice()
        } else {
            raw.as_bytes().into()
        };
        let len = text.len() as u32;
        let key_start = if apart { raw.len() } else { raw.len() - key.len() } as u32;
        let text = std::ptr::NonNull::from(Box::leak(text)).cast::<u8>();
        Line { text, len: len | if apart { KEY_APART } else { 0 }, key_start }
    }

    /// An empty line (raw text and key empty). perf: a line spent by the change reader
    /// is replaced by one, a line a time: no compare and no allocation (an empty
    /// `Box<[u8]>` holds a dangling pointer, as here).
    pub const fn empty() -> Line {
        Line { text: std::ptr::NonNull::dangling(), len: 0, key_start: 0 }
    }

    fn len(&self) -> usize {
        (self.len & !KEY_APART) as usize
    }

    /// The whole text (raw text, then the key when apart).
    fn text(&self) -> &str {
        // SAFETY: `text` is the start of `len()` bytes this line owns, made from the
        // concatenation of two `&str`s (so UTF-8), unchanged since.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.text.as_ptr(), self.len())) }
    }

    /// The line as the source has it.
    pub fn raw(&self) -> &str {
        let text = self.text();
        if self.len & KEY_APART != 0 {
            &text[..self.key_start as usize]
        } else {
            text
        }
    }

    /// Its match key.
    pub fn key(&self) -> &str {
        &self.text()[self.key_start as usize..]
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        // SAFETY: `text` and `len()` are those of the `Box<[u8]>` leaked in `new`,
        // dropped once here.
        unsafe { drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.text.as_ptr(), self.len()))) }
    }
}

impl Clone for Line {
    fn clone(&self) -> Line {
        // perf: the same bytes and placement, copied (not placed again by `new`).
        let text: Box<[u8]> = self.text().as_bytes().into();
        let text = std::ptr::NonNull::from(Box::leak(text)).cast::<u8>();
        Line { text, len: self.len, key_start: self.key_start }
    }
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line").field("raw", &self.raw()).field("key", &self.key()).finish()
    }
}

impl Default for Line {
    /// An empty line.
    fn default() -> Line {
        Line::empty()
    }
}

pub fn lines_of(text: &str) -> Vec<Line> {
    let mut lines = Vec::with_capacity(line_ends(text) + 1);
    push_lines_of(text, &mut lines);
    lines
}

/// The lines of `text` (split at `\n`), keyed, pushed onto `lines`.
fn push_lines_of(text: &str, lines: &mut Vec<Line>) {
    let mut scratch = String::new();
    let mut start = 0;
    // perf: the line ends found by the SIMD search, not `split`'s.
    for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(Line::of_using(&text[start..end], &mut scratch));
        start = end + 1;
    }
    lines.push(Line::of_using(&text[start..], &mut scratch));
}

/// How many `\n` `text` holds.
fn line_ends(text: &str) -> usize {
    crate::normalize::count_byte(text.as_bytes(), b'\n')
}

/// Largest piece of a text [`lines_of_owned`] copies out at a time.
const PIECE: usize = 1 << 20;

/// [`lines_of`] of a text the caller gives up, the same lines: the text is copied out in
/// pieces of whole lines and freed, then each piece's lines are made and the piece freed
/// ([`lines_of_joined`]). Issue #16, peak memory of large dumps: the text, its lines and
/// their list side by side were ~3x the input, the highest point of a large dump's parse;
/// now two copies of the text (text and pieces), or the lines and one piece, at most.
pub fn lines_of_owned(text: String) -> Vec<Line> {
    if text.len() <= PIECE {
        return lines_of(&text);
    }
    let mut pieces: Vec<String> = Vec::with_capacity(text.len() / PIECE + 1);
    let mut rest = text.as_str();
    // A piece ends at a line end (not copied: the pieces joined by line ends are the
    // text), the last at the text's end.
    while let Some(end) = rest.as_bytes().get(PIECE..).and_then(|tail| tail.iter().position(|&b| b == b'\n')) {
        pieces.push(rest[..PIECE + end].to_string());
        rest = &rest[PIECE + end + 1..];
    }
    pieces.push(rest.to_string());
    drop(text);
    lines_of_joined(pieces)
}

/// [`lines_of`] of the texts joined by line ends, each text freed once its lines are made
/// (issue #16: not the joined text, the texts and the lines side by side).
pub fn lines_of_joined(texts: Vec<String>) -> Vec<Line> {
    if texts.is_empty() {
        return lines_of("");
    }
    let mut lines = Vec::with_capacity(texts.iter().map(|t| line_ends(t) + 1).sum());
    for text in texts {
        push_lines_of(&text, &mut lines);
    }
    lines
}

/// Put `lines` in `order`, in place: line `i` becomes the one now at `order[i]` (each
/// cycle of the order followed once, by swaps). A place naming a line an earlier place
/// named, or no line, gets an empty line; lines no place names are dropped. (Issue #16:
/// reordering into a second list held two lists of every line, 24 bytes a line each.)
pub fn put_in_order(lines: &mut [Line], order: &[usize]) {
    let n = lines.len();
    let mut named = vec![false; n];
    let twice: Vec<usize> = (0..n).filter(|&p| order.get(p).is_none_or(|&i| i >= n || std::mem::replace(&mut named[i], true))).collect();
    // Each such place takes a line no place names (there are as many), so the order
    // followed is a permutation; those places are emptied after.
    let mut unnamed = (0..n).filter(|&i| !named[i]);
    let spare: HashMap<usize, usize> = twice.iter().map(|&p| (p, unnamed.next().unwrap_or(p))).collect();
    let by = |p: usize| if spare.is_empty() { order[p] } else { spare.get(&p).copied().unwrap_or_else(|| order[p]) };
    let mut done = named;
    done.fill(false);
    for i in 0..n {
        let mut j = i;
        while !done[j] {
            done[j] = true;
            let k = by(j);
            if k == i {
                break;
            }
            lines.swap(j, k);
            j = k;
        }
    }
    for p in twice {
        lines[p] = Line::default();
    }
}

#[cfg(test)]
mod line_building_tests {
    use super::*;

    fn parts(lines: &[Line]) -> Vec<(String, String)> {
        lines.iter().map(|l| (l.raw().to_string(), l.key().to_string())).collect()
    }

    /// Texts over a piece long, cut at line ends near each piece's end: the same lines as
    /// [`lines_of`] (a line end just before, at and after the cut, multi-byte characters
    /// across it, no line end at all, a final line end, empty lines at the cuts).
    #[test]
    fn owned_lines_equal_borrowed_ones() {
        let line = "令和3年1月15日 Ⅰ５② 所属長　ＡＢＣ\n";
        let filler = |n: usize| line.repeat(n / line.len() + 1);
        let mut texts = vec![String::new(), "a\nb".into(), filler(PIECE)];
        for shift in [0usize, 1, 2, 3, 5, 40] {
            let mut t = "x".repeat(shift);
            t.push_str(&filler(3 * PIECE));
            texts.push(t.clone());
            texts.push(format!("{t}\n\n\n末尾"));
            texts.push(t.replace('\n', "\n\n"));
        }
        texts.push("漢".repeat(PIECE));
        texts.push(format!("{}\n{}", "a".repeat(PIECE), "b".repeat(PIECE)));
        texts.push(format!("{}\n", "a".repeat(PIECE - 1)));
        texts.push("\n".repeat(PIECE + 3));
        for t in texts {
            assert_eq!(parts(&lines_of_owned(t.clone())), parts(&lines_of(&t)), "text of {} bytes", t.len());
        }
    }

    #[test]
    fn joined_lines_equal_the_lines_of_the_joined_text() {
        for texts in [vec![], vec![""], vec!["", ""], vec!["a\nb", "", "c\n", "Ｄ　e"], vec!["\n"]] {
            let owned: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
            assert_eq!(parts(&lines_of_joined(owned)), parts(&lines_of(&texts.join("\n"))), "{texts:?}");
        }
    }

    /// Against taking each named line out of a list of slots into a new list (the
    /// reorder this replaced): permutations, lines named twice, places naming no line.
    #[test]
    fn lines_put_in_order_in_place() {
        let mut seed = 7u64;
        let mut below = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n.max(1)
        };
        for n in [0usize, 1, 2, 3, 5, 17, 100] {
            for case in 0..20 {
                let lines: Vec<Line> = (0..n).map(|i| Line::of(&format!("line {i}"))).collect();
                let mut order: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    order.swap(i, below(i + 1));
                }
                // Some cases name a line twice or no line at some places.
                for _ in 0..(case % 4) {
                    if n > 0 {
                        let p = below(n);
                        order[p] = if case % 2 == 0 { below(n) } else { n + below(3) };
                    }
                }
                let mut slots: Vec<Option<Line>> = lines.clone().into_iter().map(Some).collect();
                let expected: Vec<Line> = order.iter().map(|&i| slots.get_mut(i).and_then(Option::take).unwrap_or_default()).collect();
                let mut got = lines.clone();
                put_in_order(&mut got, &order);
                assert_eq!(parts(&got), parts(&expected), "{order:?}");
            }
        }
    }
}

/// One line for each text (tests build small documents with it).
#[cfg(test)]
pub fn lines_each(texts: &[&str]) -> Vec<Line> {
    texts.iter().map(|t| Line::of(t)).collect()
}

/// Where the change-history pages begin: the `変更箇所` heading, its header row, or the
/// first row that starts with a date followed by an item reference (`令和3年1月15日 Ⅰ４②…`),
/// whichever comes first. Pages come out whole and in order, so everything after it
/// belongs to the table.
pub fn change_region_start(lines: &[Line], table: &crate::form::ChangeTable) -> usize {
    let heading = key(&table.heading);
    let header = key(&table.header);
    lines
        .iter()
        // The header row may wrap its last cell (`提出時期に係る` / `説明`): most of it
        // on one line is the header too.
        .position(|l| l.key() == heading || l.key().starts_with(&header) || (l.key().len() * 2 >= header.len() && header.starts_with(&l.key())) || is_change_row_start(&l.key(), table))
        .unwrap_or(lines.len())
}

/// A line that opens a change row: a date at the start, then an item reference.
pub fn is_change_row_start(k: &str, table: &crate::form::ChangeTable) -> bool {
    if !crate::normalize::may_start_with_date(k) {
        return false; // perf: no date at 0, skip the regex
    }
    match crate::normalize::date_end_at_start(k, false) {
        Some(end) => {
            let rest = &k[end..];
            table.item_prefix_keys().iter().any(|p| rest.starts_with(p.as_str()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_hold_each_raw_text_and_its_key() {
        // The one-allocation lines against the plain split and `key` of every line: keys
        // shared with their raw text (only leading space to drop, or nothing) and
        // appended ones (full-width, inner spaces, trailing space), empty lines, no
        // final newline.
        let text = "  令和3年1月15日\nＡＢＣ　１２３ \n\n\tⅠ ４ ② 法令上の根拠\r\nplain\n   \n最後の行";
        let lines = lines_of(text);
        let plain: Vec<(&str, String)> = text.split('\n').map(|l| (l, key(l))).collect();
        assert_eq!(lines.len(), plain.len());
        for (line, (raw, k)) in lines.iter().zip(&plain) {
            assert_eq!((line.raw(), line.key()), (*raw, k.as_str()));
        }
        // Both kinds of key placement occur in this text.
        assert!(plain.iter().any(|(r, k)| !k.is_empty() && r.ends_with(k.as_str())));
        assert!(plain.iter().any(|(r, k)| !r.ends_with(k.as_str())));
        let one = lines_of("");
        assert_eq!((one.len(), one[0].raw(), one[0].key()), (1, "", ""));
        // Clones hold the same texts, apart from the line they were made from.
        let copies = lines.clone();
        drop(lines);
        for (line, (raw, k)) in copies.iter().zip(&plain) {
            assert_eq!((line.raw(), line.key()), (*raw, k.as_str()));
        }
        assert_eq!(std::mem::size_of::<Line>(), 16);
    }

    /// perf: the empty line made without a compare or an allocation is the empty line
    /// `new` makes, and clones and drops as one.
    #[test]
    fn empty_line_is_the_empty_line_made() {
        let (made, empty) = (Line::new("", ""), Line::empty());
        assert_eq!((empty.raw(), empty.key()), (made.raw(), made.key()));
        assert_eq!((empty.raw(), empty.key()), ("", ""));
        let copy = empty.clone();
        drop(empty);
        assert_eq!((copy.raw(), copy.key(), Line::default().raw()), ("", "", ""));
        let mut lines = lines_of("a\nb");
        lines[0] = Line::empty();
        assert_eq!((lines[0].key(), lines[1].key()), ("", "b"));
    }

    #[test]
    fn change_rows_start_the_change_region() {
        let lines = lines_of("いつ時点の計数か 令和6年1月1日 時点\n  令和6年5月24日\n令和3年1月15日 Ⅰ４②法令上の根拠\n");
        assert_eq!(change_region_start(&lines, &crate::form::FormSet::builtin().common.change_table), 2);
    }
}
