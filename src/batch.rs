//! Batch: find the inputs, read each one in parallel (a panic ends only that file),
//! write one JSON per input, and count what happened.

use crate::record::{Record, Status};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One input file and where its output goes.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// Output path relative to the output folder (`<stem>.json`, mirrored for folders).
    pub output: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub out_dir: PathBuf,
    pub provenance: bool,
    /// Largest input read, in bytes.
    pub max_bytes: u64,
    /// Wall-clock limit for one PDF.
    pub pdf_timeout: Duration,
    pub progress: bool,
}

fn is_input(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("txt" | "pdf"))
}

/// Expand PATHs: files as given, folders searched recursively for `*.txt` and `*.pdf`
/// (sorted, so runs are repeatable). A folder's tree is mirrored below the output folder.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut inputs = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("{}: {e}", p.display()))?;
            found.sort();
            for f in found {
                let rel = f.strip_prefix(p).unwrap_or(&f).with_extension("json");
                inputs.push(Input { path: f, output: rel });
            }
        } else {
            let stem = p.file_stem().unwrap_or_default();
            inputs.push(Input { path: p.clone(), output: PathBuf::from(stem).with_extension("json") });
        }
    }
    Ok(inputs)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_input(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Read one input into a record; never panics.
pub fn read_one(input: &Input, opts: &Options) -> Record {
    let file = input.path.to_string_lossy().into_owned();
    let unreadable = |code: &str, reason: String| crate::failed(crate::source_of(&file, &[], "text"), code, reason);
    match std::fs::metadata(&input.path) {
        Ok(m) if m.len() > opts.max_bytes => {
            return unreadable("too_large", format!("{} bytes, over the limit of {} (--max-bytes)", m.len(), opts.max_bytes))
        }
        Err(e) => return unreadable("io", e.to_string()),
        _ => {}
    }
    let bytes = match std::fs::read(&input.path) {
        Ok(b) => b,
        Err(e) => return unreadable("io", e.to_string()),
    };
    let run = || {
        if bytes.starts_with(b"%PDF") || input.path.extension().map_or(false, |e| e.eq_ignore_ascii_case("pdf")) {
            read_pdf(&file, &input.path, &bytes, opts)
        } else {
            crate::extract_text_dump(&file, &bytes)
        }
    };
    let mut record = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(r) => r,
        Err(_) => crate::failed(crate::source_of(&file, &bytes, "text"), "internal", "the parser failed on this file (a bug: please report it with the file)"),
    };
    if !opts.provenance {
        record.provenance = None;
    }
    record
}

fn read_pdf(file: &str, path: &Path, bytes: &[u8], opts: &Options) -> Record {
    let mut source = crate::source_of(file, bytes, "pdf");
    if !bytes.starts_with(b"%PDF") {
        return crate::failed(source, "not_a_sheet", "named .pdf but not a PDF file");
    }
    match crate::pdf::read_pdf(path, bytes, opts.pdf_timeout) {
        Ok(layout) => {
            source.pages = Some(layout.pages as u32);
            crate::extract_pdf_layout(source, &layout)
        }
        Err(e) => crate::failed(source, &e.code, e.message),
    }
}

/// Counts of one run.
#[derive(Debug, Default)]
pub struct Summary {
    pub ok: usize,
    pub partial: usize,
    pub failed: usize,
    pub seconds: f64,
}

/// Run every input; `on_record` sees each record (after it is written) from the
/// worker threads.
pub fn run(inputs: &[Input], opts: &Options, on_record: &(dyn Fn(&Input, &Record) + Sync)) -> Summary {
    let start = Instant::now();
    let bar = if opts.progress {
        let b = indicatif::ProgressBar::new(inputs.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} files ({per_sec}, eta {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let (ok, partial, failed) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    inputs.par_iter().for_each(|input| {
        let record = read_one(input, opts);
        match record.status {
            Status::Ok => &ok,
            Status::Partial => &partial,
            Status::Failed => &failed,
        }
        .fetch_add(1, Ordering::Relaxed);
        on_record(input, &record);
        bar.inc(1);
    });
    bar.finish_and_clear();
    Summary { ok: ok.into_inner(), partial: partial.into_inner(), failed: failed.into_inner(), seconds: start.elapsed().as_secs_f64() }
}
