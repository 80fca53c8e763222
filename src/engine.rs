//! The form engine: reads any described form ([`crate::form`]) from lines in reading
//! order (a PDF's rebuilt layout, a mirror site's text, a dump whose cells come in
//! order). Zones first, then fields (as GROBID does): the sections are found by their
//! headings, repeated blocks by the lines that open them, and inside each zone every
//! field's label is looked for in form order; a field's value is what lies between its
//! label and the next label found, read by the field's type.

use crate::extras::{Claim, ClaimKind};
use crate::form::{BoxSpec, Choice, Common, Field, FieldType, Form, Node};
use crate::normalize::{after_key_prefix, join_cell_lines, key, parse_date, text_value, text_value_in, Empties};
use crate::reassemble::Line;
use crate::record::Warning;
use regex::Regex;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

mod boxes;
mod column_answers;
mod jumble;
mod provenance;
mod typed;
pub use boxes::fill as fill_boxes;
pub use boxes::BoxLines;
pub use boxes::fill_ticked as fill_ticked_boxes;
pub use column_answers::{applies as settles_answers, settle as settle_answers, Settle};
pub use jumble::{unjumble, unjumble_traced, values_after_labels};
pub use typed::fill as fill_by_type;

/// What the engine read: the record's body, with warnings and provenance.
pub struct Output {
    pub body: Map<String, Value>,
    pub warnings: Vec<Warning>,
    pub provenance: BTreeMap<String, [usize; 2]>,
    /// The lines read as headings, block openers and labels (for [`crate::extras`]).
    pub claims: Vec<Claim>,
}

/// A field's zone: from `col` key characters into line `start` up to line `end` (exclusive).
#[derive(Clone, Copy, Debug)]
struct Region {
    start: usize,
    col: usize,
    end: usize,
}

/// Where a label was found: the line it starts on, the line it ends on, and how many
/// key characters of that last line it takes.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Hit {
    line: usize,
    last: usize,
    col: usize,
}

struct Reader<'a> {
    lines: &'a [Line],
    common: &'a Common,
    form: &'a Form,
    /// The keys of the body's section headings (made once: every text line is tested).
    heading_keys: &'a [String],
    /// The common empty marks, keyed once (every text field is tested).
    empties: Empties,
    /// The form's label keys, made once per form.
    index: &'a FormIndex,
    warnings: Vec<Warning>,
    provenance: BTreeMap<String, [usize; 2]>,
    claims: Vec<Claim>,
    /// Lines that end any zone they fall in (extra items the form does not describe).
    stops: &'a [usize],
    /// Pass 1 of [`Reader::read_nodes`] by (nodes, from, to): the same for any stops,
    /// so kept from the first read for the second (with stops).
    anchors: std::collections::HashMap<(usize, usize, usize), std::rc::Rc<Vec<Option<Found>>>>,
    /// The lines by their first character, made on the first label looked for.
    starts: std::rc::Rc<std::cell::OnceCell<LineStarts>>,
}

/// [`label_keys`]: the full keys, then the bare ones.
type LabelKeys = (Vec<String>, Vec<String>);

/// What the engine derives from a form's description alone, made once per loaded form
/// ([`index`]) rather than on every read (issue #12).
pub struct FormIndex {
    /// [`label_keys`] of each list of labels of the form (a field's labels, a heading, a
    /// block's opener), by the list's address: the lists belong to the form, which is
    /// never changed once loaded.
    label_keys: std::collections::HashMap<(usize, usize), LabelKeys>,
    /// The form's labels as the unjumble pass matches them.
    defs: jumble::Defs,
    /// The keys of the body's section headings.
    heading_keys: Vec<String>,
    /// Where a text read out of its zone ends ([`typed::text_ends`]).
    text_ends: Vec<String>,
    /// The same sorted, for [`prefixes_of`].
    text_ends_sorted: Vec<String>,
    /// Where a text ends inside its zone ([`text_stops`]).
    text_stops: Vec<String>,
    /// [`crate::extras::known_labels`] of the form, with their matchers.
    pub(crate) known_labels: crate::extras::KnownLabels,
    /// The keys of each check-box group's labels, in the group's order.
    box_keys: std::collections::HashMap<String, Vec<String>>,
    /// What [`column_answers::settle`] reads of the form.
    settling: column_answers::Plan,
    /// The keys of each option list's labels, in the list's order (a choice compares
    /// every option; keyed once here, not on every read).
    list_keys: std::collections::HashMap<String, Vec<String>>,
    /// [`typed::answer_options`] of the form.
    answer_options: Vec<String>,
}

impl std::fmt::Debug for FormIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FormIndex({} label lists)", self.label_keys.len())
    }
}

fn address(labels: &[String]) -> (usize, usize) {
    (labels.as_ptr() as usize, labels.len())
}

impl FormIndex {
    fn of(form: &Form, common: &Common) -> FormIndex {
        fn walk(nodes: &[Node], out: &mut std::collections::HashMap<(usize, usize), LabelKeys>) {
            for n in nodes {
                let mut add = |labels: &[String]| {
                    out.entry(address(labels)).or_insert_with(|| label_keys(labels));
                };
                match n {
                    Node::Section(s) => {
                        add(&s.heading);
                        walk(&s.nodes, out);
                    }
                    Node::Block(b) => {
                        add(std::slice::from_ref(&b.start));
                        if let Some(t) = &b.title_field {
                            add(&t.label);
                        }
                        walk(&b.nodes, out);
                    }
                    Node::Field(f) => add(&f.label),
                    Node::Heading(h) => add(&h.heading),
                }
            }
        }
        let mut label_keys = std::collections::HashMap::new();
        walk(&form.body, &mut label_keys);
        let heading_keys = form.body.iter().filter_map(|n| if let Node::Section(s) = n { Some(s.heading.iter().map(|h| key(h))) } else { None }).flatten().collect();
        let text_ends = typed::text_ends(form);
        let text_stops = text_stops(&text_ends);
        let mut text_ends_sorted = text_ends.clone();
        text_ends_sorted.sort();
        text_ends_sorted.dedup();
        let box_keys = common.groups.iter().map(|(g, boxes)| (g.clone(), boxes.iter().map(|b| key(&b.label)).collect())).collect();
        let list_keys = common.lists.iter().map(|(l, options)| (l.clone(), options.iter().map(|o| key(&o.label)).collect())).collect();
        let known_labels = crate::extras::KnownLabels::of(crate::extras::known_labels(form));
        let answer_options = typed::answer_options(form, &list_keys);
        let settling = column_answers::Plan::of(form, common, &list_keys);
        FormIndex { label_keys, defs: jumble::defs(form, common), heading_keys, text_ends, text_ends_sorted, text_stops, known_labels, box_keys, settling, list_keys, answer_options }
    }

    /// The label keys of a list of the form's labels (made here for a list that is not
    /// the form's).
    fn keys<'a>(&'a self, labels: &[String]) -> std::borrow::Cow<'a, LabelKeys> {
        match self.label_keys.get(&address(labels)) {
            Some(k) => std::borrow::Cow::Borrowed(k),
            None => std::borrow::Cow::Owned(label_keys(labels)),
        }
    }
}

/// Label keys (fields, headings, sections, date labels) that end a text when a line
/// starts with one: a drawing-order dump may put another item's label inside a text's
/// zone (Ⅱ's `いつ時点の計数か` under Ⅰ's `③システムの名称`), and a label is never
/// part of a value. Keys of 5 characters or more only: a short one (`請求先`) may
/// start a line of an answer.
fn text_stops(labels: &[String]) -> Vec<String> {
    let mut out: Vec<String> = labels.iter().filter(|l| l.chars().count() >= 5).cloned().collect();
    // Sorted: read by [`prefixes_of`].
    out.sort();
    out.dedup();
    out
}

/// The labels of `labels` (sorted, none empty) that `k` starts with. perf: a line is
/// tested against hundreds of labels; only those sharing its first character are
/// compared, found by a binary search.
///
/// The labels are sorted by bytes, so by their first characters (UTF-8 orders as code
/// points); perf: the search and the run compare first characters, not strings (a
/// string compare is a `memcmp` call per step, on every line).
pub(crate) fn prefixes_of<'l>(labels: &'l [String], k: &'l str) -> impl Iterator<Item = &'l String> + 'l {
    let first = k.chars().next();
    let first_of = |l: &String| l.chars().next();
    let from = match first {
        Some(c) => labels.partition_point(|l| first_of(l) < Some(c)),
        None => labels.len(),
    };
    labels[from..].iter().take_while(move |l| first_of(l) == first).filter(move |l| k.starts_with(l.as_str()))
}

/// The [`FormIndex`] of `form` (whose shared lists are `common`), made on first use.
pub(crate) fn index<'a>(form: &'a Form, common: &Common) -> &'a FormIndex {
    form.index.get_or_init(|| FormIndex::of(form, common))
}

/// Read the body of `form` from `lines[from..to]` (the cover and the change pages are
/// outside that range).
pub fn read(form: &Form, common: &Common, lines: &[Line], from: usize, to: usize) -> Output {
    read_with_stops(form, common, lines, from, to, &[])
}

/// [`read`], with zones also ending at the lines `stops` (sorted).
pub fn read_with_stops(form: &Form, common: &Common, lines: &[Line], from: usize, to: usize, stops: &[usize]) -> Output {
    let mut r = Reader::new(form, common, lines, stops);
    r.read_body(from, to)
}

/// [`read`] whose zones also end at lines found from where the form's items are
/// printed: `stops_of` gets the claims (the lines read as headings, openers and labels,
/// as [`Output::claims`]) and gives the stops (sorted) and what else it found. Where
/// there are stops the body is read again, but where the labels are does not depend on
/// the stops, so they are not looked for again (issue #12).
pub fn read_with_stops_of<T>(form: &Form, common: &Common, lines: &[Line], from: usize, to: usize, stops_of: impl FnOnce(&[Claim]) -> (Vec<usize>, T)) -> (Output, T) {
    let mut first = Reader::new(form, common, lines, &[]);
    let out = first.read_body(from, to);
    let (stops, found) = stops_of(&out.claims);
    if stops.is_empty() {
        return (out, found);
    }
    let mut r = Reader::new(form, common, lines, &stops);
    r.anchors = first.anchors;
    r.starts = first.starts;
    (r.read_body(from, to), found)
}

/// The 項目一覧 page lists every section heading: the body starts after it.
pub(crate) fn skip_index(lines: &[Line], from: usize, to: usize, common: &Common, form: &Form) -> usize {
    let index = key(&common.index_heading);
    let Some(i) = (from..to).find(|&i| lines[i].key() == index) else { return from };
    let headings: Vec<String> = form.body.iter().filter_map(|n| if let Node::Section(s) = n { Some(s.heading.iter().map(|h| key(h))) } else { None }).flatten().collect();
    // The list ends at the first line that is no heading, or at a heading listed
    // already: the body's first section may follow the list directly.
    let mut seen: Vec<&str> = Vec::new();
    let mut j = i + 1;
    while j < to {
        let k = lines[j].key();
        let listed = k.is_empty() || headings.iter().any(|h| h.starts_with(k) || k.starts_with(h.as_str())) || k.starts_with("(別添") || k.starts_with("別添");
        if !listed || (!k.is_empty() && seen.contains(&k)) {
            break;
        }
        seen.push(k);
        j += 1;
    }
    j
}

