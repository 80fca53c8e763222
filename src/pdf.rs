//! PDF input: positioned glyphs and ruling lines → cells → reading-order lines.
//!
//! Pipeline: `prescan` (lopdf checks that refuse inputs pdf-extract crashes on) →
//! `collect` (pdf-extract `OutputDev`: glyphs + rule segments) → `cells` (rules → cells →
//! lines) → `order` (reading order) and `table` (変更箇所 rows).
//!
//! pdf-extract can panic, abort or overflow its stack on hostile input, so the batch
//! entry point `read_pdf` runs it in a child process (this same executable, re-invoked
//! as `__pdf-worker`) under a wall-clock timeout; the process is long-lived and reads
//! the thread's next documents too (`pool.rs`), until one crashes or overruns.
//!
//! Second route (`fallback`, in the same worker): when the pre-scan refuses a file
//! (predefined CJK CMaps, form XObject cycles), lopdf cannot open it, pdf-extract
//! panics or fails a page, our own content-stream reader (`fallback.rs`, `cmap.rs`,
//! `lexer.rs`) collects the same glyphs and rules for the same pipeline. The layout says
//! so in `route` (and the record in `source.pdf_route`).

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[doc(hidden)]
pub mod cells;
#[doc(hidden)]
pub mod collect;
mod cmap;
mod fallback;
mod lexer;
mod order;
mod pool;
mod prescan;
mod table;

pub use pool::{end_worker, workers_started};

/// One visual line of the rebuilt reading order, with where it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayoutLine {
    pub text: String,
    /// 1-based page number.
    pub page: u32,
    /// [x0, y0, x1, y1] in PDF points (origin bottom-left). All zero for the empty
    /// separator lines between cells.
    pub bbox: [f32; 4],
}

/// One row of the 変更箇所 table, cells left to right
/// (変更日, 項目, 変更前の記載, 変更後の記載, 提出時期, 提出時期に係る説明).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableRow {
    pub page: u32,
    pub cells: Vec<String>,
}

/// What the PDF reader hands to the extractor.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PdfLayout {
    /// Page count declared by the document.
    pub pages: usize,
    /// Reading-order lines of the whole document (cells rebuilt from geometry). Rows of
    /// single-line cells are one line (`label value`); in a row with a multi-line cell,
    /// each cell's lines follow one another with an empty line between cells; see
    /// `pdf/order.rs` for the details (choice-option cells, bracket answers).
    pub lines: Vec<LayoutLine>,
    /// Rows of the change-history table, header rows excluded, in visual order.
    pub change_rows: Vec<TableRow>,
    /// Things that did not stop reading but lower trust (a page that failed to render,
    /// an empty-password encryption…). One line each.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Which route gave the glyphs: `None` for the main route (pdf-extract; the own
    /// reader on the same document when every font reads alike in both, issue #16),
    /// `Some("fallback")` for the second route (`fallback.rs` on a leniently loaded
    /// document), taken when pdf-extract refused, failed or panicked.
    #[serde(default)]
    pub route: Option<String>,
}

/// Why a PDF could not be read. `code` is one of the batch error codes
/// (`truncated_pdf`, `encrypted_pdf`, `no_text_layer`, `engine_crash`, `timeout`, `binary`, …).
#[derive(Debug, Clone, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct PdfError {
    pub code: String,
    pub message: String,
}

impl PdfError {
    fn new(code: &str, message: impl Into<String>) -> Self {
        PdfError { code: code.into(), message: message.into() }
    }
}

/// First argument that turns this executable into a PDF worker (see main.rs).
pub const WORKER_ARG: &str = "__pdf-worker";

/// The line of `text-dump` after which the change rows follow, one per line with
/// tab-separated cells (`scraped` reads them back).
pub const DUMP_CHANGES_LINE: &str = "# 変更箇所";

/// Default address-space limit of a PDF worker (`--max-memory`): 1 GiB. The fixture
/// sheets need well under 100 MiB; a content-stream bomb needs tens of GB.
pub const DEFAULT_MAX_MEMORY: u64 = 1 << 30;

