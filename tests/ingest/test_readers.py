import re

import pandas as pd
import pytest

from crm_lab import ingest
from crm_lab.core import schemas
from tests.conftest import RETAIL, sha256


def test_demo_files_load_into_valid_tables(demo, demo_dir):
    before = {p.name: sha256(p) for p in demo_dir.iterdir()}
    data = ingest.load_data(demo_dir)
    assert sorted(data.tables) == sorted(demo.tables)
    for name, frame in data.tables.items():
        assert schemas.validate(frame, name) == [], name
    # input files are never written to
    assert {p.name: sha256(p) for p in demo_dir.iterdir()} == before
    # the customers file has Chinese headers and a BOM; ids keep their leading zeros
    pd.testing.assert_series_equal(
        data["customers"]["customer_id"], demo.tables["customers"]["customer_id"]
    )


def test_planted_malformed_dates_are_all_found(demo, demo_dir):
    data = ingest.load_data(demo_dir)
    q = data.quarantine
    found = {(r.table, r.column, r.source_line - 2) for r in q.itertuples()}
    planted = {(p["table"], p["column"], p["row"]) for p in demo.truth["malformed_dates"]}
    assert found == planted
    # a bad required timestamp quarantines the row; a bad optional date only loses the value
    actions = dict(zip(q["table"], q["action"], strict=False))
    assert actions == {"transactions": "row_quarantined", "customers": "value_quarantined"}
    n_tx_bad = sum(p["table"] == "transactions" for p in demo.truth["malformed_dates"])
    n_appended = len(demo.truth["file_dirt"]["duplicate_lines"])  # cleaning removes them
    assert len(data["transactions"]) == len(demo.tables["transactions"]) - n_tx_bad + n_appended
    counts = data.accounting.set_index("table")
    assert (counts["rows_in"] == counts["rows_clean"] + counts["rows_quarantined"]).all()
    assert counts.loc["transactions", "rows_quarantined"] == n_tx_bad
    assert (q["value"].str.contains("2025-02-30|2024-13-01")).all()


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_missing_required_column_is_one_clear_error(tmp_path):
    path = _write(tmp_path / "orders.csv", "客户ID,下单时间,数量,单价\n1,2024-01-01,1,9.9\n")
    with pytest.raises(ingest.LoadError) as err:
        ingest.read_table(path)
    message = str(err.value)
    assert str(path) in message
    assert "invoice_id" in message and "product_id" in message
    assert "订单号" in message  # the accepted aliases are listed
    assert "headers found: ['客户ID', '下单时间', '数量', '单价']" in message
    assert "9.9" not in message  # never data values


def test_gb18030_file_with_chinese_headers(tmp_path):
    text = (
        "客户编号,客户名称,性别,城市,手机号,注册日期\n"
        "0042,张三,男,上海,13800138000,2024-03-05\n"
        "1234567890123456789,李 四,女,北京,,2024-03-06\n"
    )
    path = _write(tmp_path / "客户.csv", text, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    read = ingest.read_table(path)
    frame, quarantine = read.frame, read.quarantine
    assert list(frame["customer_id"]) == ["0042", "1234567890123456789"]
    assert list(frame["name"]) == ["张三", "李 四"]
    assert list(frame["gender"]) == ["M", "F"]
    assert list(frame["city"]) == ["上海", "北京"]
    assert frame["phone"].iloc[1] is pd.NA
    assert frame["signup_date"].iloc[0] == pd.Timestamp("2024-03-05")
    assert quarantine.empty
    assert schemas.validate(frame, "customers") == []


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8-sig", ","), ("utf-16", "\t"), ("utf-8", ";"), ("utf-8", "|"), ("gb18030", ",")],
)
def test_encodings_and_delimiters(tmp_path, encoding, sep):
    rows = [
        ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
        ["536365", "85123A", "6", "2010-12-01 08:26", "2.55", "17850"],
        ["C536379", "D", "-1", "2010-12-01 09:41", "27.50", "14527"],
    ]
    path = tmp_path / "transactions.csv"
    path.write_bytes(("\n".join(sep.join(r) for r in rows) + "\n").encode(encoding))
    frame = ingest.read_table(path).frame
    assert list(frame["invoice_id"]) == ["536365", "C536379"]
    assert list(frame["line_type"]) == ["sale", "cancellation"]
    assert list(frame["amount"]) == pytest.approx([15.3, -27.5])
    assert frame["ordered_at"].iloc[0] == pd.Timestamp("2010-12-01 08:26")


