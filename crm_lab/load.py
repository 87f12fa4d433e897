"""Files in, canonical tables out: CSV, Excel and Parquet exports mapped onto ``schemas``.

A file-level problem (unreadable file, undecodable bytes, missing required column) raises one
``LoadError`` that names the file and what was expected. A row-level problem never stops the load:
a row whose required value cannot be read goes to the quarantine table with its file, line, column
and reason; an optional value that cannot be read is set missing and logged the same way. Nothing is
dropped without a trace, and input files are only ever opened for reading.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from crm_lab.schemas import SCHEMAS, conform, dtype_of

__all__ = [
    "Dataset",
    "LoadError",
    "QUARANTINE_COLUMNS",
    "load_data",
    "read_table",
    "save_tables",
]

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet")
QUARANTINE_COLUMNS = ["table", "source_file", "source_line", "column", "value", "rule", "action"]
_ALIASES_FILE = Path(__file__).with_name("aliases.yaml")


class LoadError(ValueError):
    """A file cannot be read as the table it should be; the message says what was expected."""

    def __init__(self, path: str | Path, message: str):
        self.path = str(path)
        super().__init__(f"{path}: {message}")


@dataclass
class Dataset:
    """Canonical tables read from files, with the rows that could not be read and why.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Canonical tables by name (only those present in the input).
    quarantine : DataFrame
        One row per problem: table, source_file, source_line, column, value, rule and action
        (``row_quarantined`` or ``value_set_missing``).
    counts : DataFrame
        Per table: rows_in, rows_loaded, rows_quarantined.
    sources : dict of str to list of str
        Input files per table.
    notes : list of str
        What the loader decided on the user's behalf (derived tables, ignored headers).
    """

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS)
    )
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __contains__(self, table: str) -> bool:
        return table in self.tables

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]


def _norm(header: object) -> str:
    """Normalise a header for alias matching: lower case, no spaces, _ - . or brackets."""
    text = str(header).strip().lower().replace("\ufeff", "")
    return re.sub(r"[\s_\-\.\(\)（）\[\]#/]+", "", text)


@lru_cache(maxsize=8)
def _aliases(extra: str | None = None) -> dict:
    data = yaml.safe_load(_ALIASES_FILE.read_text("utf-8"))
    if extra:
        user = yaml.safe_load(Path(extra).read_text("utf-8")) or {}
        for section in ("files", "columns", "values"):
            for key, value in (user.get(section) or {}).items():
                if isinstance(value, dict):
                    base = data[section].setdefault(key, {})
                    for k, v in value.items():
                        base[k] = (list(v) + list(base.get(k, []))) if isinstance(v, list) else v
                else:
                    data[section][key] = list(value) + list(data[section].get(key, []))
    return data


def _table_from_name(path: Path, aliases: dict) -> str | None:
    stem = _norm(path.stem)
    for table, names in aliases["files"].items():
        if stem in {_norm(n) for n in names}:
            return table
    return None


def _header_map(headers: list[str], table: str, aliases: dict) -> tuple[dict[str, str], list[str]]:
    """Map input headers to canonical columns; return the mapping and the unmapped headers."""
    by_norm: dict[str, list[str]] = {}
    for h in headers:
        by_norm.setdefault(_norm(h), []).append(h)
    mapping: dict[str, str] = {}
    for column, names in aliases["columns"][table].items():
        for name in [column, *names]:
            hits = by_norm.get(_norm(name), [])
            free = [h for h in hits if h not in mapping]
            if free:
                mapping[free[0]] = column
                break
    unmapped = [h for h in headers if h not in mapping]
    return mapping, unmapped


def _guess_table(headers: list[str], aliases: dict) -> str | None:
    """Pick the table whose required columns are all present, preferring the most matches."""
    best, best_score = None, -1
    for table, schema in SCHEMAS.items():
        mapping, _ = _header_map(headers, table, aliases)
        mapped = set(mapping.values())
        if all(c in mapped for c in schema.required) and len(mapped) > best_score:
            best, best_score = table, len(mapped)
    return best


def _decode(path: Path, raw: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            line = raw[: utf8_error.start].count(b"\n") + 1
            raise LoadError(
                path,
                f"cannot decode byte {raw[utf8_error.start]:#04x} at line {line}: the file is "
                "neither UTF-8, UTF-16 with BOM nor GB18030; re-export it as UTF-8 CSV",
            ) from None


def _read_raw(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a file into a frame (text cells as str where the format allows) and its header line."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise LoadError(path, "file not found")
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path), 1
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise LoadError(
                path, f"not a readable Parquet file ({type(exc).__name__}: {exc})"
            ) from exc
    if suffix in (".xlsx", ".xls"):
        try:
            return pd.read_excel(path, dtype=str, keep_default_na=False), 1
        except Exception as exc:
            raise LoadError(
                path, f"not a readable Excel file ({type(exc).__name__}: {exc})"
            ) from exc
    raw = path.read_bytes()
    if not raw.strip():
        raise LoadError(path, "file is empty; expected a header line and data rows")
    text = _decode(path, raw)
    first = text.splitlines()[0] if text else ""
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = "\t" if suffix == ".tsv" else ","
    frame = pd.read_csv(
        io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_filter=False
    )
    return frame, 1


def _to_id(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ids as exact strings; floats only when integral (a parquet id column with NaN)."""
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isnan(values) | (values == np.round(values))
        out = pd.Series(pd.NA, index=series.index, dtype="string")
        ok = ~np.isnan(values) & integral
        out[ok] = pd.Series(values[ok].astype(np.int64), index=series.index[ok]).astype("string")
        return out, pd.Series(~integral, index=series.index)
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("string"), pd.Series(False, index=series.index)
    out = series.astype("string").str.strip()
    out = out.mask(out == "")
    return out, pd.Series(False, index=series.index)


