//! Answers and check boxes of a text printed column by column (pdftotext, pdfminer.six,
//! PyMuPDF `get_text()`), settled over the whole body rather than zone by zone.
//!
//! In such a text a part's questions come first and its answers after them, often
//! several questions away, and the boxes' brackets and ○ marks are printed apart from
//! their labels (`［` / `○` / `］委託しない`). The zones after each question then hold
//! another question's answer. What still holds is the order: the answers of a list
//! that several questions share (Ⅳ's `十分である`) are printed in the order of their
//! questions, and a ○ drawn alone is the mark of a box whose bracket is drawn apart.
//! So, on the lines as the tool printed them:
//! - every answer of the shared list (an option standing alone or in its brackets, not
//!   an item of a printed option list) is found, with the part it is printed in (the
//!   last heading, question or box text above it);
//! - boxes: a bracket before the box's text on its line says its state; a `［` left open
//!   at the end of a box's line opens the next box of its row; opt-out boxes are not
//!   ticked when the answers found fill every question without them; the boxes still
//!   unknown share the ○ marks drawn alone (as many marks as boxes: all ticked; none:
//!   none; else in order, with an `ambiguous_checkbox` warning);
//! - the shared list's answers go to the questions not opted out: each to the next
//!   question of the part it is printed in when that places every one, else in order,
//!   with an `uncertain_order` warning unless they are as many as the questions and
//!   all the same.
//!
//! Driven by the form description only: its labels, choice lists, boxes (`after`, `in`)
//! and opt-outs. Fields inside repeated blocks are left to their zones.

use super::boxes::{after_bracket_plain, BoxField, BoxReads};
use super::{choice_json, label_at, label_keys, set};
use crate::form::{join, Choice, Common, Field, FieldType, Form, Node};
use crate::reassemble::Line;
use crate::record::Warning;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// A labelled thing of the form that tells which part a line is in.
struct Mark {
    /// Label keys (full, then bare); for a box, its own text.
    keys: Vec<String>,
    /// The part it belongs to (`Ⅳ3`): its item without a circled number.
    part: String,
    /// The part's rank (its index in [`Plan::parts`]; `usize::MAX` for none).
    rank: usize,
    /// A box's text (matched after its bracket), not a label.
    is_box: bool,
}

/// A top-level choice field.
struct Question {
    field: Field,
    path: String,
    part: String,
    /// Its list's name.
    list: String,
    /// The keys of its list's options, in the list's order.
    option_keys: Vec<String>,
}

/// A choice list several questions share: its options and their keys.
struct SharedList {
    name: String,
    choices: Vec<Choice>,
    keys: Vec<String>,
}

/// What the settling reads of a form, made once per form and kept in its
/// [`super::FormIndex`] (perf, issue #16: it was made on every read, twice for a
/// drawing-order dump).
#[derive(Default)]
pub(super) struct Plan {
    marks: Vec<Mark>,
    /// The distinct parts in form order (a part's rank is its index).
    parts: Vec<String>,
    boxes: Vec<BoxField>,
    questions: Vec<Question>,
    /// The keys of every option of the questions' lists, sorted, each once.
    options: OptionKeys,
    /// The lists several questions share, in the order of their first question.
    shared: Vec<SharedList>,
    /// (first character of a key, mark) of the labels (not boxes), sorted: perf, a line
    /// is tried against the marks whose key starts as it does only.
    label_firsts: Vec<(char, usize)>,
    /// The same of the boxes' texts.
    box_firsts: Vec<(char, usize)>,
    /// Marks with an empty key (tried on every line).
    anywhere: Vec<usize>,
}

/// An item's part: `Ⅳ3①` → `Ⅳ3`.
fn part_of(item: &str) -> &str {
    item.trim_end_matches(|c: char| ('①'..='⑳').contains(&c))
}

/// The marks, parts, boxes and questions of `nodes` (paths under `prefix`), in form order.
fn walk(nodes: &[Node], prefix: &str, out: &mut Plan) {
    for (n, node) in nodes.iter().enumerate() {
        match node {
            Node::Section(s) => walk(&s.nodes, &join(prefix, &s.path), out),
            Node::Heading(h) => {
                // A heading belongs to the part of the field after it.
                let next = nodes[n + 1..].iter().find_map(|m| if let Node::Field(f) = m { Some(f.item.as_str()) } else { None });
                if let Some(item) = next.filter(|i| !i.is_empty()) {
                    let (full, bare) = label_keys(&h.heading);
                    out.marks.push(Mark { keys: full.into_iter().chain(bare).collect(), part: part_of(item).to_string(), rank: usize::MAX, is_box: false });
                }
            }
            Node::Field(f) => {
                let part = part_of(&f.item);
                if !part.is_empty() && !out.parts.iter().any(|p| p == part) {
                    out.parts.push(part.to_string());
                }
                if f.within.is_none() && !f.label.is_empty() && matches!(f.ty, FieldType::Choice | FieldType::Band | FieldType::Box) {
                    let (full, bare) = label_keys(&f.label);
                    out.marks.push(Mark { keys: full.into_iter().chain(bare).collect(), part: part.to_string(), rank: usize::MAX, is_box: false });
                }
                match f.ty {
                    FieldType::Box => {
                        let fields = nodes.iter().filter_map(|m| if let Node::Field(q) = m { Some(q) } else { None });
                        let Some(bx) = BoxField::of(f, prefix, fields) else { continue };
                        out.marks.push(Mark { keys: vec![bx.text.clone()], part: part.to_string(), rank: usize::MAX, is_box: true });
                        out.boxes.push(bx);
                    }
                    FieldType::Choice | FieldType::Band => {
                        if let Some(list) = &f.list {
                            out.questions.push(Question { field: f.clone(), path: join(prefix, &f.path), part: part.to_string(), list: list.clone(), option_keys: Vec::new() });
                        }
                    }
                    _ => {}
                }
            }
            Node::Block(_) => {}
        }
    }
}

