//! `piasheet diff OLD NEW`: two records (`*.json`), or two datasets (output folders or
//! `sheets.jsonl` files). Text on stdout, `--json` for a program, `--html FILE` for a
//! person. Exit status as diff(1): 0 equal, 1 different, 2 error.

use clap::Args as ClapArgs;
use piasheet::diff::{self, dataset};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// No doc comment here: the subcommand's help text is the one on `Command::Diff`.
#[derive(ClapArgs)]
pub struct Args {
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
}

/// A dataset rather than one record: a folder or a `.jsonl` file.
fn is_dataset(p: &Path) -> bool {
    p.is_dir() || p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
}

fn read_record(p: &Path) -> Result<serde_json::Value, String> {
    let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a record: {e}", p.display()))
}

/// The page, text or JSON of a comparison, and whether the two differ.
struct Output {
    text: String,
    json: serde_json::Value,
    html: String,
    differs: bool,
}

fn compare(old: &Path, new: &Path) -> Result<Output, String> {
    let (on, nn) = (old.display().to_string(), new.display().to_string());
    match (is_dataset(old), is_dataset(new)) {
        (true, true) => {
            let r = dataset::compare(dataset::load(old)?, dataset::load(new)?);
            Ok(Output { text: dataset::render_text(&r), json: serde_json::to_value(&r).map_err(|e| e.to_string())?, html: diff::html::dataset_page(&r, &on, &nn), differs: r.differs() })
        }
        (false, false) => {
            let r = diff::compare(&read_record(old)?, &read_record(new)?);
            Ok(Output { text: diff::render_report(&r), json: serde_json::to_value(&r).map_err(|e| e.to_string())?, html: diff::html::record_page(&r, &on, &nn), differs: !r.differences.is_empty() })
        }
        _ => Err(format!("{on} and {nn}: compare a record with a record (*.json), or a dataset with a dataset (folders or sheets.jsonl)")),
    }
}

/// Run `piasheet diff`.
pub fn run(a: Args) -> ExitCode {
    let (json, html) = (a.json, a.html.as_deref());
    let out = match compare(&a.old, &a.new) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("piasheet: {e}");
            return ExitCode::from(2);
        }
    };
    let written = match html {
        Some(p) if p.as_os_str() == "-" => std::io::stdout().write_all(out.html.as_bytes()),
        Some(p) => piasheet::write::atomic_write(p, out.html.as_bytes()).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display()))),
        None if json => serde_json::to_string_pretty(&out.json).map_err(std::io::Error::from).and_then(|t| writeln!(std::io::stdout(), "{t}")),
        None => std::io::stdout().write_all(out.text.as_bytes()),
    };
    match written {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("piasheet: {e}");
            ExitCode::from(2)
        }
        _ => ExitCode::from(if out.differs { 1 } else { 0 }),
    }
}
