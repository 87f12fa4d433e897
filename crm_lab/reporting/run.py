"""Report templates and data into a period's HTML reports, a manifest and the index page.

``run_reports`` takes a lock on the output folder, loads and cleans the input once, writes the
canonical tables as the period's snapshot, executes every template in ``notebooks/`` with
papermill on that snapshot, exports each executed notebook to self-contained HTML without code,
and publishes a page only when its notebook ran to the end, wrote its metrics (the success
marker) and passed the privacy gate. Pages are written atomically (a temporary file, then a
rename), so a killed run never leaves a half-written page and never replaces the last good one.
A failing template does not stop the others; its executed notebook stays in the analyst's work
folder. Templates hold no logic: they call ``display``, ``plots`` and the analytics modules.
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import nbformat
import yaml

from crm_lab import __version__, privacy
from crm_lab.core.periods import Period, resolve_period
from crm_lab.ingest import clean_dataset, load_data, save_tables
from crm_lab.ingest.readers import SUFFIXES

__all__ = [
    "ReportResult",
    "RunLockedError",
    "RunResult",
    "Template",
    "coerce_params",
    "find_templates",
    "read_params_file",
    "run_reports",
    "write_index",
]

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "notebooks"
_NBCONVERT_TEMPLATES = Path(__file__).resolve().parent / "_data" / "nbconvert"
KERNEL = "python3"
_EXPORTERS = threading.local()
_EXPORT_LOCK = threading.Lock()
_VERSIONED = (
    "pandas",
    "numpy",
    "matplotlib",
    "papermill",
    "nbconvert",
    "scikit-learn",
    "mlxtend",
    "phonenumbers",
    "rapidfuzz",
)


class RunLockedError(RuntimeError):
    """Another run is writing the same reports folder."""


@dataclass(frozen=True)
class Template:
    """A report template notebook and what it needs (from its ``crm_lab`` metadata)."""

    path: Path
    slug: str
    title: dict  # {"en": ..., "zh": ...}
    requires: tuple[str, ...]
    summary: bool = False  # the executive summary: runs last, reads the others' metrics
    audience: str = "stakeholders"  # or "analyst": published to the work folder, not the index

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.slug


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
    summary: bool = False
    audience: str = "stakeholders"


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
    """List the report templates (``NN-slug.ipynb``) in a folder; the summary comes last."""
    directory = Path(directory) if directory else TEMPLATES_DIR
    found = []
    for path in sorted(directory.glob("[0-9][0-9]-*.ipynb")):
        meta = nbformat.read(path, as_version=4).metadata.get("crm_lab", {})
        title = meta.get("title", path.stem)
        found.append(
            Template(
                path=path,
                slug=path.stem.split("-", 1)[1],
                title=title if isinstance(title, dict) else {"en": title},
                requires=tuple(meta.get("requires", [])),
                summary=bool(meta.get("summary", False)),
                audience=meta.get("audience", "stakeholders"),
            )
        )
    return sorted(found, key=lambda t: t.summary)


# --- parameters ---------------------------------------------------------------------------------
def read_params_file(path: str | Path) -> dict[str, str]:
    """Read a YAML parameters file keeping every value as written: ``007`` stays ``"007"``.

    YAML would otherwise read ``007`` as the number 7 and ``no`` as False; here each value is
    the text of the scalar, and ``coerce_params`` converts it by the template's declared type.
    """
    data = yaml.load(Path(path).read_text("utf-8"), Loader=yaml.BaseLoader) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected 'name: value' lines, got {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def coerce_params(values: dict[str, str], declared: dict[str, dict], *, where: str) -> dict:
    """Convert text parameters to the types a template's parameters cell declares.

    ``str`` parameters stay exactly as given; ``int``, ``float`` and ``bool`` are parsed and a
    value that does not parse is an error naming the template, parameter and value.
    """
    out = {}
    for name, value in values.items():
        kind = declared[name]["inferred_type_name"] if name in declared else "str"
        if not isinstance(value, str) or kind in ("str", "None"):
            out[name] = value
            continue
        try:
            if kind == "int":
                out[name] = int(value)
            elif kind == "float":
                out[name] = float(value)
            elif kind == "bool":
                if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
                    raise ValueError(value)
                out[name] = value.lower() in ("true", "yes", "1")
            else:
                out[name] = value
        except ValueError:
            raise ValueError(f"{where}: parameter {name!r} must be {kind}, got {value!r}") from None
    return out


# --- files --------------------------------------------------------------------------------------
def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _lock(out_dir: Path):
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".crm_lab.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            message = f"{out_dir}: another report run is writing here ({holder})"
            raise RunLockedError(message) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _inputs(data: Path) -> list[dict]:
    files = (
        [data]
        if data.is_file()
        else sorted(
            p for p in data.iterdir() if p.is_file() and p.suffix.lower() in (*SUFFIXES, ".enc")
        )
    )
    return [{"file": str(p), "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in files]


def _versions() -> dict[str, str]:
    out = {"crm_lab": __version__}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# --- export -------------------------------------------------------------------------------------
def export_html(
    notebook: nbformat.NotebookNode, *, title: str, footer: str, lang: str = "en"
) -> str:
    """Turn an executed notebook into a self-contained HTML page without code or stderr.

    Markdown cells tagged with the other language (``en`` / ``zh``) are left out, so one
    template carries its narrative in both languages.
    """
    nb = nbformat.from_dict(notebook)
    other = "zh" if lang == "en" else "en"
    nb.cells = [c for c in nb.cells if other not in c.get("metadata", {}).get("tags", [])]
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"  # papermill's injected cell has a random id
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
            for o in cell.outputs:
                svg = o.get("data", {}).get("image/svg+xml")
                if svg:  # inlined into the page: drop the XML prolog and DOCTYPE
                    o["data"]["image/svg+xml"] = svg[svg.find("<svg") :]
    nb.metadata["title"] = title
    with _EXPORT_LOCK:  # nbconvert's exporters are not known to be thread-safe: one at a time
        return _export(nb, lang=lang, footer=footer)


def _export(nb, *, lang: str, footer: str) -> str:
    from nbconvert import HTMLExporter

    exporters = _EXPORTERS.__dict__.setdefault("by_lang", {})
    if lang not in exporters:  # building one loads the templates: once per thread and language
        exporters[lang] = HTMLExporter(
            template_name="crm_report",
            extra_template_basedirs=[str(_NBCONVERT_TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            language_code=lang,
        )
    exporter = exporters[lang]
    resources = {"crm_footer": html.escape(footer)}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _failure_reason(exc: Exception) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip().splitlines()
    cell = getattr(exc, "exec_count", None)
    where = f"cell [{cell}]: " if cell is not None else ""
    return f"{where}{ename}: {evalue[0] if evalue else ''}"[:300]


def _known_values(dataset) -> dict[str, set[str]]:
    """Values of the input that must never reach a stakeholder page."""
    known: dict[str, set[str]] = {}
    for table, columns in (("customers", ("customer_id", "name", "phone", "email")),):
        if table in dataset.tables:
            for col in columns:
                known[col] = set(dataset[table][col].dropna().astype(str))
    return known


# --- the run ------------------------------------------------------------------------------------
def run_reports(
    data: str | Path,
    *,
    out_dir: str | Path,
    period: str | Period | None = None,
    as_of=None,
    lang: str = "en",
    params: dict[str, str] | None = None,
    templates_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
    key_file: str | Path | None = None,
    aliases: str | Path | None = None,
    policies: str | Path | None = None,
    today=None,
    workers: int = 3,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Run every report template on one input and publish the period's HTML reports.

    Parameters
    ----------
    data : str or Path
        A folder of table files or one file (see ``load.load_data``).
    out_dir : str or Path
        Stakeholder folder: reports go to ``out_dir/<period>/``, the index to
        ``out_dir/index.html``.
    period : str or Period, optional
        ``last-month``, ``2025-12``, ``2025-Q4``, ... (see ``periods.resolve_period``).
    as_of : date-like, optional
        Inclusive cut-off day; required when ``period`` does not fix one.
    lang : {"en", "zh"}
        Report language: titles, labels, narrative and segment names.
    params : dict of str to str, optional
        Extra template parameters as text (from ``--param`` or a YAML file); converted to each
        template's declared types, strings kept as given.
    templates_dir : str or Path, optional
        Folder of ``NN-slug.ipynb`` templates; the project's ``notebooks/`` when omitted.
    work_dir : str or Path, optional
        Analyst folder for the period's snapshot and executed notebooks (failed ones too);
        ``data/interim/<period>`` under the current folder when omitted.
    key_file : str or Path, optional
        Key for encrypted input files (``*.enc``).
    aliases, policies : str or Path, optional
        YAML files of extra header aliases and of cleaning policies.
    today : date-like, optional
        The day relative periods count from (default: the current date).
    workers : int
        Reports executed at the same time, each in its own kernel (much of a kernel's time is
        start-up, so 3 suits a 2-core machine; bench/bench_report.py measures it).
    progress : callable, optional
        Called with one line of text as each report starts and ends.

    Returns
    -------
    RunResult
        One result per template; ``ok`` is False when any template failed.

    Raises
    ------
    RunLockedError
        Another run is writing to ``out_dir``.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    import papermill as pm

    say = progress or (lambda line: log.info(line))
    per = period if isinstance(period, Period) else resolve_period(period, as_of=as_of, today=today)
    out_dir = Path(out_dir).resolve()
    work = Path(work_dir or Path("data/interim") / per.name).resolve()
    data = Path(data).resolve()
    with _lock(out_dir):
        (work / "executed").mkdir(parents=True, exist_ok=True)
        period_dir = out_dir / per.name
        period_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        say(f"period {per.name}: {per.start.date()} .. {per.as_of.date()} (as of); loading {data}")
        dataset = clean_dataset(
            load_data(data, key_file=key_file, aliases=str(aliases) if aliases else None),
            policies=policies,
        )
        snapshot = save_tables(dataset, work / "tables")  # the analyst's, with contacts
        # stakeholder reports are built from a de-identified copy: pseudonymous ids, no contacts
        deidentified = save_tables(
            privacy.deidentify(dataset, key=privacy.pseudonym_key()), work / "tables-deidentified"
        )
        for note in dataset.notes:
            say(f"  note: {note}")
        rows_q = int(dataset.accounting["rows_quarantined"].sum())
        say(
            f"  tables: {', '.join(f'{t} ({len(f):,} rows)' for t, f in dataset.tables.items())}; "
            f"quarantined rows: {rows_q} ({time.perf_counter() - started:.1f} s)"
        )
        known = _known_values(dataset)

        templates = find_templates(templates_dir)
        base = {
            "as_of": per.as_of.date().isoformat(),
            "period": per.name,
            "period_start": per.start.date().isoformat(),
            "lang": lang,
            "reports_dir": str(out_dir),
            "metrics_dir": str(work / "executed"),
            "key_file": str(privacy.DEFAULT_KEY_FILE),
        }

        def run_one(i: int, tpl: Template) -> ReportResult:
            title = tpl.title_in(lang)
            tag = f"[{i}/{len(templates)}] {tpl.slug}"
            missing = [t for t in tpl.requires if t not in dataset.tables]
            if missing:
                reason = f"no {', '.join(missing)} table in the input"
                say(f"{tag}: skipped ({reason})")
                return ReportResult(tpl.slug, title, "skipped", reason=reason)
            say(f"{tag}: running")
            start = time.perf_counter()
            result = ReportResult(
                tpl.slug, title, "failed", summary=tpl.summary, audience=tpl.audience
            )
            executed = work / "executed" / f"{tpl.path.stem}.ipynb"
            metrics_path = work / "executed" / f"{tpl.slug}.metrics.json"
            metrics_path.unlink(missing_ok=True)
            try:
                declared = pm.inspect_notebook(str(tpl.path))
                data_path = snapshot if tpl.audience == "analyst" else deidentified
                values = {
                    **base,
                    "data_path": str(data_path),
                    "metrics_path": str(metrics_path),
                    **(params or {}),
                }
                chosen = {k: v for k, v in values.items() if k in declared}
                chosen = coerce_params(chosen, declared, where=tpl.path.name)
                nb = pm.execute_notebook(
                    str(tpl.path),
                    str(executed),
                    parameters=chosen,
                    kernel_name=KERNEL,
                    progress_bar=False,
                    log_output=False,
                    start_timeout=300,  # kernels start slowly on a busy 2-core machine
                )
                if not metrics_path.exists():
                    raise RuntimeError("the notebook ended without writing its metrics")
                result.metrics = json.loads(metrics_path.read_text("utf-8"))
                # the summary links reports by these
                metrics_path.write_text(
                    json.dumps(
                        {
                            **result.metrics,
                            "title": tpl.title,
                            "summary": tpl.summary,
                            "audience": tpl.audience,
                        },
                        ensure_ascii=False,
                        default=str,
                    ),
                    "utf-8",
                )
                footer = (
                    f"crm_lab {__version__} · {per.name} · {per.start.date()} – "
                    f"{per.as_of.date()} · input: {data.name}"
                )
                page = export_html(nb, title=title, footer=footer, lang=lang)
                hits = privacy.scan_page(page, known=known)
                if hits:
                    shown = ", ".join(f"{h['kind']} {h['masked']}" for h in hits[:5])
                    raise PermissionError(
                        f"privacy gate: {len(hits)} personal value(s) on the page ({shown}); "
                        "not published"
                    )
                if tpl.audience == "analyst":  # masked contacts: never in the stakeholder folder
                    (work / "analyst").mkdir(exist_ok=True)
                    _atomic_write(work / "analyst" / f"{tpl.slug}.html", page)
                    result.status, result.html = "ok", None
                    result.reason = f"analyst page: {work / 'analyst' / f'{tpl.slug}.html'}"
                else:
                    _atomic_write(period_dir / f"{tpl.slug}.html", page)
                    result.status, result.html = "ok", f"{tpl.slug}.html"
            except Exception as exc:  # one failing template must not stop the others
                result.reason = _failure_reason(exc)
            result.seconds = round(time.perf_counter() - start, 2)
            status = "ok" if result.status == "ok" else f"FAILED — {result.reason}"
            say(f"{tag}: {status} ({result.seconds:.1f} s)")
            if result.status == "failed":
                say(f"    executed notebook kept for the analyst: {executed}")
            return result

        # reports run side by side (each in its own kernel); the summary last, on their metrics
        jobs = list(enumerate(templates, 1))
        regular = [(i, t) for i, t in jobs if not t.summary]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            outcomes = list(pool.map(lambda job: run_one(*job), regular))
        done = {t.slug: r for (_, t), r in zip(regular, outcomes, strict=True)}
        for i, tpl in jobs:
            if tpl.summary:
                done[tpl.slug] = run_one(i, tpl)
        results = [done[t.slug] for _, t in jobs]

        run = RunResult(period=per.name, out_dir=out_dir, results=results)
        _write_manifest(
            run,
            period=per,
            data=data,
            lang=lang,
            dataset=dataset,
            params=params,
            seconds=time.perf_counter() - started,
        )
        write_index(out_dir)
    return run


def _write_manifest(run: RunResult, *, period: Period, data, lang, dataset, params, seconds):
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
        "period_start": period.start.date().isoformat(),
        "as_of": period.as_of.date().isoformat(),
        "lang": lang,
        "inputs": _inputs(Path(data)),
        "parameters": dict(params or {}),
        "versions": _versions(),
        "seconds": round(seconds, 2),
        "rows": {table: len(frame) for table, frame in dataset.tables.items()},
        "accounting": dataset.accounting.to_dict(orient="records"),
        "notes": dataset.notes,
        "reports": reports,
    }
    _atomic_write(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=1, default=str))


# --- the index ----------------------------------------------------------------------------------
_INDEX_CSS = """
body{font-family:-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",
sans-serif;max-width:1100px;margin:0 auto;padding:1.5rem 2rem;color:#1a202c}
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{background:#f7fafc}th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
a{color:#2b6cb0}.muted{color:#718096;font-size:12px}.bad{color:#c53030}
svg.spark{vertical-align:middle;margin-left:6px}
"""
_INDEX_FIGURES = [
    ("active_customers", "Active customers", "活跃客户"),
    ("period_orders", "Orders in period", "本期订单"),
    ("period_revenue", "Revenue in period", "本期收入"),
    ("data_quality_clean_share", "Clean rows", "干净数据占比"),
]


def _fmt_number(key: str, value) -> str:
    if not isinstance(value, (int, float)):
        return "–"
    return f"{value:.1%}" if key.endswith("share") else f"{value:,.0f}"


def sparkline(values: list, *, width: int = 80, height: int = 18) -> str:
    """Draw a list of numbers (oldest first) as a tiny inline SVG line; missing values skipped."""
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


def write_index(out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html``: every period, its headline figures with trend sparklines."""
    out_dir = Path(out_dir)
    manifests = []
    for path in out_dir.glob("*/manifest.json"):
        m = json.loads(path.read_text("utf-8"))
        m["_dir"] = path.parent
        manifests.append(m)
    manifests.sort(key=lambda m: (m["as_of"], m["period"]))
    figures = []
    for m in manifests:
        headline = {}
        for r in m["reports"]:
            if not r.get("stale"):  # a failed report's figures would be from an earlier run
                headline.update(r.get("metrics", {}).get("headline", {}))
        figures.append(headline)
    lang = manifests[-1]["lang"] if manifests else "en"
    rows = []
    for pos in range(len(manifests) - 1, -1, -1):
        m, headline = manifests[pos], figures[pos]
        links = []
        for r in sorted(m["reports"], key=lambda r: not r.get("summary", False)):
            title = html.escape(r["title"])
            if r.get("html") and (m["_dir"] / r["html"]).exists():
                href = f"{html.escape(m['period'])}/{html.escape(r['html'])}"
                stale = " <span class='muted'>(last good run)</span>" if r.get("stale") else ""
                strong = ("<strong>", "</strong>") if r.get("summary") else ("", "")
                links.append(f"{strong[0]}<a href='{href}'>{title}</a>{strong[1]}{stale}")
            elif r["status"] == "skipped":
                links.append(
                    f"<span class='muted'>{title}: skipped — {html.escape(r['reason'])}</span>"
                )
            if r["status"] == "failed":
                links.append(f"<span class='bad'>{title}: failed this run</span>")
        cells = []
        for key, *_ in _INDEX_FIGURES:
            history = [f.get(key) for f in figures[: pos + 1]][-12:]
            spark = sparkline(history) if pos == len(manifests) - 1 else ""
            cells.append(f"<td class='num'>{_fmt_number(key, headline.get(key))}{spark}</td>")
        span = f"{m.get('period_start', '')} – {m['as_of']}"
        rows.append(
            f"<tr><td>{html.escape(m['period'])}<div class='muted'>{html.escape(span)}</div></td>"
            f"{''.join(cells)}<td>{'<br>'.join(links)}</td></tr>"
        )
    heads = "".join(
        f"<th class='num'>{html.escape(zh if lang == 'zh' else en)}</th>"
        for _, en, zh in _INDEX_FIGURES
    )
    title = "crm_lab 报告" if lang == "zh" else "crm_lab reports"
    intro = (
        "每行一个报告期，最新在上；迷你折线为最近各期的走势。"
        if lang == "zh"
        else "One row per period, newest first; the small lines show the trend over the periods."
    )
    body = "\n".join(rows) or "<tr><td colspan='6'>No reports yet.</td></tr>"
    page = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title><style>{_INDEX_CSS}</style></head>
<body><h1>{title}</h1>
<p>{intro}</p>
<table><thead><tr><th>{"报告期" if lang == "zh" else "Period"}</th>{heads}
<th>{"报告" if lang == "zh" else "Reports"}</th></tr></thead>
<tbody>
{body}
</tbody></table>
<p class="muted">crm_lab {__version__}</p>
</body></html>
"""
    path = out_dir / "index.html"
    _atomic_write(path, page)
    return path
