"""Customers and sale lines into lifecycle stages as of a day, and the flow between stages.

Stages, decided in this order (the first that applies):

- ``churned``: bought before, but not in the last ``churn_days`` days;
- ``new``: first purchase in the last ``new_days`` days;
- ``loyal``: purchases on at least ``loyal_days`` different days in the last ``window_days``;
- ``active``: any other customer who has bought;
- ``potential``: in the customers table (a lead or a sign-up) without a purchase yet.

The flow between two days reuses ``migration.compare`` on the ``stage`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import engine
from crm_lab.core.lines import as_of_day, day_end
from crm_lab.segments import migration

__all__ = ["STAGES", "stage_counts", "stage_flow", "stages"]

# stage codes in lifecycle order (reporting.labels names them)
STAGES = ("potential", "new", "active", "loyal", "churned")


def stages(
    transactions: pd.DataFrame,
    *,
    as_of,
    customers: pd.DataFrame | None = None,
    new_days: int = 90,
    churn_days: int = 365,
    loyal_days: int = 4,
    window_days: int = 365,
) -> pd.DataFrame:
    """Sale lines (and the customers table, for prospects) into one stage per customer.

    Only what is known on ``as_of`` counts: sales after it, and customers who signed up after
    it, are left out. ``transactions`` is a DataFrame of order lines or an engine's table of
    them: the purchase days are found there. Returns ``customer_id``, ``stage``, ``first_purchase``,
    ``last_purchase`` and ``recent_purchase_days``.
    """
    day, end = as_of_day(as_of), day_end(as_of)
    # one row per customer and purchase day, found on the lines' engine
    days = engine.purchase_days(transactions, end=end, any_amount=True)[["customer_id", "day"]]
    per = days.groupby("customer_id")["day"]
    out = pd.DataFrame({"first_purchase": per.min(), "last_purchase": per.max()})
    recent = days[days["day"] > day - pd.Timedelta(days=window_days)]
    out["recent_purchase_days"] = recent.groupby("customer_id").size()
    out["recent_purchase_days"] = out["recent_purchase_days"].fillna(0).astype("int64")
    if customers is not None:
        known = customers
        if "signup_date" in customers:
            known = customers[~(customers["signup_date"] >= end)]  # missing dates are kept
        prospects = pd.Index(known["customer_id"].astype("string")).difference(out.index)
        out = pd.concat([out, pd.DataFrame(index=prospects)])
        out["recent_purchase_days"] = out["recent_purchase_days"].fillna(0).astype("int64")
    silent = (day - out["last_purchase"]).dt.days
    out["stage"] = np.select(
        [
            out["last_purchase"].isna(),
            silent > churn_days,
            out["first_purchase"] > day - pd.Timedelta(days=new_days),
            out["recent_purchase_days"] >= loyal_days,
        ],
        ["potential", "churned", "new", "loyal"],
        default="active",
    )
    columns = ["stage", "first_purchase", "last_purchase", "recent_purchase_days"]
    return (
        out[columns]
        .rename_axis("customer_id")
        .reset_index()
        .sort_values("customer_id", ignore_index=True)
    )


def stage_counts(staged: pd.DataFrame) -> pd.DataFrame:
    """Staged customers into one row per stage (its code, in lifecycle order): count and share."""
    counts = staged["stage"].value_counts().reindex(list(STAGES), fill_value=0)
    return pd.DataFrame(
        {
            "stage": list(STAGES),
            "customers": counts.to_numpy(),
            "customer_share": counts.to_numpy() / max(len(staged), 1),
        }
    )


def stage_flow(
    transactions: pd.DataFrame,
    *,
    as_of,
    period_start,
    customers: pd.DataFrame | None = None,
    **options,
) -> pd.DataFrame:
    """Sale lines into the flow between stages over a period: customers by stage the day
    before ``period_start`` (rows, their code in ``stage_before``) and on ``as_of`` (columns,
    named by stage code; the columns' name is ``stage``), in lifecycle order; customers unknown
    before the period are in the ``migration.NEW`` row. ``options`` go to ``stages``."""
    previous = pd.Timestamp(period_start).normalize() - pd.Timedelta(days=1)
    before = stages(transactions, as_of=previous, customers=customers, **options)
    after = stages(transactions, as_of=as_of, customers=customers, **options)
    table = migration.migration_matrix(
        migration.compare(before, after, column="stage"),
        order=STAGES,
    )
    return table.rename_axis(index="stage_before", columns="stage").reset_index()
