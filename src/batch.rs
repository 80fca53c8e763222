//! Batch: find the inputs, read each one in parallel (a panic ends only that file),
//! write one JSON per input, and count what happened.

use crate::record::{Record, Status};
use rayon::prelude::*;
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
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
    /// Wall-clock limit for one file (the PDF worker, or the text parse).
    pub pdf_timeout: Duration,
    pub progress: bool,
    /// Skip inputs whose output already holds a record of the same bytes.
    pub resume: bool,
}

fn is_input(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("txt" | "pdf"))
}

/// The path that names standard input (`piasheet extract -`): one document, read whole.
pub const STDIN: &str = "-";

/// Expand PATHs: files as given, folders searched recursively for `*.txt` and `*.pdf`
/// (sorted, so runs are repeatable). A folder's tree is mirrored below the output folder.
/// `-` is standard input (output `stdin.json`).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut inputs = Vec::new();
    for p in paths {
        if p.as_os_str() == STDIN {
            inputs.push(Input { path: p.clone(), output: PathBuf::from("stdin.json") });
            continue;
        }
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
    disambiguate(&mut inputs);
    Ok(inputs)
}

/// `a.txt` and `a.pdf` (or `x/a.txt` given next to `y/a.txt`) would both write `a.json`,
/// one output overwriting the other: such inputs keep their extension (`a.txt.json`),
/// then get a number if still equal. Inputs whose name is unique keep `<stem>.json`.
fn disambiguate(inputs: &mut [Input]) {
    use std::collections::{HashMap, HashSet};
    let mut count: HashMap<PathBuf, usize> = HashMap::new();
    for i in inputs.iter() {
        *count.entry(i.output.clone()).or_default() += 1;
    }
    let mut taken: HashSet<PathBuf> = count.keys().cloned().collect();
    for i in inputs.iter_mut().filter(|i| count[&i.output] > 1) {
        let name = i.path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let mut out = i.output.with_file_name(format!("{name}.json"));
        let mut n = 2;
        while !taken.insert(out.clone()) {
            out = i.output.with_file_name(format!("{name}.{n}.json"));
            n += 1;
        }
        i.output = out;
    }
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
    match load(input, opts) {
        Ok(bytes) => record_of(input, bytes, opts),
        Err(r) => *r,
    }
}

