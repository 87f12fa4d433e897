"""Customers' states (``segments.states``) into the exports a CRM imports back, and the store
of one snapshot per as-of day that the classification is tracked over.

``scores_table`` is what ``crm-lab scores`` writes: one row per customer in canonical codes
(``segment`` ``champions``, ``value_tier`` ``high``, ``lifecycle_stage`` ``churned``, ``tags``
``vip, at_risk``), the cluster's id and its English name, and the figures the pages count.

The store is a folder (``default_states_dir``; owner-only, like the analyst's snapshot: the
states are per customer) of ``customers-<day>.parquet`` (the states) and
``clusters-<day>.parquet`` (the cluster centres, which the next day's clusters are matched
against, so ids carry across periods). A report run adds its as-of day's snapshot
(``record_states``), ``crm-lab snapshots`` backfills a range of days. Rerunning a day gives
the same snapshot (the same input up to that day, and the same stored day before it, give
the same states), and no other day's file is touched. ``states_over`` counts each state per
stored day: the classification period after period.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from crm_lab import privacy
from crm_lab.core import periods
from crm_lab.core.lines import as_of_day
from crm_lab.reporting import portraits
from crm_lab.segments import clusters, states

__all__ = [
    "SCORE_COLUMNS",
    "backfill",
    "load_clusters",
    "load_states",
    "record_states",
    "save_states",
    "scores_table",
    "states_over",
    "stored_days",
]

SCORE_COLUMNS = (
    "customer_id", "r_score", "f_score", "m_score", "segment", "value_tier", "lifecycle_stage",
    "cluster", "cluster_name", "tags", "recency_days", "orders", "revenue", "predicted_value",
    "probability_alive", "value_basis", "tag_evidence",
)  # fmt: skip


def scores_table(tables: dict, *, as_of, random_state: int = 0, tag_rules=None) -> pd.DataFrame:
    """Canonical tables (``Dataset.tables``) into one row per customer known on ``as_of``
    (``SCORE_COLUMNS``): the same values the pages count, for import into a CRM. Clusters
    are the segments page's for the as-of day's month (ids kept from the day before it);
    with fewer than ``clusters.MIN_CUSTOMERS`` buyers there are none.

    >>> tx = pd.DataFrame({"invoice_id": ["1", "2"], "customer_id": ["a", "b"],
    ...     "ordered_at": pd.to_datetime(["2024-01-02", "2024-02-01"]),
    ...     "quantity": [1.0, 1.0], "amount": [10.0, 5.0], "line_type": ["sale"] * 2})
    >>> scores_table({"transactions": tx}, as_of="2024-03-31")[["customer_id", "segment"]]
      customer_id        segment
    0           a           lost
    1           b  new_customers
    """
    names = ("customers", "interactions", "tickets", "campaign_responses")
    others = {name: tables.get(name) for name in names}
    lines = tables["transactions"]
    clustered = None
    try:  # as the segments page clusters: the month's day before keeps the ids
        start = periods.resolve_period(as_of=as_of).start
        clustered = clusters.cluster_period(lines, as_of=as_of, period_start=start,
                                            random_state=random_state, **others)  # fmt: skip
    except clusters.TooFewCustomersError:  # too few customers to cluster: no cluster
        pass
    found = states.customer_states(lines, as_of=as_of, clustered=clustered,
                                   random_state=random_state, tag_rules=tag_rules,
                                   **others)  # fmt: skip
    out = found.table.copy()
    names = {k: v[0] for k, v in _names(found).items()}
    out["cluster_name"] = out["cluster"].map(names, na_action="ignore").astype("object")
    return out[list(SCORE_COLUMNS)]


def _names(found: states.CustomerStates) -> dict:
    if found.clustering is None:
        return {}
    return portraits.cluster_names(found.features, found.clustering)


def _day(as_of) -> str:
    return as_of_day(as_of).date().isoformat()


def _write(path: Path, frame: pd.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=True)
    partial = path.with_name(f".{path.name}.partial")
    privacy.write_private(partial, buffer.getvalue())
    os.replace(partial, path)  # a reader sees the old file or the new one, never half


def save_states(found: states.CustomerStates, folder, *, as_of) -> Path:
    """Write one day's states and cluster centres (with their names) into the store.

    Returns the states file. The folder is made owner-only (0700), the files 0600.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    day = _day(as_of)
    table = found.table.copy()
    names = _names(found)
    table["cluster_name"] = table["cluster"].map({k: v[0] for k, v in names.items()},
                                                na_action="ignore").astype("object")  # fmt: skip
    _write(folder / f"customers-{day}.parquet", table.set_index("customer_id"))
    if found.clustering is not None:
        centres = found.clustering.centres.copy()
        centres.insert(0, "name_en", [names.get(int(c), ("", ""))[0] for c in centres.index])
        centres.insert(1, "name_zh", [names.get(int(c), ("", ""))[1] for c in centres.index])
        _write(folder / f"clusters-{day}.parquet", centres)
    return folder / f"customers-{day}.parquet"


