//! Long-lived PDF workers: one per thread that reads PDFs (in a batch, one per job
//! slot), each reading many documents over its pipes, so a document costs no process
//! start (issue #16: a fresh process per document cost ~20 ms, ~40% of PDF time).
//!
//! Isolation is kept: a crash, a timeout or the address-space cap (`--max-memory`)
//! ends the worker, and only its current document fails; the next document gets a
//! fresh worker. A crash or memory failure on a worker that had read other documents
//! first is tried once more on a fresh worker, so that what earlier documents left
//! behind (a fragmented heap near the cap) never decides a document's outcome: the
//! result is that of a worker of its own, as before the pool.
//!
//! Protocol (both ways): an 8-byte little-endian length, then that many bytes. Request:
//! the PDF. Reply: one JSON `WorkerReply`. The worker exits at end of input. Before
//! each document it writes [`DOC_MARK`] on stderr, so the supervisor can tell the
//! current document's messages (a panic line, an allocation failure) from earlier ones.

use super::{PdfError, PdfLayout, WorkerReply};
use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Written by the worker on stderr before each document (ASCII record separator).
pub(super) const DOC_MARK: u8 = 0x1e;

/// A reply longer than this is not one (a worker that prints something else).
const MAX_REPLY: u64 = 1 << 32;

/// Stderr kept per document: the message needs one line.
const STDERR_KEPT: usize = 64 * 1024;

static STARTED: AtomicUsize = AtomicUsize::new(0);

/// How many PDF worker processes this process has started (tests check reuse).
#[doc(hidden)]
pub fn workers_started() -> usize {
    STARTED.load(Ordering::Relaxed)
}

