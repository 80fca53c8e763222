"""piasheet: Japanese privacy impact assessment sheets (特定個人情報保護評価書) → typed records.

The same engine as the ``piasheet`` command-line tool, one ``import`` away::

    import piasheet
    record = piasheet.extract("sheet.txt")            # a dict (schema 1)
    df = piasheet.read_dataset("output/")              # a typed pandas DataFrame

Text dumps are parsed in this process (the GIL released). PDFs are never opened in
the Python process: each one is read by the ``piasheet`` binary (shipped inside the
wheel, in ``piasheet/_bin/``) in a worker process with a wall-clock timeout and an
address-space cap, exactly as ``piasheet extract`` does, so a crashing or runaway PDF
becomes a ``failed`` record instead of taking the interpreter down.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Union

from . import _piasheet

if TYPE_CHECKING:  # pragma: no cover
    import pandas

__all__ = ["extract", "extract_many", "read_dataset", "diff", "codebook", "worker_path", "DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT"]
__version__ = "0.1.0"

PathLike = Union[str, "os.PathLike[str]"]

#: Largest input read, in bytes (``piasheet extract --max-bytes``).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: Seconds allowed for one file (``--timeout``).
DEFAULT_TIMEOUT = 60
#: Address-space cap of each PDF worker process (``--max-memory``).
DEFAULT_MAX_MEMORY = 1 << 30

_UNITS = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}


def _size(value: Union[int, str]) -> int:
    """``1G``, ``512M``, ``2GiB`` or a number of bytes → bytes."""
    if isinstance(value, int):
        return value
    text = value.strip().upper()
    digits = text.rstrip("KMGTIB ")
    unit = text[len(digits):].strip().replace("IB", "").replace("B", "")
    if not digits.isdigit() or unit not in _UNITS:
        raise ValueError(f"{value!r} is not a size (e.g. 512M, 1G)")
    return int(digits) << _UNITS[unit]


def worker_path() -> Optional[str]:
    """The ``piasheet`` executable that reads PDFs in worker processes.

    In order: ``$PIASHEET_EXE``; the binary shipped in the wheel
    (``piasheet/_bin/piasheet``); ``piasheet`` on ``PATH``. Never the Python
    interpreter itself. ``None`` when none is found (PDFs then fail with
    ``engine_crash``; text dumps are unaffected).
    """
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.environ.get("PIASHEET_EXE"),
        os.path.join(here, "_bin", "piasheet.exe" if os.name == "nt" else "piasheet"),
        shutil.which("piasheet"),
    ]
    interpreter = os.path.realpath(sys.executable) if sys.executable else None
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK) and os.path.realpath(c) != interpreter:
            return c
    return None


def _worker() -> str:
    # A path that cannot start makes PDFs fail as engine_crash with the reason.
    return worker_path() or "piasheet (worker binary not found: set PIASHEET_EXE)"


def extract(
    path_or_bytes: Union[PathLike, bytes, bytearray, memoryview],
    *,
    provenance: bool = False,
    name: Optional[str] = None,
    timeout: int = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_memory: Union[int, str] = DEFAULT_MAX_MEMORY,
) -> Dict[str, Any]:
    """Read one sheet — a text dump (any encoding) or a PDF — into a record.

    ``path_or_bytes`` is a path (``str`` or ``os.PathLike``) or the file's bytes
    (``name`` is then the record's ``source.file``, default ``"<bytes>"``; a PDF is
    recognised by its ``%PDF`` header). Returns the record as a dict, exactly the
    JSON ``piasheet extract`` writes: ``source``, ``kind``, ``form``, ``header``,
    ``organization``, the body, ``changes``, ``warnings``, ``status`` (and
    ``provenance``, the source lines of each value, when ``provenance=True``).

    Never raises for a bad input: an unreadable, hostile or non-sheet file gives a
    record with ``status == "failed"`` and ``error = {"code", "reason"}``.
    """
    mem = _size(max_memory)
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        text = _piasheet.extract_bytes(bytes(path_or_bytes), name or "<bytes>", _worker(), provenance, timeout, max_bytes, mem)
    else:
        text = _piasheet.extract_path(os.fspath(path_or_bytes), _worker(), provenance, timeout, max_bytes, mem)
    return json.loads(text)


def _problem_record(path: str, code: str, reason: str) -> Dict[str, Any]:
    return {"source": {"file": path}, "status": "failed", "error": {"code": code, "reason": reason}}


def extract_many(
    paths: Union[PathLike, Iterable[PathLike]],
    jobs: Optional[int] = None,
    *,
    provenance: bool = False,
    timeout: int = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_memory: Union[int, str] = DEFAULT_MAX_MEMORY,
) -> Iterator[Dict[str, Any]]:
    """Read many sheets in parallel, yielding each record as it finishes.

    ``paths`` is a file, a folder, or an iterable of them; folders are searched
    recursively for ``*.txt`` and ``*.pdf`` exactly as ``piasheet extract`` does
    (sorted; symbolic-link loops and duplicate files left out). Parsing runs on a
    Rust thread pool of ``jobs`` threads (default: one per core) with the GIL
    released; records come in the order they finish — use ``record["source"]["file"]``
    to tell them apart. A path that cannot be walked (missing, unreadable, a link
    loop) yields ``{"source": {"file": …}, "status": "failed", "error": {…}}``.

    Breaking out of the loop (or closing the generator) skips the inputs not yet
    started.
    """
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        paths = [paths]  # type: ignore[list-item]
    given = [os.fspath(p) for p in paths]  # type: ignore[union-attr]
    inputs, problems = _piasheet.discover(given)
    for path, code, reason in problems:
        yield _problem_record(path, code, reason)
    if not inputs:
        return
    if jobs is not None and jobs < 1:
        raise ValueError("jobs must be at least 1")
    many = _piasheet.Many(inputs, _worker(), jobs or 0, provenance, timeout, max_bytes, _size(max_memory))
    try:
        for text in many:
            yield json.loads(text)
    finally:
        many.close()


def diff(a: Union[Dict[str, Any], PathLike], b: Union[Dict[str, Any], PathLike]) -> List[Dict[str, Any]]:
    """Field-by-field differences between two records (e.g. two years of one sheet).

    ``a`` and ``b`` are records (dicts, as :func:`extract` returns) or paths of
    record JSON files. Returns ``[{"path", "change", "old", "new"}, …]`` in the order
    of ``a`` (then what only ``b`` has), as ``piasheet diff --json``: ``change`` is
    ``changed`` (a field), ``added`` / ``removed`` (a repeated row such as a 変更箇所
    row, matched by content) or ``gained`` / ``lost`` (a warning). ``source``,
    ``status``, ``error`` and ``provenance`` are left out.
    """

    def text(x: Union[Dict[str, Any], PathLike]) -> str:
        if isinstance(x, dict):
            return json.dumps(x, ensure_ascii=False)
        with open(os.fspath(x), encoding="utf-8") as f:
            return f.read()

    return json.loads(_piasheet.diff(text(a), text(b)))


def codebook(kind: str = "kiso") -> "pandas.DataFrame":
    """The codebook of a kind of sheet (``kiso``, ``juten``, ``zenkomoku``) as a DataFrame.

    One row per field: ``path``, ``form item``, ``label (ja)``, ``type``,
    ``allowed values``, ``note`` (all strings), as ``piasheet codebook --csv``.
    Raises ``ValueError`` for an unknown kind.
    """
    import pandas as pd

    return pd.read_csv(io.StringIO(_piasheet.codebook_csv(kind)), dtype=str, keep_default_na=False)


_TABLES = ("sheets", "changes", "errors")
_DATE = ("date", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # the schema's format, or its pattern


def _dates(s: "pandas.Series", fmt: str) -> "pandas.Series":
    """ISO date strings → datetime64[ns] (one unit whatever the pandas version); '' → NaT."""
    import pandas as pd

    return pd.to_datetime(s.where(s != ""), format=fmt, errors="coerce").astype("datetime64[ns]")


def _typed_sheets(frame: "pandas.DataFrame") -> "pandas.DataFrame":
    """Cast the string cells of ``sheets.csv`` by the schema's type of each column."""
    import pandas as pd

    types = {path: (ty, pattern) for path, ty, pattern in _piasheet.sheet_columns()}
    out = {}
    for col in frame.columns:
        s = frame[col]
        ty, pattern = types.get(col, ("string | null", ""))
        nullable = "null" in ty
        if pattern in _DATE:
            out[col] = _dates(s, "%Y-%m-%d")
        elif ty.startswith("integer"):
            out[col] = pd.to_numeric(s.where(s != ""), errors="coerce").astype("Int64")
        elif ty.startswith("boolean"):
            out[col] = s.map({"true": True, "false": False}).astype("boolean")
        else:
            t = s.astype(object).astype(pd.StringDtype())
            out[col] = t.where(t != "") if nullable else t
    return pd.DataFrame(out, columns=list(frame.columns))


