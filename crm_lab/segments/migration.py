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
    "RANKS",
    "between",
    "compare",
    "flow_matrix",
    "size_change",
    "compare_period",
    "migration_matrix",
    "move_counts",
    "movement_summary",
    "movers",
    "moves_at_stake",
    "rfm_at",
]

MOVES = ("new", "up", "same", "changed", "down", "gone")
# the segment code of a customer not in the earlier table (NEW) or not in the later one (GONE)
NEW, GONE = "(new)", "(gone)"


# each state column's codes ranked from best (0) to worst, for moving up or down; codes of one
# rank are neither: a new customer who keeps buying past the 90 days of "new" becomes active,
# which is a change, not a step up. Clusters have no ranks (a move between them is a change);
# RFM segments move by their scores instead.
RANKS = {
    "lifecycle_stage": {"loyal": 0, "active": 1, "new": 1, "potential": 2, "churned": 3},
    "value_tier": {"high": 0, "medium": 1, "low": 2},
}


def between(before: pd.DataFrame, after: pd.DataFrame, *, column: str) -> pd.DataFrame:
    """Two days' customer states (``segments.states``) into each customer's move in one
    column (``segment``, ``lifecycle_stage``, ``value_tier``, ``cluster``), with its value.

    ``move``: ``new`` / ``gone`` (not known on one day), ``up`` / ``down`` / ``same`` by the
    RFM scores for segments (as ``compare``) or by ``RANKS`` for stages and tiers (``changed``
    between two codes of one rank: new to active), else ``same`` / ``changed``. ``value`` is
    what is at stake: the customer's predicted value on the earlier day (the later one for new
    customers), else their revenue to date.

    >>> a = pd.DataFrame({"customer_id": ["x", "y"], "value_tier": ["high", "low"],
    ...                   "predicted_value": [100.0, 5.0], "revenue": [900.0, 50.0]})
    >>> b = a.assign(value_tier=["medium", "low"])
    >>> between(a, b, column="value_tier")[["customer_id", "move", "value"]]
      customer_id  move  value
    0           x  down  100.0
    1           y  same    5.0
    """
    before_known = before[before[column].notna()]
    after_known = after[after[column].notna()]
    if column == "segment":  # moves by the scores (compare reads r_score and f_score)
        keep = [c for c in ("customer_id", column, "r_score", "f_score") if c in before.columns]
        moved = compare(before_known[keep], after_known[keep], column=column)
    else:
        moved = compare(before_known[["customer_id", column]], after_known[["customer_id", column]],
                        column=column)  # fmt: skip
        rank = RANKS.get(column)
        if rank is not None:
            a = moved["segment_before"].map(rank)
            b = moved["segment_after"].map(rank)
            changed = moved["segment_before"] != moved["segment_after"]
            step = np.select([b < a, b > a, changed], ["up", "down", "changed"], default="same")
            known = a.notna() & b.notna()
            moved["move"] = np.where(known, step, moved["move"])
    worth = before.set_index("customer_id")
    later = after.set_index("customer_id")
    value = _worth(worth).reindex(moved["customer_id"]).to_numpy()
    fallback = _worth(later).reindex(moved["customer_id"]).to_numpy()
    moved["value"] = np.where(pd.isna(value), fallback, value).astype(float)
    return moved.rename(columns={"segment_before": "before", "segment_after": "after"})


def _worth(states: pd.DataFrame) -> pd.Series:
    if "predicted_value" in states and states["predicted_value"].notna().any():
        return states["predicted_value"].fillna(states.get("revenue"))
    return states["revenue"] if "revenue" in states else pd.Series(dtype=float)


def flow_matrix(moved: pd.DataFrame, *, order, value: bool = False) -> pd.DataFrame:
    """Moves (``between``) into the from x to table of customers, or of their value with
    ``value``: rows the earlier day's state (``NEW`` first), columns the later (``GONE`` last),
    in ``order``; rows and columns without customers left out."""
    compared = moved.rename(columns={"before": "segment_before", "after": "segment_after"})
    counts = migration_matrix(compared, order=order)
    if not value:
        return counts
    sums = pd.crosstab(compared["segment_before"], compared["segment_after"],
                       values=compared["value"], aggfunc="sum").fillna(0.0)  # fmt: skip
    return sums.reindex(index=counts.index, columns=counts.columns, fill_value=0.0)


def moves_at_stake(moved: pd.DataFrame) -> pd.DataFrame:
    """Moves (``between``) into the customers and the value at stake per kind of move:
    ``move`` (``MOVES`` order, kinds without customers left out), ``customers``, ``value``
    (the sum of their value at stake) and ``value_share`` (of all customers' value).

    >>> moved = pd.DataFrame({"move": ["up", "down", "down", "same"],
    ...                       "value": [10.0, 30.0, 20.0, 40.0]})
    >>> moves_at_stake(moved)
       move  customers  value  value_share
    0    up          1   10.0          0.1
    1  same          1   40.0          0.4
    2  down          2   50.0          0.5
    """
    total = moved["value"].sum()
    grouped = moved.groupby("move")["value"].agg(["size", "sum"])
    rows = [{"move": m, "customers": int(grouped.loc[m, "size"]),
             "value": float(grouped.loc[m, "sum"]),
             "value_share": float(grouped.loc[m, "sum"] / total) if total else np.nan}
            for m in MOVES if m in grouped.index]  # fmt: skip
    return pd.DataFrame(rows, columns=["move", "customers", "value", "value_share"])


def movers(moved: pd.DataFrame, *, kinds=("down", "up", "changed", "gone")) -> pd.DataFrame:
    """Moves (``between``) into the customers who moved, most value at stake first within
    each kind of move (``kinds``, in that order): who to call back, for an analyst's list.

    >>> moved = pd.DataFrame({"customer_id": ["a", "b", "c"], "before": ["x", "x", "y"],
    ...     "after": ["y", "y", "y"], "move": ["down", "down", "same"], "value": [5.0, 9.0, 1.0]})
    >>> movers(moved)["customer_id"].tolist()
    ['b', 'a']
    """
    order = {kind: i for i, kind in enumerate(kinds)}
    out = moved[moved["move"].isin(order)].copy()
    out["_kind"] = out["move"].map(order)
    out = out.sort_values(["_kind", "value", "customer_id"], ascending=[True, False, True],
                          kind="stable")  # fmt: skip
    return out.drop(columns="_kind").reset_index(drop=True)


def size_change(moved: pd.DataFrame, *, order) -> pd.DataFrame:
    """Moves (``between``) into each state's size on both days and its change: ``before``,
    ``after``, ``net_change`` (customers), ``change_share`` (of ``before``; NaN from none),
    ``moved_in``, ``moved_out`` and ``value_moved_out`` (the value of those who left it)."""
    states = [s for s in order if s in set(moved["before"]) | set(moved["after"])]
    seen = set(moved["before"]) | set(moved["after"])
    extra = sorted(seen - set(order) - {NEW, GONE}, key=str)
    rows = []
    for state in [*states, *extra]:
        was = moved["before"] == state
        now = moved["after"] == state
        out = was & ~now
        before_n, after_n = int(was.sum()), int(now.sum())
        rows.append({
            "state": state, "before": before_n, "after": after_n, "net_change": after_n - before_n,
            "change_share": (after_n - before_n) / before_n if before_n else np.nan,
            "moved_in": int((now & ~was).sum()), "moved_out": int(out.sum()),
            "value_moved_out": float(moved.loc[out, "value"].sum()),
        })  # fmt: skip
    return pd.DataFrame(rows)


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
