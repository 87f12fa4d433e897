"""The reports folder's manifests into ``index.html``: every period, its figures and trends.

Each period shows its run's warnings (stale data, ...) under its name and each report's own
warnings under its link, as sentences in the index's language (``labels.warning_text``). Every
text from a manifest is escaped (``text.html_text``) and every link is built from
percent-encoded parts (``page_href``), so a name cannot open markup, a script URL or another
folder.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from crm_lab import __version__
from crm_lab.privacy import mask_text
from crm_lab.reporting import labels
from crm_lab.reporting.export import atomic_write
from crm_lab.reporting.manifest import read_manifests
from crm_lab.reporting.text import html_text

__all__ = ["page_href", "sparkline", "write_index"]

_INDEX_CSS = """
body{font-family:-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",
sans-serif;max-width:1100px;margin:0 auto;padding:1.5rem 2rem;color:#1a202c}
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{background:#f7fafc}th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
a{color:#2b6cb0}.muted{color:#718096;font-size:12px}.bad{color:#c53030}
.warn{color:#744210;background:#fffbeb;border-left:4px solid #d69e2e;padding:2px 6px;
font-size:12px;margin-top:4px}
svg.spark{vertical-align:middle;margin-left:6px}
"""
_INDEX_FIGURES = ("active_customers", "period_orders", "period_revenue", "data_quality_clean_share")


def _fmt_number(key: str, value) -> str:
    # the figure's declared format, "–" if missing; escaped: a manifest is a file anyone may edit
    return html_text(labels.format_value(key, value))


def sparkline(values: list, *, width: int = 80, height: int = 18) -> str:
    """Draw a list of numbers (oldest first) as a tiny inline SVG line; missing values skipped.

    Fewer than two numbers draw nothing (an empty string).

    >>> sparkline([1, None])
    ''
    >>> "points='2.0,16.0 78.0,2.0'" in sparkline([1, 2])
    True
    """
    points = [(i, v) for i, v in enumerate(values) if isinstance(v, (int, float))]
    if len(points) < 2:
        return ""
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span = (hi - lo) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    xy = " ".join(
        f"{2 + i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in points
    )
    return (
        f"<svg class='spark' width='{width}' height='{height}' role='img' "
        f"aria-label='trend'><polyline fill='none' stroke='#2b6cb0' stroke-width='1.5' "
        f"points='{xy}'/></svg>"
    )


def page_href(*parts: str) -> str:
    """Turn path parts (a period, a page's file name) into a relative link for an attribute.

    Each part is percent-encoded whole (``/``, ``:``, quotes and ``<`` included), so a link
    always points at a file below the index: ``javascript:alert(1)`` becomes the file name
    ``javascript%3Aalert%281%29`` and ``../x`` stays in its folder. The result is also escaped
    for a quoted HTML attribute.

    >>> page_href("2025-12", "basket.html")
    '2025-12/basket.html'
    >>> page_href("2025-12", "javascript:alert(1)")
    '2025-12/javascript%3Aalert%281%29'
    >>> page_href("..", "x y.html")
    '%2E%2E/x%20y.html'
    """
    encoded = []
    for part in parts:
        text = quote(str(part), safe="")
        encoded.append("%2E" * len(text) if set(text) == {"."} else text)  # "." and ".."
    return html_text("/".join(encoded))


def _warning_lines(warnings, *, lang: str, known=None) -> str:
    """Warnings as escaped ``warn`` lines; a code this version does not know shows as itself."""
    lines = []
    for warning in warnings:
        try:
            text = labels.warning_text(warning, lang=lang)
        except ValueError:  # a manifest written by another version of crm_lab
            text = str(warning.get("code", warning))
        lines.append(f"<div class='warn'>{html_text(mask_text(text, known=known))}</div>")
    return "".join(lines)


def _links(folder: Path, manifest, *, lang: str, known=None) -> list[str]:
    def say(key: str) -> str:
        return html_text(labels.label(key, lang=lang))

    links = []
    for r in sorted(manifest.reports, key=lambda r: not r.summary):
        before = len(links)
        title = html_text(mask_text(r.title, known=known))
        if r.html and (folder / r.html).exists():
            href = page_href(manifest.period, r.html)
            stale = f" <span class='muted'>({say('index_stale')})</span>" if r.stale else ""
            strong = ("<strong>", "</strong>") if r.summary else ("", "")
            links.append(f"{strong[0]}<a href='{href}'>{title}</a>{strong[1]}{stale}")
        elif r.status == "skipped":
            links.append(
                f"<span class='muted'>{title}: {say('index_skipped')} — "
                f"{html_text(mask_text(r.reason, known=known))}</span>"
            )
        if r.status == "failed":
            links.append(f"<span class='bad'>{title}: {say('index_failed')}</span>")
        if r.warnings and len(links) > before:  # under this report's line
            links[-1] += _warning_lines(r.warnings, lang=lang, known=known)
    return links


def write_index(out_dir: str | Path, *, known: dict | None = None) -> Path:
    """Write the reports folder's manifests into ``out_dir/index.html``.

    One row per period, newest first, with its headline figures, links to its pages, the run's
    and each report's warnings and, on the newest row, sparklines of the last twelve periods.

    Every text from a manifest (titles, reasons, warnings) is masked (``privacy.mask_text``,
    with the run's ``known`` values when given): manifests of earlier runs or other versions
    may not have been.

    Returns
    -------
    Path
        The index file.
    """
    out_dir = Path(out_dir)
    manifests = read_manifests(out_dir)
    figures = [m.headline() for _, m in manifests]
    lang = manifests[-1][1].lang if manifests else "en"
    lang = lang if lang in labels.LANGS else "en"  # a manifest from another version, or edited
    rows = []
    for pos in range(len(manifests) - 1, -1, -1):
        (folder, m), headline = manifests[pos], figures[pos]
        cells = []
        for key in _INDEX_FIGURES:
            history = [f.get(key) for f in figures[: pos + 1]][-12:]
            spark = sparkline(history) if pos == len(manifests) - 1 else ""
            cells.append(f"<td class='num'>{_fmt_number(key, headline.get(key))}{spark}</td>")
        span = f"{m.period_start} – {m.as_of}"
        links = _links(folder, m, lang=lang, known=known)
        rows.append(
            f"<tr><td>{html_text(m.period)}<div class='muted'>{html_text(span)}</div>"
            f"{_warning_lines(m.warnings, lang=lang, known=known)}</td>"
            f"{''.join(cells)}<td>{'<br>'.join(links)}</td></tr>"
        )

    def say(key: str) -> str:
        return html_text(labels.label(key, lang=lang))

    heads = "".join(f"<th class='num'>{say(key)}</th>" for key in _INDEX_FIGURES)
    title, intro = say("index_title"), say("index_intro")
    body = "\n".join(rows) or f"<tr><td colspan='6'>{say('index_none')}</td></tr>"
    page = f"""<!DOCTYPE html>
<html lang="{html_text(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title><style>{_INDEX_CSS}</style></head>
<body><h1>{title}</h1>
<p>{intro}</p>
<table><thead><tr><th>{say("index_period")}</th>{heads}
<th>{say("index_reports")}</th></tr></thead>
<tbody>
{body}
</tbody></table>
<p class="muted">crm_lab {__version__}</p>
</body></html>
"""
    return atomic_write(out_dir / "index.html", page)
