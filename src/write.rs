//! Write: outputs land whole or not at all (temporary file, then rename), so an
//! interrupted run never leaves a truncated JSON behind.

use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` atomically: a temporary file in the same folder, written,
/// then renamed over the target.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    atomic_write_with(path, |f| f.write_all(bytes))
}

/// [`atomic_write`] of what `write` writes into the temporary file: an output made as
/// it is written (a large record's pretty JSON), never held whole in memory.
pub fn atomic_write_with(path: &Path, write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // perf: create each output folder once per thread, not once per file (a mkdir and
    // a stat saved for every document of a folder).
    thread_local!(static MADE: std::cell::RefCell<std::collections::HashSet<std::path::PathBuf>> = Default::default());
    if !MADE.with(|m| m.borrow().contains(dir)) {
        std::fs::create_dir_all(dir)?;
        MADE.with(|m| m.borrow_mut().insert(dir.to_path_buf()));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", pid()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        write(&mut f)?;
        // No fsync per file. The temporary file + rename already guarantees an
        // interrupted run never leaves a truncated JSON (the rename is atomic); an
        // fsync only adds durability against power loss, and cost ~2 ms of I/O wait per
        // document (most of the wall time of a corpus run).
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// An exclusive lock on an output folder, held while it lives (released by the kernel
/// when the process ends, however it ends: a killed run never leaves it held).
///
/// The lock is taken on the folder itself (`flock` on its descriptor), not on a lock
/// file: nothing is left in the folder, and no lock file can be deleted under a run.
/// The descriptor is close-on-exec, so PDF workers never hold it.
#[derive(Debug)]
pub struct DirLock {
    _dir: std::fs::File,
}

/// Why [`lock_dir`] did not lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock: another run writes into this folder.
    #[error("another piasheet run is writing into {0}; wait for it to end or choose another output folder (-o)")]
    Busy(std::path::PathBuf),
    /// The folder cannot be created or opened (a file of that name, permissions, …).
    #[error("cannot use {0} as the output folder: {1}")]
    Io(std::path::PathBuf, std::io::Error),
}

/// Create `dir` if need be and lock it for this run; fails at once (never waits) if
/// another process holds it.
pub fn lock_dir(dir: &Path) -> Result<DirLock, LockError> {
    let io = |e| LockError::Io(dir.to_path_buf(), e);
    std::fs::create_dir_all(dir).map_err(io)?;
    let f = std::fs::File::open(dir).map_err(io)?;
    match f.try_lock() {
        Ok(()) => Ok(DirLock { _dir: f }),
        Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Busy(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

/// This process's id (a system call each time otherwise).
fn pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Remove temporary files (`.NAME.PID.tmp`) left in `dir` (recursively) by a run that
/// was killed mid-write. Files of a process that is still running are kept (Linux:
/// checked in /proc; elsewhere every such file is removed). Returns how many went.
pub fn remove_stale_tmp(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            removed += remove_stale_tmp(&path);
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")).and_then(|n| n.rsplit_once('.')).map(|(_, pid)| pid) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        let alive = pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists();
        if !alive && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// A file written as a stream and put in place only by [`AtomicFile::commit`]: the
/// same temporary-then-rename as [`atomic_write`], for outputs too large to hold in memory.
pub struct AtomicFile {
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
    out: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> std::io::Result<AtomicFile> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        // perf (issue #16): a dataset file gets 5-20 KB per document; with the default 8 KB
        // buffer that was a write system call per document and file. Not larger: a run
        // holds one per dataset file (tests/deferred_memory.rs bounds a large record's).
        let out = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp)?);
        Ok(AtomicFile { tmp, path: path.to_path_buf(), out: Some(out) })
    }

    /// Flush, sync and rename over the target.
    pub fn commit(mut self) -> std::io::Result<()> {
        let Some(out) = self.out.take() else { return Ok(()) };
        let result = out.into_inner().map_err(|e| e.into_error()).and_then(|f| f.sync_all()).and_then(|_| std::fs::rename(&self.tmp, &self.path));
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().map_or(Ok(0), |o| o.write(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().map_or(Ok(()), |o| o.flush())
    }
}

impl Drop for AtomicFile {
    /// Not committed (an error on the way): leave no temporary file behind.
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = std::env::temp_dir().join(format!("piasheet-write-{}", std::process::id()));
        let p = dir.join("sub/a.json");
        super::atomic_write(&p, b"one").unwrap();
        super::atomic_write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_locked_folder_refuses_a_second_lock_until_released() {
        let dir = std::env::temp_dir().join(format!("piasheet-lock-{}", std::process::id()));
        let first = super::lock_dir(&dir.join("out")).unwrap();
        // flock locks belong to an open file description: a second open conflicts even
        // within one process, as a second run's would.
        assert!(matches!(super::lock_dir(&dir.join("out")), Err(super::LockError::Busy(_))));
        drop(first);
        assert!(super::lock_dir(&dir.join("out")).is_ok());
        assert_eq!(std::fs::read_dir(dir.join("out")).unwrap().count(), 0, "no lock file left");
        std::fs::write(dir.join("file"), b"x").unwrap();
        assert!(matches!(super::lock_dir(&dir.join("file")), Err(super::LockError::Io(..))));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn stale_tmp_files_are_removed() {
        let dir = std::env::temp_dir().join(format!("piasheet-stale-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        // PID 0 is never a user process, so its file is stale.
        for f in ["sub/.a.json.0.tmp", "b.json", ".hidden", "sub/.c.json.x.tmp"] {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
        assert_eq!(super::remove_stale_tmp(&dir), 1);
        assert!(!dir.join("sub/.a.json.0.tmp").exists() && dir.join("b.json").exists() && dir.join(".hidden").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
