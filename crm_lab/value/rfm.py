"""Order lines into RFM: recency, orders and revenue per customer, scores and segment codes.

RFM's three figures keep names that say what they count: ``recency_days`` (whole days from the
day of the last purchase to the ``as_of`` day, 0 = bought on it), ``orders`` (distinct invoices)
and ``revenue`` (total amount of the sale lines); their scores are ``r_score``, ``f_score`` and
``m_score``. Only sale lines with a customer id and a positive quantity count; cancellations,
returns and adjustments are left out, and so is every line after ``as_of``.

Segments are codes (``champions``, ``cannot_lose_them``); ``crm_lab.reporting.labels`` turns
them into English or Chinese names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import engine, privacy
from crm_lab.core.lines import as_of_day, day_end

__all__ = [
    "RFM_COLUMNS",
    "SEGMENTS",
    "SEGMENT_CODES",
    "rfm_scores",
    "rfm_segments",
    "rfm_table",
    "segment_counts",
    "segment_summary",
]

RFM_COLUMNS = [
    "customer_id",
    "recency_days",
    "orders",
    "revenue",
    "first_purchase_at",
    "last_purchase_at",
    "tenure_days",
]

# Segments on the (R score, F score) grid: (code, R scores, F scores), best first.
# Every one of the 25 cells belongs to exactly one segment (tests check it).
SEGMENTS: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalists", (4, 5), (2, 3)),
    ("new_customers", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need_attention", (3,), (3,)),
    ("about_to_sleep", (3,), (1, 2)),
    ("at_risk", (1, 2), (3, 4)),
    ("cannot_lose_them", (1, 2), (5,)),
    ("hibernating", (2,), (1, 2)),
    ("lost", (1,), (1, 2)),
)
SEGMENT_CODES: tuple[str, ...] = tuple(code for code, _, _ in SEGMENTS)
_SEGMENT_OF = {(r, f): code for code, rs, fs in SEGMENTS for r in rs for f in fs}


def rfm_table(transactions: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Summarise order lines into one RFM row per customer as of a day.

    Parameters
    ----------
    transactions : DataFrame or engine table
        Canonical transactions (``customer_id``, ``invoice_id``, ``ordered_at``, ``quantity``,
        ``amount``, ``line_type``), in memory or on an engine (``engine.Engine.lines``). Not
        modified.
    as_of : str or Timestamp
        Inclusive cut-off day: lines on this day count, later lines are ignored.

    Returns
    -------
    DataFrame
        ``RFM_COLUMNS``: ``recency_days`` (days since the last purchase), ``orders``
        (distinct invoices), ``revenue`` (total amount of sale lines), first and last purchase
        timestamps and ``tenure_days`` (days since the first purchase). One row per customer
        with at least one purchase, sorted by ``customer_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "invoice_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-01-05"]),
    ...     "quantity": [1.0, 2.0, 1.0], "amount": [10.0, 30.0, 5.0],
    ...     "line_type": ["sale", "sale", "sale"]})
    >>> rfm_table(tx, as_of="2024-01-10")[["customer_id", "recency_days", "orders", "revenue"]]
      customer_id  recency_days  orders  revenue
    0           a             0       2     40.0
    1           b             5       1      5.0
    """
    day = as_of_day(as_of)
    out = engine.customer_totals(transactions, end=day_end(day))
    out["recency_days"] = (day - out["last_purchase_at"].dt.normalize()).dt.days.astype("int64")
    out["tenure_days"] = (day - out["first_purchase_at"].dt.normalize()).dt.days.astype("int64")
    return out[RFM_COLUMNS]


def _score(values: pd.Series, *, bins: int, higher_is_better: bool) -> pd.Series:
    """Score values 1..bins in groups of near-equal size that never split a tie.

    Why our own: ``pd.qcut`` either fails or drops bins when many customers share a value
    (two thirds of customers often bought exactly once), and ranking with ``method="first"``
    gives equal customers different scores depending on row order. Here the sorted distinct
    values are cut greedily: each score takes whole tie groups until it holds its fair share of
    the customers not yet scored (closing just before or after the group that crosses the
    target, whichever lands closer). A big tie group therefore fills one score and the rest of
    the customers are spread over the remaining scores. Without ties this is exactly quantile
    binning (tests compare it with ``pd.qcut``). When there are fewer groups than scores, the
    groups are spread evenly over 1..bins so the best group still scores ``bins``; a single
    group (every customer equal) has nothing to rank against and scores 1.
    """
    if values.empty:
        return pd.Series(dtype="int64", index=values.index)
    x = values.to_numpy(dtype="float64") * (1.0 if higher_is_better else -1.0)
    distinct, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    cum = np.cumsum(counts)
    n = cum[-1]
    group = np.zeros(len(distinct), dtype=np.int64)
    start, done, k = 0, 0, 0
    while start < len(distinct):
        k += 1
        if k == bins:
            group[start:] = k
            break
        target = done + (n - done) / (bins - k + 1)
        end = int(np.searchsorted(cum, target, side="left"))
        if end > start and (target - cum[end - 1]) < (cum[end] - target):
            end -= 1
        group[start : end + 1] = k
        done, start = cum[end], end + 1
    if k < bins:
        group = 1 + np.floor((group - 1) * (bins - 1) / (k - 1) + 0.5) if k > 1 else group
    return pd.Series(group[inverse].astype("int64"), index=values.index)


