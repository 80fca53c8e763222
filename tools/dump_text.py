#!/usr/bin/env python3
"""Dump the PDFs of a folder as text the way one extractor prints them, with the
expected records beside the dumps, so that `piasheet extract` + `score.py --dir` score
the tool on that extractor's text of sheets it was not built on.

usage: dump_text.py TOOL IN_DIR OUT_DIR [--every N] [--limit N]

TOOL: pdfplumber (page.extract_text() per page, joined with "\\n"), pdfminer
(extract_text), pdftotext, pdftotext-layout, pdftotext-raw, pymupdf, pymupdf-sort
(whichever is installed). For IN_DIR/NAME.pdf it writes OUT_DIR/NAME.txt and copies
the expected record (NAME.pdf.expected.json, NAME.expected.json or the generated sets'
NAME.json.gz) to OUT_DIR/NAME.txt.expected.json. --every N takes every Nth PDF (sorted
by name; generated sets cycle through kinds and producers), --limit N at most N.

  python3 tools/dump_text.py pdfplumber tests/generated /tmp/plumb-gen --every 20
  target/release/piasheet extract /tmp/plumb-gen -o /tmp/plumb-gen-out -q
  python3 ../shared/tools/score.py --dir /tmp/plumb-gen /tmp/plumb-gen-out
"""
import gzip
import os
import shutil
import subprocess
import sys


def pdfplumber_text(path):
    import pdfplumber
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def pdfminer_text(path):
    from pdfminer.high_level import extract_text
    return extract_text(path)


def pdftotext(*flags):
    def run(path):
        return subprocess.run(["pdftotext", *flags, path, "-"], check=True, capture_output=True).stdout.decode("utf-8", "replace")
    return run


def pymupdf(sort):
    def run(path):
        import fitz
        with fitz.open(path) as doc:
            return "".join(page.get_text(sort=sort) for page in doc)
    return run


TOOLS = {
    "pdfplumber": pdfplumber_text,
    "pdfminer": pdfminer_text,
    "pdftotext": pdftotext(),
    "pdftotext-layout": pdftotext("-layout"),
    "pdftotext-raw": pdftotext("-raw"),
    "pymupdf": pymupdf(False),
    "pymupdf-sort": pymupdf(True),
}


def expected_of(in_dir, stem):
    for name in (stem + ".pdf.expected.json", stem + ".expected.json"):
        p = os.path.join(in_dir, name)
        if os.path.exists(p):
            return open(p, "rb").read()
    p = os.path.join(in_dir, stem + ".json.gz")
    if os.path.exists(p):
        return gzip.open(p).read()
    return None


def main(argv):
    opts = {}
    args = []
    it = iter(argv)
    for a in it:
        if a in ("--every", "--limit"):
            opts[a] = int(next(it))
        else:
            args.append(a)
    if len(args) != 3 or args[0] not in TOOLS:
        sys.exit(__doc__ + "\ntools: " + ", ".join(TOOLS))
    tool, in_dir, out_dir = args
    os.makedirs(out_dir, exist_ok=True)
    pdfs = sorted(n for n in os.listdir(in_dir) if n.endswith(".pdf"))
    pdfs = pdfs[:: opts.get("--every", 1)][: opts.get("--limit", len(pdfs))]
    for name in pdfs:
        stem = name[: -len(".pdf")]
        try:
            text = TOOLS[tool](os.path.join(in_dir, name))
        except Exception as err:  # a PDF the extractor fails on is reported, not fatal
            print(f"{name}: {tool} failed: {err}", file=sys.stderr)
            continue
        with open(os.path.join(out_dir, stem + ".txt"), "w") as f:
            f.write(text)
        exp = expected_of(in_dir, stem)
        if exp is not None:
            with open(os.path.join(out_dir, stem + ".txt.expected.json"), "wb") as f:
                f.write(exp)
        print(f"{name}: {len(text)} chars{'' if exp is not None else ' (no expected record)'}")


if __name__ == "__main__":
    main(sys.argv[1:])
