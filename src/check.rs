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
    /// Levels of the 評価書の種類 options (Ⅳ1), by code.
    kind_levels: Vec<(u32, u32)>,
    /// The いつ時点の計数か dates (a choice's `as_of`).
    as_of: Vec<String>,
    /// Opt-out boxes: path, printed label and the questions a tick leaves blank.
    opt_outs: Vec<(String, String, Vec<String>)>,
    /// Fields a change row can name.
    targets: Vec<ChangeTarget>,
    /// What opens an addition in a 変更後 cell.
    addition_markers: &'a [String],
}

impl<'a> FormChecks<'a> {
    pub fn of(form: &Form, common: &'a Common) -> FormChecks<'a> {
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
        FormChecks { table: &common.threshold_table.rules, kind_levels, as_of, opt_outs, targets, addition_markers: &common.change_table.addition_markers }
    }
}

/// Add consistency findings to `record` (never removes anything).
pub fn check(record: &mut Record, rules: &FormChecks) {
    // Paths are looked up generically in the JSON form, as the rules name them. The
    // change rows, warnings and provenance are left out of it: no check reads them
    // there, and they are most of the record's size.
    let changes = std::mem::take(&mut record.changes);
    let warnings = std::mem::take(&mut record.warnings);
    let provenance = record.provenance.take();
    let tree = serde_json::to_value(&*record);
    (record.changes, record.warnings, record.provenance) = (changes, warnings, provenance);
    if let Ok(tree) = tree {
        check_with_tree(record, rules, &tree);
    }
}

/// [`check`] given the record's fields in JSON form already (`tree`: the record
/// without its change rows, or more).
pub fn check_with_tree(record: &mut Record, rules: &FormChecks, tree: &Value) {
    let mut out = Vec::new();
    let mut warn = |path: &str, code: &str, message: String| out.push(Warning { path: path.into(), code: code.into(), message });

    // The 基礎 checks (R1, R2) read the typed 基礎 body; other kinds have none.
    let default_threshold = crate::record::Threshold::default();
    let default_risk = crate::record::Risk::default();
    // R1: Ⅲ = f(Ⅱ1, Ⅱ2, Ⅱ3).
    let t = record.threshold.as_ref().unwrap_or(&default_threshold);
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
                warn("threshold.result", "threshold_mismatch", format!("Ⅱ answers give level {} but Ⅲ says level {stated}", rule.level));
            }
        }
    }
    // R2: Ⅳ1 level ≥ Ⅲ level (higher is voluntary and allowed).
    if let (Some(stated), Some(kind)) = (stated, &record.risk.as_ref().unwrap_or(&default_risk).assessment_kind) {
        let level = rules.kind_levels.iter().find(|o| o.0 == kind.code).map(|o| o.1);
        if let Some(level) = level.filter(|l| *l < stated) {
            warn("risk.assessment_kind", "kind_below_required", format!("Ⅳ１ is level {level} but Ⅲ requires level {stated}"));
        }
    }
    // R4: counts are taken before publication. ISO dates compare as strings.
    let published = record.header.published_on.clone();
    if let Some(p) = &published {
        for path in &rules.as_of {
            if let Some(d) = get(tree, path).and_then(Value::as_str).filter(|d| d.len() == p.len() && *d > p.as_str()) {
                warn(path, "count_date_after_published", format!("counted on {d}, after the 公表日 {p}"));
            }
        }
    }
    // R5: an opt-out box and its question exclude each other.
    for (path, label, questions) in &rules.opt_outs {
        let ticked = get(tree, path).and_then(Value::as_bool);
        for q in questions {
            let answered = get(tree, q).is_some_and(|v| !v.is_null());
            match (ticked, answered) {
                (Some(true), true) => warn(q, "opt_out_answered", format!("「{label}」 is ticked but the question is answered")),
                (Some(false), false) => warn(q, "opt_out_missing_answer", format!("「{label}」 is not ticked and the question has no answer")),
                _ => {}
            }
        }
    }
    // The 公表日 of a revised sheet is on or after its newest change.
    let newest = record.changes.iter().filter_map(|c| c.date.as_deref()).max();
    if let (Some(p), Some(n)) = (&published, newest) {
        if n.len() == p.len() && n > p.as_str() {
            warn("header.published_on", "published_before_change", format!("公表日 {p} is before the newest change of {n}"));
        }
    }
    latest_changes(record, rules, tree, &mut warn);
    record.findings.extend(out);
}