impl Plan {
    /// The plan of `form`, whose lists are `common`'s; `list_keys` their options' keys
    /// (the form index's, made once).
    pub(super) fn of(form: &Form, common: &Common, list_keys: &HashMap<String, Vec<String>>) -> Plan {
        let mut plan = Plan::default();
        walk(&form.body, "", &mut plan);
        let keys_of = |list: &str| -> Vec<String> { list_keys.get(list).cloned().unwrap_or_default() };
        for q in &mut plan.questions {
            q.option_keys = keys_of(&q.list);
        }
        plan.options = OptionKeys::of(plan.questions.iter().flat_map(|q| q.option_keys.iter().cloned()).collect());
        for q in &plan.questions {
            let l = q.list.as_str();
            if !plan.shared.iter().any(|s| s.name == l) && plan.questions.iter().filter(|p| p.list == l).count() > 1 {
                plan.shared.push(SharedList { name: l.to_string(), choices: common.lists.get(l).cloned().unwrap_or_default(), keys: keys_of(l) });
            }
        }
        for (m, mark) in plan.marks.iter_mut().enumerate() {
            mark.rank = plan.parts.iter().position(|p| *p == mark.part).unwrap_or(usize::MAX);
            for k in &mark.keys {
                match k.chars().next() {
                    None => plan.anywhere.push(m),
                    Some(c) if mark.is_box => plan.box_firsts.push((c, m)),
                    Some(c) => plan.label_firsts.push((c, m)),
                }
            }
        }
        plan.label_firsts.sort_unstable();
        plan.label_firsts.dedup();
        plan.box_firsts.sort_unstable();
        plan.box_firsts.dedup();
        plan.anywhere.dedup();
        plan
    }

    /// The form's top-level boxes with a printed text, in form order.
    pub(super) fn boxes(&self) -> &[BoxField] {
        &self.boxes
    }

    /// Whether there is anything to settle: a choice list shared by top-level
    /// questions, or top-level boxes.
    fn applies(&self) -> bool {
        !self.boxes.is_empty() || !self.shared.is_empty()
    }

