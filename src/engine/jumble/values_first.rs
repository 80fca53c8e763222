//! Dumps of sheets whose producer draws each row's value before its label (word
//! processors: the value cell's text, then the label column's). pdf-extract writes
//! text in drawing order, so a one-line value comes out glued to the label after it
//! (`甲事務①事務の名称`: the label starts left of where the value ended, on the same
//! baseline: no break, no space), and a value of several lines comes out above its
//! label. Read in that order, every value would go to the label before it.
//!
//! The property shows in the text: labels of the form that end a run of text which
//! does not begin with them. When enough do, the region is put back in reading order:
//! each label (a field's, a block opener's, or a heading's) is followed by the text
//! drawn since the label before it. Page numbers stay where they are.

use super::{Defs, Takes};
use crate::normalize::key;
use crate::reassemble::Line;
use std::collections::HashMap;

/// A piece of a line: the text between spaces that a label ends or starts. Each holds
/// the index of the input line it starts on (what provenance names).
enum Tok {
    /// Value text: a run of pieces of one line.
    Text(String, usize),
    /// A label, its text as printed.
    Label(String, usize),
    /// A page number line, kept in place.
    Page(String, usize),
}

/// Glued labels needed before the region is taken as drawn value first.
const MIN_GLUED: usize = 3;

/// The label keys that may end a run of text: full labels (with their numbering) and
/// headings, by their last character, longest first; block openers are matched by
/// their start and a number.
#[derive(Default)]
pub(crate) struct Labels {
    /// By last character, sorted by it (perf: a binary search, not a SipHash map).
    by_last: Vec<(char, Vec<String>)>,
    openers: Vec<String>,
    /// All of `by_last`, sorted (for a label's start at a line's end).
    sorted: Vec<String>,
    /// The [`super::head`] of each of `sorted`, sorted: a quick test that some label
    /// starts with a text's first two characters.
    heads: Vec<u64>,
    /// The byte length of the longest of `sorted`.
    longest: usize,
}

impl Labels {
    /// The labels ending with `c`, longest first.
    fn ending_with(&self, c: char) -> Option<&[String]> {
        self.by_last.binary_search_by_key(&c, |e| e.0).ok().map(|at| self.by_last[at].1.as_slice())
    }
}

/// Made once per form with its [`Defs`] (perf: was made on every read).
pub(super) fn labels<'d>(defs: &'d Defs) -> Labels {
    let mut by_last: HashMap<char, Vec<&'d str>> = HashMap::new();
    let mut openers = Vec::new();
    let mut sorted = Vec::new();
    for def in defs.iter() {
        let mut add = |k: &'d str| {
            if let Some(c) = k.chars().last().filter(|_| k.chars().count() >= 2) {
                by_last.entry(c).or_default().push(k);
                sorted.push(k);
            }
        };
        def.keys.iter().take(def.n_full).for_each(|k| add(k.as_str()));
        match &def.opener {
            Some((start, true)) => openers.push(start.to_string()),
            Some((start, false)) => add(start.as_str()),
            None => {}
        }
    }
    for v in by_last.values_mut() {
        v.sort_unstable_by_key(|k| std::cmp::Reverse(k.len()));
        v.dedup();
    }
    sorted.sort_unstable();
    sorted.dedup();
    let mut heads: Vec<u64> = sorted.iter().filter_map(|k| super::head(k)).collect();
    heads.sort_unstable();
    heads.dedup();
    let longest = sorted.iter().map(|l| l.len()).max().unwrap_or(0);
    let mut by_last: Vec<(char, Vec<String>)> = by_last.into_iter().map(|(c, v)| (c, v.into_iter().map(str::to_string).collect())).collect();
    by_last.sort_unstable_by_key(|e| e.0);
    Labels { by_last, openers, sorted: sorted.into_iter().map(str::to_string).collect(), heads, longest }
}

