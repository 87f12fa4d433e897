"""Report templates and data into a period's HTML reports, a manifest and the index page.

``run_reports`` loads the input once, writes the canonical tables as a snapshot for the period,
executes every template in ``notebooks/`` with papermill on that snapshot, exports each executed
notebook to self-contained HTML without code, and publishes a page only when its notebook ran to
the end and wrote its metrics. A failing template does not stop the others. The helpers at the
bottom (``notebook_setup``, ``show_table``, ``kpi_cards``, ``write_metrics``) are what templates
call; templates hold no logic of their own.
"""

from __future__ import annotations

import html
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from crm_lab import __version__
from crm_lab.clean import clean_dataset
from crm_lab.load import load_data, save_tables

__all__ = [
    "ReportResult",
    "RunResult",
    "Template",
    "find_templates",
    "kpi_cards",
    "notebook_setup",
    "run_reports",
    "show_table",
    "write_index",
    "write_metrics",
]

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "notebooks"
_NBCONVERT_TEMPLATES = Path(__file__).resolve().parent / "templates"
KERNEL = "python3"


@dataclass(frozen=True)
class Template:
    """A report template notebook and what it needs (from its ``crm_lab`` metadata)."""

    path: Path
    slug: str
    title: str
    requires: tuple[str, ...]


@dataclass
class ReportResult:
    """What happened to one template in a run."""

    slug: str
    title: str
    status: str  # "ok", "skipped" or "failed"
    seconds: float = 0.0
    html: str | None = None  # file name inside the period folder
    reason: str = ""
    metrics: dict = field(default_factory=dict)


@dataclass
class RunResult:
    """The outcome of a report run: one ``ReportResult`` per template."""

    period: str
    out_dir: Path
    results: list[ReportResult]

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.results)


def find_templates(directory: str | Path | None = None) -> list[Template]:
    """List the report templates (``NN-slug.ipynb``) in a folder, in file-name order."""
    directory = Path(directory) if directory else TEMPLATES_DIR
    found = []
    for path in sorted(directory.glob("[0-9][0-9]-*.ipynb")):
        meta = nbformat.read(path, as_version=4).metadata.get("crm_lab", {})
        found.append(
            Template(
                path=path,
                slug=path.stem.split("-", 1)[1],
                title=meta.get("title", path.stem),
                requires=tuple(meta.get("requires", [])),
            )
        )
    return found


def default_period(as_of) -> str:
    """Name the period of a run after the month of its ``as_of`` day ("2025-12")."""
    return pd.Timestamp(as_of).strftime("%Y-%m")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def export_html(notebook: nbformat.NotebookNode, *, title: str, footer: str) -> str:
    """Turn an executed notebook into a self-contained HTML page without code or stderr."""
    from nbconvert import HTMLExporter

    nb = nbformat.from_dict(notebook)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
            for o in cell.outputs:
                svg = o.get("data", {}).get("image/svg+xml")
                if svg:  # inlined into the page: drop the XML prolog and DOCTYPE
                    o["data"]["image/svg+xml"] = svg[svg.find("<svg") :]
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="crm_report",
        extra_template_basedirs=[str(_NBCONVERT_TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"crm_footer": html.escape(footer)})
    return body


def _failure_reason(exc: Exception) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip().splitlines()
    cell = getattr(exc, "exec_count", None)
    where = f"cell [{cell}]: " if cell is not None else ""
    return f"{where}{ename}: {evalue[0] if evalue else ''}"[:300]


