//! `piasheet text-dump PDF`: the reading-order text rebuilt from a PDF's geometry (what
//! `extract` reads), pages separated by form feeds, then the 変更箇所 rows.

use clap::Args as ClapArgs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

// No doc comment here: the subcommand's help text is the one on `Command::TextDump`.
#[derive(ClapArgs)]
pub struct Args {
    /// The PDF to show
    pdf: PathBuf,
    /// Give up after this many seconds (at least 1).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
}

/// Run `piasheet text-dump`.
pub fn run(a: Args) -> ExitCode {
    let bytes = match std::fs::read(&a.pdf) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("piasheet: {}: io: {e}", a.pdf.display());
            return ExitCode::from(1);
        }
    };
    match piasheet::pdf::read_pdf(&a.pdf, &bytes, Duration::from_secs(a.timeout)) {
        Ok(layout) => {
            print!("{}", piasheet::pdf::layout_text(&layout));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("piasheet: {}: {}: {}", a.pdf.display(), e.code, e.message);
            ExitCode::from(1)
        }
    }
}
