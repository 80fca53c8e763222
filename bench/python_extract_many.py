"""Wall time of extract_many against `piasheet extract` on the same files.

    cargo run --release --example make_corpus -- 1000 /tmp/c1k --seed 11
    python bench/python_extract_many.py /tmp/c1k/in [--runs 7] [--cli PATH]

Runs alternate (CLI, Python, CLI, …) so both see the same machine load; each side is
timed as a whole process (interpreter start and import included for Python; writing
the outputs included for the CLI, which is its job). Prints every run and the medians.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ONE_PY = "import sys, piasheet\nn = sum(1 for r in piasheet.extract_many(sys.argv[1]) if r['status'] != 'failed')\nprint(n)"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cli", help="the piasheet binary (default: the one the package uses)")
    a = ap.parse_args()
    import piasheet

    cli = a.cli or piasheet.worker_path()
    cli_times, py_times = [], []
    for i in range(a.runs):
        out = tempfile.mkdtemp(prefix="piasheet-bench-")
        t = time.perf_counter()
        subprocess.run([cli, "extract", a.folder, "-o", out, "-q"], check=False)
        cli_times.append(time.perf_counter() - t)
        shutil.rmtree(out)
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", ONE_PY, a.folder], capture_output=True, text=True, check=True).stdout.strip()
        py_times.append(time.perf_counter() - t)
        print(f"run {i + 1}: piasheet extract {cli_times[-1]:.2f}s   extract_many {py_times[-1]:.2f}s ({done} records)")
    print(f"median: piasheet extract {statistics.median(cli_times):.2f}s   extract_many {statistics.median(py_times):.2f}s   ({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
