//! Texts printed column by column (pdftotext, pdftotext -raw, pdfminer.six, PyMuPDF
//! `get_text()`): a table's label column comes out first (`①事務の名称` / `②事務の概要`
//! / `③システムの名称` / `２．特定個人情報ファイル名`), then its value column. Read
//! label-then-next-text, every value would shift one field. Here each value cell goes
//! back right after its label, so the engine reads the text as it reads reading order.
//!
//! Which cell is whose follows from the form alone: its labels in order and what each
//! field takes. Labels that take a text and have no value wait in a queue; the run of
//! text cells after a label goes to that label when it is one cell right after it,
//! else to the waiting labels in order. Cells met while no label waits (a value column
//! printed before its labels) go to the labels still waiting when the next part (Ⅱ, Ⅲ
//! …) starts, only if the counts agree. Answers, option lists, brackets, dates and page
//! numbers are no text cells: they stay where they are (the engine finds them by type).
//! Lines are only moved, so every line of the text is still there once.

use super::{labels_at, page_number, skip_chars, Defs, Takes};
use crate::form::{join, Common, Form, Node};
use crate::normalize::{key, whole_date_of_key};
use crate::record::Warning;
use crate::reassemble::Line;
use std::collections::VecDeque;

/// What a line of the region is, once the labels are known.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Role {
    Blank,
    Label,
    /// An answer, a bracket, an option list, a date, a page number: not a text cell.
    Typed,
    Text,
}

/// A label found in the region.
struct Found {
    line: usize,
    last: usize,
    def: usize,
    /// A part's heading (Ⅰ, Ⅱ …): cells left over before it are settled there.
    part: bool,
    /// Text printed after the label on its last line: the field's own value.
    inline: bool,
    /// That text's key.
    rest: String,
    /// The element of a repeated block it is in (counted by block openers): the same
    /// labels come again in the next element.
    element: usize,
}

/// The body lines `from..to` with each text cell after its label, the input line each
/// is, and the doubts about the cells; `None` when no cell moves (the text is in
/// reading order already).
pub fn values_after_labels(form: &Form, common: &Common, lines: &[Line], from: usize, to: usize) -> Option<(Vec<Line>, Vec<usize>, Vec<Warning>)> {
    let to = to.min(lines.len());
    if from >= to {
        return None;
    }
    let index = super::super::index(form, common);
    let defs = &index.defs;
    // Forms with repeated blocks (全項目, 重点) are left as they are: the labels of each
    // element come again, and pairing cells across elements is not verified (it lost
    // fields on pdftotext -raw dumps of them).
    if defs.iter().any(|d| d.opener.is_some()) {
        return None;
    }
    let (found, roles) = scan(lines, from, to, defs, &index.heading_keys);
    let mut moves = Moves::new(lines.len());
    let mut doubts = Vec::new();
    for (f, cell) in text_cells(&found, &roles, from, to, defs, lines, &mut doubts) {
        moves.put(found[f].last, cell);
    }
    for (anchor, cell) in typed_cells(&found, &roles, to, defs, lines) {
        moves.put(anchor, cell);
    }
    for (region, block) in late_labels(&found, to, defs) {
        moves.put_after(region, block);
    }
    let (moved, origin) = moves.apply(lines)?;
    // The values these cells become are guesses: said, on the field's path.
    let warnings = doubts
        .into_iter()
        .filter_map(|(f, code, message)| Some(Warning { path: path_of(form, &defs[found[f].def])?, code: code.into(), message: message.into() }))
        .collect();
    Some((moved, origin, warnings))
}

/// The output path of the field a def stands for (forms without blocks: a section's
/// path and the field's).
fn path_of(form: &Form, def: &super::Def) -> Option<String> {
    fn walk(nodes: &[Node], prefix: &str, k: &str) -> Option<String> {
        nodes.iter().find_map(|n| match n {
            Node::Section(s) => walk(&s.nodes, &join(prefix, &s.path), k),
            Node::Field(f) if f.label.iter().any(|l| key(l) == k) => Some(join(prefix, &f.path)),
            _ => None,
        })
    }
    walk(&form.body, "", def.keys.first()?)
}