/// Read a PDF in a supervised worker process (a panic, abort or stack overflow in the
/// engine ends only the worker). The worker is the current executable, limited to
/// [`DEFAULT_MAX_MEMORY`].
pub fn read_pdf(path: &Path, bytes: &[u8], timeout: Duration) -> Result<PdfLayout, PdfError> {
    read_pdf_limited(path, bytes, timeout, DEFAULT_MAX_MEMORY)
}

/// [`read_pdf`] with a given address-space limit for the worker, in bytes: a document
/// that needs more fails with the code `memory_limit`.
pub fn read_pdf_limited(path: &Path, bytes: &[u8], timeout: Duration, max_memory: u64) -> Result<PdfLayout, PdfError> {
    let exe = std::env::current_exe().map_err(|e| PdfError::new("engine_crash", format!("cannot locate own executable: {e}")))?;
    read_pdf_with_limits(&exe, path, bytes, timeout, max_memory)
}

/// `read_pdf` with an explicit worker executable (any binary whose `main` dispatches
/// `__pdf-worker` to [`worker_main`]). If `bytes` is empty, `path` is read.
pub fn read_pdf_with(worker_exe: &Path, path: &Path, bytes: &[u8], timeout: Duration) -> Result<PdfLayout, PdfError> {
    read_pdf_with_limits(worker_exe, path, bytes, timeout, DEFAULT_MAX_MEMORY)
}

/// Limits set in the worker between fork and exec (only async-signal-safe calls here):
/// its address space is capped, so a decompression or content-stream bomb ends in an
/// allocation failure instead of the OOM killer; and it gets SIGKILL when its parent
/// ends, so killing piasheet leaves no worker behind.
/// Returns the cap in force (lower than asked when piasheet runs under a lower one).
#[cfg(unix)]
fn limit_worker(cmd: &mut Command, max_memory: u64) -> u64 {
    use std::os::unix::process::CommandExt;
    #[cfg(target_os = "linux")]
    let parent = std::process::id() as libc::pid_t;
    // Never above a hard limit piasheet itself runs under (`ulimit -v`): raising it
    // would fail, and with it every worker start.
    let mut current = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: getrlimit writes only the struct it is given.
    unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut current) };
    let cap = (max_memory as libc::rlim_t).min(current.rlim_max);
    // SAFETY: the closure runs in the forked child and calls only setrlimit, prctl,
    // getppid and _exit, which are async-signal-safe; it takes no lock, allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: cap, rlim_max: cap };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Linux: the signal is sent when the thread that forked ends. That is a batch
            // thread (rayon's, alive for the whole run) or the main thread.
            #[cfg(target_os = "linux")]
            {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent died before the prctl (the child was re-parented): no signal
                // will come, so go now.
                if libc::getppid() != parent {
                    libc::_exit(9);
                }
            }
            Ok(())
        });
    }
    cap as u64
}

#[cfg(not(unix))]
fn limit_worker(_cmd: &mut Command, max_memory: u64) -> u64 {
    max_memory
}

/// True when the worker's stderr shows that it ran out of its address space: Rust's
/// allocation-failure message, or mimalloc's when it cannot map more memory.
fn out_of_memory(stderr: &str) -> bool {
    stderr.contains("memory allocation of") || stderr.contains("unable to allocate") || stderr.contains("out of memory")
}

/// [`read_pdf_with`] with a given worker address-space limit (see [`read_pdf_limited`]).
/// The document goes to this thread's long-lived worker (`pool.rs`).
pub fn read_pdf_with_limits(worker_exe: &Path, path: &Path, bytes: &[u8], timeout: Duration, max_memory: u64) -> Result<PdfLayout, PdfError> {
    let owned;
    let bytes = if bytes.is_empty() {
        owned = std::fs::read(path).map_err(|e| PdfError::new("unreadable", format!("{}: {e}", path.display())))?;
        &owned[..]
    } else {
        bytes
    };
    pool::read(worker_exe, bytes, timeout, max_memory)
}

