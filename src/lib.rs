//! piasheet: 特定個人情報保護評価書 (PIA sheets) → typed records (schema 1).
//!
//! The flow, one module per stage, data moving one way:
//! [`decode`] (bytes → text) or [`pdf`] (PDF → lines rebuilt from geometry) →
//! [`reassemble`] (labels, fragments, answers located) → [`extract`] (fields by the
//! [`rules`] files) → [`normalize`] / [`organization`] (dates, choices, 団体コード) →
//! [`changes`] (変更箇所 rows) → [`record`] (the output) → [`write`].

pub mod changes;
pub mod check;
pub mod codebook;
pub mod codes;
pub mod dataset;
pub mod diff;
pub mod decode;
pub mod engine;
pub mod extract;
pub mod extras;
pub mod form;
pub mod normalize;
pub mod organization;
pub mod pdf;
pub mod reassemble;
pub mod record;
pub mod rules;
pub mod schema;
pub mod scraped;
pub mod batch;
pub mod write;
pub mod api;
pub mod annex;

use normalize::key;
use record::{ErrorInfo, Record, Source, Status, Warning};
use rules::Rules;
use serde::Deserialize;
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
        collect_strings(&Value::Object(record.body.clone()), &mut known.after);
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

/// Which rules file a document is written against, from its version stamp.
fn rules_for(lines: &[reassemble::Line], warnings: &mut Vec<Warning>) -> &'static Rules {
    let stamp = lines.iter().find(|l| reassemble::is_stamp(&l.key())).map(|l| l.key()[1..l.key().len() - 1].to_string());
    match stamp.as_deref().and_then(Rules::for_stamp) {
        Some(r) => r,
        None => {
            let r = Rules::default_rules();
            warnings.push(Warning {
                path: "form.label".into(),
                code: "unknown_form_version".into(),
                message: format!("stamp {:?} has no rules file; read with {}", stamp.unwrap_or_default(), r.id),
            });
            r
        }
    }
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
    match kind {
        Some(k) if k.kind != "kiso" || kiso_by_engine() => extract_described(source, lines, table, forms, k, stamp, geometry),
        _ => extract_kiso(source, lines, table, geometry),
    }
}

/// Whether 基礎 sheets are read by the form engine (`PIASHEET_KISO_ENGINE=1`) rather
/// than by the older reader ([`extract`]): the switch of the port (issue #11), until
/// both give the same records everywhere.
fn kiso_by_engine() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("PIASHEET_KISO_ENGINE").is_ok_and(|v| v == "1"))
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
            if engine::settles_answers(form) {
                printed = Some((lines.clone(), engine::Settle::Placed));
            }
            let (moved, origin) = engine::unjumble_traced(form, &forms.common, lines, cover_end, read_end);
            (moved, Some(origin))
        }
        // A text printed column by column: value cells back after their labels.
        Some("pdftotext" | "pdftotext_raw" | "pdfminer" | "pymupdf") => match engine::values_after_labels(form, &forms.common, &lines, cover_end, read_end) {
            Some((moved, origin, doubts)) => {
                warnings.extend(doubts);
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
    let cover = engine::cover(&forms.common, &lines, cover_end, kind.kind == "zenkomoku", &head_titles);
    // Numbered items the form does not name: kept, and the zones of the items before
    // them end where the extra item begins.
    let (mut body, extras) = engine::read_with_stops_of(form, &forms.common, &lines, cover_end, read_end, |claims| {
        let extras = extras::find(&lines, cover_end, read_end, claims, &engine::index(form, &forms.common).known_labels);
        (extras.iter().map(|e| e.line).collect(), extras)
    });
    // Boxes printed ticked first: an opted-out question takes none of those answers.
    engine::fill_ticked_boxes(form, &lines, cover_end, read_end, &mut body.body, &mut body.warnings, &mut body.provenance);
    // Choices whose answer was drawn apart from the question: given by what they are.
    engine::fill_by_type(form, &forms.common, &lines, cover_end, read_end, &mut body.body, &mut body.warnings, &mut body.provenance);
    // Boxes drawn apart from their item's label: read by their own text.
    engine::fill_boxes(form, &lines, cover_end, read_end, &mut body.body, &mut body.warnings, &mut body.provenance);
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
            let mut known: HashSet<String> = HashSet::new();
            body.body.values().for_each(|v| collect_strings(v, &mut known));
            // The table's lines are spent as its rows are made (issue #16: a large
            // table's lines and its changes were held side by side); nothing reads them after.
            let mut lines = lines;
            changes::from_text_spending(&mut lines, body_end, change_table, &known, &mut warnings)
        }
    };
    let mut body_map = body.body;
    // 基礎's body is typed in the record (kiso-schema.md): its parts go to their fields.
    fn typed<T: serde::de::DeserializeOwned>(m: &mut serde_json::Map<String, Value>, part: &str) -> Result<Option<T>, serde_json::Error> {
        m.remove(part).map(serde_json::from_value).transpose()
    }
    let (related, threshold, risk) = if kind.kind == "kiso" {
        match (typed(&mut body_map, "related"), typed(&mut body_map, "threshold"), typed(&mut body_map, "risk")) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(source, "internal", format!("record does not fit the schema: {e}")),
        }
    } else {
        (None, None, None)
    };
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
    if kind.kind == "kiso" {
        check::check(&mut record, &check::FormChecks::of(form, &forms.common));
    } else {
        check::check_described(&mut record, &forms.common.threshold_table.rules);
    }
    record.status = if record.warnings.is_empty() { Status::Ok } else { Status::Partial };
    record
}

