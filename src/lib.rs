//! piasheet: 特定個人情報保護評価書 (PIA sheets) → typed records (schema 1).
//!
//! The flow, one module per stage, data moving one way:
//! [`decode`] (bytes → text) or [`pdf`] (PDF → lines rebuilt from geometry) →
//! [`reassemble`] (lines and their match keys) → [`form`] (the kind and version's
//! description, `rules/*.json`) → [`engine`] (fields by the description) →
//! [`normalize`] / [`organization`] (dates, choices, 団体コード) → [`changes`] (変更箇所
//! rows) → [`check`] → [`record`] (the output) → [`write`].

pub mod changes;
pub mod check;
pub mod codebook;
pub mod codes;
pub mod dataset;
pub mod diff;
pub mod decode;
pub mod engine;
pub mod extras;
pub mod form;
pub mod normalize;
pub mod organization;
pub mod pdf;
pub mod reassemble;
pub mod record;
pub mod schema;
pub mod scraped;
pub mod batch;
pub mod write;
pub mod api;
pub mod annex;

use normalize::key;
use record::{ErrorInfo, Record, Source, Status, Warning};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

pub const SCHEMA_VERSION: &str = "1";

/// The `source` block of a record for these bytes.
pub fn source_of(file: &str, bytes: &[u8], format: &str) -> Source {
    Source {
        file: file.to_string(),
        sha256: format!("{:x}", Sha256::digest(bytes)),
        bytes: bytes.len() as u64,
        format: format.to_string(),
        encoding: None,
        pages: None,
        text_layout: None,
        pdf_route: None,
    }
}

/// A record that says why the input could not be read.
pub fn failed(source: Source, code: &str, reason: impl Into<String>) -> Record {
    Record {
        schema_version: SCHEMA_VERSION.into(),
        source,
        status: Status::Failed,
        error: Some(ErrorInfo { code: code.into(), reason: reason.into() }),
        ..Default::default()
    }
}

/// Read a text dump (any encoding) into a record. Never panics on any input.
pub fn extract_text_dump(file: &str, bytes: &[u8]) -> Record {
    let source = source_of(file, bytes, "text");
    from_decoded(source, decode::decode_text(bytes))
}

/// [`extract_text_dump`] for bytes the caller gives up, with their `source` block
/// ([`source_of`]) already made: the same record, but the bytes are freed (or, valid
/// UTF-8, become the text) before the parse, and the text once split into lines, so a
/// large dump is not held three times over (issue #16, peak memory).
pub fn extract_text_owned(source: Source, bytes: Vec<u8>) -> Record {
    from_decoded(source, decode::decode_text_owned(bytes))
}

fn from_decoded(mut source: Source, decoded: Result<decode::Decoded, decode::DecodeError>) -> Record {
    let decoded = match decoded {
        Ok(d) => d,
        Err(e) => return failed(source, e.code, e.reason),
    };
    source.encoding = Some(decoded.encoding.to_string());
    if decode::looks_like_html(decoded.text.as_bytes()) {
        return failed(source, "not_a_sheet", "an HTML page (a saved web page?), not a text dump");
    }
    let shape = scraped::shape_of(&decoded.text);
    source.text_layout = Some(shape.name().to_string());
    let replaced = decoded.replaced;
    let mut record = match scraped::rebuild(&decoded.text, shape) {
        Some(rebuilt) => {
            drop(decoded);
            scraped_record(source, rebuilt)
        }
        None => {
            let lines = reassemble::lines_of_owned(decoded.text);
            extract_lines(source, lines, None, None)
        }
    };
    if replaced > 0 && record.status != Status::Failed {
        record.warnings.insert(
            0,
            Warning { path: "source.encoding".into(), code: "invalid_bytes".into(), message: format!("{replaced} invalid UTF-8 sequence(s) replaced by U+FFFD") },
        );
        record.status = Status::Partial;
    }
    record
}

