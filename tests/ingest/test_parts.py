"""Order lines read and cleaned a batch at a time give what reading them whole gives."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_lab.ingest import LoadError, read_clean, read_table, readers
from crm_lab.ingest.readers import RESTART, read_table_batches, streamable
from tests.conftest import RETAIL

HEAD = "invoice,sku,qty,price,date,customer,country\n"


def _lines(rows: list[str]) -> str:
    return HEAD + "".join(r + "\n" for r in rows)


def _batches(path: Path, rows: int):
    return [r for r in read_table_batches(path, rows=rows, max_uncompressed_mb=2000)]


def _same_read(path: Path, rows: int) -> int:
    """Batches of ``path`` against read_table on the whole file; returns the batch count."""
    whole = read_table(path, max_uncompressed_mb=2000)
    parts = _batches(path, rows)
    assert RESTART not in parts
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(frame, whole.frame)
    assert [int(x) for p in parts for x in p.lines] == whole.lines.tolist()
    assert sum(p.rows_in for p in parts) == whole.rows_in
    found = pd.concat([p.quarantine for p in parts], ignore_index=True)
    assert sorted(map(tuple, found.astype(str).to_numpy())) == sorted(
        map(tuple, whole.quarantine.astype(str).to_numpy())
    )
    return len(parts)


def _same_clean(path: Path, rows: int, **options) -> None:
    """read_clean on DuckDB, out of core in batches of ``rows``, against pandas in memory."""
    memory = read_clean(path, **options)
    batched = read_clean(path, engine="duckdb", batch_rows=rows, **options)
    for name, frame in memory.tables.items():
        other = batched.tables[name]
        if name == "transactions":
            other = other.to_pandas()
            stamps = [c for c in other if str(other[c].dtype).startswith("datetime")]
            other = other.astype(dict.fromkeys(stamps, "datetime64[ns]"))
            frame = frame.astype(dict.fromkeys(stamps, "datetime64[ns]"))
        pd.testing.assert_frame_equal(
            frame.reset_index(drop=True), other, check_dtype=False, check_categorical=False
        )
    for log in ("quarantine", "accounting", "fixes", "merge_log", "review", "mappings"):
        pd.testing.assert_frame_equal(
            getattr(memory, log).reset_index(drop=True),
            getattr(batched, log).reset_index(drop=True),
            check_dtype=False,
            check_categorical=False,
        )
    assert memory.notes == batched.notes


def test_which_files_are_read_in_batches():
    assert streamable("t.csv") and streamable("t.tsv.gz") and streamable("t.parquet")
    assert not streamable("t.xlsx") and not streamable("t.csv.zip")
    assert not streamable("t.csv.enc") and not streamable("t.parquet.gz")


def test_batches_of_the_demo_lines_equal_the_whole_file(demo_dir, tmp_path):
    file = demo_dir / "transactions.csv"
    assert _same_read(file, 700) >= 5
    packed = tmp_path / "transactions.csv.gz"
    with open(file, "rb") as plain, gzip.open(packed, "wb") as out:
        shutil.copyfileobj(plain, out)
    assert _same_read(packed, 900) >= 4


def test_batches_of_online_retail_equal_the_whole_file():
    assert _same_read(RETAIL, 100_000) == 6  # 541,909 rows


def test_a_batched_clean_equals_the_clean_in_memory_on_the_demo(demo_dir):
    _same_clean(demo_dir, 800)  # every table, log and note, over four batches


def test_a_batched_clean_equals_the_clean_in_memory_on_online_retail():
    # 5,268 exact duplicates, cancellations, shared invoices: over three batches
    _same_clean(RETAIL, 200_000, max_uncompressed_mb=2000)


def test_rules_across_rows_see_every_batch(tmp_path):
    rows = [
        "1,A,1,2.0,2024-01-01,c1,UK",
        "2,B,1,3.0,2024-01-02,c2,UK",
        "3,C,1,4.0,2024-01-03,c3,FR",
        "1,A,1,2.0,2024-01-01,c1,UK",  # the first line again, two batches later
        "2,D,1,5.0,2024-01-02,c4,UK",  # invoice 2 names c2 and c4: shared, across batches
        "5,E,1,0.0,2024-01-05,c5,UK",  # a zero price
    ]
    (tmp_path / "transactions.csv").write_text(_lines(rows), "utf-8")
    data = read_clean(tmp_path, engine="duckdb", batch_rows=2)
    rules = dict(zip(data.quarantine["source_line"], data.quarantine["rule"], strict=True))
    assert rules == {
        5: "exact_duplicate",
        7: "non_positive_price",
        3: "shared_invoice",
        6: "shared_invoice",
    }
    assert data["transactions"].to_pandas()["invoice_id"].tolist() == ["1", "3"]
    assert data["customers"]["customer_id"].tolist() == ["c1", "c2", "c3", "c4", "c5"]
    _same_clean(tmp_path, 2)


def test_a_date_order_settled_in_a_later_batch_rereads_the_file(tmp_path):
    rows = [f"{i},A,1,2.0,3/4/2024,c{i},UK" for i in range(30)]  # 3 April or 4 March?
    rows.append("99,A,1,2.0,25/4/2024,c99,UK")  # day-first: so were the ones above
    file = tmp_path / "transactions.csv"
    file.write_text(_lines(rows), "utf-8")
    parts = _batches(file, 2)
    assert RESTART in parts  # batches 1 and 2 were read before the order was known
    after = parts[parts.index(RESTART) + 1 :]
    days = pd.concat([p.frame for p in after])["ordered_at"].dt.strftime("%Y-%m-%d")
    assert days.tolist() == ["2024-04-03"] * 30 + ["2024-04-25"]
    _same_clean(tmp_path, 2)
    assert any("read day-first" in n for n in read_clean(tmp_path, engine="duckdb").notes)


def test_two_date_orders_in_different_batches_are_an_error(tmp_path):
    rows = ["1,A,1,2.0,25/4/2024,c1,UK", "2,A,1,2.0,1/1/2024,c2,UK", "3,A,1,2.0,4/25/2024,c3,UK"]
    file = tmp_path / "transactions.csv"
    file.write_text(_lines(rows), "utf-8")
    with pytest.raises(LoadError, match="both day-first .* one date order per file"):
        _batches(file, 1)


def test_a_compressed_file_that_expands_like_a_bomb_is_refused(tmp_path):
    # one line 200,000 times: 7 MB from 15 kB, 460 times its size (a real export: 4 to 15)
    file = tmp_path / "transactions.csv.gz"
    file.write_bytes(gzip.compress(_lines(["1,A,1,2.0,2024-01-01,c1,UK"] * 200_000).encode()))
    assert file.stat().st_size * readers.STREAM_RATIO < 2**20
    with pytest.raises(LoadError, match="the gzip expands to 1 MB or more .* limit of 1 MB"):
        list(read_table_batches(file, rows=1_000, max_uncompressed_mb=1))


def test_a_large_genuine_file_read_in_batches_may_pass_the_limit_of_a_whole_read(tmp_path):
    # 2 MB from 270 kB (7.6 times): over a 1 MB limit, but never in memory whole when batched
    rows = [f"{i},A,1,2.0,2024-01-01,c{i},UK" for i in range(60_000)]
    file = tmp_path / "transactions.csv.gz"
    file.write_bytes(gzip.compress(_lines(rows).encode()))
    with pytest.raises(LoadError, match="the gzip file expands to"):
        read_table(file, max_uncompressed_mb=1)
    lines = sum(len(b.frame) for b in read_table_batches(file, rows=20_000, max_uncompressed_mb=1))
    assert lines == 60_000
    parquet = tmp_path / "transactions.parquet"
    read_table(file, max_uncompressed_mb=10).frame.to_parquet(parquet)
    with pytest.raises(LoadError, match="the Parquet file expands to"):
        read_table(parquet, max_uncompressed_mb=0.01)
    batches = read_table_batches(parquet, rows=20_000, max_uncompressed_mb=0.01)
    assert sum(len(b.frame) for b in batches) == 60_000


def test_an_export_whose_rows_need_other_rows_is_read_whole(tmp_path):
    head = "Name,Email,Financial Status,Paid at,Lineitem quantity,Lineitem name,Lineitem price"
    rows = [
        "#1,a@example.com,paid,2024-03-01 10:00,1,Mug,12.5",
        "#1,,,,2,Tea towel,4.0",  # its order's fields are filled down from the line above
        "#2,b@example.com,paid,2024-03-02 11:00,1,Plate,8.0",
    ]
    file = tmp_path / "orders_export.csv"
    file.write_text("\n".join([head, *rows]) + "\n", "utf-8")
    assert len(_batches(file, 1)) == 1  # one read of the whole file
    _same_clean(tmp_path, 1)


def test_snapshots_of_a_batched_read_equal_those_of_the_read_in_memory(demo_dir, tmp_path):
    from crm_lab import privacy
    from crm_lab.ingest import save_tables

    key = b"k" * 32
    memory = read_clean(demo_dir)
    batched = read_clean(demo_dir, engine="duckdb", batch_rows=1_000)
    for name, data in (("memory", memory), ("batched", batched)):
        save_tables(data, tmp_path / name / "tables")
        save_tables(privacy.deidentify(data, key=key), tmp_path / name / "deidentified")
    for folder in ("tables", "deidentified"):
        files = sorted(p.name for p in (tmp_path / "memory" / folder).glob("*.parquet"))
        assert "transactions.parquet" in files
        assert files == sorted(p.name for p in (tmp_path / "batched" / folder).glob("*.parquet"))
        for file in files:
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "memory" / folder / file),
                pd.read_parquet(tmp_path / "batched" / folder / file),
                check_dtype=False,
                check_categorical=False,
            )
        lines = tmp_path / "batched" / folder / "transactions.parquet"
        assert lines.stat().st_mode & 0o777 == 0o600
    pseudonyms = pd.read_parquet(tmp_path / "batched" / "deidentified" / "transactions.parquet")
    assert pseudonyms["customer_id"].dropna().str.fullmatch(r"P[^aeiou0-9]{16}").all()


def test_counts_said_in_notes_add_up_over_batches(tmp_path):
    rows = [f"{i},A,1,2.0,2024-01-01,c{i},UK" for i in range(40)]
    for at in (35, 30, 29, 28, 5):  # blank lines in the first batch, a later one, a whole one
        rows.insert(at, "")
    (tmp_path / "transactions.csv").write_text(_lines(rows), "utf-8")
    _same_clean(tmp_path, 2)
    notes = read_clean(tmp_path, engine="duckdb", batch_rows=2).notes
    assert "transactions.csv: 5 blank line(s) skipped" in notes


def test_day_first_dates_settled_by_the_first_batch_are_read_so(tmp_path):
    rows = [f"{i},A,1,2.0,{13 + i % 12}/01/2024,c{i},UK" for i in range(60)]  # 13/01 .. 24/01
    (tmp_path / "transactions.csv").write_text(_lines(rows), "utf-8")
    assert RESTART not in _batches(tmp_path / "transactions.csv", 10)
    _same_clean(tmp_path, 10)
    data = read_clean(tmp_path, engine="duckdb", batch_rows=10)
    assert data["transactions"].count().execute() == 60 and data.quarantine.empty


def test_order_lines_of_a_zip_beside_a_csv_are_kept(tmp_path):
    import zipfile

    rows = [f"{i},A,1,2.0,2024-01-0{1 + i % 9},c{i},UK" for i in range(30)]
    with zipfile.ZipFile(tmp_path / "transactions_2023.zip", "w") as archive:
        archive.writestr("transactions.csv", _lines(rows[:15]))
    (tmp_path / "transactions_2024.csv").write_text(_lines(rows[15:]), "utf-8")
    _same_clean(tmp_path, 4)
    assert (
        read_clean(tmp_path, engine="duckdb", batch_rows=4)["transactions"].count().execute() == 30
    )


def test_a_windows_1252_file_found_past_its_first_megabyte_is_read_whole(tmp_path):
    rows = [f"{i},A,1,2.0,2024-01-01,c{i},UK" for i in range(40_000)]
    (tmp_path / "transactions.csv").write_bytes(
        (_lines(rows) + "41,Caf\xe9,1,2.0,2024-01-01,c41,UK\n").encode("cp1252")
    )
    parts = _batches(tmp_path / "transactions.csv", 10_000)
    assert parts[-2] is RESTART and len(parts[-1].frame) == 40_001
    _same_clean(tmp_path, 10_000)


def test_the_spill_folder_is_owner_only(demo_dir, tmp_path):
    spill = tmp_path / "lines"
    read_clean(demo_dir, engine="duckdb", spill=spill)
    assert spill.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in spill.glob("*.parquet")) == ["transactions.parquet"]


def test_a_column_mostly_rejected_is_judged_on_the_whole_file(tmp_path):
    bad = [f"{i},A,x,2.0,2024-01-01,c{i},UK" for i in range(24)]  # no quantity
    good = [f"{i},A,1,2.0,2024-01-01,c{i},UK" for i in range(100, 130)]
    (tmp_path / "transactions.csv").write_text(_lines(bad + good), "utf-8")
    _same_clean(tmp_path, 10)  # 24 of 54 rejected: quarantined, though the first batch is 80 %
    file = tmp_path / "transactions.csv"
    file.write_text(_lines(bad + good[:16]), "utf-8")  # 24 of 40: refused, as read whole
    with pytest.raises(LoadError) as whole:
        read_table(file)
    with pytest.raises(LoadError) as batched:
        _batches(file, 10)
    assert str(batched.value) == str(whole.value)
    assert "24 of 40 values rejected" in str(whole.value)


def test_integer_parquet_ids_read_alike_in_batches_with_and_without_nulls(tmp_path):
    frame = pd.DataFrame(
        {
            "InvoiceNo": [str(i) for i in range(60)],
            "StockCode": "A",
            "Quantity": 1,
            "InvoiceDate": pd.Timestamp("2024-01-01"),
            "UnitPrice": 2.0,
            "CustomerID": pd.array(
                [2**53 + 1 + i if i != 55 else None for i in range(60)], "Int64"
            ),
        }
    )
    frame.to_parquet(tmp_path / "transactions.parquet", index=False)
    assert _same_read(tmp_path / "transactions.parquet", 10) == 6  # the null in the last batch


def test_auto_reads_a_few_lines_in_memory_and_many_out_of_core(demo_dir, tmp_path, monkeypatch):
    from crm_lab.engine import session
    from crm_lab.ingest.readers import likely_order_lines

    assert likely_order_lines(RETAIL) == 541_909  # the Parquet footer's rows
    spill = tmp_path / "lines"
    few = read_clean(demo_dir, engine="auto", spill=spill)
    assert isinstance(few["transactions"], pd.DataFrame) and not spill.exists()
    monkeypatch.setattr(session, "AUTO_LINES", 1_000)  # the demo's lines are "many" now
    many = read_clean(demo_dir, engine="auto", spill=spill)
    assert (spill / "transactions.parquet").is_file()
    pd.testing.assert_frame_equal(many.quarantine, few.quarantine)
