//! Command-line conventions: `-` for stdin, `-o -` for stdout, `--version`, shell
//! completions and man pages generated from the argument definitions.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt");

fn bin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_piasheet"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("piasheet-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn stdin_to_stdout_is_one_jsonl_line() {
    let sample = std::fs::read(SAMPLE).unwrap();
    let o = bin(&["extract", "-", "-o", "-"], Some(&sample));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    let record: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(record["header"]["evaluator"], "いわき市長");
    assert_eq!(record["source"]["file"], "-");
    assert!(record.as_object().unwrap().contains_key("error"), "a sheets.jsonl line: every top-level key");
    // The summary is on stderr, not mixed into the data.
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("1 documents: 1 ok") && err.contains("stdout"), "{err}");
}

#[test]
fn files_to_stdout_in_input_order_and_nothing_on_disk() {
    let dir = temp("stdout");
    std::fs::copy(SAMPLE, dir.join("b.txt")).unwrap();
    std::fs::copy(SAMPLE, dir.join("a.txt")).unwrap();
    std::fs::write(dir.join("c.txt"), "").unwrap();
    let o = bin(&["extract", dir.to_str().unwrap(), "-o", "-"], None);
    // The empty file fails: exit 1, its error on stderr, its record still a line.
    assert_eq!(o.status.code(), Some(1));
    let files: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["source"]["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(files, ["a.txt", "b.txt", "c.txt"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("c.txt: empty"));
    assert!(!std::path::Path::new("-").exists(), "no folder named -");
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 3, "only the inputs: {names:?}");
    assert_eq!(bin(&["extract", dir.to_str().unwrap(), "-o", "-", "--resume"], None).status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn stdin_to_a_folder_is_stdin_json() {
    let dir = temp("stdin-dir");
    let o = bin(&["extract", "-", "-o", dir.to_str().unwrap(), "-q", "--format", "json,parquet"], Some(&std::fs::read(SAMPLE).unwrap()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&std::fs::read(dir.join("stdin.json")).unwrap()).unwrap();
    assert_eq!(r["organization"]["lg_code"], "072044");
    assert!(dir.join("sheets.parquet").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn version_completions_and_man_pages() {
    let v = bin(&["--version"], None);
    assert!(v.status.success());
    assert_eq!(String::from_utf8(v.stdout).unwrap().trim(), format!("piasheet {}", env!("CARGO_PKG_VERSION")));

    for (shell, needle) in [("bash", "complete -F _piasheet"), ("zsh", "#compdef piasheet"), ("fish", "complete -c piasheet")] {
        let o = bin(&["completions", shell], None);
        assert!(o.status.success(), "{shell}");
        let script = String::from_utf8(o.stdout).unwrap();
        assert!(script.contains(needle), "{shell}: {needle}");
        // The options of the subcommands come from the same definitions.
        assert!(script.contains("provenance") && script.contains("html"), "{shell}");
    }
    assert_eq!(bin(&["completions", "nosh"], None).status.code(), Some(2));

    let man = String::from_utf8(bin(&["man"], None).stdout).unwrap();
    assert!(man.starts_with(".ie") || man.contains(".TH piasheet"), "{}", &man[..200.min(man.len())]);
    assert!(man.contains("extract") && man.contains("diff"));
    let dir = temp("man");
    assert!(bin(&["man", "--dir", dir.to_str().unwrap()], None).status.success());
    let extract = std::fs::read_to_string(dir.join("piasheet-extract.1")).unwrap();
    assert!(extract.contains(".TH piasheet-extract") && extract.contains("provenance"), "{extract}");
    assert!(dir.join("piasheet.1").exists() && dir.join("piasheet-diff.1").exists());
    std::fs::remove_dir_all(dir).unwrap();
}
