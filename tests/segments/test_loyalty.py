"""Membership tiers against retention and value: Wilson intervals equal scipy's, known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crm_lab.segments import loyalty


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 10), (8, 10), (10, 10), (412, 1000)])
def test_wilson_equals_scipy(k, n):
    low, high = loyalty.wilson(np.array([k]), np.array([n]))
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert (low[0], high[0]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_tier_outcomes_known_answer():
    states = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "p"],
        "lifecycle_stage": ["loyal", "churned", "active", "active", "churned", "potential"],
        "revenue": [100.0, 50.0, 30.0, 10.0, 20.0, np.nan],
        "predicted_value": [40.0, 0.0, 12.0, 6.0, 1.0, np.nan],
    })  # fmt: skip
    tier = ["Gold", "Gold", "Bronze", "Bronze", None, "Gold"]
    customers = pd.DataFrame({"customer_id": list("abcdep"), "tier": tier})
    out = loyalty.tier_outcomes(states, customers, order=["Gold", "Bronze"]).set_index("tier")
    assert out.index.tolist() == ["Gold", "Bronze", "unknown"]  # the prospect p not counted
    assert out["customers"].tolist() == [2, 2, 1]
    assert out["active_share"].tolist() == [0.5, 1.0, 0.0]
    assert out.loc["Gold", "mean_revenue"] == 75.0
    # the mean's interval: 75 +- 1.96 * sd / sqrt(2), sd of (100, 50) = 35.36
    half = loyalty.Z95 * np.std([100.0, 50.0], ddof=1) / np.sqrt(2)
    assert (out.loc["Gold", "revenue_low"], out.loc["Gold", "revenue_high"]) == pytest.approx(
        (75 - half, 75 + half))  # fmt: skip
    assert np.isnan(out.loc["unknown", "revenue_low"])  # one customer: no interval
    low, high = loyalty.wilson(np.array([1]), np.array([2]))
    assert out.loc["Gold", "active_low"] == pytest.approx(low[0])


def test_points_bands_and_the_demo(demo):
    from crm_lab.segments import states

    t = demo.tables
    found = states.customer_states(t["transactions"], as_of="2025-12-31",
                                   customers=t["customers"])  # fmt: skip
    by_tier = loyalty.tier_outcomes(found.table, t["customers"],
                                    order=["Platinum", "Gold", "Silver", "Bronze"])  # fmt: skip
    # the demo's tiers follow the purchase rate: higher tiers spend more, intervals apart
    gold = by_tier.set_index("tier")
    assert gold.loc["Platinum", "revenue_low"] > gold.loc["Bronze", "revenue_high"]
    assert by_tier["customers"].sum() == (found.table["lifecycle_stage"] != "potential").sum()
    bands = loyalty.tier_outcomes(found.table, t["customers"], by="points")
    assert set(bands["tier"]) <= {"Q1", "Q2", "Q3", "Q4", "unknown"}
