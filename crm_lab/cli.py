"""The ``crm-lab`` command line: demo data, validation and the period's reports."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path

from crm_lab import __version__

__all__ = ["main"]


def _date(text: str) -> str:
    """A command-line date: ISO ``YYYY-MM-DD`` only (``01/02/2025`` would be a guess)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError(text)
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


class _Parser(argparse.ArgumentParser):
    """An argument parser that takes options only by their full names (``--dat`` is no
    ``--data``): an abbreviation would change meaning the day an option is added."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def _positive(text: str) -> int:
    """A command line's count into an int of at least 1, else argparse's error line."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


def _parser() -> argparse.ArgumentParser:
    from crm_lab.engine.session import AUTO_LINES, ENGINES

    p = _Parser(prog="crm-lab", description=__doc__)
    p.add_argument("--version", action="version", version=f"crm_lab {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    d = sub.add_parser("demo-data", help="write seeded demo CRM export files into a folder")
    d.add_argument("--out", required=True, type=Path, help="folder to write (created)")
    d.add_argument("--customers", type=int, default=5000, help="number of customers (5000)")
    d.add_argument("--seed", type=int, default=0, help="random seed (0)")
    d.add_argument("--start", type=_date, default="2024-01-01", help="first day (2024-01-01)")
    d.add_argument("--end", type=_date, default="2025-12-31", help="last day (2025-12-31)")

    r = sub.add_parser(
        "report",
        help="build the period's HTML reports and the index",
        description="Build the period's HTML reports. Cron, on the 2nd of each month at 06:00: "
        "0 6 2 * * cd /path/to/crm_lab && .venv/bin/crm-lab report --data data/raw "
        "--period last-month --out reports",
    )
    r.add_argument("--data", required=True, type=Path, help="folder of table files, or one file")
    r.add_argument("--out", required=True, type=Path, help="reports folder (index.html goes here)")
    r.add_argument(
        "--period",
        help="last-month, this-month, last-quarter, last-week, last-year, "
        "YYYY-MM, YYYY-Qn or YYYY (default: the as-of month)",
    )
    r.add_argument(
        "--as-of",
        type=_date,
        help="inclusive cut-off day YYYY-MM-DD (default: the period's last day)",
    )
    r.add_argument("--lang", choices=["en", "zh"], default="en", help="report language")
    r.add_argument("--params", type=Path, help="YAML file of template parameters")
    r.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter (repeatable); values stay text: 007 is '007'",
    )
    r.add_argument(
        "--work",
        type=Path,
        help="analyst folder (default: data/interim/<out-name>-<hash of --out>/<period> under "
        "the current folder); locked like --out",
    )
    r.add_argument(
        "--templates", type=Path, help="folder of NN-slug.ipynb report templates (the shipped ones)"
    )
    r.add_argument(
        "--stale-after-days",
        type=int,
        default=7,
        metavar="DAYS",
        help="warn when the data ends more than DAYS days before the as-of day (7)",
    )
    r.add_argument(
        "--cell-timeout",
        type=int,
        default=1800,
        metavar="SECONDS",
        help="a template cell running longer fails that report, the others still run (1800)",
    )
    r.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="where order lines are totalled: pandas, duckdb (in-process, out of core) or "
        f"spark; auto: duckdb from {AUTO_LINES:,} order lines, else pandas",
    )
    r.add_argument(
        "--spark-master",
        metavar="URL",
        help="the Spark master for --engine spark (default local[*]; $SPARK_REMOTE names a "
        "Spark Connect server instead)",
    )
    r.add_argument(
        "--states",
        type=Path,
        help="the store of customers' states, one snapshot per as-of day (default: "
        "<work>/states, or data/interim/<reports>-<hash>/states)",
    )
    r.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="reports run side by side, each in its own kernel (3; 1 on the duckdb or "
        "spark engine, so that memory is one kernel's at a time)",
    )
    r.add_argument(
        "--quiet",
        action="store_true",
        help="print only warnings and errors (for cron); the exit code still tells the outcome",
    )

    ru = sub.add_parser("rules", help="mine association rules and write them as CSV")
    ru.add_argument(
        "--data",
        required=True,
        type=Path,
        help="transactions (a folder or file), or a basket file: one basket per line, "
        "items comma-separated",
    )
    ru.add_argument("--min-support", required=True, type=float)
    ru.add_argument("--min-confidence", required=True, type=float)
    ru.add_argument("--single-consequent", action="store_true", help="one item on the right")
    ru.add_argument("--level", choices=["product", "category"], default="product")
    ru.add_argument("--max-len", type=int, help="longest itemset")
    ru.add_argument("--algorithm", choices=["eclat", "fpgrowth", "apriori"], default="eclat")
    ru.add_argument("--out", required=True, type=Path, help="CSV file to write")

    rc = sub.add_parser("recommend", help="per-customer product recommendations as CSV for a CRM")
    rc.add_argument("--data", required=True, type=Path, help="folder of table files, or one file")
    rc.add_argument("--as-of", required=True, type=_date, help="history up to this day")
    rc.add_argument("--min-support", type=float, default=0.002)
    rc.add_argument("--min-confidence", type=float, default=0.05)
    rc.add_argument("--top-n", type=int, default=5)
    for command in (ru, rc):
        command.add_argument(
            "--min-baskets",
            type=int,
            default=5,  # privacy.MIN_GROUP (tests check it), not imported: the CLI starts fast
            help="leave out rules whose items are together in fewer baskets (default 5: a rule "
            "of one basket describes that basket)",
        )
    rc.add_argument("--out", required=True, type=Path, help="CSV file to write")
    rc.add_argument(
        "--raw-ids",
        action="store_true",
        help="write the CRM's own customer ids (default: keyed pseudonyms)",
    )
    sn = sub.add_parser(
        "snapshots",
        help="store the customers' states of a range of past days (month ends by default), "
        "for migration over many periods",
    )
    sn.add_argument("--data", required=True, type=Path, help="folder of table files, or one file")
    sn.add_argument("--from", dest="first", required=True, type=_date, help="first day")
    sn.add_argument("--to", dest="last", required=True, type=_date, help="last day")
    sn.add_argument(
        "--every",
        choices=["month", "week"],
        default="month",
        help="month: each month's last day (and --to); week: each Sunday (and --to)",
    )
    sn.add_argument("--states", required=True, type=Path, help="the store's folder")
    sn.add_argument("--random-state", type=int, default=0, help="seed of the clustering")
    sv = sub.add_parser(
        "service",
        help="the support desk's figures (response and resolution hours, breaches, backlog, "
        "CSAT) for all tickets, per problem type and per team, as CSV",
    )
    sv.add_argument("--data", required=True, type=Path, help="folder of table files, or one file")
    sv.add_argument(
        "--as-of",
        type=_date,
        help="the day the figures are for (default: the export's last ticket time)",
    )
    sv.add_argument(
        "--target",
        action="append",
        type=_target,
        metavar="PRIORITY=HOURS",
        help="resolution target of a priority, in hours (repeatable; * for any other): a "
        "ticket without its own due date is due then",
    )
    sv.add_argument("--out", required=True, type=Path, help="CSV file to write")
    mv = sub.add_parser(
        "moves",
        help="who moved between two stored days of the store of states (segment, stage, tier "
        "or cluster), most value at stake first, as CSV for an analyst",
    )
    mv.add_argument("--states", required=True, type=Path, help="the store's folder")
    mv.add_argument("--from", dest="first", required=True, type=_date, help="the earlier day")
    mv.add_argument("--to", dest="last", required=True, type=_date, help="the later day")
    mv.add_argument(
        "--column",
        choices=["segment", "lifecycle_stage", "value_tier", "cluster"],
        default="segment",
        help="the state whose moves are listed (default: the RFM segment)",
    )
    mv.add_argument("--out", required=True, type=Path, help="CSV file to write")
    mv.add_argument(
        "--data-key-file", type=Path, help="the key of an encrypted store (*.parquet.enc)"
    )
    sc = sub.add_parser(
        "scores",
        help="one row per customer for a CRM: RFM scores and segment, value tier, lifecycle "
        "stage, cluster and tags, as CSV",
    )
    sc.add_argument("--data", required=True, type=Path, help="folder of table files, or one file")
    sc.add_argument("--as-of", required=True, type=_date, help="history up to this day")
    sc.add_argument("--out", required=True, type=Path, help="CSV file to write")
    sc.add_argument("--random-state", type=int, default=0, help="seed of the clustering")
    sc.add_argument(
        "--states",
        type=Path,
        help="a store of customers' states (a report run's, or crm-lab snapshots'): the "
        "clusters keep its ids, as the pages do",
    )
    for command in (sc, sn):
        command.add_argument(
            "--tags",
            type=Path,
            help="a YAML file of tag rules (default: the built-in crm_lab/ingest/tags.yaml: "
            "new, returning, vip, at_risk, dormant, frequent_complainer)",
        )
    for command in (sc, mv):
        command.add_argument(
            "--raw-ids",
            action="store_true",
            help="write the CRM's own customer ids (default: keyed pseudonyms)",
        )
    for command in (r, rc, sc, mv):
        command.add_argument(
            "--pseudonym-key-file",
            type=Path,
            help="key for customer pseudonyms (default: $CRM_LAB_KEY, else "
            "~/.config/crm_lab/pseudonym.key, created on first use)",
        )

    for name, text in (
        ("encrypt", "encrypt a data file (authenticated, Fernet)"),
        ("decrypt", "decrypt a file written by crm-lab encrypt"),
    ):
        e = sub.add_parser(name, help=text)
        e.add_argument("src", type=Path)
        e.add_argument("dst", type=Path)
        e.add_argument(
            "--key-file",
            required=True,
            type=Path,
            help="key file (encrypt creates it, mode 0600, when missing)",
        )
    nk = sub.add_parser("new-key", help="write a new key file (mode 0600); never overwrites one")
    nk.add_argument("file", type=Path)
    kind = nk.add_mutually_exclusive_group(required=True)
    kind.add_argument("--pseudonym", action="store_true", help="a key for customer pseudonyms")
    kind.add_argument("--data", action="store_true", help="a key for crm-lab encrypt")

    pr = sub.add_parser("profiles", help="list the export profiles (systems whose files it reads)")
    pr.add_argument("--profiles", type=Path, help="a YAML export profile, or a folder of them")

    v = sub.add_parser("validate", help="load and clean the data, print a summary per table")
    v.add_argument("--data", required=True, type=Path, help="folder of table files, or one file")
    for command in (r, v, ru, rc, sc, sn, sv):
        command.add_argument(
            "--data-key-file", type=Path, help="key for encrypted input files (*.enc)"
        )
        command.add_argument("--aliases", type=Path, help="YAML file of extra header aliases")
        command.add_argument("--policies", type=Path, help="YAML file of cleaning policies")
        command.add_argument(
            "--profile",
            help="the system the export comes from (salesforce, shopify, taobao, ...; "
            "detected from the headers when omitted; crm-lab profiles lists them)",
        )
        command.add_argument(
            "--profiles", type=Path, help="a YAML export profile, or a folder of them"
        )
        command.add_argument(
            "--column",
            action="append",
            type=_column_choice,
            metavar="[TABLE.]COLUMN=HEADER",
            help="read COLUMN from the header HEADER (repeatable): customer_id=AccountId",
        )
        command.add_argument(
            "--phone-region",
            type=_region,
            help="ISO region of phone numbers without a country code on rows without a "
            "country (US, GB, CN, ...)",
        )
        command.add_argument(
            "--max-uncompressed-mb",
            type=_megabytes,
            help="the most a compressed input (.gz, .zip, .xlsx, Parquet) may expand to "
            "before it is read (default 200, or $CRM_LAB_MAX_UNCOMPRESSED_MB)",
        )
    for command in (r, v):  # the old name of --data-key-file, kept working
        command.add_argument("--key-file", dest="old_key_file", type=Path, help=argparse.SUPPRESS)
    return p


