//! PDF worker limits: a memory bomb fails its document as `memory_limit` under the
//! address-space cap (and a good PDF beside it is still read), and killing piasheet
//! kills its worker (no orphan left growing).
#![cfg(target_os = "linux")]

mod robust_common;
use robust_common::*;
use std::time::{Duration, Instant};

fn record(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_memory_bomb_fails_as_memory_limit() {
    let dir = temp("bomb");
    let (input, out) = (dir.join("in"), dir.join("out"));
    std::fs::create_dir_all(&input).unwrap();
    let bomb = memory_bomb_pdf(64);
    assert!(bomb.len() < 200 << 10, "a small file: {} bytes", bomb.len());
    std::fs::write(input.join("bomb.pdf"), &bomb).unwrap();
    std::fs::copy(GOOD_PDF, input.join("good.pdf")).unwrap();

    // The default cap (1 GiB), then a lower one given by --max-memory.
    for (extra, mib) in [(None, 1024), (Some("256M"), 256)] {
        let mut c = piasheet();
        c.args(["extract", "-j", "2", "--timeout", "60"]).arg(&input).arg("-o").arg(&out);
        if let Some(m) = extra {
            c.args(["--max-memory", m]);
        }
        let o = output_within(&mut c, 120);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        let rec = record(&out.join("bomb.json"));
        assert_eq!(rec["error"]["code"], "memory_limit", "{rec}");
        let reason = rec["error"]["reason"].as_str().unwrap();
        assert!(reason.contains(&format!("more than {mib} MiB")), "{reason}");
        assert_eq!(err.lines().filter(|l| l.contains("bomb.pdf: memory_limit")).count(), 1, "{err}");
        assert_eq!(record(&out.join("good.json"))["status"], "ok", "a real sheet fits under {mib} MiB");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_memory_sizes_are_usage_errors() {
    for bad in ["1X", "1K", "", "-5M"] {
        let mut c = piasheet();
        c.args(["extract", "--max-memory", bad, "/nonexistent"]);
        let o = output_within(&mut c, 30);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
    }
}

/// Children of `pid` whose command line has `__pdf-worker`.
fn workers_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        // Fields after the parenthesised name: state, ppid, …
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        let ppid = rest.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok());
        let cmdline = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
        if ppid == Some(pid) && String::from_utf8_lossy(&cmdline).contains("__pdf-worker") {
            found.push(p);
        }
    }
    found
}

/// Gone, or a zombie waiting for whoever adopted it: either way no longer running.
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().next()).is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

#[test]
fn killing_piasheet_kills_its_pdf_worker() {
    let dir = temp("orphan");
    let (input, out) = (dir.join("in"), dir.join("out"));
    std::fs::create_dir_all(&input).unwrap();
    let bomb = memory_bomb_pdf(64);
    for i in 0..4 {
        std::fs::write(input.join(format!("b{i}.pdf")), &bomb).unwrap();
    }
    let mut c = piasheet();
    c.args(["extract", "-j", "1", "--timeout", "60", "--max-memory", "1G", "--quiet"]).arg(&input).arg("-o").arg(&out);
    let mut child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let worker = loop {
        if let Some(&w) = workers_of(child.id()).first() {
            break w;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!("no PDF worker seen: {}", String::from_utf8_lossy(&o.stderr));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // SIGKILL: piasheet gets no chance to clean up; only the kernel can end the worker.
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    // A worker reading this bomb lives about 2 s; one that dies with its parent is gone
    // at once.
    while running(worker) && killed.elapsed() < Duration::from_millis(700) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let orphan = running(worker);
    if orphan {
        // SAFETY: kill has no memory preconditions; the pid is the orphan found above.
        unsafe { libc::kill(worker as libc::pid_t, libc::SIGKILL) };
    }
    assert!(!orphan, "worker {worker} outlived piasheet");
    let _ = std::fs::remove_dir_all(dir);
}
