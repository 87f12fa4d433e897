"""Report runs as a scheduler and a stakeholder see them: parameters, periods, locks, failures,
atomic publishing, the privacy gate, languages, reproducibility and self-contained pages."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from crm_lab import cli, ingest, privacy
from crm_lab.core import periods
from crm_lab.reporting import gate, run
from crm_lab.reporting import manifest as mf
from crm_lab.reporting.templates import (
    NoTemplatesError,
    default_templates_dir,
    find_templates,
    read_params_file,
)
from tests.conftest import sha256

TEMPLATE = default_templates_dir() / "01-customer-value.ipynb"
TX = (
    "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    "1,a,2024-12-01,p,1,10\n2,b,2024-12-02,p,2,5\n3,a,2025-01-03,q,1,7\n"
)


def _template(path: Path, source: str, *, params: str = "", requires=("transactions",)):
    """A small template: the standard parameters (plus ``params``) and one code cell."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    if params:
        cell.source += "\n" + params
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {path.stem}"),
        cell,
        nbformat.v4.new_code_cell(source),
    ]
    nb.metadata["crm_lab"] = {
        "title": {"en": path.stem, "zh": path.stem},
        "requires": list(requires),
    }
    nbformat.write(nb, path)


WRITE = (
    "from crm_lab.reporting import display\n"
    "display.write_metrics({{'headline': {{}}, 'got': {expr}}}, metrics_path)"
)


@pytest.fixture
def tx_file(tmp_path):
    path = tmp_path / "data" / "transactions.csv"
    path.parent.mkdir()
    path.write_text(TX, "utf-8")
    return path


def _run(tmp_path, data, templates, **kw):
    return run.run_reports(
        data,
        out_dir=tmp_path / "reports",
        work_dir=tmp_path / "work",
        templates_dir=templates,
        **kw,
    )


def test_params_from_yaml_keep_strings_and_follow_declared_types(tmp_path, tx_file):
    templates = tmp_path / "t"
    templates.mkdir()
    _template(
        templates / "01-echo.ipynb",
        WRITE.format(expr="[code, top_n, share, flag]"),
        params='code: str = "x"  # a code\ntop_n: int = 3  # how many\n'
        "share: float = 0.5  # a share\nflag: bool = False  # a switch",
    )
    params_file = tmp_path / "params.yaml"
    params_file.write_text("code: 007\ntop_n: 10\nshare: '0.25'\nflag: yes\n", "utf-8")
    params = read_params_file(params_file)
    assert params == {"code": "007", "top_n": "10", "share": "0.25", "flag": "yes"}
    done = _run(tmp_path, tx_file, templates, as_of="2025-01-31", params=params)
    assert done.ok
    assert done.results[0].metrics["got"] == ["007", 10, 0.25, True]
    manifest = json.loads((tmp_path / "reports" / "2025-01" / "manifest.json").read_text("utf-8"))
    assert manifest["parameters"]["code"] == "007"
    bad = _run(tmp_path, tx_file, templates, as_of="2025-01-31", params={"top_n": "many"})
    assert bad.results[0].status == "failed"
    assert "parameter 'top_n' must be int, got 'many'" in bad.results[0].reason


def test_cli_param_007_stays_text(tmp_path, tx_file):
    templates = tmp_path / "t"
    templates.mkdir()
    _template(templates / "01-echo.ipynb", WRITE.format(expr="code"), params='code: str = "x"  # c')
    code = cli.main(
        [
            "report",
            "--data",
            str(tx_file),
            "--period",
            "2025-01",
            "--out",
            str(tmp_path / "r"),
            "--work",
            str(tmp_path / "w"),
            "--templates",
            str(templates),
            "--param",
            "code=007",
        ]
    )
    assert code == 0
    manifest = json.loads((tmp_path / "r" / "2025-01" / "manifest.json").read_text("utf-8"))
    assert manifest["reports"][0]["metrics"]["got"] == "007"


def test_relative_periods():
    p = periods.resolve_period("last-month", today="2026-03-10")
    assert (p.name, str(p.start.date()), str(p.as_of.date())) == (
        "2026-02",
        "2026-02-01",
        "2026-02-28",
    )
    p = periods.resolve_period("last-quarter", today="2026-01-02")
    assert (p.name, str(p.start.date()), str(p.as_of.date())) == (
        "2025-Q4",
        "2025-10-01",
        "2025-12-31",
    )
    p = periods.resolve_period("last-week", today="2026-01-15")  # a Thursday
    assert (str(p.start.date()), str(p.as_of.date())) == ("2026-01-05", "2026-01-11")
    p = periods.resolve_period("2024-02", as_of="2024-02-15")
    assert (p.name, str(p.as_of.date()), p.days) == ("2024-02", "2024-02-15", 15)
    with pytest.raises(ValueError, match="give --as-of"):
        periods.resolve_period("spring-sale")


def test_lock_stops_a_second_run(tmp_path, tx_file):
    out = tmp_path / "reports"
    with run._lock(out):
        with pytest.raises(run.RunLockedError, match="another report run"):
            _run(tmp_path, tx_file, None, as_of="2025-01-31")
        code = cli.main(
            [
                "report",
                "--data",
                str(tx_file),
                "--as-of",
                "2025-01-31",
                "--out",
                str(out),
                "--work",
                str(tmp_path / "w"),
            ]
        )
        assert code == 3
    # released afterwards
    with run._lock(out):
        pass


