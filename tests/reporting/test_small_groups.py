"""No figure a stakeholder sees describes fewer than ``privacy.MIN_GROUP`` (5) customers or
baskets: tables, charts, cards and headlines, rules and bundles, on hand-made inputs where
groups of 1, 2 and 4 (below the threshold) sit beside a group of exactly 5 (at it)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest

from crm_lab import basket, clv, demand, privacy, synth
from crm_lab.reporting import display, labels, plots, run
from crm_lab.reporting.templates import default_templates_dir
from crm_lab.segments import migration
from crm_lab.value import kpi, rfm

K = privacy.MIN_GROUP
# one group per size; each size's figure is a value no other group has (to look for on a page)
SIZES = [1, 2, 4, 5, 40]
MEANS = [1.11, 2.22, 4.44, 5.55, 40.4]


def _check() -> pd.DataFrame:
    """A holdout check (``clv.holdout_check``'s shape) with groups of 1, 2, 4, 5 and 40."""
    return pd.DataFrame(
        {
            "past_purchases": ["0", "1", "2", "3", "7+"],
            "customers": SIZES,
            "actual": MEANS,
            "predicted": [m + 0.5 for m in MEANS],
        }
    )


def _lines(rows) -> pd.DataFrame:
    """(invoice, customer, day, product, amount) into canonical sale lines."""
    frame = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "day", "product_id", "amount"])
    return pd.DataFrame(
        {
            "invoice_id": frame["invoice_id"].astype("string"),
            "customer_id": frame["customer_id"].astype("string"),
            "ordered_at": pd.to_datetime(frame["day"]),
            "product_id": frame["product_id"].astype("string"),
            "product_name": frame["product_id"].str.upper().astype("string"),
            "category": pd.Series(pd.NA, index=frame.index, dtype="string"),
            "quantity": 1,
            "unit_price": frame["amount"],
            "amount": frame["amount"],
            "line_type": "sale",
        }
    )


def test_the_threshold_is_five_and_used_by_every_helper():
    assert K == 5
    assert display.small_groups_note(lang="en").count("5") >= 2
    assert "5" in display.small_groups_note(lang="zh")


@pytest.mark.parametrize(("size", "hidden"), [(1, True), (2, True), (4, True), (5, False)])
def test_a_group_below_the_threshold_is_hidden_with_a_complement_and_one_at_it_is_not(size, hidden):
    counts = pd.Series([size, 40, 30], index=["small", "big", "other"])
    mask = privacy.hidden_groups(counts)
    assert bool(mask["small"]) is hidden
    assert not mask["big"]
    # 30 is blanked with a small group: the total minus 40 would give the small one back
    assert bool(mask["other"]) is hidden


def test_holdout_table_shows_no_figure_of_a_group_under_five_customers():
    check = _check()
    styled = display.show_table(check, total=clv.holdout_total(check))
    shown = styled.data
    page = styled.to_html()
    assert shown["customers"].tolist()[:3] == ["<5"] * 3
    for i, (size, mean) in enumerate(zip(SIZES, MEANS, strict=True)):
        row = shown.iloc[[i]]
        if size < K:  # the group's name stays, its figures do not
            assert row[["actual", "predicted"]].isna().all(axis=None)
            assert f"{mean:.1f}" not in page and f"{mean + 0.5:.1f}" not in page
        else:
            assert row["actual"].iloc[0] == pytest.approx(mean)
            assert f"{mean:.1f}" in page
    assert "fewer than 5 customers" in page  # the table says why


def test_holdout_chart_draws_no_bar_for_a_group_under_five_customers():
    fig = plots.holdout_chart(_check(), lang="en")
    ax = fig.axes[0]
    heights = [round(p.get_height(), 2) for p in ax.patches]
    actual, predicted = heights[:5], heights[5:]
    assert actual == [0, 0, 0, 5.55, 40.4]
    assert predicted == [0, 0, 0, 6.05, 40.9]
    assert [t.get_text() for t in ax.texts] == ["<5"] * 3
    assert any("fewer than 5" in t.get_text() for t in fig.texts)