    /// Into `out` (cleared), in order: the marks that may be found at a line whose key
    /// is `k` (not empty), a superset of those [`scan`] finds there. A label is found
    /// only at a line starting with its first character ([`label_at`]); a box's text at
    /// a line that is the text or starts with it after brackets and marks.
    fn candidates(&self, k: &str, out: &mut Vec<usize>) {
        fn starting(firsts: &[(char, usize)], c: Option<char>) -> impl Iterator<Item = usize> + '_ {
            let from = c.map_or(firsts.len(), |c| firsts.partition_point(|(f, _)| *f < c));
            firsts[from..].iter().take_while(move |(f, _)| Some(*f) == c).map(|(_, m)| *m)
        }
        out.clear();
        let first = k.chars().next();
        let bare = k.trim_start_matches(['[', ']', '○']).chars().next();
        out.extend(self.anywhere.iter().copied());
        out.extend(starting(&self.label_firsts, first));
        out.extend(starting(&self.box_firsts, first));
        if bare != first {
            out.extend(starting(&self.box_firsts, bare));
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// Option keys, sorted, each once (the slice they deref to), and the byte lengths they
/// have. perf: a line's key is looked up among them, and most keys have a length no
/// option has: those are not searched for (a search compares strings at every step).
#[derive(Default)]
pub(super) struct OptionKeys {
    sorted: Vec<String>,
    /// `lens[n]`: some option's key is `n` bytes long.
    lens: Vec<bool>,
}

impl OptionKeys {
    fn of(mut keys: Vec<String>) -> OptionKeys {
        keys.sort_unstable();
        keys.dedup();
        let mut lens = vec![false; keys.iter().map(|k| k.len() + 1).max().unwrap_or(0)];
        keys.iter().for_each(|k| lens[k.len()] = true);
        OptionKeys { sorted: keys, lens }
    }

    /// Is `k` one of the keys?
    fn contains(&self, k: &str) -> bool {
        self.lens.get(k.len()).copied().unwrap_or(false) && self.sorted.binary_search_by(|o| o.as_str().cmp(k)).is_ok()
    }
}

impl std::ops::Deref for OptionKeys {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.sorted
    }
}

/// What [`residue`] leaves of the key `k` when that is an option of `options` or a
/// `○`; `None` when it is neither. perf: a key without `)` or `<` (most lines) loses
/// only its brackets, so it is compared as it is when it has none (not copied).
fn answer_or_mark(k: &str, options: &OptionKeys) -> Option<String> {
    let r = if memchr::memchr2(b')', b'<', k.as_bytes()).is_some() {
        std::borrow::Cow::Owned(residue(k, options))
    } else if memchr::memchr2(b'[', b']', k.as_bytes()).is_some() {
        std::borrow::Cow::Owned(k.replace(['[', ']'], ""))
    } else {
        std::borrow::Cow::Borrowed(k)
    };
    (r == "○" || options.contains(&r)).then(|| r.into_owned())
}

/// What a line's key is once printed options (`2) 十分である`), `＜選択肢＞` and
/// brackets are taken out: an option alone is an answer, a `○` alone a mark. `options`
/// are the keys of every option, sorted (so that `3) 未定` alone is no answer).
pub(super) fn residue(k: &str, options: &[String]) -> String {
    // perf: copied only when there is something to take out.
    let s = if memchr::memchr(b'<', k.as_bytes()).is_some() && k.contains("<選択肢>") { std::borrow::Cow::Owned(k.replace("<選択肢>", "")) } else { std::borrow::Cow::Borrowed(k) };
    let mut kept = String::with_capacity(s.len());
    let mut rest = &*s;
    while let Some(pos) = memchr::memchr(b')', rest.as_bytes()) {
        let head = &rest[..pos];
        // ASCII digits are single bytes, and no other character's bytes are digits.
        let digits = head.bytes().rev().take_while(u8::is_ascii_digit).count();
        let after = &rest[pos + 1..];
        // perf: an option is looked for after a number only, among those sharing its
        // first character.
        let option = if digits > 0 { super::prefixes_of(options, after).map(String::len).max() } else { None };
        match option {
            Some(len) => {
                kept.push_str(&head[..head.len() - digits]);
                rest = &after[len..];
            }
            None => {
                kept.push_str(&rest[..pos + 1]);
                rest = after;
            }
        }
    }
    kept.push_str(rest);
    // The brackets out (ASCII bytes: cut anywhere, the rest stays whole characters).
    if memchr::memchr2(b'[', b']', kept.as_bytes()).is_none() {
        return kept;
    }
    let mut out = String::with_capacity(kept.len());
    let mut piece = kept.as_str();
    while let Some(p) = memchr::memchr2(b'[', b']', piece.as_bytes()) {
        out.push_str(&piece[..p]);
        piece = &piece[p + 1..];
    }
    out.push_str(piece);
    out
}

/// How much of the engine's reading the printed order may change.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Settle {
    /// A column-order text: its zones hold other questions' answers, so the boxes and
    /// the shared lists' answers are all read on the printed order.
    All,
    /// A drawing-order dump (pdf-extract) whose reordering may misplace an answer: the
    /// shared lists' answers are given only when each one sits in its own question's
    /// part, as many as the questions the engine's boxes leave open.
    Placed,
}

/// Whether `form` has what [`settle`] reads (a choice list shared by top-level
/// questions, or top-level boxes).
pub fn applies(form: &Form) -> bool {
    match form.index.get() {
        Some(index) => index.settling.applies(),
        None => applies_unindexed(form),
    }
}

/// [`applies`] of a form not read yet (whose index is not made): from the parts of
/// the plan that need no lists.
fn applies_unindexed(form: &Form) -> bool {
    let mut plan = Plan::default();
    walk(&form.body, "", &mut plan);
    !plan.boxes.is_empty() || plan.questions.iter().enumerate().any(|(n, q)| plan.questions[..n].iter().any(|p| p.list == q.list))
}

