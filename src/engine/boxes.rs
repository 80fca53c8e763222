//! Check boxes whose label the zones did not find, read where their own text is printed.
//!
//! A drawing-order dump (pdf-extract) may draw a row of boxes apart from its item's
//! label: `［ ４．特定個人情報ファイルの取扱いの委託` with its box `］委託しない` lines
//! away, `］　内部監査 [` with its opener elsewhere and its ○ alone on a line `[ ○`.
//! The zone reading then finds no label and leaves the box null. Each box is still
//! recognisable by its text (the field's `after`) printed just after a bracket, so:
//! - a bracket before the text on its line says the state (`[ ○ ］自己点検`: ticked);
//! - a `［` left open at the end of a box's line opens the next box of its row (`in`);
//! - an opt-out box whose questions are all answered is not ticked;
//! - the boxes still unknown share the ○ marks drawn alone: as many marks as boxes, all
//!   ticked; no mark, none; else in order, with an `ambiguous_checkbox` warning.
//!
//! Driven by the form description only (box fields, `after`, `in`, `opt_out`); boxes
//! inside repeated blocks are left to their zones.

use super::get;
use crate::form::{join, Field, FieldType, Form, Node};
use crate::normalize::key;
use crate::reassemble::Line;
use crate::record::Warning;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A top-level box of the form: its full path, its row (the path of the row's first
/// box) and the questions its tick leaves blank.
pub(super) struct BoxField {
    pub(super) path: String,
    pub(super) row: String,
    pub(super) text: String,
    /// Whether its text holds a bracket or a mark ([`BRACKETS`]): looked for otherwise then.
    pub(super) bracketed: bool,
    /// The questions its tick leaves blank (full paths).
    pub(super) blanks: Vec<String>,
}

impl BoxField {
    /// The box field `f` of the section `section` whose fields are `fields`; `None`
    /// for a box without a printed text to find it by.
    pub(super) fn of<'a>(f: &Field, section: &str, fields: impl Iterator<Item = &'a Field>) -> Option<BoxField> {
        let text = f.after.as_deref().map(key).filter(|t| !t.is_empty())?;
        let blanks = fields.filter(|q| q.opt_out.iter().any(|o| *o == f.path)).map(|q| join(section, &q.path)).collect();
        let row = join(section, f.within.as_deref().unwrap_or(&f.path));
        let bracketed = text.contains(BRACKETS);
        Some(BoxField { path: join(section, &f.path), row, text, bracketed, blanks })
    }
}

/// What the lines say of each box (by index of its list): the line its text is on,
/// its state read from the bracket before its text, and its state read from a bracket
/// left open at the end of the line before (the next box of its row).
pub(super) struct BoxReads {
    pub(super) line_of: Vec<Option<usize>>,
    pub(super) state: Vec<Option<bool>>,
    pub(super) opened: Vec<Option<bool>>,
}

impl BoxReads {
    pub(super) fn new(n: usize) -> BoxReads {
        BoxReads { line_of: vec![None; n], state: vec![None; n], opened: vec![None; n] }
    }

    /// Read line `i` (key `k`), on which the boxes `hits` (place of the text, box) are
    /// found, not empty.
    pub(super) fn read(&mut self, i: usize, k: &str, hits: &mut [(usize, usize)], all: &[BoxField]) {
        hits.sort();
        let mut prev_end = 0;
        for &(p, b) in hits.iter() {
            let seg = &k[prev_end.min(p)..p];
            self.line_of[b] = Some(i);
            if seg.contains('[') {
                self.state[b] = Some(seg.contains('○'));
            }
            prev_end = p + all[b].text.len();
        }
        // `］　内部監査 [`: a bracket left open after the line's last box opens the next
        // box of the same row.
        let last = hits[hits.len() - 1].1;
        let trailing = k[prev_end.min(k.len())..].split(|c: char| c.is_alphanumeric() && c != '○').next().unwrap_or("");
        if trailing.contains('[') {
            if let Some(next) = (last + 1..all.len()).find(|&b| all[b].row == all[last].row) {
                self.opened[next] = Some(trailing.contains('○'));
            }
        }
    }

