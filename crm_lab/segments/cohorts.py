"""Sale lines into cohort retention: customers grouped by the month of their first purchase,
followed month by month.

For each cohort (first-purchase month) and each month since (0 = the first month):

- ``active_share``: the share of the cohort who bought in that month. It can rise: a customer
  who skipped a month and came back counts again (``returning``: bought that month, not the
  month before);
- ``retained_share``: the share who bought in that month or any later one up to the as-of day:
  "still buying after k months". It never rises from one month to the next;
- ``revenue_retention``: the cohort's sales that month against its sales in its first month.

Only months that begin by the as-of day are shown; the as-of day's month is ``partial`` when
the as-of day is not its last day (its figures are not yet the month's). Nothing after the
as-of day counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import engine
from crm_lab.core.lines import as_of_day, day_end

__all__ = ["cohort_retention", "retention_matrix"]


def _month_number(days: pd.Series) -> np.ndarray:
    stamps = pd.DatetimeIndex(days)
    return (stamps.year * 12 + stamps.month - 1).to_numpy()


def cohort_retention(transactions: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Sale lines into one row per cohort and month since its first purchase.

    Parameters
    ----------
    transactions : DataFrame or engine table
        Canonical order lines: sale lines with a customer id and a positive quantity count,
        as for the RFM table (``engine.purchase_days``).
    as_of : date-like
        The inclusive day.

    Returns
    -------
    DataFrame
        ``cohort`` (the first-purchase month, a ``pd.Period``), ``months_since`` (0, 1, ...),
        ``cohort_customers``, ``active_customers``, ``returning_customers``,
        ``retained_customers``, ``active_share``, ``retained_share``, ``revenue``,
        ``revenue_retention`` and ``partial``; sorted by cohort and month.

    Examples
    --------
    >>> tx = pd.DataFrame({"invoice_id": list("12345"), "customer_id": list("aabbb"),
    ...     "ordered_at": pd.to_datetime(["2024-01-05", "2024-03-02", "2024-01-20",
    ...                                   "2024-02-03", "2024-03-09"]),
    ...     "quantity": 1.0, "amount": [10.0, 5.0, 20.0, 10.0, 10.0], "line_type": "sale"})
    >>> cohort_retention(tx, as_of="2024-03-31")[
    ...     ["months_since", "active_customers", "retained_customers", "revenue_retention"]]
       months_since  active_customers  retained_customers  revenue_retention
    0             0                 2                   2           1.000000
    1             1                 1                   2           0.333333
    2             2                 2                   2           0.500000
    """
    day = as_of_day(as_of)
    days = engine.purchase_days(transactions, end=day_end(as_of))
    columns = ["cohort", "months_since", "cohort_customers", "active_customers",
               "returning_customers", "retained_customers", "active_share", "retained_share",
               "revenue", "revenue_retention", "partial"]  # fmt: skip
    if days.empty:
        return pd.DataFrame(columns=columns)
    month = pd.Series(_month_number(days["day"]), index=days.index)
    first = month.groupby(days["customer_id"]).transform("min")
    since = month - first
    # one row per customer and month with a purchase: its cohort, months since, sales
    active = pd.DataFrame({"customer_id": days["customer_id"], "cohort": first,
                           "since": since, "amount": days["amount"]})  # fmt: skip
    active = active.groupby(["customer_id", "cohort", "since"], as_index=False)["amount"].sum()
    now = int(day.year * 12 + day.month - 1)
    cohorts = active.drop_duplicates("customer_id").groupby("cohort").size()
    rows = []
    for cohort, size in cohorts.items():
        mine = active[active["cohort"] == cohort]
        reach = mine.groupby("customer_id")["since"].max()  # each one's last month
        months = now - int(cohort) + 1
        bought = np.zeros(months, dtype=np.int64)
        counts = mine.groupby("since").size()
        bought[counts.index.to_numpy()] = counts.to_numpy()
        revenue = np.zeros(months)
        sums = mine.groupby("since")["amount"].sum()
        revenue[sums.index.to_numpy()] = sums.to_numpy()
        # retained at k: the last purchase month is k or later
        latest = np.bincount(reach.to_numpy(), minlength=months)
        retained = latest[::-1].cumsum()[::-1]
        previous = set()
        returning = np.zeros(months, dtype=np.int64)
        members = mine.groupby("since")["customer_id"].apply(set).to_dict()
        for k in range(months):
            current = members.get(k, set())
            returning[k] = len(current - previous) if k > 0 else 0
            previous = current
        for k in range(months):
            rows.append({
                "cohort": pd.Period(year=int(cohort) // 12, month=int(cohort) % 12 + 1,
                                    freq="M"),
                "months_since": k, "cohort_customers": int(size),
                "active_customers": int(bought[k]), "returning_customers": int(returning[k]),
                "retained_customers": int(retained[k]),
                "active_share": bought[k] / size, "retained_share": retained[k] / size,
                "revenue": float(revenue[k]),
                "revenue_retention": revenue[k] / revenue[0] if revenue[0] > 0 else np.nan,
                "partial": bool(int(cohort) + k == now and day != day.to_period("M").end_time
                                .normalize()),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def retention_matrix(retention: pd.DataFrame, *, value: str = "active_share") -> pd.DataFrame:
    """Cohort retention rows into a cohort x months-since table of one figure (the heat-map).

    >>> rows = pd.DataFrame({"cohort": [pd.Period("2024-01", "M")] * 2,
    ...     "months_since": [0, 1], "active_share": [1.0, 0.5]})
    >>> retention_matrix(rows).to_dict("list")
    {0: [1.0], 1: [0.5]}
    """
    if retention.empty:
        return pd.DataFrame().rename_axis(index="cohort", columns="months_since")
    table = retention.pivot(index="cohort", columns="months_since", values=value)
    return table.rename_axis(index="cohort", columns="months_since")
