import pandas as pd
import pytest

from crm_lab.core import schemas


def test_every_table_has_required_ids_as_strings():
    for name, schema in schemas.SCHEMAS.items():
        id_cols = [c for c in schema.columns if c.name.endswith("_id")]
        assert id_cols, name
        assert all(c.kind == "id" for c in id_cols), name
        assert schemas.dtype_of("id") == "string"


def test_empty_tables_pass_their_schema():
    for name in schemas.SCHEMAS:
        assert schemas.validate(schemas.empty_table(name), name) == []


def test_synth_output_passes_every_schema(demo):
    for name, frame in demo.tables.items():
        assert schemas.validate(frame, name) == [], name
        assert len(frame) > 0, name


def test_validate_reports_every_problem_at_once():
    frame = schemas.empty_table("transactions")
    frame = pd.concat([frame, frame], ignore_index=True)
    bad = pd.DataFrame(
        {
            "invoice_id": pd.array(["1", None], dtype="string"),
            "customer_id": [17850.0, 13047.0],  # float ids: the classic mistake
            "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "product_id": pd.array(["A", "B"], dtype="string"),
            "quantity": [1.0, 2.0],
            "unit_price": [1.0, 2.0],
            "amount": [1.0, 4.0],
            "line_type": pd.array(["sale", "refund"], dtype="string"),
            "colour": ["red", "blue"],
        }
    )
    problems = schemas.validate(bad, "transactions")
    rules = {(p.column, p.rule) for p in problems}
    assert ("invoice_id", "not_null") in rules
    assert ("customer_id", "dtype") in rules
    assert ("line_type", "allowed") in rules
    assert (None, "unknown_columns") in rules
    with pytest.raises(schemas.SchemaError) as err:
        schemas.check(bad, "transactions")
    assert "refund" in str(err.value) and "customer_id" in str(err.value)


def test_duplicate_keys_are_reported():
    frame = schemas.conform(
        pd.DataFrame({"customer_id": pd.array(["a", "a", "b"], dtype="string")}), "customers"
    )
    problems = schemas.validate(frame, "customers")
    assert [p.rule for p in problems] == ["unique_key"]
    assert "1 duplicate" in problems[0].message


def test_missing_required_column_is_reported():
    problems = schemas.validate(
        pd.DataFrame({"name": pd.array(["x"], dtype="string")}), "customers"
    )
    assert ("customer_id", "missing_column") in {(p.column, p.rule) for p in problems}


def test_data_dictionary_in_docs_is_up_to_date():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "data_dictionary.md"
    assert doc.read_text("utf-8") == schemas.data_dictionary(), "run `make docs`"
    assert "| customer_id | id | yes | yes |" in doc.read_text("utf-8")
