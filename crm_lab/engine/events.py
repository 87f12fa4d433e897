"""Order lines into the per-customer, per-day, per-month and per-period totals analyses start from.

Each function takes the order lines as a pandas DataFrame or as an engine's Ibis table
(``Engine.lines``) and returns a pandas result that is the same either way: the pandas code is
the reference, the Ibis expression its twin for DuckDB and Spark, and
``tests/engine/test_events.py`` proves them equal on the demo data and Online Retail. Only
these totals leave the engine: one row per customer, customer-day or month.

Sums of amounts are exact: each line's amount is first rounded to ``DECIMALS`` places and
counted in whole millionths (``UNITS``, a 64-bit integer), and integers add up to the same total
in any order. Float sums do not: their last bits depend on the order an engine adds in (threads,
partitions), and above about 10^9 that reached a cent. Two customers who spent the same must
get the same score on every engine, and a total the same on every run.

The conventions are ``core.lines``': a purchase is a ``sale`` line with a positive quantity,
``end`` is exclusive (``day_end(as_of)``) and ``start`` inclusive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab.core.lines import sale_lines
from crm_lab.engine.session import is_table, refuse_zones

__all__ = [
    "DECIMALS",
    "HEADLINE_TOTALS",
    "UNITS",
    "customer_totals",
    "headline_totals",
    "monthly_totals",
    "purchase_days",
]

DECIMALS = 6
UNITS = 10**DECIMALS  # an amount is summed as a whole number of millionths


LINE_LIMIT = 9e12  # a line's amount in millionths must fit a 64-bit integer


def _units(amount):
    """An Ibis column of amounts into whole millionths, rounded half up, summed exactly.

    Each line is a 64-bit integer of millionths; its sum a 38-digit decimal, which DuckDB and
    Spark add without rounding or overflow.
    """
    return (amount * UNITS + 0.5).floor().cast("decimal(38, 0)")


def _units_of(amount: pd.Series) -> pd.Series:
    """The pandas twin of ``_units``: the same IEEE arithmetic, so the same integers."""
    values = pd.to_numeric(amount, errors="coerce").to_numpy("float64")
    if len(values) and np.nanmax(np.abs(values), initial=0.0) >= LINE_LIMIT:
        raise ValueError(
            f"an order line's amount of {np.nanmax(np.abs(values)):.6g} is beyond the "
            f"{LINE_LIMIT:.0e} crm_lab sums exactly; check the export's amount column"
        )
    out = np.floor(values * UNITS + 0.5)
    return pd.Series(np.where(np.isnan(out), 0, out).astype("int64"), index=amount.index)


_HALF = 2**31


def _sum_units(units: pd.Series, by=None, *, decimals: int = DECIMALS) -> pd.Series:
    """Millionths into the amount of their exact sum (per group of ``by``), as ``_amounts``.

    pandas has no 128-bit integers: each value is split into a high and a low part (base
    2**31), both summed in 64 bits, and joined again; where the join would overflow 64 bits
    the totals are Python integers.
    """
    high, low = np.divmod(units.to_numpy("int64"), _HALF)
    parts = pd.DataFrame({"high": high, "low": low}, index=units.index)
    if by is None:
        sums = parts.sum().to_frame().T
    else:
        sums = parts.groupby(by, sort=False, observed=True).sum()
    if (np.abs(sums["high"].to_numpy()) < _HALF).all():
        joined = sums["high"] * _HALF + sums["low"]
    else:
        pairs = zip(sums["high"], sums["low"], strict=True)
        joined = pd.Series([int(h) * _HALF + int(lo) for h, lo in pairs], dtype=object)
    return pd.Series(_amounts(joined, decimals), index=sums.index)


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


def _amounts(units, decimals: int = DECIMALS) -> np.ndarray:
    """Exact sums of millionths (integers or decimals, null: 0) into rounded amounts.

    The rounding (half up) is done on the integers and the division is correctly rounded, so
    every engine's exact total becomes the same float: the nearest to the decimal it stands for.
    """
    step = 10 ** (DECIMALS - decimals)
    units = pd.Series(units)
    if units.dtype != object:
        numbers = pd.to_numeric(units, errors="coerce").fillna(0).to_numpy("float64")
        if np.abs(numbers).max(initial=0.0) < 2**53:  # exact as floats: vectorised
            whole = (numbers.astype("int64") + step // 2) // step  # integer division: exact
            return whole.astype("float64") / 10**decimals + 0.0  # + 0.0: never -0.0
        units = pd.Series(numbers.astype("int64"), dtype=object)
    # Python integers: their true division is correctly rounded at any size
    out = [0 if pd.isna(u) else (int(u) + step // 2) // step for u in units]
    return np.array([whole / 10**decimals + 0.0 for whole in out], dtype="float64")


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
                revenue=_units(s.amount).sum(),
                first_purchase_at=s.ordered_at.min(),
                last_purchase_at=s.ordered_at.max(),
            )
            .to_pandas()
        )
        out["revenue"] = _amounts(out["revenue"])
    else:
        refuse_zones(lines)
        s = sale_lines(lines, end=end, start=start, customers_only=True)
        g = s.groupby("customer_id", sort=False, observed=True)
        out = pd.DataFrame(
            {
                "orders": g["invoice_id"].nunique(),
                "revenue": _sum_units(_units_of(s["amount"]), s["customer_id"]),
                "first_purchase_at": g["ordered_at"].min(),
                "last_purchase_at": g["ordered_at"].max(),
            }
        ).reset_index()
    out = out.assign(
        customer_id=out["customer_id"].astype("string"),
        orders=out["orders"].astype("int64"),
        revenue=out["revenue"].to_numpy("float64"),
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
            .aggregate(amount=_units(s.amount).sum())
            .to_pandas()
        )
        out["amount"] = _amounts(out["amount"])
    else:
        refuse_zones(lines)
        t = lines if "quantity" in lines else lines.assign(quantity=1.0)
        s = sale_lines(t, end=end, start=after, customers_only=True)
        s = s[s["amount"] >= 0]
        day = s["ordered_at"].dt.normalize().rename("day")
        out = _sum_units(_units_of(s["amount"]), [s["customer_id"], day])
        out = out.rename("amount").reset_index()
    out = pd.DataFrame(
        {
            "customer_id": out["customer_id"].astype("string").to_numpy(),
            "day": _stamps(out["day"]).to_numpy(),
            "amount": out["amount"].to_numpy("float64"),
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
                revenue=_units(s.amount).sum(),
                orders=s.invoice_id.nunique(),
                customers=s.customer_id.nunique(),
            )
            .to_pandas()
        )
        out["revenue"] = _amounts(out["revenue"])
        month = pd.PeriodIndex.from_fields(
            year=out["year"].astype(int), month=out["month_number"].astype(int), freq="M"
        )
    else:
        refuse_zones(lines)
        s = sale_lines(lines, end=end)
        g = s.groupby(s["ordered_at"].dt.to_period("M"), sort=False)
        out = pd.DataFrame(
            {
                "revenue": _sum_units(_units_of(s["amount"]), s["ordered_at"].dt.to_period("M")),
                "orders": g["invoice_id"].nunique(),
                "customers": g["customer_id"].nunique(),
            }
        )
        month = out.index
    out = pd.DataFrame(
        {
            "month": month,
            "revenue": out["revenue"].to_numpy("float64"),
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
                revenue=_units(t.amount).sum(where=sale),
                anonymous_revenue=_units(t.amount).sum(where=anonymous),
                anonymous_invoices=t.invoice_id.nunique(where=anonymous),
                buyers=t.customer_id.nunique(where=sale),
                orders=t.invoice_id.nunique(where=sale),
                cancelled_amount=_units(t.amount).sum(where=cancelled),
                cancelled_invoices=t.invoice_id.nunique(where=cancelled),
                returned_amount=_units(t.amount).sum(where=returned),
                returned_invoices=t.invoice_id.nunique(where=returned),
                first_order=t.ordered_at.min(),
                last_order=t.ordered_at.max(),
            )
            .to_pandas()
            .iloc[0]
        )
        raw = {key: row[key] for key in HEADLINE_TOTALS}
        for key in ("revenue", "anonymous_revenue", "cancelled_amount", "returned_amount"):
            raw[key] = _amounts([raw[key]], decimals=2)[0]
    else:
        refuse_zones(lines)
        t = lines[lines["ordered_at"] < end]
        if start is not None:
            t = t[t["ordered_at"] >= start]
        s = sale_lines(t, end=end)
        anon = s[s["customer_id"].isna()]
        cancelled = t[t["line_type"] == "cancellation"]
        returned = t[t["line_type"] == "return"]
        raw = {
            "lines": len(t),
            "revenue": _sum_units(_units_of(s["amount"]), decimals=2).iloc[0],
            "anonymous_revenue": _sum_units(_units_of(anon["amount"]), decimals=2).iloc[0],
            "anonymous_invoices": anon["invoice_id"].nunique(),
            "buyers": s["customer_id"].nunique(),
            "orders": s["invoice_id"].nunique(),
            "cancelled_amount": _sum_units(_units_of(cancelled["amount"]), decimals=2).iloc[0],
            "cancelled_invoices": cancelled["invoice_id"].nunique(),
            "returned_amount": _sum_units(_units_of(returned["amount"]), decimals=2).iloc[0],
            "returned_invoices": returned["invoice_id"].nunique(),
            "first_order": t["ordered_at"].min() if len(t) else None,
            "last_order": t["ordered_at"].max() if len(t) else None,
        }
    out = {}
    for key, value in raw.items():
        if key in ("first_order", "last_order"):
            out[key] = None if value is None or pd.isna(value) else pd.Timestamp(value)
        elif key.endswith(("revenue", "amount")):
            out[key] = float(value)
        else:
            out[key] = 0 if pd.isna(value) else int(value)
    return out
