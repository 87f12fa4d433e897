"""Every table present into each customer's state on a day: the classification a period stores.

One row per customer known on ``as_of`` (bought, or in the customers table): the RFM scores and
``segment``, ``value_tier``, ``lifecycle_stage``, ``cluster``, ``tags`` and the figures they
rest on. It is what a report run keeps for its as-of day (``reporting.states``), what
``crm-lab scores`` writes for a CRM, and what the migration between two days compares. Each
customer is in exactly one segment, one stage, one tier and one cluster (prospects, who have
not bought, only in a stage: ``potential``).

The value tier ranks the predicted value over the next ``months`` (BG/NBD and Gamma-Gamma,
``clv``) when the models can be fitted, else the revenue to date; ``value_basis`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_lab import clv
from crm_lab.core.lines import as_of_day
from crm_lab.segments import classify, clusters, lifecycle, tags
from crm_lab.segments.features import customer_features
from crm_lab.value import rfm

__all__ = ["STATE_COLUMNS", "CustomerStates", "customer_states", "day_before"]

# the columns of a customer's state, in order (reporting and the scores export keep them)
STATE_COLUMNS = (
    "customer_id", "as_of", "segment", "value_tier", "lifecycle_stage", "cluster", "tags",
    "r_score", "f_score", "m_score", "recency_days", "orders", "revenue", "predicted_value",
    "probability_alive", "value_basis", "first_purchase", "last_purchase", "tag_evidence",
)  # fmt: skip


def day_before(period_start) -> pd.Timestamp:
    """A period's first day into the day before it, the day a period's moves start from.

    >>> day_before("2025-12-01").date().isoformat()
    '2025-11-30'
    """
    return as_of_day(period_start) - pd.Timedelta(days=1)


@dataclass
class CustomerStates:
    """``table``: one row per customer (``STATE_COLUMNS``); ``clustering``: the clusters it
    used (None when too few customers had bought to cluster), whose centres the next period
    matches; ``warnings``: why the value tier rests on revenue, when it does; ``features``:
    the cluster features (``segments.features``) the clusters were fitted on."""

    table: pd.DataFrame
    clustering: clusters.Clustering | None
    warnings: list
    features: pd.DataFrame | None = None


def customer_states(
    transactions: pd.DataFrame,
    *,
    as_of,
    customers: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    campaign_responses: pd.DataFrame | None = None,
    previous: clusters.Clustering | None = None,
    clustered: clusters.PeriodClusters | None = None,
    tag_rules: list | None = None,
    months: int = 12,
    random_state: int = 0,
) -> CustomerStates:
    """Every table present into each customer's state as of a day.

    Parameters
    ----------
    transactions : DataFrame or engine table
        Canonical order lines; nothing after ``as_of`` is read.
    as_of : date-like
        The inclusive day.
    customers, interactions, tickets, campaign_responses : DataFrame, optional
        The other tables: prospects (stage ``potential``) and the cluster features.
    previous : Clustering, optional
        The previous period's clusters, whose ids the clusters found again keep.
    tag_rules : list, optional
        Tag rules (``ingest.read_tag_rules``, checked by ``tags.check_rules``): the tags and
        their evidence come from them; without, the four tags of ``classify.customer_tags``
        (no evidence).
    clustered : PeriodClusters, optional
        Clusters already found for ``as_of`` (``clusters.cluster_period``, as the segments
        page finds them): their labels are used instead of a new clustering.
    months : int
        The horizon of the predicted value behind the value tier.
    random_state : int
        Seeds the clustering.

    Returns
    -------
    CustomerStates

    Examples
    --------
    >>> tx = pd.DataFrame({"invoice_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...     "ordered_at": pd.to_datetime(["2024-01-02", "2024-03-01", "2024-02-01"]),
    ...     "quantity": [1.0, 1.0, 1.0], "amount": [10.0, 20.0, 5.0],
    ...     "line_type": ["sale"] * 3})
    >>> states = customer_states(tx, as_of="2024-03-31")  # two buyers: a is the top half
    >>> states.table[["customer_id", "lifecycle_stage", "value_tier", "value_basis"]]
      customer_id lifecycle_stage value_tier value_basis
    0           a             new     medium     revenue
    1           b             new        low     revenue
    """
    segmented = rfm.rfm_segments(rfm.rfm_scores(rfm.rfm_table(transactions, as_of=as_of)))
    staged = lifecycle.stages(transactions, as_of=as_of, customers=customers)
    if tag_rules is not None:
        figures = tags.tag_figures(transactions, as_of=as_of, tickets=tickets)
        tagged = tags.apply_rules(figures, tags.check_rules(tag_rules))
        tagged = tagged.rename(columns={"evidence": "tag_evidence"})
    else:
        tagged = classify.customer_tags(transactions, as_of=as_of)
        tagged = tagged.rename(columns={"evidence": "tag_evidence"})
    out = staged[["customer_id", "stage", "first_purchase", "last_purchase"]].rename(
        columns={"stage": "lifecycle_stage"}
    )
    keep = ["customer_id", "segment", "r_score", "f_score", "m_score", "recency_days",
            "orders", "revenue"]  # fmt: skip
    out = out.merge(segmented[keep], on="customer_id", how="left", validate="one_to_one")
    out = out.merge(tagged[["customer_id", "tags", "tag_evidence"]], on="customer_id",
                    how="left")  # fmt: skip
    for column in ("tags", "tag_evidence"):  # prospects (and an empty table's NaN) carry none
        out[column] = out[column].astype("object").where(out[column].notna(), "")
    value, warnings = _value(transactions, as_of=as_of, months=months)
    out = out.merge(value, on="customer_id", how="left", validate="one_to_one")
    bought = out["segment"].notna()
    basis = "revenue" if warnings else "predicted_value"
    ranked = out.loc[bought, "revenue" if warnings else "predicted_value"].fillna(0.0)
    out["value_tier"] = pd.Series(pd.NA, index=out.index, dtype="object")
    if len(ranked):
        out.loc[bought, "value_tier"] = clv.value_tiers(ranked).astype("object")
    out["value_basis"] = np.where(bought, basis, None)
    tables = {"customers": customers, "interactions": interactions, "tickets": tickets,
              "campaign_responses": campaign_responses}  # fmt: skip
    clustering = f = None
    if clustered is not None:
        clustering, f = clustered.now, clustered.features
        out = out.merge(clustering.labels, on="customer_id", how="left", validate="one_to_one")
        out["cluster"] = out["cluster"].astype("Int64")
    elif bought.sum() >= clusters.MIN_CUSTOMERS:
        f = customer_features(transactions, as_of=as_of, **tables)
        clustering = clusters.cluster_customers(f, random_state=random_state, previous=previous)
        out = out.merge(clustering.labels, on="customer_id", how="left", validate="one_to_one")
        out["cluster"] = out["cluster"].astype("Int64")
    else:
        out["cluster"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["as_of"] = pd.Timestamp(as_of).normalize()
    for column in ("r_score", "f_score", "m_score", "recency_days", "orders"):
        out[column] = out[column].astype("Int64")
    table = out[list(STATE_COLUMNS)].sort_values("customer_id", ignore_index=True)
    return CustomerStates(table=table, clustering=clustering, warnings=warnings, features=f)


def _value(transactions, *, as_of, months: int) -> tuple[pd.DataFrame, list]:
    """Each buyer's predicted value and probability of being active, or the warnings that
    say why the models could not be fitted."""
    summary = clv.purchase_summary(transactions, as_of=as_of)
    empty = pd.DataFrame({"customer_id": summary["customer_id"], "predicted_value": np.nan,
                          "probability_alive": np.nan})  # fmt: skip
    warnings = clv.not_fitted(summary)
    if warnings:
        return empty, warnings
    purchases = clv.fit_beta_geo(summary)
    warnings = clv.unusable_fit(purchases, summary)
    if warnings:
        return empty, warnings
    spend = clv.fit_gamma_gamma(summary)
    value = clv.customer_value(summary, purchases, spend, months=months)
    out = pd.DataFrame({"customer_id": value["customer_id"], "predicted_value": value["clv"],
                        "probability_alive": value["p_alive"]})  # fmt: skip
    return out, []
