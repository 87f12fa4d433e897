import pandas as pd
import pytest

from crm_lab.value import kpi
from tests.value.test_rfm import TINY


def test_headline_by_hand():
    tx = TINY.assign(product_id="p", unit_price=1.0)
    h = kpi.headline(tx, as_of="2024-03-31", min_group=1)  # the arithmetic, on 3 customers
    # sale lines up to 31 Mar: 20 + 5 + 10 + 40 + 7.5 + 99 (anonymous)
    assert h["revenue"] == pytest.approx(181.5)
    assert h["orders"] == 5 and h["customers"] == 3
    assert h["anonymous_revenue_share"] == pytest.approx(round(99 / 181.5, 4))
    assert h["cancelled_amount"] == 10.0 and h["returned_amount"] == 11.5
    assert (h["first_order"], h["last_order"]) == ("2024-01-01", "2024-03-31")
    last_week = kpi.headline(tx, as_of="2024-03-31", period_days=7, min_group=1)
    assert last_week["orders"] == 2 and last_week["revenue"] == pytest.approx(50.0)


def test_monthly_sales_fills_empty_months_and_ends_at_as_of():
    m = kpi.monthly_sales(TINY, as_of="2024-03-31", months=4)
    # starts at the first sale's month, not four months back
    assert m["month"].tolist() == ["2024-01", "2024-02", "2024-03"]
    assert m["revenue"].tolist() == [25.0, 7.5, 149.0]
    assert m["orders"].tolist() == [1, 1, 3]
    assert m["customers"].tolist() == [1, 1, 2]
    no_feb = kpi.monthly_sales(
        TINY[TINY["customer_id"].fillna("") != "c"], as_of="2024-04-30", months=3
    )
    assert no_feb["month"].tolist() == ["2024-02", "2024-03", "2024-04"]
    assert no_feb["revenue"].tolist() == [0, 149.0, 900.0]  # an empty month is kept as zero


def test_free_returns_are_zero_not_negative_zero():
    tx = TINY.assign(amount=TINY["amount"].where(TINY["line_type"] != "return", -0.0))
    h = kpi.headline(tx, as_of="2024-03-31", min_group=1)
    assert str(h["returned_amount"]) == "0.0"


def test_monthly_sales_on_online_retail(retail, retail_raw):
    m = kpi.monthly_sales(retail["transactions"], as_of="2011-12-09", months=13)
    # sales: not cancelled ("C"), not a bad-debt adjustment ("A"), positive quantity
    raw = retail_raw[
        ~retail_raw["InvoiceNo"].str.startswith(("C", "A")) & (retail_raw["Quantity"] > 0)
    ]
    expected = (
        (raw["Quantity"] * raw["UnitPrice"]).groupby(raw["InvoiceDate"].dt.to_period("M")).sum()
    )
    assert m["month"].iloc[0] == "2010-12"
    pd.testing.assert_series_equal(
        m.set_index("month")["revenue"],
        expected.set_axis(expected.index.astype(str)),
        check_names=False,
        check_index_type=False,
        rtol=1e-9,
    )