def test_segment_share_and_monthly_charts_hide_small_groups():
    summary = pd.DataFrame(
        {
            "segment": ["champions", "loyal", "lost", "at_risk"],
            "customers": [40, 30, 4, 5],
            "customer_share": [40 / 79, 30 / 79, 4 / 79, 5 / 79],
            "revenue_share": [0.50, 0.37, 0.07, 0.06],
        }
    )
    texts = [t.get_text() for t in plots.segment_share_chart(summary).axes[0].texts]
    # lost (4) and, with it, at_risk (5, the smallest other) are hidden: 4 + 5 >= 5
    assert sorted(texts) == sorted(["50%", "37%", "<5", "<5"])
    monthly = pd.DataFrame(
        {"month": ["2025-10", "2025-11", "2025-12"], "revenue": [333.0, 900.0, 1200.0],
         "customers": [2, 30, 40]}
    )  # fmt: skip
    ax = plots.monthly_revenue_chart(monthly).axes[0]
    bars = [p.get_height() for p in ax.patches]
    assert 333.0 not in bars and bars[0] == 0 and bars[2] == 1200.0
    assert 900.0 not in bars  # hidden with October: the revenue to date minus 1200 gives 333 back


@pytest.mark.parametrize(("baskets", "shown"), [(1, False), (2, False), (4, False), (5, True)])
def test_rules_and_bundles_need_five_baskets(baskets, shown):
    rows = []
    for i in range(baskets):  # x and y together in `baskets` baskets, each of its own customer
        rows += [
            (f"xy{i}", f"c{i}", "2025-03-01", "x", 100.0 + i),
            (f"xy{i}", f"c{i}", "2025-03-01", "y", 1.0),
        ]
    for i in range(20):  # z and w together in 20 baskets: always shown
        rows += [
            (f"zw{i}", f"d{i}", "2025-03-02", "z", 3.0),
            (f"zw{i}", f"d{i}", "2025-03-02", "w", 3.0),
        ]
    for i in range(20):  # x alone and y alone, so that x + y is not everywhere
        rows += [
            (f"x{i}", f"e{i}", "2025-03-03", "x", 2.0),
            (f"y{i}", f"f{i}", "2025-03-03", "y", 2.0),
        ]
    tx = _lines(rows)
    b = basket.make_baskets(tx, as_of="2025-03-31")
    fi = basket.frequent_itemsets(b, min_support=1 / b.n_baskets, max_len=2)
    rules = basket.association_rules(fi, n_baskets=b.n_baskets, min_confidence=0.01)
    pairs = set(zip(rules["antecedent"], rules["consequent"], strict=True))
    assert (("X", "Y") in pairs) is shown and ("Z", "W") in pairs
    assert rules["baskets"].min() >= K and (rules["baskets"] == rules["count"]).all()
    found = basket.bundles(tx, fi, as_of="2025-03-31", n_baskets=b.n_baskets, min_lift=0.0)
    assert ("X, Y" in set(found["bundle"])) is shown
    assert found["baskets"].min() >= K
    one_basket_revenue = 100.0 + 1.0  # what the bundle of the first basket alone would show
    assert (found["revenue"] == one_basket_revenue).sum() == 0
    # a page table of rules with baskets below the threshold (rules mined with min_baskets=1)
    # still shows no figure of them
    every = basket.association_rules(fi, n_baskets=b.n_baskets, min_confidence=0.01, min_baskets=1)
    table = display.show_table(every[["antecedent", "consequent", "baskets", "support", "lift"]])
    small = every["baskets"] < K
    assert table.data.loc[small, ["support", "lift"]].isna().all(axis=None)


