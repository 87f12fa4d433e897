"""The report pipeline end to end: papermill runs the templates, nbconvert exports the pages."""

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from crm_lab import cli, clv, ingest
from crm_lab.reporting.manifest import read_metrics, read_plan
from crm_lab.reporting.run import run_reports
from crm_lab.reporting.templates import default_templates_dir, find_templates
from crm_lab.value import rfm

TEMPLATE = default_templates_dir() / "01-customer-value.ipynb"


def test_report_command_writes_pages_and_index(demo_run):
    code, root = demo_run
    assert code == 0
    page = root / "reports" / "2025-12" / "customer-value.html"
    index = root / "reports" / "index.html"
    assert page.exists() and index.exists()
    assert "2025-12/customer-value.html" in index.read_text("utf-8")
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    assert [r["status"] for r in manifest["reports"]] == ["ok"] * len(find_templates())
    assert [r["slug"] for r in manifest["reports"]][-1] == "executive-summary"
    # the runner leaves each template's metrics as written; titles are in the run plan
    executed = root / "work" / "executed"
    metrics = read_metrics(executed / "customer-value.metrics.json")
    assert not {"title", "audience", "summary"} & set(metrics)
    plan = read_plan(executed)
    assert [r.slug for r in plan.reports] == [t.slug for t in find_templates()]
    summary = (root / "reports" / "2025-12" / "executive-summary.html").read_text("utf-8")
    assert '<a href="customer-value.html">Customer value: RFM segments</a>' in summary
    assert "review-queue.html" not in summary  # the analyst's page is not linked
    # the analyst's snapshot and executed notebook stay outside the stakeholder folder
    assert (root / "work" / "tables" / "transactions.parquet").exists()
    assert (root / "work" / "executed" / "01-customer-value.ipynb").exists()
    assert not list((root / "reports").rglob("*.parquet"))
    assert not list((root / "reports").rglob("*.ipynb"))


def test_page_has_no_code_no_cdn_and_charts(demo_run):
    _, root = demo_run
    html = (root / "reports" / "2025-12" / "customer-value.html").read_text("utf-8")
    assert "from crm_lab import" not in html and "write_metrics" not in html
    assert "metrics_path" not in html  # the parameters cell is hidden too
    external = re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"']?(?:https?:)?//", html)
    assert external == []
    assert "mathjax" not in html.lower() and "require.js" not in html
    assert html.count("<svg") >= 3  # monthly revenue, segment shares, RF grid
    assert "Champions" in html and "Customer value" in html
    assert "background-color: #000000" not in html
    assert len(html.encode()) < 5_000_000
    assert "Traceback" not in html and "Warning" not in html


def test_metrics_match_the_package(demo_run, demo_dir):
    _, root = demo_run
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    metrics = manifest["reports"][0]["metrics"]
    tx = ingest.clean_dataset(ingest.load_data(demo_dir))["transactions"]
    seg = rfm.rfm_segments(rfm.rfm_scores(rfm.rfm_table(tx, as_of="2025-12-31")))
    counts = seg["segment"].value_counts()
    for code in rfm.SEGMENT_CODES:  # keyed by code: segment_cannot_lose_them
        shown, n = metrics["headline"][f"segment_{code}"], counts.get(code, 0)
        # a segment of 1-4 customers is withheld, and the smallest others with it
        assert shown == (None if 0 < n < 5 else n) or (shown is None and n >= 5), code
    assert metrics["headline"] == {**metrics["headline"], **rfm.segment_counts(seg)}
    assert metrics["headline"]["customers_to_date"] == len(seg)
    sales = tx[(tx["line_type"] == "sale") & tx["customer_id"].notna()]
    december = sales[(sales["ordered_at"] >= "2025-12-01") & (sales["ordered_at"] < "2026-01-01")]
    assert metrics["headline"]["active_customers"] == december["customer_id"].nunique()
    first = sales.groupby("customer_id")["ordered_at"].min()
    assert metrics["headline"]["new_customers"] == (first >= "2025-12-01").sum()


