"""Clustering a million customers end to end, next to plain scikit-learn KMeans on the same matrix.

Usage: .venv/bin/python bench/bench_clusters.py [--customers 1000000] [--seed 0]

Seeded order lines (four planted groups of customers with their own categories and channels,
about three orders each) and a customers table (age, gender, occupation, tier, points) are
made in memory; then, timed:

- features: ``segments.features.customer_features`` from the lines and the customers table;
- clusters: ``segments.clusters.cluster_customers`` as the page runs it (k from 2 to 8 by the
  sampled silhouette and Davies-Bouldin, four refits on resamples for stability, the projection);
- portraits: ``segments.clusters.portraits``;
- fit alone: ``cluster_customers`` with the chosen k and no stability refits;
- the peer, in the same run: scikit-learn ``KMeans(n_clusters=k)`` with its defaults on the
  same matrix (``clusters.feature_matrix``), the floor a plain script would pay.

Prints each time, the ratios against the peer (target: end to end within 1.5x of it), the
adjusted Rand index between our labels and the peer's, and the process's peak memory (target
under 4 GB; it includes the order lines themselves).
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
from sklearn.metrics import adjusted_rand_score

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
    print(f"peer KMeans  {t_peer:7.1f} s  (scikit-learn defaults, the same matrix)")
    end_to_end = t_features + t_clusters + t_portraits
    planted = result.labels["customer_id"].str.slice(1).astype(int).map(pd.Series(group))
    truth = adjusted_rand_score(planted, result.labels["cluster"])
    agree = adjusted_rand_score(peer, fitted.labels["cluster"])
    print()
    print(
        f"end to end (features + clusters + portraits): {end_to_end:.1f} s = "
        f"{end_to_end / t_peer:.2f}x plain KMeans (target <= 1.5x)"
    )
    print(
        f"fit alone: {t_fit / t_peer:.2f}x plain KMeans; labels agree with KMeans' "
        f"(ARI) {agree:.3f}; planted groups recovered (ARI) {truth:.3f}"
    )
    print(f"peak memory of the process: {peak_gib():.2f} GiB (target < 4 GiB, order lines "
          f"included)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
