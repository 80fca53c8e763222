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

/// A piece of a line: the text between spaces that a label ends or starts.
enum Tok {
    /// Value text, and whether it started its line (or followed a space).
    Text(String),
    /// A label (with the def it names), its text as printed.
    Label(String),
    /// A page number line, kept in place.
    Page(String),
}

/// Glued labels needed before the region is taken as drawn value first.
const MIN_GLUED: usize = 3;

/// The label keys that may end a run of text, to the defs that print them: full
/// labels (with their numbering) and headings; block openers are matched by their
/// start and a number.
fn label_keys<'d>(defs: &'d Defs) -> (HashMap<&'d str, usize>, Vec<(&'d str, usize)>) {
    let mut map = HashMap::new();
    let mut openers = Vec::new();
    for (d, def) in defs.iter().enumerate() {
        for k in def.keys.iter().take(def.n_full) {
            if k.chars().count() >= 2 {
                map.entry(k.as_str()).or_insert(d);
            }
        }
        if let Some((start, numbered)) = &def.opener {
            if *numbered {
                openers.push((start.as_str(), d));
            } else {
                map.entry(start.as_str()).or_insert(d);
            }
        }
    }
    (map, openers)
}

/// Where in `k` a label ends it: the byte offset it starts at (the longest label).
fn label_suffix(k: &str, map: &HashMap<&str, usize>, openers: &[(&str, usize)]) -> Option<usize> {
    // A numbered block opener (`委託事項１`): its start, then digits, at the end.
    let digits = k.bytes().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0 && digits <= 2 {
        let head = &k[..k.len() - digits];
        if let Some((s, _)) = openers.iter().find(|(s, _)| head.ends_with(s)) {
            return Some(head.len() - s.len());
        }
    }
    k.char_indices().map(|(p, _)| p).find(|&p| map.contains_key(&k[p..]))
}

/// The raw text of `raw` from the character where its key reaches byte `at` (keys drop
/// spaces and fold width, so the raw offset is found by keying growing prefixes).
fn split_raw(raw: &str, at: usize) -> (&str, &str) {
    if at == 0 {
        return ("", raw);
    }
    let mut acc = 0;
    for (p, ch) in raw.char_indices() {
        if acc >= at {
            return (&raw[..p], &raw[p..]);
        }
        acc += key(&ch.to_string()).len();
    }
    (raw, "")
}

/// The region `from..to` in reading order, or None when it is not drawn value first.
pub(super) fn reorder(lines: &[Line], from: usize, to: usize, defs: &Defs) -> Option<Vec<Line>> {
    let (map, openers) = label_keys(defs);
    let mut toks: Vec<Tok> = Vec::new();
    let mut glued = 0;
    for l in &lines[from..to] {
        if l.key.is_empty() {
            continue;
        }
        if super::page_number(&l.key) {
            toks.push(Tok::Page(l.raw.clone()));
            continue;
        }
        // Pieces between spaces; the text between two labels stays one line.
        let mut seg = String::new();
        for piece in l.raw.split(' ').filter(|p| !p.is_empty()) {
            let k = key(piece);
            let at = label_suffix(&k, &map, &openers);
            let Some(at) = at else {
                if !seg.is_empty() {
                    seg.push(' ');
                }
                seg.push_str(piece);
                continue;
            };
            let (value, label) = split_raw(piece, at);
            if !value.is_empty() {
                glued += 1;
                if !seg.is_empty() {
                    seg.push(' ');
                }
                seg.push_str(value);
            }
            push_text(&mut toks, &std::mem::take(&mut seg));
            toks.push(Tok::Label(label.to_string()));
        }
        push_text(&mut toks, &seg);
    }
    if glued < MIN_GLUED {
        return None;
    }
    let mut out: Vec<Line> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let push = |out: &mut Vec<Line>, raw: String| {
        out.push(Line { key: key(&raw), raw });
    };
    for t in toks {
        match t {
            Tok::Page(p) => push(&mut out, p),
            Tok::Text(s) => pending.push(s),
            Tok::Label(label) => {
                push(&mut out, String::new());
                push(&mut out, label);
                for v in pending.drain(..) {
                    push(&mut out, v);
                }
            }
        }
    }
    for v in pending {
        push(&mut out, v);
    }
    push(&mut out, String::new());
    let _ = Takes::Nothing;
    Some(out)
}

/// Value text: pieces of one run of text (between two labels) on one line are joined
/// back with their spaces; an answer drawn after its empty bracket (`[ ]甲`) goes in it.
fn push_text(toks: &mut Vec<Tok>, piece: &str) {
    let piece = piece.trim();
    if piece.is_empty() {
        return;
    }
    let k = key(piece);
    let piece = match k.strip_prefix("[]") {
        Some(rest) if !rest.is_empty() && !rest.contains(['[', ']']) => format!("[ {} ]", piece.trim_start_matches(['[', ' ', ']', '［', '］', '　']).trim()),
        _ => piece.to_string(),
    };
    toks.push(Tok::Text(piece));
}
