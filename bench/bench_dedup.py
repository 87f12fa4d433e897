"""Benchmark: customer de-duplication on 100,000 demo customers (3,000 planted duplicates).

Run: .venv/bin/python bench/bench_dedup.py [--customers N]

Prints the time of crm_lab's ``deduplicate_customers`` (exact keys + rapidfuzz name matching
with blocking) next to a floor measured in the same run: exact matching only, done with one
pandas ``groupby(...).ngroup()`` per key (what a user would write without fuzzy matching). Also
prints precision and recall against the planted duplicates, and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import pandas as pd

from crm_lab import ingest, synth
from crm_lab.ingest import dedup


def floor(customers: pd.DataFrame) -> int:
    """Exact-key matching in plain pandas: number of records sharing a phone or an e-mail."""
    shared = pd.Series(False, index=customers.index)
    for key in ("phone", "email"):
        counts = customers.groupby(key)[key].transform("size")
        shared |= counts.fillna(0).gt(1)
    return int(shared.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()

    start = time.perf_counter()
    demo = synth.make_demo(n_customers=args.customers, seed=5)
    with tempfile.TemporaryDirectory() as tmp:
        synth.write_demo(demo, tmp)
        customers = ingest.read_table(f"{tmp}/customers.csv").frame
    prep = time.perf_counter() - start

    t0 = time.perf_counter()
    floor(customers)
    t_floor = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = dedup.deduplicate_customers(customers)
    t_dedup = time.perf_counter() - t0
    t0 = time.perf_counter()
    exact_only = dedup.deduplicate_customers(customers, fuzzy_name_threshold=100)
    t_exact = time.perf_counter() - t0

    planted = {frozenset((d["duplicate_id"], d["original_id"])) for d in demo.truth["duplicates"]}

    def score(res):
        found = {
            frozenset(p)
            for p in zip(res.merge_log["customer_id"], res.merge_log["master_id"], strict=True)
        }
        hit = len(found & planted)
        return hit / max(len(found), 1), hit / len(planted)

    p, r = score(result)
    pe, re_ = score(exact_only)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(customers):,} customer records, {len(planted):,} planted duplicates "
        f"(data prepared in {prep:.1f} s)"
    )
    print(f"  floor: pandas exact-key groupby          {t_floor:7.2f} s   1.00x")
    print(
        f"  crm_lab dedup, exact keys only           {t_exact:7.2f} s  {t_exact / t_floor:5.1f}x"
        f"   precision {pe:.3f} recall {re_:.3f}"
    )
    print(
        f"  crm_lab dedup, exact + fuzzy names       {t_dedup:7.2f} s  {t_dedup / t_floor:5.1f}x"
        f"   precision {p:.3f} recall {r:.3f}   review pairs {len(result.review):,}"
    )
    print(f"  peak memory of the process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
