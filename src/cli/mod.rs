//! The subcommands of the `piasheet` binary, one file each (as xsv does): each holds its
//! arguments (`Args`) and its `run`. `main.rs` keeps only the command list and the dispatch.

pub mod codebook;
pub mod diff;
pub mod docs;
pub mod extract;
pub mod schema;
pub mod stdout;
pub mod text_dump;

use std::process::ExitCode;

/// Data on stdout, errors on stderr.
pub fn print(text: Result<String, String>) -> ExitCode {
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
