//! `piasheet codebook --kind K [--csv]`: every field of one kind, as Markdown or CSV.

use clap::Args as ClapArgs;
use std::process::ExitCode;

// No doc comment here: the subcommand's help text is the one on `Command::Codebook`.
#[derive(ClapArgs)]
pub struct Args {
    /// CSV instead of Markdown.
    #[arg(long)]
    csv: bool,
    /// kiso, juten or zenkomoku.
    #[arg(long, default_value = "kiso")]
    kind: String,
}

/// Run `piasheet codebook`.
pub fn run(a: Args) -> ExitCode {
    super::print(piasheet::codebook::render_kind(&a.kind, a.csv))
}
