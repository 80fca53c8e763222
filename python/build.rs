//! Puts the PDF worker — the `piasheet` binary of the root crate — at
//! `piasheet/_bin/piasheet`, from where maturin packs it into the wheel. PDFs are
//! read by that binary in a worker process, never inside the Python interpreter.
//!
//! `PIASHEET_WORKER=/path/to/piasheet` copies a binary already built (CI does so with
//! the one `cargo test --release` made); otherwise the binary is built here with a
//! nested `cargo build --release` into its own target folder (a build holds a lock on
//! its target folder, so the nested build cannot share it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().expect("python/ has a parent").to_path_buf();
    let dest_dir = manifest.join("piasheet").join("_bin");
    let dest = dest_dir.join("piasheet");
    println!("cargo:rerun-if-env-changed=PIASHEET_WORKER");
    println!("cargo:rerun-if-changed=build.rs");
    for p in ["src", "rules", "data", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    std::fs::create_dir_all(&dest_dir).expect("create piasheet/_bin");
    let built = match std::env::var_os("PIASHEET_WORKER") {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            println!("cargo:rerun-if-changed={}", p.display());
            p
        }
        _ => build_worker(&root),
    };
    copy_exe(&built, &dest);
}

fn build_worker(root: &Path) -> PathBuf {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out: keep the worker's target
    // folder beside the main one, so it survives rebuilds of this crate.
    let target = out.ancestors().nth(4).map(|t| t.join("piasheet-worker")).unwrap_or_else(|| out.join("worker-target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--locked", "--bin", "piasheet", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        // A worker binary needs no debug info.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "symbols")
        .status()
        .expect("run cargo to build the piasheet worker binary");
    assert!(status.success(), "building the piasheet worker binary failed");
    target.join("release").join(format!("piasheet{}", std::env::consts::EXE_SUFFIX))
}

fn copy_exe(from: &Path, to: &Path) {
    let tmp = to.with_extension("tmp");
    std::fs::copy(from, &tmp).unwrap_or_else(|e| panic!("copy {} → {}: {e}", from.display(), tmp.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).expect("chmod worker");
    }
    std::fs::rename(&tmp, to).expect("put the worker in place");
}