    /// Each box's value from its own bracket, else from the one left open before it.
    pub(super) fn values(&self) -> Vec<Option<bool>> {
        self.state.iter().zip(&self.opened).map(|(s, o)| s.or(*o)).collect()
    }
}

fn boxes(nodes: &[Node], section: &str, out: &mut Vec<BoxField>) {
    let fields: Vec<&Field> = nodes.iter().filter_map(|n| if let Node::Field(f) = n { Some(f) } else { None }).collect();
    for n in nodes {
        match n {
            Node::Section(s) => boxes(&s.nodes, &join(section, &s.path), out),
            Node::Field(f) if f.ty == FieldType::Box => out.extend(BoxField::of(f, section, fields.iter().copied())),
            _ => {}
        }
    }
}

/// What the body lines say of the form's boxes, read once for both passes
/// ([`fill_ticked`] then [`fill`] over the same lines): the line scan depends on the
/// lines and the form only, not on what the passes fill (perf, #16: each read every
/// line again).
#[derive(Default)]
pub struct BoxLines {
    /// The reads and the count of ○ marks drawn alone; `None` until a pass needs them.
    read: Option<(BoxReads, usize)>,
}

/// Fill the boxes of `form` that the zone reading left null with a `not_found`
/// warning, from the body lines `from..to`. `scanned`: the lines' reads shared with
/// [`fill_ticked`] over the same lines.
#[allow(clippy::too_many_arguments)]
pub fn fill(form: &Form, lines: &[Line], from: usize, to: usize, body: &mut Map<String, Value>, warnings: &mut Vec<Warning>, provenance: &mut BTreeMap<String, [usize; 2]>, scanned: &mut BoxLines) {
    fill_with(form, lines, from, to, body, warnings, provenance, false, scanned);
}

/// [`fill`] for the boxes printed ticked (`[ ○ ］委託しない`) only: run before the
/// choices drawn apart are given in order, so a ticked opt-out's question takes no answer.
#[allow(clippy::too_many_arguments)]
pub fn fill_ticked(form: &Form, lines: &[Line], from: usize, to: usize, body: &mut Map<String, Value>, warnings: &mut Vec<Warning>, provenance: &mut BTreeMap<String, [usize; 2]>, scanned: &mut BoxLines) {
    fill_with(form, lines, from, to, body, warnings, provenance, true, scanned);
}

/// What may stand just before a box's text: its bracket, or the mark inside it.
const BRACKETS: [char; 3] = ['[', ']', '○'];

/// The first place of `text` on the key `k` with a bracket or a mark just before it;
/// `starts` are the places just after each bracket of `k`. Looked up at those places
/// only (a substring search per box and line was most of a 基礎 read's time, #16).
/// Same answer as [`after_bracket_plain`]: a match of a text without brackets cannot
/// overlap an earlier match across the bracket before it.
/// `bracketed`: whether `text` holds one of them (known once per box, [`BoxField::bracketed`]).
fn after_bracket(k: &str, starts: &[usize], text: &str, bracketed: bool) -> Option<usize> {
    if bracketed {
        return after_bracket_plain(k, text);
    }
    starts.iter().copied().find(|&p| k[p..].starts_with(text))
}

/// The places just after each bracket or mark ([`BRACKETS`]) of `k`, in order. perf: a
/// vectorized byte search (`○` is E2 97 8B, and E2 in UTF-8 always starts a character:
/// many keys hold others, `①`, `Ⅳ`, `※`), not a walk over the key's characters.
fn bracket_ends(k: &str) -> impl Iterator<Item = usize> + '_ {
    let b = k.as_bytes();
    memchr::memchr3_iter(b'[', b']', 0xE2, b).filter_map(move |q| match b[q] {
        0xE2 => b[q..].starts_with("○".as_bytes()).then_some(q + "○".len()),
        _ => Some(q + 1),
    })
}

