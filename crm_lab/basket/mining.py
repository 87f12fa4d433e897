"""Integer-coded baskets into frequent itemsets and rules: the fast core behind ``basket``.

Mining itself runs in Christian Borgelt's C code (``pyfim``); this module keeps what comes back
compact. pyfim returns one Python tuple per itemset, and on Online Retail at support 0.002
that is 5.6 million tuples: turning each into sorted name tuples and strings, then sorting
the strings, took 6.7x pyfim's own time (``bench/bench_basket.py``). Here the tuples become
one int32 matrix per itemset length (items sorted within each row, rows sorted by count then
items) while the garbage collector is paused, and nothing is turned into text until a table
is asked for (``Itemsets.to_frame``).

Rules are generated on those matrices too, vectorised per itemset length, with heads grown
level by level (a head is only extended when the rule with the smaller head passed the
confidence threshold, Agrawal and Srikant's ap-genrules). Subset counts are found through a
hash of each itemset (a sum of random 64-bit item weights, so a subset's hash is a
subtraction) and every match is confirmed by a second, independent hash. On Online Retail at
support 0.002 this generates the 27 million one-item-consequent rules at confidence 0.8 in a
sixth of the time pyfim's own rule mode takes, in less than half its memory. Tests check the
rules against brute-force enumeration, pyfim's rule mode and mlxtend.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain
from operator import itemgetter

import numpy as np
import pandas as pd

__all__ = [
    "Itemsets",
    "RuleBlock",
    "Rules",
    "float_key",
    "gc_paused",
    "generate_rules",
    "mine",
    "pack_order",
]

SEPARATOR = ", "
ALGORITHMS = ("fpgrowth", "apriori", "eclat")
RULE_COLUMNS = [
    "antecedent",
    "consequent",
    "antecedent_items",
    "consequent_items",
    "baskets",
    "count",
    "antecedent_count",
    "consequent_count",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
]


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector: it rescans millions of fresh tuples over and over
    (pyfim's call alone runs 40 % faster without it) and none of them form cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def pack_order(columns: list[np.ndarray], widths: list[int]) -> np.ndarray:
    """The lexicographic order of rows given as unsigned integer columns of known bit widths.

    Columns are packed into as few 64-bit keys as fit, then ``np.lexsort`` sorts the keys;
    this is several times faster than a lexsort over every column.
    """
    keys, key, used = [], None, 0
    for column, width in zip(columns, widths, strict=True):
        if key is None or used + width > 64:
            if key is not None:
                keys.append(key)
            key, used = np.zeros(len(column), dtype=np.uint64), 0
        column = column.astype(np.uint64)
        key = column if used == 0 else (key << np.uint64(width)) | column
        used += width
    if key is not None:
        keys.append(key)
    return np.lexsort(keys[::-1])


def float_key(values: np.ndarray, *, descending: bool = False) -> np.ndarray:
    """Floats into 64-bit unsigned keys that sort in the same order, for ``pack_order``.

    Equal floats give equal keys (-0.0 and 0.0 too) and NaN sorts last either way, as in
    ``np.lexsort`` on ``-values`` and in pandas; a key of the bits sorts faster than floats.

    >>> x = np.array([0.5, -2.0, np.nan, 0.0, -0.0, 3.0])
    >>> np.argsort(float_key(x), kind="stable").tolist()
    [1, 3, 4, 0, 5, 2]
    >>> np.argsort(float_key(x, descending=True), kind="stable").tolist()
    [5, 0, 3, 4, 1, 2]
    """
    x = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 + 0.0 is 0.0
    bits = x.view(np.uint64)
    sign = np.uint64(1 << 63)
    key = np.where(bits & sign, ~bits, bits | sign)
    if descending:
        key = ~key
    key[np.isnan(x)] = np.iinfo(np.uint64).max
    return key


def joined_text(tuples, *, chunk: int = 500_000):
    """Tuples of names into a string column of ``"a, b"``, in this pandas' default string type.

    ``pd.Series(list_of_str)`` spends seconds per million strings inferring the type; Arrow
    arrays are built in a fraction of that and pandas 3's ``str`` columns wrap them as they
    are. The strings are made and handed to Arrow a chunk at a time, so the Python strings of
    only one chunk exist at once (5.6 million itemsets: 1.2 GB less at the peak).
    """
    dtype = pd.Series(["a"]).dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return np.array(list(map(SEPARATOR.join, tuples)), dtype=object)
    import pyarrow as pa

    with gc_paused():
        pieces = [
            pa.array(list(map(SEPARATOR.join, tuples[i : i + chunk])), type=pa.large_string())
            for i in range(0, len(tuples), chunk)
        ]
    if not pieces:
        pieces = [pa.array([], type=pa.large_string())]
    return pd.array(pa.chunked_array(pieces), dtype=dtype)


@dataclass
class Itemsets:
    """Frequent itemsets kept as integer codes: one block of rows per itemset length.

    ``blocks[k]`` is ``(codes, counts)``: ``codes`` an ``(m, k)`` int32 matrix whose rows are
    sorted item codes, ``counts`` the number of baskets holding each row's items. Rows are
    ordered by count (descending) then items. ``names[code]`` is an item's name; codes follow
    the names' sorted order, so sorted codes are sorted names.
    """

    names: np.ndarray
    n_baskets: int
    blocks: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(counts) for _, counts in self.blocks.values())

    @classmethod
    def from_found(cls, found: list, *, names: np.ndarray, n_baskets: int) -> Itemsets:
        """Build from pyfim's ``[(items, count), ...]`` with items given as integer codes."""
        blocks = {}
        with gc_paused():
            total = len(found)
            sets = list(map(itemgetter(0), found))
            counts = np.fromiter(map(itemgetter(1), found), dtype=np.int64, count=total)
            lengths = np.fromiter(map(len, sets), dtype=np.int64, count=total)
            flat = np.fromiter(chain.from_iterable(sets), dtype=np.int32, count=int(lengths.sum()))
            del sets
        starts = np.zeros(total, dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        by_length = np.argsort(lengths, kind="stable")
        edges = np.searchsorted(lengths[by_length], np.arange(1, lengths.max(initial=0) + 2))
        for k in range(1, len(edges)):
            rows = by_length[edges[k - 1] : edges[k]]
            if len(rows) == 0:
                continue
            codes = flat[starts[rows, None] + np.arange(k)]
            codes.sort(axis=1)
            blocks[k] = cls._ordered(codes, counts[rows], len(names))
        return cls(names=np.asarray(names, dtype=object), n_baskets=n_baskets, blocks=blocks)

    @staticmethod
    def _ordered(codes: np.ndarray, counts: np.ndarray, n_items: int):
        width = max(1, int(n_items).bit_length())
        count_width = max(1, int(counts.max(initial=0)).bit_length())
        top = counts.max(initial=0)
        order = pack_order([top - counts, *codes.T], [count_width, *([width] * codes.shape[1])])
        return np.ascontiguousarray(codes[order]), counts[order]

    @classmethod
    def from_tuples(cls, items: list[tuple], counts, *, n_baskets: int) -> Itemsets:
        """Build from item-name tuples and their counts (a ``frequent_itemsets`` table)."""
        names = np.asarray(sorted({i for t in items for i in t}), dtype=object)
        position = {name: k for k, name in enumerate(names)}
        found = [
            (tuple(position[i] for i in t), int(c)) for t, c in zip(items, counts, strict=True)
        ]
        return cls.from_found(found, names=names, n_baskets=n_baskets)

    def _global_order(self):
        """Concatenated blocks (shortest first) and the order by count, then length, then items."""
        lengths = sorted(self.blocks)
        counts = np.concatenate([self.blocks[k][1] for k in lengths] or [np.zeros(0, np.int64)])
        return lengths, np.argsort(-counts, kind="stable"), counts

    def tuples(self, codes: np.ndarray) -> list[tuple]:
        """Rows of codes as tuples of item names."""
        return list(map(tuple, self.names[codes].tolist()))

    def to_frame(self) -> pd.DataFrame:
        """Itemsets into the mlxtend-shaped table: ``itemset`` ("a, b"), ``items`` (sorted tuple),
        ``length``, ``count``, ``support``; by support (descending), then length, then items."""
        columns = ["itemset", "items", "length", "count", "support"]
        if not len(self):
            return pd.DataFrame(columns=columns)
        lengths, order, counts = self._global_order()
        with gc_paused():
            items = np.empty(len(counts), dtype=object)
            items[:] = list(chain.from_iterable(self.tuples(self.blocks[k][0]) for k in lengths))
            items = items[order]
        length = np.repeat(lengths, [len(self.blocks[k][1]) for k in lengths])[order]
        counts = counts[order]
        return pd.DataFrame(
            {
                "itemset": joined_text(items),
                "items": items,
                "length": length.astype(np.int64),
                "count": counts,
                "support": counts / self.n_baskets,
            }
        )


def mine(
    transactions: list[list[int]],
    *,
    names: np.ndarray,
    n_baskets: int,
    min_count: int,
    max_len: int | None,
    algorithm: str,
) -> Itemsets:
    """Coded baskets into ``Itemsets`` with every itemset in at least ``min_count`` baskets.

    ``transactions`` hold integer codes into ``names``. pyfim leaves out items found in every
    basket (and all their itemsets), so one extra basket holding only a sentinel code keeps
    every real item below 100 % without changing any count.
    """
    import fim

    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be at least 1 (or None for no limit), got {max_len!r}")
    sentinel = len(names)
    with gc_paused():
        found = getattr(fim, algorithm)(
            [*transactions, [sentinel]],
            target="s",
            supp=-min_count,
            zmin=1,
            zmax=-1 if max_len is None else max_len,
            report="a",
        )
        found = [f for f in found if sentinel not in f[0]]
        itemsets = Itemsets.from_found(found, names=names, n_baskets=n_baskets)
        del found
    return itemsets


@dataclass
class RuleBlock:
    """Rules sharing an antecedent length and a consequent length, as integer arrays."""

    antecedent: np.ndarray  # (m, a) sorted codes
    consequent: np.ndarray  # (m, h) sorted codes
    count: np.ndarray  # baskets with antecedent and consequent
    antecedent_count: np.ndarray
    consequent_count: np.ndarray
    tiebreak: np.ndarray  # (itemset position, head mask): a total order independent of the miner


def _padded(blocks: list[np.ndarray]) -> np.ndarray:
    """Code matrices of different widths stacked into one, short rows padded with -1."""
    width = max((b.shape[1] for b in blocks), default=1)
    out = np.full((sum(len(b) for b in blocks), width), -1, dtype=np.int32)
    at = 0
    for b in blocks:
        out[at : at + len(b), : b.shape[1]] = b
        at += len(b)
    return out


@dataclass
class Rules:
    """Rules kept as integer codes, in the order of ``association_rules``' table.

    ``antecedent`` and ``consequent`` are int32 matrices with one row per rule: sorted item
    codes into ``names``, short rows padded with -1 on the right. The counts are baskets
    holding both sides, the antecedent and the consequent. 1.4 million rules take about 60 MB
    here; as a table (two strings and two tuples a row) they took a gigabyte and seconds to
    build, which ``recommend`` never needs: ``to_frame()`` builds it when asked.
    """

    names: np.ndarray
    n_baskets: int
    antecedent: np.ndarray
    consequent: np.ndarray
    count: np.ndarray
    antecedent_count: np.ndarray
    consequent_count: np.ndarray

    def __len__(self) -> int:
        return len(self.count)

    @classmethod
    def from_blocks(
        cls, blocks: list[RuleBlock], *, names: np.ndarray, n_baskets: int, min_baskets: int = 1
    ) -> Rules:
        """Join ``generate_rules``' blocks, sort them as the table is sorted, drop rare rules.

        The order is lift, confidence, support (all descending), then the position of the
        rule's itemset and head (``RuleBlock.tiebreak``): total and independent of the miner.
        Rules whose items are together in fewer than ``min_baskets`` baskets are left out.
        """
        blocks = [b for b in blocks if len(b.count)]
        names = np.asarray(names, dtype=object)
        if not blocks:
            none = np.zeros(0, dtype=np.int64)
            empty = np.zeros((0, 1), dtype=np.int32)
            return cls(names, n_baskets, empty, empty.copy(), none, none.copy(), none.copy())

        def joined(name):
            return np.concatenate([getattr(b, name) for b in blocks])

        count = joined("count").astype(np.int64)
        body = joined("antecedent_count").astype(np.int64)
        head = joined("consequent_count").astype(np.int64)
        a, b, h = count.astype(float), body.astype(float), head.astype(float)
        tiebreak = joined("tiebreak")
        # lift, confidence, count (all descending), then the tiebreak, packed into three keys
        order = pack_order(
            [
                float_key(a * n_baskets / (b * h), descending=True),
                float_key(a / b, descending=True),
                count.max() - count,
                tiebreak[:, 0],
                tiebreak[:, 1],
            ],
            [64, 64, *(max(1, int(c.max()).bit_length()) for c in (count, *tiebreak.T))],
        )
        order = order[count[order] >= min_baskets]
        return cls(
            names=names,
            n_baskets=n_baskets,
            antecedent=_padded([x.antecedent for x in blocks])[order],
            consequent=_padded([x.consequent for x in blocks])[order],
            count=count[order],
            antecedent_count=body[order],
            consequent_count=head[order],
        )

    @property
    def confidence(self) -> np.ndarray:
        return self.count / self.antecedent_count.astype(float)

    @property
    def lift(self) -> np.ndarray:
        a = self.count.astype(float)
        return a * self.n_baskets / (self.antecedent_count.astype(float) * self.consequent_count)

    def tuples(self, codes: np.ndarray) -> np.ndarray:
        """Rows of padded codes as an object array of item-name tuples."""
        out = np.empty(len(codes), dtype=object)
        widths = (codes >= 0).sum(axis=1)
        with gc_paused():
            for w in np.unique(widths):
                rows = np.flatnonzero(widths == w)
                out[rows] = list(map(tuple, self.names[codes[rows, :w]].tolist()))
        return out

    def to_frame(self) -> pd.DataFrame:
        """The rules as ``association_rules``' table (its columns, in its order)."""
        if not len(self):
            return pd.DataFrame(columns=RULE_COLUMNS)
        n = self.n_baskets
        a = self.count.astype(float)
        b = self.antecedent_count.astype(float)
        h = self.consequent_count.astype(float)
        with gc_paused():
            ante, cons = self.tuples(self.antecedent), self.tuples(self.consequent)
            frame = pd.DataFrame(
                {
                    "antecedent": joined_text(ante),
                    "consequent": joined_text(cons),
                    "antecedent_items": ante,
                    "consequent_items": cons,
                }
            )
        frame["baskets"] = self.count.copy()
        frame["count"] = self.count.copy()
        frame["antecedent_count"] = self.antecedent_count.copy()
        frame["consequent_count"] = self.consequent_count.copy()
        frame["support"] = a / n
        frame["confidence"] = a / b
        frame["lift"] = a * n / (b * h)
        frame["leverage"] = a / n - (b / n) * (h / n)
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["conviction"] = np.where(a == b, np.inf, (1 - h / n) / (1 - a / b))
        return frame


class _Lookup:
    """Exact count of any frequent itemset, found by the hash of its items.

    An itemset's hash is the sum of its items' random 64-bit weights (wrapping), so the hash
    of ``itemset - head`` is the itemset's hash minus the head's: no subset is ever built to
    be looked up. A second hash with independent weights is compared on every match, so a
    wrong count needs two 64-bit collisions at once.
    """

    def __init__(self, itemsets: Itemsets):
        rng = np.random.default_rng(20111209)
        self.weights = rng.integers(0, 2**64 - 1, size=(2, len(itemsets.names)), dtype=np.uint64)
        self.start, hashes, checks, counts, at = {}, [], [], [], 0
        for k in sorted(itemsets.blocks):
            codes, block_counts = itemsets.blocks[k]
            self.start[k] = at
            at += len(block_counts)
            first, second = self.hash(codes)
            hashes.append(first)
            checks.append(second)
            counts.append(block_counts)
        empty = np.zeros(0, np.uint64)
        self.index = pd.Index(np.concatenate(hashes) if hashes else empty)
        self.check = np.concatenate(checks) if checks else empty
        self.counts = np.concatenate(counts) if counts else np.zeros(0, np.int64)
        if not self.index.is_unique:  # about one chance in 10^6 for 5 million itemsets
            raise RuntimeError("itemset hash collision (very unlikely): please report it")

    def hash(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both hashes of the itemsets in the rows of a code matrix."""
        return (
            self.weights[0][codes].sum(axis=1, dtype=np.uint64),
            self.weights[1][codes].sum(axis=1, dtype=np.uint64),
        )

    def count(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Counts of the itemsets with these hashes (all must be frequent itemsets)."""
        where = self.index.get_indexer(first)
        if (where < 0).any():
            raise ValueError("an itemset's subset is missing: pass all frequent itemsets")
        if not np.array_equal(self.check[where], second):
            raise RuntimeError("itemset hash collision (very unlikely): please report it")
        return self.counts[where]


def at_least(num: np.ndarray, den: np.ndarray, threshold: Fraction) -> np.ndarray:
    """Whether ``num / den >= threshold`` for integer arrays, exactly.

    Floating point decides every ratio clearly away from the threshold; the few within a
    relative 1e-9 of it are decided in Python integers, which cannot overflow (a threshold
    such as 1/3, read from its decimal form, has a 10^16 denominator: int64 products of it
    would wrap around).
    """
    ratio = num / den
    cut = float(threshold)
    out = ratio >= cut
    near = np.flatnonzero(np.abs(ratio - cut) <= 1e-9 * max(abs(cut), 1e-300))
    for i in near:
        out[i] = int(num[i]) * threshold.denominator >= threshold.numerator * int(den[i])
    return out


def _split(codes: np.ndarray, masks: np.ndarray, k: int, h: int):
    """Rows of sorted codes and head bit masks into (antecedent, consequent) code matrices."""
    in_head = ((masks[:, None] >> np.arange(k)) & 1).astype(np.int8)
    positions = np.argsort(in_head, axis=1, kind="stable")  # body first, then head, in order
    ordered = np.take_along_axis(codes, positions, axis=1)
    return ordered[:, : k - h], ordered[:, k - h :]


def generate_rules(
    itemsets: Itemsets,
    *,
    min_confidence: float,
    min_lift: float | None = None,
    single_consequent: bool = False,
    max_rules: int | None = None,
) -> list[RuleBlock]:
    """Frequent itemsets into rules whose confidence (and lift) pass, exactly.

    Confidence ``count / antecedent_count >= c`` is tested in integers on ``c``'s exact
    fraction (16/20 passes 0.8). Heads grow one item at a time and only from heads that passed:
    moving an item from antecedent to consequent can only lower confidence. ``max_rules``
    stops with ``MemoryError`` as soon as more rules than that have passed.
    """
    conf = Fraction(str(min_confidence))
    lift = Fraction(str(min_lift)) if min_lift is not None else None
    lookup = _Lookup(itemsets)
    n = itemsets.n_baskets
    out: list[RuleBlock] = []

    def test(k, totals, rows, masks, head_hash, split):
        """Keep the rules of these (itemset row, head) pairs that pass; return the pairs that
        pass confidence (the heads to grow). ``totals`` are the itemsets' own hashes."""
        codes, both = itemsets.blocks[k]
        body_hash = [t[rows] - hh for t, hh in zip(totals, head_hash, strict=True)]
        body_count = lookup.count(*body_hash)
        a = both[rows]
        ok = at_least(a, body_count, conf)
        rows, masks, a, body_count = rows[ok], masks[ok], a[ok], body_count[ok]
        head_count = lookup.count(*(hh[ok] for hh in head_hash))
        keep = slice(None)
        if lift is not None:
            keep = at_least(a * n, body_count * head_count, lift)
        body, head = split(codes[rows[keep]], masks[keep])
        out.append(
            RuleBlock(
                antecedent=body,
                consequent=head,
                count=a[keep],
                antecedent_count=body_count[keep],
                consequent_count=head_count[keep],
                tiebreak=np.stack([rows[keep] + lookup.start[k], masks[keep]], axis=1),
            )
        )
        if max_rules is not None and sum(len(r.count) for r in out) > max_rules:
            raise MemoryError(
                f"more than {max_rules:,} rules pass; raise min_confidence, min_lift or "
                "min_support, or set single_consequent or max_len"
            )
        return rows, masks

    for k in sorted(itemsets.blocks):
        if k < 2:
            continue
        codes, both = itemsets.blocks[k]
        if not single_consequent and len(both) << k >= 1 << 62:
            raise ValueError(
                f"itemsets of {k} items have 2^{k} rules each: set single_consequent or max_len"
            )
        weights = [w[codes] for w in lookup.weights]  # (m, k) item weights, per hash
        totals = [w.sum(axis=1, dtype=np.uint64) for w in weights]
        every = np.arange(len(both))
        passed = []
        for b in range(k):  # one-item heads, one position at a time: no masks to decode

            def one(c, _m, b=b):
                return np.delete(c, b, axis=1), c[:, b : b + 1]

            passed.append(
                test(k, totals, every, np.full(len(both), 1 << b), [w[:, b] for w in weights], one)
            )
        rows = np.concatenate([r for r, _ in passed])
        masks = np.concatenate([m for _, m in passed])
        for h in range(2, 1 if single_consequent else k):
            rows, masks = _grow_heads(rows, masks, k)
            if len(rows) == 0:
                break
            bits = ((masks[:, None] >> np.arange(k)) & 1).astype(np.uint64)
            head_hash = [(w[rows] * bits).sum(axis=1, dtype=np.uint64) for w in weights]
            rows, masks = test(
                k, totals, rows, masks, head_hash, lambda c, m, k=k, h=h: _split(c, m, k, h)
            )
    return out


def _grow_heads(rows: np.ndarray, masks: np.ndarray, k: int):
    """Passed (itemset, head) pairs into candidate heads one item larger (ap-genrules).

    A head is extended by an item above its highest one, then kept only if every head one item
    smaller, for the same itemset, passed.
    """
    passed = rows * (1 << k) + masks
    highest = np.zeros(len(masks), dtype=np.int64)
    for bit in range(k):
        highest[(masks >> bit) & 1 == 1] = bit
    new_rows, new_masks = [], []
    for bit in range(1, k):
        pick = highest < bit
        new_rows.append(rows[pick])
        new_masks.append(masks[pick] | (1 << bit))
    rows, masks = np.concatenate(new_rows), np.concatenate(new_masks)
    keep = np.ones(len(rows), dtype=bool)
    for bit in range(k):
        has = (masks >> bit) & 1 == 1
        smaller = rows[has] * (1 << k) + (masks[has] & ~(1 << bit))
        keep[np.flatnonzero(has)[~np.isin(smaller, passed)]] = False
    return rows[keep], masks[keep]