/// Level a kind's sheet stands for (the 評価書の種類 levels of 基礎 Ⅳ1): 2 重点, 3 全項目.
fn kind_level(kind: &str) -> Option<u32> {
    match kind {
        "juten" => Some(2),
        "zenkomoku" => Some(3),
        _ => None,
    }
}

/// Findings of the kinds read by the form engine (重点, 全項目): the cross-checks their
/// schema files list (juten-schema.md, zenkomoku-schema.md). Like [`check`], they never
/// change a value or the status.
pub fn check_described(record: &mut Record, table: &[crate::form::ThresholdRule]) {
    let tree = Value::Object(record.body.clone());
    let mut out: Vec<Warning> = Vec::new();
    let mut warn = |path: String, code: &str, message: String| out.push(Warning { path, code: code.into(), message });
    // count_mismatch: a printed `（　）件` against the blocks printed beside it.
    counts(&tree, &mut String::new(), &mut warn);
    // inconsistent_opt_out: Ⅱ's answer against Ⅲ's opt-out box, per file.
    let label_is = |v: Option<&Value>, label: &str| v.and_then(|c| c.get("label")).and_then(Value::as_str).is_some_and(|l| key(l) == key(label));
    let no_linkage = label_is(get(&tree, "basic.network_linkage"), "実施しない");
    for (i, file) in tree.get("files").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let at = |p: &str| format!("files[{i}].{p}");
        let boxed = |p: &str| get(file, p).and_then(Value::as_bool);
        let outsourced = get(file, "outsourcing.outsourced");
        let (says_no, says_yes) = (label_is(outsourced, "委託しない"), label_is(outsourced, "委託する"));
        match boxed("risk.outsourcing.not_outsourced") {
            Some(false) if says_no => warn(at("risk.outsourcing.not_outsourced"), "inconsistent_opt_out", "Ⅱ4 says 委託しない but Ⅲ4 「委託しない」 is not ticked".into()),
            Some(true) if says_yes => warn(at("risk.outsourcing.not_outsourced"), "inconsistent_opt_out", "Ⅱ4 says 委託する but Ⅲ4 「委託しない」 is ticked".into()),
            _ => {}
        }
        let contracts = get(file, "outsourcing.contracts").and_then(Value::as_array).map_or(0, Vec::len);
        if says_no && contracts > 0 {
            warn(at("outsourcing.contracts"), "inconsistent_opt_out", format!("Ⅱ4 says 委託しない but {contracts} 委託事項 are printed"));
        }
        let ticked = |p: &str| get(file, &format!("provision_transfer.{p}")).and_then(Value::as_bool);
        let none = ticked("none") == Some(true);
        let some = ticked("provision") == Some(true) || ticked("transfer") == Some(true);
        match boxed("risk.provision.not_provided") {
            Some(false) if none && !some => warn(at("risk.provision.not_provided"), "inconsistent_opt_out", "Ⅱ5 says 行っていない but Ⅲ5 「提供・移転しない」 is not ticked".into()),
            Some(true) if some => warn(at("risk.provision.not_provided"), "inconsistent_opt_out", "Ⅱ5 says 提供 or 移転を行っている but Ⅲ5 「提供・移転しない」 is ticked".into()),
            _ => {}
        }
        let recipients: usize = ["provision.recipients", "transfer.recipients"].iter().map(|p| get(file, p).and_then(Value::as_array).map_or(0, Vec::len)).sum();
        if none && recipients > 0 {
            warn(at("provision_transfer.none"), "inconsistent_opt_out", format!("Ⅱ5 says 行っていない but {recipients} 提供先/移転先 are printed"));
        }
        if no_linkage {
            for (p, label) in [("risk.network.no_acquisition", "接続しない（入手）"), ("risk.network.no_provision", "接続しない（提供）")] {
                if boxed(p) == Some(false) {
                    warn(at(p), "inconsistent_opt_out", format!("情報提供ネットワークシステムによる情報連携 is 実施しない but Ⅲ6 「{label}」 is not ticked"));
                }
            }
        }
    }
    // date_order: the procedure happens before publication, a period runs forward.
    if let Some(p) = record.header.published_on.clone() {
        let mut dates = Vec::new();
        iso_dates(tree.get("procedure").unwrap_or(&Value::Null), &mut "procedure".to_string(), &mut dates);
        if let Some(a) = &record.header.approved_on {
            dates.push(("header.approved_on".to_string(), a.clone()));
        }
        for (path, d) in dates.into_iter().filter(|(_, d)| d.len() == p.len() && *d > p) {
            warn(path, "date_order", format!("{d} is after the 公表日 {p}"));
        }
    }
    periods(tree.get("procedure").unwrap_or(&Value::Null), &mut "procedure".to_string(), &mut warn);
    // approval_by_local_body: 承認日 and its 提出日 are 【行政機関等のみ】.
    let local = ["municipality", "prefecture", "special_ward", "union"];
    if record.organization.kind.as_deref().is_some_and(|k| local.contains(&k)) {
        let submitted = get(&tree, "procedure.ppc_approval.submitted_on").and_then(Value::as_str).map(str::to_string);
        for (path, d) in [("header.approved_on".to_string(), record.header.approved_on.clone()), ("procedure.ppc_approval.submitted_on".to_string(), submitted)] {
            if let Some(d) = d {
                warn(path, "approval_by_local_body", format!("{d} is given for a 行政機関等-only item, but {} is a local body", record.organization.name.as_deref().unwrap_or("the evaluator")));
            }
        }
    }
    // threshold_mismatch: the sheet's しきい値判断結果 against its kind and 対象人数, by
    // the form's table (the other answers are not on these sheets: any is possible).
    let result = get(&tree, "procedure.basic_assessment.threshold_result").and_then(|r| r.get("label")).and_then(Value::as_str);
    let band = get(&tree, "basic.target_population.code").and_then(Value::as_u64);
    if let (Some(level), Some(result), Some(band)) = (record.kind.as_deref().and_then(kind_level), result, band) {
        let mandatory = !result.contains("義務付けられない") && !result.contains("任意");
        let levels: Vec<u32> = table.iter().filter(|r| r.population.map(u64::from) == Some(band)).map(|r| r.level).collect();
        let (lo, hi) = (levels.iter().min(), levels.iter().max());
        let path = "procedure.basic_assessment.threshold_result".to_string();
        if mandatory && hi.is_some_and(|h| *h < level) {
            warn(path, "threshold_mismatch", format!("「{result}」 but 対象人数 band {band} never requires this sheet"));
        } else if !mandatory && lo.is_some_and(|l| *l >= level) {
            warn(path, "threshold_mismatch", format!("「{result}」 but 対象人数 band {band} always requires this sheet"));
        }
    }
    record.findings.extend(out);
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

