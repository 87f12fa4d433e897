"""basket.recommend against two references: the sparse product it replaced (kept here
verbatim) and a per-customer brute force of the documented semantics; answers by hand, ties,
edge cases, and Online Retail with the command's defaults."""

import importlib

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from crm_lab import basket, ingest
from crm_lab.core.lines import day_end, item_labels, sale_lines

RETAIL_LAST_DAY = "2011-12-09"
# the module (basket.recommend is the function)
recommend_module = importlib.import_module("crm_lab.basket.recommend")


def histories(transactions, *, end, level="product"):
    sales = sale_lines(transactions, end=end, customers_only=True, products_only=True)
    item = item_labels(sales, level=level)
    return (
        pd.DataFrame({"customer_id": sales["customer_id"], "item": item}).dropna().drop_duplicates()
    )


def sparse_product_recommend(transactions, rules, *, as_of, top_n=5, level="product", chunk=256):
    """The implementation ``recommend`` replaced (crm_lab 2026-12, unchanged): every customer
    times every rule as a sparse product, then a sort. Slow (170 s on Online Retail), simple."""
    end = day_end(as_of)
    columns = ["customer_id", "rank", "item", "confidence", "lift", "because"]
    end = day_end(as_of)
    hist = histories(transactions, end=end, level=level)
    single = rules[rules["consequent_items"].map(len) == 1].reset_index(drop=True)
    if hist.empty or single.empty:
        return pd.DataFrame(columns=columns)
    cust_codes, customers = pd.factorize(hist["customer_id"])
    items = pd.Index(
        sorted(
            set(hist["item"])
            | {i for t in single["antecedent_items"] for i in t}
            | {t[0] for t in single["consequent_items"]}
        )
    )
    item_codes = items.get_indexer(hist["item"])
    h = sparse.csr_matrix(
        (np.ones(len(hist), dtype=np.int32), (cust_codes, item_codes)),
        shape=(len(customers), len(items)),
    )
    rows = [items.get_indexer(list(a)) for a in single["antecedent_items"]]
    m = sparse.csr_matrix(
        (
            np.ones(sum(len(r) for r in rows), dtype=np.int32),
            (np.concatenate(rows), np.repeat(np.arange(len(single)), [len(r) for r in rows])),
        ),
        shape=(len(items), len(single)),
    )
    need = np.array([len(r) for r in rows])
    consequent_of = items.get_indexer([t[0] for t in single["consequent_items"]])
    confidence = single["confidence"].to_numpy()
    lift = single["lift"].to_numpy()
    owned_keys = np.unique(cust_codes.astype(np.int64) * len(items) + item_codes)
    picked = []
    # customers in chunks: one customer can half-match hundreds of thousands of rules, and the
    # whole customers x rules product ran Online Retail's CLI recommend out of 24 GB
    for first in range(0, len(customers), chunk):
        hits = (h[first : first + chunk] @ m).tocoo()
        fires = hits.data == need[hits.col]
        c, r = hits.row[fires].astype(np.int64) + first, hits.col[fires]
        consequent = consequent_of[r]
        # already bought? compare (customer, item) keys instead of indexing the sparse matrix
        new = ~np.isin(c * len(items) + consequent, owned_keys)
        cand = pd.DataFrame(
            {"c": c[new], "i": consequent[new], "r": r[new], "confidence": confidence[r[new]],
             "lift": lift[r[new]]}
        )  # fmt: skip
        cand = cand.sort_values(
            ["c", "confidence", "lift", "i"], ascending=[True, False, False, True]
        ).drop_duplicates(["c", "i"])
        cand["rank"] = cand.groupby("c").cumcount() + 1
        picked.append(cand[cand["rank"] <= top_n])
    cand = pd.concat(picked, ignore_index=True)
    if cand.empty:
        return pd.DataFrame(columns=columns)
    chosen = cand["r"].to_numpy()
    cand["item"] = items[cand["i"].to_numpy()]
    cand["because"] = (
        single["antecedent"].to_numpy()[chosen] + " => " + single["consequent"].to_numpy()[chosen]
    )
    cand["customer_id"] = customers[cand["c"].to_numpy()].astype(str)
    return cand[columns].reset_index(drop=True)