def run_reports(
    data: str | Path,
    *,
    as_of,
    out_dir: str | Path,
    period: str | None = None,
    lang: str = "en",
    templates_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Run every report template on one input and publish the period's HTML reports.

    Parameters
    ----------
    data : str or Path
        A folder of table files or one file (see ``load.load_data``).
    as_of : str or Timestamp
        Inclusive cut-off day passed to every template.
    out_dir : str or Path
        Stakeholder folder: reports go to ``out_dir/<period>/`` and the index to
        ``out_dir/index.html``.
    period : str, optional
        Folder name of the period; the ``as_of`` month when omitted.
    lang : {"en", "zh"}
        Report language.
    templates_dir : str or Path, optional
        Folder of ``NN-slug.ipynb`` templates; the project's ``notebooks/`` when omitted.
    work_dir : str or Path, optional
        Analyst folder for the canonical snapshot and the executed notebooks (kept, failed
        ones included); ``data/interim/<period>`` under the current folder when omitted.
    progress : callable, optional
        Called with one line of text as each report starts and ends.

    Returns
    -------
    RunResult
        One result per template; ``ok`` is False when any template failed.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    import papermill as pm

    say = progress or (lambda line: log.info(line))
    as_of_day = pd.Timestamp(as_of).normalize()
    period = period or default_period(as_of_day)
    out_dir = Path(out_dir).resolve()
    work = Path(work_dir or Path("data/interim") / period).resolve()
    (work / "executed").mkdir(parents=True, exist_ok=True)
    period_dir = out_dir / period
    period_dir.mkdir(parents=True, exist_ok=True)

    say(f"loading {data}")
    dataset = clean_dataset(load_data(data))
    snapshot = save_tables(dataset, work / "tables")
    for note in dataset.notes:
        say(f"  note: {note}")
    rows_q = int(dataset.accounting["rows_quarantined"].sum())
    say(
        f"  tables: {', '.join(f'{t} ({len(f):,} rows)' for t, f in dataset.tables.items())}; "
        f"quarantined rows: {rows_q}"
    )

    results: list[ReportResult] = []
    templates = find_templates(templates_dir)
    for i, tpl in enumerate(templates, 1):
        missing = [t for t in tpl.requires if t not in dataset.tables]
        if missing:
            reason = f"no {', '.join(missing)} table in the input"
            say(f"[{i}/{len(templates)}] {tpl.slug}: skipped ({reason})")
            results.append(ReportResult(tpl.slug, tpl.title, "skipped", reason=reason))
            continue
        say(f"[{i}/{len(templates)}] {tpl.slug}: running")
        start = time.perf_counter()
        executed = work / "executed" / f"{tpl.path.stem}.ipynb"
        metrics_path = work / "executed" / f"{tpl.slug}.metrics.json"
        metrics_path.unlink(missing_ok=True)
        params = {
            "data_path": str(snapshot),
            "as_of": as_of_day.date().isoformat(),
            "period": period,
            "lang": lang,
            "metrics_path": str(metrics_path),
        }
        result = ReportResult(tpl.slug, tpl.title, "failed")
        try:
            nb = pm.execute_notebook(
                str(tpl.path),
                str(executed),
                parameters=params,
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                cwd=str(work),
            )
            if not metrics_path.exists():
                raise RuntimeError("the notebook ended without writing its metrics")
            result.metrics = json.loads(metrics_path.read_text("utf-8"))
            footer = (
                f"crm_lab {__version__} · period {period} · data as of "
                f"{params['as_of']} · input: {Path(data).name}"
            )
            page = export_html(nb, title=tpl.title, footer=footer)
            target = period_dir / f"{tpl.slug}.html"
            _atomic_write(target, page)
            result.status, result.html = "ok", target.name
        except Exception as exc:  # one failing template must not stop the others
            result.reason = _failure_reason(exc)
        result.seconds = round(time.perf_counter() - start, 2)
        status = "ok" if result.status == "ok" else f"FAILED — {result.reason}"
        say(f"[{i}/{len(templates)}] {tpl.slug}: {status} ({result.seconds:.1f} s)")
        if result.status == "failed":
            say(f"    executed notebook kept for the analyst: {executed}")
        results.append(result)

    run = RunResult(period=period, out_dir=out_dir, results=results)
    _write_manifest(run, data=data, as_of=as_of_day, lang=lang, dataset=dataset)
    write_index(out_dir)
    return run


def _write_manifest(run: RunResult, *, data, as_of, lang, dataset) -> None:
    manifest_path = run.out_dir / run.period / "manifest.json"
    previous = {}
    if manifest_path.exists():
        previous = {r["slug"]: r for r in json.loads(manifest_path.read_text("utf-8"))["reports"]}
    reports = []
    for r in run.results:
        entry = asdict(r)
        if r.status == "failed" and r.slug in previous and previous[r.slug].get("html"):
            # the last good page stays published; say it is from an earlier run
            entry["html"] = previous[r.slug]["html"]
            entry["metrics"] = previous[r.slug].get("metrics", {})
            entry["stale"] = True
        reports.append(entry)
    manifest = {
        "period": run.period,
        "as_of": as_of.date().isoformat(),
        "lang": lang,
        "input": Path(data).name,
        "crm_lab_version": __version__,
        "rows": {table: len(frame) for table, frame in dataset.tables.items()},
        "accounting": dataset.accounting.to_dict(orient="records"),
        "notes": dataset.notes,
        "reports": reports,
    }
    _atomic_write(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=1, default=str))


_INDEX_CSS = """
body{font-family:-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",
sans-serif;max-width:1000px;margin:0 auto;padding:1.5rem 2rem;color:#1a202c}
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{background:#f7fafc}th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
a{color:#2b6cb0}.muted{color:#718096;font-size:12px}.bad{color:#c53030}
"""


def _fmt_number(value) -> str:
    if isinstance(value, (int, float)):
        return f"{value:,.0f}"
    return "–"


