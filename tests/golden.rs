//! The real sample against its hand-checked record, field by field, and the same
//! document in every encoding a dump comes in.

mod common;
use common::*;
use encoding_rs::{EUC_JP, SHIFT_JIS};

const IGNORED: &[&str] = &["warnings", "status", "provenance"];

#[test]
fn sample_matches_golden_field_by_field() {
    let got = extract(sample_text().as_bytes());
    let diffs = field_diffs(&golden(), &got, IGNORED);
    assert!(diffs.is_empty(), "{} fields differ:\n{}", diffs.len(), diffs.join("\n"));
    assert_eq!(got["status"], "ok", "warnings: {}", got["warnings"]);
}

#[test]
fn golden_change_rows_are_exact_records_in_order() {
    let got = extract(sample_text().as_bytes());
    let want = golden()["changes"].as_array().unwrap().clone();
    let rows = got["changes"].as_array().unwrap();
    assert_eq!(rows.len(), 23);
    for (i, (w, g)) in want.iter().zip(rows).enumerate() {
        for k in ["date", "date_text", "item", "before", "after", "timing", "timing_note"] {
            assert_eq!(canon(&w[k]), canon(&g[k]), "row {i} ({}) field {k}", w["date_text"]);
        }
    }
}

fn reencoded(bytes: Vec<u8>, encoding: &str) {
    let got = extract(&bytes);
    assert_eq!(got["source"]["encoding"], encoding);
    let diffs = field_diffs(&golden(), &got, &["warnings", "status", "provenance", "source.sha256", "source.bytes", "source.encoding"]);
    assert!(diffs.is_empty(), "{encoding}: {}", diffs.join("\n"));
}

#[test]
fn shift_jis_with_crlf() {
    let text = sample_text().replace('\n', "\r\n");
    reencoded(SHIFT_JIS.encode(&text).0.into_owned(), "Shift_JIS");
}

#[test]
fn utf16le_with_bom() {
    let mut bytes = vec![0xFF, 0xFE];
    sample_text().encode_utf16().for_each(|u| bytes.extend(u.to_le_bytes()));
    reencoded(bytes, "UTF-16LE");
}

#[test]
fn euc_jp() {
    reencoded(EUC_JP.encode(&sample_text()).0.into_owned(), "EUC-JP");
}

#[test]
fn utf8_with_bom() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(sample_text().as_bytes());
    reencoded(bytes, "UTF-8");
}
