"""Customers' states and the customers table into membership tiers (or points bands) against
retention and value, with confidence intervals: do higher tiers stay longer and spend more?

For each tier: how many buyers, the share still active on the as-of day (not ``churned`` in
their lifecycle stage: a purchase in the last year) with its Wilson 95 % interval, the mean
revenue to date and the mean predicted value, each with a 95 % interval (the normal
approximation of the mean, its standard error from the tier's own spread). The table says how
the tiers compare; it does not say that a tier causes anything: richer customers reach higher
tiers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab.core.intervals import Z95, mean_interval, wilson

__all__ = ["Z95", "points_bands", "tier_outcomes", "wilson"]


def points_bands(points: pd.Series, *, bands: int = 4) -> pd.Series:
    """Loyalty points into bands of near-equal size ("Q1" fewest to "Q4" most); ties share a
    band; missing points stay missing.

    >>> points_bands(pd.Series([0.0, 10.0, 20.0, 30.0]), bands=2).tolist()
    ['Q1', 'Q1', 'Q2', 'Q2']
    """
    rank = points.rank(method="min", pct=True)
    band = np.ceil(rank * bands).clip(1, bands)
    return band.map(lambda b: f"Q{int(b)}", na_action="ignore")


def tier_outcomes(
    states: pd.DataFrame, customers: pd.DataFrame, *, by: str = "tier", order=None
) -> pd.DataFrame:
    """Customer states (``segments.states``) and the customers table into one row per tier.

    ``by`` is a column of the customers table (``tier``) or ``points`` (then in bands of
    ``points_bands`` over the customers who have bought). Only customers who have bought
    count (a prospect has nothing to retain). Returns ``tier``, ``customers``,
    ``active_share`` with ``active_low`` and ``active_high``, ``mean_revenue`` with
    ``revenue_low`` and ``revenue_high``, ``mean_predicted_value`` with ``predicted_low``
    and ``predicted_high``; tiers in ``order`` (else by name), customers without a tier as
    "unknown" last.
    """
    known = customers.drop_duplicates("customer_id")
    known = known.set_index(known["customer_id"].astype("string"))
    bought = states[states["lifecycle_stage"] != "potential"].copy()
    if by == "points":  # bands of the buyers on the day: the same whoever else the file holds
        mine = known.index.isin(bought["customer_id"].astype("string"))
        group = points_bands(known.loc[mine, "points"].astype(float))
    else:
        group = known[by].astype("object")
    bought["tier"] = bought["customer_id"].astype("string").map(group).fillna("unknown")
    rows = []
    names = list(order) if order is not None else sorted(set(bought["tier"]) - {"unknown"})
    names += [t for t in sorted(set(bought["tier"]) - set(names) - {"unknown"})]
    names += ["unknown"] if (bought["tier"] == "unknown").any() else []
    for tier in names:
        part = bought[bought["tier"] == tier]
        active = int((part["lifecycle_stage"] != "churned").sum())
        low, high = wilson(np.array([active]), np.array([len(part)]))
        revenue = mean_interval(part["revenue"])
        value = mean_interval(part["predicted_value"])
        rows.append({
            "tier": tier, "customers": len(part),
            "active_share": active / len(part) if len(part) else np.nan,
            "active_low": float(low[0]), "active_high": float(high[0]),
            "mean_revenue": revenue[0], "revenue_low": revenue[1], "revenue_high": revenue[2],
            "mean_predicted_value": value[0], "predicted_low": value[1],
            "predicted_high": value[2],
        })  # fmt: skip
    return pd.DataFrame(rows)
