"""Segment migration between two days: moves by hand, the matrix, and the demo's new customers."""

import pandas as pd

from crm_lab import ingest
from crm_lab.segments import migration


def _seg(rows):
    return pd.DataFrame(rows, columns=["customer_id", "segment", "r_score", "f_score"])


BEFORE = _seg(
    [("a", "champions", 5, 5), ("b", "lost", 1, 1), ("c", "loyal", 4, 4), ("e", "lost", 1, 2)]
)
AFTER = _seg(
    [
        ("a", "loyal", 4, 4),
        ("b", "hibernating", 2, 1),
        ("c", "loyal", 4, 4),
        ("d", "new_customers", 5, 1),
    ]
)


def test_moves_by_hand():
    compared = migration.compare(BEFORE, AFTER).set_index("customer_id")
    assert compared["move"].to_dict() == {
        "a": "down",  # 10 -> 8
        "b": "up",  # 2 -> 3
        "c": "same",
        "d": "new",
        "e": "gone",  # (corrected data: not in the later table)
    }
    assert compared.loc["d", "segment_before"] == migration.NEW
    assert compared.loc["e", "segment_after"] == migration.GONE
    assert migration.move_counts(migration.compare(BEFORE, AFTER), min_group=1) == {
        "customers_new_to_segments": 1,
        "customers_moved_up": 1,
        "customers_unchanged": 1,
        "customers_moved_down": 1,
        "customers_changed_segment": 0,
        "customers_gone": 1,
    }


def test_segments_without_scores_only_change_or_stay():
    before = BEFORE[["customer_id", "segment"]]
    after = AFTER[["customer_id", "segment"]]
    compared = migration.compare(before, after)
    moves = compared.set_index("customer_id")["move"]
    assert moves["a"] == "changed" and moves["c"] == "same" and moves["d"] == "new"
    counts = migration.move_counts(compared, min_group=1)
    assert counts["customers_changed_segment"] == 2 and sum(counts.values()) == 5
    summary = migration.movement_summary(compared).set_index("segment")
    assert summary["customers"].sum() == 4  # every current customer is counted
    assert summary.loc["loyal", "changed"] == 1 and summary.loc["loyal", "same"] == 1


def test_integer_cluster_labels_and_nullable_scores():
    before = pd.DataFrame({"customer_id": ["a", "b"], "cluster": [0, 1]})
    after = pd.DataFrame({"customer_id": ["a", "b", "c"], "cluster": [1, 1, 0]})
    compared = migration.compare(before, after, column="cluster").set_index("customer_id")
    assert compared.loc["a", "segment_before"] == 0 and compared.loc["a", "segment_after"] == 1
    assert compared["move"].to_dict() == {"a": "changed", "b": "same", "c": "new"}
    scored_before = BEFORE.astype({"r_score": "Int64", "f_score": "Int64"})
    scored_after = AFTER.astype({"r_score": "Int64", "f_score": "Int64"})
    moves = migration.compare(scored_before, scored_after).set_index("customer_id")["move"]
    assert moves.to_dict() == {"a": "down", "b": "up", "c": "same", "d": "new", "e": "gone"}


def test_matrix_and_summary():
    compared = migration.compare(BEFORE, AFTER)
    matrix = migration.migration_matrix(compared)
    assert matrix.loc["champions", "loyal"] == 1 and matrix.loc["loyal", "loyal"] == 1
    assert matrix.loc[migration.NEW, "new_customers"] == 1
    assert matrix.loc["lost", migration.GONE] == 1
    assert list(matrix.index)[0] == migration.NEW and list(matrix.columns)[-1] == migration.GONE
    assert (matrix.index.name, matrix.columns.name) == ("segment_before", "segment_after")
    assert matrix.to_numpy().sum() == 5
    # rows and columns in SEGMENTS order, only those with customers
    assert list(matrix.columns) == ["loyal", "new_customers", "hibernating", migration.GONE]
    summary = migration.movement_summary(compared).set_index("segment")
    assert list(summary.index) == ["loyal", "new_customers", "hibernating"]
    assert summary.loc["loyal"].to_dict() == {
        "customers": 2, "new": 0, "moved_up": 0, "same": 1, "moved_down": 1
    }  # fmt: skip
    assert summary["customers"].sum() == 4  # the gone customer is in no current segment


def test_demo_new_customers_are_first_buyers_in_between(demo_dir):
    tx = ingest.read_clean(demo_dir)["transactions"]
    before = migration.rfm_at(tx, as_of="2025-11-30")
    after = migration.rfm_at(tx, as_of="2025-12-31")
    compared = migration.compare(before, after)
    pd.testing.assert_frame_equal(
        compared, migration.compare_period(tx, as_of="2025-12-31", period_start="2025-12-01")
    )
    sales = tx[(tx["line_type"] == "sale") & tx["customer_id"].notna()]
    first = sales.groupby("customer_id")["ordered_at"].min()
    between = first[(first >= "2025-12-01") & (first < "2026-01-01")]
    assert set(compared.loc[compared["move"] == "new", "customer_id"]) == set(between.index)
    assert (compared["move"] != "gone").all()
    counts = migration.move_counts(compared)
    assert counts["customers_moved_up"] > 0 and counts["customers_moved_down"] > 0
    assert sum(counts.values()) == len(after)
