import numpy as np
import pandas as pd
import pytest

from crm_lab.value import rfm


def _tx(rows):
    frame = pd.DataFrame(
        rows, columns=["invoice_id", "customer_id", "ordered_at", "quantity", "amount", "line_type"]
    )
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    frame["invoice_id"] = frame["invoice_id"].astype("string")
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame


TINY = _tx(
    [
        ("1", "a", "2024-01-01 10:00", 2, 20.0, "sale"),
        ("1", "a", "2024-01-01 10:00", 1, 5.0, "sale"),  # second line of the same order
        ("2", "a", "2024-03-30 18:00", 1, 10.0, "sale"),
        ("C2", "a", "2024-03-31 09:00", -1, -10.0, "cancellation"),
        ("3", "b", "2024-03-31 23:59", 4, 40.0, "sale"),  # on the as_of day: counts
        ("4", "b", "2024-04-01 00:00", 9, 900.0, "sale"),  # after as_of: ignored
        ("5", "c", "2024-02-15 12:00", 1, 7.5, "sale"),
        ("R5", "c", "2024-02-20 12:00", -1, -7.5, "return"),
        ("6", None, "2024-03-01 12:00", 1, 99.0, "sale"),  # anonymous: not a customer
        ("7", "d", "2024-03-10 12:00", -2, -4.0, "return"),  # only a return: no purchase
    ]
)


def test_known_answers_by_hand():
    out = rfm.rfm_table(TINY, as_of="2024-03-31").set_index("customer_id")
    assert list(out.index) == ["a", "b", "c"]
    # a: orders 1 and 2, last on 30 Mar -> 1 day before 31 Mar; 20 + 5 + 10 (cancellation apart)
    assert out.loc["a", ["recency_days", "orders", "revenue"]].tolist() == [1, 2, 35.0]
    assert out.loc["a", "tenure_days"] == 90  # 1 Jan -> 31 Mar 2024 (leap year)
    # b: the 31 Mar order counts, the 1 Apr one does not
    assert out.loc["b", ["recency_days", "orders", "revenue"]].tolist() == [0, 1, 40.0]
    # c: one order on 15 Feb, its return is not netted into revenue
    assert out.loc["c", ["recency_days", "orders", "revenue"]].tolist() == [45, 1, 7.5]


def test_input_is_not_modified():
    before = TINY.copy()
    rfm.rfm_segments(rfm.rfm_scores(rfm.rfm_table(TINY, as_of="2024-03-31")))
    pd.testing.assert_frame_equal(TINY, before)


def test_as_of_is_required():
    with pytest.raises(ValueError, match="as_of"):
        rfm.rfm_table(TINY, as_of=None)


def test_edge_cases_empty_and_only_returns():
    empty = rfm.rfm_table(TINY.iloc[:0], as_of="2024-03-31")
    assert list(empty.columns) == rfm.RFM_COLUMNS and empty.empty
    assert rfm.rfm_segments(rfm.rfm_scores(empty)).empty
    only_returns = rfm.rfm_table(TINY[TINY["customer_id"] == "d"], as_of="2024-03-31")
    assert only_returns.empty
    one = rfm.rfm_scores(rfm.rfm_table(TINY[TINY["customer_id"] == "c"], as_of="2024-03-31"))
    assert one[["r_score", "f_score", "m_score"]].iloc[0].tolist() == [1, 1, 1]


def test_scores_by_hand_with_ties():
    table = pd.DataFrame(
        {
            "recency_days": [0, 10, 10, 50, 300],
            "orders": [9, 1, 1, 1, 2],
            "revenue": [5, 4, 3, 2, 1.0],
        }
    )
    scored = rfm.rfm_scores(table)
    # orders: groups {1,1,1} {2} {9}; three groups spread over 1..5 -> 1, 3, 5
    assert scored["f_score"].tolist() == [5, 1, 1, 1, 3]
    # recency (smaller is better): groups {300} {50} {10,10} {0} -> 1, 2, 4, 5
    assert scored["r_score"].tolist() == [5, 4, 4, 2, 1]
    assert scored["m_score"].tolist() == [5, 4, 3, 2, 1]
    assert scored["rfm_code"].tolist() == ["555", "414", "413", "212", "131"]


def test_a_big_tie_group_fills_one_score_and_the_rest_share_the_others():
    # 60 one-time buyers, then 10 each with 2..5 orders
    freq = pd.Series([1] * 60 + [2] * 10 + [3] * 10 + [4] * 10 + [5] * 10)
    table = pd.DataFrame({"recency_days": 0, "orders": freq, "revenue": 1.0})
    f = rfm.rfm_scores(table).groupby("orders")["f_score"].first()
    assert f.to_dict() == {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}


def test_scores_without_ties_are_quintiles_like_pandas_qcut():
    values = pd.Series(np.random.default_rng(3).gamma(2.0, 40.0, 1000))
    table = pd.DataFrame({"recency_days": values, "orders": values, "revenue": values})
    scored = rfm.rfm_scores(table)
    expected = pd.qcut(values, 5, labels=False) + 1
    np.testing.assert_array_equal(scored["m_score"], expected)
    np.testing.assert_array_equal(scored["r_score"], 6 - expected)


