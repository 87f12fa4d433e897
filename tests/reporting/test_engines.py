"""The pages are the same on every engine.

The demo data's report set runs on pandas (the ``demo_run`` fixture: ``auto`` keeps a small
input there), then the templates that total order lines on an engine (those declaring an
``engine`` parameter) run again on DuckDB and on Spark in local mode. What a reader sees of
every code cell, and every metric the pages' figures come from, must be equal. Online Retail's
pages are compared across engines in ``test_as_of`` (its cut runs use DuckDB) and its
per-customer tables in ``tests/engine``.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import nbformat
import pytest

from crm_lab.reporting import run
from crm_lab.reporting.templates import find_templates
from tests.reporting.test_as_of import seen

pytestmark = pytest.mark.slow


# Pages whose totals on an engine are the segments' features and states, and the purchase days
# after contacts and tickets (order lines per customer, per value of a column, per purchase
# day): tests/engine/test_events.py proves those totals equal on Spark, DuckDB and pandas
# (customer_mix, purchase_days, the features); on Spark these pages take minutes, so they run
# here on DuckDB only
NOT_ON_SPARK = {"segments", "migration", "engagement"}


def _on_engines(engine: str = "duckdb") -> list:
    """The templates whose parameters cell declares ``engine`` (on Spark, not those of
    ``NOT_ON_SPARK``)."""
    found = []
    for template in find_templates():
        if engine == "spark" and template.slug in NOT_ON_SPARK:
            continue
        nb = nbformat.read(template.path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        if any(line.startswith("engine:") for line in cell.source.splitlines()):
            found.append(template)
    return found


def test_the_templates_on_engines_are_those_that_total_order_lines():
    expected = {"customer-value", "customer-outlook", "data-quality", "basket"}
    assert {t.slug for t in _on_engines()} >= expected


def _java() -> bool:
    try:
        return subprocess.run(["java", "-version"], capture_output=True).returncode == 0
    except OSError:
        return False


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_page_on_duckdb_or_spark_equals_its_page_on_pandas(engine, demo_run, demo_dir, tmp_path):
    if engine == "spark" and not _java():
        pytest.skip("no Java runtime: `make java` installs one (as root with apt-get)")
    _, root = demo_run
    templates = tmp_path / "templates"
    templates.mkdir()
    for template in _on_engines(engine):
        shutil.copy(template.path, templates / template.path.name)
    said = []
    result = run.run_reports(
        demo_dir,
        out_dir=tmp_path / "reports",
        work_dir=tmp_path / "work",
        templates_dir=templates,
        as_of="2025-12-31",
        engine=engine,
        progress=said.append,
    )
    assert [r.status for r in result.results] == ["ok"] * len(_on_engines(engine))
    # an engine other than pandas: the reports ran one at a time (memory of one kernel)
    assert f"  reports: one at a time (engine {engine}: a kernel holds its lines)" in said
    lines = [line for line in said if line.startswith("[")]
    pairs = list(zip(lines[::2], lines[1::2], strict=True))  # each start, then its own end
    assert pairs and all(
        a.endswith(": running") and b.startswith(a.split(":")[0] + ":") and b != a for a, b in pairs
    )
    for template in _on_engines(engine):
        name = template.path.name
        done = tmp_path / "work" / "executed" / name
        injected = next(
            c
            for c in nbformat.read(done, as_version=4).cells
            if "injected-parameters" in c.metadata.get("tags", [])
        )
        assert f"engine = {engine!r}" in injected.source.replace('"', "'")  # ran there
        assert seen(done) == seen(root / "work" / "executed" / name), name
        metrics = f"{template.slug}.metrics.json"
        on_engine = json.loads((tmp_path / "work" / "executed" / metrics).read_text("utf-8"))
        on_pandas = json.loads((root / "work" / "executed" / metrics).read_text("utf-8"))
        assert on_engine == on_pandas, template.slug