fn exit_description(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                6 => " (SIGABRT)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                _ => "",
            };
            return format!("killed by signal {sig}{name}");
        }
    }
    match status.code() {
        Some(c) => format!("exited with code {c}"),
        None => "ended abnormally".to_string(),
    }
}

/// What the worker prints on stdout.
#[derive(Serialize, Deserialize)]
enum WorkerReply {
    Ok(PdfLayout),
    Err(PdfError),
}

/// Entry point of the hidden `__pdf-worker` subcommand (see main.rs): documents on
/// stdin, one JSON `WorkerReply` each on stdout (framed, see `pool.rs`), until stdin
/// ends. Exit code 0 at end of input.
pub fn worker_main() -> i32 {
    // One line per panic, so the parent's "first line of stderr" is the whole story.
    std::panic::set_hook(Box::new(|info| {
        let loc = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("panic: {}{loc}", panic_text(info.payload()));
    }));
    let checks = std::env::var_os(SKIP_PRESCAN_ENV).is_none();
    pool::serve(|bytes| match guarded(bytes, checks) {
        Ok(l) => WorkerReply::Ok(l),
        Err(e) => WorkerReply::Err(e),
    })
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let s = if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    };
    // Keep it to one line: reasons end up in one-line reports.
    s.lines().next().unwrap_or("").chars().take(300).collect()
}

/// Read a PDF in this process: pre-scan, engine (panics caught), geometry, reading order.
/// Aborts and stack overflows are not caught here: use [`read_pdf`] for untrusted input.
pub fn layout_from_bytes(bytes: &[u8]) -> Result<PdfLayout, PdfError> {
    guarded(bytes, true)
}

/// [`layout_from_bytes`] through the fallback route only (tests compare the routes
/// without the process-wide [`FORCE_FALLBACK_ENV`]).
#[doc(hidden)]
pub fn fallback_layout_from_bytes(bytes: &[u8]) -> Result<PdfLayout, PdfError> {
    fallback_layout(bytes, Vec::new())
}

/// Any panic, in lopdf, pdf-extract or here, becomes an `engine_crash` error.
fn guarded(bytes: &[u8], hazard_checks: bool) -> Result<PdfLayout, PdfError> {
    std::panic::catch_unwind(|| layout_inner(bytes, hazard_checks))
        .unwrap_or_else(|p| Err(PdfError::new("engine_crash", format!("engine panic: {}", panic_text(p.as_ref())))))
}

/// Environment variable that makes the worker skip the hazard pre-scan, so that tests
/// can see the supervisor survive the engine's real crashes. Not for production use.
pub const SKIP_PRESCAN_ENV: &str = "PIASHEET_PDF_UNSAFE_NO_PRESCAN";

/// Environment variable that sends every PDF through the fallback route (tests and
/// accuracy checks of that route). Not for production use.
pub const FORCE_FALLBACK_ENV: &str = "PIASHEET_PDF_FORCE_FALLBACK";

/// Errors of the primary route that the fallback route may fix: refusals of inputs
/// pdf-extract would crash on, damaged structure, engine failures. Not encryption or a
/// file that is not a PDF at all.
fn fallback_may_help(e: &PdfError) -> bool {
    matches!(e.code.as_str(), "engine_crash" | "truncated_pdf" | "no_text_layer")
}

fn layout_inner(bytes: &[u8], hazard_checks: bool) -> Result<PdfLayout, PdfError> {
    if std::env::var_os(FORCE_FALLBACK_ENV).is_some() {
        return fallback_layout(bytes, Vec::new());
    }
    let primary = std::panic::catch_unwind(|| primary_layout(bytes, hazard_checks))
        .unwrap_or_else(|p| Err(PdfError::new("engine_crash", format!("engine panic: {}", panic_text(p.as_ref())))));
    match primary {
        // A clean read of every page stays with pdf-extract.
        Ok((layout, complete)) if complete => Ok(layout),
        Ok((layout, _)) => {
            // Some page or object failed: the fallback is taken only when it reads more.
            match fallback_layout(bytes, layout.warnings.clone()) {
                Ok(fb) if text_len(&fb) > text_len(&layout) => Ok(fb),
                _ => Ok(layout),
            }
        }
        Err(e) if fallback_may_help(&e) => match fallback_layout(bytes, vec![format!("read by the fallback route: {}", e.message)]) {
            Ok(fb) => Ok(fb),
            // The primary route's reason is the more telling one.
            Err(_) => Err(e),
        },
        Err(e) => Err(e),
    }
}

