//! A run killed with SIGKILL leaves no truncated JSON, and `--resume` finishes it with
//! the same outputs as an uninterrupted run.
#![cfg(unix)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt");
const COPIES: usize = 300;

fn extract(input: &Path, out: &Path, resume: bool) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_piasheet"));
    c.args(["extract", "-j", "2", "--quiet"]).arg(input).arg("-o").arg(out);
    if resume {
        c.arg("--resume");
    }
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

/// Every file in `dir` by name: parsed JSON for `*.json`, `None` for anything else.
fn contents(dir: &Path) -> BTreeMap<String, Option<Value>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let json = name.ends_with(".json").then(|| {
                let bytes = std::fs::read(&p).unwrap();
                serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} is not whole JSON: {e}"))
            });
            (name, json)
        })
        .collect()
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn killed_run_resumes_to_the_same_outputs() {
    let dir: PathBuf = std::env::temp_dir().join(format!("piasheet-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (input, killed, clean) = (dir.join("in"), dir.join("killed"), dir.join("clean"));
    std::fs::create_dir_all(&input).unwrap();
    let sample = std::fs::read(SAMPLE).unwrap();
    for i in 0..COPIES {
        std::fs::write(input.join(format!("s{i:03}.txt")), &sample).unwrap();
    }

    // Start, wait until some outputs exist, SIGKILL (Child::kill on Unix).
    let mut child = extract(&input, &killed, false).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = std::fs::read_dir(&killed).map(|d| d.count()).unwrap_or(0);
        if done >= 20 || Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    let after_kill = contents(&killed); // panics on a truncated JSON
    let written: Vec<&String> = after_kill.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k).collect();
    assert!(!written.is_empty());
    if status.success() {
        eprintln!("note: the run finished before it could be killed; the resume check is weaker");
    } else {
        assert!(written.len() < COPIES, "killed before the end");
    }
    let stamps: BTreeMap<&String, SystemTime> = written.iter().map(|n| (*n, mtime(&killed.join(n)))).collect();

    // What a kill in the middle of a write leaves (the PID is beyond any real one).
    std::fs::write(killed.join(".s000.json.4000000000.tmp"), b"{\"schema_ver").unwrap();

    // Resume: finishes the rest, leaves no temporary files, keeps what was done.
    let resumed = extract(&input, &killed, true).output().unwrap();
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    for (name, t) in &stamps {
        assert_eq!(mtime(&killed.join(name)), *t, "{name} was redone, not skipped");
    }

    // An uninterrupted run into another folder gives the same files and records.
    let full = extract(&input, &clean, false).output().unwrap();
    assert!(full.status.success());
    assert!(full.stderr.is_empty(), "--quiet and nothing failed: nothing on stderr");
    let (got, want) = (contents(&killed), contents(&clean));
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "same files, no .tmp left");
    assert!(got.len() > COPIES, "one JSON per input, errors.jsonl and the dataset files: {}", got.len());
    for (name, value) in &want {
        assert_eq!(&got[name], value, "{name}");
    }
    assert_eq!(std::fs::read(killed.join("errors.jsonl")).unwrap(), std::fs::read(clean.join("errors.jsonl")).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}
