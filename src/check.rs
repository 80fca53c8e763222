//! Consistency checks on a finished record (form-notes §4, R1/R2/R4/R5 and the change
//! history). They add findings (`findings[]`), apart from the extraction's warnings: a
//! sheet that contradicts itself is still read as printed, and the finding tells the
//! reader which answers disagree.

use crate::normalize::{key, parse_date};
use crate::record::{Record, Warning};
use crate::form::{Common, FieldType, Form};
use serde_json::Value;

/// Finding codes added by [`check`], with what they mean (for the codebook).
pub const CODES: &[(&str, &str)] = &[
    ("threshold_mismatch", "the しきい値判断結果 does not follow from the answers it rests on by the form's table: 基礎 Ⅲ from Ⅱ (対象人数, 取扱者数, 重大事故); 重点 Ⅴ1② / 全項目 Ⅵ1② from the sheet's kind and 対象人数"),
    ("kind_below_required", "Ⅳ１ the sheets submitted are fewer than Ⅲ requires (e.g. 基礎 only where 重点 is required)"),
    ("count_date_after_published", "Ⅱ いつ時点の計数か is later than the 公表日"),
    ("opt_out_answered", "an opt-out box (委託しない, 提供・移転しない, 接続しない) is ticked but its question is answered"),
    ("opt_out_missing_answer", "an opt-out box is not ticked but its question has no answer"),
    ("published_before_change", "the 公表日 is earlier than the newest 変更日 in 変更箇所"),
    ("latest_change_differs", "the newest 変更後の記載 of an item differs from the item's value in the body"),
    ("count_mismatch", "a printed （　）件 count differs from the number of blocks printed for it (委託事項, 提供先, 移転先)"),
    ("inconsistent_opt_out", "Ⅱ and Ⅲ disagree on an opt-out: Ⅱ4 委託しない vs Ⅲ4 「委託しない」 or 委託事項 printed, Ⅱ5 行っていない vs Ⅲ5 「提供・移転しない」 or 提供先/移転先 printed, 情報連携 実施しない vs Ⅲ6 「接続しない」 boxes unticked"),
    ("date_order", "a date of the 評価実施手続 (or the 承認日) is after the 公表日, or a period ends before it starts"),
    ("approval_by_local_body", "a 承認日 or 個人情報保護委員会の承認 提出日 (【行政機関等のみ】) is given on a local body's sheet"),
];

/// What the checks read from a form description: derived from its fields, so a new
/// version or kind brings its own (issue #11).
pub struct FormChecks<'a> {
    /// The しきい値 table.
    table: &'a [crate::form::ThresholdRule],
    /// What the form's fields give, made once per form ([`FormFacts::of`]).
    facts: &'a FormFacts,
    /// What opens an addition in a 変更後 cell.
    addition_markers: &'a [String],
}

/// What the checks read from a form's own fields, made on the form's first check and
/// kept in it (perf: was made again for every document).
#[derive(Debug)]
pub struct FormFacts {
    /// Levels of the 評価書の種類 options (Ⅳ1), by code.
    kind_levels: Vec<(u32, u32)>,
    /// The いつ時点の計数か dates (a choice's `as_of`).
    as_of: Vec<String>,
    /// Opt-out boxes: path, printed label and the questions a tick leaves blank.
    opt_outs: Vec<(String, String, Vec<String>)>,
    /// Fields a change row can name.
    targets: Vec<ChangeTarget>,
}

impl<'a> FormChecks<'a> {
    pub fn of(form: &'a Form, common: &'a Common) -> FormChecks<'a> {
        let facts = form.checks.get_or_init(|| FormFacts::of(form, common));
        FormChecks { table: &common.threshold_table.rules, facts, addition_markers: &common.change_table.addition_markers }
    }
}

