import pandas as pd
import pytest

from crm_lab import engine, ingest, quality


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
    comp = quality.completeness(data, as_of="2025-12-31").set_index("column")
    assert comp.loc["customer_id", "filled_share"] == 1.0
    assert comp.loc["name", "filled_share"] == 0.75
    assert comp.loc["email", "filled_share"] == 0.5 and comp.loc["email", "missing"] == 2
    assert comp.loc["phone", "filled_share"] == 0.0
    wide = quality.completeness_matrix(data, as_of="2025-12-31")
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


def test_quarantined_free_text_and_reasons_show_no_contact_details(tmp_path):
    from crm_lab.core.dataset import Dataset, quarantine_frame, quarantine_rows

    # cells of non-personal columns holding contact details, quarantined while reading
    (tmp_path / "transactions.csv").write_text(
        "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "1,a,2025-01-03,p,call 186.9622.3609,10\n"
        "2,a,li.lei at example dot com,p,1,10\n"
        "3,a,2025-01-04,p,tel +44 7400 974929,10\n",
        "utf-8",
    )
    read = quality.quarantine_examples(ingest.load_data(tmp_path))
    # and a free-text column's value whose reason quotes it, as a policy may write
    free = quarantine_rows(
        table="tickets", source_file="/data/tickets.csv", source_line=[7], rule="too_long",
        reason="value 'WeChat 138 001 38000, ID 110105-1949-1231-002X' is over 60 characters",
        action="value_quarantined", column="resolution",
        value="WeChat 138 001 38000, ID 110105-1949-1231-002X",
    )  # fmt: skip
    made = quality.quarantine_examples(Dataset(tables={}, quarantine=quarantine_frame([free])))
    shown = " ".join(str(v) for frame in (read, made) for v in frame.to_numpy().ravel())
    for value in ("9622.3609", "li.lei", "974929", "001 38000", "1949-1231"):
        assert value not in shown, value
    assert len(read) == 3 and "call +86 186****3609" in read["value"].tolist()
    assert made["value"].iloc[0] == "WeChat +86 138****8000, ID 1101-**-**"
    assert made["reason"].iloc[0].startswith("value 'WeChat +86 138****8000, ID 1101-**-**'")


def test_reading_notes_are_masked():
    from crm_lab.core.dataset import Dataset

    notes = ["t.csv: headers not matched: 13800138000, linda@example.com"]
    got = quality.reading_notes(Dataset(tables={}, notes=notes))["note"].tolist()
    assert got == ["t.csv: headers not matched: +86 138****8000, l***@example.com"]


def test_date_coverage_and_transactions_summary(cleaned):
    cov = quality.date_coverage(cleaned, as_of="2025-12-31").set_index("table")
    assert cov.loc["transactions", "first"] >= "2024-01-01"
    assert cov.loc["transactions", "days_since_last"] >= 0
    summary = quality.transactions_summary(cleaned, as_of="2025-12-31").set_index("kind")
    tx = cleaned["transactions"]
    assert summary.loc["cancellation", "lines"] == (tx["line_type"] == "cancellation").sum()
    anon = tx[(tx["line_type"] == "sale") & tx["customer_id"].isna()]
    assert summary.loc["sale_without_customer_id", "amount"] == pytest.approx(anon["amount"].sum())
    assert set(summary.index) <= set(quality.KINDS)
    # the six repeated lines planted at the end of the file are counted by rule, as read
    rules = quality.rule_counts(cleaned).set_index(["table", "rule"])
    assert rules.loc[("transactions", "exact_duplicate"), "count"] == 6
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
        assert queue[column].str.fullmatch(r"P[bcdfghjkmnprstvw]{16}").all()
        assert not queue[column].isin(["c1", "c2", "c3", "c4", "c5"]).any()
    assert set(queue["name"]) == {"刘*", "张*"}
    assert "+86 138****8001" in set(queue["phone"]) | set(queue["other_phone"])
    assert not (set(queue["phone"]) | set(queue["other_phone"])) & {"+8613800138001"}
    assert (queue["customer"] != queue["other"]).all()


