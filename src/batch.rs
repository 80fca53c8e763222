//! Batch: find the inputs, read each one in parallel (a panic ends only that file),
//! write one JSON per input, and count what happened.

use crate::record::{Record, Source, Status};
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
    /// Skip inputs whose output already holds a record of the same bytes (unless that
    /// record is `failed`: those are read again).
    pub resume: bool,
    /// Address-space limit of each PDF worker process, in bytes (`--max-memory`).
    pub max_memory: u64,
}

/// Parse a size for `--max-memory`: bytes, or a number with a binary unit
/// (`512M`, `1G`, `1GiB`, `64MB`: K, M, G, T are powers of 1024). At least 16 MiB,
/// below which a worker cannot even start.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("{s:?} is not a size (e.g. 512M, 1G)"))?;
    let shift = match unit.trim().to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("{s:?}: unknown unit (use K, M, G or T)")),
    };
    let bytes = n.checked_mul(1 << shift).ok_or_else(|| format!("{s:?} is too large"))?;
    if bytes < 16 << 20 {
        return Err(format!("{s:?} is below the minimum of 16M"));
    }
    Ok(bytes)
}

fn is_input(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("txt" | "pdf"))
}

/// The path that names standard input (`piasheet extract -`): one document, read whole.
pub const STDIN: &str = "-";

/// A path given or found that is not read: the walk could not go there, or it is not
/// there. One stderr line and one `errors.jsonl` line each; the run goes on (exit 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: PathBuf,
    /// `missing` (not there, or a broken symbolic link), `symlink_loop` (a link back to a
    /// folder above it), `unreadable` (a folder or entry that cannot be listed or stat'ed).
    pub code: &'static str,
    pub reason: String,
    /// How many inputs come before it in walk order, so its `errors.jsonl` line sits
    /// in path order among the inputs' lines.
    pub after: usize,
}

/// What [`discover`] found: the inputs, the paths it could not walk, and the paths it
/// left out because an earlier input is the same file.
#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Input>,
    pub problems: Vec<Problem>,
    /// `(left out, same file as)`: a symbolic or hard link reaching a file already listed.
    pub duplicates: Vec<(PathBuf, PathBuf)>,
}

/// Identity of a file, whatever path reaches it (device and inode on Unix).
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(unix)]
fn file_id(_path: &Path, meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path, _meta: &std::fs::Metadata) -> Option<FileId> {
    std::fs::canonicalize(path).ok()
}

