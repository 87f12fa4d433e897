"""Moves between two days' states: known answers, sums that add up, small cells hidden."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_lab import privacy
from crm_lab.reporting import moves
from crm_lab.segments import migration, states

BEFORE = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d"],
    "lifecycle_stage": ["new", "active", "loyal", "potential"],
    "value_tier": ["low", "medium", "high", None],
    "predicted_value": [10.0, 20.0, 30.0, np.nan], "revenue": [1.0, 2.0, 3.0, np.nan],
})  # fmt: skip
AFTER = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "e"],
    "lifecycle_stage": ["active", "active", "churned", "new", "new"],
    "value_tier": ["low", "high", "medium", "low", "low"],
    "predicted_value": [11.0, 25.0, 5.0, 4.0, 7.0], "revenue": [1.0, 2.0, 3.0, 4.0, 5.0],
})  # fmt: skip


def test_between_known_answer():
    moved = migration.between(BEFORE, AFTER, column="lifecycle_stage").set_index("customer_id")
    # up and down by the stages' ranks: loyal, then active and new alike, potential, churned;
    # a new customer still buying after 90 days becomes active: a change, not a step up
    assert moved["move"].to_dict() == {"a": "changed", "b": "same", "c": "down", "d": "up",
                                       "e": "new"}  # fmt: skip
    assert moved.loc["e", "before"] == migration.NEW
    # the value at stake: the earlier day's predicted value, the later one's for e
    assert moved["value"].to_dict() == {"a": 10.0, "b": 20.0, "c": 30.0, "d": 4.0, "e": 7.0}
    tiers = migration.between(BEFORE, AFTER, column="value_tier").set_index("customer_id")
    assert tiers["move"].to_dict() == {"a": "same", "b": "up", "c": "down", "d": "new",
                                       "e": "new"}  # fmt: skip


def test_flow_and_size_add_up():
    moved = migration.between(BEFORE, AFTER, column="lifecycle_stage")
    counts = migration.flow_matrix(moved, order=["potential", "new", "active", "loyal",
                                                 "churned"])  # fmt: skip
    value = migration.flow_matrix(moved, order=["potential", "new", "active", "loyal",
                                                "churned"], value=True)  # fmt: skip
    assert counts.to_numpy().sum() == 5 and value.to_numpy().sum() == 71.0
    assert counts.loc["loyal", "churned"] == 1 and value.loc["loyal", "churned"] == 30.0
    # rows are the earlier population (and the new customers)
    assert counts.drop(index=migration.NEW).sum(axis=1).sum() == len(BEFORE)
    size = migration.size_change(moved, order=["potential", "new", "active", "loyal",
                                               "churned"]).set_index("state")  # fmt: skip
    assert size.loc["active", ["before", "after", "net_change", "moved_in", "moved_out"]].tolist(
    ) == [1, 2, 1, 1, 0]  # fmt: skip
    assert size.loc["loyal", "value_moved_out"] == 30.0
    assert size.loc["new", "change_share"] == 1.0  # a was new, d and e are
    assert (size["after"].sum(), size["before"].sum()) == (5, 4)


def test_views_hide_small_cells_and_their_value(demo):
    t = demo.tables
    lines = t["transactions"]
    earlier = states.customer_states(lines, as_of=states.day_before("2025-11-01"))
    now = states.customer_states(lines, as_of="2025-12-31", previous=earlier.clustering)
    views = moves.migration_views(earlier.table, now.table)
    assert set(views) == {"segment", "lifecycle_stage", "value_tier", "cluster"}
    for view in views.values():
        size = view["size"]
        few = size["moved_out"] < privacy.MIN_GROUP
        assert size.loc[few, "value_moved_out"].isna().all()
        if view["withheld"]:  # the audit found a small move the sizes give back: no table
            assert view["customers"] is None and view["value"] is None
            continue
        flow, hidden = view["flow"], view["hidden"].to_numpy()
        small, _ = privacy.small_cells(flow, k=privacy.MIN_GROUP)
        assert hidden[small].all()  # every small cell is hidden, and its value with it
        value = view["value"].set_index(view["value"].columns[0])
        assert value.to_numpy()[hidden].tolist() == [pd.NA] * int(hidden.sum())
        # every customer of the later day is in the columns, of the earlier day in the rows
        assert flow.to_numpy().sum() == now.table[view_column(view)].notna().sum()
    headline = moves.headline(views)
    assert all(v is None or v == 0 or v >= privacy.MIN_GROUP for v in headline.values())


def view_column(view) -> str:
    return {"segment": "segment", "stage": "lifecycle_stage", "tier": "value_tier",
            "cluster": "cluster"}[view["kind"]]  # fmt: skip


@pytest.mark.parametrize("column", ["segment", "lifecycle_stage", "value_tier"])
def test_the_demo_moves_add_up_to_both_days(demo, column):
    lines = demo.tables["transactions"]
    a = states.customer_states(lines, as_of="2025-06-30").table
    b = states.customer_states(lines, as_of="2025-12-31").table
    moved = migration.between(a, b, column=column)
    assert len(moved) == moved["customer_id"].nunique()
    assert (moved["before"] != migration.NEW).sum() == a[column].notna().sum()
    assert (moved["after"] != migration.GONE).sum() == b[column].notna().sum()
