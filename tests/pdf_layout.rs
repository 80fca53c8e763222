//! PDF reader: reading order and change table on the fixture sheets, and clean errors
//! (through the supervised worker) on hostile files made here.

mod common;
use common::{build_pdf, self_referencing_pdf, stream};
use piasheet::pdf::{layout_from_bytes, layout_text, read_pdf_with, PdfLayout};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

const FIXTURES: [&str; 3] = ["kiso-a.pdf", "kiso-b.pdf", "kiso-golden.pdf"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn load(name: &str) -> (PdfLayout, Value) {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    let layout = layout_from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected = std::fs::read_to_string(fixture(&format!("{name}.expected.json"))).expect("expected json");
    (layout, serde_json::from_str(&expected).expect("json"))
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn texts(l: &PdfLayout) -> Vec<&str> {
    l.lines.iter().map(|l| l.text.as_str()).collect()
}

fn worker() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_piasheet"))
}

#[test]
fn kiso_a_label_value_lines() {
    let (l, _) = load("kiso-a.pdf");
    let t = texts(&l);
    assert!(t.contains(&"①事務の名称 住民基本台帳に関する事務"), "{t:#?}");
    let q = t.iter().find(|s| s.starts_with("評価対象の事務の対象人数は何人か")).expect("Ⅱ1 line");
    assert!(q.contains("[ 30万人以上 ]"), "{q}");
    assert!(q.ends_with("＜選択肢＞"), "{q}");
    assert!(t.contains(&"実施の有無 [ ○ ］　自己点検 [ ○ ］　内部監査 [ ］　外部監査"), "{t:#?}");
    // A multi-line value cell comes after its label, separated by one empty line.
    let i = t.iter().position(|s| *s == "②事務の概要").expect("②事務の概要");
    assert_eq!(t[i + 1], "");
    assert_eq!(t[i + 2], "【概要】");
}

/// Checks driven by each fixture's expected JSON, so they hold for any sheet of the form.
#[test]
fn fixtures_match_expected_values() {
    for name in FIXTURES {
        let (l, exp) = load(name);
        let t = texts(&l);
        assert_eq!(l.pages as u64, exp["source"]["pages"].as_u64().unwrap(), "{name}: pages");
        assert!(l.warnings.is_empty(), "{name}: {:?}", l.warnings);

        let affair = exp["related"]["affair_name"].as_str().unwrap();
        assert!(t.contains(&format!("①事務の名称 {affair}").as_str()), "{name}: affair name line");

        // ②事務の概要: label, empty line, then the value's lines up to the next label.
        let i = t.iter().position(|s| *s == "②事務の概要").expect("②事務の概要");
        assert_eq!(t[i + 1], "", "{name}");
        let value: String = t[i + 2..].iter().take_while(|s| !s.starts_with("③システムの名称")).copied().collect();
        assert_eq!(squash(&value), squash(exp["related"]["affair_summary"].as_str().unwrap()), "{name}: summary");

        let pop = exp["threshold"]["target_population"]["label"].as_str().unwrap();
        let q = t.iter().find(|s| s.starts_with("評価対象の事務の対象人数は何人か")).expect("Ⅱ1 line");
        assert!(q.contains(&format!("[ {pop} ]")), "{name}: {q}");

        // Audit row: `実施の有無 [ ○ ］　自己点検 [ ○ ］　内部監査 [ ］　外部監査`: the mark
        // before each label tells whether it is ticked.
        let audit = t.iter().find(|s| s.starts_with("実施の有無 [")).expect("audit line");
        let parts: Vec<&str> = audit.split('］').collect();
        assert_eq!(parts.len(), 4, "{name}: {audit}");
        for (k, (key, label)) in [("self_inspection", "自己点検"), ("internal_audit", "内部監査"), ("external_audit", "外部監査")]
            .into_iter()
            .enumerate()
        {
            assert!(parts[k + 1].trim_start_matches('　').starts_with(label), "{name}: {audit}");
            let ticked = parts[k].rsplit('[').next().unwrap_or("").contains('○');
            assert_eq!(ticked, exp["risk"]["audit"][key].as_bool().unwrap(), "{name}: {key} in {audit}");
        }

        // Pages in order, boxes on the page.
        let mut last = 1;
        for line in &l.lines {
            assert!(line.page >= last && line.page as usize <= l.pages, "{name}: page order");
            last = line.page;
            if !line.text.is_empty() {
                let b = line.bbox;
                assert!(b[0] < b[2] && b[1] < b[3] && b[0] >= 0.0 && b[3] <= 842.0, "{name}: bbox {b:?}");
            }
        }
    }
}

#[test]
fn change_rows_match_expected() {
    for name in FIXTURES {
        let (l, exp) = load(name);
        let key = |cells: [&str; 6]| -> Vec<String> { cells.iter().map(|c| squash(c)).collect() };
        let mut got: Vec<Vec<String>> = l
            .change_rows
            .iter()
            .map(|r| {
                assert_eq!(r.cells.len(), 6, "{name}: {r:?}");
                key([&r.cells[0], &r.cells[1], &r.cells[2], &r.cells[3], &r.cells[4], &r.cells[5]])
            })
            .collect();
        let mut want: Vec<Vec<String>> = exp["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let f = |k: &str| c[k].as_str().unwrap_or("");
                key([f("date_text"), f("item"), f("before"), f("after"), f("timing"), f("timing_note")])
            })
            .collect();
        assert_eq!(got.len(), want.len(), "{name}: row count");
        // The expected JSON lists changes by date; the sheet in its own order. Compare as sets.
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}");
        for r in &l.change_rows {
            assert!(r.page as usize <= l.pages);
        }
    }
}

