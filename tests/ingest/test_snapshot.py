"""A report reads only the tables it needs from a run's snapshot (read_clean(tables=...))."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab import ingest


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
