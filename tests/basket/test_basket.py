from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_lab import basket, ingest

GROCERIES = (
    Path(__file__).resolve().parents[2] / "data" / "external" / "groceries" / "groceries.csv"
)

RETAIL_LAST_DAY = "2011-12-09"  # Online Retail's last order day
DEMO_AS_OF = "2025-12-31"  # the demo data's last day

SIX = [
    ["bread", "milk"],
    ["bread", "diapers", "beer", "eggs"],
    ["milk", "diapers", "beer", "cola"],
    ["bread", "milk", "diapers", "beer"],
    ["bread", "milk", "diapers", "cola"],
    ["milk"],
]


def test_six_baskets_by_hand():
    b = basket.baskets_from_lists(SIX)
    fi = basket.frequent_itemsets(b, min_support=0.5).set_index("itemset")
    # bread 4/6, milk 5/6, diapers 4/6, beer 3/6; pairs: bread+milk 3, bread+diapers 3,
    # milk+diapers 3, diapers+beer 3; nothing else reaches 3 baskets
    assert fi["count"].to_dict() == {
        "milk": 5,
        "bread": 4,
        "diapers": 4,
        "beer": 3,
        "beer, diapers": 3,
        "bread, diapers": 3,
        "bread, milk": 3,
        "diapers, milk": 3,
    }
    # the arithmetic on six baskets: every rule, even of fewer baskets than a page may show
    rules = basket.association_rules(
        fi.reset_index(), n_baskets=6, min_confidence=0.6, min_baskets=1
    )
    rule = rules[(rules["antecedent"] == "beer") & (rules["consequent"] == "diapers")].iloc[0]
    assert rule["support"] == pytest.approx(3 / 6)
    assert rule["confidence"] == 1.0  # every beer basket has diapers
    assert rule["lift"] == pytest.approx((3 / 6) / ((3 / 6) * (4 / 6)))  # 1.5
    assert rule["leverage"] == pytest.approx(3 / 6 - (3 / 6) * (4 / 6))  # 1/6
    assert rule["conviction"] == np.inf
    rule = rules[(rules["antecedent"] == "milk") & (rules["consequent"] == "bread")].iloc[0]
    assert rule["confidence"] == pytest.approx(3 / 5)
    assert rule["conviction"] == pytest.approx((1 - 4 / 6) / (1 - 3 / 5))
    assert (rules["confidence"] >= 0.6).all() and rules["confidence"].le(1).all()


def test_thresholds_are_inclusive_and_exact():
    # 24 baskets: A in 20 of them, A and C together in 16: confidence 16/20 = 0.8 exactly
    lists = [["A", "C"]] * 16 + [["A"]] * 4 + [["C"]] * 2 + [["B"]] * 2
    b = basket.baskets_from_lists(lists)
    fi = basket.frequent_itemsets(b, min_support=0.25)
    assert fi.set_index("itemset").loc["A, C", "count"] == 16
    rules = basket.association_rules(fi, n_baskets=24, min_confidence=0.8)
    assert ("A", "C") in set(zip(rules["antecedent"], rules["consequent"], strict=True))
    # the trap: computed from floating-point supports, this confidence falls below 0.8
    assert (16 / 24) / (20 / 24) < 0.8
    exact = basket.frequent_itemsets(
        basket.baskets_from_lists([["x"]] * 3 + [["y"]] * 7), min_support=0.3
    )
    assert "x" in set(exact["itemset"])  # support 3/10 == 0.3 is kept


