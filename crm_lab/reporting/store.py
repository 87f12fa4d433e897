"""The store of customers' states: one snapshot per as-of day, in a folder, plain or encrypted.

A folder (``run.default_work_dir(out, "states")`` for a report run; owner-only, like the
analyst's snapshot: the states are per customer) of ``customers-<day>.parquet`` (the states,
``segments.states.STATE_COLUMNS`` and ``cluster_name``) and ``clusters-<day>.parquet`` (the
cluster centres with their names, which later days' clusters are matched against, so ids
carry across periods). With a data key (the key of encrypted inputs) each file is written
encrypted instead (``.parquet.enc``) and its plain twin of that day, if any, removed: with
encrypted inputs nothing per customer is stored in plain. This module only reads and writes;
``reporting.states`` computes what is stored.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> table = pd.DataFrame({"customer_id": ["a"], "segment": ["champions"], "cluster": [1]})
>>> _ = save_day(folder, table, None, as_of="2024-01-31")
>>> [d.date().isoformat() for d in stored_days(folder)], load_states(folder, as_of="2024-01-31")
(['2024-01-31'],   customer_id    segment  cluster
0           a  champions        1)
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from crm_lab import privacy
from crm_lab.core.lines import as_of_day
from crm_lab.segments import clusters

__all__ = ["anchor", "load_clusters", "load_states", "save_day", "stored_days"]

_KINDS = ("customers", "clusters")


def _day(as_of) -> str:
    return as_of_day(as_of).date().isoformat()


def _path(folder, kind: str, day: str, *, encrypted: bool) -> Path:
    return Path(folder) / f"{kind}-{day}.parquet{'.enc' if encrypted else ''}"


def _write(folder: Path, kind: str, day: str, frame: pd.DataFrame, cipher) -> Path:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=True)
    data = buffer.getvalue() if cipher is None else cipher.encrypt(buffer.getvalue())
    path = _path(folder, kind, day, encrypted=cipher is not None)
    partial = path.with_name(f".{path.name}.partial")
    privacy.write_private(partial, data)
    os.replace(partial, path)  # a reader sees the old file or the new one, never half
    if cipher is not None:  # the day's plain file of an earlier, unencrypted run goes
        _path(folder, kind, day, encrypted=False).unlink(missing_ok=True)
    return path


def save_day(folder, table: pd.DataFrame, centres: pd.DataFrame | None, *, as_of,
             key_file=None) -> Path:  # fmt: skip
    """One day's states (one row per customer) and cluster centres (None: no clusters) into
    the store, encrypted with ``key_file`` when given. Returns the states' file.

    The folder is made owner-only (0700), the files 0600; no other day's file is touched.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    cipher = privacy.data_cipher(key_file) if key_file else None
    day = _day(as_of)
    written = _write(folder, "customers", day, table.set_index("customer_id"), cipher)
    old = [_path(folder, "clusters", day, encrypted=e) for e in (False, True)]
    for path in old:  # a day without clusters keeps none from an earlier run of it
        path.unlink(missing_ok=True)
    if centres is not None:
        _write(folder, "clusters", day, centres, cipher)
    return written


def stored_days(folder) -> list[pd.Timestamp]:
    """The days the store holds a snapshot of (plain or encrypted), oldest first."""
    folder = Path(folder) if folder else None
    if folder is None or not folder.is_dir():
        return []
    days = set()
    for path in folder.glob("customers-*"):
        stem = path.name.removesuffix(".enc")
        if not stem.endswith(".parquet"):
            continue
        try:
            days.add(as_of_day(stem.removesuffix(".parquet").removeprefix("customers-")))
        except ValueError:
            continue  # not a snapshot of this store's naming: not read
    return sorted(days)


def _read(folder, kind: str, as_of, key_file) -> pd.DataFrame | None:
    day = _day(as_of)
    sealed = _path(folder, kind, day, encrypted=True)
    plain = _path(folder, kind, day, encrypted=False)
    if sealed.is_file():
        if not key_file:
            raise ValueError(f"{sealed} is encrypted: give the data key that wrote it")
        return pd.read_parquet(io.BytesIO(privacy.decrypt_bytes(sealed, key_file=key_file)))
    return pd.read_parquet(plain) if plain.is_file() else None


def load_states(folder, *, as_of, key_file=None) -> pd.DataFrame:
    """One stored day's states (``segments.states.STATE_COLUMNS`` and ``cluster_name``)."""
    table = _read(folder, "customers", as_of, key_file)
    if table is None:
        raise FileNotFoundError(f"{folder} holds no customers' states of {_day(as_of)}")
    return table.reset_index()


def load_clusters(folder, *, as_of, key_file=None) -> clusters.Clustering | None:
    """One stored day's cluster centres as a ``Clustering`` later days' clusters can be
    matched against (``cluster_customers(previous=...)``); None when the day had none."""
    centres = _read(folder, "clusters", as_of, key_file)
    if centres is None:
        return None
    centres = centres.drop(columns=["name_en", "name_zh"], errors="ignore")
    centres.index = centres.index.astype("int64")
    empty = pd.DataFrame({"customer_id": pd.Series(dtype="string"),
                          "cluster": pd.Series(dtype="int64")})  # fmt: skip
    return clusters.Clustering(labels=empty, centres=centres, selection=pd.DataFrame(),
                               stability=[], algorithm="stored", random_state=0)  # fmt: skip


def anchor(folder, *, day, key_file=None) -> clusters.Clustering | None:
    """The clusters of the latest stored day on or before ``day``, which the day's clusters
    take their ids from (``clusters.cluster_period(previous=...)``); None without one."""
    earlier = [d for d in stored_days(folder) if d <= as_of_day(day)]
    return load_clusters(folder, as_of=earlier[-1], key_file=key_file) if earlier else None
