//! Answers given by what they are, for choices the zones left without one.
//!
//! A dump in drawing order (pdf-extract of a spreadsheet's PDF, PyMuPDF's blocks) may
//! print a page's answers far from their questions: the zone after a question then
//! holds no bracket of its list. But an answer is still recognisable as one: it is an
//! option of a list, written in a bracket or standing alone, not an item of a printed
//! option list (`1) 実施する`). So, after the zones are read:
//! - a question whose list no other question of the form uses takes the first answer
//!   of that list nobody took;
//! - questions sharing a list (Ⅳ's `十分である`) take its remaining answers in order,
//!   with an `uncertain_order` warning unless they are as many as the questions and all
//!   the same;
//! - a band's `as_of` date comes from the lines holding its date label, in order;
//! - a text whose label its zone did not hold (printed before its section's heading)
//!   is read where the label is printed: the rest of its line and the lines after it,
//!   up to the next label of the form.
//!
//! Driven by the form description only (field types, lists, opt-outs); fields inside
//! repeated blocks are left to their zones.

use super::{choice_json, get, is_furniture_key, set, LineStarts};
use crate::form::{join, Choice, Common, Field, FieldType, Form, Node};
use crate::normalize::{after_key_prefix, join_cell_lines, key, text_value_in, Empties};
use crate::reassemble::Line;
use crate::record::Warning;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One answer found by its text: the line, the option's key.
struct Answer {
    line: usize,
    option: String,
    /// The option's place in the options looked for (sorted, each once).
    id: usize,
    taken: bool,
}

/// A top-level choice of the form with its full path and its section's path.
struct Question<'a> {
    field: &'a Field,
    path: String,
    section: String,
    /// The label keys of the form's next item after this question (in its section).
    next: Vec<String>,
}

fn questions<'a>(nodes: &'a [Node], section: &str, out: &mut Vec<Question<'a>>) {
    for (i, n) in nodes.iter().enumerate() {
        match n {
            Node::Section(s) => questions(&s.nodes, &join(section, &s.path), out),
            Node::Field(f) if matches!(f.ty, FieldType::Choice | FieldType::Band) && f.list.is_some() => {
                let next: &[String] = match nodes.get(i + 1) {
                    Some(Node::Field(g)) => &g.label,
                    Some(Node::Heading(h)) => &h.heading,
                    Some(Node::Section(s)) => &s.heading,
                    Some(Node::Block(b)) => std::slice::from_ref(&b.start),
                    None => &[],
                };
                let next = next.iter().map(|l| key(l)).filter(|k| !k.is_empty()).collect();
                out.push(Question { field: f, path: join(section, &f.path), section: section.to_string(), next })
            }
            _ => {}
        }
    }
}

/// Answers of any list in lines `from..to`: a bracket's text, or a line's text outside
/// brackets, that is an option of some list (`options`, sorted) — not the printed option
/// list after it.
fn answers(lines: &[Line], from: usize, to: usize, options: &[impl AsRef<str>]) -> Vec<Answer> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate().take(to).skip(from) {
        let k = l.key();
        let head = match option_list_start(k) {
            Some(at) => &k[..at],
            None => k,
        };
        // perf: cut at the brackets' bytes (ASCII: always a character boundary), with
        // the options sorted, rather than decoding every character and comparing each.
        for part in split_brackets(head) {
            if part.is_empty() {
                continue;
            }
            if let Ok(id) = options.binary_search_by(|o| o.as_ref().cmp(part)) {
                out.push(Answer { line: i, option: part.to_string(), id, taken: false });
            }
        }
    }
    out
}

