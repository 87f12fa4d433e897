"""Every vendor export in tests/ingest/exports loads with its key columns right.

Each case folder holds files laid out as the vendor writes them and an ``expected.yaml`` of
answers worked out by hand from those files: the profile the header must be detected as, the
rows kept and quarantined (with the rules), the grain, the customers, and the canonical values
of chosen rows (ids, names, phones in E.164, e-mails, dates, amounts).
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
import yaml

from crm_lab import ingest
from crm_lab.ingest import LoadError, load_data

EXPORTS = Path(__file__).with_name("exports")
CASES = sorted(EXPORTS.glob("*/*/expected.yaml"))
KEYS = {"transactions": "invoice_id", "customers": "customer_id", "tickets": "ticket_id"}
DATES = {"ordered_at", "signup_date", "birth_date", "opened_at", "resolved_at", "first_response_at"}


def _case_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


def _same(column: str, got, want) -> bool:
    if want is None:
        return (
            got is None
            or got is pd.NA
            or (isinstance(got, float) and math.isnan(got))
            or (got is pd.NaT)
        )
    if got is None or got is pd.NA or got is pd.NaT:
        return False
    if column in DATES:
        return pd.Timestamp(got) == pd.Timestamp(str(want))
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)
    return str(got) == unicodedata.normalize("NFKC", str(want))  # text is read folded to NFKC


def _check_rows(frame: pd.DataFrame, key: str, examples: list[dict], where: str) -> None:
    for example in examples or []:
        example = dict(example)
        nth = int(example.pop("line", 1))
        ident = str(example[key])
        rows = frame[frame[key].astype("string") == ident]
        assert len(rows) >= nth, f"{where}: no row {nth} with {key} {ident!r}"
        row = rows.iloc[nth - 1]
        for column, want in example.items():
            assert column in frame.columns, f"{where}: no column {column}"
            assert _same(column, row[column], want), (
                f"{where}: {key} {ident!r} row {nth}: {column} is {row[column]!r}, "
                f"expected {want!r}"
            )


def _expected_tables(expected: dict) -> dict[str, dict]:
    if "tables" in expected:
        return {t: dict(v or {}) for t, v in expected["tables"].items()}
    return {expected["table"]: expected}


@pytest.mark.parametrize("expected_file", CASES, ids=[_case_id(c) for c in CASES])
def test_a_vendor_export_loads_with_its_key_columns(expected_file):
    expected = yaml.safe_load(expected_file.read_text("utf-8"))
    folder = expected_file.parent
    if expected.get("loads") is False:
        with pytest.raises(LoadError) as err:
            load_data(folder)
        for word in expected.get("error_mentions", []):
            assert word in str(err.value)
        return
    data = load_data(folder)
    for table, want in _expected_tables(expected).items():
        where = f"{_case_id(expected_file)} {table}"
        assert table in data.tables, f"{where}: not read; tables {list(data.tables)}"
        frame = data[table]
        profiles = set(data.mappings.loc[data.mappings["table"] == table, "profile"])
        assert profiles == {want.get("profile", expected["profile"])}, where
        if "rows" in want:
            assert len(frame) == want["rows"], where
        q = data.quarantine[
            (data.quarantine["table"] == table) & (data.quarantine["action"] == "row_quarantined")
        ]
        if "quarantined" in want:
            assert (
                q[["source_file", "source_line"]].drop_duplicates().shape[0] == want["quarantined"]
            ), f"{where}: {q[['source_line', 'rule', 'reason']].to_dict('records')}"
        if "rules" in want:
            assert set(q["rule"]) == set(want["rules"]), where
        if "files" in want:
            sources = data.accounting.loc[data.accounting["table"] == table, "source_file"]
            assert sources.nunique() == want["files"], where
        if want.get("grain"):
            grain = {"items": "item", "orders": "order"}[want["grain"]]
            assert (frame["grain"] == grain).all(), where
        if "customers" in want:
            ids = frame["customer_id"].dropna()
            assert ids.nunique() == want["customers"], where
        if "customer_records" in want:
            assert len(data["customers"]) == want["customer_records"], where
        key = KEYS.get(table, "customer_id")
        examples = [
            {k: v for k, v in e.items() if k != "table"}
            for e in want.get("examples") or []
            if e.get("table", table) == table
        ]
        if "tables" in expected:  # a folder: examples of every table are listed once, at the top
            examples = [
                {k: v for k, v in e.items() if k != "table"}
                for e in expected.get("examples") or []
                if e.get("table") == table
            ]
        _check_rows(frame, key, examples, where)
        if want.get("customer_examples"):
            _check_rows(
                data["customers"], "customer_id", want["customer_examples"], f"{where} customers"
            )
        for ident in want.get("absent") or []:  # not a record of the table (a lost deal)
            assert not (frame[key].astype("string") == str(ident)).any(), f"{where}: {ident}"
    # the data-quality page's record: every header of every file is mapped or ignored
    assert set(data.mappings["status"]) - {"mapped", "ignored"} <= {
        s for s in data.mappings["status"] if s.startswith(("constant", "amount", "first", "from"))
    }


def test_every_profile_has_a_test_case():
    tested = {yaml.safe_load(c.read_text("utf-8"))["profile"] for c in CASES}
    assert set(ingest.load_profiles()) <= tested
