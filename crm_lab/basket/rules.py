"""Order lines into baskets, frequent itemsets and association rules, mlxtend-shaped and exact.

Mining runs in Christian Borgelt's C implementation (the ``pyfim`` package): mlxtend's
FP-growth gives the same itemsets but measured here 28-31x slower on Online Retail
(``bench/bench_basket.py``), and memory grows with it. crm_lab keeps mlxtend's interface and
output shape (``support``, ``confidence``, ``lift``, ``leverage``, ``conviction``) with snake_case
columns, itemsets as readable strings plus sorted tuples, and computes every metric from exact
integer counts: thresholds are inclusive and exact, so a rule with confidence 16/20 passes a 0.8
threshold (floating point drops it in mlxtend).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import sparse

from crm_lab import privacy
from crm_lab.basket import mining
from crm_lab.basket.mining import ALGORITHMS, RULE_COLUMNS, Itemsets, Rules
from crm_lab.core.lines import ITEM_COLUMNS, day_end, item_labels, sale_lines

__all__ = [
    "ALGORITHMS",
    "RULE_COLUMNS",
    "Rules",
    "Baskets",
    "Itemsets",
    "association_rules",
    "baskets_from_lists",
    "estimate_work",
    "frequent_itemsets",
    "make_baskets",
    "mine_itemsets",
    "mine_rules",
    "rule_stability",
    "rules_by_segment",
]


@dataclass
class Baskets:
    """Baskets as a sparse 0/1 matrix: one row per basket (invoice), one column per item."""

    matrix: sparse.csr_matrix
    items: list[str]
    basket_ids: list[str]

    def __post_init__(self):
        """Hold the matrix as CSR 0/1 with no stored zeros: a stored 0 is not a purchase.

        scipy keeps explicitly stored zeros in ``data`` (and in ``indices``, which is what
        mining reads), so a matrix built by hand from counts would otherwise count every stored
        0 as bought. The caller's matrix is not changed.
        """
        matrix = sparse.csr_matrix(self.matrix, copy=True)
        if matrix.shape != (len(self.basket_ids), len(self.items)):
            raise ValueError(
                f"matrix has shape {matrix.shape}, expected (len(basket_ids), len(items)) = "
                f"({len(self.basket_ids)}, {len(self.items)})"
            )
        matrix.sum_duplicates()
        if (matrix.data < 0).any():
            raise ValueError(
                f"matrix holds a negative value ({matrix.data.min().item()!r}); expected 0 "
                "(not bought) or a positive count (bought)"
            )
        matrix.eliminate_zeros()
        matrix.data = np.ones(len(matrix.data), dtype=np.int8)
        self.matrix = matrix

    @property
    def n_baskets(self) -> int:
        return self.matrix.shape[0]

    def transactions(self, *, min_count: int = 1) -> list[list[str]]:
        """The baskets as lists of item names (what ``pyfim`` mines), rarer items left out."""
        items = np.asarray(self.items, dtype=object)
        matrix = self.matrix
        if min_count > 1:
            counts = np.asarray(matrix.sum(axis=0)).ravel()
            matrix = matrix[:, counts >= min_count]
            items = items[counts >= min_count]
        indptr, indices = matrix.indptr, matrix.indices
        return [items[indices[indptr[i] : indptr[i + 1]]].tolist() for i in range(matrix.shape[0])]

    def to_frame(self) -> pd.DataFrame:
        """A dense boolean frame, the one-hot input mlxtend's functions expect."""
        return pd.DataFrame(self.matrix.toarray().astype(bool), columns=self.items)