/// Read reading-order lines rebuilt from a scraped text, as a PDF's layout is read.
fn scraped_record(source: Source, mut rebuilt: scraped::Rebuilt) -> Record {
    let lines = reassemble::lines_of_joined(std::mem::take(&mut rebuilt.lines));
    let mut record = extract_lines(source, lines, rebuilt.change_rows.as_deref(), None);
    let mut unreadable = rebuilt.unreadable_rows;
    if !rebuilt.pending.is_empty() && record.status != Status::Failed {
        // Rows whose two text cells only the sheet's other texts tell apart: the body's
        // values and the cells of the rows read.
        let mut known = scraped::Known::default();
        // perf: the body's values walked in place (not a copy of the body wrapped).
        record.body.values().for_each(|v| collect_strings(v, &mut known.after));
        for part in [serde_json::to_value(&record.header), serde_json::to_value(&record.related), serde_json::to_value(&record.threshold), serde_json::to_value(&record.risk)] {
            collect_strings(&part.unwrap_or_default(), &mut known.after);
        }
        for c in &record.changes {
            known.after.extend(c.before.as_deref().map(key));
            known.before.extend(c.after.as_deref().map(key));
        }
        let (rows, warnings) = scraped::resolve_pending(&rebuilt.pending, &mut known);
        unreadable = unreadable.saturating_sub(rows.len());
        record.changes.extend(changes::from_table(&rows, &mut record.warnings));
        record.changes.sort_by(|a, b| a.date.cmp(&b.date));
        record.warnings.extend(warnings);
    }
    record.warnings.extend(rebuilt.warnings);
    if unreadable > 0 && record.status != Status::Failed {
        let n = unreadable;
        record.warnings.push(Warning { path: "changes".into(), code: "unreadable_rows".into(), message: format!("{n} change row(s) could not be rebuilt from this text and are left out") });
        record.status = Status::Partial;
    }
    record
}

/// Read a PDF layout (already rebuilt from geometry) into a record.
pub fn extract_pdf_layout(source: Source, layout: &pdf::PdfLayout) -> Record {
    let text: Vec<&str> = layout.lines.iter().map(|l| l.text.as_str()).collect();
    let lines = reassemble::lines_of(&text.join("\n"));
    // Page and box of every line, for the provenance (a layout line is one text line,
    // but one holding a line break would make two).
    let geometry: Vec<(u32, [f32; 4])> = layout.lines.iter().flat_map(|l| std::iter::repeat_n((l.page, l.bbox), l.text.split('\n').count())).collect();
    extract_lines(source, lines, Some(&layout.change_rows), Some(&geometry))
}

/// Page and box of each line of a PDF's reading order (see [`record::Provenance::of`]).
type Geometry<'a> = Option<&'a [(u32, [f32; 4])]>;

fn extract_lines(source: Source, lines: Vec<reassemble::Line>, table: Option<&[pdf::TableRow]>, geometry: Geometry) -> Record {
    // A 別添 published alone: only the change table.
    let forms = form::FormSet::current();
    let source = match annex::table_start(&lines, &forms.common) {
        Some(start) => match annex::record(source, &lines, start, table) {
            Ok(record) => return record,
            Err(source) => source,
        },
        None => source,
    };
    let stamp = engine::stamp_at(&lines);
    // The kind: the printed title first, then the stamp's 様式 number. (The keys' list
    // is freed at once: 16 bytes a line, held through the parse it was 0.4x a large
    // dump's size; issue #16.)
    let by_title = forms.kind_of(&lines.iter().map(|l| l.key()).collect::<Vec<&str>>());
    let kind = by_title.or_else(|| stamp.as_ref().and_then(|s| forms.kind_by_number((s.1).2)));
    // No title and no stamp: the kind whose form's labels are printed here, if enough
    // of them are to call the text a sheet at all.
    let kind = match kind {
        Some(k) => k,
        None => match kind_by_labels(forms, &lines) {
            Ok(k) => k,
            Err(found) => return failed(source, "not_a_sheet", format!("no 特定個人情報保護評価書 title, no form stamp and only {found} of a form's labels: not a PIA sheet")),
        },
    };
    extract_described(source, lines, table, forms, kind, stamp, geometry)
}

/// Distinct labels of a form to find in a text without title or stamp before it is read
/// as a sheet of that kind.
const LABELS_OF_A_SHEET: usize = 10;

/// The kind whose newest form has the most of its labels printed in `lines` (at least
/// [`LABELS_OF_A_SHEET`]); else the most found, for the failure's reason. Labels of
/// fewer than four characters are left out: prose holds those by chance.
fn kind_by_labels<'a>(forms: &'a form::FormSet, lines: &[reassemble::Line]) -> Result<&'a form::KindInfo, usize> {
    let mut best: Option<(&form::KindInfo, usize)> = None;
    for kind in &forms.common.kinds {
        let Some((form, _)) = forms.form_for(&kind.kind, None) else { continue };
        // Known labels are sorted and distinct already (`extras::KnownLabels`).
        let labels: Vec<&str> = engine::index(form, &forms.common).known_labels.iter().map(String::as_str).filter(|l| l.chars().count() >= 4).collect();
        let found = labels_found(&labels, lines);
        if best.is_none_or(|(_, n)| found > n) {
            best = Some((kind, found));
        }
    }
    match best {
        Some((kind, n)) if n >= LABELS_OF_A_SHEET => Ok(kind),
        other => Err(other.map_or(0, |(_, n)| n)),
    }
}

