//! Helpers of the robustness tests (walk, limits, outputs): temporary folders, the CLI
//! run under a deadline (so a hang fails the test instead of stalling it), a process
//! without root's permission bypass, and generated hostile PDFs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt");
pub const GOOD_PDF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kiso-b.pdf");

/// A fresh folder for one test.
pub fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("piasheet-robust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn piasheet() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_piasheet"));
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Run `cmd`; past `secs`, kill it and fail: a run that hangs is a failed test.
pub fn output_within(cmd: &mut Command, secs: u64) -> Output {
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut b);
        b
    });
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {secs}s: killed (a hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output { status, stdout: out_t.join().unwrap(), stderr: err_t.join().unwrap() }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Lines of a JSON Lines file.
pub fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Make `cmd` run without the power to ignore file permissions, so chmod 000 really
/// denies it. Root keeps its uid but loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from
/// its bounding set before exec (what exec grants root is limited to that set).
pub fn without_permission_bypass(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    if !is_root() {
        return;
    }
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            for cap in [1, 2] {
                // CAP_DAC_OVERRIDE = 1, CAP_DAC_READ_SEARCH = 2
                if libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// Check that a process set up by [`without_permission_bypass`] is really denied
/// `path` (mode 000): the permission tests rest on it, so it is asserted, not assumed.
pub fn assert_denied(path: &Path) {
    let mut ls = Command::new("ls");
    ls.arg(path).stdout(Stdio::null()).stderr(Stdio::null());
    without_permission_bypass(&mut ls);
    let st = ls.status().expect("run ls");
    assert!(!st.success(), "{} is still readable: the permission test would prove nothing", path.display());
}

/// Object bodies (object i+1 = bodies[i]) → a PDF with a correct xref table.
pub fn build_pdf(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(b);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", bodies.len() + 1).as_bytes());
    out
}

/// A one-page PDF of about 64 KiB whose content stream inflates to `mib` MiB of `q Q`:
/// every operator becomes an object in the engine, tens of bytes each, so reading it
/// needs many times `mib` MiB of memory.
pub fn memory_bomb_pdf(mib: usize) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = b"q Q\n".repeat(1 << 18); // 1 MiB
    for _ in 0..mib {
        z.write_all(&block).unwrap();
    }
    let data = z.finish().unwrap();
    let mut content = format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", data.len()).into_bytes();
    content.extend_from_slice(&data);
    content.extend_from_slice(b"\nendstream");
    build_pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>".to_vec(),
        content,
    ])
}
