"""Benchmark: RFM on UCI Online Retail (541,909 lines) against a bare pandas groupby floor.

Run: .venv/bin/python bench/bench_rfm.py [--repeat N]

Prints the best-of-N time of each step and the ratio of crm_lab's RFM (table, scores and
segments) to the floor: the same recency, orders and revenue computed with one plain pandas
groupby on the raw file, measured in the same run. If the `lifetimes` package is installed, its
`summary_data_from_transaction_data` (the classic peer) is timed as well.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from timing import best_of  # bench/ is on the path when run as a script

from crm_lab import ingest
from crm_lab.value import rfm

RETAIL = Path(__file__).resolve().parents[1] / "data/external/online_retail/online_retail.parquet"
AS_OF = pd.Timestamp("2011-12-09")


def floor(raw: pd.DataFrame) -> pd.DataFrame:
    keep = (
        ~raw["InvoiceNo"].str.startswith(("C", "A"))
        & (raw["Quantity"] > 0)
        & raw["CustomerID"].notna()
        & (raw["InvoiceDate"] < AS_OF + pd.Timedelta(days=1))
    )
    r = raw[keep]
    g = r.assign(amount=r["Quantity"] * r["UnitPrice"]).groupby("CustomerID")
    return pd.DataFrame(
        {
            "recency_days": (AS_OF - g["InvoiceDate"].max().dt.normalize()).dt.days,
            "orders": g["InvoiceNo"].nunique(),
            "revenue": g["amount"].sum(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t_read, raw = best_of(lambda: pd.read_parquet(RETAIL), args.repeat)
    t_load, data = best_of(lambda: ingest.load_data(RETAIL), args.repeat)
    tx = data["transactions"]
    t_floor, expected = best_of(lambda: floor(raw), args.repeat)
    t_rfm, table = best_of(lambda: rfm.rfm_table(tx, as_of=AS_OF), args.repeat)
    t_seg, _ = best_of(lambda: rfm.rfm_segments(rfm.rfm_scores(table)), args.repeat)
    assert len(table) == len(expected) == 4339

    rows = [
        ("pd.read_parquet (raw file)", t_read, None),
        ("crm_lab ingest.load_data (canonical tables)", t_load, t_load / t_read),
        ("floor: pandas groupby RFM on raw", t_floor, 1.0),
        ("crm_lab rfm_table", t_rfm, t_rfm / t_floor),
        ("crm_lab rfm_scores + rfm_segments", t_seg, None),
        ("crm_lab RFM total (table+scores+segments)", t_rfm + t_seg, (t_rfm + t_seg) / t_floor),
    ]
    try:
        from lifetimes.utils import summary_data_from_transaction_data
    except ImportError:
        print("lifetimes not installed: peer skipped")
    else:
        sales = raw[~raw["InvoiceNo"].str.startswith("C") & raw["CustomerID"].notna()]
        sales = sales.assign(amount=sales["Quantity"] * sales["UnitPrice"])
        t_lt, _ = best_of(
            lambda: summary_data_from_transaction_data(
                sales,
                "CustomerID",
                "InvoiceDate",
                monetary_value_col="amount",
                observation_period_end=AS_OF,
            ),
            args.repeat,
        )
        rows.append(("lifetimes summary_data_from_transaction_data", t_lt, t_lt / t_floor))
    print(f"UCI Online Retail, {len(raw):,} lines, {len(table):,} customers; best of {args.repeat}")
    for name, seconds, ratio in rows:
        ratio_text = f"{ratio:6.2f}x" if ratio is not None else "       "
        print(f"  {name:<48} {seconds * 1000:9.1f} ms  {ratio_text}")


if __name__ == "__main__":
    main()
