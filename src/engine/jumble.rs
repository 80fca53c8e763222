//! Put the cells of a drawing-order dump (pdf-extract) back next to their labels.
//!
//! Spreadsheet producers draw a page's single-line cells first (labels, short values,
//! brackets, check boxes) and its wrapped cells after them (long texts, option lists
//! `＜選択肢＞`, a label that wraps, a band answer cell, the tail of a wrapped check-box
//! label `］電子記録媒体…`). So each page reads as a *skeleton* (labels in form order)
//! followed by a *tail* of cells in reading order whose labels are far above.
//!
//! Per page: the skeleton's labels become slots (what each still lacks follows from the
//! field's type: an empty text, an empty bracket, a dangling `［`); the tail is cut into
//! cells typed by what they are (an option list, an answer, a `］` fragment, a count,
//! a wrapped label with its value, a date, text). The cells are then given to the slots
//! by a monotone alignment (both run in reading order) that fills as many slots as it
//! can, prefers leaving `その他…` items blank, and keeps a cell where it is when nothing
//! fits. The lines are only moved (an answer cell is written back into its bracket), so
//! every line index of the text stays valid.

mod columns;
mod values_first;

pub use columns::values_after_labels;

use super::{block_start, label_at, label_keys, skip_chars, Hit};
use crate::form::{Common, FieldType, Form, Node};
use crate::normalize::key;
use crate::reassemble::Line;
use regex::Regex;
use std::sync::OnceLock;

/// What a label of the form takes, as far as this pass needs to know.
#[derive(Clone, Copy)]
pub(crate) enum Takes {
    Text,
    Date,
    Choice,
    Checks,
    /// A heading, a section or a block opener: nothing, but it has a place in the order.
    Nothing,
}

/// One label of the form, in form order (`order` is its depth-first index).
pub(crate) struct Def {
    keys: Vec<String>,
    order: usize,
    takes: Takes,
    /// `その他…` items and 【任意】 ones are the most often left blank.
    blank_ok: bool,
    /// A count `（　）件` is read inside this field's zone.
    has_count: bool,
    /// A block opener (`システム`, numbered): matched by its start, not a label key.
    opener: Option<(String, bool)>,
    /// The keys of a choice's options.
    options: Vec<String>,
    /// How many of `keys` are full labels (the rest are without their numbering).
    n_full: usize,
}

/// The form's labels, indexed by their first two characters: a line can only start a
/// label that starts with its own first two characters (or, a label of one character,
/// with its first).
pub(crate) struct Defs {
    list: Vec<Def>,
    /// (def, index of the key in its `keys` or [`OPENER`], the key's number among the
    /// distinct keys), in that order, by [`head`] of the key, sorted by head.
    by_head: Vec<(u64, Vec<(usize, usize, usize)>)>,
    /// The keys of every def's options, sorted (a one-line text that is one is an answer).
    options: Vec<String>,
    /// The labels as a dump drawn value first shows them ([`values_first::labels`]).
    pub(super) value_labels: values_first::Labels,
}

/// A key's first character and its second (a key of one character: none), as one
/// number to search by.
fn head(k: &str) -> Option<u64> {
    let mut cs = k.chars();
    let first = cs.next()?;
    Some((first as u64) << 32 | cs.next().map_or(u64::from(u32::MAX), |c| c as u64))
}

impl Defs {
    fn with_head(&self, h: u64) -> &[(usize, usize, usize)] {
        self.by_head.binary_search_by_key(&h, |e| e.0).map_or(&[], |at| &self.by_head[at].1)
    }
}

/// In [`Defs::by_head`]: the def's block opener, not one of its keys.
const OPENER: usize = usize::MAX;

impl std::ops::Deref for Defs {
    type Target = [Def];
    fn deref(&self) -> &[Def] {
        &self.list
    }
}

