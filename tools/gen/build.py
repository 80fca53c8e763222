"""Build one sheet: its record (the expected JSON) and the list of printed rows.

`build(form, seed, layout)` walks the form description in printed order. Every leaf gets
a value (record.py pools) that obeys the form's logic; the same walk emits the rows the
renderer draws, so what is printed and what is expected cannot drift apart.
"""
import datetime
import random
import re

from record import (CONTRACT_TITLES, CONTRACTORS, DEPTS, FILES, ITEMS, LISTS, MAY_BE_EMPTY, NAMES,
                    NOT_PRINTED, RECIPIENTS, SECTIONS, SYSTEMS, AFFAIRS, COMMON, Gen, choice_of, era, join,
                    load_rules, rand_date, to_wide)

STAMP_DATE = {"平成26年4月": datetime.date(2014, 4, 1), "平成28年1月": datetime.date(2016, 1, 1),
              "平成30年5月": datetime.date(2018, 5, 21)}
WIDE = "０１２３４５６７８９"
MARKED = {"affair_content", "basic.file_type", "basic.scope", "use.departments", "outsourcing.outsourced", "subcontract",
          "acquisition.sources", "acquisition.methods", "connections", "basic.record_items.main", "use.purpose",
          "file_register"}


def wide_num(n):
    return "".join(WIDE[int(c)] for c in str(n))


def setp(obj, path, value):
    """Set a dotted path in nested dicts."""
    parts = path.split(".")
    for p in parts[:-1]:
        obj = obj.setdefault(p, {})
    obj[parts[-1]] = value


def getp(obj, path):
    for p in path.split("."):
        if not isinstance(obj, dict) or p not in obj:
            return None
        obj = obj[p]
    return obj


