"""Order histories and rules into product recommendations per customer, and their holdout test.

Each customer gets the consequents of the rules whose antecedents they have bought, best first,
each with the rule that explains it; ``holdout_hit_rate`` checks them against what customers
bought next, beside a most-popular baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
from scipy import sparse

from crm_lab import privacy
from crm_lab.basket import mining
from crm_lab.basket.mining import SEPARATOR, Rules
from crm_lab.basket.rules import (
    RULE_COLUMNS,
    association_rules,
    frequent_itemsets,
    make_baskets,
)
from crm_lab.core.lines import ITEM_COLUMNS, day_end, item_labels, present, sale_lines

__all__ = ["holdout_hit_rate", "recommend"]


def _histories(transactions: pd.DataFrame, *, end: pd.Timestamp, start=None, level="product"):
    sales = sale_lines(
        transactions,
        end=end,
        start=start,
        customers_only=True,
        products_only=True,
        columns=["customer_id", *ITEM_COLUMNS],
    )
    item = item_labels(sales, level=level)
    return (
        pd.DataFrame({"customer_id": sales["customer_id"], "item": item}).dropna().drop_duplicates()
    )


COLUMNS = ["customer_id", "rank", "item", "confidence", "lift", "because"]

# Rules are matched in tiers of rank: the best FIRST_TIER rules, then GROWTH times as many,
# and so on; a customer meets a later tier only while they still lack recommendations. A
# customer who bought much is served by the first tiers, one who bought little has few rules
# to look at anyway. (1024 and 2 were the fastest of those tried on Online Retail.)
FIRST_TIER = 1024
GROWTH = 2
# At most about this many (customer, rule) candidates are held at once.
CANDIDATES = 1 << 22


@dataclass
class _CodedRules:
    """One-item-consequent rules as arrays over the item codes of ``names`` (sorted)."""

    names: pd.Index
    antecedent: np.ndarray  # (m, w) int32 codes, short rows padded with -1
    consequent: np.ndarray  # (m,) int32 codes
    confidence: np.ndarray
    lift: np.ndarray
    because: Callable[[np.ndarray], np.ndarray]  # rule positions -> "a, b => c" texts


def _coded_rules(rules: Rules | pd.DataFrame) -> _CodedRules:
    """The one-item-consequent rules of a ``Rules`` or a rules table, as item codes."""
    if isinstance(rules, Rules):
        single = np.flatnonzero((rules.consequent >= 0).sum(axis=1) == 1)
        by_name = np.argsort(rules.names, kind="stable")
        code_of = np.full(len(by_name) + 1, -1, dtype=np.int32)  # the last one: padding
        code_of[by_name] = np.arange(len(by_name), dtype=np.int32)
        head = rules.consequent[single]
        head = head[np.arange(len(single)), np.argmax(head >= 0, axis=1)]

        def because(r):
            body = rules.tuples(rules.antecedent[single[r]])
            end = rules.names[head[r]]
            return np.array(
                [f"{SEPARATOR.join(b)} => {e}" for b, e in zip(body, end, strict=True)],
                dtype=object,
            )

        return _CodedRules(
            names=pd.Index(rules.names[by_name]),
            antecedent=code_of[rules.antecedent[single]],
            consequent=code_of[head],
            confidence=rules.confidence[single],
            lift=rules.lift[single],
            because=because,
        )
    heads = rules["consequent_items"]
    single = np.flatnonzero(np.fromiter(map(len, heads), dtype=np.int64, count=len(heads)) == 1)
    bodies = list(rules["antecedent_items"].iloc[single])
    width = np.fromiter(map(len, bodies), dtype=np.int64, count=len(bodies))
    flat = list(chain.from_iterable(bodies))
    ends = [next(iter(t)) for t in heads.iloc[single]]
    # every name coded by one hash pass, then the codes renumbered in the names' sorted order
    codes, found = pd.factorize(np.array([*flat, *ends], dtype=object))
    by_name = np.argsort(np.asarray(found, dtype=object), kind="stable")
    renumber = np.empty(len(by_name), dtype=np.int32)
    renumber[by_name] = np.arange(len(by_name), dtype=np.int32)
    codes = renumber[codes]
    names = pd.Index(np.asarray(found, dtype=object)[by_name])
    antecedent = np.full((len(single), max(1, int(width.max(initial=0)))), -1, dtype=np.int32)
    rows = np.repeat(np.arange(len(single)), width)
    antecedent[rows, np.arange(len(flat)) - np.repeat(np.cumsum(width) - width, width)] = codes[
        : len(flat)
    ]
    texts = rules["antecedent"].to_numpy()[single], rules["consequent"].to_numpy()[single]
    return _CodedRules(
        names=names,
        antecedent=antecedent,
        consequent=codes[len(flat) :],
        confidence=rules["confidence"].to_numpy()[single],
        lift=rules["lift"].to_numpy()[single],
        because=lambda r: texts[0][r] + " => " + texts[1][r],
    )


def _expand(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, vectorised."""
    total = int(lengths.sum())
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(total, dtype=np.int64)