pub(crate) fn defs(form: &Form, common: &Common) -> Defs {
    fn walk(nodes: &[Node], common: &Common, out: &mut Vec<Def>) {
        let counted: Vec<&str> = nodes.iter().filter_map(|n| if let Node::Field(f) = n { (f.ty == FieldType::Count).then_some(f.within.as_deref()).flatten() } else { None }).collect();
        for n in nodes {
            let order = out.len();
            match n {
                Node::Section(s) => {
                    out.push(Def { keys: s.heading.iter().map(|h| key(h)).collect(), order, takes: Takes::Nothing, blank_ok: true, has_count: false, opener: None, options: Vec::new(), n_full: s.heading.len() });
                    walk(&s.nodes, common, out);
                }
                Node::Heading(h) => out.push(Def { keys: h.heading.iter().map(|h| key(h)).collect(), order, takes: Takes::Nothing, blank_ok: true, has_count: false, opener: None, options: Vec::new(), n_full: h.heading.len() }),
                Node::Block(b) => {
                    out.push(Def { keys: Vec::new(), order, takes: Takes::Nothing, blank_ok: true, has_count: false, opener: Some((key(&b.start), b.numbered)), options: Vec::new(), n_full: 0 });
                    walk(&b.nodes, common, out);
                }
                Node::Field(f) if f.within.is_some() || f.label.is_empty() => {}
                Node::Field(f) => {
                    let list = f.list.as_deref().and_then(|l| common.lists.get(l)).map(Vec::as_slice);
                    let takes = match f.ty {
                        FieldType::String | FieldType::Text | FieldType::Period | FieldType::Zone => Takes::Text,
                        FieldType::Date => Takes::Date,
                        FieldType::Choice | FieldType::Band => Takes::Choice,
                        FieldType::Checks | FieldType::Box => Takes::Checks,
                        FieldType::Count => Takes::Nothing,
                    };
                    let (full, bare) = label_keys(&f.label);
                    let blank_ok = f.optional || f.label.iter().any(|l| l.contains("その他"));
                    let options = list.unwrap_or(&[]).iter().map(|c| key(&c.label)).collect();
                    let n_full = full.len();
                    out.push(Def { keys: full.into_iter().chain(bare).collect(), order, takes, blank_ok, has_count: counted.contains(&f.path.as_str()), opener: None, options, n_full });
                    // A choice's date (`いつ時点の計数か`) is a label of its own, taking a date.
                    if let Some(a) = &f.as_of {
                        out.push(Def { keys: vec![key(a)], order: order + 1, takes: Takes::Date, blank_ok: false, has_count: false, opener: None, options: Vec::new(), n_full: 1 });
                    }
                }
            }
        }
    }
    let mut list = Vec::new();
    walk(&form.body, common, &mut list);
    let mut by_head: std::collections::HashMap<u64, Vec<(usize, usize, usize)>> = std::collections::HashMap::new();
    // The same words label items of many risks: a line is tested once per distinct key.
    let mut distinct: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (d, def) in list.iter().enumerate() {
        // A block opener is matched by its start alone, a label by its keys.
        let keys: Vec<(usize, &String)> = match &def.opener {
            Some((start, _)) => vec![(OPENER, start)],
            None => def.keys.iter().enumerate().collect(),
        };
        for (j, k) in keys {
            if let Some(h) = head(k) {
                // An opener is matched otherwise than a label of the same words.
                let id = if j == OPENER { usize::MAX } else { let n = distinct.len(); *distinct.entry(k.as_str()).or_insert(n) };
                by_head.entry(h).or_default().push((d, j, id));
            }
        }
    }
    let mut by_head: Vec<(u64, Vec<(usize, usize, usize)>)> = by_head.into_iter().collect();
    by_head.sort_unstable_by_key(|e| e.0);
    let mut options: Vec<String> = list.iter().flat_map(|d| d.options.iter().cloned()).collect();
    options.sort_unstable();
    options.dedup();
    let mut defs = Defs { list, by_head, options, value_labels: values_first::Labels::default() };
    defs.value_labels = values_first::labels(&defs);
    defs
}

/// The labels that start at line `i`: the hit of the longest label and every def that
/// prints it (the same words label items of many risks).
fn labels_at(lines: &[Line], i: usize, to: usize, defs: &Defs) -> Option<(Hit, Vec<usize>)> {
    let mut best: Option<(usize, Hit, Vec<usize>)> = None;
    let h = head(&lines[i].key())?;
    let long = if h as u32 == u32::MAX { &[][..] } else { defs.with_head(h) };
    let short = defs.with_head(h | u64::from(u32::MAX));
    // The two lists merged in (def, key) order: each def's first key that is here.
    let (mut x, mut y) = (0, 0);
    let mut hit_def = None;
    // What each distinct key gave at this line.
    let mut tried: Vec<(usize, Option<(usize, Hit)>)> = Vec::new();
    while x < long.len() || y < short.len() {
        let (d, j, id) = if y == short.len() || (x < long.len() && long[x] < short[y]) {
            x += 1;
            long[x - 1]
        } else {
            y += 1;
            short[y - 1]
        };
        if hit_def == Some(d) {
            continue;
        }
        let def = &defs[d];
        let hit = match (&def.opener, j) {
            (Some((start, numbered)), OPENER) => block_start(&lines[i], start, *numbered).map(|_| (start.len(), Hit { line: i, last: i, col: start.chars().count() })),
            (_, j) => match tried.iter().find(|t| t.0 == id) {
                Some(t) => t.1,
                None => {
                    let hit = label_at(lines, i, &def.keys[j], to).map(|h| (def.keys[j].len(), h));
                    tried.push((id, hit));
                    hit
                }
            },
        };
        let Some((len, h)) = hit else { continue };
        hit_def = Some(d);
        match &mut best {
            Some((bl, _, ds)) if *bl == len => ds.push(d),
            Some((bl, _, _)) if *bl > len => {}
            _ => best = Some((len, h, vec![d])),
        }
    }
    best.map(|(_, h, ds)| (h, ds))
}

/// Page numbers standing alone on a line, counting up from 1: the page breaks.
fn page_starts(lines: &[Line], from: usize, to: usize) -> Vec<usize> {
    let mut starts = vec![from];
    let mut next = 1u32;
    for (i, l) in lines.iter().enumerate().take(to) {
        let k = l.key();
        if page_number(k) && k.parse::<u32>().ok() == Some(next) {
            next += 1;
            if i > from {
                starts.push(i + 1);
            }
        }
    }
    starts.push(to);
    starts.dedup();
    starts
}

fn page_number(k: &str) -> bool {
    k.len() <= 3 && !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Text,
    Date,
    Answer,
    Options,
    Fragment,
    Count,
    Labelled,
}

