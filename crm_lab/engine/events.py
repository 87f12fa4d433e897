"""Event tables into the per-customer, per-day and per-month totals analyses start from.

Order lines into per-customer totals, purchase days, monthly and period totals; interactions
and service tickets into per-customer and per-month counts; any table's filled values and date
span, and order lines by kind, for the data-quality page.

Each function takes its event table as a pandas DataFrame or as an engine's Ibis table
(``Engine.lines``) and returns a pandas result (a dict for a window's headline and a date
span) that is the same either way: the pandas code is the reference, the Ibis expression its
twin for DuckDB and Spark, and ``tests/engine/test_events.py`` and ``tests/quality`` prove them
equal on hand-made tables, the demo data and Online Retail. Only these totals leave the engine:
one row per customer, customer-day, month or line type, or a table's few counts.

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

from crm_lab.core.lines import LINE_COLUMNS, item_labels, present, sale_lines
from crm_lab.core.schemas import SCHEMAS
from crm_lab.engine.session import EngineError, is_table, refuse_zones

__all__ = [
    "DECIMALS",
    "HEADLINE_TOTALS",
    "CHANNELS",
    "UNITS",
    "customer_totals",
    "date_span",
    "filled_counts",
    "headline_totals",
    "interaction_counts",
    "item_lines",
    "line_kinds",
    "monthly_events",
    "monthly_totals",
    "purchase_days",
    "ticket_counts",
]

DECIMALS = 6
UNITS = 10**DECIMALS  # an amount is summed as a whole number of millionths


LINE_LIMIT = 9e12  # a line's amount in millionths must fit a 64-bit integer
_HALF = 2**31  # millionths are split into high * 2**31 + low, each part summed in 64 bits


def _sums(amount, name: str, *, where=None) -> dict:
    """An Ibis column of amounts into the two 64-bit aggregates of its exact sum, named.

    Each line is rounded half up to whole millionths and split into a high and a low part
    (base 2**31), so that neither part's sum overflows 64 bits on any engine and both are
    exact; ``_join`` puts them together. A 64-bit sum of millionths alone would overflow at
    9.2 * 10**12, and a decimal sum comes back as Python objects, slowly.
    """
    whole = (amount * UNITS + 0.5).floor()  # Ibis: CAST(FLOOR(...) AS BIGINT)
    high = (whole / _HALF).floor()
    low = whole - high * _HALF
    return {
        f"{name}__high": high.sum(where=where).fill_null(0).cast("int64"),
        f"{name}__low": low.sum(where=where).fill_null(0).cast("int64"),
    }


def _sums_of(amount: pd.Series, by=None, *, decimals: int = DECIMALS) -> pd.Series:
    """The pandas twin of ``_sums`` and ``_join``: the same IEEE arithmetic, the same integers.

    Returns the exact sum's amount per group of ``by`` (one row without ``by``).
    """
    values = pd.to_numeric(amount, errors="coerce").to_numpy("float64")
    if len(values) and np.nanmax(np.abs(values), initial=0.0) >= LINE_LIMIT:
        raise ValueError(
            f"an order line's amount of {np.nanmax(np.abs(values)):.6g} is beyond the "
            f"{LINE_LIMIT:.0e} crm_lab sums exactly; check the export's amount column"
        )
    whole = np.floor(values * UNITS + 0.5)
    high = np.floor(whole / _HALF)
    whole, high = np.nan_to_num(whole).astype("int64"), np.nan_to_num(high).astype("int64")
    parts = pd.DataFrame({"high": high, "low": whole - high * _HALF}, index=amount.index)
    if by is None:
        sums = parts.sum().to_frame().T
    else:
        sums = parts.groupby(by, sort=False, observed=True).sum()
    return pd.Series(_join(sums["high"], sums["low"], decimals), index=sums.index)


def _join(high, low, decimals: int = DECIMALS) -> np.ndarray:
    """The high and low parts' sums into the rounded amounts of the exact totals."""
    high = pd.Series(high).to_numpy("int64")
    low = pd.Series(low).to_numpy("int64")
    if (np.abs(high) < _HALF).all():  # high * 2**31 + low stays inside 64 bits
        return _amounts(high * _HALF + low, decimals)
    pairs = zip(high.tolist(), low.tolist(), strict=True)
    return _amounts([h * _HALF + lo for h, lo in pairs], decimals)


def _joined(frame: pd.DataFrame, name: str, *, decimals: int = DECIMALS) -> np.ndarray:
    """An engine's result with ``_sums`` columns into the amounts of ``name`` (taken out)."""
    return _join(frame.pop(f"{name}__high"), frame.pop(f"{name}__low"), decimals)