/// Settle the shared-list answers and the boxes of a text read out of its printed
/// order: `lines` are the body as the tool printed them (`from..to`), `body`, `warnings`
/// and `provenance` the engine's reading (provenance in those lines' numbers), changed
/// where this finds more (as `how` allows).
#[allow(clippy::too_many_arguments)]
pub fn settle(form: &Form, common: &Common, lines: &[Line], from: usize, to: usize, how: Settle, body: &mut Map<String, Value>, warnings: &mut Vec<Warning>, provenance: &mut BTreeMap<String, [usize; 2]>) {
    let plan = &super::index(form, common).settling;
    // Placed, only the shared lists' answers may change.
    if !plan.applies() || (how == Settle::Placed && plan.shared.is_empty()) {
        return;
    }
    let to = to.min(lines.len());
    let scan = scan(lines, from, to, plan);
    let answers_of = |keys: &[String]| -> Vec<(usize, String)> { scan.answers.iter().filter(|(_, a)| keys.contains(a)).cloned().collect() };
    // The answers of the shared lists and the questions they may fill.
    let shared_answers: usize = plan.shared.iter().map(|l| answers_of(&l.keys).len()).sum();
    let shared_slots = plan.questions.iter().filter(|q| plan.shared.iter().any(|l| l.name == q.list)).count();
    let ticked: Vec<Option<bool>> = match how {
        Settle::All => boxes(plan, lines, from, to, &scan, shared_answers, shared_slots, body, warnings, provenance),
        // The engine's boxes (read beside their labels) stand.
        Settle::Placed => plan.boxes.iter().map(|b| super::get(body, &b.path).and_then(Value::as_bool)).collect(),
    };
    let opted_out = |path: &str| plan.boxes.iter().zip(&ticked).any(|(b, t)| *t == Some(true) && b.blanks.iter().any(|p| p == path));
    for list in &plan.shared {
        let slots: Vec<&Question> = plan.questions.iter().filter(|q| q.list == list.name).collect();
        let active: Vec<usize> = (0..slots.len()).filter(|&s| !opted_out(&slots[s].path)).collect();
        let cands = answers_of(&list.keys);
        // 1. Each answer to the next question of the part it is printed in.
        let mut by_part: Vec<Option<usize>> = Vec::new();
        let mut next = 0;
        for (line, _) in &cands {
            let part = scan.part_at(*line, plan);
            let slot = active[next.min(active.len())..].iter().position(|&s| Some(slots[s].part.as_str()) == part).map(|p| p + next);
            if let Some(p) = slot {
                next = p + 1;
            }
            by_part.push(slot.map(|p| active[p]));
        }
        let placed = cands.len() == active.len() && by_part.iter().all(Option::is_some);
        if how == Settle::Placed && !placed {
            continue;
        }
        let all_same = cands.iter().all(|(_, a)| *a == cands[0].1);
        let mut given: Vec<Option<&(usize, String)>> = vec![None; slots.len()];
        let mut doubt = None;
        if placed {
            for (c, s) in cands.iter().zip(&by_part) {
                given[s.unwrap_or_default()] = Some(c);
            }
        } else {
            // 2. In order.
            for (c, &s) in cands.iter().zip(&active) {
                given[s] = Some(c);
            }
            if cands.len() != active.len() {
                doubt = Some(format!("{} answers of its list for {} questions, given in order", cands.len(), active.len()));
            } else if !all_same {
                doubt = Some("answers differ and their order in the text does not show which question each belongs to".to_string());
            }
        }
        for (s, q) in slots.iter().enumerate() {
            warnings.retain(|w| !(w.path == q.path && matches!(w.code.as_str(), "not_found" | "ambiguous_value" | "uncertain_order")));
            match given[s] {
                Some((line, a)) => {
                    let Some(o) = list.keys.iter().position(|k| k == a).and_then(|o| list.choices.get(o)) else { continue };
                    set(body, &q.path, choice_json(&q.field, o));
                    provenance.insert(q.path.clone(), [*line, *line]);
                    if let Some(d) = &doubt {
                        warnings.push(Warning { path: q.path.clone(), code: "uncertain_order".into(), message: d.clone() });
                    }
                }
                None => {
                    set(body, &q.path, Value::Null);
                    provenance.remove(&q.path);
                    if active.contains(&s) {
                        warnings.push(Warning { path: q.path.clone(), code: "not_found".into(), message: "no answer for this question".into() });
                    }
                }
            }
        }
    }
}

/// What the scan of the lines found.
struct Scan {
    /// (line, option key) of every answer standing alone.
    answers: Vec<(usize, String)>,
    /// (line, indexes into `Plan::marks`) of every label found.
    labels: Vec<(usize, Vec<usize>)>,
    /// Lines holding a ○ alone.
    marks: Vec<usize>,
}

impl Scan {
    /// The part of line `line`: the one of the nearest label above it (or on it). The
    /// same words label items of two parts (Ⅳ2 and Ⅳ6): the first not before the part
    /// read already.
    fn part_at<'p>(&self, line: usize, plan: &'p Plan) -> Option<&'p str> {
        let mut last: Option<&Mark> = None;
        for (l, ms) in &self.labels {
            if *l > line {
                break;
            }
            let floor = last.map_or(0, |m| m.rank);
            let found = ms.iter().map(|&m| &plan.marks[m]);
            last = found.clone().find(|m| m.rank >= floor).or(found.last()).or(last);
        }
        last.map(|m| m.part.as_str())
    }
}

fn scan(lines: &[Line], from: usize, to: usize, plan: &Plan) -> Scan {
    let mut out = Scan { answers: Vec::new(), labels: Vec::new(), marks: Vec::new() };
    let mut candidates = Vec::new();
    let mut i = from;
    while i < to {
        let k = lines[i].key();
        if k.is_empty() {
            i += 1;
            continue;
        }
        // The longest label starting here (a box's text after its bracket fragments).
        let mut best: Option<(usize, usize, usize, Vec<usize>)> = None;
        plan.candidates(k, &mut candidates);
        for &m in &candidates {
            let Some((len, last, at)) = mark_at(lines, i, to, &plan.marks[m]) else { continue };
            match &mut best {
                Some((bl, _, _, ms)) if *bl == len => ms.push(m),
                Some((bl, _, _, _)) if *bl > len => {}
                _ => best = Some((len, last, at, vec![m])),
            }
        }
        let (line, rest, next) = match best {
            Some((_, last, at, ms)) => {
                out.labels.push((i, ms));
                (last, &lines[last].key()[at..], last + 1)
            }
            None => (i, k, i + 1),
        };
        let here = i;
        i = next;
        let Some(r) = answer_or_mark(rest, &plan.options) else { continue };
        if r == "○" && best_is_none(&out, here) {
            out.marks.push(here);
        } else if !r.is_empty() && plan.options.contains(&r) && !numbered_after(lines, line, to, &r, plan) {
            out.answers.push((line, r));
        }
    }
    out
}

