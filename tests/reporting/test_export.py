"""Executed notebooks into pages (the run's banner on top, escaped as display made it) and
tables into CSV exports whose text cells cannot run as formulas."""

from __future__ import annotations

import csv

import nbformat
import pandas as pd
import pytest

from crm_lab.reporting import display, export
from tests.reporting import hostile


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_markdown_cell("Body")]
    return nb


def test_the_banner_heads_the_page_and_no_banner_leaves_none():
    warning = {"code": "stale_data", "last_day": "<b>2025-12-10</b>", "days": 21, "as_of": "x"}
    banner = display.warnings_html([warning], lang="en")
    page = export.export_html(_notebook(), title="T", footer="f", banner=banner)
    sentence = "The data ends on &lt;b&gt;2025-12-10&lt;/b&gt;, 21 days before"
    main = page.index("<main>")
    # inside <main>, before the first cell, exactly once and escaped
    assert main < page.index(sentence) < page.index("jp-Cell", main) < page.index(">Title<")
    assert page.count('role="alert"') == 1 and "<b>2025-12-10</b>" not in page
    plain = export.export_html(_notebook(), title="T", footer="f")
    assert 'role="alert"' not in plain and sentence not in plain


def _read_back(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("payload", hostile.FORMULAS)
def test_every_formula_disguise_is_neutralised_with_a_quote(payload):
    assert export.neutralise_cell(payload) == "'" + payload


@pytest.mark.parametrize(
    "text", ["tea", "a=b", "a-b", "x@example.com", "", " ", "50%", "'=already", "(1)", "中文"]
)
def test_ordinary_text_is_left_as_it_is(text):
    assert export.neutralise_cell(text) == text


def test_write_csv_neutralises_text_cells_and_headers_but_not_numbers(tmp_path):
    n = len(hostile.FORMULAS)
    frame = pd.DataFrame(
        {
            "item": hostile.FORMULAS,
            "lift": [-1.5] * n,  # a figure: stays a negative number
            "count": pd.array([-3] * n, dtype="Int64"),
            "mixed": ["=1", -2, None, "tea"] * (n // 4) + ["=1"] * (n % 4),
            "kind": pd.Categorical(["+x"] * n),
            "=cmd|' /C calc'!A0": ["ok"] * n,
        }
    )
    before = frame.copy()
    path = export.write_csv(frame, tmp_path / "out.csv")
    header, *rows = _read_back(path)
    assert header == ["item", "lift", "count", "mixed", "kind", "'=cmd|' /C calc'!A0"]
    assert [r[0] for r in rows] == ["'" + p for p in hostile.FORMULAS]
    assert {r[1] for r in rows} == {"-1.5"} and {r[2] for r in rows} == {"-3"}
    assert [r[3] for r in rows[:4]] == ["'=1", "-2", "", "tea"]  # text only: -2 is a number
    assert {r[4] for r in rows} == {"'+x"}
    pd.testing.assert_frame_equal(frame, before)  # the input is not changed
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left


def test_write_csv_keeps_the_last_export_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "rules.csv"
    path.write_text("old\n", "utf-8")

    def broken(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match=r"rules\.csv: cannot write the CSV file"):
        export.write_csv(pd.DataFrame({"a": ["x"]}), path)
    assert path.read_text("utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rules.csv"]
    with pytest.raises(OSError, match=r"missing.*rules\.csv: cannot write the CSV file here"):
        export.write_csv(pd.DataFrame({"a": ["x"]}), tmp_path / "missing" / "rules.csv")
