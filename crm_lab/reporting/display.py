"""Tables and figures into what a report page shows: formatted tables, cards, metrics.

These are the helpers report templates call (templates hold no logic of their own). The
analyses' codes and column names become English or Chinese names and every figure gets its
format, both from ``labels``; groups smaller than ``privacy.MIN_GROUP`` are suppressed by
default, so a template opts out (with a reason) rather than opts in. Text from data reaches a
page only through ``safe_text`` (control and bidi-override characters made visible) and HTML
escaping (``html_text``), whatever its type, in cells, headers, cards and banners.
"""

from __future__ import annotations

import os

import pandas as pd

from crm_lab import privacy
from crm_lab.reporting import labels, manifest
from crm_lab.reporting.text import html_text, safe_text

__all__ = [
    "glossary",
    "html_text",
    "kpi_cards",
    "notebook_setup",
    "safe_text",
    "show_table",
    "show_warnings",
    "small_groups",
    "small_groups_note",
    "warnings_html",
    "write_metrics",
]

_TABLES = [0]


def styler(frame: pd.DataFrame):
    """A pandas Styler with an id that depends on the table's place on the page, not chance.

    pandas gives each styled table a random id; numbering them keeps the same input's page
    identical byte for byte between runs.
    """
    _TABLES[0] += 1
    return frame.style.set_uuid(f"t{_TABLES[0]}")


def notebook_setup(*, lang: str = "en") -> None:
    """Prepare a report kernel: its page language, SVG charts with live text and stable ids,
    readable tables.

    ``lang`` ("en" or "zh") is the page language: every ``display``, ``plots`` and ``summary``
    call of the template uses it unless given another.
    """
    labels.use_language(lang)
    # the same input gives the same page, byte for byte: no timestamp in SVG metadata (the
    # charts' ids are fixed by plots.use_svg, which each chart calls)
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    _TABLES[0] = 0
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_columns", 30)


def show_table(
    frame: pd.DataFrame,
    *,
    percent=(),
    money=(),
    decimals=(),
    counts=(),
    shade=(),
    total: dict | None = None,
    suppress: bool = True,
    reason: str = "",
    lang: str | None = None,
):
    """Turn an analysis' table into a report table: names for codes, headers, formats, privacy.

    Codes in code columns (``labels.CODE_COLUMNS``: ``segment``, ``value_tier``,
    ``churn_risk``, ``stage``, ``tag``, ...) become their names, and so do column names that
    are codes when the columns are named after a code column (``columns.name == "stage"``);
    headers come from ``labels.label``; each column is formatted as ``labels.FORMATS``
    declares. A table with a group count (a numeric column of ``COUNTS``: ``customers``,
    ``baskets``, ``invoices``) shows no figures for groups smaller
    than ``privacy.MIN_GROUP``: their count reads "<5" and every other column but the group's
    name is blank (``privacy.suppress_small``); so that subtraction from the
    total (a total row, shares, a card) cannot give such a count back, the smallest other
    groups are blanked with it, count included (``privacy.complementary_rows``). A flow matrix
    (columns named by codes, each cell a count of customers) has its small cells read "<5"
    and the cells that would give them back blank (``privacy.small_cells``). A table that
    hid anything says so in its caption (``small_groups_note``).

    Parameters
    ----------
    frame : DataFrame or None
        The table to show (not modified); None shows nothing (a table the data cannot give).
    percent, money, decimals, counts : sequence of str
        Overrides of ``labels.FORMATS``: columns shown as 12.3%, as 1,234, with one decimal,
        and as whole numbers.
    shade : sequence of str
        Columns shaded red (low) to green (high) on a 0..1 scale, for shares.
    total : dict, optional
        Figures of a total row appended at the bottom, named ``labels.label("total")`` in the
        first column (``predict.holdout_total``).
    suppress : bool
        Suppress small groups (the default). ``False`` needs a ``reason``.
    reason : str
        Why this table may show small groups (with ``suppress=False``).
    lang : {"en", "zh"}
        Language of the names and headers.

    Raises
    ------
    ValueError
        With ``suppress=False`` and no ``reason``.
    KeyError
        For a code that ``labels`` has no name for.
    """
    if frame is None:  # a table the page has not got (too little data): nothing to show
        return None
    if not suppress and not str(reason).strip():
        raise ValueError("show_table(suppress=False) needs a reason: why may small groups show?")
    out = _named_codes(frame.copy(), lang=lang).reset_index(drop=True)
    groups = out.index  # the rows before a total row
    if total is not None:
        row = {out.columns[0]: labels.label("total", lang=lang), **total}
        out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    count = _count_column(out)
    before = out.isna().to_numpy().sum()
    if suppress and count is not None:
        out = _suppress(out, groups=groups, count=count)
    elif suppress and out.columns.name in labels.CODE_COLUMNS:
        out = _suppress_cells(out)
    marked = out.isin([f"<{privacy.MIN_GROUP}"]).to_numpy().any()
    hid = suppress and (marked or out.isna().to_numpy().sum() > before)
    overrides = {c: "{:.1%}" for c in percent}
    overrides.update({c: "{:,.0f}" for c in money})
    overrides.update({c: "{:,.1f}" for c in decimals})
    overrides.update({c: "{:,.0f}" for c in counts})
    formats = {}
    for col in out.columns:
        if not _is_number(out[col]):
            continue
        spec = overrides.get(col) or labels.format_spec(str(col))
        if spec is None and pd.api.types.is_integer_dtype(out[col].dtype):
            spec = "{:,}"
        if spec is not None:
            formats[col] = spec
    for col in out.columns:
        if not _is_number(out[col]):
            out[col] = _text_cells(out[col])
    # relabel_index reads each header as a format string: braces doubled, so "{0.x}" or "{}"
    # in a column name shows as itself instead of being filled in (or failing)
    headers = [
        html_text(_header(c, out.columns.name, lang=lang)).replace("{", "{{").replace("}", "}}")
        for c in out.columns
    ]
    out.columns.name = None
    styled = (
        styler(out)
        # blanks, in every column; text escaped (every text cell is a str by now: the Styler
        # escapes nothing else)
        .format(na_rep=labels.MISSING, escape="html")
        .format(formats, na_rep=labels.MISSING, subset=list(formats))
        .hide(axis="index")
    )
    if shade:
        styled = styled.background_gradient(
            cmap="RdYlGn", vmin=0.0, vmax=1.0, subset=list(shade)
        ).highlight_null(color="#ffffff", subset=list(shade))
    if hid:
        styled = styled.set_caption(html_text(small_groups_note(lang=lang)))
    return styled.relabel_index(headers, axis="columns")