/// Does a label (key) start at line `i`? Labels wrapped by a narrow cell continue on
/// the next lines. perf: inlined, so the quick test below runs in the caller's loop over
/// lines × labels without a call for each pair.
#[inline]
fn label_at(lines: &[Line], i: usize, label: &str, to: usize) -> Option<Hit> {
    let k = lines[i].key();
    // perf: tried for every line and label. Each way a label can start here (the line
    // starts with it, with its head, or with a part of it) puts the label's first
    // character first on the line, so a line that starts otherwise is no hit.
    if !same_first_char(k, label) || !shares_a_label_head(k, label) {
        return None;
    }
    label_at_line(lines, i, label, to)
}

/// Whether `k` can start `label` in any of the ways [`label_at`] knows: each needs the
/// whole label at the line's start, or a shared start of 4+ characters (the line a
/// prefix of the label: 4+; the label's head before a wrapped tail or beside a bracket:
/// 8+). perf: most lines sharing a label's first characters part from it soon after.
fn shares_a_label_head(k: &str, label: &str) -> bool {
    let mut n = k.bytes().zip(label.bytes()).take_while(|(a, b)| a == b).count();
    if n == label.len() {
        return true;
    }
    while !label.is_char_boundary(n) {
        n -= 1;
    }
    label[..n].chars().nth(3).is_some()
}

/// [`label_at`] without its quick tests.
fn label_at_line(lines: &[Line], i: usize, label: &str, to: usize) -> Option<Hit> {
    let k = lines[i].key();
    if k.starts_with(label) {
        return Some(Hit { line: i, last: i, col: label.chars().count() });
    }
    if let Some(h) = tail_at_line_end(k, label, i) {
        return Some(h);
    }
    if let Some(h) = wrapped_beside_bracket(lines, i, label, to) {
        return Some(h);
    }
    // perf: the cheap prefix test first; counting characters is for the few that pass.
    if !label.starts_with(k) || k.chars().count() < 4 {
        return None;
    }
    let mut acc = k.len();
    let mut j = i + 1;
    while j < to && j <= i + 3 {
        let kj = lines[j].key();
        let rest = &label[acc..];
        if kj.starts_with(rest) {
            return Some(Hit { line: i, last: j, col: rest.chars().count() });
        }
        // The label's last word (`か`) wrapped below the row's other cells, after a
        // blank line: what is on its lines is the label (a long question of 8+ characters).
        if kj.is_empty() && rest.chars().count() <= LABEL_TAIL && label[..acc].chars().count() >= 8 {
            return Some(Hit { line: i, last: j - 1, col: lines[j - 1].key().chars().count() });
        }
        if kj.is_empty() || !rest.starts_with(kj) {
            break;
        }
        acc += kj.len();
        j += 1;
    }
    wrapped_around_value(lines, i, j, &label[acc..], label[..acc].chars().count(), to)
}

/// A label whose cell wrapped around its row's value cell (a tool that prints a row's
/// cells line by line: `…特定個人情` / `［ 発生なし ］ ＜選択肢＞` / `報に関する…発生したか`,
/// or the tail `続` a few lines below): the label's head ends at line `j - 1`, and its
/// `rest` opens one of the next lines, after a line holding a bracket (the value).
/// The zone starts after the head, so the bracket is read; the rest of the label is
/// text no bracket holds.
fn wrapped_around_value(lines: &[Line], i: usize, j: usize, rest: &str, head_chars: usize, to: usize) -> Option<Hit> {
    if rest.is_empty() || head_chars < 8 || j == i {
        return None;
    }
    let mut bracket = false;
    for n in j..to.min(j + 4) {
        let k = lines[n].key();
        if bracket && (k.starts_with(rest) || (rest.chars().count() <= LABEL_TAIL && k == rest)) {
            return Some(Hit { line: i, last: j - 1, col: lines[j - 1].key().chars().count() });
        }
        bracket |= k.contains('[');
    }
    None
}

/// Does `k` start with the first character of `label`? (True for an empty label, which
/// every line starts with.)
fn same_first_char(k: &str, label: &str) -> bool {
    let n = label.chars().next().map_or(0, char::len_utf8);
    k.as_bytes().get(..n) == Some(&label.as_bytes()[..n])
}

/// `s` without its first `n` characters (a key after the label it starts with).
fn skip_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or("", |(b, _)| &s[b..])
}

/// How many characters of a label may have wrapped away from it (a cell's last word).
const LABEL_TAIL: usize = 2;

/// A label whose last word (one or two characters) wrapped and was printed at the end
/// of its line, after the row's other cells (a sort by position puts the cell's second
/// line after them: `６．…との接 ［ ］接続しない（入手）… 続`).
fn tail_at_line_end(k: &str, label: &str, i: usize) -> Option<Hit> {
    // perf: tried for every line and label, so the cheap tests come first and nothing
    // is allocated: the line must be longer than the label and start with its head.
    if k.len() <= label.len() {
        return None;
    }
    label.char_indices().rev().map(|(b, _)| b).take(LABEL_TAIL).find_map(|at| {
        let (head, tail) = label.split_at(at);
        (k.starts_with(head) && k.ends_with(tail) && head.chars().count() >= 8).then(|| Hit { line: i, last: i, col: head.chars().count() })
    })
}

/// A row whose label cell wrapped while its answer's bracket sits beside the label's
/// first line (a tool printing a table row line by line: `…特定個人情 [ 発生なし ] ＜選択肢＞`
/// / `報に関する重大事故が発生したか 1) …`): the label starts at line `i`; its zone starts
/// at the bracket, so the answer is read, and the label's rest, on the next line, is
/// text no bracket holds.
fn wrapped_beside_bracket(lines: &[Line], i: usize, label: &str, to: usize) -> Option<Hit> {
    let k = lines[i].key();
    let b = k.find('[')?;
    let head = &k[..b];
    if b >= label.len() || !label.starts_with(head) || head.chars().count() < 8 || i + 1 >= to {
        return None;
    }
    lines[i + 1].key().starts_with(&label[b..]).then(|| Hit { line: i, last: i, col: head.chars().count() })
}

/// The label keys of a field or heading, longest first (so `所属長の役職名` wins over
/// `所属長`), then the same without their printed numbering (a renumbered item).
fn label_keys(labels: &[String]) -> (Vec<String>, Vec<String>) {
    let mut full: Vec<String> = labels.iter().map(|l| key(l)).collect();
    full.sort_by_key(|k| std::cmp::Reverse(k.len()));
    let mut bare: Vec<String> = full.iter().map(|k| strip_number(k).to_string()).filter(|b| !full.contains(b) && b.chars().count() >= 3).collect();
    bare.dedup();
    (full, bare)
}

/// A key without its leading item number (`①`, `1.`, `III` (a key's Ⅲ), `(1)`).
fn strip_number(k: &str) -> &str {
    match number_end(k) {
        // A Roman numeral (NFKC makes Ⅲ into III) only before the item's words.
        Some(end) if k[end..].chars().next().is_some_and(|c| !c.is_ascii()) => &k[end..],
        _ => k,
    }
}

/// Where a key's leading item number ends: the end of the regex
/// `^(?:[①-⑳]|[0-9]{1,2}\.|\([0-9]{1,2}\)|[IVX]{1,4})`'s match (its branches start with
/// different characters, so at most one applies). perf: read by hand, not by the regex
/// (`number_end_equals_the_regex`).
fn number_end(k: &str) -> Option<usize> {
    let b = k.as_bytes();
    let digits_from = |at: usize| b.get(at..).map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).take(3).count());
    match k.chars().next()? {
        c @ '①'..='⑳' => Some(c.len_utf8()),
        '0'..='9' => {
            let n = digits_from(0);
            (n <= 2 && b.get(n) == Some(&b'.')).then_some(n + 1)
        }
        '(' => {
            let n = digits_from(1);
            ((1..=2).contains(&n) && b.get(1 + n) == Some(&b')')).then_some(n + 2)
        }
        'I' | 'V' | 'X' => Some(b.iter().take(4).take_while(|c| matches!(c, b'I' | b'V' | b'X')).count()),
        _ => None,
    }
}

/// The first hit in `from..to` of a field's label keys ([`label_keys`]): the full
/// labels on any line first, then the bare ones.
fn find_keys(lines: &[Line], from: usize, to: usize, (full, bare): &(Vec<String>, Vec<String>)) -> Option<Hit> {
    for set in [full, bare] {
        for i in from..to {
            if let Some(h) = set.iter().find_map(|l| label_at(lines, i, l, to)) {
                return Some(h);
            }
        }
    }
    None
}

/// The first character of each line's key: a label starts only on a line whose key
/// starts with the label's first character ([`label_at`]), so a label is tried on those
/// lines alone, found by a scan of these numbers (perf: each field's labels were tried
/// on every line from the cursor on, most of a body's lines for each field).
struct LineStarts {
    /// The first character of line `i`'s key, or [`NO_CHAR`] for an empty key.
    first: Vec<u32>,
}

/// No character's number: [`LineStarts`]' mark of an empty key.
const NO_CHAR: u32 = u32::MAX;

impl LineStarts {
    fn of(lines: &[Line]) -> LineStarts {
        LineStarts { first: lines.iter().map(|l| l.key().chars().next().map_or(NO_CHAR, u32::from)).collect() }
    }

    /// The first hit in `from..to` of any of `labels`, the first of them that starts
    /// on that line: `(from..to).find_map(|i| labels.iter().find_map(|l| label_at(lines, i, l, to)))`.
    fn find(&self, lines: &[Line], from: usize, to: usize, labels: &[String]) -> Option<Hit> {
        // An empty label starts on every line.
        if labels.iter().any(String::is_empty) {
            return (from..to).find_map(|i| labels.iter().find_map(|l| label_at(lines, i, l, to)));
        }
        let mut best: Option<Hit> = None;
        for l in labels {
            let Some(c) = l.chars().next().map(u32::from) else { continue };
            // A later label wins only on an earlier line.
            let end = best.map_or(to, |h| h.line).min(self.first.len());
            let mut i = from;
            while i < end {
                let Some(n) = self.first[i..end].iter().position(|&d| d == c) else { break };
                i += n;
                if let Some(h) = label_at(lines, i, l, to) {
                    best = Some(h);
                    break;
                }
                i += 1;
            }
        }
        best
    }
}

/// The first line of a node, to end the zone of whatever comes before it.
fn first_labels(node: &Node) -> Option<&[String]> {
    match node {
        Node::Section(s) => Some(&s.heading),
        Node::Block(b) => Some(std::slice::from_ref(&b.start)),
        Node::Field(f) if f.within.is_none() && !f.label.is_empty() => Some(&f.label),
        Node::Heading(h) => Some(&h.heading),
        Node::Field(_) => None,
    }
}

/// Is line `i` the opening line of a block element? Returns the text after the opener.
fn block_start(line: &Line, start: &str, numbered: bool) -> Option<String> {
    let k = line.key();
    let rest = k.strip_prefix(start)?;
    let n = if numbered {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        start.chars().count() + digits
    } else {
        start.chars().count()
    };
    Some(after_key_prefix(&line.raw(), n).trim().to_string())
}

