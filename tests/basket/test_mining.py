"""The compact mining core: itemset blocks, vectorised rules, checked against brute force and
pyfim's own rule generation."""

from fractions import Fraction
from itertools import combinations
from pathlib import Path

import fim
import numpy as np
import pandas as pd
import pytest

from crm_lab import basket, ingest
from crm_lab.basket import mining, rules

ROOT = Path(__file__).resolve().parents[2]
GROCERIES = ROOT / "data/external/groceries/groceries.csv"


@pytest.fixture(scope="module")
def groceries():
    return basket.baskets_from_lists(ingest.read_basket_file(GROCERIES))


def brute_force_rules(frame: pd.DataFrame, *, min_confidence, min_lift=None, single=False):
    """Every rule of an itemset table by plain enumeration, metrics as exact fractions."""
    count_of = dict(zip(frame["items"], frame["count"], strict=True))
    n = None
    conf = Fraction(str(min_confidence))
    found = {}
    for items, both in count_of.items():
        for h in [1] if single else range(1, len(items)):
            if h >= len(items):
                continue
            for head in combinations(items, h):
                body = tuple(i for i in items if i not in head)
                if Fraction(int(both), int(count_of[body])) < conf:
                    continue
                found[(body, head)] = (int(both), int(count_of[body]), int(count_of[head]))
    if min_lift is not None:
        n = int(round(frame["count"].iloc[0] / frame["support"].iloc[0]))
        lift = Fraction(str(min_lift))
        found = {k: v for k, v in found.items() if Fraction(v[0] * n, v[1] * v[2]) >= lift}
    return found


def as_dict(rules: pd.DataFrame):
    return {
        (a, c): (n, na, nc)
        for a, c, n, na, nc in zip(
            rules["antecedent_items"],
            rules["consequent_items"],
            rules["count"],
            rules["antecedent_count"],
            rules["consequent_count"],
            strict=True,
        )
    }


def test_blocks_are_sorted_within_and_between_rows():
    names = np.array(["a", "b", "c", "d"], dtype=object)
    found = [((2, 0), 5), ((3,), 9), ((1, 3, 0), 5), ((0,), 9), ((3, 0), 7), ((1, 0), 7)]
    its = mining.Itemsets.from_found(found, names=names, n_baskets=10)
    assert len(its) == 6
    codes, counts = its.blocks[2]
    assert codes.tolist() == [[0, 1], [0, 3], [0, 2]]  # by count, then items
    assert counts.tolist() == [7, 7, 5]
    assert its.blocks[3][0].tolist() == [[0, 1, 3]]
    frame = its.to_frame()
    assert list(frame["itemset"]) == ["a", "d", "a, b", "a, d", "a, c", "a, b, d"]
    assert frame["items"].iloc[5] == ("a", "b", "d")
    assert frame["support"].tolist() == [0.9, 0.9, 0.7, 0.7, 0.5, 0.5]
    assert frame["itemset"].dtype == pd.Series(["x"]).dtype  # this pandas' string column


def test_from_tuples_round_trips(groceries):
    frame = basket.frequent_itemsets(groceries, min_support=0.01)
    again = mining.Itemsets.from_tuples(
        list(frame["items"]), frame["count"], n_baskets=groceries.n_baskets
    ).to_frame()
    pd.testing.assert_frame_equal(frame, again)


def test_mined_blocks_match_for_every_algorithm(groceries):
    mined = [
        basket.mine_itemsets(groceries, min_support=0.004, algorithm=a) for a in basket.ALGORITHMS
    ]
    for other in mined[1:]:
        assert other.blocks.keys() == mined[0].blocks.keys()
        for k, (codes, counts) in mined[0].blocks.items():
            np.testing.assert_array_equal(other.blocks[k][0], codes)
            np.testing.assert_array_equal(other.blocks[k][1], counts)


@pytest.mark.parametrize(
    ("support", "confidence", "lift", "single"),
    [(0.005, 0.3, None, False), (0.003, 0.5, 2.5, False), (0.002, 0.6, None, True)],
)
def test_rules_equal_brute_force(groceries, support, confidence, lift, single):
    frame = basket.frequent_itemsets(groceries, min_support=support)
    ours = basket.association_rules(
        basket.mine_itemsets(groceries, min_support=support),
        min_confidence=confidence,
        min_lift=lift,
        single_consequent=single,
    )
    expected = brute_force_rules(frame, min_confidence=confidence, min_lift=lift, single=single)
    assert len(expected) > 20
    if not single and lift is None:
        assert max(len(c) for _, c in expected) >= 2  # multi-item heads were exercised
    assert as_dict(ours) == expected


