//! The second PDF route (issue #17): files pdf-extract refuses or panics on are read by
//! our own content-stream reader, with the same cells/order/table pipeline after it.

mod common;
use common::{build_pdf, field_diffs, stream};
use piasheet::pdf::{fallback_layout_from_bytes, layout_from_bytes, layout_text, read_pdf_with};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("piasheet-fb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A one-page PDF showing `shows` (content-stream operands, e.g. `<82A0> Tj`) with a
/// Type0 font of the given predefined CMap, not embedded, no ToUnicode.
fn cmap_pdf(encoding: &str, shows: &str) -> Vec<u8> {
    let content = stream("", &format!("BT /F1 12 Tf 20 100 Td {shows} ET"));
    let font = format!("<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiMin-W3 /Encoding /{encoding} /DescendantFonts [6 0 R] >>");
    build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            &content,
            &font,
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiMin-W3 /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /DW 1000 /W [17 26 500] >>",
        ],
        "",
    )
}

fn hex(bytes: &[u8]) -> String {
    format!("<{}>", bytes.iter().map(|b| format!("{b:02X}")).collect::<String>())
}

#[test]
fn predefined_cmaps_are_decoded() {
    let text = "評価書番号12";
    let sjis = encoding_rs::SHIFT_JIS.encode(text).0.into_owned();
    let euc = encoding_rs::EUC_JP.encode(text).0.into_owned();
    let utf16: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let cases = [
        ("UniJIS-UCS2-H", hex(&utf16)),
        ("UniJIS-UCS2-HW-H", hex(&utf16)),
        ("UniJIS-UTF16-H", hex(&utf16)),
        ("90ms-RKSJ-H", hex(&sjis)),
        ("90msp-RKSJ-H", hex(&sjis)),
        ("EUC-H", hex(&euc)),
    ];
    for (enc, shown) in cases {
        let l = layout_from_bytes(&cmap_pdf(enc, &format!("{shown} Tj"))).unwrap_or_else(|e| panic!("{enc}: {e}"));
        assert_eq!(l.route.as_deref(), Some("fallback"), "{enc}");
        let lines: Vec<&str> = l.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(lines, vec![text], "{enc}");
        // Positions: full-width characters advance 1 em (12 pt), the digits their /W
        // width (CIDs 17–26, 500): the line is 5 × 12 + 2 × 6 = 72 pt wide.
        let b = l.lines[0].bbox;
        assert!((b[0] - 20.0).abs() < 0.01 && (b[2] - 92.0).abs() < 0.5, "{enc}: {b:?}");
    }
}

#[test]
fn predefined_cmap_sheet_gives_a_full_record() {
    // The golden sheet redrawn with HeiseiMin-W3 (UniJIS-UCS2-H), see tools/make_cmap_fixture.py.
    let dir = temp("cmap");
    let out = temp("cmap-out");
    std::fs::write(dir.join("sheet.pdf"), fixture("cmap/kiso-golden-ucs2.pdf")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_piasheet")).arg("extract").arg(&dir).arg("-o").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("sheet.json")).unwrap()).unwrap();
    let want: serde_json::Value = serde_json::from_str(&String::from_utf8(fixture("kiso-golden.pdf.expected.json")).unwrap()).unwrap();
    assert_eq!(got["status"], "ok", "{got:#}");
    assert_eq!(got["source"]["pdf_route"], "fallback");
    let diffs = field_diffs(&want, &got, &["source", "warnings", "status", "provenance"]);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn fallback_route_reads_the_fixtures_like_the_main_route() {
    for name in ["kiso-a.pdf", "kiso-b.pdf", "kiso-golden.pdf"] {
        let bytes = fixture(name);
        let main = layout_from_bytes(&bytes).unwrap();
        let fb = fallback_layout_from_bytes(&bytes).unwrap();
        assert_eq!(main.route, None, "{name}");
        assert_eq!(fb.route.as_deref(), Some("fallback"), "{name}");
        assert_eq!(fb.pages, main.pages, "{name}");
        assert_eq!(layout_text(&fb), layout_text(&main), "{name}");
    }
}

#[test]
fn engine_panic_goes_to_the_fallback() {
    // `cm` with five operands: pdf-extract asserts six and panics; the page's text is
    // still there for any reader that skips the bad operator.
    let content = stream("", "1 0 0 1 0 cm BT /F1 12 Tf 20 100 Td (Hello world) Tj ET");
    let pdf = build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            &content,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
        "",
    );
    let l = read_pdf_with(Path::new(env!("CARGO_BIN_EXE_piasheet")), Path::new("x.pdf"), &pdf, Duration::from_secs(30)).unwrap();
    assert_eq!(l.route.as_deref(), Some("fallback"));
    assert_eq!(l.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), vec!["Hello world"]);
    assert!(l.warnings.iter().any(|w| w.contains("panic")), "{:?}", l.warnings);
}

#[test]
fn damaged_xref_is_rebuilt() {
    // Every xref offset zeroed and startxref pointing nowhere: lopdf alone cannot open
    // the file; the rebuilt table finds every object again.
    let bytes = fixture("kiso-b.pdf");
    let at = bytes.windows(5).rposition(|w| w == b"xref\n").unwrap();
    let mut bad = bytes[..at].to_vec();
    bad.extend_from_slice(b"xref\n0 3\n0000000000 65535 f \n0000000000 00000 n \ntrailer\n<< /Size 3 >>\nstartxref\n999999\n%%EOF\n");
    let main = layout_from_bytes(&bytes).unwrap();
    let l = layout_from_bytes(&bad).unwrap();
    assert_eq!(l.route.as_deref(), Some("fallback"));
    assert!(l.warnings.iter().any(|w| w.contains("rebuilt")), "{:?}", l.warnings);
    assert_eq!(layout_text(&l), layout_text(&main));
}
