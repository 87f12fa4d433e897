import numpy as np
import pandas as pd
import pytest

from crm_lab import synth


def test_same_seed_same_tables_other_seed_other_tables(demo):
    again = synth.make_demo(n_customers=600, seed=7)
    for name in demo.tables:
        pd.testing.assert_frame_equal(demo.tables[name], again.tables[name])
    other = synth.make_demo(n_customers=600, seed=8)
    assert not demo.tables["transactions"].equals(other.tables["transactions"])


def test_size_and_dates_are_parameters():
    small = synth.make_demo(n_customers=100, start="2023-01-01", end="2023-06-30", seed=3)
    tx = small.tables["transactions"]
    assert tx["ordered_at"].min() >= pd.Timestamp("2023-01-01")
    assert tx["ordered_at"].max() < pd.Timestamp("2023-07-01")
    assert small.tables["customers"]["customer_id"].nunique() == 100 + 3  # 3% duplicates
    with pytest.raises(ValueError, match="end"):
        synth.make_demo(n_customers=10, start="2024-01-01", end="2023-01-01")


def test_purchase_frequency_is_pareto_like():
    demo = synth.make_demo(seed=0)  # the default size: 5,000 customers over 24 months
    tx = demo.tables["transactions"]
    sales = tx[tx["line_type"] == "sale"]
    spend = sales.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    top20 = spend.head(int(len(spend) * 0.2)).sum() / spend.sum()
    assert top20 > 0.55, top20
    orders = sales.groupby("customer_id")["invoice_id"].nunique()
    assert (orders == 1).mean() > 0.3  # many one-time buyers
    assert orders.max() >= 20  # and a few heavy buyers


def test_demand_is_seasonal(demo):
    tx = demo.tables["transactions"]
    sales = tx[tx["line_type"] == "sale"]
    by_month = sales.groupby(sales["ordered_at"].dt.month)["amount"].sum()
    assert by_month[11] > 1.4 * by_month.drop([11, 12]).mean()  # Double 11
    assert by_month[2] < by_month.drop([2, 11, 12]).mean()  # Spring Festival dip


def test_planted_pairs_are_bought_together(demo):
    tx = demo.tables["transactions"]
    baskets = tx[tx["line_type"] == "sale"].groupby("invoice_id")["product_name"].agg(set)
    for a, b in demo.truth["planted_pairs"]:
        with_a = baskets[baskets.map(lambda s, a=a: a in s)]
        confidence = with_a.map(lambda s, b=b: b in s).mean()
        base = baskets.map(lambda s, b=b: b in s).mean()
        assert confidence > 0.4 and confidence / base > 4, (a, b, confidence, base)


def test_churned_customers_go_silent(demo):
    tx = demo.tables["transactions"]
    last = tx[tx["line_type"] == "sale"].groupby("customer_id")["ordered_at"].max()
    churned = last.reindex(demo.truth["churned"]).dropna()
    assert len(churned) > 50
    # duplicates can move a churned customer's order to another id, never after the churn date
    assert (churned < pd.Timestamp("2025-12-31") - pd.Timedelta(days=180)).all()
    never = set(demo.truth["never_bought"])
    assert never and never.isdisjoint(set(last.index))


def test_planted_dirt_is_recorded(demo):
    customers = demo.tables["customers"]
    dups = pd.DataFrame(demo.truth["duplicates"])
    assert len(dups) == round(0.03 * 600)
    merged = dups.merge(customers, left_on="duplicate_id", right_on="customer_id").merge(
        customers, left_on="original_id", right_on="customer_id", suffixes=("_dup", "_orig")
    )
    digits = lambda s: s.str.replace(r"\D", "", regex=True).str[-11:]  # noqa: E731
    assert (digits(merged["phone_dup"]) == digits(merged["phone_orig"])).all()
    assert (merged["name_dup"] != merged["name_orig"]).all()
    norm = lambda s: s.str.replace(" ", "").str.lower().str.rstrip(".")  # noqa: E731
    assert (norm(merged["name_dup"]) == norm(merged["name_orig"])).all()
    for col in ("email", "birth_date", "city"):
        assert customers[col].isna().any(), col
    types = demo.tables["transactions"]["line_type"].value_counts()
    assert types["cancellation"] > 0 and types["return"] > 0
    assert demo.tables["transactions"]["customer_id"].isna().any()  # anonymous sales
    assert len(demo.truth["malformed_dates"]) == 7


def test_names_and_cities_are_chinese_and_english(demo):
    customers = demo.tables["customers"]
    is_ascii = customers["name"].map(str.isascii)
    assert 0.2 < is_ascii.mean() < 0.6
    assert customers["city"].dropna().isin(["上海", "北京"]).any()
    assert customers["city"].dropna().isin(["London", "Singapore"]).any()


def test_ids_keep_leading_zeros(demo):
    ids = demo.tables["customers"]["customer_id"]
    assert ids.str.startswith("000").all()
    assert np.all(ids.str.len() == 8)