/// How many of `labels` some line's key holds. One automaton pass over each key: a
/// search per label per line took seconds on a large text that is not a sheet.
fn labels_found(labels: &[&str], lines: &[reassemble::Line]) -> usize {
    let Ok(ac) = aho_corasick::AhoCorasick::new(labels) else { return 0 };
    let mut seen = vec![false; labels.len()];
    for line in lines {
        for m in ac.find_overlapping_iter(line.key()) {
            seen[m.pattern().as_usize()] = true;
        }
    }
    seen.iter().filter(|&&s| s).count()
}

/// A sheet of a kind read by the form engine: the cover, the described body, the
/// organization and the change history.
fn extract_described(
    source: Source,
    lines: Vec<reassemble::Line>,
    table: Option<&[pdf::TableRow]>,
    forms: &form::FormSet,
    kind: &form::KindInfo,
    stamp: Option<(usize, (String, String, u32))>,
    geometry: Geometry,
) -> Record {
    let mut warnings = Vec::new();
    // The stamp and the line it is printed on.
    let (stamp_line, stamp) = stamp.unzip();
    let (label, date, number) = match &stamp {
        Some((d, l, n)) => (Some(l.clone()), Some(d.clone()), Some(*n)),
        None => {
            warnings.push(Warning { path: "form.label".into(), code: "not_found".into(), message: "no form version stamp such as [平成30年5月 様式4]".into() });
            (None, None, None)
        }
    };
    if let Some(n) = number.filter(|n| *n != kind.form_number) {
        warnings.push(Warning { path: "kind".into(), code: "kind_mismatch".into(), message: format!("the title says {} but the stamp says 様式{n}", kind.title) });
    }
    let Some((form, exact)) = forms.form_for(&kind.kind, date.as_deref()) else {
        return failed(source, "unsupported_kind", format!("no form description for {}", kind.title));
    };
    // Geometry only where it is line for line (a PDF's reading order, never reordered).
    let geometry = geometry.filter(|g| g.len() == lines.len());
    if !exact {
        warnings.push(Warning {
            path: "form.label".into(),
            code: "unknown_form_version".into(),
            message: format!("stamp {:?} has no rules file; read with {}", label.clone().unwrap_or_default(), form.id),
        });
    }
    let change_table = &forms.common.change_table;
    let mut body_end = reassemble::change_region_start(&lines, change_table);
    // One cell per line (a mirror site): no header row to find, but the table's heading
    // (`（別添３）変更箇所`) is there, apart from its entry in the 項目一覧.
    let change_heading = key(&change_table.heading);
    let index_heading = key(&forms.common.index_heading);
    let index = lines.iter().position(|l| l.key() == index_heading);
    let is_heading = |l: &reassemble::Line| l.key().ends_with(&change_heading) && l.key().len() <= change_heading.len() + 12;
    if body_end == lines.len() {
        if let Some(h) = lines.iter().rposition(is_heading) {
            if index.is_none_or(|i| h > i + 15) {
                body_end = h;
            }
        }
    }
    // The table's own heading (`（別添３）変更箇所`) is not part of the body.
    while body_end > 0 && (lines[body_end - 1].key().is_empty() || lines[body_end - 1].key().ends_with(&change_heading)) {
        body_end -= 1;
    }
    // The heading also ends the body's last item when the header row was found further
    // on (a header drawn apart from its heading): the change rows still start at body_end.
    // Only past the 項目一覧 (which lists the heading too).
    let index_end = index.map(|i| engine::skip_index(&lines, i, body_end, &forms.common, form));
    let read_end = index_end.and_then(|i| (i..body_end).find(|&h| is_heading(&lines[h]))).unwrap_or(body_end);
    let cover_end = engine::cover_end(&forms.common, form, &lines, read_end);
    // A drawing-order dump (pdf-extract): wrapped cells back beside their labels.
    let n = lines.len();
    // The provenance names the input's lines: each moved line is traced back.
    // A text as the tool printed it, when it is read reordered (its answers are settled on it).
    let mut printed = None;
    let (lines, origin) = match source.text_layout.as_deref() {
        // The unjumble pass knows where each line it moves came from.
        Some("pdf_extract") => {
            // Only the lines the settling reads (up to `read_end`): a large change table
            // after them is not held twice (issue #16).
            if engine::settles_answers(form) {
                printed = Some((lines[..read_end.min(lines.len())].to_vec(), engine::Settle::Placed));
            }
            let (moved, origin) = engine::unjumble_traced(form, &forms.common, lines, cover_end, read_end);
            (moved, Some(origin))
        }
        // A text printed column by column: value cells back after their labels.
        Some("pdftotext" | "pdftotext_raw" | "pdfminer" | "pymupdf") => match engine::values_after_labels(form, &forms.common, &lines, cover_end, read_end) {
            Some((moved, origin, doubts)) => {
                warnings.extend(doubts);
                let mut lines = lines;
                lines.truncate(read_end);
                lines.shrink_to_fit();
                printed = Some((lines, engine::Settle::All));
                (moved, Some(origin))
            }
            None => (lines, None),
        },
        _ => (lines, None),
    };
    // The trace is held through the parse: 4 bytes a line, not 8 (issue #16; a large
    // dump's lines are far fewer than 2^32).
    let origin: Option<Vec<u32>> = origin.map(|o| o.iter().map(|&i| u32::try_from(i).unwrap_or(u32::MAX)).collect());
    let traced = |l: [usize; 2]| match &origin {
        Some(o) => {
            let at = |i: usize| o.get(i).map_or(i, |&j| j as usize);
            let (a, b) = (at(l[0]), at(l[1]));
            [a.min(b), a.max(b)]
        }
        None => l,
    };
    // Putting a dump drawn value first in reading order may split lines: what follows
    // the region moves by as many.
    let printed_end = read_end;
    let (read_end, body_end) = ((read_end + lines.len()).saturating_sub(n), (body_end + lines.len()).saturating_sub(n));
    let head_titles: Vec<String> = forms.common.organization_titles.titles.iter().map(|t| t.suffix.clone()).collect();
    let cover = engine::cover(&forms.common, &lines, cover_end, kind.prints_approval, &head_titles);
    // Numbered items the form does not name: kept, and the zones of the items before
    // them end where the extra item begins.
    let (mut body, extras) = engine::read_with_stops_of(form, &forms.common, &lines, cover_end, read_end, |claims| {
        let extras = extras::find(&lines, cover_end, read_end, claims, &engine::index(form, &forms.common).known_labels);
        (extras.iter().map(|e| e.line).collect(), extras)
    });
    // Boxes printed ticked first: an opted-out question takes none of those answers.
    // The lines are read for boxes once, for both box passes.
    let mut box_lines = engine::BoxLines::default();
    engine::fill_ticked_boxes(form, &lines, cover_end, read_end, &mut body.body, &mut body.warnings, &mut body.provenance, &mut box_lines);
    // Choices whose answer was drawn apart from the question: given by what they are.
    engine::fill_by_type(form, &forms.common, &lines, cover_end, read_end, &mut body.body, &mut body.warnings, &mut body.provenance);
    // Boxes drawn apart from their item's label: read by their own text.
    engine::fill_boxes(form, &lines, cover_end, read_end, &mut body.body, &mut body.warnings, &mut body.provenance, &mut box_lines);
    warnings.extend(cover.warnings);
    warnings.extend(body.warnings);
    let mut provenance = cover.provenance;
    provenance.extend(body.provenance);
    provenance.values_mut().for_each(|l| *l = traced(*l));
    // Answers and boxes printed apart from their questions: settled on the printed order.
    if let Some((printed, how)) = &printed {
        engine::settle_answers(form, &forms.common, printed, cover_end, printed_end, *how, &mut body.body, &mut warnings, &mut provenance);
    }
    // The stamp's line for the form's fields; the body's from its evaluator.
    if let Some(i) = stamp_line {
        for p in ["form.label", "form.date", "form.number"] {
            provenance.insert(p.into(), [i, i]);
        }
    }
    let mut extra_items = Vec::new();
    for (i, e) in extras.into_iter().enumerate() {
        let path = format!("extra_items[{i}]");
        let what = e.item.path_printed.clone().unwrap_or_else(|| e.item.label.clone());
        warnings.push(Warning { path: path.clone(), code: "extra_item".into(), message: format!("「{what}」 is printed but not in the form description {}", form.id) });
        provenance.insert(path, traced([e.line, e.last]));
        extra_items.push(e.item);
    }
    let header: record::Header = serde_json::from_value(Value::Object(cover.header)).unwrap_or_default();
    let organization = match &header.evaluator {
        Some(e) => {
            let context = || lines.iter().map(|l| l.key()).collect::<String>();
            let res = organization::resolve(e, &forms.common.organization_titles.titles, context);
            if let Some(note) = res.note {
                warnings.push(Warning { path: "organization.lg_code".into(), code: "ambiguous_body".into(), message: note });
            }
            if let Some(l) = provenance.get("header.evaluator").copied() {
                provenance.insert("organization".into(), l);
            }
            res.org
        }
        None => {
            warnings.push(Warning { path: "organization".into(), code: "not_found".into(), message: "no 評価実施機関名 to derive the body from".into() });
            record::Organization::default()
        }
    };
    let changes = match table {
        Some(rows) => changes::from_table(rows, &mut warnings),
        None => {
            // perf: made at its size (grown, every string was hashed again at each growth).
            let mut known: HashSet<String> = HashSet::with_capacity(body.body.values().map(count_strings).sum());
            body.body.values().for_each(|v| collect_strings(v, &mut known));
            // The table's lines are spent as its rows are made (issue #16: a large
            // table's lines and its changes were held side by side); nothing reads them after.
            let mut lines = lines;
            changes::from_text_spending(&mut lines, body_end, change_table, &known, &mut warnings)
        }
    };
    let mut body_map = body.body;
    // The parts of the body the record types (基礎's, kiso-schema.md; the kind's
    // `typed_parts`) go to their fields.
    fn typed<T: serde::de::DeserializeOwned>(m: &mut serde_json::Map<String, Value>, part: &str) -> Result<Option<T>, serde_json::Error> {
        m.remove(part).map(serde_json::from_value).transpose()
    }
    let (mut related, mut threshold, mut risk) = (None, None, None);
    for part in &kind.typed_parts {
        let done = match part.as_str() {
            "related" => typed(&mut body_map, part).map(|v| related = v),
            "threshold" => typed(&mut body_map, part).map(|v| threshold = v),
            "risk" => typed(&mut body_map, part).map(|v| risk = v),
            _ => Ok(()), // refused when the rules load (form::check_kind)
        };
        if let Err(e) = done {
            return failed(source, "internal", format!("record does not fit the schema: {e}"));
        }
    }
    let mut record = Record {
        schema_version: SCHEMA_VERSION.into(),
        source,
        kind: Some(kind.kind.clone()),
        form: record::Form { label, date, number },
        header,
        organization,
        related,
        threshold,
        risk,
        body: body_map,
        changes,
        extra_items,
        warnings,
        provenance: Some(provenance.iter().map(|(k, v)| (k.clone(), record::Provenance::of(v[0], v[1], geometry))).collect()),
        ..Default::default()
    };
    check::check(&mut record, form, &forms.common);
    record.status = if record.warnings.is_empty() { Status::Ok } else { Status::Partial };
    record
}