/// [`after_bracket`] by a plain search: the text's matches, the first with a bracket before it.
pub(super) fn after_bracket_plain(k: &str, text: &str) -> Option<usize> {
    k.match_indices(text).map(|(p, _)| p).find(|&p| k[..p].ends_with(BRACKETS))
}

#[allow(clippy::too_many_arguments)]
fn fill_with(form: &Form, lines: &[Line], from: usize, to: usize, body: &mut Map<String, Value>, warnings: &mut Vec<Warning>, provenance: &mut BTreeMap<String, [usize; 2]>, ticked_only: bool, scanned: &mut BoxLines) {
    // perf: the form's boxes are listed once, in its index (made by the reading before).
    let walked;
    let all: &[BoxField] = match form.index.get() {
        Some(index) => index.settling.boxes(),
        None => {
            let mut all = Vec::new();
            boxes(&form.body, "", &mut all);
            walked = all;
            &walked
        }
    };
    // A box the version does not print is null without a warning; printed anyway
    // (drawn apart from its item's label), it is read as the others are.
    let missing: Vec<bool> = all
        .iter()
        .map(|b| get(body, &b.path).is_none_or(Value::is_null) && (!form.has(&b.path) || warnings.iter().any(|w| w.path == b.path && w.code == "not_found")))
        .collect();
    if !missing.contains(&true) {
        return;
    }
    let n = all.len();
    let (reads, marks) = scanned.read.get_or_insert_with(|| read_lines(all, lines, from, to));
    let (reads, marks) = (&*reads, *marks);
    let BoxReads { line_of, state, .. } = reads;
    let mut value = reads.values();
    // An opt-out box is not ticked when every question it would blank is answered.
    let answered = |p: &str| get(body, p).is_some_and(|v| !v.is_null());
    for b in 0..n {
        if line_of[b].is_some() && value[b].is_none() && !all[b].blanks.is_empty() && all[b].blanks.iter().all(|q| answered(q)) {
            value[b] = Some(false);
        }
    }
    let unresolved: Vec<usize> = (0..n).filter(|&b| line_of[b].is_some() && value[b].is_none()).collect();
    let ambiguous = marks != unresolved.len() && marks > 0;
    for (k, &b) in unresolved.iter().enumerate() {
        value[b] = Some(k < marks);
    }
    for b in 0..n {
        let (Some(line), Some(v)) = (line_of[b], value[b]) else { continue };
        let path = &all[b].path;
        if !missing[b] || (ticked_only && state[b] != Some(true)) {
            continue;
        }
        super::set(body, path, Value::Bool(v));
        provenance.insert(path.clone(), [line, line]);
        warnings.retain(|w| !(w.path == *path && w.code == "not_found"));
        if ambiguous && unresolved.contains(&b) {
            warnings.push(Warning {
                path: path.clone(),
                code: "ambiguous_checkbox".into(),
                message: format!("{marks} detached ○ mark(s) for {} boxes whose bracket is drawn apart from the label", unresolved.len()),
            });
        }
        // A ticked opt-out leaves its questions blank.
        if v {
            for q in &all[b].blanks {
                super::set(body, q, Value::Null);
                provenance.remove(q);
                // Blank by the form's design: not a value that was not found.
                warnings.retain(|w| !(w.path == *q && w.code == "not_found"));
            }
        }
    }
}

