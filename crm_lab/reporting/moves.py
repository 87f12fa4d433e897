"""Two days' customer states into the migration page's tables: for RFM segments, lifecycle
stages, value tiers and clusters alike, each state's change in size, the from x to table of
customers and of their value, and the table the flow chart draws.

The tables' axes are named by code columns (``segment_before`` x ``segment_after``,
``stage_before`` x ``stage``, ...), so ``display.show_table`` names the codes and hides small
cells, and the moves' customers are never listed one by one on a page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import privacy
from crm_lab.segments import lifecycle, loyalty, migration
from crm_lab.value import rfm

__all__ = ["COLUMNS", "headline", "migration_views", "part", "stored_trend", "tier_table"]

# state column -> (the code kind reporting.labels names, rows' axis name, columns' axis name,
# the codes' order)
COLUMNS = {
    "segment": ("segment", "segment_before", "segment_after", rfm.SEGMENT_CODES),
    "lifecycle_stage": ("stage", "stage_before", "stage", lifecycle.STAGES),
    "value_tier": ("tier", "value_tier_before", "value_tier", ("high", "medium", "low")),
    "cluster": ("cluster", "cluster_before", "cluster", ()),
}


def migration_views(before: pd.DataFrame, after: pd.DataFrame) -> dict:
    """Two ``segments.states`` tables into ``{column: {"kind", "size", "customers", "value",
    "flow"}}`` for each state column both have values in."""
    out = {}
    for column, (kind, rows, cols, order) in COLUMNS.items():
        if before[column].notna().sum() == 0 or after[column].notna().sum() == 0:
            continue
        moved = migration.between(before, after, column=column)
        if column == "cluster":
            order = sorted({int(v) for v in moved[["before", "after"]].stack()
                            if v not in (migration.NEW, migration.GONE)})  # fmt: skip
        size = migration.size_change(moved, order=order).rename(
            columns={"state": column, "after": "customers"}  # the group's count: now
        )
        # the value that left a state with a few customers is those customers' value
        few = size["moved_out"] < privacy.MIN_GROUP
        size["value_moved_out"] = size["value_moved_out"].round(0).mask(few)
        if column == "lifecycle_stage":
            size = size.rename(columns={column: "stage"})
        customers = migration.flow_matrix(moved, order=order)
        # value where the customers' table shows its cell: a small move's value is its people's
        small, extra = privacy.small_cells(customers, k=privacy.MIN_GROUP)
        value = migration.flow_matrix(moved, order=order, value=True).round(0)
        value = value.mask(small | extra).astype("Int64")
        out[column] = {
            "kind": kind,
            "size": size,
            "customers": customers.rename_axis(index=rows, columns=cols).reset_index(),
            "value": value.rename_axis(index=rows, columns=cols).reset_index(),
            "flow": customers,
            "moves": moved["move"].value_counts().to_dict(),
        }
    return out


def headline(views: dict) -> dict:
    """The migration page's figures: customers who moved up and down between RFM segments and
    between lifecycle stages (small counts withheld, as ``migration.move_counts``)."""
    out = {}
    for column, prefix in (("segment", "segment"), ("lifecycle_stage", "stage")):
        moves = views.get(column, {}).get("moves", {})
        counts = {f"{prefix}_moved_up": int(moves.get("up", 0)),
                  f"{prefix}_moved_down": int(moves.get("down", 0))}  # fmt: skip
        out.update({k: (v if v == 0 or v >= privacy.MIN_GROUP else None)
                    for k, v in counts.items()})  # fmt: skip
    return out


def tier_table(states_table: pd.DataFrame, customers: pd.DataFrame | None):
    """Customer states and the customers table into the tiers' outcomes
    (``loyalty.tier_outcomes``), in the tiers' order when they are the usual names; None
    without a tier column."""
    if customers is None or "tier" not in customers or customers["tier"].notna().sum() == 0:
        return None
    usual = ["Platinum", "Gold", "Silver", "Bronze"]
    names = set(customers["tier"].dropna().astype(str))
    order = [t for t in usual if t in names] if names <= set(usual) else None
    table = loyalty.tier_outcomes(states_table, customers, order=order)
    return table.assign(customers=table["customers"].astype(np.int64))


def stored_trend(states_dir, *, as_of, column: str = "segment", last: int = 13):
    """The store of customers' states (``reporting.states``) into customers per RFM segment
    (rows) on each of the last ``last`` stored days up to ``as_of`` (columns, ISO days); None
    with fewer than two stored days. The columns' axis is named ``segment_after`` so that
    ``display.show_table`` names the segments and hides small cells as in a flow matrix."""
    from crm_lab.reporting import states as stored

    if not states_dir:
        return None
    over = stored.states_over(states_dir, column=column, until=as_of)
    if over.shape[1] < 2:
        return None
    over = over.iloc[:, -last:]
    order = [c for c in rfm.SEGMENT_CODES if c in over.index]
    over = over.reindex([*order, *sorted(set(over.index) - set(order))])
    table = over.rename_axis(index=column, columns="segment_after").reset_index()
    table.columns.name = "segment_after"
    return table


def part(views: dict, column: str, key: str):
    """One table of ``migration_views`` (``key``: size, customers, value, flow), or None when
    the column has no values on one of the two days (no buyer before the period, no cluster).
    """
    return views.get(column, {}).get(key)