def test_killed_kernel_and_failed_publish_keep_the_last_good_page(tmp_path, tx_file, monkeypatch):
    templates = tmp_path / "t"
    templates.mkdir()
    _template(templates / "01-stable.ipynb", WRITE.format(expr="as_of"))
    _template(templates / "02-other.ipynb", WRITE.format(expr="period"))
    first = _run(tmp_path, tx_file, templates, period="P", as_of="2025-01-31")
    assert [r.status for r in first.results] == ["ok", "ok"]
    page = tmp_path / "reports" / "P" / "stable.html"
    good = page.read_bytes()

    # 1. the kernel dies mid-run: the template fails, the other still runs
    _template(
        templates / "01-stable.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
    )
    killed = _run(tmp_path, tx_file, templates, period="P", as_of="2025-01-31")
    assert [r.status for r in killed.results] == ["failed", "ok"]
    assert "Dead" in killed.results[0].reason or "died" in killed.results[0].reason.lower()
    assert page.read_bytes() == good
    assert (tmp_path / "work" / "executed" / "01-stable.ipynb").exists()
    assert not list((tmp_path / "reports").rglob("*.ipynb"))

    # 2. the run fails between writing the page and renaming it into place
    _template(templates / "01-stable.ipynb", WRITE.format(expr="'new'"))

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        _run(tmp_path, tx_file, templates, period="P", as_of="2025-01-31")
    monkeypatch.undo()
    assert page.read_bytes() == good
    assert not list((tmp_path / "reports").rglob(".*.tmp"))


def test_privacy_gate_blocks_a_page_with_personal_data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text(
        "customer_id,name,phone,email\nc0001,Linda Clarke,13800138000,linda@example.com\n", "utf-8"
    )
    (data / "transactions.csv").write_text(TX.replace(",a,", ",c0001,"), "utf-8")
    templates = tmp_path / "t"
    templates.mkdir()
    # the template plants personal data that is not in the (de-identified) data it reads
    leak = "print('call Linda Clarke on 138 0013 8000')\n" + WRITE.format(expr="1")
    _template(templates / "01-leak.ipynb", leak)
    _template(templates / "02-fine.ipynb", WRITE.format(expr="2"))
    done = _run(tmp_path, data, templates, as_of="2025-01-31")
    assert [r.status for r in done.results] == ["failed", "ok"]
    reason = done.results[0].reason
    assert reason.startswith("PrivacyGateError: privacy gate")
    assert "+86 138****8000" in reason and "L***" in reason
    assert "13800138000" not in reason and "Linda" not in reason
    assert not (tmp_path / "reports" / "2025-01" / "leak.html").exists()


def test_pages_are_self_contained_and_small(demo_run):
    _, root = demo_run
    pages = sorted((root / "reports").rglob("*.html"))
    stakeholder = [t for t in find_templates() if t.audience != "analyst"]
    assert len(pages) == len(stakeholder) + 1  # the stakeholder reports and the index
    for page in pages:
        html = page.read_text("utf-8")
        assert not re.findall(
            r"<(?:script|link|img|iframe)[^>]+(?:src|href)=[\"']?(?:https?:)?//", html
        )
        assert "cdn." not in html and "mathjax" not in html.lower() and "require.min.js" not in html
        assert len(html.encode()) < 5_000_000


def test_outputs_use_only_mime_types_the_html_export_renders(demo_run):
    """nbconvert drops outputs whose mime type it cannot render (plotly's JSON, widgets)."""
    _, root = demo_run
    rendered = {"text/html", "image/svg+xml", "image/png", "text/plain", "text/markdown"}
    for path in (root / "work" / "executed").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.output_type in ("display_data", "execute_result"):
                    kinds = set(output.get("data", {}))
                    assert kinds & (rendered - {"text/plain"}), (path.name, kinds)
                    assert kinds <= rendered, (path.name, kinds - rendered)


def test_both_languages(demo_dir, tmp_path):
    code = cli.main(
        [
            "report",
            "--data",
            str(demo_dir),
            "--period",
            "2025-12",
            "--lang",
            "zh",
            "--out",
            str(tmp_path / "zh"),
            "--work",
            str(tmp_path / "wz"),
        ]
    )
    assert code == 0
    zh = (tmp_path / "zh" / "2025-12" / "customer-value.html").read_text("utf-8")
    assert "<title>客户价值：RFM 分群</title>" in zh and 'lang="zh"' in zh
    assert "客户分群" in zh and "冠军客户" in zh and "最近购买 × 购买频次" in zh
    assert "Suggested action" not in zh and "Who are they" not in zh
    dq = (tmp_path / "zh" / "2025-12" / "data-quality.html").read_text("utf-8")
    assert "数据质量" in dq and "Completeness by column" not in dq
    index = (tmp_path / "zh" / "index.html").read_text("utf-8")
    assert "管理层摘要" in index


def test_english_pages_have_no_chinese_narrative(demo_run):
    _, root = demo_run
    html = (root / "reports" / "2025-12" / "customer-value.html").read_text("utf-8")
    assert "Suggested action" in html and "建议行动" not in html and 'lang="en"' in html


def test_same_inputs_same_pages(demo_run, demo_dir, tmp_path):
    """The demo run again, into other folders: every page the same, byte for byte."""
    _, root = demo_run
    args = ["report", "--data", str(demo_dir), "--as-of", "2025-12-31"]
    assert cli.main([*args, "--out", str(tmp_path / "r"), "--work", str(tmp_path / "w")]) == 0
    pages = sorted(p.name for p in (root / "reports" / "2025-12").glob("*.html"))
    assert len(pages) == len(find_templates()) - 1  # all but the analyst's review queue
    for page in pages:
        a = (root / "reports" / "2025-12" / page).read_bytes()
        b = (tmp_path / "r" / "2025-12" / page).read_bytes()
        assert a == b, page