#[test]
fn supervised_read_matches_in_process() {
    let path = fixture("kiso-a.pdf");
    let bytes = std::fs::read(&path).unwrap();
    let direct = layout_from_bytes(&bytes).unwrap();
    let child = read_pdf_with(worker(), &path, &bytes, Duration::from_secs(60)).unwrap();
    assert_eq!(texts(&direct), texts(&child));
    assert_eq!(direct.change_rows.len(), child.change_rows.len());
    // Empty bytes: the worker is fed the file at `path`.
    let by_path = read_pdf_with(worker(), &path, &[], Duration::from_secs(60)).unwrap();
    assert_eq!(texts(&direct), texts(&by_path));
}

#[test]
fn text_dump_has_pages_and_changes() {
    let (l, _) = load("kiso-a.pdf");
    let dump = layout_text(&l);
    assert_eq!(dump.matches('\x0c').count(), l.pages - 1);
    let tail = dump.split("# 変更箇所\n").nth(1).expect("change section");
    assert_eq!(tail.lines().count(), l.change_rows.len());
    assert!(tail.lines().all(|r| r.split('\t').count() == 6));
}

// ---------------------------------------------------------------- hostile inputs

fn code_of(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir();
    match read_pdf_with(worker(), &dir.join("hostile.pdf"), bytes, Duration::from_secs(60)) {
        Ok(l) => panic!("expected an error, got {} lines", l.lines.len()),
        Err(e) => {
            assert!(!e.message.contains('\n'), "one-line message: {e:?}");
            eprintln!("HOSTILE {}: {}", e.code, e.message);
            format!("{}: {}", e.code, e.message)
        }
    }
}

#[test]
fn truncated_pdf() {
    let bytes = std::fs::read(fixture("kiso-a.pdf")).unwrap();
    let cut = &bytes[..bytes.len() * 6 / 10];
    let r = code_of(cut);
    assert!(r.starts_with("truncated_pdf"), "{r}");
}