/// Where `mark` is found at line `i` (key not empty): the length of its key found, the
/// line it ends on and the byte of that line's key after it.
fn mark_at(lines: &[Line], i: usize, to: usize, mark: &Mark) -> Option<(usize, usize, usize)> {
    let k = lines[i].key();
    if mark.is_box {
        let bare = k.trim_start_matches(['[', ']', '○']);
        ((bare.len() < k.len() && bare.starts_with(mark.keys[0].as_str())) || k == mark.keys[0]).then(|| (mark.keys[0].len(), i, k.len() - bare.len() + mark.keys[0].len()))
    } else {
        mark.keys.iter().find_map(|l| label_at(lines, i, l, to).map(|h| (l.len(), h.last, lines[h.last].key().char_indices().nth(h.col).map_or(lines[h.last].key().len(), |(b, _)| b))))
    }
}

fn best_is_none(scan: &Scan, i: usize) -> bool {
    scan.labels.last().is_none_or(|(l, _)| *l != i)
}

/// An option printed as an item of its list with its number after it (pdftotext puts
/// `1)` on the line of the answer's closing bracket: `特に力を入れている` / `] 1)`): the
/// next line that is not blank is `N)` (after a bracket) and the option is item N of
/// one of the form's lists.
fn numbered_after(lines: &[Line], line: usize, to: usize, option: &str, plan: &Plan) -> bool {
    let Some(next) = (line + 1..to).find(|&j| !lines[j].key().is_empty()) else { return false };
    let k = lines[next].key().trim_start_matches(']');
    let Some(n) = k.strip_suffix(')').and_then(|d| d.parse::<usize>().ok()) else { return false };
    plan.questions.iter().any(|q| q.option_keys.get(n.wrapping_sub(1)).is_some_and(|o| o == option))
}

/// The boxes: read, written into `body` where found, and their ticks returned (by
/// index of `plan.boxes`).
#[allow(clippy::too_many_arguments)]
fn boxes(plan: &Plan, lines: &[Line], from: usize, to: usize, scan: &Scan, answers: usize, slots: usize, body: &mut Map<String, Value>, warnings: &mut Vec<Warning>, provenance: &mut BTreeMap<String, [usize; 2]>) -> Vec<Option<bool>> {
    let all = &plan.boxes;
    let n = all.len();
    let mut reads = BoxReads::new(n);
    // Box lines read with the box text below them: no detached marks.
    let mut paired: Vec<usize> = Vec::new();
    for (i, l) in lines.iter().enumerate().take(to).skip(from) {
        let k = l.key();
        // Each box's text where a bracket or a mark is just before it.
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for (b, bx) in all.iter().enumerate() {
            if let Some(p) = after_bracket_plain(k, &bx.text) {
                hits.push((p, b));
            }
        }
        if hits.is_empty() {
            // The box's text alone on its line, its whole box (`[ ○ ］`, `[］`) alone on
            // the line above: that box's state (pdftotext prints a row's cells so).
            let Some(b) = all.iter().position(|bx| bx.text == k) else { continue };
            let above = (from..i).rev().find(|&j| !lines[j].key().is_empty());
            if let Some(j) = above.filter(|&j| whole_box(lines[j].key())) {
                reads.line_of[b] = Some(i);
                reads.state[b] = Some(lines[j].key().contains('○'));
                paired.push(j);
            }
            continue;
        }
        reads.read(i, k, &mut hits, all);
    }
    let line_of = &reads.line_of;
    let mut value = reads.values();
    let mut unresolved: Vec<usize> = (0..n).filter(|&b| line_of[b].is_some() && value[b].is_none()).collect();
    // Opt-out boxes are not ticked when the answers found fill every question the
    // ticked ones leave.
    let blanked: usize = (0..n).filter(|&b| value[b] == Some(true)).map(|b| all[b].blanks.len()).sum();
    if slots > 0 && answers + blanked >= slots && scan.marks.iter().any(|m| !paired.contains(m)) {
        unresolved.retain(|&b| {
            let opt_out = !all[b].blanks.is_empty();
            if opt_out {
                value[b] = Some(false);
            }
            !opt_out
        });
    }
    let marks = scan.marks.iter().filter(|m| !paired.contains(m)).count();
    let ambiguous = marks > 0 && marks != unresolved.len();
    for (k, &b) in unresolved.iter().enumerate() {
        value[b] = Some(k < marks);
    }
    for b in 0..n {
        let (Some(line), Some(v)) = (line_of[b], value[b]) else { continue };
        let path = &all[b].path;
        set(body, path, Value::Bool(v));
        provenance.insert(path.clone(), [line, line]);
        warnings.retain(|w| !(w.path == *path && matches!(w.code.as_str(), "not_found" | "ambiguous_checkbox")));
        if ambiguous && unresolved.contains(&b) {
            warnings.push(Warning {
                path: path.clone(),
                code: "ambiguous_checkbox".into(),
                message: format!("{marks} detached ○ mark(s) for {} boxes whose bracket is drawn apart from the label", unresolved.len()),
            });
        }
    }
    value
}

