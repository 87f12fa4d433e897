"""Seasonality: demand by month or ISO week of the year, by hand and on Online Retail."""

import pandas as pd
import pytest

from crm_lab import demand, ingest


def test_seasonality_by_hand():
    months = [1, 2, 11, 11, 11, 12]
    tx = pd.DataFrame(
        {
            "line_type": "sale",
            "quantity": [1.0, 1, 2, 2, 2, 1],
            "category": "Tea",
            "product_name": "x",
            "product_id": "1",
            "ordered_at": pd.to_datetime([f"2024-{m:02d}-05" for m in months]),
        }
    )
    out = demand.seasonality(tx, as_of="2024-12-31", min_buyers=1).set_index("item").loc["Tea"]
    assert out["peak_month"] == 11 and out["stock_up_by"] == 10
    assert out["peak_index"] == pytest.approx(6 / (9 / 12))
    assert out["m11"] == 6 and out["m3"] == 0
    jan = pd.DataFrame(
        {
            "line_type": ["sale"],
            "quantity": [1.0],
            "category": ["Tea"],
            "product_name": ["x"],
            "product_id": ["1"],
            "ordered_at": pd.to_datetime(["2024-01-05"]),
        }
    )
    assert demand.seasonality(jan, as_of="2024-12-31", min_buyers=1).iloc[0]["stock_up_by"] == 12


def _tea(dates, quantities):
    return pd.DataFrame(
        {
            "line_type": "sale",
            "quantity": [float(q) for q in quantities],
            "category": "Tea",
            "product_name": "x",
            "product_id": "1",
            "ordered_at": pd.to_datetime(dates),
        }
    )


def test_seasonality_averages_over_the_years_each_month_occurs():
    """Two Decembers in the window must not make December look twice as busy."""
    tx = _tea(["2023-12-10", "2024-11-10", "2024-12-10"], [5, 8, 5])
    out = demand.seasonality(tx, as_of="2024-12-31", min_buyers=1).iloc[0]
    assert out["m12"] == 5 and out["m11"] == 8 and out["peak_month"] == 11
    assert out["stock_up_by"] == 10
    assert out["peak_index"] == pytest.approx(8 / (13 / 12))


def test_seasonality_by_iso_week_with_lead_time():
    # 2024-01-10 is in ISO week 2; 2024 has 52 ISO weeks
    tx = _tea(["2024-01-10", "2024-01-11", "2024-06-12"], [4, 6, 3])
    out = demand.seasonality(tx, as_of="2024-12-27", by="week", lead_time=3, min_buyers=1).iloc[0]
    assert out["peak_week"] == 2 and out["w2"] == 10 and out["w24"] == 3
    assert out["stock_up_by"] == 51  # three weeks before week 2 wraps to the previous year
    assert "w53" in out.index and pd.isna(out["w53"])  # no week 53 in the window
    with pytest.raises(ValueError, match="by must be"):
        demand.seasonality(tx, as_of="2024-12-31", by="day")


def test_seasonality_nets_out_cancelled_quantities(retail):
    """Online Retail's 80,995 'PAPER CRAFT , LITTLE BIRDIE' were ordered and cancelled on
    2011-12-09: no December peak may come of them."""
    tx = _tea(["2024-03-05", "2024-06-05", "2024-06-06"], [5, 100, 3])
    cancel = _tea(["2024-06-06"], [100]).assign(line_type="cancellation", quantity=-100.0)
    out = demand.seasonality(pd.concat([tx, cancel]), as_of="2024-12-31", min_buyers=1).iloc[0]
    assert out["m6"] == 3 and out["peak_month"] == 3  # without netting: June, 103
    real = ingest.clean_dataset(retail)["transactions"]
    top = demand.seasonality(real, as_of="2011-12-09", top=20)
    assert "PAPER CRAFT , LITTLE BIRDIE" not in set(top["item"])
    assert "MEDIUM CERAMIC TOP STORAGE JAR" not in set(top["item"])  # 74,215 cancelled in Jan


def test_buyers_are_customers_and_anonymous_invoices_never_one_for_the_other():
    """The privacy floor counts buyers: a customer whose id reads "invoice 6" and anonymous
    invoice 6 are two buyers; anonymous lines count once per invoice; a line with neither id
    is nobody's."""
    tx = pd.DataFrame(
        {
            "line_type": "sale",
            "quantity": 1.0,
            "category": None,
            "product_name": "Mug",
            "product_id": "1",
            "invoice_id": pd.array(["5", "6", "6", None], dtype="string"),
            "customer_id": pd.array(["invoice 6", None, None, None], dtype="string"),
            "ordered_at": pd.to_datetime(["2024-03-05"] * 4),
        }
    )
    with_buyers = demand.seasonality(tx, as_of="2024-12-31", level="product", min_buyers=2)
    assert with_buyers["item"].tolist() == ["Mug"]
    assert demand.seasonality(tx, as_of="2024-12-31", level="product", min_buyers=3).empty