impl FormFacts {
    fn of(form: &Form, common: &Common) -> FormFacts {
        let leaves = form.leaves();
        let label_keys = |labels: &mut dyn Iterator<Item = &String>| -> Vec<String> {
            labels.map(|l| loc_key(l).trim_start_matches(is_number_char).to_string()).filter(|l| !l.is_empty()).collect()
        };
        let kind_levels = leaves
            .iter()
            .filter(|l| l.path == "risk.assessment_kind")
            .filter_map(|l| l.field.list.as_deref().and_then(|n| common.lists.get(n)))
            .flat_map(|list| list.iter().filter_map(|o| Some((o.code, o.level?))))
            .collect();
        let mut as_of = Vec::new();
        let mut targets: Vec<ChangeTarget> = Vec::new();
        let mut opt_outs: Vec<(String, String, Vec<String>)> = Vec::new();
        for l in &leaves {
            let f = l.field;
            if matches!(f.ty, FieldType::String | FieldType::Text) && !f.label.is_empty() {
                targets.push(ChangeTarget { path: l.path.clone(), item: f.item.clone(), labels: label_keys(&mut f.label.iter()) });
            }
            if f.ty == FieldType::Box {
                opt_outs.push((l.path.clone(), f.after.clone().or_else(|| f.label.first().cloned()).unwrap_or_default(), Vec::new()));
            }
        }
        // The date targets after the text fields (the order a path's rows are matched in).
        for l in &leaves {
            if let Some(label) = &l.field.as_of {
                let path = format!("{}.as_of", l.path);
                as_of.push(path.clone());
                targets.push(ChangeTarget { path, item: l.field.item.clone(), labels: label_keys(&mut std::iter::once(label)) });
            }
        }
        // A field's `opt_out` names a box of its own block or section.
        for l in &leaves {
            let prefix = l.path.strip_suffix(l.field.path.as_str()).unwrap_or_default();
            for b in &l.field.opt_out {
                let box_path = format!("{prefix}{b}");
                if let Some(o) = opt_outs.iter_mut().find(|o| o.0 == box_path) {
                    o.2.push(l.path.clone());
                }
            }
        }
        opt_outs.retain(|o| !o.2.is_empty());
        FormFacts { kind_levels, as_of, opt_outs, targets }
    }
}

/// The checks a kind can list (`checks` of a kind in `rules/common.json`), each with
/// what it compares. What they read — paths, labels, tables — is in the form
/// description: a new kind lists the checks that fit its sheet and brings its data.
pub const CHECKS: &[(&str, &str)] = &[
    ("threshold_table", "the しきい値判断結果 (typed `threshold.result`) against the level the しきい値 table gives for the answers it rests on"),
    ("kind_level", "the 評価書の種類 chosen (typed `risk.assessment_kind`, its options' `level`) is not below the しきい値判断結果"),
    ("as_of_dates", "every いつ時点の計数か date (a choice's `as_of`) is not after the 公表日"),
    ("opt_out_boxes", "an opt-out box and the questions whose `opt_out` names it exclude each other"),
    ("published_after_changes", "the 公表日 is not before the newest 変更日"),
    ("latest_changes", "the newest 変更後の記載 of a field equals the field's value"),
    ("block_counts", "a printed （　）件 count equals the number of blocks printed beside it"),
    ("opt_out_pairs", "opt-out boxes against the answers that say whether they should be ticked (the kind's `opt_out_pairs` table)"),
    ("date_order", "the dates of the `date_checks.section` and the 承認日 are not after the 公表日; a period runs forward"),
    ("approval_by_local_body", "no 承認日 nor `date_checks.approval_submitted` on a local body's sheet"),
    ("threshold_by_kind", "the sheet's しきい値判断結果 (`threshold_table.result_path`) against its kind's `level` and 対象人数 by the しきい値 table"),
];