/// Lines to put after other lines: each line moves once at most, and a line put after
/// a moved one goes with it.
struct Moves {
    after: Vec<Vec<usize>>,
    moved: Vec<bool>,
}

impl Moves {
    fn new(n: usize) -> Moves {
        Moves { after: vec![Vec::new(); n], moved: vec![false; n] }
    }

    /// Put `cell` (the lines not moved yet) after line `anchor`.
    fn put(&mut self, anchor: usize, cell: Vec<usize>) {
        let cell: Vec<usize> = cell.into_iter().filter(|&l| l != anchor && !self.moved[l]).collect();
        cell.iter().for_each(|&l| self.moved[l] = true);
        self.after[anchor].extend(cell);
    }

    /// Put `block` after the last line of `region` that stays where it is.
    fn put_after(&mut self, region: std::ops::Range<usize>, block: Vec<usize>) {
        let start = region.start;
        let anchor = region.rev().find(|&l| !self.moved[l] && !block.contains(&l)).unwrap_or(start);
        self.put(anchor, block);
    }

    /// The lines in their new order and, for each, the index of the input line it is
    /// (the provenance names the input's lines); `None` when nothing moves.
    fn apply(self, lines: &[Line]) -> Option<(Vec<Line>, Vec<usize>)> {
        if !self.moved.contains(&true) {
            return None;
        }
        // Each line that stays, then what is put after it, depth first: an explicit
        // stack (lines put after moved lines nest as deep as the input is long).
        let mut done = vec![false; lines.len()];
        let mut order = Vec::with_capacity(lines.len());
        let mut stack: Vec<usize> = Vec::new();
        for i in (0..lines.len()).filter(|&i| !self.moved[i]) {
            stack.push(i);
            while let Some(j) = stack.pop() {
                if std::mem::replace(&mut done[j], true) {
                    continue;
                }
                order.push(j);
                stack.extend(self.after[j].iter().rev());
            }
        }
        // Lines moved in a circle (each after another moved one): the text stays as it is.
        if order.len() < lines.len() {
            return None;
        }
        Some((order.iter().map(|&i| lines[i].clone()).collect(), order))
    }
}

/// The labels of the region (each resolved to the def next in form order) and the role
/// of every line (indices below `from` are unused).
fn scan(lines: &[Line], from: usize, to: usize, defs: &Defs, parts: &[String]) -> (Vec<Found>, Vec<Role>) {
    let mut found = Vec::new();
    let mut roles = vec![Role::Blank; to];
    let mut last_order = 0usize;
    let mut element = 0usize;
    let mut after_date = false;
    let mut i = from;
    while i < to {
        let k = lines[i].key();
        if k.is_empty() {
            i += 1;
            continue;
        }
        if let Some((h, ds)) = labels_at(lines, i, to, defs) {
            // The same words label several items (Ⅳ2 and Ⅳ6): the one not read yet.
            let d = ds.iter().copied().find(|&d| defs[d].order > last_order).unwrap_or(ds[0]);
            // A block opener starts the block's labels again.
            if defs[d].opener.is_some() {
                element += 1;
                last_order = defs[d].order;
            }
            last_order = last_order.max(defs[d].order);
            let part = defs[d].keys.iter().any(|k| parts.contains(k));
            let rest = skip_chars(&lines[h.last].key(), h.col).to_string();
            let inline = !rest.is_empty();
            roles[h.line..=h.last].iter_mut().for_each(|r| *r = Role::Label);
            found.push(Found { line: h.line, last: h.last, def: d, part, inline, rest, element });
            after_date = false;
            i = h.last + 1;
            continue;
        }
        let date = whole_date_of_key(k).is_some();
        // The unit printed below a date (`令和5年2月1日` / `時点`) belongs to the date.
        let unit = after_date && k.chars().count() <= 2;
        // A bracket is a box or an answer's, never in a text cell.
        let bracket = k.contains(['[', ']']);
        roles[i] = if date || unit || bracket || page_number(k) || furniture_or_answer(k, defs) { Role::Typed } else { Role::Text };
        after_date = date;
        i += 1;
    }
    (found, roles)
}

