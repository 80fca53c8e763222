#!/usr/bin/env python3
"""Baseline for the text benchmark (issue #16): what a researcher's plain script would
do with a folder of text dumps. Read each file, decode it (BOM, UTF-16, UTF-8, then
Shift_JIS / EUC-JP), run ~70 regexes for the fields of the sample sheet, write one JSON
per file. No structure, no checks: a cost floor for "a script", not a reader.

usage: baseline.py IN_DIR OUT_DIR

`examples/bench.rs` runs it on the same files as piasheet and prints the ratio of
CPU time per document.
"""
import json, os, re, sys

# Labels of the form (基礎項目評価書, 平成31年1月 様式2), as printed.
TEXT_LABELS = ["①事務の名称", "②事務の概要", "③システムの名称", "特定個人情報ファイル名", "法令上の根拠",
               "②法令上の根拠", "①部署", "②所属長の役職名", "①事務の名称", "評価実施機関名", "特記事項"]
CHOICE_LABELS = ["①実施の有無", "対象人数", "取扱者数", "重大事故", "しきい値判断結果", "提出する特定個人情報保護評価書の種類",
                 "入手", "使用", "委託", "提供・移転", "接続", "保管・消去", "人手を介在させる作業", "従業者に対する教育・啓発"]
OPTIONS = ["実施する", "実施しない", "未定", "1,000人未満", "1,000人以上1万人未満", "1万人以上10万人未満",
           "10万人以上30万人未満", "30万人以上", "500人以上", "500人未満", "発生あり", "発生なし",
           "基礎項目評価書", "基礎項目評価書及び重点項目評価書", "基礎項目評価書及び全項目評価書",
           "特に力を入れている", "十分である", "課題が残されている", "特に力を入れて行っている",
           "十分に行っている", "十分に行っていない"]
BOXES = ["委託しない", "提供・移転しない", "接続しない（入手）", "接続しない（提供）", "自己点検", "内部監査", "外部監査"]

PATTERNS = (
    [r"^\s*(\d+)\s+(.+?)\s+基礎項目評価書\s*$",             # 評価書番号 評価書名
     r"(令和|平成)([0-9０-９元]+)年([0-9０-９]+)月([0-9０-９]+)日",  # any 和暦 date
     r"^\s*(令和|平成)[0-9０-９元]+年[0-9０-９]+月[0-9０-９]+日\s*$",  # 公表日 alone on a line
     r"(.+?)は、(.+?)における特定個人情報ファイルの取扱いにあたり",  # declaration
     r"宣言する。",
     r"^\s*(\S+?[都道府県市区町村])長\s*$",                   # evaluator
     r"\[(平成|令和)\d+年\d+月\s*様式\d\]",                     # stamp
     r"いつ時点の計数か\s*(.+?)\s*時点",
     r"(基礎項目評価|重点項目評価|全項目評価)(?:及び(重点項目評価|全項目評価))?の実施が義務付けられ(る|ない)",
     r"^(平成|令和)\S+日\s+([ⅠⅡⅢⅣ]\S*)",                     # change row start
     r"\s(事前|事後)\s*$",                                      # change row timing
     r"（従前の記載に次の内容を追加）",
     r"(令和|平成)[0-9０-９元]+年[0-9０-９]+月[0-9０-９]+日\s+Ⅱ[１２]いつ時点の計数か",  # count-date changes
     r"^\s*\d\)\s*(.+?)\s*$",                                # printed options
     r"〒?\d{3}-\d{4}",                                       # postcode
     r"(\d{2,4})-(\d{2,4})-(\d{4})",                          # telephone
     r"(\S+課)長?",                                            # departments
     r"番号法第(\d+)条第(\d+)[項号]"]                           # legal references
    + [re.escape(l) + r"\s*(.*)$" for l in TEXT_LABELS]
    + [re.escape(l) + r"\s*\[\s*([^\]］]*?)\s*[\]］]" for l in CHOICE_LABELS]
    + [r"\[\s*" + re.escape(o) + r"\s*[\]］]" for o in OPTIONS]
    + [r"\[\s*([○〇])?\s*[\]］]\s*" + re.escape(b) for b in BOXES]
)
REGEXES = [re.compile(p, re.M) for p in PATTERNS]


def decode(b):
    if b.startswith(b"\xef\xbb\xbf"):
        return b[3:].decode("utf-8", "replace")
    if b.startswith(b"\xff\xfe") or b.startswith(b"\xfe\xff"):
        return b.decode("utf-16", "replace")
    for enc in ("utf-8", "cp932", "euc_jp"):
        try:
            return b.decode(enc)
        except UnicodeDecodeError:
            pass
    return b.decode("utf-8", "replace")


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(".txt"):
                continue
            with open(os.path.join(root, name), "rb") as f:
                text = decode(f.read()).replace("\r\n", "\n").replace("\r", "\n")
            rec = {"file": name, "fields": [[m.group(0) for m in r.finditer(text)] for r in REGEXES]}
            with open(os.path.join(out, name[:-4] + ".json"), "w", encoding="utf-8") as f:
                json.dump(rec, f, ensure_ascii=False)
            n += 1
    print(f"baseline: {n} files, {len(REGEXES)} regexes", file=sys.stderr)


if __name__ == "__main__":
    main()
