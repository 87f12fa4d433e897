"""Tag rules from YAML with their evidence: known answers, the shipped rules against
classify.customer_tags, errors that name the rule, and the scores export's evidence."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab import cli, ingest, privacy
from crm_lab.segments import classify, tags

AS_OF = "2024-03-31"
LINES = pd.DataFrame({
    "invoice_id": list("12345"), "customer_id": list("aaabc"),
    "ordered_at": pd.to_datetime(["2023-06-01", "2023-07-01", "2023-08-01", "2024-03-20",
                                  "2023-01-10"]),
    "quantity": 1.0, "amount": [50.0, 50.0, 50.0, 900.0, 5.0], "line_type": "sale",
})  # fmt: skip
TICKETS = pd.DataFrame({
    "ticket_id": ["t1", "t2", "t3"], "customer_id": ["a", "a", "a"],
    "opened_at": pd.to_datetime(["2024-01-02", "2024-02-02", "2024-03-02"]),
    "resolved_at": pd.to_datetime(["2024-01-03", None, "2024-03-03"]),
})  # fmt: skip


def test_known_answer_with_evidence():
    rules = tags.check_rules(ingest.read_tag_rules())
    figures = tags.tag_figures(LINES, as_of=AS_OF, tickets=TICKETS)
    out = tags.apply_rules(figures, rules).set_index("customer_id")
    # a: three purchase days a month apart, silent 243 days (> 2 x 30.5 and > 30), 3 tickets
    assert out.loc["a", "tags"] == "returning, at_risk, dormant, frequent_complainer"
    assert out.loc["b", "tags"] == "new, vip"  # 11 days ago; the top 5% of recent spend
    assert out.loc["c", "tags"] == "dormant"  # one purchase 446 days ago: no gap, not at risk
    evidence = dict(e.split(": ", 1) for e in out.loc["a", "evidence"].split(" | "))
    assert evidence["at_risk"] == (
        "purchase_days 3 >= 2; days_since_last 243 > 2 x median_gap_days 30.5 = 61; "
        "days_since_last 243 > 30"
    )
    assert evidence["frequent_complainer"] == "tickets 3 >= 3"
    assert out.loc["b", "evidence"].startswith("new: days_since_first 11 < 90 | vip: ")


def test_without_tickets_a_rule_on_them_does_not_hold():
    figures = tags.tag_figures(LINES, as_of=AS_OF)
    out = tags.apply_rules(figures, tags.check_rules(ingest.read_tag_rules()))
    assert not out["frequent_complainer"].any()


def test_the_shipped_rules_equal_classify_on_the_demo(demo):
    lines = demo.tables["transactions"]
    expected = classify.customer_tags(lines, as_of="2025-12-31").set_index("customer_id")
    figures = tags.tag_figures(lines, as_of="2025-12-31", tickets=demo.tables["tickets"])
    got = tags.apply_rules(figures, tags.check_rules(ingest.read_tag_rules()))
    got = got.set_index("customer_id").reindex(expected.index)
    for tag in classify.TAGS:
        assert (got[tag] == expected[tag]).all(), tag
    assert got["dormant"].sum() == (figures["days_since_last"] > 180).sum()


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"tag": "x", "all": [{"figure": "age", "op": ">", "value": 1}]}, "figure 'age'"),
        ({"tag": "x", "all": [{"figure": "revenue", "op": "~", "value": 1}]}, "op '~'"),
        (
            {"tag": "x", "all": [{"figure": "revenue", "op": ">", "value": "__import__"}]},
            "expected a number",
        ),
        (
            {"tag": "x", "all": [{"figure": "revenue", "op": ">", "value": 1, "run": "x"}]},
            "unknown key",
        ),
        ({"tag": "x", "all": []}, "list of conditions"),
        ({"all": [{"figure": "revenue", "op": ">", "value": 1}]}, "'tag' name"),
    ],
)
def test_a_bad_rule_is_named(rule, says):
    with pytest.raises(ValueError, match="rule 1") as caught:
        tags.check_rules([rule])
    assert says in str(caught.value)


def test_scores_carry_tags_and_evidence_from_a_users_rules(demo_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(privacy.KEY_ENV, "a test key, long enough: 0f3c9e")
    rules = tmp_path / "tags.yaml"
    rules.write_text("tags:\n  - tag: big_spender\n    all:\n"
                     "      - {figure: revenue, op: '>', value: 1000}\n", "utf-8")  # fmt: skip
    out = tmp_path / "scores.csv"
    argv = ["scores", "--data", str(demo_dir), "--as-of", "2025-12-31", "--out", str(out)]
    assert cli.main([*argv, "--tags", str(rules)]) == 0
    scores = pd.read_csv(out, keep_default_na=False)
    big = scores["tags"] == "big_spender"
    assert big.any() and (scores.loc[big, "revenue"].astype(float) > 1000).all()
    assert scores.loc[big, "tag_evidence"].str.match(r"big_spender: revenue [\d.]+ > 1000").all()
    assert (scores.loc[~big, "tag_evidence"] == "").all()
    bad = tmp_path / "bad.yaml"
    bad.write_text("tags:\n  - tag: x\n    all:\n      - {figure: nope, op: '>', value: 1}\n")
    assert cli.main([*argv, "--tags", str(bad)]) == 2
