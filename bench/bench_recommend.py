"""Benchmark: ``crm-lab recommend`` on UCI Online Retail with its default options.

Run: .venv/bin/python bench/bench_recommend.py [--repeat 3] [--reference recs.csv]

Two commands, each in a fresh Python process so that its peak resident memory is its own
(``os.wait4``'s ``ru_maxrss``):

- ``floor``: what any recommend run must do first, in the same interpreter: import crm_lab,
  read and clean the file (``ingest.read_clean``) and make the baskets (``basket.make_baskets``);
- ``recommend``: the command itself (``python -m crm_lab recommend --as-of 2011-12-09
  --raw-ids``): the floor, then mining (support 0.002, three items), one-item-consequent rules
  (confidence 0.05, 5 baskets), the recommendations and the CSV.

It prints wall time, CPU time (user + system: steadier than wall time on a shared machine) and
peak memory of both, best of ``--repeat``, and the command's ratios to the floor. Before the
rewrite of ``basket.recommend`` (a sparse product of every customer with every rule) the
command took about 170 s and 4.8 GB; the target was 10 s and 1 GB. With ``--reference`` the
command's CSV is compared byte for byte with a file written by an earlier version.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "data/external/online_retail/online_retail.parquet"
AS_OF = "2011-12-09"

FLOOR = f"""
from crm_lab import basket, cli, ingest
from crm_lab.core.lines import day_end
tx = ingest.read_clean({str(RETAIL)!r})["transactions"]
basket.make_baskets(tx[tx["ordered_at"] < day_end({AS_OF!r})], as_of={AS_OF!r})
"""


def run(argv: list[str]) -> dict:
    """Run a command in a fresh process: its wall time, CPU time and peak memory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    output = process.stdout.read().decode()
    process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{argv[:4]} failed with exit code {process.returncode}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "gb": usage.ru_maxrss / 2**20,
        "output": output.strip(),
    }


def best(argv: list[str], repeat: int) -> dict:
    runs = [run(argv) for _ in range(repeat)]
    return {
        "wall": min(r["wall"] for r in runs),
        "cpu": min(r["cpu"] for r in runs),
        "gb": min(r["gb"] for r in runs),
        "output": runs[-1]["output"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference", type=Path, help="a recommend CSV to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "recs.csv"
        floor = best([sys.executable, "-c", FLOOR], args.repeat)
        command = [sys.executable, "-m", "crm_lab", "recommend", "--data", str(RETAIL)]
        command += ["--as-of", AS_OF, "--raw-ids", "--out", str(out)]
        rec = best(command, args.repeat)
        same = filecmp.cmp(out, args.reference, shallow=False) if args.reference else None
    print(f"Online Retail, best of {args.repeat}; {rec['output']}")
    print(f"{'':10} {'wall s':>8} {'cpu s':>8} {'peak GB':>8}")
    for name, r in (("floor", floor), ("recommend", rec)):
        print(f"{name:10} {r['wall']:8.2f} {r['cpu']:8.2f} {r['gb']:8.2f}")
    print(
        f"{'ratio':10} {rec['wall'] / floor['wall']:7.2f}x {rec['cpu'] / floor['cpu']:7.2f}x "
        f"{rec['gb'] / floor['gb']:7.2f}x   (recommend / floor)"
    )
    print(f"targets: 10 s and 1 GB; met: {rec['wall'] <= 10 and rec['gb'] <= 1}")
    if same is not None:
        print(f"output identical to {args.reference}: {same}")


if __name__ == "__main__":
    main()