/// Level of a Ⅲ result text: 3 全項目, 2 重点, 1 基礎, 0 not mandatory.
pub fn result_level(text: &str) -> Option<u32> {
    if text.contains("全項目") {
        Some(3)
    } else if text.contains("重点") {
        Some(2)
    } else if text.contains("義務付けられない") || text.contains("任意") {
        Some(0)
    } else if text.contains("基礎") {
        Some(1)
    } else {
        None
    }
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
fn latest_changes(record: &Record, rules: &FormChecks, tree: &Value, warn: &mut impl FnMut(&str, &str, String)) {
    // Newest row per field; on equal dates the later row of the table wins.
    let targets = &rules.targets;
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
            warn(path, "latest_change_differs", format!("変更箇所 of {} ({}) gives {:?}, the body has {:?}", change.date_text, change.item, after, current));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Choice;

    fn rules() -> FormChecks<'static> {
        let forms = crate::form::FormSet::builtin();
        FormChecks::of(forms.form_for("kiso", None).unwrap().0, &forms.common)
    }

    fn sample() -> (Record, FormChecks<'static>) {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).unwrap();
        let mut r = crate::extract_text_dump("sample.txt", &bytes);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        r.findings.clear();
        (r, rules())
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
        assert_eq!(locate("Ⅰ１③システムの名称", &rules.targets), [("related.systems", true)]);
        assert_eq!(locate("Ⅰ５②所属長の役職名", &rules.targets), [("related.department_head", true)]);
        assert_eq!(locate("Ⅱ２いつ時点の計数か", &rules.targets), [("threshold.handlers.as_of", true)]);
        // A wrong or missing item number only touches the field loosely.
        assert_eq!(locate("Ⅰ システムの名称", &rules.targets), [("related.systems", false)]);
        assert!(locate("Ⅰ４法令上の根拠", &rules.targets).iter().all(|(_, exact)| !exact));
    }
}