def test_scores_do_not_depend_on_row_order():
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(500)],
            "recency_days": rng.integers(0, 400, 500),
            "orders": rng.geometric(0.4, 500),
            "revenue": rng.gamma(2, 50, 500).round(0),
        }
    )
    a = rfm.rfm_scores(table).set_index("customer_id").sort_index()
    b = rfm.rfm_scores(table.sample(frac=1, random_state=1)).set_index("customer_id").sort_index()
    pd.testing.assert_frame_equal(a, b)
    for col in ("r_score", "f_score", "m_score"):
        assert a[col].between(1, 5).all()
    # equal values share a score
    assert (a.groupby("orders")["f_score"].nunique() == 1).all()


def test_every_grid_cell_is_in_exactly_one_segment():
    cells = [(r, f) for _, rs, fs in rfm.SEGMENTS for r in rs for f in fs]
    assert sorted(cells) == [(r, f) for r in range(1, 6) for f in range(1, 6)]
    scored = pd.DataFrame({"r_score": [5, 5, 1, 1, 3], "f_score": [5, 1, 1, 5, 3], "revenue": 1.0})
    seg = rfm.rfm_segments(scored)["segment"].tolist()
    assert seg == ["champions", "new_customers", "lost", "cannot_lose_them", "need_attention"]
    assert rfm.SEGMENT_CODES == tuple(code for code, _, _ in rfm.SEGMENTS)
    # codes are snake_case identifiers: safe as metric keys (segment_cannot_lose_them)
    assert all(code.isidentifier() and code == code.lower() for code in rfm.SEGMENT_CODES)


def test_segment_counts_keys_are_codes():
    scored = pd.DataFrame({"r_score": [1, 2, 5], "f_score": [5, 5, 5]})
    counts = rfm.segment_counts(rfm.rfm_segments(scored), min_group=1)
    assert list(counts) == [f"segment_{code}" for code in rfm.SEGMENT_CODES]
    assert counts["segment_cannot_lose_them"] == 2 and counts["segment_champions"] == 1
    assert sum(counts.values()) == 3 and counts["segment_lost"] == 0


def test_summary_shares_add_up(demo):
    seg = rfm.rfm_segments(
        rfm.rfm_scores(rfm.rfm_table(demo.tables["transactions"], as_of="2025-12-31"))
    )
    summary = rfm.segment_summary(seg)
    assert summary["customers"].sum() == len(seg)
    assert summary["customer_share"].sum() == pytest.approx(1.0)
    assert summary["revenue_share"].sum() == pytest.approx(1.0)
    assert summary["revenue"].sum() == pytest.approx(seg["revenue"].sum())
    assert list(summary["segment"]) == list(rfm.SEGMENT_CODES)
    assert list(summary.columns) == ["segment", "customers", "customer_share", "revenue",
                                     "revenue_share", "avg_recency_days", "avg_orders",
                                     "avg_revenue"]  # fmt: skip
    champions = seg[seg["segment"] == "champions"]
    row = summary.set_index("segment").loc["champions"]
    assert row["avg_orders"] == pytest.approx(champions["orders"].mean())
    assert row["avg_revenue"] == pytest.approx(champions["revenue"].mean())
    # invariants: recency <= tenure, orders >= 1, every customer in exactly one segment
    assert (seg["recency_days"] <= seg["tenure_days"]).all()
    assert (seg["orders"] >= 1).all() and seg["customer_id"].is_unique
    # champions bought more recently and more often than lost customers
    by = seg.groupby("segment")[["recency_days", "orders"]].mean()
    assert by.loc["champions", "recency_days"] < by.loc["lost", "recency_days"]
    assert by.loc["champions", "orders"] > by.loc["lost", "orders"]


def test_online_retail_matches_an_independent_pandas_computation(retail, retail_raw):
    """RFM on UCI Online Retail against a direct pandas computation from the raw file."""
    as_of = pd.Timestamp("2011-12-09")
    raw = retail_raw
    keep = (
        ~raw["InvoiceNo"].astype(str).str.startswith("C")
        & (raw["Quantity"] > 0)
        & raw["CustomerID"].notna()
        & (raw["InvoiceDate"] < as_of + pd.Timedelta(days=1))
    )
    r = raw[keep].assign(amount=lambda d: d["Quantity"] * d["UnitPrice"])
    g = r.groupby(r["CustomerID"].astype(int).astype(str))
    expected = pd.DataFrame(
        {
            "recency_days": (as_of - g["InvoiceDate"].max().dt.normalize()).dt.days,
            "orders": g["InvoiceNo"].nunique(),
            "revenue": g["amount"].sum(),
        }
    ).sort_index()
    got = rfm.rfm_table(retail["transactions"], as_of="2011-12-09").set_index("customer_id")
    # 4,339 customers with a purchase: the figure published for this data set once
    # cancellations and non-positive quantities are removed
    assert len(got) == len(expected) == 4_339
    assert list(got.index) == list(expected.index)
    np.testing.assert_array_equal(got["recency_days"], expected["recency_days"])
    np.testing.assert_array_equal(got["orders"], expected["orders"])
    np.testing.assert_allclose(got["revenue"], expected["revenue"], rtol=1e-9, atol=1e-6)
    assert got.loc["12346", ["recency_days", "orders"]].tolist() == [325, 1]
    # an earlier as_of ignores later lines
    early = rfm.rfm_table(retail["transactions"], as_of="2011-06-30")
    assert early["last_purchase_at"].max() < pd.Timestamp("2011-07-01")
    assert len(early) < len(got)