/// Whether a line's key is nothing but form furniture (brackets, `○`, `＜選択肢＞`,
/// printed options `2) 十分である`) around at most one option label (an answer).
fn furniture_or_answer(k: &str, defs: &Defs) -> bool {
    let left = unfurnished(k, defs);
    left.is_empty() || is_option(&left, defs)
}

/// The option label a key holds amid form furniture (`[ 実施する ]`), if any.
fn answer_of(k: &str, defs: &Defs) -> Option<String> {
    Some(unfurnished(k, defs)).filter(|a| !a.is_empty() && is_option(a, defs))
}

fn is_option(s: &str, defs: &Defs) -> bool {
    defs.options.binary_search_by(|o| o.as_str().cmp(s)).is_ok()
}

/// A key without `＜選択肢＞`, printed options `N)label` (so that `3) 未定` alone is no
/// answer), brackets and `○`.
fn unfurnished(k: &str, defs: &Defs) -> String {
    let mut s = crate::engine::column_answers::residue(k, &defs.options);
    s.retain(|c| c != '○');
    s
}

/// An option printed as an item of its list with its number after it (pdftotext puts
/// `1)` on the line of the closing bracket: `特に力を入れている` / `] 1)`): the next line
/// that is not blank is `N)` (after a bracket) and the option is item N of some list.
/// That line.
fn numbered_after(lines: &[Line], line: usize, to: usize, option: &str, defs: &Defs) -> Option<usize> {
    let next = (line + 1..to).find(|&j| !lines[j].key().is_empty())?;
    let k = lines[next].key().trim_start_matches(']');
    let n = k.strip_suffix(')').and_then(|d| d.parse::<usize>().ok())?;
    defs.iter().any(|d| d.options.get(n.wrapping_sub(1)).is_some_and(|o| o == option)).then_some(next)
}

/// A date cell: the date's line and the unit printed below it (`時点`), if any.
fn date_cell(lines: &[Line], roles: &[Role], j: usize, to: usize) -> Vec<usize> {
    let next = (j + 1..to).find(|&u| roles[u] != Role::Blank);
    match next {
        Some(u) if roles[u] == Role::Typed && whole_date_of_key(lines[u].key()).is_none() && lines[u].key().chars().count() <= 2 && !page_number(lines[u].key()) => vec![j, u],
        _ => vec![j],
    }
}