def test_excel_export(tmp_path):
    path = tmp_path / "customers.xlsx"
    pd.DataFrame(
        {"Customer ID": ["007", "008"], "Name": ["Ann", "Bo"], "Points": ["10", "2.5"]}
    ).to_excel(path, index=False)
    read = ingest.read_table(path)
    frame, quarantine = read.frame, read.quarantine
    assert list(frame["customer_id"]) == ["007", "008"]
    assert list(frame["points"]) == [10.0, 2.5]
    assert quarantine.empty


def test_file_level_errors_name_the_file(tmp_path):
    with pytest.raises(ingest.LoadError, match="file not found"):
        ingest.read_table(tmp_path / "nope.csv")
    with pytest.raises(ingest.LoadError, match="empty"):
        ingest.read_table(_write(tmp_path / "customers.csv", "  \n"))
    bad = tmp_path / "orders.csv"
    bad.write_bytes(b"invoice_id,product_id\n1,a\n2,\xff\xfe\xff\n")
    with pytest.raises(ingest.LoadError, match="line 3"):
        ingest.read_table(bad)
    with pytest.raises(ingest.LoadError, match="cannot tell which table"):
        ingest.read_table(_write(tmp_path / "stuff.csv", "a,b\n1,2\n"))
    with pytest.raises(ingest.LoadError, match="no such file or folder"):
        ingest.load_data(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ingest.LoadError, match="no table files"):
        ingest.load_data(tmp_path / "empty")


def test_bad_rows_are_quarantined_with_reason(tmp_path):
    text = (
        "invoice_id,product_id,ordered_at,quantity,unit_price,customer_id\n"
        "1,A,2024-01-01,1,5,c1\n"
        "2,B,not a date,1,5,c1\n"
        "3,C,2024-01-02,two,5,c2\n"
        ",D,2024-01-02,1,5,c2\n"
    )
    read = ingest.read_table(_write(tmp_path / "transactions.csv", text))
    frame, q = read.frame, read.quarantine
    assert list(frame["invoice_id"]) == ["1"]
    got = sorted(zip(q["source_line"], q["column"], q["rule"], q["action"], strict=True))
    assert got == [
        (3, "ordered_at", "invalid_date", "row_quarantined"),
        (4, "quantity", "invalid_number", "row_quarantined"),
        (5, "invoice_id", "missing_value", "row_quarantined"),
    ]


def test_online_retail_reads_as_transactions(retail, retail_raw):
    tx = retail["transactions"]
    assert len(tx) == 541_909 and retail.quarantine.empty
    assert schemas.validate(tx, "transactions") == []
    assert (tx["line_type"] == "cancellation").sum() == 9_288  # PROVENANCE: 9,288 'C' rows
    assert tx["invoice_id"].nunique() == 25_900
    assert tx["customer_id"].notna().sum() == 406_829
    # ids never pass through float: 17850.0 becomes "17850"
    assert tx["customer_id"].iloc[0] == "17850"
    assert not tx["customer_id"].dropna().str.contains(r"\.").any()
    assert round(tx["amount"].sum(), 2) == round(
        (retail_raw.Quantity * retail_raw.UnitPrice).sum(), 2
    )
    # no customers file: one is derived and the dataset says so
    customers = retail["customers"]
    assert len(customers) == 4_372 and customers["customer_id"].is_unique
    assert schemas.validate(customers, "customers") == []
    assert any("derived" in n for n in retail.notes)
    assert customers.set_index("customer_id").loc["12347", "country"] == "Iceland"