/// Expand PATHs: files as given, folders searched recursively for `*.txt` and `*.pdf`
/// (sorted, so runs are repeatable). A folder's tree is mirrored below the output folder.
///
/// The walk follows symbolic links (a linked folder of sheets is read) but never
/// loops: a link back to a folder above it is reported once as `symlink_loop` and not
/// entered. A folder that cannot be listed is reported and skipped, and so is a path
/// given that does not exist; the rest is still walked. A file reached by several
/// paths (links, hard links, the same folder given twice) is listed once, at its first
/// path. Nothing is opened here except folders: FIFOs, sockets and devices named
/// `*.txt`/`*.pdf` are listed and refused by [`load`] after a `stat`.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut d = Discovery::default();
    let mut seen: std::collections::HashMap<FileId, PathBuf> = std::collections::HashMap::new();
    let mut add = |d: &mut Discovery, path: PathBuf, output: PathBuf, meta: Option<&std::fs::Metadata>| {
        if let Some(id) = meta.and_then(|m| file_id(&path, m)) {
            if let Some(first) = seen.get(&id) {
                d.duplicates.push((path, first.clone()));
                return;
            }
            seen.insert(id, path.clone());
        }
        d.inputs.push(Input { path, output });
    };
    for root in paths {
        if root.as_os_str() == STDIN {
            d.inputs.push(Input { path: root.clone(), output: PathBuf::from("stdin.json") });
            continue;
        }
        let problem = |d: &mut Discovery, path: &Path, code: &'static str, reason: String| {
            let after = d.inputs.len();
            d.problems.push(Problem { path: path.to_path_buf(), code, reason, after });
        };
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                let (code, reason) = io_problem(root, &e);
                problem(&mut d, root, code, reason);
                continue;
            }
        };
        if !meta.is_dir() {
            let stem = root.file_stem().unwrap_or_default();
            add(&mut d, root.clone(), PathBuf::from(stem).with_extension("json"), Some(&meta));
            continue;
        }
        // Sorted by name at each level: the order of a sort of the full paths (paths
        // compare component by component), so problems can be placed among the inputs.
        for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
            match entry {
                Ok(entry) => {
                    // With follow_links, the type and metadata are those of the target.
                    if entry.file_type().is_dir() || !is_input(entry.path()) {
                        continue;
                    }
                    let path = entry.path().to_path_buf();
                    let output = path.strip_prefix(root).unwrap_or(&path).with_extension("json");
                    match entry.metadata() {
                        Ok(meta) => add(&mut d, path, output, Some(&meta)),
                        // Listed but not stat-able now (gone since): load says why.
                        Err(_) => add(&mut d, path, output, None),
                    }
                }
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    if let Some(ancestor) = e.loop_ancestor() {
                        problem(&mut d, &path, "symlink_loop", format!("symbolic link loop: leads back to {}; not followed", ancestor.display()));
                        continue;
                    }
                    let Some(io) = e.io_error() else { continue };
                    let (code, reason) = io_problem(&path, io);
                    // A broken link is worth a line only when it names an input; an
                    // unlistable folder or a loop always is (it may hold inputs).
                    if code == "missing" && !is_input(&path) {
                        continue;
                    }
                    problem(&mut d, &path, code, reason);
                }
            }
        }
    }
    disambiguate(&mut d.inputs);
    d
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

