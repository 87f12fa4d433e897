"""A cleaned dataset to and from a Parquet snapshot folder: a run's canonical tables and logs.

The report run writes the period's snapshot once (``save_tables``) and every template reads it
back (``read_snapshot``, through ``ingest.read_clean``), so all pages of a run see the same
tables. A snapshot is recognised by its ``_snapshot.yaml``, written last: a snapshot cut short
(a full disk) has none, and an old one is removed before a new one is written. A
``_snapshot.yaml`` that does not match its folder (a table file missing, export files next to
it, not YAML) is a ``LoadError`` naming what was found, never read as half a snapshot. With a
data key every file of it but that marker is encrypted (``customers.parquet.enc``); the folder
is owner-only (0700) and its files 0600, whatever the umask.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import yaml

from crm_lab import engine, privacy
from crm_lab.core.dataset import SNAPSHOT_MARKER, Dataset, quarantine_frame
from crm_lab.core.schemas import SCHEMAS, microseconds, nanoseconds
from crm_lab.ingest.parts import SnapshotWriteError, write_error
from crm_lab.ingest.readers import LoadError, is_table_file

__all__ = ["SnapshotWriteError", "is_snapshot", "private_dir", "read_snapshot", "save_tables"]

_LOGS = ("quarantine", "accounting", "fixes", "merge_log", "review", "mappings")
_MARKER = SNAPSHOT_MARKER
_META = "_meta.yaml"  # tables and notes, encrypted (.enc), when the snapshot is encrypted


def private_dir(path: str | Path) -> Path:
    """Create a folder (and its parents) and make it owner-only (0700), whatever the umask."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _parquet(frame: pd.DataFrame) -> bytes:
    """A table as Parquet bytes, timestamps in microseconds.

    Microseconds, not pandas' nanoseconds: Spark (``crm_lab.engine``) refuses nanosecond
    Parquet timestamps, and no CRM export times anything below a microsecond.
    """
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    return buffer.getvalue()


def _stream_parquet(table, file: Path) -> None:
    """An engine's table (or ``privacy.Pseudonymised``) into a Parquet file (0600), one batch
    at a time: memory holds a batch, not the table. Timestamps in microseconds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    apply = table.apply if isinstance(table, privacy.Pseudonymised) else None
    source = table.source if apply is not None else table
    writer = None
    with privacy.private_file(file) as fh:
        for batch in engine.arrow_batches(source):
            arrow = pa.Table.from_batches([batch])
            if apply is not None:
                arrow = pa.Table.from_pandas(apply(arrow.to_pandas()), preserve_index=False)
            arrow = microseconds(arrow)
            if writer is None:
                writer = pq.ParquetWriter(fh, arrow.schema)
            writer.write_table(arrow.cast(writer.schema))
        if writer is None:  # no rows: the table's columns, no row
            writer = pq.ParquetWriter(fh, microseconds(source.schema().to_pyarrow()))
        writer.close()


def _whole(table) -> pd.DataFrame:
    """An engine's table (or ``privacy.Pseudonymised``) read into one DataFrame."""
    if isinstance(table, privacy.Pseudonymised):
        return table.apply(table.source.to_pandas())
    return table.to_pandas()


def save_tables(
    dataset: Dataset, out_dir: str | Path, *, key_file: str | Path | None = None
) -> Path:
    """Write a dataset (tables, quarantine, accounting, fixes, merge log) as a Parquet snapshot.

    The old ``_snapshot.yaml`` goes first and the new one is written last (to a temporary
    name, then renamed), so a write cut short leaves no snapshot rather than a mixed one; the
    other files of an earlier snapshot are removed too, so a plain table never survives beside
    an encrypted one.

    Parameters
    ----------
    dataset : Dataset
        The clean tables and their logs.
    out_dir : str or Path
        The snapshot folder; created owner-only (0700), its files 0600.
    key_file : str or Path, optional
        A data key (``crm-lab new-key``, ``crm-lab encrypt``): every table, log and the notes
        are written encrypted (``<name>.parquet.enc``, ``_meta.yaml.enc``) and ``_snapshot.yaml``
        says only ``encrypted: true``. Nothing is written in plain.

    Raises
    ------
    KeyFileError
        The data key is missing, malformed or open to others (``privacy.data_cipher``).
    SnapshotWriteError
        The folder cannot be written (read-only, full disk), with the reason.
    """
    cipher = privacy.data_cipher(key_file) if key_file else None
    out = Path(out_dir)

    def write(name: str, data: bytes) -> None:
        if cipher is None:
            privacy.write_private(out / name, data)
        else:
            privacy.write_private(out / f"{name}.enc", cipher.encrypt(data))

    try:
        private_dir(out)
        (out / _MARKER).unlink(missing_ok=True)
        for old in out.iterdir():
            if old.is_file() and (old.name.startswith(_META) or ".parquet" in old.name):
                old.unlink()
        for table, frame in dataset.tables.items():
            if isinstance(frame, pd.DataFrame):
                write(f"{table}.parquet", _parquet(frame))
            elif cipher is None:  # an engine's table (lines out of core): batch by batch
                _stream_parquet(frame, out / f"{table}.parquet")
            else:  # encrypted as one piece: read whole
                write(f"{table}.parquet", _parquet(_whole(frame)))
        for name in _LOGS:
            frame = getattr(dataset, name)
            text = {c: "string" for c in frame.columns if frame[c].dtype == object}
            write(f"_{name}.parquet", _parquet(frame.astype(text)))
        meta = {"tables": sorted(dataset.tables), "notes": list(dataset.notes)}
        described = yaml.safe_dump(meta, allow_unicode=True).encode("utf-8")
        if cipher is not None:
            write(_META, described)
            described = yaml.safe_dump({"encrypted": True}).encode("utf-8")
        temporary = out / f".{_MARKER}.{os.getpid()}.tmp"
        privacy.write_private(temporary, described)
        os.replace(temporary, out / _MARKER)
    except OSError as exc:
        raise write_error(out, exc) from None
    return out


