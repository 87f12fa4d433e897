"""Customer classes and tags, computed by hand on small tables."""

import pandas as pd
import pytest

from crm_lab.segments import classify


def _tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "invoice_id", "ordered_at", "amount"])
    return frame.assign(
        ordered_at=pd.to_datetime(frame["ordered_at"]), line_type="sale", quantity=1.0
    )


TX = _tx(
    [
        # a: buys every 10 days, last on 10-02 -> 90 days silent: at risk (gap 10, 2x = 20)
        ("a", "1", "2025-09-12", 100.0),
        ("a", "2", "2025-09-22", 100.0),
        ("a", "3", "2025-10-02", 100.0),
        # b: one order on 12-20: new, not returning
        ("b", "4", "2025-12-20", 50.0),
        # c: big spender, two orders 200 days apart, last on 12-25: vip, returning, not at risk
        ("c", "5", "2025-06-08", 900.0),
        ("c", "6", "2025-12-25", 900.0),
        ("c", "6", "2025-12-25", 100.0),  # a second line of the same order
        # d: a cancellation only counts nothing
        ("d", "7", "2025-12-02", 10.0),
    ]
)
TX.loc[TX["customer_id"] == "d", "line_type"] = "cancellation"


def test_tags_by_hand():
    tags = classify.customer_tags(TX, as_of="2025-12-31", vip_share=0.3).set_index("customer_id")
    assert list(tags.index) == ["a", "b", "c"]  # d has no sale
    assert tags.loc["a", "tags"] == "returning, at_risk"
    assert tags.loc["a", "median_gap_days"] == 10 and tags.loc["a", "days_since_last"] == 90
    assert tags.loc["b", "tags"] == "new"
    assert tags.loc["c", "tags"] == "returning, vip"  # 30 % of 3 spenders, rounded up: one
    assert tags.loc["c", "purchase_days"] == 2 and tags.loc["c", "recent_spend"] == 1900
    # nothing after as_of: on 10-10, b does not exist yet and a is not yet at risk (9 days)
    early = classify.customer_tags(TX, as_of="2025-10-10").set_index("customer_id")
    assert "b" not in early.index and not early.loc["a", "at_risk"]
    counts = classify.tag_counts(tags.reset_index()).set_index("tag")
    assert list(counts.index) == list(classify.TAGS)  # codes: at_risk, not "at risk"
    assert counts.loc["returning", "customers"] == 2
    assert counts.loc["vip", "customer_share"] == pytest.approx(1 / 3)
    assert classify.customer_tags(TX, as_of="2025-12-31", vip_share=0.34)["vip"].sum() == 2


def test_attribute_classes_by_hand():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "birth_date": pd.to_datetime(["2000-12-31", "2001-01-01", None, "2030-01-01"]),
            "gender": ["F", None, "M", "F"],
            "city": ["Shanghai", None, None, "Beijing"],
            "country": ["CN", "GB", None, "CN"],
            "occupation": ["teacher", None, "engineer", None],
        }
    )
    out = classify.attribute_classes(customers, as_of="2025-12-31").set_index("customer_id")
    assert out.loc["a", "age_band"] == "25-34"  # 25 on its birthday, as_of itself
    assert out.loc["b", "age_band"] == "<25"  # 24 until tomorrow
    assert out.loc["c", "age_band"] == "unknown" and out.loc["d", "age_band"] == "unknown"
    assert out.loc["b", "region"] == "GB" and out.loc["c", "region"] == "unknown"
    assert out.loc["b", "gender"] == "unknown" and out.loc["d", "occupation"] == "unknown"
    counts = classify.class_counts(out, column="age_band").set_index("age_band")
    assert counts.loc["unknown", "customers"] == 2 and counts["customer_share"].sum() == 1


