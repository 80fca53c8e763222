#!/usr/bin/env python3
"""Mutants of the fixture PDFs, and how many of them pdftotext reads but piasheet fails.

    python3 tools/mutants.py make  tests/fixtures /tmp/mut 2000 --seed 17
    cargo run --release -- extract /tmp/mut -o /tmp/mut-out --timeout 30
    python3 tools/mutants.py score /tmp/mut /tmp/mut-out      # needs poppler-utils

Mutations (one per file, chosen in turn, positions from a seeded RNG):
  flip     1-16 random bytes set to random values anywhere in the file
  burst    a run of 8-256 random bytes written over the file
  trunc    the file cut at a random point (20%-99.9% of its length)
  xref     the xref table / startxref / trailer damaged (digits changed or erased)
  delete   a chunk of 1-4096 bytes removed (every later offset shifts)
  dup      a chunk of 1-4096 bytes inserted again after itself
"""
import json
import os
import random
import re
import subprocess
import sys

KINDS = ["flip", "burst", "trunc", "xref", "delete", "dup"]


def mutate(data, kind, rng):
    d = bytearray(data)
    n = len(d)
    if kind == "flip":
        for _ in range(rng.randint(1, 16)):
            d[rng.randrange(n)] = rng.randrange(256)
    elif kind == "burst":
        k = rng.randint(8, 256)
        at = rng.randrange(n - k)
        d[at:at + k] = bytes(rng.randrange(256) for _ in range(k))
    elif kind == "trunc":
        d = d[: int(n * rng.uniform(0.2, 0.999))]
    elif kind == "xref":
        at = data.rfind(b"xref")
        if at < 0:
            at = n - 200
        tail = range(max(at, 0), n)
        for _ in range(rng.randint(1, 12)):
            i = rng.choice(tail)
            if rng.random() < 0.5:
                d[i] = rng.choice(b"0123456789")
            else:
                d[i] = rng.choice(b" \nx")
    elif kind == "delete":
        k = rng.randint(1, 4096)
        at = rng.randrange(n - k)
        del d[at:at + k]
    elif kind == "dup":
        k = rng.randint(1, 4096)
        at = rng.randrange(n - k)
        d[at + k:at + k] = d[at:at + k]
    return bytes(d)


def make(src, dst, count, seed):
    rng = random.Random(seed)
    pdfs = sorted(f for f in os.listdir(src) if f.endswith(".pdf"))
    os.makedirs(dst, exist_ok=True)
    for i in range(count):
        name = pdfs[i % len(pdfs)]
        kind = KINDS[(i // len(pdfs)) % len(KINDS)]
        data = open(os.path.join(src, name), "rb").read()
        out = mutate(data, kind, rng)
        open(os.path.join(dst, f"m{i:05d}-{kind}-{name}"), "wb").write(out)


def pdftotext_reads(path):
    try:
        r = subprocess.run(["pdftotext", path, "-"], capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return False
    text = r.stdout.decode("utf-8", "replace")
    # "Reads" = exits 0 with at least a sheet title's worth of Japanese text.
    return r.returncode == 0 and sum(1 for c in text if ord(c) > 0x3000) >= 20


def score(mut, out):
    files = sorted(f for f in os.listdir(mut) if f.endswith(".pdf"))
    poppler = piasheet_failed = both = 0
    codes = {}
    by_kind = {}
    for f in files:
        rec_path = os.path.join(out, f[:-4] + ".json")
        try:
            rec = json.load(open(rec_path))
            failed = rec.get("status") == "failed"
            code = (rec.get("error") or {}).get("code")
        except (OSError, ValueError):
            failed, code = True, "no_record"
        reads = pdftotext_reads(os.path.join(mut, f))
        kind = f.split("-")[1]
        k = by_kind.setdefault(kind, [0, 0])
        if reads:
            poppler += 1
            k[0] += 1
            if failed:
                both += 1
                k[1] += 1
                codes[code] = codes.get(code, 0) + 1
        if failed:
            piasheet_failed += 1
    print(f"mutants: {len(files)}  pdftotext reads: {poppler}  piasheet failed: {piasheet_failed}")
    print(f"pdftotext reads but piasheet fails: {both} of {poppler} ({100.0 * both / max(poppler, 1):.2f}%), of all mutants {100.0 * both / max(len(files), 1):.2f}%")
    print("  by kind (pdftotext reads / piasheet fails among them):", {k: tuple(v) for k, v in sorted(by_kind.items())})
    print("  piasheet error codes there:", codes)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 17
        make(sys.argv[2], sys.argv[3], int(sys.argv[4]), seed)
    else:
        score(sys.argv[2], sys.argv[3])