def test_order_figures_follow_the_as_of_day_and_file_figures_do_not(tmp_path):
    (tmp_path / "transactions.csv").write_text(
        "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price,line_type\n"
        "1,a,2025-01-31 23:59,p,1,10,sale\n"  # on the as-of day
        "2,,2025-01-15,p,1,30,sale\n"  # no customer id
        "3,a,2025-02-01 00:00,p,2,10,sale\n"  # the next day: not counted up to 31 January
        "C4,,2025-02-03,p,-1,5,cancellation\n"
        "5,b,2025-02-04,p,1,-1,sale\n",  # quarantined (price), a figure about the file
        "utf-8",
    )
    (tmp_path / "customers.csv").write_text(
        "customer_id,name,signup_date\na,Ann,2025-01-02\nb,,2025-02-02\nc,Cy,\n", "utf-8"
    )
    data = ingest.clean_dataset(ingest.load_data(tmp_path))
    day = "2025-01-31"
    kinds = quality.transactions_summary(data, as_of=day).set_index("kind")
    assert kinds["lines"].to_dict() == {"sale": 2, "sale_without_customer_id": 1}
    assert kinds.loc["sale", "invoices"] == 2 and kinds.loc["sale", "amount"] == 40.0
    # 30 of the 40 sold up to the day has no customer id
    # the arithmetic on a few invoices (a page withholds it below privacy.MIN_GROUP invoices)
    assert quality.orders_headline(data, as_of=day, min_group=1) == {
        "sales_without_customer_share": 0.75
    }
    assert quality.orders_headline(data, as_of="2025-02-28", min_group=1) == {
        "sales_without_customer_share": 0.5  # 30 of 60 (invoice 3 is 2 x 10)
    }
    cov = quality.date_coverage(data, as_of=day).set_index("table")
    assert cov.loc["transactions", "last"] == "2025-01-31"
    # customers a (signed up before) and c (no signup date: kept); b signed up after the day
    names = quality.completeness(data, as_of=day).set_index(["table", "column"])
    assert names.loc[("customers", "name"), "filled_share"] == 1.0
    assert quality.up_to(data, "customers", as_of=day)["customer_id"].tolist() == ["a", "c"]
    file_figures = quality.headline(data)  # every row read, whatever its date
    assert file_figures["rows_in"] == 8 and file_figures["rows_quarantined"] == 1
    assert "sales_without_customer_share" not in file_figures


def test_hostile_rows_are_counted_by_rule_and_noted(tmp_path):
    head = "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price,line_type\n"
    raw = (
        head
        + "1,c1,2024-01-05,产品,1,2,sale\n"  # UTF-8 line
        + "2,c1,2024-01-05,P1,-3,2,sale\n"  # a negative sale
        + "3,c1,2024-01-05,P1,1,2,sale\n3,c2,2024-01-05,P2,1,2,sale\n"  # two customers
        + "4,c2,2300-01-01,P1,1,2,sale\n"  # beyond the nanosecond range
    ).encode() + "5,c2,2024-01-06,商品,1,2,sale\n".encode("gb18030")
    (tmp_path / "orders.csv").write_bytes(raw)
    data = ingest.read_clean(tmp_path)
    counts = quality.rule_counts(data).set_index(["table", "rule"])["count"]
    assert counts[("transactions", "negative_sale")] == 1
    assert counts[("transactions", "shared_invoice")] == 2
    assert counts[("transactions", "date_out_of_range")] == 1
    acc = quality.accounting_table(data).set_index("table")
    assert acc.loc["transactions", "rows_in"] == 6
    assert acc.loc["transactions", "rows_quarantined"] == 4
    assert acc.loc["transactions", "rows_clean"] == len(data["transactions"]) == 2
    assert data["transactions"]["product_id"].tolist() == ["产品", "商品"]
    notes = quality.reading_notes(data)["note"].tolist()
    assert (
        "orders.csv: mixed encodings: 1 line(s) read as GB18030 (line 7), the others as UTF-8"
        in notes
    )
    # the snapshot the pages read keeps every count
    again = ingest.read_clean(ingest.save_tables(data, tmp_path / "snap"))
    pd.testing.assert_frame_equal(quality.rule_counts(again), quality.rule_counts(data))
    assert quality.headline(again) == quality.headline(data)


SHOPIFY = (
    "Name,Email,Financial Status,Paid at,Lineitem quantity,Lineitem name,Lineitem price,"
    "Lineitem sku,Total\n"
    "#1001,a@example.com,paid,2025-01-05 10:00:00 +0800,2,Mug,5.00,M1,10.00\n"
    "#1002,b@example.com,paid,2025-01-06 10:00:00 +0800,1,Cup,3.00,C1,3.00\n"
)