def _column_choice(text: str) -> tuple[str, str]:
    """``[TABLE.]COLUMN=HEADER`` into (``[TABLE.]COLUMN``, ``HEADER``)."""
    key, sep, header = text.partition("=")
    if not sep or not key.strip() or not header.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected [TABLE.]COLUMN=HEADER")
    return key.strip(), header.strip()


def _region(text: str) -> str:
    """A two-letter region that phone numbers know (``phonenumbers``' regions)."""
    import phonenumbers

    region = text.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a region; expected a two-letter ISO code such as US, GB or CN"
        )
    return region


def _reading(args) -> dict:
    """How the command's input is read: its profile, column choices and phone region."""
    return {
        "profile": args.profile,
        "profiles": args.profiles,
        "columns": dict(args.column or []),
        "phone_region": args.phone_region,
    }


def _megabytes(text: str) -> float:
    """An option's text into a positive number of megabytes (argparse says which option)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; expected megabytes > 0")
    return value


def _data_key_file(args) -> Path | None:
    """The data-encryption key file: ``--data-key-file``, or the deprecated ``--key-file``."""
    old = getattr(args, "old_key_file", None)
    if old is not None and args.data_key_file is None:
        print("note: --key-file is deprecated here; use --data-key-file", file=sys.stderr)
        return old
    return args.data_key_file


def _read(args):
    """Read ``--data`` into a clean dataset with the command's aliases, policies and data key."""
    from crm_lab.ingest import read_clean

    return read_clean(
        args.data,
        aliases=args.aliases,
        policies=args.policies,
        data_key_file=_data_key_file(args),
        max_uncompressed_mb=args.max_uncompressed_mb,
        **_reading(args),
    )