/// Where in `k` a label ends it: the byte offset it starts at (the longest label).
fn label_suffix(k: &str, labels: &Labels) -> Option<usize> {
    // `※` marks a required item after its label.
    let k = k.strip_suffix('※').unwrap_or(k);
    // A numbered block opener (`委託事項１`): its start, then digits, at the end.
    let digits = k.bytes().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0 && digits <= 2 {
        let head = &k[..k.len() - digits];
        if let Some(s) = labels.openers.iter().find(|s| head.ends_with(s.as_str())) {
            return Some(head.len() - s.len());
        }
    }
    let last = k.chars().last()?;
    labels.ending_with(last)?.iter().find(|l| k.ends_with(l.as_str())).map(|l| k.len() - l.len())
}

/// Does the region show values drawn before their labels: at least [`MIN_GLUED`]
/// labels that end a run of text they do not begin?
fn drawn_value_first(lines: &[Line], from: usize, to: usize, labels: &Labels) -> bool {
    let mut glued = 0;
    for l in &lines[from..to] {
        // perf: a line of one piece is keyed already.
        let one = !l.raw().trim().contains(' ');
        for piece in l.raw().split(' ').filter(|p| !p.is_empty()) {
            // perf: a piece that cannot end with a label is not keyed.
            if !one && cannot_end_a_label(piece, labels) {
                continue;
            }
            let k = if one { std::borrow::Cow::Borrowed(l.key()) } else { std::borrow::Cow::Owned(key(piece)) };
            if label_suffix(&k, labels).is_some_and(|at| at > 0) {
                glued += 1;
                if glued >= MIN_GLUED {
                    return true;
                }
            }
        }
    }
    false
}

/// Whether [`label_suffix`] of `piece`'s key is surely None, told from its last character
/// without keying it: one that keys on its own to a character no label ends with (nor
/// `※`, nor a digit of a numbered opener). Otherwise (it needs the normaliser, or it is
/// dropped), no.
fn cannot_end_a_label(piece: &str, labels: &Labels) -> bool {
    match piece.chars().next_back().and_then(crate::normalize::fast_key) {
        Some(Some(last)) => last != '※' && !last.is_ascii_digit() && labels.ending_with(last).is_none(),
        _ => false,
    }
}

/// Whether the key of `piece` may start with `[`: perf, so that only those are keyed. No
/// when its first character keys on its own to another one.
fn may_open_a_bracket(piece: &str) -> bool {
    !matches!(piece.chars().next().and_then(crate::normalize::fast_key), Some(Some(c)) if c != '[')
}

/// `raw` cut where its key has `chars` characters: (before, from there).
fn split_raw(raw: &str, chars: usize) -> (&str, &str) {
    let rest = crate::normalize::after_key_prefix(raw, chars);
    (&raw[..raw.len() - rest.len()], rest)
}

/// A label that starts at the end of `k` and goes on at the start of the next line
/// (`…消去する。必要な…措置` / `の内容 …`): where it starts in `k`, and the key of its
/// part on the next line.
fn wrapped_suffix<'s>(k: &str, next: &str, labels: &'s Labels) -> Option<(usize, &'s str)> {
    let sorted = &labels.sorted;
    // The characters of `k[p..]`, counted down.
    let mut left = k.chars().count();
    for (p, _) in k.char_indices() {
        let head = &k[p..];
        if left < 4 {
            return None;
        }
        left -= 1;
        // perf: a label wrapped here is longer than what is left of `k`.
        if head.len() >= labels.longest {
            continue;
        }
        // perf: tried at every character of the line's last piece; most start no label.
        if super::head(head).is_some_and(|h| labels.heads.binary_search(&h).is_err()) {
            continue;
        }
        let at = sorted.partition_point(|l| l.as_str() < head);
        for l in sorted[at..].iter().take_while(|l| l.starts_with(head)) {
            let rest = &l[head.len()..];
            if !rest.is_empty() && next.starts_with(rest) {
                return Some((p, rest));
            }
        }
    }
    None
}