def test_column_mapping_of_a_shopify_export(tmp_path):
    path = tmp_path / "shop.csv"
    path.write_text(SHOPIFY, "utf-8")
    table = quality.column_mapping(ingest.load_data(path))
    assert list(table.columns) == quality.MAPPING_TABLE_COLUMNS
    row = table.set_index("table").loc["transactions"]
    assert row["file"] == "shop.csv"  # the name, not the path
    assert (row["profile"], row["read_by"]) == ("shopify", "profile_detected")
    # 7 of the 8 signature headers (the note rounds to a whole percent)
    assert row["confidence"] == 0.88
    pairs = row["mapped"].split("; ")
    assert "quantity ← Lineitem quantity" in pairs
    assert "invoice_id ← Name" in pairs and "unit_price ← Lineitem price" in pairs
    assert row["ignored"] == "Total"  # a profile's layout: the order total is not a line amount
    # the customer records come from the order rows: one header may fill two columns
    customers = table.set_index("table").loc["customers"]
    assert customers["profile"] == "shopify"
    assert {"customer_id ← Email", "email ← Email"} <= set(customers["mapped"].split("; "))


def test_column_mapping_with_a_chosen_profile(tmp_path):
    path = tmp_path / "shop.csv"
    path.write_text(SHOPIFY, "utf-8")
    table = quality.column_mapping(ingest.load_data(path, profile="shopify"))
    assert set(table["read_by"]) == {"profile_chosen"}


def test_column_mapping_with_generic_aliases(tmp_path):
    (tmp_path / "transactions.csv").write_text(
        "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price,Remarks\n"
        "1,C1,2025-01-05,P1,2,5.0,call back\n",
        "utf-8",
    )
    table = quality.column_mapping(ingest.load_data(tmp_path, derive_customers=False))
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["file"], row["table"]) == ("transactions.csv", "transactions")
    assert (row["profile"], row["read_by"]) == ("generic aliases", "generic_aliases")
    assert pd.isna(row["confidence"])
    assert "quantity ← quantity" in row["mapped"].split("; ")
    assert row["ignored"] == "Remarks"


def test_column_mapping_of_an_older_snapshot_is_empty():
    for mappings in (pd.DataFrame(), None):
        data = ingest.Dataset(tables={}, notes=["x.csv: read as utf-8"])
        if mappings is not None:
            data.mappings = mappings
        table = quality.column_mapping(data)
        assert table.empty and list(table.columns) == quality.MAPPING_TABLE_COLUMNS


def test_column_mapping_masks_contact_details_in_headers():
    m = pd.DataFrame(
        {
            "source_file": "/in/t.csv",
            "table": "transactions",
            "profile": "generic aliases",
            "header": ["qty", "13812345678"],
            "column": ["quantity", ""],
            "status": ["mapped", "ignored"],
        }
    )
    row = quality.column_mapping(ingest.Dataset(tables={}, mappings=m)).iloc[0]
    assert "13812345678" not in row["ignored"] and row["ignored"]


def _date_coverage_by_periods(data, *, as_of) -> pd.DataFrame:
    """date_coverage as it was written before issue 13: a pandas Period per dated row."""
    from crm_lab.core.lines import as_of_day, day_end
    from crm_lab.core.schemas import MAIN_DATES

    day, rows = as_of_day(as_of), []
    for table, column in MAIN_DATES.items():
        if table not in data.tables:
            continue
        s = data[table][column].dropna()
        s = s[s < day_end(day)]
        if s.empty:
            continue
        months = pd.period_range(s.min().to_period("M"), s.max().to_period("M"), freq="M")
        seen = set(s.dt.to_period("M"))
        rows.append(
            {"table": table, "column": column, "first": s.min().date().isoformat(),
             "last": s.max().date().isoformat(),
             "days_since_last": int((day - s.max().normalize()).days), "months": len(months),
             "months_without_rows": sum(m not in seen for m in months)}
        )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("as_of", ["2025-12-31", "2025-06-30", "2024-03-15", "2023-01-01"])