def _typed_parquet(path: str) -> "pandas.DataFrame":
    """A Parquet table with the same pandas dtypes as the tables built from JSON/CSV:
    dates datetime64[ns], integers Int64, booleans boolean, texts string (NA for null)."""
    import datetime

    import pandas as pd
    from pandas.api import types as t

    try:
        frame = pd.read_parquet(path, dtype_backend="numpy_nullable")
    except TypeError:  # pandas < 2.0
        frame = pd.read_parquet(path)
    out = {}
    for col in frame.columns:
        s = frame[col]
        if t.is_datetime64_any_dtype(s.dtype):
            s = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
            out[col] = s.astype("datetime64[ns]")
        elif t.is_bool_dtype(s.dtype):
            out[col] = s.astype("boolean")
        elif t.is_integer_dtype(s.dtype):
            out[col] = s.astype("Int64")
        elif t.is_float_dtype(s.dtype):
            out[col] = s.astype("Float64")
        elif t.is_string_dtype(s.dtype) or s.dtype == object:
            present = s.dropna()
            if len(present) and all(isinstance(x, datetime.date) for x in present):
                out[col] = pd.to_datetime(s).astype("datetime64[ns]")
            elif len(present) == 0 or all(isinstance(x, str) for x in present):
                out[col] = s.astype(object).astype(pd.StringDtype())
            else:
                out[col] = s
        else:
            out[col] = s
    return pd.DataFrame(out, columns=list(frame.columns))


