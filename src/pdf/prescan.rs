//! Cheap checks with lopdf (the copy pdf-extract re-exports) before the engine runs.
//! They turn the known pdf-extract hazards (research/pdf-engines.md §4) into clean errors:
//! a panic on named CMaps and a stack overflow on self-drawing form XObjects would
//! otherwise only show up as a dead worker.

use super::PdfError;
use pdf_extract::{Dictionary, Document, Object, ObjectId};
use std::collections::HashSet;

/// Form XObjects nested deeper than this are refused: pdf-extract recurses once per level
/// without a guard, and no honest form needs anywhere near this many.
const MAX_FORM_DEPTH: usize = 24;
/// Form calls followed per document: forms calling several forms each, a few levels
/// deep, would make both this check and the engine exponential.
const MAX_FORM_CALLS: usize = 10_000;

fn err(code: &str, message: impl Into<String>) -> PdfError {
    PdfError { code: code.into(), message: message.into() }
}

/// Parse the document and refuse the inputs pdf-extract is known to crash on.
/// Returns the loaded document and warnings worth keeping. `hazard_checks = false` skips
/// the font and form XObject checks (only to exercise the supervisor on real crashes).
pub fn load(bytes: &[u8], hazard_checks: bool) -> Result<(Document, Vec<String>), PdfError> {
    // The header may legally sit a little after byte 0 (some servers prepend junk).
    let head = &bytes[..bytes.len().min(1024)];
    if !contains(head, b"%PDF-") {
        return Err(err("binary", "not a PDF (no %PDF- header)"));
    }
    let mut warnings = Vec::new();
    let doc = match Document::load_mem(bytes) {
        Ok(d) => d,
        Err(e) => {
            // lopdf fails on some encryption dictionaries before it fails on anything else.
            if contains(bytes, b"/Encrypt") {
                return Err(err("encrypted_pdf", format!("encrypted PDF that could not be opened ({e})")));
            }
            return Err(err("truncated_pdf", format!("PDF structure unreadable: {e}")));
        }
    };
    // lopdf already tried the empty user password; a document that stays encrypted
    // needs a password we do not have.
    if doc.is_encrypted() {
        return Err(err("encrypted_pdf", "encrypted PDF (a user password is required)"));
    }
    if doc.was_encrypted() {
        warnings.push("encrypted with an empty user password; decrypted".to_string());
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(err("truncated_pdf", "the page tree has no pages"));
    }
    let mut calls = 0usize;
    for (&num, &page_id) in pages.iter().filter(|_| hazard_checks) {
        let res = page_resources(&doc, page_id);
        check_fonts(&doc, res, num, &mut warnings)?;
        if let Some(res) = res {
            let mut stack = Vec::new();
            check_forms(&doc, res, &page_content_names(&doc, page_id, res), &mut stack, &mut calls, num)?;
        }
    }
    Ok((doc, warnings))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

pub(super) fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    // One level is enough for resource entries; chains of references are not followed
    // to stay safe on reference loops.
    match o {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
        _ => o,
    }
}

pub(super) fn dict_get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key).ok().map(|o| deref(doc, o))
}