/// Answers and dates printed apart from their questions (a value column after the
/// label column): each goes after the next question that has none and takes it (by its
/// list), or — printed before it — to the question when it comes. An option printed as
/// a list item before its number (`特に力を入れている` / `] 1)`) goes after the number,
/// so that it reads as the list item it is. (anchor line, cell).
fn typed_cells(found: &[Found], roles: &[Role], to: usize, defs: &Defs, lines: &[Line]) -> Vec<(usize, Vec<usize>)> {
    let mut out = Vec::new();
    let mut waiting_choices: Vec<usize> = Vec::new();
    let mut waiting_dates: VecDeque<usize> = VecDeque::new();
    let mut stray_answers: VecDeque<(Vec<usize>, String)> = VecDeque::new();
    let mut stray_dates: VecDeque<Vec<usize>> = VecDeque::new();
    // Lone bracket lines already given to an answer.
    let mut used = vec![false; to];
    for (n, f) in found.iter().enumerate() {
        let end = found.get(n + 1).map_or(to, |x| x.line);
        let def = &defs[f.def];
        let first = !seen_before(found, n);
        // The typed lines of the label's region: answers and dates.
        let mut answers: Vec<(usize, String)> = Vec::new();
        for j in f.last + 1..end {
            let Some(a) = (roles[j] == Role::Typed).then(|| answer_of(lines[j].key(), defs)).flatten() else { continue };
            match numbered_after(lines, j, end, &a, defs) {
                Some(m) => out.push((m, vec![j])),
                None => answers.push((j, a)),
            }
        }
        let dates: Vec<usize> = (f.last + 1..end).filter(|&j| roles[j] == Role::Typed && whole_date_of_key(lines[j].key()).is_some()).collect();
        let takes = |a: &String| def.options.contains(a);
        // The label's own answer: on its line, else the first of its list in its region.
        let mut own_answer = None;
        let mut own_date = None;
        match def.takes {
            Takes::Choice if first => {
                let inline = answer_of(&f.rest, defs).is_some_and(|a| takes(&a));
                own_answer = if inline { Some(usize::MAX) } else { answers.iter().find(|(_, a)| takes(a)).map(|(j, _)| *j) };
                if own_answer.is_none() {
                    match stray_answers.iter().position(|(_, a)| takes(a)) {
                        Some(p) => {
                            let (cell, _) = stray_answers.remove(p).unwrap_or_default();
                            out.push((f.last, cell));
                        }
                        None => waiting_choices.push(n),
                    }
                }
            }
            Takes::Date if first => {
                let inline = whole_date_of_key(&f.rest).is_some();
                own_date = if inline { Some(usize::MAX) } else { dates.first().copied().filter(|&d| (f.last + 1..d).all(|j| roles[j] == Role::Blank)) };
                if own_date.is_none() {
                    match stray_dates.pop_front() {
                        Some(cell) => out.push((f.last, cell)),
                        None => waiting_dates.push_back(n),
                    }
                }
            }
            _ => {}
        }
        // What the label does not take itself goes to a question waiting for it.
        for (j, a) in answers.into_iter().filter(|(j, _)| Some(*j) != own_answer) {
            let cell = bracketed_cell(lines, j, f.last + 1, end, &mut used);
            match waiting_choices.iter().position(|&q| defs[found[q].def].options.contains(&a)) {
                Some(p) => {
                    let q = waiting_choices.remove(p);
                    out.push((found[q].last, cell));
                }
                None => stray_answers.push_back((cell, a)),
            }
        }
        for &j in dates.iter().filter(|&&j| Some(j) != own_date) {
            let cell = date_cell(lines, roles, j, end);
            match waiting_dates.pop_front() {
                Some(q) => out.push((found[q].last, cell)),
                None => stray_dates.push_back(cell),
            }
        }
    }
    out
}

/// An answer standing alone on its line, with the lone `[` above it and the lone `]`
/// below it (within `from..to`) that no other answer took: its bracket pair.
fn bracketed_cell(lines: &[Line], j: usize, from: usize, to: usize, used: &mut [bool]) -> Vec<usize> {
    if lines[j].key().contains(['[', ']']) {
        return vec![j];
    }
    let open = (from..j).rev().find(|&i| !used[i] && lines[i].key() == "[");
    let close = (j + 1..to).find(|&i| !used[i] && lines[i].key() == "]");
    let mut cell = Vec::new();
    for (b, at_end) in [(open, false), (close, true)] {
        if let Some(b) = b {
            used[b] = true;
            if at_end {
                cell.push(j);
            }
            cell.push(b);
        }
    }
    if !cell.contains(&j) {
        cell.push(j);
    }
    cell
}

/// A question's label printed after labels that come later on the form (its cell in
/// another column): the label and what follows it up to the next label go back after
/// the label read before it in form order. (where to put it, block).
fn late_labels(found: &[Found], to: usize, defs: &Defs) -> Vec<(std::ops::Range<usize>, Vec<usize>)> {
    let mut out = Vec::new();
    let mut last_order = 0usize;
    for (n, f) in found.iter().enumerate() {
        let order = defs[f.def].order;
        if defs[f.def].opener.is_some() {
            last_order = order;
        }
        let late = order < last_order && !matches!(defs[f.def].takes, Takes::Nothing) && !seen_before(found, n);
        if late {
            let before = (0..n).filter(|&b| found[b].element == f.element && defs[found[b].def].order < order).max_by_key(|&b| defs[found[b].def].order);
            if let Some(b) = before {
                let end = found.get(n + 1).map_or(to, |x| x.line);
                // Right after its label: what that label's region holds (a box drawn
                // apart, a bracket) may belong to the late label as well.
                let region = found[b].last..found[b].last + 1;
                out.push((region, (f.line..end).collect()));
            }
        }
        last_order = last_order.max(order);
    }
    out
}

/// Whether the label of `found[n]` was found before in the same block element.
fn seen_before(found: &[Found], n: usize) -> bool {
    found[..n].iter().any(|g| g.def == found[n].def && g.element == found[n].element)
}