/// Add the consistency findings of the record's kind (its `checks`, in order) to
/// `record`; never removes anything nor changes the status.
pub fn check(record: &mut Record, form: &Form, common: &Common) {
    let kind = &form.kind;
    let on = |name: &str| kind.checks.iter().any(|c| c == name);
    // The whole record as JSON for the checks that look fields up by the paths of the
    // form description (the change rows, warnings and provenance left out: no check
    // reads them there, and they are most of the record's size).
    let whole = ["as_of_dates", "opt_out_boxes", "latest_changes"].iter().any(|c| on(c)).then(|| {
        let changes = std::mem::take(&mut record.changes);
        let warnings = std::mem::take(&mut record.warnings);
        let provenance = record.provenance.take();
        let tree = serde_json::to_value(&*record).unwrap_or_default();
        (record.changes, record.warnings, record.provenance) = (changes, warnings, provenance);
        tree
    });
    let body = Value::Object(record.body.clone());
    let rules = ["threshold_table", "kind_level", "as_of_dates", "opt_out_boxes", "latest_changes"].iter().any(|c| on(c)).then(|| FormChecks::of(form, common));
    let mut out: Vec<Warning> = Vec::new();
    for name in &kind.checks {
        let mut warn = |path: String, code: &str, message: String| out.push(Warning { path, code: code.into(), message });
        let tree = whole.as_ref().unwrap_or(&Value::Null);
        match (name.as_str(), &rules) {
            ("threshold_table", Some(rules)) => threshold_table(record, rules, &mut warn),
            ("kind_level", Some(rules)) => kind_level(record, rules, &mut warn),
            ("as_of_dates", Some(rules)) => as_of_dates(record, rules, tree, &mut warn),
            ("opt_out_boxes", Some(rules)) => opt_out_boxes(rules, tree, &mut warn),
            ("published_after_changes", _) => published_after_changes(record, &mut warn),
            ("latest_changes", Some(rules)) => latest_changes(record, rules, tree, &mut warn),
            ("block_counts", _) => counts(&body, &mut String::new(), &mut warn),
            ("opt_out_pairs", _) => {
                let pairs = kind.opt_out_pairs.as_ref().and_then(|t| common.opt_out_pairs.get(t));
                opt_out_pairs(&body, pairs.map_or(&[][..], Vec::as_slice), &mut warn)
            }
            ("date_order", _) => date_order(record, &body, &common.date_checks, &mut warn),
            ("approval_by_local_body", _) => approval_by_local_body(record, &body, &common.date_checks, &mut warn),
            ("threshold_by_kind", _) => threshold_by_kind(kind.level, &body, &common.threshold_table, &mut warn),
            _ => {} // unknown names are refused when the rules load (form::check_kind)
        }
    }
    record.findings.extend(out);
}

/// R1: the しきい値判断結果 = the table's level for the answers it rests on.
fn threshold_table(record: &Record, rules: &FormChecks, warn: &mut impl FnMut(String, &str, String)) {
    let Some(t) = record.threshold.as_ref() else { return };
    let stated = t.result.as_deref().and_then(result_level);
    let (pop, hand, inc) = (t.target_population.as_ref().map(|c| c.code), t.handlers.as_ref().map(|c| c.code), t.serious_incident.as_ref().map(|c| c.code));
    if let (Some(stated), Some(p)) = (stated, pop) {
        // A rule applies only when every answer it names is known.
        let expected = rules.table.iter().find(|r| {
            r.population == Some(p)
                && r.handlers.is_none_or(|h| hand == Some(h))
                && r.incident.is_none_or(|i| inc == Some(i))
        });
        if let Some(rule) = expected {
            if rule.level != stated {
                warn("threshold.result".into(), "threshold_mismatch", format!("Ⅱ answers give level {} but Ⅲ says level {stated}", rule.level));
            }
        }
    }
}

/// R2: the 評価書の種類's level ≥ the しきい値判断結果's (higher is voluntary and allowed).
fn kind_level(record: &Record, rules: &FormChecks, warn: &mut impl FnMut(String, &str, String)) {
    let stated = record.threshold.as_ref().and_then(|t| t.result.as_deref()).and_then(result_level);
    if let (Some(stated), Some(kind)) = (stated, record.risk.as_ref().and_then(|r| r.assessment_kind.as_ref())) {
        let level = rules.facts.kind_levels.iter().find(|o| o.0 == kind.code).map(|o| o.1);
        if let Some(level) = level.filter(|l| *l < stated) {
            warn("risk.assessment_kind".into(), "kind_below_required", format!("Ⅳ１ is level {level} but Ⅲ requires level {stated}"));
        }
    }
}

/// R4: counts are taken before publication. ISO dates compare as strings.
fn as_of_dates(record: &Record, rules: &FormChecks, tree: &Value, warn: &mut impl FnMut(String, &str, String)) {
    let Some(p) = &record.header.published_on else { return };
    for path in &rules.facts.as_of {
        if let Some(d) = get(tree, path).and_then(Value::as_str).filter(|d| d.len() == p.len() && *d > p.as_str()) {
            warn(path.clone(), "count_date_after_published", format!("counted on {d}, after the 公表日 {p}"));
        }
    }
}

