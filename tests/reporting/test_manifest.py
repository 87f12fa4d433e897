"""The run's JSON files through manifest.py: round trips, validation, the run plan."""

from __future__ import annotations

import json

import pytest

from crm_lab.reporting import manifest as mf


def _manifest(period="2025-12", as_of="2025-12-31", **report):
    entry = {"slug": "customer-value", "title": "Customer value", "status": "ok", **report}
    return mf.Manifest(
        period=period,
        period_start=as_of[:8] + "01",
        as_of=as_of,
        lang="en",
        inputs=[mf.InputFile("/data/tx.csv", 12, "ab" * 32)],
        parameters={"code": "007"},
        versions={"crm_lab": "0.1.0"},
        seconds=1.5,
        rows={"transactions": 3},
        accounting=[{"table": "transactions", "rows_in": 3}],
        notes=["a note"],
        reports=[mf.ReportResult.from_dict(entry)],
    )


def test_manifest_round_trips_through_its_file(tmp_path):
    m = _manifest(metrics={"headline": {"active_customers": 7}}, html="customer-value.html")
    path = m.write(tmp_path)
    assert path == tmp_path / "manifest.json"
    raw = json.loads(path.read_text("utf-8"))
    assert raw["reports"][0]["stale"] is False and raw["inputs"][0]["sha256"] == "ab" * 32
    back = mf.read_manifest(tmp_path)
    assert back == m and back.to_dict() == raw
    assert back.headline() == {"active_customers": 7}
    assert not list(tmp_path.glob(".*.tmp"))


def test_stale_reports_leave_the_headline_and_old_manifests_read(tmp_path):
    m = _manifest(metrics={"headline": {"x": 1}}, stale=True)
    assert m.headline() == {}
    old = {"period": "P", "as_of": "2025-01-31", "reports": [{"slug": "a", "status": "failed"}]}
    (tmp_path / "P").mkdir()
    (tmp_path / "P" / "manifest.json").write_text(json.dumps(old), "utf-8")
    (tmp_path / "Q").mkdir()
    _manifest(period="Q", as_of="2024-12-31").write(tmp_path / "Q")
    got = mf.read_manifests(tmp_path)
    assert [m.period for _, m in got] == ["Q", "P"]  # by as-of day
    assert got[1][0] == tmp_path / "P" and got[1][1].reports[0].title == "a"


def test_metrics_files_are_validated(tmp_path):
    path = mf.metrics_path(tmp_path, "basket")
    assert path.name == "basket.metrics.json"
    mf.write_metrics({"headline": {"n": 3}, "holdout": {"hit_rate": 0.5}}, path)
    assert mf.read_metrics(path) == {"headline": {"n": 3}, "holdout": {"hit_rate": 0.5}}
    path.write_text('{"figures": 2}', "utf-8")
    assert mf.read_metrics(path) == {"figures": 2, "headline": {}}
    path.write_text('{"headline": [1, 2]}', "utf-8")
    with pytest.raises(ValueError, match="'headline' must be an object"):
        mf.read_metrics(path)
    path.write_text("[1]", "utf-8")
    with pytest.raises(ValueError, match="expected a JSON object"):
        mf.read_metrics(path)
    with pytest.raises(ValueError, match="headline"):
        mf.write_metrics({"headline": 3}, path)


def test_run_plan_names_the_reports_the_summary_reads(tmp_path):
    plan = mf.RunPlan(
        period="2025-12",
        period_start="2025-12-01",
        as_of="2025-12-31",
        lang="zh",
        reports=(
            mf.PlannedReport("customer-value", {"en": "Value", "zh": "价值"}),
            mf.PlannedReport("review-queue", {"en": "Queue"}, audience="analyst"),
            mf.PlannedReport("executive-summary", {"en": "Summary"}, summary=True),
        ),
    )
    assert mf.read_plan(tmp_path) is None
    plan.write(tmp_path)
    assert mf.read_plan(tmp_path) == plan
    assert "价值" in (tmp_path / "run-plan.json").read_text("utf-8")  # not \\u escapes
    mf.write_metrics({"headline": {"a": 1}}, mf.metrics_path(tmp_path, "customer-value"))
    mf.write_metrics({"headline": {"b": 2}}, mf.metrics_path(tmp_path, "old-report"))
    # only this plan's reports count; a metrics file from an earlier plan does not
    assert mf.current_metrics(tmp_path) == {"customer-value": {"headline": {"a": 1}}}
    (tmp_path / "run-plan.json").unlink()
    assert set(mf.current_metrics(tmp_path)) == {"customer-value", "old-report"}


def test_warnings_of_the_run_and_of_each_report_round_trip_and_old_files_read_without(tmp_path):
    warning = {"code": "stale_data", "last_day": "2025-12-10", "days": 21, "as_of": "2025-12-31"}
    m = _manifest(warnings=[warning])
    m.warnings = [warning]
    m.write(tmp_path)
    raw = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert raw["warnings"] == [warning] and raw["reports"][0]["warnings"] == [warning]
    back = mf.read_manifest(tmp_path)
    assert back == m and back.reports[0].warnings == [warning]
    del raw["warnings"], raw["reports"][0]["warnings"]  # a manifest from before warnings
    (tmp_path / "manifest.json").write_text(json.dumps(raw), "utf-8")
    old = mf.read_manifest(tmp_path)
    assert old.warnings == [] and old.reports[0].warnings == []
    raw["warnings"] = "stale"
    (tmp_path / "manifest.json").write_text(json.dumps(raw), "utf-8")
    with pytest.raises(ValueError, match="'warnings' must be a list of objects, got 'stale'"):
        mf.read_manifest(tmp_path)
    plan = mf.RunPlan("2025-12", "2025-12-01", "2025-12-31", "en", (), warnings=(warning,))
    plan.write(tmp_path)
    assert mf.read_plan(tmp_path) == plan


