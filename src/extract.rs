//! Extract: tokens → field values, by the rules file. Values are found by what they are
//! (an option label, a date, a bracket pair, a tick) and tied to their questions by the
//! form's structure, because a dump's reading order is the PDF's drawing order.

use crate::normalize::{join_cell_lines, key, text_value, whole_date, whole_date_of_key, find_date_in_key};
use crate::reassemble::{residue, CoverLabel, LabelHit, LabelKind, Labels, Options, Residue, Role, Tokens};
use crate::record::Warning;
use crate::rules::Rules;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet, VecDeque};

/// Fields found so far, as a JSON tree keyed by schema path, with warnings and the
/// source lines (0-based, inclusive) each value was read from.
pub struct Fields {
    pub tree: Value,
    pub warnings: Vec<Warning>,
    pub provenance: BTreeMap<String, [usize; 2]>,
}

impl Fields {
    fn new() -> Fields {
        Fields { tree: Value::Object(Map::new()), warnings: Vec::new(), provenance: BTreeMap::new() }
    }

    pub fn set(&mut self, path: &str, value: Value, lines: Option<[usize; 2]>) {
        set_path(&mut self.tree, path, value);
        if let Some(l) = lines {
            self.provenance.insert(path.to_string(), l);
        }
    }

    pub fn get(&self, path: &str) -> Option<&Value> {
        path.split('.').try_fold(&self.tree, |v, part| v.get(part)).filter(|v| !v.is_null())
    }

    pub fn warn(&mut self, path: &str, code: &str, message: impl Into<String>) {
        self.warnings.push(Warning { path: path.into(), code: code.into(), message: message.into() });
    }
}

/// Set the value at a dotted path, making the objects on the way (anything else in
/// their place is replaced). Keys already present are not copied again.
pub fn set_path(tree: &mut Value, path: &str, value: Value) {
    let mut node = tree;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        if parts.peek().is_none() {
            match map.get_mut(part) {
                Some(slot) => *slot = value,
                None => {
                    map.insert(part.to_string(), value);
                }
            }
            return;
        }
        if !map.contains_key(part) {
            map.insert(part.to_string(), Value::Object(Map::new()));
        }
        let Some(next) = map.get_mut(part) else { return };
        node = next;
    }
}

/// Extract every field of the body (cover, Ⅰ–Ⅳ) from tokenized lines.
pub fn extract_fields(t: &Tokens, rules: &Rules, labels: &Labels, options: &Options) -> Fields {
    let _ = labels;
    let mut f = Fields::new();
    let cover_end = t
        .hits
        .iter()
        .find(|h| h.kinds.iter().any(|k| !matches!(k, LabelKind::Cover(_) | LabelKind::Other)))
        .map_or(t.body_end, |h| h.start);
    cover(t, rules, cover_end, &mut f);
    text_fields(t, rules, cover_end, &mut f);
    // Answer candidates are found once: the boxes need their count, the choices their places.
    let found = answers(t, options);
    let boxes = check_boxes(t, rules, options, &found, &mut f);
    choices(t, rules, options, &found, &boxes, &mut f);
    as_of_dates(t, rules, &mut f);
    result(t, rules, &mut f);
    unprinted_sections(t, rules, &mut f);
    f
}

/// A section the form version does not have and the sheet does not print (Ⅳ of an old
/// 基礎 sheet): its fields stay null, and "not found" is no news there, so their
/// warnings go. A label of the section found anywhere means it is printed: kept as read.
fn unprinted_sections(t: &Tokens, rules: &Rules, f: &mut Fields) {
    if rules.absent_sections.is_empty() {
        return;
    }
    let printed = t.hits.iter().flat_map(|h| &h.kinds).any(|k| match k {
        LabelKind::Heading(i) => !rules.prints_section(&rules.headings[*i].section),
        LabelKind::Question(i) => !rules.prints_section(&rules.choice_fields[*i].section),
        LabelKind::Box(i) => !rules.prints_section(&rules.boxes[*i].section),
        _ => false,
    });
    if printed {
        return;
    }
    let paths: HashSet<&str> = (rules.text_fields.iter().filter(|x| !rules.prints_section(&x.item)).map(|x| x.path.as_str()))
        .chain(rules.choice_fields.iter().filter(|x| !rules.prints_section(&x.section)).map(|x| x.path.as_str()))
        .chain(rules.boxes.iter().filter(|x| !rules.prints_section(&x.section)).map(|x| x.path.as_str()))
        .collect();
    f.warnings.retain(|w| !paths.contains(w.path.as_str()));
}

