"""core.dataset: the one quarantine-row builder, the quarantine frame and the Dataset."""

import pandas as pd
import pytest

from crm_lab.core import dataset
from crm_lab.core.dataset import (
    ACCOUNTING_COLUMNS,
    FIX_COLUMNS,
    QUARANTINE_COLUMNS,
    Dataset,
    quarantine_frame,
    quarantine_rows,
)

TYPES = {c: "int64" if c == "source_line" else "string" for c in QUARANTINE_COLUMNS}


def _types(frame: pd.DataFrame) -> dict:
    return {c: str(t) for c, t in frame.dtypes.items()}


def test_the_builder_is_public():
    assert "quarantine_rows" in dataset.__all__ and "quarantine_frame" in dataset.__all__


def test_quarantine_rows_broadcasts_scalars_and_keeps_per_row_values():
    rows = quarantine_rows(
        table="customers",
        source_file=["a.csv", "b.csv", "b.csv"],
        source_line=[2, 5, 9],
        rule="bad_phone",
        reason=["too short", "letters", "too short"],
        action="value_quarantined",
        column="phone",
        value=["123", "abc", "45"],
    )
    assert list(rows.columns) == QUARANTINE_COLUMNS
    assert _types(rows) == TYPES
    assert rows.to_dict("records") == [
        {
            "table": "customers",
            "source_file": "a.csv",
            "source_line": 2,
            "column": "phone",
            "value": "123",
            "rule": "bad_phone",
            "reason": "too short",
            "action": "value_quarantined",
        },
        {
            "table": "customers",
            "source_file": "b.csv",
            "source_line": 5,
            "column": "phone",
            "value": "abc",
            "rule": "bad_phone",
            "reason": "letters",
            "action": "value_quarantined",
        },
        {
            "table": "customers",
            "source_file": "b.csv",
            "source_line": 9,
            "column": "phone",
            "value": "45",
            "rule": "bad_phone",
            "reason": "too short",
            "action": "value_quarantined",
        },
    ]


def test_quarantine_rows_one_line_and_defaults():
    rows = quarantine_rows(
        table="transactions",
        source_file="tx.csv",
        source_line=7,
        rule="duplicate_line",
        reason="an exact copy",
        action="row_quarantined",
    )
    assert rows.to_dict("records") == [
        {
            "table": "transactions",
            "source_file": "tx.csv",
            "source_line": 7,
            "column": "",  # a whole row: no column, no value
            "value": "",
            "rule": "duplicate_line",
            "reason": "an exact copy",
            "action": "row_quarantined",
        }
    ]


def test_values_become_text_of_at_most_60_characters():
    long = "x" * 100
    chinese = "长" * 61
    rows = quarantine_rows(
        table="t",
        source_file="f",
        source_line=[1, 2, 3, 4, 5],
        rule="r",
        reason="why",
        action="value_quarantined",
        column="c",
        value=[long, chinese, 12, 1.5, None],
    )
    assert rows["value"].tolist()[:4] == ["x" * 60, "长" * 60, "12", "1.5"]
    assert rows["value"].isna().tolist() == [False, False, False, False, True]
    assert rows["value"].str.len().max() == 60


def test_lines_and_values_of_different_lengths_are_an_error():
    with pytest.raises(ValueError):
        quarantine_rows(
            table="t",
            source_file=["a", "b", "c"],
            source_line=[1, 2],
            rule="r",
            reason="why",
            action="row_quarantined",
        )


@pytest.mark.parametrize("lines", [[], (), pd.Series([], dtype="int64")])
def test_no_lines_give_the_typed_empty_frame(lines):
    rows = quarantine_rows(
        table="t", source_file="f", source_line=lines, rule="r", reason="why", action="a"
    )
    assert len(rows) == 0
    assert list(rows.columns) == QUARANTINE_COLUMNS
    assert _types(rows) == TYPES


def test_quarantine_frame_empty_is_typed():
    for empty in (quarantine_frame(), quarantine_frame([]), quarantine_frame(None)):
        assert len(empty) == 0 and list(empty.columns) == QUARANTINE_COLUMNS
        assert _types(empty) == TYPES


def test_quarantine_frame_stacks_parts_in_column_order_and_skips_empty_ones():
    first = quarantine_rows(
        table="t", source_file="a", source_line=[3], rule="r1", reason="x", action="a"
    )
    # a hand-made part: columns in another order, a float line number, an extra column
    second = pd.DataFrame(
        {
            "action": ["row_merged"],
            "reason": ["duplicate customer"],
            "rule": ["r2"],
            "value": ["c9"],
            "column": ["customer_id"],
            "source_line": [8.0],
            "source_file": ["b"],
            "table": ["customers"],
            "note": ["dropped"],
        }
    )
    out = quarantine_frame([first, quarantine_frame(), second])
    assert list(out.columns) == QUARANTINE_COLUMNS
    assert _types(out) == TYPES
    assert out["source_line"].tolist() == [3, 8]
    assert out["rule"].tolist() == ["r1", "r2"]
    assert out.index.tolist() == [0, 1]


def test_a_dataset_gets_tables_by_name():
    customers = pd.DataFrame({"customer_id": ["c1"]})
    data = Dataset({"customers": customers})
    assert "customers" in data and "transactions" not in data
    assert data["customers"] is customers
    with pytest.raises(KeyError):
        data["transactions"]


def test_a_dataset_starts_with_empty_accounting():
    data = Dataset({})
    assert len(data.quarantine) == 0 and _types(data.quarantine) == TYPES
    assert list(data.accounting.columns) == ACCOUNTING_COLUMNS and len(data.accounting) == 0
    assert list(data.fixes.columns) == FIX_COLUMNS and len(data.fixes) == 0
    assert data.merge_log.empty and data.review.empty
    assert data.notes == [] and data.provenance == {}
    # each dataset has its own defaults
    other = Dataset({})
    data.notes.append("derived orders from transactions")
    assert other.notes == []
    assert other.quarantine is not data.quarantine
