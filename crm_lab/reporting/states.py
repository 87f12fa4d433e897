"""Customers' states (``segments.states``) into the exports a CRM imports back, and the
classification period after period in the store of states (``reporting.store``).

``scores_table`` is what ``crm-lab scores`` writes: one row per customer in canonical codes
(``segment`` ``champions``, ``value_tier`` ``high``, ``lifecycle_stage`` ``churned``, ``tags``
``vip, at_risk``), the cluster's id and its English name, the figures the pages count, and
the customer's last interaction, preferred channel, open tickets and last rating.

``period_states`` is the one place a period's states are computed: the day before the period
and the as-of day, their clusters through ``portraits.period_clusters`` (the ids of the
store's latest day on or before the day before). A report run stores its as-of day's states
(``record_states``) before its pages run, ``crm-lab snapshots`` backfills a range of days;
the migration and segments pages and ``crm-lab scores`` given the same store find the same
ids. Rerunning a day gives the same snapshot (the same input up to that day, and the same
stored day before it, give the same states), and no other day's file is touched.
``states_over`` counts each state per stored day: the classification period after period.
"""

from __future__ import annotations

import pandas as pd

from crm_lab.core import periods
from crm_lab.core.lines import as_of_day
from crm_lab.reporting import portraits, store
from crm_lab.reporting.store import load_clusters, load_states, stored_days
from crm_lab.segments import clusters, states
from crm_lab.service import interactions, support

__all__ = [
    "SCORE_COLUMNS",
    "backfill",
    "load_clusters",
    "load_states",
    "period_states",
    "record_states",
    "save_states",
    "scores_table",
    "states_over",
    "stored_days",
]

SCORE_COLUMNS = (
    "customer_id", "r_score", "f_score", "m_score", "segment", "value_tier", "lifecycle_stage",
    "cluster", "cluster_name", "tags", "recency_days", "orders", "revenue", "predicted_value",
    "probability_alive", "value_basis", "tag_evidence", "last_interaction_at",
    "preferred_channel", "open_tickets", "last_csat",
)  # fmt: skip


_OTHERS = ("customers", "interactions", "tickets", "campaign_responses")


def period_states(
    tables: dict,
    *,
    as_of,
    period_start=None,
    states_dir=None,
    key_file=None,
    random_state: int = 0,
    tag_rules=None,
    earlier: bool = True,
) -> tuple[states.CustomerStates | None, states.CustomerStates]:
    """Canonical tables into the customers' states on the day before the period and on
    ``as_of``: ``(earlier, now)`` (``earlier`` None when not asked for).

    The period starts at ``period_start`` (default: the first of ``as_of``'s month). Both
    days' clusters come from ``portraits.period_clusters``: with a store (``states_dir``,
    decrypted with ``key_file``) they keep its ids. With fewer than
    ``clusters.MIN_CUSTOMERS`` buyers a day has no clusters.
    """
    day = as_of_day(as_of)
    start = as_of_day(period_start) if period_start is not None else (
        periods.resolve_period(as_of=day).start)  # fmt: skip
    others = {name: tables.get(name) for name in _OTHERS}
    lines = tables["transactions"]
    try:
        found = portraits.period_clusters(tables, as_of=day, period_start=start,
                                          states_dir=states_dir, key_file=key_file,
                                          random_state=random_state)  # fmt: skip
    except clusters.TooFewCustomersError:  # too few customers to cluster: no cluster
        found = None
    common = {"random_state": random_state, "tag_rules": tag_rules, **others}
    now = states.customer_states(lines, as_of=day, clustered=found, **common)
    if not earlier:
        return None, now
    before = None
    if found is not None and found.before is not None:
        before = clusters.PeriodClusters(now=found.before, features=found.features_before,
                                         before=None, features_before=None)  # fmt: skip
    then = states.customer_states(lines, as_of=states.day_before(start), clustered=before,
                                  **common)  # fmt: skip
    return then, now