fn hit_on_line(t: &Tokens, i: usize) -> Option<&LabelHit> {
    t.hit_at_line.get(i).copied().flatten().map(|h| &t.hits[h])
}

/// The cover page: values are typed (a stamp, a date, `番号 名称`, a body's head, the
/// declaration) because Excel draws them before or after their labels at will.
fn cover(t: &Tokens, rules: &Rules, cover_end: usize, f: &mut Fields) {
    let lines = &t.lines;
    let mut claimed = vec![false; cover_end];
    let inline = |kind: CoverLabel| {
        t.hits.iter().filter(|h| h.start < cover_end).find(|h| h.kinds.contains(&LabelKind::Cover(kind))).map(|h| (h.end, h.rest.trim().to_string()))
    };
    let evaluator_inline = inline(CoverLabel::Evaluator).filter(|(_, r)| !r.is_empty());
    let notes_inline = inline(CoverLabel::SpecialNotes).filter(|(_, r)| !r.is_empty());
    let published_inline = inline(CoverLabel::Published).and_then(|(l, r)| whole_date(&r).map(|d| (l, d)));
    let number_inline = inline(CoverLabel::NumberAndTitle).filter(|(_, r)| !r.is_empty());
    for h in t.hits.iter().filter(|h| h.start < cover_end) {
        for c in &mut claimed[h.start..=h.end.min(cover_end - 1)] {
            *c = true;
        }
    }
    // Blank lines, page numbers and the version stamp are never values.
    for i in 0..cover_end {
        let k = lines[i].key();
        if k.is_empty() || (k.len() <= 3 && k.chars().all(|c| c.is_ascii_digit())) {
            claimed[i] = true;
        }
    }
    // Declaration: the paragraph that ends in the form's fixed phrase.
    let marker = key(&rules.cover.declaration_marker);
    if let Some(m) = (0..cover_end).find(|&i| !claimed[i] && lines[i].key().contains(&marker)) {
        let mut s = m;
        while s > 0 && !claimed[s - 1] && !lines[s - 1].key().is_empty() {
            s -= 1;
        }
        let mut e = m;
        while e + 1 < cover_end && !claimed[e + 1] && !lines[e + 1].key().is_empty() && !lines[e].key().ends_with('。') {
            e += 1;
        }
        let text: Vec<&str> = lines[s..=e].iter().map(|l| l.raw()).collect();
        f.set("header.declaration", json!(text.concat().trim()), Some([s, e]));
        claimed[s..=e].iter_mut().for_each(|c| *c = true);
    } else {
        f.set("header.declaration", Value::Null, None);
        f.warn("header.declaration", "not_found", "no declaration paragraph (…宣言する。) on the cover");
    }
    // The version stamp.
    if let Some(i) = (0..t.body_end).find(|&i| crate::reassemble::is_stamp(&lines[i].key())) {
        let k = lines[i].key();
        let inner = &k[1..k.len() - 1];
        let label = inner.replace("様式", " 様式");
        f.set("form.label", json!(label), Some([i, i]));
        f.set("form.date", json!(find_date_in_key(inner, true).map(|d| d.iso)), Some([i, i]));
        let number: Option<u32> = inner.rsplit("様式").next().and_then(|n| n.parse().ok());
        f.set("form.number", json!(number), Some([i, i]));
        if i < cover_end {
            claimed[i] = true;
        }
    } else {
        f.warn("form.label", "not_found", "no form version stamp such as [平成31年1月 様式2]");
    }
    // 公表日: a date standing alone on the cover.
    match published_inline.or_else(|| (0..cover_end).find_map(|i| whole_date(&lines[i].raw()).map(|d| (i, d)))) {
        Some((i, d)) => {
            f.set("header.published_on", json!(d), Some([i, i]));
            claimed[i] = true;
        }
        None => {
            f.set("header.published_on", Value::Null, None);
            f.warn("header.published_on", "not_found", "no 公表日 date on the cover");
        }
    }
    // 評価書番号 and 評価書名 share a table row: `6 国民健康保険事務 基礎項目評価書`.
    let row = number_inline.or_else(|| {
        (0..cover_end).filter(|&i| !claimed[i]).find_map(|i| {
            let raw = lines[i].raw().trim();
            let (num, rest) = raw.split_once([' ', '　'])?;
            let num_key = key(num);
            (!num_key.is_empty() && num_key.chars().all(|c| c.is_ascii_digit() || c == '-') && !rest.trim().is_empty() && whole_date(rest).is_none())
                .then(|| (i, raw.to_string()))
        })
    });
    match row.and_then(|(i, r)| {
        let (num, title) = r.trim().split_once([' ', '　'])?;
        Some((i, key(num), title.split_whitespace().collect::<Vec<_>>().join(" ")))
    }) {
        Some((i, num, title)) => {
            f.set("header.evaluation_number", json!(num), Some([i, i]));
            f.set("header.title", json!(title), Some([i, i]));
            claimed[i] = true;
        }
        None => {
            for p in ["header.evaluation_number", "header.title"] {
                f.set(p, Value::Null, None);
                f.warn(p, "not_found", "no 評価書番号/評価書名 row on the cover");
            }
        }
    }
    // 評価実施機関名: inline after its label, else the line that names a body's head.
    let suffixes: Vec<String> = crate::form::FormSet::current().common.organization_titles.titles.iter().map(|t| key(&t.suffix)).collect();
    let evaluator = evaluator_inline.or_else(|| {
        (0..cover_end)
            .filter(|&i| !claimed[i])
            .find(|&i| {
                let k = lines[i].key();
                k.chars().count() <= 40 && !k.contains('。') && suffixes.iter().any(|s| k.ends_with(s.as_str()))
            })
            .map(|i| (i, lines[i].raw().trim().to_string()))
    });
    match evaluator {
        Some((i, e)) => {
            f.set("header.evaluator", json!(e), Some([i, i]));
            claimed[i] = true;
        }
        None => {
            f.set("header.evaluator", Value::Null, None);
            f.warn("header.evaluator", "not_found", "no 評価実施機関名 on the cover");
        }
    }
    // 特記事項: inline, else whatever text of the cover no other field took.
    let (notes, lines_used) = match notes_inline {
        Some((i, n)) => (n, Some([i, i])),
        None => {
            let rest: Vec<usize> = (0..cover_end).filter(|&i| !claimed[i]).collect();
            let text: Vec<&str> = rest.iter().map(|&i| lines[i].raw()).collect();
            (join_cell_lines(&text), rest.first().map(|&s| [s, *rest.last().unwrap_or(&s)]))
        }
    };
    f.set("header.special_notes", json!(text_value(&notes, &rules.empty_values)), lines_used);
}