def test_online_retail_file_is_not_modified():
    before = sha256(RETAIL)
    ingest.load_data(RETAIL)
    assert sha256(RETAIL) == before


def test_user_aliases_extend_the_builtin_ones(tmp_path):
    extra = _write(
        tmp_path / "aliases.yaml", "columns:\n  customers:\n    customer_id: [会员卡号]\n"
    )
    path = _write(tmp_path / "customers.csv", "会员卡号,姓名\n9001,王五\n")
    frame = ingest.read_table(path, aliases=str(extra)).frame
    assert list(frame["customer_id"]) == ["9001"]
    with pytest.raises(ingest.LoadError):
        ingest.read_table(path)


def test_snapshot_round_trip(demo_dir, tmp_path):
    data = ingest.load_data(demo_dir)
    snap = ingest.save_tables(data, tmp_path / "snap")
    again = ingest.read_snapshot(snap)
    for name, frame in data.tables.items():
        pd.testing.assert_frame_equal(again[name], frame, check_dtype=True)
    assert len(again.quarantine) == len(data.quarantine)


CRM_EXPORTS = {
    # Salesforce contacts report with API names
    "salesforce": "Id,FirstName,LastName,Email,MobilePhone,MailingCity,Birthdate,CreatedDate,"
    "LeadSource\n"
    "0035g00000AbCdEAAZ,Linda,Clarke,Linda@Example.com,+44 7400 123456,London,1980-02-03,"
    "2024-03-05T14:30:00.000+0000,Web\n",
    # HubSpot contacts export
    "hubspot": "Record ID,First Name,Last Name,Email,Phone Number,City,Country/Region,Create Date,"
    "Original Source\n"
    "1234567890123,Linda,Clarke,linda@example.com,+44 7400 123456,London,United Kingdom,"
    "2024-03-05 14:30,Web\n",
    # Zoho CRM contacts export
    "zoho": "Contact Id,First Name,Last Name,Email,Mobile,Mailing City,Date of Birth,Created Time,"
    "Lead Source\n"
    "zcrm_4876876000000123456,Linda,Clarke,linda@example.com,+44 7400 123456,London,1980-02-03,"
    "2024-03-05 14:30:00,Web\n",
    # 纷享销客 / generic Chinese export
    "fxiaoke": "客户编码,客户名称,手机,邮箱,所在地区,创建时间,客户来源\n"
    "KH-0001,张三,138 0013 8000,z@example.cn,上海,2024年3月5日 14:30,展会\n",
}


@pytest.mark.parametrize("crm", sorted(CRM_EXPORTS))
def test_crm_exports_map_onto_customers(tmp_path, crm):
    path = tmp_path / "contacts.csv"
    path.write_text(CRM_EXPORTS[crm], "utf-8")
    frame = ingest.read_table(path).frame
    row = frame.iloc[0]
    assert schemas.validate(frame, "customers") == []
    assert row["customer_id"] and row["name"] in ("Linda Clarke", "张三")
    assert row["phone"] in ("+447400123456", "+8613800138000")
    assert row["email"] in ("linda@example.com", "z@example.cn")
    assert row["city"] in ("London", "上海")
    assert row["signup_date"] == pd.Timestamp("2024-03-05 14:30")


def test_online_retail_ii_headers(tmp_path):
    path = tmp_path / "online_retail_ii.csv"
    path.write_text(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        "489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,"
        "United Kingdom\n"
        "A506401,B,Adjust bad debt,1,2010-04-29 13:36:00,-53594.36,,United Kingdom\n",
        "utf-8",
    )
    frame = ingest.read_table(path).frame
    assert frame["invoice_id"].tolist() == ["489434", "A506401"]
    assert frame["line_type"].tolist() == ["sale", "adjustment"]
    assert frame["customer_id"].iloc[0] == "13085"  # the float column's ".0" is dropped


