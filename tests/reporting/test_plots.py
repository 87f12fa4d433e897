"""reporting.plots: each chart is a Figure whose texts are the labels' names, in en and zh."""

import html
import io
import re

import pandas as pd
import pytest
from matplotlib.figure import Figure

from crm_lab.reporting import labels, plots
from crm_lab.value import rfm
from tests.reporting import hostile


def _texts(fig: Figure) -> list[str]:
    """Every text a reader sees on a figure: titles, axis labels, ticks, legends, annotations."""
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        out += [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return [t for t in out if t]


SUMMARY = pd.DataFrame(
    {
        "segment": ["champions", "cannot_lose_them"],
        "customers": [60, 40],
        "customer_share": [0.6, 0.4],
        "revenue_share": [0.8, 0.2],
    }
)


@pytest.mark.parametrize(
    ("lang", "names"),
    [("en", ["Champions", "Cannot Lose Them", "Share of customers", "Share of revenue"]),
     ("zh", ["冠军客户", "不能失去", "客户占比", "收入占比"])],
)  # fmt: skip
def test_segment_share_chart(lang, names):
    fig = plots.segment_share_chart(SUMMARY, lang=lang)
    assert isinstance(fig, Figure)
    texts = _texts(fig)
    assert set(names) <= set(texts)
    assert "cannot_lose_them" not in texts  # codes never reach the page
    assert "80%" in texts and "20%" in texts  # each revenue share written on its bar


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rf_grid_chart_names_every_segment(lang):
    scores = [(r, f) for r in range(1, 6) for f in range(1, 6)]
    scored = pd.DataFrame({"r_score": [r for r, _ in scores], "f_score": [f for _, f in scores]})
    fig = plots.rf_grid_chart(rfm.rfm_segments(scored), lang=lang)
    texts = _texts(fig)

    for code in rfm.SEGMENT_CODES:
        assert labels.code_label("segment", code, lang=lang) in texts
    axis = {"en": "Recency score (5 = bought most recently)", "zh": "最近购买得分 (5 = 最近)"}
    assert axis[lang] in texts
    assert texts.count("<5") == 25  # one customer in each of the 25 cells: none shows "1"


@pytest.mark.parametrize(
    ("lang", "names"),
    [("en", ["Revenue by month", "Customers who bought"]), ("zh", ["每月收入", "购买客户数"])],
)
def test_monthly_revenue_chart(lang, names):
    monthly = pd.DataFrame(
        {"month": ["2025-10", "2025-11", "2025-12"], "revenue": [10.0, 20.0, 30.0],
         "customers": [1, 2, 3]}
    )  # fmt: skip
    fig = plots.monthly_revenue_chart(monthly, lang=lang)
    texts = _texts(fig)
    assert set(names) <= set(texts) and "2025-12" in texts
    assert len(fig.axes) == 2  # revenue bars and a customers line on its own axis


@pytest.mark.parametrize(
    ("lang", "names"),
    [("en", ["Actual", "Predicted", "Repeat purchases before the holdout"]),
     ("zh", ["实际", "预测", "回测期前的重复购买次数"])],
)  # fmt: skip
def test_holdout_chart_draws_every_group_and_no_total(lang, names):
    check = pd.DataFrame(
        {"past_purchases": ["0", "1", "7+"], "customers": [5, 6, 7], "actual": [0.1, 0.5, 3.0],
         "predicted": [0.2, 0.6, 2.5]}
    )  # fmt: skip
    fig = plots.holdout_chart(check, lang=lang)
    texts = _texts(fig)
    assert set(names) <= set(texts)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "7+"]  # the last group too
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == [0.1, 0.2, 0.5, 0.6, 2.5, 3.0]  # one actual and one predicted bar each


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg")
    return out.getvalue()


@pytest.mark.parametrize(
    "months",
    [[*hostile.MATH, *hostile.TEMPLATE, *hostile.BIDI[:3], "Extremely long category name " * 3],
     hostile.MARKUP],
    ids=["math-template-bidi-long", "markup"],
)  # fmt: skip
def test_text_from_data_is_drawn_literally_escaped_and_cut(months):
    assert len(months) <= 12  # every label gets its tick
    n = len(months)
    monthly = pd.DataFrame({"month": months, "revenue": [10.0] * n, "customers": [1] * n})
    fig = plots.monthly_revenue_chart(monthly)
    ticks = fig.axes[0].get_xticklabels()
    shown = [t.get_text() for t in ticks]
    assert shown == [plots.chart_text(v) for v in months]
    assert all(len(t) <= plots.LABEL_LIMIT for t in shown)
    assert not any(t.get_parse_math() for t in ticks)  # "$\alpha$" is two dollars and a word
    assert not set("".join(shown)) & hostile.UNSAFE_CHARS
    page = _svg(fig)
    assert hostile.live_markup(page) == []
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", page, flags=re.S)]
    for label in shown:  # each drawn as one text, as written
        assert any(label in t for t in texts), label
    long = "Extremely long category name " * 3
    assert plots.chart_text(long) == long[: plots.LABEL_LIMIT - 1] + "…"


def test_holdout_groups_from_data_are_drawn_as_text():
    check = pd.DataFrame(
        {"past_purchases": ["$x^2$", "<svg onload=alert(2)>", "a\u202eb"], "customers": [5, 6, 7],
         "actual": [0.1, 0.5, 3.0], "predicted": [0.2, 0.6, 2.5]}
    )  # fmt: skip
    fig = plots.holdout_chart(check)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "$x^2$",
        "<svg onload=alert(2)>",
        "a\ufffdb",
    ]
    page = _svg(fig)
    assert hostile.live_markup(page) == [] and "&lt;svg onload=alert(2)&gt;" in page