/// Same as `read_pdf_with`, but the worker skips the pre-scan: the engine really crashes.
fn unguarded(tag: &str, bytes: &[u8]) -> piasheet::pdf::PdfError {
    // A wrapper script sets the variable, so the real supervisor (`read_pdf_with`) runs it.
    let script_dir = std::env::temp_dir().join(format!("piasheet-unguarded-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&script_dir).unwrap();
    let script = script_dir.join("w.sh");
    std::fs::write(&script, format!("#!/bin/sh\n{}=1 exec '{}' \"$@\"\n", piasheet::pdf::SKIP_PRESCAN_ENV, worker().display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let e = read_pdf_with(&script, &script_dir.join("x.pdf"), bytes, Duration::from_secs(60)).unwrap_err();
    let _ = std::fs::remove_dir_all(&script_dir);
    eprintln!("UNGUARDED {}: {}", e.code, e.message);
    e
}

#[test]
fn self_referencing_form_xobject() {
    let pdf = self_referencing_pdf();
    let r = code_of(&pdf);
    assert!(r.starts_with("engine_crash") && r.contains("self-referencing form XObject"), "{r}");
    // Without the pre-scan pdf-extract overflows its stack (an abort, beyond
    // catch_unwind); the worker dies and only it.
    let e = unguarded("xobject", &pdf);
    assert_eq!(e.code, "engine_crash");
    assert!(e.message.contains("signal 6") || e.message.contains("signal 11"), "{e:?}");
}

#[test]
fn predefined_cmap_encoding() {
    let content = stream("", "BT /F1 12 Tf 20 100 Td <3042> Tj ET");
    let pdf = build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            &content,
            "<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiMin-W3 /Encoding /UniJIS-UCS2-H /DescendantFonts [6 0 R] >>",
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiMin-W3 /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor 7 0 R >>",
            "<< /Type /FontDescriptor /FontName /HeiseiMin-W3 /Flags 6 /FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 709 /StemV 69 >>",
        ],
        "",
    );
    // The pre-scan sends it to the fallback route, which decodes UCS-2 codes directly.
    let l = read_pdf_with(worker(), Path::new("x.pdf"), &pdf, Duration::from_secs(60)).unwrap();
    assert_eq!(texts(&l), vec!["あ"]);
    assert_eq!(l.route.as_deref(), Some("fallback"));
    assert!(l.warnings.iter().any(|w| w.contains("UniJIS-UCS2-H")), "{:?}", l.warnings);
    // Without the pre-scan pdf-extract panics on it; the panic is caught in the worker
    // and the fallback route reads the page all the same.
    let l = unguarded_ok("cmap", &pdf);
    assert_eq!(texts(&l), vec!["あ"]);
    assert!(l.warnings.iter().any(|w| w.contains("panic") && w.contains("UniJIS-UCS2-H")), "{:?}", l.warnings);
}

/// `unguarded` for a file the fallback route reads: the layout.
fn unguarded_ok(tag: &str, bytes: &[u8]) -> PdfLayout {
    let script_dir = std::env::temp_dir().join(format!("piasheet-unguarded-ok-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&script_dir).unwrap();
    let script = script_dir.join("w.sh");
    std::fs::write(&script, format!("#!/bin/sh\n{}=1 exec '{}' \"$@\"\n", piasheet::pdf::SKIP_PRESCAN_ENV, worker().display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let l = read_pdf_with(&script, &script_dir.join("x.pdf"), bytes, Duration::from_secs(60)).unwrap();
    let _ = std::fs::remove_dir_all(&script_dir);
    l
}

#[test]
fn encrypted_pdf() {
    let content = stream("", "BT /F1 12 Tf 20 100 Td (Hello) Tj ET");
    let o = "<".to_string() + &"6b".repeat(32) + ">";
    let u = "<".to_string() + &"9c".repeat(32) + ">";
    let enc = format!("<< /Filter /Standard /V 1 /R 2 /O {o} /U {u} /P -44 >>");
    let pdf = build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            &content,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            &enc,
        ],
        "/Encrypt 6 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]",
    );
    let r = code_of(&pdf);
    assert!(r.starts_with("encrypted_pdf"), "{r}");
}

#[test]
fn not_a_pdf() {
    let r = code_of(b"PK\x03\x04 this is a zip file, not a PDF at all");
    assert!(r.starts_with("binary"), "{r}");
    let r = code_of("評価書\n".repeat(100).as_bytes());
    assert!(r.starts_with("binary"), "{r}");
}

/// The supervisor maps a dying or hanging worker to engine_crash / timeout.
#[cfg(unix)]
#[test]
fn supervisor_maps_crash_and_timeout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("piasheet-pdf-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    };
    let pdf = std::fs::read(fixture("kiso-b.pdf")).unwrap();
    let abort = script("abort.sh", "echo 'thread main has overflowed its stack' >&2\necho second line >&2\nkill -ABRT $$");
    let e = read_pdf_with(&abort, &dir.join("x.pdf"), &pdf, Duration::from_secs(20)).unwrap_err();
    assert_eq!(e.code, "engine_crash");
    assert!(e.message.contains("signal 6") && e.message.contains("overflowed") && !e.message.contains("second"), "{e:?}");

    let hang = script("hang.sh", "exec sleep 30");
    let t0 = std::time::Instant::now();
    let e = read_pdf_with(&hang, &dir.join("x.pdf"), &pdf, Duration::from_millis(300)).unwrap_err();
    assert_eq!(e.code, "timeout");
    assert!(t0.elapsed() < Duration::from_secs(10));

    // Reads its request (a pooled worker gets no end of input after it), answers no frame.
    let garbage = script("garbage.sh", "head -c 8 >/dev/null; echo not json");
    let e = read_pdf_with(&garbage, &dir.join("x.pdf"), &pdf, Duration::from_secs(20)).unwrap_err();
    assert_eq!(e.code, "engine_crash");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- synthetic layouts

fn one_page(content: &str) -> Vec<u8> {
    let content = stream("", content);
    build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            &content,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ],
        "",
    )
}

/// A 2×2 ruled table: rules and text drawn in scrambled order must not change the result.
#[test]
fn ruled_table_reading_order_ignores_draw_order() {
    // Rules: columns at x = 20, 120, 380; rows at y = 260, 230, 170.
    let rules = "0.5 w 20 260 m 380 260 l S 20 170 m 380 170 l S 20 230 m 380 230 l S \
                 20 170 m 20 260 l S 380 170 m 380 260 l S 120 170 m 120 260 l S";
    let text = [
        "BT /F1 10 Tf 130 240 Td (Value one) Tj ET",
        "BT /F1 10 Tf 130 210 Td (second line) Tj ET",
        "BT /F1 10 Tf 30 240 Td (Label) Tj ET",
        "BT /F1 10 Tf 30 200 Td (Other) Tj ET",
        "BT /F1 10 Tf 130 220 Td (first line) Tj ET",
        "BT /F1 10 Tf 130 190 Td (third) Tj ET",
        "BT /F1 10 Tf 20 280 Td (Title above) Tj ET",
    ];
    let want = ["Title above", "Label Value one", "Other", "", "first line", "second line", "third"];
    let mut orders = vec![text.to_vec()];
    let mut rev = text.to_vec();
    rev.reverse();
    orders.push(rev);
    for order in orders {
        for rules_first in [true, false] {
            let body = if rules_first { format!("{rules} {}", order.join(" ")) } else { format!("{} {rules}", order.join(" ")) };
            let l = layout_from_bytes(&one_page(&body)).unwrap();
            assert_eq!(texts(&l), want, "rules_first={rules_first}");
        }
    }
}

/// No rules at all: lines by baseline, then x, with a space where glyphs do not touch.
#[test]
fn unruled_page_falls_back_to_lines() {
    let body = "BT /F1 10 Tf 200 200 Td (right) Tj ET BT /F1 10 Tf 20 200 Td (left) Tj ET \
                BT /F1 10 Tf 20 250 Td (top) Tj ET";
    let l = layout_from_bytes(&one_page(body)).unwrap();
    assert_eq!(texts(&l), ["top", "left right"]);
    let b = l.lines[1].bbox;
    assert!(b[0] < 21.0 && b[2] > 200.0, "{b:?}");
}

/// Glyphs drawn with a CID font that has no ToUnicode map decode to nothing.
#[test]
fn glyphs_without_unicode_are_no_text_layer() {
    let content = stream("", "BT /F1 12 Tf 20 100 Td <00410042> Tj ET");
    let pdf = build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            &content,
            "<< /Type /Font /Subtype /Type0 /BaseFont /AAAAAA+SomeGothic /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /AAAAAA+SomeGothic /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 /FontDescriptor 7 0 R >>",
            "<< /Type /FontDescriptor /FontName /AAAAAA+SomeGothic /Flags 4 /FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 709 /StemV 69 >>",
        ],
        "",
    );
    let r = code_of(&pdf);
    assert!(r.starts_with("no_text_layer"), "{r}");
}

/// A Type0 / Identity-H font with a ToUnicode map and no font file: enough for the
/// engine to place and decode Japanese text (every glyph 1 em wide).
#[derive(Default)]
struct JpFont {
    chars: Vec<char>,
}

impl JpFont {
    /// `BT … Tj ET` drawing `s` at (x, y) in size `size`.
    fn text(&mut self, x: f32, y: f32, size: f32, s: &str) -> String {
        let mut hex = String::new();
        for c in s.chars() {
            let code = match self.chars.iter().position(|k| *k == c) {
                Some(i) => i + 1,
                None => {
                    self.chars.push(c);
                    self.chars.len()
                }
            };
            hex.push_str(&format!("{code:04X}"));
        }
        format!("BT /F1 {size} Tf {x} {y} Td <{hex}> Tj ET\n")
    }

    fn to_unicode(&self) -> String {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
             1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
        );
        for chunk in self.chars.chunks(100).enumerate() {
            cmap.push_str(&format!("{} beginbfchar\n", chunk.1.len()));
            for (i, c) in chunk.1.iter().enumerate() {
                let code = chunk.0 * 100 + i + 1;
                let mut u = [0u16; 2];
                let units: String = c.encode_utf16(&mut u).iter().map(|x| format!("{x:04X}")).collect();
                cmap.push_str(&format!("<{code:04X}> <{units}>\n"));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap CMapName currentdict /CMap defineresource pop end end");
        cmap
    }

    /// A PDF of A4 pages with these content streams.
    fn pdf(&self, pages: &[String]) -> Vec<u8> {
        let n = pages.len();
        // Objects: 1 catalog, 2 pages, 3 font, 4 descendant, 5 descriptor, 6 ToUnicode,
        // then (page, content) pairs.
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 7 + 2 * i)).collect();
        let mut bodies = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")),
            "<< /Type /Font /Subtype /Type0 /BaseFont /TestGothic /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>".to_string(),
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestGothic /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 /FontDescriptor 5 0 R >>".to_string(),
            "<< /Type /FontDescriptor /FontName /TestGothic /Flags 4 /FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 709 /StemV 69 >>".to_string(),
            stream("", &self.to_unicode()),
        ];
        for (i, content) in pages.iter().enumerate() {
            bodies.push(format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
                8 + 2 * i
            ));
            bodies.push(stream("", content));
        }
        let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
        build_pdf(&refs, "")
    }
}