/// R5: an opt-out box and its question exclude each other.
fn opt_out_boxes(rules: &FormChecks, tree: &Value, warn: &mut impl FnMut(String, &str, String)) {
    for (path, label, questions) in &rules.facts.opt_outs {
        let ticked = get(tree, path).and_then(Value::as_bool);
        for q in questions {
            let answered = get(tree, q).is_some_and(|v| !v.is_null());
            match (ticked, answered) {
                (Some(true), true) => warn(q.clone(), "opt_out_answered", format!("「{label}」 is ticked but the question is answered")),
                (Some(false), false) => warn(q.clone(), "opt_out_missing_answer", format!("「{label}」 is not ticked and the question has no answer")),
                _ => {}
            }
        }
    }
}

/// The 公表日 of a revised sheet is on or after its newest change.
fn published_after_changes(record: &Record, warn: &mut impl FnMut(String, &str, String)) {
    let newest = record.changes.iter().filter_map(|c| c.date.as_deref()).max();
    if let (Some(p), Some(n)) = (&record.header.published_on, newest) {
        if n.len() == p.len() && n > p.as_str() {
            warn("header.published_on".into(), "published_before_change", format!("公表日 {p} is before the newest change of {n}"));
        }
    }
}

/// `inconsistent_opt_out`: in each block of a pair's `each`, the opt-out box against
/// the answers that say "none" or "some", and the blocks a "none" leaves empty.
fn opt_out_pairs(body: &Value, pairs: &[crate::form::OptOutPair], warn: &mut impl FnMut(String, &str, String)) {
    let says = |block: &Value, a: &crate::form::Answer| {
        let v = get(if a.root { body } else { block }, &a.path);
        match &a.label {
            Some(label) => v.and_then(|c| c.get("label")).and_then(Value::as_str).is_some_and(|l| key(l) == key(label)),
            None => v.and_then(Value::as_bool) == Some(true),
        }
    };
    // Blocks first, each with every pair: the findings of one block stay together.
    let mut each: Vec<&str> = pairs.iter().map(|p| p.each.as_str()).collect();
    each.dedup();
    for array in each {
        for (i, block) in get(body, array).and_then(Value::as_array).into_iter().flatten().enumerate() {
            let at = |p: &str| format!("{array}[{i}].{p}");
            for pair in pairs.iter().filter(|p| p.each == array) {
                let no = pair.no.iter().any(|a| says(block, a));
                let yes = pair.yes.iter().any(|a| says(block, a));
                match get(block, &pair.opt_out).and_then(Value::as_bool) {
                    Some(false) if no && !yes => warn(at(&pair.opt_out), "inconsistent_opt_out", pair.unticked.clone()),
                    Some(true) if yes => {
                        if let Some(m) = &pair.ticked {
                            warn(at(&pair.opt_out), "inconsistent_opt_out", m.clone())
                        }
                    }
                    _ => {}
                }
                let printed: usize = pair.blocks.iter().map(|p| get(block, p).and_then(Value::as_array).map_or(0, Vec::len)).sum();
                if let (true, Some(path), Some(m)) = (no && printed > 0, &pair.blocks_at, &pair.blocks_message) {
                    warn(at(path), "inconsistent_opt_out", m.replace("{n}", &printed.to_string()));
                }
            }
        }
    }
}

/// `date_order`: the procedure happens before publication, a period runs forward.
fn date_order(record: &Record, body: &Value, dates: &crate::form::DateChecks, warn: &mut impl FnMut(String, &str, String)) {
    let section = get(body, &dates.section).unwrap_or(&Value::Null);
    if let Some(p) = record.header.published_on.clone() {
        let mut found = Vec::new();
        iso_dates(section, &mut dates.section.clone(), &mut found);
        if let Some(a) = &record.header.approved_on {
            found.push(("header.approved_on".to_string(), a.clone()));
        }
        for (path, d) in found.into_iter().filter(|(_, d)| d.len() == p.len() && *d > p) {
            warn(path, "date_order", format!("{d} is after the 公表日 {p}"));
        }
    }
    periods(section, &mut dates.section.clone(), warn);
}

