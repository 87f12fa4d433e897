"""Executed notebooks into self-contained HTML pages, tables into CSV exports that are safe to open.

``atomic_write`` puts a page into place: a temporary file, then a rename, so a killed run never
leaves a half-written page and never replaces the last good one. ``write_csv`` is the one way
crm_lab writes a CSV export (``crm-lab rules``, ``crm-lab recommend``): text cells a spreadsheet
or a CRM import would run as a formula are neutralised (``neutralise_cell``), and the file is
put into place atomically too.
"""

from __future__ import annotations

import csv
import os
import secrets
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from crm_lab.reporting.text import html_text, safe_text

if TYPE_CHECKING:  # imported where used: nbformat loads for seconds, and write_csv needs none
    import nbformat

__all__ = ["atomic_write", "export_html", "neutralise_cell", "write_csv"]

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
        given, so it must already be escaped; the title and the footer are plain text, their
        control and bidi characters replaced and escaped here (``text.html_text``).
    """
    import nbformat

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
    nb.metadata["title"] = safe_text(title)  # nbconvert escapes it
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
        nb, resources={"crm_footer": html_text(footer), "crm_banner": banner}
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


# a cell whose first character is one of these is a formula in Excel, LibreOffice and Google
# Sheets (OWASP "CSV injection"); full-width and small forms (＝ ＋ － ＠ ﹦ ...) are folded to them
# by NFKC, and a few spreadsheets read the minus sign U+2212 as "-"
FORMULA_STARTS = frozenset("=+-@\u2212")
# a cell starting with a tab or a carriage return is neutralised whatever follows (OWASP)
_ALWAYS = ("\t", "\r")


def _skipped(char: str) -> bool:
    """Characters a spreadsheet may drop or pass over before it reads a formula: spaces of any
    kind, controls, zero-width and other format characters (U+200B, U+FEFF, bidi marks) and
    lone surrogates (written as "?")."""
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}


def neutralise_cell(text: str) -> str:
    """Turn a text cell a spreadsheet would run as a formula into inert text (a leading ``'``).

    A cell is a formula when, after any leading spaces, control, zero-width or bidi
    characters, its first character is ``=``, ``+``, ``-``, ``@`` (or a full-width or small
    form of one, ``＝``, ``＋``, ``－``, ``＠``, or the minus sign U+2212), and whenever it starts
    with a tab or a carriage return. Such a cell gets a single quote in front (the OWASP
    rule: spreadsheets show the rest as text); every other cell is returned unchanged.

    >>> print(neutralise_cell('=HYPERLINK("http://x")'))
    '=HYPERLINK("http://x")
    >>> neutralise_cell(" \u200b@SUM(1)") == "' \u200b@SUM(1)"
    True
    >>> neutralise_cell("ab-c")
    'ab-c'
    """
    if text.startswith(_ALWAYS):
        return "'" + text
    for char in text:
        if _skipped(char):
            continue
        if char in FORMULA_STARTS or unicodedata.normalize("NFKC", char)[:1] in FORMULA_STARTS:
            return "'" + text
        break
    return text


def _neutral_column(column: pd.Series) -> pd.Series:
    """A column with its text cells neutralised; numbers, booleans, dates and missing values as
    they are (a column of negative numbers is figures, not formulas)."""
    dtype = column.dtype
    types = pd.api.types
    if types.is_numeric_dtype(dtype) or types.is_datetime64_any_dtype(dtype):
        return column
    if types.is_timedelta64_dtype(dtype):
        return column
    return column.astype("object").map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)


def write_csv(
    frame: pd.DataFrame, path: str | Path, *, index: bool = False, encoding: str = "utf-8"
) -> Path:
    """Write a table to a CSV export whose text cells cannot run as spreadsheet formulas.

    Every text cell and header goes through ``neutralise_cell`` (a leading ``'`` before a
    formula); numeric, boolean and date columns are written as they are, so ``-2.5`` in a
    figure column stays a number while the text ``-2+3`` in a name column is neutralised. The
    file is written beside its final name and renamed into place: a failed or killed write
    leaves no half-written file and the previous export intact.

    Parameters
    ----------
    frame : DataFrame
        The table (not modified).
    path : str or Path
        The CSV file to write; its folder must exist.
    index : bool
        Write the index as the first column (off: crm_lab's tables keep ids in columns).
    encoding : str
        Text encoding of the file.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    OSError
        When the folder does not exist or cannot be written; the message names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = write_csv(pd.DataFrame({"item": ["=1+1", "tea"], "lift": [-1.5, 2.0]}), out)
    >>> print(out.read_text("utf-8"), end="")  # records end with CRLF, read as newlines
    item,lift
    '=1+1,-1.5
    tea,2.0
    """
    path = Path(path)
    out = frame.copy()
    if index:
        out = out.reset_index()
    for position in range(out.shape[1]):  # by position: column names may repeat
        out.isetitem(position, _neutral_column(out.iloc[:, position]))
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # O_EXCL: never through a file or link someone put there; the mode follows the umask
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OSError(f"{path}: cannot write the CSV file here ({exc.strerror or exc})") from exc
    try:
        # errors="replace": a lone surrogate (no character) is written as "?", not a traceback
        with open(fd, "w", encoding=encoding, errors="replace", newline="") as handle:
            # CRLF ends a record (RFC 4180): a cell holding a CR or an LF is then quoted
            out.to_csv(handle, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise OSError(f"{path}: cannot write the CSV file ({exc.strerror or exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path
