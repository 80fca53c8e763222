//! Provenance of PDF inputs: besides the reading-order lines, the page and the box (PDF
//! points) of the cells a value was read from. Text inputs have lines only.

use piasheet::pdf::layout_from_bytes;
use std::path::Path;

#[test]
fn a_pdf_value_names_its_page_and_box_a_text_value_only_its_lines() {
    let pdf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/forms/zenkomoku-h30.pdf");
    let bytes = std::fs::read(&pdf).expect("the shared 全項目評価書 fixture");
    let layout = layout_from_bytes(&bytes).expect("readable PDF");
    let record = piasheet::extract_pdf_layout(piasheet::source_of("zenkomoku-h30.pdf", &bytes, "pdf"), &layout);
    let prov = record.provenance.as_ref().expect("provenance");
    let p = &prov["basic.affair_name"];
    // The line of the label and value `①事務の名称 介護保険に関する事務`.
    let line = layout.lines.iter().position(|l| l.text.starts_with("①事務の名称")).expect("label line");
    assert!(p.lines[0] <= line + 1 && line < p.lines[1], "{p:?} vs line {}", line + 1);
    let drawn = &layout.lines[line];
    assert_eq!(p.page, Some(drawn.page));
    let b = p.bbox.expect("box");
    assert!(b[0] <= drawn.bbox[0] && b[1] <= drawn.bbox[1] && b[2] >= drawn.bbox[2] && b[3] >= drawn.bbox[3], "{b:?} holds {:?}", drawn.bbox);
    // Inside the page (A4 portrait or landscape), not the zero box of a separator line.
    assert!(b[0] >= 0.0 && b[1] >= 0.0 && b[2] <= 842.0 && b[3] <= 842.0 && b[2] > b[0] && b[3] > b[1], "{b:?}");
    // Every value of the body has one, on a page of the document.
    for (path, p) in prov.iter().filter(|(k, _)| k.starts_with("files[")) {
        assert!(p.page.is_some_and(|pg| pg >= 1 && pg as usize <= layout.pages), "{path}: {p:?}");
    }
    // The same sheet as text: lines, page and box null.
    let text = piasheet::pdf::layout_text(&layout);
    let from_text = piasheet::extract_text_dump("zenkomoku-h30.txt", text.as_bytes());
    let t = &from_text.provenance.as_ref().expect("provenance")["basic.affair_name"];
    assert_eq!((t.page, t.bbox), (None, None));
    let json = serde_json::to_value(t).expect("json");
    assert_eq!(json, serde_json::json!({"lines": t.lines, "page": null, "box": null}));
}