/// Text cells and their labels: (index into `found`, the cell's lines).
/// `doubts` gets the labels whose cell is a guess: (index into `found`, warning code,
/// message).
fn text_cells(found: &[Found], roles: &[Role], from: usize, to: usize, defs: &Defs, lines: &[Line], doubts: &mut Vec<(usize, &'static str, &'static str)>) -> Vec<(usize, Vec<usize>)> {
    let takes_text = |f: &Found| matches!(defs[f.def].takes, Takes::Text);
    let mut moves: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut pending: VecDeque<usize> = VecDeque::new();
    let mut orphans: Vec<Vec<usize>> = Vec::new();
    // Fewer than one blank line in fifty: the text does not set cells apart.
    let blankless = (from..to).filter(|&j| roles[j] == Role::Blank).count() * 50 < to - from;
    for (n, f) in found.iter().enumerate() {
        if f.part && f.line > from {
            if !orphans.is_empty() && orphans.len() == pending.len() {
                for cell in orphans.drain(..) {
                    let Some(p) = pending.pop_front() else { break };
                    doubts.push((p, "uncertain_order", "a cell printed before its label: its label is inferred from the order of the waiting labels"));
                    moves.push((p, cell));
                }
            }
            orphans.clear();
        }
        let mut just_pushed = false;
        // The same label twice in a row, only blank lines between (a part's heading that
        // prints the item's words, then the item's label): the engine reads the value
        // after the second, so the cell goes there.
        let repeated = n > 0 && found[n - 1].def == f.def && found[n - 1].element == f.element && (found[n - 1].last + 1..f.line).all(|j| roles[j] == Role::Blank);
        if takes_text(f) && repeated && !f.inline {
            if let Some(p) = pending.iter_mut().find(|p| **p == n - 1) {
                *p = n;
                just_pushed = true;
            }
        }
        if takes_text(f) && !seen_before(found, n) {
            if f.inline {
                // Its own value, with the lines of the same cell below it.
                continue;
            }
            pending.push_back(n);
            just_pushed = true;
        }
        // The run of text cells up to the next label.
        let end = found.get(n + 1).map_or(to, |x| x.line);
        let mut cells: Vec<Vec<usize>> = Vec::new();
        let mut open = false;
        for j in f.last + 1..end {
            if roles[j] == Role::Text {
                if !open {
                    cells.push(Vec::new());
                    open = true;
                }
                if let Some(c) = cells.last_mut() {
                    c.push(j);
                }
            } else {
                open = false;
            }
        }
        if pending.is_empty() {
            orphans.append(&mut cells);
            continue;
        }
        if cells.is_empty() {
            continue;
        }
        if cells.len() == 1 && just_pushed && pending.len() > 1 {
            // One cell right after its label: that label's own value.
            if let (Some(p), Some(c)) = (pending.pop_back(), cells.pop()) {
                moves.push((p, c));
            }
            continue;
        }
        // No blank lines mark where a cell ends: fewer cells than waiting labels are
        // split by what their lines are (see `scraped::cells`).
        let mut inferred = false;
        if blankless && cells.len() < pending.len() {
            let all: Vec<usize> = cells.iter().flatten().copied().collect();
            let forced: Vec<usize> = cells.iter().scan(0, |at, c| { let s = *at; *at += c.len(); Some(s) }).skip(1).collect();
            let texts: Vec<&str> = all.iter().map(|&l| lines[l].raw()).collect();
            let starts = crate::scraped::cells::split_points(&texts, &forced, pending.len());
            if starts.len() > cells.len() {
                let ends = starts.iter().skip(1).copied().chain(std::iter::once(all.len()));
                cells = starts.iter().zip(ends).map(|(&s, e)| all[s..e].to_vec()).collect();
                inferred = true;
            }
        }
        // Fewer cells than labels: the labels that may stay blank go first.
        while cells.len() < pending.len() {
            match pending.iter().position(|&p| defs[found[p].def].blank_ok) {
                Some(at) => {
                    if let Some(p) = pending.remove(at) {
                        doubts.push((p, "uncertain_assignment", "taken as empty: fewer value cells than labels waiting for one"));
                    }
                }
                None => break,
            }
        }
        let k = cells.len().min(pending.len());
        let extra = cells.len().saturating_sub(pending.len());
        let mut cells = cells.into_iter();
        for m in 0..k {
            let Some(p) = pending.pop_front() else { break };
            let mut cell = cells.next().unwrap_or_default();
            if m == k - 1 && extra > 0 {
                // More cells than labels: the last label's cell had blank lines inside.
                if k > 1 {
                    doubts.push((p, "uncertain_split", "several text blocks merged into this value"));
                }
                cell.extend(cells.by_ref().flatten());
            }
            if inferred {
                doubts.push((p, "uncertain_split", "no blank lines mark the cells: this value's first and last lines are inferred from what the lines are"));
            }
            moves.push((p, cell));
        }
    }
    // A cell already right after its label (blank lines aside) stays where it is.
    moves.retain(|(f, cell)| {
        let start = found[*f].last + 1;
        let in_place = cell.windows(2).all(|w| w[1] == w[0] + 1) && cell.first().is_some_and(|&c| c >= start && roles[start..c].iter().all(|r| *r == Role::Blank));
        !in_place
    });
    moves
}

