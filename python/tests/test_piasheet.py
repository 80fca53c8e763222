"""The Python package against the repository's (and the shared) fixtures."""
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata

import pandas as pd
import pytest

import piasheet

SEED = "000_72349b560cd020d7"
IGNORED = {"source.file", "source.sha256", "source.bytes", "warnings", "status", "provenance"}


def canon(v):
    """As /work/shared/tools/score.py: text compared after NFKC, white space removed."""
    if isinstance(v, str):
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", v))
    return v


def leaves(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            p = f"{path}.{k}" if path else k
            if p in IGNORED or k == "changes":
                continue
            yield from leaves(v, p)
    elif isinstance(o, list) and o and all(isinstance(x, dict) for x in o):
        for i, v in enumerate(o):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, o


def get(o, path):
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            i = int(part[1:-1])
            if not isinstance(o, list) or i >= len(o):
                return KeyError
            o = o[i]
        elif isinstance(o, dict) and part in o:
            o = o[part]
        else:
            return KeyError
    return o


def row_key(r):
    return tuple(canon(r.get(k)) for k in ("date", "item", "before", "after", "timing"))


def assert_matches(expected, actual):
    wrong = [
        f"{p}: want {w!r} got {get(actual, p)!r}" for p, w in leaves(expected) if get(actual, p) is KeyError or canon(get(actual, p)) != canon(w)
    ]
    assert not wrong, "\n".join(wrong)
    assert sorted(map(row_key, expected.get("changes", []))) == sorted(map(row_key, actual.get("changes", [])))


def test_seed_equals_golden(repo):
    golden = json.loads((repo / "tests" / "golden" / f"{SEED}.json").read_text(encoding="utf-8"))
    record = piasheet.extract(str(repo / "input" / f"{SEED}.txt"))
    assert record["header"]["evaluator"] == "いわき市長"
    assert record["status"] in ("ok", "partial")
    assert "provenance" not in record or record["provenance"] is None
    assert_matches(golden, record)


def test_bytes_and_pathlike_give_the_same_record(repo):
    path = repo / "input" / f"{SEED}.txt"
    by_path = piasheet.extract(path)
    by_bytes = piasheet.extract(path.read_bytes(), name=str(path))
    assert by_path == by_bytes
    with_prov = piasheet.extract(path, provenance=True)
    assert with_prov["provenance"]["header.evaluator"]["lines"][0] >= 1


def test_pdfs_are_read_by_a_worker_binary_not_the_interpreter(repo):
    exe = piasheet.worker_path()
    assert exe is not None and os.path.realpath(exe) != os.path.realpath(sys.executable)
    out = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "piasheet" in out.stdout
    record = piasheet.extract(repo / "tests" / "fixtures" / "kiso-golden.pdf")
    assert record["source"]["format"] == "pdf" and record["source"]["pages"] >= 1
    assert record["status"] in ("ok", "partial"), record.get("error")
    assert record["header"]["evaluator"]


def fixtures(repo, shared):
    paths = sorted((repo / "tests" / "fixtures").glob("*.pdf")) + [repo / "input" / f"{SEED}.txt"]
    forms = shared / "forms"
    if forms.is_dir():
        paths += sorted(p for p in forms.iterdir() if p.suffix in (".txt", ".pdf"))
    return paths


def test_extract_many_over_the_fixtures(repo, shared):
    paths = fixtures(repo, shared)
    records = list(piasheet.extract_many(paths, jobs=2))
    by_file = {r["source"]["file"]: r for r in records}
    assert sorted(by_file) == sorted(map(str, paths))
    for p in paths:
        r = by_file[str(p)]
        assert r["status"] in ("ok", "partial"), (p, r.get("error"))
        # The same record as extract() on its own (field accuracy is the Rust tests' job).
        assert r == piasheet.extract(p)
        assert r["header"]["evaluator"]


def test_extract_many_takes_folders_and_reports_missing_paths(repo, tmp_path):
    src = repo / "tests" / "fixtures"
    records = list(piasheet.extract_many([src, tmp_path / "nothing-here"]))
    missing = [r for r in records if r["status"] == "failed"]
    assert [r["error"]["code"] for r in missing] == ["missing"]
    # A folder is walked recursively, as the CLI walks it (tests/fixtures/cmap/ too).
    assert len(records) == 1 + len(list(src.rglob("*.pdf")))


def test_extract_many_can_stop_early(repo, tmp_path):
    seed = repo / "input" / f"{SEED}.txt"
    for i in range(50):
        shutil.copy(seed, tmp_path / f"s{i:02}.txt")
    it = piasheet.extract_many(tmp_path, jobs=2)
    first = next(it)
    assert first["header"]["evaluator"] == "いわき市長"
    it.close()


@pytest.mark.parametrize("cut", [0.5, 0.05])
def test_a_truncated_pdf_is_a_failed_record(repo, tmp_path, cut):
    data = (repo / "tests" / "fixtures" / "kiso-a.pdf").read_bytes()
    bad = tmp_path / "truncated.pdf"
    bad.write_bytes(data[: int(len(data) * cut)])
    record = piasheet.extract(bad)
    assert record["status"] == "failed"
    assert record["error"]["code"]
    from_bytes = piasheet.extract(data[: int(len(data) * cut)])
    assert from_bytes["status"] == "failed"
    [many] = list(piasheet.extract_many([bad]))
    assert many["status"] == "failed"


def test_hostile_inputs_never_raise(tmp_path):
    cases = {
        "garbage.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 64,
        "html.pdf": b"<html><body>nope</body></html>",
        "empty.txt": b"",
        "binary.txt": bytes(range(256)) * 16,
        "nul.pdf": b"%PDF-1.4\n1 0 obj << /Length 99999999999 >> stream\n\x00\x00",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        r = piasheet.extract(tmp_path / name)
        assert r["status"] == "failed", (name, r)
    records = list(piasheet.extract_many(tmp_path))
    assert len(records) == len(cases) and all(r["status"] == "failed" for r in records)


def test_a_worker_that_cannot_start_fails_the_pdf_only(repo, monkeypatch, tmp_path):
    monkeypatch.setattr(piasheet, "worker_path", lambda: None)
    pdf = piasheet.extract(repo / "tests" / "fixtures" / "kiso-a.pdf")
    assert pdf["status"] == "failed" and pdf["error"]["code"] == "engine_crash"
    assert piasheet.extract(repo / "input" / f"{SEED}.txt")["status"] != "failed"


def test_diff(repo):
    a = piasheet.extract(repo / "input" / f"{SEED}.txt")
    assert piasheet.diff(a, a) == []
    b = json.loads(json.dumps(a))
    b["header"]["evaluator"] = "郡山市長"
    [d] = [d for d in piasheet.diff(a, b) if d["path"] == "header.evaluator"]
    assert (d["change"], d["old"], d["new"]) == ("changed", "いわき市長", "郡山市長")
    golden = repo / "tests" / "golden" / f"{SEED}.json"
    assert isinstance(piasheet.diff(golden, a), list)


def test_codebook():
    cb = piasheet.codebook()
    assert list(cb.columns) == ["path", "form item", "label (ja)", "type", "allowed values", "note"]
    assert "organization.lg_code" in set(cb["path"])
    assert len(piasheet.codebook("zenkomoku")) > 0
    with pytest.raises(ValueError):
        piasheet.codebook("nonsense")


@pytest.fixture(scope="module")
def dataset(repo, shared, tmp_path_factory):
    """A dataset folder written by the CLI (the shipped worker binary) over the fixtures."""
    inputs = tmp_path_factory.mktemp("in")
    for p in fixtures(repo, shared):
        shutil.copy(p, inputs / p.name)
    out = tmp_path_factory.mktemp("out")
    run = subprocess.run([piasheet.worker_path(), "extract", str(inputs), "-o", str(out), "-q"], capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr
    return out


EXPECTED_DTYPES = {
    "source.bytes": "Int64",
    "source.pages": "Int64",
    "form.date": "string",
    "form.number": "Int64",
    "header.published_on": "datetime64[ns]",
    "header.approved_on": "datetime64[ns]",
    "organization.lg_code": "string",
    "header.evaluation_number": "string",
    "threshold.target_population.code": "Int64",
    "threshold.target_population.at_least": "Int64",
    "threshold.target_population.as_of": "datetime64[ns]",
    "risk.outsourcing.not_outsourced": "boolean",
    "risk.audit.self_inspection": "boolean",
    "status": "string",
    "warnings": "string",
}


def check_sheets(df, n):
    assert len(df) == n
    for col, dtype in EXPECTED_DTYPES.items():
        assert str(df[col].dtype) == dtype, (col, df[col].dtype)
    # Codes keep their leading zeros (福島県いわき市: 072044).
    seed = df[df["source.file"].str.endswith(f"{SEED}.txt")].iloc[0]
    assert seed["organization.lg_code"] == "072044"
    assert seed["header.published_on"] == pd.Timestamp("2024-05-24")
    assert seed["threshold.handlers.code"] == 2
    assert seed["header.evaluator"] == "いわき市長"


def test_read_dataset(dataset, repo, shared):
    """The folder as the CLI wrote it (sheets.parquet when the CLI writes Parquet)."""
    check_sheets(piasheet.read_dataset(dataset), len(fixtures(repo, shared)))


def only(dataset, tmp_path, names):
    for name in names:
        shutil.copy(dataset / name, tmp_path / name)
    return tmp_path


def test_read_dataset_from_jsonl(dataset, repo, shared, tmp_path):
    df = piasheet.read_dataset(only(dataset, tmp_path, ["sheets.jsonl"]))
    check_sheets(df, len(fixtures(repo, shared)))


def test_read_dataset_from_csv_only(dataset, repo, shared, tmp_path):
    csv_dir, jsonl_dir = tmp_path / "csv", tmp_path / "jsonl"
    csv_dir.mkdir()
    jsonl_dir.mkdir()
    from_csv = piasheet.read_dataset(only(dataset, csv_dir, ["sheets.csv", "changes.csv"]))
    check_sheets(from_csv, len(fixtures(repo, shared)))
    from_jsonl = piasheet.read_dataset(only(dataset, jsonl_dir, ["sheets.jsonl"]))
    pd.testing.assert_frame_equal(from_csv, from_jsonl)
    pd.testing.assert_frame_equal(piasheet.read_dataset(csv_dir, "changes"), piasheet.read_dataset(jsonl_dir, "changes"))


def test_parquet_and_jsonl_give_the_same_frame(dataset, tmp_path):
    if not (dataset / "sheets.parquet").is_file():
        pytest.skip("this piasheet writes no Parquet")
    from_parquet = piasheet.read_dataset(dataset)
    from_jsonl = piasheet.read_dataset(only(dataset, tmp_path, ["sheets.jsonl"]))
    common = [c for c in from_jsonl.columns if c in from_parquet.columns]
    assert set(EXPECTED_DTYPES) <= set(common)
    pd.testing.assert_frame_equal(from_parquet[common], from_jsonl[common])


def test_read_dataset_changes_and_errors(dataset):
    ch = piasheet.read_dataset(dataset, "changes")
    assert len(ch) > 0
    assert str(ch["date"].dtype) == "datetime64[ns]"
    assert str(ch["organization.lg_code"].dtype) == "string"
    assert ch["organization.lg_code"].dropna().str.len().eq(6).all()
    err = piasheet.read_dataset(dataset, "errors")
    assert list(err.columns) == ["path", "sha256", "status", "code", "reason"]
    with pytest.raises(ValueError):
        piasheet.read_dataset(dataset, "nonsense")


def test_read_dataset_prefers_parquet(dataset, tmp_path):
    pytest.importorskip("pyarrow")
    df = piasheet.read_dataset(dataset)
    df.to_parquet(tmp_path / "sheets.parquet")
    back = piasheet.read_dataset(tmp_path)
    pd.testing.assert_frame_equal(back, df)


def test_a_crashing_or_hanging_worker_fails_the_record_not_the_interpreter(repo, monkeypatch, tmp_path):
    """The worker is a separate process: its crash (SIGSEGV) or hang is the record's problem."""
    crash = tmp_path / "crash"
    crash.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crash.chmod(0o755)
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(0o755)
    pdf = repo / "tests" / "fixtures" / "kiso-a.pdf"
    monkeypatch.setenv("PIASHEET_EXE", str(crash))
    r = piasheet.extract(pdf)
    assert r["status"] == "failed" and r["error"]["code"] == "engine_crash", r["error"]
    monkeypatch.setenv("PIASHEET_EXE", str(hang))
    r = piasheet.extract(pdf, timeout=1)
    assert r["status"] == "failed" and r["error"]["code"] == "timeout", r["error"]