/// The input's bytes, or the failed record saying why they cannot be read.
/// The size limit is checked before reading and again while reading (a file can
/// grow, or be a device or pipe whose metadata says nothing).
pub fn load(input: &Input, opts: &Options) -> Result<Vec<u8>, Box<Record>> {
    use std::io::Read;
    let file = input.path.to_string_lossy().into_owned();
    // Nothing was read: no checksum to give (an empty one would name the empty file).
    let unreadable = |code: &str, reason: String, size: u64| {
        let mut source = crate::source_of(&file, &[], "text");
        source.sha256.clear();
        source.bytes = size;
        Box::new(crate::failed(source, code, reason))
    };
    let too_large = |n: u64| unreadable("too_large", format!("{n} bytes, over the limit of {} (--max-bytes)", opts.max_bytes), n);
    if input.path.as_os_str() == STDIN {
        // A pipe says nothing of its size: read up to one byte past the limit.
        let mut bytes = Vec::new();
        std::io::stdin().lock().take(opts.max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| unreadable("io", e.to_string(), 0))?;
        if bytes.len() as u64 > opts.max_bytes {
            return Err(too_large(bytes.len() as u64));
        }
        return Ok(bytes);
    }
    let f = std::fs::File::open(&input.path).map_err(|e| unreadable("io", e.to_string(), 0))?;
    let size = match f.metadata() {
        Ok(m) if m.len() > opts.max_bytes => return Err(too_large(m.len())),
        Err(e) => return Err(unreadable("io", e.to_string(), 0)),
        Ok(m) => m.len(),
    };
    // Room for the whole file (and the one byte that would show it grew): read in one go.
    let mut bytes = Vec::with_capacity(size.saturating_add(1).min(opts.max_bytes.saturating_add(1)) as usize);
    f.take(opts.max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| unreadable("io", e.to_string(), 0))?;
    if bytes.len() as u64 > opts.max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Parse loaded bytes into a record; never panics, and gives up after the time limit.
pub fn record_of(input: &Input, bytes: Vec<u8>, opts: &Options) -> Record {
    let file = input.path.to_string_lossy().into_owned();
    let is_pdf = bytes.starts_with(b"%PDF") || input.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    let mut record = if is_pdf {
        // The PDF reader runs in its own supervised process with its own timeout.
        guarded(&file, &bytes, "pdf", || read_pdf(&file, &input.path, &bytes, opts))
    } else {
        text_with_deadline(&file, bytes, opts.pdf_timeout)
    };
    if !opts.provenance {
        record.provenance = None;
    }
    record
}

/// Text parsing is fast, but a pathological input must not hold the batch forever:
/// it runs on a parse thread and is abandoned at the deadline. Rust cannot stop a
/// thread, so an abandoned parse keeps a core until it ends or the process exits;
/// the size limit keeps that bounded.
fn text_with_deadline(file: &str, bytes: Vec<u8>, limit: Duration) -> Record {
    // Shared, not copied: the parse thread reads it, this side may need it for a
    // timeout record.
    let bytes = std::sync::Arc::new(bytes);
    let worker = TEXT_WORKER.with(|w| w.borrow_mut().take()).or_else(TextWorker::start);
    let Some(worker) = worker.filter(|w| w.jobs.send((file.to_string(), bytes.clone())).is_ok()) else {
        // No thread to spare: parse here, still under catch_unwind.
        return guarded(file, &bytes, "text", || crate::extract_text_dump(file, &bytes));
    };
    match worker.results.recv_timeout(limit) {
        Ok(record) => {
            TEXT_WORKER.with(|w| *w.borrow_mut() = Some(worker));
            record
        }
        // The worker is dropped with its channels: the thread ends after its parse.
        Err(RecvTimeoutError::Timeout) => crate::failed(
            crate::source_of(file, &bytes, "text"),
            "timeout",
            format!("parsing took longer than {}s (--timeout)", limit.as_secs()),
        ),
        Err(RecvTimeoutError::Disconnected) => {
            crate::failed(crate::source_of(file, &bytes, "text"), "internal", "the parse thread ended without a result")
        }
    }
}

/// A parse thread kept by each batch worker, so a run does not start a thread (and
/// map a stack) per document; replaced only when a parse overruns the deadline.
struct TextWorker {
    jobs: std::sync::mpsc::Sender<(String, std::sync::Arc<Vec<u8>>)>,
    results: std::sync::mpsc::Receiver<Record>,
}

impl TextWorker {
    fn start() -> Option<TextWorker> {
        let (jobs, job_rx) = std::sync::mpsc::channel::<(String, std::sync::Arc<Vec<u8>>)>();
        let (result_tx, results) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("piasheet-text".into())
            // Room for deep recursion on odd inputs (the default for spawned threads is 2 MiB).
            .stack_size(16 << 20)
            .spawn(move || {
                for (name, bytes) in job_rx {
                    let record = guarded(&name, &bytes, "text", || crate::extract_text_dump(&name, &bytes));
                    if result_tx.send(record).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(TextWorker { jobs, results })
    }
}

thread_local! {
    static TEXT_WORKER: std::cell::RefCell<Option<TextWorker>> = const { std::cell::RefCell::new(None) };
}

thread_local! {
    /// Set while a parse runs under [`guarded`]: the panic hook stays quiet and leaves
    /// the message here instead of printing it.
    static CAUGHT: std::cell::RefCell<Option<Option<String>>> = const { std::cell::RefCell::new(None) };
}

/// Run a parse, turning a panic into an `internal` failed record with one line of reason.
fn guarded(file: &str, bytes: &[u8], format: &str, f: impl FnOnce() -> Record) -> Record {
    CAUGHT.with(|c| *c.borrow_mut() = Some(None));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let message = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
    result.unwrap_or_else(|_| {
        let detail = message.unwrap_or_else(|| "unknown".into());
        crate::failed(crate::source_of(file, bytes, format), "internal", format!("parser bug ({detail}): please report it with the file"))
    })
}

/// Install a panic hook that is silent for panics caught by [`guarded`] (they become
/// one-line `internal` errors) and prints the usual message for any other panic.
pub fn install_quiet_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // try_with: a panic while thread-locals are torn down is never one of ours.
        let quiet = CAUGHT.try_with(|c| {
            let mut c = c.borrow_mut();
            match c.as_mut() {
                Some(slot) => {
                    let msg = info
                        .payload()
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| info.payload().downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                    // One line: the first line of the message and where.
                    *slot = Some(format!("{} at {at}", msg.lines().next().unwrap_or("")));
                    true
                }
                None => false,
            }
        })
        .unwrap_or(false);
        if !quiet {
            default(info);
        }
    }));
}

