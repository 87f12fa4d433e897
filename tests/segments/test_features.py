"""Customer features: known answers on hand-made tables, nothing after the as-of day, groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_lab import engine
from crm_lab.segments import features

AS_OF = "2024-03-31"
LINES = pd.DataFrame({
    "invoice_id": ["1", "1", "2", "3", "C3", "4", "5", "9"],
    "customer_id": ["a", "a", "a", "b", "b", "b", None, "a"],
    "ordered_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00", "2024-03-01 09:00",
                                  "2024-02-10 12:00", "2024-02-11 12:00", "2024-03-31 23:59",
                                  "2024-03-05 12:00", "2024-04-01 00:00"]),
    "quantity": [1.0, 1.0, 2.0, 1.0, -1.0, 1.0, 1.0, 5.0],
    "amount": [30.0, 10.0, 60.0, 20.0, -20.0, 5.0, 7.0, 999.0],
    "line_type": ["sale", "sale", "sale", "sale", "cancellation", "sale", "sale", "sale"],
    "category": ["tea", "cups", "tea", "cups", "cups", None, "tea", "tea"],
    "channel": ["app", "app", "store", "online", "online", "online", "store", "app"],
})  # fmt: skip
CUSTOMERS = pd.DataFrame({
    "customer_id": ["a", "b", "c"],
    "birth_date": pd.to_datetime(["1990-04-01", "1980-03-31", None]),
    "gender": ["F", None, "M"], "occupation": ["teacher", "engineer", None],
    "tier": ["Gold", "Bronze", None], "points": [120.0, -5.0, 0.0],
})  # fmt: skip
INTERACTIONS = pd.DataFrame({
    "customer_id": ["a", "a", "a", "b"],
    "interacted_at": pd.to_datetime(["2024-03-30", "2024-03-01", "2024-04-02", "2022-01-01"]),
    "channel": ["email", "phone", "email", "chat"],
})  # fmt: skip
TICKETS = pd.DataFrame({
    "ticket_id": ["t1", "t2", "t3"], "customer_id": ["b", "b", "a"],
    "opened_at": pd.to_datetime(["2024-02-01", "2024-03-20", "2024-04-05"]),
    "resolved_at": pd.to_datetime(["2024-02-02", "2024-04-03", None]),
    "satisfaction": [2.0, 5.0, None],
})  # fmt: skip
CAMPAIGNS = pd.DataFrame({
    "campaign_id": ["k1", "k2", "k1", "k3"], "customer_id": ["a", "a", "b", "b"],
    "sent_at": pd.to_datetime(["2024-01-05", "2024-02-05", "2024-01-05", "2024-05-01"]),
    "opened": [1, 0, 1, 1], "converted": [1, 0, 0, 1],
})  # fmt: skip


@pytest.fixture(params=["pandas", "duckdb"])
def lines(request):
    return engine.connect(request.param).lines(LINES)


def test_known_answer(lines):
    f = features.customer_features(
        lines, as_of=AS_OF, customers=CUSTOMERS, interactions=INTERACTIONS, tickets=TICKETS,
        campaign_responses=CAMPAIGNS,
    ).set_index("customer_id")  # fmt: skip
    # the anonymous sale and everything after 31 March are left out; c never bought
    assert f.index.tolist() == ["a", "b"]
    a, b = f.loc["a"], f.loc["b"]
    assert (a["recency_days"], a["purchase_days"], a["tenure_days"]) == (30, 2, 90)
    assert (b["recency_days"], b["purchase_days"], b["tenure_days"]) == (0, 2, 50)
    assert (a["revenue"], a["average_order_value"]) == (100.0, 50.0)
    assert (b["revenue"], b["average_order_value"]) == (25.0, 12.5)
    # shares of spend: a 90 of 100 on tea; b's line without a category is not in its mix
    assert a["category=tea"] == pytest.approx(0.9) and a["category=cups"] == pytest.approx(0.1)
    assert b["category=cups"] == 1.0 and b["category=tea"] == 0.0
    # shares of orders by channel: a one app order and one in store; b two online
    assert (a["channel=app"], a["channel=store"], a["channel=online"]) == (0.5, 0.5, 0.0)
    assert b["channel=online"] == 1.0
    # interactions in the last 365 days: a two (the one of 2 April is later), b none
    assert (a["interactions"], a["contact=email"], a["contact=phone"]) == (2, 0.5, 0.5)
    assert b["interactions"] == 0 and np.isnan(b["contact=email"])
    assert (a["days_since_interaction"], b["days_since_interaction"]) == (1, 820)
    # tickets: b's second is resolved after the as-of day, so still open and unrated
    assert (b["tickets"], b["unresolved_tickets"], b["satisfaction"]) == (2, 1, 2.0)
    assert a["tickets"] == 0 and np.isnan(a["satisfaction"])
    assert (a["campaigns_received"], a["open_rate"], a["conversion_rate"]) == (2, 0.5, 0.5)
    assert (b["campaigns_received"], b["open_rate"], b["conversion_rate"]) == (1, 1.0, 0.0)
    # age on the as-of day in whole years: a turns 34 the day after
    assert (a["age"], b["age"]) == (33, 44)
    assert (a["gender"], b["gender"], a["occupation"], a["tier"]) == ("F", None, "teacher", "Gold")
    assert (a["points"], b["points"]) == (120.0, 0.0)  # negative points are none


def test_later_rows_change_nothing():
    later = pd.concat([LINES, LINES.assign(ordered_at=pd.Timestamp("2025-01-01"))])
    kwargs = {"as_of": AS_OF, "customers": CUSTOMERS, "interactions": INTERACTIONS,
              "tickets": TICKETS, "campaign_responses": CAMPAIGNS}  # fmt: skip
    pd.testing.assert_frame_equal(
        features.customer_features(LINES, **kwargs), features.customer_features(later, **kwargs)
    )


def test_only_the_tables_given_make_features():
    lean = LINES.drop(columns=["category", "channel"])
    f = features.customer_features(lean, as_of=AS_OF)
    assert f.columns.tolist() == ["customer_id", "recency_days", "purchase_days", "revenue",
                                  "average_order_value", "tenure_days"]  # fmt: skip
    assert {features.feature_group(c) for c in f.columns[1:]} == {"value", "tenure"}


def test_top_categories_and_the_rest():
    f = features.customer_features(LINES, as_of=AS_OF, max_categories=1)
    assert [c for c in f.columns if c.startswith("category=")] == ["category=(other)",
                                                                   "category=tea"]  # fmt: skip


def test_every_feature_has_a_group_and_a_kind(demo):
    t = demo.tables
    f = features.customer_features(
        t["transactions"], as_of="2025-12-31", customers=t["customers"],
        interactions=t["interactions"], tickets=t["tickets"],
        campaign_responses=t["campaign_responses"],
    )  # fmt: skip
    groups = {features.feature_group(c) for c in f.columns[1:]}
    assert groups == set(features.GROUPS)
    assert f["customer_id"].is_unique
    shares = [c for c in f.columns if features.feature_kind(c) == "share"]
    for prefix in ("category=", "channel="):
        total = f[[c for c in shares if c.startswith(prefix)]].sum(axis=1)
        assert np.allclose(total, 1.0)
