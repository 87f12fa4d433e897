"""The segments page's names, tables and figures: every feature named in both languages, names
from the traits, moves that add up, nothing small or personal shown."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab import privacy
from crm_lab.reporting import display, labels, portraits
from crm_lab.segments import clusters, features, migration


@pytest.fixture(scope="module")
def period(demo):
    t = demo.tables
    return clusters.cluster_period(
        t["transactions"], as_of="2025-12-31", period_start="2025-10-01",
        customers=t["customers"], interactions=t["interactions"], tickets=t["tickets"],
        campaign_responses=t["campaign_responses"],
    )  # fmt: skip


def test_every_feature_has_a_name_in_both_languages(period):
    names = set(period.features.columns[1:])
    profile = clusters.profile_table(period.features, period.now.labels)
    names |= set(profile["feature"])
    for feature in names:
        en, zh = (labels.feature_label(feature, lang=lang) for lang in labels.LANGS)
        assert en and zh and en != zh, feature
    for feature in names:
        if "=" not in feature and features.feature_kind(feature) in ("log", "number"):
            for difference in (1.0, -1.0):
                trait = {"feature": feature, "kind": "number", "difference": difference}
                assert labels.trait_text(trait, lang="en") != labels.trait_text(trait, lang="zh")


def test_names_come_from_the_two_strongest_traits(period):
    table, traits = portraits.name_period(period)
    for cluster in table["cluster"]:
        mine = traits[traits["cluster"] == cluster]
        first_two = mine[mine["difference"] > 0].head(2)
        expected = " · ".join(labels.trait_text(t, lang="en") for t in first_two.to_dict("records"))
        assert labels.code_label("cluster", cluster, lang="en").startswith(expected)
    # every cluster of either day has a name, distinct within a language
    named = set(labels.CODES["cluster"])
    assert set(period.now.labels["cluster"]) | set(period.before.labels["cluster"]) <= named
    assert len({v[0] for v in labels.CODES["cluster"].values()}) == len(named)


def test_moves_add_up_to_each_day(period):
    moves = portraits.cluster_moves(period).set_index("cluster_before")
    before = period.before.labels["cluster"].value_counts()
    now = period.now.labels["cluster"].value_counts()
    rows = moves.drop(index=migration.NEW).drop(columns=migration.GONE, errors="ignore")
    # each row is the customers of a cluster the day before: all of them, wherever they went
    assert (moves.drop(index=migration.NEW).sum(axis=1) == before.reindex(rows.index)).all()
    # each column is a cluster's customers on the as-of day, from wherever they came
    columns = [c for c in moves.columns if c != migration.GONE]
    assert (moves[columns].sum(axis=0) == now.reindex(columns)).all()
    # customers only buy more as time passes: no one is gone by the later day
    assert migration.GONE not in moves.columns


def test_tables_show_no_small_group_and_no_personal_data(demo, period):
    table, traits = portraits.name_period(period, min_group=privacy.MIN_GROUP)
    shown = portraits.portrait_table(table, traits, lang="zh")
    assert len(shown) == len(table) and shown["customers"].min() >= privacy.MIN_GROUP
    html = display.show_table(shown).to_html()
    ids = set(demo.tables["customers"]["customer_id"])
    assert not any(i in html for i in ids)
    names = set(demo.tables["customers"]["name"].dropna())
    assert not any(n in html for n in names)


def test_headline_figures(period):
    headline = portraits.cluster_headline(period)
    assert headline["clusters"] == period.now.k
    assert headline["customers_clustered"] == len(period.features)
    assert 0.0 <= headline["cluster_stability"] <= 1.0
    assert headline["clusters_continued"] == sum(v is not None for v in period.now.matched.values())
    for key, value in headline.items():
        assert labels.format_value(key, value) != labels.MISSING, key


def test_too_few_customers_is_a_clear_error():
    lines = pd.DataFrame({
        "invoice_id": ["1"], "customer_id": ["a"], "ordered_at": pd.to_datetime(["2025-01-01"]),
        "quantity": [1.0], "amount": [5.0], "line_type": ["sale"],
    })  # fmt: skip
    with pytest.raises(ValueError, match="clusters need at least"):
        clusters.cluster_period(lines, as_of="2025-12-31", period_start="2025-12-01")
