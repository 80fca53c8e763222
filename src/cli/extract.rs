//! `piasheet extract IN... -o OUT`: records from text dumps and PDFs, into an output
//! folder (one JSON per input, the dataset files, errors.jsonl) or, with `-o -`, as JSONL
//! on stdout ([`super::stdout`]).

use clap::Args as ClapArgs;
use piasheet::batch;
use piasheet::dataset::{DatasetWriter, Rows};
use piasheet::record::Status;
use piasheet::write::AtomicFile;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

// No doc comment here: the subcommand's help text is the one on `Command::Extract`.
#[derive(ClapArgs)]
pub struct Args {
    /// Files or folders to read; `-` reads one document from stdin [default: input/]
    pub paths: Vec<PathBuf>,
    /// Output folder [default: output/]; `-` prints the records as JSONL on stdout
    /// (the sheets.jsonl lines; errors and the summary on stderr; nothing written).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Add `provenance`: the source lines each value was read from.
    #[arg(long)]
    pub provenance: bool,
    /// Skip files larger than this many bytes (reported as too_large).
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_bytes: u64,
    /// Give up on a file (PDF or text) after this many seconds (reported as timeout; at least 1).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Memory (address space) of each PDF reader process, e.g. 512M, 2G; a PDF that
    /// needs more is reported as memory_limit.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = batch::parse_size)]
    pub max_memory: u64,
    /// Worker threads [default: one per core].
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Skip inputs whose DIR/FILE.json was made from the same bytes (same
    /// source.sha256) and did not fail: finishes an interrupted run, retries failures.
    /// Records in DIR of inputs not in this run (deleted since) are removed and listed,
    /// so DIR and sheets.jsonl hold the same records.
    #[arg(long)]
    pub resume: bool,
    /// With --resume: keep the records of inputs not in this run (listed, and added to
    /// the dataset files) instead of removing them.
    #[arg(long, requires = "resume")]
    pub keep_stale: bool,
    /// No summary line at the end (errors are still reported).
    #[arg(short, long)]
    pub quiet: bool,
    /// Outputs, comma-separated: json (one file per input), jsonl (DIR/sheets.jsonl),
    /// csv (DIR/sheets.csv, DIR/changes.csv, a CSV per repeated block and
    /// DIR/datapackage.json), parquet (the same tables typed, as DIR/*.parquet).
    #[arg(long, value_name = "LIST", default_value = "json,jsonl,csv,parquet")]
    pub format: String,
    /// Also read the form descriptions (`*.json`) in DIR: a new kind or version, or a
    /// correction of a built-in one (same `id`), without rebuilding. See rules/.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

/// Run `piasheet extract`.
pub fn run(a: Args) -> ExitCode {
    let Args { paths, output, provenance, max_bytes, timeout, max_memory, jobs, resume, keep_stale, quiet, format, rules } = a;
    if let Some(dir) = rules {
        if let Err(e) = piasheet::form::FormSet::load(&dir).and_then(piasheet::form::install) {
            eprintln!("piasheet: --rules {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    if output.as_deref().is_some_and(|o| o.as_os_str() == "-") {
        if resume {
            eprintln!("piasheet: --resume needs an output folder, not -o -");
            return ExitCode::from(2);
        }
        if let Some(n) = jobs {
            let _ = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global();
        }
        return super::stdout::extract(super::stdout::Options { paths, provenance, max_bytes, timeout, quiet, max_memory });
    }
    match piasheet::dataset::Formats::parse(&format) {
        Ok(formats) => {
            let opts = batch::Options {
                out_dir: output.unwrap_or_else(|| PathBuf::from("output")),
                provenance,
                max_bytes,
                pdf_timeout: Duration::from_secs(timeout),
                progress: !quiet && std::io::stderr().is_terminal(),
                resume,
                max_memory,
            };
            to_folder(paths, opts, jobs, keep_stale, quiet, formats)
        }
        Err(e) => {
            eprintln!("piasheet: --format: {e}");
            ExitCode::from(2)
        }
    }
}

/// Inputs of this size or more are "large" for the output path (see `on_record`):
/// ~50 times a typical sheet's text.
const LARGE_INPUT: u64 = 1 << 20;

/// The batch run into an output folder.
fn to_folder(paths: Vec<PathBuf>, opts: batch::Options, jobs: Option<usize>, keep_stale: bool, quiet: bool, formats: piasheet::dataset::Formats) -> ExitCode {
    let paths = if paths.is_empty() { vec![PathBuf::from("input")] } else { paths };
    let out_dir = opts.out_dir.clone();
    if let Some(n) = jobs {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global();
    }
    let found = batch::discover(&paths);
    // Each path that cannot be walked: one line now; the run goes on without it.
    for p in &found.problems {
        eprintln!("piasheet: {}: {}: {}", p.path.display(), p.code, p.reason);
    }
    if found.inputs.is_empty() && found.problems.is_empty() {
        eprintln!("piasheet: no *.txt or *.pdf files in {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
        return ExitCode::from(2);
    }
    if !quiet {
        for (dup, first) in &found.duplicates {
            eprintln!("piasheet: {}: skipped: the same file as {}", dup.display(), first.display());
        }
    }
    let inputs = found.inputs;
    // One run at a time per output folder: two would interleave their files.
    let _lock = match piasheet::write::lock_dir(&out_dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("piasheet: {e}");
            return ExitCode::from(2);
        }
    };
    // A parser panic becomes one `internal` error line, not a backtrace on stderr.
    batch::install_quiet_panic_hook();
    // Leftovers of a killed run: a temporary file is never an output.
    piasheet::write::remove_stale_tmp(&out_dir);
    let write_failures = AtomicUsize::new(0);
    let fail_write = |what: &str, e: &dyn std::fmt::Display| {
        write_failures.fetch_add(1, Ordering::Relaxed);
        eprintln!("piasheet: cannot write {what}: {e}");
    };
    // --resume: records of inputs not in this run go (or, with --keep-stale, stay and
    // join the dataset files), so the folder and sheets.jsonl hold the same records.
    let stale = if opts.resume { batch::stale_records(&out_dir, &inputs) } else { Vec::new() };
    let mut removed_stale = 0;
    for s in &stale {
        if keep_stale {
            eprintln!("piasheet: {}: kept a stale record (its input {} is not in this run)", s.json.display(), s.source);
        } else {
            match std::fs::remove_file(&s.json) {
                Ok(()) => {
                    removed_stale += 1;
                    eprintln!("piasheet: {}: removed a stale record (its input {} is not in this run)", s.json.display(), s.source);
                }
                Err(e) => fail_write(&format!("{} (a stale record, not removed)", s.json.display()), &e),
            }
        }
    }
    let mut dataset = match DatasetWriter::create(&out_dir, &formats) {
        Ok(d) => Some(d),
        Err(e) => {
            fail_write(&format!("the dataset files in {}", out_dir.display()), &e);
            None
        }
    };
    let want_rows = dataset.is_some() && formats.rows();
    // On the worker threads: write the record's JSON, make its dataset rows.
    let on_record = |input: &batch::Input, record: Option<piasheet::record::Record>| -> batch::Written<Option<Rows>> {
        let target = out_dir.join(&input.output);
        let Some(record) = record else {
            // Kept by --resume: its rows come from the stored output.
            let rows = want_rows.then(|| Rows::of_file(&target, &formats));
            return match rows {
                Some(Err(e)) => batch::Written { value: None, failure: Some(format!("cannot read back {} for the dataset files: {e}", target.display())) },
                rows => batch::Written { value: rows.and_then(Result::ok), failure: None },
            };
        };
        // A large input's record (issue #16, peak memory): its pretty JSON is written from
        // the record as it is made, and its dataset rows are made when appended, one
        // format at a time, its changes kept as they are (`Rows::deferred_record`): the
        // record is never a JSON value whole (that value beside the record was a second
        // copy, ~1.3× the input). The same bytes; a small record is made a JSON value
        // once, for its file and its rows (the faster in-memory path).
        let large = record.source.bytes >= LARGE_INPUT;
        if large {
            crate::release_freed_memory(); // the parse's lines and tokens
        }
        let value = (!large).then(|| serde_json::to_value(&record).map_err(std::io::Error::from));
        // A small record's JSON file as written: its sheets.jsonl line is made from these
        // bytes (issue #16: the value was serialized a second time for it), or with them,
        // in one serialization of the record (`line`, when the line is asked for).
        let mut json = None;
        let mut line = None;
        let written = match (&value, formats.json) {
            (Some(Err(e)), _) => Err(std::io::Error::other(e.to_string())),
            (_, false) => Ok(()),
            (None, true) => piasheet::write::atomic_write_with(&target, |f| {
                let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
                piasheet::dataset::write_pretty(&mut w, &record)?;
                w.flush()
            }),
            (Some(Ok(v)), true) => {
                // A text dump's pretty JSON is ~2-3× its bytes (a size hint saving regrowth).
                let both = if want_rows && formats.jsonl { piasheet::dataset::pretty_and_line(&record, (3 * record.source.bytes as usize).min(1 << 20)) } else { Ok(None) };
                match both {
                    Ok(Some((pretty, made))) => {
                        line = Some(made);
                        piasheet::write::atomic_write(&target, &pretty)
                    }
                    Ok(None) => serde_json::to_vec_pretty(v).map_err(std::io::Error::from).and_then(|bytes| piasheet::write::atomic_write(&target, json.insert(bytes))),
                    Err(e) => Err(e),
                }
            }
        };
        let rows_of_value = |v: std::io::Result<serde_json::Value>| v.and_then(|v| Rows::of(&v, &formats));
        let (rows, failure) = match written {
            Ok(()) => {
                if let Some(err) = record.error.as_ref().filter(|_| record.status == Status::Failed) {
                    eprintln!("piasheet: {}: {}: {}", input.path.display(), err.code, err.reason);
                }
                let rows = want_rows.then(|| match (value, &json) {
                    (Some(Ok(v)), _) if line.is_some() => Rows::of_line(&v, line.take().unwrap_or_default(), &formats),
                    (Some(Ok(v)), Some(json)) => Rows::of_written(&v, json, &formats),
                    (Some(v), _) => rows_of_value(v),
                    (None, _) => Rows::deferred_record(record, &formats),
                });
                (rows, None)
            }
            Err(e) => {
                let reason = format!("cannot write {}: {e}", target.display());
                // An older record at that path would say something this run did not.
                let _ = std::fs::remove_file(&target);
                // The dataset row says what became of this input: it failed.
                let failed = piasheet::failed(record.source.clone(), "write_failed", reason.clone());
                if let Some(err) = failed.error.as_ref() {
                    eprintln!("piasheet: {}: {}: {}", input.path.display(), err.code, err.reason);
                }
                (want_rows.then(|| rows_of_value(serde_json::to_value(&failed).map_err(std::io::Error::from))), Some(reason))
            }
        };
        let rows = rows.and_then(|r| r.map_err(|e| fail_write("the dataset rows", &e)).ok());
        batch::Written { value: rows, failure }
    };
    // errors.jsonl: one line per input that is not `ok` and per path that could not be
    // walked, in input order.
    let errors_path = out_dir.join("errors.jsonl");
    let mut errors = match AtomicFile::create(&errors_path) {
        Ok(f) => Some(f),
        Err(e) => {
            fail_write(&errors_path.display().to_string(), &e);
            None
        }
    };
    let mut problems = found.problems.iter().peekable();
    let mut seen = 0;
    // On this thread, in input order: append the rows and the error lines.
    let mut append = |rows: Option<Rows>, error: Option<batch::ErrorLine>| {
        if rows.as_ref().is_some_and(Rows::is_deferred) {
            crate::release_freed_memory(); // the record and its JSON file's buffers
        }
        if let Some(Err(e)) = rows.and_then(|rows| dataset.as_mut().map(|d| d.append(&rows))) {
            fail_write(&format!("the dataset files in {}", out_dir.display()), &e);
            dataset = None; // dropped: its temporary files go
        }
        // `None, None` with `seen` past the end flushes the problems after the last input.
        let walk_errors = std::iter::from_fn(|| problems.next_if(|p| p.after <= seen)).map(problem_line);
        let lines: Vec<batch::ErrorLine> = walk_errors.chain(error).collect();
        seen += 1;
        for line in lines {
            let written = errors.as_mut().map(|f| serde_json::to_writer(&mut *f, &line).map_err(std::io::Error::from).and_then(|_| f.write_all(b"\n")));
            if let Some(Err(e)) = written {
                fail_write(&errors_path.display().to_string(), &e);
                errors = None;
            }
        }
    };
    let summary = batch::run(&inputs, &opts, &on_record, &mut append);
    // Walk problems after the last input, then the records kept by --keep-stale.
    append(None, None);
    let mut kept_stale = 0;
    for s in stale.iter().filter(|_| keep_stale) {
        let rows = want_rows.then(|| Rows::of_file(&s.json, &formats).map_err(|e| fail_write("the dataset rows", &e)).ok()).flatten();
        if rows.is_some() || !want_rows {
            kept_stale += 1;
        }
        append(rows, batch::stored_error_line(&s.json));
    }
    let errors_written = match errors.map(AtomicFile::commit) {
        Some(Err(e)) => {
            fail_write(&errors_path.display().to_string(), &e);
            false
        }
        Some(Ok(())) => true,
        None => false,
    };
    let dataset_written = match dataset.map(DatasetWriter::commit) {
        Some(Err(e)) => {
            fail_write(&format!("the dataset files in {}", out_dir.display()), &e);
            false
        }
        Some(Ok(())) => true,
        None => false,
    };
    if !quiet {
        let mut extra = String::new();
        if !found.problems.is_empty() {
            extra += &format!("; {} path(s) not walked (see above)", found.problems.len());
        }
        if !found.duplicates.is_empty() {
            extra += &format!("; {} duplicate path(s) of the same file skipped", found.duplicates.len());
        }
        if removed_stale > 0 {
            extra += &format!("; {removed_stale} stale record(s) removed");
        }
        if kept_stale > 0 {
            extra += &format!("; {kept_stale} stale record(s) kept");
        }
        if !dataset_written && (formats.jsonl || formats.csv) {
            extra += "; dataset files NOT written";
        }
        if !errors_written {
            extra += "; errors.jsonl NOT written";
        }
        eprintln!(
            "piasheet: {} documents: {} ok, {} partial, {} failed in {:.2}s → {}{extra}",
            inputs.len(),
            summary.ok,
            summary.partial,
            summary.failed,
            summary.seconds,
            out_dir.display()
        );
    }
    if summary.failed > 0 || !found.problems.is_empty() || write_failures.into_inner() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The `errors.jsonl` line of a path that could not be walked (nothing was read).
fn problem_line(p: &batch::Problem) -> batch::ErrorLine {
    batch::ErrorLine { path: p.path.to_string_lossy().into_owned(), sha256: None, status: Status::Failed, code: p.code.into(), reason: p.reason.clone() }
}