def test_attribute_classes_leave_out_customers_who_signed_up_after_the_as_of_day():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "birth_date": pd.to_datetime(["1990-01-01"] * 3),
            "signup_date": pd.to_datetime(["2025-12-31", "2026-01-01", None]),
            "gender": ["F", "M", "F"],
            "city": ["Shanghai"] * 3,
            "occupation": ["teacher"] * 3,
        }
    )
    out = classify.attribute_classes(customers, as_of="2025-12-31")
    assert out["customer_id"].tolist() == ["a", "c"]  # b signed up the day after


def test_behaviour_classes_by_hand():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "e"]})
    interactions = pd.DataFrame(
        {
            "customer_id": ["a", "b", "b"],
            "interacted_at": pd.to_datetime(["2025-12-20", "2025-06-01", "2026-01-05"]),
        }
    )
    tickets = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "opened_at": pd.to_datetime(["2025-10-01", "2025-10-01", "2025-10-01"]),
            "satisfaction": [5.0, 4.0, 3.0],
        }
    )
    responses = pd.DataFrame(
        {
            "customer_id": ["a", "c"],
            "sent_at": pd.to_datetime(["2025-11-01", "2025-11-01"]),
            "survey_score": [3.0, 8.0],
        }
    )
    out = classify.behaviour_classes(
        TX,
        as_of="2025-12-31",
        customers=customers,
        interactions=interactions,
        tickets=tickets,
        campaign_responses=responses,
    ).set_index("customer_id")
    # orders in the year: a 3, b 1, c 2 -> median 2: a high, b and c low, e none
    assert out["purchase_frequency"].to_dict() == {"a": "high", "b": "low", "c": "low", "e": "none"}
    # b's only recent interaction is after as_of: silent
    assert out["engagement"].to_dict() == {
        "a": "active", "b": "silent", "c": "silent", "e": "silent"
    }  # fmt: skip
    # a rated 5 but scored 3 (a detractor): unsatisfied wins; c: 3 and 8 -> neutral
    assert out["satisfaction"].to_dict() == {
        "a": "unsatisfied", "b": "satisfied", "c": "neutral", "e": "unknown"
    }  # fmt: skip
    bare = classify.behaviour_classes(TX, as_of="2025-12-31")
    assert set(bare["engagement"]) == {"unknown"} and set(bare["satisfaction"]) == {"unknown"}


def test_tags_count_days_and_round_the_vip_line_exactly():
    # two invoices five minutes apart are one purchase: not returning, so never at risk
    same_day = _tx([("z", "1", "2025-10-01 10:00", 5.0), ("z", "2", "2025-10-01 10:05", 5.0)])
    z = classify.customer_tags(same_day, as_of="2025-12-31").iloc[0]
    assert z["purchase_days"] == 1 and not z["returning"] and not z["at_risk"]
    # a purchase on as_of itself is 0 days ago, as rfm's recency
    today = classify.customer_tags(_tx([("y", "1", "2025-12-31 23:00", 5.0)]), as_of="2025-12-31")
    assert today["days_since_last"].iloc[0] == 0
    # 0.07 * 100 is 7.000000000000001 in floating point: still 7 VIPs
    hundred = _tx([(f"c{i:03d}", str(i), "2025-12-01", float(i + 1)) for i in range(100)])
    assert classify.customer_tags(hundred, as_of="2025-12-31", vip_share=0.07)["vip"].sum() == 7
    # zero-quantity lines are not purchases (as in rfm)
    zero = _tx([("q", "1", "2025-12-01", 0.0)]).assign(quantity=0.0)
    assert classify.customer_tags(zero, as_of="2025-12-31").empty


def test_nullable_ratings():
    tickets = pd.DataFrame(
        {
            "customer_id": ["a"],
            "opened_at": pd.to_datetime(["2025-10-01"]),
            "satisfaction": pd.array([1], dtype="Float64"),
        }
    )
    out = classify.behaviour_classes(
        TX, as_of="2025-12-31", customers=pd.DataFrame({"customer_id": ["a", "b"]}), tickets=tickets
    ).set_index("customer_id")
    assert out["satisfaction"].to_dict() == {"a": "unsatisfied", "b": "unknown"}
