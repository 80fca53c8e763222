#!/usr/bin/env python3
"""Redraw a sheet PDF with a predefined-CMap font (reportlab's HeiseiMin-W3, encoded
UniJIS-UCS2-H, not embedded, no ToUnicode), the way older Acrobat / 一太郎 output and
non-embedded MS fonts look to a reader. Text comes from `pdftotext -bbox-layout` (each
word at its position and size), ruling lines from the source's content streams (the
m/l/re/S/f operators under q/Q/cm), so cells rebuild as in the source.

Needs reportlab and pdftotext (poppler-utils); only to regenerate the fixture, never
in CI:

    python3 tools/make_cmap_fixture.py tests/fixtures/kiso-golden.pdf tests/fixtures/cmap/kiso-golden-ucs2.pdf
"""
import html
import re
import subprocess
import sys
import zlib

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas


def words(src):
    out = subprocess.run(["pdftotext", "-bbox-layout", src, "-"], capture_output=True, check=True).stdout.decode()
    pages = []
    for page in re.split(r"<page ", out)[1:]:
        w, h = (float(x) for x in re.match(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        ws = []
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            ws.append((x0, y0, x1, y1, html.unescape(m.group(5))))
        pages.append(((w, h), ws))
    return pages


def mul(a, b):
    # Row-vector matrices [a b c d e f]: a then b.
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
            a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def ap(m, x, y):
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])


def page_rules(data):
    """Segments of each page's content, in page order (PDF user space)."""
    objs = {int(m.group(1)): m.end() for m in re.finditer(rb"(\d+) 0 obj", data)}

    def body(n):
        s = objs[n]
        return data[s:data.index(b"endobj", s)]

    root = int(re.search(rb"/Root (\d+) 0 R", data).group(1))
    pages_id = int(re.search(rb"/Pages (\d+) 0 R", body(root)).group(1))

    def kids(n):
        b = body(n)
        if re.search(rb"/Type\s*/Pages", b):
            out = []
            for k in re.findall(rb"(\d+) 0 R", re.search(rb"/Kids\s*\[(.*?)\]", b, re.S).group(1)):
                out += kids(int(k))
            return out
        return [n]

    result = []
    for p in kids(pages_id):
        segs = []
        for c in re.findall(rb"(\d+) 0 R", re.search(rb"/Contents\s*(\[.*?\]|\d+ 0 R)", body(p), re.S).group(1)):
            b = body(int(c))
            raw = b[b.index(b"stream") + 6:].lstrip(b"\r\n")
            try:
                content = zlib.decompressobj().decompress(raw)
            except zlib.error:
                content = raw
            toks = re.findall(rb"[-+]?\d*\.?\d+|[A-Za-z*']+", re.sub(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|/\S+", b" ", content))
            ctm, stack, ops, path, cur = [1, 0, 0, 1, 0, 0], [], [], [], None
            for t in toks:
                if re.match(rb"[-+]?\d*\.?\d+$", t):
                    ops.append(float(t))
                    continue
                t = t.decode()
                if t == "q":
                    stack.append(ctm)
                elif t == "Q" and stack:
                    ctm = stack.pop()
                elif t == "cm" and len(ops) >= 6:
                    ctm = mul(ops[-6:], ctm)
                elif t == "m" and len(ops) >= 2:
                    cur = ap(ctm, *ops[-2:])
                elif t == "l" and len(ops) >= 2 and cur:
                    p2 = ap(ctm, *ops[-2:])
                    path.append((cur, p2))
                    cur = p2
                elif t == "re" and len(ops) >= 4:
                    x, y, w, h = ops[-4:]
                    pts = [ap(ctm, x, y), ap(ctm, x + w, y), ap(ctm, x + w, y + h), ap(ctm, x, y + h)]
                    path += [(pts[i], pts[(i + 1) % 4]) for i in range(4)]
                elif t in ("S", "s", "f", "F", "f*", "B", "b"):
                    segs += path
                    path = []
                elif t == "n":
                    path = []
                ops = []
            segs += path
        result.append(segs)
    return result


def main(src, dst):
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    rules = page_rules(open(src, "rb").read())
    pages = words(src)
    c = canvas.Canvas(dst, pagesize=pages[0][0], invariant=1, pageCompression=1)
    for i, ((w, h), ws) in enumerate(pages):
        c.setPageSize((w, h))
        c.setLineWidth(0.6)
        for (a, b) in rules[i] if i < len(rules) else []:
            c.line(a[0], a[1], b[0], b[1])
        for x0, y0, x1, y1, text in ws:
            size = y1 - y0
            # pdftotext's box runs from the ascent to the descent (about 0.12 em for
            # Japanese fonts): the baseline sits that far above the box's bottom.
            # Widths differ from the source's font: scale each word (Tz) to its box, so
            # words neither overlap nor cross a rule.
            natural = pdfmetrics.stringWidth(text, "HeiseiMin-W3", size)
            t = c.beginText(x0, h - (y1 - 0.12 * size))
            t.setFont("HeiseiMin-W3", size)
            if natural > 0:
                t.setHorizScale(100.0 * (x1 - x0) / natural)
            t.textOut(text)
            c.drawText(t)
        c.showPage()
    c.save()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