def make_baskets(
    transactions: pd.DataFrame, *, as_of, level: str = "product", min_item_count: int = 1
) -> Baskets:
    """Turn sale lines up to the as-of day into baskets: invoice x item, 0/1, sparse.

    Parameters
    ----------
    transactions : DataFrame
        Canonical, cleaned transactions: only ``line_type == "sale"`` lines with a positive
        quantity count (cancellations, returns and non-product lines are left out).
    as_of : date-like
        Inclusive cut-off day: lines ordered after it are left out. Required, so that a
        period's baskets never hold later orders.
    level : {"product", "category"}
        Items are product names (falling back to product ids) or categories.
    min_item_count : int
        Items bought in fewer baskets are dropped (baskets left empty are dropped too).
    """
    sales = sale_lines(
        transactions,
        end=day_end(as_of),
        products_only=True,
        columns=["invoice_id", *ITEM_COLUMNS],
    )
    item = item_labels(sales, level=level)
    if level == "category":
        if item.isna().all() and len(sales):
            raise ValueError("level='category' needs a category column; this data has none")
    pairs = pd.DataFrame({"basket": sales["invoice_id"], "item": item}).dropna().drop_duplicates()
    counts = pairs["item"].value_counts()
    keep = counts[counts >= min_item_count].index
    pairs = pairs[pairs["item"].isin(keep)]
    return _from_pairs(_texts(pairs["basket"]), _texts(pairs["item"]))


