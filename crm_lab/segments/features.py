"""Canonical tables into one row of features per customer, as of a day: what clusters read.

Each feature belongs to a group (``GROUPS``), and a group is there only when its table (or
column) is: value (recency, purchase days, revenue, order value), tenure, category mix (share
of spend per category), channel mix (share of orders per channel), contact mix (share of
interactions per channel), interactions (how many, how long since the last), service
(tickets, unresolved, satisfaction), campaigns (received, opened, converted), demographics
(age, gender, occupation) and loyalty (tier, points). The customers are those who bought by
``as_of`` (a lead has no behaviour to cluster). No order line, interaction, ticket or
campaign sent after ``as_of`` is used; but the customers table is as the export has it
(its tier, points and occupation are today's, not the as-of day's, when a past day is
computed), and a campaign's opened and converted flags carry no date of their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import engine
from crm_lab.core.lines import as_of_day, day_end
from crm_lab.segments.classify import age_on

__all__ = ["GROUPS", "LOG_FEATURES", "customer_features", "feature_group", "feature_kind"]

GROUPS = ("value", "tenure", "category", "channel", "contacts", "interactions", "service",
          "campaigns", "demographics", "loyalty")  # fmt: skip
# counts, days and amounts: skewed, so clusters read them on a log scale
LOG_FEATURES = ("recency_days", "purchase_days", "revenue", "average_order_value", "tenure_days",
                "interactions", "tickets", "unresolved_tickets", "campaigns_received",
                "points")  # fmt: skip
_GROUP_OF = {
    "recency_days": "value", "purchase_days": "value", "revenue": "value",
    "average_order_value": "value", "tenure_days": "tenure",
    "interactions": "interactions", "days_since_interaction": "interactions",
    "tickets": "service", "unresolved_tickets": "service", "satisfaction": "service",
    "campaigns_received": "campaigns", "open_rate": "campaigns", "conversion_rate": "campaigns",
    "age": "demographics", "gender": "demographics", "occupation": "demographics",
    "tier": "loyalty", "points": "loyalty",
}  # fmt: skip
CATEGORICAL = ("gender", "occupation", "tier")
# the prefixes of the share columns: "category=Coffee" is the share of spend on Coffee,
# "channel=app" of orders placed in the app, "contact=email" of interactions by e-mail
SHARE_PREFIXES = {"category=": "category", "channel=": "channel", "contact=": "contacts"}


def feature_group(column: str) -> str:
    """A feature's column name into its group.

    >>> feature_group("category=Tea"), feature_group("revenue")
    ('category', 'value')
    """
    for prefix, group in SHARE_PREFIXES.items():
        if column.startswith(prefix):
            return group
    return _GROUP_OF[column]


def feature_kind(column: str) -> str:
    """A feature's column name into how it is read: "share", "category", "log" or "number".

    >>> [feature_kind(c) for c in ("channel=app", "gender", "revenue", "satisfaction")]
    ['share', 'category', 'log', 'number']
    """
    if any(column.startswith(p) for p in SHARE_PREFIXES):
        return "share"
    if column in CATEGORICAL:
        return "category"
    return "log" if column in LOG_FEATURES else "number"


def customer_features(
    transactions: pd.DataFrame,
    *,
    as_of,
    customers: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    campaign_responses: pd.DataFrame | None = None,
    window_days: int = 365,
    max_categories: int = 12,
) -> pd.DataFrame:
    """Order lines and the other tables into one row of features per customer who has bought.

    Parameters
    ----------
    transactions : DataFrame or Ibis table
        Canonical order lines, or an engine's table of them (``ingest.read_lines``): they are
        totalled per customer there. Sale lines with a customer id ordered by ``as_of`` count.
    as_of : date-like
        The inclusive day; nothing after it is read.
    customers, interactions, tickets, campaign_responses : DataFrame, optional
        The other canonical tables; each adds its group of features when given.
    window_days : int
        The window of the counts of interactions, tickets and campaigns (days before as_of).
    max_categories : int
        The categories with most spend that get a share column each; the rest are
        ``category=(other)``.

    Returns
    -------
    DataFrame
        ``customer_id`` then the features (see ``feature_group``), sorted by customer id:
        ``recency_days`` (days since the last purchase), ``purchase_days`` (distinct days with
        a purchase), ``revenue`` (sales), ``average_order_value``, ``tenure_days`` (days since
        the first purchase), ``category=<name>`` and ``channel=<name>`` shares (0 to 1),
        ``interactions``, ``contact=<channel>`` shares and ``days_since_interaction``,
        ``tickets``, ``unresolved_tickets`` and ``satisfaction`` (mean rating, NaN without
        one), ``campaigns_received``, ``open_rate`` and ``conversion_rate`` (NaN without a
        campaign), ``age``, ``gender``, ``occupation``, ``tier`` and ``points``. A missing
        value is NaN (or None): the clustering pipeline fills it; a customer without an
        order's channel or an interaction has no mix (NaN shares), not a mix of zeros.

    Examples
    --------
    >>> tx = pd.DataFrame({"invoice_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-01-05"]),
    ...     "quantity": [1.0, 2.0, 1.0], "amount": [10.0, 30.0, 5.0],
    ...     "line_type": ["sale", "sale", "sale"], "category": ["tea", "coffee", "tea"]})
    >>> customer_features(tx, as_of="2024-01-10")[
    ...     ["customer_id", "recency_days", "revenue", "category=tea"]]
      customer_id  recency_days  revenue  category=tea
    0           a             0     40.0          0.25
    1           b             5      5.0          1.00
    """
    day, end = as_of_day(as_of), day_end(as_of)
    start = end - pd.Timedelta(days=window_days)
    totals = engine.customer_totals(transactions, end=end).set_index("customer_id")
    days = engine.purchase_days(transactions, end=end)
    out = pd.DataFrame(index=totals.index)
    out["recency_days"] = (day - totals["last_purchase_at"].dt.normalize()).dt.days
    out["purchase_days"] = days.groupby("customer_id").size().reindex(out.index).fillna(1)
    out["revenue"] = totals["revenue"]
    out["average_order_value"] = totals["revenue"] / totals["orders"]
    out["tenure_days"] = (day - totals["first_purchase_at"].dt.normalize()).dt.days
    columns = set(transactions.columns)
    if "category" in columns:
        spend = engine.customer_mix(transactions, end=end, column="category")
        if len(spend):
            out = out.join(_category_shares(spend, max_categories=max_categories), how="left")
    if "channel" in columns:
        orders = engine.customer_mix(transactions, end=end, column="channel")
        if len(orders):
            mix = orders.pivot_table(index="customer_id", columns="value", values="orders",
                                     aggfunc="sum", fill_value=0, observed=True)  # fmt: skip
            mix = mix.div(mix.sum(axis=1), axis=0).add_prefix("channel=")
            out = out.join(mix.sort_index(axis=1), how="left")
    if interactions is not None:
        counts = engine.interaction_counts(interactions, end=end, start=start)
        counts = counts.set_index("customer_id")
        out["interactions"] = counts["interactions"].reindex(out.index).fillna(0)
        used = [c for c in engine.CONTACT_CHANNELS if c in counts and counts[c].sum() > 0]
        mix = counts[used].div(counts["interactions"], axis=0).add_prefix("contact=")
        out = out.join(mix, how="left")  # no interaction: no mix (NaN), not a mix of zeros
        ever = engine.interaction_counts(interactions, end=end).set_index("customer_id")
        last = ever["last_interaction_at"].reindex(out.index)
        out["days_since_interaction"] = (day - last.dt.normalize()).dt.days.astype("float64")
    if tickets is not None:
        counts = engine.ticket_counts(tickets, end=end, start=start).set_index("customer_id")
        out["tickets"] = counts["tickets"].reindex(out.index).fillna(0)
        out["unresolved_tickets"] = counts["unresolved"].reindex(out.index).fillna(0)
        out["satisfaction"] = counts["satisfaction"].reindex(out.index).astype("float64")
    if campaign_responses is not None:
        out = out.join(_campaigns(campaign_responses, start=start, end=end), how="left")
        out["campaigns_received"] = out["campaigns_received"].fillna(0)
    if customers is not None:
        out = out.join(_profile(customers, day=day), how="left")
    out = out.rename_axis("customer_id").reset_index()
    return out.sort_values("customer_id", ignore_index=True)


def _category_shares(spend: pd.DataFrame, *, max_categories: int) -> pd.DataFrame:
    """Sales per customer and category into each customer's share of spend per category: the
    ``max_categories`` with most sales, the rest together as ``(other)``."""
    amount = spend["revenue"].clip(lower=0)
    top = amount.groupby(spend["value"]).sum().sort_values(ascending=False, kind="stable")
    keep = set(top.index[:max_categories])
    category = spend["value"].astype("object").where(spend["value"].isin(keep), "(other)")
    table = amount.groupby([spend["customer_id"], category]).sum().unstack(fill_value=0.0)
    total = table.sum(axis=1).replace(0.0, np.nan)
    return table.div(total, axis=0).sort_index(axis=1).add_prefix("category=")


def _campaigns(responses: pd.DataFrame, *, start, end) -> pd.DataFrame:
    """Campaign responses in the window into received, open and conversion rates per customer."""
    sent = responses[(responses["sent_at"] < end) & (responses["sent_at"] >= start)]
    sent = sent[sent["customer_id"].notna()]
    by = sent["customer_id"].astype("string")
    out = pd.DataFrame({"campaigns_received": sent.groupby(by).size()})
    for column, name in (("opened", "open_rate"), ("converted", "conversion_rate")):
        if column in sent:
            out[name] = sent[column].astype("float64").groupby(by).mean()
    return out


def _profile(customers: pd.DataFrame, *, day: pd.Timestamp) -> pd.DataFrame:
    """The customers table into age on ``day`` (whole years), gender, occupation, tier, points."""
    table = customers.drop_duplicates("customer_id")
    table = table.set_index(table["customer_id"].astype("string"))
    out = pd.DataFrame(index=table.index)
    if "birth_date" in table and table["birth_date"].notna().any():
        born = table["birth_date"]
        age = age_on(born, day).astype("float64")
        out["age"] = age.where((born <= day) & (age < 120)).astype("float64")
    for column in ("gender", "occupation", "tier"):
        if column in table and table[column].notna().any():
            out[column] = table[column].astype("object").where(table[column].notna(), None)
    if "points" in table and table["points"].notna().any():
        out["points"] = table["points"].astype("float64").clip(lower=0)
    return out
