#!/usr/bin/env python3
"""Generate 重点/全項目 sheets: PDF + expected record, and the pdf-extract dump of each PDF.

    python3 tools/gen/gen.py --count 200 --seed 12 --out tests/generated [--dump BIN]

Sheet i uses form FORMS[i % 5] (the five stamps of issue #12) and layout
("calc", "word")[(i // 5) % 2]; its values come from Random(seed * 100003 + i), so the
same arguments give the same files. --dump names the `dump_text` example binary
(`cargo build --release --example dump_text`): NAME.txt is what pdf-extract returns for
NAME-ipa.pdf (NAME.pdf drawn with embedded IPA fonts), with NAME.txt.expected.json beside
it (the same record, another `source`).
See docs/generated-sheets.md.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build import build  # noqa: E402
from record import FORMS, load_bodies  # noqa: E402
from render import render  # noqa: E402

LAYOUTS = ("calc", "word")


def source(path, fmt, pages):
    data = open(path, "rb").read()
    return {"file": os.path.basename(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
            "format": fmt, "encoding": None if fmt == "pdf" else "UTF-8", "pages": pages}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dump", help="dump_text binary: also write NAME.txt")
    ap.add_argument("--only", type=int, help="just sheet number I")
    ap.add_argument("--no-twin", action="store_true", help="skip the embedded-font twins (and dumps)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    bodies = load_bodies()
    for i in range(a.count):
        if a.only is not None and i != a.only:
            continue
        form = FORMS[i % len(FORMS)]
        layout = LAYOUTS[(i // len(FORMS)) % len(LAYOUTS)]
        record, rows, cover = build(form, a.seed * 100003 + i, bodies, layout)
        name = f"g{i:03d}-{form[2]}-{layout}"
        cover["header"] = record["header"]
        cover["changes_heading"] = "（別添３）変更箇所" if form[0] == "zenkomoku" else "（別添２）変更箇所"
        pdf = os.path.join(a.out, name + ".pdf")
        pages = render(pdf, rows, cover, layout, record["changes"], form[0])
        record["source"] = source(pdf, "pdf", pages)
        with open(pdf + ".expected.json", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        # The twin with embedded fonts: pdf-extract panics on the CID fonts' predefined
        # CMaps, so the dump is made from it (same lines, same pages).
        if a.no_twin:
            continue
        twin = os.path.join(a.out, name + "-ipa.pdf")
        assert render(twin, rows, cover, layout, record["changes"], form[0], ttf=True) == pages
        record["source"] = source(twin, "pdf", pages)
        with open(twin + ".expected.json", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        if a.dump:
            txt = os.path.join(a.out, name + ".txt")
            with open(txt, "wb") as f:
                subprocess.run([a.dump, twin], stdout=f, check=True)
            record["source"] = source(txt, "text", None)
            with open(txt + ".expected.json", "w", encoding="utf-8") as f:
                json.dump(record, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