/// The boxes `all` read on the lines `from..to`, and the ○ marks drawn alone there.
fn read_lines(all: &[BoxField], lines: &[Line], from: usize, to: usize) -> (BoxReads, usize) {
    let to = to.min(lines.len());
    let mut reads = BoxReads::new(all.len());
    let mut marks = 0;
    let mut starts: Vec<usize> = Vec::new();
    for (i, l) in lines.iter().enumerate().take(to).skip(from) {
        let k = l.key();
        // Where a box's text may start: just after a bracket or a mark. Most lines have
        // none, and then no box is on them (the ○ drawn alone needs one too).
        starts.clear();
        starts.extend(bracket_ends(k));
        if starts.is_empty() {
            continue;
        }
        // Each box's text where a bracket or a mark is just before it.
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for (b, bx) in all.iter().enumerate() {
            if let Some(p) = after_bracket(k, &starts, &bx.text, bx.bracketed) {
                hits.push((p, b));
            }
        }
        if hits.is_empty() {
            // A ○ drawn alone (`[ ○`): the mark of a box whose text is elsewhere.
            if k.contains('○') && k.chars().all(|c| matches!(c, '[' | ']' | '○')) {
                marks += 1;
            }
            continue;
        }
        reads.read(i, k, &mut hits, all);
    }
    (reads, marks)
}

#[cfg(test)]
mod tests {
    use super::{after_bracket, after_bracket_plain, fill, fill_ticked, BoxLines, BRACKETS};
    use crate::form::FormSet;
    use crate::reassemble::Line;
    use crate::record::Warning;
    use serde_json::{json, Map, Value};
    use std::collections::BTreeMap;

    #[test]
    fn after_bracket_equals_the_plain_search() {
        let keys = ["［○］委託する［］委託しない", "委託しない]委託しない", "[[委託", "]○]○", "○○○", "自己点検[○]自己点検", "[ab[ab", "", "[", "委託しない"];
        let texts = ["委託しない", "委託", "○", "]○", "自己点検", "ab", "a", "[a"];
        for k in keys {
            let k = crate::normalize::key(k);
            let starts: Vec<usize> = k.match_indices(BRACKETS).map(|(q, c)| q + c.len()).collect();
            for t in texts {
                assert_eq!(after_bracket(&k, &starts, t, t.contains(BRACKETS)), after_bracket_plain(&k, t), "{k:?} {t:?}");
            }
        }
        // Some of them are found at all (the test compares answers, not two Nones).
        assert_eq!(after_bracket("[○]委託しない", &[1, 4, 5], "委託しない", false), Some(5));
    }

    /// perf: `bracket_ends` finds what a search for the characters finds.
    #[test]
    fn bracket_ends_equal_the_character_search() {
        let keys = ["［○］委託する［］委託しない", "①事務の名称", "Ⅳ　リスク対策 [ ○ ］", "※○―…", "", "[", "○", "a]b[c○d", "]○]○", "自己点検[○]自己点検"];
        let mut found = 0;
        for k in keys {
            let k = crate::normalize::key(k);
            let plain: Vec<usize> = k.match_indices(BRACKETS).map(|(q, c)| q + c.len()).collect();
            assert_eq!(super::bracket_ends(&k).collect::<Vec<_>>(), plain, "{k:?}");
            found += plain.len();
        }
        assert!(found > 15, "{found}");
    }

    /// The boxes the index lists (the column pass's plan) are those the walk here lists,
    /// for every form.
    #[test]
    fn indexed_boxes_equal_the_walk() {
        let set = FormSet::builtin();
        let mut listed = 0;
        for form in &set.forms {
            let mut walked = Vec::new();
            super::boxes(&form.body, "", &mut walked);
            let fields = |all: &[super::BoxField]| all.iter().map(|b| (b.path.clone(), b.row.clone(), b.text.clone(), b.bracketed, b.blanks.clone())).collect::<Vec<_>>();
            assert_eq!(fields(crate::engine::index(form, &set.common).settling.boxes()), fields(&walked), "{}", form.id);
            listed += walked.len();
        }
        assert!(listed > 10, "{listed}");
    }

