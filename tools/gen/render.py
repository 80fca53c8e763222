"""Draw a sheet's rows (build.py) as a PDF table form with reportlab.

Two layouts, as two producers would make them:
  "calc": a spreadsheet export: Mincho (HeiseiMin-W3), every cell boxed, labels drawn
          before values, each file's Ⅱ/Ⅲ block on a new page, check boxes in 2 columns.
  "word": a word-processor table: Gothic (HeiseiKakuGo-W5), wider label column, only
          horizontal rules, each value drawn before its label (content-stream order differs
          from reading order), files run on, check boxes in 3 columns, the 変更箇所 header
          printed once (the calc layout repeats it on every page of the table).
Fonts are reportlab's predefined CID fonts (UniJIS-UCS2-H, not embedded), so the PDFs
stay small; the same sheet drawn with an embedded IPA font (`ttf=True`) is what the
pdf-extract dump is made from.
"""
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from reportlab.pdfbase.ttfonts import TTFont

for f in ("HeiseiMin-W3", "HeiseiKakuGo-W5"):
    pdfmetrics.registerFont(UnicodeCIDFont(f))
# IPA fonts (Debian fonts-ipafont-mincho / -gothic), embedded as subsets with ToUnicode:
# pdf-extract 0.12.1 cannot read the predefined CMaps of the CID fonts above (it panics on
# UniJIS-UCS2-H), so sheets that get a dump are drawn with these.
IPA = "/usr/share/fonts/opentype/ipafont-{}.ttf"
pdfmetrics.registerFont(TTFont("IPAMincho", IPA.format("mincho/ipam")))
pdfmetrics.registerFont(TTFont("IPAPGothic", IPA.format("gothic/ipagp")))

LAYOUTS = {
    "calc": dict(font="HeiseiMin-W3", ttf="IPAMincho", size=8.0, lead=11.0, x0=36, lab=(40, 200), val=(204, 422), lst=(426, 562),
                 boxed=True, value_first=False, file_page=True, check_cols=2, repeat_header=True),
    "word": dict(font="HeiseiKakuGo-W5", ttf="IPAPGothic", size=7.5, lead=10.5, x0=30, lab=(32, 236), val=(240, 438), lst=(442, 568),
                 boxed=False, value_first=True, file_page=False, check_cols=3, repeat_header=False),
}
TOP, BOTTOM = 800, 56


def wrap(text, width, font, size):
    """Lines of `text` broken to fit `width` (character by character, as CJK cells wrap)."""
    out = []
    for para in (text or "").split("\n"):
        line = ""
        for ch in para:
            if pdfmetrics.stringWidth(line + ch, font, size) > width and line:
                out.append(line)
                line = ch
            else:
                line += ch
        out.append(line)
    return out


class Pdf:
    def __init__(self, path, layout, ttf):
        self.L = LAYOUTS[layout]
        # Lines are broken by the CID font's metrics in both fonts, so a sheet and its
        # embedded-font twin have the same lines and pages.
        self.draw_font = self.L["ttf"] if ttf else self.L["font"]
        self.c = canvas.Canvas(path, pagesize=A4, pageCompression=1, invariant=1)
        self.c.setTitle("")
        self.page = 1
        self.y = TOP
        self.fresh = True
        self.repeat = None  # rows drawn again at the top of each new page (table header)

    def font(self, size=None):
        self.c.setFont(self.draw_font, size or self.L["size"])

    def text(self, x, y, s, size=None):
        assert "\n" not in (s or ""), s
        if s:
            self.font(size)
            self.c.drawString(x, y, s)

    def new_page(self):
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = TOP
        self.fresh = True

    def footer(self):
        self.text(A4[0] / 2 - 4, 30, str(self.page))

    def need(self, h):
        if self.y - h < BOTTOM and not self.fresh:
            self.new_page()
            if self.repeat:
                self.repeat()

    def cell_box(self, x1, x2, top, h):
        if self.L["boxed"]:
            self.c.setLineWidth(0.4)
            self.c.rect(x1 - 2, top - h, x2 - x1 + 2, h)

    def rule(self, top, h):
        if not self.L["boxed"]:
            self.c.setLineWidth(0.3)
            self.c.line(self.L["x0"], top - h, 570, top - h)

    def lines_at(self, x, top, lines):
        lead = self.L["lead"]
        for i, s in enumerate(lines):
            self.text(x, top - lead * (i + 1) + 2.5, s)

    def place(self, h, draw_parts):
        """Reserve `h` points and run the drawing callables in the layout's order."""
        self.need(h)
        top = self.y
        parts = list(draw_parts)
        if self.L["value_first"]:
            parts.reverse()
        for p in parts:
            p(top)
        self.rule(top, h)
        self.y -= h
        self.fresh = False


