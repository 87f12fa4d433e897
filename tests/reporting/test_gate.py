"""The privacy gate: what it finds on a page, what it never repeats, the error it raises."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab.core.dataset import Dataset
from crm_lab.reporting import gate


def test_patterns_found_in_visible_text_only():
    page = (
        "<p>Call +86 138-0013-8000 or mail linda.clarke@example.com</p>"
        "<p>ID 110105198001011234</p>"
        "<svg><path d='M 13800138000 L 1'/></svg><script>var p = '13900139000';</script>"
        "<a href='mailto:x@example.org'>link</a>"
    )
    hits = gate.scan_page(page)
    assert hits == [
        {"kind": "phone", "masked": "+86 138****8000"},
        {"kind": "email", "masked": "l***@example.com"},
        {"kind": "chinese_id", "masked": "1101-**-**"},
    ]


def test_known_values_from_the_input():
    customers = pd.DataFrame(
        {
            "customer_id": ["c0001", "c2"],
            "name": ["王小明", "Al"],
            "phone": [None, None],
            "email": [None, None],
        }
    )
    known = gate.known_values(Dataset(tables={"customers": customers}))
    assert known["customer_id"] == {"c0001", "c2"} and known["name"] == {"王小明", "Al"}
    hits = gate.scan_page("<td>c0001</td><td>王小明</td><td>c2</td>", known=known)
    assert {h["kind"] for h in hits} == {"customer_id", "name"}
    assert all("c0001" not in h["masked"] and "小明" not in h["masked"] for h in hits)
    # short ids are too common to block a page; "c0001x" is another word
    assert gate.scan_page("<td>c2</td><td>c0001x</td>", known=known) == []


def test_check_page_raises_a_privacy_gate_error_with_masked_hits():
    gate.check_page("<p>Revenue 1,234,567.00; 42 customers</p>")
    with pytest.raises(gate.PrivacyGateError) as caught:
        gate.check_page("<p>13800138000</p>")
    assert not isinstance(caught.value, PermissionError)
    assert caught.value.hits == [{"kind": "phone", "masked": "+86 138****8000"}]
    assert "privacy gate: 1 personal value(s)" in str(caught.value)
    assert "13800138000" not in str(caught.value)


# --- numeric ids: Online Retail's customer ids are the five-digit numbers 12346..18287 ---------
RETAIL_IDS = {"customer_id": {str(i) for i in range(12346, 18288)}}


def _svg(fig) -> str:
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def test_counts_amounts_ticks_and_product_codes_equal_to_ids_pass(monkeypatch):
    from crm_lab.reporting import display, plots

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    summary = pd.DataFrame(
        {"segment": ["champions", "lost"], "customers": [12346, 15000],
         "customer_share": [0.45, 0.55], "revenue": [17003.0, 18287.4]}
    )  # fmt: skip
    rules = pd.DataFrame(  # product codes that equal customer ids (as in Online Retail)
        {"antecedent": ["15036", "16237 + 17003"], "consequent": ["17003", "15036"],
         "support": [0.02, 0.01], "lift": [3.1, 2.0]}
    )  # fmt: skip
    monthly = pd.DataFrame(  # a customers axis with ticks 13,000 .. 16,000
        {"month": ["2011-01", "2011-02", "2011-03"], "revenue": [1.2e6, 1.4e6, 1.3e6],
         "customers": [12800, 16100, 14000]}
    )  # fmt: skip
    page = "".join(
        [
            "<h2>12,346 customers bought 17,003 times</h2>",
            display.show_table(summary).to_html(),
            display.show_table(rules).to_html(),
            display.kpi_cards({"customers": 12346, "revenue": 15000.0, "orders": 17003}).data,
            _svg(plots.monthly_revenue_chart(monthly)),
        ]
    )
    assert gate.scan_page(page, known=RETAIL_IDS) == []


@pytest.mark.parametrize(
    "where",
    [
        "string id column",
        "number id column",
        "pseudonym column, zh",
        "free-text column",
        "card",
        "chart text",
        "table caption",
    ],
)
def test_an_id_shown_as_a_value_is_refused(where, monkeypatch):
    from matplotlib.figure import Figure

    from crm_lab.reporting import display

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    if where == "string id column":
        page = display.show_table(pd.DataFrame({"customer_id": ["12346"], "revenue": [9.0]}))
    elif where == "number id column":  # an id that went through a number: "12,346"
        page = display.show_table(pd.DataFrame({"customer_id": [12346], "revenue": [9.0]}))
    elif where == "pseudonym column, zh":  # the review queue's header; a float: "12346.0"
        frame = pd.DataFrame({"customer": [12346.0], "reason": ["same phone"]})
        page = display.show_table(frame, decimals=["customer"], lang="zh")
    elif where == "free-text column":
        page = display.show_table(pd.DataFrame({"note": ["call back 12346."], "revenue": [1.0]}))
    elif where == "card":
        page = "<div class='crm-kpis'><div class='crm-kpi'><div class='v'>12346</div></div></div>"
    elif where == "chart text":
        fig = Figure()
        fig.subplots().bar(["12346", "12347"], [3, 4])
        page = _svg(fig)
    else:
        page = "<table><caption>Top buyer 12346</caption><tr><td>1</td></tr></table>"
    page = page if isinstance(page, str) else page.to_html()
    hits = gate.scan_page(page, known=RETAIL_IDS)
    assert {"kind": "customer_id", "masked": "***346"} in hits
    assert all("12346" not in h["masked"] for h in hits)
    with pytest.raises(gate.PrivacyGateError):
        gate.check_page(page, known=RETAIL_IDS)


def test_an_id_column_is_read_in_any_spelling():
    known = {"customer_id": {"00012345", "12346"}}
    head = "<table><thead><tr><th>Customer (pseudonym)</th><th>Customers</th></tr></thead>"
    for cell in ["12346", "12,346", "12 346", "12346.0", "0012346", "12345", "00012345"]:
        page = f"{head}<tbody><tr><td>{cell}</td><td>1</td></tr></tbody></table>"
        assert len(gate.scan_page(page, known=known)) == 1, cell
    # in a figure column the same number is a count; in a product column a product code
    figure = f"{head}<tbody><tr><td>Pbcdfghjkmnprstvw</td><td>12346</td></tr></tbody></table>"
    product = "<table><tr><th>Item</th></tr><tr><td>12346</td></tr></table>"
    assert gate.scan_page(figure, known=known) == gate.scan_page(product, known=known) == []


# --- personal data in any spelling (issue 11) ---------------------------------------------------
@pytest.mark.parametrize(
    "shown",
    [
        "<td>186.9622.3609</td>",
        "<td>138 001 38000</td>",
        "<p>call <b>138</b>0013<span>8000</span></p>",  # split by inline tags
        "<p>tel&#160;+44&nbsp;7400&nbsp;974929</p>",  # entities
        "<li>NY office (212) 555-0100</li>",
        "<td>+33 1 42 68 53 00</td>",
        "<td>０２０ ７９４６ ００１８</td>",  # full-width London number
        "<p>mobile13800138000</p>",  # glued to a word
        "<td>li.lei at example dot com</td>",
        "<td>li.lei [at] example [dot] cn</td>",
        "<p>li.lei(at)example.com</p>",
        "<td>110105 19491231 002X</td>",
        "<td>110105-1949-1231-002X</td>",
        "<text>078-05-1120</text>",  # chart text
        "<td><abbr title='call 186 9622 3609'>VIP</abbr></td>",  # a tooltip
        '<td><img alt="li.lei@example.com" src="x.png"></td>',
    ],
)
def test_personal_data_in_any_spelling_is_refused(shown):
    page = f"<html><body><table><tr><td>Revenue</td>{shown}</tr></table></body></html>"
    hits = gate.scan_page(page)
    assert len(hits) == 1 and hits[0]["kind"] in {"phone", "email", "chinese_id", "id_number"}
    with pytest.raises(gate.PrivacyGateError) as caught:
        gate.check_page(page)
    digits = "".join(c for c in shown if c.isdigit())
    assert digits[-8:] not in str(caught.value) if len(digits) > 8 else True


def test_the_inputs_own_values_are_refused_in_other_spellings():
    customers = pd.DataFrame(
        {
            "customer_id": ["C00123"],
            "name": ["Linda Clarke"],
            "phone": ["+44 7400 974929"],  # a real input customer's non-Chinese phone
            "email": ["Linda.Clarke@Example.com"],
        }
    )
    known = gate.known_values(Dataset(tables={"customers": customers}))
    for shown, kind in [
        ("07400 974929", "phone"),
        ("7400-974-929", "phone"),
        ("0044 (0)7400 974929", "phone"),
        ("LINDA   CLARKE", "name"),
        ("linda<b> </b>clarke", "name"),
        ("linda.clarke AT example DOT com", "email"),
    ]:
        hits = gate.scan_page(f"<p>Top buyer: {shown}</p>", known=known)
        assert [h["kind"] for h in hits] == [kind], shown
        assert "974929" not in str(hits) and "Clarke" not in str(hits)


def test_figures_dates_invoices_codes_and_pseudonyms_pass(monkeypatch):
    from crm_lab.reporting import display

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    lines = pd.DataFrame(
        {"invoice_id": ["536365", "C536379", "5365651234"],
         "ordered_at": pd.to_datetime(["2011-12-09 12:30", "2010-12-01 08:26", "2011-01-04 00:00"]),
         "product_id": ["85123A", "22423", "84879"],
         "customer": ["Pbcdfghjkmnprstvw", "Pwvtsrpnmkjhgfdc", "Pkkkkkkkkkkkkkkk"],
         "revenue": [13800138000.0, 1234567.5, 0.1380013800]}
    )  # fmt: skip
    page = display.show_table(lines).to_html()
    page += "<table><tr><td>138</td><td>0013</td><td>8000</td></tr></table>"  # three figures
    page += "<p>2011-01-01 – 2011-12-09 · crm_lab 0.1.0 · 1,380,013,800 orders</p>"
    assert gate.scan_page(page, known=RETAIL_IDS) == []


def test_100_000_pseudonyms_on_the_analyst_page_pass():
    import hashlib
    import hmac

    from crm_lab import privacy

    ids = pd.Series([str(i) for i in range(100_000)], dtype="string")
    codes = privacy.pseudonymize(ids, key=b"a-key-of-thirty-two-bytes-length")
    assert codes.nunique() == 100_000

    def page(values):
        head = "<table><thead><tr><th>customer</th><th>segment</th></tr></thead><tbody>"
        rows = "".join(f"<tr><td>{v}</td><td>champions</td></tr>" for v in values)
        return head + rows + "</tbody></table>"

    known = {"name": {"Linda Clarke", "王小明"}, "phone": {"+44 7400 974929"}}
    assert gate.scan_page(page(list(codes)), known=known) == []
    # the old format, P + 16 hex digits of the same HMAC, held mobile-like runs at this size
    old = [hmac.new(b"x" * 32, i.encode(), hashlib.sha256).hexdigest()[:16] for i in ids]
    assert gate.scan_page(page(["P" + h for h in old[:20_000]]))


def test_a_known_id_in_another_case_is_refused_in_text_and_in_an_id_column():
    customers = pd.DataFrame({"customer_id": ["C000123"], "name": ["Linda Clarke"]})
    known = gate.known_values(Dataset(tables={"customers": customers}))
    for page in (
        "<p>customer c000123</p>",
        "<table><thead><tr><th>customer_id</th></tr></thead><tbody><tr><td>c000123</td></tr>"
        "</tbody></table>",
    ):
        assert [h["kind"] for h in gate.scan_page(page, known=known)] == ["customer_id"], page


# --- figures in text equal to ids (issue 13): the drop-out warning's "13989 repeat buyers" -----
MANY_IDS = {"customer_id": {str(i) for i in range(12346, 28346)}}  # 16,000 customers, 2 M lines
DROPOUT_WARNING = (
    "The purchase model cannot tell which customers have stopped buying: the history is too "
    "short for it to see customers leave (it rates 44.8% of the 13989 repeat buyers at least "
    "99% likely still active, and gives a 0.97% chance of leaving after a purchase)."
)


@pytest.mark.parametrize(
    "figure",
    [
        f"<div class='crm-warnings'><p>{DROPOUT_WARNING}</p></div>",
        "<p>它认为 13989 位回头客中 44.8% 仍活跃</p>",
        "<p>of the 13989 customers, most bought again</p>",
        "<p>revenue £13989 this month, up 12346%</p>",
        "<p>GBP 13989 from 20000 orders</p>",
        "<table><tr><th>note</th></tr><tr><td>13989 order lines quarantined</td></tr></table>",
        "<li>12346 new customers and 13989 repeat buyers</li>",
    ],
)
def test_a_figure_in_text_equal_to_an_id_passes(figure):
    assert gate.scan_page(figure, known=MANY_IDS) == []
    gate.check_page(figure, known=MANY_IDS)


@pytest.mark.parametrize(
    "leak",
    [
        "<p>customer 13989 bought again</p>",
        "<p>customer 13989 orders most</p>",  # the word before names an id: it wins
        "<p>ID: 13989 customers</p>",
        "<p>#13989 repeat buyers</p>",
        "<p>top buyer 13989</p>",
        "<p>13989 bought 4 items</p>",  # no noun of a count after it
        "<p>客户 13989 位</p>",
        "<div class='v'>13989</div><div class='l'>customers</div>",  # two texts, not one
        "<table><tr><th>customer_id</th></tr><tr><td>13,989</td></tr></table>",  # grouped
        "<table><tr><th>Customer</th><th>revenue</th></tr><tr><td>13989</td><td>1.0</td></tr>"
        "</table>",
    ],
)
def test_an_id_in_an_id_column_or_as_text_still_fails(leak):
    assert gate.scan_page(leak, known=MANY_IDS) == [{"kind": "customer_id", "masked": "***989"}]
    with pytest.raises(gate.PrivacyGateError):
        gate.check_page(leak, known=MANY_IDS)


def test_the_dropout_warning_of_a_2m_line_run_passes_on_its_pages(monkeypatch):
    from crm_lab.reporting import display, labels

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    warning = {"code": "dropout_not_seen", "sure_alive_pct": 44.8, "repeat_customers": 13989,
               "dropout_pct": 0.97}  # fmt: skip
    for lang in labels.LANGS:
        page = display.warnings_html([warning], lang=lang)
        assert "13989" in page or "13,989" in page
        assert gate.scan_page(page, known=MANY_IDS) == [], lang


def test_known_values_of_the_demo_data_are_its_values_as_text(demo_dir):
    from crm_lab import ingest

    data = ingest.read_clean(demo_dir)
    known = gate.known_values(data)
    for col in ("customer_id", "name", "phone", "email"):
        assert known[col] == {str(v) for v in data["customers"][col].dropna()}, col
        assert all(type(v) is str for v in known[col])