/// `approval_by_local_body`: the 承認日 and its 提出日 are 【行政機関等のみ】.
fn approval_by_local_body(record: &Record, body: &Value, dates: &crate::form::DateChecks, warn: &mut impl FnMut(String, &str, String)) {
    if !record.organization.kind.as_deref().is_some_and(|k| dates.local_bodies.iter().any(|l| l == k)) {
        return;
    }
    let submitted = get(body, &dates.approval_submitted).and_then(Value::as_str).map(str::to_string);
    for (path, d) in [("header.approved_on".to_string(), record.header.approved_on.clone()), (dates.approval_submitted.clone(), submitted)] {
        if let Some(d) = d {
            warn(path, "approval_by_local_body", format!("{d} is given for a 行政機関等-only item, but {} is a local body", record.organization.name.as_deref().unwrap_or("the evaluator")));
        }
    }
}

/// `threshold_mismatch` of a sheet that states its own しきい値判断結果: against its
/// kind's level and 対象人数, by the form's table (the other answers are not on these
/// sheets: any is possible).
fn threshold_by_kind(level: Option<u32>, body: &Value, table: &crate::form::ThresholdTable, warn: &mut impl FnMut(String, &str, String)) {
    let result = get(body, &table.result_path).and_then(|r| r.get("label")).and_then(Value::as_str);
    let band = get(body, &table.population_path).and_then(|p| p.get("code")).and_then(Value::as_u64);
    if let (Some(level), Some(result), Some(band)) = (level, result, band) {
        let mandatory = !table.not_mandatory.iter().any(|w| result.contains(w.as_str()));
        let levels: Vec<u32> = table.rules.iter().filter(|r| r.population.map(u64::from) == Some(band)).map(|r| r.level).collect();
        let (lo, hi) = (levels.iter().min(), levels.iter().max());
        let path = table.result_path.clone();
        if mandatory && hi.is_some_and(|h| *h < level) {
            warn(path, "threshold_mismatch", format!("「{result}」 but 対象人数 band {band} never requires this sheet"));
        } else if !mandatory && lo.is_some_and(|l| *l >= level) {
            warn(path, "threshold_mismatch", format!("「{result}」 but 対象人数 band {band} always requires this sheet"));
        }
    }
}

/// `count_mismatch` for every object holding an integer `count` and one list beside it.
fn counts(v: &Value, path: &mut String, warn: &mut impl FnMut(String, &str, String)) {
    match v {
        Value::Object(m) => {
            let lists: Vec<(&String, usize)> = m.iter().filter_map(|(k, v)| v.as_array().map(|a| (k, a.len()))).collect();
            if let (Some(n), [(name, len)]) = (m.get("count").and_then(Value::as_u64), lists.as_slice()) {
                if n != *len as u64 {
                    warn(format!("{path}.count"), "count_mismatch", format!("（{n}）件 printed, {len} {name} blocks printed"));
                }
            }
            for (k, sub) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                counts(sub, path, warn);
                path.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, sub) in a.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                counts(sub, path, warn);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn is_iso_date(s: &str) -> bool {
    s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
}

/// Every ISO date below `v` (the `_text` siblings hold the printed form and are skipped).
fn iso_dates(v: &Value, path: &mut String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, sub) in m.iter().filter(|(k, _)| !k.ends_with("_text") && *k != "text") {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                iso_dates(sub, path, out);
                path.truncate(len);
            }
        }
        Value::String(s) if is_iso_date(s) => out.push((path.clone(), s.clone())),
        _ => {}
    }
}

/// `date_order` for a period (`{from, to}`) that ends before it starts.
fn periods(v: &Value, path: &mut String, warn: &mut impl FnMut(String, &str, String)) {
    let Value::Object(m) = v else { return };
    if let (Some(from), Some(to)) = (m.get("from").and_then(Value::as_str), m.get("to").and_then(Value::as_str)) {
        if is_iso_date(from) && is_iso_date(to) && from > to {
            warn(format!("{path}.from"), "date_order", format!("the period starts on {from}, after its end {to}"));
        }
    }
    for (k, sub) in m {
        let len = path.len();
        path.push('.');
        path.push_str(k);
        periods(sub, path, warn);
        path.truncate(len);
    }
}