/// How many strings [`collect_strings`] keys in `v` (an upper bound of the set's size).
fn count_strings(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::String(_) => 1,
        serde_json::Value::Object(m) => m.values().map(count_strings).sum(),
        serde_json::Value::Array(a) => a.iter().map(count_strings).sum(),
        _ => 0,
    }
}

fn collect_strings(v: &serde_json::Value, out: &mut HashSet<String>) {
    match v {
        serde_json::Value::String(s) => {
            out.insert(key(s));
        }
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The automaton counts the same labels as a search per label per line, overlapping
    /// labels and labels printed twice included.
    #[test]
    fn labels_found_equals_a_search_per_label() {
        let labels = ["評価実施機関名", "実施機関", "特定個人情報ファイル名", "事務の名称", "ファイル名称"];
        let texts = [
            "評価実施機関名\nいわき市長\n特定個人情報ファイル名\n国民健康保険ファイル",
            "実施機関\n事務の名称\n事務の名称\n",
            "何もない文章です\n",
            "",
        ];
        for text in texts {
            let lines = reassemble::lines_of(text);
            let plain = labels.iter().filter(|l| lines.iter().any(|k| k.key().contains(*l))).count();
            assert_eq!(labels_found(&labels, &lines), plain, "{text:?}");
        }
        assert_eq!(labels_found(&labels, &reassemble::lines_of(texts[0])), 3);
    }
}

// Test builds only; kept last: tests/codes.rs reads the code above the first `cfg(test)`.
#[cfg(test)]
mod test_texts;