def _typed_changes(frame: "pandas.DataFrame") -> "pandas.DataFrame":
    import pandas as pd

    out = {}
    for col in frame.columns:
        s = frame[col].astype(object).astype(pd.StringDtype())
        if col == "date":
            out[col] = _dates(s, "%Y-%m-%d")
        else:
            out[col] = s.where(s != "")
    return pd.DataFrame(out, columns=list(frame.columns))


def read_dataset(folder: PathLike, table: str = "sheets") -> "pandas.DataFrame":
    """Load a dataset folder written by ``piasheet extract`` into a typed DataFrame.

    ``table`` is ``"sheets"`` (one row per sheet, every scalar field a column named
    by its dotted path), ``"changes"`` (one row per 変更箇所 row, with the sheet's
    keys) or ``"errors"`` (``errors.jsonl``); any other table the folder holds as
    ``<table>.parquet`` can be named too. ``<table>.parquet`` is read when
    present (its column types, in the same pandas dtypes as below); otherwise the frame
    is built from ``sheets.jsonl`` (or ``sheets.csv`` /
    ``changes.csv``) with the schema's types:

    - dates (``header.published_on``, ``….as_of``, ``changes.date``) → ``datetime64[ns]``;
      missing → ``NaT`` (``form.date``, a month such as ``2019-01``, stays a string);
    - codes and texts (``organization.lg_code``, ``header.evaluation_number``, …) →
      pandas ``string`` (leading zeros kept); missing → ``<NA>``;
    - check boxes → nullable ``boolean``; counts and choice codes → nullable ``Int64``.
    """
    import pandas as pd

    root = os.fspath(folder)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"no dataset folder {root!r}")
    if not table or os.sep in table or "/" in table or table.startswith("."):
        raise ValueError(f"not a table name: {table!r}")
    parquet = os.path.join(root, f"{table}.parquet")
    if os.path.isfile(parquet):
        frame = _typed_parquet(parquet)
        # Dates by the schema, also in a column Parquet could not type (all null).
        dates = {"changes": {"date"}, "sheets": {p for p, _, f in _piasheet.sheet_columns() if f in _DATE}}.get(table, set())
        for col in dates & set(frame.columns):
            if str(frame[col].dtype) != "datetime64[ns]":
                frame[col] = pd.to_datetime(frame[col].astype(object), errors="coerce").astype("datetime64[ns]")
        return frame
    if table not in _TABLES:
        raise ValueError(f"table must be one of {', '.join(_TABLES)} (or have a {table}.parquet), not {table!r}")
    if table == "errors":
        path = os.path.join(root, "errors.jsonl")
        cols = ["path", "sha256", "status", "code", "reason"]
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path!r} not found")
        rows = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rows.append(json.loads(line))
        return pd.DataFrame(rows, columns=cols, dtype=object).astype(pd.StringDtype())
    jsonl = os.path.join(root, "sheets.jsonl")
    csv_path = os.path.join(root, f"{table}.csv")
    if os.path.isfile(jsonl):
        sheets, changes = _piasheet.jsonl_tables(jsonl)
        if table == "sheets":
            names = [c[0] for c in _piasheet.sheet_columns()]
            return _typed_sheets(pd.DataFrame(sheets, columns=names, dtype=object))
        return _typed_changes(pd.DataFrame(changes, columns=_piasheet.change_columns(), dtype=object))
    if os.path.isfile(csv_path):
        frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return _typed_sheets(frame) if table == "sheets" else _typed_changes(frame)
    raise FileNotFoundError(f"no {table}.parquet, sheets.jsonl or {table}.csv in {root!r}")
