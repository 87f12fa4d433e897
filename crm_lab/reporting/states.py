"""Customers' states (``segments.states``) into the exports a CRM imports back.

``scores_table`` is what ``crm-lab scores`` writes: one row per customer in canonical codes
(``segment`` ``champions``, ``value_tier`` ``high``, ``lifecycle_stage`` ``churned``, ``tags``
``vip, at_risk``), the cluster's id and its English name, and the figures the pages count.
"""

from __future__ import annotations

import pandas as pd

from crm_lab.core import periods
from crm_lab.reporting import portraits
from crm_lab.segments import clusters, states

__all__ = ["SCORE_COLUMNS", "scores_table"]

SCORE_COLUMNS = (
    "customer_id", "r_score", "f_score", "m_score", "segment", "value_tier", "lifecycle_stage",
    "cluster", "cluster_name", "tags", "recency_days", "orders", "revenue", "predicted_value",
    "probability_alive", "value_basis",
)  # fmt: skip


def scores_table(tables: dict, *, as_of, random_state: int = 0) -> pd.DataFrame:
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
    except ValueError:  # too few customers to cluster: no cluster
        pass
    found = states.customer_states(lines, as_of=as_of, clustered=clustered,
                                   random_state=random_state, **others)  # fmt: skip
    out = found.table.copy()
    names = {}
    if found.clustering is not None:
        names = {k: v[0] for k, v in portraits.cluster_names(found.features,
                                                             found.clustering).items()}  # fmt: skip
    out["cluster_name"] = out["cluster"].map(names, na_action="ignore").astype("object")
    return out[list(SCORE_COLUMNS)]
