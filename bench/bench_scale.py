"""Benchmark: crm_lab at scale (issue 13), millions of Online-Retail-shaped order lines.

Run: .venv/bin/python bench/bench_scale.py [--sizes 5M,20M] [--huge] [--spark] [--report]

For each size (5 M lines, ~55 k customers and 20 M, ~188 k, by default; 100 M with --huge), the
seeded generator ``shared/tools/retail-like-data`` writes the order lines once into the cache
folder (--cache, default /tmp/crm_lab_scale/<size>/raw). Then, per size:

- load + clean: ``ingest.read_clean`` and ``ingest.save_tables`` (the cleaned Parquet snapshot,
  <size>/tables) in a child process, its wall time and the peak memory (RSS summed over the
  process and its children, sampled with psutil);
- each event-level total of ``crm_lab.engine.events`` (customer_totals, purchase_days,
  monthly_totals, headline_totals) and ``value.rfm.rfm_table`` on the DuckDB engine over the
  snapshot's transactions.parquet, against a floor measured in the same run: the same totals
  written plainly in DuckDB SQL over the same file, on a DuckDB connection with the same memory
  limit and threads, fetched into pandas like the engine's. Best of --repeat runs each; the
  ratio engine/floor has the target <= 2x, and the engine's result must equal the floor's
  (same rows, same counts, amounts within 1e-6, plus 1e-12 of the amount for a sum's last bits;
  the headline's amounts, which the engine rounds to the cent, within a cent);
- with --spark, the same totals on the Spark engine in local mode, against the DuckDB engine
  (target <= 3x at 20 M), equal to it;
- with --report, ``crm-lab report --engine auto`` on the size's raw file (as-of its last day)
  in a child process: wall time and peak memory over all its processes, kernels included
  (target at 20 M: 5 minutes and 8 GB).

The table at the end is also written to bench/RESULTS-scale.md (--results) with the date, the
machine's cores and memory and the command line; a new run's section replaces the section of
an earlier run with the same command line. Not part of ``make bench``: ``make bench-scale``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import psutil
from timing import best_of  # bench/ is on the path when run as a script

from crm_lab import engine
from crm_lab.core.lines import day_end
from crm_lab.engine import events
from crm_lab.value import rfm

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared/tools/retail-like-data"
if not GENERATOR.is_file():  # a worktree beside the main checkout
    GENERATOR = Path("/work/shared/tools/retail-like-data")
RESULTS = Path(__file__).resolve().parent / "RESULTS-scale.md"
SIZES = {"1M": 1_000_000, "5M": 5_000_000, "20M": 20_000_000, "100M": 100_000_000}
# the generator's customer count for each size; about 92 % of them buy (5 M lines: ~55 k buyers,
# 20 M: ~188 k); other sizes scale as lines ** 0.887, which joins those two
CUSTOMERS = {"1M": 11_000, "5M": 60_000, "20M": 200_000, "100M": 830_000}
SEED = 42
KEY = "a test key, long enough: 0f3c9e"
MiB = 2**20


# --- sizes, data and child processes -------------------------------------------------------------


def parse_size(text: str) -> tuple[str, int]:
    """'5M' -> ('5M', 5_000_000); '250k' and plain numbers work too."""
    text = text.strip()
    unit = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    number = float(text[:-1] if unit > 1 else text)
    return text.upper() if unit > 1 else text, int(number * unit)


def customers_for(label: str, lines: int) -> int:
    return CUSTOMERS.get(label) or int(60_000 * (lines / 5_000_000) ** 0.887)


def generate(folder: Path, label: str, lines: int) -> Path:
    """The size's raw order lines (``<folder>/raw/transactions.parquet``), written if missing."""
    out = folder / "raw" / "transactions.parquet"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(".transactions.parquet.partial")
    command = [sys.executable, str(GENERATOR), f"retail-{label}", str(lines)]
    command += [str(customers_for(label, lines)), str(partial), str(SEED)]
    print(f"  generating {lines:,} lines: {shlex.join(command)}", flush=True)
    subprocess.run(command, check=True)
    partial.rename(out)
    return out


@dataclass
class Measured:
    seconds: float
    peak_bytes: int
    output: str
    returncode: int = 0


