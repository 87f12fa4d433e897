"""A period's clusters into the segments page's names, tables and headline figures.

``segments.clusters`` returns ids, traits as feature codes and numbers; this module names each
cluster from its traits (``labels.cluster_name``, English and Chinese, the names the page's
tables and charts use through ``labels.name_clusters``) and lays the portraits, the choice of
the number of clusters and the moves between the two days out as tables for
``display.show_table``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import privacy
from crm_lab.core.lines import as_of_day
from crm_lab.reporting import labels, store
from crm_lab.segments import clusters, migration

__all__ = [
    "cluster_for_page",
    "cluster_headline",
    "cluster_moves",
    "cluster_names",
    "name_period",
    "name_states",
    "period_clusters",
    "portrait_table",
    "selection_table",
]


def _names(table: pd.DataFrame, traits: pd.DataFrame) -> dict[int, tuple[str, str]]:
    out = {}
    for cluster in table["cluster"]:
        mine = traits[traits["cluster"] == cluster]
        if mine.empty:  # withheld: too small to describe
            out[int(cluster)] = (f"Cluster {cluster}", f"群组 {cluster}")
            continue
        out[int(cluster)] = tuple(labels.cluster_name(mine, lang=lang) for lang in labels.LANGS)
    # two clusters of one name are told apart by their ids
    for lang in (0, 1):
        seen = pd.Series([v[lang] for v in out.values()])
        if seen.duplicated(keep=False).any():
            dup = set(seen[seen.duplicated(keep=False)])
            out = {k: tuple(f"{n} ({k})" if i == lang and n in dup else n
                            for i, n in enumerate(v)) for k, v in out.items()}  # fmt: skip
    return out


def period_clusters(
    tables: dict, *, as_of, period_start, states_dir=None, key_file=None, random_state: int = 0
) -> clusters.PeriodClusters:
    """Canonical tables into the period's clusters (``clusters.cluster_period``), their ids
    taken from the store of states (``states_dir``, its latest day on or before the day before
    the period, decrypted with ``key_file``) when it has one: the ids of the store, of the
    segments and migration pages and of ``crm-lab scores`` are then the same.

    Raises ``clusters.TooFewCustomersError`` when too few customers have bought to cluster.
    """
    names = ("customers", "interactions", "tickets", "campaign_responses")
    day_before = as_of_day(period_start) - pd.Timedelta(days=1)
    previous = store.anchor(states_dir, day=day_before, key_file=key_file)
    return clusters.cluster_period(
        tables["transactions"], as_of=as_of, period_start=period_start, previous=previous,
        random_state=random_state, **{n: tables.get(n) for n in names},
    )  # fmt: skip


def cluster_for_page(
    tables: dict, *, as_of, period_start, states_dir=None, key_file=None, random_state: int = 0
):
    """Canonical tables into the segments page's clusters (``period_clusters``) and its
    warnings: ``(PeriodClusters, [])``, or ``(None, [warning])`` when too few customers have
    bought to cluster (``clusters.MIN_CUSTOMERS``): the page then says so instead of failing."""
    try:
        found = period_clusters(tables, as_of=as_of, period_start=period_start,
                                states_dir=states_dir or None, key_file=key_file or None,
                                random_state=random_state)  # fmt: skip
    except clusters.TooFewCustomersError as exc:
        return None, [{"code": "too_few_to_cluster", "customers": exc.customers,
                       "minimum": clusters.MIN_CUSTOMERS}]  # fmt: skip
    return found, []


def cluster_names(
    features: pd.DataFrame, clustering: clusters.Clustering, *, min_group: int = privacy.MIN_GROUP
) -> dict[int, tuple[str, str]]:
    """A clustering into each cluster's name, ``{id: (English, Chinese)}``, from its traits
    (a cluster of fewer than ``min_group`` customers: "Cluster 3")."""
    return _names(*clusters.portraits(features, clustering, min_group=min_group))


def name_period(period: clusters.PeriodClusters, *, min_group: int = privacy.MIN_GROUP):
    """A period's clusters into their portraits, named: ``(table, traits)`` of the as-of day.

    Every cluster of either day gets its name (``labels.name_clusters``); a cluster of the day
    before keeps the name it had then when it is not found again.
    """
    table, traits = clusters.portraits(period.features, period.now, min_group=min_group)
    names = {}
    if period.before is not None:
        old_table, old_traits = clusters.portraits(
            period.features_before, period.before, min_group=min_group
        )
        names.update(_names(old_table, old_traits))
    names.update(_names(table, traits))
    labels.name_clusters(names)
    return table, traits


def name_states(earlier, now) -> None:
    """Two days' customer states (``segments.states``) into their clusters' names on the page
    (``labels.name_clusters``): the later day's names, and the earlier's for clusters not
    found again."""
    names = {}
    for found in (earlier, now):
        if found.clustering is not None:
            names.update(cluster_names(found.features, found.clustering))
    labels.name_clusters(names)


def portrait_table(table: pd.DataFrame, traits: pd.DataFrame, *, lang: str | None = None):
    """Portraits into one row per cluster: its name, size, shares, top categories and
    channels, typical customer and a description (withheld clusters: size only)."""
    rows = []
    for row in table.to_dict("records"):
        mine = traits[traits["cluster"] == row["cluster"]]
        typical = ", ".join(
            f"{labels.feature_label(column, lang=lang)}: {value} ({share:.0%})"
            for column, (value, share) in row["typical"].items()
        )
        rows.append({
            "cluster": row["cluster"],
            "customers": row["customers"],
            "customer_share": row["customer_share"],
            "revenue_share": row["revenue_share"],
            "top_categories": ", ".join(row["top_categories"]),
            "top_channels": ", ".join(
                labels.channel_label(c, lang=lang) for c in row["top_channels"]
            ),
            "typical": typical,
            "description": labels.cluster_description(row, mine, lang=lang),
        })  # fmt: skip
    return pd.DataFrame(rows)


def selection_table(clustering: clusters.Clustering) -> pd.DataFrame:
    """The numbers of clusters tried and their scores, the chosen one marked."""
    out = clustering.selection.rename(columns={"k": "clusters"}).copy()
    out["chosen"] = np.where(out["chosen"], "✓", "")
    return out


def cluster_moves(period: clusters.PeriodClusters) -> pd.DataFrame | None:
    """Customers by cluster on the day before the period (rows, ``cluster_before``) and on the
    as-of day (columns, named ``cluster``); customers who had not bought before are the
    ``migration.NEW`` row. None without clusters the day before."""
    if period.before is None:
        return None
    compared = migration.compare(period.before.labels, period.now.labels, column="cluster")
    order = sorted(set(period.before.labels["cluster"]) | set(period.now.labels["cluster"]))
    table = migration.migration_matrix(compared, order=order)
    return table.rename_axis(index="cluster_before", columns="cluster").reset_index()


def cluster_headline(period: clusters.PeriodClusters) -> dict:
    """The page's figures: clusters, customers clustered, stability, the chosen silhouette,
    and how many clusters continue one of the day before."""
    now = period.now
    chosen = now.selection[now.selection["chosen"]].iloc[0]
    return {
        "clusters": now.k,
        "customers_clustered": len(now.labels),
        "cluster_stability": float(np.mean(now.stability)) if now.stability else None,
        "silhouette": float(chosen["silhouette"]),
        "clusters_continued": sum(v is not None for v in now.matched.values())
        if period.before is not None else None,
    }  # fmt: skip
