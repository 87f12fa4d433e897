"""Order lines into the pieces every analysis shares: the as-of window, sale lines, item labels.

Three conventions live here and nowhere else: an inclusive as-of *day* becomes the exclusive
end timestamp ``day_end(as_of)`` (everything ordered before midnight after that day counts);
purchases are ``sale`` lines with a positive quantity (``sale_lines``); and an item is a
product's name, falling back to its id, or its category (``item_labels``).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

__all__ = ["ITEM_COLUMNS", "LEVELS", "as_of_day", "day_end", "item_labels", "present", "sale_lines"]

LEVELS = ("product", "category")
# the columns ``item_labels`` reads, for the analyses that keep only the columns they need
ITEM_COLUMNS = ("product_name", "product_id", "category")
# the columns of order lines that the event-level analyses (sale lines, baskets, bundles,
# recommendations, seasonality) read: what a template reads of a snapshot for them
LINE_COLUMNS = (
    "invoice_id", "customer_id", "ordered_at", "quantity", "amount", "line_type", "grain",
    *ITEM_COLUMNS,
)  # fmt: skip
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


def as_of_day(as_of) -> pd.Timestamp:
    """An as-of date-like into the day it names (midnight); ``None`` is an error.

    A recurring report must not depend on the data's last date, so there is no default.
    Accepted: a ``pd.Period`` (its last day: ``pd.Period("2011-09")`` is 30 September), a
    ``date``, ``datetime``, ``pd.Timestamp`` or ``np.datetime64`` (the time of day is dropped),
    and an ISO text ``YYYY-MM-DD`` with an optional time. Any other value (``01/02/2025``,
    ``2011-09``, a number) is a ``ValueError``: it would name a day only by guessing.

    >>> as_of_day("2025-12-31 17:30")
    Timestamp('2025-12-31 00:00:00')
    >>> as_of_day(pd.Period("2011-09"))
    Timestamp('2011-09-30 00:00:00')
    """
    if as_of is None:
        raise ValueError("as_of is required: the report must not depend on the data's last date")
    if isinstance(as_of, pd.Period):
        return as_of.end_time.normalize()
    if isinstance(as_of, str) and _ISO_DAY.fullmatch(as_of.strip()):
        try:
            day = pd.Timestamp(as_of.strip())
        except ValueError:
            day = pd.NaT
    elif isinstance(as_of, (dt.date, np.datetime64)):  # datetime and Timestamp are dates
        day = pd.Timestamp(as_of)
    else:
        day = pd.NaT
    if pd.isna(day):
        raise ValueError(
            f"as_of must be a day: an ISO date YYYY-MM-DD (a time may follow), a date, "
            f"datetime, pd.Timestamp or pd.Period; got {as_of!r}"
        )
    return day.tz_localize(None).normalize() if day.tzinfo is not None else day.normalize()


def day_end(as_of) -> pd.Timestamp:
    """An inclusive as-of day into the exclusive end of the window: the next midnight.

    >>> day_end("2025-12-31")
    Timestamp('2026-01-01 00:00:00')
    """
    return as_of_day(as_of) + pd.Timedelta(days=1)


def sale_lines(
    transactions: pd.DataFrame,
    *,
    end=None,
    start=None,
    customers_only: bool = False,
    products_only: bool = False,
    columns=None,
) -> pd.DataFrame:
    """Order lines into the sales that count as purchases.

    ``sale`` lines with a positive quantity ordered before ``end`` (and at or after ``start``);
    with ``customers_only``, only lines with a customer id; with ``products_only``, only
    product lines (not the rows that are whole orders, ``grain`` "order", of an order-level
    export). Every analysis that counts purchases starts here. With ``columns``, only those
    of them that the table has are kept: the copy of a few columns an analysis reads, not of
    every column (at 20 M order lines, gigabytes).

    >>> tx = pd.DataFrame({"line_type": ["sale", "sale", "cancellation"],
    ...                    "quantity": [2, 0, -2], "customer_id": ["c1", "c1", "c1"],
    ...                    "ordered_at": pd.to_datetime(["2025-01-02"] * 3)})
    >>> len(sale_lines(tx))
    1
    """
    keep = (transactions["line_type"] == "sale") & (transactions["quantity"] > 0)
    if end is not None:
        keep &= transactions["ordered_at"] < end
    if start is not None:
        keep &= transactions["ordered_at"] >= start
    if customers_only:
        keep &= transactions["customer_id"].notna()
    if products_only and "grain" in transactions:
        # a missing grain is an item line; ``==`` rather than a fill, which a categorical
        # (``engine.item_lines``) refuses for a value it does not hold
        keep &= ~(transactions["grain"] == "order").fillna(False).astype(bool)
    if columns is not None:
        return transactions.loc[keep, present(transactions, columns)]
    return transactions[keep]


def present(frame: pd.DataFrame, columns) -> list[str]:
    """The names of ``columns`` that ``frame`` has, once each, in the order given.

    >>> present(pd.DataFrame(columns=["a", "b"]), ["b", "c", "b", "a"])
    ['b', 'a']
    """
    return [c for c in dict.fromkeys(columns) if c in frame.columns]


def item_labels(lines: pd.DataFrame, *, level: str = "product") -> pd.Series:
    """Order lines into the item each one is about: the product (its name, else its id) or
    its category.

    >>> lines = pd.DataFrame({"product_id": ["p1", "p2"], "product_name": ["Mug", None],
    ...                       "category": ["kitchen", "garden"]})
    >>> item_labels(lines).tolist()
    ['Mug', 'p2']
    >>> item_labels(lines, level="category").tolist()
    ['kitchen', 'garden']
    """
    if level not in LEVELS:
        raise ValueError(f"level must be 'product' or 'category', got {level!r}")
    if level == "category":
        return lines["category"]
    if "product_id" not in lines:  # ``engine.item_lines``: the label is the name already
        return lines["product_name"]
    return lines["product_name"].fillna(lines["product_id"])