@pytest.mark.parametrize("page", ["customer-value", "data-quality"])
def test_no_personal_data_in_the_pages(demo_run, demo, page):
    _, root = demo_run
    html = (root / "reports" / "2025-12" / f"{page}.html").read_text("utf-8")
    customers = demo.tables["customers"]
    for col in ("customer_id", "phone", "email", "name"):
        leaked = [v for v in customers[col].dropna() if len(v) > 4 and v in html]
        assert leaked == [], col
    assert not re.search(r"1[3-9]\d{9}", html)


def test_data_quality_page(demo_run, demo):
    _, root = demo_run
    html = (root / "reports" / "2025-12" / "data-quality.html").read_text("utf-8")
    for text in (
        "Data quality",
        "exact_duplicate",
        "non_positive_price",
        "invalid_date",
        "fuzzy_name",
        "Orders by kind",
        "Coverage and freshness",
        # how the files were read: the demo's files are read by the generic header names
        "How the files were read",
        "generic header names",
        "Columns ← headers",
        "customers.csv",
    ):
        assert text in html, text
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    quality = manifest["reports"][1]["metrics"]["quality"]
    assert quality["duplicate_customers_merged"] == len(demo.truth["duplicates"])
    assert (
        quality["rows_in"]
        == quality["rows_clean"] + quality["rows_quarantined"] + quality["rows_merged"]
    )