/// What pass 1 found for a node: a label, or a block's openers and end, or a section's
/// heading and end.
enum Found {
    Field(Hit),
    Heading(Hit),
    Block(Vec<(usize, String)>, usize),
    Section(Hit, usize),
}

impl<'a> Reader<'a> {
    fn new(form: &'a Form, common: &'a Common, lines: &'a [Line], stops: &'a [usize]) -> Reader<'a> {
        let index = index(form, common);
        Reader {
            lines,
            common,
            form,
            heading_keys: &index.heading_keys,
            empties: Empties::of(&common.empty_values),
            index,
            warnings: Vec::new(),
            provenance: BTreeMap::new(),
            claims: Vec::new(),
            stops,
            anchors: Default::default(),
            starts: Default::default(),
        }
    }

    /// Read the body from `lines[from..to]`.
    fn read_body(&mut self, from: usize, to: usize) -> Output {
        let mut body = Map::new();
        let from = skip_index(self.lines, from, to, self.common, self.form);
        let form = self.form;
        self.read_nodes(&form.body, from, to, "", "", &mut body);
        Output { body, warnings: std::mem::take(&mut self.warnings), provenance: std::mem::take(&mut self.provenance), claims: std::mem::take(&mut self.claims) }
    }

    /// The label keys of a form's labels (see [`label_keys`]), made once per form.
    fn keys(&self, labels: &'a [String]) -> std::borrow::Cow<'a, LabelKeys> {
        self.index.keys(labels)
    }

    /// [`find_keys`] of a form's labels, with their keys made once, tried on the lines
    /// starting with their first characters ([`LineStarts`]).
    fn find(&self, from: usize, to: usize, labels: &'a [String]) -> Option<Hit> {
        let keys = self.keys(labels);
        let (full, bare) = &*keys;
        let starts = self.starts.get_or_init(|| LineStarts::of(self.lines));
        starts.find(self.lines, from, to, full).or_else(|| starts.find(self.lines, from, to, bare))
    }

    fn warn(&mut self, path: &str, code: &str, message: String) {
        self.warnings.push(Warning { path: path.to_string(), code: code.to_string(), message });
    }

    /// Pass 1 of [`Reader::read_nodes`]: where each of `nodes` is printed in `from..to`.
    fn anchors_of(&self, nodes: &'a [Node], from: usize, to: usize) -> Vec<Option<Found>> {
        let lines = self.lines;
        let mut found: Vec<Option<Found>> = Vec::with_capacity(nodes.len());
        let mut cursor = from;
        for (n, node) in nodes.iter().enumerate() {
            let f = match node {
                Node::Field(f) if f.within.is_some() || f.ty == FieldType::Zone => None,
                Node::Field(f) => match self.find(cursor, to, &f.label) {
                    Some(h) => Some(Found::Field(h)),
                    // Drawn out of form order (a producer's drawing order): anywhere in
                    // the zone on a line no other label took, without moving on.
                    None => {
                        let taken: Vec<usize> = found.iter().flatten().filter_map(|f| if let Found::Field(h) = f { Some(h.line) } else { None }).collect();
                        let keys = self.keys(&f.label);
                        let h = (from..cursor.min(to)).find_map(|i| {
                            if taken.contains(&i) {
                                return None;
                            }
                            find_keys(lines, i, i + 1, &keys)
                        });
                        h.map(|h| Found::Field(h))
                    }
                },
                Node::Heading(h) => self.find(cursor, to, &h.heading).map(Found::Heading),
                Node::Section(s) => self.find(cursor, to, &s.heading).map(|h| {
                    // A section runs to the next section's heading.
                    let end = nodes[n + 1..]
                        .iter()
                        .filter_map(|m| if let Node::Section(s2) = m { Some(s2) } else { None })
                        .find_map(|s2| self.find(h.last + 1, to, &s2.heading))
                        .map_or(to, |x| x.line);
                    Found::Section(h, end)
                }),
                Node::Block(b) => {
                    let start_keys = self.keys(std::slice::from_ref(&b.start));
                    let start = &start_keys.0[0];
                    let first = (cursor..to).find(|&i| block_start(&lines[i], start, b.numbered).is_some());
                    first.map(|first| {
                        // The block ends where the next item of the form that is printed begins.
                        let end = nodes[n + 1..]
                            .iter()
                            .filter_map(first_labels)
                            .find_map(|l| self.find(first + 1, to, l))
                            .map_or(to, |h| h.line);
                        let starts: Vec<(usize, String)> = (first..end).filter_map(|i| block_start(&lines[i], start, b.numbered).map(|t| (i, t))).collect();
                        Found::Block(starts, end)
                    })
                }
            };
            if let Some(f) = &f {
                cursor = match f {
                    Found::Field(h) if h.line < cursor => cursor,
                    Found::Field(h) | Found::Heading(h) => h.last,
                    Found::Block(_, end) | Found::Section(_, end) => *end,
                };
            }
            found.push(f);
        }
        found
    }

    /// Read `nodes` from lines `from..to` into `out`. `path` is the JSON path of `out`
    /// (with indexes), `schema` the same with `[]` (for the version's `absent` list).
    fn read_nodes(&mut self, nodes: &'a [Node], from: usize, to: usize, path: &str, schema: &str, out: &mut Map<String, Value>) {
        let lines = self.lines;
        // Pass 1: anchors in form order.
        let at = (nodes.as_ptr() as usize, from, to);
        let found = match self.anchors.get(&at) {
            Some(f) => f.clone(),
            None => {
                let f = std::rc::Rc::new(self.anchors_of(nodes, from, to));
                self.anchors.insert(at, f.clone());
                f
            }
        };
        // Hook for extras: the lines the form's items took.
        for (node, f) in nodes.iter().zip(found.iter()) {
            let claim = |h: &Hit, kind, path: String| Claim { first: h.line, last: h.last, kind, path };
            match (node, f) {
                (Node::Field(fd), Some(Found::Field(h))) => self.claims.push(claim(h, ClaimKind::Label, crate::form::join(path, &fd.path))),
                (_, Some(Found::Heading(h))) => self.claims.push(claim(h, ClaimKind::Label, String::new())),
                (_, Some(Found::Section(h, _))) => self.claims.push(claim(h, ClaimKind::Section, String::new())),
                (Node::Block(b), Some(Found::Block(starts, _))) => {
                    let array = crate::form::join(path, &b.path);
                    self.claims.extend(starts.iter().enumerate().map(|(k, (l, _))| Claim { first: *l, last: *l, kind: ClaimKind::Block, path: format!("{array}[{k}]") }));
                }
                _ => {}
            }
        }
        // Anchor lines in order: a field's zone ends at the next anchor.
        let mut anchors: Vec<usize> = found
            .iter()
            .flatten()
            .map(|f| match f {
                Found::Field(h) | Found::Heading(h) => h.line,
                Found::Block(s, _) => s.first().map_or(to, |x| x.0),
                Found::Section(h, _) => h.line,
            })
            .collect();
        anchors.extend(self.stops.iter().copied().filter(|&s| s >= from && s < to));
        anchors.sort_unstable();
        let next_anchor = |line: usize| anchors.iter().copied().find(|&a| a > line).unwrap_or(to).min(to);
        // Pass 2: values.
        let mut regions: BTreeMap<String, Region> = BTreeMap::new();
        let mut pending: Vec<(usize, Option<Region>)> = Vec::new();
        for (n, node) in nodes.iter().enumerate() {
            match (node, &found[n]) {
                (Node::Field(f), Some(Found::Field(h))) => {
                    let region = Region { start: h.last, col: h.col, end: next_anchor(h.line).max(h.last + 1) };
                    regions.insert(f.path.clone(), region);
                    pending.push((n, Some(self.text_region(f, region))));
                }
                (Node::Field(f), None) if f.ty == FieldType::Zone => pending.push((n, Some(Region { start: from, col: 0, end: to }))),
                (Node::Field(_), _) => pending.push((n, None)),
                (Node::Section(s), found) => {
                    let p = crate::form::join(path, &s.path);
                    let sp = crate::form::join(schema, &s.path);
                    // Read into what is already there: a later section may join an
                    // array an earlier one filled (Ⅲ's blocks to Ⅱ's files).
                    let mut sub = if s.path.is_empty() {
                        std::mem::take(out)
                    } else {
                        // Taken, not cloned: the emptied object keeps its key's place
                        // in `out` until `set` below puts the section back there.
                        take_object(out, &s.path)
                    };
                    if let Some(Found::Section(h, end)) = found {
                        self.read_nodes(&s.nodes, h.last + 1, *end, &p, &sp, &mut sub);
                    } else {
                        // Not printed: every field null, each missing one said once.
                        self.read_nodes(&s.nodes, to, to, &p, &sp, &mut sub);
                    }
                    if s.path.is_empty() {
                        *out = sub;
                    } else {
                        set(out, &s.path, Value::Object(sub));
                    }
                }
                (Node::Block(b), found) => {
                    let starts: &[(usize, String)] = match found {
                        Some(Found::Block(s, _)) => s,
                        _ => &[],
                    };
                    let end = match found {
                        Some(Found::Block(_, e)) => *e,
                        _ => to,
                    };
                    let array_path = crate::form::join(path, &b.path);
                    let array_schema = format!("{}[]", crate::form::join(schema, &b.path));
                    let mut elements = Vec::new();
                    for (k, (line, title)) in starts.iter().enumerate() {
                        let stop = starts.get(k + 1).map_or(end, |x| x.0);
                        let mut el = Map::new();
                        if let Some(t) = &b.title {
                            // The title beside the opener, or (one cell per line) on the next line.
                            let own_line = *line + 1 < stop && title.is_empty() && {
                                let next = &lines[*line + 1];
                                !next.key().is_empty() && !is_furniture_key(&next.key()) && !b.nodes.iter().filter_map(first_labels).any(|l| self.find(*line + 1, *line + 2, l).is_some())
                            };
                            let title = if own_line { lines[*line + 1].raw().trim().to_string() } else { title.clone() };
                            el.insert(t.clone(), text_value_in(&title, &self.empties).map_or(Value::Null, Value::String));
                        }
                        let index = match &b.join_on {
                            Some(_) => elements.len(),
                            None => k,
                        };
                        self.read_nodes(&b.nodes, *line, stop, &format!("{array_path}[{index}]"), &array_schema, &mut el);
                        elements.push(Value::Object(el));
                    }
                    match &b.join_on {
                        Some(on) => self.join_blocks(out, &b.path, &array_path, on, elements),
                        None => merge_into(out, &b.path, Value::Array(elements)),
                    }
                }
                (Node::Heading(_), _) => {}
            }
        }
        // Fields read inside another field's zone take that zone.
        let mut missing: Vec<usize> = Vec::new();
        for (n, region) in pending {
            let Node::Field(f) = &nodes[n] else { continue };
            let region = region.or_else(|| f.within.as_ref().and_then(|w| regions.get(w).copied()));
            let full = crate::form::join(path, &f.path);
            let schema_path = crate::form::join(schema, &f.path);
            if !self.form.has(&schema_path) && region.is_none() {
                self.put(out, f, Value::Null, None);
                continue;
            }
            match region {
                Some(r) => {
                    let v = self.value(f, r, &full);
                    if let Some(l) = provenance::value_lines(self.lines, f, r, &v) {
                        self.provenance.insert(full.clone(), l);
                    }
                    self.put(out, f, v, Some(r));
                }
                None => {
                    self.put(out, f, Value::Null, None);
                    if !f.optional {
                        missing.push(n);
                    }
                }
            }
        }
        // A ticked opt-out box leaves its questions blank: no value, no warning.
        let ticked = |out: &Map<String, Value>, p: &str| get(out, p).and_then(Value::as_bool) == Some(true);
        for (n, node) in nodes.iter().enumerate() {
            let Node::Field(f) = node else { continue };
            if f.opt_out.iter().any(|o| ticked(out, o)) {
                self.put(out, f, Value::Null, None);
                self.provenance.remove(&crate::form::join(path, &f.path));
                missing.retain(|&m| m != n);
            }
        }
        self.null_optional_parts(nodes, out);
        for n in missing {
            if let Node::Field(f) = &nodes[n] {
                let full = crate::form::join(path, &f.path);
                let what = f.label.first().or(f.after.as_ref()).cloned().unwrap_or_default();
                self.warn(&full, "not_found", format!("「{what}」 not found"));
            }
        }
    }

    /// A part headed `【任意】` (重点 Ⅴ2, Ⅴ3) that was not carried out prints its items
    /// blank: the part is `null` as a whole (juten-schema.md), not an object of nulls.
    fn null_optional_parts(&self, nodes: &[Node], out: &mut Map<String, Value>) {
        for (n, node) in nodes.iter().enumerate() {
            let Node::Heading(h) = node else { continue };
            if !h.heading.iter().any(|l| l.contains("【任意】")) {
                continue;
            }
            // The part: the fields up to the next heading, all under one object.
            let paths: Vec<&str> = nodes[n + 1..].iter().map_while(|m| if let Node::Field(f) = m { Some(f.path.as_str()) } else { None }).collect();
            let Some(part) = paths.first().and_then(|p| p.rsplit_once('.')).map(|(a, _)| a) else { continue };
            if !paths.iter().all(|p| p.rsplit_once('.').is_some_and(|(a, _)| a == part)) {
                continue;
            }
            let blank = match get(out, part) {
                Some(Value::Object(m)) => m.values().all(Value::is_null),
                _ => false,
            };
            if blank {
                set(out, part, Value::Null);
            }
        }
    }

    /// Write a field's value (and its siblings: `_text` of dates and check groups).
    fn put(&self, out: &mut Map<String, Value>, f: &Field, v: Value, _r: Option<Region>) {
        match f.ty {
            FieldType::Date if f.with_text => {
                let (iso, text) = match &v {
                    Value::Object(m) => (m.get("iso").cloned().unwrap_or(Value::Null), m.get("text").cloned().unwrap_or(Value::Null)),
                    _ => (Value::Null, Value::Null),
                };
                set(out, &f.path, iso);
                set(out, &format!("{}_text", f.path), text);
            }
            FieldType::Date => {
                let iso = match &v {
                    Value::Object(m) => m.get("iso").cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                set(out, &f.path, iso);
            }
            FieldType::Checks => {
                let group = self.group(f);
                let (boxes, texts) = match &v {
                    Value::Array(a) if a.len() == 2 => (a[0].clone(), a[1].clone()),
                    _ => {
                        let nulls: Map<String, Value> = group.iter().map(|b| (b.key.clone(), Value::Null)).collect();
                        let tnulls: Map<String, Value> = group.iter().filter(|b| takes_text(b)).map(|b| (b.key.clone(), Value::Null)).collect();
                        (Value::Object(nulls), Value::Object(tnulls))
                    }
                };
                set(out, &f.path, boxes);
                if group.iter().any(takes_text) {
                    set(out, &format!("{}_text", f.path), texts);
                }
            }
            _ => set(out, &f.path, v),
        }
    }

    /// A section heading printed again at the top of a page (a file's second page).
    /// A text's zone ends at a line starting another item's label (see [`text_stops`]);
    /// other zones are kept whole.
    fn text_region(&self, f: &Field, r: Region) -> Region {
        if !matches!(f.ty, FieldType::String | FieldType::Text) {
            return r;
        }
        // The field's own label keys, keyed once per form (the full keys are all of them).
        let own = self.index.keys(&f.label);
        let foreign = |k: &str| prefixes_of(&self.index.text_stops, k).any(|l| !own.0.contains(l));
        let end = (r.start + 1..r.end.min(self.lines.len())).find(|&i| foreign(&self.lines[i].key())).unwrap_or(r.end);
        Region { end, ..r }
    }

    fn is_section_heading(&self, raw: &str) -> bool {
        self.is_heading_key(&key(raw))
    }

    /// [`Self::is_section_heading`] of a line's key.
    fn is_heading_key(&self, k: &str) -> bool {
        !k.is_empty() && self.heading_keys.iter().any(|h| k.starts_with(h.as_str()) || (h.starts_with(k) && k.chars().count() >= 6))
    }

    fn group(&self, f: &Field) -> &'a [BoxSpec] {
        f.list.as_deref().and_then(|g| self.common.groups.get(g)).map_or(&[], Vec::as_slice)
    }

    fn list(&self, f: &Field) -> &'a [Choice] {
        f.list.as_deref().and_then(|g| self.common.lists.get(g)).map_or(&[], Vec::as_slice)
    }

    /// The keys of [`Self::list`]'s options, in its order.
    fn list_keys(&self, f: &Field) -> &'a [String] {
        f.list.as_deref().and_then(|g| self.index.list_keys.get(g)).map_or(&[], Vec::as_slice)
    }

    /// The raw text lines of a region (the first one after its label).
    fn raw_lines(&self, r: Region) -> Vec<&'a str> {
        (r.start..r.end.min(self.lines.len()))
            .map(|i| if i == r.start { after_key_prefix(&self.lines[i].raw(), r.col) } else { self.lines[i].raw() })
            .collect()
    }

    /// The keys of a region's lines, joined by `\n`.
    fn key_text(&self, r: Region) -> String {
        let mut s = String::new();
        for i in r.start..r.end.min(self.lines.len()) {
            let k = self.lines[i].key();
            if i == r.start {
                s.push_str(skip_chars(k, r.col));
            } else {
                s.push('\n');
                s.push_str(k);
            }
        }
        s
    }

    fn value(&mut self, f: &Field, r: Region, full: &str) -> Value {
        match f.ty {
            FieldType::String | FieldType::Text | FieldType::Zone => {
                // perf: a whole line's key is made already; only the first line (after its label) is keyed again.
                let kept: Vec<&str> = self
                    .raw_lines(r)
                    .into_iter()
                    .enumerate()
                    .filter(|&(n, l)| if n == 0 { !is_furniture(l) && !self.is_section_heading(l) } else { let k = self.lines[r.start + n].key(); !is_furniture_key(k) && !self.is_heading_key(k) })
                    .map(|(_, l)| l)
                    .collect();
                let mut kept = kept;
                if let Some(first) = kept.first_mut() {
                    *first = first.trim_start().trim_start_matches('※').trim_start();
                }
                let mut text = join_cell_lines(&kept);
                // A label that opens a bracket (`（手数料額、納付方法：`) is closed after its value.
                if f.label.iter().any(|l| l.starts_with('（') && !l.contains('）')) {
                    let trimmed = text.trim_end();
                    text = trimmed.strip_suffix('）').or_else(|| trimmed.strip_suffix(')')).unwrap_or(trimmed).to_string();
                }
                text_value_in(&text, &self.empties).map_or(Value::Null, Value::String)
            }
            FieldType::Choice | FieldType::Band => {
                let mut v = self.choice(f, r, full);
                if let (Some(label), Value::Object(m)) = (&f.as_of, &mut v) {
                    m.insert("as_of".into(), self.date_after(r, label, full).map_or(Value::Null, Value::String));
                }
                v
            }
            FieldType::Checks => {
                let s = self.key_text(r);
                let group = self.group(f);
                let keys = f.list.as_deref().and_then(|g| self.index.box_keys.get(g)).filter(|k| k.len() == group.len());
                let mut boxes = Map::new();
                let mut texts = Map::new();
                for (n, b) in group.iter().enumerate() {
                    let label = keys.map_or_else(|| std::borrow::Cow::Owned(key(&b.label)), |k| std::borrow::Cow::Borrowed(k[n].as_str()));
                    let (state, text) = box_state(&s, &label);
                    boxes.insert(b.key.clone(), state.map_or(Value::Null, Value::Bool));
                    if takes_text(b) {
                        texts.insert(b.key.clone(), text.filter(|_| state == Some(true)).map_or(Value::Null, Value::String));
                    }
                }
                Value::Array(vec![Value::Object(boxes), Value::Object(texts)])
            }
            FieldType::Box => {
                let s = self.key_text(r);
                let label = key(f.after.as_deref().unwrap_or_default());
                box_state(&s, &label).0.map_or(Value::Null, Value::Bool)
            }
            FieldType::Count => {
                let s = self.key_text(r);
                let from = f.after.as_deref().map(key).and_then(|a| s.find(&a).map(|p| p + a.len())).unwrap_or(0);
                static RE: OnceLock<Regex> = OnceLock::new();
                let re = RE.get_or_init(|| Regex::new(r"^[^件]*?\(([0-9]*)\)件").expect("count regex"));
                re.captures(&s[from..]).and_then(|c| c[1].parse::<u64>().ok()).map_or(Value::Null, |n| json!(n))
            }
            FieldType::Date => {
                let text = self.raw_lines(r).join("\n");
                match raw_dates(&text).into_iter().next() {
                    Some((iso, raw)) => json!({"iso": iso, "text": raw}),
                    None => Value::Null,
                }
            }
            FieldType::Period => {
                let kept: Vec<&str> = self.raw_lines(r).into_iter().filter(|l| !is_furniture(l)).collect();
                let text = join_cell_lines(&kept);
                let dates = raw_dates(&text);
                if text.trim().is_empty() {
                    return Value::Null;
                }
                json!({"from": dates.first().map(|d| d.0.clone()), "to": dates.get(1).map(|d| d.0.clone()), "text": text.trim()})
            }
        }
    }

    /// The date written after `label` in a region (`いつ時点の計数か 令和6年1月1日 時点`):
    /// on the label's line, else on the next line that is not blank.
    fn date_after(&mut self, r: Region, label: &str, full: &str) -> Option<String> {
        let k = key(label);
        let lines = self.raw_lines(r);
        let at = (0..lines.len()).find(|&n| self.lines[r.start + n].key().contains(&k));
        let Some(at) = at else {
            self.warn(&format!("{full}.as_of"), "not_found", format!("「{label}」 not found"));
            return None;
        };
        let own = &self.lines[r.start + at];
        let rest = own.key().split_once(k.as_str()).map_or("", |(_, b)| b).to_string();
        let next = (at + 1..lines.len()).find(|&n| !lines[n].trim().is_empty());
        let on_label = crate::normalize::parse_date(&rest).map(|d| (d, at));
        let found = on_label.or_else(|| next.and_then(|n| raw_dates(lines[n]).into_iter().next().map(|d| (d.0, n))));
        if let Some((_, n)) = found {
            self.provenance.insert(format!("{full}.as_of"), [r.start + n, r.start + n]);
        }
        let found = found.map(|(d, _)| d);
        if found.is_none() {
            self.warn(&format!("{full}.as_of"), "not_found", format!("no date after 「{label}」"));
        }
        found
    }

    /// A choice: the bracketed answer (`[ 十分である ]`) that is one of the list's options.
    fn choice(&mut self, f: &Field, r: Region, full: &str) -> Value {
        let list = self.list(f);
        // The options with their keys (made once per form).
        let list_keys = self.list_keys(f);
        let keyed = || list.iter().zip(list_keys).map(|(o, k)| (o, k.as_str()));
        let s = self.key_text(r);
        let mut other = None;
        // A bracket may hold its answer on lines of its own (`[` / `30万人以上` / `]`).
        for (inner, end) in brackets(&s) {
            // perf: copied only when the bracket spans lines.
            let answer = if memchr::memchr(b'\n', inner.as_bytes()).is_some() { std::borrow::Cow::Owned(inner.replace('\n', "")) } else { std::borrow::Cow::Borrowed(inner) };
            let answer = &*answer;
            if answer.is_empty() {
                // A producer that draws the bracket before its answer: pdf-extract prints
                // the answer right after `]` on the same line (`[ ]1万人以上10万人未満`).
                let after = s[end..].split('\n').next().unwrap_or_default();
                // The option list's column may follow on the same line (`＜選択肢＞`).
                let fits = keyed().filter_map(|(o, k)| {
                    let rest = after.strip_prefix(k)?;
                    (!k.is_empty() && (rest.is_empty() || rest.starts_with("<選択肢>"))).then_some((k.len(), o))
                });
                if let Some((_, o)) = fits.max_by_key(|t| t.0) {
                    return choice_json(f, o);
                }
                // The answer drawn after its bracket wrapped in a narrow cell
                // (`[ ]…の実施が義務付けら` / `れる`): its lines, joined up to the option
                // list, are the whole option.
                if !after.is_empty() {
                    let mut joined = after.to_string();
                    for next in s[end..].split('\n').skip(1).take(3) {
                        if next.is_empty() || next.starts_with("<選択肢>") || next.contains(['[', ']']) {
                            break;
                        }
                        joined.push_str(next);
                        if let Some((o, _)) = keyed().find(|(_, k)| *k == joined) {
                            return choice_json(f, o);
                        }
                    }
                }
            }
            if answer.is_empty() || answer == "○" {
                continue;
            }
            if let Some((o, _)) = keyed().find(|(_, k)| *k == answer) {
                return choice_json(f, o);
            }
            // A bracket opened lines above its answer, the option list's lines between
            // (`[` … `＜選択肢＞` / `1) …` / `answer ]`): the answer is the text on the
            // line that closes it.
            let closing = inner.rsplit('\n').next().unwrap_or_default();
            if inner.contains('\n') && !closing.is_empty() {
                if let Some((o, _)) = keyed().find(|(_, k)| *k == closing) {
                    return choice_json(f, o);
                }
            }
            // An answer wrapped inside its bracket whose tail (`れる`) fell to the next
            // line, where it opens that line (the option list's column follows it).
            let next = s[end..].split('\n').nth(1).unwrap_or_default();
            let tail = keyed().filter_map(|(o, k)| {
                let rest = k.strip_prefix(answer)?;
                (!rest.is_empty() && next.starts_with(rest)).then_some((rest.len(), o))
            });
            if let Some((_, o)) = tail.max_by_key(|t| t.0) {
                return choice_json(f, o);
            }
            other.get_or_insert(answer.to_string());
        }
        // A label cell printed with its answer and the option list's column after it
        // (`…500人以上か 500人未満 ＜選択肢＞`): the rest of the label's line is the answer.
        if let Some((rest, _)) = s.split('\n').next().unwrap_or_default().split_once("<選択肢>") {
            if let Some((o, _)) = keyed().find(|(_, k)| !rest.is_empty() && *k == rest.trim_matches(['[', ']'])) {
                return choice_json(f, o);
            }
        }
        // An answer wrapped by a narrow cell (`…の実施が` / `[ 義務付けられる ]`): the
        // text before the option list, brackets and line breaks removed, holds the
        // whole option; the longest one wins.
        let head = s.split("<選択肢>").next().unwrap_or_default();
        let flat: String = head.chars().filter(|c| !matches!(c, '[' | ']' | '\n')).collect();
        if other.is_some() {
            let mut best: Option<(&Choice, &str)> = None;
            for (o, k) in keyed() {
                if flat.contains(k) && best.is_none_or(|(_, b)| b.len() < k.len()) {
                    best = Some((o, k));
                }
            }
            if let Some((o, _)) = best {
                return choice_json(f, o);
            }
        }
        if let Some(a) = other {
            self.warn(full, "ambiguous_value", format!("answer 「{a}」 is not an option of list {}", f.list.as_deref().unwrap_or_default()));
        }
        Value::Null
    }

    /// Ⅲ blocks join the `files[]` entries of Ⅱ by file name.
    fn join_blocks(&mut self, out: &mut Map<String, Value>, rel: &str, array_path: &str, on: &str, elements: Vec<Value>) {
        let name_key = |s: &str| {
            let k = key(s);
            strip_number(&k).to_string()
        };
        let mut array = match get(out, rel) {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        // The name key of each element of `array`, kept in step with it (perf: each
        // element's name was keyed again for every block matched against it).
        let element_name = |e: &Value| e.get("name").and_then(Value::as_str).map(name_key);
        let mut names: Vec<Option<String>> = array.iter().map(element_name).collect();
        for el in elements {
            let Value::Object(el) = el else { continue };
            let name = get(&el, on).and_then(Value::as_str).map(name_key);
            let target = name.as_ref().and_then(|n| names.iter().position(|e| e.as_ref() == Some(n)));
            match target {
                Some(i) => {
                    if let Value::Object(m) = &mut array[i] {
                        for (k, v) in el {
                            m.insert(k, v);
                        }
                    }
                    // The block may have given the element another name.
                    names[i] = element_name(&array[i]);
                }
                None => {
                    let i = array.len();
                    self.warn(&format!("{array_path}[{i}]"), "unmatched_risk_block", format!("a block for 「{}」 matches no file of the earlier section", name.unwrap_or_default()));
                    let mut m = Map::new();
                    m.insert("name".into(), get(&el, on).cloned().unwrap_or(Value::Null));
                    m.extend(el);
                    array.push(Value::Object(m));
                    names.push(array.last().and_then(element_name));
                }
            }
        }
        merge_into(out, rel, Value::Array(array));
    }
}

