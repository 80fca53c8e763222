//! Reassemble: decoded text → lines, each with its match key, and where the
//! change-history pages begin. What the lines hold is read by the form engine
//! ([`crate::engine`]) from the form's description.

use crate::normalize::key;

/// One line of the source with its match key ([`key`] of the raw text).
///
/// perf (issue #16, peak memory of large dumps, where lines are most of the heap): the
/// raw text and the key share one allocation, `text` = raw then key, and the key is not
/// stored again when the raw text ends with it (a line with nothing to normalise but
/// leading white space). 24 bytes of header instead of two `String`s' 48, and one
/// allocation of exact size instead of two (the key's sized for the raw text).
/// Lines are at most a 64 MB input's, so `u32` offsets.
#[derive(Clone)]
pub struct Line {
    text: Box<str>,
    raw_len: u32,
    /// The key is `text[key_start..]`.
    key_start: u32,
}

impl Line {
    /// A line of raw text, keyed.
    pub fn of(raw: &str) -> Line {
        Line::new(raw, &key(raw))
    }

    /// A line of raw text and its key (already made by the caller).
    pub fn new(raw: &str, key: &str) -> Line {
        if raw.ends_with(key) {
            return Line { text: raw.into(), raw_len: raw.len() as u32, key_start: (raw.len() - key.len()) as u32 };
        }
        let mut text = String::with_capacity(raw.len() + key.len());
        text.push_str(raw);
        text.push_str(key);
        Line { text: text.into_boxed_str(), raw_len: raw.len() as u32, key_start: raw.len() as u32 }
    }

    /// The line as the source has it.
    pub fn raw(&self) -> &str {
        &self.text[..self.raw_len as usize]
    }

    /// Its match key.
    pub fn key(&self) -> &str {
        &self.text[self.key_start as usize..]
    }
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line").field("raw", &self.raw()).field("key", &self.key()).finish()
    }
}

pub fn lines_of(text: &str) -> Vec<Line> {
    let mut lines = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    lines.extend(text.split('\n').map(Line::of));
    lines
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
    match crate::normalize::date_at_start(k, false) {
        Some(d) => {
            let rest = &k[d.end..];
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
    }

    #[test]
    fn change_rows_start_the_change_region() {
        let lines = lines_of("いつ時点の計数か 令和6年1月1日 時点\n  令和6年5月24日\n令和3年1月15日 Ⅰ４②法令上の根拠\n");
        assert_eq!(change_region_start(&lines, &crate::form::FormSet::builtin().common.change_table), 2);
    }
}