/// Rules and text of a table: `cols` are the x of the vertical rules, each row is
/// (height, cell lines per column).
fn table(font: &mut JpFont, top: f32, cols: &[f32], rows: &[(f32, Vec<Vec<&str>>)]) -> String {
    let mut ops = String::from("0.5 w\n");
    let (left, right) = (cols[0], cols[cols.len() - 1]);
    let mut y = top;
    ops.push_str(&format!("{left} {y} m {right} {y} l S\n"));
    for (h, cells) in rows {
        for (c, lines) in cells.iter().enumerate() {
            for (k, line) in lines.iter().enumerate() {
                ops.push_str(&font.text(cols[c] + 2.0, y - 10.0 - 9.0 * k as f32, 8.0, line));
            }
        }
        let bottom = y - h;
        for x in cols {
            ops.push_str(&format!("{x} {bottom} m {x} {y} l S\n"));
        }
        ops.push_str(&format!("{left} {bottom} m {right} {bottom} l S\n"));
        y = bottom;
    }
    ops
}

/// The change table: header repeated on each page and excluded, rows in visual order,
/// a row cut by the page break joined back, other tables ignored.
#[test]
fn change_table_across_pages() {
    let mut f = JpFont::default();
    let cols = [40.0, 110.0, 190.0, 320.0, 450.0, 490.0, 575.0];
    let header: Vec<Vec<&str>> = ["変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明"].iter().map(|s| vec![*s]).collect();
    let r1: Vec<Vec<&str>> = vec![vec!["令和2年4月1日"], vec!["Ⅰ５②所属長"], vec!["課長　甲"], vec!["課長　乙"], vec!["事後"], vec![]];
    let r2: Vec<Vec<&str>> = vec![vec!["令和3年4月1日"], vec!["Ⅰ３法令上の根拠"], vec!["第一行", "第二行"], vec!["新"], vec!["事前"], vec!["任意"]];
    let r2_rest: Vec<Vec<&str>> = vec![vec![], vec![], vec!["第三行"], vec![], vec![], vec![]];
    let r3: Vec<Vec<&str>> = vec![vec!["令和4年4月1日"], vec!["Ⅱ１対象人数"], vec!["1万人以上"], vec!["10万人以上"], vec!["事後"], vec![]];
    let other = table(&mut f, 780.0, &[40.0, 200.0, 555.0], &[(20.0, vec![vec!["①事務の名称"], vec!["何かの事務"]])]);
    let p1 = format!(
        "{}{other}{}",
        f.text(40.0, 800.0, 10.0, "変更箇所"),
        table(&mut f, 700.0, &cols, &[(20.0, header.clone()), (30.0, r1), (30.0, r2)])
    );
    let p2 = table(&mut f, 800.0, &cols, &[(20.0, header), (20.0, r2_rest), (30.0, r3)]);
    let l = layout_from_bytes(&f.pdf(&[p1, p2])).unwrap();
    let rows: Vec<(u32, Vec<&str>)> = l.change_rows.iter().map(|r| (r.page, r.cells.iter().map(String::as_str).collect())).collect();
    assert_eq!(
        rows,
        vec![
            (1, vec!["令和2年4月1日", "Ⅰ５②所属長", "課長　甲", "課長　乙", "事後", ""]),
            (1, vec!["令和3年4月1日", "Ⅰ３法令上の根拠", "第一行\n第二行\n第三行", "新", "事前", "任意"]),
            (2, vec!["令和4年4月1日", "Ⅱ１対象人数", "1万人以上", "10万人以上", "事後", ""]),
        ]
    );
    // The same text in reading order: single-line rows on one line.
    let t = texts(&l);
    assert!(t.contains(&"①事務の名称 何かの事務"), "{t:#?}");
    assert!(t.contains(&"令和2年4月1日 Ⅰ５②所属長 課長　甲 課長　乙 事後"), "{t:#?}");
    assert_eq!(l.lines.last().map(|x| x.page), Some(2));
}

