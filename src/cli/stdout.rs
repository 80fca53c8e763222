//! `piasheet extract … -o -`: the records as JSONL on stdout (the `sheets.jsonl` lines,
//! in input order), for pipes (`| jq`, `| python3 …`); errors and the summary go to
//! stderr, and nothing is written to disk.

use piasheet::batch;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What `extract -o -` needs of the extract options.
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub provenance: bool,
    pub max_bytes: u64,
    pub timeout: u64,
    pub quiet: bool,
    /// Address-space cap of each PDF worker (`--max-memory`).
    pub max_memory: u64,
}

/// Run the batch, printing each record's line as soon as its turn in input order comes.
pub fn extract(o: Options) -> ExitCode {
    let paths = if o.paths.is_empty() { vec![PathBuf::from("input")] } else { o.paths };
    let found = batch::discover(&paths);
    // Each path that cannot be walked: one line; the run goes on without it.
    for p in &found.problems {
        eprintln!("piasheet: {}: {}: {}", p.path.display(), p.code, p.reason);
    }
    let inputs = found.inputs;
    if inputs.is_empty() && found.problems.is_empty() {
        eprintln!("piasheet: no *.txt or *.pdf files in {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
        return ExitCode::from(2);
    }
    let opts = batch::Options {
        // Only --resume reads the output folder; there is none here.
        out_dir: PathBuf::new(),
        provenance: o.provenance,
        max_bytes: o.max_bytes,
        pdf_timeout: Duration::from_secs(o.timeout),
        progress: false,
        resume: false,
        max_memory: o.max_memory,
    };
    batch::install_quiet_panic_hook();
    let line_of = |input: &batch::Input, record: Option<piasheet::record::Record>| -> Result<Vec<u8>, String> {
        let record = record.ok_or("no record")?;
        if let Some(err) = record.error.as_ref() {
            eprintln!("piasheet: {}: {}: {}", input.path.display(), err.code, err.reason);
        }
        let value = serde_json::to_value(&record).map_err(|e| e.to_string())?;
        piasheet::dataset::jsonl_line(&value).map_err(|e| e.to_string())
    };
    // Nothing is written to disk here: a line that cannot be made is reported by the sink.
    let on_record = |input: &batch::Input, record: Option<piasheet::record::Record>| batch::Written { value: line_of(input, record), failure: None };
    let mut stdout = std::io::stdout().lock();
    let (mut written, mut failures) = (0usize, 0usize);
    let mut sink = |line: Result<Vec<u8>, String>, _: Option<batch::ErrorLine>| {
        let result = line.and_then(|l| stdout.write_all(&l).map_err(|e| e.to_string()));
        match result {
            Ok(()) => written += 1,
            Err(e) => {
                // Reported once: a closed pipe fails every later line the same way.
                if failures == 0 {
                    eprintln!("piasheet: cannot write to stdout: {e}");
                }
                failures += 1;
            }
        }
    };
    let summary = batch::run(&inputs, &opts, &on_record, &mut sink);
    let flushed = stdout.flush();
    if !o.quiet {
        eprintln!(
            "piasheet: {} documents: {} ok, {} partial, {} failed in {:.2}s → stdout ({written} lines)",
            inputs.len() + found.problems.len(),
            summary.ok,
            summary.partial,
            summary.failed,
            summary.seconds
        );
    }
    if summary.failed > 0 || failures > 0 || flushed.is_err() || !found.problems.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
