//! The PDF worker pool: one long-lived worker per thread reads document after document;
//! a document that hangs (timeout) or goes over the memory cap ends that worker and
//! fails alone, and the documents after it, on a fresh worker, are read as before.
#![cfg(target_os = "linux")]

mod robust_common;
use piasheet::pdf::{read_pdf_with_limits, workers_started};
use robust_common::*;
use std::path::Path;
use std::time::Duration;

fn record(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The only test in this file that reads PDFs in this process (the start counter is
/// process-wide).
#[test]
fn one_worker_reads_many_documents_and_a_bad_one_fails_alone() {
    let exe = Path::new(env!("CARGO_BIN_EXE_piasheet"));
    let good = std::fs::read(GOOD_PDF).unwrap();
    let bomb = memory_bomb_pdf(64);
    let cap = 1u64 << 30;
    let read = |bytes: &[u8], secs: f64| read_pdf_with_limits(exe, Path::new("x.pdf"), bytes, Duration::from_secs_f64(secs), cap);
    let expected = read(&good, 120.0).unwrap();
    let started = workers_started();
    for _ in 0..3 {
        let l = read(&good, 120.0).unwrap();
        assert_eq!((l.pages, l.lines.len(), l.change_rows.len()), (expected.pages, expected.lines.len(), expected.change_rows.len()));
    }
    assert_eq!(workers_started(), started, "the same worker read all four documents");

    // Hangs past its deadline (reaching a 1 GiB cap takes seconds): only it fails.
    let e = read(&bomb, 0.5).unwrap_err();
    assert_eq!(e.code, "timeout", "{e:?}");
    let l = read(&good, 120.0).unwrap();
    assert_eq!(l.lines.len(), expected.lines.len());
    assert_eq!(workers_started(), started + 1, "a fresh worker after the timeout");
    let l = read(&good, 120.0).unwrap();
    assert_eq!(l.lines.len(), expected.lines.len());
    assert_eq!(workers_started(), started + 1, "and it is kept");

    // Over the cap on a worker that had read a document: tried once more on a fresh
    // worker (what earlier documents left must not decide), fails as memory_limit.
    let e = read(&bomb, 120.0).unwrap_err();
    assert_eq!(e.code, "memory_limit", "{e:?}");
    assert!(e.message.contains("more than 1024 MiB"), "{e:?}");
    assert_eq!(workers_started(), started + 2, "one retry on a fresh worker");
    let l = read(&good, 120.0).unwrap();
    assert_eq!(l.lines.len(), expected.lines.len());
    assert_eq!(workers_started(), started + 3);

    // Another cap is another worker.
    read_pdf_with_limits(exe, Path::new("x.pdf"), &good, Duration::from_secs(120), 512 << 20).unwrap();
    assert_eq!(workers_started(), started + 4);
}

/// Through the CLI with one job slot: the documents after a failing one on the same slot
/// get their full records.
#[test]
fn a_failing_document_in_the_middle_of_a_batch_fails_alone() {
    let dir = temp("pool-batch");
    let (input, out) = (dir.join("in"), dir.join("out"));
    std::fs::create_dir_all(&input).unwrap();
    let bomb = memory_bomb_pdf(64);
    for name in ["1-good.pdf", "3-good.pdf", "4-good.pdf"] {
        std::fs::copy(GOOD_PDF, input.join(name)).unwrap();
    }
    std::fs::write(input.join("2-bad.pdf"), &bomb).unwrap();
    // Under a 256 MiB cap the bad one ends its worker as memory_limit; under a 4 GiB
    // cap with a 1 s limit it hangs past its deadline.
    for (extra, code) in [(["--max-memory", "256M", "--timeout", "60"], "memory_limit"), (["--max-memory", "4G", "--timeout", "1"], "timeout")] {
        let _ = std::fs::remove_dir_all(&out);
        let mut c = piasheet();
        c.args(["extract", "-j", "1"]).args(extra).arg(&input).arg("-o").arg(&out);
        let o = output_within(&mut c, 180);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert_eq!(record(&out.join("2-bad.json"))["error"]["code"], code, "{err}");
        for name in ["1-good", "3-good", "4-good"] {
            assert_eq!(record(&out.join(format!("{name}.json")))["status"], "ok", "{name} ({code}): {err}");
        }
        assert_eq!(err.lines().filter(|l| l.contains(".pdf:")).count(), 1, "one failure line: {err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
