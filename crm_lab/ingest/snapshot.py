"""A cleaned dataset to and from a Parquet snapshot folder: a run's canonical tables and logs.

The report run writes the period's snapshot once (``save_tables``) and every template reads it
back (``read_snapshot``, through ``ingest.read_clean``), so all pages of a run see the same
tables. A snapshot is recognised by its ``_snapshot.yaml``. With a data key every file of it
but that marker is encrypted (``customers.parquet.enc``); the folder is owner-only (0700) and
its files 0600, whatever the umask.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import yaml

from crm_lab import privacy
from crm_lab.core.dataset import Dataset, quarantine_frame
from crm_lab.ingest.readers import LoadError

__all__ = ["is_snapshot", "private_dir", "read_snapshot", "save_tables"]

_LOGS = ("quarantine", "accounting", "fixes", "merge_log", "review")
_MARKER = "_snapshot.yaml"
_META = "_meta.yaml"  # tables and notes, encrypted (.enc), when the snapshot is encrypted


def private_dir(path: str | Path) -> Path:
    """Create a folder (and its parents) and make it owner-only (0700), whatever the umask."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _write_private(path: Path, data: bytes) -> None:
    """Write bytes to a file created 0600 (an existing one is made 0600 before it is written)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(data)


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def save_tables(
    dataset: Dataset, out_dir: str | Path, *, key_file: str | Path | None = None
) -> Path:
    """Write a dataset (tables, quarantine, accounting, fixes, merge log) as a Parquet snapshot.

    Parameters
    ----------
    dataset : Dataset
        The clean tables and their logs.
    out_dir : str or Path
        The snapshot folder; created owner-only (0700). The files of an earlier snapshot in it
        are removed first, so a plain table never survives beside an encrypted one.
    key_file : str or Path, optional
        A data key (``crm-lab new-key``, ``crm-lab encrypt``): every table, log and the notes
        are written encrypted (``<name>.parquet.enc``, ``_meta.yaml.enc``) and ``_snapshot.yaml``
        says only ``encrypted: true``. Nothing is written in plain.

    Raises
    ------
    KeyFileError
        The data key is missing, malformed or open to others (``privacy.data_cipher``).
    """
    cipher = privacy.data_cipher(key_file) if key_file else None
    out = private_dir(out_dir)
    for old in out.iterdir():
        if old.is_file() and (old.name.startswith((_MARKER, _META)) or ".parquet" in old.name):
            old.unlink()

    def write(name: str, data: bytes) -> None:
        if cipher is None:
            _write_private(out / name, data)
        else:
            _write_private(out / f"{name}.enc", cipher.encrypt(data))

    for table, frame in dataset.tables.items():
        write(f"{table}.parquet", _parquet(frame))
    for name in _LOGS:
        frame = getattr(dataset, name)
        text = {c: "string" for c in frame.columns if frame[c].dtype == object}
        write(f"_{name}.parquet", _parquet(frame.astype(text)))
    meta = {"tables": sorted(dataset.tables), "notes": list(dataset.notes)}
    text = yaml.safe_dump(meta, allow_unicode=True).encode("utf-8")
    if cipher is None:
        _write_private(out / _MARKER, text)
    else:
        write(_META, text)
        _write_private(out / _MARKER, yaml.safe_dump({"encrypted": True}).encode("utf-8"))
    return out


def is_snapshot(path: str | Path) -> bool:
    """True for a folder written by ``save_tables`` (clean canonical tables and their logs)."""
    return Path(path).is_dir() and (Path(path) / _MARKER).exists()


def read_snapshot(path: str | Path, *, key_file: str | Path | None = None) -> Dataset:
    """Read a folder written by ``save_tables`` back into a ``Dataset``.

    Raises
    ------
    LoadError
        The snapshot is encrypted and no ``key_file`` is given, or it does not decrypt with it.
    KeyFileError
        The data key is missing, malformed or open to others.
    """
    path = Path(path)
    meta = yaml.safe_load((path / _MARKER).read_text("utf-8")) or {}
    encrypted = bool(meta.get("encrypted"))
    if encrypted and not key_file:
        raise LoadError(path, "an encrypted snapshot: give its data key (data_key_file) to read it")

    def read(name: str) -> bytes:
        if not encrypted:
            return (path / name).read_bytes()
        try:
            return privacy.decrypt_bytes(path / f"{name}.enc", key_file=key_file)
        except privacy.KeyFileError:
            raise
        except ValueError as exc:
            raise LoadError(path / f"{name}.enc", str(exc).split(": ", 1)[-1]) from None

    def exists(name: str) -> bool:
        return (path / (f"{name}.enc" if encrypted else name)).exists()

    if encrypted:
        meta = yaml.safe_load(read(_META).decode("utf-8"))
    tables = {t: pd.read_parquet(io.BytesIO(read(f"{t}.parquet"))) for t in meta["tables"]}
    logs = {
        n: pd.read_parquet(io.BytesIO(read(f"_{n}.parquet")))
        for n in _LOGS
        if exists(f"_{n}.parquet")
    }
    logs["quarantine"] = quarantine_frame([logs.get("quarantine", pd.DataFrame())])
    return Dataset(tables=tables, notes=list(meta.get("notes", [])), **logs)
