//! `piasheet._piasheet`: the Rust side of the Python package. Records cross the
//! boundary as JSON text (parsed by `json.loads` in `piasheet/__init__.py`), so the
//! Python side gets plain dicts in the record's key order. Every call that parses
//! releases the GIL; PDFs are read by the `piasheet` binary in a worker process.

use piasheet::batch::Options;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn options(provenance: bool, timeout: u64, max_bytes: u64, max_memory: u64) -> Options {
    Options {
        out_dir: PathBuf::new(),
        provenance,
        max_bytes,
        pdf_timeout: Duration::from_secs(timeout.max(1)),
        progress: false,
        resume: false,
        max_memory,
    }
}

fn to_json(record: &piasheet::record::Record) -> PyResult<String> {
    serde_json::to_string(record).map_err(|e| PyRuntimeError::new_err(format!("record to JSON: {e}")))
}

/// Read one file (text dump or PDF) into a record, as JSON text.
#[pyfunction]
#[pyo3(signature = (path, worker, provenance, timeout, max_bytes, max_memory))]
fn extract_path(py: Python<'_>, path: PathBuf, worker: PathBuf, provenance: bool, timeout: u64, max_bytes: u64, max_memory: u64) -> PyResult<String> {
    let opts = options(provenance, timeout, max_bytes, max_memory);
    let record = py.allow_threads(|| piasheet::api::read_path_with(&path, &opts, &worker));
    to_json(&record)
}

/// Read bytes (a text dump in any encoding, or a PDF) into a record, as JSON text.
#[pyfunction]
#[pyo3(signature = (data, name, worker, provenance, timeout, max_bytes, max_memory))]
fn extract_bytes(py: Python<'_>, data: Vec<u8>, name: String, worker: PathBuf, provenance: bool, timeout: u64, max_bytes: u64, max_memory: u64) -> PyResult<String> {
    let opts = options(provenance, timeout, max_bytes, max_memory);
    let record = py.allow_threads(|| {
        let input = piasheet::api::input_of(Path::new(&name));
        if data.len() as u64 > opts.max_bytes {
            let mut source = piasheet::source_of(&name, &data, "text");
            source.bytes = data.len() as u64;
            return piasheet::failed(source, "too_large", format!("{} bytes, over the limit of {} (max_bytes)", data.len(), opts.max_bytes));
        }
        piasheet::api::record_of_with(&input, data, &opts, &worker)
    });
    to_json(&record)
}

/// Records of many files, parsed in parallel on a Rust thread pool; iterated in the
/// order they finish. Dropping the iterator stops the inputs not yet started.
#[pyclass(module = "piasheet._piasheet")]
struct Many {
    results: Mutex<Option<Receiver<String>>>,
    stop: Arc<AtomicBool>,
    total: usize,
}