struct Cell {
    lines: Vec<usize>,
    kind: Kind,
    /// For a wrapped label: the defs it may be, its last line and where it ends there.
    defs: Vec<usize>,
    label_last: usize,
    col: usize,
    /// The keys of its lines, joined.
    joined: String,
    /// For an option list: how many option numbers it prints (see [`lists_match`]).
    option_numbers: usize,
}

/// What one skeleton slot still lacks.
struct Slot {
    line: usize,
    /// The label's last line, and the region's lines after it.
    last: usize,
    col: usize,
    region: Vec<usize>,
    def: usize,
    order: usize,
    takes: Takes,
    open_text: bool,
    open_answer: bool,
    dangling: usize,
    blank_ok: bool,
    has_count: bool,
}

fn count_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\([0-9]*\)件$").expect("count regex"))
}

/// What each bracket pair of `text` holds (`[ … ]` with no bracket inside), left to
/// right: the captures of `\[([^\[\]]*)\]`, without a regex (a slot is made for every
/// label of a page).
fn bracketed(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || loop {
        let open = rest.find('[')?;
        let inner = &rest[open + 1..];
        match inner.find(['[', ']']) {
            Some(end) if inner.as_bytes()[end] == b']' => {
                rest = &inner[end + 1..];
                return Some(&inner[..end]);
            }
            // Another `[` first: the pair (if any) starts there.
            Some(end) => rest = &inner[end..],
            None => return None,
        }
    })
}

/// How many option numbers (`1)`) a cell's key prints.
fn option_numbers(cell_key: &str) -> usize {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?:^|[^0-9])[0-9]{1,2}\)").expect("option number regex"));
    re.find_iter(cell_key).count()
}

/// Does an option list cell print the options of `list`?
fn lists_match(cell: &Cell, list: &[String]) -> bool {
    !list.is_empty() && cell.option_numbers == list.len() && list.iter().all(|o| cell.joined.contains(o.as_str()))
}

const DROP: f64 = 2.0;
const MERGE: f64 = 1.5;
const CMAX: usize = 8;

/// Reorder the body lines `from..to` of a drawing-order dump. The result has the same
/// lines (a band answer wrapped in its bracket), each wrapped cell after its label.
pub fn unjumble(form: &Form, common: &Common, lines: Vec<Line>, from: usize, to: usize) -> Vec<Line> {
    unjumble_traced(form, common, lines, from, to).0
}

/// [`unjumble`], and for each line of the result the index of the input line it came
/// from (what provenance names). A page's lines are only moved (an answer is written
/// back into its bracket), so the new order is the trace; a region drawn value first is
/// rewritten from pieces of lines, each traced to the line it starts on.
pub fn unjumble_traced(form: &Form, common: &Common, mut lines: Vec<Line>, from: usize, to: usize) -> (Vec<Line>, Vec<usize>) {
    let to = to.min(lines.len());
    if from >= to {
        let same = (0..lines.len()).collect();
        return (lines, same);
    }
    let defs = &super::index(form, common).defs;
    // Values drawn before their labels: the region in reading order, then read as is.
    if let Some((region, traced)) = values_first::reorder(&lines, from, to, defs) {
        let origin: Vec<usize> = (0..from).chain(traced).chain(to..lines.len()).collect();
        let tail = lines.split_off(to);
        lines.truncate(from);
        lines.extend(region);
        lines.extend(tail);
        return (lines, origin);
    }
    let pages = page_starts(&lines, from, to);
    let mut order: Vec<usize> = (0..lines.len()).collect();
    let mut rewrite: Vec<(usize, usize)> = Vec::new();
    let mut last_order = 0usize;
    for w in pages.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (new, answers) = page(&lines, a, b, defs, &mut last_order);
        order[a..b].copy_from_slice(&new);
        rewrite.extend(answers);
    }
    // The answer goes back inside the bracket pair it was drawn apart from.
    for (first, last) in rewrite {
        let raw = format!("[ {}", lines[first].raw().trim());
        lines[first] = Line::of(&raw);
        let raw = format!("{} ]", lines[last].raw().trim_end());
        lines[last] = Line::of(&raw);
    }
    crate::reassemble::put_in_order(&mut lines, &order);
    (lines, order)
}