/// A whole box alone on a line: `[`, an optional `○`, `]`.
fn whole_box(k: &str) -> bool {
    let inner = k.strip_prefix('[').and_then(|r| r.strip_suffix(']'));
    inner.is_some_and(|m| m.is_empty() || m == "○")
}

#[cfg(test)]
mod tests {
    use super::{answer_or_mark, applies_unindexed, mark_at, residue, settle, Plan, Settle};
    use crate::engine::index;
    use crate::form::FormSet;
    use crate::reassemble::lines_of;
    use crate::record::Warning;
    use serde_json::{json, Map, Value};
    use std::collections::BTreeMap;

    fn run(text: &str, how: Settle, body: Value, warnings: Vec<Warning>) -> (Value, Vec<(String, String)>, BTreeMap<String, [usize; 2]>) {
        let set = FormSet::builtin();
        let form = set.form_for("kiso", Some("2019-01")).expect("kiso form").0;
        let lines = lines_of(text);
        let mut body: Map<String, Value> = serde_json::from_value(body).expect("a body");
        let mut warnings = warnings;
        let mut provenance = BTreeMap::new();
        settle(form, &set.common, &lines, 0, lines.len(), how, &mut body, &mut warnings, &mut provenance);
        (Value::Object(body), warnings.into_iter().map(|w| (w.code, w.path)).collect(), provenance)
    }

    fn label(v: &Value) -> Option<&str> {
        v["label"].as_str()
    }

    /// A made-up Ⅳ printed column by column (pdfminer's shape): the questions of a part,
    /// then brackets and answers, some of them a part later; the boxes' brackets and
    /// their ○ apart from their texts; the audit row as pdftotext prints it.
    #[test]
    fn column_order_answers_in_order_boxes_by_marks() {
        let text = "Ⅳ　リスク対策\n２．特定個人情報の入手（情報提供ネットワークシステムを通じた入手を除く。）\n目的外の入手が行われるリスクへの対策は十分か [\n十分である\n\
            ３．特定個人情報の使用\n目的を超えた紐付け、事務に必要のない情報との紐付けが行われるリスクへの対策は十分か\n権限のない者（元職員、アクセス権限のない職員等）によって不正に使用されるリスクへの対策は十分か\n\
            ４．特定個人情報ファイルの取扱いの委託\n委託先における不正な使用等のリスクへの対策は十分か\n[\n課題が残されている\n十分である\n\
            ５．特定個人情報の提供・移転（委託や情報提供ネットワークシステムを通じた提供を除く。）\n不正な提供・移転が行われるリスクへの対策は十分か\n[\n十分である\n\
            ６．情報提供ネットワークシステムとの接続\n［\n］接続しない（入手）\n目的外の入手が行われるリスクへの対策は十分か [\n十分である\n不正な提供が行われるリスクへの対策は十分か\n\
            ７．特定個人情報の保管・消去\n特定個人情報の漏えい・滅失・毀損リスクへの対策は十分か\n[\n十分である\n十分である\n]\n＜選択肢＞\n1) 特に力を入れている\n2) 十分である\n3) 課題が残されている\n\
            ［\n○\n］委託しない\n［\n］提供・移転しない\n］接続しない（提供）\n８．監査\n[ ○ ］\n自己点検\n[ ○ ］\n内部監査\n[］\n外部監査\n";
        // The engine's zones: a confident wrong answer, a box it did not find.
        let body = json!({"risk": {"use_linkage": {"code": 2, "label": "十分である"}, "outsourcing": {"not_outsourced": null, "misuse": {"code": 2, "label": "十分である"}}}});
        let warned = vec![Warning { path: "risk.outsourcing.not_outsourced".into(), code: "not_found".into(), message: String::new() }];
        let (b, w, prov) = run(text, Settle::All, body, warned);
        let r = &b["risk"];
        // Seven answers for the seven questions left open, given in order (they differ: said).
        assert_eq!(label(&r["acquisition"]), Some("十分である"), "{b}");
        assert_eq!(label(&r["use_linkage"]), Some("課題が残されている"), "{b}");
        for q in ["use_unauthorized", "storage"] {
            assert_eq!(label(&r[q]), Some("十分である"), "{q}: {b}");
        }
        for (p, q) in [("provision", "misuse"), ("network", "acquisition"), ("network", "provision")] {
            assert_eq!(label(&r[p][q]), Some("十分である"), "{p}.{q}: {b}");
        }
        assert!(w.contains(&("uncertain_order".into(), "risk.use_linkage".into())), "{w:?}");
        // One ○ drawn alone for the four boxes whose bracket is apart: the first, said.
        assert_eq!(r["outsourcing"]["not_outsourced"], json!(true));
        assert_eq!(r["outsourcing"]["misuse"], Value::Null);
        assert_eq!((r["provision"]["not_provided"].clone(), r["network"]["no_acquisition"].clone(), r["network"]["no_provision"].clone()), (json!(false), json!(false), json!(false)));
        assert!(w.contains(&("ambiguous_checkbox".into(), "risk.outsourcing.not_outsourced".into())), "{w:?}");
        assert!(!w.iter().any(|(c, p)| c == "not_found" && p == "risk.outsourcing.not_outsourced"), "{w:?}");
        // Each audit box below its own whole box: read, no doubt.
        assert_eq!((r["audit"]["self_inspection"].clone(), r["audit"]["internal_audit"].clone(), r["audit"]["external_audit"].clone()), (json!(true), json!(true), json!(false)));
        assert!(!w.iter().any(|(_, p)| p.starts_with("risk.audit")), "{w:?}");
        // Provenance: the answer's line as printed.
        assert_eq!(prov.get("risk.use_linkage"), Some(&[10, 10]));
    }

