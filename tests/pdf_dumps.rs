//! Text dumps made the way the sample was (pdf-extract's `extract_text`) from PDFs drawn
//! by another producer: fragments come in another order, the fields must still come out.

mod common;
use common::*;

fn check(name: &str) {
    let pdf = format!("tests/fixtures/{name}.pdf");
    let text = pdf_extract::extract_text(&pdf).expect("fixture PDF reads");
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{pdf}.expected.json")).unwrap()).unwrap();
    let got = serde_json::to_value(piasheet::extract_text_dump(name, text.as_bytes())).unwrap();
    // A dump has no pages and an encoding; the change table's cells are scattered over
    // the page in such dumps (the PDF reader rebuilds them from geometry instead).
    let diffs = field_diffs(&expected, &got, &["source", "warnings", "status", "provenance", "changes"]);
    assert!(diffs.is_empty(), "{name}: {}", diffs.join("\n"));
}

#[test]
fn kiso_a_dump() {
    check("kiso-a");
}

#[test]
fn kiso_b_dump() {
    check("kiso-b");
}

#[test]
fn kiso_golden_dump() {
    check("kiso-golden");
}
