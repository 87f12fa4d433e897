"""A cleaned dataset to and from a Parquet snapshot folder: a run's canonical tables and logs.

The report run writes the period's snapshot once (``save_tables``) and every template reads it
back (``read_snapshot``, through ``ingest.read_clean``), so all pages of a run see the same
tables. A snapshot is recognised by its ``_snapshot.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from crm_lab.core.dataset import Dataset, quarantine_frame

__all__ = ["is_snapshot", "read_snapshot", "save_tables"]

_LOGS = ("quarantine", "accounting", "fixes", "merge_log", "review")


def save_tables(dataset: Dataset, out_dir: str | Path) -> Path:
    """Write a dataset (tables, quarantine, accounting, fixes, merge log) as a Parquet snapshot."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in dataset.tables.items():
        frame.to_parquet(out / f"{table}.parquet", index=False)
    for name in _LOGS:
        frame = getattr(dataset, name)
        frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}).to_parquet(
            out / f"_{name}.parquet", index=False
        )
    meta = {"tables": sorted(dataset.tables), "notes": list(dataset.notes)}
    (out / "_snapshot.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    return out


def is_snapshot(path: str | Path) -> bool:
    """True for a folder written by ``save_tables`` (clean canonical tables and their logs)."""
    return Path(path).is_dir() and (Path(path) / "_snapshot.yaml").exists()


def read_snapshot(path: str | Path) -> Dataset:
    """Read a folder written by ``save_tables`` back into a ``Dataset``."""
    path = Path(path)
    meta = yaml.safe_load((path / "_snapshot.yaml").read_text("utf-8"))
    tables = {t: pd.read_parquet(path / f"{t}.parquet") for t in meta["tables"]}
    logs = {
        n: pd.read_parquet(path / f"_{n}.parquet")
        for n in _LOGS
        if (path / f"_{n}.parquet").exists()
    }
    logs["quarantine"] = quarantine_frame([logs.get("quarantine", pd.DataFrame())])
    return Dataset(tables=tables, notes=list(meta.get("notes", [])), **logs)