def test_groceries_against_arules_published_result():
    """R arules, Groceries, support 0.001, confidence 0.8: 410 rules, top by lift as published."""
    lists = ingest.read_basket_file(GROCERIES)
    b = basket.baskets_from_lists(lists)
    assert (b.n_baskets, len(b.items)) == (9_835, 169)
    fi = basket.frequent_itemsets(b, min_support=0.001)
    rules = basket.association_rules(
        fi, n_baskets=b.n_baskets, min_confidence=0.8, single_consequent=True
    )
    assert len(rules) == 410
    top = rules.iloc[0]
    assert (top["antecedent"], top["consequent"]) == ("liquor, red/blush wine", "bottled beer")
    assert round(top["support"], 5) == 0.00193
    assert round(top["confidence"], 3) == 0.905
    assert round(top["lift"], 3) == 11.235
    # every rule's metrics recomputed by brute force from the baskets
    sets = [set(x) for x in lists]
    n = len(sets)
    for rule in rules.sample(40, random_state=0).itertuples():
        body, head = set(rule.antecedent_items), set(rule.consequent_items)
        n_body = sum(body <= s for s in sets)
        n_both = sum(body | head <= s for s in sets)
        n_head = sum(head <= s for s in sets)
        assert (rule.count, rule.antecedent_count, rule.consequent_count) == (
            n_both,
            n_body,
            n_head,
        )
        assert rule.confidence == pytest.approx(n_both / n_body)
        assert rule.lift == pytest.approx(n_both * n / (n_body * n_head))


def test_algorithms_are_interchangeable():
    b = basket.baskets_from_lists(ingest.read_basket_file(GROCERIES))
    results = [
        basket.frequent_itemsets(b, min_support=0.003, algorithm=a) for a in basket.ALGORITHMS
    ]
    for other in results[1:]:
        pd.testing.assert_frame_equal(results[0], other)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        basket.frequent_itemsets(b, min_support=0.01, algorithm="magic")


def test_online_retail_itemsets_equal_mlxtend(retail):
    from mlxtend.frequent_patterns import fpgrowth

    tx = ingest.clean_dataset(retail)["transactions"]
    b = basket.make_baskets(tx, as_of=RETAIL_LAST_DAY, level="product")
    ours = basket.frequent_itemsets(b, min_support=0.02)
    onehot = pd.DataFrame.sparse.from_spmatrix(b.matrix.astype(bool), columns=b.items)
    theirs = fpgrowth(onehot, min_support=0.02, use_colnames=True)
    theirs_sets = {
        tuple(sorted(s)): sup for s, sup in zip(theirs["itemsets"], theirs["support"], strict=True)
    }
    ours_sets = dict(zip(ours["items"], ours["support"], strict=True))
    assert ours_sets.keys() == theirs_sets.keys() and len(ours_sets) > 100
    for key, sup in ours_sets.items():
        assert sup == pytest.approx(theirs_sets[key])


def test_online_retail_rules_equal_mlxtend_except_exact_threshold_ties(retail):
    """mlxtend's rules from the same itemsets, all consequent sizes: crm_lab finds every one with
    the same metrics, plus the rules at exactly 0.8 that floating point makes mlxtend drop."""
    from mlxtend.frequent_patterns import association_rules

    tx = ingest.clean_dataset(retail)["transactions"]
    b = basket.make_baskets(tx, as_of=RETAIL_LAST_DAY, level="product")
    itemsets = basket.mine_itemsets(b, min_support=0.005)
    frame = itemsets.to_frame()
    theirs = association_rules(
        pd.DataFrame({"support": frame["support"], "itemsets": frame["items"].map(frozenset)}),
        num_itemsets=b.n_baskets,
        metric="confidence",
        min_threshold=0.8,
    )
    theirs = {
        (tuple(sorted(a)), tuple(sorted(c))): (conf, lift)
        for a, c, conf, lift in zip(
            theirs["antecedents"],
            theirs["consequents"],
            theirs["confidence"],
            theirs["lift"],
            strict=True,
        )
    }
    ours = basket.association_rules(itemsets, min_confidence=0.8)
    mine = {
        (a, c): (conf, lift, n, na)
        for a, c, conf, lift, n, na in zip(
            ours["antecedent_items"],
            ours["consequent_items"],
            ours["confidence"],
            ours["lift"],
            ours["count"],
            ours["antecedent_count"],
            strict=True,
        )
    }
    assert len(theirs) > 3000 and set(theirs) <= set(mine)
    for key, (conf, lift) in theirs.items():
        assert mine[key][:2] == pytest.approx((conf, lift))
    extra = [mine[k] for k in set(mine) - set(theirs)]
    assert extra and all(n * 5 == na * 4 for _, _, n, na in extra)  # exactly 0.8, e.g. 100/125


