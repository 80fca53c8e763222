//! Reassemble: decoded lines → tokens the extractor can use. Labels are found even when
//! a narrow cell wrapped them over several lines; bracket fragments, option lists and
//! answers are told apart; the body is cut from the change-history pages.

use crate::normalize::{after_key_prefix, key, whole_date_of_key};
use crate::rules::Rules;
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
        Line::new(self.raw(), self.key())
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
        Line::new("", "")
    }
}

pub fn lines_of(text: &str) -> Vec<Line> {
    let mut lines = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    lines.extend(text.split('\n').map(Line::of));
    lines
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
    let mut lines = Vec::with_capacity(texts.iter().map(|t| t.bytes().filter(|&b| b == b'\n').count() + 1).sum());
    for text in texts {
        lines.extend(text.split('\n').map(Line::of));
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

/// What a printed label stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelKind {
    /// Index into `rules.text_fields`.
    Text(usize),
    /// A choice question: index into `rules.choice_fields` (several fields can share a wording).
    Question(usize),
    /// Index into `rules.headings`.
    Heading(usize),
    /// Index into `rules.boxes`.
    Box(usize),
    AsOf,
    /// Cover labels and other fixed words: recognised so they are never read as values.
    Cover(CoverLabel),
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoverLabel {
    SheetTitle,
    NumberAndTitle,
    Declaration,
    SpecialNotes,
    Evaluator,
    Published,
}

/// A label found in the text: lines `start..=end`, and the raw text after it on `end`.
#[derive(Debug, Clone)]
pub struct LabelHit {
    pub kinds: Vec<LabelKind>,
    pub start: usize,
    pub end: usize,
    pub rest: String,
}

/// The label dictionary of a rules file, longest label first (so `②法令上の根拠` wins
/// over `法令上の根拠`, `②所属長の役職名` over `②所属長`).
pub struct Labels {
    entries: Vec<(String, Vec<LabelKind>)>,
    /// perf: indices into `entries` (in order) by the label's first character, so a
    /// line is compared only with labels that can start it or be started by it;
    /// sorted by the character (a binary search is cheaper than hashing here).
    /// `None` when some label is empty (then every entry is tried, as before).
    by_first: Option<Vec<(char, Vec<usize>)>>,
}

impl Labels {
    pub fn new(rules: &Rules) -> Labels {
        let mut map: HashMap<String, Vec<LabelKind>> = HashMap::new();
        let mut add = |label: &str, kind: LabelKind| map.entry(key(label)).or_default().push(kind);
        for (i, f) in rules.text_fields.iter().enumerate() {
            f.labels.iter().for_each(|l| add(l, LabelKind::Text(i)));
        }
        for (i, f) in rules.choice_fields.iter().enumerate() {
            f.labels.iter().for_each(|l| add(l, LabelKind::Question(i)));
        }
        for (i, h) in rules.headings.iter().enumerate() {
            add(&h.label, LabelKind::Heading(i));
        }
        for (i, b) in rules.boxes.iter().enumerate() {
            add(&b.label, LabelKind::Box(i));
        }
        add(&rules.as_of.label, LabelKind::AsOf);
        let c = &rules.cover;
        add(&rules.sheet_title, LabelKind::Cover(CoverLabel::SheetTitle));
        add(&c.number_and_title_header, LabelKind::Cover(CoverLabel::NumberAndTitle));
        add(&c.declaration_label, LabelKind::Cover(CoverLabel::Declaration));
        add(&c.special_notes_label, LabelKind::Cover(CoverLabel::SpecialNotes));
        add(&c.evaluator_label, LabelKind::Cover(CoverLabel::Evaluator));
        add(&c.published_label, LabelKind::Cover(CoverLabel::Published));
        for l in &rules.other_labels {
            add(l, LabelKind::Other);
        }
        let mut entries: Vec<_> = map.into_iter().map(|(k, mut v)| {
            v.dedup();
            (k, v)
        }).collect();
        entries.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then(a.0.cmp(&b.0)));
        let by_first = entries.iter().all(|(k, _)| !k.is_empty()).then(|| {
            let mut m: std::collections::BTreeMap<char, Vec<usize>> = Default::default();
            for (i, (k, _)) in entries.iter().enumerate() {
                m.entry(k.chars().next().unwrap_or_default()).or_default().push(i);
            }
            m.into_iter().collect::<Vec<_>>()
        });
        Labels { entries, by_first }
    }

    /// perf: the entries that may match a non-empty `first` (all of them, in order, when
    /// unindexed). `first.starts_with(label)` and `label.starts_with(first)` both need
    /// the same first character.
    fn candidates<'a>(&'a self, first: &str) -> impl Iterator<Item = &'a (String, Vec<LabelKind>)> + 'a {
        let indexed: Option<&'a [usize]> = match (&self.by_first, first.chars().next()) {
            (Some(m), Some(c)) => Some(m.binary_search_by_key(&c, |e| e.0).map_or(&[][..], |i| m[i].1.as_slice())),
            _ => None,
        };
        let all = if indexed.is_none() { self.entries.len() } else { 0 };
        indexed.into_iter().flatten().map(move |&i| &self.entries[i]).chain(self.entries.iter().take(all))
    }

    /// Find a label starting at line `i`, following wrapped continuation lines.
    pub fn hit_at(&self, lines: &[Line], i: usize) -> Option<LabelHit> {
        let first = lines[i].key();
        // Bracket fragments of a neighbouring box may precede a label (`］　内部監査`).
        let lead = first.chars().take_while(|c| matches!(c, '[' | ']' | '○')).count();
        // perf: a slice, not a new String per line (same characters).
        let first: &str = first.trim_start_matches(['[', ']', '○']);
        if first.is_empty() {
            return None;
        }
        for (label, kinds) in self.candidates(first) {
            if first.starts_with(label.as_str()) {
                let n = lead + label.chars().count();
                let rest = after_key_prefix(&lines[i].raw(), n);
                if ends_label(rest) {
                    return Some(LabelHit { kinds: kinds.clone(), start: i, end: i, rest: rest.to_string() });
                }
            }
        }
        // A label wrapped by a narrow cell: its first line is a prefix of the label.
        if first.chars().count() < 4 {
            return None;
        }
        for (label, kinds) in self.candidates(first) {
            if !label.starts_with(first) {
                continue;
            }
            let mut acc = first.to_string();
            for j in i + 1..lines.len().min(i + 7) {
                let next = lines[j].key();
                if next.is_empty() {
                    break;
                }
                let before = acc.chars().count();
                acc.push_str(next);
                if acc.starts_with(label.as_str()) {
                    let used = label.chars().count() - before;
                    let rest = after_key_prefix(&lines[j].raw(), used);
                    if !ends_label(rest) {
                        break;
                    }
                    return Some(LabelHit { kinds: kinds.clone(), start: i, end: j, rest: rest.to_string() });
                }
                if !label.starts_with(acc.as_str()) {
                    break;
                }
            }
        }
        None
    }
}

