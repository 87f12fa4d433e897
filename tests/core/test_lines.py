"""core.lines: the inclusive as-of day, sale lines and item labels, with answers by hand."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crm_lab.core.lines import LEVELS, as_of_day, day_end, item_labels, sale_lines


def test_as_of_day_is_the_day_at_midnight():
    assert as_of_day("2025-12-31") == pd.Timestamp("2025-12-31")
    assert as_of_day("2025-12-31 23:59:59") == pd.Timestamp("2025-12-31")
    assert as_of_day(pd.Timestamp("2025-12-31 08:00")) == pd.Timestamp("2025-12-31")


def test_day_end_is_the_next_midnight():
    assert day_end("2025-12-31") == pd.Timestamp("2026-01-01")
    assert day_end("2024-02-28 17:30") == pd.Timestamp("2024-02-29")  # leap day next
    assert day_end("2025-12-31 17:30") == day_end("2025-12-31")  # the time is dropped


@pytest.mark.parametrize(
    ("as_of", "day"),
    [
        (pd.Period("2011-09"), "2011-09-30"),  # a month: its last day
        (pd.Period("2024-02"), "2024-02-29"),
        (pd.Period("2011-Q4"), "2011-12-31"),
        (pd.Period("2011-09-05", "D"), "2011-09-05"),
        (pd.Period("2011-09-05 13:00", "h"), "2011-09-05"),
        (dt.date(2011, 9, 5), "2011-09-05"),
        (dt.datetime(2011, 9, 5, 23, 59), "2011-09-05"),
        (pd.Timestamp("2011-09-05 08:00", tz="Asia/Shanghai"), "2011-09-05"),  # its own day
        (np.datetime64("2011-09-05T10:00"), "2011-09-05"),
        ("2011-09-05", "2011-09-05"),
        (" 2011-09-05T10:00:00 ", "2011-09-05"),
    ],
)
def test_every_date_like_names_its_day(as_of, day):
    assert as_of_day(as_of) == pd.Timestamp(day)
    assert day_end(as_of) == pd.Timestamp(day) + pd.Timedelta(days=1)


@pytest.mark.parametrize(
    "as_of",
    ["01/02/2025", "2011-09", "2011-13-01", "yesterday", "", 20110905, 1.5, True, pd.NaT, ["x"]],
)
def test_an_as_of_that_names_no_day_is_an_error(as_of):
    # "01/02/2025" was 2 January, "2011-09" the 1st and 20110905 a moment in 1970: guesses
    with pytest.raises(ValueError, match=r"as_of must be a day: an ISO date YYYY-MM-DD.* got "):
        as_of_day(as_of)


@pytest.mark.parametrize("func", [as_of_day, day_end])
def test_no_as_of_is_an_error(func):
    with pytest.raises(ValueError, match="as_of is required"):
        func(None)


def _lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_id": ["i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8"],
            "customer_id": pd.array(["c1", "c1", None, "c2", "c2", "c3", "c3", "c4"], "string"),
            "ordered_at": pd.to_datetime(
                [
                    "2025-11-30 23:59:59",  # the day before the window below
                    "2025-12-01 00:00:00",  # the first moment of the window
                    "2025-12-10 12:00:00",
                    "2025-12-31 23:59:59",  # late on the as-of day: inside
                    "2026-01-01 00:00:00",  # midnight after the as-of day: outside
                    "2025-12-15 00:00:00",
                    "2025-12-16 00:00:00",
                    "2025-12-17 00:00:00",
                ]
            ),
            "quantity": [1, 2, 3, 4, 5, -6, 0, 2],
            "line_type": pd.array(
                ["sale", "sale", "sale", "sale", "sale", "cancellation", "sale", "non_product"],
                "string",
            ),
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )


def test_sale_lines_are_sales_with_a_positive_quantity():
    # the cancellation (i6), the zero quantity (i7) and the postage line (i8) are not purchases
    assert sale_lines(_lines())["invoice_id"].tolist() == ["i1", "i2", "i3", "i4", "i5"]


def test_sale_lines_end_is_exclusive_and_start_inclusive():
    tx = _lines()
    end = day_end("2025-12-31")
    assert sale_lines(tx, end=end)["invoice_id"].tolist() == ["i1", "i2", "i3", "i4"]
    window = sale_lines(tx, start=pd.Timestamp("2025-12-01"), end=end)
    assert window["invoice_id"].tolist() == ["i2", "i3", "i4"]
    assert sale_lines(tx, start=pd.Timestamp("2026-01-01"))["invoice_id"].tolist() == ["i5"]


def test_sale_lines_customers_only_drops_lines_without_a_customer():
    tx = _lines()
    assert sale_lines(tx, customers_only=True)["invoice_id"].tolist() == ["i1", "i2", "i4", "i5"]
    both = sale_lines(tx, end=day_end("2025-12-31"), customers_only=True)
    assert both["invoice_id"].tolist() == ["i1", "i2", "i4"]


def test_sale_lines_keep_rows_as_they_are():
    tx = _lines()
    out = sale_lines(tx, end=day_end("2025-12-31"))
    assert out.index.tolist() == [10, 11, 12, 13]  # the input's index: rows can be traced back
    assert list(out.columns) == list(tx.columns)
    pd.testing.assert_frame_equal(out, tx.loc[[10, 11, 12, 13]])
    assert len(sale_lines(tx.iloc[:0])) == 0


def test_item_labels_product_name_else_id():
    lines = pd.DataFrame(
        {
            "product_id": pd.array(["p1", "p2", "p3"], "string"),
            "product_name": pd.array(["Mug", None, "Plate"], "string"),
            "category": pd.array(["kitchen", "garden", None], "string"),
        },
        index=[4, 5, 6],
    )
    labels = item_labels(lines)
    assert labels.tolist() == ["Mug", "p2", "Plate"]
    assert labels.index.tolist() == [4, 5, 6]
    assert item_labels(lines, level="product").tolist() == ["Mug", "p2", "Plate"]
    category = item_labels(lines, level="category")
    assert category.iloc[:2].tolist() == ["kitchen", "garden"] and category.isna().iloc[2]


def test_item_labels_other_levels_are_an_error():
    assert LEVELS == ("product", "category")
    lines = pd.DataFrame({"product_id": ["p1"], "product_name": ["Mug"], "category": ["k"]})
    with pytest.raises(ValueError, match="level must be 'product' or 'category', got 'brand'"):
        item_labels(lines, level="brand")


def _as_of_users():
    """Every public function that takes ``as_of``, with the rest of its arguments."""
    from crm_lab import clv, quality
    from crm_lab.segments import classify, lifecycle
    from crm_lab.value import kpi, rfm

    return {
        "rfm.rfm_table": lambda d, a: rfm.rfm_table(d["transactions"], as_of=a),
        "kpi.headline": lambda d, a: kpi.headline(d["transactions"], as_of=a),
        "kpi.monthly_sales": lambda d, a: kpi.monthly_sales(d["transactions"], as_of=a),
        "clv.purchase_summary": lambda d, a: clv.purchase_summary(d["transactions"], as_of=a),
        "clv.holdout_check": lambda d, a: clv.holdout_check(
            d["transactions"], as_of=a, holdout_days=91
        ),
        "classify.attribute_classes": lambda d, a: classify.attribute_classes(
            d["customers"], as_of=a
        ),
        "classify.behaviour_classes": lambda d, a: classify.behaviour_classes(
            d["transactions"], as_of=a
        ),
        "classify.customer_tags": lambda d, a: classify.customer_tags(d["transactions"], as_of=a),
        "lifecycle.stages": lambda d, a: lifecycle.stages(d["transactions"], as_of=a),
        "quality.date_coverage": lambda d, a: quality.date_coverage(d, as_of=a),
    }


@pytest.fixture(scope="module")
def demo_clean(demo_dir):
    from crm_lab import ingest

    return ingest.read_clean(demo_dir)


@pytest.mark.parametrize("name", sorted(_as_of_users()))
def test_every_analysis_reads_as_of_as_as_of_day_does(name, demo_clean):
    # cross-check: a month given as a pd.Period is its last day, as an ISO text or a date
    func = _as_of_users()[name]
    expected = func(demo_clean, "2025-06-30")
    for as_of in (pd.Period("2025-06"), dt.date(2025, 6, 30), pd.Timestamp("2025-06-30 18:00")):
        got = func(demo_clean, as_of)
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(got, expected)
        else:
            assert got == expected
    with pytest.raises(ValueError, match=r"as_of must be a day.* got '06/30/2025'"):
        func(demo_clean, "06/30/2025")