def recommend(
    transactions: pd.DataFrame,
    rules: Rules | pd.DataFrame,
    *,
    as_of,
    top_n: int = 5,
    level: str = "product",
    chunk: int = 1024,
) -> pd.DataFrame:
    """Turn each customer's purchase history and the rules into top-N items they have not bought.

    A rule fires for a customer when they have bought every item of its antecedent; its
    consequent is recommended unless they already bought it. An item's score is the best
    confidence among the rules that recommend it (then lift), and ``because`` names that rule,
    so every recommendation explains itself. Only rules with one item on the right are used.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions; a customer's history is their sale lines up to ``as_of``.
    rules : Rules or DataFrame
        From ``mine_rules`` (compact, fastest) or ``association_rules`` (a table with
        ``antecedent``, ``consequent``, ``antecedent_items``, ``consequent_items``,
        ``confidence`` and ``lift``).
    as_of : date-like
        Inclusive last day of the histories.
    top_n : int
        Most recommendations per customer.
    level : {"product", "category"}
        What the rules' items are (as in ``make_baskets``).
    chunk : int
        Customers scored together (fewer when the catalogue is large); it bounds memory and
        does not change the result.

    Returns
    -------
    DataFrame
        ``customer_id``, ``rank`` (1 = best), ``item``, ``confidence``, ``lift``, ``because``;
        customers in the order they first appear in ``transactions``, each one's items by
        rank. Items that tie on confidence and lift are ranked by name. Of two rules that
        recommend the same item with the same confidence and lift, ``because`` names the one
        whose first antecedent item comes last by name, then the one later in ``rules``: the
        order in which the earlier implementation (a sparse product of every customer with
        every rule) happened to meet them, kept so that the output did not change.

    Examples
    --------
    >>> import pandas as pd
    >>> from crm_lab import basket
    >>> rules = pd.DataFrame({
    ...     "antecedent": ["tea", "cake, tea"], "consequent": ["cake", "jam"],
    ...     "antecedent_items": [("tea",), ("cake", "tea")],
    ...     "consequent_items": [("cake",), ("jam",)],
    ...     "confidence": [0.5, 0.9], "lift": [1.5, 3.0]})
    >>> tx = pd.DataFrame({"customer_id": ["c1", "c2", "c2"], "invoice_id": ["1", "2", "2"],
    ...     "product_name": ["tea", "tea", "cake"], "product_id": ["t", "t", "k"],
    ...     "quantity": 1, "line_type": "sale",
    ...     "ordered_at": pd.to_datetime(["2024-01-02"] * 3)})
    >>> basket.recommend(tx, rules, as_of="2024-01-31")[["customer_id", "rank", "item", "because"]]
      customer_id  rank  item           because
    0          c1     1  cake       tea => cake
    1          c2     1   jam  cake, tea => jam
    """
    # Written here rather than taken from a library: mlxtend and pyfim mine rules but do not
    # recommend, and the sparse product this replaces matched every customer with every rule
    # sharing an item (170 s and 4.8 GB on Online Retail). tests/basket/test_recommend.py
    # checks it against that product, kept there as the reference.
    end = day_end(as_of)
    hist = _histories(transactions, end=end, level=level)
    coded = _coded_rules(rules)
    if hist.empty or not len(coded.consequent) or top_n < 1:
        return pd.DataFrame(columns=COLUMNS)
    cust_codes, customers = pd.factorize(hist["customer_id"])
    n_items = len(coded.names)
    item_codes = coded.names.get_indexer(hist["item"])
    known = item_codes >= 0  # items in no rule neither fire nor are recommended
    owned = sparse.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.int8), (cust_codes[known], item_codes[known])),
        shape=(len(customers), n_items),
    )
    buyers = np.bincount(item_codes[known], minlength=n_items)

    # rank every rule once: confidence, lift, item name, then the earlier implementation's
    # order among rules for the same item (its sparse product listed a customer's rules by
    # their first antecedent item, last first, then the later rule first)
    body = np.where(coded.antecedent < 0, n_items, coded.antecedent)  # padding: n_items
    first = body.min(axis=1)
    usable = np.flatnonzero((first < n_items) & (coded.consequent >= 0))
    r_width = max(1, int(len(first)).bit_length())
    i_width = max(1, int(n_items).bit_length())
    order = usable[
        mining.pack_order(
            [
                mining.float_key(coded.confidence[usable], descending=True),
                mining.float_key(coded.lift[usable], descending=True),
                coded.consequent[usable],
                n_items - first[usable],
                len(first) - usable,
            ],
            [64, 64, i_width, i_width, r_width],
        )
    ]
    body, head = body[order], coded.consequent[order]
    # each rule is looked up under the item of its antecedent that the fewest customers bought
    cost = np.append(buyers, np.iinfo(np.int64).max)[body]
    pivot = body[np.arange(len(body)), cost.argmin(axis=1)]
    bounds = [0]
    while bounds[-1] < len(order):
        bounds.append(min(len(order), max(FIRST_TIER, GROWTH * bounds[-1])))
    # per tier, its rules by pivot item (rank order kept within an item): by_slot[starts[s] :
    # starts[s + 1]] are the rules of slot s = tier * n_items + item
    small = np.uint16 if n_items < 1 << 16 else np.int64  # 16 bits: numpy's radix sort
    by_slot = np.concatenate(
        [
            a + np.argsort(pivot[a:b].astype(small), kind="stable")
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    )
    tier = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    slot = tier.astype(np.int64) * n_items + pivot[by_slot]
    starts = np.searchsorted(slot, np.arange((len(bounds) - 1) * n_items + 1))

    chosen_c, chosen_p = [], []
    # a chunk holds two customers x items boolean matrices: at most 64 MB each, whatever
    # the catalogue
    chunk = max(1, min(chunk, (1 << 26) // (n_items + 1)))
    for lo in range(0, len(customers), chunk):
        part = owned[lo : lo + chunk]
        have = np.zeros((part.shape[0], n_items + 1), dtype=bool)
        have[:, :n_items] = part.toarray() > 0
        have[:, n_items] = True  # the padding is "bought": rules of any length test alike
        taken = np.zeros((part.shape[0], n_items), dtype=bool)  # recommended already
        need = np.full(part.shape[0], top_n, dtype=np.int64)
        pair_c = np.repeat(np.arange(part.shape[0]), np.diff(part.indptr))
        pair_i = part.indices.astype(np.int64)
        for t in range(len(bounds) - 1):
            active = need[pair_c] > 0
            if not active.any():
                break
            pc, pi = pair_c[active], pair_i[active]
            lo_slot = starts[t * n_items + pi]
            sizes = starts[t * n_items + pi + 1] - lo_slot
            per_customer = np.bincount(pc, weights=sizes, minlength=part.shape[0])
            # batches of whole customers, each about CANDIDATES (customer, rule) pairs
            cut = np.searchsorted(
                np.cumsum(per_customer),
                np.arange(1, 1 + int(per_customer.sum() // CANDIDATES)) * CANDIDATES,
            )
            edges = np.unique(np.concatenate([[0], cut, [part.shape[0]]]))
            pair_edges = np.searchsorted(pc, edges)
            for a, b in zip(pair_edges[:-1], pair_edges[1:], strict=True):
                c = np.repeat(pc[a:b], sizes[a:b])
                p = by_slot[_expand(lo_slot[a:b], sizes[a:b])]
                fires = ~have[c, head[p]]
                for k in range(body.shape[1]):
                    fires &= have[c, body[p, k]]
                c, p = c[fires], p[fires]
                x = head[p]
                fresh = ~taken[c, x]
                c, p, x = c[fresh], p[fresh], x[fresh]
                by_rank = np.lexsort((p, c))
                c, p, x = c[by_rank], p[by_rank], x[by_rank]
                _, best = np.unique(c * n_items + x, return_index=True)  # first = best rule
                best.sort()
                c, p, x = c[best], p[best], x[best]
                group = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
                within = np.arange(len(c)) - np.repeat(group, np.diff(np.r_[group, len(c)]))
                keep = within < need[c]
                c, p, x = c[keep], p[keep], x[keep]
                taken[c, x] = True
                need -= np.bincount(c, minlength=len(need))
                chosen_c.append(c + lo)
                chosen_p.append(p)
    c = np.concatenate(chosen_c) if chosen_c else np.zeros(0, dtype=np.int64)
    p = np.concatenate(chosen_p) if chosen_p else np.zeros(0, dtype=np.int64)
    if not len(c):
        return pd.DataFrame(columns=COLUMNS)
    final = np.lexsort((p, c))
    c, r = c[final].astype(np.int64), order[p[final]]
    group = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    within = np.arange(len(c)) - np.repeat(group, np.diff(np.r_[group, len(c)]))
    out = pd.DataFrame(
        {
            "customer_id": customers[c].astype(str),
            "rank": within.astype(np.int64) + 1,
            "item": coded.names[coded.consequent[r]],
            "confidence": coded.confidence[r],
            "lift": coded.lift[r],
            "because": coded.because(r),
        }
    )
    return out[COLUMNS]


def _holdout_hits(
    before: pd.DataFrame, after: pd.DataFrame, recs: pd.DataFrame, popular, *, top_n: int
) -> tuple[int, int, int, int]:
    """The holdout's histories, recommendations and best sellers into its four counts.

    ``before`` and ``after`` are (customer, item) pairs bought before and after the cut,
    ``recs`` the recommendations made at the cut, ``popular`` the items by popularity. A
    customer counts when they bought on both sides; a hit is a recommended item among those
    they bought after and not before; the baseline recommends the ``top_n`` most popular items
    they had not bought. Returns (customers, customers with recommendations, hits, baseline
    hits).

    Computed on integer codes, not on a Python set per customer: at 20 M order lines the
    sets held 1.5 GB of item names and the loop over 128 k customers took half a minute.
    ``tests/basket/test_recommend.py`` proves it equal to the plain per-customer loop.
    """
    # pandas' hash tables throughout: numpy's unique, isin and setdiff1d took a minute here
    customers = pd.Index(before["customer_id"].unique()).intersection(
        pd.Index(after["customer_id"].unique())
    )
    names = (
        pd.Index(
            pd.unique(pd.concat([before["item"], after["item"], recs["item"]], ignore_index=True))
        )
        .append(pd.Index(popular))
        .drop_duplicates()
    )
    width = np.int64(len(names))

    def keys(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        who = customers.get_indexer(pairs["customer_id"])
        what = names.get_indexer(pairs["item"])
        kept = who >= 0
        return who[kept].astype("int64"), who[kept] * width + what[kept]

    _, bought = keys(before)
    _, later = keys(after)
    new = pd.Index(later[~_within(later, bought)])  # bought after the cut for the first time
    rec_who, rec_keys = keys(recs)
    hits = _distinct(rec_who[_within(rec_keys, new)])
    # the baseline: each customer's top_n best sellers among those they had not bought. With
    # a customer's owned ranks sorted, o_0 < o_1 < ..., the j-th rank not owned is j plus the
    # number of i with o_i - i <= j.
    bought = np.sort(pd.unique(bought))
    rank = pd.Index(popular).get_indexer(names[bought % width])
    owner = bought // width
    owned = rank >= 0
    owner, rank = owner[owned], rank[owned]
    order = np.lexsort((rank, owner))
    owner, rank = owner[order], rank[order]
    first = np.searchsorted(owner, np.arange(len(customers)))
    gap = rank - (np.arange(len(rank)) - first[owner])
    span = np.int64(len(popular) + 1)
    ladder = owner * span + gap
    who = np.repeat(np.arange(len(customers), dtype="int64"), top_n)
    j = np.tile(np.arange(top_n, dtype="int64"), len(customers))
    taken = np.searchsorted(ladder, who * span + j, side="right") - first[who]
    pick = j + taken
    shown = pick < len(popular)
    popular_codes = names.get_indexer(popular)
    base_keys = who[shown] * width + popular_codes[pick[shown]]
    base_hits = _distinct(who[shown][_within(base_keys, new)])
    return len(customers), _distinct(rec_who), hits, base_hits


def _within(values: np.ndarray, pool) -> np.ndarray:
    return pd.Series(values).isin(pool).to_numpy()


def _distinct(values: np.ndarray) -> int:
    return len(pd.unique(values))


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
    # the columns the training baskets and histories read: a copy of them, not of every column
    read = ["invoice_id", "customer_id", "ordered_at", "quantity", "line_type", "grain"]
    train = transactions.loc[
        transactions["ordered_at"] < cut, present(transactions, read + list(ITEM_COLUMNS))
    ]
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
    recs = recommend(train, rules, as_of=cut - pd.Timedelta(days=1), top_n=top_n, level=level)
    popular = np.asarray(b.items)[
        np.argsort(-np.asarray(b.matrix.sum(axis=0)).ravel(), kind="stable")
    ]
    n, with_recs, hits, base_hits = _holdout_hits(before, after, recs, popular, top_n=top_n)
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