# the group-count columns small-group suppression looks at, the first one a table has (an
# invoice is a basket: quality.transactions_summary's amounts by kind)
COUNTS = ("customers", "baskets", "invoices", "tickets", "contacts")
# columns that count customers within their row's group (migration.movement_summary,
# migration.size_change): their
# cells of 1 to 4 read "<5" too, like a flow matrix's
PEOPLE_CELLS = ("new", "moved_up", "same", "moved_down", "changed", "moved_in", "moved_out")


def _count_column(frame: pd.DataFrame) -> str | None:
    """The table's group-count column: the first numeric one of ``COUNTS``, or None."""
    return next((c for c in COUNTS if c in frame and _is_number(frame[c])), None)


def small_groups(frame: pd.DataFrame, *, count: str | None = None) -> pd.Series:
    """Turn a table of groups into the mask of rows a chart or table must not describe.

    The groups (rows) counting 1 to ``privacy.MIN_GROUP - 1`` customers or baskets, and the
    smallest others hidden with them so that no total gives them back
    (``privacy.hidden_groups``): the same rows ``show_table`` blanks, so a chart beside its
    table hides the same groups.

    Parameters
    ----------
    frame : DataFrame
        One row per group, with a group count.
    count : str, optional
        The count column; the first of ``COUNTS`` (``customers``, ``baskets``) by default.

    Raises
    ------
    KeyError
        When ``frame`` has no count column.

    Examples
    --------
    >>> groups = pd.DataFrame({"tier": list("abcde"), "customers": [1, 2, 4, 5, 40]})
    >>> small_groups(groups).tolist()
    [True, True, True, False, False]
    """
    count = count or _count_column(frame)
    if count is None or count not in frame:
        raise KeyError(f"no group count column ({', '.join(COUNTS)}) in {list(frame.columns)}")
    return privacy.hidden_groups(frame[count].reset_index(drop=True), k=privacy.MIN_GROUP).set_axis(
        frame.index
    )


def small_groups_note(*, lang: str | None = None) -> str:
    """The sentence a page shows where small groups were hidden (in ``lang``)."""
    return labels.label("small_groups_note", lang=lang).format(k=privacy.MIN_GROUP)