def stored_days(folder) -> list[pd.Timestamp]:
    """The days the store holds a snapshot of, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    days = []
    for path in folder.glob("customers-*.parquet"):
        try:
            days.append(as_of_day(path.stem.removeprefix("customers-")))
        except ValueError:
            continue  # not a snapshot of this store's naming: not read
    return sorted(days)


def load_states(folder, *, as_of) -> pd.DataFrame:
    """One stored day's states (``segments.states.STATE_COLUMNS`` and ``cluster_name``)."""
    path = Path(folder) / f"customers-{_day(as_of)}.parquet"
    return pd.read_parquet(path).reset_index()


def load_clusters(folder, *, as_of) -> clusters.Clustering | None:
    """One stored day's cluster centres as a ``Clustering`` the next day's clusters can be
    matched against (``cluster_customers(previous=...)``); None when the day had none."""
    path = Path(folder) / f"clusters-{_day(as_of)}.parquet"
    if not path.is_file():
        return None
    centres = pd.read_parquet(path).drop(columns=["name_en", "name_zh"])
    centres.index = centres.index.astype("int64")
    empty = pd.DataFrame({"customer_id": pd.Series(dtype="string"),
                          "cluster": pd.Series(dtype="int64")})  # fmt: skip
    return clusters.Clustering(labels=empty, centres=centres, selection=pd.DataFrame(),
                               stability=[], algorithm="stored", random_state=0)  # fmt: skip


def _previous(folder, day: pd.Timestamp) -> clusters.Clustering | None:
    earlier = [d for d in stored_days(folder) if d < day]
    return load_clusters(folder, as_of=earlier[-1]) if earlier else None


def record_states(tables: dict, folder, *, as_of, random_state: int = 0, tag_rules=None) -> Path:
    """Compute the states of ``as_of`` from the canonical tables (their clusters matched to the
    latest stored day before it) and store them."""
    day = as_of_day(as_of)
    names = ("customers", "interactions", "tickets", "campaign_responses")
    found = states.customer_states(
        tables["transactions"], as_of=day, previous=_previous(folder, day),
        random_state=random_state, tag_rules=tag_rules, **{n: tables.get(n) for n in names},
    )  # fmt: skip
    return save_states(found, folder, as_of=day)


def backfill(
    tables: dict, folder, *, days, random_state: int = 0, tag_rules=None, say=print
) -> list[Path]:
    """Store the states of each of ``days`` (oldest first), each day's clusters matched to the
    day before it in the store: the classification over a range of past periods."""
    written = []
    for day in sorted(as_of_day(d) for d in days):
        written.append(record_states(tables, folder, as_of=day, random_state=random_state,
                                     tag_rules=tag_rules))  # fmt: skip
        say(f"  states as of {day.date()}: {written[-1].name}")
    return written


def states_over(folder, *, column: str = "segment", until=None) -> pd.DataFrame:
    """The store into customers per state (rows, codes) and stored day (columns, ISO days) of
    one column, up to ``until``: the classification period after period."""
    days = [d for d in stored_days(folder) if until is None or d <= as_of_day(until)]
    counts = {}
    for day in days:
        table = load_states(folder, as_of=day)
        counts[day.date().isoformat()] = table[column].dropna().value_counts()
    out = pd.DataFrame(counts).fillna(0).astype("int64")
    return out.rename_axis(index=column, columns="as_of")
