"""Executed notebooks into self-contained HTML pages (nbconvert's ``crm_report`` template).

``atomic_write`` puts a page into place: a temporary file, then a rename, so a killed run never
leaves a half-written page and never replaces the last good one.
"""

from __future__ import annotations

import html
import os
import threading
from pathlib import Path

import nbformat

__all__ = ["atomic_write", "export_html"]

_NBCONVERT_TEMPLATES = Path(__file__).resolve().parent / "_data" / "nbconvert"
_EXPORTERS = threading.local()
_EXPORT_LOCK = threading.Lock()


def export_html(
    notebook: nbformat.NotebookNode,
    *,
    title: str,
    footer: str,
    lang: str = "en",
    banner: str = "",
) -> str:
    """Turn an executed notebook into a self-contained HTML page without code or stderr.

    Markdown cells tagged with the other language (``en`` / ``zh``) are left out, so one
    template carries its narrative in both languages. Cell ids are renumbered (papermill's
    injected cell has a random one), so the same notebook always gives the same bytes.

    Parameters
    ----------
    banner : str
        HTML put at the top of the page, above the first cell: the run's warnings as
        ``display.warnings_html`` escapes them (the runner's, on every page). Inserted as
        given, so it must already be escaped; the footer is plain text and escaped here.
    """
    nb = nbformat.from_dict(notebook)
    other = "zh" if lang == "en" else "en"
    nb.cells = [c for c in nb.cells if other not in c.get("metadata", {}).get("tags", [])]
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"
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
        return _export(nb, lang=lang, footer=footer, banner=banner)


def _export(nb, *, lang: str, footer: str, banner: str) -> str:
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
    body, _ = exporters[lang].from_notebook_node(
        nb, resources={"crm_footer": html.escape(footer), "crm_banner": banner}
    )
    return body


def atomic_write(path: str | Path, text: str) -> Path:
    """Write text to a file atomically (UTF-8): a temporary file beside it, then a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