/// A producer that prints the change table's header once: the next page goes on with the
/// same column rules and no header. Its rows are read with the carried columns (a row cut
/// by the break joined back); a page after a page without the table carries nothing, and
/// a table with other column rules ends the carried one.
#[test]
fn change_table_header_printed_once() {
    let mut f = JpFont::default();
    let cols = [40.0, 110.0, 190.0, 320.0, 450.0, 490.0, 575.0];
    let header: Vec<Vec<&str>> = ["変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明"].iter().map(|s| vec![*s]).collect();
    let r1: Vec<Vec<&str>> = vec![vec!["令和2年4月1日"], vec!["Ⅰ５②所属長"], vec!["第一行"], vec!["新"], vec!["事前"], vec![]];
    let r1_rest: Vec<Vec<&str>> = vec![vec![], vec![], vec!["第二行"], vec![], vec![], vec![]];
    let r2: Vec<Vec<&str>> = vec![vec!["令和3年4月1日"], vec!["Ⅱ１対象人数"], vec!["1万人以上"], vec!["10万人以上"], vec!["事後"], vec![]];
    let r3: Vec<Vec<&str>> = vec![vec!["令和4年4月1日"], vec!["Ⅱ２対象人数"], vec!["甲"], vec!["乙"], vec!["事後"], vec![]];
    let p1 = format!("{}{}", f.text(40.0, 800.0, 10.0, "変更箇所"), table(&mut f, 200.0, &cols, &[(20.0, header), (30.0, r1)]));
    let p2 = format!(
        "{}{}",
        table(&mut f, 800.0, &cols, &[(20.0, r1_rest), (30.0, r2)]),
        // Another table below it: cells in other columns end the change table.
        table(&mut f, 600.0, &[40.0, 200.0, 575.0], &[(20.0, vec![vec!["別表"], vec!["何か"]]), (20.0, vec![vec!["令和5年"], vec!["値"]])])
    );
    // Same column rules, but the page before it has no change table: not rows.
    let p3 = table(&mut f, 800.0, &[40.0, 200.0, 575.0], &[(20.0, vec![vec!["ラベル"], vec!["値"]])]);
    let p4 = table(&mut f, 800.0, &cols, &[(30.0, r3)]);
    let l = layout_from_bytes(&f.pdf(&[p1, p2, p3, p4])).unwrap();
    let rows: Vec<(u32, Vec<&str>)> = l.change_rows.iter().map(|r| (r.page, r.cells.iter().map(String::as_str).collect())).collect();
    assert_eq!(
        rows,
        vec![
            (1, vec!["令和2年4月1日", "Ⅰ５②所属長", "第一行\n第二行", "新", "事前", ""]),
            (2, vec!["令和3年4月1日", "Ⅱ１対象人数", "1万人以上", "10万人以上", "事後", ""]),
        ]
    );
}