def test_single_consequent_rules_equal_pyfim_rule_mode(groceries):
    """pyfim's own rule generation (mode "o": rule support counts body and head together)."""
    n = groceries.n_baskets
    need = rules._min_count(0.002, n)
    theirs = fim.eclat(
        groceries.transactions(), target="r", supp=-need, conf=50, report="abh", mode="o"
    )
    expected = {(tuple(sorted(body)), (head,)): (a, b, h) for head, body, a, b, h in theirs}
    ours = basket.association_rules(
        basket.mine_itemsets(groceries, min_support=0.002),
        min_confidence=0.5,
        single_consequent=True,
    )
    # pyfim also reports rules with an empty antecedent; crm_lab starts at two items
    expected = {k: v for k, v in expected.items() if k[0]}
    assert len(expected) > 500
    assert as_dict(ours) == expected


def test_rule_order_is_total_and_independent_of_the_miner(groceries):
    runs = [
        basket.association_rules(
            basket.mine_itemsets(groceries, min_support=0.003, algorithm=a),
            min_confidence=0.2,
        )
        for a in basket.ALGORITHMS
    ]
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0], other)
    lift = runs[0]["lift"].to_numpy()
    assert (np.diff(lift) <= 0).all()


def test_max_rules_stops_before_building_the_table(groceries):
    its = basket.mine_itemsets(groceries, min_support=0.003)
    with pytest.raises(MemoryError, match="more than 100 rules pass"):
        basket.association_rules(its, min_confidence=0.1, max_rules=100)


def test_missing_subset_and_hash_mismatch_are_errors(groceries):
    frame = basket.frequent_itemsets(groceries, min_support=0.01)
    without = frame[frame["itemset"] != "whole milk"]
    with pytest.raises(ValueError, match="subset is missing"):
        basket.association_rules(without, n_baskets=groceries.n_baskets, min_confidence=0.1)
    its = basket.mine_itemsets(groceries, min_support=0.01)
    lookup = mining._Lookup(its)
    codes = its.blocks[2][0][:3]
    first, second = lookup.hash(codes)
    assert lookup.count(first, second).tolist() == its.blocks[2][1][:3].tolist()
    with pytest.raises(RuntimeError, match="collision"):
        lookup.count(first, second + np.uint64(1))


def test_dataframe_input_needs_the_basket_count(groceries):
    frame = basket.frequent_itemsets(groceries, min_support=0.02)
    with pytest.raises(ValueError, match="n_baskets"):
        basket.association_rules(frame, min_confidence=0.3)


def test_thresholds_from_arithmetic_are_exact_without_overflow(groceries):
    """1/3 or 0.1 + 0.2 read as decimals have 10^16 denominators: int64 products would wrap."""
    lists = [["A", "C"]] * 1000 + [["A"]] * 2000 + [["C"]] * 10
    b = basket.baskets_from_lists(lists)
    rules = basket.association_rules(basket.mine_itemsets(b, min_support=0.1), min_confidence=1 / 3)
    assert set(zip(rules["antecedent"], rules["consequent"], strict=True)) == {
        ("A", "C"),  # 1000/3000 = 0.3333..., just at the threshold 1/3
        ("C", "A"),
    }
    with_z = basket.baskets_from_lists(lists + [["Z"]] * 2750)
    lifted = basket.association_rules(
        basket.mine_itemsets(with_z, min_support=0.1), min_confidence=0.1, min_lift=1 / 3
    )
    assert len(lifted) == 2  # both have lift 1.9
    its = basket.mine_itemsets(groceries, min_support=0.005)
    rules = basket.association_rules(its, min_confidence=0.1 + 0.2)
    expected = brute_force_rules(its.to_frame(), min_confidence=0.1 + 0.2)
    assert as_dict(rules) == expected and rules["confidence"].min() >= 0.3


def test_rule_order_is_the_documented_one(groceries):
    rules = basket.association_rules(
        basket.mine_itemsets(groceries, min_support=0.003), min_confidence=0.2
    )
    keys = list(zip(-rules["lift"], -rules["confidence"], -rules["count"], strict=True))
    assert keys == sorted(keys)  # lift, then confidence, then support, all descending


def test_max_len_zero_and_an_item_in_every_basket():
    import warnings

    b = basket.baskets_from_lists([["a", "b"], ["a", "c"], ["a", "b", "c"], ["a"]])
    with pytest.raises(ValueError, match="max_len must be at least 1"):
        basket.frequent_itemsets(b, min_support=0.25, max_len=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # conviction of a rule whose consequent is everywhere
        rules = basket.association_rules(
            basket.mine_itemsets(b, min_support=0.25), min_confidence=0.5, min_baskets=1
        )
    to_a = rules[rules["consequent"] == "a"]
    assert len(to_a) and (to_a["confidence"] == 1).all() and np.isinf(to_a["conviction"]).all()