/// The bracketed parts of `s` (`[…]` holding no other bracket), in order, each with
/// where it ends: what the regex `\[([^\[\]]*)\]` captures, and its match's end. perf: a
/// scan for the brackets' bytes (ASCII) instead of the regex's captures.
fn brackets(s: &str) -> impl Iterator<Item = (&str, usize)> {
    let b = s.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || loop {
        let open = at + memchr::memchr(b'[', b.get(at..)?)?;
        match memchr::memchr2(b'[', b']', &b[open + 1..]) {
            Some(n) if b[open + 1 + n] == b']' => {
                let close = open + 1 + n;
                at = close + 1;
                return Some((&s[open + 1..close], close + 1));
            }
            // Another `[` before any `]`: a bracket can only start there.
            Some(n) => at = open + 1 + n,
            None => {
                at = b.len();
                return None;
            }
        }
    })
}

fn choice_json(f: &Field, o: &Choice) -> Value {
    let label = key(&o.label);
    let mut v = if f.ty == FieldType::Band {
        json!({"code": o.code, "label": label, "at_least": o.at_least, "less_than": o.less_than})
    } else {
        json!({"code": o.code, "label": label})
    };
    // The key is there when the form prints the date, found or not (one column type).
    if f.as_of.is_some() {
        v["as_of"] = Value::Null;
    }
    v
}