/// Rules under each row only (a word processor's borderless table): a row alone on its
/// page (a page break inside a block) is split at its gutter like the rows of the other
/// pages, whose value column starts at the same x.
#[test]
fn borderless_row_alone_on_its_page_splits_like_the_others() {
    let mut f = JpFont::default();
    let rule = |y: f32| format!("0.3 w 30 {y} m 570 {y} l S\n");
    let row = |f: &mut JpFont, top: f32, label: &[&str], value: &[&str]| {
        let mut ops = String::new();
        for (k, s) in label.iter().enumerate() {
            ops += &f.text(32.0, top - 8.0 - 10.5 * k as f32, 7.5, s);
        }
        for (k, s) in value.iter().enumerate() {
            ops += &f.text(240.0, top - 8.0 - 10.5 * k as f32, 7.5, s);
        }
        ops + &rule(top - 10.5 * label.len().max(value.len()) as f32)
    };
    let p1 = row(&mut f, 800.0, &["甲ラベル", "二行目"], &["甲値一", "甲値二"]) + &row(&mut f, 779.0, &["乙ラベル", "二行目"], &["乙値一"]);
    let p2 = row(&mut f, 800.0, &["丙ラベル", "二行目"], &["丙値一", "丙値二"]);
    let l = layout_from_bytes(&f.pdf(&[p1, p2])).unwrap();
    let page2: Vec<&str> = l.lines.iter().filter(|x| x.page == 2).map(|x| x.text.as_str()).collect();
    assert_eq!(page2, ["丙ラベル", "二行目", "", "丙値一", "丙値二"]);
}