/// A value cell: its lines (raw) and where they are.
struct Block {
    lines: Vec<usize>,
}

/// Text fields of Ⅰ. A label's value is the text after it; but a producer may draw all
/// single-line cells of a page first and the multi-line cells after them, in the same
/// order. So labels without a value wait in a queue; a run of value blocks after a
/// label is given to that label when it is one block, otherwise to the queue in order.
fn text_fields(t: &Tokens, rules: &Rules, from: usize, f: &mut Fields) {
    let mut values: Vec<Option<Vec<usize>>> = vec![None; rules.text_fields.len()];
    let mut inline_rest: Vec<Option<String>> = vec![None; rules.text_fields.len()];
    let mut seen = vec![false; rules.text_fields.len()];
    let mut pending: VecDeque<usize> = VecDeque::new();
    // Cells met while no label waited (tools that print a page column by column may put
    // a run of values before their labels). Given to the labels still waiting when the
    // next part (Ⅱ, Ⅲ…) starts, only if the counts agree; dropped otherwise.
    let mut orphans: Vec<Block> = Vec::new();
    // Fewer than one blank line in fifty: the text does not set cells apart.
    let blankless = (from..t.body_end).filter(|&j| t.roles[j] == Role::Blank).count() * 50 < t.body_end.saturating_sub(from);
    let mut i = from;
    while i < t.body_end {
        let Some(hit) = hit_on_line(t, i) else {
            i += 1;
            continue;
        };
        let part = hit.kinds.iter().any(|k| matches!(k, LabelKind::Heading(h) if rules.headings[*h].section.chars().count() == 1));
        if part && i > from {
            if !orphans.is_empty() && orphans.len() == pending.len() {
                for b in orphans.drain(..) {
                    let Some(fi) = pending.pop_front() else { break };
                    f.warn(&rules.text_fields[fi].path, "uncertain_order", "a cell printed before its label: its label is inferred from the order of the waiting labels");
                    values[fi] = Some(b.lines);
                }
            }
            orphans.clear();
        }
        let mut just_pushed = None;
        if let Some(fi) = hit.kinds.iter().find_map(|k| if let LabelKind::Text(fi) = k { Some(*fi) } else { None }) {
            if !seen[fi] {
                seen[fi] = true;
                if !hit.rest.trim().is_empty() {
                    // Inline value, plus lines of the same cell right below it.
                    let mut ls = vec![];
                    let mut j = hit.end + 1;
                    while j < t.body_end && t.roles[j] == Role::Text {
                        ls.push(j);
                        j += 1;
                    }
                    inline_rest[fi] = Some(hit.rest.trim().to_string());
                    values[fi] = Some(std::iter::once(hit.end).chain(ls).collect());
                    i = j;
                    continue;
                }
                pending.push_back(fi);
                just_pushed = Some(fi);
            }
        }
        // The run of value blocks up to the next label.
        let mut blocks: Vec<Block> = Vec::new();
        let mut j = hit.end + 1;
        let mut open = false;
        // Fixed words such as ＜選択肢＞ do not end a run; every other label does.
        let ends_run = |j: usize| hit_on_line(t, j).is_some_and(|h| h.kinds.iter().any(|k| *k != LabelKind::Other));
        while j < t.body_end && !ends_run(j) {
            if t.roles[j] == Role::Text {
                if !open {
                    blocks.push(Block { lines: vec![] });
                    open = true;
                }
                if let Some(b) = blocks.last_mut() { b.lines.push(j) }
            } else {
                open = false;
            }
            j += 1;
        }
        i = j;
        if pending.is_empty() {
            orphans.append(&mut blocks);
        }
        if blocks.is_empty() || pending.is_empty() {
            continue;
        }
        if blocks.len() == 1 && just_pushed.is_some() && pending.len() > 1 {
            // One cell right after its label: that label's own value.
            let fi = pending.pop_back().unwrap_or_default();
            values[fi] = blocks.pop().map(|b| b.lines);
            continue;
        }
        // A text without blank lines (pdftotext -raw, PyMuPDF) does not mark where one
        // cell ends: when the run holds fewer blocks than waiting labels, its lines are
        // split by what they are (see `scraped::cells`), and the values say so.
        let mut inferred = false;
        if blankless && blocks.len() < pending.len() {
            let all: Vec<usize> = blocks.iter().flat_map(|b| b.lines.iter().copied()).collect();
            let forced: Vec<usize> = blocks.iter().scan(0, |at, b| { let s = *at; *at += b.lines.len(); Some(s) }).skip(1).collect();
            let texts: Vec<&str> = all.iter().map(|&l| t.lines[l].raw()).collect();
            let starts = crate::scraped::cells::split_points(&texts, &forced, pending.len());
            if starts.len() > blocks.len() {
                let ends = starts.iter().skip(1).copied().chain(std::iter::once(all.len()));
                blocks = starts.iter().zip(ends).map(|(&s, e)| Block { lines: all[s..e].to_vec() }).collect();
                inferred = true;
            }
        }
        // A deferred run: drop optional labels first when there are fewer cells than labels.
        while blocks.len() < pending.len() {
            match pending.iter().position(|&fi| rules.text_fields[fi].optional) {
                Some(p) => {
                    let fi = pending.remove(p).unwrap_or_default();
                    f.warn(&rules.text_fields[fi].path, "uncertain_assignment", "taken as empty: fewer value cells than labels waiting for one");
                }
                None => break,
            }
        }
        let n = blocks.len().min(pending.len());
        let extra = blocks.len().saturating_sub(pending.len());
        let mut blocks = blocks.into_iter();
        for k in 0..n {
            let Some(fi) = pending.pop_front() else { break };
            let mut ls: Vec<usize> = blocks.next().map(|b| b.lines).unwrap_or_default();
            if k == n - 1 && extra > 0 {
                // More cells than labels: the last label's cell had blank lines inside.
                if n > 1 {
                    f.warn(&rules.text_fields[fi].path, "uncertain_split", "several text blocks merged into this value");
                }
                for b in blocks.by_ref() {
                    ls.extend(b.lines);
                }
            }
            if inferred {
                f.warn(&rules.text_fields[fi].path, "uncertain_split", "no blank lines mark the cells: this value's first and last lines are inferred from what the lines are");
            }
            values[fi] = Some(ls);
        }
    }
    for (fi, field) in rules.text_fields.iter().enumerate() {
        match &values[fi] {
            Some(ls) if !ls.is_empty() => {
                let mut texts: Vec<&str> = ls.iter().map(|&l| t.lines[l].raw()).collect();
                if let Some(r) = &inline_rest[fi] {
                    texts[0] = r.as_str();
                }
                let v = text_value(&join_cell_lines(&texts), &rules.empty_values);
                f.set(&field.path, json!(v), Some([ls[0], *ls.last().unwrap_or(&ls[0])]));
            }
            _ => {
                f.set(&field.path, Value::Null, None);
                if !field.optional {
                    let why = if seen[fi] { "label found but no value for it" } else { "label not found" };
                    f.warn(&field.path, "not_found", why);
                }
            }
        }
    }
}

