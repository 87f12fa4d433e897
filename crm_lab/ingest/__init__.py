"""Files into canonical tables: the only layer that reads user files.

``read_clean(path)`` is the entry point: it reads export files (``readers``: CSV, Excel,
Parquet, encrypted files; headers through aliases; every value through ``values``' parsers),
applies the table policies (``policies``: order-line rules, customer de-duplication through
``dedup``) and returns a ``Dataset``. A run's snapshot folder (``snapshot``) is already clean
and is read as it is, so a template gives the same numbers on the raw files and on a snapshot.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from crm_lab.core.dataset import Dataset
from crm_lab.core.progress import Progress, steps
from crm_lab.core.schemas import SCHEMAS
from crm_lab.ingest.policies import clean_dataset, load_policies
from crm_lab.ingest.profiles import ProfileError, load_profiles
from crm_lab.ingest.readers import LoadError, load_data, read_basket_file, read_table
from crm_lab.ingest.snapshot import (
    SnapshotWriteError,
    is_snapshot,
    private_dir,
    read_snapshot,
    save_tables,
)

__all__ = [
    "Dataset",
    "LoadError",
    "ProfileError",
    "SnapshotWriteError",
    "clean_dataset",
    "is_snapshot",
    "load_data",
    "load_policies",
    "load_profiles",
    "private_dir",
    "read_basket_file",
    "read_clean",
    "read_snapshot",
    "read_table",
    "save_tables",
]


def read_clean(
    path: str | Path,
    *,
    policies: str | Path | dict | None = None,
    aliases: str | Path | None = None,
    data_key_file: str | Path | None = None,
    max_uncompressed_mb: float | None = None,
    profile: str | None = None,
    profiles: str | Path | None = None,
    columns: dict[str, str] | None = None,
    phone_region: str | None = None,
    progress: Progress = None,
    tables=None,
) -> Dataset:
    """Read export files (or a run's snapshot) into a clean ``Dataset``.

    ``clean_dataset(load_data(path))`` for export files; a snapshot folder written by
    ``save_tables`` is read as it is (it was cleaned when it was written).

    Parameters
    ----------
    path : str or Path
        A folder of table files, one file, or a snapshot folder.
    policies, aliases : str or Path, optional
        YAML files of cleaning policies and of extra header aliases.
    data_key_file : str or Path, optional
        Key for encrypted input files (``*.enc``) and encrypted snapshots.
    max_uncompressed_mb : float, optional
        The most a compressed input may expand to before it is parsed
        (``$CRM_LAB_MAX_UNCOMPRESSED_MB``, else 200).
    profile, profiles, columns, phone_region : optional
        The export profile (``"salesforce"``; detected when omitted), a user's profile file
        or folder, the user's header per column (``{"customers.customer_id": "AccountId"}``)
        and the region of phone numbers without a country (see ``readers.read_table``).
    progress : callable or bool, optional
        Say each step (each file read, the cleaning) as it begins: a function of one line
        such as ``print``, or ``True`` for a bar in JupyterLab (``core.progress``).
    tables : list of str, optional
        Only these tables: from a snapshot, only their files are read and none of its logs
        (``read_snapshot``); export files are read and cleaned whole, then the others left
        out.
    """
    if isinstance(tables, str):
        tables = [tables]
    unknown = sorted(set(tables or ()) - set(SCHEMAS))
    if unknown:
        raise ValueError(f"tables: unknown table(s) {unknown}; expected some of {list(SCHEMAS)}")
    if is_snapshot(path):
        with steps(progress, "reading", total=1) as said:
            said.step(f"the snapshot {Path(path).name}")
            return read_snapshot(path, key_file=data_key_file or None, tables=tables)
    data = load_data(
        path,
        aliases=str(aliases) if aliases else None,
        key_file=data_key_file,
        max_uncompressed_mb=max_uncompressed_mb,
        profile=profile,
        profiles=profiles,
        columns=columns,
        phone_region=phone_region,
        progress=progress,
    )
    with steps(progress, "cleaning", total=1) as said:
        lines = len(data.tables.get("transactions", ()))
        said.step(f"{sum(map(len, data.tables.values())):,} rows ({lines:,} order lines)")
        cleaned = clean_dataset(data, policies=policies)
    if tables is None:
        return cleaned
    kept = {t: frame for t, frame in cleaned.tables.items() if t in tables}
    return dataclasses.replace(cleaned, tables=kept)