def _demo_data(args) -> int:
    from crm_lab.synth import make_demo, write_demo

    if args.end <= args.start:
        print(f"error: --end {args.end} must be after --start {args.start}", file=sys.stderr)
        return 2
    demo = make_demo(n_customers=args.customers, start=args.start, end=args.end, seed=args.seed)
    paths = write_demo(demo, args.out)
    for table, path in paths.items():
        print(f"{table:<20} {len(demo.tables[table]):>8,} rows  {path}")
    return 0


def _validate(args) -> int:
    from crm_lab.core.schemas import validate
    from crm_lab.privacy import mask_text
    from crm_lab.quality import accounting_table

    dataset = _read(args)
    status = 0
    acc = accounting_table(dataset).set_index("table")
    for table, frame in dataset.tables.items():
        problems = validate(frame, table)
        q = dataset.quarantine[dataset.quarantine["table"] == table]
        n_vals = int((q["action"] == "value_quarantined").sum())
        if table in acc.index:
            a = acc.loc[table]
            counts = (
                f"{int(a['rows_in']):>9,} rows in  {len(frame):>9,} clean  "
                f"{int(a['rows_quarantined']):>6,} quarantined  {int(a['rows_merged']):>6,} "
                f"merged  {n_vals:>6,} values quarantined"
            )
        else:
            counts = f"{len(frame):>9,} rows (derived)"
        print(f"{table:<20} {counts}")
        for (column, rule, action), n in q.groupby(["column", "rule", "action"]).size().items():
            print(f"    {column or '(row)'}: {rule} ({action}) x{n}")
        for problem in problems:  # may quote values: masked like every message
            print(f"    PROBLEM {mask_text(str(problem))}")
            status = 1
    if len(dataset.review):
        print(f"look-alike customers left for review: {len(dataset.review)}")
    for note in dataset.notes:
        print(f"note: {mask_text(note)}")
    return status


