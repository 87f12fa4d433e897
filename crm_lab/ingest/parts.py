"""Order lines too many for memory, read and cleaned a batch at a time (out of core).

``load_data(path, spill=folder)`` reads each order-line file in batches
(``readers.read_table_batches``) and adds each batch to a ``LineParts``: its canonical rows
go to a Parquet part in ``folder`` with their source line and a 64-bit hash of the row, and
only small per-customer totals stay in memory (first order day, lines per country: what a
derived customers table needs). ``policies.clean_dataset`` then calls ``LineParts.clean``,
which applies the same policies as ``clean_transactions`` and ``shared_invoices`` to the same
rows in the same order, with the two rules that look across rows decided on all of them at
once by DuckDB, out of core:

- exact duplicates: DuckDB finds the hashes that repeat; only the rows carrying them (a few
  per cent) are compared exactly in pandas, in file order (``policies.duplicate_rows``' rule);
- shared invoices: DuckDB lists the invoices whose lines name two or more customers.

The result is one Parquet file of clean lines (``<folder>/transactions.parquet``, timestamps
in microseconds as a snapshot writes them) that an engine reads lazily, and the quarantine of
the lines that left, with their file and line. Memory is a batch, never the table.
"""

from __future__ import annotations

import dataclasses
import errno
import os
from pathlib import Path

import numpy as np
import pandas as pd

from crm_lab.core.dataset import quarantine_frame
from crm_lab.core.schemas import nanoseconds
from crm_lab.ingest import dedup


class SnapshotWriteError(OSError):
    """The snapshot folder cannot be written (read-only, full, not a folder); says which."""


def write_error(out: Path, exc: OSError) -> SnapshotWriteError:
    """An OSError writing into ``out`` (a snapshot, or the parts of order lines read out of
    core) into the error that says why in words."""
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


_HASH = "_row_hash"  # beside a raw part's columns: the row's hash (policies.duplicate_rows)
_SOURCE = ("_source_file", "_source_line")


@dataclasses.dataclass
class LineParts:
    """The order lines of a load, as Parquet parts in ``folder`` (see the module docstring).

    ``rows`` counts the lines added; ``first_days`` and ``country_counts`` are the per-customer
    totals of the raw lines a derived customers table is made from.
    """

    folder: Path
    files: list[Path] = dataclasses.field(default_factory=list)
    rows: int = 0
    first_days: pd.Series | None = None
    country_counts: pd.Series | None = None
    clean_file: Path | None = None

    def __len__(self) -> int:
        return self.rows

    def mark(self) -> tuple:
        """Where the parts stand now, for ``reset`` (a file read again from its top)."""
        return len(self.files), self.rows, self.first_days, self.country_counts

    def reset(self, mark: tuple) -> None:
        """Forget the parts added since ``mark``."""
        n, self.rows, self.first_days, self.country_counts = mark
        for file in self.files[n:]:
            file.unlink(missing_ok=True)
        del self.files[n:]

    def add(self, frame: pd.DataFrame, *, source_file: str, lines: np.ndarray) -> None:
        """Write one batch of canonical order lines (and where each came from) as a part."""
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # personal data: owner-only, whatever the umask
        part = frame.assign(
            **{_SOURCE[0]: source_file, _SOURCE[1]: np.asarray(lines, dtype="int64")},
            **{_HASH: row_hashes(frame)},
        )
        file = self.folder / f"raw-{len(self.files):05d}.parquet"
        _write(part, file)
        self.files.append(file)
        self.rows += len(frame)
        self._count_customers(frame)

    def _count_customers(self, frame: pd.DataFrame) -> None:
        known = frame.dropna(subset=["customer_id"])
        days = known.groupby("customer_id", observed=True)["ordered_at"].min()
        counts = (
            known.dropna(subset=["country"])
            .groupby(["customer_id", "country"], observed=True)
            .size()
        )
        if self.first_days is None:
            self.first_days, self.country_counts = days, counts
            return
        self.first_days = pd.concat([self.first_days, days]).groupby(level=0).min()
        self.country_counts = pd.concat([self.country_counts, counts]).groupby(level=[0, 1]).sum()

    def frames(self, *, raw: bool = False):
        """The parts, one DataFrame at a time, in the order the lines were read."""
        for file in self.files if raw else [self.clean_file]:
            yield _read(file)

    def to_frame(self) -> pd.DataFrame:
        """Every raw line in one DataFrame (what a profile with customer records needs)."""
        frames = [f.drop(columns=[_HASH, *_SOURCE]) for f in self.frames(raw=True)]
        return pd.concat(frames, ignore_index=True)

    def clean(
        self, *, rules, duplicates: bool, mapping: dict[str, str], shared, order=()
    ) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
        """Apply the order-line policies to every part; customer ids re-pointed by ``mapping``.

        ``rules(lines, provenance=..., duplicates=...)`` is ``policies.clean_transactions``
        with the run's policies, given each batch and the mask of its lines that repeat an
        earlier line of any batch (``duplicates``: that policy is on); ``shared(lines,
        invoices, provenance=...)`` is ``policies.shared_invoice_lines`` (or None: that
        policy is off), given the invoices that name two customers over every batch. Returns
        the clean lines' Parquet file (also ``clean_file``), the quarantine of the lines the
        rules took out, rule by rule in ``order``, and that of the shared invoices' lines:
        the same rows as on one DataFrame.
        """
        repeated = self._duplicates() if duplicates else np.zeros(0, dtype=np.int64)
        ruled, ruled_q, offset = [], [], 0
        for i, part in enumerate(self.frames(raw=True)):
            provenance = _provenance(part)
            inside = repeated[(repeated >= offset) & (repeated < offset + len(part))]
            mask = np.zeros(len(part), dtype=bool)
            mask[inside - offset] = True
            offset += len(part)
            tx, q, kept = rules(
                part.drop(columns=[_HASH, *_SOURCE]), provenance=provenance, duplicates=mask
            )
            tx = dedup.repoint(tx, mapping)
            file = self.folder / f"ruled-{i:05d}.parquet"
            where = {_SOURCE[0]: kept["source_file"].to_numpy(), _SOURCE[1]: kept["source_line"]}
            _write(tx.assign(**where), file)
            ruled.append(file)
            ruled_q.append(q)
        for file in self.files:  # the raw parts are in the ruled ones now
            file.unlink(missing_ok=True)
        invoices = _shared_invoices(ruled) if shared is not None else set()
        writer, shared_q = None, []
        self.clean_file = self.folder / "transactions.parquet"
        try:
            for file in ruled:
                part = _read(file)
                tx = part.drop(columns=list(_SOURCE))
                if shared is not None:
                    tx, q, _ = shared(tx, invoices, provenance=_provenance(part))
                    shared_q.append(q)
                writer = _append(writer, tx, self.clean_file)
                file.unlink()
        finally:
            if writer is not None:
                writer.close()
        ruled_q = quarantine_frame(ruled_q)  # rule by rule, as one table's quarantine lists them
        rank = ruled_q["rule"].map({r: i for i, r in enumerate(order)}).fillna(len(order))
        ruled_q = ruled_q.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)
        return self.clean_file, ruled_q, quarantine_frame(shared_q)

    def _duplicates(self) -> np.ndarray:
        """The positions (over all parts, in order) of lines that repeat an earlier line."""
        pattern = [str(f) for f in self.files]
        with _duckdb(self.folder) as con:
            repeated = con.execute(
                f"SELECT {_HASH} FROM read_parquet(?) GROUP BY {_HASH} HAVING count(*) > 1",
                [pattern],
            ).fetchnumpy()[_HASH]
        if not len(repeated):
            return np.zeros(0, dtype=np.int64)
        candidates, positions, offset = [], [], 0
        for part in self.frames(raw=True):
            hit = np.isin(part[_HASH].to_numpy(), repeated)
            candidates.append(part[hit].drop(columns=[_HASH, *_SOURCE]))
            positions.append(np.flatnonzero(hit) + offset)
            offset += len(part)
        rows = pd.concat(candidates, ignore_index=True)
        where = np.concatenate(positions)
        return where[rows.duplicated(keep="first").to_numpy()]