/// Check boxes: `[ ○ ］label` ticked, `[ ］label` not. A box whose opening bracket is
/// drawn elsewhere takes a detached `[ ○` only when the rest of the form allows it.
fn check_boxes(t: &Tokens, rules: &Rules, options: &Options, found_answers: &[(usize, String)], f: &mut Fields) -> Vec<Option<bool>> {
    let n = rules.boxes.len();
    let (keys, finder) = &rules.compiled().box_labels;
    let mut found = vec![false; n];
    let mut own: Vec<Option<bool>> = vec![None; n];
    let mut opened_by_previous: Vec<Option<bool>> = vec![None; n];
    let mut where_: Vec<Option<usize>> = vec![None; n];
    let mut marks = Vec::new();
    for i in 0..t.body_end {
        let k = t.lines[i].key();
        // The first place of each box label on the line (one pass over the line for all
        // labels; overlapping matches so a label inside another is still seen).
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for m in finder.find_overlapping_iter(k) {
            let b = m.pattern().as_usize();
            if !hits.iter().any(|h| h.1 == b) {
                hits.push((m.start(), b));
            }
        }
        if hits.is_empty() {
            if t.residues[i] == Residue::Mark {
                marks.push(i);
            }
            continue;
        }
        hits.sort();
        let mut prev_end = 0;
        for (p, b) in &hits {
            let seg = &k[prev_end.min(*p)..*p];
            found[*b] = true;
            where_[*b] = Some(i);
            if seg.contains('[') {
                own[*b] = Some(seg.contains('○'));
            }
            prev_end = p + keys[*b].len();
        }
        // `］　内部監査 [` — a trailing bracket opens the next box of the same row.
        let (_, last) = hits[hits.len() - 1];
        let trailing = &k[prev_end..];
        let trailing = trailing.split(|c: char| c.is_alphanumeric() && c != '○').next().unwrap_or("");
        if trailing.contains('[') {
            if let Some(next) = (last + 1..n).find(|&b| rules.boxes[b].row == rules.boxes[last].row) {
                opened_by_previous[next] = Some(trailing.contains('○'));
            }
        }
    }
    let mut value: Vec<Option<bool>> = (0..n).map(|b| own[b].or(opened_by_previous[b])).collect();
    let mut unresolved: Vec<usize> = (0..n).filter(|&b| found[b] && value[b].is_none()).collect();
    // An opt-out box cannot be ticked when every question it would blank is answered.
    let measure_answers = count_shared_answers(found_answers, rules, options);
    let slots_blanked: usize = (0..n).filter(|&b| value[b] == Some(true)).map(|b| rules.boxes[b].opt_out_of.len()).sum();
    if let Some((answers, slots)) = measure_answers {
        if answers + slots_blanked >= slots && !marks.is_empty() {
            unresolved.retain(|&b| {
                let opt_out = !rules.boxes[b].opt_out_of.is_empty();
                if opt_out {
                    value[b] = Some(false);
                }
                !opt_out
            });
        }
    }
    if marks.len() == unresolved.len() {
        unresolved.iter().for_each(|&b| value[b] = Some(true));
    } else if marks.is_empty() {
        unresolved.iter().for_each(|&b| value[b] = Some(false));
    } else {
        for (k, &b) in unresolved.iter().enumerate() {
            value[b] = Some(k < marks.len());
            f.warn(&rules.boxes[b].path, "ambiguous_checkbox", format!("{} detached ○ mark(s) for {} boxes whose bracket is drawn apart from the label", marks.len(), unresolved.len()));
        }
    }
    for b in 0..n {
        let path = &rules.boxes[b].path;
        if !found[b] {
            f.set(path, Value::Null, None);
            f.warn(path, "not_found", format!("check box {} not found", rules.boxes[b].label));
        } else {
            let l = where_[b].unwrap_or(0);
            f.set(path, json!(value[b].unwrap_or(false)), Some([l, l]));
        }
    }
    value
}

