"""Executed notebooks into pages: the run's banner on top, escaped as display made it."""

from __future__ import annotations

import nbformat

from crm_lab.reporting import display, export


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
