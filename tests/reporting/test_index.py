"""The index page from the reports folder's manifests: order, links, figures, trends."""

from __future__ import annotations

from crm_lab.reporting import index
from crm_lab.reporting import manifest as mf
from tests.reporting import hostile


def _period(out, name, as_of, reports, *, lang="en"):
    folder = out / name
    folder.mkdir(parents=True)
    for r in reports:
        if r.html:
            (folder / r.html).write_text("<html></html>", "utf-8")
    mf.Manifest(name, as_of[:8] + "01", as_of, lang, [], {}, {}, 0.0, {}, [], [], reports).write(
        folder
    )


def _ok(slug, active, **kw):
    metrics = {"headline": {"active_customers": active, "data_quality_clean_share": 0.95}}
    return mf.ReportResult(slug, slug.title(), "ok", html=f"{slug}.html", metrics=metrics, **kw)


def test_index_lists_periods_newest_first_with_figures_and_trend(tmp_path):
    _period(tmp_path, "2025-10", "2025-10-31", [_ok("value", 100)])
    _period(tmp_path, "2025-11", "2025-11-30", [_ok("value", 120)])
    stale = _ok("value", 999, stale=True)
    stale.status = "failed"
    _period(
        tmp_path,
        "2025-12",
        "2025-12-31",
        [
            stale,
            _ok("summary", 130, summary=True),
            mf.ReportResult("service", "Service", "skipped", reason="no tickets table"),
        ],
    )
    page = index.write_index(tmp_path).read_text("utf-8")
    assert page.index("2025-12") < page.index("2025-11") < page.index("2025-10")
    assert "<strong><a href='2025-12/summary.html'>Summary</a></strong>" in page
    assert "2025-12/value.html'>Value</a> <span class='muted'>(last good run)</span>" in page
    assert "Value: failed this run" in page and "Service: skipped — no tickets table" in page
    assert "999" not in page and "130" in page  # a stale report's figures are not this period's
    assert "95.0%" in page  # shares as percentages
    assert page.count("<polyline") == 2  # trends on the newest row only, for figures with history
    assert 'lang="en"' in page


def test_index_without_reports_and_in_chinese(tmp_path):
    assert "No reports yet." in index.write_index(tmp_path).read_text("utf-8")
    _period(tmp_path, "2025-12", "2025-12-31", [_ok("value", 5)], lang="zh")
    page = index.write_index(tmp_path).read_text("utf-8")
    assert "crm_lab 报告" in page and "活跃客户" in page and 'lang="zh"' in page


def test_sparkline_scales_to_the_box():
    svg = index.sparkline([1, None, 3], width=80, height=18)
    assert "points='2.0,16.0 78.0,2.0'" in svg
    assert index.sparkline([5]) == "" and index.sparkline([]) == ""
    assert "points='2.0,16.0 78.0,16.0'" in index.sparkline([2, 2])  # flat line, no division by 0


def test_index_shows_the_runs_and_each_reports_warnings_escaped_in_its_language(tmp_path):
    stale = {"code": "stale_data", "last_day": "2025-12-10", "days": 21, "as_of": "2025-12-31"}
    own = {"code": "stale_data", "last_day": "<b>x</b>", "days": 3, "as_of": "2025-12-31"}
    skipped = mf.ReportResult("outlook", "Outlook", "skipped", reason="no customers", warnings=[])
    reports = [_ok("value", 100, warnings=[own]), skipped]
    _period(tmp_path, "2025-12", "2025-12-31", reports)
    m = mf.read_manifest(tmp_path / "2025-12")
    m.warnings = [stale, {"code": "from_a_newer_version"}]
    m.write(tmp_path / "2025-12")
    page = index.write_index(tmp_path).read_text("utf-8")
    run_line = "The data ends on 2025-12-10, 21 days before the as-of day 2025-12-31"
    # the run's under the period's name, the report's under its link, both escaped
    assert page.index("2025-12-01 – 2025-12-31") < page.index(run_line) < page.index("value.html")
    assert page.index("value.html") < page.index("The data ends on &lt;b&gt;x&lt;/b&gt;")
    assert "<b>x</b>" not in page
    assert "<div class='warn'>from_a_newer_version</div>" in page  # an unknown code still shows
    m.lang = "zh"
    m.warnings = [stale]
    m.write(tmp_path / "2025-12")
    page = index.write_index(tmp_path).read_text("utf-8")
    assert "数据截至 2025-12-10，比截止日 2025-12-31 早 21 天" in page


def _links(page: str) -> list[str]:
    return [attrs["href"] for tag, attrs in hostile.elements(page) if tag == "a"]


def test_names_titles_and_reasons_from_manifests_cannot_open_markup_or_script_links(tmp_path):
    pages = [
        "javascript:alert(1)",
        "x' onmouseover='alert(2).html",
        "a\u202eb.html",
        "..",
        "q?.html",
    ]
    reports = [
        mf.ReportResult(f"r{i}", title, "ok", html=name, metrics={})
        for i, (title, name) in enumerate(zip(hostile.TEXT, pages, strict=False))
    ]
    reports.append(mf.ReportResult("s", "<img src=x onerror=alert(7)>", "skipped",
                                   reason='"><svg onload=alert(3)>'))  # fmt: skip
    reports.append(_ok("value", "<script>alert(1)</script>"))  # a figure that is text
    _period(tmp_path, "2025-12", "2025-12-31", [])
    m = mf.read_manifest(tmp_path / "2025-12")
    m.reports = reports
    m.write(tmp_path / "2025-12")
    for name in pages[:3] + pages[4:]:
        (tmp_path / "2025-12" / name).write_text("x", "utf-8")
    page = index.write_index(tmp_path).read_text("utf-8")
    assert hostile.live_markup(page) == []
    assert not set(page) & hostile.UNSAFE_CHARS
    links = _links(page)
    assert links[0] == "2025-12/javascript%3Aalert%281%29"
    assert "2025-12/x%27%20onmouseover%3D%27alert%282%29.html" in links
    assert "2025-12/%2E%2E" in links  # the folder above is no page of the period
    assert all(link.startswith("2025-12/") and link.count("/") == 1 for link in links)
    assert "&lt;img src=x onerror=alert(7)&gt;" in page and "&lt;svg onload" in page


def test_page_href_encodes_every_part_whole():
    assert index.page_href("2025-12", "a b/c.html") == "2025-12/a%20b%2Fc.html"
    assert index.page_href("2025-12", ".") == "2025-12/%2E"
    assert index.page_href("<x>", '"') == "%3Cx%3E/%22"


def test_a_manifest_in_an_unknown_language_gives_an_english_index(tmp_path):
    _period(tmp_path, "2025-12", "2025-12-31", [_ok("value", 100)], lang="<script>")
    page = index.write_index(tmp_path).read_text("utf-8")
    assert '<html lang="en">' in page and "<script>" not in page