/// A box whose label ends in `（　）` takes the text written inside.
pub fn takes_text(b: &BoxSpec) -> bool {
    let k = key(&b.label);
    k.ends_with("()")
}

/// Lines that belong to the form, not to a value: option lists and their markers,
/// page numbers, bracketed answers.
fn is_furniture(raw: &str) -> bool {
    is_furniture_key(&key(raw))
}

/// [`is_furniture`] of a line's key (a whole line is keyed already).
fn is_furniture_key(k: &str) -> bool {
    if k.is_empty() {
        return false;
    }
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^(?:[0-9]{1,3}|[0-9]{1,3}/[0-9]{1,3}|<選択肢>.*|[0-9]{1,2}\)\S.*|\[[^\[\]]*\](?:<選択肢>)?)$").expect("furniture regex"));
    re.is_match(k) || k.contains("<選択肢>")
}

/// The state of the box labelled `label` (a key) in a zone's key text, and the text
/// written in its `（　）`. A bracket drawn apart from its label (`］label` on one line,
/// `［ ○ tail` on the next) is paired with the nearest dangling opener.
fn box_state(s: &str, label: &str) -> (Option<bool>, Option<String>) {
    // `その他（　）` takes written text; `提供を行っている（　）件` holds a count: both
    // are matched by what comes before the `（　）`.
    let (stem, open, written_in) = match label.find("()") {
        Some(i) => (&label[..i], true, i + 2 == label.len()),
        None => (label, false, false),
    };
    // The label, or (wrapped by the cell) its longest prefix of 4+ characters that is
    // followed by a line end.
    let mut at = None;
    for (p, _) in s.match_indices(stem) {
        let after = &s[p + stem.len()..];
        let before = &s[..p];
        let boxed = before.ends_with(']') || before.ends_with("[○") || before.ends_with('[');
        // A box at the end of a row may be followed by the wrapped tail (one or two
        // characters) of the row's label, printed at the line's end (`［ ］接続しない（提供）続`).
        let tail_then_end = after.split('\n').next().is_some_and(|t| (1..=LABEL_TAIL).contains(&t.chars().count()) && !t.contains(['[', ']', '(', ')']));
        let ends = if open { after.starts_with('(') } else { after.is_empty() || after.starts_with('[') || after.starts_with('\n') || after.starts_with(']') || tail_then_end };
        if boxed && ends {
            at = Some((p, p + stem.len()));
            break;
        }
    }
    if at.is_none() && !open {
        let chars: Vec<(usize, char)> = stem.char_indices().collect();
        for cut in (4..chars.len()).rev() {
            let prefix = &stem[..chars[cut].0];
            if let Some(p) = s.match_indices(prefix).map(|(p, _)| p).find(|&p| s[p + prefix.len()..].starts_with('\n') && s[..p].ends_with(']')) {
                at = Some((p, p + prefix.len()));
                break;
            }
        }
    }
    let Some((p, end)) = at else { return (None, None) };
    let before = &s[..p];
    let state = if before.ends_with("[○]") || before.ends_with("[○") {
        Some(true)
    } else if before.ends_with("[]") || before.ends_with('[') {
        Some(false)
    } else if before.ends_with(']') {
        // `］label`: its opener is a dangling `［` (with or without ○) elsewhere.
        Some(dangling_opener_ticked(s, p))
    } else {
        None
    };
    let text = written_in.then(|| written_text(s[end..].strip_prefix('(').unwrap_or(&s[end..]))).flatten();
    (state, text)
}

