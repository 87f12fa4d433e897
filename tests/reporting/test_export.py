"""Executed notebooks into pages (the run's banner on top, escaped as display made it) and
tables into CSV exports whose text cells cannot run as formulas."""

from __future__ import annotations

import csv
import html
import shutil

import nbformat
import pandas as pd
import pytest

from crm_lab import cli, synth
from crm_lab.reporting import display, export
from crm_lab.reporting.templates import default_templates_dir
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


@pytest.mark.slow
def test_hostile_names_reach_no_page_and_no_export_live(tmp_path):
    """The demo shop with product names, categories and a bad date an attacker wrote:
    the basket and data-quality pages and the index show them as text, the exports as inert
    cells."""
    demo = synth.make_demo(n_customers=300, seed=7)
    tx = demo.tables["transactions"]
    names = sorted(tx["product_name"].dropna().unique())
    # CR and NUL left out: the demo writer's CSV does not quote a CR, and NUL ends a CSV field
    payloads = [p for p in hostile.ALL if "\r" not in p and "\x00" not in p]
    named = {name: f"{payloads[i % len(payloads)]} {i}" for i, name in enumerate(names)}
    tx["product_name"] = tx["product_name"].map(named)
    tx["category"] = "<b onmouseover=alert(9)>" + tx["category"].astype(str)
    data = tmp_path / "data"
    synth.write_demo(demo, data)
    lines = pd.read_csv(data / "transactions.csv", dtype=str, keep_default_na=False)
    lines.loc[3, "ordered_at"] = "<img src=x onerror=alert(10)>"  # quarantined, value shown
    lines.to_csv(data / "transactions.csv", index=False)
    templates = tmp_path / "t"
    templates.mkdir()
    for name in ("02-data-quality", "03-basket"):
        shutil.copy(default_templates_dir() / f"{name}.ipynb", templates)
    out = tmp_path / "reports"
    argv = ["--data", str(data), "--as-of", "2025-12-31", "--out", str(out)]
    assert (
        cli.main(["report", *argv, "--work", str(tmp_path / "w"), "--templates", str(templates)])
        == 0
    )
    pages = {p.name: p.read_text("utf-8") for p in out.rglob("*.html")}
    assert set(pages) == {"index.html", "basket.html", "data-quality.html"}
    for name, page in pages.items():
        assert hostile.live_markup(page) == [], name
        assert not set(page) & hostile.UNSAFE_CHARS, name
    basket, quality = pages["basket.html"], pages["data-quality.html"]
    shown = [p for p in hostile.MARKUP if f"{html.escape(p, quote=False)} " in basket]
    assert len(shown) >= 3, shown  # names with markup are in the rules, as text
    assert "&lt;img src=x onerror=alert(10)&gt;" in quality  # the quarantined value
    # the exports of the same file: every cell a spreadsheet would run carries a quote
    rules, recs = tmp_path / "rules.csv", tmp_path / "recs.csv"
    mining = ["--min-support", "0.005", "--min-confidence", "0.1"]
    assert cli.main(["rules", "--data", str(data), *mining, "--out", str(rules)]) == 0
    argv = ["recommend", "--data", str(data), "--as-of", "2025-12-31", *mining, "--raw-ids"]
    assert cli.main([*argv, "--out", str(recs)]) == 0
    cells = []
    for path, columns in ((rules, ("antecedent", "consequent")), (recs, ("item", "because"))):
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows, path.name
        cells += [row[c] for row in rows for c in columns]
    formulas = [c for c in cells if export.neutralise_cell(c.lstrip("'")) != c.lstrip("'")]
    assert formulas and all(c.startswith("'") for c in formulas)
    assert not [c for c in cells if export.neutralise_cell(c) != c and not c.startswith("'")]