    #[test]
    fn boxes_drawn_apart_read_by_their_text_brackets_and_marks() {
        let set = FormSet::builtin();
        let (form, _) = set.form_for("kiso", Some("2019-01")).expect("the 平成31年1月 基礎 form");
        let texts = ["］　内部監査 [", " [ ○ ］　自己点検", "］委託しない", "］　外部監査", "[ ○", "自己点検の結果を報告する"];
        let lines: Vec<Line> = texts.iter().map(|t| Line::of(t)).collect();
        let mut body: Map<String, Value> = serde_json::from_value(json!({"risk": {"outsourcing": {"misuse": {"code": 2, "label": "十分である"}}}})).unwrap();
        let mut warnings: Vec<Warning> = ["risk.audit.self_inspection", "risk.audit.internal_audit", "risk.audit.external_audit", "risk.outsourcing.not_outsourced", "risk.provision.not_provided"]
            .iter()
            .map(|p| Warning { path: p.to_string(), code: "not_found".into(), message: String::new() })
            .collect();
        let mut provenance = BTreeMap::new();
        fill(form, &lines, 0, lines.len(), &mut body, &mut warnings, &mut provenance, &mut super::BoxLines::default());
        let risk = &body["risk"];
        // Its own bracket; opened by the line before; the one ○ alone; an answered opt-out.
        assert_eq!(risk["audit"]["self_inspection"], json!(true));
        assert_eq!(risk["audit"]["external_audit"], json!(false));
        assert_eq!(risk["audit"]["internal_audit"], json!(true));
        assert_eq!(risk["outsourcing"]["not_outsourced"], json!(false));
        // Not printed: still not found.
        assert!(risk.get("provision").is_none());
        let left: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(left, vec!["risk.provision.not_provided"]);
        assert_eq!(provenance.get("risk.audit.self_inspection"), Some(&[1, 1]));
    }

    /// perf: both passes sharing one read of the lines fill what each reading them
    /// again fills (the body between them changed as `fill_by_type` may change it).
    #[test]
    fn shared_line_reads_equal_reading_again() {
        let set = FormSet::builtin();
        let (form, _) = set.form_for("kiso", Some("2019-01")).expect("the 平成31年1月 基礎 form");
        let texts = ["］　内部監査 [", " [ ○ ］　自己点検", "[ ○ ］委託しない", "］　外部監査", "[ ○", "］提供・移転しない", "自己点検の結果を報告する"];
        let lines: Vec<Line> = texts.iter().map(|t| Line::of(t)).collect();
        let paths = ["risk.audit.self_inspection", "risk.audit.internal_audit", "risk.audit.external_audit", "risk.outsourcing.not_outsourced", "risk.provision.not_provided"];
        let run = |shared: bool| {
            let mut body: Map<String, Value> = Map::new();
            let mut warnings: Vec<Warning> = paths.iter().map(|p| Warning { path: p.to_string(), code: "not_found".into(), message: String::new() }).collect();
            let mut provenance = BTreeMap::new();
            let mut scanned = BoxLines::default();
            fill_ticked(form, &lines, 0, lines.len(), &mut body, &mut warnings, &mut provenance, &mut scanned);
            // What a pass between them may fill: an answer an opt-out box would blank.
            crate::engine::set(&mut body, "risk.provision.misuse", json!({"code": 2, "label": "十分である"}));
            let mut again = BoxLines::default();
            fill(form, &lines, 0, lines.len(), &mut body, &mut warnings, &mut provenance, if shared { &mut scanned } else { &mut again });
            (Value::Object(body), warnings.iter().map(|w| (w.path.clone(), w.code.clone())).collect::<Vec<_>>(), provenance)
        };
        let (shared, again) = (run(true), run(false));
        assert_eq!(shared, again);
        // The ticked box is filled (the test compares reads, not two empty bodies).
        assert_eq!(shared.0["risk"]["outsourcing"]["not_outsourced"], json!(true), "{:?}", shared.0);
    }
}