thread_local! {
    /// This thread's worker, idle between documents. Held per thread because Linux sends
    /// the worker its death signal when the thread that forked it ends (see
    /// `limit_worker`): the worker never outlives the thread that owns it.
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

/// End this thread's idle worker, if any, and reap it (the batch calls it on every
/// thread at the end of a run, so the workers' CPU is counted in piasheet's own).
pub fn end_worker() {
    WORKER.with(|w| w.borrow_mut().take());
}

/// Read one PDF on this thread's worker (started, or replaced, as needed).
pub(super) fn read(exe: &Path, bytes: &[u8], timeout: Duration, max_memory: u64) -> Result<PdfLayout, PdfError> {
    let deadline = Instant::now() + timeout;
    // A worker for another executable or cap is not this one: dropping it ends it.
    let idle = WORKER.with(|w| w.borrow_mut().take()).filter(|w| w.exe == exe && w.asked_memory == max_memory);
    let reused = idle.is_some();
    let worker = match idle {
        Some(w) => w,
        None => Worker::start(exe, max_memory)?,
    };
    match worker.ask(bytes, deadline, timeout) {
        Ok((worker, reply)) => {
            WORKER.with(|w| *w.borrow_mut() = Some(worker));
            reply
        }
        // A timeout is not tried again (it would double the wait); a worker that died
        // after reading other documents is, once, on a fresh one.
        Err(e) if reused && e.code != "timeout" => {
            let worker = Worker::start(exe, max_memory)?;
            match worker.ask(bytes, deadline, timeout) {
                Ok((worker, reply)) => {
                    WORKER.with(|w| *w.borrow_mut() = Some(worker));
                    reply
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    /// Reply frames, read on a thread (the parent waits on the channel with a deadline).
    replies: Receiver<Result<Vec<u8>, String>>,
    /// The worker's stderr since its last [`DOC_MARK`], drained on a thread (a chatty
    /// worker would otherwise block on a full pipe).
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Closed when the stderr thread saw end of file.
    stderr_done: Receiver<()>,
    exe: PathBuf,
    asked_memory: u64,
    /// The cap in force (lower than asked when piasheet runs under a lower one).
    cap: u64,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // An idle worker would exit at end of input too; killing is immediate. Reaped
        // here so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    fn start(exe: &Path, max_memory: u64) -> Result<Worker, PdfError> {
        let mut cmd = Command::new(exe);
        cmd.arg(super::WORKER_ARG).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let cap = super::limit_worker(&mut cmd, max_memory);
        let mut child = cmd.spawn().map_err(|e| PdfError::new("engine_crash", format!("cannot start PDF worker: {e}")))?;
        STARTED.fetch_add(1, Ordering::Relaxed);
        let (Some(stdin), Some(mut stdout), Some(mut err)) = (child.stdin.take(), child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PdfError::new("engine_crash", "PDF worker started without pipes"));
        };
        let (tx, replies) = std::sync::mpsc::channel();
        std::thread::spawn(move || loop {
            let mut len = [0u8; 8];
            if stdout.read_exact(&mut len).is_err() {
                return; // end of output: the worker is gone
            }
            let n = u64::from_le_bytes(len);
            let frame = if n > MAX_REPLY {
                Err(format!("a reply of {n} bytes"))
            } else {
                let mut buf = vec![0u8; n as usize];
                stdout.read_exact(&mut buf).map(|_| buf).map_err(|e| format!("a cut reply ({e})"))
            };
            let stop = frame.is_err();
            if tx.send(frame).is_err() || stop {
                return;
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (done_tx, stderr_done) = std::sync::mpsc::channel::<()>();
        let kept = stderr.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = err.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut k = kept.lock().unwrap_or_else(|p| p.into_inner());
                let new = &chunk[..n];
                match new.iter().rposition(|&b| b == DOC_MARK) {
                    Some(at) => {
                        k.clear();
                        k.extend_from_slice(&new[at + 1..]);
                    }
                    None if k.len() < STDERR_KEPT => k.extend_from_slice(new),
                    None => {}
                }
            }
            drop(done_tx);
        });
        Ok(Worker { child, stdin, replies, stderr, stderr_done, exe: exe.to_path_buf(), asked_memory: max_memory, cap })
    }

    /// Send one document and wait for its reply until `deadline`. `Ok` hands the worker
    /// back for the next document; `Err` means the worker is gone (ended here), and says
    /// why the document failed.
    fn ask(mut self, bytes: &[u8], deadline: Instant, timeout: Duration) -> Result<(Worker, Result<PdfLayout, PdfError>), PdfError> {
        let (stdin, child, replies) = (&mut self.stdin, &mut self.child, &self.replies);
        let ended = std::thread::scope(|s| {
            // Written on a thread: a worker that stops reading (hung, or not a worker at
            // all) must meet the deadline, not block the write. A dead worker closes the
            // pipe and the write fails; its exit status tells why, below.
            s.spawn(move || {
                let _ = stdin.write_all(&(bytes.len() as u64).to_le_bytes()).and_then(|_| stdin.write_all(bytes)).and_then(|_| stdin.flush());
            });
            let ended = match replies.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Ok(frame)) => return Ok(frame),
                Ok(Err(what)) => Err(PdfError::new("engine_crash", format!("PDF worker gave unreadable output: {what}"))),
                Err(RecvTimeoutError::Timeout) => Err(timed_out(timeout)),
                // The worker closed its output: it is exiting; still bounded by the deadline.
                Err(RecvTimeoutError::Disconnected) => loop {
                    match child.try_wait() {
                        Ok(Some(st)) => break Ok(st),
                        Ok(None) if Instant::now() >= deadline => break Err(timed_out(timeout)),
                        Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                        Err(e) => break Err(PdfError::new("engine_crash", format!("lost the PDF worker: {e}"))),
                    }
                },
            };
            // Ends the write too, before the scope waits for it.
            let _ = child.kill();
            Err(ended)
        });
        let status = match ended {
            Ok(frame) => {
                return match serde_json::from_slice::<WorkerReply>(&frame) {
                    Ok(WorkerReply::Ok(layout)) => Ok((self, Ok(layout))),
                    Ok(WorkerReply::Err(e)) => Ok((self, Err(e))),
                    Err(e) => Err(PdfError::new("engine_crash", format!("PDF worker gave unreadable output: {e}"))),
                };
            }
            Err(Err(e)) => return Err(e),
            Err(Ok(status)) => status,
        };
        // Its stderr is complete once the pipe closes (not waited for past a second: a
        // stray grandchild could hold it).
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(1));
        let text = String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
        let how = if status.success() { "ended before replying".to_string() } else { super::exit_description(&status) };
        if super::out_of_memory(&text) {
            return Err(PdfError::new("memory_limit", format!("PDF worker {how}: needed more than {} MiB of memory (--max-memory)", self.cap >> 20)));
        }
        let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        let msg = if first.is_empty() { format!("PDF worker {how}") } else { format!("PDF worker {how}: {first}") };
        Err(PdfError::new("engine_crash", msg))
    }
}

/// The document ran past its time (the worker is killed when `self` drops).
fn timed_out(timeout: Duration) -> PdfError {
    PdfError::new("timeout", format!("PDF engine took longer than {:.1} s", timeout.as_secs_f64()))
}

/// Worker side: serve documents from stdin until it ends. Exit code 0 at end of input.
pub(super) fn serve(mut read_one: impl FnMut(&[u8]) -> WorkerReply) -> i32 {
    let (mut input, mut output) = (std::io::stdin().lock(), std::io::stdout().lock());
    loop {
        let mut len = [0u8; 8];
        if input.read_exact(&mut len).is_err() {
            return 0; // the supervisor closed the pipe: no more documents
        }
        let mut bytes = vec![0u8; u64::from_le_bytes(len) as usize];
        if let Err(e) = input.read_exact(&mut bytes) {
            eprintln!("cannot read the document: {e}");
            return 3;
        }
        let _ = std::io::stderr().write_all(&[DOC_MARK]);
        let reply = read_one(&bytes);
        // Freed before the next document, so each starts from an empty heap.
        drop(bytes);
        let json = match serde_json::to_vec(&reply) {
            Ok(j) => j,
            Err(_) => return 4,
        };
        drop(reply);
        if output.write_all(&(json.len() as u64).to_le_bytes()).and_then(|_| output.write_all(&json)).and_then(|_| output.flush()).is_err() {
            return 4;
        }
    }
}