# --- personal data never reaches the stakeholder folder's JSON and index (issue 11) -----------
PHONE, EMAIL = "+44 7400 974929", "linda.clarke@example.com"


def test_a_manifest_is_written_masked_and_the_index_masks_what_it_reads(tmp_path):
    from crm_lab.reporting import index

    reason = "cell [3]: KeyError: 'Linda Clarke' / 0044 7400 974929 / linda at example dot com"
    metrics = {"headline": {"n": 7}, "top": ["call 13800138000"]}
    m = _manifest(status="failed", reason=reason, title="Value for 138.0013.8000", metrics=metrics)
    m.notes = ["clients.csv: customers column(s) not found: 13800138000"]
    m.parameters = {"contact": EMAIL, "code": "007"}
    m.warnings = [{"code": "stale_data", "last_day": "2025-12-10", "days": 21}]
    (tmp_path / "2025-12").mkdir()
    m.write(tmp_path / "2025-12", known={"name": {"Linda Clarke"}})
    text = (tmp_path / "2025-12" / "manifest.json").read_text("utf-8")
    for value in ("Linda Clarke", "7400 974929", "linda at example", "138.0013", "13800138000"):
        assert value not in text, value
    back = mf.read_manifest(tmp_path / "2025-12")
    assert back.reports[0].reason == (
        "cell [3]: KeyError: 'L***' / +44 740****4929 / l***@example.com"
    )
    assert back.parameters == {"contact": "l***@example.com", "code": "007"}
    assert back.reports[0].metrics == {
        "headline": {"n": 7},
        "top": ["call +86 138****8000"],
    }
    assert back.inputs == m.inputs and back.warnings == m.warnings  # the rest as it was
    # an older manifest, written unmasked by hand or by another version: the index masks it
    raw = json.loads(text)
    raw["reports"][0].update(status="skipped", reason=f"no table; ask {EMAIL} or {PHONE}")
    (tmp_path / "2025-12" / "manifest.json").write_text(json.dumps(raw), "utf-8")
    page = index.write_index(tmp_path).read_text("utf-8")
    assert EMAIL not in page and "974929" not in page and "l***@example.com" in page


def test_a_failing_templates_message_is_masked_on_the_console_in_the_manifest_and_index(
    tmp_path, monkeypatch
):
    import shutil

    from papermill.exceptions import PapermillExecutionError

    from crm_lab import privacy
    from crm_lab.reporting import run
    from crm_lab.reporting.templates import default_templates_dir

    monkeypatch.setenv(privacy.KEY_ENV, "test-key-of-sixteen-bytes-or-more")
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text(
        f"customer_id,name,phone,email\nc0001,Linda Clarke,{PHONE},{EMAIL}\n", "utf-8"
    )
    (data / "transactions.csv").write_text(
        "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "1,c0001,2025-01-03,p,1,10\n",
        "utf-8",
    )
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(default_templates_dir() / "01-customer-value.ipynb", templates)
    plan = run.plan_run(
        data, out_dir=tmp_path / "reports", work_dir=tmp_path / "work", as_of="2025-01-31",
        templates_dir=templates,
    )  # fmt: skip
    inputs = run.prepare_inputs(plan, say=lambda line: None)

    def fails(*args, **kw):  # a cell's error quoting the customer's row
        raise PapermillExecutionError(
            4, 7, "x", "ValueError", f"bad row: LINDA CLARKE, 07400-974929, {EMAIL}", []
        )

    monkeypatch.setattr(run, "execute_template", fails)
    said: list[str] = []
    result = run.run_template(plan, inputs, plan.templates[0], say=said.append)
    assert result.status == "failed"
    assert result.reason == "cell [7]: ValueError: bad row: L***, +44 740****4929, l***@example.com"
    # a long message is masked before it is cut, so no phone is cut into an unknown number
    long = PapermillExecutionError(1, 2, "x", "ValueError", "x" * 266 + f" {PHONE}", [])
    monkeypatch.setattr(run, "execute_template", lambda *a, **kw: (_ for _ in ()).throw(long))
    cut = run.run_template(plan, inputs, plan.templates[0], say=said.append).reason
    assert len(cut) == 300 and "7400" not in cut
    run.write_run_record(plan, inputs, [result], seconds=1.0)
    written = {
        "console": "\n".join(said),
        "manifest": (plan.period_dir / mf.MANIFEST_FILE).read_text("utf-8"),
        "index": (plan.out_dir / "index.html").read_text("utf-8"),
    }
    for where, text in written.items():
        for value in ("LINDA", "Clarke", "974929", "linda.clarke@", "c0001"):
            assert value not in text, (where, value)
    assert "+44 740****4929" in written["console"] and "l***@example.com" in written["manifest"]
