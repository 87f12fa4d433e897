"""Segments at two days into who moved where: dynamic customer classification over periods.

The classification is recomputed each period (``rfm_at``) and compared with the previous one:
a migration matrix (segment before x segment after), and each customer's move up or down.
"Up" and "down" follow the customer's recency and frequency scores (their sum), not the
segment codes: they are not a strict ranking (``cannot_lose_them`` is valuable but drifting).
Scores are quantiles recomputed each day, so a move is relative to the other customers: one who
did not buy can still move up when many others went quiet faster.
Any segment column can be compared (clusters or lifecycle stages later), keyed by customer id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import privacy
from crm_lab.value import rfm

__all__ = [
    "GONE",
    "MOVES",
    "NEW",
    "compare",
    "compare_period",
    "migration_matrix",
    "move_counts",
    "movement_summary",
    "rfm_at",
]

MOVES = ("new", "up", "same", "changed", "down", "gone")
# the segment code of a customer not in the earlier table (NEW) or not in the later one (GONE)
NEW, GONE = "(new)", "(gone)"


def rfm_at(transactions: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Sale lines into RFM-segmented customers as of a day (``rfm_table`` -> scores -> segments)."""
    return rfm.rfm_segments(rfm.rfm_scores(rfm.rfm_table(transactions, as_of=as_of)))


def compare(before: pd.DataFrame, after: pd.DataFrame, *, column: str = "segment") -> pd.DataFrame:
    """Two segmented tables into one row per customer: segment before and after, and the move.

    ``move`` is ``new`` (not in ``before``), ``gone`` (not in ``after``), or ``up``, ``same``,
    ``down`` by the change in ``r_score + f_score`` when both tables have scores, else ``same``
    or ``changed`` by the segment alone.
    """
    scored = {"r_score", "f_score"} <= set(before.columns) & set(after.columns)
    keep = ["customer_id", column] + (["r_score", "f_score"] if scored else [])
    # labels as objects, so integer cluster labels stay integers through the outer merge
    both = (
        before[keep]
        .astype({column: "object"})
        .merge(
            after[keep].astype({column: "object"}),
            on="customer_id",
            how="outer",
            suffixes=("_before", "_after"),
        )
    )
    out = pd.DataFrame(
        {
            "customer_id": both["customer_id"],
            "segment_before": both[f"{column}_before"].astype("object").fillna(NEW),
            "segment_after": both[f"{column}_after"].astype("object").fillna(GONE),
        }
    )
    new = both[f"{column}_before"].isna().to_numpy()
    gone = both[f"{column}_after"].isna().to_numpy()
    if scored:
        delta = (
            (both["r_score_after"] + both["f_score_after"])
            - (both["r_score_before"] + both["f_score_before"])
        ).to_numpy(dtype=float, na_value=0.0)  # new and gone customers are decided below
        moved = np.select([delta > 0, delta < 0], ["up", "down"], default="same")
    else:
        moved = np.where(out["segment_before"] == out["segment_after"], "same", "changed")
    out["move"] = np.select([new, gone], ["new", "gone"], default=moved)
    return out.sort_values("customer_id", ignore_index=True)


def compare_period(transactions: pd.DataFrame, *, as_of, period_start) -> pd.DataFrame:
    """Sale lines into each customer's RFM move over a period: segments as of the day before
    ``period_start`` against segments as of ``as_of`` (see ``compare``)."""
    previous = pd.Timestamp(period_start).normalize() - pd.Timedelta(days=1)
    return compare(rfm_at(transactions, as_of=previous), rfm_at(transactions, as_of=as_of))


def migration_matrix(compared: pd.DataFrame, *, order=None) -> pd.DataFrame:
    """Compared customers into counts: segment before (rows, ``NEW`` first) by segment after
    (columns, ``GONE`` last), as codes in ``order`` (default ``rfm.SEGMENT_CODES``; other
    values after it, sorted). Rows and columns without customers are left out; the index is
    named ``segment_before`` and the columns ``segment_after``."""
    order = list(order) if order is not None else list(rfm.SEGMENT_CODES)
    rows = [NEW, *order, *sorted(set(compared["segment_before"]) - {NEW, *order})]
    cols = [*order, *sorted(set(compared["segment_after"]) - set(order) - {GONE}), GONE]
    table = pd.crosstab(compared["segment_before"], compared["segment_after"])
    table = table.reindex(index=rows, columns=cols, fill_value=0)
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    return table.rename_axis(index="segment_before", columns="segment_after")


def movement_summary(compared: pd.DataFrame) -> pd.DataFrame:
    """Compared customers into one row per current segment (its code, in ``rfm.SEGMENTS``
    order, other values after it): how many, and how many of them are new, moved up, stayed,
    or moved down since the previous day (``new``, ``moved_up``, ``same``, ``moved_down``; or
    ``new``, ``same``, ``changed`` for segments without scores)."""
    now = compared[compared["move"] != "gone"]
    moves = ["new", "up", "same", "down"]
    if (now["move"] == "changed").any():  # segments without scores: changed instead of up/down
        moves = ["new", "same", "changed"]
    table = pd.crosstab(now["segment_after"], now["move"]).reindex(columns=moves, fill_value=0)
    order = list(rfm.SEGMENT_CODES)
    table = table.reindex(
        [s for s in order if s in table.index] + sorted(set(table.index) - set(order))
    )
    table.columns.name = None
    table.insert(0, "customers", table.sum(axis=1))
    table = table.rename(columns={m: f"moved_{m}" if m in ("up", "down") else m for m in MOVES})
    return table.rename_axis("segment").reset_index()


def move_counts(compared: pd.DataFrame, *, min_group: int = privacy.MIN_GROUP) -> dict:
    """Customers per move, as ``{"customers_moved_up": 12, ...}`` (every move, 0 if none).

    A move of 1 to ``min_group - 1`` customers (``privacy.MIN_GROUP`` by default) is None
    (withheld), and so are the smallest other moves (``privacy.hidden_groups``): the moves add
    up to every customer compared, so one withheld count alone would come back by subtraction.
    """
    counts = compared["move"].value_counts()
    names = {"new": "customers_new_to_segments", "up": "customers_moved_up",
             "down": "customers_moved_down", "same": "customers_unchanged",
             "changed": "customers_changed_segment", "gone": "customers_gone"}  # fmt: skip
    out = {names[m]: int(counts.get(m, 0)) for m in MOVES}
    hidden = privacy.hidden_groups(pd.Series(out), k=min_group)
    return {key: None if hidden[key] else value for key, value in out.items()}
