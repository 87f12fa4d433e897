"""Sale lines into demand by month or ISO week of the year: peaks, lows and when to stock up.

Seasonality is about demand, not baskets: quantity sold less quantity cancelled, averaged over
how often each period occurs in the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import privacy
from crm_lab.core.lines import ITEM_COLUMNS, day_end, item_labels, present, sale_lines

__all__ = ["seasonality"]


def _buyers(sales: pd.DataFrame, *, level: str) -> pd.Series:
    """Sale lines into the number of buyers per item: its distinct customers, and each
    invoice without a customer id as a buyer of its own.

    Counted as two sums of distinct values rather than one column of mixed keys, which at
    20 M order lines would be as many Python strings (and a customer whose id read like
    "invoice 6" was one buyer with anonymous invoice 6). A line with neither a customer nor
    an invoice id is nobody's: not counted.
    """
    item = item_labels(sales, level=level)
    invoice = sales.get("invoice_id", sales.index.to_series())
    if not isinstance(invoice.dtype, pd.CategoricalDtype):  # codes already: kept as they are
        invoice = invoice.astype("string")
    customer = sales.get("customer_id", pd.Series(pd.NA, index=sales.index, dtype="string"))
    frame = pd.DataFrame({"item": item, "customer": customer, "invoice": invoice})
    someone = frame["customer"].notna() | frame["invoice"].notna()
    frame = frame[(frame["item"].notna() & someone).to_numpy()]
    known = frame["customer"].notna().to_numpy()
    customers = frame[known].groupby("item")["customer"].nunique()
    anonymous = frame[~known].groupby("item")["invoice"].nunique()
    return customers.add(anonymous, fill_value=0).astype("int64")


def seasonality(
    transactions: pd.DataFrame,
    *,
    as_of,
    level: str = "category",
    top: int = 20,
    by: str = "month",
    lead_time: int = 1,
    min_buyers: int = privacy.MIN_GROUP,
) -> pd.DataFrame:
    """Sale lines into average demand per month (or ISO week) of the year, per category.

    Demand is quantity sold less quantity cancelled, by the period of each line.

    Each month-of-year column is the quantity sold in it divided by how many times that month
    occurs between the first sale and ``as_of``, so a window holding two Decembers does not
    make December look twice as busy. Without categories (Online Retail) the ``top``
    best-selling products are used instead.

    Parameters
    ----------
    by : {"month", "week"}
        Months 1-12 (columns ``m1``..``m12``) or ISO weeks 1-53 (``w1``..``w53``).
    lead_time : int
        Months (or weeks) needed to stock up: ``stock_up_by`` is that long before the peak.
    min_buyers : int
        Items bought by fewer buyers up to ``as_of`` are left out (default
        ``privacy.MIN_GROUP``): an item's peak month would tell when its one or two buyers
        bought it. A buyer is a known customer; a sale without a customer id counts its
        invoice as one buyer.

    Returns
    -------
    DataFrame
        One row per item: ``peak_<by>``, ``peak_index`` (the peak's average demand over the
        item's average period), ``low_<by>``, ``stock_up_by``, then the averages.
    """
    if by not in ("month", "week"):
        raise ValueError(f"by must be 'month' or 'week', got {by!r}")
    end = day_end(as_of)
    read = ["invoice_id", "customer_id", "ordered_at", "quantity", *ITEM_COLUMNS]
    sales = sale_lines(transactions, end=end, columns=read)
    # cancelled quantities come off the demand of the period they were cancelled in: Online
    # Retail's 80,995 paper birdies, ordered and cancelled on 2011-12-09, are no December peak
    cancelled = transactions.loc[
        (transactions["line_type"] == "cancellation") & (transactions["ordered_at"] < end),
        present(transactions, ["ordered_at", "quantity", *ITEM_COLUMNS]),
    ]
    # no categories (Online Retail): the best-selling products instead
    has_categories = level == "category" and sales["category"].notna().any()
    periods = range(1, 13) if by == "month" else range(1, 54)
    prefix = by[0]

    def period_of(dates: pd.Series) -> pd.Series:
        return dates.dt.month if by == "month" else dates.dt.isocalendar().week.astype(int)

    def demand_of(lines: pd.DataFrame, quantity: pd.Series) -> pd.DataFrame:
        """Lines into item, period and quantity: the three columns the table sums, not a
        copy of every column of every line (at 100 M order lines, gigabytes)."""
        item = item_labels(lines, level="category" if has_categories else "product")
        return pd.DataFrame(
            {"item": item, "period": period_of(lines["ordered_at"]), "quantity": quantity}
        )

    frame = pd.concat(
        [
            demand_of(sales, sales["quantity"]),
            demand_of(cancelled, -cancelled["quantity"].abs()),
        ]
    ).dropna()
    table = (
        frame.pivot_table(
            index="item", columns="period", values="quantity", aggfunc="sum", fill_value=0
        )
        .reindex(columns=periods, fill_value=0)
        .clip(lower=0)  # a period with more cancelled than sold had no demand, not negative
    )
    buyers = _buyers(sales, level="category" if has_categories else "product")
    table = table.loc[table.index.isin(buyers.index[buyers >= min_buyers])]
    table = table.loc[table.sum(axis=1).nlargest(top).index]
    occurs = pd.Series(0, index=periods)
    if len(sales):  # how often each month (or week) of the year occurs in the window
        days = pd.Series(
            pd.date_range(sales["ordered_at"].min().normalize(), end, inclusive="left")
        )
        year = days.dt.year if by == "month" else days.dt.isocalendar().year.astype(int)
        spans = (year * 100 + period_of(days)).drop_duplicates() % 100
        occurs = spans.value_counts().reindex(periods, fill_value=0)
    covered = occurs.index[occurs > 0]
    table = table[covered] / occurs[covered]
    mean = table.mean(axis=1).replace(0, np.nan)
    out = pd.DataFrame(
        {
            f"peak_{by}": table.idxmax(axis=1),
            "peak_index": table.max(axis=1) / mean,
            f"low_{by}": table.idxmin(axis=1),
        }
    )
    cycle = 12 if by == "month" else (53 if occurs[53] > 0 else 52)
    out["stock_up_by"] = (out[f"peak_{by}"] - 1 - lead_time) % cycle + 1
    table = table.reindex(columns=periods)
    return pd.concat([out, table.add_prefix(prefix)], axis=1).rename_axis("item").reset_index()
