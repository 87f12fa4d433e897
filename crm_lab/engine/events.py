"""Order lines into the per-customer, per-day, per-month and per-period totals analyses start from.

Each function takes the order lines as a pandas DataFrame or as an engine's Ibis table
(``Engine.lines``) and returns a pandas result that is the same either way: the pandas code is
the reference, the Ibis expression its twin for DuckDB and Spark, and
``tests/engine/test_events.py`` proves them equal on the demo data and Online Retail. Only
these totals leave the engine: one row per customer, customer-day or month.

Sums of amounts are rounded to ``DECIMALS`` places (a window's totals, millions of lines, to
the cent): a sum's last bits depend on the order an engine adds in, and two customers who
spent the same must get the same score on every engine.

The conventions are ``core.lines``': a purchase is a ``sale`` line with a positive quantity,
``end`` is exclusive (``day_end(as_of)``) and ``start`` inclusive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab.core.lines import sale_lines
from crm_lab.engine.session import is_table

__all__ = [
    "DECIMALS",
    "HEADLINE_TOTALS",
    "customer_totals",
    "headline_totals",
    "monthly_totals",
    "purchase_days",
]

DECIMALS = 6


def _stamp(value) -> pd.Timestamp:
    return pd.Timestamp(value).tz_localize(None) if value is not None else None


def _sales(t, *, end, start=None, customers_only=False, products_only=False):
    """The Ibis twin of ``core.lines.sale_lines``."""
    keep = (t.line_type == "sale") & (t.quantity > 0) & (t.ordered_at < _stamp(end))
    if start is not None:
        keep &= t.ordered_at >= _stamp(start)
    if customers_only:
        keep &= t.customer_id.notnull()
    if products_only and "grain" in t.columns:
        keep &= t.grain.fill_null("item") != "order"
    return t.filter(keep)


def _amounts(values, decimals: int = DECIMALS) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").fillna(0.0)
    return np.round(numbers.to_numpy("float64"), decimals) + 0.0  # + 0.0: never -0.0


def _stamps(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values)).astype("datetime64[ns]")


def customer_totals(lines, *, end, start=None) -> pd.DataFrame:
    """Order lines into one row per buying customer: orders, revenue, first and last purchase.

    Parameters
    ----------
    lines : DataFrame or Ibis table
        Canonical order lines (``customer_id``, ``invoice_id``, ``ordered_at``, ``quantity``,
        ``amount``, ``line_type``).
    end, start : Timestamp
        The window: ``start <= ordered_at < end`` (``start`` optional).

    Returns
    -------
    DataFrame
        ``customer_id`` (string), ``orders`` (distinct invoices), ``revenue`` (sum of the
        amounts), ``first_purchase_at``, ``last_purchase_at``; sorted by ``customer_id``.

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "invoice_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-01-05"]),
    ...     "quantity": [1.0, 2.0, 1.0], "amount": [10.0, 30.0, 5.0],
    ...     "line_type": ["sale", "sale", "sale"]})
    >>> customer_totals(tx, end=pd.Timestamp("2024-01-11"))[["customer_id", "orders", "revenue"]]
      customer_id  orders  revenue
    0           a       2     40.0
    1           b       1      5.0
    """
    if is_table(lines):
        s = _sales(lines, end=end, start=start, customers_only=True)
        out = (
            s.group_by("customer_id")
            .aggregate(
                orders=s.invoice_id.nunique(),
                revenue=s.amount.sum(),
                first_purchase_at=s.ordered_at.min(),
                last_purchase_at=s.ordered_at.max(),
            )
            .to_pandas()
        )
    else:
        s = sale_lines(lines, end=end, start=start, customers_only=True)
        g = s.groupby("customer_id", sort=False, observed=True)
        out = pd.DataFrame(
            {
                "orders": g["invoice_id"].nunique(),
                "revenue": g["amount"].sum(),
                "first_purchase_at": g["ordered_at"].min(),
                "last_purchase_at": g["ordered_at"].max(),
            }
        ).reset_index()
    out = out.assign(
        customer_id=out["customer_id"].astype("string"),
        orders=out["orders"].astype("int64"),
        revenue=_amounts(out["revenue"]),
        first_purchase_at=_stamps(out["first_purchase_at"]).to_numpy(),
        last_purchase_at=_stamps(out["last_purchase_at"]).to_numpy(),
    )
    columns = ["customer_id", "orders", "revenue", "first_purchase_at", "last_purchase_at"]
    return out.sort_values("customer_id", ignore_index=True)[columns]


def purchase_days(lines, *, end, after=None) -> pd.DataFrame:
    """Order lines into one row per customer and day with sales: the amount bought that day.

    The purchases of ``clv.purchase_summary``: sale lines with a customer id and an amount of
    zero or more (a free item is still a purchase), ``after <= ordered_at < end``. A table
    without a ``quantity`` column (a CDNOW-style purchase log) counts every line as bought.

    Returns
    -------
    DataFrame
        ``customer_id`` (string), ``day`` (midnight), ``amount``; sorted by customer and day.

    Examples
    --------
    >>> at = ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-03 08:00"]
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a"], "invoice_id": ["1", "2", "3"],
    ...     "ordered_at": pd.to_datetime(at),
    ...     "amount": [1.0, 2.0, 4.0], "line_type": "sale"})
    >>> purchase_days(tx, end=pd.Timestamp("2024-02-01"))["amount"].tolist()
    [3.0, 4.0]
    """
    if is_table(lines):
        t = lines if "quantity" in lines.columns else lines.mutate(quantity=1.0)
        s = _sales(t, end=end, start=after, customers_only=True)
        s = s.filter(s.amount >= 0)
        out = (
            s.mutate(day=s.ordered_at.truncate("D"))
            .group_by(["customer_id", "day"])
            .aggregate(amount=s.amount.sum())
            .to_pandas()
        )
    else:
        t = lines if "quantity" in lines else lines.assign(quantity=1.0)
        s = sale_lines(t, end=end, start=after, customers_only=True)
        s = s[s["amount"] >= 0]
        out = (
            pd.DataFrame(
                {
                    "customer_id": s["customer_id"],
                    "day": s["ordered_at"].dt.normalize(),
                    "amount": s["amount"],
                }
            )
            .groupby(["customer_id", "day"], as_index=False, observed=True, sort=False)["amount"]
            .sum()
        )
    out = pd.DataFrame(
        {
            "customer_id": out["customer_id"].astype("string").to_numpy(),
            "day": _stamps(out["day"]).to_numpy(),
            "amount": _amounts(out["amount"]),
        }
    )
    return out.sort_values(["customer_id", "day"], ignore_index=True)


def monthly_totals(lines, *, end) -> pd.DataFrame:
    """Order lines into one row per calendar month with sales before ``end``.

    Returns
    -------
    DataFrame
        ``month`` (``pd.Period``, monthly), ``revenue``, ``orders`` (distinct invoices),
        ``customers`` (distinct known buyers); months in order, only those with sales.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", None], "invoice_id": ["1", "2"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-03-05"]),
    ...     "quantity": 1.0, "amount": [1.0, 2.0], "line_type": "sale"})
    >>> monthly_totals(tx, end=pd.Timestamp("2024-04-01"))["customers"].tolist()
    [1, 0]
    """
    if is_table(lines):
        s = _sales(lines, end=end)
        s = s.mutate(year=s.ordered_at.year(), month_number=s.ordered_at.month())
        out = (
            s.group_by(["year", "month_number"])
            .aggregate(
                revenue=s.amount.sum(),
                orders=s.invoice_id.nunique(),
                customers=s.customer_id.nunique(),
            )
            .to_pandas()
        )
        month = pd.PeriodIndex.from_fields(
            year=out["year"].astype(int), month=out["month_number"].astype(int), freq="M"
        )
    else:
        s = sale_lines(lines, end=end)
        g = s.groupby(s["ordered_at"].dt.to_period("M"), sort=False)
        out = pd.DataFrame(
            {
                "revenue": g["amount"].sum(),
                "orders": g["invoice_id"].nunique(),
                "customers": g["customer_id"].nunique(),
            }
        )
        month = out.index
    out = pd.DataFrame(
        {
            "month": month,
            "revenue": _amounts(out["revenue"]),
            "orders": out["orders"].to_numpy("int64"),
            "customers": out["customers"].to_numpy("int64"),
        }
    )
    return out.sort_values("month", ignore_index=True)


HEADLINE_TOTALS = (
    "lines",
    "revenue",
    "anonymous_revenue",
    "anonymous_invoices",
    "buyers",
    "orders",
    "cancelled_amount",
    "cancelled_invoices",
    "returned_amount",
    "returned_invoices",
    "first_order",
    "last_order",
)


def headline_totals(lines, *, end, start=None) -> dict:
    """Order lines of a window into its totals: sales, buyers, cancellations, returns, span.

    ``lines`` counts every line of the window, ``revenue``, ``orders`` and ``buyers`` its sale
    lines, ``anonymous_*`` the sale lines without a customer id; ``cancelled_*`` and
    ``returned_*`` are the amounts (as written, negative) and distinct invoices of the
    cancellation and return lines; ``first_order`` and ``last_order`` the first and last
    ``ordered_at`` of any line (None without lines).

    >>> tx = pd.DataFrame({"customer_id": ["a", None, "a"], "invoice_id": ["1", "2", "C1"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
    ...     "quantity": [1.0, 1.0, -1.0], "amount": [5.0, 2.0, -5.0],
    ...     "line_type": ["sale", "sale", "cancellation"]})
    >>> t = headline_totals(tx, end=pd.Timestamp("2024-02-01"))
    >>> t["revenue"], t["anonymous_revenue"], t["buyers"], t["cancelled_invoices"]
    (7.0, 2.0, 1, 1)
    """
    if is_table(lines):
        t = lines.filter(lines.ordered_at < _stamp(end))
        if start is not None:
            t = t.filter(t.ordered_at >= _stamp(start))
        sale = (t.line_type == "sale") & (t.quantity > 0)
        anonymous = sale & t.customer_id.isnull()
        cancelled, returned = t.line_type == "cancellation", t.line_type == "return"
        row = (
            t.aggregate(
                lines=t.count(),
                revenue=t.amount.sum(where=sale),
                anonymous_revenue=t.amount.sum(where=anonymous),
                anonymous_invoices=t.invoice_id.nunique(where=anonymous),
                buyers=t.customer_id.nunique(where=sale),
                orders=t.invoice_id.nunique(where=sale),
                cancelled_amount=t.amount.sum(where=cancelled),
                cancelled_invoices=t.invoice_id.nunique(where=cancelled),
                returned_amount=t.amount.sum(where=returned),
                returned_invoices=t.invoice_id.nunique(where=returned),
                first_order=t.ordered_at.min(),
                last_order=t.ordered_at.max(),
            )
            .to_pandas()
            .iloc[0]
        )
        raw = {key: row[key] for key in HEADLINE_TOTALS}
    else:
        t = lines[lines["ordered_at"] < end]
        if start is not None:
            t = t[t["ordered_at"] >= start]
        s = sale_lines(t, end=end)
        anon = s[s["customer_id"].isna()]
        cancelled = t[t["line_type"] == "cancellation"]
        returned = t[t["line_type"] == "return"]
        raw = {
            "lines": len(t),
            "revenue": s["amount"].sum(),
            "anonymous_revenue": anon["amount"].sum(),
            "anonymous_invoices": anon["invoice_id"].nunique(),
            "buyers": s["customer_id"].nunique(),
            "orders": s["invoice_id"].nunique(),
            "cancelled_amount": cancelled["amount"].sum(),
            "cancelled_invoices": cancelled["invoice_id"].nunique(),
            "returned_amount": returned["amount"].sum(),
            "returned_invoices": returned["invoice_id"].nunique(),
            "first_order": t["ordered_at"].min() if len(t) else None,
            "last_order": t["ordered_at"].max() if len(t) else None,
        }
    out = {}
    for key, value in raw.items():
        if key in ("first_order", "last_order"):
            out[key] = None if value is None or pd.isna(value) else pd.Timestamp(value)
        elif key.endswith(("revenue", "amount")):
            out[key] = float(_amounts([value], decimals=2)[0])
        else:
            out[key] = 0 if pd.isna(value) else int(value)
    return out