@pytest.mark.parametrize(("n", "withheld"), [(1, True), (2, True), (4, True), (5, False)])
def test_headlines_over_fewer_than_five_customers_are_withheld(n, withheld):
    rows = [(f"i{i}", f"c{i}", "2025-12-10", "p", 10.0 * (i + 1)) for i in range(n)]
    rows += [("anon", None, "2025-12-11", "p", 7.0)]
    tx = _lines(rows)
    head = kpi.headline(tx, as_of="2025-12-31")
    period = kpi.period_headline(tx, start="2025-12-01", as_of="2025-12-31")
    if withheld:
        assert set(head.values()) == {None} and set(period.values()) == {None}
    else:
        assert head["customers"] == 5 and head["revenue"] == 150.0 + 7.0
        assert period["active_customers"] == 5 and period["new_customers"] == 5
    outlooked = pd.DataFrame(
        {"clv": [10.0] * n, "churn_risk": ["active"] * n, "p_alive": [0.9] * n}
    )
    check = pd.DataFrame(
        {"past_purchases": ["0"], "customers": [n], "actual": [1.0], "predicted": [1.5]}
    )
    out = clv.headline(outlooked, check)
    assert (set(out.values()) == {None}) is withheld
    if not withheld:
        assert out["predicted_value"] == 50.0 and out["holdout_error"] == pytest.approx(0.5)


def test_a_holdout_error_over_a_small_holdout_is_withheld_even_with_many_modelled():
    outlooked = pd.DataFrame({"clv": [1.0] * 50, "churn_risk": ["active"] * 50, "p_alive": 0.9})
    check = pd.DataFrame(
        {"past_purchases": ["0", "1"], "customers": [3, 1], "actual": [1.0, 4.0],
         "predicted": [2.0, 2.0]}
    )  # fmt: skip
    out = clv.headline(outlooked, check)
    assert out["customers_modelled"] == 50 and out["holdout_error"] is None


def test_cards_show_a_withheld_figure_as_missing_and_say_why():
    html = display.kpi_cards({"customers": None, "revenue": None}, lang="en").data
    assert html.count("–") >= 2 and "fewer than 5 customers" in html
    shown = display.kpi_cards({"customers": 5, "revenue": 150.0}, lang="en").data
    assert "fewer than" not in shown and ">5<" in shown


def test_move_counts_withhold_a_small_move_and_the_one_that_would_give_it_back():
    moves = ["up"] * 2 + ["down"] * 30 + ["same"] * 50 + ["new"] * 6
    compared = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(moves))], "move": moves})
    counts = migration.move_counts(compared)
    # 2 moved up: withheld, and so is the smallest other move (6 new), as they add up to 88
    assert counts["customers_moved_up"] is None and counts["customers_new_to_segments"] is None
    assert counts["customers_moved_down"] == 30 and counts["customers_unchanged"] == 50
    assert counts["customers_gone"] == 0  # a move of nobody describes nobody


def test_movement_table_cells_of_few_customers_read_under_five():
    table = pd.DataFrame(
        {"segment": ["champions", "loyal"], "customers": [300, 60], "new": [10, 5],
         "moved_up": [100, 30], "same": [188, 25], "moved_down": [2, 0]}
    )  # fmt: skip
    shown = display.show_table(table, lang="en").data.set_index("segment")
    assert shown.loc["Champions", "moved_down"] == "<5"
    # the row's count minus the others would give it back: its smallest other cell is blank
    assert pd.isna(shown.loc["Champions", "new"])
    assert shown.loc["Loyal", "moved_up"] == "30"


@pytest.mark.parametrize(("buyers", "shown"), [(1, False), (2, False), (4, False), (5, True)])
def test_seasonality_leaves_out_items_of_fewer_than_five_buyers(buyers, shown):
    rows = [(f"r{i}", f"c{i}", f"2025-0{1 + i % 9}-10", "rare", 5.0) for i in range(buyers)]
    rows += [(f"p{i}", f"d{i}", f"2025-{1 + i % 12:02d}-10", "pop", 5.0) for i in range(24)]
    season = demand.seasonality(_lines(rows), as_of="2025-12-31", level="product")
    assert ("RARE" in set(season["item"])) is shown and "POP" in set(season["item"])