fn read_pdf(file: &str, path: &Path, bytes: &[u8], opts: &Options) -> Record {
    let mut source = crate::source_of(file, bytes, "pdf");
    if !bytes.starts_with(b"%PDF") {
        let what = if looks_like_html(bytes) { "an HTML page" } else { "no %PDF header" };
        return crate::failed(source, "not_a_sheet", format!("named .pdf but not a PDF ({what})"));
    }
    match crate::pdf::read_pdf(path, bytes, opts.pdf_timeout) {
        Ok(layout) => {
            source.pages = Some(layout.pages as u32);
            crate::extract_pdf_layout(source, &layout)
        }
        Err(e) => crate::failed(source, &e.code, e.message),
    }
}

fn looks_like_html(bytes: &[u8]) -> bool {
    crate::decode::looks_like_html(bytes)
}

/// Counts of one run, and the inputs that were not `ok` (for `errors.jsonl`).
#[derive(Debug, Default)]
pub struct Summary {
    pub ok: usize,
    pub partial: usize,
    pub failed: usize,
    /// Inputs skipped by `--resume` (also counted in ok / partial / failed).
    pub resumed: usize,
    pub seconds: f64,
}

/// One line of `errors.jsonl`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ErrorLine {
    pub path: String,
    /// Checksum of the input; null when it could not be read.
    pub sha256: Option<String>,
    pub status: Status,
    pub code: String,
    pub reason: String,
}

/// The part of an output record `--resume` and `errors.jsonl` need.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Outcome {
    source: OutcomeSource,
    status: Status,
    error: Option<crate::record::ErrorInfo>,
    warnings: Vec<crate::record::Warning>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct OutcomeSource {
    sha256: String,
}

impl Outcome {
    fn of(r: &Record) -> Outcome {
        Outcome { source: OutcomeSource { sha256: r.source.sha256.clone() }, status: r.status, error: r.error.clone(), warnings: r.warnings.clone() }
    }

    fn error_line(&self, path: &Path) -> Option<ErrorLine> {
        let (code, reason) = match (self.status, &self.error, self.warnings.first()) {
            (Status::Ok, ..) => return None,
            (Status::Failed, Some(e), _) => (e.code.clone(), e.reason.clone()),
            (Status::Failed, None, _) => ("internal".into(), "failed without a reason".into()),
            (Status::Partial, _, first) => (
                "partial".into(),
                match first {
                    Some(w) => format!("{} warning(s), first: {} ({})", self.warnings.len(), w.path, w.code),
                    None => "partial without warnings".into(),
                },
            ),
        };
        let sha256 = Some(self.source.sha256.clone()).filter(|s| !s.is_empty());
        Some(ErrorLine { path: path.to_string_lossy().into_owned(), sha256, status: self.status, code, reason })
    }
}

