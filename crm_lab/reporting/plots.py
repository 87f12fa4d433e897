"""Tables in, matplotlib figures out — charts for the report templates.

Figures are drawn as SVG with text kept as text (``svg.fonttype = none``), so the exported HTML
stays small, works offline and the reader's browser renders Chinese labels with its own fonts.
Every function builds a ``matplotlib.figure.Figure`` without touching pyplot's global state and
returns it; a notebook cell that ends with the figure shows it. Text from data on a chart is
shown as it is written (``chart_text``): no mathtext (``$\\alpha$`` stays two dollars and a
word), no control or bidi-override characters, cut to ``LABEL_LIMIT`` characters; the SVG
writer escapes it for the page.
"""

from __future__ import annotations

import logging
import warnings

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from crm_lab import privacy
from crm_lab.reporting import display, labels
from crm_lab.reporting.text import safe_text
from crm_lab.value.rfm import SEGMENTS

__all__ = [
    "chart_text",
    "cohort_heatmap",
    "flow_chart",
    "cluster_map_chart",
    "cluster_profile_chart",
    "holdout_chart",
    "monthly_revenue_chart",
    "rf_grid_chart",
    "segment_share_chart",
    "use_svg",
]

FONT_FAMILY = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "DejaVu Sans",
    "sans-serif",
]
BLUE, GREY, ORANGE = "#2b6cb0", "#a0aec0", "#dd6b20"
LABEL_LIMIT = 30  # characters of a data label shown on a chart; longer ones end in "…"
LITERAL = {"parse_math": False}  # Text properties of every label: "$...$" is not mathtext


def chart_text(value, *, limit: int = LABEL_LIMIT) -> str:
    """Turn a value from data into a chart label: ``text.safe_text``, cut to ``limit``
    characters (the last one "…").

    Draw it with ``parse_math=False`` (``LITERAL``) so dollar signs stay dollar signs.

    >>> chart_text("a" * 40, limit=5)
    'aaaa…'
    """
    text = safe_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ticks(values) -> list[str]:
    return [chart_text(v) for v in values]


def _t(key: str, lang: str) -> str:
    return labels.label(key, lang=lang, on="chart")


SMALL = f"<{privacy.MIN_GROUP}"  # what a chart writes where it hides a small group


def _layout(fig: Figure, *, hid: bool, lang: str | None) -> None:
    """Lay a figure out, with the small-groups sentence under it when it hid any group."""
    if not hid:
        fig.tight_layout()
        return
    fig.text(0.01, 0.01, display.small_groups_note(lang=lang), fontsize=7, color="#4a5568",
             wrap=True, va="bottom")  # fmt: skip
    fig.tight_layout(rect=(0, 0.08, 1, 1))


def use_svg() -> None:
    """Make matplotlib write SVG with live text and CJK-capable fonts (call once per kernel)."""
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.family": "sans-serif",
            "font.sans-serif": FONT_FAMILY,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "svg.hashsalt": "crm_lab",  # stable ids: the same input gives the same page
            "text.parse_math": False,  # no text is mathtext: "$x$" from data stays as written
        }
    )
    # layout falls back to DejaVu metrics when no CJK font is installed; the browser draws the
    # glyphs, so missing-glyph and font-lookup warnings are noise in a report.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
    warnings.filterwarnings("ignore", message=r"findfont")
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - only outside Jupyter
        return
    set_matplotlib_formats("svg")


def segment_share_chart(summary: pd.DataFrame, *, lang: str | None = None) -> Figure:
    """Draw a ``rfm.segment_summary``: each segment's share of customers next to its share of
    revenue (horizontal bars, named in ``lang``).

    Segments that ``display.small_groups`` hides (fewer than ``privacy.MIN_GROUP`` customers,
    and those hidden with them, as in the table) get no bars: "<5" stands in their place.
    """
    use_svg()
    hidden = display.small_groups(summary, count="customers")
    data = summary.assign(
        customer_share=summary["customer_share"].mask(hidden),
        revenue_share=summary["revenue_share"].mask(hidden),
    ).iloc[::-1]
    y = np.arange(len(data))
    fig = Figure(figsize=(8, 0.45 * len(data) + 1.2))
    ax = fig.subplots()
    ax.barh(
        y + 0.2, data["customer_share"], height=0.4, color=GREY, label=_t("customer_share", lang)
    )
    ax.barh(y - 0.2, data["revenue_share"], height=0.4, color=BLUE, label=_t("revenue_share", lang))
    names = [labels.code_label("segment", code, lang=lang) for code in data["segment"]]
    ax.set_yticks(y, _ticks(names), **LITERAL)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    for yi, v in zip(y - 0.2, data["revenue_share"], strict=True):
        text = SMALL if pd.isna(v) else f"{v:.0%}"
        ax.text(0.005 if pd.isna(v) else v + 0.005, yi + (0.2 if pd.isna(v) else 0), text,
                va="center", fontsize=8, color=GREY if pd.isna(v) else BLUE, **LITERAL)  # fmt: skip
    ax.legend(loc="lower right", frameon=False)
    _layout(fig, hid=bool(hidden.any()), lang=lang)
    return fig