/// Level of a Ⅲ result text (3 全項目, 2 重点, 1 基礎, 0 not mandatory), by the words of
/// the form description's `threshold_table.result_levels`.
pub fn result_level(text: &str) -> Option<u32> {
    crate::form::FormSet::current().common.threshold_table.result_levels.iter().find(|r| text.contains(r.word.as_str())).map(|r| r.level)
}

/// A field of the record by dotted path.
fn get<'a>(tree: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(tree, |v, k| v.get(k))
}

/// Item numbers and labels compared as printed, but with full-width digits and white
/// space folded (NFKC would also fold Ⅰ and ②, which carry the item number).
fn loc_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if ('０'..='９').contains(&c) { char::from(b'0' + (c as u32 - '０' as u32) as u8) } else { c })
        .collect()
}

fn is_number_char(c: char) -> bool {
    matches!(c, 'Ⅰ' | 'Ⅱ' | 'Ⅲ' | 'Ⅳ' | '．' | '.') || c.is_ascii_digit() || ('①'..='⑳').contains(&c)
}

/// A field a change row can point to: its path, its printed item number and its labels
/// without their numbers (see [`loc_key`]). Built once per rules file.
#[derive(Debug)]
pub struct ChangeTarget {
    path: String,
    item: String,
    labels: Vec<String>,
}

/// The fields a change row points to, each with whether the printed item number is the
/// field's own (exact) or only the label matched (a loose match, never compared).
fn locate<'r>(item: &str, targets: &'r [ChangeTarget]) -> Vec<(&'r str, bool)> {
    let item = loc_key(item);
    let label = item.trim_start_matches(is_number_char);
    if label.is_empty() {
        return Vec::new();
    }
    let number: String = item[..item.len() - label.len()].chars().filter(|c| !matches!(c, '．' | '.')).collect();
    // 「②所属長の役職名」 matches the label 「②所属長」 and the other way round.
    let mut found: Vec<(&str, bool)> = targets
        .iter()
        .filter(|t| t.labels.iter().any(|l| label.starts_with(l.as_str()) || l.starts_with(label)))
        .map(|t| (t.path.as_str(), number == t.item))
        .collect();
    // An exact match settles it; otherwise every loosely matched field is touched.
    if found.iter().any(|f| f.1) {
        found.retain(|f| f.1);
    }
    found
}

