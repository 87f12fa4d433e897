"""Every page of a demo run opened in headless Chromium: no console errors, charts drawn.

`make test` installs Debian's chromium and CJK fonts first (`make browser`, as root). Where
the browser is missing the test is skipped, except on CI, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from crm_lab.reporting.templates import find_templates

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
    "--enable-logging=stderr",
    "--v=0",
]


def _chromium(page, *extra):
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, f"file://{page}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    return done


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: `make browser` should have installed it")
        pytest.skip("chromium not installed (run `make browser` as root)")
    return CHROMIUM


def test_every_page_renders_without_errors(browser, demo_run, tmp_path):
    _, root = demo_run
    pages = sorted((root / "reports").rglob("*.html"))
    stakeholder = [t for t in find_templates() if t.audience != "analyst"]
    assert len(pages) == len(stakeholder) + 1 >= 6  # the stakeholder reports and the index
    for page in pages:
        dom = _chromium(page, "--dump-dom")
        errors = [
            line
            for line in dom.stderr.splitlines()
            if ("CONSOLE" in line or "Uncaught" in line or "ERR_" in line)
            and "dbus" not in line
            and "gcm" not in line
        ]
        assert errors == [], (page.name, errors)
        html = dom.stdout
        assert "</html>" in html, page.name
        if page.name != "index.html":
            # charts: inline SVGs with drawn content; sortable tables set up by the page script
            charts = html.count("<svg")
            assert charts >= (3 if page.name == "customer-value.html" else 0), page.name
            assert "<path" in html or page.name != "customer-value.html"
            if page.name == "data-quality.html":
                assert "crm-sortable" in html  # the script ran in the browser
        shot = tmp_path / f"{page.parent.name}-{page.stem}.png"
        _chromium(page, "--window-size=1400,2400", f"--screenshot={shot}")
        assert shot.exists() and shot.stat().st_size > 20_000, page.name
        from matplotlib.image import imread

        pixels = imread(shot)
        assert pixels.std() > 0.01, f"{page.name} looks blank"
