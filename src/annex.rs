//! A 別添 published as a file of its own, holding only the 変更箇所 pages (form-notes
//! §2: a 全項目 sheet's 別添 may be separate PDFs). It has no cover: the body, the
//! 評価書番号 and the 公表日 are not printed on it, so they stay null, and one warning
//! (`annex_only`) says why instead of a `not_found` for every field of the sheet.

use crate::form::FormSet;
use crate::normalize::key;
use crate::record::{Record, Source, Status, Warning};
use crate::reassemble::Line;
use std::collections::HashSet;

/// Where the change table starts, when `lines` hold nothing before it but headings and
/// page marks: no cover label (評価書番号, 評価実施機関名) and no numbered section.
pub fn table_start(lines: &[Line], common: &crate::form::Common) -> Option<usize> {
    let start = crate::reassemble::change_region_start(lines, &common.change_table);
    if start == lines.len() {
        return None;
    }
    let cover = [key(&common.cover.evaluator), key(&common.cover.number_and_title)];
    let sections = ['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', 'Ⅵ'];
    let before_table = lines[..start].iter().map(|l| l.key());
    let sheet_like = before_table.clone().any(|k| cover.iter().any(|c| k.contains(c.as_str())) || k.starts_with(sections));
    // An annex is at most a few lines of page heading before its table.
    (!sheet_like && before_table.filter(|k| !k.is_empty()).count() <= 6).then_some(start)
}

/// The kind whose 変更箇所 is `（別添ｎ）`: the change table comes after a kind's other
/// 別添 (全項目: 事務の内容, 記録項目 → 別添3; 重点: 記録項目 → 別添2); a table
/// without a 別添 number belongs to the kind that has no other 別添 (基礎).
fn kind_of_number(forms: &FormSet, n: Option<usize>) -> Option<String> {
    let annexes_of = |kind: &str| -> usize {
        let sections: HashSet<&str> = forms
            .forms
            .iter()
            .filter(|f| f.kind.kind == kind)
            .flat_map(|f| &f.body)
            .filter_map(|node| match node {
                crate::form::Node::Section(s) if s.section.starts_with("別添") => Some(s.section.as_str()),
                _ => None,
            })
            .collect();
        sections.len()
    };
    let kinds = forms.common.kinds.iter().map(|k| k.kind.as_str());
    match n {
        // A kind without 別添 sections numbers none: the table is its only 別添 when it is the one such kind.
        None => {
            let without: Vec<&str> = kinds.filter(|k| annexes_of(k) == 0).collect();
            (without.len() == 1).then(|| without[0].to_string())
        }
        Some(n) => kinds.map(str::to_string).find(|kind| {
            let annexes = annexes_of(kind);
            annexes > 0 && annexes + 1 == n
        }),
    }
}

/// The `（別添ｎ）` number printed with the change heading, if any.
fn annex_number(lines: &[Line], start: usize, table: &crate::form::ChangeTable) -> Option<usize> {
    let heading = key(&table.heading);
    lines[..=start.min(lines.len() - 1)].iter().filter(|l| l.key().contains(&heading)).find_map(|l| {
        let (_, rest) = l.key().split_once("別添")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// The record of an annex: its kind, form stamp (when its pages carry one) and change
/// rows; the source back when it has no change row (then it is not read as an annex).
pub fn record(source: Source, lines: &[Line], start: usize, table: Option<&[crate::pdf::TableRow]>) -> Result<Record, Source> {
    let forms = FormSet::current();
    let change_table = &forms.common.change_table;
    let mut warnings = Vec::new();
    let changes = match table {
        Some(rows) => crate::changes::from_table(rows, &mut warnings),
        None => crate::changes::from_text(lines, start, change_table, &HashSet::new(), &mut warnings),
    };
    if changes.is_empty() {
        return Err(source);
    }
    let stamp = crate::engine::stamp(lines);
    let keys: Vec<&str> = lines.iter().map(|l| l.key()).collect();
    let number = annex_number(lines, start, change_table);
    let kind = forms
        .kind_of(&keys)
        .map(|k| k.kind.clone())
        .or_else(|| stamp.as_ref().and_then(|s| forms.kind_by_number(s.2)).map(|k| k.kind.clone()))
        .or_else(|| kind_of_number(forms, number));
    let heading = &change_table.heading;
    let label = number.map_or(heading.clone(), |n| format!("（別添{n}）{heading}"));
    warnings.insert(
        0,
        Warning {
            path: "kind".into(),
            code: "annex_only".into(),
            message: format!("{label} published on its own: no cover or body, so the body, 評価書番号 and 公表日 are not in it (null); join it to its sheet by body and change rows"),
        },
    );
    let (form_label, date, form_number) = match stamp {
        Some((d, l, n)) => (Some(l), Some(d), Some(n)),
        None => (None, None, None),
    };
    Ok(Record {
        schema_version: crate::SCHEMA_VERSION.into(),
        source,
        kind,
        form: crate::record::Form { label: form_label, date, number: form_number },
        changes,
        warnings,
        status: Status::Partial,
        ..Default::default()
    })
}
