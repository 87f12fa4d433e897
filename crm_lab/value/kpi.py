"""Order lines into headline figures: revenue, orders, buying customers, by period and month.

Revenue here is gross sales: the amount of sale lines (positive quantity) up to ``as_of``.
Cancellations and returns are reported beside it, never netted silently.
"""

from __future__ import annotations

import pandas as pd

from crm_lab import privacy
from crm_lab.core.lines import as_of_day, day_end, sale_lines

__all__ = ["headline", "monthly_sales", "period_headline"]


def _positive(negative_amounts: pd.Series) -> float:
    """Total of negative lines as a positive number (0.0, never -0.0)."""
    return round(-float(negative_amounts.sum()), 2) + 0.0


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
    sales = sale_lines(transactions, end=day_end(day))
    month = sales["ordered_at"].dt.to_period("M")
    g = sales.groupby(month)
    out = pd.DataFrame(
        {
            "revenue": g["amount"].sum(),
            "orders": g["invoice_id"].nunique(),
            "customers": g["customer_id"].nunique(),
        }
    )
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
    tx = transactions[transactions["ordered_at"] < end]
    if period_days is not None:
        tx = tx[tx["ordered_at"] >= end - pd.Timedelta(days=period_days)]
    sales = sale_lines(tx, end=end)
    revenue = float(sales["amount"].sum())
    anonymous = float(sales.loc[sales["customer_id"].isna(), "amount"].sum())
    buyers = int(sales["customer_id"].nunique())
    figures = {
        "customers": buyers,
        "orders": int(sales["invoice_id"].nunique()),
        "revenue": round(revenue, 2),
        "anonymous_revenue_share": round(anonymous / revenue, 4) if revenue else 0.0,
        "cancelled_amount": _positive(tx.loc[tx["line_type"] == "cancellation", "amount"]),
        "returned_amount": _positive(tx.loc[tx["line_type"] == "return", "amount"]),
        "first_order": tx["ordered_at"].min().date().isoformat() if len(tx) else None,
        "last_order": tx["ordered_at"].max().date().isoformat() if len(tx) else None,
    }
    # the amounts of a few invoices (the anonymous sales, the cancellations, the returns)
    # describe those few baskets
    anonymous_invoices = sales.loc[sales["customer_id"].isna(), "invoice_id"].nunique()
    for key, count in [
        ("anonymous_revenue_share", anonymous_invoices),
        ("cancelled_amount", tx.loc[tx["line_type"] == "cancellation", "invoice_id"].nunique()),
        ("returned_amount", tx.loc[tx["line_type"] == "return", "invoice_id"].nunique()),
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
    sales = sale_lines(transactions, end=end)
    inside = sales[sales["ordered_at"] >= begin]
    first = sales.groupby("customer_id")["ordered_at"].min()
    buyers = inside["customer_id"].dropna().unique()
    new = int((first.reindex(buyers) >= begin).sum())
    figures = {
        "active_customers": int(len(buyers)),
        "new_customers": new,
        "period_orders": int(inside["invoice_id"].nunique()),
        "period_revenue": round(float(inside["amount"].sum()), 2),
    }
    figures = privacy.withhold_small(figures, count=new, keys=["new_customers"], k=min_group)
    return privacy.withhold_small(figures, count=len(buyers), k=min_group)
