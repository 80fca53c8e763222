//! Input walking on hostile trees: symbolic-link loops, links to files already listed,
//! FIFOs, sockets and devices, unreadable folders, missing paths. Every case ends in
//! one line on stderr (or one record) and the run goes on; none hangs.
#![cfg(unix)]

mod robust_common;
use robust_common::*;
use std::os::unix::fs::symlink;
use std::path::Path;

fn extract(input: &[&Path], out: &Path) -> std::process::Command {
    let mut c = piasheet();
    c.args(["extract", "-j", "2", "--timeout", "20"]).args(input).arg("-o").arg(out);
    c
}

/// Lines of stderr that mention `needle`.
fn lines_with<'a>(stderr: &'a str, needle: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.contains(needle)).collect()
}

/// Record files (`*.json`) below `dir`, relative, sorted.
/// The records written below `dir` (not the dataset's description, datapackage.json).
fn records(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") && p.file_name().is_some_and(|n| n != "datapackage.json") {
                found.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn symlink_loops_are_reported_once_and_links_read_once() {
    let dir = temp("loops");
    let (input, out) = (dir.join("in"), dir.join("out"));
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::copy(SAMPLE, input.join("a.txt")).unwrap();
    std::fs::copy(SAMPLE, input.join("sub/b.txt")).unwrap();
    symlink(".", input.join("self")).unwrap(); // the loop of the issue: ln -s . self
    symlink("..", input.join("sub/up")).unwrap(); // a loop two levels up
    symlink("a.txt", input.join("link.txt")).unwrap(); // a second name for a.txt
    std::fs::hard_link(input.join("a.txt"), input.join("hard.txt")).unwrap();
    symlink("l2", input.join("l1.txt")).unwrap(); // links that point at each other
    symlink("l1.txt", input.join("l2")).unwrap();

    let o = output_within(&mut extract(&[&input], &out), 60);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "loops are errors: {err}");
    // Each loop: exactly one line, naming the path and why.
    for (path, why) in [("in/self:", "leads back to"), ("in/sub/up:", "leads back to"), ("in/l1.txt:", "symlink_loop")] {
        let hits = lines_with(&err, path);
        assert_eq!(hits.len(), 1, "{path}: {err}");
        assert!(hits[0].contains("symlink_loop") && hits[0].contains(why), "{}", hits[0]);
    }
    // Each file once: a.txt (not also as link.txt, hard.txt, self/a.txt …) and sub/b.txt.
    assert_eq!(records(&out), ["a.json", "sub/b.json"], "{err}");
    let rows = jsonl(&out.join("sheets.jsonl"));
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["status"] == "ok"));
    assert!(err.contains("2 documents: 2 ok"), "{err}");
    assert!(lines_with(&err, "link.txt: skipped: the same file as").len() == 1, "{err}");
    // errors.jsonl holds the loops, in path order among the inputs.
    let errors = jsonl(&out.join("errors.jsonl"));
    let codes: Vec<(&str, &str)> = errors.iter().map(|l| (l["path"].as_str().unwrap(), l["code"].as_str().unwrap())).collect();
    let base = input.to_str().unwrap();
    let want: Vec<String> = ["l1.txt", "l2", "self", "sub/up"].iter().map(|p| format!("{base}/{p}")).collect();
    assert_eq!(codes, want.iter().map(|p| (p.as_str(), "symlink_loop")).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fifos_sockets_and_devices_are_never_opened() {
    let dir = temp("fifo");
    let (input, out) = (dir.join("in"), dir.join("out"));
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(SAMPLE, input.join("a.txt")).unwrap();
    for name in ["x.txt", "x.pdf"] {
        let c = std::ffi::CString::new(input.join(name).to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; mkfifo has no other preconditions.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    }
    let _sock = std::os::unix::net::UnixListener::bind(input.join("sock.txt")).unwrap();
    symlink("/dev/zero", input.join("zero.pdf")).unwrap(); // endless if read
    let fifo_arg = input.join("x.txt"); // a FIFO given by name, too

    let o = output_within(&mut extract(&[&input, &fifo_arg], &out), 60);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for (name, kind) in [("x.txt", "FIFO"), ("x.pdf", "FIFO"), ("sock.txt", "socket"), ("zero.pdf", "device")] {
        let hits = lines_with(&err, &format!("in/{name}: not_a_file"));
        // x.txt: once from the folder; given again by name, it is the same file.
        assert_eq!(hits.len(), 1, "{name}: {err}");
        assert!(hits[0].contains(kind), "{}", hits[0]);
    }
    let errors = jsonl(&out.join("errors.jsonl"));
    assert_eq!(errors.iter().filter(|l| l["code"] == "not_a_file").count(), 4, "{errors:?}");
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("a.json")).unwrap()).unwrap();
    assert_eq!(a["status"], "ok");
    assert!(err.contains("5 documents: 1 ok, 0 partial, 4 failed"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unreadable_folders_and_files_are_skipped_and_the_rest_runs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp("unreadable");
    let (input, out) = (dir.join("in"), dir.join("out"));
    std::fs::create_dir_all(input.join("locked")).unwrap();
    std::fs::create_dir_all(input.join("open")).unwrap();
    std::fs::copy(SAMPLE, input.join("locked/c.txt")).unwrap();
    std::fs::copy(SAMPLE, input.join("open/a.txt")).unwrap();
    std::fs::copy(SAMPLE, input.join("open/secret.txt")).unwrap();
    std::fs::set_permissions(input.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(input.join("open/secret.txt"), std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_denied(&input.join("locked"));

    let mut cmd = extract(&[&input], &out);
    without_permission_bypass(&mut cmd);
    let o = output_within(&mut cmd, 60);
    let err = stderr(&o);
    std::fs::set_permissions(input.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(o.status.code(), Some(1), "{err}");
    let hits = lines_with(&err, "in/locked: unreadable");
    assert_eq!(hits.len(), 1, "{err}");
    assert!(hits[0].contains("Permission denied"), "{}", hits[0]);
    assert!(lines_with(&err, "secret.txt: io: Permission denied").len() == 1, "{err}");
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("open/a.json")).unwrap()).unwrap();
    assert_eq!(a["status"], "ok");
    let codes: Vec<String> = jsonl(&out.join("errors.jsonl")).iter().map(|l| l["code"].as_str().unwrap().to_string()).collect();
    assert_eq!(codes, ["unreadable", "io"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_path_is_reported_and_the_run_goes_on() {
    let dir = temp("missing");
    let out = dir.join("out");
    std::fs::copy(SAMPLE, dir.join("a.txt")).unwrap();
    let missing = dir.join("not-there.txt");
    let o = output_within(&mut extract(&[&missing, &dir.join("a.txt")], &out), 60);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(lines_with(&err, "not-there.txt: missing").len(), 1, "{err}");
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("a.json")).unwrap()).unwrap();
    assert_eq!(a["status"], "ok");
    assert_eq!(jsonl(&out.join("sheets.jsonl")).len(), 1);
    let errors = jsonl(&out.join("errors.jsonl"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["code"], "missing");
    assert_eq!(errors[0]["sha256"], serde_json::Value::Null);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_empty_pdf_is_empty() {
    let dir = temp("empty-pdf");
    std::fs::write(dir.join("e.pdf"), b"").unwrap();
    let o = output_within(&mut extract(&[&dir.join("e.pdf")], &dir.join("out")), 60);
    assert_eq!(o.status.code(), Some(1));
    let rec: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("out/e.json")).unwrap()).unwrap();
    assert_eq!(rec["error"]["code"], "empty", "{rec}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_zero_timeout_is_a_usage_error() {
    let dir = temp("timeout0");
    std::fs::copy(SAMPLE, dir.join("a.txt")).unwrap();
    let mut c = piasheet();
    c.args(["extract", "--timeout", "0"]).arg(dir.join("a.txt")).arg("-o").arg(dir.join("out"));
    let o = output_within(&mut c, 60);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--timeout"), "{}", stderr(&o));
    assert!(!dir.join("out").exists(), "nothing run");
    let mut c = piasheet();
    c.args(["text-dump", "--timeout", "0", GOOD_PDF]);
    assert_eq!(output_within(&mut c, 60).status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}