def _fetch(expr) -> pd.DataFrame:
    """An engine's (small) result table into pandas, through Arrow.

    Ibis's own ``to_pandas`` converts column by column after the Arrow transfer; Arrow's
    conversion is one step, and at 20 M order lines (940 k customer-days) it takes half the
    time on DuckDB (``bench/bench_scale.py``; Ibis's Spark backend goes through pandas
    either way). The types are the same for these results: strings, 64-bit integers,
    timestamps (normalised by ``_stamps`` after).
    """
    return expr.to_pyarrow().to_pandas()


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
    """Exact totals in millionths (64-bit or Python integers) into rounded amounts.

    The rounding (half up) is done on the integers and the division is correctly rounded, so
    every engine's exact total becomes the same float: the nearest to the decimal it stands for.
    """
    step = 10 ** (DECIMALS - decimals)
    if isinstance(units, np.ndarray) and units.dtype == "int64" and (np.abs(units) < 2**53).all():
        whole = (units + step // 2) // step  # integer division: exact
        return whole.astype("float64") / 10**decimals + 0.0  # exact as floats; never -0.0
    # Python integers: their true division is correctly rounded at any size
    return np.array([(int(u) + step // 2) // step / 10**decimals + 0.0 for u in units], "float64")


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
                **_sums(s.amount, "revenue"),
                first_purchase_at=s.ordered_at.min(),
                last_purchase_at=s.ordered_at.max(),
            )
            .pipe(_fetch)
        )
        out["revenue"] = _joined(out, "revenue")
    else:
        refuse_zones(lines)
        s = sale_lines(lines, end=end, start=start, customers_only=True)
        g = s.groupby("customer_id", sort=False, observed=True)
        out = pd.DataFrame(
            {
                "orders": g["invoice_id"].nunique(),
                "revenue": _sums_of(s["amount"], s["customer_id"]),
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


def customer_mix(lines, *, end, column: str) -> pd.DataFrame:
    """Order lines into one row per customer and value of ``column``: its sales and orders.

    What the category and channel mixes of ``segments.features`` are made of: sale lines with
    a customer id ordered before ``end`` whose ``column`` (``category``, ``channel``) is
    filled, grouped by customer and value; the value as text.

    Returns
    -------
    DataFrame
        ``customer_id`` (string), ``value`` (string), ``revenue`` (sum of the amounts, exact
        on every engine) and ``orders`` (distinct invoices); sorted by customer and value.

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "invoice_id": ["1", "1", "2"], "customer_id": ["a", "a", "a"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-05"]),
    ...     "quantity": [1.0, 1.0, 1.0], "amount": [10.0, 5.0, 2.0],
    ...     "line_type": ["sale"] * 3, "category": ["tea", "tea", "cups"]})
    >>> customer_mix(tx, end=pd.Timestamp("2024-02-01"), column="category")
      customer_id value  revenue  orders
    0           a  cups      2.0       1
    1           a   tea     15.0       1
    """
    if is_table(lines):
        s = _sales(lines, end=end, customers_only=True)
        s = s.mutate(value=s[column].cast("string"))
        s = s.filter(s.value.notnull())
        out = (
            s.group_by(["customer_id", "value"])
            .aggregate(**_sums(s.amount, "revenue"), orders=s.invoice_id.nunique())
            .pipe(_fetch)
        )
        out["revenue"] = _joined(out, "revenue")
    else:
        refuse_zones(lines)
        s = sale_lines(lines, end=end, customers_only=True,
                       columns=["customer_id", "invoice_id", "amount", column])  # fmt: skip
        s = s[s[column].notna()]
        keys = [s["customer_id"].astype("string"), s[column].astype("string").rename("value")]
        g = s.groupby(keys, sort=False, observed=True)
        out = pd.DataFrame(
            {"revenue": _sums_of(s["amount"], keys), "orders": g["invoice_id"].nunique()}
        ).reset_index()
    out = out.assign(
        customer_id=out["customer_id"].astype("string"),
        value=out["value"].astype("string"),
        revenue=out["revenue"].to_numpy("float64"),
        orders=out["orders"].astype("int64"),
    )
    columns = ["customer_id", "value", "revenue", "orders"]
    return out.sort_values(["customer_id", "value"], ignore_index=True)[columns]


def purchase_days(lines, *, end, after=None, any_amount: bool = False) -> pd.DataFrame:
    """Order lines into one row per customer and day with sales: the amount bought that day.

    The purchases of ``clv.purchase_summary``: sale lines with a customer id and an amount of
    zero or more (a free item is still a purchase), ``after <= ordered_at < end``. With
    ``any_amount``, a sale line of a negative amount counts too: the purchase days of tags and
    lifecycle stages, which take every sale line. A table without a ``quantity`` column (a
    CDNOW-style purchase log) counts every line as bought.

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
        s = s if any_amount else s.filter(s.amount >= 0)
        out = (
            s.mutate(day=s.ordered_at.truncate("D"))
            .group_by(["customer_id", "day"])
            .aggregate(**_sums(s.amount, "amount"))
            .pipe(_fetch)
        )
        out["amount"] = _joined(out, "amount")
    else:
        refuse_zones(lines)
        t = lines if "quantity" in lines else lines.assign(quantity=1.0)
        s = sale_lines(t, end=end, start=after, customers_only=True)
        s = s if any_amount else s[s["amount"] >= 0]
        day = s["ordered_at"].dt.normalize().rename("day")
        out = _sums_of(s["amount"], [s["customer_id"], day])
        out = out.rename("amount").reset_index()
    out = pd.DataFrame(
        {
            "customer_id": out["customer_id"].astype("string").reset_index(drop=True),
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
                **_sums(s.amount, "revenue"),
                orders=s.invoice_id.nunique(),
                customers=s.customer_id.nunique(),
            )
            .pipe(_fetch)
        )
        out["revenue"] = _joined(out, "revenue")
        month = pd.PeriodIndex.from_fields(
            year=out["year"].astype(int), month=out["month_number"].astype(int), freq="M"
        )
    else:
        refuse_zones(lines)
        s = sale_lines(lines, end=end)
        g = s.groupby(s["ordered_at"].dt.to_period("M"), sort=False)
        out = pd.DataFrame(
            {
                "revenue": _sums_of(s["amount"], s["ordered_at"].dt.to_period("M")),
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
                **_sums(t.amount, "revenue", where=sale),
                **_sums(t.amount, "anonymous_revenue", where=anonymous),
                anonymous_invoices=t.invoice_id.nunique(where=anonymous),
                buyers=t.customer_id.nunique(where=sale),
                orders=t.invoice_id.nunique(where=sale),
                **_sums(t.amount, "cancelled_amount", where=cancelled),
                cancelled_invoices=t.invoice_id.nunique(where=cancelled),
                **_sums(t.amount, "returned_amount", where=returned),
                returned_invoices=t.invoice_id.nunique(where=returned),
                first_order=t.ordered_at.min(),
                last_order=t.ordered_at.max(),
            )
            .pipe(_fetch)
            .iloc[0]
        )
        sums = ("revenue", "anonymous_revenue", "cancelled_amount", "returned_amount")
        raw = {key: row[key] for key in HEADLINE_TOTALS if key not in sums}
        for key in sums:
            raw[key] = _join([row[f"{key}__high"]], [row[f"{key}__low"]], decimals=2)[0]
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
            "revenue": _sums_of(s["amount"], decimals=2).iloc[0],
            "anonymous_revenue": _sums_of(anon["amount"], decimals=2).iloc[0],
            "anonymous_invoices": anon["invoice_id"].nunique(),
            "buyers": s["customer_id"].nunique(),
            "orders": s["invoice_id"].nunique(),
            "cancelled_amount": _sums_of(cancelled["amount"], decimals=2).iloc[0],
            "cancelled_invoices": cancelled["invoice_id"].nunique(),
            "returned_amount": _sums_of(returned["amount"], decimals=2).iloc[0],
            "returned_invoices": returned["invoice_id"].nunique(),
            "first_order": t["ordered_at"].min() if len(t) else None,
            "last_order": t["ordered_at"].max() if len(t) else None,
        }
    out = {}
    for key in HEADLINE_TOTALS:
        value = raw[key]
        if key in ("first_order", "last_order"):
            out[key] = None if value is None or pd.isna(value) else pd.Timestamp(value)
        elif key.endswith(("revenue", "amount")):
            out[key] = float(value)
        else:
            out[key] = 0 if pd.isna(value) else int(value)
    return out


# the text columns of ``item_lines``, held as categoricals (codes, not a string per line)
_ITEM_TEXTS = ("invoice_id", "customer_id", "line_type", "grain", "product_name", "category")
_ITEM_TYPES = {"ordered_at": "datetime64[ns]", **dict.fromkeys(_ITEM_TEXTS, "int32")}


def item_lines(lines, *, end) -> pd.DataFrame:
    """Order lines before ``end`` into the compact lines that baskets, bundles, the holdout
    test and seasonality read.

    What the basket page takes from an engine instead of every column of every line: the
    sale lines with a positive quantity and the cancellations (seasonality takes cancelled
    quantities off) ordered before ``end``, with the columns of ``core.lines.LINE_COLUMNS``
    that the table has. ``product_name`` holds the product's item label (its name, else its
    id: what ``core.lines.item_labels`` gives) and ``product_id`` is dropped. Texts are
    categoricals with their categories in sorted order, so that at 100 M order lines a line
    costs about 40 bytes rather than a Python string per column; ``ordered_at`` is in
    nanoseconds. The result is the same on every engine (``tests/engine/test_events.py``),
    and the basket and demand analyses give the same results on it as on the full lines
    (``tests/basket/test_compact_lines.py``).

    >>> tx = pd.DataFrame({"invoice_id": ["1", "1", "C1", "2"], "customer_id": ["a"] * 4,
    ...     "ordered_at": pd.to_datetime(["2024-01-01"] * 3 + ["2024-03-01"]),
    ...     "quantity": [2.0, 0.0, -2.0, 1.0], "amount": [5.0, 0.0, -5.0, 1.0],
    ...     "line_type": ["sale", "sale", "cancellation", "sale"],
    ...     "product_id": ["p1", "p2", "p1", "p1"], "product_name": [None, "Mug", None, None]})
    >>> item_lines(tx, end=pd.Timestamp("2024-02-01"))[["invoice_id", "product_name"]]
      invoice_id product_name
    0          1           p1
    1         C1           p1
    """
    end = _stamp(end)
    if is_table(lines):
        return _coded_item_lines(lines, end=end)
    refuse_zones(lines)
    kept = ((lines["line_type"] == "sale") & (lines["quantity"] > 0)) | (
        lines["line_type"] == "cancellation"
    )
    kept &= lines["ordered_at"] < end
    frame = lines.loc[kept.fillna(False).to_numpy(dtype=bool), present(lines, LINE_COLUMNS)]
    if "product_id" in frame.columns:
        named = item_labels(frame) if "product_name" in frame.columns else frame["product_id"]
        frame = frame.assign(product_name=named).drop(columns="product_id")
    out = {}
    for name in frame.columns:
        values = frame[name]
        if name in _ITEM_TEXTS:
            values = _sorted_categories(values)
        elif name == "ordered_at":
            values = values.astype("datetime64[ns]")
        elif name in ("quantity", "amount"):
            values = values.astype("float64")
        out[name] = values
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _coded_item_lines(t, *, end) -> pd.DataFrame:
    """The Ibis twin of ``item_lines``' selection, its texts coded batch by batch.

    The engine sends the lines in their order, a million at a time; each batch's texts are
    turned into codes into one growing list of distinct values per column, and its numbers
    written into arrays sized for every line (counted first), so that only the compact
    result and one batch are ever in memory: at 100 M order lines, the batches' texts kept
    until the end took 15 GB.
    """
    import pyarrow.compute as pc

    from crm_lab.engine.session import arrow_batches

    kept = ((t.line_type == "sale") & (t.quantity > 0)) | (t.line_type == "cancellation")
    t = t.filter(kept & (t.ordered_at < end))
    # texts as texts whatever a frame held (ids as numbers, a column of nothing but nulls),
    # as the pandas path makes them
    t = t.mutate(**{c: t[c].cast("string") for c in (*_ITEM_TEXTS, "product_id") if c in t.columns})
    if "product_id" in t.columns:
        named = t.product_name.fill_null(t.product_id) if "product_name" in t.columns else None
        t = t.mutate(product_name=t.product_id if named is None else named)
    columns = [c for c in LINE_COLUMNS if c in t.columns and c != "product_id"]
    t = t.select(*columns)
    rows = int(t.count().execute())
    seen = {c: {} for c in columns if c in _ITEM_TEXTS}  # each text's code, as first seen
    arrays = {c: np.empty(rows, _ITEM_TYPES.get(c, "float64")) for c in columns}
    at = 0
    for batch in arrow_batches(t):
        n = batch.num_rows
        if at + n > rows:
            raise _changed(rows, at + n)
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            if name not in seen:  # numbers as floats, times (microseconds) as nanoseconds
                arrays[name][at : at + n] = column.to_numpy(zero_copy_only=False)
                continue
            coded = pc.dictionary_encode(column)
            codes = seen[name]
            known = [codes.setdefault(w, len(codes)) for w in coded.dictionary.to_pylist()]
            index = coded.indices.fill_null(len(known)).to_numpy()
            arrays[name][at : at + n] = np.array([*known, -1], "int32")[index]
        at += n
    if at != rows:  # no code left unfilled
        raise _changed(rows, at)
    frame = {}
    for name in columns:
        values = arrays.pop(name)
        if name in seen:  # codes renumbered so that the categories are in sorted order
            words = np.array(list(seen.pop(name)), dtype=object)
            order = np.argsort(words, kind="stable")
            rank = np.empty(len(words) + 1, "int32")
            rank[order], rank[-1] = np.arange(len(words)), -1
            values = pd.Categorical.from_codes(
                rank[values], categories=pd.Index(words[order], dtype=object)
            )
        frame[name] = values
    return pd.DataFrame(frame, copy=False)


def _changed(counted: int, read: int) -> EngineError:
    """The error of lines that changed between ``_coded_item_lines``' count and its read."""
    return EngineError(
        f"the order lines changed while they were read ({counted:,} counted, {read:,} read); "
        "run again"
    )


def _sorted_categories(values: pd.Series) -> pd.Series:
    """A column of texts (or an Arrow dictionary's categorical) into a categorical of
    strings whose categories are in sorted order, the same from any engine."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    categories = pd.Index(values.cat.categories.astype(str), dtype=object)
    values = values.cat.rename_categories(categories)
    return values.cat.reorder_categories(categories.sort_values())


# --- contacts: interactions and service tickets ------------------------------------------------

CHANNELS = next(c.allowed for c in SCHEMAS["interactions"].columns if c.name == "channel")
DIRECTIONS = ("inbound", "outbound")
# the tickets' optional columns ticket_counts reads, and their type when a table lacks one
_TICKET_OPTIONAL = {
    "first_response_at": "timestamp",
    "resolved_at": "timestamp",
    "satisfaction": "float64",
}


def _window(t, at: str, *, end, start=None):
    """The Ibis rows of ``start <= t[at] < end`` with a customer id."""
    keep = (t[at] < _stamp(end)) & t.customer_id.notnull()
    if start is not None:
        keep &= t[at] >= _stamp(start)
    return t.filter(keep)


def _window_of(frame: pd.DataFrame, at: str, *, end, start=None) -> pd.DataFrame:
    """The pandas twin of ``_window``."""
    refuse_zones(frame)
    keep = (frame[at] < end) & frame["customer_id"].notna()
    if start is not None:
        keep &= frame[at] >= start
    return frame[keep]


def interaction_counts(interactions, *, end, start=None) -> pd.DataFrame:
    """Interactions into one row per customer: how many, by channel and direction, and when.

    Parameters
    ----------
    interactions : DataFrame or Ibis table
        The canonical ``interactions`` table (``customer_id``, ``interacted_at``, ``channel``,
        optional ``direction``).
    end, start : Timestamp
        The window: ``start <= interacted_at < end`` (``start`` optional).

    Returns
    -------
    DataFrame
        ``customer_id`` (string), ``interactions``, one count per channel code (``CHANNELS``),
        ``inbound`` and ``outbound`` when the table has a ``direction``, then
        ``first_interaction_at`` and ``last_interaction_at``; customers with an interaction in
        the window only, sorted by ``customer_id``.

    Examples
    --------
    >>> contacts = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "interacted_at": pd.to_datetime(["2024-01-02", "2024-01-09", "2024-02-01"]),
    ...     "channel": ["email", "phone", "email"]})
    >>> interaction_counts(contacts, end=pd.Timestamp("2024-02-01"))[
    ...     ["customer_id", "interactions", "email", "phone"]]
      customer_id  interactions  email  phone
    0           a             2      1      1
    """
    directed = "direction" in interactions.columns
    counted = [*CHANNELS, *(DIRECTIONS if directed else ())]
    if is_table(interactions):
        t = _window(interactions, "interacted_at", end=end, start=start)
        where = {c: t.channel == c for c in CHANNELS}
        where.update({d: t.direction == d for d in DIRECTIONS} if directed else {})
        out = (
            t.group_by("customer_id")
            .aggregate(
                interactions=t.count(),
                **{name: t.count(where=w) for name, w in where.items()},
                first_interaction_at=t.interacted_at.min(),
                last_interaction_at=t.interacted_at.max(),
            )
            .pipe(_fetch)
        )
    else:
        t = _window_of(interactions, "interacted_at", end=end, start=start)
        flags = {c: t["channel"] == c for c in CHANNELS}
        flags.update({d: t["direction"] == d for d in DIRECTIONS} if directed else {})
        flags = pd.DataFrame(flags).fillna(False).astype(bool)
        g = t.groupby("customer_id", sort=False, observed=True)
        out = (
            flags.groupby(t["customer_id"], sort=False, observed=True)
            .sum()
            .assign(
                interactions=g.size(),
                first_interaction_at=g["interacted_at"].min(),
                last_interaction_at=g["interacted_at"].max(),
            )
            .reset_index()
        )
    out = out.assign(
        customer_id=out["customer_id"].astype("string"),
        **{c: out[c].fillna(0).astype("int64") for c in ["interactions", *counted]},
        first_interaction_at=_stamps(out["first_interaction_at"]).to_numpy(),
        last_interaction_at=_stamps(out["last_interaction_at"]).to_numpy(),
    )
    columns = ["customer_id", "interactions", *counted]
    columns += ["first_interaction_at", "last_interaction_at"]
    return out.sort_values("customer_id", ignore_index=True)[columns]


def ticket_counts(tickets, *, end, start=None) -> pd.DataFrame:
    """Service tickets into one row per customer: opened, answered, resolved, open, rated.

    Only what is known before ``end`` counts: a ticket opened in the window is ``responded``
    when its first response came before ``end``, ``resolved`` when it was resolved before
    ``end``, else it is still ``unresolved``; its satisfaction rating counts (``rated``,
    ``satisfaction`` their mean, exact on every engine) once it is resolved before ``end``, or
    whenever the table has no ``resolved_at`` (a rating is given on resolution).

    Returns
    -------
    DataFrame
        ``customer_id`` (string), ``tickets``, ``responded``, ``resolved``, ``unresolved``,
        ``rated``, ``satisfaction`` (NaN without a rating), ``last_ticket_at``; customers with a
        ticket opened in the window only, sorted by ``customer_id``. A column the table lacks
        counts nothing: no ``first_response_at``, no ticket is ``responded``.

    Examples
    --------
    >>> tickets = pd.DataFrame({"ticket_id": ["1", "2"], "customer_id": ["a", "a"],
    ...     "opened_at": pd.to_datetime(["2024-01-02", "2024-01-20"]),
    ...     "resolved_at": pd.to_datetime(["2024-01-03", "2024-03-01"]),
    ...     "satisfaction": [4.0, 1.0]})
    >>> ticket_counts(tickets, end=pd.Timestamp("2024-02-01"))[
    ...     ["tickets", "resolved", "unresolved", "rated", "satisfaction"]]
       tickets  resolved  unresolved  rated  satisfaction
    0        2         1           1      1           4.0
    """
    dated = "resolved_at" in tickets.columns  # without it, every rating counts
    if is_table(tickets):
        import ibis

        t = _window(tickets, "opened_at", end=end, start=start)
        t = t.mutate(**{c: ibis.null(k) for c, k in _TICKET_OPTIONAL.items() if c not in t.columns})
        stop = _stamp(end)
        resolved = t.resolved_at < stop
        known = t.satisfaction.notnull() & (resolved if dated else True)
        out = (
            t.group_by("customer_id")
            .aggregate(
                tickets=t.count(),
                responded=t.count(where=t.first_response_at < stop),
                resolved=t.count(where=resolved),
                rated=t.count(where=known),
                **_sums(t.satisfaction, "satisfaction", where=known),
                last_ticket_at=t.opened_at.max(),
            )
            .pipe(_fetch)
        )
        total = _joined(out, "satisfaction")
    else:
        t = _window_of(tickets, "opened_at", end=end, start=start)
        missing = {c: pd.Series(np.nan if k == "float64" else pd.NaT, index=t.index)
                   for c, k in _TICKET_OPTIONAL.items() if c not in t.columns}  # fmt: skip
        t = t.assign(**missing)
        by = t["customer_id"]
        resolved = (t["resolved_at"] < end).fillna(False)
        known = t["satisfaction"].notna() & (resolved if dated else True)
        g = t.groupby("customer_id", sort=False, observed=True)
        out = pd.DataFrame(
            {
                "tickets": g.size(),
                "responded": (t["first_response_at"] < end).groupby(by, observed=True).sum(),
                "resolved": resolved.groupby(by, observed=True).sum(),
                "rated": known.groupby(by, observed=True).sum(),
                "total": _sums_of(t["satisfaction"].where(known, 0.0), by),
                "last_ticket_at": g["opened_at"].max(),
            }
        ).reset_index()
        total = out.pop("total").to_numpy("float64")
    counts = ["tickets", "responded", "resolved", "rated"]
    out = out.assign(
        customer_id=out["customer_id"].astype("string"),
        **{c: out[c].fillna(0).astype("int64") for c in counts},
        last_ticket_at=_stamps(out["last_ticket_at"]).to_numpy(),
    )
    out["unresolved"] = out["tickets"] - out["resolved"]
    rated = out["rated"].to_numpy()
    out["satisfaction"] = np.where(rated > 0, total / np.maximum(rated, 1), np.nan)
    columns = ["customer_id", "tickets", "responded", "resolved", "unresolved", "rated"]
    columns += ["satisfaction", "last_ticket_at"]
    return out.sort_values("customer_id", ignore_index=True)[columns]


def monthly_events(events, *, at: str, end, start=None, by: str | None = None) -> pd.DataFrame:
    """Event rows (interactions, tickets, campaign responses) into counts per calendar month.

    ``at`` names the event's date column (``interacted_at``, ``opened_at``, ``sent_at``); rows
    with ``start <= at < end`` and a customer id count, grouped by month and, with ``by``, by
    that column too (``channel``, ``problem_type``; a missing value is its own group).

    Returns
    -------
    DataFrame
        ``month`` (``pd.Period``, monthly), ``by``'s column when given, ``events`` (rows) and
        ``customers`` (distinct customer ids); only months with events, in order.

    Examples
    --------
    >>> contacts = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "interacted_at": pd.to_datetime(["2024-01-02", "2024-01-09", "2024-02-01"]),
    ...     "channel": ["email", "phone", "email"]})
    >>> monthly_events(contacts, at="interacted_at", end=pd.Timestamp("2024-03-01"))
         month  events  customers
    0  2024-01       2          1
    1  2024-02       1          1
    """
    keys = [by] if by else []
    if is_table(events):
        t = _window(events, at, end=end, start=start)
        t = t.mutate(year=t[at].year(), month_number=t[at].month())
        out = (
            t.group_by(["year", "month_number", *keys])
            .aggregate(events=t.count(), customers=t.customer_id.nunique())
            .pipe(_fetch)
        )
        month = pd.PeriodIndex.from_fields(
            year=out["year"].astype(int), month=out["month_number"].astype(int), freq="M"
        )
        out = out.drop(columns=["year", "month_number"]).assign(month=month)
    else:
        t = _window_of(events, at, end=end, start=start)
        groups = [t[at].dt.to_period("M").rename("month"), *(t[k] for k in keys)]
        g = t.groupby(groups, sort=False, dropna=False, observed=True)
        out = pd.DataFrame(
            {"events": g.size(), "customers": g["customer_id"].nunique()}
        ).reset_index()
    out = out.assign(
        events=out["events"].astype("int64"), customers=out["customers"].astype("int64")
    )
    if by:
        out[by] = out[by].astype("object").where(out[by].notna(), None)
    return out.sort_values(["month", *keys], ignore_index=True, na_position="last")[
        ["month", *keys, "events", "customers"]
    ]


# --- the data-quality page's counts: any table's filled values and dates, lines by kind --------


def _undated_or_before(t, at: str | None, end):
    """The Ibis rows of ``t`` not dated at or after ``end`` (``quality.up_to``: undated stay)."""
    if at is None or at not in t.columns:
        return t
    return t.filter(t[at].isnull() | (t[at] < _stamp(end)))


def filled_counts(table, *, columns, at: str | None = None, end=None) -> pd.DataFrame:
    """A table's rows up to a day into each column's count of filled values.

    Rows count unless their ``at`` date is at or after ``end``: an undated row stays, as
    ``quality.up_to`` keeps it (without ``at``, every row counts). A value is filled when it
    is not missing (null, NaN, NaT); a column the table lacks has none filled.

    Returns
    -------
    DataFrame
        ``column`` (in the order given), ``rows`` (the rows counted, the same on every row) and
        ``filled``.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [1.0, None, 3.0], "at": pd.to_datetime(["2024-01-01", None,
    ...     "2024-03-01"])})
    >>> filled_counts(t, columns=["a", "b"], at="at", end=pd.Timestamp("2024-02-01"))
      column  rows  filled
    0      a     2       1
    1      b     2       0
    """
    present = [c for c in dict.fromkeys(columns) if c in table.columns]
    if at is not None and end is None:
        raise ValueError("filled_counts: a date column (at) needs the end of the window (end)")
    if is_table(table):
        t = _undated_or_before(table, at, end)
        counts = {}
        for i, c in enumerate(present):
            column = t[c]
            counts[f"c{i}"] = (
                column.count(where=~column.isnan())
                if column.type().is_floating()
                else column.count()
            )
        row = t.aggregate(rows=t.count(), **counts).pipe(_fetch).iloc[0]
        rows = int(row["rows"])
        filled = {c: int(row[f"c{i}"]) for i, c in enumerate(present)}
    else:
        frame = table
        if at is not None and at in frame.columns:
            frame = frame[~(frame[at] >= end)]
        rows = len(frame)
        filled = {c: int(frame[c].notna().sum()) for c in present}
    return pd.DataFrame(
        {
            "column": list(columns),
            "rows": rows,
            "filled": [filled.get(c, 0) for c in columns],
        }
    ).astype({"rows": "int64", "filled": "int64"})


def date_span(table, *, at: str, end) -> dict | None:
    """A table's dates before ``end`` into their span: first, last and the months that have any.

    Returns ``None`` when no row has a date before ``end``; else ``first`` and ``last``
    (Timestamps) and ``months_with_rows`` (the number of distinct calendar months).

    >>> t = pd.DataFrame({"at": pd.to_datetime(["2024-01-05", "2024-03-01", None])})
    >>> date_span(t, at="at", end=pd.Timestamp("2025-01-01"))["months_with_rows"]
    2
    """
    if is_table(table):
        t = table.filter(table[at] < _stamp(end))
        # the month's first instant, not year * 12 + month: DuckDB's perfect-hash aggregate
        # overflows on that number over nanosecond timestamps (a Parquet file pandas wrote)
        month = t[at].truncate("M")
        row = (
            t.aggregate(first=t[at].min(), last=t[at].max(), months=month.nunique(), n=t.count())
            .pipe(_fetch)
            .iloc[0]
        )
        if not row["n"]:
            return None
        first, last, months = row["first"], row["last"], int(row["months"])
    else:
        s = table[at].dropna()
        s = s[s < end]
        if s.empty:
            return None
        first, last = s.min(), s.max()
        # months as numbers (year * 12 + month): a Period per row is a Python object per row
        months = len(np.unique(s.dt.year.to_numpy("int64") * 12 + s.dt.month.to_numpy("int64")))
    return {
        "first": pd.Timestamp(first).tz_localize(None),
        "last": pd.Timestamp(last).tz_localize(None),
        "months_with_rows": months,
    }


ANONYMOUS_SALES = "sale_without_customer_id"


def line_kinds(lines, *, end) -> pd.DataFrame:
    """Order lines before ``end`` into counts per line type, then the sales without a customer.

    Returns
    -------
    DataFrame
        ``kind`` (each line type that has lines, then ``ANONYMOUS_SALES``: the ``sale`` lines
        without a customer id, always), ``lines``, ``invoices`` (distinct) and ``amount`` (the
        exact sum, to the cent); the line types in alphabetical order.

    >>> tx = pd.DataFrame({"invoice_id": ["1", "1", "C1"], "customer_id": ["a", None, "a"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01"] * 3), "amount": [5.0, 2.0, -5.0],
    ...     "line_type": ["sale", "sale", "cancellation"]})
    >>> line_kinds(tx, end=pd.Timestamp("2024-02-01"))[["kind", "lines", "amount"]]
                           kind  lines  amount
    0              cancellation      1    -5.0
    1                      sale      2     7.0
    2  sale_without_customer_id      1     2.0
    """
    if is_table(lines):
        t = _undated_or_before(lines, "ordered_at", end)
        anonymous = (t.line_type == "sale") & t.customer_id.isnull()
        by_kind = (
            t.group_by("line_type")
            .aggregate(
                lines=t.count(), invoices=t.invoice_id.nunique(), **_sums(t.amount, "amount")
            )
            .pipe(_fetch)
        )
        by_kind["amount"] = _joined(by_kind, "amount", decimals=2)
        anon = t.aggregate(
            lines=t.count(where=anonymous),
            invoices=t.invoice_id.nunique(where=anonymous),
            **_sums(t.amount, "amount", where=anonymous),
        ).pipe(_fetch)
        anon["amount"] = _joined(anon, "amount", decimals=2)
        by_kind = by_kind.rename(columns={"line_type": "kind"})
    else:
        refuse_zones(lines)
        t = lines[~(lines["ordered_at"] >= end)]
        kind = t["line_type"].astype("string")
        g = t.groupby(kind, sort=False)
        by_kind = (
            pd.DataFrame(
                {
                    "lines": g.size(),
                    "invoices": g["invoice_id"].nunique(),
                    "amount": _sums_of(t["amount"], kind, decimals=2),
                }
            )
            .rename_axis("kind")
            .reset_index()
        )
        a = t[(t["line_type"] == "sale").to_numpy(dtype=bool) & t["customer_id"].isna().to_numpy()]
        anon = pd.DataFrame(
            {
                "lines": [len(a)],
                "invoices": [a["invoice_id"].nunique()],
                "amount": _sums_of(a["amount"], decimals=2).to_numpy(),
            }
        )
    by_kind = by_kind.sort_values("kind", ignore_index=True)
    out = pd.concat([by_kind, anon.assign(kind=ANONYMOUS_SALES)], ignore_index=True)
    return pd.DataFrame(
        {
            "kind": out["kind"].astype("string"),
            "lines": out["lines"].fillna(0).to_numpy("int64"),
            "invoices": out["invoices"].fillna(0).to_numpy("int64"),
            "amount": out["amount"].to_numpy("float64"),
        }
    )