def _to_str(series: pd.Series) -> pd.Series:
    out = series.astype("string").str.strip()
    return out.mask(out == "")


def _to_datetime(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_dtype(series.dtype):
        out = series
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.astype("datetime64[ns]"), pd.Series(False, index=series.index)
    text = _to_str(series)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    retry = parsed.isna() & text.notna()
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], format="mixed", errors="coerce")
    bad = parsed.isna() & text.notna()
    return parsed.astype("datetime64[ns]"), bad


def _to_float(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64"), pd.Series(False, index=series.index)
    text = _to_str(series)
    parsed = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    parsed = parsed.astype("float64")
    return parsed, parsed.isna() & text.notna()


def _to_int(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    parsed, bad = _to_float(series)
    non_integral = parsed.notna() & (parsed != parsed.round())
    return parsed.mask(non_integral).astype("Int64"), bad | non_integral


def _to_category(series: pd.Series, column: str, allowed, aliases) -> tuple[pd.Series, pd.Series]:
    text = _to_str(series)
    mapping = {str(k).lower(): v for k, v in (aliases["values"].get(column) or {}).items()}
    lowered = text.str.lower()
    mapped = lowered.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
    mapped = mapped.astype("string")
    exact = mapped.where(mapped.isin(allowed)) if allowed else mapped
    # keep the original spelling when it is already canonical
    bad = exact.isna() & text.notna()
    return exact.astype("string"), bad


def _derive_transactions(frame: pd.DataFrame, present: set[str]) -> pd.DataFrame:
    if "amount" not in present:
        frame["amount"] = frame["quantity"] * frame["unit_price"]
    if "line_type" not in present:
        inv = frame["invoice_id"].fillna("")
        frame["line_type"] = np.select(
            [inv.str.startswith("C"), inv.str.startswith("A"), frame["quantity"] < 0],
            ["cancellation", "adjustment", "return"],
            default="sale",
        )
        frame["line_type"] = frame["line_type"].astype("string")
    return frame


def read_table(
    path: str | Path, *, table: str | None = None, aliases: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one export file into a canonical table and its quarantine rows.

    Parameters
    ----------
    path : str or Path
        A CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM or GB18030; delimiter , ; | or tab),
        Excel (.xlsx) or Parquet file.
    table : str, optional
        Canonical table name; guessed from the file name, then from the headers, when omitted.
    aliases : str, optional
        A YAML file of extra header aliases, merged over the built-in ``aliases.yaml``.

    Returns
    -------
    (DataFrame, DataFrame)
        The canonical table (``schemas.SCHEMAS[table]`` columns and dtypes) and the quarantine
        rows (``QUARANTINE_COLUMNS``) for this file.

    Raises
    ------
    LoadError
        The file is missing, empty, undecodable, of unknown table, or lacks a required column.
    """
    path = Path(path)
    alias_data = _aliases(str(aliases) if aliases else None)
    frame, header_line = _read_raw(path)
    headers = [str(c) for c in frame.columns]
    if table is None:
        table = _table_from_name(path, alias_data) or _guess_table(headers, alias_data)
    if table is None:
        raise LoadError(
            path,
            "cannot tell which table this is: name the file after a table "
            f"({', '.join(SCHEMAS)}) or give its headers the canonical names; "
            f"headers found: {headers}",
        )
    if table not in SCHEMAS:
        raise LoadError(path, f"unknown table {table!r}; expected one of {list(SCHEMAS)}")
    schema = SCHEMAS[table]
    mapping, unmapped = _header_map(headers, table, alias_data)
    missing = [c for c in schema.required if c not in mapping.values()]
    if missing:
        accepted = {c: [c, *alias_data["columns"][table].get(c, [])] for c in missing}
        raise LoadError(
            path,
            f"missing required column(s) {missing} for table {table!r}; accepted headers: "
            f"{accepted}; headers found: {headers}",
        )
    if unmapped:
        log.info("%s: ignoring headers %s", path, unmapped)
    src = frame[list(mapping)].rename(columns=mapping)
    out = pd.DataFrame(index=frame.index)
    problems = []
    for col in schema.columns:
        if col.name not in src.columns:
            continue
        s = src[col.name]
        if col.kind == "id":
            values, bad = _to_id(s)
        elif col.kind == "str":
            values, bad = _to_str(s), pd.Series(False, index=s.index)
        elif col.kind == "datetime":
            values, bad = _to_datetime(s)
        elif col.kind == "float":
            values, bad = _to_float(s)
        elif col.kind == "int":
            values, bad = _to_int(s)
        else:
            values, bad = _to_category(s, col.name, col.allowed, alias_data)
        out[col.name] = values
        missing_required = values.isna() & ~bad if not col.nullable else None
        for mask, rule in ((bad, f"invalid_{col.kind}"), (missing_required, "missing_value")):
            if mask is None or not mask.any():
                continue
            action = "value_set_missing" if col.nullable else "row_quarantined"
            idx = np.flatnonzero(mask.to_numpy())
            problems.append(
                pd.DataFrame(
                    {
                        "table": table,
                        "source_file": str(path),
                        "source_line": idx + header_line + 1,
                        "column": col.name,
                        "value": s.iloc[idx].astype(str).str.slice(0, 40).to_numpy(),
                        "rule": rule,
                        "action": action,
                    }
                )
            )
    quarantine = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    )
    bad_rows = quarantine.loc[quarantine["action"] == "row_quarantined", "source_line"]
    keep = ~np.isin(np.arange(len(out)) + header_line + 1, bad_rows.to_numpy(dtype=np.int64))
    out = out[keep].reset_index(drop=True)
    if table == "transactions":
        out = _derive_transactions(out, set(src.columns))
    out = conform(out, table)
    for col in schema.columns:
        out[col.name] = out[col.name].astype(dtype_of(col.kind))
    return out, quarantine


def _derive_customers(transactions: pd.DataFrame) -> pd.DataFrame:
    """Derive a customers table (id and most frequent country) from transactions."""
    known = transactions.dropna(subset=["customer_id"])
    country = (
        known.dropna(subset=["country"])
        .groupby(["customer_id", "country"], observed=True)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["customer_id", "n", "country"], ascending=[True, False, True])
        .drop_duplicates("customer_id")
        .set_index("customer_id")["country"]
    )
    ids = pd.Series(sorted(known["customer_id"].unique()), dtype="string")
    frame = pd.DataFrame({"customer_id": ids, "country": ids.map(country).astype("string")})
    out = conform(frame, "customers")
    for col in SCHEMAS["customers"].columns:
        out[col.name] = out[col.name].astype(dtype_of(col.kind))
    return out


def load_data(
    path: str | Path, *, aliases: str | None = None, derive_customers: bool = True
) -> Dataset:
    """Read a folder of export files (or one file) into canonical tables.

    Parameters
    ----------
    path : str or Path
        A folder whose files are named after tables (``customers.csv``, ``订单.xlsx``, ...;
        several files of one table are stacked), or a single file such as the Online Retail
        Parquet file, whose table is guessed from its headers.
    aliases : str, optional
        A YAML file of extra header aliases.
    derive_customers : bool
        When transactions are given without customers, derive a customers table from them
        (``customer_id`` and most frequent ``country``) and say so in ``notes``.

    Returns
    -------
    Dataset
        The tables, the quarantine, the row counts and notes.
    """
    path = Path(path)
    alias_data = _aliases(str(aliases) if aliases else None)
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.suffix.lower() in SUFFIXES and not p.name.startswith(("_", "."))
        )
        if not files:
            raise LoadError(path, f"no table files ({', '.join(SUFFIXES)}) in this folder")
        named = {p: _table_from_name(p, alias_data) for p in files}
    elif path.exists():
        files, named = [path], {path: None}
    else:
        raise LoadError(path, "no such file or folder")
    parts: dict[str, list[pd.DataFrame]] = {}
    quarantines, sources, counts, notes = [], {}, [], []
    for file in files:
        if path.is_dir() and named[file] is None:
            notes.append(f"{file.name}: not a table name, ignored")
            continue
        frame, quarantine = read_table(file, table=named[file], aliases=aliases)
        table = _table_of(frame)
        parts.setdefault(table, []).append(frame)
        quarantines.append(quarantine)
        sources.setdefault(table, []).append(str(file))
        n_bad = int(
            quarantine.loc[quarantine["action"] == "row_quarantined", "source_line"].nunique()
        )
        counts.append(
            {
                "table": table,
                "file": str(file),
                "rows_in": len(frame) + n_bad,
                "rows_loaded": len(frame),
                "rows_quarantined": n_bad,
            }
        )
    tables = {
        t: pd.concat(fs, ignore_index=True) if len(fs) > 1 else fs[0] for t, fs in parts.items()
    }
    if derive_customers and "transactions" in tables and "customers" not in tables:
        tables["customers"] = _derive_customers(tables["transactions"])
        notes.append("customers: derived from transactions (customer_id, country)")
    if path.is_dir() and (path / "_quarantine.parquet").exists():  # a snapshot's own log
        quarantines.append(pd.read_parquet(path / "_quarantine.parquet"))
    quarantine = (
        pd.concat([q for q in quarantines if len(q)], ignore_index=True)
        if any(len(q) for q in quarantines)
        else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    )
    return Dataset(
        tables=tables,
        quarantine=quarantine,
        counts=pd.DataFrame(counts),
        sources=sources,
        notes=notes,
    )


def _table_of(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    for name, schema in SCHEMAS.items():
        if schema.names == cols:
            return name
    raise AssertionError(f"not a canonical table: {cols}")  # pragma: no cover


def save_tables(dataset: Dataset, out_dir: str | Path) -> Path:
    """Write a dataset's canonical tables and quarantine as Parquet files into a folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in dataset.tables.items():
        frame.to_parquet(out / f"{table}.parquet", index=False)
    dataset.quarantine.astype({"source_line": "int64"}).to_parquet(
        out / "_quarantine.parquet", index=False
    )
    return out
