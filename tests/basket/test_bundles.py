"""Bundle revenue counts only what was sold up to the as-of day."""

import pandas as pd
import pytest

from crm_lab import basket


def test_bundle_revenue_stops_at_the_as_of_day():
    # a+b bought together on 1 and 2 March, and on 5 March (after the as-of day)
    tx = pd.DataFrame(
        {
            "invoice_id": ["1", "1", "2", "2", "3", "3", "4"],
            "ordered_at": pd.to_datetime(
                ["2025-03-01"] * 2 + ["2025-03-02"] * 2 + ["2025-03-05"] * 2 + ["2025-03-01"]
            ),
            "product_id": ["a", "b", "a", "b", "a", "b", "c"],
            "product_name": ["A", "B", "A", "B", "A", "B", "C"],
            "quantity": [1] * 7,
            "amount": [10.0, 5.0, 12.0, 6.0, 100.0, 50.0, 7.0],
            "line_type": ["sale"] * 7,
        }
    )
    b = basket.make_baskets(tx, as_of="2025-03-02")
    fi = basket.frequent_itemsets(b, min_support=0.3)
    found = basket.bundles(
        tx, fi, as_of="2025-03-02", n_baskets=b.n_baskets, min_lift=1.0, min_baskets=1
    )
    top = found.set_index("bundle").loc["A, B"]
    # baskets 1, 2 (A, B) and 4 (C): A+B support 2/3, A and B 2/3 each: lift (2/3)/(4/9) = 1.5
    assert top["lift"] == pytest.approx(1.5)
    assert top["revenue"] == pytest.approx(10 + 5 + 12 + 6)  # not the 150 sold on 5 March
    with pytest.raises(TypeError, match="as_of"):
        basket.bundles(tx, fi, n_baskets=b.n_baskets)