def scores_table(
    tables: dict,
    *,
    as_of,
    states_dir=None,
    key_file=None,
    random_state: int = 0,
    tag_rules=None,
) -> pd.DataFrame:
    """Canonical tables (``Dataset.tables``) into one row per customer known on ``as_of``
    (``SCORE_COLUMNS``): the same values the pages count, for import into a CRM. Clusters
    are the segments page's for the as-of day's month (``period_states``: with the store of
    states ``states_dir``, its ids); with fewer than ``clusters.MIN_CUSTOMERS`` buyers there
    are none.

    >>> tx = pd.DataFrame({"invoice_id": ["1", "2"], "customer_id": ["a", "b"],
    ...     "ordered_at": pd.to_datetime(["2024-01-02", "2024-02-01"]),
    ...     "quantity": [1.0, 1.0], "amount": [10.0, 5.0], "line_type": ["sale"] * 2})
    >>> scores_table({"transactions": tx}, as_of="2024-03-31")[["customer_id", "segment"]]
      customer_id        segment
    0           a           lost
    1           b  new_customers
    """
    _, found = period_states(tables, as_of=as_of, states_dir=states_dir, key_file=key_file,
                             random_state=random_state, tag_rules=tag_rules,
                             earlier=False)  # fmt: skip
    out = found.table.copy()
    names = {k: v[0] for k, v in _names(found).items()}
    out["cluster_name"] = out["cluster"].map(names, na_action="ignore").astype("object")
    out = out.merge(_service_columns(tables, as_of=as_of), on="customer_id", how="left")
    out["open_tickets"] = out["open_tickets"].astype("Int64")
    return out[list(SCORE_COLUMNS)]


def _service_columns(tables: dict, *, as_of) -> pd.DataFrame:
    """Each customer's last interaction and preferred channel, open tickets and last rating
    (``service``), empty where the tables are absent."""
    out = pd.DataFrame({"customer_id": pd.Series(dtype="string")})
    contacts, tickets = tables.get("interactions"), tables.get("tickets")
    if contacts is not None and len(contacts):
        out = out.merge(interactions.customer_contact(contacts, as_of=as_of), on="customer_id",
                        how="outer")  # fmt: skip
    if tickets is not None and len(tickets):
        out = out.merge(support.customer_tickets(tickets, as_of=as_of), on="customer_id",
                        how="outer")  # fmt: skip
    for column, kind in (("last_interaction_at", "datetime64[ns]"),
                         ("preferred_channel", "string"), ("open_tickets", "float64"),
                         ("last_csat", "float64")):  # fmt: skip
        if column not in out:
            out[column] = pd.Series(dtype=kind)
    return out


def _names(found: states.CustomerStates) -> dict:
    if found.clustering is None:
        return {}
    return portraits.cluster_names(found.features, found.clustering)


def save_states(found: states.CustomerStates, folder, *, as_of, key_file=None):
    """Write one day's states and cluster centres (with their names) into the store
    (``store.save_day``, encrypted with ``key_file`` when given). Returns the states' file."""
    table = found.table.copy()
    names = _names(found)
    table["cluster_name"] = table["cluster"].map({k: v[0] for k, v in names.items()},
                                                na_action="ignore").astype("object")  # fmt: skip
    centres = None
    if found.clustering is not None:
        centres = found.clustering.centres.copy()
        centres.insert(0, "name_en", [names.get(int(c), ("", ""))[0] for c in centres.index])
        centres.insert(1, "name_zh", [names.get(int(c), ("", ""))[1] for c in centres.index])
    return store.save_day(folder, table, centres, as_of=as_of, key_file=key_file)


def record_states(
    tables: dict,
    folder,
    *,
    as_of,
    period_start=None,
    key_file=None,
    random_state: int = 0,
    tag_rules=None,
):
    """Compute the states of ``as_of`` (``period_states``: clusters with the ids of the
    store's latest day on or before the day before the period) and store them."""
    day = as_of_day(as_of)
    _, found = period_states(tables, as_of=day, period_start=period_start, states_dir=folder,
                             key_file=key_file, random_state=random_state,
                             tag_rules=tag_rules, earlier=False)  # fmt: skip
    return save_states(found, folder, as_of=day, key_file=key_file)


def backfill(
    tables: dict, folder, *, days, key_file=None, random_state: int = 0, tag_rules=None,
    say=print,
) -> list:  # fmt: skip
    """Store the states of each of ``days`` (oldest first), each day's period starting the
    day after the one before it (the first: its month's first day), so that each day's
    clusters keep the ids stored the day before: the classification over past periods."""
    written = []
    start = None
    for day in sorted(as_of_day(d) for d in days):
        written.append(record_states(tables, folder, as_of=day, period_start=start,
                                     key_file=key_file, random_state=random_state,
                                     tag_rules=tag_rules))  # fmt: skip
        say(f"  states as of {day.date()}: {written[-1].name}")
        start = day + pd.Timedelta(days=1)
    return written


def states_over(folder, *, column: str = "segment", until=None, key_file=None) -> pd.DataFrame:
    """The store into customers per state (rows, codes) and stored day (columns, ISO days) of
    one column, up to ``until``: the classification period after period."""
    days = [d for d in stored_days(folder) if until is None or d <= as_of_day(until)]
    counts = {}
    for day in days:
        table = load_states(folder, as_of=day, key_file=key_file)
        counts[day.date().isoformat()] = table[column].dropna().value_counts()
    out = pd.DataFrame(counts).fillna(0).astype("int64")
    return out.rename_axis(index=column, columns="as_of")
