"""A report reads only what it needs from a run's snapshot: the tables and columns it uses
(``read_clean(tables=...)``, ``read_snapshot(columns=...)``) and, on DuckDB or Spark, no order
line at all (``read_lines``: the engine reads the snapshot's Parquet file itself)."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab import engine, ingest, privacy
from crm_lab.core.lines import LINE_COLUMNS, day_end
from crm_lab.engine import session
from crm_lab.ingest import snapshot as snapshot_module


@pytest.fixture(scope="module")
def whole(demo_dir):
    return ingest.read_clean(demo_dir)


@pytest.fixture(scope="module")
def snapshot(whole, tmp_path_factory):
    return ingest.save_tables(whole, tmp_path_factory.mktemp("snap") / "tables")


def test_a_snapshot_gives_only_the_tables_asked_for_and_no_logs(whole, snapshot):
    some = ingest.read_clean(snapshot, tables=["transactions", "customers"])
    assert sorted(some.tables) == ["customers", "transactions"]
    for table in some.tables:
        pd.testing.assert_frame_equal(some[table], whole[table])
    assert len(some.quarantine) == 0 and len(some.accounting) == 0  # logs not read
    full = ingest.read_clean(snapshot)
    assert sorted(full.tables) == sorted(whole.tables) and len(full.quarantine) > 0


def test_export_files_are_cleaned_whole_then_the_other_tables_left_out(whole, demo_dir):
    only = ingest.read_clean(demo_dir, tables=["transactions"])
    assert list(only.tables) == ["transactions"]
    pd.testing.assert_frame_equal(only["transactions"], whole["transactions"])
    assert len(only.quarantine) == len(whole.quarantine)  # the same cleaning, the same logs


def test_a_table_the_snapshot_lacks_is_absent_and_an_unknown_name_is_refused(snapshot):
    assert ingest.read_clean(snapshot, tables=[]).tables == {}
    with pytest.raises(ValueError, match=r"unknown table\(s\) \['orders'\]"):
        ingest.read_clean(snapshot, tables=["orders"])


def test_only_the_columns_asked_for_are_read_plain_or_encrypted(
    whole, snapshot, tmp_path, monkeypatch
):
    asked = ["amount", "customer_id", "no_such_column", "amount"]
    read, decoded = pd.read_parquet, []

    def spy(source, *, columns=None, **options):
        decoded.append(columns)
        return read(source, columns=columns, **options)

    monkeypatch.setattr(snapshot_module.pd, "read_parquet", spy)
    key = privacy.new_data_key(tmp_path / "data.key")
    sealed = ingest.save_tables(whole, tmp_path / "sealed", key_file=key)
    for folder, key_file in ((snapshot, None), (sealed, key)):
        got = ingest.read_snapshot(
            folder, key_file=key_file, tables=["transactions"], columns=asked
        )["transactions"]
        assert list(got.columns) == ["amount", "customer_id"]  # once each, absent ones left out
        pd.testing.assert_frame_equal(got, whole["transactions"][["amount", "customer_id"]])
    assert decoded == [["amount", "customer_id"]] * 2  # only these were decoded, both times


def test_logs_can_be_read_with_some_tables(whole, snapshot):
    some = ingest.read_clean(snapshot, tables=["customers"], logs=True)
    assert list(some.tables) == ["customers"]
    pd.testing.assert_frame_equal(some.quarantine, ingest.read_clean(snapshot).quarantine)
    assert len(some.quarantine) > 0 and len(some.merge_log) == len(whole.merge_log) > 0
    assert len(ingest.read_clean(snapshot, tables=None, logs=False).quarantine) == 0


# --- read_lines: the order lines a template totals, on its engine ------------------------------


def test_lines_on_pandas_are_the_clean_transactions_from_a_snapshot_or_export_files(
    whole, snapshot, demo_dir
):
    expected = whole["transactions"]
    pd.testing.assert_frame_equal(ingest.read_lines(snapshot), expected)
    pd.testing.assert_frame_equal(ingest.read_lines(demo_dir), expected)
    some = ingest.read_lines(snapshot, columns=LINE_COLUMNS)
    assert list(some.columns) == [c for c in LINE_COLUMNS if c in expected.columns]
    assert "unit_price" not in some and "country" not in some


def test_on_duckdb_a_plain_snapshot_is_not_read_into_memory(whole, snapshot, monkeypatch):
    check = ingest.read_snapshot

    def refuse(*args, tables=None, **kwargs):
        if tables == []:  # the snapshot's check, which reads no table
            return check(*args, tables=tables, **kwargs)
        raise AssertionError("the lines were read into pandas")

    monkeypatch.setattr(ingest, "read_snapshot", refuse)
    monkeypatch.setattr(ingest, "read_clean", refuse)
    lines = ingest.read_lines(snapshot, engine="duckdb")
    assert engine.is_table(lines)
    end = day_end("2025-12-31")
    pd.testing.assert_frame_equal(
        engine.customer_totals(lines, end=end),
        engine.customer_totals(whole["transactions"], end=end),
    )


def test_an_encrypted_snapshot_or_export_files_are_read_then_copied_to_the_engine(
    whole, demo_dir, tmp_path
):
    key = privacy.new_data_key(tmp_path / "data.key")
    sealed = ingest.save_tables(whole, tmp_path / "sealed", key_file=key)
    end = day_end("2025-12-31")
    expected = engine.customer_totals(whole["transactions"], end=end)
    with pytest.raises(ingest.LoadError, match="encrypted snapshot: give its data key"):
        ingest.read_lines(sealed, engine="duckdb")
    for lines in (
        ingest.read_lines(sealed, engine="duckdb", data_key_file=key),
        ingest.read_lines(demo_dir, engine="duckdb"),
    ):
        assert engine.is_table(lines)
        pd.testing.assert_frame_equal(engine.customer_totals(lines, end=end), expected)


def test_auto_chooses_by_the_number_of_lines(whole, snapshot, demo_dir, monkeypatch):
    assert isinstance(ingest.read_lines(snapshot, engine="auto"), pd.DataFrame)  # a small input
    monkeypatch.setattr(session, "AUTO_LINES", len(whole["transactions"]))
    assert engine.is_table(ingest.read_lines(snapshot, engine="auto"))  # counted in its footer
    assert engine.is_table(ingest.read_lines(demo_dir, engine="auto"))  # counted once read
    with pytest.raises(ValueError, match="engine must be one of"):
        ingest.read_lines(snapshot, engine="polars")


def test_an_input_without_order_lines_is_a_clear_error(whole, tmp_path):
    only = ingest.Dataset(tables={"customers": whole["customers"]})
    folder = ingest.save_tables(only, tmp_path / "customers-only")
    for name in ("pandas", "duckdb"):
        with pytest.raises(ingest.LoadError, match=r"customers-only: no order lines here"):
            ingest.read_lines(folder, engine=name)


def test_on_duckdb_a_stale_snapshot_is_refused_as_on_pandas(whole, tmp_path):
    folder = ingest.save_tables(whole, tmp_path / "stale")
    (folder / "customers.parquet").unlink()  # the marker names a table whose file is gone
    for name in ("pandas", "duckdb"):
        with pytest.raises(ingest.LoadError, match="names tables whose files are missing"):
            ingest.read_lines(folder, engine=name)
    only = ingest.save_tables(
        ingest.Dataset(tables={"customers": whole["customers"]}), tmp_path / "c"
    )
    (only / "transactions.parquet").write_bytes((folder / "transactions.parquet").read_bytes())
    for name in ("pandas", "duckdb"):  # a lines file the marker does not list
        with pytest.raises(ingest.LoadError, match="does not list: transactions.parquet"):
            ingest.read_lines(only, engine=name)


def test_an_unknown_engine_or_a_stray_spark_master_is_refused_before_reading(snapshot, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the snapshot was read")

    monkeypatch.setattr(ingest, "read_snapshot", refuse)
    for read in (ingest.read_clean, ingest.read_lines):
        with pytest.raises(ValueError, match="engine must be one of"):
            read(snapshot, engine="polars")
        with pytest.raises(ValueError, match=r"a Spark master \(local\[2\]\) needs engine"):
            read(snapshot, engine="duckdb", spark_master="local[2]")


def test_read_clean_on_duckdb_keeps_the_tables_and_their_order(whole, snapshot, demo_dir):
    on_duckdb = ingest.read_clean(snapshot, engine="duckdb")
    assert list(on_duckdb.tables) == list(ingest.read_clean(snapshot).tables)
    assert engine.is_table(on_duckdb["transactions"])
    pd.testing.assert_frame_equal(on_duckdb["customers"], whole["customers"])
    assert len(on_duckdb.quarantine) == len(ingest.read_clean(snapshot).quarantine) > 0
    some = ingest.read_clean(snapshot, engine="duckdb", tables=["customers"])
    assert list(some.tables) == ["customers"] and len(some.quarantine) == 0
    exports = ingest.read_clean(demo_dir, engine="duckdb")  # cleaned, then copied to DuckDB
    assert list(exports.tables) == list(whole.tables) and engine.is_table(exports["transactions"])
    end = day_end("2025-12-31")
    pd.testing.assert_frame_equal(
        engine.customer_totals(exports["transactions"], end=end),
        engine.customer_totals(whole["transactions"], end=end),
    )
