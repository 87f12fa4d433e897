"""The report set on vendor exports as the vendors write them (tests/ingest/exports): each
kind of export (a shop's line items, a Chinese marketplace's whole orders in GBK, a CRM's
folder of objects) publishes every page it can and says why it skips the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_lab import privacy
from crm_lab.reporting import run
from crm_lab.reporting.templates import find_templates

EXPORTS = Path(__file__).resolve().parents[1] / "ingest" / "exports"

# (case folder, period): one period each, a month the export covers
CASES = [
    ("shopify/orders", "2024-03"),  # line items: every template runs, basket included
    ("taobao/orders", "2024-03"),  # whole orders, GBK: no basket page
    ("salesforce/folder", "2024-03"),  # customers, tickets, won opportunities, tasks
]


@pytest.mark.slow
def test_every_template_publishes_or_is_skipped_with_a_reason_on_each_kind_of_export(
    tmp_path, monkeypatch
):
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    key = privacy.new_pseudonym_key(tmp_path / "keys" / "pseudonym.key")
    slugs = [t.slug for t in find_templates()]
    for case, period in CASES:
        name = case.replace("/", "-")
        result = run.run_reports(
            EXPORTS / case,
            out_dir=tmp_path / name / "reports",
            work_dir=tmp_path / name / "work",
            period=period,
            pseudonym_key_file=key,
            progress=lambda line: None,
        )
        status = {r.slug: (r.status, r.reason) for r in result.results}
        assert list(status) == slugs, case
        assert result.ok, (case, status)  # nothing failed
        for r in result.results:
            if r.status == "skipped":
                assert r.reason, (case, r.slug)
                continue
            assert r.status == "ok", (case, r.slug, r.reason)
            page = (
                result.out_dir / period / r.html
                if r.html
                else result.work_dir / "analyst" / f"{r.slug}.html"  # the analyst's page
            )
            assert page.is_file(), (case, r.slug)
        basket = status["basket"]
        if case == "taobao/orders":
            assert basket[0] == "skipped" and "whole order" in basket[1]
        else:
            assert basket[0] == ("ok" if case == "shopify/orders" else "skipped"), basket
        # the exports have orders: every customer report ran (none skipped for lack of data)
        assert status["customer-value"][0] == status["customer-outlook"][0] == "ok", case
        outlook = (result.out_dir / period / "customer-outlook.html").read_text("utf-8")
        if case == "salesforce/folder":  # one won deal per contact: no repeat purchase
            assert "models cannot be fitted" in outlook and ">Value tier<" not in outlook
        else:  # a repeat buyer: the model's tables are on the page
            assert "models cannot be fitted" not in outlook and ">Value tier<" in outlook