/// `latest_change_differs`: only where the newest row touching a field names it
/// exactly, says what the whole value became, and the comparison is meaningful.
fn latest_changes(record: &Record, rules: &FormChecks, tree: &Value, warn: &mut impl FnMut(String, &str, String)) {
    // Newest row per field; on equal dates the later row of the table wins.
    let targets = &rules.facts.targets;
    let mut newest: Vec<(&str, bool, usize)> = Vec::new();
    for (i, c) in record.changes.iter().enumerate() {
        let Some(date) = c.date.as_deref() else { continue };
        for (path, exact) in locate(&c.item, targets) {
            match newest.iter_mut().find(|(p, _, _)| *p == path) {
                Some(slot) if record.changes[slot.2].date.as_deref().is_some_and(|d| d > date) => {}
                Some(slot) => *slot = (path, exact, i),
                None => newest.push((path, exact, i)),
            }
        }
    }
    for (path, exact, i) in newest {
        let change = &record.changes[i];
        let Some(after) = change.after.as_deref() else { continue };
        // An addition (「従前の記載に…追加」) gives only the new part, not the value.
        if !exact || rules.addition_markers.iter().any(|m| key(after).starts_with(&key(m))) {
            continue;
        }
        let Some(current) = get(tree, path).and_then(Value::as_str) else { continue };
        // Multi-line cells are cut short and re-flowed in the table (a 。 lost at a line
        // end): only one-line values compare reliably.
        if after.trim().contains('\n') || current.trim().contains('\n') {
            continue;
        }
        let differs = if path.ends_with(".as_of") {
            parse_date(after).is_some_and(|d| d != current)
        } else {
            key(after) != key(current)
        };
        if differs {
            warn(path.to_string(), "latest_change_differs", format!("変更箇所 of {} ({}) gives {:?}, the body has {:?}", change.date_text, change.item, after, current));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Choice;

    /// perf: the facts kept in a form (made on its first check) are those made afresh, and
    /// a second check takes the kept ones.
    #[test]
    fn kept_form_facts_equal_fresh_ones() {
        let forms = crate::form::FormSet::builtin();
        for kind in ["kiso", "juten", "zenkomoku"] {
            let Some((form, _)) = forms.form_for(kind, None) else { continue };
            let first = FormChecks::of(form, &forms.common);
            let again = FormChecks::of(form, &forms.common);
            assert!(std::ptr::eq(first.facts, again.facts), "{kind}");
            assert_eq!(format!("{:?}", first.facts), format!("{:?}", FormFacts::of(form, &forms.common)), "{kind}");
            assert!(!first.facts.targets.is_empty(), "{kind}");
        }
    }

    fn rules() -> FormChecks<'static> {
        let forms = crate::form::FormSet::builtin();
        FormChecks::of(forms.form_for("kiso", None).unwrap().0, &forms.common)
    }

    /// The checks of the seed's form (平成31年1月 基礎), as the reader runs them.
    struct Kiso;

    fn check(r: &mut Record, _: &Kiso) {
        let forms = crate::form::FormSet::builtin();
        super::check(r, forms.form_for("kiso", None).unwrap().0, &forms.common);
    }

    fn sample() -> (Record, Kiso) {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).unwrap();
        let mut r = crate::extract_text_dump("sample.txt", &bytes);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        r.findings.clear();
        (r, Kiso)
    }

    fn codes(r: &Record) -> Vec<(&str, &str)> {
        r.findings.iter().map(|w| (w.code.as_str(), w.path.as_str())).collect()
    }

    #[test]
    fn opt_out_boxes_and_their_questions() {
        let (mut r, rules) = sample();
        r.risk.as_mut().unwrap().outsourcing.not_outsourced = Some(true);
        r.risk.as_mut().unwrap().network.provision = None;
        check(&mut r, &rules);
        assert_eq!(codes(&r), [("opt_out_answered", "risk.outsourcing.misuse"), ("opt_out_missing_answer", "risk.network.provision")]);
        // A box that was not found says nothing either way.
        let (mut r, _) = sample();
        r.risk.as_mut().unwrap().provision.not_provided = None;
        r.risk.as_mut().unwrap().provision.misuse = None;
        check(&mut r, &rules);
        assert!(r.findings.is_empty());
    }

    #[test]
    fn result_levels_and_missing_answers() {
        assert_eq!(result_level("特定個人情報保護評価の実施が義務付けられない（任意実施）"), Some(0));
        assert_eq!(result_level("基礎項目評価の実施が義務付けられる"), Some(1));
        assert_eq!(result_level("基礎項目評価及び全項目評価の実施が義務付けられる"), Some(3));
        // No rule applies when an answer the rule needs is unknown.
        let (mut r, rules) = sample();
        r.threshold.as_mut().unwrap().serious_incident = None;
        check(&mut r, &rules);
        assert!(r.findings.is_empty());
        let (mut r, _) = sample();
        r.risk.as_mut().unwrap().assessment_kind = Some(Choice { code: 1, label: "基礎項目評価書".into() });
        check(&mut r, &rules);
        assert_eq!(codes(&r), [("kind_below_required", "risk.assessment_kind")]);
    }

    #[test]
    fn change_rows_point_to_fields() {
        let rules = rules();
        assert_eq!(locate("Ⅰ１③システムの名称", &rules.facts.targets), [("related.systems", true)]);
        assert_eq!(locate("Ⅰ５②所属長の役職名", &rules.facts.targets), [("related.department_head", true)]);
        assert_eq!(locate("Ⅱ２いつ時点の計数か", &rules.facts.targets), [("threshold.handlers.as_of", true)]);
        // A wrong or missing item number only touches the field loosely.
        assert_eq!(locate("Ⅰ システムの名称", &rules.facts.targets), [("related.systems", false)]);
        assert!(locate("Ⅰ４法令上の根拠", &rules.facts.targets).iter().all(|(_, exact)| !exact));
    }
}