/// The region `from..to` in reading order, with the input line each of its lines starts
/// on, or None when it is not drawn value first.
pub(super) fn reorder(lines: &[Line], from: usize, to: usize, defs: &Defs) -> Option<(Vec<Line>, Vec<usize>)> {
    let labels = &defs.value_labels;
    if !drawn_value_first(lines, from, to, &labels) {
        return None;
    }
    let mut toks: Vec<Tok> = Vec::new();
    // Characters (of the key) of the next line already taken by a wrapped label.
    let mut skip = 0;
    let mut i = from;
    while i < to {
        let l = &lines[i];
        i += 1;
        if l.key().is_empty() {
            continue;
        }
        if super::page_number(&l.key()) {
            toks.push(Tok::Page(l.raw().to_string(), i - 1));
            continue;
        }
        let mut raw = crate::normalize::after_key_prefix(&l.raw(), std::mem::take(&mut skip));
        // A label at the line's start, maybe wrapped over the lines below.
        if raw.len() == l.raw().len() {
            if let Some((h, _)) = super::labels_at(lines, i - 1, to, defs).filter(|(h, _)| h.last > h.line) {
                let mut label: String = lines[h.line..h.last].iter().map(|x| x.raw().trim()).collect();
                let (end, rest) = split_raw(lines[h.last].raw().trim_start(), h.col);
                label.push_str(end);
                toks.push(Tok::Label(label, h.line));
                i = h.last + 1;
                raw = rest;
            }
        }
        // Pieces between spaces; the text between two labels stays one line.
        let mut seg = String::new();
        let pieces: Vec<&str> = raw.split(' ').filter(|p| !p.is_empty()).collect();
        for (n, piece) in pieces.iter().enumerate() {
            let k = key(piece);
            let mut cut = label_suffix(&k, &labels).map(|at| (at, ""));
            if cut.is_none() && n + 1 == pieces.len() && i < to {
                cut = wrapped_suffix(&k, &lines[i].key(), &labels);
            }
            let Some((at, rest)) = cut else {
                if !seg.is_empty() {
                    seg.push(' ');
                }
                seg.push_str(piece);
                continue;
            };
            let (value, label) = split_raw(piece, k[..at].chars().count());
            if !value.is_empty() {
                if !seg.is_empty() {
                    seg.push(' ');
                }
                seg.push_str(value);
            }
            push_text(&mut toks, &std::mem::take(&mut seg), i - 1);
            let mut label = label.to_string();
            if !rest.is_empty() {
                let n = rest.chars().count();
                label.push_str(split_raw(lines[i].raw().trim_start(), n).0);
                skip = n;
            }
            toks.push(Tok::Label(label, i - 1));
        }
        push_text(&mut toks, &seg, i - 1);
    }
    let mut out: Vec<Line> = Vec::new();
    let mut origin: Vec<usize> = Vec::new();
    let mut pending: Vec<(String, usize)> = Vec::new();
    let mut push = |raw: &str, at: usize| {
        out.push(Line::of(raw));
        origin.push(at);
    };
    for t in toks {
        match t {
            Tok::Page(p, at) => push(&p, at),
            Tok::Text(s, at) => pending.push((s, at)),
            Tok::Label(label, at) => {
                // The blank line that opens the item is traced to its label.
                push("", at);
                push(&label, at);
                for (v, at) in pending.drain(..) {
                    push(&v, at);
                }
            }
        }
    }
    for (v, at) in pending {
        push(&v, at);
    }
    push("", to - 1);
    let _ = Takes::Nothing;
    Some((out, origin))
}

/// Value text: pieces of one run of text (between two labels) on one line are joined
/// back with their spaces; an answer drawn after its empty bracket (`[ ]甲`) goes in it.
fn push_text(toks: &mut Vec<Tok>, piece: &str, at: usize) {
    let piece = piece.trim();
    if piece.is_empty() {
        return;
    }
    let k = if may_open_a_bracket(piece) { key(piece) } else { String::new() };
    let piece = match k.strip_prefix("[]") {
        Some(rest) if !rest.is_empty() && !rest.contains(['[', ']']) => format!("[ {} ]", piece.trim_start_matches(['[', ' ', ']', '［', '］', '　']).trim()),
        _ => piece.to_string(),
    };
    toks.push(Tok::Text(piece, at));
}

