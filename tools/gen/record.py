"""A random but valid record of a 重点項目評価書 (様式3) or 全項目評価書 (様式4).

The record is built by walking the form description (rules/*.json, the same file
piasheet reads), so every item the form prints gets a value of its type; the
semantics the schemas add (opt-out boxes, counts, lists, empty values) are applied
here, where a real filing would apply them. The renderer (render.py) then prints
exactly this record; nothing is printed that is not in the record.
"""
import csv
import datetime
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "rules")

# (kind, version) -> rules id; the five stamps of issue #12.
FORMS = [
    ("zenkomoku", "平成26年4月", "zenkomoku-h26-4"),
    ("zenkomoku", "平成28年1月", "zenkomoku-h28-1"),
    ("zenkomoku", "平成30年5月", "zenkomoku-h30-5"),
    ("juten", "平成26年4月", "juten-h26-4"),
    ("juten", "平成30年5月", "juten-h30-5"),
]


def load_rules(rid):
    """The rules file with `extends` resolved and `relabel` applied (first label printed)."""
    d = json.load(open(os.path.join(RULES, rid + ".json"), encoding="utf-8"))
    if "extends" not in d:
        return d
    base = load_rules(d["extends"])
    relabel = d.get("relabel", {})

    def walk(nodes, prefix):
        for n in nodes:
            p = join(prefix, n.get("path", ""))
            if "nodes" in n:
                walk(n["nodes"], p if ("section" in n or "block" in n) else prefix)
            elif p in relabel:
                n["label"] = relabel[p]

    for s in base["body"]:
        walk(s["nodes"], s["path"])
    base.update({k: d[k] for k in ("id", "version")})
    return base


def join(a, b):
    return f"{a}.{b}" if a and b else (a or b)


COMMON = json.load(open(os.path.join(RULES, "common.json"), encoding="utf-8"))
LISTS = {**COMMON["lists"], **COMMON["groups"]}

# ---------------------------------------------------------------- dates


def era(d, wide=False):
    """A date as printed in 和暦 (平成/令和; 令和元年), optionally with full-width digits."""
    if d >= datetime.date(2019, 5, 1):
        name, y = "令和", d.year - 2018
    else:
        name, y = "平成", d.year - 1988
    ys = "元" if y == 1 else str(y)
    s = f"{name}{ys}年{d.month}月{d.day}日"
    return to_wide(s) if wide else s


def to_wide(s):
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() and c.isascii() else c for c in s)


def rand_date(rng, lo, hi):
    return lo + datetime.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


# ---------------------------------------------------------------- bodies


def load_bodies():
    """Local bodies from the shared code list whose name says who they are: prefectures,
    Tokyo's special wards and municipalities whose name is unique in the country (so the
    prefecture follows from the name, as it does for a reader)."""
    rows = list(csv.DictReader(open(os.path.join(ROOT, "..", "shared", "data", "lg-codes.csv"), encoding="utf-8")))
    names = {}
    for r in rows:
        if r["city"]:
            names[r["city"]] = names.get(r["city"], 0) + 1
    out = []
    for r in rows:
        c, p = r["city"], r["prefecture"]
        if not c:
            out.append({"name": p, "title": "知事", "kind": "prefecture", "prefecture": p, "lg_code": r["code"]})
        elif c.endswith("区") and p == "東京都" and names[c] == 1:
            out.append({"name": c, "title": "区長", "kind": "special_ward", "prefecture": p, "lg_code": r["code"]})
        elif c[-1] in "市町村" and names[c] == 1 and "郡" not in c:
            out.append({"name": c, "title": c[-1] + "長", "kind": "municipality", "prefecture": p, "lg_code": r["code"]})
    return out


# ---------------------------------------------------------------- text pools

AFFAIRS = ["国民健康保険に関する事務", "介護保険に関する事務", "個人住民税に関する事務", "児童手当に関する事務",
           "生活保護に関する事務", "後期高齢者医療に関する事務", "住民基本台帳に関する事務", "障害者福祉に関する事務",
           "固定資産税に関する事務", "予防接種に関する事務", "国民年金に関する事務", "児童扶養手当に関する事務",
           "就学援助に関する事務", "軽自動車税に関する事務", "母子保健に関する事務"]
DEPTS = ["市民部", "健康福祉部", "総務部", "税務部", "子ども未来部", "保健福祉部", "生活環境部", "福祉部"]
SECTIONS = ["保険年金課", "介護保険課", "市民税課", "子育て支援課", "生活福祉課", "市民課", "障害福祉課", "資産税課",
            "健康推進課", "福祉総務課", "収納課", "学務課"]
SYSTEMS = ["基幹系システム", "統合宛名システム", "中間サーバー", "庁内連携システム", "国保総合システム", "住民記録システム",
           "税務システム", "福祉総合システム", "団体内統合宛名システム", "コンビニ交付システム", "電子申請システム"]
FILES = ["被保険者ファイル", "賦課ファイル", "給付ファイル", "資格管理ファイル", "認定ファイル", "宛名ファイル",
         "課税台帳ファイル", "受給者台帳ファイル", "収納ファイル", "申請管理ファイル"]
CONTRACT_TITLES = ["電算処理業務", "システム保守業務", "通知書等の印刷・封入封緘業務", "データ入力業務",
                   "コールセンター業務", "システム運用支援業務", "帳票作成業務"]