/// A label is a whole cell: what follows it on its line is another cell (after a
/// space or a bracket) or nothing. `連絡先：0246-…` inside a value is not the label 連絡先.
fn ends_label(rest: &str) -> bool {
    rest.chars().next().is_none_or(|c| c.is_whitespace() || matches!(c, '[' | ']' | '［' | '］' | '＜' | '<'))
}

/// Option labels of every choice list: key → (list name, code).
pub struct Options {
    by_label: Vec<(String, String, u32)>,
}

impl Options {
    pub fn new(rules: &Rules) -> Options {
        let mut by_label: Vec<(String, String, u32)> = rules
            .choice_lists
            .iter()
            .flat_map(|(list, opts)| opts.iter().map(move |o| (key(&o.label), list.clone(), o.code)))
            .collect();
        by_label.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then(a.cmp(b)));
        Options { by_label }
    }

    /// Lists (and codes) in which `k` is an option label.
    pub fn lists_of(&self, k: &str) -> Vec<(&str, u32)> {
        self.by_label.iter().filter(|(l, _, _)| l == k).map(|(_, list, code)| (list.as_str(), *code)).collect()
    }

    fn option_at(&self, s: &str) -> Option<usize> {
        self.by_label.iter().find(|(l, _, _)| s.starts_with(l.as_str())).map(|(l, _, _)| l.len())
    }
}

/// What is left of a line once printed options (`2) 十分である`), the `＜選択肢＞` marker
/// and bracket fragments are taken out.
#[derive(Debug, Clone, PartialEq)]
pub enum Residue {
    /// Nothing but form furniture: brackets, options, markers.
    Furniture,
    /// The key of an option label standing alone: an answer.
    Answer(String),
    /// A tick mark standing alone (`[ ○`): a box whose label is elsewhere.
    Mark,
    /// Anything else: text.
    Text,
}

