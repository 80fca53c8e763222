//! End-to-end benchmark of the real CLI, with the cost floors and the baselines of
//! issue #16 beside it, all measured in the same run on the same files:
//!
//!     cargo run --release --example bench -- CORPUS_DIR [--runs 3] [--out PARENT] [--bin PATH]
//!         [--baseline bench/baseline.py | --no-baseline]
//!         [--pdf PDF_DIR | --pdf-copies N [--pdf-from DIR]...] [--sizes 1,100,1000 | --sizes none]
//!
//! Text: runs `piasheet extract CORPUS_DIR/in -o TMP` as a child process (outputs really
//! written), `--runs` times; reports the best wall time and the peak RSS of the child
//! (`wait4` rusage `ru_maxrss`), as documents/s, MB/s of input and peak MB. The cost
//! floor: a minimal single-threaded Rust loop that reads the same files and runs one
//! regex over each (and `rg -c` over the folder, if installed); printed as the ratio
//! piasheet/floor. A second floor is the file system's: creating as many files as the
//! run writes (temporary file + rename, one thread) in the same place (`--out PARENT`,
//! default the temp folder). The baseline script (`bench/baseline.py`: read, decode,
//! ~70 regexes, one JSON per file) on the same files: CPU per document of each, and
//! piasheet's as a ratio of the script's (least CPU of the runs, each).
//!
//! PDFs (`--pdf DIR`, or `--pdf-copies N`: N copies under distinct names of the PDFs
//! in tests/fixtures and each `--pdf-from DIR`): piasheet's wall time and pages/s, and
//! `pdftotext` (poppler-utils) on the same files, two processes at a time; the ratio of
//! the wall times.
//!
//! Sizes (`--sizes`, default 1,100,1000): the sample with its change table repeated K
//! times (`make_corpus::repeated_changes`), ceil(1000/K) copies each, so every run
//! reads the same ~23,000 rows: CPU per document, per change row and per input byte,
//! per-row cost relative to the first size, and peak RSS against the size of one input.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "make_corpus.rs"]
mod make_corpus;

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