def test_date_coverage_counts_months_as_periods_do(cleaned, as_of):
    # months counted as numbers (linear in the rows, issue 13) give the Periods' table exactly
    got = quality.date_coverage(cleaned, as_of=as_of)
    pd.testing.assert_frame_equal(got, _date_coverage_by_periods(cleaned, as_of=as_of))
    assert (got["months_without_rows"] > 0).any() or as_of != "2025-12-31"


# --- the same tables with the order lines on an engine ----------------------------------------


def record_figures(data, *, as_of) -> dict:
    """The data-quality page's figures over order lines (tests/engine compares them on Spark)."""
    return {
        "completeness": quality.completeness(data, as_of=as_of),
        "coverage": quality.date_coverage(data, as_of=as_of),
        "kinds": quality.transactions_summary(data, as_of=as_of),
        "orders": quality.orders_headline(data, as_of=as_of),
    }


def _assert_equal_figures(expected: dict, got: dict) -> None:
    for key, value in expected.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, got[key], obj=key)
        else:
            assert got[key] == value, key


@pytest.fixture(scope="module")
def retail_snapshot(retail, tmp_path_factory):
    return ingest.save_tables(retail, tmp_path_factory.mktemp("retail") / "tables")


@pytest.mark.parametrize("as_of", ["2025-06-30", "2025-12-31"])
def test_order_figures_on_duckdb_equal_pandas_on_the_demo_data(cleaned, tmp_path, as_of):
    folder = ingest.save_tables(cleaned, tmp_path / "tables")
    on_duckdb = ingest.read_clean(folder, engine="duckdb")
    assert engine.is_table(on_duckdb["transactions"]) and list(on_duckdb.tables) == list(
        cleaned.tables
    )  # the same tables in the same order: the page's columns
    expected = record_figures(ingest.read_clean(folder), as_of=as_of)
    assert expected["kinds"]["lines"].sum() > 1000
    _assert_equal_figures(expected, record_figures(on_duckdb, as_of=as_of))
    # the file figures come from the logs, which are read either way
    assert quality.headline(on_duckdb) == quality.headline(cleaned)


def test_order_figures_on_duckdb_equal_pandas_on_online_retail(retail_snapshot):
    on_duckdb = ingest.read_clean(retail_snapshot, engine="duckdb")
    expected = record_figures(ingest.read_clean(retail_snapshot), as_of="2011-12-09")
    kinds = expected["kinds"].set_index("kind")
    assert kinds.at["sale", "lines"] > 390_000 and kinds.at["cancellation", "lines"] > 8_000
    _assert_equal_figures(expected, record_figures(on_duckdb, as_of="2011-12-09"))


def test_the_order_counts_by_hand_on_every_engine(tmp_path):
    lines = pd.DataFrame(
        {
            "invoice_id": ["1", "1", "2", "C1", "3"],
            "customer_id": ["a", None, None, "a", "b"],
            "ordered_at": pd.to_datetime(
                ["2025-01-05", "2025-01-05", "2025-03-01", "2025-01-06", "2026-02-01"]
            ),
            "amount": [10.25, 2.5, 4.0, -10.25, 99.0],
            "line_type": ["sale", "sale", "sale", "cancellation", "sale"],
            "product_name": ["x", None, "y", "x", None],
        }
    )
    for name in ("pandas", "duckdb"):
        t = engine.connect(name).lines(lines)
        kinds = engine.line_kinds(t, end=pd.Timestamp("2026-01-01"))  # b's line is later
        assert kinds.to_dict("list") == {
            "kind": ["cancellation", "sale", "sale_without_customer_id"],
            "lines": [1, 3, 2],
            "invoices": [1, 2, 2],
            "amount": [-10.25, 16.75, 6.5],
        }, name
        filled = engine.filled_counts(
            t, columns=["product_name", "nothing"], at="ordered_at", end=pd.Timestamp("2026-01-01")
        )
        assert filled.to_dict("list") == {
            "column": ["product_name", "nothing"],
            "rows": [4, 4],
            "filled": [3, 0],
        }, name
        span = engine.date_span(t, at="ordered_at", end=pd.Timestamp("2026-01-01"))
        assert span == {
            "first": pd.Timestamp("2025-01-05"),
            "last": pd.Timestamp("2025-03-01"),
            "months_with_rows": 2,
        }, name
        assert engine.date_span(t, at="ordered_at", end=pd.Timestamp("2024-01-01")) is None
