"""Baskets up to the as-of day, baskets from a sparse matrix, and what rule generation accepts."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from crm_lab import basket

# three invoices: a+b on the as-of day (late evening), a+c on the next day, b+c before
LINES = pd.DataFrame(
    {
        "invoice_id": ["1", "1", "2", "2", "3", "3"],
        "customer_id": ["x", "x", "y", "y", "z", "z"],
        "ordered_at": pd.to_datetime(
            [
                "2025-01-31 23:30",
                "2025-01-31 23:30",
                "2025-02-01 00:00",
                "2025-02-01 00:00",
                "2025-01-10 09:00",
                "2025-01-10 09:00",
            ]
        ),
        "product_id": ["a", "b", "a", "c", "b", "c"],
        "product_name": ["A", "B", "A", "C", "B", "C"],
        "category": ["k"] * 6,
        "quantity": [1, 2, 1, 1, 3, 1],
        "amount": [10.0, 4.0, 10.0, 5.0, 6.0, 5.0],
        "line_type": ["sale"] * 6,
    }
)


def test_make_baskets_stop_at_the_end_of_the_as_of_day():
    b = basket.make_baskets(LINES, as_of="2025-01-31")
    assert sorted(b.basket_ids) == ["1", "3"]  # invoice 2 is ordered at midnight after it
    assert b.items == ["A", "B", "C"]
    assert sorted(map(sorted, b.transactions())) == [["A", "B"], ["B", "C"]]
    assert basket.make_baskets(LINES, as_of="2025-02-01").n_baskets == 3
    with pytest.raises(TypeError, match="as_of"):
        basket.make_baskets(LINES)  # required: no silent "everything in the file"


def test_rules_up_to_a_day_equal_rules_of_the_file_cut_at_that_day(demo):
    tx = demo.tables["transactions"]
    as_of = "2025-06-30"
    cut = tx[tx["ordered_at"] < pd.Timestamp("2025-07-01")]
    assert len(cut) < len(tx)

    def rules_of(frame):
        b = basket.make_baskets(frame, as_of=as_of)
        fi = basket.frequent_itemsets(b, min_support=0.005, max_len=3)
        return basket.association_rules(fi, n_baskets=b.n_baskets, min_confidence=0.3)

    pd.testing.assert_frame_equal(rules_of(tx), rules_of(cut))


def test_rules_by_segment_leave_out_orders_after_the_as_of_day():
    seg = pd.DataFrame({"customer_id": ["x", "y", "z"], "segment": ["s", "s", "s"]})
    rules = basket.rules_by_segment(
        LINES, seg, as_of="2025-01-31", min_support=0.5, min_confidence=0.5, min_baskets=1
    )
    assert set(rules["segment_baskets"]) == {2}  # invoices 1 and 3; invoice 2 is after the day
    # B is in both baskets, A and C in one each: B => A and B => C at 1/2, A => B, C => B at 1
    assert set(zip(rules["antecedent"], rules["consequent"], strict=True)) == {
        ("A", "B"),
        ("B", "A"),
        ("B", "C"),
        ("C", "B"),
    }


def test_a_stored_zero_is_not_a_purchase():
    # basket 0 holds a (1) and a stored 0 for b; basket 1 holds b (count 3) and c
    matrix = sparse.csr_matrix(
        (np.array([1, 0, 3, 1]), (np.array([0, 0, 1, 1]), np.array([0, 1, 1, 2]))), shape=(2, 3)
    )
    assert matrix.nnz == 4  # scipy keeps the explicit zero
    b = basket.Baskets(matrix=matrix, items=["a", "b", "c"], basket_ids=["0", "1"])
    assert b.transactions() == [["a"], ["b", "c"]]
    assert b.to_frame().to_numpy().tolist() == [[True, False, False], [False, True, True]]
    counts = basket.frequent_itemsets(b, min_support=0.5).set_index("itemset")["count"]
    assert counts.to_dict() == {"a": 1, "b": 1, "c": 1, "b, c": 1}  # no "a, b"
    assert matrix.nnz == 4 and matrix.data.tolist() == [1, 0, 3, 1]  # the input is unchanged
    with pytest.raises(ValueError, match=r"matrix holds a negative value \(-3\)"):
        basket.Baskets(matrix=-matrix, items=["a", "b", "c"], basket_ids=["0", "1"])
    with pytest.raises(ValueError, match=r"matrix has shape \(2, 3\), expected .* \(2, 2\)"):
        basket.Baskets(matrix=matrix, items=["a", "b"], basket_ids=["0", "1"])


@pytest.mark.parametrize("column", ["count", "items"])
def test_rules_from_a_table_without_its_count_or_items_column(column):
    frame = basket.frequent_itemsets(
        basket.baskets_from_lists([["a", "b"], ["a", "b"], ["a"]]), min_support=0.5
    )
    with pytest.raises(ValueError, match=rf"itemsets has no '{column}' column \(columns: \["):
        basket.association_rules(frame.drop(columns=column), n_baskets=3, min_confidence=0.5)


def test_rules_from_no_itemsets_are_an_error_not_an_empty_table():
    empty = basket.frequent_itemsets(basket.baskets_from_lists([]), min_support=0.5)
    assert empty.empty and {"items", "count"} <= set(empty.columns)
    with pytest.raises(ValueError, match=r"itemsets is empty \(0 rows\)"):
        basket.association_rules(empty, n_baskets=10, min_confidence=0.5)
    nothing = basket.mine_itemsets(basket.baskets_from_lists([]), min_support=0.5)
    with pytest.raises(ValueError, match=r"itemsets is empty \(0 itemsets\)"):
        basket.association_rules(nothing, min_confidence=0.5)
    frame = basket.frequent_itemsets(basket.baskets_from_lists([["a", "b"]]), min_support=0.5)
    with pytest.raises(ValueError, match="n_baskets must be a positive whole number.*got 0"):
        basket.association_rules(frame, n_baskets=0, min_confidence=0.5)


def test_a_holdout_cutoff_after_the_as_of_day_is_an_error():
    with pytest.raises(ValueError, match="cutoff must be on or before as_of"):
        basket.holdout_hit_rate(LINES, as_of="2025-01-31", cutoff="2025-02-01")