fn text_len(l: &PdfLayout) -> usize {
    l.lines.iter().map(|l| l.text.chars().count()).sum::<usize>() + l.change_rows.iter().flat_map(|r| &r.cells).map(|c| c.chars().count()).sum::<usize>()
}

/// pdf-extract route (the own reader first where both read alike, see below). The
/// flag is false when some page could not be read.
fn primary_layout(bytes: &[u8], hazard_checks: bool) -> Result<(PdfLayout, bool), PdfError> {
    primary_layout_with(bytes, hazard_checks, true)
}

/// The main route with pdf-extract alone (tests: the own reader's first read gives the
/// same layout).
#[doc(hidden)]
pub fn pdf_extract_layout_from_bytes(bytes: &[u8]) -> Result<PdfLayout, PdfError> {
    primary_layout_with(bytes, true, false).map(|(l, _)| l)
}

/// Whether the main route reads these bytes with the own reader first (every font of
/// the document reads alike in both readers; tests).
#[doc(hidden)]
pub fn own_reader_first(bytes: &[u8]) -> bool {
    prescan::load(bytes, true).is_ok_and(|(doc, _)| fallback::lost_objects(&doc) == 0 && fallback::fonts_read_alike(&doc))
}

fn primary_layout_with(bytes: &[u8], hazard_checks: bool, own_first: bool) -> Result<(PdfLayout, bool), PdfError> {
    let (doc, mut warnings) = prescan::load(bytes, hazard_checks)?;
    let page_nums: Vec<u32> = doc.get_pages().keys().copied().collect();
    let declared = page_nums.len();
    // Objects the xref lists but lopdf could not load: pages may have lost fonts or
    // content, which the fallback's rebuilt xref may find.
    let lost = fallback::lost_objects(&doc);
    if lost > 0 {
        warnings.push(format!("{lost} objects of the cross-reference table could not be read"));
    }

    // issue #16: the own reader first when every font reads alike in both (see
    // `fallback::fonts_read_alike`): the same document (the pre-scan's refusals and
    // warnings stand), the same pipeline after the glyphs, at ~40% of pdf-extract's CPU.
    // It keeps this route's name (`route` stays `None`). Anything short of every page
    // read without a panic falls through to pdf-extract, as before.
    if own_first && lost == 0 && fallback::fonts_read_alike(&doc) {
        if let Ok((pages, false)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fallback::collect(&doc, bytes))) {
            if pages.len() == declared {
                return finish(pages, declared, warnings).map(|l| (l, true));
            }
        }
    }
    let mut collector = collect::Collector::default();
    for &n in &page_nums {
        // Page by page, so one bad page costs only itself (pdf-extract's own loop stops
        // silently at the first error).
        if let Err(e) = pdf_extract::output_doc_page(&doc, &mut collector, n) {
            warnings.push(format!("page {n} could not be read: {e:?}"));
        }
    }
    let complete = collector.pages.len() == declared && lost == 0;
    finish(collector.pages, declared, warnings).map(|l| (l, complete))
}