/// For a `］` with no `［` before it on its line (just before byte `p`), find its
/// opener: the dangling `［` of the same rank (k-th unmatched closer ↔ k-th unmatched
/// opener) and say whether a ○ follows it.
fn dangling_opener_ticked(s: &str, p: usize) -> bool {
    let mut closers = Vec::new();
    let mut openers = Vec::new();
    for (start, line) in line_spans(s) {
        let mut open: Option<usize> = None;
        for (i, c) in line.char_indices() {
            match c {
                '[' => {
                    if let Some(o) = open {
                        openers.push(start + o);
                    }
                    open = Some(i);
                }
                ']' => match open.take() {
                    Some(_) => {}
                    None => closers.push(start + i),
                },
                _ => {}
            }
        }
        if let Some(o) = open {
            openers.push(start + o);
        }
    }
    let rank = closers.iter().position(|&c| c + 1 == p);
    match rank.and_then(|r| openers.get(r)) {
        Some(&o) => s[o + 1..].starts_with('○'),
        None => false,
    }
}

fn line_spans(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    s.split('\n').map(move |l| {
        let r = (start, l);
        start += l.len() + 1;
        r
    })
}

/// The text written in a box's `（　）`, up to its matching `）`, with line breaks and
/// stray bracket marks of the layout removed.
fn written_text(after_open: &str) -> Option<String> {
    let mut depth = 0;
    let mut out = String::new();
    let mut chars = after_open.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                depth += 1;
                out.push(c);
            }
            ')' if depth == 0 => break,
            ')' => {
                depth -= 1;
                out.push(c);
            }
            '\n' => {
                // The written text wrapped: it goes on after the dangling `［` of the
                // next line (`［ ○ ステム）`), not at that line's first box.
                let rest: String = chars.clone().collect();
                let next_line = rest.split('\n').next().unwrap_or_default();
                if let Some(o) = next_line.rfind('[').filter(|&o| !next_line[o..].contains(']')) {
                    let skip = next_line[..o].chars().count() + 1;
                    for _ in 0..skip {
                        chars.next();
                    }
                    if chars.peek() == Some(&'○') {
                        chars.next();
                    }
                }
            }
            ']' => {}
            '[' => {
                if chars.peek() == Some(&'○') {
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    let t = out.trim().to_string();
    (!t.is_empty()).then_some(t)
}

/// Every date in raw text: (ISO, the date as printed).
fn raw_dates(text: &str) -> Vec<(String, String)> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?:明治|大正|昭和|平成|令和)?\s*[0-9０-９元]{1,4}\s*年\s*[0-9０-９]{1,2}\s*月\s*[0-9０-９]{1,2}\s*日").expect("raw date regex")
    });
    re.find_iter(text).filter_map(|m| parse_date(m.as_str()).map(|iso| (iso, m.as_str().to_string()))).collect()
}

fn get<'v>(m: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let first = member(m, parts.next()?)?;
    parts.try_fold(first, |v, p| member(v.as_object()?, p))
}

/// Most maps a path walks are below this size: looked up by their keys in order.
const SMALL_MAP: usize = 16;

/// `m.get(k)`. perf (#16): a body map is an `IndexMap` hashed with SipHash, which costs
/// more than comparing a few short keys; a small map is walked in order instead (its
/// keys are unique, so the first equal key is the one `get` finds).
fn member<'v>(m: &'v Map<String, Value>, k: &str) -> Option<&'v Value> {
    if m.len() > SMALL_MAP {
        return m.get(k);
    }
    m.iter().find(|(key, _)| key.as_str() == k).map(|(_, v)| v)
}

/// The object at `path` of `m`, left empty in place (an empty map when there is none).
fn take_object(m: &mut Map<String, Value>, path: &str) -> Map<String, Value> {
    let mut parts = path.split('.');
    let mut at = parts.next().and_then(|p| m.get_mut(p));
    for p in parts {
        at = at.and_then(|v| v.get_mut(p));
    }
    match at {
        Some(Value::Object(o)) => std::mem::take(o),
        _ => Map::new(),
    }
}

