"""The basket page's analyses give the same results on ``engine.item_lines`` as on the lines.

The basket page reads the compact lines (categorical texts, sale and cancelled lines only) that
an engine sends instead of every column of every line; each analysis it shows must not change
for it: rules, itemsets, bundles, the recommendation holdout and seasonality, on the demo data
and on Online Retail.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab import basket, demand, engine, ingest
from crm_lab.core.lines import LINE_COLUMNS, day_end


def _page(transactions: pd.DataFrame, *, as_of: str) -> dict[str, pd.DataFrame]:
    """What the basket page computes, with its parameters."""
    baskets = basket.make_baskets(transactions, as_of=as_of)
    itemsets = basket.frequent_itemsets(baskets, min_support=0.005, max_len=3)
    rules = basket.association_rules(
        itemsets, n_baskets=baskets.n_baskets, min_confidence=0.3, single_consequent=True
    )
    holdout = basket.holdout_hit_rate(
        transactions, as_of=as_of, min_support=0.005, min_confidence=0.05, max_len=2, top_n=5
    )
    return {
        "items": pd.DataFrame({"item": baskets.items}),
        "itemsets": itemsets,
        "rules": rules,
        "holdout": pd.DataFrame([holdout]),
        "bundles": basket.bundles(transactions, itemsets, as_of=as_of, n_baskets=baskets.n_baskets),
        "months": demand.seasonality(transactions, as_of=as_of),
        "weeks": demand.seasonality(transactions, as_of=as_of, by="week", lead_time=4),
    }


def _assert_same_page(lines: pd.DataFrame, *, as_of: str, rules: int) -> None:
    compact = engine.item_lines(lines, end=day_end(as_of))
    assert isinstance(compact["invoice_id"].dtype, pd.CategoricalDtype)
    expected, got = _page(lines, as_of=as_of), _page(compact, as_of=as_of)
    assert len(expected["rules"]) >= rules and len(expected["bundles"]) > 0
    assert expected["holdout"]["customers"].iloc[0] > 50
    for key, table in expected.items():
        # values alike; a text column may come back as a categorical of the same texts
        pd.testing.assert_frame_equal(
            table, got[key], check_dtype=False, check_categorical=False, obj=key
        )


def test_the_basket_page_is_the_same_on_compact_demo_lines(demo_dir):
    lines = ingest.read_clean(demo_dir).tables["transactions"][list(LINE_COLUMNS)]
    _assert_same_page(lines, as_of="2025-12-31", rules=10)


def test_the_basket_page_is_the_same_on_compact_online_retail_lines(retail):
    lines = retail.tables["transactions"][list(LINE_COLUMNS)]
    _assert_same_page(lines, as_of="2011-12-09", rules=10_000)


def test_a_missing_grain_and_a_categorical_grain_select_the_same_sales():
    lines = pd.DataFrame(
        {
            "invoice_id": ["1", "2", "3"],
            "customer_id": ["a", "a", "b"],
            "ordered_at": pd.to_datetime(["2024-01-02"] * 3),
            "quantity": [1.0, 1.0, 1.0],
            "amount": [1.0, 2.0, 3.0],
            "line_type": ["sale"] * 3,
            "grain": ["item", None, "order"],
            "product_id": ["p1", "p2", None],
        }
    )
    compact = engine.item_lines(lines, end=pd.Timestamp("2024-02-01"))
    assert compact["grain"].dtype == "category"
    assert compact["product_name"].tolist()[:2] == ["p1", "p2"]  # the ids: no names here
    assert pd.isna(compact["product_name"].iloc[2])
    on_duckdb = engine.item_lines(engine.connect("duckdb").lines(lines), end="2024-02-01")
    pd.testing.assert_frame_equal(compact, on_duckdb)
    for table in (lines.assign(product_name=None), compact):
        assert basket.make_baskets(table, as_of="2024-01-31").basket_ids == ["1", "2"]


@pytest.mark.parametrize("level", ["product", "category"])
def test_compact_lines_keep_what_each_level_reads(level, demo_dir):
    lines = ingest.read_clean(demo_dir).tables["transactions"]
    compact = engine.item_lines(lines, end=day_end("2025-12-31"))
    full = basket.make_baskets(lines, as_of="2025-12-31", level=level)
    small = basket.make_baskets(compact, as_of="2025-12-31", level=level)
    assert full.items == small.items and full.basket_ids == small.basket_ids
    assert (full.matrix != small.matrix).nnz == 0