/// The page's /Resources, inherited from the page tree like pdf-extract does
/// (with a bound on the parent chain, which can loop in broken files).
fn page_resources(doc: &Document, page_id: ObjectId) -> Option<&Dictionary> {
    let mut id = page_id;
    for _ in 0..64 {
        let d = doc.get_dictionary(id).ok()?;
        if let Some(r) = dict_get(doc, d, b"Resources").and_then(|o| o.as_dict().ok()) {
            return Some(r);
        }
        id = d.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// Type0 fonts whose encoding pdf-extract 0.12 cannot decode make it panic; name the
/// encoding so the batch report says what to add.
fn check_fonts(doc: &Document, res: Option<&Dictionary>, page: u32, warnings: &mut Vec<String>) -> Result<(), PdfError> {
    let Some(fonts) = res.and_then(|r| dict_get(doc, r, b"Font")).and_then(|o| o.as_dict().ok()) else {
        return Ok(());
    };
    for (_, f) in fonts.iter() {
        let Ok(font) = deref(doc, f).as_dict() else { continue };
        let subtype = font.get(b"Subtype").and_then(|o| o.as_name()).unwrap_or(b"");
        if subtype == b"Type0" {
            match dict_get(doc, font, b"Encoding") {
                Some(Object::Name(n)) if n == b"Identity-H" => {}
                Some(Object::Name(n)) if n == b"Identity-V" => {
                    // pdf-extract lays vertical writing out horizontally: text is
                    // there, the order of its lines is not to be trusted.
                    let w = "vertical writing (Identity-V font): reading order unreliable".to_string();
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                }
                Some(Object::Name(n)) => {
                    return Err(err(
                        "engine_crash",
                        format!("unsupported CMap encoding {} (Type0 font, page {page})", String::from_utf8_lossy(n)),
                    ))
                }
                Some(Object::Stream(_)) => {}
                _ => return Err(err("engine_crash", format!("Type0 font without a usable /Encoding (page {page})"))),
            }
        }
        if let Some(Object::Name(n)) = dict_get(doc, font, b"ToUnicode") {
            if n != b"Identity-H" {
                return Err(err(
                    "engine_crash",
                    format!("unsupported ToUnicode name {} (page {page})", String::from_utf8_lossy(n)),
                ));
            }
        }
    }
    Ok(())
}

/// Names used with `Do` in a content stream.
fn do_names(content: &[u8]) -> Vec<Vec<u8>> {
    // Cheap path first: most pages draw no XObject at all.
    if !contains(content, b"Do") {
        return Vec::new();
    }
    match pdf_extract::content::Content::decode(content) {
        Ok(c) => c
            .operations
            .into_iter()
            .filter(|op| op.operator == "Do")
            .filter_map(|op| op.operands.first().and_then(|o| o.as_name().ok()).map(|n| n.to_vec()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn page_content_names(doc: &Document, page_id: ObjectId, res: &Dictionary) -> Vec<Vec<u8>> {
    // Skip decoding page content when the page has no XObjects to call.
    if dict_get(doc, res, b"XObject").is_none() {
        return Vec::new();
    }
    match doc.get_page_content(page_id) {
        Ok(c) => do_names(&c),
        Err(_) => Vec::new(),
    }
}

/// Follow the `Do` calls of a content stream through form XObjects, the way pdf-extract
/// will (a form without /Resources uses its caller's), and refuse cycles and deep nesting.
fn check_forms(
    doc: &Document,
    res: &Dictionary,
    names: &[Vec<u8>],
    stack: &mut Vec<ObjectId>,
    calls: &mut usize,
    page: u32,
) -> Result<(), PdfError> {
    let Some(xobjects) = dict_get(doc, res, b"XObject").and_then(|o| o.as_dict().ok()) else {
        return Ok(());
    };
    let mut seen: HashSet<&[u8]> = HashSet::new();
    for name in names {
        if !seen.insert(name.as_slice()) {
            continue;
        }
        let Ok(Object::Reference(id)) = xobjects.get(name) else { continue };
        let Ok(Object::Stream(stream)) = doc.get_object(*id) else { continue };
        if stream.dict.get(b"Subtype").and_then(|o| o.as_name()).ok() != Some(b"Form".as_slice()) {
            continue;
        }
        if stack.contains(id) {
            return Err(err("engine_crash", format!("self-referencing form XObject {} {} R (page {page})", id.0, id.1)));
        }
        *calls += 1;
        if *calls > MAX_FORM_CALLS {
            return Err(err("engine_crash", format!("more than {MAX_FORM_CALLS} nested form XObject calls (page {page})")));
        }
        if stack.len() >= MAX_FORM_DEPTH {
            return Err(err("engine_crash", format!("form XObjects nested deeper than {MAX_FORM_DEPTH} (page {page})")));
        }
        let inner_res = dict_get(doc, &stream.dict, b"Resources").and_then(|o| o.as_dict().ok()).unwrap_or(res);
        let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
        let inner_names = do_names(&content);
        stack.push(*id);
        check_forms(doc, inner_res, &inner_names, stack, calls, page)?;
        stack.pop();
    }
    Ok(())
}
