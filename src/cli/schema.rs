//! `piasheet schema --kind K`: the JSON Schema of a record of one kind.

use clap::Args as ClapArgs;
use std::process::ExitCode;

// No doc comment here: the subcommand's help text is the one on `Command::Schema`.
#[derive(ClapArgs)]
pub struct Args {
    /// kiso (基礎項目評価書), juten (重点項目評価書) or zenkomoku (全項目評価書).
    #[arg(long, default_value = "kiso")]
    kind: String,
}

/// Run `piasheet schema`.
pub fn run(a: Args) -> ExitCode {
    super::print(piasheet::schema::schema(&a.kind).and_then(|s| serde_json::to_string_pretty(&s).map_err(|e| e.to_string())))
}
