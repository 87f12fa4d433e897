"""Customers' states: one segment, stage, tier and cluster each, the same counts the pages show,
nothing after the as-of day; and the scores export a CRM imports."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from crm_lab import cli, ingest, privacy
from crm_lab.reporting import states as exports
from crm_lab.segments import classify, clusters, lifecycle, states
from crm_lab.value import rfm

AS_OF = "2025-12-31"


@pytest.fixture(scope="module")
def clean(demo_dir):
    return ingest.read_clean(demo_dir).tables


@pytest.fixture(scope="module")
def found(clean):
    return states.customer_states(
        clean["transactions"], as_of=AS_OF, customers=clean["customers"],
        interactions=clean["interactions"], tickets=clean["tickets"],
        campaign_responses=clean["campaign_responses"],
    )  # fmt: skip


def test_each_customer_once_in_one_of_each(found, clean):
    table = found.table
    assert table.columns.tolist() == list(states.STATE_COLUMNS)
    assert table["customer_id"].is_unique
    assert table["lifecycle_stage"].isin(lifecycle.STAGES).all()
    bought = table["lifecycle_stage"] != "potential"
    for column in ("segment", "value_tier", "cluster", "r_score", "value_basis"):
        assert table.loc[bought, column].notna().all(), column
        assert table.loc[~bought, column].isna().all(), column
    assert table.loc[bought, "segment"].isin(rfm.SEGMENT_CODES).all()
    assert set(table.loc[bought, "value_tier"]) == {"high", "medium", "low"}
    # the tiers hold their shares of the buyers (ties at a boundary go to the lower tier)
    share = table.loc[bought, "value_tier"].value_counts(normalize=True)
    assert share["high"] <= 0.2 and share["high"] + share["medium"] <= 0.5
    assert found.warnings == [] and set(table.loc[bought, "value_basis"]) == {"predicted_value"}


def test_the_same_counts_as_the_pages(found, clean):
    lines = clean["transactions"]
    table = found.table
    segmented = rfm.rfm_segments(rfm.rfm_scores(rfm.rfm_table(lines, as_of=AS_OF)))
    counts = table["segment"].value_counts()
    expected = segmented["segment"].value_counts()
    assert counts.to_dict() == expected.to_dict()
    for key, value in rfm.segment_counts(segmented).items():  # the page's (small ones withheld)
        assert value is None or counts.get(key.removeprefix("segment_"), 0) == value, key
    staged = lifecycle.stage_counts(lifecycle.stages(lines, as_of=AS_OF,
                                                     customers=clean["customers"]))  # fmt: skip
    assert (table["lifecycle_stage"].value_counts().reindex(staged["stage"], fill_value=0)
            .tolist() == staged["customers"].tolist())  # fmt: skip
    tagged = classify.customer_tags(lines, as_of=AS_OF).set_index("customer_id")["tags"]
    mine = table.set_index("customer_id")["tags"]
    assert (mine.reindex(tagged.index) == tagged).all()
    assert (mine.drop(tagged.index) == "").all()  # prospects carry no tag


def test_later_data_changes_nothing(clean):
    cut = clean["transactions"]
    early = cut[cut["ordered_at"] < pd.Timestamp("2025-07-01")]
    a = states.customer_states(early, as_of="2025-06-30").table
    b = states.customer_states(cut, as_of="2025-06-30").table
    pd.testing.assert_frame_equal(a, b)


def test_too_little_history_ranks_revenue_and_says_why():
    lines = pd.DataFrame({
        "invoice_id": [str(i) for i in range(40)],
        "customer_id": [f"c{i:02d}" for i in range(40)],
        "ordered_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(range(40), "D"),
        "quantity": 1.0, "amount": [float(i + 1) for i in range(40)], "line_type": "sale",
    })  # fmt: skip
    found = states.customer_states(lines, as_of="2025-03-31")
    assert [w["code"] for w in found.warnings] == ["model_not_fitted"]
    table = found.table.set_index("customer_id")
    assert (table["value_basis"] == "revenue").all()
    # one purchase each, revenue 1 to 40: the top eight are high, the next twelve medium
    assert table["value_tier"].value_counts().to_dict() == {"low": 20, "medium": 12, "high": 8}
    assert table.loc["c39", "value_tier"] == "high" and table.loc["c00", "value_tier"] == "low"
    assert found.clustering is not None and table["cluster"].notna().all()


def test_scores_command_writes_the_states_for_a_crm(demo_dir, tmp_path, monkeypatch, clean):
    monkeypatch.setenv(privacy.KEY_ENV, "a test key, long enough: 0f3c9e")
    out = tmp_path / "scores.csv"
    assert cli.main(["scores", "--data", str(demo_dir), "--as-of", AS_OF, "--out",
                     str(out)]) == 0  # fmt: skip
    scores = pd.read_csv(out, dtype={"customer_id": str})
    assert scores.columns.tolist() == list(exports.SCORE_COLUMNS)
    # pseudonyms by default, stable per key
    key = privacy.pseudonym_key(None)
    ids = privacy.pseudonymize(clean["customers"]["customer_id"].astype("string"), key=key)
    assert set(scores["customer_id"]) <= set(ids) and not scores["customer_id"].str.isdigit().any()
    # the same clusters as the segments page (ids kept from the day before the month)
    start = pd.Timestamp("2025-12-01")
    period = clusters.cluster_period(
        clean["transactions"], as_of=AS_OF, period_start=start, customers=clean["customers"],
        interactions=clean["interactions"], tickets=clean["tickets"],
        campaign_responses=clean["campaign_responses"],
    )  # fmt: skip
    sizes = period.now.labels["cluster"].value_counts().sort_index()
    assert scores["cluster"].value_counts().sort_index().to_dict() == sizes.to_dict()
    assert scores.groupby("cluster")["cluster_name"].nunique().eq(1).all()
    raw = tmp_path / "raw.csv"
    assert cli.main(["scores", "--data", str(demo_dir), "--as-of", AS_OF, "--out", str(raw),
                     "--raw-ids"]) == 0  # fmt: skip
    with open(raw, encoding="utf-8") as handle:
        raw_ids = {row["customer_id"] for row in csv.DictReader(handle)}
    assert raw_ids == set(clean["customers"]["customer_id"])
