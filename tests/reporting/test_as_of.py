"""A period's pages use nothing from after its as-of day.

Every template runs twice on the same data: on the whole file, and on the file cut at the
period's as-of day (the order lines after it removed; other tables' rows dated after it
removed too). What a reader sees must be the same: every code cell's outputs, in the form the
page renders (HTML tables, SVG charts, text). The only allowed differences are the figures
about the input file itself (rows read, accounting, the rules applied while cleaning): the
templates mark those cells with the ``input-file`` tag, and a template's metrics name its
headline figures about the input file (``"input_file": [key, ...]``), so that the executive
summary's rows for them may differ too. The rule is read from the templates, not listed here.

The cut runs total their order lines on DuckDB and the whole-file runs on pandas, so that the
same comparison also proves the engines give the same pages on Online Retail
(``test_engines`` compares them on the demo data alone).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from crm_lab import synth
from crm_lab.core import periods
from crm_lab.core.lines import day_end
from crm_lab.reporting import labels, run
from crm_lab.reporting.templates import find_templates
from tests.conftest import RETAIL

pytestmark = pytest.mark.slow

INPUT_FILE = "input-file"  # the cell tag of outputs about the input file as a whole
RENDERED = ("text/html", "image/svg+xml", "image/png", "text/markdown", "text/plain")
# the date that places a row of each demo file in time (a header of the file as written)
DEMO_DATES = {
    "transactions.csv": "ordered_at",
    "interactions.csv": "interacted_at",
    "tickets.csv": "opened_at",
    "campaign_responses.csv": "sent_at",
    "customers.csv": synth.CUSTOMERS_ZH_HEADERS["signup_date"],
}
# Online Retail cut three months before its end (the most later data a page could leak) and
# the demo data mid-history; one retail month is enough: each case runs every template twice
CASES = [("retail", "2011-09"), ("demo", "2025-06")]


def cut_retail(src: Path, out: Path, *, as_of) -> Path:
    """Online Retail without the lines invoiced after the as-of day, under the same name."""
    frame = pd.read_parquet(src)
    out.mkdir(parents=True)
    frame[frame["InvoiceDate"] < day_end(as_of)].to_parquet(out / src.name, index=False)
    return out / src.name


def cut_demo(src: Path, out: Path, *, as_of) -> Path:
    """The demo export files without their rows dated after the as-of day, as written.

    Values are kept as text, exactly as in the file; a row whose date cannot be read (planted
    dirt) stays, as it would in an export taken on the as-of day. A customer record that order
    lines up to that day point to existed then, whatever its signup date says (the demo's
    duplicate records sign up after some of their orders).
    """
    out.mkdir(parents=True)
    ordering = set()
    for path in sorted(src.iterdir(), key=lambda p: p.name != "transactions.csv"):
        if path.name not in DEMO_DATES:
            shutil.copy(path, out / path.name)
            continue
        encoding = "utf-8-sig" if path.read_bytes().startswith(b"\xef\xbb\xbf") else "utf-8"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        dates = pd.to_datetime(frame[DEMO_DATES[path.name]], errors="coerce", format="mixed")
        keep = ~(dates >= day_end(as_of))
        if path.name == "transactions.csv":
            ordering = set(frame.loc[keep, "customer_id"])
        elif path.name == "customers.csv":
            keep |= frame.iloc[:, 0].isin(ordering)  # the id column (Chinese header)
        assert not keep.all(), path.name  # the cut removes something from every file
        frame[keep].to_csv(out / path.name, index=False, encoding=encoding)
    return out


def seen(path: Path, *, skip_labels=frozenset()) -> list:
    """What a reader of the page sees of each code cell not tagged ``input-file``: its outputs,
    each in the one form the page renders; tables without the rows labelled ``skip_labels``."""
    shown = []
    for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "code" or INPUT_FILE in cell.metadata.get("tags", []):
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                outputs.append((output.name, output.text))
            elif output.output_type == "error":
                outputs.append(("error", output.ename, output.evalue))
            elif output.output_type in ("display_data", "execute_result"):
                kind = next(k for k in RENDERED if k in output.data)
                outputs.append((kind, _without(output.data[kind], skip_labels, kind=kind)))
        shown.append((number, cell.source.splitlines()[0] if cell.source else "", outputs))
    return shown


ROW = re.compile(r"<tr>.*?</tr>", re.S)
FIRST_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)


def _without(value: str, skip_labels, *, kind: str) -> str:
    """An HTML table without the rows whose first cell is one of ``skip_labels``."""
    if kind != "text/html" or not skip_labels or "<table" not in value:
        return value

    def keep(row: re.Match) -> str:
        first = FIRST_CELL.search(row.group(0))
        text = html.unescape(re.sub(r"<[^>]+>", "", first.group(1))).strip() if first else ""
        return "" if text in skip_labels else row.group(0)

    return ROW.sub(keep, value)


def _input_file_labels(executed: Path, lang: str) -> frozenset:
    """The display names of the headline figures templates declare as about the input file."""
    keys = set()
    for path in executed.glob("*.metrics.json"):
        keys |= set(json.loads(path.read_text("utf-8")).get("input_file", []))
    return frozenset(labels.label(k, lang=lang) for k in keys)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo-full")
    synth.write_demo(synth.make_demo(n_customers=600, seed=7), out)
    return out


@pytest.fixture(scope="module", params=CASES, ids=[f"{d}-{p}" for d, p in CASES])
def runs(request, demo_files, tmp_path_factory):
    """One run on the whole file and one on the file cut at the period's as-of day."""
    source, period = request.param
    as_of = periods.resolve_period(period).as_of
    root = tmp_path_factory.mktemp(f"{source}-{period}")
    full = RETAIL if source == "retail" else demo_files
    cut = (cut_retail if source == "retail" else cut_demo)(full, root / "cut-data", as_of=as_of)
    done = {}
    for name, data in (("full", full), ("cut", cut)):
        result = run.run_reports(
            data,
            out_dir=root / name / "reports",
            work_dir=root / name / "work",
            period=period,
            workers=3,
            engine="duckdb" if name == "cut" else "pandas",
        )
        # every page runs, but those the data cannot feed (Online Retail has no tickets or
        # contacts), which are skipped in both runs alike
        assert all(r.status in ("ok", "skipped") for r in result.results), [
            (r.slug, r.reason) for r in result.results if r.status not in ("ok", "skipped")
        ]
        done[name] = root / name / "work" / "executed"
        done[f"{name}_status"] = {r.slug: r.status for r in result.results}
    assert done["full_status"] == done["cut_status"]
    return done


