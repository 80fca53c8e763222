//! Throughput of the PDF reader on some files (default: the test fixtures), in pages/s on
//! one core: in-process `layout_from_bytes`, the supervised `read_pdf` (this thread's long-lived
//! worker process, as the batch runs it), and `pdftotext` for comparison when installed.
//! Then the cost per page of each kind of sheet (基礎 / 重点 / 全項目, as the record says):
//! this thread's CPU time for the layout (`layout_from_bytes`) and for the record made from
//! it (`extract_pdf_layout`), so a busy machine does not move it (issue #12: the new kinds
//! at no higher cost per page than 基礎 PDFs).
//!
//! Usage: cargo run --release --example pdf_pages_per_sec [-- FILE.pdf|DIR...]
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Repeat `f` over all files for about `budget`, return pages/s.
fn measure(files: &[(String, Vec<u8>, usize)], budget: Duration, mut f: impl FnMut(&str, &[u8]) -> bool) -> Option<f64> {
    let start = Instant::now();
    let mut pages = 0usize;
    let mut rounds = 0;
    while start.elapsed() < budget || rounds == 0 {
        for (path, bytes, n) in files {
            if !f(path, bytes) {
                return None;
            }
            pages += n;
        }
        rounds += 1;
    }
    Some(pages as f64 / start.elapsed().as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // This example is also its own PDF worker, so `read_pdf` can re-invoke it.
    if args.get(1).map(String::as_str) == Some(piasheet::pdf::WORKER_ARG) {
        std::process::exit(piasheet::pdf::worker_main());
    }
    let mut paths: Vec<String> = Vec::new();
    for a in &args[1..] {
        match std::fs::read_dir(a) {
            // A folder: its PDFs, by name.
            Ok(dir) => {
                let mut found: Vec<String> = dir
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")))
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                found.sort();
                paths.extend(found);
            }
            Err(_) => paths.push(a.clone()),
        }
    }
    if paths.is_empty() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        for name in ["kiso-a.pdf", "kiso-b.pdf", "kiso-golden.pdf"] {
            paths.push(format!("{dir}/{name}"));
        }
    }
    let mut files = Vec::new();
    for p in paths {
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        match piasheet::pdf::layout_from_bytes(&bytes) {
            Ok(l) => files.push((p, bytes, l.pages)),
            Err(e) => eprintln!("skipping {p}: {e}"),
        }
    }
    let total: usize = files.iter().map(|f| f.2).sum();
    println!("{} files, {} pages", files.len(), total);
    let budget = Duration::from_secs(3);

    let inproc = measure(&files, budget, |_, b| piasheet::pdf::layout_from_bytes(b).is_ok());
    println!("layout_from_bytes (in process): {:8.1} pages/s", inproc.unwrap_or(0.0));

    let sup = measure(&files, budget, |p, b| piasheet::pdf::read_pdf(p.as_ref(), b, Duration::from_secs(60)).is_ok());
    println!("read_pdf (pooled worker process): {:8.1} pages/s", sup.unwrap_or(0.0));

    let have_pdftotext = Command::new("pdftotext").arg("-v").stderr(Stdio::null()).status().is_ok();
    if have_pdftotext {
        for flags in [&[][..], &["-layout"][..]] {
            let r = measure(&files, budget, |p, _| {
                Command::new("pdftotext").args(flags).arg(p).arg("-").stdout(Stdio::null()).status().map(|s| s.success()).unwrap_or(false)
            });
            println!("pdftotext {:<8} (incl. spawn): {:8.1} pages/s", flags.join(" "), r.unwrap_or(0.0));
        }
    } else {
        println!("pdftotext: not installed");
    }
    per_kind(&files, budget);
}

/// CPU time this thread has used, in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes only the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Per kind of sheet: files, pages, and CPU per page of the layout and of the record,
/// over as many rounds of all files as fit in `budget` (one at least).
fn per_kind(files: &[(String, Vec<u8>, usize)], budget: Duration) {
    // kind → (files, pages per round, layout CPU, record CPU, pages read)
    let mut kinds: std::collections::BTreeMap<String, (usize, usize, f64, f64, usize)> = Default::default();
    let start = Instant::now();
    let mut rounds = 0;
    while start.elapsed() < budget || rounds == 0 {
        for (path, bytes, pages) in files {
            let t0 = thread_cpu();
            let Ok(layout) = piasheet::pdf::layout_from_bytes(bytes) else { continue };
            let t1 = thread_cpu();
            let record = piasheet::extract_pdf_layout(piasheet::source_of(path, bytes, "pdf"), &layout);
            let t2 = thread_cpu();
            let k = kinds.entry(record.kind.clone().unwrap_or_else(|| "unknown".into())).or_default();
            if rounds == 0 {
                k.0 += 1;
                k.1 += pages;
            }
            k.2 += t1 - t0;
            k.3 += t2 - t1;
            k.4 += pages;
        }
        rounds += 1;
    }
    println!("CPU per page by kind (one thread, in process, {rounds} rounds):");
    for (kind, (n, pages, layout, record, read)) in &kinds {
        let ms = |s: f64| s * 1e3 / (*read).max(1) as f64;
        println!(
            "  {kind:<10} {n:>4} files {pages:>6} pages ({:.1}/file): layout {:.2} ms/page  record {:.2} ms/page  total {:.2} ms/page ({:.1} ms/file)",
            *pages as f64 / (*n).max(1) as f64,
            ms(*layout),
            ms(*record),
            ms(layout + record),
            ms(layout + record) * *pages as f64 / (*n).max(1) as f64
        );
    }
}
