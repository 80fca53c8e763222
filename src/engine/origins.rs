//! Where each line of a reordered text came from, so that provenance names the lines
//! of the input, not of the reading order rebuilt from it.
//!
//! [`super::unjumble`] moves a drawing-order dump's cells next to their labels (and may
//! write an answer back into its bracket, or cut a line of cells in two). A line of the
//! new order is traced to the input line with the same text (the k-th of equal texts
//! to the k-th), else to the input line holding it (a piece of a cut line) or held by it
//! (an answer with its bracket written back), else to the line before it.

use crate::reassemble::Line;
use std::collections::{HashMap, VecDeque};

/// For each line of `after` (a reordering of `before`), the index of its line in `before`.
pub fn origins(before: &[Line], after: &[Line]) -> Vec<usize> {
    let mut by_text: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, l) in before.iter().enumerate() {
        by_text.entry(l.raw.trim()).or_default().push_back(i);
    }
    let mut out: Vec<usize> = Vec::with_capacity(after.len());
    for (n, l) in after.iter().enumerate() {
        let t = l.raw.trim();
        let exact = by_text.get_mut(t).and_then(VecDeque::pop_front);
        let traced = exact.or_else(|| {
            (!l.key.is_empty()).then(|| before.iter().position(|b| !b.key.is_empty() && (b.key.contains(l.key.as_str()) || l.key.contains(b.key.as_str())))).flatten()
        });
        out.push(traced.unwrap_or_else(|| out.last().copied().unwrap_or(n.min(before.len().saturating_sub(1)))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::origins;
    use crate::normalize::key;
    use crate::reassemble::Line;

    fn lines(texts: &[&str]) -> Vec<Line> {
        texts.iter().map(|t| Line { raw: t.to_string(), key: key(t) }).collect()
    }

    #[test]
    fn moved_written_back_and_repeated_lines_traced_to_the_input() {
        let before = lines(&["連絡先", "", "①部署", "", "保険健康課", "実施する", "[", "]"]);
        let after = lines(&["①部署", "保険健康課", "", "連絡先", "", "[ 実施する", "[", "]"]);
        assert_eq!(origins(&before, &after), vec![2, 4, 1, 0, 3, 5, 6, 7]);
    }
}