def is_snapshot(path: str | Path) -> bool:
    """True for a folder written by ``save_tables`` (clean canonical tables and their logs)."""
    return Path(path).is_dir() and (Path(path) / _MARKER).exists()


_REMOVE = "this is a stale snapshot: remove _snapshot.yaml to read the folder as export files"


def _marker(path: Path):
    """The folder's ``_snapshot.yaml`` as read (a LoadError when it is not YAML)."""
    where = path / _MARKER
    try:
        return yaml.safe_load(where.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LoadError(
            where, f"not a readable snapshot description ({type(exc).__name__}); {_REMOVE}"
        ) from None


def _described(path: Path, meta, read) -> dict:
    """The snapshot's description (its tables and notes), checked against the folder.

    ``meta`` is the ``_snapshot.yaml`` as read; ``read(name)`` gives a file of the snapshot as
    bytes (decrypted when the snapshot is encrypted).
    """
    where = path / _MARKER
    if isinstance(meta, dict) and meta.get("encrypted"):
        where = path / f"{_META}.enc"
        if not where.is_file():
            raise LoadError(where, f"an encrypted snapshot without its description; {_REMOVE}")
        try:
            meta = yaml.safe_load(read(_META).decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
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


def _opened(path: Path, key_file):
    """A snapshot folder into its marker, whether it is encrypted, and a reader of its files
    (``read(name)``: the file's bytes, decrypted when the snapshot is encrypted)."""
    marker = _marker(path)
    encrypted = isinstance(marker, dict) and bool(marker.get("encrypted"))
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

    return marker, encrypted, read


def table_names(path: str | Path, *, key_file: str | Path | None = None) -> list[str]:
    """A snapshot folder into the names of its tables, in their order, checked as
    ``read_snapshot`` checks them (a stale or broken snapshot is a ``LoadError``)."""
    path = Path(path)
    marker, _, read = _opened(path, key_file)
    return list(_described(path, marker, read)["tables"])


def read_snapshot(
    path: str | Path,
    *,
    key_file: str | Path | None = None,
    tables=None,
    columns=None,
    logs: bool | None = None,
) -> Dataset:
    """Read a folder written by ``save_tables`` back into a ``Dataset``.

    ``tables`` (names of tables) reads only those of them that the snapshot holds, and none of
    its logs (quarantine, accounting, fixes, ...): what a report needing only order lines
    reads, so that each report's kernel holds only what it uses. ``columns`` (names) reads
    only those columns of each table that it has; the other columns are not decoded.
    ``logs`` reads the logs too, or not; by default they are read when every table is.

    Raises
    ------
    LoadError
        The ``_snapshot.yaml`` does not match the folder (see the module docstring), one of its
        files is not readable Parquet, or the snapshot is encrypted and no ``key_file`` is
        given, or it does not decrypt with it.
    KeyFileError
        The data key is missing, malformed or open to others.
    """
    path = Path(path)
    marker, encrypted, read = _opened(path, key_file)

    def exists(name: str) -> bool:
        return (path / (f"{name}.enc" if encrypted else name)).exists()

    def frame(name: str, wanted=None) -> pd.DataFrame:
        # a plain file is read from disk, so that only the wanted columns' pages are read
        source = io.BytesIO(read(name)) if encrypted else path / name
        try:
            if wanted is not None:
                names = pq.read_schema(source).names
                wanted = [c for c in dict.fromkeys(wanted) if c in names]
            return nanoseconds(pd.read_parquet(source, columns=wanted))
        except Exception as exc:  # pyarrow raises several types for a broken file
            file = path / (f"{name}.enc" if encrypted else name)
            raise LoadError(
                file, f"not a readable Parquet file ({type(exc).__name__}); {_REMOVE}"
            ) from None

    meta = _described(path, marker, read)
    wanted = meta["tables"] if tables is None else [t for t in meta["tables"] if t in tables]
    found = {t: frame(f"{t}.parquet", columns) for t in wanted}
    with_logs = tables is None if logs is None else logs
    kept = {n: frame(f"_{n}.parquet") for n in _LOGS if with_logs and exists(f"_{n}.parquet")}
    kept["quarantine"] = quarantine_frame([kept.get("quarantine", pd.DataFrame())])
    return Dataset(tables=found, notes=list(meta.get("notes") or []), **kept)