def rfm_scores(rfm: pd.DataFrame, *, bins: int = 5) -> pd.DataFrame:
    """Add 1..bins scores to an RFM table: ``r_score``, ``f_score``, ``m_score`` and ``rfm_code``.

    ``r_score`` ranks ``recency_days``, ``f_score`` ``orders`` and ``m_score`` ``revenue``.
    Scores are near-equal-size groups of the ranking (5 = best: most recent, most orders,
    highest spend) that never split a tie: two customers with the same number of orders always
    get the same F score, one-time buyers all score F=1 and the other customers are spread over
    2..5, and the result does not depend on row order. Without ties this is plain quintiles.
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins!r}")
    out = rfm.copy()
    out["r_score"] = _score(out["recency_days"], bins=bins, higher_is_better=False)
    out["f_score"] = _score(out["orders"], bins=bins, higher_is_better=True)
    out["m_score"] = _score(out["revenue"], bins=bins, higher_is_better=True)
    out["rfm_code"] = (
        out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    ).astype("string")
    return out


def rfm_segments(scored: pd.DataFrame) -> pd.DataFrame:
    """Add a ``segment`` code to scored RFM rows from their R and F scores (see ``SEGMENTS``)."""
    if not {"r_score", "f_score"} <= set(scored.columns):
        raise ValueError("scored must have r_score and f_score columns; call rfm_scores first")
    out = scored.copy()
    bad = ~out["r_score"].between(1, 5) | ~out["f_score"].between(1, 5)
    if bad.any():
        raise ValueError("rfm_segments needs scores on a 1..5 scale (rfm_scores(bins=5))")
    keys = zip(out["r_score"], out["f_score"], strict=True)
    out["segment"] = pd.Series([_SEGMENT_OF[k] for k in keys], index=out.index, dtype="string")
    return out


def segment_counts(segmented: pd.DataFrame, *, min_group: int = privacy.MIN_GROUP) -> dict:
    """Segmented rows into customers per segment: ``{"segment_champions": 611, ...}``.

    Every segment of ``SEGMENTS`` has a key, 0 when it holds nobody. A segment of 1 to
    ``min_group - 1`` customers (``privacy.MIN_GROUP`` by default) is None (withheld), and so
    are the smallest others that would give it back from the total
    (``privacy.hidden_groups``), as in the segment table.
    """
    counts = segmented["segment"].value_counts()
    out = {f"segment_{code}": int(counts.get(code, 0)) for code in SEGMENT_CODES}
    hidden = privacy.hidden_groups(pd.Series(out), k=min_group)
    return {key: None if hidden[key] else value for key, value in out.items()}


def segment_summary(segmented: pd.DataFrame) -> pd.DataFrame:
    """Summarise segmented RFM rows into one row per segment: size, revenue and their shares.

    Returns
    -------
    DataFrame
        ``segment`` (code), ``customers``, ``customer_share``, ``revenue``, ``revenue_share``,
        ``avg_recency_days``, ``avg_orders``, ``avg_revenue``, in the order of ``SEGMENTS``;
        segments without customers are kept with zeros.
    """
    g = segmented.groupby("segment", observed=True)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "revenue": g["revenue"].sum(),
            "avg_recency_days": g["recency_days"].mean(),
            "avg_orders": g["orders"].mean(),
            "avg_revenue": g["revenue"].mean(),
        }
    ).reindex(list(SEGMENT_CODES))
    out[["customers", "revenue"]] = out[["customers", "revenue"]].fillna(0)
    out["customers"] = out["customers"].astype("int64")
    total_c, total_r = out["customers"].sum(), out["revenue"].sum()
    out["customer_share"] = out["customers"] / total_c if total_c else 0.0
    out["revenue_share"] = out["revenue"] / total_r if total_r else 0.0
    out = out.rename_axis("segment").reset_index()
    out["segment"] = out["segment"].astype("string")
    cols = [
        "segment",
        "customers",
        "customer_share",
        "revenue",
        "revenue_share",
        "avg_recency_days",
        "avg_orders",
        "avg_revenue",
    ]
    return out[cols]
