"""reporting.display: codes translated, formats from labels, small groups suppressed by default,
opting out needs a reason, an unknown headline key is an error."""

import html
import json
import re

import pandas as pd
import pytest

from crm_lab import privacy
from crm_lab.reporting import display, labels
from crm_lab.segments import migration
from tests.reporting import hostile


def _cells(styled) -> list[list[str]]:
    """The header row and the body rows of a shown table, as the reader sees their text."""
    page = styled.to_html()
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    return [
        [
            html.unescape(re.sub(r"</?[a-z][^>]*>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row)
        ]
        for row in rows
    ]


SEGMENTS = pd.DataFrame(
    {
        "segment": ["champions", "loyal", "cannot_lose_them"],
        "customers": [368, 120, privacy.MIN_GROUP - 1],
        "customer_share": [0.081, 0.026, 0.001],
        "revenue": [1_198_936.4, 210_000.0, 50_388.0],
        "avg_recency_days": [21.34, 40.0, 494.5],
    }
)


def test_codes_headers_and_formats_come_from_labels():
    head, big, _, small = _cells(display.show_table(SEGMENTS))
    assert head == ["Segment", "Customers", "Share of customers", "Revenue",
                    "Days since last order (avg)"]  # fmt: skip
    assert big == ["Champions", "368", "8.1%", "1,198,936", "21.3"]
    assert small[0] == "Cannot Lose Them"
    zh_head, zh_big, *_ = _cells(display.show_table(SEGMENTS, lang="zh"))
    assert zh_head[0] == "客户分群" and zh_big[0] == "冠军客户" and zh_big[2] == "8.1%"
    # an override still wins over the declared format
    assert _cells(display.show_table(SEGMENTS, decimals=["revenue"]))[1][3] == "1,198,936.4"
    assert SEGMENTS["segment"].tolist() == ["champions", "loyal", "cannot_lose_them"]  # kept


def test_small_groups_are_suppressed_by_default():
    _, big, loyal, small = _cells(display.show_table(SEGMENTS))
    assert small == ["Cannot Lose Them", f"<{privacy.MIN_GROUP}", "–", "–", "–"]
    assert loyal == ["Loyal", "–", "–", "–", "–"]  # the complement: 368 + 120 + 4 is known
    assert big[1] == "368"  # groups at or above the line keep their figures
    # a group of exactly MIN_GROUP is shown, and then no other group is blanked
    edge = SEGMENTS.assign(customers=[368, 120, privacy.MIN_GROUP])
    assert [r[1] for r in _cells(display.show_table(edge))[1:]] == ["368", "120", "5"]


def test_opting_out_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        display.show_table(SEGMENTS, suppress=False)
    with pytest.raises(ValueError, match="reason"):
        display.show_table(SEGMENTS, suppress=False, reason="  ")
    shown = display.show_table(SEGMENTS, suppress=False, reason="a test of the opt-out")
    assert _cells(shown)[3] == ["Cannot Lose Them", "4", "0.1%", "50,388", "494.5"]
    assert _cells(shown)[2][1] == "120"


def test_a_code_matrix_is_named_on_both_axes():
    flow = pd.DataFrame(
        {"stage_before": [migration.NEW, "new", "churned"], "new": [7, 0, 0],
         "churned": [0, 0, 12]}
    ).rename_axis(columns="stage")  # fmt: skip
    head, *rows = _cells(display.show_table(flow, lang="zh"))
    assert head == ["期初阶段", "新客（首购 90 天内）", "流失（一年未购）"]
    assert [r[0] for r in rows] == ["（新进入）", "新客（首购 90 天内）", "流失（一年未购）"]
    head, *rows = _cells(display.show_table(flow))
    assert head == ["Stage before the period", "New (first 90 days)", "Churned (a year silent)"]
    assert rows[0][0] == "(new)"


def test_a_total_row_is_appended_and_named():
    check = pd.DataFrame(
        {"past_purchases": ["0", "7+"], "customers": [40, 10], "actual": [0.5, 3.0],
         "predicted": [0.6, 2.5]}
    )  # fmt: skip
    *_, total = _cells(display.show_table(check, total={"customers": 50, "actual": 1.0}))
    assert total == ["all", "50", "1.0", "–"]
    *_, total = _cells(display.show_table(check, total={"customers": 50}, lang="zh"))
    assert total[0] == "合计"


def test_kpi_cards_label_format_and_refuse_unknown_keys():
    html = display.kpi_cards({"revenue": 1234.5, "clean_share": 0.5, "holdout_error": None}).data
    assert "1,234" in html and "Revenue (gross sales)" in html and "50.0%" in html
    assert html.index("Revenue") < html.index("Clean share")  # the headline's order
    assert "–" in html  # a missing figure is shown as missing, not dropped
    with pytest.raises(KeyError, match="no label"):
        display.kpi_cards({"revenue": 1.0, "mystery_figure": 2})
    with pytest.raises(KeyError, match="not a figure"):
        display.kpi_cards({"revenue": 1.0}, keys=["orders"])
    picked = display.kpi_cards(
        {"orders": 3, "revenue": 10.0, "first_order": "2024-01-01"}, skip=["first_order"]
    ).data
    assert picked.count("crm-kpi'") == 2 and "2024-01-01" not in picked
    zh = display.kpi_cards({"customers": 4535}, lang="zh").data
    assert "购买客户" in zh and "4,535" in zh


def test_write_metrics_refuses_headline_keys_without_a_label(tmp_path):
    path = tmp_path / "m.json"
    display.write_metrics({"headline": {"segment_champions": 3, "rules": 1}}, str(path))
    assert json.loads(path.read_text("utf-8"))["headline"]["segment_champions"] == 3
    with pytest.raises(KeyError):
        display.write_metrics({"headline": {"segment_Champions": 3}}, str(tmp_path / "x.json"))
    assert not (tmp_path / "x.json").exists()


def test_the_page_language_is_named_once(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # notebook_setup sets it; undone after the test
    try:
        display.notebook_setup(lang="zh")
        head, big, *_ = _cells(display.show_table(SEGMENTS))  # no lang: the page's
        assert head[0] == "客户分群" and big[0] == "冠军客户"
        assert _cells(display.show_table(SEGMENTS, lang="en"))[0][0] == "Segment"  # a call wins
        with pytest.raises(ValueError, match="lang must be"):
            display.notebook_setup(lang="fr")
    finally:
        display.notebook_setup(lang="en")
    assert _cells(display.show_table(SEGMENTS))[0][0] == "Segment"


def test_warnings_become_an_escaped_banner_and_bad_ones_are_refused(tmp_path):
    warning = {"code": "stale_data", "last_day": "<b>2025-12-31</b>", "days": 30, "as_of": "x"}
    banner = display.warnings_html([warning], lang="en")
    assert "&lt;b&gt;2025-12-31&lt;/b&gt;" in banner and "<b>" not in banner
    assert "30 days before" in banner
    assert display.warnings_html([]) == ""
    with pytest.raises(ValueError, match="'code' is one of"):
        display.write_metrics({"headline": {}, "warnings": [{"code": "x"}]}, str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_a_suppressed_group_gives_nothing_back_beside_it_or_by_subtraction():
    # a segment summary where one segment has 3 customers, worked out by hand
    summary = pd.DataFrame(
        {
            "segment": ["champions", "loyal", "hibernating", "lost"],
            "customers": [40, 30, 3, 27],
            "customer_share": [0.40, 0.30, 0.03, 0.27],
            "revenue": [4000.0, 2400.0, 90.0, 540.0],
            "avg_revenue": [100.0, 80.0, 30.0, 20.0],
            "top_country": ["United Kingdom", "United Kingdom", "Iceland", "France"],
        }
    )
    total = {"customers": 100, "customer_share": 1.0, "revenue": 7030.0}
    _, *rows = _cells(display.show_table(summary, total=total))
    assert rows == [
        ["Champions", "40", "40.0%", "4,000", "100", "United Kingdom"],
        ["Loyal", "30", "30.0%", "2,400", "80", "United Kingdom"],
        ["Hibernating", "<5", "–", "–", "–", "–"],  # share, amounts and text go with the count
        ["Lost", "–", "–", "–", "–", "–"],  # the smallest other group: 100 - 40 - 30 = 30
        ["all", "100", "100.0%", "7,030", "–", "–"],
    ]
    # what subtraction from the total gives is a group of at least MIN_GROUP, never one alone
    shown = [int(r[1].replace(",", "")) for r in rows[:-1] if r[1].replace(",", "").isdigit()]
    hidden = [r for r in rows[:-1] if not r[1].replace(",", "").isdigit()]
    assert len(hidden) >= 2 and 100 - sum(shown) >= privacy.MIN_GROUP


def test_text_from_data_is_escaped_in_cells_and_headers():
    hostile = "<img src=x onerror=alert(7)>"
    frame = pd.DataFrame({"customers": [30, 40], "note": [hostile, "a & b"], hostile: [1, 2]})
    page = display.show_table(frame).to_html()
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(7)&gt;" in page and "a &amp; b" in page


def test_a_flow_matrix_shows_no_small_cell_nor_one_a_total_gives_back():
    # stages before (rows) by stages now (columns), as lifecycle.stage_flow returns them
    flow = pd.DataFrame(
        {"stage_before": ["new", "potential", "active"], "potential": [2, 43, 0],
         "new": [296, 3, 351], "active": [0, 0, 211]}
    )  # fmt: skip
    flow.columns.name = "stage"
    _, *rows = _cells(display.show_table(flow))
    assert rows == [
        ["New (first 90 days)", "<5", "–", "0"],  # 2 is small; 296 blanked for the row
        ["Potential", "–", "<5", "0"],  # 3 is small; 43 blanked for the row and the column
        ["Active", "0", "351", "211"],
    ]
    opted_out = display.show_table(flow, suppress=False, reason="a test of the opt-out")
    assert _cells(opted_out)[1][1:] == ["2", "296", "0"]


def test_small_cells_blank_a_second_cell_in_every_line_with_a_small_one():
    matrix = pd.DataFrame({"a": [1, 9, 7], "b": [8, 2, 6], "c": [5, 9, 30]})
    small, extra = privacy.small_cells(matrix)
    blank = small | extra
    assert small.sum() == 2 and blank[0, 0] and blank[1, 1]
    values = matrix.to_numpy()
    for line in [*blank, *blank.T]:  # rows, then columns
        assert line.sum() != 1
    for i in range(3):  # whatever a total gives back is at least MIN_GROUP people
        for line, cells in ((blank[i], values[i]), (blank[:, i], values[:, i])):
            if line.any():
                assert cells[line].sum() >= privacy.MIN_GROUP


def _shown(text: str) -> str:
    """What a reader should see of a hostile value: itself, unsafe characters as U+FFFD."""
    return "".join("\ufffd" if c in hostile.UNSAFE_CHARS else c for c in text)


def test_no_hostile_text_becomes_markup_in_cells_headers_or_lists():
    n = len(hostile.TEXT)
    frame = pd.DataFrame(
        {
            "customers": [50] * n,
            "item": hostile.TEXT,
            "items": [[p, "x"] for p in hostile.TEXT],  # a list: the Styler escapes only str
            "bundle": [("<img src=x onerror=alert(8)>", p) for p in hostile.TEXT],
        }
    )
    page = display.show_table(frame).to_html()
    assert hostile.live_markup(page) == []
    assert not set(page) & hostile.UNSAFE_CHARS
    _, *rows = _cells(display.show_table(frame))
    assert [r[1] for r in rows] == [_shown(p) for p in hostile.TEXT]  # the text as given
    assert rows[0][2] == str([hostile.TEXT[0], "x"])


@pytest.mark.parametrize("name", hostile.TEXT)
def test_a_hostile_column_name_is_a_header_shown_as_itself(name):
    frame = pd.DataFrame({"customers": [30], name: ["v"], f"{name} 2": [1.5]})
    styled = display.show_table(frame)  # "{0.__class__}" once filled in (or failed) here
    page = styled.to_html()
    assert hostile.live_markup(page) == []
    headers, _ = _cells(styled)
    assert headers[1:] == [_shown(labels.header(c)) for c in (name, f"{name} 2")]


def test_cards_and_banners_escape_their_text_and_neutralise_bidi():
    warning = {"code": "stale_data", "last_day": "\u202e<svg onload=alert(1)>", "days": 3}
    sources = ["<img src=x onerror=alert(7)>\u2066"]
    banner = display.warnings_html([{**warning, "as_of": "x"}], sources=sources)
    assert hostile.live_markup(banner) == [] and not set(banner) & hostile.UNSAFE_CHARS
    assert "&lt;svg onload=alert(1)&gt;" in banner and "\ufffd" in banner


@pytest.mark.parametrize("text", hostile.BIDI)
def test_safe_text_replaces_controls_and_bidi_overrides(text):
    shown = display.safe_text(text)
    assert shown == _shown(text) and "\ufffd" in shown
    assert display.safe_text("tab\tnew\nline\r") == "tab\tnew\nline\r"  # whitespace stays
    assert display.html_text("a\u202e<b>") == "a\ufffd&lt;b&gt;"


def test_column_mapping_headers_are_escaped_on_the_page():
    from crm_lab import quality
    from crm_lab.core.dataset import Dataset

    m = pd.DataFrame(
        {
            "source_file": "/in/t.csv",
            "table": "transactions",
            "profile": "generic aliases",
            "header": ["qty", *hostile.TEXT],
            "column": ["quantity", *[""] * len(hostile.TEXT)],
            "status": ["mapped", *["ignored"] * len(hostile.TEXT)],
        }
    )
    shown = display.show_table(
        quality.column_mapping(Dataset(tables={}, mappings=m)),
        percent=["confidence"],
        suppress=False,
        reason="input files, not customers",
        lang="zh",
    )
    page = shown.to_html()
    assert hostile.live_markup(page) == [] and not set(page) & hostile.UNSAFE_CHARS
    head, row = _cells(shown)[:2]
    assert "导出格式" in head and "通用表头别名" in row and "quantity ← qty" in row
