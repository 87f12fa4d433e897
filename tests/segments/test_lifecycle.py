"""Lifecycle stages and the flow between them, by hand."""

import pandas as pd

from crm_lab.segments import lifecycle, migration


def _tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at"])
    return frame.assign(
        ordered_at=pd.to_datetime(frame["ordered_at"]), line_type="sale", quantity=1.0, amount=1.0
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


def test_a_customer_first_seen_after_the_as_of_day_is_no_prospect_on_it(tmp_path):
    """Without a customers file, the customers are derived from the order lines: one who first
    buys after the as-of day was not known on it (the file cut at that day has no such
    customer), so it is not a "potential" customer then."""
    from crm_lab import ingest

    (tmp_path / "transactions.csv").write_text(
        "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "1,a,2025-01-10,p,1,10\n2,b,2025-02-05,p,1,10\n",
        "utf-8",
    )
    data = ingest.read_clean(tmp_path)
    staged = lifecycle.stages(data["transactions"], as_of="2025-01-31", customers=data["customers"])
    assert staged.set_index("customer_id")["stage"].to_dict() == {"a": "new"}
    later = lifecycle.stages(data["transactions"], as_of="2025-02-28", customers=data["customers"])
    assert later.set_index("customer_id")["stage"].to_dict() == {"a": "new", "b": "new"}