def test_manifest_names_its_inputs(demo_run, demo_dir):
    _, root = demo_run
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    files = {Path(i["file"]).name: i["sha256"] for i in manifest["inputs"]}
    for path in Path(demo_dir).glob("*.csv"):
        assert files[path.name] == sha256(path)
    assert manifest["versions"]["crm_lab"] and manifest["versions"]["pandas"]
    assert manifest["period_start"] == "2025-12-01" and manifest["as_of"] == "2025-12-31"
    assert all(r["seconds"] >= 0 for r in manifest["reports"])


def test_executive_summary_compares_periods(demo_dir, tmp_path):
    out, work, templates = tmp_path / "r", tmp_path / "w", tmp_path / "t"
    templates.mkdir()  # the summary and two reports it links: three runs of all six take long
    for name in ("01-customer-value", "02-data-quality", "90-executive-summary"):
        shutil.copy(default_templates_dir() / f"{name}.ipynb", templates)
    for period in ("2024-12", "2025-11", "2025-12"):
        argv = ["report", "--data", str(demo_dir), "--period", period, "--out", str(out)]
        assert cli.main([*argv, "--work", str(work / period), "--templates", str(templates)]) == 0
    html = (out / "2025-12" / "executive-summary.html").read_text("utf-8")
    metrics = {}
    for period in ("2024-12", "2025-11", "2025-12"):
        m = json.loads((out / period / "manifest.json").read_text("utf-8"))
        metrics[period] = m["reports"][0]["metrics"]["headline"]["active_customers"]
    now, prev, year = metrics["2025-12"], metrics["2025-11"], metrics["2024-12"]
    assert f"{now / prev - 1:+.1%}" in html and f"{now / year - 1:+.1%}" in html
    assert "customer-value.html" in html and "data-quality.html" in html
    index = (out / "index.html").read_text("utf-8")
    assert index.index("2025-12") < index.index("2025-11") < index.index("2024-12")
    assert "<polyline" in index  # trend sparklines


def test_encrypted_inputs_round_trip(demo_dir, tmp_path, capsys):
    key = tmp_path / "keys" / "data.key"
    enc = tmp_path / "enc"
    enc.mkdir()
    src = Path(demo_dir) / "customers.csv"
    before = sha256(src)
    assert (
        cli.main(["encrypt", str(src), str(enc / "customers.csv.enc"), "--key-file", str(key)]) == 0
    )
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert sha256(src) == before
    assert b"customer_id" not in (enc / "customers.csv.enc").read_bytes()
    plain = ingest.load_data(src)["customers"]
    decrypted = ingest.load_data(enc, key_file=key)["customers"]
    assert decrypted.equals(plain)
    with pytest.raises(ingest.LoadError, match=r"give its key \(--data-key-file\)"):
        ingest.load_data(enc)
    other = tmp_path / "other.key"
    privacy.new_data_key(other)
    with pytest.raises(ingest.LoadError, match="wrong key"):
        ingest.load_data(enc, key_file=other)
    assert (
        cli.main(
            [
                "decrypt",
                str(enc / "customers.csv.enc"),
                str(tmp_path / "back.csv"),
                "--key-file",
                str(key),
            ]
        )
        == 0
    )
    assert sha256(tmp_path / "back.csv") == before