def run_measured(command: list[str], *, env: dict | None = None, check=True) -> Measured:
    """Run a command; its wall time and the peak of the RSS summed over it and its children.

    ``check``: a non-zero exit is an error (else it is returned in ``returncode``).
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        root, peak = psutil.Process(child.pid), 0
        while child.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            total = 0
            for proc in tree:
                try:
                    total += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            peak = max(peak, total)
            time.sleep(0.1)
        child.wait()
        seconds = time.perf_counter() - start
        log.seek(0)
        output = log.read()
    if child.returncode and check:
        raise RuntimeError(f"{shlex.join(command)} exited {child.returncode}:\n{output[-3000:]}")
    return Measured(seconds, peak, output, child.returncode)


LOAD = """
import sys
from crm_lab import ingest
from crm_lab.engine import row_count
dataset = ingest.read_clean(sys.argv[1], engine=sys.argv[3], max_uncompressed_mb=1e6)
ingest.save_tables(dataset, sys.argv[2])
print(row_count(dataset.tables["transactions"]))
"""


def load_and_clean(raw: Path, snapshot: Path, *, on: str = "pandas") -> Measured:
    """``read_clean`` + ``save_tables`` in a child process (the snapshot the engines read):
    in memory (``pandas``) or out of core (``duckdb``: batches, ``ingest.parts``)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path[1:]])}
    return run_measured([sys.executable, "-c", LOAD, str(raw), str(snapshot), on], env=env)


# --- the floor: the same totals in plain DuckDB SQL ----------------------------------------------

SALE = "line_type = 'sale' AND quantity > 0 AND ordered_at < $end"
FLOOR_SQL = {
    "customer_totals": f"""
        SELECT customer_id, count(DISTINCT invoice_id) AS orders, sum(amount) AS revenue,
               min(ordered_at) AS first_purchase_at, max(ordered_at) AS last_purchase_at
        FROM read_parquet($file)
        WHERE {SALE} AND customer_id IS NOT NULL
        GROUP BY customer_id ORDER BY customer_id""",
    "purchase_days": f"""
        SELECT customer_id, date_trunc('day', ordered_at) AS day, sum(amount) AS amount
        FROM read_parquet($file)
        WHERE {SALE} AND customer_id IS NOT NULL AND amount >= 0
        GROUP BY ALL ORDER BY customer_id, day""",
    "monthly_totals": f"""
        SELECT year(ordered_at) AS year, month(ordered_at) AS month_number,
               sum(amount) AS revenue, count(DISTINCT invoice_id) AS orders,
               count(DISTINCT customer_id) AS customers
        FROM read_parquet($file)
        WHERE {SALE}
        GROUP BY ALL ORDER BY year, month_number""",
    "headline_totals": """
        SELECT count(*) AS lines,
          sum(amount) FILTER (line_type = 'sale' AND quantity > 0) AS revenue,
          sum(amount) FILTER (line_type = 'sale' AND quantity > 0 AND customer_id IS NULL)
            AS anonymous_revenue,
          count(DISTINCT invoice_id)
            FILTER (line_type = 'sale' AND quantity > 0 AND customer_id IS NULL)
            AS anonymous_invoices,
          count(DISTINCT customer_id) FILTER (line_type = 'sale' AND quantity > 0) AS buyers,
          count(DISTINCT invoice_id) FILTER (line_type = 'sale' AND quantity > 0) AS orders,
          sum(amount) FILTER (line_type = 'cancellation') AS cancelled_amount,
          count(DISTINCT invoice_id) FILTER (line_type = 'cancellation') AS cancelled_invoices,
          sum(amount) FILTER (line_type = 'return') AS returned_amount,
          count(DISTINCT invoice_id) FILTER (line_type = 'return') AS returned_invoices,
          min(ordered_at) AS first_order, max(ordered_at) AS last_order
        FROM read_parquet($file)
        WHERE ordered_at < $end AND ordered_at >= $start""",
    "rfm_table": f"""
        SELECT customer_id,
               date_diff('day', max(ordered_at)::DATE, $as_of::DATE) AS recency_days,
               count(DISTINCT invoice_id) AS orders, sum(amount) AS revenue,
               min(ordered_at) AS first_purchase_at, max(ordered_at) AS last_purchase_at,
               date_diff('day', min(ordered_at)::DATE, $as_of::DATE) AS tenure_days
        FROM read_parquet($file)
        WHERE {SALE} AND customer_id IS NOT NULL
        GROUP BY customer_id ORDER BY customer_id""",
}
STEPS = tuple(FLOOR_SQL)


