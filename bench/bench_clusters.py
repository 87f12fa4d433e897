"""Clustering a million customers end to end, next to plain scikit-learn on the same data.

Usage: .venv/bin/python bench/bench_clusters.py [--customers 1000000] [--seed 0]

Seeded order lines (four planted groups of customers with their own categories and channels,
about three orders each) and a customers table (age, gender, occupation, tier, points) are
made in memory; then, timed:

- features: ``segments.features.customer_features`` from the lines and the customers table;
- clusters: ``segments.clusters.cluster_customers`` as the page runs it (k from 2 to 8 by the
  sampled silhouette and Davies-Bouldin, four refits on resamples for stability, the projection);
- portraits: ``segments.clusters.portraits``;
- fit alone: ``cluster_customers`` with the chosen k and no stability refits;
- two peers, in the same run:

  - the plain script: what an analyst writes with pandas and scikit-learn for the same job
    (``plain_script``): the same features by ``groupby`` and ``pivot_table``, a
    ``ColumnTransformer`` (log and ``StandardScaler``, ``OneHotEncoder``), ``KMeans`` for each
    k from 2 to 8 on everyone, each scored by ``silhouette_score`` on a 10,000 sample, the
    best kept, and per-cluster means and revenue shares as its portraits. It does less than
    crm_lab (no stability refits, no second criterion, no ids kept across periods, no
    projection): the ratio is what that costs. Target: end to end within 1.5x of it.
  - bare ``KMeans(n_clusters=k)`` with its defaults on crm_lab's matrix: the floor. Building
    features from 4.8 M order lines alone takes longer than this fit, so end to end cannot
    come within 1.5x of the floor; the fit alone is compared with it.

Prints each time, the ratios, the adjusted Rand index between our labels and each peer's
and against the planted groups, and the process's peak memory (target under 4 GB; it
includes the order lines themselves).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm_lab.segments import clusters, features  # noqa: E402

CATEGORIES = ["Coffee", "Tea", "Electronics", "Skincare", "Snacks", "Stationery", "Teaware",
              "Coffee Gear", "Phone Accessories"]  # fmt: skip
CHANNELS = ["online", "store", "app"]
# per planted group: its main category and its channel probabilities
GROUPS = [(0, (0.85, 0.05, 0.10)), (1, (0.10, 0.85, 0.05)), (2, (0.10, 0.05, 0.85)),
          (3, (0.45, 0.45, 0.10))]  # fmt: skip
AS_OF = pd.Timestamp("2025-12-31")
GiB = 2**30


def make_tables(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Seeded order lines and customers for ``n`` customers, and each one's planted group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, len(GROUPS), n)
    orders = 1 + rng.poisson(2.0, n)
    who = np.repeat(np.arange(n), orders)
    days = rng.integers(0, 730, len(who))
    ordered_at = AS_OF - pd.to_timedelta(days, "D") + pd.Timedelta(hours=12)
    size = 1 + rng.binomial(2, 0.3, len(who))
    line_order = np.repeat(np.arange(len(who)), size)
    line_who = who[line_order]
    main = np.array([g[0] for g in GROUPS])[group[line_who]]
    category = np.where(rng.random(len(line_order)) < 0.75, main,
                        rng.integers(0, len(CATEGORIES), len(line_order)))  # fmt: skip
    cum = np.cumsum(np.array([g[1] for g in GROUPS]), axis=1)[group[who]]
    channel = np.minimum((rng.random(len(who))[:, None] > cum).sum(axis=1), 2)
    ids = np.char.add("C", np.arange(n).astype(str))
    lines = pd.DataFrame({
        "invoice_id": pd.array(line_order.astype(str), dtype="string"),
        "customer_id": pd.array(ids[line_who], dtype="string"),
        "ordered_at": ordered_at[line_order],
        "quantity": 1.0,
        "amount": np.round(rng.lognormal(3.5, 0.8, len(line_order)), 2),
        "line_type": pd.Categorical.from_codes(np.zeros(len(line_order), int), ["sale"]),
        "category": pd.Categorical.from_codes(category, CATEGORIES),
        "channel": pd.Categorical.from_codes(channel[line_order], CHANNELS),
    })  # fmt: skip
    age = np.clip(np.where(group == 1, rng.normal(58, 7, n), rng.normal(34, 8, n)), 18, 90)
    born = AS_OF - pd.to_timedelta((age * 365.25).astype(int), "D")
    customers = pd.DataFrame({
        "customer_id": pd.array(ids, dtype="string"),
        "birth_date": born,
        "gender": pd.Categorical.from_codes(rng.integers(0, 2, n), ["F", "M"]),
        "occupation": pd.Categorical.from_codes(rng.integers(0, 8, n), [
            "engineer", "teacher", "student", "sales", "doctor", "designer", "retired",
            "finance"]),
        "tier": pd.Categorical.from_codes(rng.integers(0, 4, n),
                                          ["Bronze", "Silver", "Gold", "Platinum"]),
        "points": rng.integers(0, 2000, n).astype(float),
    })  # fmt: skip
    return lines, customers, group


def plain_script(lines: pd.DataFrame, customers: pd.DataFrame, *, seed: int):
    """The peer: the same job as a plain pandas and scikit-learn script would do it.

    Returns each customer's cluster (a Series by customer id), the k chosen and the seconds
    its features took.
    """
    start = time.perf_counter()
    sales = lines[
        (lines["line_type"] == "sale") & (lines["ordered_at"] <= AS_OF + pd.Timedelta(days=1))
    ]
    g = sales.groupby("customer_id", observed=True)
    f = pd.DataFrame({
        "recency_days": (AS_OF - g["ordered_at"].max().dt.normalize()).dt.days,
        "tenure_days": (AS_OF - g["ordered_at"].min().dt.normalize()).dt.days,
        "orders": g["invoice_id"].nunique(),
        "revenue": g["amount"].sum(),
    })  # fmt: skip
    f["average_order_value"] = f["revenue"] / f["orders"]
    spend = sales.pivot_table(index="customer_id", columns="category", values="amount",
                              aggfunc="sum", fill_value=0.0, observed=True)  # fmt: skip
    f = f.join(spend.div(spend.sum(axis=1), axis=0).add_prefix("category="))
    per_order = sales.drop_duplicates("invoice_id")
    mix = pd.crosstab(per_order["customer_id"], per_order["channel"])
    f = f.join(mix.div(mix.sum(axis=1), axis=0).add_prefix("channel="))
    profile = customers.set_index("customer_id")
    f["age"] = (AS_OF - profile["birth_date"]).dt.days // 365
    f = f.join(profile[["gender", "occupation", "tier", "points"]])
    logs = ["recency_days", "tenure_days", "orders", "revenue", "average_order_value", "points"]
    classes = ["gender", "occupation", "tier"]
    rest = [c for c in f.columns if c not in logs + classes]
    prep = ColumnTransformer([
        ("log", make_pipeline(FunctionTransformer(np.log1p), StandardScaler()), logs),
        ("number", StandardScaler(), rest),
        ("class", OneHotEncoder(sparse_output=False), classes),
    ])  # fmt: skip
    matrix = prep.fit_transform(f)
    t_features = time.perf_counter() - start
    best = None
    for k in range(2, 9):
        labels = KMeans(n_clusters=k, random_state=seed).fit_predict(matrix)
        score = silhouette_score(matrix, labels, sample_size=10_000, random_state=seed)
        if best is None or score > best[0]:
            best = (score, k, labels)
    _, k, labels = best
    numbers = f.drop(columns=classes)
    profiles = numbers.groupby(labels).mean()
    profiles["customers"] = np.bincount(labels)
    profiles["revenue_share"] = numbers["revenue"].groupby(labels).sum() / numbers["revenue"].sum()
    assert len(profiles) == k
    return pd.Series(labels, index=f.index), k, t_features


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GiB


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    lines, customers, group = make_tables(args.customers, args.seed)
    print(f"{args.customers:,} customers, {len(lines):,} order lines; "
          f"peak so far {peak_gib():.2f} GiB", flush=True)  # fmt: skip

    start = time.perf_counter()
    script_labels, script_k, script_features = plain_script(lines, customers, seed=args.seed)
    t_script = time.perf_counter() - start
    print(f"plain script {t_script:7.1f} s  (k = {script_k}; features and matrix "
          f"{script_features:.1f} s, then KMeans for k 2-8, sampled silhouette, profiles)",
          flush=True)  # fmt: skip
    start = time.perf_counter()
    f = features.customer_features(lines, as_of=AS_OF, customers=customers)
    t_features = time.perf_counter() - start
    del lines
    print(f"features     {t_features:7.1f} s  ({f.shape[1] - 1} features)", flush=True)
    t_clusters, result = timed(lambda: clusters.cluster_customers(f, random_state=0))
    print(f"clusters     {t_clusters:7.1f} s  (k = {result.k}, {result.algorithm}, "
          f"stability {np.mean(result.stability):.3f})", flush=True)  # fmt: skip
    t_portraits, _ = timed(lambda: clusters.portraits(f, result))
    print(f"portraits    {t_portraits:7.1f} s", flush=True)
    t_fit, fitted = timed(lambda: clusters.cluster_customers(f, k=result.k, random_state=0,
                                                             stability_runs=0))  # fmt: skip
    print(f"fit alone    {t_fit:7.1f} s  (k = {result.k}, with the matrix and projection)")
    t_matrix, (_, matrix) = timed(lambda: clusters.feature_matrix(f))
    print(f"matrix       {t_matrix:7.1f} s  (the pipeline alone: logs, fills, one-hot, scale)")
    t_peer, peer = timed(lambda: KMeans(n_clusters=result.k, random_state=0).fit_predict(matrix))
    print(f"bare KMeans  {t_peer:7.1f} s  (scikit-learn defaults, crm_lab's matrix)")
    end_to_end = t_features + t_clusters + t_portraits
    planted = result.labels["customer_id"].str.slice(1).astype(int).map(pd.Series(group))
    truth = adjusted_rand_score(planted, result.labels["cluster"])
    agree = adjusted_rand_score(peer, fitted.labels["cluster"])
    script = script_labels.reindex(result.labels["customer_id"].astype("object")).to_numpy()
    script_truth = adjusted_rand_score(planted, script)
    print()
    print(
        f"end to end (features + clusters + portraits): {end_to_end:.1f} s = "
        f"{end_to_end / t_script:.2f}x the plain script (target <= 1.5x); "
        f"{end_to_end / t_peer:.1f}x bare KMeans"
    )
    print(
        f"fit alone (matrix, fit, projection): {t_fit / t_peer:.2f}x bare KMeans; labels agree "
        f"with its labels (ARI) {agree:.3f}"
    )
    print(f"planted groups recovered (ARI): crm_lab {truth:.3f}, the plain script "
          f"{script_truth:.3f}")  # fmt: skip
    print(f"peak memory of the process: {peak_gib():.2f} GiB (target < 4 GiB, order lines "
          f"included)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