/// One page: the new order of its lines, and the answer lines to write into brackets.
fn page(lines: &[Line], a: usize, b: usize, defs: &Defs, last_order: &mut usize) -> (Vec<usize>, Vec<(usize, usize)>) {
    let same: Vec<usize> = (a..b).collect();
    // The skeleton's labels, each resolved to the def that comes next in form order.
    // A field label that comes before the one read last in form order was drawn late
    // (a label cell printed with its value, both in the tail).
    let mut hits: Vec<(Hit, usize)> = Vec::new();
    let mut late: Vec<bool> = Vec::new();
    let mut i = a;
    while i < b {
        match labels_at(lines, i, b, defs) {
            Some((h, ds)) => {
                let d = ds.iter().copied().find(|&d| defs[d].order > *last_order).unwrap_or(ds[0]);
                let is_late = defs[d].order < *last_order && !matches!(defs[d].takes, Takes::Nothing);
                if !is_late {
                    *last_order = defs[d].order;
                }
                late.push(is_late);
                hits.push((h, d));
                i = h.last + 1;
            }
            None => i += 1,
        }
    }
    let Some(last_single) = hits.iter().zip(&late).rposition(|((h, _), late)| h.last == h.line && !late) else { return (same, Vec::new()) };
    // The tail: from the first wrapped cell after the last single-line label.
    let cells = cells_of(lines, hits[last_single].0.last + 1, b, defs);
    let Some(first) = cells.iter().position(|c| c.kind != Kind::Text || c.lines.len() > 1) else { return (same, Vec::new()) };
    // A single-line answer just before its option list is part of the tail too.
    let first = if first > 0 && cells[first - 1].kind == Kind::Answer { first - 1 } else { first };
    let tail_start = cells[first].lines[0];
    let cells: Vec<Cell> = cells.into_iter().skip(first).collect();
    let n_skel = hits.iter().position(|(h, _)| h.line >= tail_start).unwrap_or(hits.len());
    let mut slots: Vec<Slot> = (0..n_skel)
        .map(|s| {
            let (h, d) = hits[s];
            let end = hits.get(s + 1).map_or(tail_start, |x| x.0.line).min(tail_start);
            slot(lines, h, ((h.last + 1).min(end)..end).collect(), d, defs)
        })
        .collect();
    if slots.is_empty() {
        return (same, Vec::new());
    }
    let paired = pair_values(lines, &mut slots, &cells, defs);
    let (assign, answers) = align(&slots, &cells, defs);
    // Rebuild: each slot's lines, then its cells, then the cells of the gap after it
    // (each wrapped label followed by the value paired with it).
    let mut out: Vec<usize> = (a..slots[0].line).collect();
    let mut moved = vec![false; b - a];
    let mut push = |out: &mut Vec<usize>, i: usize| {
        out.push(i);
        if i >= tail_start {
            moved[i - a] = true;
        }
    };
    for (s, slot) in slots.iter().enumerate() {
        let own: Vec<&Cell> = cells.iter().zip(&assign).filter(|(_, p)| **p == Some(2 * s)).map(|(c, _)| c).collect();
        let gap: Vec<usize> = (0..cells.len()).filter(|&c| assign[c] == Some(2 * s + 1)).collect();
        // A bracket standing alone that the slot cannot hold belongs to a wrapped label
        // put in the gap after it: the gap goes before it.
        let split = if gap.is_empty() { slot.region.len() } else { slot.region.iter().position(|&i| orphan_bracket(&lines[i], slot, defs)).unwrap_or(slot.region.len()) };
        out.extend(slot.line..=slot.last);
        out.extend(slot.region[..split].iter().copied());
        for c in &own {
            c.lines.iter().for_each(|&i| push(&mut out, i));
        }
        for &c in &gap {
            cells[c].lines.iter().for_each(|&i| push(&mut out, i));
            out.extend(paired.iter().filter(|p| p.0 == c).flat_map(|p| p.1.iter().copied()));
        }
        out.extend(slot.region[split..].iter().copied());
    }
    // Values paired with a label the alignment left in place stay where they were.
    for p in paired.iter().filter(|p| assign[p.0].is_none_or(|q| q % 2 == 0)) {
        out.extend(p.1.iter().copied());
    }
    out.extend((tail_start..b).filter(|&i| !moved[i - a]));
    (out, answers)
}

/// A wrapped label drawn late without its value (`対象者以外の…措置の` / `内容`) left
/// the value in the skeleton, after the item before it. The last stray cells of that
/// item's region are paired with such labels (in order) and leave the region.
fn pair_values(lines: &[Line], slots: &mut [Slot], cells: &[Cell], defs: &Defs) -> Vec<(usize, Vec<usize>)> {
    let mut paired = Vec::new();
    for s in 0..slots.len() {
        let next = slots.get(s + 1).map(|x| x.order);
        let order = slots[s].order;
        let labels: Vec<usize> = (0..cells.len())
            .filter(|&c| cells[c].kind == Kind::Labelled && valueless(lines, &cells[c]))
            .filter(|&c| cells[c].defs.iter().any(|&d| defs[d].order > order && next.is_none_or(|n| defs[d].order < n)))
            .collect();
        if labels.is_empty() {
            continue;
        }
        let slot = &slots[s];
        // The region's cells: a blank line or a line starting to the right opens one.
        let mut strays: Vec<Vec<usize>> = Vec::new();
        for &i in &slot.region {
            let l = &lines[i];
            if l.key().is_empty() || page_number(&l.key()) {
                continue;
            }
            let prev_blank = i == 0 || lines[i - 1].key().is_empty();
            if strays.is_empty() || prev_blank || l.raw().starts_with(' ') {
                strays.push(vec![i]);
            } else if let Some(c) = strays.last_mut() {
                c.push(i);
            }
        }
        let stray_ok = |c: &Vec<usize>| match slot.takes {
            Takes::Nothing | Takes::Text => true,
            Takes::Choice => c.len() == 1 && orphan_bracket(&lines[c[0]], slot, defs),
            _ => false,
        };
        strays.retain(stray_ok);
        let n = labels.len().min(strays.len());
        let (labels, strays) = (&labels[labels.len() - n..], strays.split_off(strays.len() - n));
        let gone: Vec<usize> = strays.iter().flatten().copied().collect();
        for (&c, v) in labels.iter().zip(strays) {
            paired.push((c, v));
        }
        let region: Vec<usize> = slot.region.iter().copied().filter(|i| !gone.contains(i)).collect();
        let h = Hit { line: slot.line, last: slot.last, col: slot.col };
        slots[s] = self::slot(lines, h, region, slot.def, defs);
    }
    paired
}