def test_pseudonyms_and_small_groups(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    key_file = privacy.new_pseudonym_key(tmp_path / "cfg" / "pseudonym.key")
    key = privacy.pseudonym_key(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert privacy.pseudonym_key(key_file) == key  # read again, the same
    ids = pd.Series(["00012345", "00012345", "00067890", None], dtype="string")
    p = privacy.pseudonymize(ids, key=key)
    assert p.iloc[0] == p.iloc[1] != p.iloc[2] and pd.isna(p.iloc[3])
    assert re.fullmatch(r"P[bcdfghjkmnprstvw]{16}", p.iloc[0]) and "12345" not in p.iloc[0]
    assert privacy.pseudonymize(ids, key=b"other").iloc[0] != p.iloc[0]
    monkeypatch.setenv(privacy.KEY_ENV, "from-env-0123456789")
    assert privacy.pseudonym_key(key_file) == key  # an explicit key file beats the environment
    assert privacy.pseudonym_key() == b"from-env-0123456789"
    seg = pd.DataFrame({"segment": ["A", "B"], "customers": [3, 40], "revenue": [90.0, 1200.0]})
    out = privacy.suppress_small(seg, count="customers", columns=["revenue"])
    assert out["customers"].tolist() == ["<5", "40"]
    assert pd.isna(out["revenue"].iloc[0]) and out["revenue"].iloc[1] == 1200.0


def test_stakeholder_reports_read_a_deidentified_snapshot(demo_run, demo):
    import pandas as pd

    _, root = demo_run
    full = ingest.load_data(root / "work" / "tables")
    deid = ingest.load_data(root / "work" / "tables-deidentified")
    customers = deid["customers"]
    assert customers[["name", "phone", "email"]].isna().all().all()
    assert customers["customer_id"].str.fullmatch(r"P[bcdfghjkmnprstvw]{16}").all()
    assert not customers["customer_id"].isin(demo.tables["customers"]["customer_id"]).any()
    births = customers["birth_date"].dropna()
    assert ((births.dt.month == 1) & (births.dt.day == 1)).all()
    # joins still work: the same customers bought the same amounts
    spend_full = full["transactions"].groupby("customer_id")["amount"].sum().sort_values()
    spend_deid = deid["transactions"].groupby("customer_id")["amount"].sum().sort_values()
    assert spend_full.to_numpy().tolist() == pytest.approx(spend_deid.to_numpy().tolist())
    assert (
        pd.Index(deid["transactions"]["customer_id"].dropna()).isin(customers["customer_id"]).all()
    )
    # executed stakeholder notebooks were given the de-identified data
    nb = nbformat.read(root / "work" / "executed" / "01-customer-value.ipynb", as_version=4)
    assert "tables-deidentified" in "".join(c.source for c in nb.cells)
    nb = nbformat.read(root / "work" / "executed" / "80-review-queue.ipynb", as_version=4)
    assert "tables-deidentified" not in "".join(c.source for c in nb.cells)


# --- the run's steps, one by one ----------------------------------------------------------------
def test_plan_writes_nothing_and_names_an_empty_templates_folder(tmp_path, tx_file, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(NoTemplatesError, match=f"no report templates .* in {empty}"):
        run.plan_run(tx_file, out_dir="reports", as_of="2025-01-31", templates_dir=empty)
    assert sorted(tmp_path.rglob("*")) == before
    plan = run.plan_run(tx_file, out_dir="reports", as_of="2025-01-31", pseudonym_key_file="k")
    digest = hashlib.sha256(str(tmp_path / "reports").encode()).hexdigest()[:8]
    expected = tmp_path / "data" / "interim" / f"reports-{digest}" / "2025-01"
    assert plan.work_dir == expected  # absolute, honest, one per reports folder
    assert plan.out_dir == tmp_path / "reports" and plan.pseudonym_key_file == tmp_path / "k"
    assert [t.slug for t in plan.templates] == [t.slug for t in find_templates()]
    assert plan.templates[-1].summary and sorted(tmp_path.rglob("*")) == before
    with pytest.raises(ValueError, match="lang"):
        run.plan_run(tx_file, out_dir="reports", as_of="2025-01-31", lang="fr")


def test_cli_exit_code_2_when_no_templates(tmp_path, tx_file, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ["report", "--data", str(tx_file), "--as-of", "2025-01-31", "--out", str(tmp_path / "r")]
    assert cli.main([*args, "--templates", str(empty)]) == 2
    assert f"no report templates (NN-slug.ipynb) in {empty}" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.fixture
def small_plan(tmp_path, tx_file, monkeypatch):
    monkeypatch.setenv(privacy.KEY_ENV, "test-key-0123456789")
    folder = tmp_path / "t"
    folder.mkdir()
    _template(folder / "01-echo.ipynb", WRITE.format(expr="data_path"))
    _template(folder / "02-service.ipynb", WRITE.format(expr="1"), requires=("tickets",))
    return run.plan_run(
        tx_file,
        out_dir=tmp_path / "reports",
        work_dir=tmp_path / "work",
        as_of="2025-01-31",
        templates_dir=folder,
    )


def test_prepare_inputs_writes_both_snapshots_and_the_run_plan(small_plan):
    stale = small_plan.metrics_dir / "echo.metrics.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"headline": {"old": 1}}', "utf-8")
    inputs = run.prepare_inputs(small_plan, say=lambda line: None)
    assert not stale.exists()  # an earlier run's figures cannot reach this run's summary
    assert inputs.snapshot == small_plan.work_dir / "tables"
    assert ingest.is_snapshot(inputs.snapshot) and ingest.is_snapshot(inputs.deidentified)
    ids = ingest.read_clean(inputs.deidentified)["transactions"]["customer_id"]
    assert ids.str.fullmatch(r"P[bcdfghjkmnprstvw]{16}").all()
    assert inputs.known["customer_id"] == {"a", "b"}
    plan = mf.read_plan(small_plan.metrics_dir)
    assert [r.slug for r in plan.reports] == ["echo", "service"] and plan.as_of == "2025-01-31"
    assert not small_plan.out_dir.exists()  # stakeholder folder untouched until publishing


def test_execute_then_publish_one_template(small_plan):
    inputs = run.prepare_inputs(small_plan, say=lambda line: None)
    echo, service = small_plan.templates
    notebook, metrics = run.execute_template(small_plan, inputs, echo)
    assert metrics["got"] == str(inputs.deidentified)  # stakeholder templates read this one
    assert (small_plan.metrics_dir / "01-echo.ipynb").exists()
    page = run.publish_page(small_plan, inputs, echo, notebook)
    assert page == small_plan.period_dir / "echo.html" and "<html" in page.read_text("utf-8")
    skipped = run.run_template(small_plan, inputs, service)
    assert (skipped.status, skipped.reason) == ("skipped", "no tickets table in the input")
    notebook.cells[-1].outputs = [nbformat.v4.new_output("stream", text="call 13800138000\n")]
    with pytest.raises(gate.PrivacyGateError):
        run.publish_page(small_plan, inputs, echo, notebook)
    assert "13800138000" not in page.read_text("utf-8")  # the published page stayed


def test_a_kernel_that_dies_before_its_first_reply_is_started_again_and_nothing_else_is(
    small_plan, monkeypatch
):
    import papermill as pm

    inputs = run.prepare_inputs(small_plan, say=lambda line: None)
    echo = small_plan.templates[0]
    real, calls = pm.execute_notebook, []

    def dies_first(*args, **kw):  # the port race of kernels started side by side
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError(run.KERNEL_DIED)
        return real(*args, **kw)

    monkeypatch.setattr(pm, "execute_notebook", dies_first)
    _, metrics = run.execute_template(small_plan, inputs, echo)
    assert len(calls) == 2 and metrics["got"] == str(inputs.deidentified)
    log_text = small_plan.executed_path(echo).with_suffix(".kernel.log").read_text("utf-8")
    assert "kernel start 1 failed" in log_text

    def always_dies(*args, **kw):
        calls.append(1)
        raise RuntimeError(run.KERNEL_DIED)

    calls.clear()
    monkeypatch.setattr(pm, "execute_notebook", always_dies)
    with pytest.raises(RuntimeError, match="Kernel died"):
        run.execute_template(small_plan, inputs, echo)
    assert len(calls) == run.KERNEL_STARTS

    def other_error(*args, **kw):  # a failing cell ran code: never run it twice
        calls.append(1)
        raise RuntimeError("cell failed")

    calls.clear()
    monkeypatch.setattr(pm, "execute_notebook", other_error)
    with pytest.raises(RuntimeError, match="cell failed"):
        run.execute_template(small_plan, inputs, echo)
    assert len(calls) == 1


def test_write_run_record_keeps_the_last_good_page(small_plan):
    inputs = run.prepare_inputs(small_plan, say=lambda line: None)
    good = run.ReportResult("echo", "Echo", "ok", html="echo.html", metrics={"headline": {"n": 1}})
    small_plan.period_dir.mkdir(parents=True)
    (small_plan.period_dir / "echo.html").write_text("<html>good</html>", "utf-8")
    first = run.write_run_record(small_plan, inputs, [good], seconds=1.0)
    assert first.reports[0].stale is False and first.rows == {"customers": 2, "transactions": 3}
    failed = run.ReportResult("echo", "Echo", "failed", reason="boom")
    second = run.write_run_record(small_plan, inputs, [failed], seconds=1.0)
    r = second.reports[0]
    assert (r.status, r.html, r.stale, r.metrics, r.reason) == (
        "failed",
        "echo.html",
        True,
        {"headline": {"n": 1}},
        "boom",
    )
    assert mf.read_manifest(small_plan.period_dir) == second
    assert "last good run" in (small_plan.out_dir / "index.html").read_text("utf-8")


# --- stale data, warnings through the run, skipped inputs (issue 10, points 2 and 6) ------------
def _dataset(**days):
    """A dataset whose event tables hold the given days (table name -> list of days)."""
    import pandas as pd

    from crm_lab.core.schemas import EVENT_DATES

    tables = {
        t: pd.DataFrame({EVENT_DATES[t]: pd.to_datetime(d, format="ISO8601")})
        for t, d in days.items()
    }
    return ingest.Dataset(tables=tables)


def test_the_data_ends_on_the_last_order_line_and_is_judged_against_the_period():
    jan = periods.resolve_period("2025-01")  # 2025-01-01 .. 2025-01-31
    # order lines first: a later interaction does not make stale order lines fresh
    data = _dataset(
        transactions=["2024-12-30", "2025-01-03 18:45"], interactions=["2025-01-30 09:00"]
    )
    assert run.data_end(data) == (pd_ts("2025-01-03"), "transactions.ordered_at")
    # 2025-01-31 - 2025-01-03 = 28 days: more than 7 (the default) and than 27, not than 28
    stale = {"code": "stale_data", "last_day": "2025-01-03", "days": 28, "as_of": "2025-01-31"}
    assert run.check_freshness(jan, data) == [stale]
    assert run.check_freshness(jan, data, stale_after_days=27) == [stale]
    assert run.check_freshness(jan, data, stale_after_days=28) == []
    # without order lines, the other event tables; without any dated record, nothing to judge
    assert run.data_end(_dataset(tickets=["2025-01-29 10:00"])) == (
        pd_ts("2025-01-29"),
        "tickets.opened_at",
    )
    assert run.check_freshness(jan, _dataset(tickets=["2025-01-29"])) == []
    assert run.data_end(_dataset()) is None and run.check_freshness(jan, _dataset()) == []
    # data that ends before the period begins: an error naming the day, the column, the period
    nov = periods.resolve_period("2026-11")
    with pytest.raises(run.StaleDataError) as caught:
        run.check_freshness(nov, data)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)  # the command line exits 2
    assert "the data ends on 2025-01-03 (the last transactions.ordered_at)" in message
    assert "before period 2026-11 begins (2026-11-01 to 2026-11-30)" in message


def pd_ts(day):
    import pandas as pd

    return pd.Timestamp(day)


def test_stale_after_days_is_checked_when_planning(tx_file):
    for bad, expected in ((-1, "0 or more, got -1"), (1.5, "whole number of days, got 1.5")):
        with pytest.raises(ValueError, match=re.escape(expected)):
            run.plan_run(tx_file, out_dir="r", as_of="2025-01-31", stale_after_days=bad)


def test_data_ending_before_the_period_publishes_nothing_and_exits_2(tmp_path, tx_file, capsys):
    templates = tmp_path / "t"
    templates.mkdir()
    _template(templates / "01-echo.ipynb", WRITE.format(expr="as_of"))
    out, work = tmp_path / "reports", tmp_path / "work"
    args = ["report", "--data", str(tx_file), "--out", str(out), "--templates", str(templates)]
    # a good run first; the data (last order line 2025-01-03) is 28 days old on 2025-01-31
    assert (
        cli.main([*args, "--period", "2025-01", "--work", str(work), "--stale-after-days", "28"])
        == 0
    )
    manifest = json.loads((out / "2025-01" / "manifest.json").read_text("utf-8"))
    assert manifest["warnings"] == []  # 28 days is not more than 28
    capsys.readouterr()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code = cli.main([*args, "--period", "2026-11", "--work", str(tmp_path / "w2")])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: the data ends on 2025-01-03" in err and "before period 2026-11 begins" in err
    assert not (out / "2026-11").exists()  # nothing published, no manifest
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    # the published period's own folder, for a period beginning after the data ends
    late = periods.Period("2025-01", pd_ts("2025-01-04"), pd_ts("2025-01-31"))
    with pytest.raises(run.StaleDataError, match="ends on 2025-01-03"):
        _run(tmp_path, tx_file, templates, period=late)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


PLANTED = {"code": "stale_data", "last_day": "<i>planted</i>", "days": 3, "as_of": "2025-12-31"}
STALE = "The data ends on 2025-12-10, 21 days before the as-of day 2025-12-31"
NO_ID = "no transactions row has a customer_id"


@pytest.fixture(scope="module")
def stale_run(demo_dir, tmp_path_factory):
    """One run of every shipped template, plus one that warns, on the demo files as exported on
    2025-12-10 (order lines after that day cut; the other tables go on) for period 2025-12,
    their customer id header renamed to one the aliases do not know: (RunResult, progress
    lines, root folder)."""
    import shutil

    root = tmp_path_factory.mktemp("stale")
    shutil.copytree(demo_dir, root / "data")
    tx = root / "data" / "transactions.csv"
    header, *rows = tx.read_text("utf-8-sig").splitlines()
    assert header.startswith("invoice_id,customer_id,ordered_at,")  # every demo date is ISO
    kept = [row for row in rows if row.split(",")[2][:10] <= "2025-12-10"]
    assert max(row.split(",")[2] for row in kept)[:10] == "2025-12-10" and len(kept) < len(rows)
    header = header.replace("invoice_id,customer_id,", "invoice_id,client_ref,", 1)
    tx.write_text("\n".join([header, *kept]) + "\n", "utf-8")
    templates = root / "templates"
    templates.mkdir()
    for template in find_templates():
        shutil.copy(template.path, templates)
    source = (
        "from crm_lab.reporting import display\n"
        f"display.write_metrics({{'headline': {{}}, 'warnings': [{PLANTED!r}]}}, metrics_path)"
    )
    _template(templates / "05-warns.ipynb", source)
    lines: list[str] = []
    result = run.run_reports(
        root / "data",
        out_dir=root / "reports",
        work_dir=root / "work",
        templates_dir=templates,
        period="2025-12",
        progress=lines.append,
    )
    return result, lines, root


def test_stale_data_is_said_recorded_and_heads_every_page(stale_run):
    result, lines, root = stale_run
    assert result.ok, [(r.slug, r.reason) for r in result.results if r.status == "failed"]
    # 2025-12-31 - 2025-12-10 = 21 days, more than the default 7
    warning = {"code": "stale_data", "last_day": "2025-12-10", "days": 21, "as_of": "2025-12-31"}
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    assert manifest["warnings"] == [warning]
    assert mf.read_plan(root / "work" / "executed").warnings == (warning,)
    assert any(line.startswith(f"  warning: {STALE}: figures for the days") for line in lines)
    pages = [root / "reports" / "2025-12" / r.html for r in result.results if r.html]
    pages += list((root / "work" / "analyst").glob("*.html"))
    assert len(pages) == sum(r.status == "ok" for r in result.results) == 6
    for page in pages:
        html = page.read_text("utf-8")
        assert html.count(STALE) == 1, page.name
        # on top: inside <main>, before the first cell of the notebook
        main = html.index("<main>")
        assert main < html.index(STALE) < html.index("jp-Cell", main), page.name
    index = (root / "reports" / "index.html").read_text("utf-8")
    assert STALE in index


def test_each_report_warning_reaches_its_result_the_manifest_the_index_and_the_summary(stale_run):
    result, lines, root = stale_run
    warns = next(r for r in result.results if r.slug == "warns")
    assert warns.warnings == [PLANTED]
    others = [r.warnings for r in result.results if r.slug != "warns"]
    assert others == [[]] * len(find_templates())
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    assert {r["slug"]: r["warnings"] for r in manifest["reports"]}["warns"] == [PLANTED]
    status = next(i for i, line in enumerate(lines) if re.search(r"\] warns: ok \(", line))
    said = [
        i for i, line in enumerate(lines) if "warns: warning: The data ends on <i>planted" in line
    ]
    assert len(said) == 1 and said[0] > status
    escaped = "The data ends on &lt;i&gt;planted&lt;/i&gt;, 3 days before"
    index = (root / "reports" / "index.html").read_text("utf-8")
    assert escaped in index and "<i>planted" not in index
    summary = (root / "reports" / "2025-12" / "executive-summary.html").read_text("utf-8")
    assert f"<strong>05-warns</strong>: {escaped}" in summary and "Read with care" in summary


def test_a_file_without_customer_ids_skips_the_customer_reports_and_says_why(stale_run):
    result, lines, root = stale_run
    status = {r.slug: (r.status, r.reason) for r in result.results}
    assert status["customer-value"] == status["customer-outlook"] == ("skipped", NO_ID)
    assert {s for s, (st, _) in status.items() if st == "ok"} == {
        "data-quality",
        "basket",
        "engagement",  # tickets and contacts: the order lines' missing ids only cut a section
        "review-queue",
        "executive-summary",
        "warns",
    }
    assert result.ok  # nothing failed: the command line exits 0
    assert any(line.endswith(f"customer-outlook: skipped ({NO_ID})") for line in lines)
    manifest = json.loads((root / "reports" / "2025-12" / "manifest.json").read_text("utf-8"))
    note = "transactions.csv: transactions column(s) not found: customer_id"
    assert f"{note}; headers not used: client_ref" in manifest["notes"]
    page = (root / "reports" / "2025-12" / "data-quality.html").read_text("utf-8")
    assert f"{note}; headers not used: client_ref" in page  # the page says which was not found
    index = (root / "reports" / "index.html").read_text("utf-8")
    assert f"Customer outlook: activity and value: skipped — {NO_ID}" in index


# --- runs that cannot step on each other, and stop when told --------------------------------------
def test_runs_into_different_reports_folders_get_different_work_folders(
    tmp_path, tx_file, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    def work(out, period="2025-01"):
        return run.plan_run(tx_file, out_dir=out, period=period, as_of="2025-01-31").work_dir

    digest = hashlib.sha256(str(tmp_path / "a" / "reports").encode()).hexdigest()[:8]
    assert work("a/reports") == tmp_path / "data" / "interim" / f"reports-{digest}" / "2025-01"
    # one reports folder, however it is written, is one work folder
    (tmp_path / "a" / "reports").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "a" / "reports")
    spellings = ("a/reports", "./a/reports", "a/reports/", "b/../a/reports", "link")
    same = {work(o) for o in spellings}
    assert same == {work(tmp_path / "a" / "reports")}
    # the same folder name under another parent, another name, another period: another one
    others = [work("b/reports"), work("a/reports2"), work("reports"), work("a/reports", "P")]
    assert len({work("a/reports"), *others}) == 5
    assert not (tmp_path / "data" / "interim").exists()  # planning writes nothing
    explicit = run.plan_run(tx_file, out_dir="a/reports", as_of="2025-01-31", work_dir="w")
    assert explicit.work_dir == tmp_path / "w"


def test_a_second_run_on_the_same_work_folder_is_refused(tmp_path, tx_file, capsys):
    work = tmp_path / "work"
    argv = ["report", "--data", str(tx_file), "--as-of", "2025-01-31"]
    with run._lock(work, what="work folder"):  # the lock a first run holds
        for out, given in (("r1", work), ("r2", tmp_path / "x" / ".." / "work")):
            code = cli.main([*argv, "--out", str(tmp_path / out), "--work", str(given)])
            assert code == 3
            err = capsys.readouterr().err
            assert f"error: {work}: another report run is using this work folder (pid " in err
            assert "Traceback" not in err
            assert not (tmp_path / out / "index.html").exists()
            with run._lock(tmp_path / out):  # the refused run let go of its --out lock
                pass
        with pytest.raises(run.RunLockedError, match="work folder"):
            _run(tmp_path, tx_file, None, as_of="2025-01-31")
    # --work equal to --out is locked once, not refused by its own lock
    plan = run.plan_run(tx_file, out_dir=work, work_dir=work, as_of="2025-01-31")
    with run._lock(plan.out_dir), run._work_lock(plan):
        pass
    # a work folder the lock creates is its owner's only: it will hold the snapshot
    plan = run.plan_run(
        tx_file, out_dir=tmp_path / "r3", work_dir=tmp_path / "new", as_of="2025-01-31"
    )
    with run._work_lock(plan):
        assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


def _sleeper(path: Path, *, child: bool = False) -> None:
    """A template whose cell says its kernel's pid (``<slug>.started``), then sleeps; with
    ``child``, it first starts a process of its own (a shell command a cell runs)."""
    _template(
        path,
        "import os, pathlib, subprocess, time\n"
        + ("subprocess.Popen(['sleep', '600'])\n" if child else "")
        + f"marker = pathlib.Path(metrics_path).with_name('{path.stem}.started')\n"
        "marker.write_text(str(os.getpid()))\n"
        "time.sleep(600)",
    )


def _gone(pid: int) -> bool:
    try:
        import psutil
    except ImportError:  # /proc: a zombie's state is Z
        stat_file = Path(f"/proc/{pid}/stat")
        return not stat_file.exists() or stat_file.read_text().split(") ")[1][0] == "Z"
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_run_promptly_kills_its_kernels_and_keeps_the_last_pages(
    tmp_path, tx_file, signum
):
    import psutil

    templates = tmp_path / "t"
    templates.mkdir()
    _sleeper(templates / "01-stuck.ipynb", child=True)
    _sleeper(templates / "02-also.ipynb")
    period = tmp_path / "reports" / "P"
    period.mkdir(parents=True)
    old = {slug: f"<html>last good page of {slug}</html>" for slug in ("stuck", "also")}
    for slug, text in old.items():
        (period / f"{slug}.html").write_text(text, "utf-8")
    executed = tmp_path / "work" / "executed"
    env = {**os.environ, privacy.KEY_ENV: "a test key, long enough: 0f3c9e", "HOME": str(tmp_path)}
    argv = ["report", "--data", str(tx_file), "--period", "P", "--as-of", "2025-01-31"]
    argv += ["--out", str(tmp_path / "reports"), "--work", str(tmp_path / "work")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_lab", *argv, "--templates", str(templates)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        markers = [executed / "01-stuck.started", executed / "02-also.started"]
        while not all(m.exists() and m.read_text() for m in markers):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the cells never started"
            time.sleep(0.2)
        kernels = [int(m.read_text()) for m in markers]
        children = psutil.Process(proc.pid).children(recursive=True)
        assert set(kernels) <= {c.pid for c in children}
        assert any(c.name() == "sleep" for c in children)  # the cell's own process
        sent = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        seconds = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum, err
    assert seconds < 10, seconds
    assert all(_gone(c.pid) for c in children), [c.pid for c in children]
    assert f"error: interrupted by {name}: 2 of 2 report(s) stopped" in err
    assert "Traceback" not in err + out
    # the last good pages stay, nothing half-written; the manifest says what happened
    assert {p.name: p.read_text("utf-8") for p in period.glob("*.html")} == {
        f"{slug}.html": text for slug, text in old.items()
    }
    assert not list((tmp_path / "reports").rglob(".*.tmp"))
    reports = json.loads((period / "manifest.json").read_text("utf-8"))["reports"]
    assert [(r["status"], r["reason"]) for r in reports] == [
        ("failed", f"interrupted by {name}")
    ] * 2
    with run._lock(tmp_path / "reports"), run._lock(tmp_path / "work"):  # both released
        pass


@pytest.mark.slow
def test_a_cell_over_the_timeout_and_a_corrupt_template_fail_alone(tmp_path, tx_file, monkeypatch):
    monkeypatch.setenv(privacy.KEY_ENV, "a test key, long enough: 0f3c9e")
    templates = tmp_path / "t"
    templates.mkdir()
    _sleeper(templates / "01-stuck.ipynb")
    _template(  # no crm_lab import: its cells take well under the timeout on a busy machine
        templates / "02-quick.ipynb",
        "import json\nopen(metrics_path, 'w').write(json.dumps({'headline': {}}))",
    )
    (templates / "03-broken.ipynb").write_text('{"cells": [', "utf-8")  # cut short
    (templates / "04-empty.ipynb").write_bytes(b"")
    started = time.monotonic()
    result = _run(tmp_path, tx_file, templates, period="P", as_of="2025-01-31", cell_timeout=3)
    seconds = time.monotonic() - started
    got = {r.slug: (r.status, r.reason) for r in result.results}
    assert got["quick"] == ("ok", "")
    assert got["stuck"][0] == "failed" and re.fullmatch(
        r"cell \[\d+\] ran longer than the cell timeout of 3 s \(--cell-timeout\); "
        r"its kernel was stopped",
        got["stuck"][1],
    )
    assert got["broken"][0] == "failed" and got["broken"][1].startswith(
        "template 03-broken.ipynb is not valid JSON (line 1, column 12"
    )
    assert got["empty"][0] == "failed" and "04-empty.ipynb is not valid JSON" in got["empty"][1]
    assert seconds < 90
    kernel = int((tmp_path / "work" / "executed" / "01-stuck.started").read_text())
    assert _gone(kernel)
    pages = {p.name for p in (tmp_path / "reports" / "P").glob("*.html")}
    assert pages == {"quick.html"}


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "10", None])
def test_cell_timeout_is_checked_when_planning(tx_file, bad):
    with pytest.raises(
        ValueError,
        match=f"cell_timeout must be a whole number of seconds >= 1, got {re.escape(repr(bad))}",
    ):
        run.plan_run(tx_file, out_dir="r", as_of="2025-01-31", cell_timeout=bad)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_input_is_read_stops_the_run_there(
    tmp_path, tx_file, monkeypatch, capsys, signum
):
    monkeypatch.setenv(privacy.KEY_ENV, "a test key, long enough: 0f3c9e")
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    calls = []

    def slow_read(*args, **kw):  # a large export, read while the signal comes
        calls.append(1)
        os.kill(os.getpid(), signum)
        time.sleep(30)  # the handler raises here, at once
        raise AssertionError("the signal did not stop the read")

    monkeypatch.setattr(run, "read_clean", slow_read)
    started = time.monotonic()
    with pytest.raises(run.RunInterrupted) as stopped:
        _run(tmp_path, tx_file, None, as_of="2025-01-31")
    assert time.monotonic() - started < 10 and calls == [1]
    assert stopped.value.exit_code == 128 + signum
    assert {s: signal.getsignal(s) for s in before} == before  # the run's handlers are gone
    assert not (tmp_path / "reports" / "2025-01").exists()  # nothing published
    with run._lock(tmp_path / "reports"), run._lock(tmp_path / "work"):  # both released
        pass
    argv = ["report", "--data", str(tx_file), "--as-of", "2025-01-31"]
    argv += ["--out", str(tmp_path / "reports"), "--work", str(tmp_path / "work")]
    assert cli.main(argv) == 128 + signum
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"error: interrupted by {signal.Signals(signum).name}"


def test_one_worker_runs_the_reports_one_after_another(monkeypatch):
    """workers=1: a report starts only once the one before it has ended (memory: one
    kernel at a time); the summary still runs last."""
    events = []

    def fake(plan, inputs, template, *, tag="", say=None, stop=None):
        events.append(("start", template.slug))
        time.sleep(0.05)
        events.append(("end", template.slug))
        return run.ReportResult(template.slug, template.slug, "ok")

    monkeypatch.setattr(run, "run_template", fake)
    templates = [
        SimpleNamespace(slug=s, summary=s == "summary", title_in=lambda lang, s=s: s)
        for s in ("a", "b", "summary", "c")
    ]
    plan = SimpleNamespace(templates=templates, lang="en")
    results = run.run_templates(plan, None, workers=1, say=lambda _: None)
    assert [r.slug for r in results] == ["a", "b", "summary", "c"]
    starts = [(kind, slug) for kind, slug in events]
    assert starts == [
        ("start", "a"),
        ("end", "a"),
        ("start", "b"),
        ("end", "b"),
        ("start", "c"),
        ("end", "c"),
        ("start", "summary"),
        ("end", "summary"),
    ]
    events.clear()
    run.run_templates(plan, None, workers=3, say=lambda _: None)
    assert events.index(("start", "b")) < events.index(("end", "a"))  # side by side
    assert events[-2:] == [("start", "summary"), ("end", "summary")]
