"""Order histories and rules into product recommendations per customer, and their holdout test.

Each customer gets the consequents of the rules whose antecedents they have bought, best first,
each with the rule that explains it; ``holdout_hit_rate`` checks them against what customers
bought next, beside a most-popular baseline.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
import pandas as pd
from scipy import sparse

from crm_lab import privacy
from crm_lab.basket.rules import (
    RULE_COLUMNS,
    association_rules,
    frequent_itemsets,
    make_baskets,
)
from crm_lab.core.lines import day_end, item_labels, sale_lines

__all__ = ["holdout_hit_rate", "recommend"]


def _histories(transactions: pd.DataFrame, *, end: pd.Timestamp, start=None, level="product"):
    sales = sale_lines(transactions, end=end, start=start, customers_only=True, products_only=True)
    item = item_labels(sales, level=level)
    return (
        pd.DataFrame({"customer_id": sales["customer_id"], "item": item}).dropna().drop_duplicates()
    )


def recommend(
    transactions: pd.DataFrame,
    rules: pd.DataFrame,
    *,
    as_of,
    top_n: int = 5,
    level: str = "product",
    chunk: int = 256,
) -> pd.DataFrame:
    """Turn each customer's purchase history and the rules into top-N items they have not bought.

    A rule fires for a customer when they have bought every item of its antecedent; its
    consequent is recommended unless they already bought it. An item's score is the best
    confidence among the rules that recommend it (then lift), and ``because`` names that rule,
    so every recommendation explains itself. Customers are scored ``chunk`` at a time, which
    bounds memory without changing the result.

    Returns
    -------
    DataFrame
        ``customer_id``, ``rank`` (1 = best), ``item``, ``confidence``, ``lift``, ``because``.
    """
    columns = ["customer_id", "rank", "item", "confidence", "lift", "because"]
    end = day_end(as_of)
    hist = _histories(transactions, end=end, level=level)
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


def holdout_hit_rate(
    transactions: pd.DataFrame,
    *,
    as_of,
    cutoff=None,
    holdout_months: int = 6,
    min_support: float = 0.005,
    min_confidence: float = 0.1,
    max_len: int = 2,
    top_n: int = 5,
    level: str = "product",
) -> dict:
    """Measure recommendations on a time holdout against the most-popular baseline.

    Rules are mined on the baskets before ``cutoff`` (by default ``holdout_months`` before
    ``as_of``); each customer who bought both before and
    after it gets top-N recommendations from their history before ``cutoff``. A hit is a
    recommended item they bought between ``cutoff`` and ``as_of`` (and had not bought before).
    The baseline recommends the N most popular items (by baskets before ``cutoff``) they have
    not bought. Returns the customers evaluated and both hit rates at N; over 1 to
    ``privacy.MIN_GROUP - 1`` customers evaluated, these figures are None (withheld).
    """
    end = day_end(as_of)
    if cutoff is None:  # the last holdout_months months are the test period
        cutoff = end - pd.DateOffset(months=holdout_months)
    cut = pd.Timestamp(cutoff).normalize()
    if cut >= end:
        raise ValueError(
            f"cutoff must be on or before as_of ({as_of}), got {cutoff}: the holdout would "
            "train on orders after the as-of day"
        )
    train = transactions[transactions["ordered_at"] < cut]
    b = make_baskets(train, as_of=cut - pd.Timedelta(days=1), level=level)
    fi = frequent_itemsets(b, min_support=min_support, max_len=max_len)
    rules = (
        association_rules(
            fi,
            n_baskets=b.n_baskets,
            min_confidence=min_confidence,
            single_consequent=True,
            min_baskets=1,  # rules used inside the measurement only, never shown
        )
        if len(fi)
        else pd.DataFrame(columns=RULE_COLUMNS)  # no baskets before the cutoff: no rules
    )
    before = _histories(transactions, end=cut, level=level)
    after = _histories(transactions, end=end, start=cut, level=level)
    bought_before = before.groupby("customer_id")["item"].apply(set)
    new_after = after.groupby("customer_id")["item"].apply(set)
    evaluated = sorted(set(bought_before.index) & set(new_after.index))
    recs = recommend(train, rules, as_of=cut - pd.Timedelta(days=1), top_n=top_n, level=level)
    recs_by = recs.groupby("customer_id")["item"].agg(list)
    popular = list(
        np.asarray(b.items)[np.argsort(-np.asarray(b.matrix.sum(axis=0)).ravel(), kind="stable")]
    )
    hits = base_hits = with_recs = 0
    for cid in evaluated:
        new = new_after[cid] - bought_before[cid]
        mine = recs_by.get(cid, [])
        with_recs += bool(mine)
        hits += bool(new & set(mine))
        owned = bought_before[cid]
        base = list(islice((i for i in popular if i not in owned), top_n))
        base_hits += bool(new & set(base))
    n = len(evaluated)
    figures = {
        "customers": n,
        "customers_with_recommendations": with_recs,
        "rules": len(rules),
        "hit_rate": hits / n if n else 0.0,
        "baseline_hit_rate": base_hits / n if n else 0.0,
        "top_n": top_n,
    }
    withheld = ["customers", "customers_with_recommendations", "hit_rate", "baseline_hit_rate"]
    return privacy.withhold_small(figures, count=n, keys=withheld)