@pytest.mark.parametrize("template", [t.path.name for t in find_templates()])
def test_a_period_page_equals_the_page_of_the_file_cut_at_its_as_of_day(runs, template):
    slug = next(t.slug for t in find_templates() if t.path.name == template)
    if runs["full_status"][slug] == "skipped":
        assert slug == "engagement" and "retail" in str(runs["full"])  # only this may skip
        return
    skip = _input_file_labels(runs["full"], "en") | _input_file_labels(runs["cut"], "en")
    full = seen(runs["full"] / template, skip_labels=skip)
    cut = seen(runs["cut"] / template, skip_labels=skip)
    assert [c[:2] for c in full] == [c[:2] for c in cut]
    differ = [f"cell {f[0]}: {f[1]}" for f, c in zip(full, cut, strict=True) if f != c]
    assert not differ, f"{template} shows data from after the as-of day in " + "; ".join(differ)


def test_the_data_quality_page_tags_only_its_cells_about_the_input_file():
    """The data-quality page keeps its order, kind and coverage tables comparable: only the
    cells about the file as read are tagged, and the rule counts and accounting among them."""
    nb = nbformat.read(
        next(t.path for t in find_templates() if t.slug == "data-quality"), as_version=4
    )
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c.source for c in code if INPUT_FILE in c.metadata.get("tags", [])]
    untagged = [c.source for c in code if INPUT_FILE not in c.metadata.get("tags", [])]
    assert any("accounting_table" in s for s in tagged)
    assert any("rule_counts" in s for s in tagged)
    for call in ("transactions_summary", "date_coverage", "completeness_matrix"):
        assert not any(call in s for s in tagged), call
        assert any(call in s and "as_of=as_of" in s for s in untagged), call
