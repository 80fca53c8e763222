//! Honest outputs: a record that cannot be written is a failed document (`write_failed`)
//! and the summary counts only what was written; one run at a time per output folder;
//! `--resume` retries failures and keeps the folder and `sheets.jsonl` in agreement.
#![cfg(unix)]

mod robust_common;
use robust_common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn extract(input: &Path, out: &Path, extra: &[&str]) -> std::process::Command {
    let mut c = piasheet();
    c.args(["extract", "--timeout", "60"]).args(extra).arg(input).arg("-o").arg(out);
    c
}

fn record(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `source.file` of each `sheets.jsonl` row, with its status.
fn rows(out: &Path) -> Vec<(String, String)> {
    jsonl(&out.join("sheets.jsonl")).iter().map(|r| (r["source"]["file"].as_str().unwrap().to_string(), r["status"].as_str().unwrap().to_string())).collect()
}

#[test]
fn a_record_that_cannot_be_written_is_a_failed_document() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp("write-fail");
    let (input, out) = (dir.join("in"), dir.join("out"));
    for sub in ["", "sub", "ro", "isdir"] {
        std::fs::create_dir_all(input.join(sub)).unwrap();
    }
    for f in ["a.txt", "sub/b.txt", "ro/c.txt", "isdir/d.txt"] {
        std::fs::copy(SAMPLE, input.join(f)).unwrap();
    }
    // Where sub/b.json goes, a file stands; where isdir/d.json goes, a folder; ro/ is
    // read-only (denied only without root's bypass, so the run is started without it).
    std::fs::create_dir_all(out.join("ro")).unwrap();
    std::fs::create_dir_all(out.join("isdir/d.json")).unwrap();
    std::fs::write(out.join("sub"), b"a file, not a folder").unwrap();
    std::fs::set_permissions(out.join("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut probe = std::process::Command::new("touch");
    probe.arg(out.join("ro/probe")).stderr(std::process::Stdio::null());
    without_permission_bypass(&mut probe);
    assert!(!probe.status().unwrap().success(), "out/ro is writable: the permission case would prove nothing");

    let mut c = extract(&input, &out, &[]);
    without_permission_bypass(&mut c);
    let o = output_within(&mut c, 60);
    let err = stderr(&o);
    std::fs::set_permissions(out.join("ro"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(o.status.code(), Some(1), "{err}");
    // The summary counts what was written: one record of four.
    assert!(err.contains("4 documents: 1 ok, 0 partial, 3 failed"), "{err}");
    for name in ["sub/b.txt", "ro/c.txt", "isdir/d.txt"] {
        assert_eq!(err.lines().filter(|l| l.contains(&format!("{name}: write_failed: cannot write"))).count(), 1, "{name}: {err}");
    }
    assert!(err.contains("Permission denied"), "{err}");
    assert_eq!(record(&out.join("a.json"))["status"], "ok");
    // errors.jsonl and sheets.jsonl say the same.
    let errors = jsonl(&out.join("errors.jsonl"));
    assert_eq!(errors.iter().map(|l| l["code"].as_str().unwrap()).collect::<Vec<_>>(), ["write_failed"; 3]);
    let statuses: Vec<String> = rows(&out).into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["ok", "failed", "failed", "failed"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_output_folder_that_is_a_file_stops_the_run() {
    let dir = temp("out-file");
    std::fs::copy(SAMPLE, dir.join("a.txt")).unwrap();
    std::fs::write(dir.join("out"), b"x").unwrap();
    let o = output_within(&mut extract(&dir.join("a.txt"), &dir.join("out"), &[]), 60);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("as the output folder"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("documents:"), "no summary of documents that were never read");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_second_run_into_a_busy_folder_stops_at_once() {
    let dir = temp("lock");
    let (input, out) = (dir.join("in"), dir.join("out"));
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(SAMPLE, input.join("a.txt")).unwrap();
    // Keeps the first run busy for a few seconds (each worker grows to the cap, ~2 s).
    let bomb = memory_bomb_pdf(64);
    for i in 0..3 {
        std::fs::write(input.join(format!("slow{i}.pdf")), &bomb).unwrap();
    }
    let mut first = extract(&input, &out, &["-j", "1", "--max-memory", "512M"]).spawn().unwrap();
    // The run holds the lock before it starts its temporary files.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_dir(&out).map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))).unwrap_or(false) {
        assert!(Instant::now() < deadline && first.try_wait().unwrap().is_none(), "first run never started writing");
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    let second = output_within(&mut extract(&input, &out, &[]), 60);
    let took = started.elapsed();
    let still_running = first.try_wait().unwrap().is_none();
    let first = first.wait_with_output().unwrap();
    assert!(still_running, "the first run ended before the second started: nothing was tested");
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(stderr(&second).contains("another piasheet run is writing into"), "{}", stderr(&second));
    assert!(took < Duration::from_secs(2), "stopped at once, not after waiting: {took:?}");
    // The first run's files are whole and agree with each other.
    assert_eq!(first.status.code(), Some(1), "the bombs fail: {}", stderr(&first));
    let rows = rows(&out);
    assert_eq!(rows.len(), 4, "{rows:?}");
    // Records only: datapackage.json describes the dataset files.
    let jsons = std::fs::read_dir(&out).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".json") && e.file_name() != "datapackage.json").count();
    assert_eq!(jsons, 4);
    // Once it is done, the folder is free again.
    let third = output_within(&mut extract(&input.join("a.txt"), &out, &[]), 60);
    assert!(third.status.success(), "{}", stderr(&third));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn resume_retries_failures_and_drops_stale_records() {
    let dir = temp("resume");
    let (input, out) = (dir.join("in"), dir.join("out"));
    std::fs::create_dir_all(&input).unwrap();
    for f in ["a.txt", "b.txt", "c.txt"] {
        std::fs::copy(SAMPLE, input.join(f)).unwrap();
    }
    let o = output_within(&mut extract(&input, &out, &[]), 60);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(out.join("notes.json"), b"{\"mine\": true}").unwrap(); // not a record: left alone

    // a.json as a timeout under load would have left it (same bytes, failed).
    let mut a = record(&out.join("a.json"));
    a["status"] = "failed".into();
    a["error"] = serde_json::json!({"code": "timeout", "reason": "took longer than 60s"});
    std::fs::write(out.join("a.json"), serde_json::to_vec_pretty(&a).unwrap()).unwrap();
    // b.txt is deleted since.
    std::fs::remove_file(input.join("b.txt")).unwrap();

    // --keep-stale: b's record stays, is listed, and is in the dataset files.
    let o = output_within(&mut extract(&input, &out, &["--resume", "--keep-stale"]), 60);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(record(&out.join("a.json"))["status"], "ok", "the failed input was read again");
    assert_eq!(err.lines().filter(|l| l.contains("b.json: kept a stale record")).count(), 1, "{err}");
    let files: Vec<String> = rows(&out).into_iter().map(|(f, _)| Path::new(&f).file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(files, ["a.txt", "c.txt", "b.txt"]);

    // Plain --resume: b's record goes, and with it its row.
    let o = output_within(&mut extract(&input, &out, &["--resume"]), 60);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(err.lines().filter(|l| l.contains("b.json: removed a stale record")).count(), 1, "{err}");
    assert!(!out.join("b.json").exists());
    assert!(out.join("notes.json").exists(), "not a record: not ours to remove");
    let files: Vec<String> = rows(&out).into_iter().map(|(f, _)| Path::new(&f).file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(files, ["a.txt", "c.txt"]);
    let _ = std::fs::remove_dir_all(dir);
}
