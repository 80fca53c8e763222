//! The `piasheet` command line.

mod cli;

use clap::{CommandFactory, Parser, Subcommand};
use piasheet::batch;
use piasheet::dataset::{DatasetWriter, Rows};
use piasheet::write::AtomicFile;
use piasheet::record::Status;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Turn 特定個人情報保護評価書 (Japanese PIA sheets: 基礎項目評価書) into typed JSON.
///
/// Input: text dumps of the published PDFs (any encoding: UTF-8, Shift_JIS, EUC-JP,
/// UTF-16) or the PDFs themselves. Output: one JSON record per input, following
/// schema 1 (see README.md), with `warnings` naming every value that is uncertain
/// and `status` ok / partial / failed.
#[derive(Parser)]
#[command(name = "piasheet", version, about, long_about, after_help = "Examples:\n  piasheet extract                      # input/ → output/\n  piasheet extract scraped/ -o dataset/  # a folder, mirrored below dataset/\n  piasheet extract sheet.txt -o out/     # one file → out/sheet.json\n\nExit status: 0 every input was read, 1 some input failed, 2 usage error.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the reading-order text rebuilt from a PDF's geometry (what `extract` reads),
    /// pages separated by form feeds, then the 変更箇所 rows as tab-separated cells.
    TextDump {
        /// The PDF to show
        pdf: PathBuf,
        /// Give up after this many seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        timeout: u64,
    },
    /// Extract records from text dumps and PDFs.
    ///
    /// Each input FILE.txt / FILE.pdf gives DIR/FILE.json; a folder is searched
    /// recursively and its tree is mirrored below DIR, so equal names never collide.
    /// Errors go to stderr, one line per failed file, and to DIR/errors.jsonl (one JSON
    /// line per failed or partial input, in input order); a summary line ends the run.
    Extract {
        /// Files or folders to read; `-` reads one document from stdin [default: input/]
        paths: Vec<PathBuf>,
        /// Output folder [default: output/]; `-` prints the records as JSONL on stdout
        /// (the sheets.jsonl lines; errors and the summary on stderr; nothing written).
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Add `provenance`: the source lines each value was read from.
        #[arg(long)]
        provenance: bool,
        /// Skip files larger than this many bytes (reported as too_large).
        #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
        max_bytes: u64,
        /// Give up on a file (PDF or text) after this many seconds (reported as timeout).
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        timeout: u64,
        /// Worker threads [default: one per core].
        #[arg(short, long)]
        jobs: Option<usize>,
        /// Skip inputs whose DIR/FILE.json was made from the same bytes (same
        /// source.sha256): finishes an interrupted run.
        #[arg(long)]
        resume: bool,
        /// No summary line at the end (errors are still reported).
        #[arg(short, long)]
        quiet: bool,
        /// Outputs, comma-separated: json (one file per input), jsonl (DIR/sheets.jsonl),
        /// csv (DIR/sheets.csv, DIR/changes.csv, a CSV per repeated block and
        /// DIR/datapackage.json), parquet (the same tables typed, as DIR/*.parquet).
        #[arg(long, value_name = "LIST", default_value = "json,jsonl,csv,parquet")]
        format: String,
    },
    /// Print the JSON Schema of a record.
    Schema,
    /// Print every field: path, form item, Japanese label, type, allowed values, and
    /// the warning codes.
    Codebook {
        /// CSV instead of Markdown.
        #[arg(long)]
        csv: bool,
    },
    /// Compare two records, or two datasets, field by field.
    ///
    /// Two records (*.json): fields that differ, 変更箇所 and other repeated rows matched
    /// by content (added / removed / changed), warnings and findings gained and lost,
    /// and a caution when the two are different bodies, affairs or kinds (source,
    /// status, error, provenance left out). Two datasets (output folders or
    /// sheets.jsonl files): sheets keyed by body (団体コード, else name), kind and
    /// 評価書番号, listed as added, removed, or changed field by field.
    ///
    /// Exit status: 0 equal, 1 different, 2 error (as diff(1)).
    Diff {
        /// The old record (*.json), output folder or sheets.jsonl
        old: PathBuf,
        /// The new record (*.json), output folder or sheets.jsonl
        new: PathBuf,
        /// JSON output: {"cautions", "differences": [{"path", "change", "old", "new"}]}
        /// (datasets: {"added", "removed", "changed", "unchanged", "cautions"}).
        #[arg(long)]
        json: bool,
        /// Write one self-contained HTML page (old and new side by side, changes
        /// highlighted) to FILE instead (`-`: stdout).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Print a shell completion script (e.g. `piasheet completions bash > /etc/bash_completion.d/piasheet`).
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff: `piasheet man | man -l -`), or write one page per
    /// subcommand into a folder.
    Man {
        /// Write piasheet.1 and piasheet-SUBCOMMAND.1 here instead of printing.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    // The supervised PDF worker is this same binary, re-invoked with a hidden first argument.
    if std::env::args().nth(1).as_deref() == Some("__pdf-worker") {
        std::process::exit(piasheet::pdf::worker_main());
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::TextDump { pdf, timeout } => {
            let bytes = match std::fs::read(&pdf) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("piasheet: {}: io: {e}", pdf.display());
                    return ExitCode::from(1);
                }
            };
            match piasheet::pdf::read_pdf(&pdf, &bytes, Duration::from_secs(timeout)) {
                Ok(layout) => {
                    print!("{}", piasheet::pdf::layout_text(&layout));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("piasheet: {}: {}: {}", pdf.display(), e.code, e.message);
                    ExitCode::from(1)
                }
            }
        }
        Command::Extract { paths, output, provenance, max_bytes, timeout, jobs, resume, quiet, format } => {
            if output.as_deref().is_some_and(|o| o.as_os_str() == "-") {
                if resume {
                    eprintln!("piasheet: --resume needs an output folder, not -o -");
                    return ExitCode::from(2);
                }
                if let Some(n) = jobs {
                    let _ = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global();
                }
                return cli::stdout::extract(cli::stdout::Options { paths, provenance, max_bytes, timeout, quiet });
            }
            match piasheet::dataset::Formats::parse(&format) {
                Ok(formats) => extract(paths, output, provenance, max_bytes, timeout, jobs, resume, quiet, formats),
                Err(e) => {
                    eprintln!("piasheet: --format: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Schema => print(serde_json::to_string_pretty(&piasheet::codebook::schema()).map_err(|e| e.to_string())),
        Command::Codebook { csv } => print(piasheet::codebook::render(piasheet::rules::Rules::default_rules(), csv)),
        Command::Diff { old, new, json, html } => cli::diff::run(&old, &new, json, html.as_deref()),
        Command::Completions { shell } => cli::docs::completions(shell, Cli::command()),
        Command::Man { dir } => cli::docs::man(Cli::command(), dir.as_deref()),
    }
}

/// Data on stdout, errors on stderr.
fn print(text: Result<String, String>) -> ExitCode {
    match text {
        Ok(t) => {
            // A closed pipe (`| head`) is not an error worth a panic.
            use std::io::Write;
            let _ = writeln!(std::io::stdout(), "{}", t.trim_end());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("piasheet: {e}");
            ExitCode::from(2)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn extract(paths: Vec<PathBuf>, output: Option<PathBuf>, provenance: bool, max_bytes: u64, timeout: u64, jobs: Option<usize>, resume: bool, quiet: bool, formats: piasheet::dataset::Formats) -> ExitCode {
    let paths = if paths.is_empty() { vec![PathBuf::from("input")] } else { paths };
    let out_dir = output.unwrap_or_else(|| PathBuf::from("output"));
    if let Some(n) = jobs {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global();
    }
    let inputs = match batch::discover(&paths) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("piasheet: {e}");
            return ExitCode::from(2);
        }
    };
    if inputs.is_empty() {
        eprintln!("piasheet: no *.txt or *.pdf files in {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
        return ExitCode::from(2);
    }
    let opts = batch::Options {
        out_dir: out_dir.clone(),
        provenance,
        max_bytes,
        pdf_timeout: Duration::from_secs(timeout),
        progress: !quiet && std::io::stderr().is_terminal(),
        resume,
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
    let mut dataset = match DatasetWriter::create(&out_dir, &formats) {
        Ok(d) => Some(d),
        Err(e) => {
            fail_write(&format!("the dataset files in {}", out_dir.display()), &e);
            None
        }
    };
    let want_rows = dataset.is_some() && formats.rows();
    // On the worker threads: write the record's JSON, make its dataset rows.
    let on_record = |input: &batch::Input, record: Option<&piasheet::record::Record>| -> Option<Rows> {
        let target = out_dir.join(&input.output);
        let Some(record) = record else {
            // Kept by --resume: its rows come from the stored output.
            return want_rows.then(|| Rows::of_file(&target, &formats).map_err(|e| fail_write("the dataset rows", &e)).ok()).flatten();
        };
        if let (Status::Failed, Some(err)) = (record.status, &record.error) {
            eprintln!("piasheet: {}: {}: {}", input.path.display(), err.code, err.reason);
        }
        let value = match serde_json::to_value(record) {
            Ok(v) => v,
            Err(e) => {
                fail_write(&format!("{} (cannot serialize)", target.display()), &e);
                return None;
            }
        };
        if formats.json {
            let written = serde_json::to_vec_pretty(&value).map_err(std::io::Error::from).and_then(|json| piasheet::write::atomic_write(&target, &json));
            if let Err(e) = written {
                fail_write(&target.display().to_string(), &e);
            }
        }
        want_rows.then(|| Rows::of(&value, &formats).map_err(|e| fail_write("the dataset rows", &e)).ok()).flatten()
    };
    // errors.jsonl: one line per input that is not `ok`, in input order.
    let errors_path = out_dir.join("errors.jsonl");
    let mut errors = match AtomicFile::create(&errors_path) {
        Ok(f) => Some(f),
        Err(e) => {
            fail_write(&errors_path.display().to_string(), &e);
            None
        }
    };
    // On this thread, in input order: append the rows and the error lines.
    let mut append = |rows: Option<Rows>, error: Option<batch::ErrorLine>| {
        if let Some(Err(e)) = rows.and_then(|rows| dataset.as_mut().map(|d| d.append(&rows))) {
            fail_write(&format!("the dataset files in {}", out_dir.display()), &e);
            dataset = None; // dropped: its temporary files go
        }
        let written = error.and_then(|line| {
            errors.as_mut().map(|f| serde_json::to_writer(&mut *f, &line).map_err(std::io::Error::from).and_then(|_| f.write_all(b"\n")))
        });
        if let Some(Err(e)) = written {
            fail_write(&errors_path.display().to_string(), &e);
            errors = None;
        }
    };
    let summary = batch::run(&inputs, &opts, &on_record, &mut append);
    if let Some(Err(e)) = errors.map(AtomicFile::commit) {
        fail_write(&errors_path.display().to_string(), &e);
    }
    if let Some(Err(e)) = dataset.map(DatasetWriter::commit) {
        fail_write(&format!("the dataset files in {}", out_dir.display()), &e);
    }
    if !quiet {
        eprintln!(
            "piasheet: {} documents: {} ok, {} partial, {} failed in {:.2}s → {}",
            inputs.len(),
            summary.ok,
            summary.partial,
            summary.failed,
            summary.seconds,
            out_dir.display()
        );
    }
    if summary.failed > 0 || write_failures.into_inner() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

// The parse allocates many small strings per document; mimalloc's thread-local free
// lists make that markedly cheaper than the system allocator (see docs/bench.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