def render(path, rows, cover, layout, changes, kind, ttf=False):
    """Draw the sheet; `ttf`: with the embedded IPA font instead of the CID font."""
    p = Pdf(path, layout, ttf)
    L = p.L
    f, sz, lead = L["font"], L["size"], L["lead"]
    # labels wrap short of their column's end: a gap to the value column, as cells have padding
    lab_w = L["lab"][1] - L["lab"][0] - 12
    val_w = L["val"][1] - L["val"][0]
    lst_w = L["lst"][1] - L["lst"][0]
    full_w = 562 - L["x0"]

    # ---- cover
    p.text(420, 805, cover["stamp"], 9)
    p.text(150, 770, cover["title"], 13)
    hdr = cover["header"]
    p.c.setLineWidth(0.5)
    # a cell for each label and each value, as the form's table has
    for x, w in ((40, 120), (160, 400)):
        p.c.rect(x, 718, w, 22)
        p.c.rect(x, 690, w, 28)
    p.text(70, 725, "評価書番号", 9)
    p.text(320, 725, "評価書名", 9)
    p.text(90, 700, hdr["evaluation_number"], 9)
    p.text(170, 700, hdr["title"], 9)
    y = 660
    p.text(200, y, "個人のプライバシー等の権利利益の保護の宣言", 9)
    y -= 14
    for s in wrap(hdr["declaration"], 515, f, 8.5):
        p.text(42, y, s, 8.5)
        y -= 12
    y -= 24
    p.text(270, y, "特記事項", 9)
    y -= 14
    for s in wrap(hdr["special_notes"] or "", 515, f, 8.5):
        p.text(42, y, s, 8.5)
        y -= 12
    y = min(y - 40, 420)
    rows_cover = [("評価実施機関名", hdr["evaluator"])]
    if kind == "zenkomoku":
        rows_cover.append((cover["approved_label"], ""))
    rows_cover.append(("公表日", cover["published_text"]))
    for a, b in rows_cover:
        p.c.rect(40, y - 8, 200, 26)
        p.c.rect(240, y - 8, 320, 26)
        p.text(44, y, a, 9)
        p.text(250, y, b, 9)
        y -= 40
    p.new_page()
    # ---- 項目一覧
    p.text(250, 780, "項目一覧", 11)
    y = 740
    for r in rows:
        if r[0] == "section":
            p.text(60, y, r[1], 10)
            y -= 30
    p.text(60, y, cover["changes_heading"], 10)
    p.new_page()

    for r in rows:
        t = r[0]
        if t == "section":
            if not p.fresh:
                p.new_page()
            p.place(lead * 2, [lambda top, s=r[1]: p.text(L["x0"], top - lead * 1.4, s, sz + 2)])
        elif t == "filebreak":
            if L["file_page"] and not p.fresh and p.y < TOP - 3 * lead:
                p.new_page()
        elif t == "heading":
            ls = wrap(r[1], full_w, f, sz)
            p.place(lead * len(ls), [lambda top, ls=ls: p.lines_at(L["x0"] + 12 * r[2], top, ls)])
        elif t == "field":
            label, value, level = r[1], r[2], r[3]
            lx = L["lab"][0] + 8 * level
            if level == 0:
                # 「３．特定個人情報ファイル名」: the value below its numbered label, full width
                ll = wrap(label, full_w, f, sz)
                vl = wrap(value, full_w - 10, f, sz) if value else [""]
                h = lead * (len(ll) + len(vl))
                p.place(h, [lambda top, ll=ll: p.lines_at(L["x0"], top, ll),
                            lambda top, vl=vl, n=len(ll): p.lines_at(L["x0"] + 6, top - lead * n, vl),
                            lambda top, h=h: p.cell_box(L["x0"] + 4, 562, top, h)])
            else:
                ll = wrap(label, lab_w - 8 * level, f, sz)
                vl = wrap(value, val_w + lst_w, f, sz) if value else [""]
                h = lead * max(len(ll), len(vl))
                p.place(h, [lambda top, ll=ll, lx=lx: p.lines_at(lx, top, ll),
                            lambda top, vl=vl: p.lines_at(L["val"][0], top, vl),
                            lambda top, h=h: (p.cell_box(L["lab"][0], L["lab"][1], top, h), p.cell_box(L["val"][0], 562, top, h))])
        elif t == "choice":
            label, value, opts, level = r[1], r[2], r[3], r[4]
            lx = L["lab"][0] + 8 * level
            ll = wrap(label, lab_w - 8 * level, f, sz)
            ol = ["＜選択肢＞"]
            for i, o in enumerate(opts):
                ol += wrap(f"{i + 1}) {o}", lst_w, f, sz)
            vl = wrap(value or "", val_w - 40, f, sz)
            h = lead * max(len(ll), len(ol))
            mid = len(ol) // 2

            def box(top, vl=vl, mid=mid):
                y = top - lead * (mid + 1) + 2.5
                x1, x2 = L["val"][0] + 6, L["val"][1] - 6
                p.text(x1, y, "[")
                p.text(x2, y, "]")
                for i, s in enumerate(vl):
                    w = pdfmetrics.stringWidth(s, f, sz)
                    p.text((x1 + x2 - w) / 2, y - lead * i, s)

            p.place(h + (lead * (len(vl) - 1) if len(vl) > 1 else 0),
                    [lambda top, ll=ll, lx=lx: p.lines_at(lx, top, ll), box,
                     lambda top, ol=ol: p.lines_at(L["lst"][0], top, ol),
                     lambda top, h=h: (p.cell_box(L["lab"][0], L["lab"][1], top, h), p.cell_box(L["val"][0], 562, top, h))])
        elif t == "checks":
            label, items, level, cols = r[1], r[2], r[3], r[4]
            cols = min(cols, L["check_cols"]) if cols > 1 else 1
            lx = L["lab"][0] + 8 * level
            ll = wrap(label, lab_w - 8 * level, f, sz)
            cw = (562 - L["val"][0]) / cols
            cells = []
            for lab_, on, _ in items:
                mark = "［ ○ ］" if on else "［　 ］"
                cells.append(wrap(mark + lab_, cw - 6, f, sz))
            grid = [cells[i:i + cols] for i in range(0, len(cells), cols)]
            heights = [max(len(c) for c in g) for g in grid]
            h = lead * max(len(ll), sum(heights))

            def draw_grid(top, grid=grid, heights=heights, cw=cw):
                y = top
                for g, gh in zip(grid, heights):
                    for j, c in enumerate(g):
                        p.lines_at(L["val"][0] + cw * j, y, c)
                    y -= lead * gh

            p.place(h, [lambda top, ll=ll, lx=lx: p.lines_at(lx, top, ll), draw_grid,
                        lambda top, h=h: (p.cell_box(L["lab"][0], L["lab"][1], top, h), p.cell_box(L["val"][0], 562, top, h))])
        elif t == "boxes":
            label, out = r[1], r[2]
            bx = [("［ ○ ］" if v else "［　 ］") + a for a, v in out]
            # the heading takes the row but for the boxes at its right end
            ll = wrap(label, 562 - L["x0"] - 110 * len(bx) - 8, f, sz)
            h = lead * len(ll)

            def draw_boxes(top, bx=bx):
                x = 562 - 110 * len(bx)
                for s in bx:
                    p.text(x, top - lead + 2.5, s)
                    x += 110

            p.place(h, [lambda top, ll=ll: p.lines_at(L["x0"], top, ll), draw_boxes])
        elif t == "line":
            ls = wrap(r[1], val_w + lst_w, f, sz)
            p.place(lead * (len(ls) + 0.2), [lambda top, ls=ls: p.lines_at(L["val"][0] + 4, top, ls)])
        elif t == "opener":
            label, value = r[1], r[2]
            vl = wrap(value or "", val_w + lst_w, f, sz)
            h = lead * len(vl)
            p.place(h, [lambda top: p.lines_at(L["lab"][0], top, [label]),
                        lambda top, vl=vl: p.lines_at(L["val"][0], top, vl)])
        elif t == "zone":
            for s in wrap(r[1], full_w, f, sz):
                p.place(lead, [lambda top, s=s: p.text(L["x0"], top - lead + 2.5, s)])
        else:
            raise ValueError(t)

    # ---- 変更箇所
    if not p.fresh:
        p.new_page()
    p.place(lead * 2, [lambda top: p.text(L["x0"], top - lead * 1.4, cover["changes_heading"], sz + 2)])
    cols = [(36, 100), (100, 200), (200, 330), (330, 460), (460, 500), (500, 562)]
    heads = ["変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明"]

    def table_row(cells):
        wrapped = [wrap(c or "", x2 - x1 - 4, f, sz) for c, (x1, x2) in zip(cells, cols)]
        h = lead * max(len(w) for w in wrapped) + 4

        def draw(top, wrapped=wrapped, h=h):
            for w, (x1, x2) in zip(wrapped, cols):
                p.lines_at(x1 + 2, top - 2, w)
                p.c.setLineWidth(0.4)
                p.c.rect(x1, top - h, x2 - x1, h)
        p.place(h, [draw])

    table_row(heads)
    if L["repeat_header"]:
        # a spreadsheet's print titles: the header again on every page the table spans
        p.repeat = lambda: table_row(heads)
    for ch in changes:
        table_row([ch["date_text"], ch["item"], ch["before"], ch["after"], ch["timing"], ch["timing_note"]])
    p.footer()
    p.c.showPage()
    p.c.save()
    return p.page
