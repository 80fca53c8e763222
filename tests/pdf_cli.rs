//! `piasheet extract` on PDFs, end to end: the fixture PDFs give their expected records
//! field by field and row by row; a broken PDF beside them costs one error line, not the run.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_piasheet")).arg("extract").arg(dir).arg("-o").arg(out).output().unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("piasheet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn fixture_pdfs_match_their_records() {
    let out = temp("pdf-out");
    let o = run(Path::new("tests/fixtures"), &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["kiso-a", "kiso-b", "kiso-golden"] {
        let want: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("tests/fixtures/{name}.pdf.expected.json")).unwrap()).unwrap();
        let got: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join(format!("{name}.json"))).unwrap()).unwrap();
        let diffs = field_diffs(&want, &got, &["source.file", "warnings", "status", "provenance"]);
        assert!(diffs.is_empty(), "{name}:\n{}", diffs.join("\n"));
        assert_eq!(got["source"]["format"], "pdf");
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn broken_pdfs_beside_a_good_one() {
    let dir = temp("pdf-mixed");
    let out = temp("pdf-mixed-out");
    let good = std::fs::read("tests/fixtures/kiso-b.pdf").unwrap();
    std::fs::write(dir.join("good.pdf"), &good).unwrap();
    std::fs::write(dir.join("truncated.pdf"), &good[..good.len() * 6 / 10]).unwrap();
    std::fs::write(dir.join("selfref.pdf"), self_referencing_pdf()).unwrap();
    let o = run(&dir, &out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "some inputs failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(".pdf: ")).collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(errors.iter().any(|l| l.contains("truncated.pdf: truncated_pdf")), "{stderr}");
    assert!(errors.iter().any(|l| l.contains("selfref.pdf: engine_crash")), "{stderr}");
    let rec: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("good.json")).unwrap()).unwrap();
    assert_eq!(rec["status"], "ok");
    assert_eq!(rec["header"]["evaluation_number"], "15");
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn text_dump_shows_what_was_read() {
    let o = Command::new(env!("CARGO_BIN_EXE_piasheet")).args(["text-dump", "tests/fixtures/kiso-b.pdf"]).output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.lines().any(|l| l == "評価実施機関名 垂井町長"), "{text}");
    assert_eq!(text.matches('\x0c').count(), 4, "five pages");
}
