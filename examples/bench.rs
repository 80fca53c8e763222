//! End-to-end benchmark of the real CLI, with the cost floor beside it.
//!
//!     cargo run --release --example bench -- CORPUS_DIR [--runs 3] [--pdf PDF_DIR] [--bin PATH] [--out PARENT]
//!
//! Runs `piasheet extract CORPUS_DIR/in -o TMP` as a child process (outputs really
//! written), `--runs` times; reports the best wall time and the peak RSS of the child
//! (`wait4` rusage `ru_maxrss`), as documents/s, MB/s of input and peak MB. The cost
//! floor, measured in the same run: a minimal single-threaded Rust loop that reads the
//! same files and runs one regex over each (and `rg -c` over the folder, if installed);
//! printed as the ratio piasheet/floor. With `--pdf DIR`, also pages/s over a folder
//! of PDFs (pages summed from the records' `source.pages`). A second floor is the
//! file system's: creating as many files as the run writes (temporary file + rename,
//! one thread) in the same place (`--out PARENT`, default the temp folder).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Run {
    seconds: f64,
    /// User + system CPU seconds of the child (all its threads).
    cpu: f64,
    max_rss_kb: i64,
    status: i32,
}

/// Spawn `cmd`, wait for it with wait4, return wall time and the child's peak RSS.
fn run_child(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let seconds = start.elapsed().as_secs_f64();
    std::mem::forget(child); // already reaped
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    Run { seconds, cpu, max_rss_kb: usage.ru_maxrss, status: libc::WEXITSTATUS(status) }
}

/// `piasheet extract INPUT -o OUT`, `runs` times on a fresh OUT: the best run and all times.
fn extract_runs(bin: &Path, input: &Path, out: &Path, runs: usize) -> (Run, Vec<f64>) {
    best(
        runs,
        || {
            let _ = std::fs::remove_dir_all(out);
            run_child(Command::new(bin).arg("extract").arg(input).arg("-o").arg(out))
        },
        |r| r.seconds,
    )
}

/// User + system CPU seconds of this process so far.
fn self_cpu() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn files_of(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_of(&p, ext, out);
        } else if p.extension().and_then(|x| x.to_str()).is_some_and(|x| x.eq_ignore_ascii_case(ext)) {
            out.push(p);
        }
    }
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T, key: impl Fn(&T) -> f64) -> (T, Vec<f64>) {
    let mut all: Vec<T> = (0..runs).map(|_| f()).collect();
    let times: Vec<f64> = all.iter().map(&key).collect();
    let i = (0..all.len()).min_by(|&a, &b| times[a].total_cmp(&times[b])).unwrap();
    (all.swap_remove(i), times)
}

