"""Baskets into frequent itemsets on Spark: MLlib's FP-growth, for baskets beyond one machine.

The embedded miner (``rules.mine_itemsets``, pyfim) is the default and the faster on one
machine; this is the same search done by Spark's own, well-kept ``pyspark.ml.fpm.FPGrowth``
on a Spark session (local mode, a cluster or Spark Connect), so that mining scales with the
cluster. Its itemsets equal the embedded miner's (``tests/basket/test_spark.py`` on Online
Retail), and ``rules.association_rules`` takes them as they are.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from crm_lab.basket.mining import Itemsets
from crm_lab.basket.rules import Baskets

__all__ = ["mine_itemsets_spark"]


def mine_itemsets_spark(
    baskets,
    *,
    session,
    min_support: float,
    max_len: int | None = None,
    partitions: int | None = None,
) -> Itemsets:
    """Baskets (local or a Spark table) into their frequent itemsets, mined by Spark MLlib.

    Parameters
    ----------
    baskets : Baskets or pyspark.sql.DataFrame
        From ``make_baskets``, or a Spark table with one row per basket and an ``items``
        column (an array of distinct item names), which never leaves the cluster.
    session : pyspark.sql.SparkSession
        The engine's session (``crm_lab.engine.connect("spark").session``).
    min_support : float
        Share of baskets, in (0, 1]: an itemset is kept when its count is at least
        ``ceil(min_support * n_baskets)``, the embedded miner's rule, exactly.
    max_len : int, optional
        Longest itemset kept. FP-growth has no such limit: it mines every length and the
        longer itemsets are dropped afterwards (a low support mines long itemsets first).
    partitions : int, optional
        FP-growth's ``numPartitions`` (default: the input's).

    Returns
    -------
    Itemsets
        As ``rules.mine_itemsets`` returns them.

    Examples
    --------
    No baskets need no Spark (``tests/basket/test_spark.py`` runs it on a session):

    >>> from crm_lab.basket import baskets_from_lists
    >>> len(mine_itemsets_spark(baskets_from_lists([]), session=None, min_support=0.5))
    0
    """
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be in (0, 1], got {min_support!r}")
    if isinstance(baskets, Baskets) and baskets.n_baskets == 0:
        return Itemsets(names=np.asarray([], dtype=object), n_baskets=0)
    from pyspark.ml.fpm import FPGrowth

    local = isinstance(baskets, Baskets)
    table = _spark_baskets(baskets, session=session) if local else baskets
    n = baskets.n_baskets if local else table.count()
    if n == 0:
        return Itemsets(names=np.asarray([], dtype=object), n_baskets=0)
    need = max(1, math.ceil(Fraction(str(min_support)) * n))  # as rules.mine_itemsets counts
    # Spark keeps an itemset when freq >= ceil(minSupport * n): half a basket below `need`
    # lands ceil on `need` whatever the float rounding, so both miners draw the same line
    grower = FPGrowth(itemsCol="items", minSupport=(need - 0.5) / n, minConfidence=1.0)
    if partitions:
        grower = grower.setNumPartitions(int(partitions))
    found = grower.fit(table).freqItemsets
    if max_len is not None:
        from pyspark.sql import functions as f

        found = found.where(f.size("items") <= int(max_len))
    rows = found.collect()
    return Itemsets.from_tuples(
        [tuple(r["items"]) for r in rows], [int(r["freq"]) for r in rows], n_baskets=n
    )


def _spark_baskets(baskets: Baskets, *, session):
    """Local baskets into a Spark table of their item lists (one row per basket)."""
    import pandas as pd

    matrix = baskets.matrix.tocsr()
    names = np.asarray(baskets.items, dtype=object)
    bounds = matrix.indptr
    lists = [
        names[matrix.indices[a:b]].tolist() for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    frame = pd.DataFrame({"items": lists})
    key = "spark.sql.execution.arrow.pyspark.enabled"
    before = session.conf.get(key, "false")
    session.conf.set(key, "true")  # lists of text cross to the JVM as Arrow, not row by row
    try:
        return session.createDataFrame(frame, schema="items array<string>")
    finally:
        session.conf.set(key, before)