def _texts(values: pd.Series) -> pd.Series:
    """Ids or names into texts; a categorical's categories only (``engine.item_lines``),
    not a Python string per line (at 100 M order lines, several GB)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.rename_categories(values.cat.categories.astype(str))
    return values.astype(str)


def baskets_from_lists(baskets: list[list[str]]) -> Baskets:
    """Turn a list of baskets (each a list of item names) into ``Baskets``."""
    rows = [(str(i), str(item)) for i, items in enumerate(baskets) for item in set(items)]
    frame = pd.DataFrame(rows, columns=["basket", "item"])
    return _from_pairs(frame["basket"], frame["item"])


def _from_pairs(basket: pd.Series, item: pd.Series) -> Baskets:
    b_codes, b_ids = pd.factorize(basket, sort=False)
    i_codes, i_names = pd.factorize(item, sort=True)
    matrix = sparse.csr_matrix(
        (np.ones(len(b_codes), dtype=np.int8), (b_codes, i_codes)),
        shape=(len(b_ids), len(i_names)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return Baskets(matrix=matrix, items=list(i_names), basket_ids=list(b_ids))


def _min_count(min_support: float, n: int) -> int:
    """The smallest count whose support count/n is at least min_support, exactly."""
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be in (0, 1], got {min_support!r}")
    return max(1, math.ceil(Fraction(str(min_support)) * n))


def _projected(f: int, pairs: int, top: int) -> float:
    """Expected number of cliques of up to ``top`` nodes in a random graph of ``f`` nodes and
    ``pairs`` edges: the floor estimate of how many itemsets mining will find."""
    density = pairs / (f * (f - 1) / 2) if f > 1 else 0.0
    log_total = [math.log(f)] if f else []
    for k in range(2, top + 1):
        if density == 0:
            break
        log_total.append(
            math.lgamma(f + 1)
            - math.lgamma(k + 1)
            - math.lgamma(f - k + 1)
            + (k * (k - 1) / 2) * math.log(density)
        )
    if not log_total:
        return 0.0
    top_log = max(log_total)  # log-sum-exp of the expected counts per itemset length
    log_sum = top_log + math.log(sum(math.exp(v - top_log) for v in log_total))
    return float(math.exp(min(log_sum, 700.0)))


def estimate_work(
    baskets: Baskets,
    *,
    min_support: float,
    max_len: int | None = None,
    below: float | None = None,
) -> dict:
    """Estimate how big mining will get before running it.

    Counts the frequent items and, exactly, the frequent pairs (one sparse matrix product),
    then projects the number of longer itemsets as the expected number of cliques in a random
    graph with the pairs' density. Correlated baskets produce more than that, so the projection
    is a floor: when even the floor is huge, mining would exhaust memory.

    With ``below``, the pair count starts from a bound instead: every frequent pair sits in at
    least ``min_count`` baskets, so there are at most ``sum(C(basket size, 2)) / min_count``
    of them. When even that bound projects fewer than ``below`` itemsets, the exact count
    (the costly part) is skipped and ``frequent_pairs`` is the bound.
    """
    n = baskets.n_baskets
    need = _min_count(min_support, n) if n else 1
    x = baskets.matrix
    item_counts = np.asarray(x.sum(axis=0)).ravel()
    keep = np.flatnonzero(item_counts >= need)
    f = len(keep)
    sub = x[:, keep].tocsr()
    sizes = np.diff(sub.indptr).astype(np.int64)
    longest = int(sizes.max()) if n else 0
    top = min(longest, max_len or longest)
    pairs = min(f * (f - 1) // 2, int((sizes * (sizes - 1) // 2).sum() // need))
    exact = below is None or _projected(f, pairs, top) > below
    if exact:
        sub = sub.astype(np.int32)
        co = (sub.T @ sub).tocoo()
        pairs = int(((co.row < co.col) & (co.data >= need)).sum())
    return {
        "baskets": n,
        "items": len(baskets.items),
        "min_count": need,
        "frequent_items": f,
        "frequent_pairs": pairs,
        "pairs_exact": bool(exact),
        "longest_basket": longest,
        "projected_itemsets": _projected(f, pairs, top),
    }


def mine_itemsets(
    baskets: Baskets,
    *,
    min_support: float,
    max_len: int | None = None,
    algorithm: str = "eclat",
    max_itemsets: int = 20_000_000,
) -> Itemsets:
    """Mine the itemsets bought together in at least ``min_support`` of the baskets, compactly.

    The same search as ``frequent_itemsets`` without building its table: the result keeps
    item codes and counts (``Itemsets``), takes a fraction of the memory, and feeds
    ``association_rules`` directly. ``Itemsets.to_frame()`` gives the table.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    n = baskets.n_baskets
    if n == 0:
        return Itemsets(names=np.asarray([], dtype=object), n_baskets=0)
    need = _min_count(min_support, n)
    work = estimate_work(baskets, min_support=min_support, max_len=max_len, below=max_itemsets)
    if work["projected_itemsets"] > max_itemsets:
        raise MemoryError(
            f"min_support={min_support} leaves {work['frequent_items']:,} frequent items and "
            f"{work['frequent_pairs']:,} frequent pairs: at least "
            f"{work['projected_itemsets']:.2g} itemsets would be mined (limit "
            f"{max_itemsets:,}); raise min_support or set max_len"
        )
    counts = np.asarray(baskets.matrix.sum(axis=0)).ravel()
    keep = np.flatnonzero(counts >= need)
    sub = baskets.matrix[:, keep].tocsr()
    flat, bounds = sub.indices.tolist(), sub.indptr.tolist()
    coded = [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    found = mining.mine(
        coded,
        names=np.asarray(baskets.items, dtype=object)[keep],
        n_baskets=n,
        min_count=need,
        max_len=max_len,
        algorithm=algorithm,
    )
    if len(found) > max_itemsets:
        raise MemoryError(f"{len(found):,} itemsets exceed max_itemsets={max_itemsets:,}")
    return found


def frequent_itemsets(
    baskets: Baskets,
    *,
    min_support: float,
    max_len: int | None = None,
    algorithm: str = "eclat",
    max_itemsets: int = 20_000_000,
) -> pd.DataFrame:
    """Mine the itemsets bought together in at least ``min_support`` of the baskets.

    Parameters
    ----------
    baskets : Baskets
        From ``make_baskets`` or ``baskets_from_lists``.
    min_support : float
        Inclusive and exact: an itemset in exactly ``min_support * n`` baskets is kept.
    max_len : int, optional
        Longest itemset mined.
    algorithm : {"eclat", "fpgrowth", "apriori"}
        Interchangeable: the same input gives the same table. Eclat was the fastest on
        Online Retail and Groceries (``bench/bench_basket.py``).
    max_itemsets : int
        A guard rail: when the estimate says the search is larger than this, stop with a
        clear error instead of exhausting memory.

    Returns
    -------
    DataFrame
        ``itemset`` ("a, b", items sorted), ``items`` (sorted tuple), ``length``, ``count`` and
        ``support``, sorted by support (descending), then length, then items.
    """
    return mine_itemsets(
        baskets,
        min_support=min_support,
        max_len=max_len,
        algorithm=algorithm,
        max_itemsets=max_itemsets,
    ).to_frame()


ITEMSET_COLUMNS = ("items", "count")


def _itemsets_for_rules(itemsets, *, n_baskets: int | None) -> Itemsets:
    """Check what ``association_rules`` was given and turn a table into ``Itemsets``.

    A table needs the ``items`` (sorted tuples) and ``count`` columns ``frequent_itemsets``
    returns, and ``n_baskets``; an empty one is an error rather than an empty rule table,
    which would read as "nothing sells together" when nothing was mined at all.
    """
    if isinstance(itemsets, pd.DataFrame):
        missing = [c for c in ITEMSET_COLUMNS if c not in itemsets.columns]
        if missing:
            raise ValueError(
                f"itemsets has no {', '.join(map(repr, missing))} column (columns: "
                f"{list(map(str, itemsets.columns))}); expected the table frequent_itemsets "
                "returns, with 'items' (sorted tuples of item names) and 'count' (baskets)"
            )
        if n_baskets is None:
            raise ValueError("n_baskets is needed when itemsets is a DataFrame, got None")
        if itemsets.empty:
            raise ValueError(
                "itemsets is empty (0 rows): no itemset to build rules from; expected the "
                "frequent itemsets of at least one basket (lower min_support, or check that "
                "baskets were found up to the as-of day)"
            )
        itemsets = Itemsets.from_tuples(
            list(itemsets["items"]), itemsets["count"].to_numpy(), n_baskets=n_baskets
        )
    elif not isinstance(itemsets, Itemsets):
        raise ValueError(
            f"itemsets must be a DataFrame from frequent_itemsets or Itemsets from "
            f"mine_itemsets, got {type(itemsets).__name__}"
        )
    elif not len(itemsets):
        raise ValueError(
            "itemsets is empty (0 itemsets): no itemset to build rules from; expected the "
            "frequent itemsets of at least one basket (lower min_support, or check that "
            "baskets were found up to the as-of day)"
        )
    n = itemsets.n_baskets if n_baskets is None else n_baskets
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n_baskets must be a positive whole number of baskets, got {n!r}")
    return itemsets


def mine_rules(
    itemsets: Itemsets | pd.DataFrame,
    *,
    n_baskets: int | None = None,
    min_confidence: float = 0.8,
    min_lift: float | None = None,
    single_consequent: bool = False,
    max_rules: int = 2_000_000,
    min_baskets: int = privacy.MIN_GROUP,
) -> Rules:
    """Turn frequent itemsets into rules compactly: ``association_rules`` without its table.

    The same rules in the same order, kept as item codes and counts (``Rules``): a fraction
    of the table's memory and time, and what ``recommend`` reads. ``Rules.to_frame()`` gives
    the table. The options are ``association_rules``'.

    Examples
    --------
    >>> from crm_lab import basket
    >>> b = basket.baskets_from_lists([["tea", "cake"], ["tea", "cake"], ["tea"], ["cake"]])
    >>> found = basket.mine_rules(
    ...     basket.mine_itemsets(b, min_support=0.5), min_confidence=0.6, min_baskets=1
    ... )
    >>> len(found), found.confidence.tolist()
    (2, [0.6666666666666666, 0.6666666666666666])
    >>> found.to_frame()[["antecedent", "consequent", "count"]]
      antecedent consequent  count
    0        tea       cake      2
    1       cake        tea      2
    """
    itemsets = _itemsets_for_rules(itemsets, n_baskets=n_baskets)
    n = itemsets.n_baskets if n_baskets is None else n_baskets
    blocks = mining.generate_rules(
        itemsets,
        min_confidence=min_confidence,
        min_lift=min_lift,
        single_consequent=single_consequent,
        max_rules=max_rules,
    )
    return Rules.from_blocks(blocks, names=itemsets.names, n_baskets=n, min_baskets=min_baskets)


def association_rules(
    itemsets: Itemsets | pd.DataFrame,
    *,
    n_baskets: int | None = None,
    min_confidence: float = 0.8,
    min_lift: float | None = None,
    single_consequent: bool = False,
    max_rules: int = 2_000_000,
    min_baskets: int = privacy.MIN_GROUP,
) -> pd.DataFrame:
    """Turn frequent itemsets into rules ``antecedent => consequent`` with exact metrics.

    Parameters
    ----------
    itemsets : Itemsets or DataFrame
        From ``mine_itemsets`` or ``frequent_itemsets`` (all frequent itemsets: every subset's
        count is needed).
    n_baskets : int
        Number of baskets mined (needed with a DataFrame; ``Itemsets`` know it).
    min_confidence : float
        Inclusive and exact (16/20 passes 0.8).
    min_lift : float, optional
        Keep rules whose lift is at least this.
    single_consequent : bool
        Only rules with one item on the right (as R's arules and pyfim produce).
    max_rules : int
        A guard rail: stop with ``MemoryError`` once more rules than this pass, before the
        table is built (each row holds two strings and two tuples; ``mine_rules`` keeps
        millions of rules as integer arrays instead).
    min_baskets : int
        Keep rules whose items are bought together in at least this many baskets (default
        ``privacy.MIN_GROUP``): a rule seen in one basket describes that basket (and its
        buyer). Inclusive; 1 keeps every rule.

    Returns
    -------
    DataFrame
        ``antecedent``, ``consequent`` (readable strings), ``antecedent_items``,
        ``consequent_items`` (sorted tuples), ``baskets`` (baskets holding every item of the
        rule; the same as ``count``), ``count``, ``antecedent_count``,
        ``consequent_count``, ``support``, ``confidence``, ``lift``, ``leverage``,
        ``conviction``; sorted by lift, confidence, support (descending).
    """
    return mine_rules(
        itemsets,
        n_baskets=n_baskets,
        min_confidence=min_confidence,
        min_lift=min_lift,
        single_consequent=single_consequent,
        max_rules=max_rules,
        min_baskets=min_baskets,
    ).to_frame()


def rules_by_segment(
    transactions: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    as_of,
    segment_column: str = "segment",
    min_support: float,
    min_confidence: float,
    level: str = "product",
    max_len: int | None = 3,
    min_baskets: int = privacy.MIN_GROUP,
) -> pd.DataFrame:
    """Mine rules separately within each customer segment (RFM segments, clusters, stages).

    ``segments`` maps ``customer_id`` to any segment column; baskets of customers outside it
    (and anonymous baskets) are left out, and so are lines ordered after ``as_of`` (inclusive
    day, required). Returns the rules with a leading segment column and the number of baskets
    each segment had (``segment_baskets``; ``baskets`` is each rule's own count); a segment
    whose baskets hold no frequent itemset has no rules. ``min_baskets`` is
    ``association_rules``'.
    """
    seg = segments[["customer_id", segment_column]].dropna()
    tx = transactions.merge(seg, on="customer_id", how="inner")
    parts = []
    for name, part in tx.groupby(segment_column, sort=True):
        b = make_baskets(part, as_of=as_of, level=level)
        if b.n_baskets == 0:
            continue
        fi = frequent_itemsets(b, min_support=min_support, max_len=max_len)
        if fi.empty:
            continue
        rules = association_rules(
            fi, n_baskets=b.n_baskets, min_confidence=min_confidence, min_baskets=min_baskets
        )
        parts.append(rules.assign(**{segment_column: name, "segment_baskets": b.n_baskets}))
    if not parts:
        return pd.DataFrame(columns=[segment_column, "segment_baskets"])
    out = pd.concat(parts, ignore_index=True)
    return out[
        [
            segment_column,
            "segment_baskets",
            *[c for c in out.columns if c not in (segment_column, "segment_baskets")],
        ]
    ]


def rule_stability(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Compare the rules of two periods: kept, new and gone rules with their lift in each.

    Returns one row per rule (antecedent, consequent) found in either period, with
    ``lift_before``, ``lift_after`` and ``status`` ("kept", "new", "gone").
    """
    keys = ["antecedent", "consequent"]
    a = before[keys + ["lift"]].rename(columns={"lift": "lift_before"})
    b = after[keys + ["lift"]].rename(columns={"lift": "lift_after"})
    out = a.merge(b, on=keys, how="outer")
    out["status"] = np.select(
        [out["lift_before"].notna() & out["lift_after"].notna(), out["lift_after"].notna()],
        ["kept", "new"],
        default="gone",
    )
    return out.sort_values(["status", *keys], ignore_index=True)
