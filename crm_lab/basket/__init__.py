"""Order lines into baskets, frequent itemsets, association rules, bundles and recommendations.

``rules`` (baskets, itemsets and rules, mlxtend-shaped and exact, on ``mining``'s compact core
over pyfim), ``recommend`` (per-customer recommendations and their holdout test) and
``bundles`` (bundle candidates with the revenue they touch); ``spark`` mines itemsets with
Spark MLlib's FP-growth, for baskets beyond one machine.
"""

from crm_lab.basket.bundles import bundles
from crm_lab.basket.mining import ALGORITHMS, Itemsets, Rules
from crm_lab.basket.recommend import holdout_hit_rate, recommend
from crm_lab.basket.rules import (
    RULE_COLUMNS,
    Baskets,
    association_rules,
    baskets_from_lists,
    estimate_work,
    frequent_itemsets,
    make_baskets,
    mine_itemsets,
    mine_rules,
    rule_stability,
    rules_by_segment,
)
from crm_lab.basket.spark import mine_itemsets_spark

__all__ = [
    "ALGORITHMS",
    "RULE_COLUMNS",
    "Baskets",
    "Itemsets",
    "Rules",
    "association_rules",
    "baskets_from_lists",
    "bundles",
    "estimate_work",
    "frequent_itemsets",
    "holdout_hit_rate",
    "make_baskets",
    "mine_itemsets",
    "mine_itemsets_spark",
    "mine_rules",
    "recommend",
    "rule_stability",
    "rules_by_segment",
]