def write_index(out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` linking every period's reports, newest period first."""
    out_dir = Path(out_dir)
    rows = []
    for manifest_path in sorted(out_dir.glob("*/manifest.json"), reverse=True):
        m = json.loads(manifest_path.read_text("utf-8"))
        links, headline = [], {}
        for r in m["reports"]:
            if r.get("html") and (manifest_path.parent / r["html"]).exists():
                href = f"{html.escape(m['period'])}/{html.escape(r['html'])}"
                stale = " <span class='muted'>(last good run)</span>" if r.get("stale") else ""
                links.append(f"<a href='{href}'>{html.escape(r['title'])}</a>{stale}")
            elif r["status"] == "skipped":
                links.append(
                    f"<span class='muted'>{html.escape(r['title'])}: skipped — "
                    f"{html.escape(r['reason'])}</span>"
                )
            if r["status"] == "failed":
                links.append(f"<span class='bad'>{html.escape(r['title'])}: failed</span>")
            headline.update(r.get("metrics", {}).get("headline", {}))
        rows.append(
            "<tr>"
            f"<td>{html.escape(m['period'])}<div class='muted'>as of {html.escape(m['as_of'])}"
            "</div></td>"
            f"<td class='num'>{_fmt_number(headline.get('customers'))}</td>"
            f"<td class='num'>{_fmt_number(headline.get('orders'))}</td>"
            f"<td class='num'>{_fmt_number(headline.get('revenue'))}</td>"
            f"<td>{'<br>'.join(links)}</td></tr>"
        )
    body = "\n".join(rows) or "<tr><td colspan='5'>No reports yet.</td></tr>"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>crm_lab reports</title><style>{_INDEX_CSS}</style></head>
<body><h1>crm_lab reports</h1>
<p>One row per period. Figures are for the whole history up to the period's as-of day.</p>
<table><thead><tr><th>Period</th><th class='num'>Buying customers</th>
<th class='num'>Orders</th><th class='num'>Revenue</th><th>Reports</th></tr></thead>
<tbody>
{body}
</tbody></table>
<p class="muted">crm_lab {__version__}</p>
</body></html>
"""
    path = out_dir / "index.html"
    _atomic_write(path, page)
    return path


# ---- helpers called from report templates -------------------------------------------------


def notebook_setup() -> None:
    """Prepare a report kernel: SVG charts with live text, readable pandas tables."""
    from crm_lab.plots import use_svg

    use_svg()
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_columns", 30)


def show_table(frame: pd.DataFrame, *, percent=(), money=(), decimals=(), shade=()):
    """Format a table for a report: percentages, thousands separators, no index.

    Parameters
    ----------
    frame : DataFrame
        The table to show (not modified).
    percent, money, decimals : sequence of str
        Columns shown as 12.3 %, as 1,234 and with one decimal.
    shade : sequence of str
        Columns shaded red (low) to green (high) on a 0..1 scale, for shares.
    """
    formats = {c: "{:.1%}" for c in percent}
    formats.update({c: "{:,.0f}" for c in money})
    formats.update({c: "{:,.1f}" for c in decimals})
    for col in frame.columns:
        if col not in formats and pd.api.types.is_integer_dtype(frame[col].dtype):
            formats[col] = "{:,}"
    styler = frame.style.format(formats, na_rep="–").hide(axis="index")
    if shade:
        styler = styler.background_gradient(
            cmap="RdYlGn", vmin=0.0, vmax=1.0, subset=list(shade)
        ).highlight_null(color="#ffffff", subset=list(shade))
    return styler


_CARD_LABELS = {
    "customers": ("Buying customers", "购买客户"),
    "orders": ("Orders", "订单数"),
    "revenue": ("Revenue (gross sales)", "收入（销售额）"),
    "anonymous_revenue_share": ("Revenue without a customer id", "无客户ID的收入占比"),
    "cancelled_amount": ("Cancelled", "取消金额"),
    "returned_amount": ("Returned", "退货金额"),
    "rows_in": ("Rows read", "读入行数"),
    "rows_clean": ("Clean rows", "干净行数"),
    "clean_share": ("Clean share", "干净占比"),
    "rows_quarantined": ("Rows quarantined", "隔离行数"),
    "values_quarantined": ("Values quarantined", "隔离值数"),
    "duplicate_customers_merged": ("Duplicate customers merged", "合并重复客户"),
    "sales_without_customer_share": ("Sales without customer id", "无客户ID的销售占比"),
}


def kpi_cards(headline: dict, *, lang: str = "en"):
    """Show a ``kpi.headline`` dict as a row of labelled cards (HTML for a notebook cell)."""
    from IPython.display import HTML

    cards = []
    for key, labels in _CARD_LABELS.items():
        if key not in headline:
            continue
        value = headline[key]
        text = f"{value:.1%}" if key.endswith("_share") else f"{value:,.0f}"
        label = labels[1] if lang == "zh" else labels[0]
        cards.append(
            f"<div class='crm-kpi'><div class='v'>{html.escape(text)}</div>"
            f"<div class='l'>{html.escape(label)}</div></div>"
        )
    return HTML(f"<div class='crm-kpis'>{''.join(cards)}</div>")


def write_metrics(metrics: dict, path: str) -> None:
    """Write a template's headline metrics as JSON: the index reads it, tests check it.

    Writing it is the template's success marker, so it is the last cell of every template.
    An empty ``path`` writes nothing (a template opened by hand in JupyterLab).
    """
    if not path:
        return
    Path(path).write_text(json.dumps(metrics, ensure_ascii=False, indent=1, default=str), "utf-8")