@dataclass
class Window:
    as_of: pd.Timestamp  # the data's last day
    end: pd.Timestamp  # day_end(as_of), exclusive
    start: pd.Timestamp  # the headline's window: the as-of month


def engine_step(step: str, lines, w: Window):
    """One of the engine's totals (or rfm_table) on an engine's table of order lines."""
    if step == "customer_totals":
        return events.customer_totals(lines, end=w.end)
    if step == "purchase_days":
        return events.purchase_days(lines, end=w.end)
    if step == "monthly_totals":
        return events.monthly_totals(lines, end=w.end)
    if step == "headline_totals":
        return events.headline_totals(lines, end=w.end, start=w.start)
    return rfm.rfm_table(lines, as_of=w.as_of)


def floor_step(step: str, con, file: Path, w: Window) -> pd.DataFrame:
    names = {"file": str(file), "end": w.end, "start": w.start, "as_of": w.as_of}
    sql = FLOOR_SQL[step]
    return con.execute(sql, {k: v for k, v in names.items() if f"${k}" in sql}).df()


def as_frame(step: str, result) -> pd.DataFrame:
    """A step's result as a DataFrame in the floor's shape (months as year and month number)."""
    if isinstance(result, dict):
        return pd.DataFrame([result])
    if step == "monthly_totals" and "month" in result:
        month = result["month"]
        result = result.drop(columns="month").assign(
            year=month.dt.year.to_numpy(), month_number=month.dt.month.to_numpy()
        )
    return result


def differences(step: str, got, expected) -> list[str]:
    """How two results of a step differ (empty: equal): rows, columns, counts, times, amounts."""
    a, b = as_frame(step, got), as_frame(step, expected)
    if len(a) != len(b):
        return [f"{len(a):,} rows against {len(b):,}"]
    problems = []
    for column in b.columns:
        if column not in a:
            problems.append(f"no column {column}")
            continue
        x, y = a[column].reset_index(drop=True), b[column].reset_index(drop=True)
        if pd.api.types.is_float_dtype(y) or pd.api.types.is_float_dtype(x):
            # the engine rounds amounts to 6 decimals, a headline's to the cent
            tolerance = 0.01 if step == "headline_totals" else 1e-6
            xs = x.astype("float64").fillna(0.0).to_numpy()
            ys = y.astype("float64").fillna(0.0).to_numpy()
            # plus 1e-12 relative: two engines add millions of amounts in different orders,
            # so a month's sum (tens of millions) can round to the next 1e-6 on one of them
            worst = float(np.max(np.abs(xs - ys), initial=0.0))
            if not np.allclose(xs, ys, rtol=1e-12, atol=tolerance):
                problems.append(f"{column}: off by up to {worst:.3g}")
        elif pd.api.types.is_datetime64_any_dtype(y) or pd.api.types.is_datetime64_any_dtype(x):
            if not (
                pd.to_datetime(x)
                .astype("datetime64[us]")
                .equals(pd.to_datetime(y).astype("datetime64[us]"))
            ):
                problems.append(f"{column}: times differ")
        else:
            xs, ys = x.astype("string").fillna("<NA>"), y.astype("string").fillna("<NA>")
            if not xs.equals(ys):
                problems.append(f"{column}: {int((xs != ys).sum()):,} values differ")
    return problems


# --- one size ------------------------------------------------------------------------------------


