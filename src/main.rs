//! The `piasheet` command line: the list of subcommands and the dispatch. Each
//! subcommand's arguments and code are in its own file under `src/cli/`.

mod cli;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// Turn 特定個人情報保護評価書 (Japanese PIA sheets: 基礎項目評価書, 重点項目評価書 and
/// 全項目評価書, each in its dated versions) into typed JSON.
///
/// Input: the published PDFs, or their text as dumped by a common extractor (pdf-extract,
/// pdftotext plain / -layout / -raw, pdfminer, PyMuPDF, pdfplumber) or copied from a
/// mirror site, in any encoding (UTF-8, Shift_JIS, EUC-JP, UTF-16). Output: one JSON
/// record per input, following schema 1 of its kind (`piasheet schema`, `piasheet
/// codebook`), with `warnings` naming every value that is uncertain and `status` ok /
/// partial / failed.
#[derive(Parser)]
#[command(name = "piasheet", version, about, long_about, after_help = "Examples:\n  piasheet extract                      # input/ → output/\n  piasheet extract scraped/ -o dataset/  # a folder, mirrored below dataset/\n  piasheet extract sheet.txt -o out/     # one file → out/sheet.json\n\nExit status: 0 every input was read, 1 some input failed, 2 usage error.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// The doc comments of the variants are the subcommands' help texts.
#[derive(Subcommand)]
enum Command {
    /// Print the reading-order text rebuilt from a PDF's geometry (what `extract` reads),
    /// pages separated by form feeds, then the 変更箇所 rows as tab-separated cells.
    TextDump(cli::text_dump::Args),
    /// Extract records from text dumps and PDFs.
    ///
    /// Each input FILE.txt / FILE.pdf gives DIR/FILE.json; a folder is searched
    /// recursively and its tree is mirrored below DIR, so equal names never collide.
    /// Errors go to stderr, one line per failed file, and to DIR/errors.jsonl (one JSON
    /// line per failed or partial input, in input order); a summary line ends the run.
    Extract(cli::extract::Args),
    /// Print the JSON Schema of a record of one kind (every key required, ISO dates,
    /// choice codes of their lists).
    Schema(cli::schema::Args),
    /// Print every field of one kind: path, form item, Japanese label, type, allowed
    /// values, the versions that lack it, and the warning and error codes.
    Codebook(cli::codebook::Args),
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
    Diff(cli::diff::Args),
    /// Print a shell completion script (e.g. `piasheet completions bash > /etc/bash_completion.d/piasheet`).
    Completions(cli::docs::CompletionsArgs),
    /// Print the man page (roff: `piasheet man | man -l -`), or write one page per
    /// subcommand into a folder.
    Man(cli::docs::ManArgs),
}

fn main() -> ExitCode {
    if let Some(code) = worker_entry() {
        std::process::exit(code);
    }
    no_transparent_huge_pages();
    short_purge_delay();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::TextDump(a) => cli::text_dump::run(a),
        Command::Extract(a) => cli::extract::run(a),
        Command::Schema(a) => cli::schema::run(a),
        Command::Codebook(a) => cli::codebook::run(a),
        Command::Diff(a) => cli::diff::run(a),
        Command::Completions(a) => cli::docs::completions(a.shell, Cli::command()),
        Command::Man(a) => cli::docs::man(Cli::command(), a.dir.as_deref()),
    }
}

/// Worker processes: the supervised PDF worker is this same binary, re-invoked with a
/// hidden first argument. Returns the worker's exit code, or `None` for a normal run.
fn worker_entry() -> Option<i32> {
    if std::env::args().nth(1).as_deref() == Some("__pdf-worker") {
        // Inherited from the parent (`no_transparent_huge_pages`).
        set_thp_disabled(false);
        return Some(piasheet::pdf::worker_main());
    }
    None
}

// The parse allocates many small strings per document; mimalloc's thread-local free
// lists make that markedly cheaper than the system allocator (see docs/bench.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Give the memory freed by a large document's last stage back to the system now.
/// mimalloc keeps freed segments committed for a while (its purge delay) and per
/// thread, so a large dump's lines, freed on the parse thread, and its JSON value, made
/// on a worker, would otherwise add up in the peak RSS (issue #16). Called only for
/// large inputs: a small document's memory is better reused than returned.
pub fn release_freed_memory() {
    // SAFETY: mi_collect only returns free memory of mimalloc's own heaps and arenas.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// mimalloc's `mi_option_purge_delay`: its place in mimalloc v3's option list
/// (`mimalloc.h`, `mi_option_e`); libmimalloc-sys names no constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory is given back to the system after 50 ms, not mimalloc v3's 1000 ms
/// (arenas: ten times either). A large dump's parse frees big buffers as it goes; kept
/// committed, they counted in its peak RSS, by the clock: the x4800 dump (62.9 MB)
/// peaked at 3.65× its size one morning and 4.06× the same afternoon, same binary;
/// with 50 ms about 3.5× (issue #16). On 1,000 small dumps page faults rise ~25%
/// (10.4k → 13.1k), CPU within noise. `MIMALLOC_PURGE_DELAY`, if set, still rules.
fn short_purge_delay() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options (an atomic store); any value is valid.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 50) }
    }
}

/// No transparent huge pages for this process. mimalloc asks for them on its arenas
/// (`MADV_HUGEPAGE`), so each page fault there has the kernel zero 2 MiB however little
/// of it is used: on 1,000 small dumps 5–14 % of the samples were `clear_page_erms`
/// under `do_huge_pmd_anonymous_page`, and the peak RSS was 80–110 MB against 52–59 MB
/// with 4 KiB pages (issue #16). mimalloc's own `allow_thp` option is read before
/// `main`, so the kernel's per-process switch is used; PDF workers set it back
/// (`worker_entry`), as their cost was not measured without.
fn no_transparent_huge_pages() {
    set_thp_disabled(true);
}

fn set_thp_disabled(disabled: bool) {
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process (inherited by its
    // children); an old kernel without it returns EINVAL, which changes nothing.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, libc::c_ulong::from(disabled), 0, 0, 0);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = disabled;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option at [`MI_OPTION_PURGE_DELAY`] is the purge delay: its default is the
    /// 1000 ms of the mimalloc v3 built (an upgrade that moves the option list fails
    /// here, not silently in the peak memory), and [`short_purge_delay`] sets it to 50 ms
    /// unless `MIMALLOC_PURGE_DELAY` gives it (then that value, before and after).
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reads one of mimalloc's options.
        let get = || unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        let given = std::env::var("MIMALLOC_PURGE_DELAY").ok().and_then(|v| v.trim().parse::<std::ffi::c_long>().ok());
        assert_eq!(get(), given.unwrap_or(1000));
        short_purge_delay();
        assert_eq!(get(), given.unwrap_or(50));
    }
}
