"""Canonical tables into customer classes and tags, as of a day.

- by attributes: age band, gender, region and occupation (``attribute_classes``);
- by behaviour: purchase frequency high/low, engagement active/silent (interactions), and
  satisfied/unsatisfied (ticket ratings and survey scores) (``behaviour_classes``);
- rule-based tags: new, returning, VIP and at risk (``customer_tags``).

Every rule's threshold is a keyword option with the default stated in its docstring; ``as_of``
is an inclusive day and nothing after it is used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab.core.lines import as_of_day, day_end, sale_lines
from crm_lab.segments import tags

__all__ = [
    "AGE_BANDS",
    "age_on",
    "TAGS",
    "attribute_classes",
    "behaviour_classes",
    "class_counts",
    "customer_tags",
    "tag_counts",
]

AGE_BANDS = (("<25", 0, 25), ("25-34", 25, 35), ("35-44", 35, 45), ("45-54", 45, 55),
             ("55-64", 55, 65), ("65+", 65, 200))  # fmt: skip
TAGS = ("new", "returning", "vip", "at_risk")
UNKNOWN = "unknown"


def age_on(born: pd.Series, day: pd.Timestamp) -> pd.Series:
    """Birth dates into whole years of age on ``day``: one less before this year's birthday.

    >>> age_on(pd.Series(pd.to_datetime(["1990-04-01", "1990-03-31"])),
    ...        pd.Timestamp("2024-03-31")).tolist()
    [33, 34]
    """
    before_birthday = (born.dt.month > day.month) | (
        (born.dt.month == day.month) & (born.dt.day > day.day)
    )
    return (day.year - born.dt.year) - before_birthday.astype("Int64")


def attribute_classes(customers: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Customers known on ``as_of`` into classes by attributes: ``age_band`` (from birth date,
    on ``as_of``), ``gender``, ``region`` (city, else country) and ``occupation``; missing is
    "unknown". Customers who signed up after ``as_of`` are left out (no signup date: kept)."""
    day = as_of_day(as_of)
    if "signup_date" in customers:
        customers = customers[~(customers["signup_date"] >= day_end(day))]
    born = customers["birth_date"]
    age = age_on(born, day)
    band = pd.Series(UNKNOWN, index=customers.index, dtype="object")
    for name, low, high in AGE_BANDS:
        band[(age >= low) & (age < high)] = name
    band[born > day] = UNKNOWN  # a birth date after as_of is not an age
    region = customers["city"]
    if "country" in customers:
        region = region.fillna(customers["country"])
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "age_band": band,
            "gender": customers["gender"].astype("object").fillna(UNKNOWN),
            "region": region.astype("object").fillna(UNKNOWN),
            "occupation": customers["occupation"].astype("object").fillna(UNKNOWN),
        }
    ).reset_index(drop=True)


def behaviour_classes(
    transactions: pd.DataFrame,
    *,
    as_of,
    customers: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    campaign_responses: pd.DataFrame | None = None,
    window_days: int = 365,
    silent_days: int = 90,
) -> pd.DataFrame:
    """Customers into classes by behaviour over the ``window_days`` before ``as_of``.

    - ``purchase_frequency``: "high" when the customer's orders in the window are above the
      median of the customers who ordered in it, "low" at or below it, "none" without orders;
    - ``engagement``: "active" with an interaction in the last ``silent_days`` days, "silent"
      otherwise ("unknown" without an interactions table);
    - ``satisfaction``: from ticket ratings (1-5) and survey scores (0-10) in the window:
      "unsatisfied" if any rating is 2 or less or any score 6 or less (a detractor), else
      "satisfied" if any rating is 4 or more or any score 9 or more, else "neutral";
      "unknown" without either.

    One row per customer in ``customers`` (or, without it, per customer with a sale line).
    """
    end = day_end(as_of)
    start = end - pd.Timedelta(days=window_days)
    sales = sale_lines(transactions, end=end, customers_only=True)
    ids = (
        customers["customer_id"]
        if customers is not None
        else pd.Series(sales["customer_id"].unique(), dtype="string")
    )
    out = pd.DataFrame({"customer_id": ids.astype("string").to_numpy()})
    recent = sales[sales["ordered_at"] >= start]
    orders = recent.groupby("customer_id")["invoice_id"].nunique()
    n = out["customer_id"].map(orders).fillna(0)
    median = orders.median() if len(orders) else np.inf
    out["purchase_frequency"] = np.select([n == 0, n > median], ["none", "high"], default="low")
    if interactions is None:
        out["engagement"] = UNKNOWN
    else:
        seen = interactions[
            (interactions["interacted_at"] < end)
            & (interactions["interacted_at"] >= end - pd.Timedelta(days=silent_days))
        ]["customer_id"]
        out["engagement"] = np.where(out["customer_id"].isin(set(seen)), "active", "silent")
    low = pd.Series(False, index=out.index)
    high = pd.Series(False, index=out.index)
    rated = pd.Series(False, index=out.index)
    for table, when, column, bad, good in (
        (tickets, "opened_at", "satisfaction", 2, 4),
        (campaign_responses, "sent_at", "survey_score", 6, 9),
    ):
        if table is None:
            continue
        part = table[(table[when] < end) & (table[when] >= start) & table[column].notna()]
        worst = out["customer_id"].map(part.groupby("customer_id")[column].min())
        best = out["customer_id"].map(part.groupby("customer_id")[column].max())
        low |= (worst <= bad).fillna(False).astype(bool)  # nullable ratings: NA is no
        high |= (best >= good).fillna(False).astype(bool)
        rated |= worst.notna().astype(bool)
    out["satisfaction"] = np.select(
        [low, high, rated], ["unsatisfied", "satisfied", "neutral"], default=UNKNOWN
    )
    return out