#[cfg(test)]
mod tests {
    use crate::form::FormSet;

    fn run(text: &str) -> Vec<String> {
        let set = FormSet::builtin();
        let (form, _) = set.form_for("zenkomoku", Some("2018-05")).unwrap();
        let lines = crate::reassemble::lines_of(text);
        let n = lines.len();
        super::super::unjumble(form, &set.common, lines, 0, n).into_iter().map(|l| l.raw().trim().to_string()).filter(|l| !l.is_empty()).collect()
    }

    /// Values drawn before their labels: a one-line value glued to its label, a value
    /// of several lines above it, a label wrapped at a line's end, an answer after its
    /// empty bracket, a numbered block opener after its title; each goes back after
    /// its label.
    #[test]
    fn values_go_back_after_their_labels() {
        let text = "１．特定個人情報ファイルを取り扱う事務 甲事務①事務の名称 乙の内容一行目\n乙の内容二行目\n\n②事務の内容　※\n\
            リスク１：　目的外の入手が行われるリスク 丙の措置。対象者以外の情報の入手を防止するための措置\nの内容 丁の措置\n\n\
            必要な情報以外を入手することを防止するための措置の内容\n ＜選択肢＞\n1) 特に力を入れている\n2) 十分である\n3) 課題が残されている\n[ ]十分である\n\nリスクへの対策は十分か\n\
            コールセンター業務委託事項１ 戊の内容①委託内容\n";
        let out = run(text);
        let after = |label: &str| out[out.iter().position(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{label}: {out:?}")) + 1].as_str();
        assert_eq!(after("①事務の名称"), "甲事務");
        assert_eq!(after("②事務の内容"), "乙の内容一行目");
        assert_eq!(after("対象者以外の情報の入手を防止するための措置の内容"), "丙の措置。");
        assert_eq!(after("必要な情報以外を入手することを防止するための措置の内容"), "丁の措置");
        assert!(out.contains(&"[ 十分である ]".to_string()), "{out:?}");
        assert_eq!(after("リスクへの対策は十分か"), "＜選択肢＞");
        assert_eq!(after("委託事項１"), "コールセンター業務");
        assert_eq!(after("①委託内容"), "戊の内容");
    }

    /// perf: the last-character test never passes over a piece that ends with a label:
    /// on every piece of the sample dumps (and each piece's every suffix), when it says
    /// no label can end the piece, `label_suffix` of the piece's key finds none.
    #[test]
    fn cannot_end_a_label_equals_the_keyed_test() {
        let set = FormSet::builtin();
        let texts = crate::test_texts::sample_and_generated();
        let (mut skipped, mut checked) = (0, 0);
        for form in &set.forms {
            let labels = &crate::engine::index(form, &set.common).defs.value_labels;
            for text in &texts {
                for piece in text.lines().flat_map(|l| l.split(' ')).filter(|p| !p.is_empty()) {
                    for (at, _) in piece.char_indices() {
                        let piece = &piece[at..];
                        checked += 1;
                        if !super::may_open_a_bracket(piece) {
                            assert!(!crate::normalize::key(piece).starts_with('['), "{piece:?}");
                        }
                        if super::cannot_end_a_label(piece, &labels) {
                            skipped += 1;
                            assert_eq!(super::label_suffix(&crate::normalize::key(piece), &labels), None, "{piece:?}");
                        }
                    }
                }
            }
        }
        assert!(skipped > checked / 2, "the test passes over most pieces: {skipped} of {checked}");
    }

    /// A dump in reading order (labels before values) is not taken for one drawn value
    /// first: nothing moves.
    #[test]
    fn labels_first_dumps_are_not_reordered() {
        let text = "①事務の名称 甲事務\n②事務の内容 乙の内容\n③対象人数\n [ 30万人以上 ]\n";
        assert_eq!(run(text), ["①事務の名称 甲事務", "②事務の内容 乙の内容", "③対象人数", "[ 30万人以上 ]"]);
    }
}
