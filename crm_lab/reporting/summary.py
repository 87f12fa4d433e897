"""Report metrics across periods into the executive summary: this period, the last, a year ago.

Every report template writes a metrics file whose ``headline`` holds flat numbers. The summary
reads the headlines of this run's reports and of earlier runs (their ``manifest.json`` in the
reports folder), so a template added later appears in the summary without editing it.

The reports' own warnings (their metrics' ``"warnings"``) are listed by report
(``report_warnings``, ``show_warnings``); the run's warnings head the summary page as they head
every page (the runner's banner).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crm_lab.reporting import display, labels, manifest

__all__ = [
    "comparison_table",
    "current_metrics",
    "report_links",
    "report_warnings",
    "show_comparison",
    "show_warnings",
]


def current_metrics(metrics_dir: str | Path) -> dict[str, dict]:
    """Read this run's metrics files (``<slug>.metrics.json``) into metrics by report slug.

    Only the reports of the run plan count, through ``manifest.current_metrics``.
    """
    return manifest.current_metrics(metrics_dir)


def _headline_of(reports: list[manifest.ReportResult] | dict[str, dict]) -> dict:
    """The numeric headline figures of several reports' metrics, merged into one dict."""
    items = reports.values() if isinstance(reports, dict) else [r.metrics for r in reports]
    merged: dict = {}
    for metrics in items:
        merged.update(
            {
                k: v
                for k, v in metrics.get("headline", {}).items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            }
        )
    return merged


def _earlier(reports_dir: Path, *, before: pd.Timestamp, near: pd.Timestamp | None = None):
    """The manifest of the latest period ending before ``before`` (or ending near ``near``)."""
    best = None
    for _, m in manifest.read_manifests(reports_dir):
        end = pd.Timestamp(m.as_of)
        if near is not None:
            if abs((end - near).days) <= 20 and (best is None or abs((end - near).days) < best[0]):
                best = (abs((end - near).days), m)
        elif end < before and (best is None or end > best[0]):
            best = (end, m)
    return best[1] if best else None


def _change(now, then):
    if not isinstance(now, (int, float)) or not isinstance(then, (int, float)) or not then:
        return None
    return now / then - 1


def comparison_table(
    metrics_dir: str | Path,
    reports_dir: str | Path,
    *,
    period_start,
    as_of,
    lang: str | None = None,
) -> pd.DataFrame:
    """Headline figures of this period next to the previous period and the same period a year ago.

    Returns
    -------
    DataFrame
        ``key``, ``metric`` (display name), ``this_period``, ``previous_period``, ``change``
        (relative),
        ``year_ago``, ``change_year``; one row per headline figure of any report of this run.
    """
    start, day = pd.Timestamp(period_start), pd.Timestamp(as_of)
    now = _headline_of(current_metrics(metrics_dir))
    prev_m = _earlier(Path(reports_dir), before=start)
    year_m = _earlier(Path(reports_dir), before=start, near=day - pd.DateOffset(years=1))
    prev = _headline_of(prev_m.reports) if prev_m else {}
    year = _headline_of(year_m.reports) if year_m else {}
    rows = []
    for key, value in now.items():
        rows.append(
            {
                "key": key,
                "metric": labels.label(key, lang=lang),
                "this_period": value,
                "previous_period": prev.get(key),
                "change": _change(value, prev.get(key)),
                "year_ago": year.get(key),
                "change_year": _change(value, year.get(key)),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "key",
            "metric",
            "this_period",
            "previous_period",
            "change",
            "year_ago",
            "change_year",
        ],
    )


def report_links(metrics_dir: str | Path, *, lang: str | None = None):
    """Links to this run's other reports (the pages sit beside the summary).

    Each link's target is the report's slug percent-encoded (``index.page_href``) and its text
    the escaped title, so neither can open markup or a script URL.
    """
    from IPython.display import HTML

    from crm_lab.reporting.index import page_href

    plan = manifest.read_plan(metrics_dir)
    planned = {r.slug: r for r in plan.reports} if plan else {}
    items = []
    for slug in current_metrics(metrics_dir):
        report = planned.get(slug, manifest.PlannedReport(slug, {}))
        if report.summary or report.audience == "analyst":
            continue
        title = report.title.get(labels.language(lang)) or slug
        href = page_href(f"{slug}.html")
        items.append(f"<li><a href='{href}'>{display.html_text(title)}</a></li>")
    return HTML(f"<ul>{''.join(items)}</ul>")


def report_warnings(metrics_dir: str | Path, *, lang: str | None = None) -> list[tuple[str, dict]]:
    """Turn this run's metrics files into (report title, warning) pairs, in run-plan order.

    Every report of the run plan whose metrics list ``"warnings"`` counts, the summary itself
    and analyst reports too (a warning is about figures, not about people).
    """
    plan = manifest.read_plan(metrics_dir)
    planned = {r.slug: r for r in plan.reports} if plan else {}
    metrics = current_metrics(metrics_dir)
    order = [r.slug for r in plan.reports] if plan else list(metrics)
    pairs = []
    for slug in order:
        report = planned.get(slug, manifest.PlannedReport(slug, {}))
        title = report.title.get(labels.language(lang)) or report.title.get("en") or slug
        for warning in metrics.get(slug, {}).get("warnings", []):
            pairs.append((title, warning))
    return pairs


def show_warnings(metrics_dir: str | Path, *, lang: str | None = None):
    """Turn this run's reports' warnings into an escaped section for the summary page.

    A heading and one line per warning, ``Report title: sentence``; nothing at all when no
    report warns (the heading is part of the output, so a clean run shows no empty section).
    """
    from IPython.display import HTML

    pairs = report_warnings(metrics_dir, lang=lang)
    if not pairs:
        return HTML("")
    heading = display.html_text(labels.label("summary_warnings", lang=lang))
    banner = display.warnings_html(
        [w for _, w in pairs], lang=lang, sources=[title for title, _ in pairs]
    )
    return HTML(f"<h2>{heading}</h2>{banner}")


def show_comparison(table: pd.DataFrame, *, lang: str | None = None):
    """Format a ``comparison_table`` for the page: each figure in its ``labels`` format,
    changes signed and coloured, headers in ``lang``."""
    from crm_lab.reporting.display import styler

    def values(column):
        return [
            labels.format_value(k, None if pd.isna(v) else v)
            for k, v in zip(table["key"], table[column], strict=True)
        ]

    def change(column):
        return [labels.format_value(column, None if pd.isna(v) else v) for v in table[column]]

    shown = pd.DataFrame(
        {
            labels.label("metric", lang=lang): table["metric"],
            labels.label("this_period", lang=lang): values("this_period"),
            labels.label("previous_period", lang=lang): values("previous_period"),
            labels.label("change", lang=lang): change("change"),
            labels.label("year_ago", lang=lang): values("year_ago"),
            labels.label("change_year", lang=lang): change("change_year"),
        }
    )

    def colour(text):
        if isinstance(text, str) and text.startswith("+") and text != "+0.0%":
            return "color: #2f855a"
        if isinstance(text, str) and text.startswith("-"):
            return "color: #c53030"
        return ""

    changes = [labels.label("change", lang=lang), labels.label("change_year", lang=lang)]
    shown = shown.map(display.safe_text)  # every cell a str: the Styler escapes only those
    return (
        styler(shown)
        .format(escape="html")
        .format_index(escape="html", axis="columns")
        .hide(axis="index")
        .map(colour, subset=changes)
    )
