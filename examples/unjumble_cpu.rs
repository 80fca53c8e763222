//! CPU of reading a drawing-order (pdf-extract) dump, and of its unjumble stage alone:
//!
//!     cargo run --release --example unjumble_cpu -- DUMP.txt [RUNS]
use std::time::{Duration, Instant};

// The same allocator as the CLI, so the numbers are the tool's (as in `stages`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of this thread: the machine is shared, so wall time says little.
fn cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: unjumble_cpu DUMP.txt [RUNS]");
    let runs: u32 = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(50);
    let bytes = std::fs::read(path).expect("readable dump");
    let text = String::from_utf8_lossy(&bytes).to_string();
    let (t, c) = (Instant::now(), cpu());
    for _ in 0..runs {
        std::hint::black_box(piasheet::extract_text_dump(path, &bytes));
    }
    let (whole, whole_cpu) = (t.elapsed() / runs, (cpu() - c) / runs);
    let set = piasheet::form::FormSet::builtin();
    let lines = piasheet::reassemble::lines_of(&text);
    let stamp = piasheet::engine::stamp(&lines).expect("a version stamp");
    let kind = set.kind_by_number(stamp.2).expect("a kind");
    let (form, _) = set.form_for(&kind.kind, Some(&stamp.0)).expect("a form");
    let n = lines.len();
    let (t, c) = (Instant::now(), cpu());
    for _ in 0..runs {
        std::hint::black_box(piasheet::engine::unjumble(form, &set.common, lines.clone(), 0, n));
    }
    let (stage, stage_cpu) = (t.elapsed() / runs, (cpu() - c) / runs);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{path}: whole read {:.2} ms CPU ({:.2} ms wall), unjumble {:.2} ms CPU ({:.2} ms wall, incl. a copy of the lines), {} lines",
        ms(whole_cpu),
        ms(whole),
        ms(stage_cpu),
        ms(stage),
        n
    );
}