/// Fallback route: lenient loading (xref rebuilt if need be) and our own interpreter.
fn fallback_layout(bytes: &[u8], mut warnings: Vec<String>) -> Result<PdfLayout, PdfError> {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::new("binary", "not a PDF (no %PDF- header)"));
    }
    let (doc, repaired) = std::panic::catch_unwind(|| fallback::load_lenient(bytes))
        .unwrap_or_else(|p| Err(format!("lopdf panic: {}", panic_text(p.as_ref()))))
        .map_err(|m| PdfError::new("truncated_pdf", m))?;
    if doc.is_encrypted() {
        return Err(PdfError::new("encrypted_pdf", "encrypted PDF (a user password is required)"));
    }
    if repaired {
        warnings.push("damaged cross-reference table; rebuilt from the objects found".to_string());
    }
    let declared = doc.get_pages().len();
    let (pages, vertical) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fallback::collect(&doc, bytes)))
        .map_err(|p| PdfError::new("engine_crash", format!("fallback panic: {}", panic_text(p.as_ref()))))?;
    if vertical {
        warnings.push("vertical writing (-V CMap): reading order unreliable".to_string());
    }
    let mut layout = finish(pages, declared, warnings)?;
    layout.route = Some("fallback".to_string());
    Ok(layout)
}

/// Quality gates and the cells → reading order → table pipeline, shared by both routes.
fn finish(pages: Vec<collect::PageGeom>, declared: usize, mut warnings: Vec<String>) -> Result<PdfLayout, PdfError> {
    if pages.is_empty() {
        return Err(PdfError::new("truncated_pdf", "no page could be read"));
    }
    if pages.len() != declared {
        warnings.push(format!("{} of {declared} pages read", pages.len()));
    }

    // Quality gate: glyphs drawn but nothing decoded means the font has no Unicode map
    // (the text is there for the eye only); empty text would pass silently otherwise.
    for p in &pages {
        if p.glyph_count > 0 && p.glyphs.is_empty() {
            return Err(PdfError::new(
                "no_text_layer",
                format!("page {}: {} glyphs drawn, none maps to a character (no ToUnicode?)", p.number, p.glyph_count),
            ));
        }
    }
    if pages.iter().all(|p| p.glyphs.is_empty()) {
        return Err(PdfError::new("no_text_layer", "no text on any page (scanned images?)"));
    }

    for p in &pages {
        if p.rotated * 5 > p.glyphs.len() {
            warnings.push(format!("page {}: {} of {} glyphs are rotated; reading order unreliable", p.number, p.rotated, p.glyphs.len()));
        }
    }

    let mut layout = PdfLayout { pages: declared, warnings, ..Default::default() };
    let mut page_cells: Vec<cells::PageCells> = pages.iter().map(cells::page_cells).collect();
    // A borderless row alone on its page is split at a gutter where the document's other
    // pages start a column (rare: only those pages are read again).
    let columns: Vec<f32> = page_cells.iter().flat_map(|pc| pc.column_starts.iter().copied()).collect();
    if !columns.is_empty() {
        for (pc, page) in page_cells.iter_mut().zip(&pages) {
            if pc.unconfirmed_starts.iter().any(|&x| cells::confirms(&columns, x, pc.em)) {
                *pc = cells::page_cells_with(page, &columns);
            }
        }
    }
    // The change table's columns, carried to the next page when it goes on there
    // without its header.
    let mut carried: Option<table::Columns> = None;
    for pc in &page_cells {
        layout.lines.extend(order::page_lines(pc));
        let (rows, columns) = table::page_rows(pc, carried.as_ref());
        carried = columns;
        table::append_page_rows(&mut layout.change_rows, rows);
    }
    Ok(layout)
}

/// Plain-text view of a layout for users (`--text-dump`): the lines, a form feed between
/// pages, then the change rows as tab-separated lines (newlines inside a cell written
/// as the two characters `\n`) after a line `# 変更箇所`.
pub fn layout_text(layout: &PdfLayout) -> String {
    let mut out = String::new();
    let mut page = None;
    for l in &layout.lines {
        match page {
            Some(p) if p != l.page => out.push_str("\n\x0c"),
            Some(_) => out.push('\n'),
            None => {}
        }
        page = Some(l.page);
        out.push_str(&l.text);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    if !layout.change_rows.is_empty() {
        out.push_str(DUMP_CHANGES_LINE);
        out.push('\n');
        for r in &layout.change_rows {
            let cells: Vec<String> = r.cells.iter().map(|c| c.replace('\t', " ").replace('\n', "\\n")).collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
    }
    out
}