#[cfg(test)]
mod tests {
    use crate::form::FormSet;
    use crate::reassemble::lines_of;

    fn run(text: &str) -> Vec<String> {
        let set = FormSet::builtin();
        let form = set.form_for("kiso", Some("2019-01")).expect("kiso form").0;
        let lines = lines_of(text);
        let n = lines.len();
        match super::values_after_labels(form, &set.common, &lines, 0, n) {
            Some((out, _, _)) => out.iter().map(|l| l.raw().trim().to_string()).collect(),
            None => lines.iter().map(|l| l.raw().trim().to_string()).collect(),
        }
    }

    #[test]
    fn a_value_column_goes_back_after_its_labels() {
        let text = "Ⅰ　関連情報\n\n１．特定個人情報ファイルを取り扱う事務\n\n①事務の名称\n\n②事務の概要\n\n③システムの名称\n\n２．特定個人情報ファイル名\n\n甲事務\n\n乙の概要の一行目\n二行目\n\n丙システム\n\n丁ファイル\n\n３．個人番号の利用\n\n法令上の根拠\n\n番号法第9条\n";
        let out = run(text);
        let at = |s: &str| out.iter().position(|l| l == s).unwrap_or(usize::MAX);
        assert_eq!(at("甲事務"), at("①事務の名称") + 1, "{out:?}");
        assert_eq!(at("乙の概要の一行目"), at("②事務の概要") + 1, "{out:?}");
        assert_eq!(at("二行目"), at("乙の概要の一行目") + 1, "{out:?}");
        assert_eq!(at("丙システム"), at("③システムの名称") + 1, "{out:?}");
        assert_eq!(at("丁ファイル"), at("２．特定個人情報ファイル名") + 1, "{out:?}");
        assert!(at("番号法第9条") > at("法令上の根拠"), "{out:?}");
        assert_eq!(out.len(), lines_of(text).len());
    }

    #[test]
    fn reading_order_text_is_left_alone() {
        let text = "Ⅰ　関連情報\n１．特定個人情報ファイルを取り扱う事務\n①事務の名称 甲事務\n②事務の概要\n乙の概要\n③システムの名称\n丙システム\n";
        let lines = lines_of(text);
        let set = FormSet::builtin();
        let form = set.form_for("kiso", Some("2019-01")).expect("kiso form").0;
        assert!(super::values_after_labels(form, &set.common, &lines, 0, lines.len()).is_none());
    }

