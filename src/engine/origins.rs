//! Where each line of a reordered text came from, so that provenance names the lines
//! of the input, not of the reading order rebuilt from it.
//!
//! [`super::values_after_labels`] moves a column-order text's value cells after their
//! labels (the drawing-order pass, [`super::unjumble_traced`], gives its own trace). A
//! line of the new order is traced to the input line with the same text (the k-th of equal texts
//! to the k-th), else to the input line holding it (a piece of a cut line) or held by it
//! (an answer with its bracket written back), else to the line before it.

use crate::reassemble::Line;
use std::collections::{HashMap, VecDeque};

/// For each line of `after` (a reordering of `before`), the index of its line in `before`.
pub fn origins(before: &[Line], after: &[Line]) -> Vec<usize> {
    let mut by_text: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, l) in before.iter().enumerate() {
        by_text.entry(l.raw().trim()).or_default().push_back(i);
    }
    // Each input key's characters as a 64-bit set: one text can hold another only if its
    // set holds the other's, so most lines are passed over without a substring search
    // (the search per moved line made the trace quadratic in the lines).
    let sets: Vec<u64> = before.iter().map(|b| char_set(b.key())).collect();
    let mut out: Vec<usize> = Vec::with_capacity(after.len());
    for (n, l) in after.iter().enumerate() {
        let t = l.raw().trim();
        let exact = by_text.get_mut(t).and_then(VecDeque::pop_front);
        let traced = exact.or_else(|| {
            let (k, set) = (l.key(), char_set(l.key()));
            (!k.is_empty())
                .then(|| {
                    before.iter().zip(&sets).position(|(b, &bs)| {
                        let b = b.key();
                        !b.is_empty() && ((set & !bs == 0 && b.contains(k)) || (bs & !set == 0 && k.contains(b)))
                    })
                })
                .flatten()
        });
        out.push(traced.unwrap_or_else(|| out.last().copied().unwrap_or(n.min(before.len().saturating_sub(1)))));
    }
    out
}

/// The characters of `text` folded into 64 bits (a character sets bit `c mod 64`).
fn char_set(text: &str) -> u64 {
    text.chars().fold(0, |set, c| set | 1 << (c as u32 % 64))
}

#[cfg(test)]
mod tests {
    use super::origins;
    use crate::reassemble::{lines_each as lines, Line};

    #[test]
    fn moved_written_back_and_repeated_lines_traced_to_the_input() {
        let before = lines(&["連絡先", "", "①部署", "", "保険健康課", "実施する", "[", "]"]);
        let after = lines(&["①部署", "保険健康課", "", "連絡先", "", "[ 実施する", "[", "]"]);
        assert_eq!(origins(&before, &after), vec![2, 4, 1, 0, 3, 5, 6, 7]);
    }

    /// The trace without the character-set test: what `origins` must equal.
    fn plain(before: &[Line], after: &[Line]) -> Vec<usize> {
        let mut by_text: std::collections::HashMap<&str, std::collections::VecDeque<usize>> = Default::default();
        for (i, l) in before.iter().enumerate() {
            by_text.entry(l.raw().trim()).or_default().push_back(i);
        }
        let mut out: Vec<usize> = Vec::new();
        for (n, l) in after.iter().enumerate() {
            let exact = by_text.get_mut(l.raw().trim()).and_then(|q| q.pop_front());
            let traced = exact.or_else(|| {
                (!l.key().is_empty()).then(|| before.iter().position(|b| !b.key().is_empty() && (b.key().contains(l.key()) || l.key().contains(b.key())))).flatten()
            });
            out.push(traced.unwrap_or_else(|| out.last().copied().unwrap_or(n.min(before.len().saturating_sub(1)))));
        }
        out
    }

    #[test]
    fn the_character_set_test_changes_no_trace() {
        // Every line of the sample dump, and each cut in two, answered with a bracket,
        // or shortened: pieces held by an input line, lines holding one, and neither.
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).expect("sample dump");
        let before: Vec<Line> = text.lines().map(Line::of).collect();
        let mut moved: Vec<String> = Vec::new();
        for (i, l) in text.lines().enumerate() {
            let chars: Vec<char> = l.trim().chars().collect();
            match i % 4 {
                0 => moved.push(l.to_string()),
                1 => {
                    let (a, b) = chars.split_at(chars.len() / 2);
                    moved.push(a.iter().collect());
                    moved.push(b.iter().collect());
                }
                2 => moved.push(format!("[ {l} ]")),
                _ => moved.push(chars.iter().rev().collect()),
            }
        }
        moved.reverse();
        let after: Vec<Line> = moved.iter().map(|t| Line::of(t)).collect();
        assert!(after.len() > 500);
        assert_eq!(origins(&before, &after), plain(&before, &after));
    }
}