def test_line_numbers_count_multi_line_fields(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_text(
        "customer_id,interacted_at,channel,notes\n"
        'c1,2024-01-05,phone,"called back,\nleft a message"\n'
        "c2,2024-13-05,email,ok\n",
        "utf-8",
    )
    read = ingest.read_table(path)
    assert read.frame["notes"].iloc[0] == "called back, left a message"  # one space, NFKC
    assert read.quarantine[["source_line", "rule"]].values.tolist() == [[4, "invalid_date"]]


def test_latin1_file_is_not_read_as_chinese(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes("customer_id,name,city\nc1,Crème Brûlée Ltd,Señora\n".encode("cp1252"))
    read = ingest.read_table(path)
    assert read.frame["name"].iloc[0] == "Crème Brûlée Ltd"
    assert read.frame["city"].iloc[0] == "Señora"
    assert any("cp1252" in n for n in read.notes)
    chinese = tmp_path / "客户.csv"
    chinese.write_bytes("customer_id,name\nc1,张三丰\n".encode("gb18030"))
    assert ingest.read_table(chinese).frame["name"].iloc[0] == "张三丰"


def test_only_uci_style_prefixes_mark_cancellations(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "invoice_id,product_id,ordered_at,quantity,unit_price,status\n"
        "A1001,P1,2024-01-05,1,10,paid\n"
        "CN-2024-0002,P1,2024-01-05,2,10,已发货\n"
        "C536379,P1,2024-01-06,-1,10,cancelled\n"
        "A563185,B,2024-01-06,1,-11062.06,\n",
        "utf-8",
    )
    frame = ingest.read_table(path).frame
    assert frame["line_type"].tolist() == ["sale", "sale", "cancellation", "adjustment"]


def test_interaction_channels_in_chinese(tmp_path):
    path = tmp_path / "互动记录.csv"
    path.write_text(
        "客户编号,联系时间,联系方式,方向\nc1,2024-01-05,电话,呼出\nc2,2024-01-06,微信,呼入\n"
        "c3,2024-01-07,Call,out\n",
        "utf-8",
    )
    read = ingest.read_table(path)
    assert read.frame["channel"].tolist() == ["phone", "chat", "phone"]
    assert read.frame["direction"].tolist() == ["outbound", "inbound", "outbound"]
    assert read.quarantine.empty


def test_monthly_files_stack_and_unknown_files_are_noted(tmp_path):
    head = "invoice_id,product_id,ordered_at,quantity,unit_price\n"
    (tmp_path / "orders_2024-01.csv").write_text(head + "1,P,2024-01-05,1,2\n", "utf-8")
    (tmp_path / "orders_2024-02.csv").write_text(
        head + "2,P,2024-02-05,1,2\n2,P,2024-02-05,1,2\n", "utf-8"
    )
    (tmp_path / "orders.pdf").write_bytes(b"%PDF")  # not a table file (a .csv.gz is one)

    data = ingest.clean_dataset(ingest.load_data(tmp_path))
    assert data["transactions"]["invoice_id"].tolist() == ["1", "2"]
    assert any("orders.pdf" in n for n in data.notes)
    acc = data.accounting.set_index("source_file")
    feb = acc.loc[str(tmp_path / "orders_2024-02.csv")]
    # the repeated line is booked on the file it came from
    assert (feb["rows_in"], feb["rows_clean"], feb["rows_quarantined"]) == (2, 1, 1)
    jan = acc.loc[str(tmp_path / "orders_2024-01.csv")]
    assert (jan["rows_in"], jan["rows_clean"], jan["rows_quarantined"]) == (1, 1, 0)
    assert "customers" not in set(data.accounting["table"])  # derived: no rows were read


def test_parquet_typed_columns(tmp_path):
    path = tmp_path / "customers.parquet"
    pd.DataFrame(
        {
            "customer_id": [17850.0, 1234567890123456789.0, None],
            "phone": [13800138000.0, None, 13900139000.0],
        }
    ).to_parquet(path)
    read = ingest.read_table(path, phone_region="CN")
    assert read.frame["customer_id"].tolist() == ["17850"]
    assert read.frame["phone"].tolist() == ["+8613800138000"]
    rules = read.quarantine[["source_line", "rule"]].values.tolist()
    assert rules == [[2, "scientific_notation_id"], [3, "missing_value"]]


TX_CSV = (
    "InvoiceNo,CustomerID,InvoiceDate,StockCode,Quantity,UnitPrice,Country\n"
    "536365,17850,2010-12-01 08:26,85123A,6,2.55,United Kingdom\n"
    "536366,17850,2010-12-01 08:28,22633,6,1.85,United Kingdom\n"
    "C536379,14527,2010-12-01 09:41,D,-1,27.50,United Kingdom\n"
)
CUSTOMERS_CSV = "customer_id,name,city\nc1,Ann,Leeds\nc2,Bo,York\n"
COMPRESS = {
    ".gz": __import__("gzip").compress,
    ".bz2": __import__("bz2").compress,
    ".xz": __import__("lzma").compress,
}


def _zip(path, members: dict[str, bytes]):
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _same_read(a, b):
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert (a.table, a.rows_in, list(a.lines)) == (b.table, b.rows_in, list(b.lines))
    pd.testing.assert_frame_equal(
        a.quarantine.drop(columns="source_file"), b.quarantine.drop(columns="source_file")
    )


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
def test_a_compressed_csv_is_read_like_the_file_inside(tmp_path, suffix):
    plain = tmp_path / "plain" / "transactions.csv"
    plain.parent.mkdir()
    plain.write_text(TX_CSV, "utf-8")
    packed = tmp_path / f"transactions.csv{suffix}"
    packed.write_bytes(COMPRESS[suffix](TX_CSV.encode("utf-8")))
    read = ingest.read_table(packed)  # the table comes from the inner name, transactions
    _same_read(read, ingest.read_table(plain))
    assert read.table == "transactions" and len(read.frame) == 3
    assert read.frame["line_type"].tolist() == ["sale", "sale", "cancellation"]
    # a Chinese GB18030 TSV inside a gzip: the decoding and the delimiter still apply
    tsv = tmp_path / "customers.tsv.gz"
    tsv.write_bytes(COMPRESS[".gz"]("客户ID\t姓名\nc1\t张三\n".encode("gb18030")))
    assert ingest.read_table(tsv).frame[["customer_id", "name"]].values.tolist() == [["c1", "张三"]]


def test_a_zip_of_one_table_file_is_read_like_it(tmp_path):
    plain = tmp_path / "transactions.csv"
    plain.write_text(TX_CSV, "utf-8")
    # the table is named by the member, wherever it sits and whatever the archive is called
    archive = _zip(
        tmp_path / "export-2011.zip", {"out/transactions.csv": TX_CSV, "out/README.txt.md": "x"}
    )
    _same_read(ingest.read_table(archive), ingest.read_table(plain))
    # a zip of a gzip, and an archive named after its table holding an unnamed file
    _zip(tmp_path / "a.zip", {"transactions.csv.gz": COMPRESS[".gz"](TX_CSV.encode())})
    assert ingest.read_table(tmp_path / "a.zip").table == "transactions"
    folder = tmp_path / "f"
    folder.mkdir()
    _zip(folder / "customers.zip", {"export.csv": CUSTOMERS_CSV})
    assert ingest.load_data(folder)["customers"]["name"].tolist() == ["Ann", "Bo"]


def test_a_folder_of_compressed_tables_reads_like_the_plain_one(tmp_path):
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    (plain / "transactions.csv").write_text(TX_CSV, "utf-8")
    (plain / "customers.csv").write_text(CUSTOMERS_CSV, "utf-8")
    (packed / "transactions.csv.gz").write_bytes(COMPRESS[".gz"](TX_CSV.encode()))
    _zip(packed / "crm-export.zip", {"customers.csv": CUSTOMERS_CSV})
    a, b = ingest.load_data(packed), ingest.load_data(plain)
    assert sorted(a.tables) == sorted(b.tables) == ["customers", "transactions"]
    for table in a.tables:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert a.accounting["rows_in"].tolist() == b.accounting["rows_in"].tolist()
    assert sorted(a.accounting["source_file"]) == sorted(str(p) for p in packed.iterdir())
    assert not any("not read" in n for n in a.notes)


def test_compressed_and_encrypted_is_read_like_the_file_inside(tmp_path):
    from crm_lab import privacy

    key = tmp_path / "data.key"
    privacy.new_data_key(key)
    gz = tmp_path / "src.gz"
    gz.write_bytes(COMPRESS[".gz"](TX_CSV.encode()))
    folder = tmp_path / "f"
    folder.mkdir()
    privacy.encrypt_file(gz, folder / "transactions.csv.gz.enc", key_file=key)
    data = ingest.load_data(folder, key_file=key)
    assert len(data["transactions"]) == 3


@pytest.mark.parametrize(
    ("members", "holds"),
    [
        (
            {"transactions.csv": TX_CSV, "customers.csv": CUSTOMERS_CSV},
            "it holds 2 among 2 file(s): transactions.csv, customers.csv",
        ),
        ({"readme.md": "x", "logo.png": "y"}, "it holds 0 among 2 file(s): readme.md, logo.png"),
        ({}, "it holds 0 among 0 file(s): none"),
    ],
)
def test_a_zip_without_exactly_one_table_file_is_one_clear_error(tmp_path, members, holds):
    archive = _zip(tmp_path / "export.zip", members)
    message = rf"^{archive}: a zip archive must hold exactly one table file .*; " + re.escape(holds)
    with pytest.raises(ingest.LoadError, match=message):
        ingest.read_table(archive)
    folder = tmp_path / "f"
    folder.mkdir()
    archive.rename(folder / "export.zip")
    with pytest.raises(ingest.LoadError, match="export.zip: a zip archive must hold exactly one"):
        ingest.load_data(folder)


def test_a_broken_archive_names_the_file(tmp_path):
    bad = tmp_path / "transactions.csv.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    with pytest.raises(ingest.LoadError, match=r"transactions.csv.gz: not a readable gzip file"):
        ingest.read_table(bad)
    bad_zip = tmp_path / "transactions.zip"
    bad_zip.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ingest.LoadError, match=r"transactions.zip: not a readable zip archive"):
        ingest.read_table(bad_zip)
    empty = tmp_path / "t.csv.gz"
    empty.write_bytes(COMPRESS[".gz"](b""))
    with pytest.raises(ingest.LoadError, match=r"t.csv.gz: t.csv is empty"):
        ingest.read_table(empty, table="transactions")


def test_a_compressed_basket_file_is_read(tmp_path):
    path = tmp_path / "groceries.csv.gz"
    path.write_bytes(COMPRESS[".gz"](b"milk,bread\nbeer\n"))
    assert ingest.read_basket_file(path) == [["milk", "bread"], ["beer"]]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("orders.csv.gz", True),
        ("orders.tsv.bz2", True),
        ("orders.xlsx.xz", True),
        ("export.zip", True),
        ("customers.csv.enc", True),
        ("customers.csv.gz.enc", True),
        ("notes.pdf", False),
        ("backup.gz", False),
        ("key.enc", False),
    ],
)
def test_is_table_file_from_the_name(name, expected):
    from crm_lab.ingest.readers import is_table_file

    assert is_table_file(name) is expected