def brute_force_recommend(transactions, rules, *, as_of, top_n=5, customers=None):
    """The documented semantics, one customer at a time: the rules whose antecedent they
    bought and whose consequent they did not; per item the best rule by confidence, lift, then
    the tie rule (first antecedent item last by name, then the later rule); items by
    confidence, lift, name. ``customers`` limits it to some customers (in any order)."""
    hist = histories(transactions, end=day_end(as_of))
    bought = hist.groupby("customer_id", sort=False)["item"].agg(set)
    single = rules[[len(t) == 1 for t in rules["consequent_items"]]].reset_index(drop=True)
    names = sorted({i for t in single["antecedent_items"] for i in t} | set(bought.explode()))
    code = {name: k for k, name in enumerate(names)}
    width = max(map(len, single["antecedent_items"]), default=1)
    pad = (len(names),)  # padding: an item everyone has
    body = np.array(
        [[code[i] for i in t] + [*pad] * (width - len(t)) for t in single["antecedent_items"]],
        dtype=np.int64,
    ).reshape(len(single), width)
    head = np.array([code.get(t[0], -1) for t in single["consequent_items"]])
    first = np.array([code[min(t)] if t else -1 for t in single["antecedent_items"]])
    some = np.array([len(t) > 0 for t in single["antecedent_items"]], dtype=bool)
    confidence, lift = single["confidence"].to_numpy(), single["lift"].to_numpy()
    rows = []
    for cid in bought.index if customers is None else customers:
        have = np.zeros(len(names) + 1, dtype=bool)
        have[[code[i] for i in bought[cid]]] = True
        have[-1] = True
        fires = ~have[head] & some
        for k in range(width):
            fires &= have[body[:, k]]
        fired = np.flatnonzero(fires)
        # best rule per item: the first by confidence, lift, item, then the tie rule
        fired = fired[
            np.lexsort((-fired, -first[fired], head[fired], -lift[fired], -confidence[fired]))
        ]
        _, at = np.unique(head[fired], return_index=True)
        for rank, r in enumerate(fired[np.sort(at)][:top_n], start=1):
            rows.append(
                (str(cid), rank, names[head[r]], confidence[r], lift[r],
                 f"{single['antecedent'][r]} => {single['consequent'][r]}")
            )  # fmt: skip
    return pd.DataFrame(rows, columns=recommend_module.COLUMNS)


def table(rows):
    """Rules (antecedent tuple, consequent tuple, confidence, lift) as a rules table."""
    return pd.DataFrame(
        {
            "antecedent": [", ".join(a) for a, *_ in rows],
            "consequent": [", ".join(c) for _, c, *_ in rows],
            "antecedent_items": [a for a, *_ in rows],
            "consequent_items": [c for _, c, *_ in rows],
            "confidence": [conf for *_, conf, _ in rows],
            "lift": [lift for *_, lift in rows],
        }
    )


def orders(bought: dict[str, list[str]], *, day="2024-01-02"):
    """One order per customer holding the items given."""
    pairs = [(c, i) for c, items in bought.items() for i in items]
    return pd.DataFrame(
        {
            "customer_id": pd.array([c for c, _ in pairs], dtype="string"),
            "invoice_id": [f"inv-{c}" for c, _ in pairs],
            "product_name": [i for _, i in pairs],
            "product_id": [i for _, i in pairs],
            "quantity": 1.0,
            "line_type": "sale",
            "ordered_at": pd.Timestamp(day),
        }
    )