def customer_tags(
    transactions: pd.DataFrame,
    *,
    as_of,
    new_days: int = 90,
    vip_share: float = 0.05,
    vip_window_days: int = 365,
    risk_factor: float = 2.0,
    min_risk_days: int = 30,
) -> pd.DataFrame:
    """Sale lines into rule-based tags per customer who has bought, as of a day.

    - ``new``: first purchase in the last ``new_days`` days;
    - ``returning``: purchases on two or more days (invoices of the same day are one purchase);
    - ``vip``: among the top ``vip_share`` of customers by spend in the last
      ``vip_window_days`` days (ties at the line are all in);
    - ``at_risk``: a returning customer whose days since the last purchase exceed both
      ``risk_factor`` times their own median gap between purchase days and ``min_risk_days``.

    Days are whole days, counted as ``rfm`` counts recency: a purchase on ``as_of`` is 0 days
    ago. Sale lines count when they have a customer id and a positive quantity.
    ``transactions`` is a DataFrame of order lines or an engine's table of them
    (``ingest.read_lines``): the lines are totalled per customer and day there, and only that
    table comes back.

    Returns one row per customer: the four tags as booleans, ``tags`` ("vip, at_risk"), the
    figures they were decided on (``purchase_days``, ``days_since_last``, ``median_gap_days``,
    ``recent_spend``) and ``evidence`` (``tags.apply_rules``: each tag's rule and values).
    """
    # the four tags are the shipped rules' first four (crm_lab/ingest/tags.yaml) with these
    # parameters: one computation of the figures and the rules (segments.tags) for both
    rules = [
        {"tag": "new", "all": [{"figure": "days_since_first", "op": "<", "value": new_days}]},
        {"tag": "returning", "all": [{"figure": "purchase_days", "op": ">=", "value": 2}]},
        {"tag": "vip", "all": [{"figure": "recent_spend", "op": "top_share",
                                "value": vip_share}]},
        {"tag": "at_risk", "all": [
            {"figure": "purchase_days", "op": ">=", "value": 2},
            {"figure": "days_since_last", "op": ">", "times": risk_factor,
             "of": "median_gap_days"},
            {"figure": "days_since_last", "op": ">", "value": min_risk_days},
        ]},
    ]  # fmt: skip
    figures = tags.tag_figures(transactions, as_of=as_of, window_days=vip_window_days)
    out = figures.merge(tags.apply_rules(figures, rules), on="customer_id", validate="1:1")
    columns = ["customer_id", *TAGS, "tags", "purchase_days", "days_since_last",
               "median_gap_days", "recent_spend", "evidence"]  # fmt: skip
    return out[columns]


def tag_counts(tagged: pd.DataFrame) -> pd.DataFrame:
    """Tagged customers into one row per tag (its code, in ``TAGS`` order): how many customers
    carry it and their share of all tagged customers."""
    counts = [int(tagged[t].sum()) for t in TAGS]
    return pd.DataFrame(
        {
            "tag": list(TAGS),
            "customers": counts,
            "customer_share": [c / max(len(tagged), 1) for c in counts],
        }
    )


def class_counts(classes: pd.DataFrame, *, column: str) -> pd.DataFrame:
    """Classified customers into counts and shares per class of one column."""
    counts = classes[column].value_counts()
    return pd.DataFrame(
        {column: counts.index, "customers": counts.to_numpy(),
         "customer_share": counts.to_numpy() / max(len(classes), 1)}
    )  # fmt: skip