CONTRACTORS = ["株式会社ネクストコール", "株式会社アイティーサポート", "株式会社地域情報センター", "株式会社データプロセス",
               "一般財団法人自治体情報センター", "株式会社システムサービス", "株式会社印刷センター"]
RECIPIENTS = ["日本年金機構", "国家公務員共済組合", "地方公務員共済組合", "全国健康保険協会", "都道府県知事",
              "市町村長", "厚生労働大臣", "後期高齢者医療広域連合", "独立行政法人日本学生支援機構"]
ITEMS = ["個人番号", "宛名番号", "氏名", "氏名カナ", "生年月日", "性別", "住所", "世帯番号", "続柄", "電話番号",
         "資格取得日", "資格喪失日", "異動日", "異動事由", "届出日", "所得額", "課税区分", "口座情報", "給付額", "決定日", "通知日", "備考"]
NAMES = ["佐藤　誠", "鈴木　一郎", "高橋　恵子", "田中　浩", "伊藤　美穂", "渡辺　健", "山本　直子", "中村　修", "小林　茂"]

SENTENCES = [
    "{body}の区域内に住所を有する者のうち、{affair}の対象となる者",
    "{affair}の実施に必要な範囲に限り、特定個人情報を取り扱う。",
    "システムへのログインはＩＤ及びパスワードによる認証を行い、権限のない職員による操作を防止している。",
    "操作ログを取得し、不適切な操作がないか定期的に確認している。",
    "申請書等の様式に個人番号の利用目的を記載している。",
    "窓口においては、個人番号カード等により本人確認を行う。",
    "入手した情報は、システムへの登録前に複数の職員で確認している。",
    "委託契約書に秘密保持、目的外利用の禁止及び再委託の制限に関する条項を定めている。",
    "特定個人情報を含む書類は、施錠できる書庫に保管している。",
    "サーバは入退室管理を行っている区画に設置し、許可された者以外は立ち入ることができない。",
    "情報提供ネットワークシステムを通じた照会は、中間サーバーを経由して行う。",
    "年1回、チェックリストにより自己点検を実施し、結果を所属長に報告している。",
    "全職員を対象とした情報セキュリティ研修を年1回実施している。",
    "保存期間を経過した情報は、システムにより一括して消去する。",
    "紙媒体は、溶解処理により廃棄し、廃棄の記録を残している。",
    "人事異動の際には、速やかにアクセス権限の付与及び削除を行っている。",
    "提供先ごとに提供の記録を残し、定期的に点検している。",
    "法令に基づく照会に限り、必要な範囲の情報を提供する。",
    "誤送付を防止するため、送付前に宛先を複数の職員で確認している。",
    "住民異動の都度、住民基本台帳の情報と照合し、情報を最新の状態に保っている。",
    "バックアップを毎日取得し、別の場所に保管している。",
    "個人情報の取扱いに関する規程を定め、職員に周知している。",
    "{affair}に関する申請の受付、審査及び決定を行う。",
    "対象者の資格情報及び給付情報を管理する。",
    "{body}のホームページにおいて、個人番号の利用目的を公表している。",
    "不正な操作を検知した場合は、直ちに所属長に報告する体制としている。",
    "データの受渡しは暗号化した電子記録媒体により行い、受渡しの記録を残している。",
    "委託先から業務の実施状況について定期的に報告を受けている。",
    "特定個人情報ファイルへのアクセスは、業務上必要な職員に限っている。",
    "法令に定める手続に合わせて入手し、必要以上に頻繁な入手は行わない。",
]


class Gen:
    """Values of one sheet; `rng` decides everything (seeded per sheet)."""

    def __init__(self, rng, body, affair):
        self.rng, self.body, self.affair = rng, body, affair

    def sentence(self):
        s = self.rng.choice(SENTENCES)
        return s.format(body=self.body["name"], affair=self.affair)

    def text(self, lines=None):
        """1–5 lines, sometimes bulleted, sometimes long enough to wrap in its cell."""
        rng = self.rng
        n = lines or rng.choice([1, 1, 1, 1, 2, 2, 3, 5])
        bullet = rng.random() < 0.35
        out = []
        for i in range(n):
            s = self.sentence()
            if rng.random() < 0.2:
                s = s + self.sentence()  # a long line: wraps in its cell
            out.append(("・" if bullet else "") + s)
        return "\n".join(out)

    def short(self, pool):
        return self.rng.choice(pool)


def choice_of(rng, list_name, exclude=()):
    opts = [o for o in LISTS[list_name] if o["label"] not in exclude]
    return dict(rng.choice(opts))


# Check keys not printed in a list, by the list's place (spec: DELIVERY notes).
NOT_PRINTED = {
    "outsourcing.contracts.delivery": {"network_system", "internal_linkage"},
    "provision.recipients.method": {"internal_linkage"},
    "transfer.recipients.method": {"network_system"},
}

# Text leaves a filing may leave blank (printed empty or as a dash): null in the record.
MAY_BE_EMPTY = {"other_evaluators", "remarks", "other", "shortening_reason", "reflection", "special_procedure",
                "register_omission", "request_notes", "other_risks", "other_measures", "purpose_change_adequacy"}