/// `piasheet extract INPUT -o OUT`, `runs` times on a fresh OUT: the best run (wall),
/// all wall times, and the least CPU time of the runs.
fn extract_runs(bin: &Path, input: &Path, out: &Path, runs: usize) -> (Run, Vec<f64>, f64) {
    let mut least_cpu = f64::INFINITY;
    let (best_run, times) = best(
        runs,
        || {
            let _ = std::fs::remove_dir_all(out);
            let r = run_child(Command::new(bin).arg("extract").arg(input).arg("-o").arg(out));
            least_cpu = least_cpu.min(r.cpu);
            r
        },
        |r| r.seconds,
    );
    (best_run, times, least_cpu)
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

const USAGE: &str = "usage: bench CORPUS_DIR [--runs 3] [--out PARENT] [--bin PATH] [--baseline PY | --no-baseline] [--pdf DIR | --pdf-copies N [--pdf-from DIR]...] [--sizes 1,100,1000|none]";

/// One line naming what is wrong, the usage, exit 2.
fn usage_error(what: &str) -> ! {
    eprintln!("bench: {what}\n{USAGE}");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut runs, mut pdf, mut bin, mut corpus, mut out_parent) = (3usize, None, None, None, None::<PathBuf>);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut baseline = Some(manifest.join("bench/baseline.py"));
    let (mut pdf_copies, mut pdf_from) = (0usize, vec![manifest.join("tests/fixtures")]);
    let mut sizes: Vec<usize> = vec![1, 100, 1000];
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| usage_error("--runs takes a number")),
            "--pdf" => pdf = it.next().map(PathBuf::from),
            "--pdf-copies" => pdf_copies = it.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| usage_error("--pdf-copies takes a number")),
            "--pdf-from" => pdf_from.push(it.next().map(PathBuf::from).unwrap_or_else(|| usage_error("--pdf-from takes a folder"))),
            "--bin" => bin = it.next().map(PathBuf::from),
            "--out" => out_parent = it.next().map(PathBuf::from),
            "--baseline" => baseline = it.next().map(PathBuf::from),
            "--no-baseline" => baseline = None,
            "--sizes" => {
                let v = it.next().unwrap_or_else(|| usage_error("--sizes takes K,K,… or none"));
                sizes = if v == "none" { Vec::new() } else { v.split(',').map(|k| k.parse().unwrap_or_else(|_| usage_error(&format!("--sizes: {k:?} is not a number")))).collect() };
            }
            "-h" | "--help" => {
                println!("{USAGE}\n\nSee the top of examples/bench.rs for what each part measures.");
                return;
            }
            flag if flag.starts_with('-') => usage_error(&format!("unknown option {flag}")),
            _ => corpus = Some(PathBuf::from(a)),
        }
    }
    let corpus = corpus.unwrap_or_else(|| usage_error("no corpus folder given"));
    if !corpus.is_dir() {
        usage_error(&format!("{}: not a folder", corpus.display()));
    }
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
    let (p, times, p_cpu) = extract_runs(&bin, &input, &out, runs);
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

    // --- The baseline script on the same files: CPU per document, and the ratio.
    match &baseline {
        Some(script) if script.exists() && Command::new("python3").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success()) => {
            let bout = out_parent.join(format!("piasheet-bench-baseline-{}", std::process::id()));
            let mut least_cpu = f64::INFINITY;
            let (b, times) = best(
                runs,
                || {
                    let _ = std::fs::remove_dir_all(&bout);
                    let r = run_child(Command::new("python3").arg(script).arg(&input).arg(&bout));
                    least_cpu = least_cpu.min(r.cpu);
                    r
                },
                |r| r.seconds,
            );
            let _ = std::fs::remove_dir_all(&bout);
            let (pd, bd) = (p_cpu * 1e6 / n as f64, least_cpu * 1e6 / n as f64);
            println!(
                "baseline {} (1 process): {:.3} s  {:.0} µs CPU/document (exit {}; runs {})",
                script.display(),
                b.seconds,
                bd,
                b.status,
                fmt_times(&times)
            );
            println!("ratio piasheet/baseline CPU per document: {:.2}x ({pd:.0} µs vs {bd:.0} µs, least CPU of {runs} runs each)", pd / bd);
        }
        Some(script) => println!("baseline: {} or python3 missing, skipped", script.display()),
        None => {}
    }

    // --- PDFs: piasheet against pdftotext, two processes at a time, same files.
    let pdf = pdf.or_else(|| (pdf_copies > 0).then(|| copy_pdfs(&out_parent, pdf_copies, &pdf_from)));
    if let Some(dir) = &pdf {
        let mut pdfs = Vec::new();
        files_of(dir, "pdf", &mut pdfs);
        pdfs.sort();
        let out = out_parent.join(format!("piasheet-bench-pdf-{}", std::process::id()));
        let (r, times, r_cpu) = extract_runs(&bin, dir, &out, runs);
        let mut outs = Vec::new();
        files_of(&out, "json", &mut outs);
        let pages: u64 = outs
            .iter()
            .filter_map(|f| serde_json::from_slice::<serde_json::Value>(&std::fs::read(f).ok()?).ok())
            .filter_map(|v| v["source"]["pages"].as_u64())
            .sum();
        let _ = std::fs::remove_dir_all(&out);
        println!(
            "pdf: {} files, {pages} pages: piasheet {:.3} s  {:.1} pages/s  {:.1} ms CPU/file  peak {:.1} MB  (exit {}; runs {})",
            pdfs.len(),
            r.seconds,
            pages as f64 / r.seconds,
            r_cpu * 1e3 / pdfs.len().max(1) as f64,
            r.max_rss_kb as f64 / 1024.0,
            r.status,
            fmt_times(&times)
        );
        if Command::new("pdftotext").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
            let tout = out_parent.join(format!("piasheet-bench-pdftotext-{}", std::process::id()));
            let ((secs, cpu), times) = best(runs, || pdftotext_parallel(&pdfs, &tout, 2), |r| r.0);
            let _ = std::fs::remove_dir_all(&tout);
            println!(
                "pdftotext (2 processes at a time): {:.3} s  {:.1} pages/s  {:.1} ms CPU/file  (runs {})",
                secs,
                pages as f64 / secs,
                cpu * 1e3 / pdfs.len().max(1) as f64,
                fmt_times(&times)
            );
            println!("ratio piasheet/pdftotext wall: {:.2}x (target ≤ 1.0x)", r.seconds / secs);
        } else {
            println!("pdftotext: not installed (apt-get install -y poppler-utils), skipped");
        }
        if pdf_copies > 0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    // --- Sizes: time per document at K times the sample's change rows.
    if !sizes.is_empty() {
        println!("sizes (the sample with its change table K times; ceil(1000/K) copies, so each run reads the same rows; least CPU of {runs} runs):");
        println!(
            "  {:>5} {:>6} {:>8} {:>7} {:>12} {:>8} {:>8} {:>11} {:>15} {:>10} {:>10}",
            "K", "docs", "MB/doc", "rows", "CPU/doc", "µs/row", "ns/byte", "byte ratio", "µs/added row", "peak RSS", "RSS/input"
        );
        // Linear means a fixed cost per document (the body) plus a fixed cost per row:
        // the CPU per input byte stays level, and so does the cost of each row added
        // between one size and the next.
        let mut first: Option<f64> = None;
        let mut prev: Option<(f64, usize)> = None;
        for &k in &sizes {
            let sheet = make_corpus::repeated_changes(k);
            let rows_per_doc = sheet.expected["changes"].as_array().map_or(0, Vec::len);
            let copies = 1000usize.div_ceil(k.max(1));
            let dir = out_parent.join(format!("piasheet-bench-size-{k}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            for c in 0..copies {
                std::fs::write(dir.join(format!("x{k}_{c:04}.txt")), &sheet.bytes).unwrap();
            }
            let out = out_parent.join(format!("piasheet-bench-size-out-{}", std::process::id()));
            let mut least = (f64::INFINITY, 0i64, 0i32);
            for _ in 0..runs {
                let _ = std::fs::remove_dir_all(&out);
                let r = run_child(Command::new(&bin).arg("extract").arg(&dir).arg("-o").arg(&out));
                if r.cpu < least.0 {
                    least = (r.cpu, r.max_rss_kb, r.status);
                }
            }
            let _ = std::fs::remove_dir_all(&out);
            let _ = std::fs::remove_dir_all(&dir);
            let per_doc = least.0 / copies as f64;
            let per_row = per_doc / rows_per_doc.max(1) as f64;
            let per_byte = per_doc / sheet.bytes.len() as f64;
            let ratio = per_byte / *first.get_or_insert(per_byte);
            let added = match prev {
                Some((t, r)) if rows_per_doc > r => format!("{:.1} ({}→{})", (per_doc - t) * 1e6 / (rows_per_doc - r) as f64, r, rows_per_doc),
                _ => "-".into(),
            };
            prev = Some((per_doc, rows_per_doc));
            let rss = least.1 as f64 * 1024.0;
            // RSS against the input only where one input is read: otherwise it is the
            // process's base and the batch, not the document.
            let rss_ratio = if copies == 1 { format!("{:.1}x", rss / sheet.bytes.len() as f64) } else { "-".into() };
            println!(
                "  {:>5} {:>6} {:>8.2} {:>7} {:>9.2} ms {:>8.1} {:>8.1} {:>10.2}x {:>15} {:>7.1} MB {:>10}{}",
                k,
                copies,
                sheet.bytes.len() as f64 / 1e6,
                rows_per_doc,
                per_doc * 1e3,
                per_row * 1e6,
                per_byte * 1e9,
                ratio,
                added,
                rss / 1e6,
                rss_ratio,
                if least.2 == 0 { "" } else { "  (exit status not 0)" }
            );
        }
    }
}