def test_baskets_from_demo_transactions(demo):
    tx = demo.tables["transactions"]
    b = basket.make_baskets(tx, as_of=DEMO_AS_OF)
    sales = tx[(tx["line_type"] == "sale") & (tx["quantity"] > 0)]
    assert b.n_baskets == sales["invoice_id"].nunique()
    assert not any(i.startswith("C") for i in b.basket_ids)  # no cancellations
    cat = basket.make_baskets(tx, as_of=DEMO_AS_OF, level="category")
    assert set(cat.items) == set(sales["category"])
    fi = basket.frequent_itemsets(cat, min_support=0.01)
    rules = basket.association_rules(fi, n_baskets=cat.n_baskets, min_confidence=0.3)
    pairs = set(zip(rules["antecedent"], rules["consequent"], strict=True))
    assert ("Coffee Gear", "Coffee") in pairs  # the planted companion categories
    prod = basket.association_rules(
        basket.frequent_itemsets(b, min_support=0.005), n_baskets=b.n_baskets, min_confidence=0.3
    )
    found = set(zip(prod["antecedent"], prod["consequent"], strict=True))
    for a, c in demo.truth["planted_pairs"]:
        assert (a, c) in found, (a, c)


def test_guard_rail_stops_an_explosive_search():
    lists = [[f"item{i}" for i in range(450)] for _ in range(50)]
    b = basket.baskets_from_lists(lists)
    with pytest.raises(MemoryError, match="raise min_support or set max_len"):
        basket.frequent_itemsets(b, min_support=0.5)
    work = basket.estimate_work(b, min_support=0.5)
    assert work["frequent_items"] == 450 and work["frequent_pairs"] == 450 * 449 // 2
    assert len(basket.frequent_itemsets(b, min_support=0.5, max_len=1)) == 450


@pytest.mark.parametrize("support", [0.001, 0.003, 0.01, 0.03])
def test_pair_bound_never_undercounts(support):
    """The cheap bound that lets mining skip the exact pair count is an upper bound."""
    b = basket.baskets_from_lists(ingest.read_basket_file(GROCERIES))
    exact = basket.estimate_work(b, min_support=support)
    bound = basket.estimate_work(b, min_support=support, below=float("inf"))
    assert exact["pairs_exact"] and not bound["pairs_exact"]
    assert bound["frequent_pairs"] >= exact["frequent_pairs"] > 0
    assert bound["projected_itemsets"] >= exact["projected_itemsets"]
    truth = basket.frequent_itemsets(b, min_support=support, max_len=2)
    assert (truth["length"] == 2).sum() == exact["frequent_pairs"]


def test_max_len_and_empty_input():
    b = basket.baskets_from_lists(SIX)
    assert basket.frequent_itemsets(b, min_support=0.3, max_len=1)["length"].max() == 1
    empty = basket.baskets_from_lists([])
    assert basket.frequent_itemsets(empty, min_support=0.1).empty
    with pytest.raises(ValueError, match="min_support"):
        basket.frequent_itemsets(b, min_support=0)


def test_an_item_in_every_basket_is_kept():
    """pyfim alone drops items present in all baskets; crm_lab must not."""
    lists = [["a", "b"], ["a", "c"], ["a", "b", "c"], ["a"]]
    fi = basket.frequent_itemsets(basket.baskets_from_lists(lists), min_support=0.25)
    got = dict(zip(fi["itemset"], fi["count"], strict=True))
    assert got == {"a": 4, "b": 2, "c": 2, "a, b": 2, "a, c": 2, "b, c": 1, "a, b, c": 1}
    for algorithm in basket.ALGORITHMS:
        again = basket.frequent_itemsets(
            basket.baskets_from_lists(lists), min_support=0.25, algorithm=algorithm
        )
        assert dict(zip(again["itemset"], again["count"], strict=True)) == got