/// For `--resume`: the outcome stored in `out`, if it was made from bytes with this checksum.
fn previous_outcome(out: &Path, sha256: &str) -> Option<Outcome> {
    let stored: Outcome = serde_json::from_slice(&std::fs::read(out).ok()?).ok()?;
    (stored.source.sha256 == sha256).then_some(stored)
}

/// Inputs run in parallel at a time; their results reach `sink` in input order.
const CHUNK: usize = 256;

/// Run every input. `on_record` sees each new record from the worker threads (it
/// writes it) and returns what `sink` should get for it; with `opts.resume`, an input
/// whose stored output matches its bytes is skipped and `on_record` gets `None`. `sink`
/// receives the results on this thread in input order (for the dataset files), with
/// the input's `errors.jsonl` line when it is not `ok`, a chunk at a time, so memory
/// stays bounded however many inputs there are.
pub fn run<R: Send>(
    inputs: &[Input],
    opts: &Options,
    on_record: &(dyn Fn(&Input, Option<&Record>) -> R + Sync),
    sink: &mut dyn FnMut(R, Option<ErrorLine>),
) -> Summary {
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
    let (ok, partial, failed, resumed) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let one = |input: &Input| -> (R, Option<ErrorLine>) {
        let (outcome, result) = match load(input, opts) {
            Err(record) => (Outcome::of(&record), on_record(input, Some(&record))),
            Ok(bytes) => {
                let sha = || format!("{:x}", sha2::Sha256::digest(&bytes));
                match opts.resume.then(|| previous_outcome(&opts.out_dir.join(&input.output), &sha())).flatten() {
                    Some(done) => {
                        resumed.fetch_add(1, Ordering::Relaxed);
                        (done, on_record(input, None))
                    }
                    None => {
                        let record = record_of(input, bytes, opts);
                        (Outcome::of(&record), on_record(input, Some(&record)))
                    }
                }
            }
        };
        match outcome.status {
            Status::Ok => &ok,
            Status::Partial => &partial,
            Status::Failed => &failed,
        }
        .fetch_add(1, Ordering::Relaxed);
        bar.inc(1);
        (result, outcome.error_line(&input.path))
    };
    for chunk in inputs.chunks(CHUNK) {
        let results: Vec<(R, Option<ErrorLine>)> = chunk.par_iter().map(one).collect();
        results.into_iter().for_each(|(r, e)| sink(r, e));
    }
    bar.finish_and_clear();
    Summary {
        ok: ok.into_inner(),
        partial: partial.into_inner(),
        failed: failed.into_inner(),
        resumed: resumed.into_inner(),
        seconds: start.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_stems_get_distinct_outputs() {
        let mut inputs: Vec<Input> = ["d/a.txt", "d/a.pdf", "e/a.txt", "b.txt"]
            .iter()
            .map(|p| Input { path: PathBuf::from(p), output: Path::new(p).file_stem().map(PathBuf::from).unwrap().with_extension("json") })
            .collect();
        disambiguate(&mut inputs);
        let outs: Vec<_> = inputs.iter().map(|i| i.output.to_string_lossy().into_owned()).collect();
        assert_eq!(outs, ["a.txt.json", "a.pdf.json", "a.txt.2.json", "b.json"]);
    }

    #[test]
    fn a_panic_becomes_one_internal_line() {
        install_quiet_panic_hook();
        let r = guarded("f.txt", b"abc", "text", || panic!("boom\nsecond line"));
        let e = r.error.unwrap();
        assert_eq!(e.code, "internal");
        assert!(e.reason.contains("boom at src/batch.rs:") && !e.reason.contains('\n'), "{}", e.reason);
        assert_eq!(r.source.bytes, 3);
    }

    #[test]
    fn text_parse_past_the_deadline_is_a_timeout() {
        let sample = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).unwrap();
        let r = text_with_deadline("s.txt", sample.clone(), Duration::ZERO);
        assert_eq!(r.error.map(|e| e.code).as_deref(), Some("timeout"));
        assert_eq!(text_with_deadline("s.txt", sample, Duration::from_secs(60)).status, Status::Ok);
    }
}
