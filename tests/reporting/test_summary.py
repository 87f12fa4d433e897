"""The executive summary's figures: this period against the previous period and a year before."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab.reporting import manifest, summary
from tests.reporting import hostile


def _period(reports_dir, name, start, as_of, headline, *, stale=False):
    report = manifest.ReportResult(
        slug="customer-value",
        title="Customer value",
        status="failed" if stale else "ok",
        html="customer-value.html",
        metrics={"headline": headline},
        stale=stale,
    )
    m = manifest.Manifest(
        period=name,
        period_start=start,
        as_of=as_of,
        lang="en",
        inputs=[],
        parameters={},
        versions={},
        seconds=0.0,
        rows={},
        accounting=[],
        notes=[],
        reports=[report],
    )
    (reports_dir / name).mkdir(parents=True)
    m.write(reports_dir / name)


@pytest.fixture
def run(tmp_path):
    metrics_dir, reports_dir = tmp_path / "executed", tmp_path / "reports"
    metrics_dir.mkdir()
    manifest.RunPlan(
        period="2025-12",
        period_start="2025-12-01",
        as_of="2025-12-31",
        lang="en",
        reports=(
            manifest.PlannedReport("customer-value", {"en": "Customer value", "zh": "客户价值"}),
            manifest.PlannedReport("review-queue", {"en": "Review"}, audience="analyst"),
            manifest.PlannedReport("executive-summary", {"en": "Summary"}, summary=True),
        ),
    ).write(metrics_dir)
    manifest.write_metrics(
        {"headline": {"period_revenue": 1200.0, "active_customers": 30}},
        manifest.metrics_path(metrics_dir, "customer-value"),
    )
    manifest.write_metrics({"headline": {}}, manifest.metrics_path(metrics_dir, "review-queue"))
    # a metrics file the plan does not name (an earlier run's) must not count
    manifest.write_metrics(
        {"headline": {"rules": 99}}, manifest.metrics_path(metrics_dir, "old-report")
    )
    _period(reports_dir, "2025-10", "2025-10-01", "2025-10-31", {"period_revenue": 500.0})
    _period(
        reports_dir,
        "2025-11",
        "2025-11-01",
        "2025-11-30",
        {"period_revenue": 1000.0, "active_customers": 40},
    )
    _period(reports_dir, "2024-12", "2024-12-01", "2024-12-31", {"period_revenue": 800.0})
    return metrics_dir, reports_dir


def test_comparison_against_the_previous_period_and_a_year_before(run):
    metrics_dir, reports_dir = run
    table = summary.comparison_table(
        metrics_dir, reports_dir, period_start="2025-12-01", as_of="2025-12-31"
    ).set_index("key")
    assert sorted(table.index) == ["active_customers", "period_revenue"]  # no 'rules'
    revenue = table.loc["period_revenue"]
    # previous: the latest period ending before 2025-12-01 is 2025-11 (not 2025-10)
    assert revenue["previous_period"] == 1000.0
    assert revenue["change"] == pytest.approx(1200 / 1000 - 1)  # +20 %
    assert revenue["year_ago"] == 800.0
    assert revenue["change_year"] == pytest.approx(1200 / 800 - 1)  # +50 %
    customers = table.loc["active_customers"]
    assert customers["change"] == pytest.approx(30 / 40 - 1)
    assert pd.isna(customers["change_year"])  # no active customers a year before
    assert revenue["metric"] == "Revenue in period"


def test_zh_names_and_no_earlier_periods(tmp_path, run):
    metrics_dir, _ = run
    table = summary.comparison_table(
        metrics_dir, tmp_path / "nothing", period_start="2025-12-01", as_of="2025-12-31", lang="zh"
    ).set_index("key")
    assert table.loc["period_revenue", "metric"] == "本期收入"
    assert table["previous_period"].isna().all() and table["change"].isna().all()


def test_links_name_stakeholder_reports_only(run):
    metrics_dir, _ = run
    html = summary.report_links(metrics_dir, lang="zh").data
    assert "<a href='customer-value.html'>客户价值</a>" in html
    assert "review-queue" not in html and "executive-summary" not in html


def test_shown_changes_are_signed(run):
    metrics_dir, reports_dir = run
    table = summary.comparison_table(
        metrics_dir, reports_dir, period_start="2025-12-01", as_of="2025-12-31"
    )
    html = summary.show_comparison(table).to_html()
    assert "+20.0%" in html and "-25.0%" in html and "+50.0%" in html


def test_each_reports_warnings_are_listed_by_title_and_a_clean_run_shows_none(run):
    metrics_dir, _ = run
    assert summary.report_warnings(metrics_dir) == []
    assert summary.show_warnings(metrics_dir).data == ""  # no empty section
    warning = {"code": "stale_data", "last_day": "<b>x</b>", "days": 3, "as_of": "2025-12-31"}
    manifest.write_metrics(
        {"headline": {}, "warnings": [warning]}, manifest.metrics_path(metrics_dir, "review-queue")
    )
    manifest.write_metrics(
        {"headline": {"period_revenue": 1200.0}, "warnings": [warning, warning]},
        manifest.metrics_path(metrics_dir, "customer-value"),
    )
    # plan order, titles in the page's language; the analyst report's warnings count too
    assert summary.report_warnings(metrics_dir, lang="zh") == [
        ("客户价值", warning),
        ("客户价值", warning),
        ("Review", warning),
    ]
    html = summary.show_warnings(metrics_dir, lang="en").data
    assert html.startswith("<h2>Read with care</h2>") and html.count("<li>") == 3
    assert "<strong>Review</strong>: The data ends on &lt;b&gt;x&lt;/b&gt;, 3 days" in html
    assert "<b>x</b>" not in html
    assert "请谨慎解读" in summary.show_warnings(metrics_dir, lang="zh").data


def test_links_and_the_comparison_escape_titles_slugs_and_figures(run):
    metrics_dir, reports_dir = run
    manifest.RunPlan(
        period="2025-12",
        period_start="2025-12-01",
        as_of="2025-12-31",
        lang="en",
        reports=(
            manifest.PlannedReport("customer-value", {"en": "<img src=x onerror=alert(7)>"}),
            manifest.PlannedReport("javascript:alert(1)", {"en": "a\u202eb"}),
        ),
    ).write(metrics_dir)
    manifest.write_metrics(
        {"headline": {"period_revenue": 5.0}},
        manifest.metrics_path(metrics_dir, "javascript:alert(1)"),
    )
    links = summary.report_links(metrics_dir).data
    assert hostile.live_markup(links) == [] and not set(links) & hostile.UNSAFE_CHARS
    hrefs = [a["href"] for tag, a in hostile.elements(links) if tag == "a"]
    assert hrefs == ["customer-value.html", "javascript%3Aalert%281%29.html"]
    assert "&lt;img src=x onerror=alert(7)&gt;" in links
    table = summary.comparison_table(
        metrics_dir, reports_dir, period_start="2025-12-01", as_of="2025-12-31"
    )
    table.loc[0, "metric"] = "<svg onload=alert(2)>"
    page = summary.show_comparison(table).to_html()
    assert hostile.live_markup(page) == [] and "&lt;svg onload=alert(2)&gt;" in page