/// Answer candidates: (line, option key) for every standalone option label in the body.
fn answers(t: &Tokens, options: &Options) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for i in 0..t.body_end {
        let (line, found) = match hit_on_line(t, i) {
            Some(h) => (h.end, residue(&key(&h.rest), options)),
            None if t.roles[i] == Role::Label => continue,
            None => (i, t.residues[i].clone()),
        };
        if let Residue::Answer(a) = found {
            if !numbered_after(t, line, &options.lists_of(&a)) {
                out.push((line, a));
            }
        }
    }
    out
}

/// An option list's item whose number the tool printed after it (pdftotext puts `1)` on
/// the line of the answer's closing bracket: `特に力を入れている` / `] 1)`): the next
/// line that is not blank ends with `N)` and the label is option N of one of its lists.
fn numbered_after(t: &Tokens, line: usize, codes: &[(&str, u32)]) -> bool {
    let Some(next) = (line + 1..t.body_end).find(|&j| t.roles[j] != Role::Blank) else { return false };
    let n = t.lines[next].raw().trim();
    let Some(body) = n.strip_suffix([')', '）']) else { return false };
    let digits: String = body.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
    let rest = body[..body.len() - digits.len()].trim();
    !digits.is_empty() && (rest.is_empty() || rest == "]" || rest == "］") && digits.parse::<u32>().is_ok_and(|d| codes.iter().any(|&(_, c)| c == d))
}