def _suppress(out: pd.DataFrame, *, groups: pd.Index, count: str) -> pd.DataFrame:
    """Blank the rows of groups smaller than ``privacy.MIN_GROUP`` and the rows that would
    give them back.

    A blanked row keeps what names its group (the first column and code columns) and shows
    nothing else: its count reads "<5" and every other column (shares, averages, totals, text
    derived from its rows) is blank. Because the groups' total is known (a total row, the
    shares beside the counts, a card), ``privacy.complementary_rows`` blanks the smallest
    other groups as well, their count too, so subtraction gives no small group back. A total
    row (not in ``groups``) is never blanked in their place. Columns that count customers
    within each group (``PEOPLE_CELLS``: the moves of ``migration.movement_summary``) show
    their cells of fewer than ``privacy.MIN_GROUP`` as "<5", and the cells a row's count or a
    column's total would give them back by blank (``privacy.small_cells``).
    """
    names = {out.columns[0], *(c for c in out.columns if c in labels.CODE_COLUMNS)}
    cells = [c for c in out.columns if c in PEOPLE_CELLS and _is_number(out[c])]
    if cells:  # within the groups shown: a cell of a few customers, and what gives it back
        shown = ~privacy.hidden_groups(out.loc[groups, count], k=privacy.MIN_GROUP)
        inner = out.loc[groups, cells].fillna(0).mul(shown.to_numpy(), axis=0)
        small, extra = privacy.small_cells(inner, k=privacy.MIN_GROUP)
        out = out.copy()
        for j, col in enumerate(cells):
            text = out[col].map(lambda v: pd.NA if pd.isna(v) else f"{v:,.0f}").astype("object")
            text.loc[groups[small[:, j]]] = f"<{privacy.MIN_GROUP}"
            text.loc[groups[extra[:, j]]] = pd.NA
            out[col] = text
    hidden = [c for c in out.columns if c != count and c not in names]
    extra = privacy.complementary_rows(out.loc[groups, count], k=privacy.MIN_GROUP)
    out = privacy.suppress_small(out, count=count, columns=hidden, k=privacy.MIN_GROUP)
    out.loc[extra, count] = pd.NA
    for col in hidden:
        out.loc[extra, col] = float("nan") if _is_number(out[col]) else pd.NA
    return out


def _suppress_cells(out: pd.DataFrame) -> pd.DataFrame:
    """Blank the small cells of a flow matrix and the cells that would give them back.

    A table whose columns are named by codes (``columns.name`` a code column, as in
    ``lifecycle.stage_flow``) counts customers in every numeric cell: a cell of fewer than
    ``privacy.MIN_GROUP`` reads "<5", and the cells ``privacy.small_cells`` picks so that no
    row or column total gives it back are blank.
    """
    cells = [c for c in out.columns if _is_number(out[c])]
    if not cells:
        return out
    small, extra = privacy.small_cells(out[cells], k=privacy.MIN_GROUP)
    out = out.copy()
    for j, col in enumerate(cells):
        text = out[col].map(lambda v: pd.NA if pd.isna(v) else f"{v:,.0f}").astype("object")
        text[small[:, j]] = f"<{privacy.MIN_GROUP}"
        text[extra[:, j]] = pd.NA
        out[col] = text
    return out


def _text_cells(column: pd.Series) -> pd.Series:
    """A column's values as display text (``safe_text``); missing values stay missing.

    The Styler escapes only ``str`` cells: a list, a tuple or any object whose ``str()`` holds
    markup would reach the page as it is, so every value becomes a ``str`` here.
    """
    return column.astype("object").map(lambda v: v if _is_missing(v) else safe_text(v))


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: not one missing value
        return False