class Sheet:
    def __init__(self, form, seed, bodies, layout):
        kind, version, rid = form
        self.kind, self.version, self.rid = kind, version, rid
        self.rules = load_rules(rid)
        self.rng = rng = random.Random(seed)
        self.layout = layout
        self.body = rng.choice(bodies)
        self.affair = rng.choice(AFFAIRS)
        self.g = Gen(rng, self.body, self.affair)
        self.wide_dates = rng.random() < 0.3
        self.marks = rng.choice(["", "　※", " ※"])
        lo = STAMP_DATE[version] + datetime.timedelta(days=200)
        self.published = rand_date(rng, lo, min(lo + datetime.timedelta(days=365 * 5), datetime.date(2025, 3, 31)))
        # Dates in the body come before publication.
        self.early = STAMP_DATE[version]
        self.rows = []
        self.record = None

    # -- values -------------------------------------------------------------

    def date(self, lo=None, hi=None):
        lo = lo or max(self.early - datetime.timedelta(days=300), STAMP_DATE[self.version])
        d = rand_date(self.rng, lo, hi or self.published - datetime.timedelta(days=20))
        return d, era(d, self.wide_dates)

    def dept(self):
        return self.rng.choice(DEPTS) + "　" + self.section

    def text_value(self, leaf, path, ctx):
        rng, g = self.rng, self.g
        if leaf in MAY_BE_EMPTY and rng.random() < 0.3:
            return None
        if leaf == "other_evaluators":
            return self.body["name"] + rng.choice(["教育委員会", "選挙管理委員会"])
        if path == "basic.file_name":
            return "\n".join(f"（{wide_num(i + 1)}）{f['name']}" for i, f in enumerate(self.files))
        if leaf == "contractor":
            return rng.choice(CONTRACTORS)
        if leaf in ("basis", "number_use_basis", "network_linkage_basis"):
            n = rng.randint(1, 120)
            lines = [f"番号法第{rng.choice([9, 19])}条第{rng.randint(1, 8)}号　別表第{rng.choice(['一', '二'])}の{n}の項"]
            if rng.random() < 0.5:
                lines.append("行政手続における特定の個人を識別するための番号の利用等に関する法律別表第二の主務省令で定める事務を定める命令"
                             f"第{rng.randint(2, 50)}条")
            return "\n".join(lines)
        if leaf in ("request_contact", "inquiry_contact"):
            return (f"{self.body['name']}{self.dept().replace('　', '')}\n〒{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
                    f"　{self.body['name']}{rng.choice(['本町', '旭町', '中央'])}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
                    + (f"\n0{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}" if leaf == "inquiry_contact" else ""))
        if leaf == "departments":
            return "\n".join(self.dept() for _ in range(rng.randint(1, 3)))
        if leaf in ("timing",):
            return rng.choice(["随時（照会を受けた都度）", "年1回（毎年7月）及び随時", "月1回", "申請の都度"])
        if leaf == "fee_detail":
            # written inside 「（手数料額、納付方法：　）」 on one line
            return rng.choice(["写しの交付に要する費用（白黒1枚10円）、窓口又は郵便振替により納付",
                               "1件につき300円、現金により納付", "写しの作成に要する費用、納付書により納付"])
        if leaf == "file_register_name":
            return self.affair.replace("に関する事務", "") + "台帳"
        if leaf == "file_register_place":
            return f"{self.body['name']}のホームページ"
        if leaf in ("purpose",) and ctx == "recipient":
            return rng.choice(AFFAIRS)
        return g.text()

    # -- rows ---------------------------------------------------------------

    def row(self, *r):
        self.rows.append(r)

    def walk(self):
        rng = self.rng
        r = self.record
        self.section = rng.choice(SECTIONS)
        # Structure first: what the filing has, so that every answer agrees with it.
        nfiles = rng.choice([1, 1, 2, 2, 3])
        names = rng.sample(FILES, nfiles)
        prefix = self.affair.replace("に関する事務", "")
        self.files = []
        for n in names:
            outsourced = rng.random() < 0.75
            prov = rng.random() < 0.6
            trans = rng.random() < 0.4
            self.files.append({
                "name": prefix + n,
                "contracts": rng.randint(1, 3) if outsourced else 0,
                "provision": rng.randint(1, 3) if prov else 0,
                "transfer": rng.randint(1, 2) if trans else 0,
            })
        self.nsystems = rng.randint(1, 4)
        self.link = rng.random() < 0.85
        # Sections in printed order.
        for sec in self.rules["body"]:
            self.row("section", sec["heading"][0])
            if sec["section"].startswith("別添"):
                self.zone(sec)
                continue
            base = r
            if sec["path"]:
                base = r.setdefault(sec["path"], {})
            self.nodes(sec["nodes"], base, "", sec["path"])

    def zone(self, sec):
        node = sec["nodes"][0]
        rng = self.rng
        if node["path"] == "record_items":
            parts = []
            for i, f in enumerate(self.files):
                items = ITEMS[:3] + rng.sample(ITEMS[3:], rng.randint(5, 14))
                parts.append(f"（{wide_num(i + 1)}）{f['name']}")
                if rng.random() < 0.5:
                    parts += [f"{j + 1}.{it}" for j, it in enumerate(items)]
                else:
                    k = [f"{j + 1}.{it}" for j, it in enumerate(items)]
                    parts += ["、".join(k[j:j + 3]) for j in range(0, len(k), 3)]
            text = "\n".join(parts)
        else:
            parts = [f"{self.affair}の流れ"]
            for _ in range(rng.randint(2, 4)):
                parts.append("【" + self.g.sentence().rstrip("。") + "】")
                parts += [f"{c}{self.g.sentence()}" for c in rng.sample("①②③④⑤⑥", rng.randint(2, 4))]
            text = "\n".join(parts)
        setp(self.record, join(sec["path"], node["path"]), text)
        self.row("zone", text)

    def heading_text(self, n):
        hs = n["heading"]
        if self.version == "平成26年4月":
            for h in hs:
                if "特定個人情報保護委員会" in h:
                    return h
        return hs[0]

    def nodes(self, nodes, obj, ctx, secpath):
        """Walk nodes, filling `obj` (the object the paths are relative to)."""
        i = 0
        while i < len(nodes):
            n = nodes[i]
            if "block" in n:
                self.block(n, obj, secpath)
            elif "heading" in n and "path" not in n:
                self.row("heading", self.heading_text(n), 0)
            else:
                # boxes printed on one line: a box and the boxes `in` it
                if n["type"] == "box":
                    group = [n]
                    while i + 1 < len(nodes) and nodes[i + 1].get("in") == n["path"]:
                        i += 1
                        group.append(nodes[i])
                    self.boxes(group, obj)
                else:
                    self.leaf(n, obj, ctx)
            i += 1

    def opted_out(self, n, obj):
        return any(getp(obj, p) is True for p in n.get("opt_out", []))

    def boxes(self, group, obj):
        out = []
        for n in group:
            v = self.box_value(n["path"], obj)
            setp(obj, n["path"], v)
            out.append((n["after"], v))
        label = group[0]["label"][0]
        if label.startswith("８．監査"):
            self.row("heading", label, 0)
            self.row("checks", "実施の有無", [(a, v, None) for a, v in out], 1, 3)
        else:
            self.row("boxes", label, out)

    def box_value(self, path, obj):
        f = self.cur_file
        if path.endswith("not_outsourced"):
            return f["contracts"] == 0
        if path.endswith("not_provided"):
            return f["provision"] == 0 and f["transfer"] == 0
        if path.endswith("no_acquisition") or path.endswith("no_provision"):
            return not self.link
        return self.rng.random() < 0.7  # 監査 boxes

    def block(self, n, obj, secpath):
        rng = self.rng
        name = n["block"]
        if name == "systems":
            lst = []
            for k in range(self.nsystems):
                self.row("opener", f"システム{wide_num(k + 1)}", None)
                o = {}
                self.sysname = SYSTEMS[(k + rng.randint(0, 3)) % len(SYSTEMS)] if k else rng.choice(SYSTEMS[:3])
                self.nodes(n["nodes"], o, "system", secpath)
                lst.append(o)
            obj["systems"] = lst
        elif name in ("files", "files_risk"):
            files = obj.setdefault("files", [{} for _ in self.files])
            for k, f in enumerate(self.files):
                self.cur_file = f
                self.row("filebreak",)
                self.nodes(n["nodes"], files[k], "file", secpath)
        elif name == "contracts":
            f = self.cur_file
            lst = []
            for k in range(f["contracts"]):
                o = {"title": rng.choice(CONTRACT_TITLES)}
                self.row("opener", f"委託事項{wide_num(k + 1)}", o["title"])
                self.nodes(n["nodes"], o, o, secpath)
                lst.append(o)
            setp(obj, n["path"], lst)
        else:  # provision / transfer recipients
            which = "provision" if name.startswith("provision") else "transfer"
            f = self.cur_file
            lst = []
            names = rng.sample(RECIPIENTS, f[which]) if which == "provision" else [self.dept() for _ in range(f[which])]
            for k in range(f[which]):
                o = {"name": names[k]}
                self.row("opener", f"{n['start']}{wide_num(k + 1)}", o["name"])
                self.nodes(n["nodes"], o, "recipient:" + which, secpath)
                lst.append(o)
            setp(obj, n["path"], lst)

    def leaf(self, n, obj, ctx):
        rng = self.rng
        t, path = n["type"], n["path"]
        leaf = path.split(".")[-1]
        label = n.get("label", [""])[0]
        # a numbered item (「３．特定個人情報ファイル名」) prints its value under the label
        level = 0 if re.match(r"^[０-９0-9]+．", label) else 1
        out = self.opted_out(n, obj)
        if t in ("string", "text"):
            v = None if out else self.string_value(n, leaf, path, obj, ctx) if t == "string" else self.dep_text(leaf, path, obj, ctx)
            setp(obj, path, v)
            label = self.mark(label, path)
            if path == "fee_detail":
                self.row("line", f"（手数料額、納付方法：{v or '　'}）")
            else:
                self.row("field", label, v, level)
        elif t == "date":
            if out or (n.get("optional") and path.startswith("ppc_approval")):
                v = None
                txt = None
            else:
                d, txt = self.date()
                v = d.isoformat()
            setp(obj, path, v)
            setp(obj, path + "_text", txt)
            self.row("field", label, txt, level)
        elif t in ("choice", "band"):
            v = None if out else self.choice_value(n, path, obj, ctx)
            setp(obj, path, v)
            label = self.mark(label, path)
            self.row("choice", label, v["label"] if v else None, [o["label"] for o in LISTS[n["list"]]], level)
        elif t == "checks":
            self.checks(n, obj, ctx, label, level)
        elif t == "count":
            self.count(n, obj)
        elif t == "period":
            a, _ = self.date()
            b = a + datetime.timedelta(days=rng.randint(20, 40))
            text = era(a, self.wide_dates) + "～" + era(b, self.wide_dates)
            setp(obj, path, {"from": a.isoformat(), "to": b.isoformat(), "text": text})
            self.row("field", label, text, level)
        else:
            raise ValueError(t)

    def mark(self, label, path):
        """The form's ※ (重要な変更 items); some producers print it, others leave it out."""
        if path in MARKED and self.marks:
            return label + self.marks
        return label

    def string_value(self, n, leaf, path, obj, ctx):
        rng = self.rng
        if path == "affair_name":
            return self.affair
        if ctx == "system" and leaf == "name":
            return self.sysname
        if path in ("name", "risk.file_name"):
            return self.cur_file["name"]
        if leaf == "department_head":
            head = self.section + "長"
            return head + "　　" + rng.choice(NAMES) if "所属長の役職名" not in n["label"][0] else head
        if leaf == "department":
            return self.dept()
        return self.g.text(1)

    def dep_text(self, leaf, path, obj, ctx):
        """Text that a previous answer may make blank (the form says when)."""
        if leaf in ("subcontract_permission", "subcontract_content") and getp(obj, "subcontract.code") == 2:
            return None
        if leaf in ("serious_incident_content", "serious_incident_prevention") and getp(obj, "risk.storage.r1_leak.serious_incident.code") == 2:
            return None
        if path == "fee_detail" and getp(obj, "fee.code") == 2:
            return None
        if path in ("file_register_name", "file_register_place") and getp(obj, "file_register.code") == 2:
            return None
        if path == "risk.network.other_risks" and not self.link:
            return None
        if leaf == "subcontract_content" and isinstance(ctx, dict):
            return ctx["title"] + "のうち、" + self.rng.choice(["データ入力作業", "帳票の印刷作業", "システムの運用作業"])
        return self.text_value(leaf, path, "recipient" if str(ctx).startswith("recipient") else ctx)

    def choice_value(self, n, path, obj, ctx):
        rng = self.rng
        lst = n["list"]
        f = getattr(self, "cur_file", None)
        if path == "outsourcing.outsourced":
            return dict(LISTS["OUT"][0 if f["contracts"] else 1])
        if path == "network_linkage":
            return dict(LISTS["LINK"][0 if self.link else 1])
        if lst == "RESULT3":
            return dict(LISTS[lst][rng.choice([0, 0, 1])])
        if lst == "RESULT4":
            return dict(LISTS[lst][0 if rng.random() < 0.85 else 1])
        return choice_of(rng, lst)

    def checks(self, n, obj, ctx, label, level):
        rng = self.rng
        path = n["path"]
        lst = LISTS[n["list"]]
        where = ""
        if isinstance(ctx, dict):
            where = "outsourcing.contracts." + path
        elif str(ctx).startswith("recipient:"):
            where = ctx.split(":")[1] + ".recipients." + path
        skip = NOT_PRINTED.get(where, set())
        vals, texts, printed = {}, {}, []
        if n["list"] == "PROVISION_TRANSFER":
            f = self.cur_file
            vals = {"provision": f["provision"] > 0, "transfer": f["transfer"] > 0,
                    "none": f["provision"] == 0 and f["transfer"] == 0}
            cnt = {"provision": f["provision"] or None, "transfer": f["transfer"] or None}
            for o in lst:
                lab = o["label"]
                if o["key"] in cnt:
                    c = cnt[o["key"]]
                    lab = lab.replace("（　）", f"（ {c} ）" if c else "（　　）")
                printed.append((lab, vals[o["key"]], None))
            setp(obj, path, vals)
            self.row("checks", label, printed, level, 2)
            return
        for o in lst:
            k = o["key"]
            if k in skip:
                vals[k] = None
                continue
            v = rng.random() < (0.5 if k != "other" else 0.25)
            vals[k] = v
            lab = o["label"]
            if "（　）" in lab:
                t = None
                if v and rng.random() < 0.8:
                    t = rng.choice(SECTIONS + CONTRACTORS[:3] + ["金融機関", "医療機関", "他市区町村", "国民健康保険団体連合会"])
                texts[k] = t
                lab = lab.replace("（　）", f"（{t}）" if t else "（　）")
            printed.append((lab, v, None))
        if not any(vals.values()):
            first = next(k for k in vals if vals[k] is not None)
            vals[first] = True
            printed = [(l, True if i == 0 else c, x) for i, (l, c, x) in enumerate(printed)]
        setp(obj, path, vals)
        if texts:
            setp(obj, path + "_text", texts)
        self.row("checks", self.mark(label, path), printed, level, 2 if n["list"] != "SOURCES" else 1)

    def count(self, n, obj):
        f = self.cur_file
        if n["path"] == "outsourcing.count":
            c = f["contracts"] or None
            setp(obj, n["path"], c)
            self.row("line", f"（ {c} ）件" if c else "（　　）件")
        else:
            which = n["path"].split(".")[0]
            setp(obj, n["path"], f[which] or None)
            # printed inside the 提供・移転の有無 box labels


