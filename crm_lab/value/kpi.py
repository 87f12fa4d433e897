"""Order lines into headline figures: revenue, orders, buying customers, by period and month.

Revenue here is gross sales: the amount of sale lines (positive quantity) up to ``as_of``.
Cancellations and returns are reported beside it, never netted silently.
"""

from __future__ import annotations

import pandas as pd

from crm_lab import engine, privacy
from crm_lab.core.lines import as_of_day, day_end

__all__ = ["headline", "monthly_sales", "period_headline"]


def _positive(negative_total: float) -> float:
    """Total of negative lines as a positive number (0.0, never -0.0)."""
    return round(-float(negative_total), 2) + 0.0


def monthly_sales(transactions: pd.DataFrame, *, as_of, months: int = 24) -> pd.DataFrame:
    """Summarise order lines into one row per calendar month up to ``as_of``.

    Returns
    -------
    DataFrame
        ``month`` ("YYYY-MM"), ``revenue``, ``orders`` (distinct invoices), ``customers``
        (distinct known buyers), for the last ``months`` months that end at the ``as_of`` month,
        starting no earlier than the month of the first sale (months without sales inside that
        span are kept with zeros).
    """
    day = as_of_day(as_of)
    out = engine.monthly_totals(transactions, end=day_end(day)).set_index("month")
    span = pd.period_range(end=day.to_period("M"), periods=months, freq="M")
    if len(out):
        span = span[span >= out.index.min()]
    out = out.reindex(span, fill_value=0)
    out.index = out.index.astype(str)
    return out.rename_axis("month").reset_index()


def headline(
    transactions: pd.DataFrame,
    *,
    as_of,
    period_days: int | None = None,
    min_group: int = privacy.MIN_GROUP,
) -> dict:
    """Summarise order lines into the period's headline figures as a flat dict of numbers.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions.
    as_of : str or Timestamp
        Inclusive cut-off day.
    period_days : int, optional
        Count only the last ``period_days`` days up to ``as_of``; all history when omitted.
    min_group : int
        The fewest buyers whose figures are shown (``privacy.MIN_GROUP``).

    Returns
    -------
    dict
        ``customers`` (known buyers), ``orders``, ``revenue``, ``anonymous_revenue_share``
        (revenue of lines without a customer id), ``cancelled_amount`` and ``returned_amount``
        (positive numbers), ``first_order`` and ``last_order`` (ISO dates). The last three
        amounts are None (withheld) when 1 to ``min_group - 1`` invoices make them. Over 1 to
        ``min_group - 1`` known buyers every figure is None (withheld): they would
        describe those few customers.
    """
    end = day_end(as_of)
    start = None if period_days is None else end - pd.Timedelta(days=period_days)
    t = engine.headline_totals(transactions, end=end, start=start)
    revenue, buyers = t["revenue"], t["buyers"]
    figures = {
        "customers": buyers,
        "orders": t["orders"],
        "revenue": round(revenue, 2),
        "anonymous_revenue_share": round(t["anonymous_revenue"] / revenue, 4) if revenue else 0.0,
        "cancelled_amount": _positive(t["cancelled_amount"]),
        "returned_amount": _positive(t["returned_amount"]),
        "first_order": t["first_order"].date().isoformat() if t["first_order"] else None,
        "last_order": t["last_order"].date().isoformat() if t["last_order"] else None,
    }
    # the amounts of a few invoices (the anonymous sales, the cancellations, the returns)
    # describe those few baskets
    for key, count in [
        ("anonymous_revenue_share", t["anonymous_invoices"]),
        ("cancelled_amount", t["cancelled_invoices"]),
        ("returned_amount", t["returned_invoices"]),
    ]:
        figures = privacy.withhold_small(figures, count=count, keys=[key], k=min_group)
    return privacy.withhold_small(figures, count=buyers, k=min_group)


def period_headline(
    transactions: pd.DataFrame, *, start, as_of, min_group: int = privacy.MIN_GROUP
) -> dict:
    """Summarise the order lines of one period (``start`` .. ``as_of``, inclusive) into figures.

    Returns
    -------
    dict
        ``active_customers`` (known customers who bought in the period), ``new_customers``
        (of them, those whose first purchase ever is in the period), ``period_orders`` and
        ``period_revenue`` (gross sales in the period). Over 1 to ``min_group - 1`` buyers
        (``privacy.MIN_GROUP`` by default) every figure is None (withheld); so is
        ``new_customers`` when 1 to ``min_group - 1`` of them are new.
    """
    begin = pd.Timestamp(start).normalize()
    end = day_end(as_of)
    inside = engine.headline_totals(transactions, end=end, start=begin)
    # a buyer whose first purchase ever is on or after the period's first day bought in it
    first = engine.customer_totals(transactions, end=end)["first_purchase_at"]
    new = int((first >= begin).sum())
    buyers = inside["buyers"]
    figures = {
        "active_customers": buyers,
        "new_customers": new,
        "period_orders": inside["orders"],
        "period_revenue": round(inside["revenue"], 2),
    }
    figures = privacy.withhold_small(figures, count=new, keys=["new_customers"], k=min_group)
    return privacy.withhold_small(figures, count=buyers, k=min_group)
