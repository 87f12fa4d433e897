"""Lifecycle stages and the flow between them, by hand."""

import pandas as pd

from crm_lab.segments import lifecycle, migration


def _tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at"])
    return frame.assign(
        ordered_at=pd.to_datetime(frame["ordered_at"]), line_type="sale", quantity=1.0
    )


TX = _tx(
    [
        ("old", "2024-06-01"),  # silent for more than a year: churned
        ("fresh", "2025-12-15"),  # first purchase 16 days ago: new
        ("loyal", "2025-03-01"), ("loyal", "2025-05-01"), ("loyal", "2025-07-01"),
        ("loyal", "2025-09-01"),  # four purchase days in the year: loyal
        ("steady", "2025-01-10"), ("steady", "2025-08-01"),  # two days: active
        ("steady", "2025-08-01"),  # a second line the same day is the same purchase
        ("later", "2026-01-05"),  # after as_of: unknown on 2025-12-31
    ]
)  # fmt: skip
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["lead", "old", "future"],
        "signup_date": pd.to_datetime(["2025-11-01", "2024-01-01", "2026-02-01"]),
    }
)


def test_stages_by_hand():
    staged = lifecycle.stages(TX, as_of="2025-12-31", customers=CUSTOMERS).set_index("customer_id")
    assert staged["stage"].to_dict() == {
        "fresh": "new",
        "lead": "potential",  # signed up, never bought
        "loyal": "loyal",
        "old": "churned",
        "steady": "active",
    }  # "later" bought after as_of and "future" signed up after it: neither is known yet
    assert staged.loc["steady", "recent_purchase_days"] == 2
    counts = lifecycle.stage_counts(staged.reset_index()).set_index("stage")
    assert list(counts.index) == list(lifecycle.STAGES)  # codes, in lifecycle order
    assert counts.loc["loyal", "customers"] == 1 and counts["customer_share"].sum() == 1


def test_flow_between_stages():
    flow = lifecycle.stage_flow(
        TX, as_of="2025-12-31", period_start="2025-12-01", customers=CUSTOMERS
    ).set_index("stage_before")
    # codes in both directions; the columns say what they are
    assert flow.columns.name == "stage" and set(flow.columns) <= set(lifecycle.STAGES)
    # on 2025-11-30 "fresh" was unknown; it is new now
    assert flow.loc[migration.NEW, "new"] == 1
    assert flow.loc["loyal", "loyal"] == 1 and flow.loc["churned", "churned"] == 1
    assert flow.loc["potential", "potential"] == 1  # the lead signed up before the period
    assert flow.to_numpy().sum() == 5
