"""Benchmark: is the privacy gate, the accounting and the quality tables linear in the data?

Run: nice .venv/bin/python bench/bench_linear.py [--sizes 0.5,1,2,4] [--pages] [--data DIR]

For each size (millions of order lines) the script writes Online-Retail-shaped order lines
(``../shared/tools/retail-like-data``, seeded; one customer per 125 lines, numeric ids from
12346) under ``--data`` (``/tmp/gate_data/bench``, never the repository), reads them
(``ingest.load_data``) and times, on the same machine in the same run:

- ``ingest.clean_dataset`` (the order-line rules, de-duplication, accounting);
- ``gate.known_values`` and the quality tables (``accounting_table``, ``completeness``,
  ``completeness_matrix``, ``date_coverage``, ``transactions_summary``, ``rule_counts``,
  ``column_mapping``, ``review_queue``);
- with ``--demo``: ``clean_dataset`` (de-duplication), ``known_values`` and ``review_queue``
  on the demo's customers file (names, phones, e-mails, planted look-alikes), one customer per
  125 lines (the retail-like data has ids only, so no look-alikes to review);
- with ``--pages``: ``gate.scan_page`` on each page of a ``crm-lab report`` run on that data
  (the executed notebooks exported as the runner exports them; minutes per size).

Each time is the best of at least ``--repeat`` runs and one second of runs. The table ends
with ``ratio``: ``time(largest) / time(1 M) / (largest / 1)``, 1.0 for a linear function, well
above it for one that grows faster (below 1: a fixed cost that the small size does not
amortise).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from crm_lab import ingest, synth
from crm_lab.privacy import KnownValues
from crm_lab.quality import tables as qt
from crm_lab.reporting import gate
from crm_lab.reporting.export import export_html

MIN_SECONDS = 1.0  # a function is run until this long (and --repeat times) for its best time


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    """The shortest time of ``fn`` over at least ``repeat`` runs and ``MIN_SECONDS`` (at most
    100 runs): a function of milliseconds is timed as often as one of seconds takes."""
    times, result, spent = [], None, 0.0
    while len(times) < repeat or (spent < MIN_SECONDS and len(times) < 100):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return min(times), result


TOOL = Path("shared") / "tools" / "retail-like-data"
GENERATOR = next((p / TOOL for p in Path(__file__).resolve().parents if (p / TOOL).exists()), TOOL)
AS_OF = "2011-12-09"  # the generator's last day
KEY = b"a-bench-key-of-thirty-two-bytes!"


def write_data(folder: Path, lines: int) -> Path:
    """Order lines into ``folder/transactions.parquet`` (once: the generator is seeded)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "transactions.parquet"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(GENERATOR), folder.name, str(lines), str(lines // 125), str(path)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return folder


def page_texts(folder: Path, work: Path) -> dict[str, str]:
    """Every page of a report run on ``folder``, as the runner gives it to the gate."""
    if not (work / "executed" / "run-plan.json").exists() or not any(
        (work / "executed").glob("*.metrics.json")
    ):
        env = dict(os.environ, CRM_LAB_KEY="a test key, long enough: 0f3c9e")
        subprocess.run(
            [sys.executable, "-m", "crm_lab", "report", "--data", str(folder), "--as-of", AS_OF,
             "--out", str(work.parent / f"{work.name}-reports"), "--work", str(work), "--quiet"],
            env=env,
            check=False,
        )  # fmt: skip
    pages = {}
    for path in sorted((work / "executed").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        pages[path.stem] = export_html(nb, title=path.stem, footer="bench")
    return pages


def demo_customers(folder: Path, customers: int) -> Path:
    """The demo's customers file for ``customers`` customers (names, phones, e-mails and
    planted look-alikes), once: what de-duplication and the review queue work on."""
    path = folder / "customers.csv"
    if not path.exists():
        demo = synth.make_demo(n_customers=customers, seed=5)
        with tempfile.TemporaryDirectory() as tmp:
            synth.write_demo(demo, tmp)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(tmp) / "customers.csv", path)
    return folder


def measure_demo(folder: Path, *, repeat: int) -> dict[str, float]:
    """clean_dataset (de-duplication), known_values and review_queue on demo customers."""
    raw = ingest.load_data(folder)
    times = {}
    times["demo clean_dataset"], data = best_of(lambda: ingest.clean_dataset(raw), repeat)
    times["demo known_values"], known = best_of(lambda: gate.known_values(data), repeat)
    times["demo known_values.forms"], _ = best_of(lambda: KnownValues(dict(known)).forms, repeat)
    times["demo review_queue"], _ = best_of(lambda: qt.review_queue(data, key=KEY), repeat)
    return times


def measure(folder: Path, *, repeat: int, pages: bool) -> dict[str, float]:
    raw = ingest.load_data(folder)
    times = {}
    times["clean_dataset"], data = best_of(lambda: ingest.clean_dataset(raw), repeat)
    times["known_values"], known = best_of(lambda: gate.known_values(data), repeat)
    calls = {
        "accounting_table": lambda: qt.accounting_table(data),
        "completeness": lambda: qt.completeness(data, as_of=AS_OF),
        "completeness_matrix": lambda: qt.completeness_matrix(data, as_of=AS_OF),
        "date_coverage": lambda: qt.date_coverage(data, as_of=AS_OF),
        "transactions_summary": lambda: qt.transactions_summary(data, as_of=AS_OF),
        "rule_counts": lambda: qt.rule_counts(data),
        "column_mapping": lambda: qt.column_mapping(data),
        "review_queue": lambda: qt.review_queue(data, key=KEY),
    }
    for name, fn in calls.items():
        times[name], _ = best_of(fn, repeat)
    if pages:
        known.forms  # noqa: B018  (worked out once per run, as the runner does)
        for slug, page in page_texts(folder, folder.parent / f"{folder.name}-work").items():
            times[f"scan_page {slug}"], _ = best_of(
                lambda p=page: gate.scan_page(p, known=known), 1
            )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.5,1,2,4", help="millions of order lines")
    parser.add_argument("--data", default="/tmp/gate_data/bench")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", action="store_true", help="also scan a report run's pages")
    parser.add_argument(
        "--demo", action="store_true", help="also demo customers, one per 125 lines"
    )
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    if 1.0 not in sizes:
        raise SystemExit("--sizes must hold 1 (the ratio is against 1 M lines)")
    results: dict[float, dict[str, float]] = {}
    for size in sizes:
        lines = int(size * 1_000_000)
        folder = write_data(Path(args.data) / f"{lines}", lines)
        start = time.perf_counter()
        results[size] = measure(folder, repeat=args.repeat, pages=args.pages)
        if args.demo:
            demo = demo_customers(Path(args.data) / f"{lines}-demo", lines // 125)
            results[size] |= measure_demo(demo, repeat=args.repeat)
        print(f"# {lines:,} lines measured in {time.perf_counter() - start:.0f} s", flush=True)
    top = max(sizes)
    names = list(dict.fromkeys(n for r in results.values() for n in r))
    head = f"{'function':34}" + "".join(f"{s:>9g}M" for s in sizes) + f"{'ratio':>8}"
    print(head)
    for name in names:
        row = [results[s].get(name, float("nan")) for s in sizes]
        one, big = results[1.0].get(name), results[top].get(name)
        ratio = big / one / top if one and big else float("nan")
        print(f"{name:34}" + "".join(f"{t:10.3f}" for t in row) + f"{ratio:8.2f}")


if __name__ == "__main__":
    main()