/// (answers found, questions) for the list shared by several questions (Ⅳ's 対策は十分か).
fn count_shared_answers(found: &[(usize, String)], rules: &Rules, options: &Options) -> Option<(usize, usize)> {
    let list = shared_list(rules)?;
    let slots = rules.choice_fields.iter().filter(|c| c.list == list).count();
    let answers = found.iter().filter(|(_, a)| options.lists_of(a).iter().any(|(l, _)| *l == list)).count();
    Some((answers, slots))
}

fn shared_list(rules: &Rules) -> Option<&str> {
    rules.choice_fields.iter().map(|c| c.list.as_str()).find(|l| rules.choice_fields.iter().filter(|c| c.list == *l).count() > 1)
}

fn section_rank(rules: &Rules, section: &str) -> usize {
    rules.headings.iter().position(|h| h.section == section).unwrap_or(usize::MAX)
}

/// The section each line belongs to, judged from the nearest label above it (or on
/// it): `sections[k]` is the section once the labels up to `t.hits[k]` are read.
struct Anchors<'a> {
    sections: Vec<Option<&'a str>>,
}

impl<'a> Anchors<'a> {
    fn new(t: &Tokens, rules: &'a Rules) -> Anchors<'a> {
        let mut last: Option<&str> = None;
        let mut sections = Vec::with_capacity(t.hits.len());
        for h in &t.hits {
            let of_hit: Vec<&str> = h
                .kinds
                .iter()
                .filter_map(|k| match k {
                    LabelKind::Heading(i) => Some(rules.headings[*i].section.as_str()),
                    LabelKind::Question(i) => Some(rules.choice_fields[*i].section.as_str()),
                    LabelKind::Box(i) => Some(rules.boxes[*i].section.as_str()),
                    _ => None,
                })
                .collect();
            if !of_hit.is_empty() {
                // One wording can belong to two questions (Ⅳ2 and Ⅳ6): take the first one
                // not before the section we are already in.
                let floor = last.map_or(0, |s| section_rank(rules, s));
                last = of_hit.iter().find(|s| section_rank(rules, s) >= floor).or(of_hit.last()).copied();
            }
            sections.push(last);
        }
        Anchors { sections }
    }

    /// The section of `line`.
    fn at(&self, t: &Tokens, line: usize) -> Option<&'a str> {
        let n = t.hits.partition_point(|h| h.start <= line);
        n.checked_sub(1).and_then(|k| self.sections[k])
    }
}