def _provenance(part: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"source_file": part[_SOURCE[0]], "source_line": part[_SOURCE[1]]})


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A table into one 64-bit hash per row; equal rows (as ``duplicated`` sees them) hash
    alike: floats are normalised first (-0.0 is 0.0, every NaN one NaN).

    >>> row_hashes(pd.DataFrame({"a": [0.0, -0.0, 1.0]})).tolist()[0] == row_hashes(
    ...     pd.DataFrame({"a": [-0.0]})).tolist()[0]
    True
    """
    normal = {}
    for name, column in frame.items():
        if column.dtype.kind == "f":
            values = column.to_numpy() + 0.0  # -0.0 + 0.0 is 0.0
            normal[name] = np.where(np.isnan(values), np.nan, values)
    hashed = frame.assign(**normal) if normal else frame
    return pd.util.hash_pandas_object(hashed, index=False).to_numpy()


def _shared_invoices(files: list[Path]) -> set:
    """The invoices whose lines (in ``files``) name two or more customers (DuckDB)."""
    with _duckdb(files[0].parent) as con:
        found = con.execute(
            "SELECT invoice_id FROM read_parquet(?) WHERE invoice_id IS NOT NULL AND "
            "customer_id IS NOT NULL GROUP BY invoice_id HAVING count(DISTINCT customer_id) > 1",
            [[str(f) for f in files]],
        ).fetchall()
    return {row[0] for row in found}


def _duckdb(folder: Path):
    """A DuckDB connection as the engine's (a quarter of the memory), spilling into ``folder``."""
    from crm_lab.engine import session

    return session.connect("duckdb", temp_dir=folder / "duckdb-spill").backend.con


def _write(frame: pd.DataFrame, file: Path) -> None:
    try:
        frame.to_parquet(file, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    except OSError as exc:  # a full disk: said, not a traceback
        raise write_error(file.parent, exc) from None


def _read(file: Path) -> pd.DataFrame:
    return nanoseconds(pd.read_parquet(file))


def _append(writer, frame: pd.DataFrame, file: Path):
    """Add a frame to one Parquet file as a row group (the writer opened on the first)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if writer is None:
        writer = pq.ParquetWriter(
            file, table.schema, coerce_timestamps="us", allow_truncated_timestamps=True
        )
    else:
        table = table.cast(writer.schema)
    try:
        writer.write_table(table)
    except OSError as exc:
        raise write_error(file.parent, exc) from None
    return writer
