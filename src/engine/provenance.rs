//! Provenance of a field: the lines its value was read from, not its whole zone. A
//! zone starts at the label and runs to the next label, blank lines and option lists
//! included; a researcher checking a value wants the value's own lines (the answer's
//! line of a choice, the box's line, a text's first to last written line).

use super::{is_furniture, is_furniture_key, Region};
use crate::form::{Field, FieldType};
use crate::normalize::{after_key_prefix, key};
use crate::reassemble::Line;
use serde_json::Value;

/// The first and last line (0-based, inclusive) of the value `v` read for `f` from `r`.
/// None for a null value, unless a text's zone has a mark written for "blank" (`―`,
/// `なし`: that line is where the null was read); the zone when the type gives no line
/// of its own.
pub(super) fn value_lines(lines: &[Line], f: &Field, r: Region, v: &Value) -> Option<[usize; 2]> {
    let text = matches!(f.ty, FieldType::String | FieldType::Text | FieldType::Zone | FieldType::Period);
    if v.is_null() && !text {
        return None;
    }
    let zone = [r.start, r.end.saturating_sub(1).max(r.start)];
    let end = r.end.min(lines.len());
    // The key of line `i` of the zone (the first one after its label).
    let key_of = |i: usize| if i == r.start { std::borrow::Cow::Owned(key(after_key_prefix(&lines[i].raw, r.col))) } else { std::borrow::Cow::Borrowed(lines[i].key.as_str()) };
    let first_with = |what: &str, skip_listed: bool| (r.start..end).find(|&i| contains_unlisted(&key_of(i), what, skip_listed));
    let found = match f.ty {
        FieldType::String | FieldType::Text | FieldType::Zone | FieldType::Period => {
            let written: Vec<usize> = (r.start..end)
                .filter(|&i| {
                    // perf: a whole line's key is made already; only the first (after its label) is keyed.
                    if i == r.start {
                        let raw = after_key_prefix(&lines[i].raw, r.col);
                        !raw.trim().is_empty() && !is_furniture(raw)
                    } else {
                        !lines[i].raw.trim().is_empty() && !is_furniture_key(&lines[i].key)
                    }
                })
                .collect();
            match written.first().zip(written.last()) {
                Some((a, b)) => Some([*a, *b]),
                None if v.is_null() => return None,
                None => None,
            }
        }
        FieldType::Choice | FieldType::Band => v.get("label").and_then(Value::as_str).and_then(|l| first_with(&key(l), true)).map(|i| [i, i]),
        FieldType::Box => f.after.as_deref().and_then(|a| first_with(&key(a), false)).map(|i| [i, i]),
        FieldType::Date => v.get("text").and_then(Value::as_str).and_then(|t| first_with(&key(t), false)).map(|i| [i, i]),
        _ => None,
    };
    Some(found.unwrap_or(zone))
}

/// Does key `k` hold `what` — with `skip_listed`, other than as an item of an option
/// list (`1) 実施する`: the list prints every option, the answer is printed apart)?
fn contains_unlisted(k: &str, what: &str, skip_listed: bool) -> bool {
    if what.is_empty() {
        return false;
    }
    k.match_indices(what).any(|(at, _)| {
        let before = &k[..at];
        !skip_listed || !(before.ends_with(')') && before[..before.len() - 1].ends_with(|c: char| c.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::contains_unlisted;

    #[test]
    fn an_option_list_item_is_not_the_answer() {
        assert!(!contains_unlisted("1)実施する", "実施する", true));
        assert!(contains_unlisted("[実施する]1)実施する", "実施する", true));
        assert!(contains_unlisted("十分である", "十分である", true));
        assert!(contains_unlisted("1)実施する", "実施する", false));
    }
}