fn fmt_times(t: &[f64]) -> String {
    t.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(" ")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut runs, mut pdf, mut bin, mut corpus, mut out_parent) = (3usize, None, None, None, None::<PathBuf>);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().and_then(|s| s.parse().ok()).expect("--runs N"),
            "--pdf" => pdf = it.next().map(PathBuf::from),
            "--bin" => bin = it.next().map(PathBuf::from),
            "--out" => out_parent = it.next().map(PathBuf::from),
            _ => corpus = Some(PathBuf::from(a)),
        }
    }
    let corpus = corpus.unwrap_or_else(|| {
        eprintln!("usage: bench CORPUS_DIR [--runs 3] [--pdf PDF_DIR] [--bin PATH] [--out PARENT]");
        std::process::exit(2)
    });
    // target/release/examples/bench → target/release/piasheet
    let bin = bin.unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap();
        exe.parent().and_then(Path::parent).unwrap().join("piasheet")
    });
    assert!(bin.exists(), "{} not built: cargo build --release", bin.display());
    let input = corpus.join("in");
    let input = if input.is_dir() { input } else { corpus.clone() };
    let mut files = Vec::new();
    files_of(&input, "txt", &mut files);
    files.sort();
    let n = files.len();
    let bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    let mb = bytes as f64 / 1e6;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("corpus: {} ({n} text files, {mb:.1} MB), {cores} cores, best of {runs}", input.display());

    // --- piasheet end to end.
    let out_parent = out_parent.unwrap_or_else(std::env::temp_dir);
    let out = out_parent.join(format!("piasheet-bench-{}", std::process::id()));
    let (p, times) = extract_runs(&bin, &input, &out, runs);
    let (written, json_bytes) = {
        let mut v = Vec::new();
        files_of(&out, "json", &mut v);
        (v.len(), v.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum::<u64>())
    };
    let _ = std::fs::remove_dir_all(&out);
    println!(
        "piasheet extract: {:.3} s  {:.0} documents/s  {:.1} MB/s  peak {:.1} MB  (exit {}, {written} outputs; runs {})",
        p.seconds,
        n as f64 / p.seconds,
        mb / p.seconds,
        p.max_rss_kb as f64 / 1024.0,
        p.status,
        fmt_times(&times)
    );

    // --- Floor: read every file, one regex over it, one thread.
    let re = regex::bytes::Regex::new(r"(平成|令和)[0-9０-９元]+年").unwrap();
    let (floor, times) = best(
        runs,
        || {
            let t = Instant::now();
            let mut hits = 0usize;
            for f in &files {
                let b = std::fs::read(f).unwrap();
                hits += re.find_iter(&b).count();
            }
            (t.elapsed().as_secs_f64(), hits)
        },
        |r| r.0,
    );
    println!(
        "floor (read + 1 regex, 1 thread): {:.3} s  {:.0} documents/s  {:.1} MB/s  ({} matches; runs {})",
        floor.0,
        n as f64 / floor.0,
        mb / floor.0,
        floor.1,
        fmt_times(&times)
    );
    println!(
        "piasheet CPU: {:.3} s user+sys ({:.0} µs/document; {:.0} documents/s if the {cores} cores were free)",
        p.cpu,
        p.cpu * 1e6 / n as f64,
        n as f64 * cores as f64 / p.cpu
    );
    println!("ratio piasheet/floor: {:.1}x (wall, piasheet on {cores} threads vs floor on 1)", p.seconds / floor.0);

    // --- File-system floor: create `written` files of the outputs' mean size, as
    // piasheet does (temporary file, then rename), on one thread; CPU time of this
    // process (user + sys), which is mostly the kernel's.
    let size = (json_bytes / written.max(1) as u64) as usize;
    let data = vec![b' '; size];
    let dir = out_parent.join(format!("piasheet-bench-files-{}", std::process::id()));
    let (files_floor, times) = best(
        runs,
        || {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let (t, cpu) = (Instant::now(), self_cpu());
            for i in 0..written {
                let tmp = dir.join(format!(".{i}.json.tmp"));
                std::fs::write(&tmp, &data).unwrap();
                std::fs::rename(&tmp, dir.join(format!("{i}.json"))).unwrap();
            }
            (t.elapsed().as_secs_f64(), self_cpu() - cpu)
        },
        |r| r.0,
    );
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "floor (create {written} files of {size} bytes in {}, 1 thread): {:.3} s, {:.0} µs CPU/file (runs {})",
        out_parent.display(),
        files_floor.0,
        files_floor.1 * 1e6 / written.max(1) as f64,
        fmt_times(&times)
    );

    // --- rg -c, if installed.
    if Command::new("rg").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success()) {
        let (r, times) = best(runs, || run_child(Command::new("rg").arg("-c").arg("令和").arg(&input)), |r| r.seconds);
        println!(
            "rg -c: {:.3} s  {:.0} documents/s  {:.1} MB/s  peak {:.1} MB  (runs {}); ratio piasheet/rg {:.1}x",
            r.seconds,
            n as f64 / r.seconds,
            mb / r.seconds,
            r.max_rss_kb as f64 / 1024.0,
            fmt_times(&times),
            p.seconds / r.seconds
        );
    } else {
        println!("rg: not installed, skipped");
    }

    // --- PDFs.
    if let Some(dir) = pdf {
        let mut pdfs = Vec::new();
        files_of(&dir, "pdf", &mut pdfs);
        let out = out_parent.join(format!("piasheet-bench-pdf-{}", std::process::id()));
        let (r, times) = extract_runs(&bin, &dir, &out, runs);
        let mut outs = Vec::new();
        files_of(&out, "json", &mut outs);
        let pages: u64 = outs
            .iter()
            .filter_map(|f| serde_json::from_slice::<serde_json::Value>(&std::fs::read(f).ok()?).ok())
            .filter_map(|v| v["source"]["pages"].as_u64())
            .sum();
        let _ = std::fs::remove_dir_all(&out);
        if pages == 0 {
            println!("pdf: {} files, no pages read, skipped", pdfs.len());
        } else {
            println!(
                "pdf: {} files, {pages} pages in {:.3} s  {:.1} pages/s  peak {:.1} MB  (runs {})",
                pdfs.len(),
                r.seconds,
                pages as f64 / r.seconds,
                r.max_rss_kb as f64 / 1024.0,
                fmt_times(&times)
            );
        }
    }
}
