"""Clusters: the pipeline, the choice of k, stable ids and portraits, on hand-made tables, the
demo data's planted groups and against plain scikit-learn KMeans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from crm_lab import synth
from crm_lab.segments import clusters, features


def _blobs(n: int = 90, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    """Three groups apart in revenue and in their channel: a known answer."""
    rng = np.random.default_rng(seed)
    third = n // 3
    revenue = np.r_[rng.normal(20, 2, third), rng.normal(400, 30, third),
                    rng.normal(5000, 300, third)] * (1 + shift)  # fmt: skip
    app = np.r_[rng.uniform(0.8, 1.0, third), rng.uniform(0.0, 0.2, third),
                rng.uniform(0.4, 0.6, third)]  # fmt: skip
    return pd.DataFrame({
        "customer_id": [f"c{i:03d}" for i in range(3 * third)],
        "revenue": revenue, "channel=app": app, "channel=store": 1 - app,
    })  # fmt: skip


def _truth(n: int = 90) -> np.ndarray:
    return np.repeat([0, 1, 2], n // 3)


def test_known_groups_are_found_and_k_is_chosen():
    f = _blobs()
    result = clusters.cluster_customers(f, random_state=1)
    assert result.k == 3
    assert adjusted_rand_score(_truth(), result.labels["cluster"]) == 1.0
    chosen = result.selection[result.selection["chosen"]]
    assert chosen["k"].tolist() == [3]
    # both criteria say 3: the best silhouette and the lowest Davies-Bouldin
    assert chosen["silhouette"].iloc[0] == result.selection["silhouette"].max()
    assert chosen["davies_bouldin"].iloc[0] == result.selection["davies_bouldin"].min()
    assert len(result.stability) == 4 and min(result.stability) == 1.0
    # ids by size, every customer once
    assert result.labels["customer_id"].is_unique and len(result.labels) == len(f)
    assert sorted(result.labels["cluster"].unique()) == [1, 2, 3]


def test_deterministic_with_random_state():
    f = _blobs(seed=3)
    a = clusters.cluster_customers(f, random_state=5)
    b = clusters.cluster_customers(f, random_state=5)
    pd.testing.assert_frame_equal(a.labels, b.labels)
    pd.testing.assert_frame_equal(a.selection, b.selection)
    assert a.stability == b.stability


def test_equal_to_plain_kmeans_on_the_same_matrix():
    """With k fixed, the labels are scikit-learn KMeans' on the pipeline's matrix."""
    f = _blobs(seed=4)
    ours = clusters.cluster_customers(f, k=3, random_state=2, stability_runs=0)
    _, x = clusters.feature_matrix(f)
    plain = KMeans(n_clusters=3, random_state=2, n_init=4).fit_predict(x)
    assert adjusted_rand_score(plain, ours.labels["cluster"]) == 1.0


def test_group_weights_make_each_group_weigh_the_same():
    """Nine columns of one group weigh as much together as one column of another."""
    rng = np.random.default_rng(0)
    f = pd.DataFrame({"customer_id": [f"c{i}" for i in range(200)],
                      "revenue": rng.lognormal(3, 1, 200)})  # fmt: skip
    shares = rng.dirichlet(np.ones(9), 200)
    for j in range(9):
        f[f"category=k{j}"] = shares[:, j]
    expanded, x = clusters.feature_matrix(f, weights={})
    groups = [features.feature_group(c) for c in expanded.columns]
    variance = pd.Series(x.var(axis=0)).groupby(groups).sum()
    assert variance.to_dict() == pytest.approx({"category": 1.0, "value": 1.0})
    # shares keep their scale against each other: centred, not standardised one by one
    ratio = x[:, 1:].std(axis=0) / shares.std(axis=0)
    assert np.allclose(ratio, ratio[0])


def test_ids_stay_when_the_next_period_finds_the_clusters_again():
    before = clusters.cluster_customers(_blobs(seed=0), random_state=0)
    # next period: other customers' draws, revenue up 10 %, the rows in another order
    later = _blobs(seed=9, shift=0.1).sample(frac=1.0, random_state=1)
    after = clusters.cluster_customers(later, random_state=0, previous=before)
    first = before.labels.set_index("customer_id")["cluster"]
    second = after.labels.set_index("customer_id")["cluster"]
    # the customers of each planted group carry the same id in both periods
    truth = pd.Series(_truth(), index=_blobs()["customer_id"])

    def ids(labels):
        return labels.reindex(truth.index).groupby(truth).agg(lambda s: s.mode().iloc[0])

    assert ids(first).tolist() == ids(second).tolist()
    assert sorted(ids(first)) == [1, 2, 3]
    assert set(after.matched.values()) == {1, 2, 3}


def test_a_new_cluster_gets_a_new_id():
    before = clusters.cluster_customers(_blobs(), k=3, random_state=0)
    extra = _blobs(seed=2)
    far = pd.DataFrame({"customer_id": [f"z{i}" for i in range(30)],
                        "revenue": np.full(30, 5e7) + np.arange(30),
                        "channel=app": 0.5, "channel=store": 0.5})  # fmt: skip
    after = clusters.cluster_customers(pd.concat([extra, far]), k=4, random_state=0,
                                       previous=before)  # fmt: skip
    new = after.labels.loc[after.labels["customer_id"].str.startswith("z"), "cluster"]
    assert new.nunique() == 1 and new.iloc[0] == 4
    assert after.matched[4] is None
    assert sorted(k for k, v in after.matched.items() if v is not None) == [1, 2, 3]


def test_portraits_hand_made():
    f = _blobs()
    result = clusters.cluster_customers(f, k=3, random_state=0)
    table, traits = clusters.portraits(f, result, min_group=5)
    assert table["customers"].sum() == len(f)
    assert table["customer_share"].sum() == pytest.approx(1.0)
    assert table["revenue_share"].sum() == pytest.approx(1.0)
    by = f.merge(result.labels).groupby("cluster")["revenue"].sum()
    assert table.set_index("cluster")["revenue_share"].to_dict() == pytest.approx(
        (by / by.sum()).to_dict())  # fmt: skip
    # the profile's values are the plain medians and means per cluster
    profile = clusters.profile_table(f, result.labels)
    got = profile[profile["feature"] == "revenue"].set_index("cluster")["value"]
    assert got.to_dict() == pytest.approx(f.merge(result.labels).groupby("cluster")[
        "revenue"].median().to_dict())  # fmt: skip
    big = table.loc[table["revenue_share"].idxmax(), "cluster"]
    assert traits[(traits["cluster"] == big) & (traits["rank"] == 1)]["feature"].tolist() == [
        "revenue"]  # fmt: skip


def test_small_clusters_are_withheld():
    f = _blobs()
    result = clusters.cluster_customers(f, k=3, random_state=0)
    table, traits = clusters.portraits(f, result, min_group=31)
    assert table["withheld"].all() and traits.empty


def test_classes_are_encoded_and_missing_values_filled():
    f = _blobs()
    f["gender"] = np.where(np.arange(len(f)) % 3 == 0, None, "F")
    f.loc[f.index[:5], "revenue"] = np.nan
    result = clusters.cluster_customers(f, k=3, random_state=0, stability_runs=0)
    assert result.labels["cluster"].notna().all()
    assert any(c.startswith("gender_") for c in result.centres.columns)


def test_too_few_customers_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 3 customers"):
        clusters.cluster_customers(_blobs().head(2))


def _demo_features(demo, as_of):
    t = demo.tables
    return features.customer_features(
        t["transactions"], as_of=as_of, customers=t["customers"],
        interactions=t["interactions"], tickets=t["tickets"],
        campaign_responses=t["campaign_responses"],
    )  # fmt: skip


@pytest.mark.parametrize(("n", "seed"), [(600, 7), (3000, 3)])
def test_demo_planted_groups_are_recovered(n, seed):
    demo = synth.make_demo(n_customers=n, seed=seed)
    f = _demo_features(demo, "2025-12-31")
    result = clusters.cluster_customers(f, random_state=0)
    persona = result.labels["customer_id"].map(demo.truth["personas"])
    known = persona.notna()  # duplicate records are not in the truth
    ari = adjusted_rand_score(persona[known], result.labels.loc[known, "cluster"])
    assert result.k == 4 and ari >= 0.8, (result.k, ari)
    assert np.mean(result.stability) >= 0.9
    # each planted group's portrait names what was planted: its category and its channels
    table, traits = clusters.portraits(f, result)
    planted = {"coffee_online": {"category=Coffee", "channel=online", "contact=email"},
               "tea_store": {"category=Tea", "channel=store", "contact=phone"},
               "gadgets_app": {"category=Electronics", "channel=app", "contact=chat"},
               "skincare_mixed": {"category=Skincare", "contact=social"}}  # fmt: skip
    majority = result.labels.assign(p=persona)[known].groupby("cluster")["p"].agg(
        lambda s: s.mode().iloc[0])  # fmt: skip
    for cluster, code in majority.items():
        named = set(traits.loc[traits["cluster"] == cluster, "feature"])
        assert planted[code] <= named, (code, named)
        top = table.set_index("cluster").loc[cluster, "top_categories"][0]
        assert f"category={top}" in planted[code]


def test_demo_ids_are_stable_across_two_periods():
    demo = synth.make_demo(n_customers=1500, seed=5)
    first = clusters.cluster_customers(_demo_features(demo, "2025-06-30"), random_state=0)
    second = clusters.cluster_customers(_demo_features(demo, "2025-12-31"), random_state=0,
                                        previous=first)  # fmt: skip
    persona = demo.truth["personas"]

    def majority(result):
        p = result.labels["customer_id"].map(persona)
        return result.labels.assign(p=p).dropna().groupby("p")["cluster"].agg(
            lambda s: s.mode().iloc[0]).to_dict()  # fmt: skip

    assert first.k == second.k == 4
    assert majority(first) == majority(second)
    assert all(v is not None for v in second.matched.values())