    /// A drawing-order dump (pdf-extract): each answer printed in its question's part.
    /// Settled only when every answer is placed so.
    #[test]
    fn drawing_order_answers_given_only_when_placed() {
        let text = "Ⅳ　リスク対策\n２．特定個人情報の入手（情報提供ネットワークシステムを通じた入手を除く。）\n目的外の入手が行われるリスクへの対策は十分か [ 十分である ]\n\
            ３．特定個人情報の使用\n[ 課題が残されている ]\n[ 十分である ]\n４．特定個人情報ファイルの取扱いの委託 ［ ○ ］委託しない\n[ ]\n\
            ５．特定個人情報の提供・移転（委託や情報提供ネットワークシステムを通じた提供を除く。） ［ ］提供・移転しない\n[ 十分である ]\n\
            ［ ］接続しない（入手） ［ ］接続しない（提供）\n目的外の入手が行われるリスクへの対策は十分か [ 十分である ]\n不正な提供が行われるリスクへの対策は十分か [ 十分である ]\n\
            ７．特定個人情報の保管・消去\n[ 十分である ]\n";
        // The engine's reading of the reordered dump: two answers swapped, said.
        let body = json!({"risk": {"use_linkage": {"code": 2, "label": "十分である"}, "outsourcing": {"not_outsourced": true, "misuse": null}, "provision": {"not_provided": false, "misuse": {"code": 3, "label": "課題が残されている"}}}});
        let warned = vec![Warning { path: "risk.use_linkage".into(), code: "uncertain_order".into(), message: String::new() }];
        let (b, w, _) = run(text, Settle::Placed, body.clone(), warned.clone());
        let r = &b["risk"];
        assert_eq!(label(&r["use_linkage"]), Some("課題が残されている"), "{b}");
        assert_eq!(label(&r["use_unauthorized"]), Some("十分である"), "{b}");
        assert_eq!(label(&r["provision"]["misuse"]), Some("十分である"), "{b}");
        assert_eq!(label(&r["storage"]), Some("十分である"), "{b}");
        assert_eq!(r["outsourcing"]["misuse"], Value::Null);
        assert!(w.is_empty(), "{w:?}");
        // An answer printed in the part of an opted-out question: not placed, nothing changes.
        let moved = text.replace("[ 課題が残されている ]\n[ 十分である ]\n４．特定個人情報ファイルの取扱いの委託 ［ ○ ］委託しない\n", "[ 十分である ]\n４．特定個人情報ファイルの取扱いの委託 ［ ○ ］委託しない\n[ 課題が残されている ]\n");
        let (b2, w2, _) = run(&moved, Settle::Placed, body.clone(), warned);
        assert_eq!(b2, body);
        assert_eq!(w2, vec![("uncertain_order".to_string(), "risk.use_linkage".to_string())]);
    }

    /// Texts to try the fast paths on: the sample dump, three generated ones (Calc and
    /// Word drawing orders), and the made-up column and drawing orders above.
    fn texts() -> Vec<String> {
        let mut texts = crate::test_texts::sample_and_generated();
        texts.push(
            "［\n○\n］委託しない\n[ ○ ］\n自己点検\n[］\n外部監査\n○委託しない\n]]委託しない\n委託しない\n[ ○ ］委託しない [\n＜選択肢＞\n1) 特に力を入れている\n2) 十分である\n[ 十分である ]\n十分[で]ある\n".to_string(),
        );
        texts
    }