/// A 基礎項目評価書 (or a text that may not be a sheet at all), read by its own rules.
fn extract_kiso(source: Source, lines: Vec<reassemble::Line>, table: Option<&[pdf::TableRow]>, geometry: Geometry) -> Record {
    let mut early_warnings = Vec::new();
    let rules = rules_for(&lines, &mut early_warnings);
    let title = key(&rules.sheet_title);
    let rules::Compiled { labels, options, result: result_re, .. } = rules.compiled();
    let mut tokens = reassemble::tokenize(lines, rules, labels, options, result_re);
    let distinct_labels: HashSet<&[reassemble::LabelKind]> = tokens.hits.iter().map(|h| h.kinds.as_slice()).collect();
    let has_title = tokens.lines.iter().any(|l| l.key().contains(&title));
    if !has_title && distinct_labels.len() < 10 {
        return failed(
            source,
            "not_a_sheet",
            format!("no {} title and only {} of the form's labels: not a PIA sheet", rules.sheet_title, distinct_labels.len()),
        );
    }
    let mut fields = extract::extract_fields(&tokens, rules, labels, options);
    fields.warnings.splice(0..0, early_warnings);
    // Organization from the evaluator.
    let evaluator = fields.get("header.evaluator").and_then(|v| v.as_str()).map(str::to_string);
    match evaluator {
        Some(e) => {
            let context = || tokens.lines.iter().map(|l| l.key()).collect::<String>();
            let res = organization::resolve(&e, &form::FormSet::current().common.organization_titles.titles, context);
            if let Some(note) = res.note {
                fields.warn("organization.lg_code", "ambiguous_body", note);
            }
            let prov = fields.provenance.get("header.evaluator").copied();
            fields.set("organization", serde_json::to_value(&res.org).unwrap_or_default(), prov);
        }
        None => fields.warn("organization", "not_found", "no 評価実施機関名 to derive the body from"),
    }
    // Change history. The table's lines are spent as its rows are made (issue #16: a
    // large table's lines and its changes were held side by side); nothing reads them after.
    let line_count = tokens.lines.len();
    let changes = match table {
        Some(rows) => changes::from_table(rows, &mut fields.warnings),
        None => {
            let mut known: HashSet<String> = HashSet::new();
            collect_strings(&fields.tree, &mut known);
            changes::from_text_spending(&mut tokens.lines, tokens.body_end, &form::FormSet::current().common.change_table, &known, &mut fields.warnings)
        }
    };
    // The lines are done with: freed before the record is built (issue #16, peak memory).
    drop(tokens);
    let mut tree = fields.tree;
    tree["schema_version"] = SCHEMA_VERSION.into();
    tree["kind"] = rules.kind.clone().into();
    let mut record: Record = match Record::deserialize(&tree) {
        Ok(r) => r,
        Err(e) => return failed(source, "internal", format!("record does not fit the schema: {e}")),
    };
    record.source = source;
    record.changes = changes;
    record.warnings = fields.warnings;
    let geometry = geometry.filter(|g| g.len() == line_count);
    record.provenance = Some(fields.provenance.iter().map(|(k, v)| (k.clone(), record::Provenance::of(v[0], v[1], geometry))).collect());
    let forms = form::FormSet::current();
    if let Some((form, _)) = forms.form_for("kiso", None) {
        check::check_with_tree(&mut record, &check::FormChecks::of(form, &forms.common), &tree);
    }
    record.status = if record.warnings.is_empty() { Status::Ok } else { Status::Partial };
    record
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