pub fn residue(text_key: &str, options: &Options) -> Residue {
    // perf: a key with no option `)`, no marker `<` and no bracket has nothing to take
    // out; classify it without the copies below (same result).
    if !text_key.contains([')', '<', '[', ']']) {
        return if text_key.is_empty() {
            Residue::Furniture
        } else if text_key == "○" {
            Residue::Mark
        } else if options.by_label.iter().any(|(l, _, _)| l == text_key) {
            Residue::Answer(text_key.to_string())
        } else {
            Residue::Text
        };
    }
    let mut s = if text_key.contains("<選択肢>") { text_key.replace("<選択肢>", "") } else { text_key.to_string() };
    // Printed options `N)label`: removed, so `3) 未定` alone is not taken for an answer.
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(pos) = rest.find(')') {
        let head = &rest[..pos];
        let digits = head.chars().rev().take_while(|c| c.is_ascii_digit()).count();
        let after = &rest[pos + 1..];
        match (digits > 0, options.option_at(after)) {
            (true, Some(len)) => {
                out.push_str(&head[..head.len() - digits]);
                rest = &after[len..];
            }
            _ => {
                out.push_str(&rest[..pos + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    s = out.chars().filter(|c| !matches!(c, '[' | ']')).collect();
    if s.is_empty() {
        Residue::Furniture
    } else if s == "○" {
        Residue::Mark
    } else if !options.lists_of(&s).is_empty() {
        Residue::Answer(s)
    } else {
        Residue::Text
    }
}

/// Role of each line once labels are known.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    Blank,
    /// Part of a label (its end line may carry an inline value in `LabelHit::rest`).
    Label,
    /// An answer, a fragment, an option list, a date, a page number: not free text.
    Typed,
    Text,
}

/// The document with labels located and every line given a role.
pub struct Tokens {
    pub lines: Vec<Line>,
    /// Label hits by their start line.
    pub hits: Vec<LabelHit>,
    /// Index into `hits` of the label starting on each line of the body (`..body_end`:
    /// the change pages, most of a large dump, hold no labels; issue #16).
    pub hit_at_line: Vec<Option<usize>>,
    pub roles: Vec<Role>,
    /// [`residue`] of every body line's key (`..body_end`, as `hit_at_line`).
    pub residues: Vec<Residue>,
    /// First line of the change-history pages (or the end).
    pub body_end: usize,
}

pub fn tokenize(lines: Vec<Line>, rules: &Rules, labels: &Labels, options: &Options, result_re: &regex::Regex) -> Tokens {
    let body_end = change_region_start(&lines, &crate::form::FormSet::current().common.change_table);
    let fixed = &rules.compiled().fixed_texts;
    let mut hits = Vec::new();
    let mut hit_at_line = vec![None; body_end];
    let mut roles = vec![Role::Blank; lines.len()];
    let residues: Vec<Residue> = lines[..body_end].iter().map(|line| residue(&line.key(), options)).collect();
    let mut i = 0;
    while i < body_end {
        let line = &lines[i];
        if line.key().is_empty() {
            i += 1;
            continue;
        }
        if let Some(hit) = labels.hit_at(&lines[..body_end], i) {
            for r in &mut roles[hit.start..=hit.end] {
                *r = Role::Label;
            }
            hit_at_line[i] = Some(hits.len());
            i = hit.end + 1;
            hits.push(hit);
            continue;
        }
        let k = line.key();
        let typed = residues[i] != Residue::Text
            || k.starts_with("<選択肢>")
            || whole_date_of_key(k).is_some()
            || (k.len() <= 3 && k.chars().all(|c| c.is_ascii_digit()))
            || fixed.starts(k)
            || (k.chars().nth(4).is_some() && fixed.inside(k))
            || result_re.is_match(k)
            || is_stamp(k);
        roles[i] = if typed { Role::Typed } else { Role::Text };
        i += 1;
    }
    Tokens { lines, hits, hit_at_line, roles, residues, body_end }
}

/// The rules' fixed texts (form wording that is never a value), keyed.
pub struct FixedTexts {
    keys: Vec<String>,
    /// perf: the keys joined by `\n` (a key never holds white space, so a match never
    /// straddles two of them): one search instead of one per text.
    joined: String,
    /// perf: every run of five characters of each key.
    windows: std::collections::HashSet<String>,
}

impl FixedTexts {
    pub fn new(texts: &[String]) -> FixedTexts {
        let keys: Vec<String> = texts.iter().map(|t| key(t)).collect();
        let mut windows = std::collections::HashSet::new();
        for k in &keys {
            let starts: Vec<usize> = k.char_indices().map(|(i, _)| i).chain([k.len()]).collect();
            for w in starts.windows(6) {
                windows.insert(k[w[0]..w[5]].to_string());
            }
        }
        FixedTexts { joined: keys.join("\n"), keys, windows }
    }

    /// Whether the key `k` starts with a fixed text.
    fn starts(&self, k: &str) -> bool {
        self.keys.iter().any(|f| k.starts_with(f.as_str()))
    }

    /// Whether the key `k` (five characters or more) occurs inside a fixed text. perf:
    /// its first five characters must be one of the texts' five-character windows,
    /// which spares the substring search for almost every line.
    fn inside(&self, k: &str) -> bool {
        let head_end = k.char_indices().nth(5).map_or(k.len(), |(i, _)| i);
        self.windows.contains(&k[..head_end]) && self.joined.contains(k)
    }
}

/// `[平成31年１月　様式２]` and the like.
pub fn is_stamp(k: &str) -> bool {
    k.starts_with('[') && k.ends_with(']') && k.contains("様式")
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
    fn fixed_text_lookup_equals_a_plain_search() {
        let texts = vec!["特定個人情報保護評価書".to_string(), "abcdefgh".to_string()];
        let fixed = FixedTexts::new(&texts);
        for k in ["個人情報保護", "特定個人情報保護評価書", "defgh", "cdefghX", "評価書abc", "保護評価書", "ghabc"] {
            assert_eq!(fixed.inside(k), texts.iter().any(|t| t.contains(k)), "{k}");
        }
    }

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

    fn setup() -> (&'static Rules, Labels, Options) {
        let r = Rules::default_rules();
        (r, Labels::new(r), Options::new(r))
    }

    #[test]
    fn printed_option_is_not_an_answer() {
        let (_, _, o) = setup();
        assert_eq!(residue(&key("3) 未定"), &o), Residue::Furniture);
        assert_eq!(residue(&key("1) 500人以上 2) 500人未満"), &o), Residue::Furniture);
        assert_eq!(residue(&key("[ 実施する ] 1) 実施する"), &o), Residue::Answer("実施する".into()));
        assert_eq!(residue(&key("10万人以上30万人未満 ] 2) 1,000人以上1万人未満"), &o), Residue::Answer(key("10万人以上30万人未満")));
        assert_eq!(residue(&key(" [ ]十分である"), &o), Residue::Answer("十分である".into()));
        assert_eq!(residue(&key("[ ○"), &o), Residue::Mark);
        assert_eq!(residue(&key("]"), &o), Residue::Furniture);
        assert_eq!(residue(&key("国保年金課長"), &o), Residue::Text);
    }

    #[test]
    fn wrapped_label_is_found_with_its_inline_rest() {
        let (_, labels, _) = setup();
        let lines = lines_of(" 過去１年以内に、評価実施機関において特定個人\n情報に関する重大事故が発生したか ＜選択肢＞\n");
        let hit = labels.hit_at(&lines, 0).expect("label");
        assert_eq!((hit.start, hit.end), (0, 1));
        assert_eq!(hit.rest.trim(), "＜選択肢＞");
    }

    #[test]
    fn longest_label_wins_and_leading_brackets_are_skipped() {
        let (r, labels, _) = setup();
        let lines = lines_of(" ②所属長の役職名 国保年金課長\n［ ４．特定個人情報ファイルの取扱いの委託\n");
        let hit = labels.hit_at(&lines, 0).unwrap();
        assert_eq!(hit.rest.trim(), "国保年金課長");
        let LabelKind::Text(i) = hit.kinds[0] else { panic!("text label expected") };
        assert_eq!(r.text_fields[i].path, "related.department_head");
        let hit = labels.hit_at(&lines, 1).unwrap();
        assert!(matches!(hit.kinds[0], LabelKind::Heading(_)));
    }

    #[test]
    fn a_label_inside_a_value_is_not_a_label() {
        let (_, labels, _) = setup();
        let lines = lines_of("連絡先：0246-22-7456\n連絡先\n");
        assert!(labels.hit_at(&lines, 0).is_none());
        assert!(labels.hit_at(&lines, 1).is_some());
    }

    #[test]
    fn change_rows_start_the_change_region() {
        let lines = lines_of("いつ時点の計数か 令和6年1月1日 時点\n  令和6年5月24日\n令和3年1月15日 Ⅰ４②法令上の根拠\n");
        assert_eq!(change_region_start(&lines, &crate::form::FormSet::builtin().common.change_table), 2);
    }
}
