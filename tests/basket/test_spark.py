"""Spark MLlib's FP-growth finds the embedded miner's itemsets (basket.spark)."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from crm_lab import basket, engine, ingest
from crm_lab.basket.spark import mine_itemsets_spark
from tests.basket.test_basket import GROCERIES


@pytest.fixture(scope="module")
def session():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime (17+): `make java` installs one (as root)")
    pytest.importorskip("pyspark", reason="Spark needs pyspark: pip install 'crm_lab[spark]'")
    return engine.connect("spark", spark_master="local[2]", memory_gb=2).session


def _table(itemsets: basket.Itemsets) -> pd.DataFrame:
    """Itemsets as (sorted items, count) rows in one order, whatever the miner."""
    frame = itemsets.to_frame()
    rows = sorted(
        (tuple(sorted(s)), int(c)) for s, c in zip(frame["items"], frame["count"], strict=True)
    )
    return pd.DataFrame(rows, columns=["items", "count"])


LISTS = [
    ["tea", "milk", "bread"],
    ["tea", "milk"],
    ["tea", "bread"],
    ["milk", "bread"],
    ["tea", "milk", "bread", "jam"],
    ["jam"],
    ["tea"],
    ["coffee"],
    ["tea", "milk"],
    ["bread"],
]


def test_known_itemsets_and_the_support_line_drawn_exactly(session):
    # tea 6, milk 5, bread 5, tea+milk 4, tea+bread 3, milk+bread 3, jam 2, tea+milk+bread 2
    found = _table(
        mine_itemsets_spark(basket.baskets_from_lists(LISTS), session=session, min_support=0.3)
    )
    assert found.values.tolist() == [
        [("bread",), 5],
        [("bread", "milk"), 3],
        [("bread", "tea"), 3],
        [("milk",), 5],
        [("milk", "tea"), 4],
        [("tea",), 6],
    ]  # 3 of 10 baskets is 0.3 exactly: kept
    above = _table(
        mine_itemsets_spark(basket.baskets_from_lists(LISTS), session=session, min_support=0.31)
    )
    assert set(above["count"]) == {4, 5, 6}  # 0.31 needs 4 baskets
    short = _table(
        mine_itemsets_spark(
            basket.baskets_from_lists(LISTS), session=session, min_support=0.2, max_len=2
        )
    )
    assert max(map(len, short["items"])) == 2
    assert [("bread", "milk", "tea"), 2] not in short.values.tolist()


def test_a_spark_table_of_baskets_is_mined_where_it_is(session):
    table = session.createDataFrame([(items,) for items in LISTS], schema="items array<string>")
    local = mine_itemsets_spark(basket.baskets_from_lists(LISTS), session=session, min_support=0.2)
    pd.testing.assert_frame_equal(
        _table(mine_itemsets_spark(table, session=session, min_support=0.2)), _table(local)
    )


def test_equals_the_embedded_miner_on_groceries(session):
    baskets = basket.baskets_from_lists(ingest.read_basket_file(GROCERIES))
    expected = _table(basket.mine_itemsets(baskets, min_support=0.005))
    got = _table(mine_itemsets_spark(baskets, session=session, min_support=0.005))
    assert len(expected) > 1000  # arules finds 1,001 itemsets of length 2 and more here
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.slow
def test_equals_the_embedded_miner_on_online_retail(session, retail):
    baskets = basket.make_baskets(retail.tables["transactions"], as_of="2011-12-09")
    expected = _table(basket.mine_itemsets(baskets, min_support=0.005, max_len=3))
    got = _table(mine_itemsets_spark(baskets, session=session, min_support=0.005, max_len=3))
    assert len(expected) > 5000
    pd.testing.assert_frame_equal(got, expected)