@pytest.mark.parametrize(("invoices", "withheld"), [(1, True), (2, True), (4, True), (5, False)])
def test_amounts_of_fewer_than_five_invoices_are_withheld(invoices, withheld):
    rows = [(f"i{i}", f"c{i}", "2025-12-10", "p", 10.0) for i in range(20)]
    rows += [(f"a{i}", None, "2025-12-11", "p", 3.0) for i in range(invoices)]
    tx = _lines(rows)
    returns = tx.head(invoices).assign(
        invoice_id=[f"R{i}" for i in range(invoices)], quantity=-1, amount=-7.0, line_type="return"
    )
    tx = pd.concat([tx, returns], ignore_index=True)
    head = kpi.headline(tx, as_of="2025-12-31")
    assert head["customers"] == 20 and head["revenue"] == 200.0 + 3.0 * invoices
    assert (head["anonymous_revenue_share"] is None) is withheld
    assert (head["returned_amount"] is None) is withheld
    assert head["cancelled_amount"] == 0.0  # no cancellation: a figure of nobody
    shown = display.show_table(
        pd.DataFrame({"kind": ["sale", "return"], "lines": [20, invoices],
                      "invoices": [20, invoices], "amount": [200.0, -7.0 * invoices]})
    ).data  # fmt: skip
    assert (pd.isna(shown["amount"].iloc[1])) is withheld


def test_segment_counts_withhold_small_segments_and_their_complement():
    segmented = pd.DataFrame(
        {"segment": ["champions"] * 40 + ["loyal"] * 3 + ["lost"] * 6 + ["at_risk"] * 9}
    )
    counts = rfm.segment_counts(segmented)
    assert counts["segment_champions"] == 40 and counts["segment_at_risk"] == 9
    # 3 loyal, and 6 lost with them: the total of customers minus the others gives only 9
    assert counts["segment_loyal"] is None and counts["segment_lost"] is None
    assert counts["segment_hibernating"] == 0


class _Tables(HTMLParser):
    """A page's tables as rows of cell texts (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.row = self.cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[-1].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _small(text: str) -> bool:
    """A cell that shows a count of 1 to 4 (people, baskets or invoices)."""
    value = text.replace(",", "")
    return value.isdigit() and 0 < int(value) < K


COUNT_HEADERS = {"Customers", "Baskets", "Invoices"}
CELL_HEADERS = {"New", "Moved up", "Unchanged", "Moved down"}  # people within a group
COUNT_CARDS = {"Active customers (period)", "New customers (period)", "Buying customers",
               "Customers modelled", "Customers in the holdout", "Customers who moved up",
               "Customers who moved down", "New to the segments"}  # fmt: skip


@pytest.mark.slow
def test_pages_on_data_with_small_groups_describe_none_of_them(tmp_path):
    """Three stakeholder reports on 40 demo customers (segments, tiers, stages and holdout groups
    of 1-4 customers): no table row, matrix cell, card or chart shows a figure of them."""
    demo = synth.make_demo(n_customers=40, seed=7)
    synth.write_demo(demo, tmp_path / "data")
    templates = tmp_path / "templates"
    templates.mkdir()
    # the three pages of customer groups (the data-quality page's tables of line kinds are
    # display.show_table's, tested above on a table of few invoices)
    slugs = ["01-customer-value", "03-basket", "04-customer-outlook"]
    for name in slugs:
        shutil.copy(default_templates_dir() / f"{name}.ipynb", templates)
    run.run_reports(
        tmp_path / "data",
        out_dir=tmp_path / "reports",
        work_dir=tmp_path / "work",
        templates_dir=templates,
        as_of="2025-12-31",
    )
    pages = {
        p.stem: p.read_text("utf-8") for p in (tmp_path / "reports" / "2025-12").glob("*.html")
    }
    assert set(pages) == {"customer-value", "basket", "customer-outlook"}
    _assert_no_small_group_shown(pages)


def _assert_no_small_group_shown(pages: dict[str, str]) -> None:
    """Scan the pages' tables, cards and charts for a figure of fewer than 5 people."""
    hidden_rows = 0
    for slug, page in pages.items():
        parser = _Tables()
        parser.feed(page)
        for header, *rows in (t for t in parser.tables if t):
            if header[0] == "Column":  # completeness: its "Customers" is the customers table
                continue
            if header == ["Rule", "Records merged", "Customers"]:
                continue  # records of the input file merged (the reading notes say it too)
            counts = [j for j, h in enumerate(header) if h in COUNT_HEADERS]
            cells = [j for j, h in enumerate(header) if h in CELL_HEADERS]
            if header[0] == "Stage before the period":  # the stage flow: every cell counts people
                cells = list(range(1, len(header)))
            for row in rows:
                where = f"{slug}: {header} {row}"
                assert not any(_small(row[j]) for j in counts + cells), where
                if counts and row[counts[0]] in (f"<{K}", labels.MISSING):
                    hidden_rows += 1  # the group keeps its name and shows nothing else
                    others = [c for j, c in enumerate(row) if j not in (0, counts[0])]
                    assert set(others) <= {labels.MISSING}, where
            if slug == "basket" and "Baskets" in header:  # rules and bundles: 5 baskets or more
                assert all(int(r[counts[0]]) >= K for r in rows), header
        for value, name in re.findall(r"<div class=.v.>([^<]*)</div><div class=.l.>([^<]*)", page):
            assert not (name in COUNT_CARDS and _small(value)), (slug, name, value)
    assert hidden_rows >= 5  # the data has small groups, and the pages hid them
    # every chart of these pages (SVG, text kept as text) writes <5 where a small group's bars,
    # points or cell would be, and says why under it
    for slug in ("customer-value", "customer-outlook"):
        charts = re.findall(r"<svg.*?</svg>", pages[slug], re.S)
        assert charts and all("&lt;5" in c and "fewer than 5" in c for c in charts), slug