def test_rules_command_on_a_basket_file_and_on_transactions(tmp_path, demo_dir):
    import pandas as pd

    from crm_lab import cli

    out = tmp_path / "rules.csv"
    assert (
        cli.main(
            [
                "rules",
                "--data",
                str(GROCERIES),
                "--min-support",
                "0.001",
                "--min-confidence",
                "0.8",
                "--single-consequent",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rules = pd.read_csv(out)
    assert len(rules) == 410 and rules.iloc[0]["consequent"] == "bottled beer"
    assert list(rules.columns[:2]) == ["antecedent", "consequent"]
    out2 = tmp_path / "demo_rules.csv"
    assert (
        cli.main(
            [
                "rules",
                "--data",
                str(demo_dir),
                "--min-support",
                "0.01",
                "--min-confidence",
                "0.3",
                "--level",
                "category",
                "--out",
                str(out2),
            ]
        )
        == 0
    )
    assert "Coffee Gear" in set(pd.read_csv(out2)["antecedent"])


def test_recommendations_by_hand():
    import pandas as pd

    rules = pd.DataFrame(
        {
            "antecedent": ["bread", "beer, bread", "milk"],
            "consequent": ["butter", "chips", "bread"],
            "antecedent_items": [("bread",), ("beer", "bread"), ("milk",)],
            "consequent_items": [("butter",), ("chips",), ("bread",)],
            "confidence": [0.6, 0.9, 0.5],
            "lift": [2.0, 3.0, 1.2],
        }
    )
    tx = pd.DataFrame(
        {
            "customer_id": pd.array(["a", "a", "b", "c", "c"], dtype="string"),
            "product_name": ["bread", "beer", "milk", "bread", "butter"],
            "product_id": ["1", "2", "3", "1", "4"],
            "invoice_id": ["i1", "i1", "i2", "i3", "i4"],
            "quantity": 1.0,
            "line_type": "sale",
            "ordered_at": pd.to_datetime(["2024-01-01"] * 4 + ["2024-03-01"]),
        }
    )
    recs = basket.recommend(tx, rules, as_of="2024-02-01", top_n=5)
    got = {(r.customer_id, r.item): (r.rank, r.because) for r in recs.itertuples()}
    # a has bread and beer: chips (0.9) before butter (0.6)
    assert got[("a", "chips")] == (1, "beer, bread => chips")
    assert got[("a", "butter")] == (2, "bread => butter")
    # b has milk: bread
    assert got[("b", "bread")] == (1, "milk => bread")
    # c bought butter after as_of: butter is still recommended (history ends at as_of)
    assert ("c", "butter") in got and ("c", "chips") not in got
    later = basket.recommend(tx, rules, as_of="2024-03-31")
    assert ("c", "butter") not in set(zip(later["customer_id"], later["item"], strict=True))
    assert (
        basket.recommend(tx, rules, as_of="2024-02-01", top_n=1).groupby("customer_id").size().max()
        == 1
    )


def test_recommendations_beat_the_popularity_baseline_on_a_time_holdout():
    import tempfile

    from crm_lab import synth

    demo = synth.make_demo(seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        synth.write_demo(demo, tmp)
        tx = ingest.read_clean(tmp)["transactions"]
    result = basket.holdout_hit_rate(
        tx, cutoff="2025-07-01", as_of="2025-12-31", min_support=0.002, min_confidence=0.05
    )
    print(result)
    assert result["customers"] > 300 and result["rules"] > 50
    assert result["hit_rate"] > result["baseline_hit_rate"] + 0.05


def test_recommend_command_writes_pseudonymous_ids(tmp_path, demo_dir, monkeypatch):
    import pandas as pd

    from crm_lab import cli, privacy

    monkeypatch.setenv(privacy.KEY_ENV, "test-key-0123456789")
    out = tmp_path / "recs.csv"
    assert (
        cli.main(
            [
                "recommend",
                "--data",
                str(demo_dir),
                "--as-of",
                "2025-12-31",
                "--top-n",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    recs = pd.read_csv(out, dtype={"customer_id": str})
    assert recs["customer_id"].str.fullmatch(r"P[bcdfghjkmnprstvw]{16}").all()
    assert recs.groupby("customer_id")["rank"].max().max() <= 3
    raw_ids = set(ingest.load_data(demo_dir)["customers"]["customer_id"])
    assert not set(recs["customer_id"]) & raw_ids
    assert recs["because"].str.contains(" => ").all()


def test_rules_by_segment_use_only_that_segments_baskets(demo):
    from crm_lab.value import rfm

    tx = demo.tables["transactions"]
    seg = rfm.rfm_segments(rfm.rfm_scores(rfm.rfm_table(tx, as_of="2025-12-31")))
    rules = basket.rules_by_segment(
        tx, seg, as_of=DEMO_AS_OF, min_support=0.02, min_confidence=0.3, level="category"
    )
    assert set(rules["segment"]) <= set(seg["segment"])
    sales = tx[(tx["line_type"] == "sale") & (tx["quantity"] > 0)].merge(seg, on="customer_id")
    for name, baskets in rules.groupby("segment")["segment_baskets"].first().items():
        assert baskets == sales.loc[sales["segment"] == name, "invoice_id"].nunique()


def test_rule_stability_by_hand():
    import pandas as pd

    before = pd.DataFrame({"antecedent": ["a", "b"], "consequent": ["x", "y"], "lift": [2.0, 3.0]})
    after = pd.DataFrame({"antecedent": ["a", "c"], "consequent": ["x", "z"], "lift": [2.5, 1.5]})
    out = basket.rule_stability(before, after).set_index(["antecedent", "consequent"])
    assert out.loc[("a", "x"), "status"] == "kept" and out.loc[("a", "x"), "lift_after"] == 2.5
    assert out.loc[("b", "y"), "status"] == "gone" and out.loc[("c", "z"), "status"] == "new"


def test_bundles_find_the_planted_pairs_with_their_revenue(demo):
    tx = demo.tables["transactions"]
    b = basket.make_baskets(tx, as_of=DEMO_AS_OF)
    fi = basket.frequent_itemsets(b, min_support=0.003, max_len=3)
    # every group of lift 3 or more: the planted groups of customers (personas) make triples
    # of one category rank above the planted pairs in the top 50
    found = basket.bundles(tx, fi, as_of=DEMO_AS_OF, n_baskets=b.n_baskets, min_lift=3.0,
                           top=len(fi))  # fmt: skip
    pairs = {tuple(sorted(p)) for p in demo.truth["planted_pairs"]}
    assert pairs <= set(found["items"])
    top = found.iloc[0]
    sales = tx[(tx["line_type"] == "sale") & (tx["quantity"] > 0)]
    holders = sales.groupby("invoice_id")["product_name"].apply(set)
    inv = holders[holders.map(lambda s: set(top["items"]) <= s)].index
    revenue = sales[sales["invoice_id"].isin(inv) & sales["product_name"].isin(top["items"])][
        "amount"
    ].sum()
    assert top["revenue"] == pytest.approx(revenue)
    assert top["count"] == len(inv)


def test_recommendations_do_not_depend_on_the_chunk_size(demo):
    tx = demo.tables["transactions"]
    b = basket.make_baskets(tx, as_of=DEMO_AS_OF)
    rules = basket.association_rules(
        basket.mine_itemsets(b, min_support=0.005, max_len=3),
        min_confidence=0.05,
        single_consequent=True,
    )
    whole = basket.recommend(tx, rules, as_of="2025-12-31", chunk=10**6)
    assert len(whole) > 1000
    for chunk in (1, 37):
        pd.testing.assert_frame_equal(
            basket.recommend(tx, rules, as_of="2025-12-31", chunk=chunk), whole
        )
