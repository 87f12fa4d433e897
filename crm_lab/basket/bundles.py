"""Frequent itemsets and order lines into bundle candidates with the revenue they touch."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from crm_lab import privacy
from crm_lab.core.lines import ITEM_COLUMNS, day_end, item_labels, sale_lines

__all__ = ["bundles"]


def bundles(
    transactions: pd.DataFrame,
    itemsets: pd.DataFrame,
    *,
    as_of,
    n_baskets: int,
    min_lift: float = 2.0,
    min_length: int = 2,
    top: int = 50,
    level: str = "product",
    min_baskets: int = privacy.MIN_GROUP,
) -> pd.DataFrame:
    """Turn frequent itemsets into product groups bought together far more often than chance,
    with the revenue they touch up to the as-of day.

    Lift of an itemset is its support over the product of its items' supports. For the ``top``
    groups by lift, ``revenue`` is the sales amount of the group's items in the baskets that
    hold the whole group, counting only lines ordered up to ``as_of`` (inclusive day,
    required: the itemsets are mined up to it, and later revenue is not the period's).

    ``baskets`` is how many baskets hold the whole group (the itemset's ``count``); groups in
    fewer than ``min_baskets`` baskets (default ``privacy.MIN_GROUP``) are left out, since a
    bundle found in one basket would show that basket's revenue.
    """
    columns = ["bundle", "items", "baskets", "count", "support", "lift", "revenue"]
    ones = itemsets[itemsets["length"] == 1]
    single = dict(zip(ones["items"].map(lambda t: t[0]), ones["support"], strict=True))
    groups = itemsets[
        (itemsets["length"] >= min_length) & (itemsets["count"] >= min_baskets)
    ].copy()
    if groups.empty:
        return pd.DataFrame(columns=columns)
    expected = groups["items"].map(lambda t: float(np.prod([single[i] for i in t])))
    groups["lift"] = groups["support"] / expected
    groups = groups[groups["lift"] >= min_lift].nlargest(top, ["lift", "count"])
    sales = sale_lines(
        transactions,
        end=day_end(as_of),
        products_only=True,
        columns=["invoice_id", "amount", *ITEM_COLUMNS],
    )
    item = item_labels(sales, level=level)
    lines = pd.DataFrame({"basket": sales["invoice_id"], "item": item, "amount": sales["amount"]})
    lines = (
        lines.dropna(subset=["item"]).groupby(["basket", "item"], as_index=False)["amount"].sum()
    )
    b_codes, _ = pd.factorize(lines["basket"])
    i_codes, names = pd.factorize(lines["item"])
    amount = sparse.csc_matrix(
        (lines["amount"].to_numpy(dtype=float), (b_codes, i_codes)),
        shape=(b_codes.max() + 1 if len(b_codes) else 0, len(names)),
    )
    held = amount.copy()
    held.data[:] = 1.0
    position = {name: k for k, name in enumerate(names)}
    revenue = []
    for items in groups["items"]:
        cols = [position[i] for i in items]
        holders = np.asarray(held[:, cols].sum(axis=1)).ravel() == len(cols)
        revenue.append(float(amount[holders][:, cols].sum()))
    groups["revenue"] = revenue
    groups["baskets"] = groups["count"].astype("int64")
    out = groups.rename(columns={"itemset": "bundle"})[columns]
    return out.sort_values(["revenue", "lift"], ascending=False, ignore_index=True)
