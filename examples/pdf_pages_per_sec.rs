//! Throughput of the PDF reader on some files (default: the test fixtures), in pages/s on
//! one core: in-process `layout_from_bytes`, the supervised `read_pdf` (this thread's long-lived
//! worker process, as the batch runs it), and `pdftotext` for comparison when installed.
//!
//! Usage: cargo run --release --example pdf_pages_per_sec [-- FILE.pdf...]
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
    let mut paths: Vec<String> = args[1..].to_vec();
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
}