/// The code and reason for a path that could not be stat'ed or listed.
fn io_problem(path: &Path, e: &std::io::Error) -> (&'static str, String) {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return ("symlink_loop", format!("symbolic link loop ({e})"));
    }
    match e.kind() {
        std::io::ErrorKind::NotFound if path.symlink_metadata().is_ok() => ("missing", format!("broken symbolic link: its target does not exist ({e})")),
        std::io::ErrorKind::NotFound => ("missing", format!("no such file or folder ({e})")),
        _ => ("unreadable", format!("cannot be read: {e}; skipped")),
    }
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
    // A FIFO, socket or device is refused on its `stat`, never opened: opening a FIFO
    // blocks until a writer comes (forever, and no timeout applies to open), and opening
    // a device can have effects of its own.
    let not_a_file = |m: &std::fs::Metadata| unreadable("not_a_file", format!("{}, not a regular file: skipped without reading it", file_kind(m)), 0);
    match std::fs::metadata(&input.path) {
        Ok(m) if !m.is_file() => return Err(not_a_file(&m)),
        Ok(_) => {}
        Err(e) => return Err(unreadable("io", e.to_string(), 0)),
    }
    // Non-blocking open: should the path be swapped for a FIFO after the check, the open
    // still returns at once and the check below refuses it (reads of a regular file are
    // unaffected by the flag).
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut open, libc::O_NONBLOCK);
    let f = open.open(&input.path).map_err(|e| unreadable("io", e.to_string(), 0))?;
    let size = match f.metadata() {
        Ok(m) if !m.is_file() => return Err(not_a_file(&m)),
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

/// What a path that is not a regular file is, for the `not_a_file` reason.
fn file_kind(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        } else if t.is_socket() {
            return "a socket";
        } else if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if m.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Parse loaded bytes into a record; never panics, and gives up after the time limit.
pub fn record_of(input: &Input, bytes: Vec<u8>, opts: &Options) -> Record {
    let file = input.path.to_string_lossy().into_owned();
    let mut record = if is_pdf(input, &bytes) {
        // The PDF reader runs in its own supervised process with its own timeout.
        guarded(|| crate::source_of(&file, &bytes, "pdf"), || read_pdf(&file, &input.path, &bytes, opts))
    } else {
        text_with_deadline(&file, bytes, opts.pdf_timeout, opts.provenance)
    };
    if !opts.provenance {
        record.provenance = None;
    }
    record
}

/// A PDF by its bytes or its name (a `.pdf` that is not one is refused by the PDF path).
fn is_pdf(input: &Input, bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF") || input.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
}

/// Text parsing is fast, but a pathological input must not hold the batch forever:
/// it runs on a parse thread and is abandoned at the deadline. Rust cannot stop a
/// thread, so an abandoned parse keeps a core until it ends or the process exits;
/// the size limit keeps that bounded.
fn text_with_deadline(file: &str, bytes: Vec<u8>, limit: Duration, provenance: bool) -> Record {
    // The source block (checksum, size) is made here, so the bytes can go to the parse
    // thread, which frees them once decoded (issue #16, peak memory); a timeout, a
    // lost thread or a panic still names the input by its checksum.
    let source = crate::source_of(file, &bytes, "text");
    let failed_source = source.clone();
    texts_with_deadline(vec![(source, bytes)], limit, provenance)
        .pop()
        .unwrap_or_else(|| crate::failed(failed_source, "internal", "the parse thread ended without a result"))
}

/// Parse texts in order on the job slot's parse thread, handed over as one group so
/// the two threads wake once per group instead of twice per document (issue #16: the
/// wake-ups cost more CPU than a small parse). Each text has its own deadline, counted
/// from the start of its parse: one that overruns gets a `timeout` record and is
/// abandoned with its thread; the texts after it are parsed anew on a new thread.
/// Gives one record per text, in order, without its provenance unless `provenance`.
fn texts_with_deadline(texts: Vec<(Source, Vec<u8>)>, limit: Duration, provenance: bool) -> Vec<Record> {
    let mut records = Vec::with_capacity(texts.len());
    let mut rest = texts;
    while !rest.is_empty() {
        let Some(worker) = TEXT_WORKER.with(|w| w.borrow_mut().take()).or_else(TextWorker::start) else {
            // No thread to spare: parse here, still under catch_unwind.
            records.extend(rest.into_iter().map(|(source, bytes)| parse_guarded(source, bytes, provenance)));
            break;
        };
        // Kept here to name a text that times out: its bytes are on the parse thread.
        let sources: Vec<Source> = rest.iter().map(|(source, _)| source.clone()).collect();
        let group = std::sync::Arc::new(std::sync::Mutex::new(Group::of(rest, provenance)));
        if worker.jobs.send(group.clone()).is_err() {
            // The thread is gone: parse here.
            let texts = std::mem::take(&mut Group::lock(&group).texts);
            records.extend(texts.into_iter().flatten().map(|(source, bytes)| parse_guarded(source, bytes, provenance)));
            break;
        }
        rest = loop {
            let started = Group::lock(&group).started;
            // None: a limit too far off to add to an instant; wait that long from now.
            let wait = started.checked_add(limit).map_or(limit, |deadline| deadline.saturating_duration_since(Instant::now()));
            let failure = match worker.done.recv_timeout(wait) {
                Ok(()) => {
                    records.append(&mut Group::lock(&group).records);
                    TEXT_WORKER.with(|w| *w.borrow_mut() = Some(worker));
                    break Vec::new();
                }
                Err(RecvTimeoutError::Timeout) => ("timeout", format!("parsing took longer than {}s (--timeout)", limit.as_secs())),
                Err(RecvTimeoutError::Disconnected) => ("internal", "the parse thread ended without a result".to_string()),
            };
            let mut g = Group::lock(&group);
            let at = g.records.len();
            // Woken at the deadline of a text that has since finished (or by the end of
            // the group, whose message is waiting): wait on for the next one.
            if failure.0 == "timeout" && (at == sources.len() || g.started.elapsed() < limit) {
                continue;
            }
            // Text `at` overran (or its thread is gone): keep the records made before it,
            // fail it, and take back the texts after it; the worker is dropped, so the
            // thread ends after that parse.
            g.abandoned = true;
            records.append(&mut g.records);
            if let Some(source) = sources.get(at) {
                records.push(crate::failed(source.clone(), failure.0, failure.1));
            }
            let after = (at + 1).min(g.texts.len());
            break g.texts.drain(after..).flatten().collect();
        };
    }
    records
}

/// A group of texts shared by a job slot and its parse thread.
struct Group {
    /// The texts, each taken by the parse thread when it starts it (in order).
    texts: Vec<Option<(Source, Vec<u8>)>>,
    /// The records made, in order: `records.len()` is the index of the text being parsed.
    records: Vec<Record>,
    /// When the parse of text `records.len()` started (before the first: when the group
    /// was made), for its deadline.
    started: Instant,
    /// Set by the job slot when it gives up at a deadline: the thread takes no more.
    abandoned: bool,
    /// Whether the records keep their provenance (`--provenance`).
    provenance: bool,
}

impl Group {
    fn of(texts: Vec<(Source, Vec<u8>)>, provenance: bool) -> Group {
        Group { records: Vec::with_capacity(texts.len()), texts: texts.into_iter().map(Some).collect(), started: Instant::now(), abandoned: false, provenance }
    }

    /// The next text to parse (None when the group is done or abandoned), its start noted.
    fn take_next(&mut self) -> Option<(Source, Vec<u8>)> {
        if self.abandoned {
            return None;
        }
        let text = self.texts.get_mut(self.records.len())?.take();
        self.started = Instant::now();
        text
    }

    /// The lock, even if poisoned: nothing panics while holding it, and the state is
    /// plain data either way.
    fn lock(group: &std::sync::Mutex<Group>) -> std::sync::MutexGuard<'_, Group> {
        group.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A parse thread kept by each batch worker, so a run does not start a thread (and
/// map a stack) per document; replaced only when a parse overruns the deadline.
struct TextWorker {
    jobs: std::sync::mpsc::Sender<std::sync::Arc<std::sync::Mutex<Group>>>,
    /// One message per group, when its last record is in.
    done: std::sync::mpsc::Receiver<()>,
}

impl TextWorker {
    fn start() -> Option<TextWorker> {
        let (jobs, job_rx) = std::sync::mpsc::channel::<std::sync::Arc<std::sync::Mutex<Group>>>();
        let (done_tx, done) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("piasheet-text".into())
            // Room for deep recursion on odd inputs (the default for spawned threads is 2 MiB).
            .stack_size(16 << 20)
            .spawn(move || {
                for group in job_rx {
                    let (provenance, mut next) = {
                        let mut g = Group::lock(&group);
                        (g.provenance, g.take_next())
                    };
                    while let Some((source, bytes)) = next {
                        let record = parse_guarded(source, bytes, provenance);
                        let mut g = Group::lock(&group);
                        g.records.push(record);
                        next = g.take_next();
                    }
                    if done_tx.send(()).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(TextWorker { jobs, done })
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

/// In unit tests, the name of a text whose parse never ends (see [`parse_guarded`]).
const HANGS_IN_TESTS: &str = "hangs-for-the-test.txt";

/// Parse a text input under [`guarded`]; a panic's record keeps the input's source block.
/// The provenance, unless wanted, is dropped here on the parse thread: freed where it
/// was made, while its memory is still in cache, and not held while a group is read.
fn parse_guarded(source: Source, bytes: Vec<u8>, provenance: bool) -> Record {
    // Tests: a text whose parse never ends, to show a deadline fails only its own text.
    // (cfg!, not a cfg attribute: tests/codes.rs reads each file's code above its first one.)
    if cfg!(test) && source.file == HANGS_IN_TESTS {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let failed_source = source.clone();
    let mut record = guarded(move || failed_source, || crate::extract_text_owned(source, bytes));
    if !provenance {
        record.provenance = None;
    }
    record
}

/// Run a parse, turning a panic into an `internal` failed record (of the input's
/// `source` block) with one line of reason.
fn guarded(source: impl FnOnce() -> Source, f: impl FnOnce() -> Record) -> Record {
    CAUGHT.with(|c| *c.borrow_mut() = Some(None));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let message = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
    result.unwrap_or_else(|_| {
        let detail = message.unwrap_or_else(|| "unknown".into());
        crate::failed(source(), "internal", format!("parser bug ({detail}): please report it with the file"))
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
    // Same code as an empty text dump: nothing to read is not "not a sheet".
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return crate::failed(source, "empty", format!("an empty file ({} bytes, no content)", bytes.len()));
    }
    if !bytes.starts_with(b"%PDF") {
        let what = if looks_like_html(bytes) { "an HTML page" } else { "no %PDF header" };
        return crate::failed(source, "not_a_sheet", format!("named .pdf but not a PDF ({what})"));
    }
    match crate::pdf::read_pdf_limited(path, bytes, opts.pdf_timeout, opts.max_memory) {
        Ok(layout) => {
            source.pages = Some(layout.pages as u32);
            source.pdf_route = layout.route.clone();
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

/// For `--resume`: the outcome stored in `out`, if it was made from bytes with this
/// checksum and did not fail (a failure may have been a timeout under load, or a
/// reader since improved: failed inputs are always read again).
fn previous_outcome(out: &Path, sha256: &str) -> Option<Outcome> {
    let stored: Outcome = serde_json::from_slice(&std::fs::read(out).ok()?).ok()?;
    (stored.source.sha256 == sha256 && stored.status != Status::Failed).then_some(stored)
}

/// The `errors.jsonl` line of a record stored in `json` (None when it is `ok` or is not
/// a readable record), for records kept from an earlier run (`--keep-stale`).
pub fn stored_error_line(json: &Path) -> Option<ErrorLine> {
    #[derive(serde::Deserialize)]
    struct Named {
        source: NamedSource,
    }
    #[derive(serde::Deserialize)]
    struct NamedSource {
        file: String,
    }
    let bytes = std::fs::read(json).ok()?;
    let outcome: Outcome = serde_json::from_slice(&bytes).ok()?;
    let named: Named = serde_json::from_slice(&bytes).ok()?;
    outcome.error_line(Path::new(&named.source.file))
}

/// A record in the output folder that no input of this run writes (its input was
/// deleted or renamed since, or was not given this time).
#[derive(Debug, Clone, PartialEq)]
pub struct Stale {
    /// The record's file in the output folder.
    pub json: PathBuf,
    /// The input it was made from (its `source.file`).
    pub source: String,
}

/// Records below `out_dir` that are not the output of any of `inputs` (for `--resume`,
/// so the folder and `sheets.jsonl` hold the same records). Only files that parse as
/// piasheet records (`schema_version` and `source.file`) are listed: other JSON files a
/// user put there are not ours to judge. Hidden files and folders are not looked at.
pub fn stale_records(out_dir: &Path, inputs: &[Input]) -> Vec<Stale> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[allow(dead_code)]
        schema_version: String,
        source: ProbeSource,
    }
    #[derive(serde::Deserialize)]
    struct ProbeSource {
        file: String,
    }
    let current: std::collections::HashSet<PathBuf> = inputs.iter().map(|i| i.output.clone()).collect();
    let mut stale = Vec::new();
    let hidden = |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    for entry in walkdir::WalkDir::new(out_dir).sort_by_file_name().into_iter().filter_entry(|e| !hidden(e)).flatten() {
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        if current.contains(path.strip_prefix(out_dir).unwrap_or(path)) {
            continue;
        }
        let Ok(bytes) = std::fs::read(path) else { continue };
        if let Ok(p) = serde_json::from_slice::<Probe>(&bytes) {
            stale.push(Stale { json: path.to_path_buf(), source: p.source.file });
        }
    }
    stale
}

/// What `on_record` made of a record: the value handed to `sink`, and why the record
/// could not be written, if it could not (the input then counts as failed with the code
/// `write_failed`: the summary counts only what was written).
pub struct Written<R> {
    pub value: R,
    pub failure: Option<String>,
}

/// Most documents a job slot hands its parse thread at once (issue #16: one wake-up per
/// group, not two per document).
const GROUP_DOCS: usize = 16;

/// Most bytes of text held for one group: the group is handed over once it holds this
/// much, and a text this large goes alone, so a slot holds little more than today.
const GROUP_BYTES: usize = 1 << 20;

/// Read a group of inputs in order: load each (or take its outcome stored by
/// `--resume`), read PDFs here as [`record_of`] does, and parse the texts on the parse
/// thread a group at a time ([`texts_with_deadline`]). Gives each input with its
/// outcome and its new record (None when resumed), in input order.
fn read_group<'a>(inputs: &'a [Input], opts: &Options, resumed: &AtomicUsize) -> Vec<(&'a Input, Outcome, Option<Record>)> {
    let mut read: Vec<(usize, Outcome, Option<Record>)> = Vec::with_capacity(inputs.len());
    // Texts loaded, not yet parsed: their index in `inputs`, source block and bytes.
    let mut texts: Vec<(usize, Source, Vec<u8>)> = Vec::new();
    let mut held = 0;
    let parse = |texts: &mut Vec<(usize, Source, Vec<u8>)>, read: &mut Vec<(usize, Outcome, Option<Record>)>| {
        let (at, texts): (Vec<usize>, Vec<(Source, Vec<u8>)>) = texts.drain(..).map(|(i, source, bytes)| (i, (source, bytes))).unzip();
        for (i, record) in at.into_iter().zip(texts_with_deadline(texts, opts.pdf_timeout, opts.provenance)) {
            read.push((i, Outcome::of(&record), Some(record)));
        }
    };
    for (i, input) in inputs.iter().enumerate() {
        let bytes = match load(input, opts) {
            Err(record) => {
                read.push((i, Outcome::of(&record), Some(*record)));
                continue;
            }
            Ok(bytes) => bytes,
        };
        let sha = || format!("{:x}", sha2::Sha256::digest(&bytes));
        if let Some(done) = opts.resume.then(|| previous_outcome(&opts.out_dir.join(&input.output), &sha())).flatten() {
            resumed.fetch_add(1, Ordering::Relaxed);
            read.push((i, done, None));
            continue;
        }
        if is_pdf(input, &bytes) {
            let record = record_of(input, bytes, opts);
            read.push((i, Outcome::of(&record), Some(record)));
            continue;
        }
        if !texts.is_empty() && held + bytes.len() > GROUP_BYTES {
            parse(&mut texts, &mut read);
            held = 0;
        }
        held += bytes.len();
        texts.push((i, crate::source_of(&input.path.to_string_lossy(), &bytes, "text"), bytes));
        if held >= GROUP_BYTES {
            parse(&mut texts, &mut read);
            held = 0;
        }
    }
    parse(&mut texts, &mut read);
    read.sort_by_key(|(i, ..)| *i);
    read.into_iter().map(|(i, outcome, record)| (&inputs[i], outcome, record)).collect()
}

/// Inputs run in parallel at a time; their results reach `sink` in input order.
const CHUNK: usize = 256;

/// Run every input. `on_record` is given each new record on the worker threads (it
/// writes it; the record is its own, to keep or drop) and returns what `sink` should get for it; with `opts.resume`, an input
/// whose stored output matches its bytes is skipped and `on_record` gets `None`. `sink`
/// receives the results on this thread in input order (for the dataset files), with
/// the input's `errors.jsonl` line when it is not `ok`, a chunk at a time, so memory
/// stays bounded however many inputs there are.
pub fn run<R: Send>(
    inputs: &[Input],
    opts: &Options,
    on_record: &(dyn Fn(&Input, Option<Record>) -> Written<R> + Sync),
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
    let finish = |input: &Input, mut outcome: Outcome, record: Option<Record>| -> (R, Option<ErrorLine>) {
        let written = on_record(input, record);
        if let Some(reason) = written.failure {
            // Not in the folder, so not ok, whatever the parse gave.
            outcome.status = Status::Failed;
            outcome.error = Some(crate::record::ErrorInfo { code: "write_failed".into(), reason });
            outcome.warnings.clear();
        }
        let result = written.value;
        match outcome.status {
            Status::Ok => &ok,
            Status::Partial => &partial,
            Status::Failed => &failed,
        }
        .fetch_add(1, Ordering::Relaxed);
        bar.inc(1);
        (result, outcome.error_line(&input.path))
    };
    let group = |group: &[Input]| -> Vec<(R, Option<ErrorLine>)> {
        read_group(group, opts, &resumed).into_iter().map(|(input, outcome, record)| finish(input, outcome, record)).collect()
    };
    for chunk in inputs.chunks(CHUNK) {
        // Groups small enough that each job slot gets several per chunk (the chunk's
        // end waits for its last group), and a run of a few inputs still spreads.
        let per_group = (chunk.len() / (4 * rayon::current_num_threads())).clamp(1, GROUP_DOCS);
        let results: Vec<Vec<(R, Option<ErrorLine>)>> = chunk.par_chunks(per_group).map(group).collect();
        results.into_iter().flatten().for_each(|(r, e)| sink(r, e));
    }
    bar.finish_and_clear();
    // The job slots' PDF workers are done: ended and reaped now rather than at exit.
    rayon::broadcast(|_| crate::pdf::end_worker());
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
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("64mb"), Ok(64 << 20));
        assert_eq!(parse_size(&(32u64 << 20).to_string()), Ok(32 << 20));
        for bad in ["", "G", "1X", "1K", "-1G", "99999999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_panic_becomes_one_internal_line() {
        install_quiet_panic_hook();
        let r = guarded(|| crate::source_of("f.txt", b"abc", "text"), || panic!("boom\nsecond line"));
        let e = r.error.unwrap();
        assert_eq!(e.code, "internal");
        assert!(e.reason.contains("boom at src/batch.rs:") && !e.reason.contains('\n'), "{}", e.reason);
        assert_eq!(r.source.bytes, 3);
    }

    /// Made-up texts and the test dumps, each with a file name.
    fn texts() -> Vec<(String, Vec<u8>)> {
        let mut texts: Vec<(String, Vec<u8>)> = crate::test_texts::sample_and_generated().into_iter().enumerate().map(|(i, t)| (format!("t{i}.txt"), t.into_bytes())).collect();
        texts.push(("empty.txt".into(), Vec::new()));
        texts.push(("prose.txt".into(), "吾輩は猫である。\n名前はまだ無い。\n".as_bytes().to_vec()));
        texts.push(("binary.txt".into(), (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect()));
        texts
    }

    fn group_of(texts: &[(String, Vec<u8>)]) -> Vec<(Source, Vec<u8>)> {
        texts.iter().map(|(name, bytes)| (crate::source_of(name, bytes, "text"), bytes.clone())).collect()
    }

    #[test]
    fn a_group_parses_as_its_texts_one_at_a_time() {
        let texts = texts();
        for provenance in [true, false] {
            let one_at_a_time: Vec<Record> = texts.iter().map(|(name, bytes)| text_with_deadline(name, bytes.clone(), Duration::from_secs(600), provenance)).collect();
            let grouped = texts_with_deadline(group_of(&texts), Duration::from_secs(600), provenance);
            assert_eq!(grouped.len(), texts.len());
            for (a, b) in one_at_a_time.iter().zip(&grouped) {
                assert_eq!(a, b, "{}", a.source.file);
            }
            assert!(grouped.iter().any(|r| r.status == Status::Ok) && grouped.iter().any(|r| r.status == Status::Failed));
            assert_eq!(grouped[0].provenance.is_some(), provenance);
        }
    }

    #[test]
    fn a_hanging_text_fails_only_itself_and_order_is_kept() {
        let mut texts = texts();
        texts.insert(2, (HANGS_IN_TESTS.into(), b"anything".to_vec()));
        let expected: Vec<Record> = texts
            .iter()
            .map(|(name, bytes)| match name.as_str() {
                HANGS_IN_TESTS => crate::failed(crate::source_of(name, bytes, "text"), "timeout", "parsing took longer than 5s (--timeout)"),
                _ => text_with_deadline(name, bytes.clone(), Duration::from_secs(600), true),
            })
            .collect();
        // Each parse has its own deadline, far longer than any of these texts needs.
        let records = texts_with_deadline(group_of(&texts), Duration::from_secs(5), true);
        let names: Vec<&str> = records.iter().map(|r| r.source.file.as_str()).collect();
        assert_eq!(names, texts.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>());
        for (r, expected) in records.iter().zip(&expected) {
            assert_eq!(r, expected, "{}", r.source.file);
        }
        // The slot's next group goes to a new parse thread and is read as usual.
        let again = texts_with_deadline(group_of(&texts[..2]), Duration::from_secs(600), true);
        assert_eq!(again, expected[..2]);
    }

    #[test]
    fn past_the_deadline_every_text_of_a_group_times_out_in_order() {
        let texts = texts();
        let records = texts_with_deadline(group_of(&texts[..3]), Duration::ZERO, true);
        let got: Vec<(&str, Option<&str>)> = records.iter().map(|r| (r.source.file.as_str(), r.error.as_ref().map(|e| e.code.as_str()))).collect();
        assert_eq!(got, [("t0.txt", Some("timeout")), ("t1.txt", Some("timeout")), ("t2.txt", Some("timeout"))]);
    }

    #[test]
    fn a_group_of_inputs_reads_as_each_input_alone() {
        let dir = std::env::temp_dir().join(format!("piasheet-group-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = texts();
        // Over GROUP_BYTES: handed over alone, between the groups before and after it.
        let big: Vec<u8> = files[0].1.iter().copied().cycle().take(GROUP_BYTES + GROUP_BYTES / 2).collect();
        files.insert(1, ("big.txt".into(), big));
        files.insert(3, ("not-a.pdf".into(), b"<html><body>moved</body></html>".to_vec()));
        let mut inputs: Vec<Input> = files
            .iter()
            .map(|(name, bytes)| {
                std::fs::write(dir.join(name), bytes).unwrap();
                Input { path: dir.join(name), output: PathBuf::from(name).with_extension("json") }
            })
            .collect();
        inputs.insert(2, Input { path: dir.join("missing.txt"), output: "missing.json".into() });
        let opts = Options {
            out_dir: dir.join("out"),
            provenance: false,
            max_bytes: 64 << 20,
            pdf_timeout: Duration::from_secs(600),
            progress: false,
            resume: false,
            max_memory: 1 << 30,
        };
        let read = read_group(&inputs, &opts, &AtomicUsize::new(0));
        assert_eq!(read.len(), inputs.len());
        for ((input, outcome, record), alone) in read.iter().zip(&inputs) {
            assert_eq!(input.path, alone.path);
            let expected = read_one(alone, &opts);
            assert_eq!(outcome.status, expected.status, "{}", alone.path.display());
            assert_eq!(record.as_ref(), Some(&expected), "{}", alone.path.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn text_parse_past_the_deadline_is_a_timeout() {
        let sample = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).unwrap();
        let r = text_with_deadline("s.txt", sample.clone(), Duration::ZERO, true);
        assert_eq!(r.error.map(|e| e.code).as_deref(), Some("timeout"));
        assert_eq!(text_with_deadline("s.txt", sample, Duration::from_secs(60), true).status, Status::Ok);
    }
}