def test_the_rules_and_recommend_commands_default_to_the_threshold():
    from crm_lab import cli

    common = ["--data", "d", "--min-support", "0.1", "--min-confidence", "0.1", "--out", "o.csv"]
    rules = cli._parser().parse_args(["rules", *common])
    recommend = cli._parser().parse_args(["recommend", *common, "--as-of", "2025-12-31"])
    assert rules.min_baskets == recommend.min_baskets == K


def test_a_group_of_nobody_is_shown_as_zero_and_never_hidden_in_a_small_ones_place():
    table = pd.DataFrame(
        {"segment": ["loyal", "lost", "champions", "at_risk"], "customers": [0, 3, 40, 30],
         "revenue": [0.0, 33.0, 4000.0, 3000.0]}
    )  # fmt: skip
    shown = display.show_table(table, lang="en").data
    assert shown["customers"].tolist()[:2] == ["0", "<5"]
    assert shown["revenue"].iloc[0] == 0.0 and pd.isna(shown["revenue"].iloc[1])
    assert pd.isna(shown["customers"].iloc[3]) and pd.isna(shown["revenue"].iloc[3])  # with 3
    assert shown["customers"].iloc[2] == "40"
    assert privacy.hidden_groups(table["customers"]).tolist() == [False, True, False, True]


def test_rf_grid_blanks_the_cell_a_segment_total_would_give_a_small_cell_back_by():
    # champions are the cells r=5, f=4..5: 40 and 3 customers; the segment table shows 43
    cells = {(5, 5): 3, (5, 4): 40, (1, 5): 50, (4, 5): 60, (5, 1): 30}  # (r, f): customers
    scored = pd.DataFrame(
        [(r, f) for (r, f), n in cells.items() for _ in range(n)], columns=["r_score", "f_score"]
    )
    ax = plots.rf_grid_chart(scored, lang="en").axes[0]
    written = {}  # (r, f) -> the count written in the cell (segment names are not counts)
    for t in ax.texts:
        x, y = t.get_position()
        if t.get_text() in ("<5", "–") or t.get_text().isdigit():
            written[(round(x) + 1, round(y + 0.12) + 1)] = t.get_text()
    assert written[(5, 5)] == "<5"
    assert written[(5, 4)] == "–"  # 43 - 40 would be the 3
    assert "40" not in written.values() and "3" not in written.values()