/// A wrapped label with nothing after it but an option list.
fn valueless(lines: &[Line], cell: &Cell) -> bool {
    let mut after = skip_chars(&lines[cell.label_last].key(), cell.col).to_string();
    for &i in cell.lines.iter().filter(|&&i| i > cell.label_last) {
        after.push_str(&lines[i].key());
    }
    after.is_empty() || after.starts_with("<選択肢>")
}

fn orphan_bracket(line: &Line, slot: &Slot, defs: &Defs) -> bool {
    let k = line.key();
    if !(k.starts_with('[') && k.ends_with(']')) || k.len() < 3 || k[1..k.len() - 1].contains(['[', ']']) || k == "[○]" {
        return false;
    }
    match slot.takes {
        Takes::Choice => !defs[slot.def].options.iter().any(|o| *o == k[1..k.len() - 1]),
        _ => true,
    }
}

fn slot(lines: &[Line], h: Hit, region: Vec<usize>, d: usize, defs: &Defs) -> Slot {
    let def = &defs[d];
    let mut text = skip_chars(&lines[h.last].key(), h.col).to_string();
    for &i in &region {
        text.push('\n');
        text.push_str(&lines[i].key());
    }
    // `※` marks the label (a required item), it holds no value.
    let content = text.lines().any(|l| {
        let l = l.trim_start_matches('※');
        let bracket = l.starts_with('[') && l.ends_with(']');
        !l.is_empty() && !bracket && !page_number(l)
    });
    let answered = bracketed(&text).any(|c| !c.is_empty() && c != "○");
    let dangling: usize = text
        .lines()
        .map(|l| {
            let mut open = 0usize;
            let mut n = 0;
            for ch in l.chars() {
                match ch {
                    '[' => {
                        n += open;
                        open = 1;
                    }
                    ']' => open = 0,
                    _ => {}
                }
            }
            n + open
        })
        .sum();
    Slot {
        line: h.line,
        last: h.last,
        col: h.col,
        region,
        def: d,
        order: def.order,
        takes: def.takes,
        open_text: matches!(def.takes, Takes::Text) && !content,
        open_answer: matches!(def.takes, Takes::Choice) && !answered,
        dangling,
        blank_ok: def.blank_ok,
        has_count: def.has_count,
    }
}

/// Cut lines `from..to` into cells: a blank line, a line that starts to the right (a
/// leading space), an option list, a `］` fragment or a label starts a new one.
fn cells_of(lines: &[Line], from: usize, to: usize, defs: &Defs) -> Vec<Cell> {
    let mut cells: Vec<Cell> = Vec::new();
    let mut cur: Option<Cell> = None;
    let mut i = from;
    while i < to {
        let l = &lines[i];
        if l.key().is_empty() || page_number(&l.key()) {
            cells.extend(cur.take());
            i += 1;
            continue;
        }
        if let Some((h, ds)) = labels_at(lines, i, to, defs) {
            cells.extend(cur.take());
            cur = Some(Cell { lines: (h.line..=h.last).collect(), kind: Kind::Labelled, defs: ds, label_last: h.last, col: h.col, joined: String::new(), option_numbers: 0 });
            i = h.last + 1;
            continue;
        }
        let starts_right = l.raw().starts_with(' ');
        let opens = l.key().starts_with("<選択肢>") || l.key().starts_with(']') || count_re().is_match(&l.key());
        if starts_right || opens || cur.is_none() {
            cells.extend(cur.take());
            let kind = if l.key().starts_with("<選択肢>") {
                Kind::Options
            } else if l.key().starts_with(']') {
                Kind::Fragment
            } else if count_re().is_match(&l.key()) {
                Kind::Count
            } else {
                Kind::Text
            };
            cur = Some(Cell { lines: vec![i], kind, defs: Vec::new(), label_last: i, col: 0, joined: String::new(), option_numbers: 0 });
        } else if let Some(c) = &mut cur {
            c.lines.push(i);
        }
        i += 1;
    }
    cells.extend(cur);
    // One-line texts that are an option of some list, or a date, are typed as such.
    let is_option = |k: &str| defs.options.binary_search_by(|o| o.as_str().cmp(k)).is_ok();
    for c in &mut cells {
        // An answer cell may wrap (`…の実施が義` / `務付けられる`).
        c.joined = c.lines.iter().map(|&i| lines[i].key()).collect();
        // perf: counted once here, not for every slot the alignment tries the cell at.
        if c.kind == Kind::Options {
            c.option_numbers = option_numbers(&c.joined);
        }
        if c.kind == Kind::Text && c.lines.len() <= 3 && is_option(&c.joined) {
            c.kind = Kind::Answer;
        } else if c.kind == Kind::Text && c.lines.len() == 1 {
            if crate::normalize::whole_date(&lines[c.lines[0]].raw()).is_some() {
                c.kind = Kind::Date;
            }
        }
    }
    cells
}