def _is_number(column: pd.Series) -> bool:
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _named_codes(frame: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """Codes in code columns into their names (missing values stay missing)."""
    for col in frame.columns:
        kind = labels.CODE_COLUMNS.get(col)
        if kind is not None:
            frame[col] = (
                frame[col]
                .astype("object")
                .map(
                    lambda v, kind=kind: v if pd.isna(v) else labels.code_label(kind, v, lang=lang)
                )
            )
    return frame


def _header(column, columns_name, *, lang: str) -> str:
    """A column's header: the name of its code when the columns are codes of one kind (a
    matrix whose ``columns.name`` is a code column), else its label."""
    kind = labels.CODE_COLUMNS.get(columns_name)
    if kind is not None and column not in labels.CODE_COLUMNS:
        try:
            return labels.code_label(kind, column, lang=lang)
        except KeyError:  # a figure beside the codes (a total, say)
            pass
    return labels.header(column, lang=lang)


def glossary(kinds=("segment", "stage", "risk", "tag"), *, lang: str | None = None):
    """The words for a customer's state that a page uses, each with its one definition
    (``labels.GLOSSARY``), as a folded list at the page's end (HTML for a notebook cell)."""
    from IPython.display import HTML

    lang = labels.language(lang)
    rows = [
        f"<dt><b>{html_text(labels.code_label(kind, code, lang=lang))}</b></dt>"
        f"<dd>{html_text(text[labels.LANGS.index(lang)])}</dd>"
        for (kind, code), text in labels.GLOSSARY.items()
        if kind in kinds
    ]
    title = labels.label("glossary", lang=lang)
    return HTML(f"<details class='crm-glossary'><summary>{html_text(title)}</summary>"
                f"<dl>{''.join(rows)}</dl></details>")  # fmt: skip


def kpi_cards(headline: dict, *, keys=None, skip=(), lang: str | None = None):
    """Turn headline figures into a row of labelled cards (HTML for a notebook cell).

    Parameters
    ----------
    headline : dict
        Figures by headline key.
    keys : sequence of str, optional
        The figures to show, in this order; every key of ``headline`` when omitted.
    skip : sequence of str
        Keys of ``headline`` not to show (dates and other entries that are not figures).

    A figure that is ``None`` (withheld by ``privacy.withhold_small``, or not available)
    shows as missing, with a line under the cards saying why it may be.
    lang : {"en", "zh"}
        Language of the card labels.

    Raises
    ------
    KeyError
        For a key ``labels`` has no label or format for, or a ``keys`` entry not in
        ``headline``: a figure is never dropped silently.
    """
    from IPython.display import HTML

    cards = []
    shown = list(headline) if keys is None else list(keys)
    for key in [k for k in shown if k not in set(skip)]:
        if key not in headline:
            raise KeyError(f"{key!r} is not a figure of this headline ({sorted(headline)})")
        name = labels.label(key, lang=lang, on="card")
        text = labels.format_value(key, headline[key])
        cards.append(
            f"<div class='crm-kpi'><div class='v'>{html_text(text)}</div>"
            f"<div class='l'>{html_text(name)}</div></div>"
        )
    note = ""
    if any(headline[k] is None for k in shown if k not in set(skip)):
        text = labels.label("withheld_note", lang=lang).format(k=privacy.MIN_GROUP)
        note = f"<p class='crm-note'>{html_text(text)}</p>"
    return HTML(f"<div class='crm-kpis'>{''.join(cards)}</div>{note}")


def write_metrics(metrics: dict, path: str) -> None:
    """Write a template's headline metrics as JSON: the index and the summary read it.

    Writing it is the template's success marker, so it is the last cell of every template.
    An empty ``path`` writes nothing (a template opened by hand in JupyterLab).

    ``metrics["warnings"]``, when present, is the template's list of warnings (dicts with a
    ``code`` that ``labels.WARNINGS`` names): the manifest, the index and the summary show them.

    Raises
    ------
    KeyError
        For a ``headline`` key without a label or a format in ``labels``: the summary and the
        index show every headline figure, so each must have a name and a format.
    ValueError
        For a warning ``labels.warning_text`` cannot turn into a sentence.
    """
    for warning in metrics.get("warnings", []):
        labels.warning_text(warning)  # a ValueError for an unknown code or a missing field
    for key in metrics.get("headline", {}):
        labels.label(key)  # a KeyError without one
        if labels.format_spec(key) is None:
            raise KeyError(f"headline key {key!r} has no format in crm_lab.reporting.labels")
    if not path:
        return
    manifest.write_metrics(metrics, path)


def warnings_html(warnings, *, lang: str | None = None, sources=None) -> str:
    """Turn warnings (dicts with a ``code``, see ``labels.WARNINGS``) into an escaped HTML banner.

    No warnings give an empty string. The runner puts the run's warnings at the top of every
    page with it, templates show their own through ``show_warnings``, and the summary names
    the report each comes from (``sources``: one title per warning, shown before it).

    >>> warnings_html([])
    ''
    >>> "crm-warning" in warnings_html([{"code": "stale_data", "last_day": "2025-12-31",
    ...                                  "days": 30, "as_of": "2026-01-30"}])
    True
    """
    warnings = list(warnings)
    names = [None] * len(warnings) if sources is None else list(sources)
    items = []
    for name, warning in zip(names, warnings, strict=True):
        source = f"<strong>{html_text(name)}</strong>: " if name else ""
        items.append(f"<li>{source}{html_text(labels.warning_text(warning, lang=lang))}</li>")
    if not items:
        return ""
    return f"<div class='crm-warning' role='alert'><ul>{''.join(items)}</ul></div>"


def show_warnings(warnings, *, lang: str | None = None):
    """Turn a template's warnings into a banner for its page (HTML for a notebook cell)."""
    from IPython.display import HTML

    return HTML(warnings_html(warnings, lang=lang))