TIES = table(
    [
        (("a",), ("x",), 0.5, 2.0),  # 0
        (("b",), ("x",), 0.5, 2.0),  # 1: ties with 0 for x; "b" comes after "a": 1 explains x
        (("a", "c"), ("y",), 0.8, 1.5),  # 2
        (("c",), ("y",), 0.8, 1.5),  # 3: ties with 2; "c" after "a": 3 explains y
        (("d",), ("x",), 0.9, 1.0),  # 4: better than 0 and 1 for whoever bought d
        (("a",), ("z",), 0.5, 2.0),  # 5: ties with x's rules on score: x before z by name
        (("a",), ("b", "c"), 0.99, 9.0),  # 6: two items on the right: not used
        (("a", "b"), ("w",), 0.7, 3.0),  # 7
        (("a", "c"), ("w",), 0.7, 3.0),  # 8: ties with 7, same first item: the later rule, 8
    ]
)
BOUGHT = {
    "u1": ["a", "b", "c"],
    "u2": ["a", "b", "c", "d", "w", "x", "y", "z"],  # everything: nothing to recommend
    "u3": ["q"],  # an item in no rule
    "u4": ["d", "a"],
}


def test_recommendations_and_ties_by_hand():
    got = basket.recommend(orders(BOUGHT), TIES, as_of="2024-01-31")
    rows = [
        tuple(r) for r in got[["customer_id", "rank", "item", "because"]].itertuples(index=False)
    ]
    # u1 fires 0, 1, 2, 3, 5, 7, 8: y 0.8, w 0.7, then x and z at 0.5 and lift 2 (by name)
    assert rows == [
        ("u1", 1, "y", "c => y"),
        ("u1", 2, "w", "a, c => w"),
        ("u1", 3, "x", "b => x"),
        ("u1", 4, "z", "a => z"),
        # u4 fires 0, 4, 5: x by 0.9 (d => x), then z
        ("u4", 1, "x", "d => x"),
        ("u4", 2, "z", "a => z"),
    ]
    assert got["confidence"].tolist() == [0.8, 0.7, 0.5, 0.5, 0.9, 0.5]
    assert got["lift"].tolist() == [1.5, 3.0, 2.0, 2.0, 1.0, 2.0]
    top1 = basket.recommend(orders(BOUGHT), TIES, as_of="2024-01-31", top_n=1)
    assert top1["item"].tolist() == ["y", "x"]


def test_the_hand_made_answers_are_the_replaced_implementations_and_the_brute_forces():
    tx = orders(BOUGHT)
    got = basket.recommend(tx, TIES, as_of="2024-01-31")
    pd.testing.assert_frame_equal(got, sparse_product_recommend(tx, TIES, as_of="2024-01-31"))
    pd.testing.assert_frame_equal(got, brute_force_recommend(tx, TIES, as_of="2024-01-31"))


def test_no_rules_no_history_and_no_room_give_an_empty_table():
    tx = orders(BOUGHT)
    columns = recommend_module.COLUMNS
    for got in (
        basket.recommend(tx, TIES.iloc[:0], as_of="2024-01-31"),
        basket.recommend(tx, TIES, as_of="2023-12-31"),  # every order after the as-of day
        basket.recommend(tx, TIES, as_of="2024-01-31", top_n=0),
        basket.recommend(orders({"u2": BOUGHT["u2"]}), TIES, as_of="2024-01-31"),
        basket.recommend(tx, TIES.iloc[[6]], as_of="2024-01-31"),  # no one-item consequent
    ):
        assert got.empty and list(got.columns) == columns


def test_rules_from_mine_rules_and_from_the_table_give_the_same_recommendations(demo):
    tx = demo.tables["transactions"]
    its = basket.mine_itemsets(
        basket.make_baskets(tx, as_of="2025-12-31"), min_support=0.004, max_len=3
    )
    for single in (True, False):
        rules = basket.mine_rules(its, min_confidence=0.05, single_consequent=single)
        frame = rules.to_frame()
        pd.testing.assert_frame_equal(
            frame,
            basket.association_rules(its, min_confidence=0.05, single_consequent=single),
        )
        got = basket.recommend(tx, rules, as_of="2025-12-31")
        assert len(got) > 1000
        pd.testing.assert_frame_equal(got, basket.recommend(tx, frame, as_of="2025-12-31"))
        pd.testing.assert_frame_equal(got, sparse_product_recommend(tx, frame, as_of="2025-12-31"))


