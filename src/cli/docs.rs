//! `piasheet completions SHELL` and `piasheet man`: generated from the clap definitions,
//! so they never drift from the options the binary really has.

use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

// No doc comments on these two: the help texts are those on `Command::Completions` / `Command::Man`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: clap_complete::Shell,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write piasheet.1 and piasheet-SUBCOMMAND.1 here instead of printing.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
use std::process::ExitCode;

/// Print the completion script of `shell` for the command `cmd` on stdout.
pub fn completions(shell: clap_complete::Shell, mut cmd: clap::Command) -> ExitCode {
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    finish(std::io::stdout().write_all(&out))
}

/// Print the man page (roff) of `cmd` on stdout, or with `dir`, write `NAME.1` and one
/// `NAME-SUBCOMMAND.1` per subcommand there (atomically).
pub fn man(cmd: clap::Command, dir: Option<&Path>) -> ExitCode {
    let render = |c: clap::Command| -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        clap_mangen::Man::new(c).render(&mut out)?;
        Ok(out)
    };
    let Some(dir) = dir else {
        return finish(render(cmd).and_then(|page| std::io::stdout().write_all(&page)));
    };
    let name = cmd.get_name().to_string();
    let mut pages = vec![(format!("{name}.1"), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        // The subcommand's page is named as man(1) looks it up: `man piasheet-extract`.
        let full = format!("{name}-{}", sub.get_name());
        // clap names are &'static without its `string` feature; one page per subcommand, once.
        pages.push((format!("{full}.1"), sub.clone().name(&*full.clone().leak())));
    }
    for (file, c) in pages {
        let written = render(c).and_then(|page| piasheet::write::atomic_write(&dir.join(&file), &page));
        if let Err(e) = written {
            eprintln!("piasheet: {}: {e}", dir.join(&file).display());
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

fn finish(r: std::io::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("piasheet: {e}");
            ExitCode::from(1)
        }
    }
}