/// Where a printed option list starts in a key: at its first item number (`1)`, `12)`:
/// one or two digits after no digit, the character before them included) or at
/// `<選択肢>`. The start of the regex `(?:^|[^0-9])[0-9]{1,2}\)|<選択肢>`'s match
/// (`option_list_start_equals_the_regex`); perf: a scan for `)` instead of the regex on
/// every line of the body.
fn option_list_start(k: &str) -> Option<usize> {
    static LISTED: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let b = k.as_bytes();
    // The first `)` after one or two digits: the match starts before the digits (a run
    // of three or more is no item number), at the character there unless they open the key.
    let numbered = memchr::memchr_iter(b')', b).find_map(|close| {
        let digits = b[..close].iter().rev().take_while(|c| c.is_ascii_digit()).take(3).count();
        if !(1..=2).contains(&digits) {
            return None;
        }
        let first = close - digits;
        Some((0..first).rev().find(|&p| k.is_char_boundary(p)).unwrap_or(0))
    });
    let listed = LISTED.get_or_init(|| memchr::memmem::Finder::new("<選択肢>".as_bytes())).find(b);
    match (numbered, listed) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `s` cut at each `[` and `]`: what `s.split(['[', ']'])` gives.
fn split_brackets(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr2(b'[', b']', r.as_bytes()) {
            Some(at) => {
                rest = Some(&r[at + 1..]);
                Some(&r[..at])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The keys of every option of the lists the form's top-level choices use (`list_keys`:
/// each list's keys), sorted, each once: the answers looked for ([`answers`]).
pub(super) fn answer_options(form: &Form, list_keys: &std::collections::HashMap<String, Vec<String>>) -> Vec<String> {
    let mut qs = Vec::new();
    questions(&form.body, "", &mut qs);
    let mut options: Vec<String> = qs.iter().filter_map(|q| q.field.list.as_deref().and_then(|l| list_keys.get(l))).flatten().cloned().collect();
    options.sort_unstable();
    options.dedup();
    options
}

/// Fill the choices (and band dates) of `form` the zone reading left null, from the
/// body lines `from..to`. `provenance` tells which lines' answers are taken already.
pub fn fill(form: &Form, common: &Common, lines: &[Line], from: usize, to: usize, body: &mut Map<String, Value>, warnings: &mut Vec<Warning>, provenance: &mut BTreeMap<String, [usize; 2]>) {
    let mut qs = Vec::new();
    questions(&form.body, "", &mut qs);
    let list_of = |q: &Question| q.field.list.as_deref().and_then(|l| common.lists.get(l)).map_or(&[][..], Vec::as_slice);
    // The keys of a question's list's options, in its order (made once per form).
    let index = super::index(form, common);
    let keys_of = |q: &Question| q.field.list.as_deref().and_then(|l| index.list_keys.get(l)).map_or(&[][..], Vec::as_slice);
    // The answers printed, with those a zone read already taken: made when a question
    // is open (perf: most reads leave none), before any is filled here.
    let options = &index.answer_options;
    let found_of = |body: &Map<String, Value>, provenance: &BTreeMap<String, [usize; 2]>| {
        let mut found = answers(lines, from, to.min(lines.len()), options);
        for q in &qs {
            let (Some(v), Some(p)) = (get(body, &q.path).and_then(|v| v.get("label")).and_then(Value::as_str), provenance.get(&q.path)) else { continue };
            if let Some(a) = found.iter_mut().find(|a| !a.taken && a.option == v && a.line >= p[0] && a.line <= p[1]) {
                a.taken = true;
            }
        }
        found
    };
    let mut found: Option<Vec<Answer>> = None;
    let opted_out = |body: &Map<String, Value>, q: &Question| {
        q.field.opt_out.iter().any(|o| {
            let section = get(body, &q.section).and_then(Value::as_object);
            section.and_then(|m| get(m, o)).and_then(Value::as_bool) == Some(true) || (q.section.is_empty() && get(body, o).and_then(Value::as_bool) == Some(true))
        })
    };
    // The questions to fill, grouped by list, in form order.
    let mut by_list: Vec<(&str, Vec<&Question>)> = Vec::new();
    for q in &qs {
        let list = q.field.list.as_deref().unwrap_or_default();
        match by_list.iter_mut().find(|(l, _)| *l == list) {
            Some((_, v)) => v.push(q),
            None => by_list.push((list, vec![q])),
        }
    }
    let mut filled: Vec<&Question> = Vec::new();
    for (_, group) in &by_list {
        let open: Vec<&Question> = group.iter().copied().filter(|q| get(body, &q.path).is_none_or(Value::is_null) && !opted_out(body, q)).collect();
        if open.is_empty() {
            continue;
        }
        let found = found.get_or_insert_with(|| found_of(body, provenance));
        let choices: &[Choice] = list_of(open[0]);
        let keys: &[String] = keys_of(open[0]);
        // The list's options by their place among all (perf: each answer's option is
        // then told apart by a number, not compared with every key of every list).
        let ids: Vec<usize> = keys.iter().filter_map(|k| options.binary_search(k).ok()).collect();
        let free: Vec<usize> = (0..found.len()).filter(|&a| !found[a].taken && ids.contains(&found[a].id)).collect();
        if free.is_empty() {
            continue;
        }
        let shared = group.len() > 1;
        let same = free.iter().all(|&a| found[a].option == found[free[0]].option);
        for (q, &a) in open.iter().zip(&free) {
            let Some(o) = keys.iter().position(|k| *k == found[a].option).and_then(|p| choices.get(p)) else { continue };
            found[a].taken = true;
            set(body, &q.path, choice_json(q.field, o));
            provenance.insert(q.path.clone(), [found[a].line, found[a].line]);
            // The zone's reading, if any, was of something else (a bracket drawn far
            // from its text): an answer of the list is now given.
            warnings.retain(|w| !(w.path == q.path && (w.code == "not_found" || w.code == "ambiguous_value")));
            if shared && !(free.len() == open.len() && same) {
                warnings.push(Warning {
                    path: q.path.clone(),
                    code: "uncertain_order".into(),
                    message: format!("answer drawn apart from its question: {} answers of its list for {} questions, given in order", free.len(), open.len()),
                });
            }
            filled.push(q);
        }
    }
    dates(lines, from, to.min(lines.len()), &filled, body, warnings, provenance);
    texts(form, common, lines, from, to.min(lines.len()), body, warnings, provenance);
}

/// Every label key of the form's body of two characters or more (fields, headings,
/// sections, date labels): where a text read out of its zone ends.
pub(super) fn text_ends(form: &Form) -> Vec<String> {
    let mut all = Vec::new();
    all_labels(&form.body, &mut all);
    all.retain(|l| l.chars().count() >= 2);
    all
}

fn all_labels(nodes: &[Node], out: &mut Vec<String>) {
    for n in nodes {
        match n {
            Node::Section(s) => {
                out.extend(s.heading.iter().map(|h| key(h)));
                all_labels(&s.nodes, out);
            }
            Node::Heading(h) => out.extend(h.heading.iter().map(|h| key(h))),
            Node::Block(b) => {
                out.push(key(&b.start));
                all_labels(&b.nodes, out);
            }
            Node::Field(f) => out.extend(f.label.iter().chain(&f.as_of).map(|l| key(l))),
        }
    }
}

/// Top-level texts whose label was not found in their zone: read at the label's first
/// line in the body, when it has one.
fn texts(form: &Form, common: &Common, lines: &[Line], from: usize, to: usize, body: &mut Map<String, Value>, warnings: &mut Vec<Warning>, provenance: &mut BTreeMap<String, [usize; 2]>) {
    fn fields<'a>(nodes: &'a [Node], section: &str, out: &mut Vec<(String, &'a Field)>) {
        for n in nodes {
            match n {
                Node::Section(s) => fields(&s.nodes, &join(section, &s.path), out),
                Node::Field(f) if matches!(f.ty, FieldType::String | FieldType::Text) && f.within.is_none() => out.push((join(section, &f.path), f)),
                _ => {}
            }
        }
    }
    let mut list = Vec::new();
    fields(&form.body, "", &mut list);
    let labels = &super::index(form, common).text_ends_sorted;
    // perf: the empty marks keyed once, not for every text read.
    let empties = Empties::of(&common.empty_values);
    let starts_label = |i: usize| super::prefixes_of(labels, lines[i].key()).next().is_some();
    // The lines by first character, made for the first text looked for.
    let mut starts: Option<LineStarts> = None;
    for (path, f) in list {
        // An optional text is not warned about: no provenance says nothing was read.
        let missing = warnings.iter().any(|w| w.path == path && w.code == "not_found") || (f.optional && !provenance.contains_key(&path));
        if !missing || !get(body, &path).is_none_or(Value::is_null) {
            continue;
        }
        let keys: Vec<String> = f.label.iter().map(|l| key(l)).collect();
        let Some(h) = starts.get_or_insert_with(|| LineStarts::of(lines)).find(lines, from, to, &keys) else { continue };
        let rest = after_key_prefix(&lines[h.last].raw(), h.col).trim();
        let mut kept: Vec<(usize, &str)> = Vec::new();
        if !rest.is_empty() {
            kept.push((h.last, rest));
        }
        for i in h.last + 1..to {
            if starts_label(i) {
                break;
            }
            let raw = lines[i].raw();
            // perf: the line's key is made already.
            if !raw.trim().is_empty() && !is_furniture_key(&lines[i].key()) {
                kept.push((i, raw));
            }
        }
        let raws: Vec<&str> = kept.iter().map(|k| k.1).collect();
        let Some(text) = text_value_in(&join_cell_lines(&raws), &empties) else {
            // A mark written for "blank" (`―`): null, read from that line.
            if let (Some(a), Some(b)) = (kept.first(), kept.last()) {
                provenance.insert(path.clone(), [a.0, b.0]);
            }
            continue;
        };
        set(body, &path, Value::String(text));
        if let (Some(a), Some(b)) = (kept.first(), kept.last()) {
            provenance.insert(path.clone(), [a.0, b.0]);
        }
        warnings.retain(|w| !(w.path == path && w.code == "not_found"));
    }
}

/// The `as_of` dates of the bands filled here: the dates after their label's lines, in
/// order, those another field took left out.
fn dates(lines: &[Line], from: usize, to: usize, filled: &[&Question], body: &mut Map<String, Value>, warnings: &mut Vec<Warning>, provenance: &mut BTreeMap<String, [usize; 2]>) {
    let dated: Vec<&&Question> = filled.iter().filter(|q| q.field.as_of.is_some()).collect();
    let Some(label) = dated.first().and_then(|q| q.field.as_of.as_deref()) else { return };
    let k = key(label);
    let taken: Vec<usize> = provenance.iter().filter(|(p, _)| p.ends_with(".as_of")).map(|(_, l)| l[0]).collect();
    // The date after the label on its line, else (drawn apart: `いつ時点の計数か 時点`)
    // on the next line that is not blank, when that line is a date alone.
    // perf: one searcher for every line (`contains` made one a line).
    let finder = memchr::memmem::Finder::new(k.as_bytes());
    let found: Vec<(usize, String)> = (from..to)
        .filter(|&i| finder.find(lines[i].key().as_bytes()).is_some())
        .filter_map(|i| {
            let rest = lines[i].key().split_once(k.as_str()).map_or("", |(_, b)| b);
            crate::normalize::parse_date(rest).map(|d| (i, d)).or_else(|| {
                let next = (i + 1..to).find(|&j| !lines[j].key().is_empty())?;
                crate::normalize::whole_date_of_key(&lines[next].key()).map(|d| (next, d))
            })
        })
        .filter(|(i, _)| !taken.contains(i))
        .collect();
    // A date row sits just above the form's next item, in either drawing order: the
    // item printed first after a date names the question it belongs to. Used when
    // every date names a different question and every question has one.
    let owner = |line: usize| {
        (line + 1..to).find_map(|i| dated.iter().position(|q| q.next.iter().any(|k| lines[i].key().starts_with(k.as_str()))))
    };
    let owners: Vec<Option<usize>> = found.iter().map(|(l, _)| owner(*l)).collect();
    let mut seen: Vec<usize> = owners.iter().flatten().copied().collect();
    seen.sort_unstable();
    seen.dedup();
    let mut found = found;
    if found.len() == dated.len() && seen.len() == dated.len() && owners.iter().all(Option::is_some) {
        let mut by_owner: Vec<(usize, String)> = found.clone();
        for (d, o) in found.iter().zip(&owners) {
            by_owner[o.unwrap_or_default()] = d.clone();
        }
        found = by_owner;
    }
    for (q, (line, d)) in dated.iter().zip(&found) {
        let path = format!("{}.as_of", q.path);
        set(body, &path, Value::String(d.clone()));
        provenance.insert(path.clone(), [*line, *line]);
        warnings.retain(|w| !(w.path == path && w.code == "not_found"));
        if found.len() != dated.len() {
            warnings.push(Warning { path, code: "uncertain_order".into(), message: format!("{} dates for {} questions, given in order", found.len(), dated.len()) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{answers, option_list_start, split_brackets};
    use crate::normalize::key;
    use crate::reassemble::lines_each as lines;

    #[test]
    fn option_list_start_equals_the_regex() {
        let re = regex::Regex::new(r"(?:^|[^0-9])[0-9]{1,2}\)|<選択肢>").unwrap();
        let mut keys: Vec<String> = ["", ")", "1)", "12)", "123)", "a1)", "a12)", "a123)", "x1)y2)", "1)2)", "[実施する]1)実施する", "十分である<選択肢>1)十分", "<選択肢>", "あ<選択肢>", "令和6年1)", "９)", "(1)", "発生なし)", "1 )", "99)9)", "ab(12)cd", "。3)", "12", "x)1)"]
            .map(String::from)
            .to_vec();
        // Every line of the fixtures' dumps, keyed as the reader keys them.
        for dir in ["input", "tests/fixtures"] {
            for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + dir).unwrap().flatten() {
                if let Ok(text) = std::fs::read_to_string(e.path()) {
                    keys.extend(text.lines().map(key));
                }
            }
        }
        assert!(keys.len() > 1000, "{} keys", keys.len());
        let mut found = 0;
        for k in &keys {
            let want = re.find(k).map(|m| m.start());
            assert_eq!(option_list_start(k), want, "{k:?}");
            found += want.is_some() as usize;
        }
        assert!(found > 50, "{found} option lists");
    }

    #[test]
    fn split_brackets_equals_split() {
        for s in ["", "[", "]", "[]", "a[b]c", "[ 実施する ] 1) 実施する", "]]x[[", "十分である", "[○]委託する[]委託しない]"] {
            assert_eq!(split_brackets(s).collect::<Vec<_>>(), s.split(['[', ']']).collect::<Vec<_>>(), "{s:?}");
        }
    }

    #[test]
    fn an_answer_is_an_option_in_a_bracket_or_alone_never_a_printed_list_item() {
        let mut options: Vec<String> = ["実施する", "実施しない", "十分である", "10万人以上30万人未満"].map(key).to_vec();
        options.sort_unstable();
        let ls = lines(&["[ 実施する ] 1) 実施する", "2) 実施しない", "十分である", "10万人以上30万人未満 ] 2) 1,000人以上1万人未満", "＜選択肢＞", "[ ]十分である", "十分であるか"]);
        let found: Vec<(usize, String)> = answers(&ls, 0, ls.len(), &options).into_iter().map(|a| (a.line, a.option)).collect();
        assert_eq!(found, vec![(0, key("実施する")), (2, key("十分である")), (3, key("10万人以上30万人未満")), (5, key("十分である"))]);
    }
}