/// `n` PDFs under distinct names in a new folder below `parent`, copied round-robin
/// from the PDFs found in `from`.
fn copy_pdfs(parent: &Path, n: usize, from: &[PathBuf]) -> PathBuf {
    let mut src = Vec::new();
    for d in from {
        files_of(d, "pdf", &mut src);
    }
    src.sort();
    assert!(!src.is_empty(), "no PDFs in {from:?}");
    let dir = parent.join(format!("piasheet-bench-pdfs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        let s = &src[i % src.len()];
        let stem = s.file_stem().unwrap().to_string_lossy();
        std::fs::copy(s, dir.join(format!("{i:05}_{stem}.pdf"))).unwrap();
    }
    dir
}

/// `pdftotext FILE OUT.txt` over `files`, `procs` processes at a time (one thread each
/// taking every `procs`-th file): wall seconds and the children's CPU seconds.
fn pdftotext_parallel(files: &[PathBuf], out: &Path, procs: usize) -> (f64, f64) {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).unwrap();
    let start = Instant::now();
    let cpu: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..procs)
            .map(|t| {
                s.spawn(move || {
                    files
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % procs == t)
                        .map(|(i, f)| run_child(Command::new("pdftotext").arg(f).arg(out.join(format!("{i}.txt")))).cpu)
                        .sum::<f64>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    (start.elapsed().as_secs_f64(), cpu)
}