@pytest.mark.parametrize("top_n", [1, 3, 10])
def test_every_tier_and_batch_size_gives_the_replaced_implementations_answer(
    demo, monkeypatch, top_n
):
    tx = demo.tables["transactions"]
    b = basket.make_baskets(tx, as_of="2025-12-31")
    rules = basket.association_rules(
        basket.mine_itemsets(b, min_support=0.003, max_len=3),
        min_confidence=0.05,
        single_consequent=True,
        min_baskets=1,
    )
    expected = sparse_product_recommend(tx, rules, as_of="2025-12-31", top_n=top_n)
    assert expected["because"].duplicated().any()  # shared rules: ties are in play
    for first_tier, candidates, chunk in [(1, 1, 1), (16, 64, 37), (4096, 1 << 22, 10**6)]:
        monkeypatch.setattr(recommend_module, "FIRST_TIER", first_tier)
        monkeypatch.setattr(recommend_module, "CANDIDATES", candidates)
        got = basket.recommend(tx, rules, as_of="2025-12-31", top_n=top_n, chunk=chunk)
        pd.testing.assert_frame_equal(got, expected)


def test_empty_rules_from_mine_rules():
    b = basket.baskets_from_lists([["a", "b"], ["a"], ["b"], ["c"]])
    rules = basket.mine_rules(basket.mine_itemsets(b, min_support=0.25), min_confidence=0.9)
    assert len(rules) == 0
    assert list(rules.to_frame().columns) == basket.RULE_COLUMNS
    assert basket.recommend(orders({"u": ["a"]}), rules, as_of="2024-01-31").empty


