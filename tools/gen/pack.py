#!/usr/bin/env python3
"""Copy a generated set into the repository's form: NAME.pdf as is, the record of the PDF
as NAME.json.gz and the pdf-extract dump as NAME.txt.gz (gzip with mtime 0, so the same
input gives the same bytes).

    python3 tools/gen/pack.py GEN_DIR tests/generated [--twins 2,8]

The embedded-font twins (NAME-ipa.pdf, 170–330 kB each) are copied only for the sheets
numbered in --twins, to keep the repository small; the dumps of all are kept.
"""
import gzip
import os
import shutil
import sys


def gz(src, dst):
    with open(src, "rb") as f, open(dst, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as g:
            g.write(f.read())


def main():
    src, dst = sys.argv[1], sys.argv[2]
    twins = {2, 8}
    if "--twins" in sys.argv:
        twins = {int(x) for x in sys.argv[sys.argv.index("--twins") + 1].split(",")}
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if not name.endswith(".pdf"):
            continue
        if name.endswith("-ipa.pdf"):
            if int(name[1:4]) in twins:
                shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
            continue
        stem = name[:-4]
        shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
        gz(os.path.join(src, name + ".expected.json"), os.path.join(dst, stem + ".json.gz"))
        txt = os.path.join(src, stem + ".txt")
        if os.path.exists(txt):
            gz(txt, os.path.join(dst, stem + ".txt.gz"))


if __name__ == "__main__":
    main()