@dataclass
class Row:
    size: str
    what: str
    seconds: float
    peak: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""
    equal: str = ""


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def bench_size(label: str, lines: int, args, rows: list[Row]) -> None:
    folder = args.cache / label
    raw = generate(folder, label, lines)
    snapshot = folder / "tables"
    print(f"\n{label}: {lines:,} order lines ({raw})", flush=True)
    if args.skip_load and (snapshot / "transactions.parquet").is_file():
        print("  load + clean: skipped (--skip-load), the cached snapshot is read", flush=True)
    else:
        for on in ("duckdb",) if args.out_of_core_only else ("pandas", "duckdb"):
            m = load_and_clean(raw, snapshot, on=on)
            clean = int(m.output.split()[-1])
            how = "in memory" if on == "pandas" else "out of core, DuckDB"
            print(
                f"  load + clean + snapshot ({how}): {m.seconds:7.1f} s, peak "
                f"{m.peak_bytes / MiB:,.0f} MiB, {clean:,} clean lines",
                flush=True,
            )
            what = f"load + clean + snapshot ({how})"
            rows.append(Row(label, what, m.seconds, f"{m.peak_bytes / MiB:,.0f}"))
    file = snapshot / "transactions.parquet"

    limit = f"{int(args.memory_gb * 1024)}MiB"
    con = duckdb.connect(config={"memory_limit": limit, "threads": args.threads})
    last = con.execute("SELECT max(ordered_at) FROM read_parquet($f)", {"f": str(file)}).fetchone()
    as_of = pd.Timestamp(last[0]).normalize()
    w = Window(as_of=as_of, end=day_end(as_of), start=as_of.replace(day=1))
    duck = engine.connect("duckdb", memory_gb=args.memory_gb, threads=args.threads)
    on_duck = duck.lines(file)
    buyers = con.execute(
        "SELECT count(DISTINCT customer_id) FROM read_parquet($f)", {"f": str(file)}
    ).fetchone()[0]
    print(
        f"  as of {as_of.date()}, {buyers:,} customers; DuckDB memory limit {limit}, "
        f"{args.threads} threads; best of {args.repeat}",
        flush=True,
    )
    duck_times, duck_results = {}, {}
    for step in STEPS:
        t_floor, expected = best_of(partial(floor_step, step, con, file, w), args.repeat)
        t_engine, got = best_of(partial(engine_step, step, on_duck, w), args.repeat)
        duck_times[step], duck_results[step] = t_engine, got
        problems = differences(step, got, expected)
        equal = "equal" if not problems else "DIFFERENT: " + "; ".join(problems)
        ratio = t_engine / t_floor
        print(
            f"  {step:<16} floor {t_floor:7.2f} s  duckdb engine {t_engine:7.2f} s  "
            f"{ratio:5.2f}x (target <= 2x: {verdict(ratio <= 2)})  {equal}",
            flush=True,
        )
        rows.append(Row(label, f"floor: {step} (DuckDB SQL)", t_floor))
        rows.append(
            Row(
                label,
                f"{step} (duckdb engine)",
                t_engine,
                "",
                f"{ratio:.2f}x",
                "<= 2x",
                verdict(ratio <= 2),
                equal,
            )
        )
    con.close()

    if args.spark:
        # pyspark 4.x warns on every call that it does not yet know pandas 3
        warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
        spark = engine.connect("spark", memory_gb=args.memory_gb)
        on_spark = spark.lines(file)
        for step in STEPS:
            t_spark, got = best_of(partial(engine_step, step, on_spark, w), args.repeat)
            problems = differences(step, got, duck_results[step])
            equal = "equal" if not problems else "DIFFERENT: " + "; ".join(problems)
            ratio = t_spark / duck_times[step]
            target = "<= 3x at 20M" if lines >= 20_000_000 else "(<= 3x at 20M)"
            met = verdict(ratio <= 3) if lines >= 20_000_000 else f"({verdict(ratio <= 3)})"
            print(
                f"  {step:<16} spark engine {t_spark:7.2f} s  {ratio:5.2f}x of the duckdb "
                f"engine ({target}: {met})  {equal}",
                flush=True,
            )
            rows.append(
                Row(
                    label,
                    f"{step} (spark engine, vs duckdb engine)",
                    t_spark,
                    "",
                    f"{ratio:.2f}x",
                    target,
                    met,
                    equal,
                )
            )
        spark.session.stop()

    if args.report:
        with tempfile.TemporaryDirectory(dir=args.cache) as tmp:
            command = [str(Path(sys.executable).with_name("crm-lab")), "report"]
            command += ["--data", str(raw.parent), "--as-of", str(as_of.date())]
            command += ["--out", f"{tmp}/reports", "--work", f"{tmp}/work", "--engine", "auto"]
            env = {**os.environ, "CRM_LAB_KEY": KEY}
            env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *sys.path[1:]])
            # exit 1: a report failed (said in its last lines); the run is still measured
            m = run_measured(command, env=env, check=False)
        for line in m.output.strip().splitlines()[-12:]:  # the run's last lines: each report
            print(f"    | {line}")
        status = "every report published" if m.returncode == 0 else f"exit {m.returncode}"
        if lines >= 100_000_000:  # 100M: the report set completes within 16 GB
            ok = m.peak_bytes <= 16 * 2**30 and m.returncode == 0
            target, counted = "completes, <= 16 GiB at 100M", True
        else:  # 20M: within 5 minutes and 8 GB; smaller sizes are shown, not judged
            ok = m.seconds <= 300 and m.peak_bytes <= 8 * 2**30 and m.returncode == 0
            target, counted = "<= 300 s, <= 8 GiB at 20M", lines >= 20_000_000
        print(
            f"  crm-lab report --engine auto: {m.seconds:7.1f} s, peak {m.peak_bytes / MiB:,.0f} "
            f"MiB, {status} (target {target}: {verdict(ok) if counted else 'n/a'})",
            flush=True,
        )
        rows.append(
            Row(
                label,
                "crm-lab report --engine auto (all reports)",
                m.seconds,
                f"{m.peak_bytes / MiB:,.0f}",
                "",
                target,
                verdict(ok) if counted else f"({verdict(ok)})",
                status,
            )
        )


