"""A cleaned dataset to and from a Parquet snapshot folder: a run's canonical tables and logs.

The report run writes the period's snapshot once (``save_tables``) and every template reads it
back (``read_snapshot``, through ``ingest.read_clean``), so all pages of a run see the same
tables. A snapshot is recognised by its ``_snapshot.yaml``, written last: a snapshot cut short
(a full disk) has none, and an old one is removed before a new one is written. A
``_snapshot.yaml`` that does not match its folder (a table file missing, export files next to
it, not YAML) is a ``LoadError`` naming what was found, never read as half a snapshot.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pandas as pd
import yaml

from crm_lab.core.dataset import Dataset, quarantine_frame
from crm_lab.core.schemas import SCHEMAS
from crm_lab.ingest.readers import LoadError, is_table_file

__all__ = ["SnapshotWriteError", "is_snapshot", "read_snapshot", "save_tables"]

_LOGS = ("quarantine", "accounting", "fixes", "merge_log", "review")
_META = "_snapshot.yaml"


class SnapshotWriteError(OSError):
    """The snapshot folder cannot be written (read-only, full, not a folder); says which."""


def _write_error(out: Path, exc: OSError) -> SnapshotWriteError:
    why = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the file system is read-only",
    }.get(exc.errno, exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else ""
    error = SnapshotWriteError(
        f"{out}: cannot write the run's tables: {why}{where}; expected a writable folder with "
        "free space — free some space or choose another work folder (--work)"
    )
    error.errno = exc.errno
    return error


def save_tables(dataset: Dataset, out_dir: str | Path) -> Path:
    """Write a dataset (tables, quarantine, accounting, fixes, merge log) as a Parquet snapshot.

    The old ``_snapshot.yaml`` goes first and the new one is written last (to a temporary
    name, then renamed), so a write cut short leaves no snapshot rather than a mixed one;
    table files of an older snapshot that this dataset does not have are removed.

    Raises
    ------
    SnapshotWriteError
        The folder cannot be written (read-only, full disk), with the reason.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / _META).unlink(missing_ok=True)
        for table in SCHEMAS:
            if table not in dataset.tables:
                (out / f"{table}.parquet").unlink(missing_ok=True)
        for table, frame in dataset.tables.items():
            frame.to_parquet(out / f"{table}.parquet", index=False)
        for name in _LOGS:
            frame = getattr(dataset, name)
            frame.astype(
                {c: "string" for c in frame.columns if frame[c].dtype == object}
            ).to_parquet(out / f"_{name}.parquet", index=False)
        meta = {"tables": sorted(dataset.tables), "notes": list(dataset.notes)}
        temporary = out / f".{_META}.{os.getpid()}.tmp"
        temporary.write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
        os.replace(temporary, out / _META)
    except OSError as exc:
        raise _write_error(out, exc) from None
    return out


def is_snapshot(path: str | Path) -> bool:
    """True for a folder written by ``save_tables`` (clean canonical tables and their logs)."""
    return Path(path).is_dir() and (Path(path) / _META).exists()


def _meta(path: Path) -> dict:
    """The folder's ``_snapshot.yaml``, checked against the folder."""
    where = path / _META
    try:
        meta = yaml.safe_load(where.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LoadError(
            where, f"not a readable snapshot description ({type(exc).__name__}); {_REMOVE}"
        ) from None
    tables = meta.get("tables") if isinstance(meta, dict) else None
    if not isinstance(tables, list) or not all(t in SCHEMAS for t in tables):
        raise LoadError(
            where, f"expected a mapping whose 'tables' lists tables of {list(SCHEMAS)}; {_REMOVE}"
        )
    written = {f"{t}.parquet{end}" for t in tables for end in ("", ".enc")}  # .enc: encrypted
    missing = [
        f"{t}.parquet"
        for t in tables
        if not any((path / f"{t}.parquet{end}").is_file() for end in ("", ".enc"))
    ]
    if missing:
        raise LoadError(
            where, f"names tables whose files are missing: {', '.join(missing)}; {_REMOVE}"
        )
    others = sorted(
        p.name
        for p in path.iterdir()
        if not p.name.startswith(("_", ".")) and p.name not in written and is_table_file(p)
    )
    if others:
        raise LoadError(
            where,
            f"the folder also holds table files this snapshot does not list: "
            f"{', '.join(others[:10])}; expected either a run's snapshot or export files — "
            f"{_REMOVE}",
        )
    return meta


_REMOVE = "this is a stale snapshot: remove _snapshot.yaml to read the folder as export files"


def read_snapshot(path: str | Path) -> Dataset:
    """Read a folder written by ``save_tables`` back into a ``Dataset``.

    Raises
    ------
    LoadError
        The ``_snapshot.yaml`` does not match the folder (see the module docstring), or one of
        its files is not readable Parquet.
    """
    path = Path(path)
    meta = _meta(path)

    def read(file: Path) -> pd.DataFrame:
        try:
            return pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise LoadError(
                file, f"not a readable Parquet file ({type(exc).__name__}); {_REMOVE}"
            ) from None

    tables = {t: read(path / f"{t}.parquet") for t in meta["tables"]}
    logs = {n: read(path / f"_{n}.parquet") for n in _LOGS if (path / f"_{n}.parquet").exists()}
    logs["quarantine"] = quarantine_frame([logs.get("quarantine", pd.DataFrame())])
    return Dataset(tables=tables, notes=list(meta.get("notes") or []), **logs)