def rf_grid_chart(segmented: pd.DataFrame, *, lang: str | None = None) -> Figure:
    """Draw scored RFM rows as the 5x5 recency-by-frequency grid: customers per cell, shaded,
    with the segments outlined and named in ``lang``.

    A cell of fewer than ``privacy.MIN_GROUP`` customers reads "<5", and the cells that a row's,
    a column's or a segment's total would give it back by are blank (``privacy.small_cells``);
    neither is shaded by its count.
    """
    use_svg()
    counts = (
        segmented.groupby(["f_score", "r_score"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=range(1, 6), columns=range(1, 6), fill_value=0)
    )
    # each segment's count is in the segment table: its cells are a line like a row or column
    regions = [[(f - 1, r - 1) for r in rs for f in fs] for _, rs, fs in SEGMENTS]
    small, extra = privacy.small_cells(counts, k=privacy.MIN_GROUP, regions=regions)
    fig = Figure(figsize=(8, 5.5))
    ax = fig.subplots()
    ax.imshow(
        np.where(small | extra, 0, counts.to_numpy()), origin="lower", cmap="Blues", aspect="auto"
    )
    vmax = counts.to_numpy().max() or 1
    for code, rs, fs in SEGMENTS:
        r0, f0 = min(rs), min(fs)
        ax.add_patch(
            matplotlib.patches.Rectangle(
                (r0 - 1.5, f0 - 1.5), len(rs), len(fs), fill=False, edgecolor="white", linewidth=2.5
            )
        )
        # the name goes in the region's top-left cell, above that cell's count
        f_top = max(fs)
        ax.text(
            r0 - 1,
            f_top - 1 + 0.2,
            chart_text(labels.code_label("segment", code, lang=lang)),
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            color="white" if counts.loc[f_top, r0] > vmax / 2 else "#1a202c",
            **LITERAL,
        )
    for f in range(1, 6):
        for r in range(1, 6):
            n = counts.loc[f, r]
            blank = small[f - 1, r - 1] or extra[f - 1, r - 1]
            ax.text(
                r - 1,
                f - 1 - 0.12,
                SMALL if small[f - 1, r - 1] else labels.MISSING if blank else f"{n:,}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if n > vmax / 2 and not blank else "#4a5568",
                **LITERAL,
            )
    ax.set_xticks(range(5), range(1, 6))
    ax.set_yticks(range(5), range(1, 6))
    ax.set_xlabel(_t("r_score", lang))
    ax.set_ylabel(_t("f_score", lang))
    _layout(fig, hid=bool(small.any()), lang=lang)
    return fig


def monthly_revenue_chart(monthly: pd.DataFrame, *, lang: str | None = None) -> Figure:
    """Draw a ``kpi.monthly_sales`` table: revenue by month (bars) with the number of buying
    customers (line, right axis).

    Months that ``display.small_groups`` hides (fewer than ``privacy.MIN_GROUP`` buying
    customers, and those hidden with them so that the revenue to date gives none back) have
    no bar and no point: "<5" stands in their place.
    """
    use_svg()
    hidden = display.small_groups(monthly, count="customers")
    monthly = monthly.assign(
        revenue=monthly["revenue"].mask(hidden), customers=monthly["customers"].mask(hidden)
    )
    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots()
    x = np.arange(len(monthly))
    ax.bar(x, monthly["revenue"].fillna(0), color=BLUE)
    for xi in x[hidden.to_numpy()]:
        ax.text(xi, 0, SMALL, ha="center", va="bottom", fontsize=7, color=GREY, **LITERAL)
    ax.set_ylabel(_t("revenue", lang))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax2 = ax.twinx()
    ax2.plot(x, monthly["customers"], color=ORANGE, marker="o", markersize=3)
    ax2.set_ylabel(_t("customers", lang), color=ORANGE)
    ax2.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax2.spines["right"].set_visible(True)
    step = max(1, len(monthly) // 12)
    ax.set_xticks(
        x[::step], _ticks(monthly["month"].iloc[::step]), rotation=45, ha="right", **LITERAL
    )
    _layout(fig, hid=bool(hidden.any()), lang=lang)
    return fig


def holdout_chart(check: pd.DataFrame, *, lang: str | None = None) -> Figure:
    """Draw a purchase-model holdout check (``predict.holdout_check``): actual against
    predicted purchases per customer, one pair of bars per group of repeat purchases before
    the holdout (every row is a group; the check has no total row).

    Groups that ``display.small_groups`` hides (fewer than ``privacy.MIN_GROUP`` customers, and
    those hidden with them, as in the table beside it) have no bars: "<5" stands in their place.
    """
    use_svg()
    hidden = display.small_groups(check, count="customers")
    rows = check.assign(
        actual=check["actual"].mask(hidden), predicted=check["predicted"].mask(hidden)
    )
    fig = Figure(figsize=(8, 3.4))
    ax = fig.subplots()
    x = np.arange(len(rows))
    ax.bar(x - 0.2, rows["actual"].fillna(0), width=0.4, color=BLUE, label=_t("actual", lang))
    ax.bar(
        x + 0.2, rows["predicted"].fillna(0), width=0.4, color=ORANGE, label=_t("predicted", lang)
    )
    for xi in x[hidden.to_numpy()]:
        ax.text(xi, 0, SMALL, ha="center", va="bottom", fontsize=8, color=GREY, **LITERAL)
    ax.set_xticks(x, _ticks(rows["past_purchases"]), **LITERAL)
    ax.set_xlabel(_t("past_purchases", lang))
    ax.set_ylabel(_t("purchases_per_customer", lang))
    ax.legend(frameon=False)
    _layout(fig, hid=bool(hidden.any()), lang=lang)
    return fig


PALETTE = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f",
           "#e53e3e", "#4a5568", "#9f7aea"]  # fmt: skip


def _cluster_colour(cluster: int) -> str:
    return PALETTE[(int(cluster) - 1) % len(PALETTE)]


def cluster_map_chart(
    projection: pd.DataFrame, portraits: pd.DataFrame, *, explained=(0.0, 0.0),
    lang: str | None = None,
) -> Figure:  # fmt: skip
    """Draw a clustering's projection (``Clustering.projection``: a sample of customers on the
    first two principal components) coloured by cluster, named by ``labels.code_label``.

    A cluster withheld in ``portraits`` (fewer than ``privacy.MIN_GROUP`` customers) is not
    drawn: its few points would show where those customers are.
    """
    use_svg()
    # the clusters the portrait table hides: withheld, and those hidden with them
    hidden = portraits["withheld"].to_numpy() | display.small_groups(
        portraits, count="customers").to_numpy()  # fmt: skip
    withheld = set(portraits.loc[hidden, "cluster"])
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    for cluster in sorted(set(projection["cluster"]) - withheld):
        part = projection[projection["cluster"] == cluster]
        name = chart_text(labels.code_label("cluster", int(cluster), lang=lang), limit=40)
        ax.scatter(part["x"], part["y"], s=6, alpha=0.45, color=_cluster_colour(cluster),
                   label=name, linewidths=0, rasterized=False)  # fmt: skip
    ax.set_xlabel(_t("component_1", lang).format(share=explained[0]))
    ax.set_ylabel(_t("component_2", lang).format(share=explained[1]))
    ax.legend(frameon=False, fontsize=8, markerscale=3, loc="best")
    _layout(fig, hid=bool(withheld), lang=lang)
    return fig


def cluster_profile_chart(traits: pd.DataFrame, *, lang: str | None = None) -> Figure:
    """Draw each cluster's traits (``clusters.portraits``): one panel per cluster, a bar per
    feature for how far the cluster stands from all clustered customers (in standard
    deviations; right: more than the others, left: less)."""
    use_svg()
    clusters = sorted(set(traits["cluster"]))
    fig = Figure(figsize=(8, 1.3 + 1.25 * max(len(clusters), 1)))
    axes = fig.subplots(max(len(clusters), 1), 1, squeeze=False)[:, 0]
    low = min(-1.0, float(traits["difference"].min()) if len(traits) else -1.0)
    high = max(1.0, float(traits["difference"].max()) if len(traits) else 1.0)
    for ax, cluster in zip(axes, clusters, strict=False):
        part = traits[traits["cluster"] == cluster].sort_values("rank", ascending=False)
        y = np.arange(len(part))
        ax.barh(y, part["difference"], color=_cluster_colour(cluster), height=0.6)
        names = [labels.feature_label(f, lang=lang) for f in part["feature"]]
        ax.set_yticks(y, _ticks(names), fontsize=8, **LITERAL)
        ax.axvline(0, color=GREY, linewidth=0.8)
        ax.set_xlim(low * 1.1, high * 1.1)
        title = chart_text(labels.code_label("cluster", int(cluster), lang=lang), limit=50)
        ax.set_title(title, fontsize=9, loc="left", **LITERAL)
    axes[-1].set_xlabel(_t("difference", lang))
    _layout(fig, hid=False, lang=lang)
    return fig


def flow_chart(
    matrix: pd.DataFrame | None, *, kind: str, hidden=None, lang: str | None = None
) -> Figure:
    """Draw a from x to table of customers (``migration.flow_matrix``: rows the earlier day,
    columns the later, codes of ``kind``) as a flow chart: a bar of states on each side, a band
    per move as wide as its customers. Drawn offline with matplotlib, no script.

    A state of 1 to ``privacy.MIN_GROUP - 1`` customers on either day (and the states hidden
    with it, ``privacy.hidden_groups``) has no bar. A band of 1 to 4 customers is not drawn,
    nor any cell of
    ``hidden`` (``moves.migration_views``: the small cells and those blanked with them, so that
    the gap a hidden band leaves in a bar is at least two moves of five customers or more
    together). None draws nothing.
    """
    if matrix is None:
        return None
    use_svg()
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as Curve

    table = matrix.astype(float)
    # a state of 1 to 4 customers on either day (and those hidden with it) gets no bar
    rows_out = privacy.hidden_groups(table.sum(axis=1), k=privacy.MIN_GROUP)
    cols_out = privacy.hidden_groups(table.sum(axis=0), k=privacy.MIN_GROUP)
    hid = bool(rows_out.any() or cols_out.any())
    if hidden is not None:
        hidden = hidden.loc[~rows_out.to_numpy(), ~cols_out.to_numpy()]
    table = table.loc[~rows_out.to_numpy(), ~cols_out.to_numpy()]
    total = float(table.to_numpy().sum()) or 1.0
    gap = 0.02
    fig = Figure(figsize=(8, 5.5))
    ax = fig.subplots()

    def stack(names, sizes):
        y, spans = 1.0, {}
        for name, size in zip(names, sizes, strict=True):
            height = size / total * (1 - gap * (len(names) - 1))
            spans[name] = [y - height, y]
            y -= height + gap
        return spans

    left = stack(list(table.index), table.sum(axis=1).to_numpy())
    right = stack(list(table.columns), table.sum(axis=0).to_numpy())
    if not left or not right:  # every move with customers is hidden: nothing to draw
        return None
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(
        dict.fromkeys([*table.index, *table.columns]))}  # fmt: skip
    out_top = {k: v[1] for k, v in left.items()}
    in_top = {k: v[1] for k, v in right.items()}
    for a in table.index:
        for b in table.columns:
            n = table.loc[a, b]
            if n <= 0:
                continue
            height = n / total * (1 - gap * (len(left) - 1))
            h_right = n / total * (1 - gap * (len(right) - 1))
            y0, y1 = out_top[a], in_top[b]
            out_top[a] -= height
            in_top[b] -= h_right
            if 0 < n < privacy.MIN_GROUP or (hidden is not None and bool(hidden.loc[a, b])):
                hid = True
                continue
            x0, x1 = 0.12, 0.88
            low0, low1 = y0 - height, y1 - h_right
            verts = [(x0, y0), (0.5, y0), (0.5, y1), (x1, y1), (x1, low1),
                     (0.5, low1), (0.5, low0), (x0, low0), (x0, y0)]  # fmt: skip
            codes = [Curve.MOVETO, Curve.CURVE4, Curve.CURVE4, Curve.CURVE4, Curve.LINETO,
                     Curve.CURVE4, Curve.CURVE4, Curve.CURVE4, Curve.CLOSEPOLY]  # fmt: skip
            ax.add_patch(PathPatch(Curve(verts, codes), facecolor=colours[a], alpha=0.35,
                                   edgecolor="none"))  # fmt: skip
    for spans, x, align in ((left, 0.0, "right"), (right, 1.0, "left")):
        for name, (low, high) in spans.items():
            ax.add_patch(matplotlib.patches.Rectangle(
                (x if align == "left" else 0.1, low), 0.02, high - low,
                color=colours[name]))  # fmt: skip
            label = chart_text(labels.code_label(kind, name, lang=lang), limit=28)
            ax.text(0.09 if align == "right" else 1.03 - 0.0, (low + high) / 2, label,
                    ha=align, va="center", fontsize=8, **LITERAL)  # fmt: skip
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(min(v[0] for v in [*left.values(), *right.values()]) - 0.02, 1.02)
    ax.axis("off")
    ax.text(0.11, 1.04, _t("flow_before", lang), ha="center", fontsize=9, **LITERAL)
    ax.text(0.89, 1.04, _t("flow_after", lang), ha="center", fontsize=9, **LITERAL)
    _layout(fig, hid=hid, lang=lang)
    return fig