#[pymethods]
impl Many {
    #[new]
    #[pyo3(signature = (paths, worker, jobs, provenance, timeout, max_bytes, max_memory))]
    fn new(paths: Vec<PathBuf>, worker: PathBuf, jobs: usize, provenance: bool, timeout: u64, max_bytes: u64, max_memory: u64) -> PyResult<Many> {
        let opts = options(provenance, timeout, max_bytes, max_memory);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .thread_name(|i| format!("piasheet-py-{i}"))
            // Room for deep recursion on odd inputs, as the CLI's batch threads.
            .stack_size(16 << 20)
            .build()
            .map_err(|e| PyRuntimeError::new_err(format!("thread pool: {e}")))?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<String>(jobs.max(1) * 4);
        let stop = Arc::new(AtomicBool::new(false));
        let total = paths.len();
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("piasheet-py-many".into())
            .spawn(move || {
                pool.install(|| {
                    paths.par_iter().for_each_with(tx, |tx, path| {
                        if flag.load(Ordering::Relaxed) {
                            return;
                        }
                        let record = piasheet::api::read_path_with(path, &opts, &worker);
                        let json = serde_json::to_string(&record).unwrap_or_else(|e| {
                            serde_json::json!({"source": {"file": path.to_string_lossy()}, "status": "failed", "error": {"code": "internal", "reason": format!("record to JSON: {e}")}}).to_string()
                        });
                        if tx.send(json).is_err() {
                            flag.store(true, Ordering::Relaxed);
                        }
                    });
                });
            })
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the batch thread: {e}")))?;
        Ok(Many { results: Mutex::new(Some(rx)), stop, total })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __len__(&self) -> usize {
        self.total
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<String>> {
        loop {
            // Wait with the GIL released, waking now and then for Ctrl-C.
            let got = py.allow_threads(|| {
                let guard = self.results.lock().unwrap_or_else(|e| e.into_inner());
                match guard.as_ref() {
                    None => Err(RecvTimeoutError::Disconnected),
                    Some(rx) => rx.recv_timeout(Duration::from_millis(200)),
                }
            });
            match got {
                Ok(json) => return Ok(Some(json)),
                Err(RecvTimeoutError::Disconnected) => {
                    self.close();
                    return Ok(None);
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = py.check_signals() {
                        self.close();
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Stop: inputs not yet started are skipped; those running finish in the background.
    fn close(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.results.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

impl Drop for Many {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Field-by-field differences of two records (JSON texts), as JSON text.
#[pyfunction]
fn diff(a: &str, b: &str) -> PyResult<String> {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).map_err(|e| PyValueError::new_err(format!("not a JSON record: {e}")));
    let d = piasheet::diff::diff(&parse(a)?, &parse(b)?);
    serde_json::to_string(&d).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// The codebook of a kind as CSV text (no BOM).
#[pyfunction]
fn codebook_csv(kind: &str) -> PyResult<String> {
    piasheet::codebook::render_kind(kind, true).map(|s| s.trim_start_matches('\u{feff}').to_string()).map_err(PyValueError::new_err)
}

/// Columns of `sheets.csv`: (path, type, pattern) — the schema's type (`integer |
/// null`, `boolean | null`, `string`, …) and its `pattern` if any (dates, months, codes).
#[pyfunction]
fn sheet_columns() -> Vec<(String, String, String)> {
    let patterns = piasheet::api::leaf_patterns();
    let pattern = |p: &str| patterns.iter().find(|(q, _)| q == p).map(|(_, x)| x.clone()).unwrap_or_default();
    let mut cols: Vec<(String, String, String)> = piasheet::codebook::sheet_leaves()
        .into_iter()
        .map(|l| {
            let pat = pattern(&l.path);
            (l.path, l.ty, pat)
        })
        .collect();
    cols.push(("warnings".into(), "string".into(), String::new()));
    cols
}

/// `sheets.jsonl` (one record per line) → the cells of `sheets.csv` and of
/// `changes.csv` (lists of rows of strings, empty for null), as `piasheet extract`
/// writes them.
#[pyfunction]
fn jsonl_tables(py: Python<'_>, path: PathBuf) -> PyResult<(Vec<Vec<String>>, Vec<Vec<String>>)> {
    py.allow_threads(|| {
        let text = std::fs::read_to_string(&path).map_err(|e| PyValueError::new_err(format!("{}: {e}", path.display())))?;
        let lines: Vec<&str> = text.lines().collect();
        let rows: Vec<PyResult<(Vec<String>, Vec<Vec<String>>)>> = lines
            .par_iter()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, line)| {
                let v: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| PyValueError::new_err(format!("{}:{}: not a JSON record: {e}", path.display(), i + 1)))?;
                Ok(piasheet::api::table_cells(&v))
            })
            .collect();
        let (mut sheets, mut changes) = (Vec::new(), Vec::new());
        for r in rows {
            let (s, c) = r?;
            sheets.push(s);
            changes.extend(c);
        }
        Ok((sheets, changes))
    })
}

/// Expand paths as `piasheet extract` does: files as given, folders searched
/// recursively for `*.txt` and `*.pdf` (sorted, symbolic-link loops and duplicate
/// files left out). Returns the inputs and the paths that could not be walked
/// (path, code, reason).
#[pyfunction]
fn discover(py: Python<'_>, paths: Vec<PathBuf>) -> (Vec<PathBuf>, Vec<(PathBuf, String, String)>) {
    py.allow_threads(|| {
        let d = piasheet::batch::discover(&paths);
        (d.inputs.into_iter().map(|i| i.path).collect(), d.problems.into_iter().map(|p| (p.path, p.code.to_string(), p.reason)).collect())
    })
}

/// Column names of `changes.csv`.
#[pyfunction]
fn change_columns() -> Vec<&'static str> {
    piasheet::dataset::CHANGE_KEYS.iter().chain(piasheet::dataset::CHANGE_FIELDS).copied().collect()
}

/// Install the library's panic hook (panics caught while parsing become `internal`
/// failed records, without noise on stderr).
#[pymodule]
fn _piasheet(m: &Bound<'_, PyModule>) -> PyResult<()> {
    piasheet::batch::install_quiet_panic_hook();
    m.add_function(wrap_pyfunction!(extract_path, m)?)?;
    m.add_function(wrap_pyfunction!(extract_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(codebook_csv, m)?)?;
    m.add_function(wrap_pyfunction!(sheet_columns, m)?)?;
    m.add_function(wrap_pyfunction!(jsonl_tables, m)?)?;
    m.add_function(wrap_pyfunction!(change_columns, m)?)?;
    m.add_function(wrap_pyfunction!(discover, m)?)?;
    m.add_class::<Many>()?;
    m.add("WORKER_ARG", piasheet::pdf::WORKER_ARG)?;
    Ok(())
}
