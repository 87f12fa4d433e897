"""The contact history's figures: known answers by hand, and the forward join against pandas'
merge_asof on random tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_lab.core.intervals import wilson
from crm_lab.service import interactions

LINES = pd.DataFrame(
    {
        "invoice_id": ["1", "2", "3", "4"],
        "customer_id": ["a", "a", "b", "c"],
        "ordered_at": pd.to_datetime(
            ["2024-01-03 12:00", "2024-01-20 12:00", "2024-01-01 18:00", "2024-01-09 10:00"]
        ),
        "quantity": [1.0, 1.0, 1.0, -1.0],
        "amount": [5.0, 5.0, 5.0, -5.0],
        "line_type": ["sale", "sale", "sale", "return"],
    }
)
CONTACTS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "c", "a"],
        "channel": ["email", "sms", "email", "phone", "email"],
        "interacted_at": pd.to_datetime(
            [
                "2024-01-01 09:00",
                "2024-01-10 09:00",
                "2024-01-01 08:00",
                "2024-01-02 09:00",
                "2024-01-28 09:00",
            ]
        ),
    }
)


def test_outcomes_known_answers():
    out = interactions.interaction_outcomes(CONTACTS, LINES, as_of="2024-01-31")
    # the contact of Jan 28 has no full week by Jan 31: left out
    assert len(out) == 4
    got = dict(
        zip(
            zip(out["customer_id"], out["interacted_at"].dt.day, strict=True),
            out["converted"],
            strict=True,
        )
    )
    # a on Jan 1: bought Jan 3 (2 days after); a on Jan 10: next purchase Jan 20 (10 days)
    # b on Jan 1: bought the same day only (not counted); c: a return is no purchase
    assert got == {("a", 1): True, ("a", 10): False, ("b", 1): False, ("c", 2): False}
    assert out.loc[0, "weekday"] == 0 and out.loc[0, "hour"] in (8, 9)  # 2024-01-01: Monday
    longer = interactions.interaction_outcomes(CONTACTS, LINES, as_of="2024-01-31", days=10)
    assert longer["converted"].sum() == 2  # a's Jan 10 contact: Jan 20 is the 10th day


def test_rates_intervals_and_not_enough_data():
    people = [f"e{i % 8}" for i in range(40)] + [f"s{i % 5}" for i in range(10)]
    out = pd.DataFrame(
        {
            "customer_id": people,
            "channel": ["email"] * 40 + ["sms"] * 10,
            "converted": [True] * 10 + [False] * 30 + [True] * 5 + [False] * 5,
        }
    )
    rates = interactions.contact_rates(out).set_index("channel")
    low, high = wilson(10, 40)
    assert rates.loc["email", "rate"] == 0.25 and rates.loc["email", "customers"] == 8
    assert rates.loc["email", ["rate_low", "rate_high"]].tolist() == pytest.approx([low, high])
    assert not rates.loc["sms", "enough"] and pd.isna(rates.loc["sms", "rate"])  # 10 < 30
    # 40 contacts of one customer, or 3 purchases in 40: not enough to describe
    one = out.assign(customer_id="a")
    assert not interactions.contact_rates(one).set_index("channel").loc["email", "enough"]
    few = out.assign(converted=[True] * 3 + [False] * 47)
    assert pd.isna(interactions.contact_rates(few).set_index("channel").loc["email", "rate"])
    groups = pd.Series({p: ("g1" if p.startswith("e") else "g2") for p in set(people)})
    by = interactions.contact_rates(out, groups=groups, min_contacts=5)
    assert by["group"].tolist() == ["g1", "g2"]


def test_the_best_channel_is_clear_only_beyond_chance():
    rows = []
    for channel, n, k in (("email", 200, 80), ("sms", 200, 20), ("phone", 200, 30)):
        rows.append(
            {
                "group": "all",
                "channel": channel,
                "contacts": n,
                "conversions": k,
                "rate": k / n,
                "enough": True,
            }
        )
    best = interactions.best_channels(pd.DataFrame(rows)).iloc[0]
    assert (best["best"], best["runner_up"], best["clearly"]) == ("email", "phone", True)
    close = pd.DataFrame(rows).assign(conversions=[30, 20, 28], rate=[0.15, 0.1, 0.14])
    assert not interactions.best_channels(close).iloc[0]["clearly"]


def test_mix_status_and_intensity():
    mix = interactions.channel_mix(CONTACTS, as_of="2024-01-31")
    assert mix.groupby("period")["share"].sum().round(9).eq(1).all()
    email = mix[(mix["channel"] == "email")]["interactions"].sum()
    assert email == 3
    status = interactions.activity_status(
        CONTACTS, ["a", "b", "c", "d"], as_of="2024-05-31", active_days=125
    ).set_index("customer_id")
    assert status["status"].to_dict() == {"a": "active", "b": "silent", "c": "silent", "d": "never"}
    assert status.loc["a", "days_since_interaction"] == 124
    events = pd.DataFrame({"customer_id": ["a"], "at": pd.to_datetime(["2024-01-20"])})
    weeks = interactions.intensity_before(CONTACTS, events, weeks=3)
    assert weeks["interactions_per_event"].tolist() == [0.0, 1.0, 1.0]  # Jan 10, Jan 1
    before = interactions.contact_before(CONTACTS, LINES, as_of="2024-01-31", weeks=2)
    assert set(before["kind"]) == {"purchase", "no_purchase", "went_silent", "bought_again"}
    contact = interactions.customer_contact(CONTACTS, as_of="2024-01-31").set_index("customer_id")
    assert contact.loc["a", "preferred_channel"] == "email"  # two of three


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_forward_join_equals_merge_asof(seed):
    rng = np.random.default_rng(seed)
    n, m = 3000, 2000
    ids = np.char.add("c", rng.integers(0, 300, n).astype(str))
    contacts = pd.DataFrame(
        {
            "customer_id": pd.array(ids, "string"),
            "interacted_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 200 * 1440, n), unit="min"),
        }
    )
    bought = pd.DataFrame(
        {
            "customer_id": pd.array(
                np.char.add("c", rng.integers(0, 300, m).astype(str)), "string"
            ),
            "day": (
                pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 210, m), unit="D")
            ),
        }
    ).drop_duplicates()
    for days in (1, 7, 30):
        mine = interactions._bought_within(contacts, bought, days=days)  # noqa: SLF001
        start = (contacts["interacted_at"].dt.normalize() + pd.Timedelta(days=1)).astype(
            "datetime64[ns]"
        )
        left = pd.DataFrame(
            {"row": range(n), "start": start, "customer_id": contacts["customer_id"]}
        )
        right = bought.assign(day=bought["day"].astype("datetime64[ns]")).sort_values("day")
        joined = pd.merge_asof(
            left.sort_values("start"),
            right,
            left_on="start",
            right_on="day",
            by="customer_id",
            direction="forward",
        ).sort_values("row")
        expected = (((joined["day"] - joined["start"]) / pd.Timedelta(days=1)) < days).to_numpy()
        assert (mine == expected).all()