    /// A made-up 基礎 sheet printed column by column (pdfminer's shape): the label column
    /// of Ⅰ, then its values; Ⅱ's questions, then Ⅲ, then the answers, dates and the
    /// result. Read by the engine after this stage, every field is its own.
    #[test]
    fn column_order_sheet_read_by_the_engine() {
        let text = "Ⅰ　関連情報\n\n１．特定個人情報ファイルを取り扱う事務\n\n①事務の名称\n\n②事務の概要\n\n③システムの名称\n\n２．特定個人情報ファイル名\n\n\
            甲事務\n\n乙の概要の一行目\n二行目\n\n丙システム\n\n丁ファイル\n\n３．個人番号の利用\n\n法令上の根拠\n\n番号法第9条\n\n\
            Ⅱ　しきい値判断項目\n\n１．対象人数\n\n評価対象の事務の対象人数は何人か\n\nいつ時点の計数か\n\n２．取扱者数\n\n\
            特定個人情報ファイル取扱者数は500人以上か\n\nいつ時点の計数か\n\n３．重大事故\n\n過去１年以内に、評価実施機関において特定個人情\n報に関する重大事故が発生したか\n\n\
            Ⅲ　しきい値判断結果\n\nしきい値判断結果\n\n[\n\n[\n\n[\n\n1万人以上10万人未満\n\n＜選択肢＞\n1) 1,000人未満（任意実施）\n\n]\n\n\
            2) 1,000人以上1万人未満\n3) 1万人以上10万人未満\n\n令和3年5月1日\n\n時点\n\n500人未満\n\n]\n\n＜選択肢＞\n1) 500人以上 2) 500人未満\n\n\
            令和3年4月1日\n\n時点\n\n発生なし\n\n]\n\n＜選択肢＞\n1) 発生あり 2) 発生なし\n\n基礎項目評価の実施が義務付けられる\n";
        let set = FormSet::builtin();
        let form = set.form_for("kiso", Some("2019-01")).expect("kiso form").0;
        let lines = lines_of(text);
        let (moved, origin, warnings) = super::values_after_labels(form, &set.common, &lines, 0, lines.len()).expect("cells to move");
        // Each output line is the input line it is traced to, every input line once.
        assert!(moved.iter().zip(&origin).all(|(l, &o)| l.raw() == lines[o].raw()));
        let mut seen = origin.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..lines.len()).collect::<Vec<_>>());
        // Every cell here is set apart by blank lines and follows its label's column.
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(moved.len(), lines.len());
        let out = crate::engine::read(form, &set.common, &moved, 0, moved.len());
        let b = serde_json::Value::Object(out.body);
        let r = &b["related"];
        assert_eq!((r["affair_name"].as_str(), r["affair_summary"].as_str()), (Some("甲事務"), Some("乙の概要の一行目\n二行目")), "{b}");
        assert_eq!((r["systems"].as_str(), r["file_name"].as_str(), r["number_use_basis"].as_str()), (Some("丙システム"), Some("丁ファイル"), Some("番号法第9条")), "{b}");
        let t = &b["threshold"];
        assert_eq!((t["target_population"]["code"].as_u64(), t["target_population"]["as_of"].as_str()), (Some(3), Some("2021-05-01")), "{b}");
        assert_eq!((t["handlers"]["code"].as_u64(), t["handlers"]["as_of"].as_str()), (Some(2), Some("2021-04-01")), "{b}");
        assert_eq!(t["serious_incident"]["code"].as_u64(), Some(2), "{b}");
        assert_eq!(t["result"].as_str(), Some("基礎項目評価の実施が義務付けられる"), "{b}");
    }

    /// pdftotext plain splits a part's number from its heading (`Ⅲ` / `しきい値判断結果`)
    /// and prints the item's label with the same words right after it: the value goes
    /// after the second, where the engine reads the item's label.
    #[test]
    fn a_label_printed_twice_in_a_row_takes_its_value_at_the_second() {
        let text = "Ⅰ　関連情報\n\n１．特定個人情報ファイルを取り扱う事務\n\n①事務の名称\n\n②事務の概要\n\n甲事務\n\n乙の概要\n\n\
            Ⅲ\n\n発生なし\n\nしきい値判断結果\n\nしきい値判断結果\n基礎項目評価の実施が義務付けられる\n\nⅣ　リスク対策\n";
        let out = run(text);
        let at = |s: &str| out.iter().position(|l| l == s).unwrap_or(usize::MAX);
        let second = out.iter().rposition(|l| l == "しきい値判断結果").unwrap_or(usize::MAX);
        assert_eq!(at("基礎項目評価の実施が義務付けられる"), second + 1, "{out:?}");
        assert_eq!(at("甲事務"), at("①事務の名称") + 1, "{out:?}");
    }
}