def _notebook(path: Path, source: str, requires=("transactions",)):
    nb = nbformat.read(TEMPLATE, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    nb.cells = [params, nbformat.v4.new_code_cell(source)]
    nb.metadata["crm_lab"] = {"title": path.stem, "requires": list(requires)}
    nbformat.write(nb, path)


def test_failing_template_does_not_stop_the_others_and_keeps_last_good_page(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    _notebook(
        templates / "01-flaky.ipynb",
        'assert as_of < "2025", "boom"\n'
        "from crm_lab.reporting import display\n"
        'display.write_metrics({"headline": {}}, metrics_path)',
    )
    _notebook(templates / "02-service.ipynb", "1 + 1", requires=("tickets",))
    shutil.copy(TEMPLATE, templates / "03-customer-value.ipynb")
    data = tmp_path / "transactions.csv"
    data.write_text(
        "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        # the data reaches into January: a run for early January is not refused as stale
        "1,a,2024-12-01,p,1,10\n2,b,2024-12-02,p,2,5\n3,a,2025-01-02,p,1,10\n",
        "utf-8",
    )
    out, work = tmp_path / "reports", tmp_path / "work"
    first = run_reports(
        data, as_of="2024-12-31", out_dir=out, period="P", templates_dir=templates, work_dir=work
    )
    assert [r.status for r in first.results] == ["ok", "skipped", "ok"] and first.ok
    assert first.results[1].reason == "no tickets table in the input"
    good = (out / "P" / "flaky.html").read_bytes()

    second = run_reports(
        data, as_of="2025-01-05", out_dir=out, period="P", templates_dir=templates, work_dir=work
    )
    assert [r.status for r in second.results] == ["failed", "skipped", "ok"] and not second.ok
    assert "AssertionError: boom" in second.results[0].reason
    assert "cell" in second.results[0].reason
    assert (out / "P" / "flaky.html").read_bytes() == good  # the last good page survives
    assert (work / "executed" / "01-flaky.ipynb").exists()  # kept for the analyst
    manifest = json.loads((out / "P" / "manifest.json").read_text("utf-8"))
    assert manifest["reports"][0]["stale"] is True
    assert not list((out / "P").glob(".*.tmp"))
    index = (out / "index.html").read_text("utf-8")
    assert "last good run" in index and "skipped" in index and "failed" in index


def test_cli_exit_codes_and_validate(tmp_path, capsys, demo_dir):
    assert cli.main(["validate", "--data", str(demo_dir)]) == 0
    out = capsys.readouterr().out
    assert "transactions" in out and "quarantined" in out and "invalid_date" in out
    (tmp_path / "orders.csv").write_text("foo,bar\n1,2\n", "utf-8")
    assert cli.main(["validate", "--data", str(tmp_path)]) == 2
    assert "missing required column" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["report", "--data", str(demo_dir), "--as-of", "31/31/2025", "--out", "x"])


def test_demo_data_command(tmp_path, capsys):
    assert cli.main(["demo-data", "--out", str(tmp_path), "--customers", "50", "--seed", "3"]) == 0
    assert (tmp_path / "customers.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-style
    data = ingest.load_data(tmp_path)
    assert data["customers"]["customer_id"].nunique() == 50 + 2


def test_report_on_online_retail(tmp_path):
    """`crm-lab report` on the real UCI Online Retail file, as the README shows it."""
    from tests.conftest import RETAIL

    code = cli.main(
        [
            "report",
            "--data",
            str(RETAIL),
            "--as-of",
            "2011-12-09",
            "--out",
            str(tmp_path / "reports"),
            "--work",
            str(tmp_path / "work"),
        ]
    )
    assert code == 0
    manifest = json.loads((tmp_path / "reports" / "2011-12" / "manifest.json").read_text("utf-8"))
    headline = manifest["reports"][0]["metrics"]["headline"]
    # cleaning: 5,268 repeated lines, 2,510 non-positive prices out; postage and fees typed
    # non_product, so 4,334 customers bought a product (4,339 with postage-only buyers)
    assert headline["customers_to_date"] == 4_334
    assert manifest["rows"] == {"customers": 4_372, "transactions": 541_909 - 5_268 - 2_510}
    html = (tmp_path / "reports" / "2011-12" / "customer-value.html").read_text("utf-8")
    assert "4,334" in html and "17850" not in html  # a customer id from the data
    # a year of history is too short for the purchase model to see customers leave: the
    # outlook says so, and its P(alive) figures stay out of the headline
    outlook = next(r for r in manifest["reports"] if r["slug"] == "customer-outlook")["metrics"]
    assert [w["code"] for w in outlook["warnings"]] == ["dropout_not_seen"]
    assert not set(clv.P_ALIVE_FIGURES) & set(outlook["headline"])
    html = (tmp_path / "reports" / "2011-12" / "customer-outlook.html").read_text("utf-8")
    assert html.count("cannot tell which customers have stopped buying") == 2  # top, churn risk
    assert len(re.findall(r"class=[\"']crm-warning[\"']", html)) == 2  # however it is quoted
    assert "Value held by at-risk customers</div>" not in html and "holdout_days" not in html
    assert "Days held out to check the model" in html


def test_outlook_page_keeps_its_risk_figures_where_the_model_sees_drop_out(demo_run):
    _, root = demo_run
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    outlook = next(r for r in manifest["reports"] if r["slug"] == "customer-outlook")["metrics"]
    assert outlook["warnings"] == [] and set(clv.P_ALIVE_FIGURES) <= set(outlook["headline"])
    html = (root / "reports" / "2025-12" / "customer-outlook.html").read_text("utf-8")
    assert not re.search(r"class=[\"']crm-warning[\"']", html) and "holdout_days" not in html


def test_analyst_page_goes_to_the_work_folder(demo_run):
    _, root = demo_run
    page = root / "work" / "analyst" / "review-queue.html"
    assert page.exists()
    assert not (root / "reports" / "2025-12" / "review-queue.html").exists()
    assert "review-queue" not in (root / "reports" / "index.html").read_text("utf-8")
    html = page.read_text("utf-8")
    assert "Look-alike customers" in html and not re.search(r"1[3-9]\d{9}", html)


def test_basket_page(demo_run, demo):
    _, root = demo_run
    html = (root / "reports" / "2025-12" / "basket.html").read_text("utf-8")
    for a, b in demo.truth["planted_pairs"]:
        assert a in html and b in html
    assert "Hit rate at N: rules" in html and "Seasonality by category" in html
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    holdout = next(r for r in manifest["reports"] if r["slug"] == "basket")["metrics"]["holdout"]
    assert holdout["customers"] > 0 and 0 <= holdout["hit_rate"] <= 1


def test_requires_names_a_table_with_rows_or_a_column_with_a_value(tmp_path):
    import pandas as pd

    from crm_lab.reporting.templates import unmet_requirements

    tx = pd.DataFrame({"invoice_id": ["1", "2"], "customer_id": [None, None]})
    tables = {"transactions": tx, "customers": tx.iloc[:0]}
    assert unmet_requirements(["transactions"], tables) == []
    assert unmet_requirements(["transactions.customer_id"], tables) == [
        "no transactions row has a customer_id"
    ]
    assert unmet_requirements(["customers"], tables) == ["the customers table is empty"]
    assert unmet_requirements(["tickets", "tickets.customer_id"], tables) == [
        "no tickets table in the input"  # said once
    ]
    tx.loc[1, "customer_id"] = "c1"  # one value is enough
    assert unmet_requirements(["transactions.customer_id"], tables) == []
    # a requirement that names no table or column of the schemas is refused where it is read:
    # that template fails with the reason, alone (find_templates still lists the others)
    _notebook(tmp_path / "01-typo.ipynb", "1", requires=("transactions.customer",))
    (typo,) = find_templates(tmp_path)
    assert re.search(r"01-typo.ipynb: .*'transactions.customer'; expected", typo.error)
    shipped = {t.slug: t.requires for t in find_templates()}
    assert shipped["customer-value"] == shipped["customer-outlook"] == ("transactions.customer_id",)
    # "transactions:items" (the basket page) is read, not refused as a typo; it is unmet
    # only when every row is a whole order (an order-level export)
    assert shipped["basket"] == ("transactions:items",)
    assert all(not t.error for t in find_templates())
    assert unmet_requirements(["transactions:items"], tables) == []
    orders = {"transactions": tx.assign(grain=["order", "order"])}
    (reason,) = unmet_requirements(["transactions:items"], orders)
    assert "every transactions row is a whole order" in reason
    assert (
        unmet_requirements(
            ["transactions:items"], {"transactions": tx.assign(grain=["order", "item"])}
        )
        == []
    )
    # a file read without a profile has no grain: its NA (pyarrow strings, as snapshots read
    # back) is not "every row is an order", or the demo shop's basket page would be skipped
    unknown = tx.assign(grain=pd.array([None, None], dtype="string[pyarrow]"))
    assert unmet_requirements(["transactions:items"], {"transactions": unknown}) == []
    for bad in ("transactions:lines", "customers:items", "transactions.customer_id:items"):
        _notebook(tmp_path / "01-typo.ipynb", "1", requires=(bad,))
        (typo,) = find_templates(tmp_path)
        assert f"{bad!r}; expected" in typo.error


def test_a_template_that_cannot_be_read_is_listed_with_the_reason_and_the_rest_still_load(
    tmp_path,
):
    good = tmp_path / "05-good.ipynb"
    _notebook(good, "1")
    nb = json.loads(good.read_text("utf-8"))
    broken = {
        "01-cut.ipynb": good.read_text("utf-8")[:40],  # a copy cut short mid-write
        "02-empty.ipynb": "",
        "03-latin1.ipynb": b'{"cells": [], "metadata": {"title": "caf\xe9"}}',
        "04-list.ipynb": "[1, 2]",
        "06-cells.ipynb": '{"cells": "x", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        "07-requires.ipynb": {**nb, "metadata": {"crm_lab": {"requires": "transactions"}}},
        "08-meta.ipynb": {**nb, "metadata": {"crm_lab": ["transactions"]}},
        "09-lfs.ipynb": "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 1\n",
    }
    for name, content in broken.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    (tmp_path / "10-folder.ipynb").mkdir()
    found = {t.path.name: t for t in find_templates(tmp_path)}
    assert set(found) == {*broken, "05-good.ipynb", "10-folder.ipynb"}
    assert found["05-good.ipynb"].error == "" and found["05-good.ipynb"].requires == (
        "transactions",
    )
    reasons = {name: t.error for name, t in found.items() if name != "05-good.ipynb"}
    assert all(name in reason for name, reason in reasons.items()), reasons
    assert reasons["01-cut.ipynb"].startswith("template 01-cut.ipynb is not valid JSON (line ")
    assert "not valid JSON (line 1, column 1: Expecting value)" in reasons["02-empty.ipynb"]
    assert "is not UTF-8 text" in reasons["03-latin1.ipynb"]
    assert "is not a Jupyter notebook" in reasons["04-list.ipynb"]
    assert "is not a Jupyter notebook" in reasons["06-cells.ipynb"]
    assert "crm_lab.requires is 'transactions'; expected a list" in reasons["07-requires.ipynb"]
    assert "metadata crm_lab is list; expected a mapping" in reasons["08-meta.ipynb"]
    assert "not valid JSON" in reasons["09-lfs.ipynb"]
    assert "cannot be read: Is a directory" in reasons["10-folder.ipynb"]
    assert all("\n" not in reason for reason in reasons.values())  # one line each