/// `label [ value ]` next to a choice-options cell: one line ending in `＜選択肢＞`,
/// then the options; the bracket row of a merged cell shares no line with the options.
#[test]
fn choice_row_convention() {
    let mut f = JpFont::default();
    let mut ops = String::from("0.5 w 40 700 m 555 700 l S 40 650 m 555 650 l S 40 650 m 40 700 l S 200 650 m 200 700 l S 555 650 m 555 700 l S\n");
    ops += &f.text(45.0, 672.0, 8.0, "対象人数は何人か");
    ops += &f.text(210.0, 672.0, 8.0, "[");
    ops += &f.text(260.0, 672.0, 8.0, "10万人以上");
    ops += &f.text(380.0, 672.0, 8.0, "]");
    // Options in a smaller size, the first level with the answer.
    ops += &f.text(400.0, 680.0, 6.5, "＜選択肢＞");
    ops += &f.text(400.0, 672.0, 6.5, "1) 1万人未満");
    ops += &f.text(400.0, 664.0, 6.5, "2) 10万人以上");
    let l = layout_from_bytes(&f.pdf(&[ops])).unwrap();
    assert_eq!(texts(&l), ["対象人数は何人か [ 10万人以上 ] ＜選択肢＞", "1) 1万人未満", "2) 10万人以上"]);
}