/// The section printed after `section` on the form (Ⅱ1 → Ⅱ2).
fn next_section(rules: &Rules, section: &str) -> Option<String> {
    let rank = section_rank(rules, section);
    rules.headings.iter().skip(rank.saturating_add(1)).map(|h| h.section.clone()).find(|s| s != section)
}

fn choice_json(rules: &Rules, list: &str, answer_key: &str) -> Option<Value> {
    let o = rules.list(list).iter().find(|o| key(&o.label) == answer_key)?;
    let mut v = json!({"code": o.code, "label": answer_key});
    if rules.list(list).iter().any(|o| o.at_least.is_some() || o.less_than.is_some()) {
        v["at_least"] = json!(o.at_least);
        v["less_than"] = json!(o.less_than);
        v["as_of"] = Value::Null;
    }
    Some(v)
}

fn choices(t: &Tokens, rules: &Rules, options: &Options, all: &[(usize, String)], boxes: &[Option<bool>], f: &mut Fields) {
    let of_list = |list: &str| -> Vec<(usize, String)> {
        all.iter().filter(|(_, a)| options.lists_of(a).iter().any(|(l, _)| *l == list)).cloned().collect()
    };
    let opted_out = |path: &str| -> bool {
        rules.boxes.iter().enumerate().any(|(b, bx)| boxes[b] == Some(true) && bx.opt_out_of.iter().any(|p| p == path))
    };
    let shared = shared_list(rules);
    for c in rules.choice_fields.iter().filter(|c| Some(c.list.as_str()) != shared) {
        let cands = of_list(&c.list);
        let distinct: HashSet<&str> = cands.iter().map(|(_, a)| a.as_str()).collect();
        match cands.first() {
            None => {
                f.set(&c.path, Value::Null, None);
                if !opted_out(&c.path) {
                    f.warn(&c.path, "not_found", "no answer among this question's options");
                }
            }
            Some(first) => {
                // Several different answers: prefer the one on the question's own line.
                let on_question = cands.iter().find(|(l, _)| {
                    t.hits.iter().any(|h| h.end == *l && h.kinds.iter().any(|k| matches!(k, LabelKind::Question(q) if rules.choice_fields[*q].path == c.path)))
                });
                let (line, a) = on_question.unwrap_or(first);
                if distinct.len() > 1 {
                    f.warn(&c.path, "ambiguous_value", format!("{} different answers found; took the one on line {}", distinct.len(), line + 1));
                }
                f.set(&c.path, json!(choice_json(rules, &c.list, a)), Some([*line, *line]));
            }
        }
    }
    let Some(list) = shared else { return };
    let slots: Vec<&crate::rules::ChoiceField> = rules.choice_fields.iter().filter(|c| c.list == list).collect();
    let active: Vec<usize> = (0..slots.len()).filter(|&s| !opted_out(&slots[s].path)).collect();
    let cands = of_list(list);
    // 1. By anchors: each answer goes to the next question of the section it sits in.
    let mut by_anchor: Vec<Option<usize>> = Vec::new();
    let mut next = 0;
    let anchors = Anchors::new(t, rules);
    for (line, _) in &cands {
        let sec = anchors.at(t, *line);
        let slot = active[next.min(active.len())..].iter().position(|&s| Some(slots[s].section.as_str()) == sec).map(|p| p + next);
        if let Some(p) = slot {
            next = p + 1;
        }
        by_anchor.push(slot.map(|p| active[p]));
    }
    let anchored = cands.len() == active.len() && by_anchor.iter().all(Option::is_some);
    let all_same = cands.iter().map(|(_, a)| a).collect::<HashSet<_>>().len() <= 1;
    let mut assigned: Vec<Option<(usize, String)>> = vec![None; slots.len()];
    if anchored {
        for (c, s) in cands.iter().zip(&by_anchor) {
            assigned[s.unwrap_or_default()] = Some(c.clone());
        }
    } else {
        for (c, &s) in cands.iter().zip(&active) {
            assigned[s] = Some(c.clone());
        }
        let reason = if cands.len() != active.len() {
            Some(format!("{} answers for {} questions", cands.len(), active.len()))
        } else if !all_same {
            Some("answers differ and their order in the text does not show which question each belongs to".to_string())
        } else {
            None
        };
        if let Some(r) = reason {
            for &s in &active {
                f.warn(&slots[s].path, "uncertain_order", r.clone());
            }
        }
    }
    for (s, slot) in slots.iter().enumerate() {
        match &assigned[s] {
            Some((line, a)) => f.set(&slot.path, json!(choice_json(rules, list, a)), Some([*line, *line])),
            None => {
                f.set(&slot.path, Value::Null, None);
                if active.contains(&s) {
                    f.warn(&slot.path, "not_found", "no answer for this question");
                }
            }
        }
    }
}