@pytest.mark.slow  # ~50 s on a busy 2-core machine: reading, mining, the table, the brute force
def test_online_retail_with_the_commands_defaults_equals_the_brute_force():
    """The command's pipeline (support 0.002, three items, confidence 0.05, 5 baskets): the
    counts it printed before and after the change, and the brute force for a sample of
    customers, the heaviest buyers among them."""
    root = recommend_module.__file__.rsplit("/crm_lab/", 1)[0]
    tx = ingest.read_clean(f"{root}/data/external/online_retail/online_retail.parquet")[
        "transactions"
    ]
    history = tx[tx["ordered_at"] < day_end(RETAIL_LAST_DAY)]
    b = basket.make_baskets(history, as_of=RETAIL_LAST_DAY)
    rules = basket.mine_rules(
        basket.mine_itemsets(b, min_support=0.002, max_len=3),
        min_confidence=0.05,
        single_consequent=True,
        min_baskets=5,
    )
    got = basket.recommend(tx, rules, as_of=RETAIL_LAST_DAY)
    assert (len(rules), len(got), got["customer_id"].nunique()) == (1_395_401, 21_479, 4_299)
    sizes = histories(tx, end=day_end(RETAIL_LAST_DAY)).groupby("customer_id").size()
    sample = sorted(set(sizes.nlargest(10).index) | set(sizes.index[::60]))
    frame = rules.to_frame()
    expected = brute_force_recommend(tx, frame, as_of=RETAIL_LAST_DAY, customers=sample)
    mine = got[got["customer_id"].isin(sample)].sort_values(["customer_id", "rank"])
    pd.testing.assert_frame_equal(
        mine.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


def loop_holdout_hits(before, after, recs, popular, *, top_n):
    """The holdout's counts as ``holdout_hit_rate`` computed them before (crm_lab 2026-12):
    a set of items per customer and a loop over the customers evaluated."""
    bought_before = before.groupby("customer_id")["item"].apply(set)
    new_after = after.groupby("customer_id")["item"].apply(set)
    evaluated = sorted(set(bought_before.index) & set(new_after.index))
    recs_by = recs.groupby("customer_id")["item"].agg(list)
    hits = base_hits = with_recs = 0
    for cid in evaluated:
        new = new_after[cid] - bought_before[cid]
        mine = recs_by.get(cid, [])
        with_recs += bool(mine)
        hits += bool(new & set(mine))
        owned = bought_before[cid]
        base = [i for i in popular if i not in owned][:top_n]
        base_hits += bool(new & set(base))
    return len(evaluated), with_recs, hits, base_hits


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("top_n", [1, 3, 5])
def test_holdout_counts_on_codes_equal_the_per_customer_loop(seed, top_n):
    """Random histories where customers own most of the best sellers (the baseline must skip
    far down the list), items outside the best sellers, customers on one side only, and
    recommendations for customers who are not evaluated."""
    rng = np.random.default_rng(seed)
    items = [f"item {k}" for k in range(30)]
    popular = np.array(rng.permutation(items[:20]))  # ten items are never best sellers

    def pairs(n, customers):
        frame = pd.DataFrame(
            {
                "customer_id": pd.array(rng.choice(customers, n), dtype="string"),
                "item": pd.array(rng.choice(items, n), dtype="string"),
            }
        )
        return frame.drop_duplicates(ignore_index=True)

    before = pairs(600, [f"c{k}" for k in range(40)])
    after = pairs(200, [f"c{k}" for k in range(20, 60)])
    recs = pairs(150, [f"c{k}" for k in range(0, 60, 2)])
    expected = loop_holdout_hits(before, after, recs, list(popular), top_n=top_n)
    got = recommend_module._holdout_hits(before, after, recs, popular, top_n=top_n)
    assert got == expected
    assert expected[0] >= 15 and 0 < expected[2] < expected[0]  # the case is not trivial


@pytest.mark.parametrize("seed", range(4))
def test_the_baseline_runs_out_of_best_sellers_as_the_loop_does(seed):
    """Four best sellers and top 5: customers who own some or all of them get fewer (or no)
    baseline items, exactly as the loop's islice gives them."""
    rng = np.random.default_rng(seed)
    items = [f"item {k}" for k in range(8)]
    popular = np.array(items[:4])

    def pairs(n, customers):
        frame = pd.DataFrame(
            {
                "customer_id": pd.array(rng.choice(customers, n), dtype="string"),
                "item": pd.array(rng.choice(items, n), dtype="string"),
            }
        )
        return frame.drop_duplicates(ignore_index=True)

    customers = [f"c{k}" for k in range(30)]
    before, after, recs = pairs(120, customers), pairs(90, customers), pairs(60, customers)
    expected = loop_holdout_hits(before, after, recs, list(popular), top_n=5)
    got = recommend_module._holdout_hits(before, after, recs, popular, top_n=5)
    assert got == expected and expected[3] > 0


def test_holdout_counts_with_nothing_to_count():
    empty = pd.DataFrame({"customer_id": pd.array([], dtype="string"), "item": []})
    one = pd.DataFrame({"customer_id": pd.array(["a"], dtype="string"), "item": ["x"]})
    assert recommend_module._holdout_hits(empty, empty, empty, np.array([]), top_n=5) == (
        0,
        0,
        0,
        0,
    )
    # bought x before and after: evaluated, nothing new, so no hit of either kind
    assert recommend_module._holdout_hits(one, one, one, np.array(["x", "y"]), top_n=5) == (
        1,
        1,
        0,
        0,
    )


def test_online_retail_holdout_counts_equal_the_per_customer_loop():
    root = recommend_module.__file__.rsplit("/crm_lab/", 1)[0]
    tx = ingest.read_clean(f"{root}/data/external/online_retail/online_retail.parquet")[
        "transactions"
    ]
    cut = pd.Timestamp("2011-06-10")
    end = day_end(RETAIL_LAST_DAY)
    train = tx[tx["ordered_at"] < cut]
    b = basket.make_baskets(train, as_of=cut - pd.Timedelta(days=1))
    rules = basket.association_rules(
        basket.frequent_itemsets(b, min_support=0.01, max_len=2),
        n_baskets=b.n_baskets,
        min_confidence=0.05,
        single_consequent=True,
        min_baskets=1,
    )
    before = recommend_module._histories(tx, end=cut)
    after = recommend_module._histories(tx, end=end, start=cut)
    recs = basket.recommend(train, rules, as_of=cut - pd.Timedelta(days=1))
    popular = np.asarray(b.items)[np.argsort(-np.asarray(b.matrix.sum(axis=0)).ravel())]
    expected = loop_holdout_hits(before, after, recs, list(popular), top_n=5)
    assert recommend_module._holdout_hits(before, after, recs, popular, top_n=5) == expected
    assert expected[0] > 1_500 and expected[3] > 0
