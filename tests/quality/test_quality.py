import pandas as pd
import pytest

from crm_lab import ingest, quality


@pytest.fixture(scope="module")
def cleaned(demo_dir):
    return ingest.clean_dataset(ingest.load_data(demo_dir))


def test_accounting_table_adds_up(cleaned):
    acc = quality.accounting_table(cleaned)
    assert (
        acc["rows_in"] == acc["rows_clean"] + acc["rows_quarantined"] + acc["rows_merged"]
    ).all()
    for row in acc.itertuples():
        assert len(cleaned[row.table]) == row.rows_clean
    h = quality.headline(cleaned)
    assert h["rows_in"] == acc["rows_in"].sum()
    assert h["duplicate_customers_merged"] == len(cleaned.merge_log) > 0


def test_completeness_by_hand(tmp_path):
    (tmp_path / "customers.csv").write_text(
        "customer_id,name,email\n1,a,a@x.cn\n2,b,\n3,,无\n4,d,d@x.cn\n", "utf-8"
    )
    data = ingest.load_data(tmp_path)
    comp = quality.completeness(data).set_index("column")
    assert comp.loc["customer_id", "filled_share"] == 1.0
    assert comp.loc["name", "filled_share"] == 0.75
    assert comp.loc["email", "filled_share"] == 0.5 and comp.loc["email", "missing"] == 2
    assert comp.loc["phone", "filled_share"] == 0.0
    wide = quality.completeness_matrix(data)
    assert list(wide.columns) == ["column", "customers"]


def test_examples_are_masked(tmp_path):
    (tmp_path / "customers.csv").write_text(
        "customer_id,name,phone,birth_date\n1,张三,12345678901234,2090-01-01\n", "utf-8"
    )
    data = ingest.load_data(tmp_path)
    ex = quality.quarantine_examples(data)
    assert set(ex["rule"]) == {"invalid_phone", "date_out_of_range"}
    assert "12345678901234" not in ex["value"].tolist()
    assert "2090-**-**" in ex["value"].tolist()
    assert ex["file"].tolist() == ["customers.csv", "customers.csv"]


def test_date_coverage_and_transactions_summary(cleaned):
    cov = quality.date_coverage(cleaned, as_of="2025-12-31").set_index("table")
    assert cov.loc["transactions", "first"] >= "2024-01-01"
    assert cov.loc["transactions", "days_since_last"] >= 0
    summary = quality.transactions_summary(cleaned).set_index("kind")
    tx = cleaned["transactions"]
    assert summary.loc["cancellation", "lines"] == (tx["line_type"] == "cancellation").sum()
    anon = tx[(tx["line_type"] == "sale") & tx["customer_id"].isna()]
    assert summary.loc["sale_without_customer_id", "amount"] == pytest.approx(anon["amount"].sum())
    quarantined = summary.loc["quarantined"].set_index("rule")
    assert quarantined.loc["exact_duplicate", "lines"] == 6
    assert set(summary.index) <= set(quality.KINDS)
    assert quality.merge_summary(cleaned)["records_merged"].sum() == len(cleaned.merge_log)


def test_snapshot_keeps_the_logs(cleaned, tmp_path):
    snap = ingest.save_tables(cleaned, tmp_path / "snap")
    again = ingest.read_snapshot(snap)
    assert quality.headline(again) == quality.headline(cleaned)
    pd.testing.assert_frame_equal(
        again.merge_log.reset_index(drop=True),
        cleaned.merge_log.reset_index(drop=True),
        check_dtype=False,
    )


def test_review_queue_is_masked_and_pseudonymised(tmp_path):
    (tmp_path / "customers.csv").write_text(
        "customer_id,name,city,phone,birth_date\n"
        "c1,刘洋,成都,13800138001,\n"
        "c2,刘洋,成都,,\n"  # same name and city, nothing to corroborate: review
        "c3,张三,上海,13800138003,1980-01-01\n"
        "c4,张 三,上海,+86 138 0013 8003,1980-01-01\n"  # same phone: merged, no review
        "c5,张三,上海,,\n",  # looks like c3 and c4, which are one customer now
        "utf-8",
    )
    data = ingest.clean_dataset(ingest.load_data(tmp_path))
    queue = quality.review_queue(data, key=b"test-key")
    assert len(queue) == 2, queue
    for column in ("customer", "other"):
        assert queue[column].str.fullmatch(r"P[0-9a-f]{16}").all()
        assert not queue[column].isin(["c1", "c2", "c3", "c4", "c5"]).any()
    assert set(queue["name"]) == {"刘*", "张*"}
    assert "+86 138****8001" in set(queue["phone"]) | set(queue["other_phone"])
    assert not (set(queue["phone"]) | set(queue["other_phone"])) & {"+8613800138001"}
    assert (queue["customer"] != queue["other"]).all()