    /// perf: `scan` tries at a line only the marks `Plan::candidates` gives; every mark
    /// found there by trying all of them is among those (in order, each once), for every
    /// line of the texts and every form.
    #[test]
    fn candidates_hold_every_mark_found_at_a_line() {
        let set = FormSet::builtin();
        let (mut tried, mut found) = (0, 0);
        let mut candidates = Vec::new();
        for text in texts() {
            let lines = lines_of(&text);
            for form in &set.forms {
                let plan = &index(form, &set.common).settling;
                for i in (0..lines.len()).filter(|&i| !lines[i].key().is_empty()) {
                    plan.candidates(lines[i].key(), &mut candidates);
                    assert!(candidates.windows(2).all(|w| w[0] < w[1]), "{candidates:?}");
                    for (m, mark) in plan.marks.iter().enumerate() {
                        let hit = mark_at(&lines, i, lines.len(), mark);
                        assert!(hit.is_none() || candidates.contains(&m), "line {i} {:?}: mark {:?} found, not a candidate", lines[i].raw(), mark.keys);
                        tried += 1;
                        found += usize::from(hit.is_some());
                    }
                }
            }
        }
        assert!(tried > 100_000 && found > 300, "{tried} tried, {found} found");
    }

    /// perf: `answer_or_mark` says what `residue` leaves when it is an answer or a mark,
    /// on every line of the texts and on made-up keys.
    #[test]
    fn answer_or_mark_equals_the_residue() {
        let set = FormSet::builtin();
        let mut keys: Vec<String> = texts().iter().flat_map(|t| lines_of(t).iter().map(|l| l.key().to_string()).collect::<Vec<_>>()).collect();
        let made_up = ["", "○", "[○]", "[ ○", "]", "[]", "十分である", "[十分である]", "十分[で]ある", "2)十分である", "<選択肢>1)特に力を入れている2)十分である", "<選択肢>[十分である]", "十分である)", "3)未定", "[1)十分である]", "[]○", "[○", "○]]"];
        keys.extend(made_up.iter().map(|k| crate::normalize::key(k)));
        let (mut some, mut compared) = (0, 0);
        for form in &set.forms {
            let options = &index(form, &set.common).settling.options;
            let mut all = keys.clone();
            all.extend(options.iter().flat_map(|o| [o.clone(), format!("[{o}]"), format!("[{o}"), format!("{o}]]"), format!("{o}x")]));
            for k in &all {
                let r = residue(k, options);
                let plain = (r == "○" || options.binary_search(&r).is_ok()).then_some(r);
                assert_eq!(answer_or_mark(k, options), plain, "{k:?}");
                some += usize::from(plain.is_some());
                compared += 1;
            }
        }
        assert!(some > 200 && compared > 10_000, "{some} answers or marks of {compared}");
    }

    /// `residue` as it was first written (a copy, brackets taken out by characters, an
    /// option looked for after every `)`).
    fn residue_plain(k: &str, options: &[String]) -> String {
        let s = k.replace("<選択肢>", "");
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(pos) = rest.find(')') {
            let head = &rest[..pos];
            let digits = head.chars().rev().take_while(char::is_ascii_digit).count();
            let after = &rest[pos + 1..];
            let option = options.iter().filter(|o| !o.is_empty() && after.starts_with(o.as_str())).map(String::len).max();
            match (digits > 0, option) {
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
        out.retain(|c| !matches!(c, '[' | ']'));
        out
    }

    /// perf: `residue` equals its first plain form on every line of the texts and on
    /// made-up keys (numbers, brackets and `<選択肢>` in every place).
    #[test]
    fn residue_equals_its_plain_form() {
        let set = FormSet::builtin();
        let mut keys: Vec<String> = texts().iter().flat_map(|t| lines_of(t).iter().map(|l| l.key().to_string()).collect::<Vec<_>>()).collect();
        let made_up = ["", ")", "1)", "a1)十分である", "(1)十分である", "別添1)十分である", "12)十分である]", "1)2)十分である", "[1)十分である]", "<選択肢><選択肢>", "<選<選択肢>択肢>", "1)十分である3)課題が残されている)", "１）十分である", "[[]]", "十分[で]ある<"];
        keys.extend(made_up.iter().map(|k| k.to_string()));
        let (mut changed, mut compared) = (0, 0);
        for form in &set.forms {
            let options = &index(form, &set.common).settling.options;
            for k in &keys {
                let plain = residue_plain(k, options);
                assert_eq!(residue(k, options), plain, "{k:?}");
                changed += usize::from(plain != *k);
                compared += 1;
            }
        }
        assert!(changed > 1_000 && compared > 10_000, "{changed} changed of {compared}");
    }

    /// The plan kept in the form's index: its parts' ranks are their places in the form's
    /// order of parts, and whether it applies is as the walk alone says (a form not read
    /// yet).
    #[test]
    fn plan_ranks_and_applies_as_made_plainly() {
        let set = FormSet::builtin();
        let mut applying = 0;
        for form in &set.forms {
            let plan = Plan::of(form, &set.common, &index(form, &set.common).list_keys);
            for mark in &plan.marks {
                assert_eq!(mark.rank, plan.parts.iter().position(|p| *p == mark.part).unwrap_or(usize::MAX), "{:?}", mark.keys);
            }
            assert_eq!(plan.applies(), applies_unindexed(form), "{}", form.id);
            assert_eq!(index(form, &set.common).settling.applies(), plan.applies(), "{}", form.id);
            applying += usize::from(plan.applies());
        }
        assert!(applying > 0);
    }
}