/// Ⅱ1 and Ⅱ2 each carry `いつ時点の計数か <date> 時点`.
fn as_of_dates(t: &Tokens, rules: &Rules, f: &mut Fields) {
    let mut dates: Vec<(usize, String)> = Vec::new();
    for i in 0..t.body_end {
        match hit_on_line(t, i) {
            Some(h) if h.kinds.contains(&LabelKind::AsOf) => {
                if let Some(d) = whole_date(&h.rest) {
                    dates.push((h.end, d));
                }
            }
            Some(_) => {}
            None if t.roles[i] == Role::Typed => {
                if let Some(d) = whole_date_of_key(&t.lines[i].key()) {
                    dates.push((i, d));
                }
            }
            None => {}
        }
    }
    // The cover's 公表日 is a standalone date too.
    let published_line = f.provenance.get("header.published_on").map(|l| l[0]);
    dates.retain(|(l, _)| Some(*l) != published_line);
    let a = &rules.as_of;
    // A date row sits just above the next item's heading or question, in either drawing
    // order: the section that follows a date names the one it belongs to.
    let owner = |line: usize| -> Option<usize> {
        let next = t.hits.iter().filter(|h| h.start > line).find_map(|h| {
            h.kinds.iter().find_map(|k| match k {
                LabelKind::Heading(i) => Some(rules.headings[*i].section.as_str()),
                LabelKind::Question(i) => Some(rules.choice_fields[*i].section.as_str()),
                _ => None,
            })
        })?;
        a.sections.iter().position(|s| next_section(rules, s).as_deref() == Some(next))
    };
    let owners: Vec<Option<usize>> = dates.iter().map(|(l, _)| owner(*l)).collect();
    let settled = dates.len() == a.paths.len() && {
        let mut seen: Vec<usize> = owners.iter().flatten().copied().collect();
        seen.sort();
        seen.dedup();
        seen.len() == a.paths.len() && owners.iter().all(Option::is_some)
    };
    if settled {
        let mut ordered = dates.clone();
        for (d, o) in dates.iter().zip(&owners) {
            ordered[o.unwrap_or_default()] = d.clone();
        }
        dates = ordered;
    }
    let differ = dates.iter().map(|(_, d)| d).collect::<HashSet<_>>().len() > 1;
    let anchors_ok = settled;
    for (k, path) in a.paths.iter().enumerate() {
        let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
        if f.get(parent).is_none() {
            continue;
        }
        match dates.get(k).or(dates.first()) {
            Some((l, d)) => {
                f.set(path, json!(d), Some([*l, *l]));
                if dates.len() != a.paths.len() {
                    f.warn(path, "uncertain_order", format!("{} 計数 dates found for {} questions", dates.len(), a.paths.len()));
                } else if differ && !anchors_ok {
                    f.warn(path, "uncertain_order", "the 計数 dates differ and the text does not show which question each belongs to");
                }
            }
            None => f.warn(path, "not_found", "no いつ時点の計数か date"),
        }
    }
}

fn result(t: &Tokens, rules: &Rules, f: &mut Fields) {
    let re = Some(&rules.compiled().result);
    let found = (0..t.body_end).find_map(|i| {
        let (text, matches) = match hit_on_line(t, i) {
            Some(h) => (h.rest.trim(), re.is_some_and(|re| re.is_match(&key(&h.rest)))),
            None if t.roles[i] == Role::Label => return None,
            None => (t.lines[i].raw().trim(), re.is_some_and(|re| re.is_match(&t.lines[i].key()))),
        };
        matches.then(|| (i, text.to_string()))
    });
    match found {
        Some((i, text)) => f.set(&rules.result.path, json!(text), Some([i, i])),
        None => {
            f.set(&rules.result.path, Value::Null, None);
            f.warn(&rules.result.path, "not_found", "no しきい値判断結果");
        }
    }
}