/// Cost of putting `cell` in position `p` that holds `c` cells already; None: cannot.
fn fit(slots: &[Slot], defs: &Defs, cell: &Cell, p: usize, c: usize) -> Option<f64> {
    let s = &slots[p / 2];
    if p % 2 == 1 {
        // The gap after slot s: only a wrapped label whose form place lies between.
        let next = slots.get(p / 2 + 1).map(|x| x.order);
        let fits = cell.kind == Kind::Labelled && cell.defs.iter().any(|&d| defs[d].order > s.order && next.is_none_or(|n| defs[d].order < n));
        return fits.then_some(0.0);
    }
    let options = &defs[s.def].options;
    match (cell.kind, s.takes) {
        (Kind::Text, Takes::Text) if s.open_text => Some(if c == 0 { 0.0 } else { MERGE }),
        (Kind::Date, Takes::Date) if c == 0 => Some(0.0),
        // A date or an option alone is a date's or a choice's value before any text's.
        (Kind::Date, Takes::Text) if s.open_text && c == 0 => Some(1.2),
        (Kind::Answer, Takes::Choice) if s.open_answer && c == 0 && options.contains(&cell.joined) => Some(0.0),
        (Kind::Answer, Takes::Text) if s.open_text && c == 0 => Some(1.2),
        (Kind::Options, Takes::Choice) if c <= 1 && lists_match(cell, options) => Some(0.0),
        (Kind::Fragment, Takes::Checks) if s.dangling > c => Some(0.0),
        (Kind::Count, Takes::Choice | Takes::Checks) if s.has_count && c <= 2 => Some(0.0),
        _ => None,
    }
}

/// The cost of leaving position `p` without cells.
fn blank_cost(slots: &[Slot], p: usize) -> f64 {
    if p % 2 == 1 {
        return 0.0;
    }
    let s = &slots[p / 2];
    // The tail lies in the last slot's region, but its cells were drawn late because
    // they belong above: between two slots, the earlier one wins.
    let last = if p / 2 + 1 == slots.len() { -0.01 } else { 0.0 };
    if s.open_text {
        (if s.blank_ok { 0.4 } else { 1.0 }) + last
    } else if s.open_answer {
        0.3
    } else {
        0.0
    }
}

