//! The `piasheet` command line.

use clap::{Parser, Subcommand};
use piasheet::batch;
use piasheet::record::Status;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
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
    /// Extract records from text dumps and PDFs.
    ///
    /// Each input FILE.txt / FILE.pdf gives DIR/FILE.json; a folder is searched
    /// recursively and its tree is mirrored below DIR, so equal names never collide.
    /// Errors go to stderr, one line per failed file, and to DIR/errors.jsonl (one JSON
    /// line per failed or partial input, sorted by path); a summary line ends the run.
    Extract {
        /// Files or folders to read [default: input/]
        paths: Vec<PathBuf>,
        /// Output folder [default: output/]
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
        Command::Extract { paths, output, provenance, max_bytes, timeout, jobs, resume, quiet } => {
            extract(paths, output, provenance, max_bytes, timeout, jobs, resume, quiet)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn extract(paths: Vec<PathBuf>, output: Option<PathBuf>, provenance: bool, max_bytes: u64, timeout: u64, jobs: Option<usize>, resume: bool, quiet: bool) -> ExitCode {
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
    let write_failures = std::sync::atomic::AtomicUsize::new(0);
    let summary = batch::run(&inputs, &opts, &|input, record| {
        if let (Status::Failed, Some(err)) = (record.status, &record.error) {
            eprintln!("piasheet: {}: {}: {}", input.path.display(), err.code, err.reason);
        }
        let target = out_dir.join(&input.output);
        let json = match serde_json::to_vec_pretty(record) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("piasheet: {}: cannot serialize: {e}", input.path.display());
                return;
            }
        };
        if let Err(e) = piasheet::write::atomic_write(&target, &json) {
            write_failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            eprintln!("piasheet: {}: cannot write {}: {e}", input.path.display(), target.display());
        }
    });
    if let Err(e) = batch::write_errors(&out_dir, &summary.errors) {
        write_failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        eprintln!("piasheet: cannot write {}: {e}", out_dir.join("errors.jsonl").display());
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