class _Console:
    """Progress lines onto stderr, whole lines only (reports run in threads); with ``quiet``,
    only warnings and errors: lines that start, after a ``[i/n] slug:`` tag, with
    ``warning``, ``error`` or ``FAILED`` (or hold ``FAILED``), as a cron job wants."""

    _SERIOUS = re.compile(r"^\s*(\[\d+/\d+\] \S+: )?(warning|error)\b|FAILED", re.I)

    def __init__(self, *, quiet: bool = False):
        self.quiet = quiet
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        if self.quiet and not self._SERIOUS.search(line):
            return
        with self._lock:
            sys.stderr.write(line.rstrip("\n") + "\n")
            sys.stderr.flush()


def _report(args) -> int:
    started = time.perf_counter()
    from crm_lab.reporting.run import RunInterrupted, RunLockedError, run_reports
    from crm_lab.reporting.templates import read_params_file

    progress = _Console(quiet=args.quiet)
    if args.period is None and args.as_of is None:
        print(
            "error: give --period (last-month, this-month, last-quarter, last-week, last-year, "
            "YYYY-MM, YYYY-Qn or YYYY) or --as-of YYYY-MM-DD, or both",
            file=sys.stderr,
        )
        return 2
    params = read_params_file(args.params) if args.params else {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"error: --param expects NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        params[name.strip()] = value
    from crm_lab.ingest.readers import LIMIT_ENV

    before = os.environ.get(LIMIT_ENV)
    if args.max_uncompressed_mb is not None:  # the run and its kernels read it from there
        os.environ[LIMIT_ENV] = str(args.max_uncompressed_mb)
    try:
        run = run_reports(
            args.data,
            out_dir=args.out,
            period=args.period,
            as_of=args.as_of,
            lang=args.lang,
            params=params,
            templates_dir=args.templates,
            work_dir=args.work,
            data_key_file=_data_key_file(args),
            pseudonym_key_file=args.pseudonym_key_file,
            aliases=args.aliases,
            policies=args.policies,
            reading=_reading(args),
            progress=progress,
            stale_after_days=args.stale_after_days,
            cell_timeout=args.cell_timeout,
            engine=args.engine,
            spark_master=args.spark_master,
            workers=args.workers,
            states_dir=args.states,
        )
    except RunLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except RunInterrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValueError as exc:  # may quote a cell of the input: masked
        from crm_lab.privacy import mask_text

        print(f"error: {mask_text(str(exc))}", file=sys.stderr)
        return 2
    finally:  # the option holds for this run only, not for the rest of the process
        if before is None:
            os.environ.pop(LIMIT_ENV, None)
        else:
            os.environ[LIMIT_ENV] = before
    failed = [r for r in run.results if r.status == "failed"]
    done = [r for r in run.results if r.status == "ok"]
    for r in failed:  # said as each ended too; repeated here so that the errors come last
        progress(f"FAILED {r.slug}: {r.reason}")
    if not done and not failed:
        progress("error: no report was published: every template was skipped")
    if not args.quiet:
        print(
            f"{len(done)} of {len(run.results)} report(s) published in "
            f"{time.perf_counter() - started:.1f} s to {run.out_dir / run.period}; "
            f"index: {run.out_dir / 'index.html'}; work folder: {run.work_dir}",
            flush=True,
        )
    return 0 if run.ok and done else 1


def _write_export(frame, path) -> bool:
    """Write a command's CSV export (formula cells neutralised, atomically); False after saying
    why it could not be written."""
    from crm_lab.reporting.export import write_csv

    try:
        write_csv(frame, path)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def _profiles(args) -> int:
    """Print each export profile: its name, system, exports and where its layout comes from."""
    from crm_lab.ingest import load_profiles

    for name, profile in sorted(load_profiles(args.profiles).items()):
        exports = ", ".join(
            f"{t.object or t.table} -> {t.table}" + (f" ({t.grain})" if t.grain else "")
            for t in profile.tables
        )
        print(f"{name:12} {profile.system}: {exports}")
    return 0


def _rules(args) -> int:
    from crm_lab import basket
    from crm_lab.ingest.readers import LoadError, names_a_table, read_basket_file

    try:
        data = _read(args)
    except LoadError:
        # only a file named after no table is read as a basket file: a transactions file with
        # a column missing is that error, not customer ids and dates mined as items
        if not args.data.is_file() or names_a_table(args.data, aliases=args.aliases):
            raise
        data = None
    if data is not None and "transactions" in data.tables:
        _product_lines(data.tables)
        tx = data["transactions"]  # the command mines the whole file: up to its last order
        baskets = basket.make_baskets(tx, as_of=tx["ordered_at"].max(), level=args.level)
        source = "transactions"
    else:
        baskets = basket.baskets_from_lists(
            read_basket_file(args.data, max_uncompressed_mb=args.max_uncompressed_mb)
        )
        source = "basket file"
    try:
        itemsets = basket.mine_itemsets(
            baskets, min_support=args.min_support, max_len=args.max_len, algorithm=args.algorithm
        )
        rules = basket.association_rules(
            itemsets,
            min_confidence=args.min_confidence,
            single_consequent=args.single_consequent,
            min_baskets=args.min_baskets,
        )
    except MemoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not _write_export(rules.drop(columns=["antecedent_items", "consequent_items"]), args.out):
        return 2
    print(
        f"{len(rules):,} rules from {len(itemsets):,} itemsets in {baskets.n_baskets:,} "
        f"baskets ({source}) -> {args.out}"
    )
    return 0


def _product_lines(tables: dict) -> None:
    """Rules and recommendations need product lines: an order-level export is that error."""
    from crm_lab.reporting.templates import unmet_requirements

    for reason in unmet_requirements(["transactions:items"], tables):
        raise ValueError(f"{reason} for association rules")


def _recommend(args) -> int:
    from crm_lab import basket, privacy
    from crm_lab.core.lines import day_end

    tables = _read(args).tables
    _product_lines(tables)
    tx = tables["transactions"]
    history = tx[tx["ordered_at"] < day_end(args.as_of)]
    baskets = basket.make_baskets(history, as_of=args.as_of)
    itemsets = basket.mine_itemsets(baskets, min_support=args.min_support, max_len=3)
    rules = basket.mine_rules(  # the rules as codes: recommend needs no table of them
        itemsets,
        min_confidence=args.min_confidence,
        single_consequent=True,
        min_baskets=args.min_baskets,
    )
    recs = basket.recommend(tx, rules, as_of=args.as_of, top_n=args.top_n)
    if not args.raw_ids:
        recs["customer_id"] = privacy.pseudonymize(
            recs["customer_id"], key=privacy.pseudonym_key(args.pseudonym_key_file)
        )
    if not _write_export(recs, args.out):
        return 2
    print(
        f"{len(recs):,} recommendations for {recs['customer_id'].nunique():,} customers "
        f"from {len(rules):,} rules -> {args.out}"
    )
    return 0


def _snapshots(args) -> int:
    import pandas as pd

    from crm_lab.reporting import states as stored

    first, last = pd.Timestamp(args.first), pd.Timestamp(args.last)
    if last < first:
        print(f"error: --to {args.last} is before --from {args.first}", file=sys.stderr)
        return 2
    rule = {"month": "ME", "week": "W-SUN"}[args.every]
    days = [d for d in pd.date_range(first, last, freq=rule)]
    if not days or days[-1] != last:
        days.append(last)
    tables = _read(args).tables
    if "transactions" not in tables:
        print("error: snapshots need order lines (a transactions table)", file=sys.stderr)
        return 2
    from crm_lab.ingest import read_tag_rules

    rules = read_tag_rules(args.tags)
    stored.backfill(tables, args.states, days=days, key_file=_data_key_file(args),
                    random_state=args.random_state, tag_rules=rules)  # fmt: skip
    print(f"{len(days)} snapshots of customers' states -> {args.states}")
    return 0


def _target(text: str) -> tuple[str, float]:
    """``PRIORITY=HOURS`` (``high=24``, ``*=72``) into the pair (``engagement.parse_targets``,
    imported only when the option is given: the command line starts fast)."""
    from crm_lab.reporting.engagement import parse_targets

    try:
        pairs = parse_targets(text)
    except ValueError:
        pairs = {}
    if len(pairs) != 1:
        raise argparse.ArgumentTypeError(f"expected PRIORITY=HOURS (high=24, *=72), got {text!r}")
    return next(iter(pairs.items()))


def _service(args) -> int:
    import pandas as pd

    from crm_lab.service import support

    tickets = _read(args).tables.get("tickets")
    if tickets is None:
        print("error: the service figures need a tickets table (tickets.csv, or a ticket event "
              "log)", file=sys.stderr)  # fmt: skip
        return 2
    as_of = args.as_of
    if as_of is None:
        times = [c for c in ("opened_at", "first_response_at", "resolved_at", "closed_at")
                 if c in tickets]  # fmt: skip
        last = pd.concat([tickets[c] for c in times]).max()
        if pd.isna(last):
            print("error: no ticket has a date: give --as-of", file=sys.stderr)
            return 2
        as_of = last.date().isoformat()
    kinds = [None, *(c for c in ("problem_type", "team")
                     if c in tickets and tickets[c].notna().any())]  # fmt: skip
    out = support.service_summary(tickets, as_of=as_of, by=kinds,
                                  targets=dict(args.target or []))  # fmt: skip
    if not _write_export(out, args.out):
        return 2
    print(f"{int(out['tickets'].iloc[0]):,} tickets as of {as_of}: {len(out) - 1} groups "
          f"-> {args.out}")  # fmt: skip
    return 0


def _moves(args) -> int:
    from crm_lab import privacy
    from crm_lab.reporting import store
    from crm_lab.segments import migration

    days = {d.date().isoformat() for d in store.stored_days(args.states)}
    for day in (args.first, args.last):
        if day not in days:
            listed = ", ".join(sorted(days)) or "none"
            print(f"error: {args.states} holds no states of {day} (stored days: {listed})",
                  file=sys.stderr)  # fmt: skip
            return 2
    before, after = (store.load_states(args.states, as_of=d, key_file=args.data_key_file)
                     for d in (args.first, args.last))  # fmt: skip
    moved = migration.movers(migration.between(before, after, column=args.column))
    basis = after.set_index("customer_id")["value_basis"]
    moved.insert(1, "state", args.column)
    moved["value_basis"] = (
        moved["customer_id"]
        .map(basis)
        .fillna(moved["customer_id"].map(before.set_index("customer_id")["value_basis"]))
    )
    moved = moved[["customer_id", "state", "before", "after", "move", "value", "value_basis"]]
    if not args.raw_ids:
        moved["customer_id"] = privacy.pseudonymize(
            moved["customer_id"], key=privacy.pseudonym_key(args.pseudonym_key_file)
        )
    if not _write_export(moved, args.out):
        return 2
    counts = moved["move"].value_counts()
    said = ", ".join(f"{counts[k]:,} {k}" for k in migration.MOVES if k in counts)
    print(f"{len(moved):,} customers moved in {args.column} from {args.first} to {args.last} "
          f"({said or 'none'}) -> {args.out}")  # fmt: skip
    return 0


def _scores(args) -> int:
    from crm_lab import privacy
    from crm_lab.reporting import states as state_export

    tables = _read(args).tables
    if "transactions" not in tables:
        print("error: scores need order lines (a transactions table)", file=sys.stderr)
        return 2
    from crm_lab.ingest import read_tag_rules

    rules = read_tag_rules(args.tags)
    scores = state_export.scores_table(
        tables, as_of=args.as_of, states_dir=args.states, key_file=_data_key_file(args),
        random_state=args.random_state, tag_rules=rules,
    )  # fmt: skip
    if not args.raw_ids:
        scores["customer_id"] = privacy.pseudonymize(
            scores["customer_id"], key=privacy.pseudonym_key(args.pseudonym_key_file)
        )
    if not _write_export(scores, args.out):
        return 2
    print(f"{len(scores):,} customers as of {args.as_of} -> {args.out}")
    return 0


def _new_key(args) -> int:
    from crm_lab import privacy

    if args.pseudonym:
        privacy.new_pseudonym_key(args.file)
    else:
        privacy.new_data_key(args.file)
    print(f"created key file {args.file} (mode 0600; keep it apart from the data)")
    return 0


def _crypt(args) -> int:
    from crm_lab import privacy

    if not args.src.is_file():
        print(f"error: {args.src}: no such file to {args.command}", file=sys.stderr)
        return 2
    if args.src.resolve() == args.dst.resolve():
        print(
            "error: the output must be another file: inputs are never overwritten", file=sys.stderr
        )
        return 2
    try:
        if args.command == "encrypt":
            if not args.key_file.exists():
                privacy.new_data_key(args.key_file)
                print(f"created key file {args.key_file} (keep it apart from the data)")
            privacy.encrypt_file(args.src, args.dst, key_file=args.key_file)
        else:
            plain = privacy.decrypt_bytes(args.src, key_file=args.key_file)
            privacy.write_private(args.dst, plain)  # plain data: owner-only
    except OSError as exc:  # the output's folder missing or read-only, a full disk
        print(f"error: {exc.filename or args.dst}: cannot write: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a malformed or exposed key (KeyFileError), a wrong key
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.command}ed {args.src} -> {args.dst}")
    return 0


def _os_error(exc: OSError) -> str:
    """An operating-system error as one line: the file, what went wrong, what to do."""
    files = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    what = exc.strerror or str(exc)
    hint = {
        errno.EACCES: "check the folder's permissions, or choose another with --out or --work",
        errno.EPERM: "check the folder's permissions, or choose another with --out or --work",
        errno.EROFS: "the disk is read-only: choose another folder with --out or --work",
        errno.ENOSPC: "the disk is full: free some space or choose another folder",
        errno.EDQUOT: "the disk quota is used up: free some space or choose another folder",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
    }.get(exc.errno)
    return f"{files + ': ' if files else ''}{what}{'; ' + hint if hint else ''}"


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` when None); return the exit code.

    Every failure ends as one ``error:`` line on stderr and an exit code, never a traceback:
    2 for bad input or a file that cannot be read or written (read-only, disk full), 3 for a
    folder another run holds, 130 / 143 when SIGINT / SIGTERM stopped the run, 1 for any
    other error (``CRM_LAB_DEBUG=1`` shows its traceback).
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    from crm_lab.privacy import mask_text  # every message may quote a cell of the input

    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if os.environ.get("CRM_LAB_DEBUG"):
            raise
        print(f"error: {mask_text(_os_error(exc))}", file=sys.stderr)
        return 2
    except ValueError as exc:  # the package's way of saying the input is wrong
        if os.environ.get("CRM_LAB_DEBUG"):
            raise
        print(f"error: {mask_text(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:  # no input may end in a traceback
        if os.environ.get("CRM_LAB_DEBUG"):
            raise
        first = mask_text((str(exc).strip().splitlines() or [""])[0][:500])
        print(
            f"error: {type(exc).__name__}: {first} (an unexpected error in crm_lab; "
            "CRM_LAB_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        return 1


def _dispatch(args) -> int:
    from crm_lab import privacy
    from crm_lab.ingest import LoadError, ProfileError, SnapshotWriteError

    try:
        commands = {
            "demo-data": _demo_data,
            "report": _report,
            "validate": _validate,
            "rules": _rules,
            "recommend": _recommend,
            "scores": _scores,
            "snapshots": _snapshots,
            "moves": _moves,
            "service": _service,
            "encrypt": _crypt,
            "decrypt": _crypt,
            "new-key": _new_key,
            "profiles": _profiles,
        }
        return commands[args.command](args)
    except (LoadError, ProfileError, SnapshotWriteError, privacy.KeyFileError) as exc:
        # may quote a cell of the input: masked
        print(f"error: {privacy.mask_text(str(exc))}", file=sys.stderr)
        return 2