# --- the table and the results file --------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = "| size | what | seconds | peak MiB | ratio | target | met | result |"
    lines = [head, "|---|---|---:|---:|---:|---|---|---|"]
    for r in rows:
        cells = [r.size, r.what, f"{r.seconds:.2f}", r.peak, r.ratio, r.target, r.met, r.equal]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(path: Path, section: str, command: str) -> None:
    """Add this run's section to the results file, replacing one with the same command line."""
    marker = f"Command: `{command}`"
    kept = []
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        for part in text.split("\n## ")[1:]:
            if marker not in part:
                kept.append("## " + part.rstrip() + "\n")
    head = (
        "# crm_lab at scale (bench/bench_scale.py)\n\n"
        "Written by `make bench-scale` (bench/bench_scale.py); one section per command line, "
        "newest last.\n"
    )
    path.write_text("\n".join([head, *kept, section]), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5M,20M", help="comma-separated, e.g. 1M,5M")
    parser.add_argument("--huge", action="store_true", help="add 100M to the sizes")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/crm_lab_scale"))
    parser.add_argument("--spark", action="store_true", help="the Spark engine (local mode) too")
    parser.add_argument("--report", action="store_true", help="the whole report set too")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-load", action="store_true", help="reuse a cached snapshot")
    parser.add_argument(
        "--out-of-core-only",
        action="store_true",
        help="load + clean only out of core (100M lines do not fit in memory on pandas)",
    )
    parser.add_argument(
        "--memory-gb",
        type=float,
        default=None,
        help="DuckDB's memory limit, both engine and floor, and Spark's driver "
        "memory (default: a quarter of the machine's, as the engine's)",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--note", default="", help="a line about the machine's state")
    args = parser.parse_args()
    ram = psutil.virtual_memory().total
    args.memory_gb = args.memory_gb or max(1.0, round(ram / 4 / 2**30, 1))
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.huge and all(n != SIZES["100M"] for _, n in sizes):
        sizes.append(("100M", SIZES["100M"]))
    command = shlex.join(["python", "bench/bench_scale.py", *sys.argv[1:]])
    cores = os.cpu_count()
    machine = f"{cores} cores, {ram / 2**30:.1f} GiB RAM"
    print(f"crm_lab at scale: {machine}; {command}", flush=True)

    rows: list[Row] = []
    load_before = os.getloadavg()[0]
    for label, lines in sizes:
        bench_size(label, lines, args, rows)
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"

    print("\n" + table(rows))
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"## {now}\n\nCommand: `{command}`\n\nMachine: {machine}, Python "
        f"{sys.version.split()[0]}, DuckDB {duckdb.__version__}; DuckDB memory limit "
        f"{args.memory_gb} GiB, {args.threads} threads; best of {args.repeat}; {load}."
        + (f" {args.note}" if args.note else "")
        + "\n\n"
        + table(rows)
        + "\n"
    )
    write_results(args.results, section, command)
    print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