fn set(m: &mut Map<String, Value>, path: &str, v: Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    let mut node = m;
    for p in parts {
        let slot = node.entry(p.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else { return };
        node = next;
    }
    node.insert(last.to_string(), v);
}

/// Put `v` at `path` of `m`; objects already there are merged key by key.
fn merge_into(m: &mut Map<String, Value>, path: &str, v: Value) {
    if path.is_empty() {
        if let Value::Object(o) = v {
            for (k, x) in o {
                merge_into(m, &k, x);
            }
        }
        return;
    }
    match (get(m, path).cloned(), v) {
        (Some(Value::Object(mut old)), Value::Object(new)) => {
            for (k, x) in new {
                old.insert(k, x);
            }
            set(m, path, Value::Object(old));
        }
        (_, v) => set(m, path, v),
    }
}

#[cfg(test)]
mod tests {
    /// perf: `member` (a small map walked in order) finds what `Map::get` finds, and
    /// `get` what a walk by `Value::get` finds, over maps of every size around
    /// [`super::SMALL_MAP`].
    #[test]
    fn member_equals_map_get() {
        use serde_json::{json, Map, Value};
        let mut found = 0;
        for n in 0..(super::SMALL_MAP + 6) {
            let mut m: Map<String, Value> = Map::new();
            for i in 0..n {
                m.insert(format!("k{i}"), json!({"a": {"b": i}, "n": i}));
            }
            for k in ["k0", "k1", "k15", "k16", "k17", "k20", "k", "", "x", "k0.a", "k3.a.b", "k3.n", "k3.a.b.c", "k2.z"] {
                let plain = k.split('.').try_fold(None::<&Value>, |v, p| match v {
                    None => m.get(p).map(Some),
                    Some(v) => v.get(p).map(Some),
                });
                assert_eq!(super::member(&m, k), m.get(k), "{n} {k}");
                assert_eq!(super::get(&m, k), plain.flatten(), "{n} {k}");
                found += usize::from(super::get(&m, k).is_some());
            }
        }
        assert!(found > 100, "{found}");
    }

    use super::*;

    /// perf: `label_at` with its quick test equals the full test, on every line of
    /// three dumps (a sample, a Calc and a Word drawing order) for every label key of
    /// every form that starts with the line's first character.
    #[test]
    fn label_at_equals_the_full_test() {
        let set = crate::form::FormSet::builtin();
        let texts = crate::test_texts::sample_and_generated();
        let mut labels: Vec<String> = set.forms.iter().flat_map(|f| index(f, &set.common).label_keys.values().flat_map(|(a, b)| a.iter().chain(b).cloned())).collect();
        labels.sort_unstable();
        labels.dedup();
        let (mut compared, mut hits) = (0, 0);
        for text in &texts {
            let lines = crate::reassemble::lines_of(text);
            for i in 0..lines.len() {
                for label in labels.iter().filter(|l| same_first_char(lines[i].key(), l)) {
                    let full = label_at_line(&lines, i, label, lines.len());
                    assert_eq!(label_at(&lines, i, label, lines.len()), full, "line {i} {:?}, label {label:?}", lines[i].raw());
                    compared += 1;
                    hits += usize::from(full.is_some());
                }
            }
        }
        assert!(compared > 20_000 && hits > 500, "{compared} compared, {hits} hits");
    }

    /// perf: `LineStarts::find` gives the hit that trying every label on every line does
    /// (`find_keys`'s plain loop), for every form's label lists on dumps in three drawing
    /// orders, from cursors along each text, and for made-up lines (an empty label, a
    /// label wrapped over lines, two labels starting on one line).
    #[test]
    fn line_starts_find_equals_the_plain_loop() {
        let plain = |lines: &[Line], from: usize, to: usize, labels: &[String]| (from..to).find_map(|i| labels.iter().find_map(|l| label_at(lines, i, l, to)));
        let set = crate::form::FormSet::builtin();
        let mut texts = crate::test_texts::sample_and_generated();
        texts.push("①事務の名称\n①事務\nの名称 A\n\n事務の名称\n②事務の内容 X ①事務の名称".to_string());
        let mut lists: Vec<Vec<String>> = set.forms.iter().flat_map(|f| index(f, &set.common).label_keys.values().flat_map(|(a, b)| [a.clone(), b.clone()])).collect();
        lists.extend([vec![String::new()], vec!["①事務の名称".into(), "事務の名称".into()], vec!["事務の名称".into(), "①事務の名称".into()], vec![], vec!["②事務の内容".into(), String::new()]]);
        let (mut compared, mut hits) = (0, 0);
        for text in &texts {
            let lines = crate::reassemble::lines_of(text);
            let starts = LineStarts::of(&lines);
            let n = lines.len();
            for labels in &lists {
                for (from, to) in [(0, n), (n / 3, n), (n / 2, n / 2 + 40), (n, n), (1, 2)] {
                    let (from, to) = (from.min(n), to.min(n));
                    let want = plain(&lines, from, to, labels);
                    assert_eq!(starts.find(&lines, from, to, labels), want, "{labels:?} in {from}..{to}");
                    compared += 1;
                    hits += usize::from(want.is_some());
                }
            }
        }
        assert!(compared > 5_000 && hits > 1_000, "{compared} compared, {hits} hits");
    }

    /// perf: `number_end` ends where the item number regex's match does, on every line
    /// of the sample, every label of the forms and made-up numbers.
    #[test]
    fn number_end_equals_the_regex() {
        let re = Regex::new(r"^(?:[①-⑳]|[0-9]{1,2}\.|\([0-9]{1,2}\)|[IVX]{1,4})").unwrap();
        let set = crate::form::FormSet::builtin();
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).expect("sample dump");
        let mut keys: Vec<String> = crate::reassemble::lines_of(&text).iter().map(|l| l.key().to_string()).collect();
        keys.extend(set.forms.iter().flat_map(|f| index(f, &set.common).label_keys.values().flat_map(|(a, _)| a.clone())));
        keys.extend(["", "1", "1.", "12.", "123.", "1.5", "(1)", "(12)", "(123)", "()", "(1", "I", "IIII", "IIIII", "XIV事務", "IVX", "①", "⑳x", "㉑", "Ⅲ", "a1.", "9.事務", "(3)事務"].map(String::from));
        let mut numbered = 0;
        for k in &keys {
            let want = re.find(k).map(|m| m.end());
            assert_eq!(number_end(k), want, "{k:?}");
            numbered += want.is_some() as usize;
        }
        assert!(numbered > 100, "{numbered} numbered");
    }

    /// perf: `brackets` gives what the bracket regex captures, and where each match ends.
    #[test]
    fn brackets_equal_the_regex() {
        let re = Regex::new(r"\[([^\[\]]*)\]").unwrap();
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).expect("sample dump");
        let mut cases: Vec<String> = ["", "[", "]", "[]", "[[]]", "][", "[ a ]b[c]", "[a[b]c]", "[\n30万人以上\n]", "x[y", "[ ]1万人以上", "[○]委託する[]委託しない]", "[[[", "]]]", "[ 十分である ] [ 特に力を入れている ]"].map(String::from).to_vec();
        // Whole regions as the choice reads them: keys joined by line breaks, of the
        // sample and of a generated dump (brackets drawn apart from their answers).
        let file = std::fs::File::open(format!("{}/tests/generated/g002-zenkomoku-h30-5-calc.txt.gz", env!("CARGO_MANIFEST_DIR"))).expect("generated dump");
        let mut generated = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut generated).expect("gzip text");
        for t in [&text, &generated] {
            let keys: Vec<String> = crate::reassemble::lines_of(t).iter().map(|l| l.key().to_string()).collect();
            cases.extend(keys.chunks(7).map(|c| c.join("\n")));
        }
        let mut found = 0;
        for s in &cases {
            let want: Vec<(&str, usize)> = re.captures_iter(s).map(|c| (c.get(1).unwrap().as_str(), c.get(0).unwrap().end())).collect();
            assert_eq!(brackets(s).collect::<Vec<_>>(), want, "{s:?}");
            found += want.len();
        }
        assert!(found > 50, "{found} brackets");
    }

    /// perf: `prefixes_of` gives the labels a line starts with, as testing every label
    /// does, on every line of the sample for every form's text stops and text ends.
    #[test]
    fn prefixes_of_equals_testing_every_label() {
        let set = crate::form::FormSet::builtin();
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).expect("sample dump");
        let lines = crate::reassemble::lines_of(&text);
        let mut hits = 0;
        for f in &set.forms {
            let ix = index(f, &set.common);
            for labels in [&ix.text_stops, &ix.text_ends_sorted] {
                for k in lines.iter().map(|l| l.key()).chain(["", "特", "ⅠⅡ"]) {
                    let plain: Vec<&String> = labels.iter().filter(|l| k.starts_with(l.as_str())).collect();
                    assert_eq!(prefixes_of(labels, k).collect::<Vec<_>>(), plain, "{k:?}");
                    hits += plain.len();
                }
            }
        }
        assert!(hits > 100, "{hits} labels starting a line");
    }

    /// perf: `split_number` (the number sliced, the title joined only after the number
    /// passed) as it was written first, on every line of the sample and made-up lines.
    #[test]
    fn split_number_as_the_plain_one() {
        fn plain(raw: &str) -> Option<(String, String)> {
            let t = raw.trim();
            let n: String = t.chars().take_while(|c| !c.is_whitespace()).collect();
            let rest = t[n.len()..].trim();
            let nk = key(&n);
            let rest = rest.split(|c: char| c == ' ' || c == '\t').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
            (!nk.is_empty() && nk.len() <= 8 && nk.chars().all(|c| c.is_ascii_digit() || c == '-') && !rest.is_empty()).then_some((nk, rest))
        }
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).expect("sample dump");
        let made = ["6 国民健康保険事務 基礎項目評価書", "６　国民健康保険事務", " 12-3\t甲   乙 ", "123456789 長い番号", "6", "6 ", "", "   ", "a 甲", "１\u{3000}\u{3000}甲", "6\u{a0}甲", "⑥ 甲", "Ⅰ 甲"];
        let mut some = 0;
        for l in text.lines().chain(made) {
            assert_eq!(split_number(l), plain(l), "{l:?}");
            some += usize::from(plain(l).is_some());
        }
        assert!(some >= 3, "{some} numbered lines");
    }

    #[test]
    fn boxes_drawn_apart_from_their_labels() {
        let s = "[]専用線[○]電子メール\n]電子記録媒体(フラッシュメモリを除く\n[。)[]フラッシュメモリ\n[]紙[○]その他(リモート保守回線)";
        assert_eq!(box_state(s, "専用線").0, Some(false));
        assert_eq!(box_state(s, "電子メール").0, Some(true));
        assert_eq!(box_state(s, "電子記録媒体(フラッシュメモリを除く。)").0, Some(false));
        assert_eq!(box_state(s, "フラッシュメモリ").0, Some(false));
        let (st, t) = box_state(s, "その他()");
        assert_eq!((st, t.as_deref()), (Some(true), Some("リモート保守回線")));
        let wrapped = "[○]庁内連携システム[]専用線\n]その他(住民基本台帳ネットワークシ\n[○]情報提供ネットワークシステム[○ステム)";
        let (st, t) = box_state(wrapped, "その他()");
        assert_eq!((st, t.as_deref()), (Some(true), Some("住民基本台帳ネットワークシステム")));
        assert_eq!(box_state("[○]個人番号[]個人番号対応符号", "個人番号").0, Some(true));
        assert_eq!(box_state("[○]個人番号[]個人番号対応符号", "個人番号対応符号").0, Some(false));
        assert_eq!(box_state("[]紙", "専用線").0, None);
        let counts = "[○]提供を行っている(2)件[]移転を行っている()件\n[]行っていない";
        assert_eq!(box_state(counts, "提供を行っている()件").0, Some(true));
        assert_eq!(box_state(counts, "移転を行っている()件").0, Some(false));
        assert_eq!(box_state("[]その他識別情報(内部番号)[○]その他(メモ)", "その他()").1.as_deref(), Some("メモ"));
    }

    #[test]
    fn labels_wrapped_over_lines() {
        let lines = crate::reassemble::lines_of("対象者以外の情報の入手を防止するための措置の\n内容 値\n");
        let h = label_at(&lines, 0, &key("対象者以外の情報の入手を防止するための措置の内容"), lines.len()).unwrap();
        assert_eq!((h.line, h.last, h.col), (0, 1, 2));
        assert_eq!(strip_number("①事務の名称"), "事務の名称");
        assert_eq!(strip_number("1.特定個人情報ファイル名"), "特定個人情報ファイル名");
        assert_eq!(strip_number(&key("Ⅲ　リスク対策")), "リスク対策");
        assert_eq!(strip_number("IDカード"), "IDカード");
    }

    /// The 基礎 form read by the engine: a band's `as_of` date, an answer whose bracket
    /// opened lines above it, labels whose last word wrapped away, and a version that
    /// does not have Ⅳ reading it when printed, without warnings when not.
    #[test]
    fn kiso_parts_read_by_the_engine() {
        let text = "Ⅱ　しきい値判断項目\n１．対象人数\n評価対象の事務の対象人数は何人か\n[\n＜選択肢＞\n1) 1,000人未満（任意実施）\n10万人以上30万人未満 ] 2) 1,000人以上1万人未満\nいつ時点の計数か 令和6年1月1日 時点\n２．取扱者数\n特定個人情報ファイル取扱者数は500人以上か [ 500人未満 ] ＜選択肢＞\nいつ時点の計数か 時点\n令和5年4月1日\nⅣ　リスク対策\n６．情報提供ネットワークシステムとの接 ［ ］接続しない（入手） ［ ］接続しない（提供）続\n特定個人情報の漏えい・滅失・毀損リスクへの対策は\n十分\n\n[ 十分である ] 1) 特に力を入れている\nか\n";
        let lines = crate::reassemble::lines_of(text);
        let set = crate::form::FormSet::builtin();
        let (old, exact) = set.form_for("kiso", Some("2017-05")).unwrap();
        assert!(exact && old.id == "kiso-h29-5", "{}", old.id);
        let out = read(old, &set.common, &lines, 0, lines.len());
        let b = Value::Object(out.body);
        assert_eq!(b["threshold"]["target_population"], json!({"code": 4, "label": "10万人以上30万人未満", "at_least": 100000, "less_than": 300000, "as_of": "2024-01-01"}));
        assert_eq!(b["threshold"]["handlers"], json!({"code": 2, "label": "500人未満", "at_least": 0, "less_than": 500, "as_of": "2023-04-01"}));
        // Ⅳ is not on this version's form, but printed here: read as printed.
        assert_eq!(b["risk"]["storage"], json!({"code": 2, "label": "十分である"}));
        assert_eq!(b["risk"]["network"]["no_acquisition"], json!(false));
        assert_eq!(b["risk"]["assessment_kind"], Value::Null);
        assert!(out.warnings.iter().all(|w| !w.path.starts_with("risk.")), "{:?}", out.warnings);
        assert!(out.warnings.iter().any(|w| w.path == "threshold.serious_incident" && w.code == "not_found"));
        // The newest version has Ⅳ: what it does not find there is said.
        let (new, _) = set.form_for("kiso", Some("2019-01")).unwrap();
        let out = read(new, &set.common, &lines, 0, lines.len());
        assert!(out.warnings.iter().any(|w| w.path == "risk.assessment_kind" && w.code == "not_found"), "{:?}", out.warnings);
    }

    /// A label cell drawn with its answer and the option list after it (pdf-extract's
    /// tail of wrapped cells): the rest of the label's line, when an option, is the answer.
    #[test]
    fn answer_after_its_label_before_the_option_list() {
        let text = "Ⅱ　しきい値判断項目\n２．取扱者数\n [ ]\n特定個人情報ファイル取扱者数は500人以上か 500人未満 ＜選択肢＞\n1) 500人以上 2) 500人未満\n３．重大事故\n過去１年以内に、評価実施機関において特定個人情報に関する重大事故が発生したか 発生した ＜選択肢＞\n";
        let lines = crate::reassemble::lines_of(text);
        let set = crate::form::FormSet::builtin();
        let (form, _) = set.form_for("kiso", Some("2019-01")).unwrap();
        let b = Value::Object(read(form, &set.common, &lines, 0, lines.len()).body);
        assert_eq!(b["threshold"]["handlers"]["label"], json!("500人未満"));
        // Not an option of its list: no answer.
        assert_eq!(b["threshold"]["serious_incident"], Value::Null);
    }

    /// An answer drawn after its empty bracket and wrapped by a narrow cell: its lines up
    /// to the option list are joined into the option; lines that join into no option
    /// give no answer.
    #[test]
    fn answer_wrapped_after_its_bracket() {
        let set = crate::form::FormSet::builtin();
        let (form, _) = set.form_for("zenkomoku", Some("2018-05")).unwrap();
        let text = |answer: &str| format!("Ⅵ　評価実施手続\n１．基礎項目評価\n①実施日 令和3年6月21日\n②しきい値判断結果\n [ ]{answer}\n ＜選択肢＞\n1) 基礎項目評価及び全項目評価の実\n施が義務付けられる\n2) 基礎項目評価及び全項目評価の実\n施が義務付けられない（任意に全項目\n評価を実施）\n");
        let result = |answer: &str| {
            let lines = crate::reassemble::lines_of(&text(answer));
            let out = read(form, &set.common, &lines, 0, lines.len());
            Value::Object(out.body)["procedure"]["basic_assessment"]["threshold_result"]["code"].clone()
        };
        assert_eq!(result("基礎項目評価及び全項目評価の実施が義務付けら\nれる"), json!(1));
        assert_eq!(result("基礎項目評価及び全項目評価の実施が義務付けら\nれない（任意に全項目評\n価を実施）"), json!(2));
        assert_eq!(result("基礎項目評価及び全項目評価の実施が義務付けられる"), json!(1));
        assert_eq!(result("基礎項目評価及び全項目評価の実施が\n未定"), Value::Null);
    }

    #[test]
    fn counts_dates_and_furniture() {
        assert_eq!(raw_dates("平成２９年１１月１６日")[0], ("2017-11-16".to_string(), "平成２９年１１月１６日".to_string()));
        assert!(is_furniture("1) 特に力を入れている"));
        assert!(is_furniture("[ 十分である ] ＜選択肢＞"));
        assert!(!is_furniture("１ 申請書等の受付時に"));
        assert!(is_stamp_line(&key("[平成３０年５月　様式３]")));
        assert!(is_stamp_line(&key("様式４")));
        assert!(!is_stamp_line(&key("申請書等の様式に個人番号の利用目的を記載している。")));
    }
}