def pareto_chart(pareto: pd.DataFrame, *, top: int = 15, lang: str | None = None) -> Figure:
    """Draw ``support.problem_pareto``: each problem type's share of the tickets (bars, most
    first, the ``top`` ones) and the cumulative share (line). A type of fewer than
    ``privacy.MIN_GROUP`` tickets (and those hidden with it) has no bar of its own: it joins
    the line only."""
    if pareto is None or pareto.empty:
        return None
    use_svg()
    hidden = display.small_groups(pareto, count="tickets").to_numpy()
    shown = pareto[~hidden].head(top)
    fig = Figure(figsize=(9, 3.8))
    ax = fig.subplots()
    x = np.arange(len(shown))
    ax.bar(x, shown["share"], color=BLUE)
    ax.plot(x, shown["cumulative_share"], color=ORANGE, marker="o", markersize=3)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel(_t("share", lang))
    ax.set_xticks(x, _ticks(shown["problem_type"]), rotation=35,
                  ha="right", fontsize=7, **LITERAL)  # fmt: skip
    _layout(fig, hid=bool(hidden.any()), lang=lang)
    return fig


def trend_chart(trend: pd.DataFrame, *, lang: str | None = None) -> Figure:
    """Draw ``support.problem_trend``: one line per problem type, tickets per month. A month
    of 1 to ``privacy.MIN_GROUP - 1`` tickets of a type has no point (a gap in its line), nor
    do the points ``privacy.small_cells`` blanks with it."""
    if trend is None or trend.empty:
        return None
    use_svg()
    table = trend.pivot(index="month", columns="problem_type", values="tickets")
    table = table[list(dict.fromkeys(trend["problem_type"]))]
    # a month of 1 to 4 tickets of a type is not drawn, nor the points that would give it
    # back from the type's yearly total (the Pareto table) or the month's
    small, extra = privacy.small_cells(table, k=privacy.MIN_GROUP)
    few = pd.DataFrame(small | extra, index=table.index, columns=table.columns)
    shown = table.astype(float).mask(few)
    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots()
    x = np.arange(len(shown))
    for i, name in enumerate(shown.columns):
        ax.plot(x, shown[name], marker="o", markersize=3, color=PALETTE[i % len(PALETTE)],
                label=chart_text(name))  # fmt: skip
    ax.set_ylabel(_t("tickets", lang))
    ax.set_xticks(x, _ticks([str(m) for m in shown.index]), rotation=45, ha="right", **LITERAL)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _layout(fig, hid=bool(few.to_numpy().any()), lang=lang)
    return fig