/// Give each cell a position (2s: slot s, 2s+1: the gap after it) or none (kept in
/// place), monotone in reading order, at the least cost.
fn align(slots: &[Slot], cells: &[Cell], defs: &Defs) -> (Vec<Option<usize>>, Vec<(usize, usize)>) {
    let np = 2 * slots.len();
    // State: position p (0 = before any, else p-1) and the number of cells there.
    let ns = (np + 1) * (CMAX + 1);
    let idx = |p: usize, c: usize| p * (CMAX + 1) + c;
    let blank: Vec<f64> = (0..np).map(|p| blank_cost(slots, p)).collect();
    // prefix[p] = blank cost of positions 1..p (state numbering).
    let mut prefix = vec![0.0; np + 1];
    for p in 1..=np {
        prefix[p] = prefix[p - 1] + blank[p - 1];
    }
    let inf = f64::INFINITY;
    let mut cost = vec![inf; ns];
    cost[idx(0, 0)] = 0.0;
    // perf: reach[q] = 1 + the most cells position q holds in a state of finite cost
    // (0: none). States beyond it cost inf and change no minimum, so they are skipped.
    let mut reach = vec![0usize; np + 1];
    reach[0] = 1;
    let mut next = vec![inf; ns];
    let mut next_reach = vec![0usize; np + 1];
    // back[k * ns + s]: the state cell k came from into state s.
    let mut back = vec![usize::MAX; cells.len() * ns];
    for (k, cell) in cells.iter().enumerate() {
        next.fill(inf);
        next_reach.copy_from_slice(&reach);
        let from = &mut back[k * ns..(k + 1) * ns];
        // Dropped: the state stays.
        for q in 0..=np {
            for s in idx(q, 0)..idx(q, reach[q]) {
                if cost[s] + DROP < next[s] {
                    next[s] = cost[s] + DROP;
                    from[s] = s;
                }
            }
        }
        // Best way to leave a position before q, as a running minimum.
        let mut best = (inf, usize::MAX);
        for q in 0..=np {
            // perf: a cell that does not fit an empty position fits it with no cells
            // beside it either (every rule of `fit` allows fewer cells, not more).
            let fit0 = if q > 0 { fit(slots, defs, cell, q - 1, 0) } else { None };
            if q > 0 && fit0.is_some() {
                // Into a fresh position q.
                if best.0 < inf {
                    if let Some(f) = fit0 {
                        let v = best.0 + prefix[q - 1] + f;
                        if v < next[idx(q, 1)] {
                            next[idx(q, 1)] = v;
                            from[idx(q, 1)] = best.1;
                            next_reach[q] = next_reach[q].max(2);
                        }
                    }
                }
                // Into position q beside the cells already there.
                for c in 1..CMAX.min(reach[q]) {
                    let s = idx(q, c);
                    if cost[s] < inf {
                        if let Some(f) = fit(slots, defs, cell, q - 1, c) {
                            if cost[s] + f < next[idx(q, c + 1)] {
                                next[idx(q, c + 1)] = cost[s] + f;
                                from[idx(q, c + 1)] = s;
                                next_reach[q] = next_reach[q].max(c + 2);
                            }
                        }
                    }
                }
            }
            // Leaving position q (blank if it got nothing) towards later ones.
            for c in 0..reach[q] {
                let s = idx(q, c);
                if cost[s] == inf {
                    continue;
                }
                let leave = if c == 0 && q > 0 { blank[q - 1] } else { 0.0 };
                let v = cost[s] + leave - prefix[q];
                if v < best.0 {
                    best = (v, s);
                }
            }
        }
        std::mem::swap(&mut cost, &mut next);
        std::mem::swap(&mut reach, &mut next_reach);
    }
    // The end: every later position left blank.
    let mut end = (inf, 0);
    for q in 0..=np {
        for c in 0..reach[q] {
            let s = idx(q, c);
            if cost[s] == inf {
                continue;
            }
            let leave = if c == 0 && q > 0 { blank[q - 1] } else { 0.0 };
            let v = cost[s] + leave + prefix[np] - prefix[q];
            if v < end.0 {
                end = (v, s);
            }
        }
    }
    let mut assign = vec![None; cells.len()];
    let mut s = end.1;
    for k in (0..cells.len()).rev() {
        let prev = back[k * ns + s];
        if prev != s {
            assign[k] = Some(s / (CMAX + 1) - 1);
        }
        s = prev;
    }
    let answers = cells
        .iter()
        .zip(&assign)
        .filter(|(c, p)| c.kind == Kind::Answer && p.is_some_and(|p| p % 2 == 0 && matches!(slots[p / 2].takes, Takes::Choice)))
        .map(|(c, _)| (c.lines[0], c.lines[c.lines.len() - 1]))
        .collect();
    (assign, answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::FormSet;

    /// `bracketed` gives what the regex `\[([^\[\]]*)\]` captures, match for match.
    #[test]
    fn bracketed_equals_the_bracket_regex() {
        let re = Regex::new(r"\[([^\[\]]*)\]").unwrap();
        let texts = ["", "[", "]", "[]", "[○]", "[ 実施する ]", "a[b]c[d]", "[[x]]", "[a[b]", "[a]b]", "]a[b[c]d]", "［ ］\n[1]\n[", "[\n]", "[a][b][]", "x[y"];
        for t in texts {
            let want: Vec<&str> = re.captures_iter(t).map(|c| c.get(1).unwrap().as_str()).collect();
            assert_eq!(bracketed(t).collect::<Vec<_>>(), want, "{t:?}");
        }
    }

    /// The trace `unjumble_traced` gives, checked against the texts: on a page whose
    /// lines are moved, a permutation naming for each line the input line with its text
    /// (an answer written back into its bracket: that text inside `[ … ]`); in a region
    /// drawn value first, an input line holding the start of each rewritten line.
    #[test]
    fn the_trace_names_the_input_line_of_each_moved_line() {
        let set = FormSet::builtin();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/generated/");
        let read_gz = |name: &str| {
            let mut text = String::new();
            let file = std::fs::File::open(format!("{dir}{name}")).expect("generated dump");
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).expect("gzip text");
            text
        };
        // Calc draws labels first (pages are moved); Word draws values first.
        for (name, values_first) in [("g002-zenkomoku-h30-5-calc.txt.gz", false), ("g007-zenkomoku-h30-5-word.txt.gz", true), ("g024-juten-h30-5-calc.txt.gz", false)] {
            let text = read_gz(name);
            let lines = crate::reassemble::lines_of(&text);
            let stamp = super::super::stamp(&lines).expect("a version stamp");
            let kind = set.kind_by_number(stamp.2).expect("a kind");
            let (form, _) = set.form_for(&kind.kind, Some(&stamp.0)).expect("a form");
            let (moved, origin) = unjumble_traced(form, &set.common, lines.clone(), 0, lines.len());
            assert_eq!(moved.len(), origin.len(), "{name}");
            assert!(origin.iter().enumerate().any(|(i, &o)| i != o), "{name}: nothing moved");
            if !values_first {
                let mut sorted = origin.clone();
                sorted.sort_unstable();
                assert!(sorted.iter().copied().eq(0..lines.len()), "{name}: not a permutation");
            }
            // Brackets and spaces aside, the line traced to holds the moved line's start.
            let bare = |k: &str| k.chars().filter(|c| !"[]［］ 　".contains(*c)).collect::<String>();
            for (i, (l, &o)) in moved.iter().zip(&origin).enumerate() {
                let (got, input) = (bare(l.raw()), bare(lines[o].raw()));
                if values_first {
                    let start: String = got.chars().take(2).collect();
                    assert!(input.contains(&start), "{name}: line {i} {:?} traced to {o} {:?}", l.raw(), lines[o].raw());
                } else {
                    assert_eq!(got, input, "{name}: line {i} traced to {o}");
                }
            }
        }
    }

    fn run(kind: &str, text: &str) -> Vec<String> {
        let set = FormSet::builtin();
        let (form, _) = set.form_for(kind, Some("2018-05")).unwrap();
        let lines = crate::reassemble::lines_of(text);
        let n = lines.len();
        unjumble(form, &set.common, lines, 0, n).into_iter().map(|l| l.raw().trim().to_string()).collect()
    }

    fn after<'a>(out: &'a [String], label: &str) -> &'a str {
        let i = out.iter().position(|l| l.starts_with(label)).unwrap();
        out[i + 1..].iter().find(|l| !l.is_empty()).unwrap()
    }

    /// A page whose wrapped cells were drawn after its single-line cells: each goes back
    /// under its label, the band answer into its bracket, and the item left blank stays
    /// blank.
    #[test]
    fn wrapped_cells_drawn_last_go_to_their_labels() {
        let page = " 3\n\nⅠ　基本情報\n\n１．特定個人情報ファイルを取り扱う事務\n\n①事務の名称 甲事務\n②事務の内容\n\n③対象人数\n [ ]\n\n\
            ２．特定個人情報ファイルを取り扱う事務において使用するシステム\n\nシステム１\n\n①システムの名称 乙システム\n②システムの機能\n\n\
            ７．他の評価実施機関\n 事務の内容の一行目\n二行目\n\n1万人以上10万人未満\n ＜選択肢＞\n1) 1,000人未満（任意実施）\n2) 1,000人以上1万人未満\n\
            3) 1万人以上10万人未満\n4) 10万人以上30万人未満\n5) 30万人以上\n\n機能の一行目\n機能の二行目\n\n 4\n";
        let out = run("juten", page);
        assert_eq!(after(&out, "②事務の内容"), "事務の内容の一行目");
        assert_eq!(after(&out, "③対象人数"), "[ ]");
        assert!(out.contains(&"[ 1万人以上10万人未満 ]".to_string()), "{out:?}");
        assert_eq!(after(&out, "②システムの機能"), "機能の一行目");
        // Nothing was left for 他の評価実施機関: the next line is the page number.
        assert_eq!(after(&out, "７．他の評価実施機関"), "4");
        assert_eq!(out.len(), page.split('\n').count());
    }

    /// The labels a line starts: every def printing the label (the same words label
    /// the items of many risks), a block opener by its start, a label of one
    /// character, and nothing for a line that starts no label.
    #[test]
    fn labels_at_a_line() {
        let set = FormSet::builtin();
        let (form, _) = set.form_for("zenkomoku", Some("2018-05")).unwrap();
        let defs = defs(form, &set.common);
        let lines = crate::reassemble::lines_of("リスクへの対策は十分か\n委託事項１ 甲業務\nリスク\n");
        let (h, ds) = labels_at(&lines, 0, lines.len(), &defs).unwrap();
        let printing: Vec<usize> = (0..defs.len()).filter(|&d| defs[d].opener.is_none() && defs[d].keys.iter().any(|k| k == "リスクへの対策は十分か")).collect();
        assert!(printing.len() > 5, "{printing:?}");
        assert_eq!(ds, printing);
        assert_eq!((h.line, h.last, h.col), (0, 0, "リスクへの対策は十分か".chars().count()));
        let (h, ds) = labels_at(&lines, 1, lines.len(), &defs).unwrap();
        assert!(ds.iter().all(|&d| defs[d].opener.as_ref().is_some_and(|o| o.0 == "委託事項")), "{ds:?}");
        assert_eq!(h.col, 4);
        assert!(labels_at(&lines, 2, lines.len(), &defs).is_none());
        // A one-character key is found under its first character alone.
        let mut one = super::defs(form, &set.common);
        one.list[3].keys.push("甲".into());
        one.by_head.push((head("甲").unwrap(), vec![(3, one.list[3].keys.len() - 1, usize::MAX - 1)]));
        one.by_head.sort_unstable_by_key(|e| e.0);
        let lines = crate::reassemble::lines_of("甲の措置\n");
        assert_eq!(labels_at(&lines, 0, 1, &one).map(|(h, ds)| (h.col, ds)), Some((1, vec![3])));
    }

    /// A page read in reading order (nothing drawn late) is left as it is.
    #[test]
    fn reading_order_pages_stay() {
        let page = " 3\n\nⅠ　基本情報\n\n１．特定個人情報ファイルを取り扱う事務\n\n①事務の名称 甲事務\n②事務の内容 一行の内容\n③対象人数\n [ 30万人以上 ]\n";
        let out = run("juten", page);
        let same: Vec<String> = crate::reassemble::lines_of(page).into_iter().map(|l| l.raw().trim().to_string()).collect();
        assert_eq!(out, same);
    }

    /// A wrapped label drawn late without its value: the value it left in the skeleton
    /// (after the item before it) follows it again.
    #[test]
    fn late_label_takes_its_stray_value() {
        let page = " 9\n\n２．特定個人情報の入手（情報提供ネットワークシステムを通じた入手を除く。）\n\nリスク１：　目的外の入手が行われるリスク\n 甲の措置\n\n\
            その他の措置の内容\n\nリスクへの対策は十分か\n [ 十分である ]\n\n\
            対象者以外の情報の入手を防止するための措置の\n内容\n ＜選択肢＞\n1) 特に力を入れている\n2) 十分である\n3) 課題が残されている\n";
        let out = run("zenkomoku", page);
        let label = out.iter().position(|l| l.starts_with("対象者以外の情報")).unwrap();
        let value = out.iter().position(|l| l == "甲の措置").unwrap();
        let other = out.iter().position(|l| l == "その他の措置の内容").unwrap();
        assert!(label < value && value < other, "{out:?}");
    }
}