def build(form, seed, bodies, layout):
    s = Sheet(form, seed, bodies, layout)
    kind_info = next(k for k in COMMON["kinds"] if k["kind"] == s.kind)
    rng = s.rng
    r = {"schema_version": "1", "source": None, "kind": s.kind,
         "form": {"label": f"{s.version} 様式{kind_info['form_number']}", "date": STAMP_DATE[s.version].strftime("%Y-%m"),
                  "number": kind_info["form_number"]}}
    # 「いわき市長」「東京都知事」「港区長」: the head of the body
    evaluator = s.body["name"] + ("知事" if s.body["kind"] == "prefecture" else "長")
    title_sep = rng.choice([" ", "　", "　　"])
    special = None if rng.random() < 0.4 else s.g.text(rng.randint(1, 2))
    r["header"] = {
        "evaluation_number": str(rng.randint(1, 60)),
        "title": s.affair + title_sep + kind_info["short"],
        "declaration": f"{s.body['name']}は、{s.affair}における特定個人情報ファイルの取扱いにあたり、"
                       "特定個人情報ファイルの取扱いが個人のプライバシー等の権利利益に影響を及ぼしかねないことを認識し、"
                       "特定個人情報の漏えいその他の事態を発生させるリスクを軽減させるために十分な措置を講じ、"
                       "もって個人のプライバシー等の権利利益の保護に取り組んでいることを宣言する。",
        "special_notes": special,
        "evaluator": evaluator,
        "published_on": s.published.isoformat(),
        "approved_on": None,
    }
    r["organization"] = dict(s.body)
    s.record = r
    s.early = s.published - datetime.timedelta(days=rng.randint(300, 900))
    s.walk()
    if s.kind == "juten":
        # 【任意】 parts not carried out: null as a whole, printed blank.
        for part in ("hearing", "third_party"):
            if rng.random() < 0.3:
                r["procedure"][part] = None
                s.blank_rows(part)
    r["changes"] = changes(s)
    r["extra_items"] = []
    cover = {"stamp": f"[{to_wide(s.version)}　様式{WIDE[kind_info['form_number']]}]", "title": kind_info["title"],
             "published_text": era(s.published, s.wide_dates), "wide": s.wide_dates,
             "approved_label": ("特定個人情報保護委員会" if s.version == "平成26年4月" else "個人情報保護委員会") + "　承認日　【行政機関等のみ】"}
    return r, s.rows, cover