/// The cover's values. Producers draw the cover's cells in any order, so values are
/// typed: the stamp, `番号 名称` after their header, the declaration (the paragraph
/// that ends in the form's fixed phrase), the body's head after its label, dates.
pub struct Cover {
    pub header: Map<String, Value>,
    pub warnings: Vec<Warning>,
    pub provenance: BTreeMap<String, [usize; 2]>,
}

/// Read the cover from `lines[..end]`. `approved` says whether this kind prints 承認日;
/// `head_titles` are the endings of a body's head (`市長`, `教育委員会`) that type the
/// 評価実施機関名 when the dump drew it apart from its label.
pub fn cover(common: &Common, lines: &[Line], end: usize, approved: bool, head_titles: &[String]) -> Cover {
    let c = &common.cover;
    let mut header = Map::new();
    let mut provenance = BTreeMap::new();
    let mut warnings = Vec::new();
    let end = end.min(lines.len());
    let find = |label: &str| {
        let k = key(label);
        (0..end).find_map(|i| label_at(lines, i, &k, end))
    };
    let mut labels: Vec<String> = [&c.number_and_title, &c.declaration, &c.special_notes, &c.evaluator, &c.published].iter().map(|l| key(l)).collect();
    labels.extend(c.approved.iter().map(|l| key(l)));
    labels.extend(["評価書番号", "評価書名"].map(String::from));
    labels.extend(common.kinds.iter().map(|k| key(&k.title)));
    // Lines that can hold no cover value: blank, page numbers, the stamp, the title,
    // and labels with nothing after them.
    let mut claimed: Vec<bool> = (0..end)
        .map(|i| {
            let k = lines[i].key();
            k.is_empty() || is_furniture_key(k) || is_stamp_line(k) || labels.iter().any(|l| k == l || l.starts_with(k) && k.chars().count() >= 3)
        })
        .collect();
    let is_label = |i: usize| labels.iter().any(|l| lines[i].key().starts_with(l.as_str()));
    let next_free = |from: usize, claimed: &[bool]| (from..end).find(|&i| !claimed[i] && !is_label(i));
    let rest_of = |h: Hit| after_key_prefix(&lines[h.last].raw(), h.col).trim().to_string();
    let mut put = |name: &str, v: Option<(String, usize, usize)>| match v {
        Some((text, a, b)) => {
            provenance.insert(format!("header.{name}"), [a, b]);
            header.insert(name.to_string(), Value::String(text));
        }
        None => {
            header.insert(name.to_string(), Value::Null);
        }
    };
    // 評価書番号 and 評価書名: one header line and one value line `6 名称` (drawn before
    // or after it), or (mirror sites) each label followed by its value.
    let (mut number, mut title) = (None, None);
    let numbered_title = (0..end).find(|&i| !claimed[i] && !is_label(i) && split_number(&lines[i].raw()).is_some());
    // `評価書番号 評価書名 6 名称` on one line.
    let numbered_title = numbered_title.map(|i| (i, lines[i].raw().to_string())).or_else(|| {
        find(&c.number_and_title).map(|h| (h.last, rest_of(h))).filter(|(_, r)| split_number(r).is_some())
    });
    if find(&c.number_and_title).is_some() || numbered_title.is_some() {
        if let Some((i, text)) = numbered_title {
            let (n, t) = split_number(&text).unwrap_or_default();
            number = Some((n, i, i));
            title = Some((t, i, i));
            claimed[i] = true;
        }
    }
    if number.is_none() {
        for (name, slot) in [("評価書番号", &mut number), ("評価書名", &mut title)] {
            if let Some(h) = find(name).filter(|h| !lines[h.line].key().starts_with(&key(&c.number_and_title))) {
                let rest = rest_of(h);
                *slot = if rest.is_empty() { next_free(h.last + 1, &claimed).map(|i| (lines[i].raw().trim().to_string(), i, i)) } else { Some((rest, h.line, h.last)) };
                if let Some((_, i, _)) = slot {
                    claimed[*i] = true;
                }
            }
        }
        number = number.map(|(t, a, b)| (key(&t), a, b));
    }
    put("evaluation_number", number);
    put("title", title);
    // The declaration: the paragraph ending in 宣言する.
    let marker = key(&c.declaration_marker);
    let decl = (0..end).find(|&i| lines[i].key().contains(&marker) && !is_label(i)).map(|last| {
        let mut first = last;
        while first > 0 && !lines[first - 1].key().is_empty() && !claimed[first - 1] && !is_label(first - 1) {
            first -= 1;
        }
        let raws: Vec<&str> = (first..=last).map(|i| lines[i].raw()).collect();
        (join_cell_lines(&raws).replace('\n', ""), first, last)
    });
    if let Some((_, a, b)) = &decl {
        claimed[*a..=*b].iter_mut().for_each(|x| *x = true);
    }
    put("declaration", decl);
    // 評価実施機関名: after its label, else the line that ends like a body's head.
    let head_keys: Vec<String> = head_titles.iter().map(|t| key(t)).collect();
    let evaluator = find(&c.evaluator)
        .and_then(|h| {
            let rest = rest_of(h);
            (!rest.is_empty()).then_some((rest, h.line, h.last))
        })
        .or_else(|| {
            (0..end)
                .filter(|&i| !claimed[i] && !is_label(i) && lines[i].key().chars().count() <= 30)
                .find(|&i| head_keys.iter().any(|t| lines[i].key().ends_with(t.as_str())))
                .map(|i| (lines[i].raw().trim().to_string(), i, i))
        });
    if let Some((_, a, _)) = &evaluator {
        if !is_label(*a) {
            claimed[*a] = true;
        }
    }
    put("evaluator", evaluator);
    // 承認日 and 公表日: after their labels; else a date standing alone on the cover.
    let date_after = |h: Hit| raw_dates(after_key_prefix(&lines[h.last].raw(), h.col)).into_iter().next().map(|d| (d.0, h.line, h.last));
    let approved_on = if approved { c.approved.iter().find_map(|l| find(l)).and_then(date_after) } else { None };
    let published = find(&c.published).and_then(date_after).or_else(|| {
        (0..end).filter(|&i| !claimed[i]).find_map(|i| crate::normalize::whole_date(&lines[i].raw()).map(|d| (d, i, i)))
    });
    if let Some((_, a, _)) = &published {
        claimed[*a] = true;
    }
    put("published_on", published);
    put("approved_on", approved_on);
    // 特記事項: after its label when written there; else what no other value took.
    // `特記事項 なし`: written, and blank.
    let written_blank = find(&c.special_notes).is_some_and(|h| !rest_of(h).is_empty() && text_value(&rest_of(h), &common.empty_values).is_none());
    let notes = find(&c.special_notes).filter(|_| !written_blank).and_then(|h| {
        let rest = rest_of(h);
        let mut raws = vec![rest.as_str()];
        let mut last = h.last;
        for i in h.last + 1..end {
            if claimed[i] || is_label(i) {
                break;
            }
            raws.push(&lines[i].raw());
            last = i;
        }
        // The value's own lines: the label's line only when the value starts on it.
        let first = if rest.is_empty() { h.last + 1 } else { h.last };
        text_value(&join_cell_lines(&raws), &common.empty_values).map(|t| (t, first.min(last), last))
    });
    let notes = notes.or_else(|| {
        if written_blank {
            return None;
        }
        let free: Vec<usize> = (0..end).filter(|&i| !claimed[i] && !is_label(i)).collect();
        let raws: Vec<&str> = free.iter().map(|&i| lines[i].raw()).collect();
        text_value(&join_cell_lines(&raws), &common.empty_values).map(|t| (t, free[0], *free.last().unwrap_or(&free[0])))
    });
    put("special_notes", notes);
    // Key order as the schema gives it.
    let order = ["evaluation_number", "title", "declaration", "special_notes", "evaluator", "published_on", "approved_on"];
    let mut ordered = Map::new();
    for name in order {
        ordered.insert(name.to_string(), header.remove(name).unwrap_or(Value::Null));
    }
    for name in ["evaluation_number", "title", "declaration", "evaluator", "published_on"] {
        if ordered.get(name).is_some_and(Value::is_null) {
            warnings.push(Warning { path: format!("header.{name}"), code: "not_found".into(), message: format!("no {name} on the cover") });
        }
    }
    Cover { header: ordered, warnings, provenance }
}

/// Where the cover ends: the 項目一覧 page, or the first numbered heading or item.
pub fn cover_end(common: &Common, form: &Form, lines: &[Line], body_end: usize) -> usize {
    let index = key(&common.index_heading);
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^(?:[IVX]{1,4}[^\x00-\x7f]|[0-9]{1,2}\.\S)").expect("heading regex"));
    // A numbered label of the form (`②所属長の役職名`, keyed `2所属長の役職名`: a
    // circled number is a digit in a key) drawn before the body's first heading.
    let numbered: Vec<&String> = self::index(form, common).text_ends.iter().filter(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.chars().count() >= 4).collect();
    lines[..body_end.min(lines.len())]
        .iter()
        .position(|l| l.key() == index || re.is_match(&l.key()) || numbered.iter().any(|n| l.key().starts_with(n.as_str())))
        .unwrap_or(body_end.min(lines.len()))
}

/// `6 国民健康保険事務 基礎項目評価書` → (`6`, the title): a number, white space, text.
fn split_number(raw: &str) -> Option<(String, String)> {
    let t = raw.trim();
    // perf: the number is a slice of the line (not its characters collected), and the
    // title is joined only after the number passed.
    let n = &t[..t.find(char::is_whitespace).unwrap_or(t.len())];
    let rest = t[n.len()..].trim();
    let nk = key(n);
    if nk.is_empty() || nk.len() > 8 || !nk.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return None;
    }
    // A run of ASCII spaces is a text dump's gap between cells, not printed: one space.
    let rest = rest.split(|c: char| c == ' ' || c == '\t').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    (!rest.is_empty()).then_some((nk, rest))
}

/// Is a key the version stamp line alone (`[平成30年5月様式3]`)? A cover text that only
/// mentions a 様式 (`申請書等の様式に…`) is a value, not the stamp.
fn is_stamp_line(k: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?:(?:平成|令和)(?:[0-9]{1,2}|元)年[0-9]{1,2}月)?様式[0-9]").expect("stamp line regex"));
    // The stamp with its brackets and a few stray marks, not a sentence around it.
    re.find(k).is_some_and(|m| k.chars().count() <= m.as_str().chars().count() + 6)
}

/// The version stamp (`[平成30年５月　様式３]`, brackets lost, spaced out): the version's
/// `YYYY-MM`, the printed label (`平成30年5月 様式3`) and the 様式 number.
pub fn stamp(lines: &[Line]) -> Option<(String, String, u32)> {
    stamp_at(lines).map(|(_, s)| s)
}

/// [`stamp`] with the line it is printed on.
pub fn stamp_at(lines: &[Line]) -> Option<(usize, (String, String, u32))> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"((?:平成|令和)(?:[0-9]{1,2}|元)年[0-9]{1,2}月)様式([0-9])").expect("stamp regex"));
    lines.iter().take(200).enumerate().find_map(|(i, l)| {
        let c = re.captures(&l.key())?;
        let version = c[1].to_string();
        let n: u32 = c[2].parse().ok()?;
        let date = crate::form::version_date(&version)?;
        Some((i, (date, format!("{version} 様式{n}"), n)))
    })
}