def cohort_heatmap(
    matrix: pd.DataFrame, *, sizes=None, counts=None, lang: str | None = None
) -> Figure:
    """Draw a cohort x months-since table of shares (``cohorts.retention_matrix``) as a
    heat-map with each cell's percentage. A cohort of fewer than ``privacy.MIN_GROUP``
    customers (``sizes``: customers per cohort) is left blank, and so is a cell of 1 to 4
    customers (``counts``: the same table of customers); no cohort draws nothing."""
    if matrix is None or matrix.empty:
        return None
    use_svg()
    table = matrix.copy()
    hid = False
    if sizes is not None:
        small = sizes.reindex(table.index).fillna(0) < privacy.MIN_GROUP
        hid = bool(small.any())
        table.loc[small[small].index] = np.nan
    if counts is not None:
        few = counts.reindex_like(table).fillna(0)
        few = (few > 0) & (few < privacy.MIN_GROUP)
        hid = hid or bool(few.to_numpy().any())
        table = table.mask(few)
    fig = Figure(figsize=(9, 0.32 * len(table) + 1.6))
    ax = fig.subplots()
    ax.imshow(table.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(table.to_numpy(dtype=float)):
        if not np.isnan(v):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=6,
                    color="white" if v > 0.6 else "#1a202c", **LITERAL)  # fmt: skip
    ax.set_yticks(range(len(table)), _ticks([str(c) for c in table.index]), fontsize=7)
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], fontsize=7)
    ax.set_xlabel(_t("months_since", lang))
    ax.set_ylabel(_t("cohort", lang))
    _layout(fig, hid=hid, lang=lang)
    return fig
