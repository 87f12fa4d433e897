"""Check: reports on Online-Retail-shaped data with numeric customer ids publish, a leak does not.

Run: nice .venv/bin/python bench/check_numeric_ids.py [--lines 1000000] [--customers 10000]

Online Retail's customer ids are five-digit numbers (12346-18287), and so are many of its
product codes, counts and amounts: a privacy gate that treats every number equal to an id as a
leak refuses clean pages (issue 10, point 4). This script, not part of the test suite:

1. writes synthetic Online-Retail-shaped order lines with numeric ids from 12346
   (``../shared/tools/retail-like-data``; its product codes from 20000 overlap the ids when
   there are more than 7,654 customers) into a temporary folder, never into the repository;
2. runs ``crm-lab report`` on it with the shipped templates and prints every report's status
   and the run's seconds: every stakeholder page must be published;
3. copies the customer-value template into a temporary templates folder with one cell added
   that shows a customer id of the data as a table value (``--templates``), runs it, and checks
   that the privacy gate refuses that page and publishes nothing for it.

It exits 1 when a stakeholder page of step 2 is not published or the leak of step 3 is.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd

from crm_lab.reporting.templates import default_templates_dir

TOOL = Path("shared") / "tools" / "retail-like-data"
GENERATOR = next(
    (p / TOOL for p in Path(__file__).resolve().parents if (p / TOOL).exists()), TOOL
)  # the machine's shared tools folder, above the checkout
LEAK = """import pandas as pd

display.show_table(pd.DataFrame({{"customer_id": ["{cid}"], "revenue": [1.0]}}))"""


def report(data: Path, out: Path, work: Path, *, period: str, templates: Path | None = None):
    """Run ``crm-lab report`` in a child process; return its seconds, exit code and manifest."""
    cmd = [sys.executable, "-m", "crm_lab", "report", "--data", str(data), "--out", str(out)]
    cmd += ["--work", str(work), "--period", period]
    key = work.parent / "pseudonym.key"  # a named key file is never created on first use
    if not key.exists():
        from crm_lab import privacy

        privacy.new_pseudonym_key(key)
    cmd += ["--pseudonym-key-file", str(key)]
    if templates is not None:
        cmd += ["--templates", str(templates)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    manifest = out / period / "manifest.json"
    if not manifest.exists():
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"no manifest after the run (exit {done.returncode})")
    return seconds, done.returncode, json.loads(manifest.read_text("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--period", default="2011-11")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--generator", type=Path, default=GENERATOR)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="crm_lab_numeric_ids_") as tmp:
        tmp = Path(tmp)
        data = tmp / "retail.parquet"
        gen = [sys.executable, str(args.generator), "retail", str(args.lines)]
        gen += [str(args.customers), str(data), str(args.seed)]
        print(subprocess.run(gen, capture_output=True, text=True, check=True).stdout.strip())
        ids = pd.read_parquet(data, columns=["CustomerID"])["CustomerID"]
        codes = set(pd.read_parquet(data, columns=["StockCode"])["StockCode"].astype(str))
        overlap = len(set(ids.astype(str)) & codes)
        print(f"customer ids {ids.min()}..{ids.max()}; {overlap:,} product codes equal an id")

        # 2. the shipped templates: every stakeholder page publishes
        seconds, code, manifest = report(data, tmp / "out", tmp / "work", period=args.period)
        print(f"\nshipped templates ({default_templates_dir()}): exit {code}, {seconds:.1f} s")
        for r in manifest["reports"]:
            print(f"  {r['slug']:<20} {r['audience']:<13} {r['status']:<8} {r.get('reason') or ''}")
            if r["audience"] != "analyst" and r["status"] != "ok":
                ok = False
        published = sorted(p.name for p in (tmp / "out" / args.period).glob("*.html"))
        stakeholder = [r for r in manifest["reports"] if r["audience"] != "analyst"]
        print(f"  stakeholder pages published: {len(published)} of {len(stakeholder)}")

        # 3. a planted leak: a customer id of the data shown as a table value
        templates = tmp / "templates"
        templates.mkdir()
        notebook = nbformat.read(default_templates_dir() / "01-customer-value.ipynb", 4)
        cid = str(ids.iloc[0])
        notebook.cells.insert(-1, nbformat.v4.new_code_cell(LEAK.format(cid=cid)))
        nbformat.write(notebook, templates / "01-customer-value.ipynb")
        seconds, code, manifest = report(
            data, tmp / "leak-out", tmp / "leak-work", period=args.period, templates=templates
        )
        (leak,) = manifest["reports"]
        page = tmp / "leak-out" / args.period / f"{leak['slug']}.html"
        print(
            f"\nplanted leak (customer id ***{cid[-3:]} in a customer_id column): exit {code}, "
            f"{seconds:.1f} s, status {leak['status']}: {leak.get('reason') or ''}"
        )
        refused = leak["status"] == "failed" and "PrivacyGateError" in (leak.get("reason") or "")
        print(f"  refused by the privacy gate: {refused}; page written: {page.exists()}")
        ok = ok and refused and not page.exists()
    print("\nOK" if ok else "\nNOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