def blank_rows(self, part):
    """Blank the printed values of an optional part (its rows stay, as on the form)."""
    labels = {"hearing": ("①方法", "②実施日・期間", "③主な意見の内容"), "third_party": ("①実施日", "②方法", "③結果")}[part]
    head = {"hearing": "２．", "third_party": "３．"}[part]
    inside = False
    for i, row in enumerate(self.rows):
        if row[0] == "heading":
            inside = row[1].startswith(head) and "【任意】" in row[1]
            continue
        if inside and row[0] == "field" and row[1] in labels:
            self.rows[i] = ("field", row[1], None, row[3])


Sheet.blank_rows = blank_rows


def changes(s):
    """The 変更箇所 rows: dated between the first date and publication, items the form has."""
    rng = s.rng
    items = []

    def collect(nodes, sec):
        for n in nodes:
            if "nodes" in n:
                collect(n["nodes"], sec)
            elif "item" in n and "label" in n and n["type"] in ("text", "string"):
                items.append(to_wide(n["item"]) + re.sub(r"^[①-⑩０-９]+．?", "", n["label"][0]))

    for sec in s.rules["body"]:
        collect(sec["nodes"], sec)
    rows = []
    for _ in range(rng.choice([0, 1, 2, 3, 5, 8])):
        d, txt = s.date(s.early, s.published)
        rows.append({"date": d.isoformat(), "date_text": txt, "item": rng.choice(items),
                     "before": s.g.text(rng.randint(1, 3)), "after": s.g.text(rng.randint(1, 3)),
                     "timing": rng.choice(["事前", "事後"]), "timing_note": None if rng.random() < 0.7 else s.g.text(1)})
    rows.sort(key=lambda r: r["date"])
    return rows
