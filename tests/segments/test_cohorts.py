"""Cohort retention: a known answer by hand, its invariants, and Online Retail against an
independent pandas computation; the migration between two consecutive months likewise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_lab.segments import cohorts, lifecycle, migration

# a: Jan, (skips Feb), Mar; b: Jan, Feb, Mar; c: Feb only; a line after the as-of day
LINES = pd.DataFrame({
    "invoice_id": list("1234567"),
    "customer_id": list("aabbbca"),
    "ordered_at": pd.to_datetime(["2024-01-05", "2024-03-02", "2024-01-20", "2024-02-03",
                                  "2024-03-09", "2024-02-10", "2024-04-01"]),
    "quantity": 1.0, "amount": [10.0, 5.0, 20.0, 10.0, 10.0, 8.0, 99.0], "line_type": "sale",
})  # fmt: skip


def test_known_answer():
    r = cohorts.cohort_retention(LINES, as_of="2024-03-15")
    jan = r[r["cohort"] == pd.Period("2024-01", "M")].set_index("months_since")
    assert jan["cohort_customers"].unique().tolist() == [2]
    assert jan["active_customers"].tolist() == [2, 1, 2]
    # a came back in March after skipping February
    assert jan["returning_customers"].tolist() == [0, 0, 1]
    assert jan["retained_customers"].tolist() == [2, 2, 2]
    assert jan["revenue"].tolist() == [30.0, 10.0, 15.0]
    assert jan["revenue_retention"].tolist() == pytest.approx([1.0, 1 / 3, 0.5])
    assert jan["partial"].tolist() == [False, False, True]  # 15 March is not the month's end
    feb = r[r["cohort"] == pd.Period("2024-02", "M")].set_index("months_since")
    assert feb["active_customers"].tolist() == [1, 0] and feb["retained_share"].tolist() == [
        1.0, 0.0]  # fmt: skip
    # April's line is after the as-of day: no April row, the same figures with or without it
    pd.testing.assert_frame_equal(r, cohorts.cohort_retention(LINES.iloc[:6], as_of="2024-03-15"))


def _invariants(r: pd.DataFrame) -> None:
    for _, rows in r.groupby("cohort"):
        rows = rows.sort_values("months_since")
        assert rows["active_share"].iloc[0] == 1.0
        assert (np.diff(rows["retained_share"]) <= 1e-12).all()  # never rises
        assert (rows["active_customers"] <= rows["retained_customers"]).all()
        # a rise in the active count comes from returning customers, counted as such
        rise = np.diff(rows["active_customers"].to_numpy())
        assert (rise <= rows["returning_customers"].to_numpy()[1:]).all()


def test_invariants_on_the_demo(demo):
    r = cohorts.cohort_retention(demo.tables["transactions"], as_of="2025-12-31")
    _invariants(r)
    assert r["cohort"].nunique() == 24 and not r["partial"].any()


def _independent_sales(tx: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The purchases, read as the docstring says and nothing shared: sale lines with a
    customer id, a positive quantity and an amount of zero or more, up to the as-of day."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    keep = ((tx["line_type"] == "sale") & (tx["quantity"] > 0) & tx["customer_id"].notna()
            & (tx["amount"] >= 0) & (tx["ordered_at"] < end))  # fmt: skip
    return tx.loc[keep, ["customer_id", "ordered_at", "amount"]]


def test_online_retail_against_pandas(retail):
    r = cohorts.cohort_retention(retail["transactions"], as_of="2011-12-09")
    _invariants(r)
    sales = _independent_sales(retail["transactions"], "2011-12-09")
    month = sales["ordered_at"].dt.to_period("M")
    first = month.groupby(sales["customer_id"]).transform("min")
    since = (month - first).map(lambda offset: offset.n)
    active = pd.crosstab(first, since, values=sales["customer_id"], aggfunc="nunique").fillna(0)
    size = active[0]
    expected = active.div(size, axis=0)
    got = cohorts.retention_matrix(r)
    assert got.index.tolist() == expected.index.tolist()  # 13 cohorts: Dec 2010 to Dec 2011
    assert len(got) == 13
    for k in expected.columns:
        assert got[k].fillna(0).to_numpy() == pytest.approx(expected[k].to_numpy()), k
    revenue = pd.crosstab(first, since, values=sales["amount"], aggfunc="sum").fillna(0)
    got_revenue = cohorts.retention_matrix(r, value="revenue").fillna(0)
    assert got_revenue.to_numpy() == pytest.approx(revenue.to_numpy())
    assert r["partial"].any()  # December 2011 ends on the 9th


def test_online_retail_migration_between_two_months_against_pandas(retail):
    lines = retail["transactions"]
    before = lifecycle.stages(lines, as_of="2011-10-31")
    after = lifecycle.stages(lines, as_of="2011-11-30")
    matrix = migration.migration_matrix(
        migration.compare(before, after, column="stage"), order=lifecycle.STAGES
    )

    # independent: the stages' rules on the raw purchase days, then a cross-tabulation
    def stage_at(day: str) -> pd.Series:
        day = pd.Timestamp(day)
        sales = lines[(lines["line_type"] == "sale") & (lines["quantity"] > 0)
                      & lines["customer_id"].notna()
                      & (lines["ordered_at"] < day + pd.Timedelta(days=1))]  # fmt: skip
        days = sales.assign(day=sales["ordered_at"].dt.normalize()).drop_duplicates(
            ["customer_id", "day"])  # fmt: skip
        per = days.groupby("customer_id")["day"]
        first, last = per.min(), per.max()
        recent = days[days["day"] > day - pd.Timedelta(days=365)].groupby("customer_id").size()
        recent = recent.reindex(first.index, fill_value=0)
        return pd.Series(np.select(
            [(day - last).dt.days > 365, first > day - pd.Timedelta(days=90), recent >= 4],
            ["churned", "new", "loyal"], default="active"), index=first.index)  # fmt: skip

    old, new = stage_at("2011-10-31"), stage_at("2011-11-30")
    both = pd.concat([old.rename("before"), new.rename("after")], axis=1)
    both["before"] = both["before"].fillna(migration.NEW)
    expected = pd.crosstab(both["before"], both["after"])
    got = matrix.loc[expected.index, expected.columns]
    assert (got.to_numpy() == expected.to_numpy()).all()
    # rows add up to the earlier population (and the new customers of November)
    assert matrix.drop(index=migration.NEW).to_numpy().sum() == len(old)
    assert matrix.to_numpy().sum() == len(new)
