"""Report templates and data into a period's HTML reports, a manifest and the index page.

A run is a straight line of steps, each a function of its own (papermill's style):

1. ``plan_run``: resolve the period, find the templates, fix every folder; writes nothing.
2. ``prepare_inputs``: under a lock on the reports folder, load and clean the input once,
   check that it reaches the period (``check_freshness``: an error when it ends before the
   period begins, a ``stale_data`` warning when it ends well before the as-of day), write it
   as the period's snapshot and a de-identified copy, and write the run plan.
3. ``execute_template``: run one template with papermill on the snapshot it may read; the
   metrics file it writes last is its success marker.
4. ``publish_page``: export the executed notebook to self-contained HTML without code, with
   the run's warnings as a banner on top, pass it through the privacy gate and write it
   atomically (a temporary file, then a rename).
5. ``write_run_record``: write the manifest and the index.

``run_template`` joins steps 3 and 4 for one template, turning a failure into a result: a
template whose required input is absent or empty is skipped with the reason, a failing,
corrupt or timed-out template (a cell running longer than ``cell_timeout``) does not stop the
others, its executed notebook stays in the analyst's work folder and its last good page stays
published. ``run_reports`` runs all five steps, holding a lock on the reports folder and one
on the work folder.

SIGINT and SIGTERM stop a run within seconds: the run's kernels are killed (``StopSwitch``),
no page is published after the signal, reports not finished are recorded as interrupted (their
last good pages stay), the locks are released and ``run_reports`` raises ``RunInterrupted``
(the command exits 130 or 143).
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import hashlib
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

import nbformat
import pandas as pd
import pyarrow

from crm_lab import __version__, privacy
from crm_lab.core.dataset import Dataset
from crm_lab.core.lines import day_end
from crm_lab.core.periods import Period, resolve_period
from crm_lab.core.progress import steps
from crm_lab.core.schemas import EVENT_DATES
from crm_lab.engine import (
    AUTO_LINES,
    EngineError,
    check,
    check_name,
    choose,
    filled_counts,
    is_table,
    row_count,
)
from crm_lab.ingest import private_dir, read_clean, read_tag_rules, save_tables
from crm_lab.ingest.readers import is_table_file
from crm_lab.reporting import display, labels
from crm_lab.reporting import manifest as mf
from crm_lab.reporting.export import atomic_write, export_html
from crm_lab.reporting.gate import check_page, known_values
from crm_lab.reporting.index import write_index
from crm_lab.reporting.manifest import ReportResult
from crm_lab.reporting.templates import (
    NoTemplatesError,
    Template,
    coerce_params,
    default_templates_dir,
    find_templates,
    unmet_requirements,
)

__all__ = [
    "Inputs",
    "NoTemplatesError",
    "Plan",
    "ReportResult",
    "CellTimeoutError",
    "RunInterrupted",
    "RunLockedError",
    "RunResult",
    "StaleDataError",
    "StopSwitch",
    "check_freshness",
    "data_end",
    "execute_template",
    "plan_run",
    "prepare_inputs",
    "publish_page",
    "run_reports",
    "run_template",
    "run_templates",
    "write_run_record",
]

# reports run side by side on an input small enough for pandas (run_reports' workers)
SIDE_BY_SIDE = 3
# the options of how an input is read that a run passes to ingest.read_clean
READING = ("profile", "profiles", "columns", "phone_region")
log = logging.getLogger(__name__)

KERNEL = "python3"
_VERSIONED = (
    "pandas",
    "numpy",
    "matplotlib",
    "papermill",
    "nbconvert",
    "scikit-learn",
    "mlxtend",
    "phonenumbers",
    "rapidfuzz",
)
Say = Callable[[str], None]


class RunLockedError(RuntimeError):
    """Another run is writing the same reports folder."""


class StaleDataError(ValueError):
    """The input ends before the period begins: there is nothing to report on."""


class CellTimeoutError(RuntimeError):
    """A template's cell ran longer than the run's cell timeout; its kernel was stopped."""


class RunInterrupted(BaseException):  # noqa: N818 - a signal, like KeyboardInterrupt
    """SIGINT or SIGTERM stopped the run; ``exit_code`` is 128 + the signal's number.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` on the
    way out (a reader's fallback, a template's failure handling) takes it for an error.
    """

    def __init__(self, signum: int, message: str = ""):
        self.signum = signum
        self.exit_code = 128 + signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(message or f"interrupted by {self.signal_name}")


class StopSwitch:
    """A run's stop switch: the signal that stopped it, and the kernels it must end then.

    ``run_reports`` installs ``handle`` for SIGINT and SIGTERM (in the main thread). The
    handler kills every kernel the run has started (its whole process group, so a cell's own
    child processes end too) and, unless the main thread is only waiting for the reports
    (``waiting``), raises ``RunInterrupted`` where the main thread is. Kernels started after
    the signal are killed as they start; no page is published after it.
    """

    def __init__(self):
        self.signum: int | None = None
        self.waiting = False  # the main thread polls ``signum`` (run_templates): do not raise
        self._kernels: set = set()  # kernel managers whose kernel may be running

    @property
    def stopped(self) -> bool:
        """True once a signal has stopped the run."""
        return self.signum is not None

    @property
    def reason(self) -> str:
        """The reason given to reports the signal stopped."""
        return f"interrupted by {signal.Signals(self.signum).name}" if self.stopped else ""

    def add(self, manager) -> None:
        """Register a started kernel's manager; kill its kernel at once if stopped already."""
        self._kernels.add(manager)
        if self.stopped:
            _kill_kernel(manager)

    def discard(self, manager) -> None:
        """Forget a kernel manager whose kernel has ended."""
        self._kernels.discard(manager)

    def stop(self, signum: int) -> None:
        """Mark the run stopped by ``signum`` and kill every kernel it has started."""
        self.signum = signum
        for manager in list(self._kernels):  # list(set) is one step: safe beside the workers
            _kill_kernel(manager)

    def handle(self, signum, frame) -> None:
        """The signal handler: ``stop``, then raise ``RunInterrupted`` unless ``waiting``."""
        self.stop(signum)
        if not self.waiting:
            raise RunInterrupted(signum)


def _kill_kernel(manager) -> None:
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    if process is None or process.poll() is not None:  # not started, or ended and reaped
        return
    try:  # jupyter_client starts each kernel in a session of its own: end the whole group
        group = os.getpgid(process.pid)
        if group == os.getpgrp():  # never the run's own group
            raise ProcessLookupError(group)
        os.killpg(group, signal.SIGKILL)
    except OSError:
        process.kill()


@contextmanager
def _signals_stop(stop: StopSwitch):
    """Route SIGINT and SIGTERM to ``stop`` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, stop.handle)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


@dataclass(frozen=True)
class Plan:
    """Everything a run will do, fixed before it touches a file (``plan_run``)."""

    period: Period
    data: Path
    out_dir: Path  # stakeholder folder: <out_dir>/<period>/ and index.html
    work_dir: Path  # analyst folder: snapshots, executed notebooks, metrics, analyst pages
    templates_dir: Path
    templates: tuple[Template, ...]
    lang: str = "en"
    params: dict[str, str] = field(default_factory=dict)
    aliases: Path | None = None
    policies: Path | None = None
    reading: dict = field(default_factory=dict)  # ingest.read_clean's profile, columns, ...
    data_key_file: Path | None = None
    pseudonym_key_file: Path | None = None
    stale_after_days: int = 7  # a stale_data warning when the data ends longer before as_of
    cell_timeout: int = 1800  # seconds a template's cell may run before the report fails
    engine: str = "auto"  # where templates total the order lines (engine.choose)
    spark_master: str | None = None  # the Spark engine's master URL (local[*] when None)
    states_dir: Path | None = None  # the store of customers' states, one file per as-of day

    @property
    def period_dir(self) -> Path:
        """The folder of this period's stakeholder pages and manifest."""
        return self.out_dir / self.period.name

    @property
    def metrics_dir(self) -> Path:
        """The folder of executed notebooks, metrics files and the run plan."""
        return self.work_dir / "executed"

    def executed_path(self, template: Template) -> Path:
        """Where a template's executed notebook is written (kept when it fails)."""
        return self.metrics_dir / f"{template.path.stem}.ipynb"

    def run_plan(self, *, warnings=()) -> mf.RunPlan:
        """The plan, with the run's warnings, as the summary template reads it (``RunPlan``)."""
        return mf.RunPlan(
            period=self.period.name,
            period_start=self.period.start.date().isoformat(),
            as_of=self.period.as_of.date().isoformat(),
            lang=self.lang,
            reports=tuple(
                mf.PlannedReport(t.slug, dict(t.title), t.audience, t.summary)
                for t in self.templates
            ),
            warnings=tuple(warnings),
        )


@dataclass(frozen=True)
class Inputs:
    """The prepared input of a run: the two snapshots written from the clean dataset and what
    the run itself needs of it.

    The dataset's tables are not kept: the kernels read the snapshots, and a run over 20 M
    order lines would otherwise hold gigabytes of them while the kernels run. What is kept is
    small: rows per table, the accounting, the notes and each template's unmet requirements.
    """

    snapshot: Path  # the analyst's tables, contacts included
    deidentified: Path  # pseudonymous ids, no contacts: what stakeholder reports read
    known: dict[str, set[str]]  # identifying values the privacy gate looks for
    warnings: tuple[dict, ...] = ()  # the run's (check_freshness): on every page, in the manifest
    engine: str = "pandas"  # the plan's engine for this input's size (engine.choose)
    rows: dict[str, int] = field(default_factory=dict)  # clean rows per table
    accounting: pd.DataFrame = field(default_factory=pd.DataFrame)  # Dataset.accounting
    notes: tuple[str, ...] = ()  # Dataset.notes
    unmet: dict[str, list[str]] = field(default_factory=dict)  # per template slug


@dataclass
class RunResult:
    """The outcome of a report run: one ``ReportResult`` per template."""

    period: str
    out_dir: Path
    results: list[ReportResult]
    work_dir: Path | None = None

    @property
    def ok(self) -> bool:
        """True when no template failed."""
        return all(r.status != "failed" for r in self.results)


# --- 1. plan ------------------------------------------------------------------------------------
def plan_run(
    data: str | Path,
    *,
    out_dir: str | Path,
    period: str | Period | None = None,
    as_of=None,
    today=None,
    lang: str = "en",
    params: dict[str, str] | None = None,
    templates_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
    aliases: str | Path | None = None,
    policies: str | Path | None = None,
    reading: dict | None = None,
    data_key_file: str | Path | None = None,
    pseudonym_key_file: str | Path | None = None,
    stale_after_days: int = 7,
    cell_timeout: int = 1800,
    engine: str = "auto",
    spark_master: str | None = None,
    states_dir: str | Path | None = None,
) -> Plan:
    """Turn a run's arguments into a ``Plan``: the period, the templates, absolute folders.

    Writes nothing. The work folder defaults to ``default_work_dir(out_dir, period)``:
    ``data/interim/<out-name>-<hash of out>/<period>`` under the current folder, one per
    reports folder, made absolute here so that the run can say where it is. The store of
    customers' states (``reporting.states``) defaults to ``<work folder>/states`` when the
    work folder is given, else to the ``states`` folder beside the default period folders
    (``default_work_dir(out_dir, "states")``): every period of a reports folder shares it.

    Raises
    ------
    NoTemplatesError
        The templates folder holds no ``NN-slug.ipynb`` template (the message names it).
    ValueError
        An unknown language or period, ``stale_after_days`` not a whole number >= 0, or
        ``cell_timeout`` not a whole number of seconds >= 1, ``reading`` holding other
        keys than ``READING``, or an ``engine`` not in ``engine.ENGINES``.
    """
    check_name(engine, spark_master=spark_master)
    unknown = sorted(set(reading or {}) - set(READING))
    if unknown:
        raise ValueError(f"reading: unknown option(s) {unknown}; expected some of {READING}")
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    if isinstance(stale_after_days, bool) or not isinstance(stale_after_days, int):
        raise ValueError(
            f"stale_after_days must be a whole number of days, got {stale_after_days!r}"
        )
    if stale_after_days < 0:
        raise ValueError(f"stale_after_days must be 0 or more, got {stale_after_days}")
    if isinstance(cell_timeout, bool) or not isinstance(cell_timeout, int) or cell_timeout < 1:
        raise ValueError(
            f"cell_timeout must be a whole number of seconds >= 1, got {cell_timeout!r}"
        )
    per = period if isinstance(period, Period) else resolve_period(period, as_of=as_of, today=today)
    folder = Path(templates_dir).resolve() if templates_dir else default_templates_dir()
    templates = tuple(find_templates(folder))
    if not templates:
        raise NoTemplatesError(f"no report templates (NN-slug.ipynb) in {folder}")

    def optional(path):
        return Path(path).resolve() if path else None

    out = Path(out_dir).resolve()
    return Plan(
        period=per,
        data=Path(data).resolve(),
        out_dir=out,
        work_dir=Path(work_dir).resolve() if work_dir else default_work_dir(out, per.name),
        templates_dir=folder,
        templates=templates,
        lang=lang,
        params=dict(params or {}),
        aliases=optional(aliases),
        policies=optional(policies),
        reading={k: v for k, v in (reading or {}).items() if v},
        data_key_file=optional(data_key_file),
        pseudonym_key_file=optional(pseudonym_key_file),
        stale_after_days=stale_after_days,
        cell_timeout=cell_timeout,
        engine=engine,
        spark_master=spark_master or None,
        states_dir=Path(states_dir).resolve()
        if states_dir
        else (
            Path(work_dir).resolve() / "states" if work_dir else default_work_dir(out, "states")
        ),  # fmt: skip
    )


def default_work_dir(out_dir: str | Path, period: str) -> Path:
    """Turn a reports folder and a period into the run's default work folder (absolute).

    ``data/interim/<out-name>-<first 8 hex of the SHA-256 of the resolved out_dir>/<period>``
    under the current folder: runs started from one folder into different reports folders
    never share their snapshot or executed notebooks.

    Examples
    --------
    >>> a = default_work_dir("/srv/reports-a", "2025-12")
    >>> a.parent.name.startswith("reports-a-") and a.name == "2025-12"
    True
    >>> a == default_work_dir("/srv/reports-b", "2025-12")
    False
    """
    out = Path(out_dir).resolve()
    digest = hashlib.sha256(str(out).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return (Path("data/interim") / f"{out.name or 'root'}-{digest}" / period).resolve()


@contextmanager
def _lock(out_dir: Path, *, what: str = "reports folder", mode: int = 0o777):
    out_dir.mkdir(parents=True, exist_ok=True, mode=mode)  # mode: a new folder's own (umask)
    path = out_dir / ".crm_lab.lock"
    private = not mode & 0o077  # an owner-only folder gets an owner-only lock file
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600 if private else 0o644)
    if private:
        os.fchmod(fd, 0o600)
    with os.fdopen(fd, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            message = f"{out_dir}: another report run is using this {what} ({holder})"
            raise RunLockedError(message) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- 2. prepare inputs --------------------------------------------------------------------------
def data_end(dataset: Dataset) -> tuple[pd.Timestamp, str] | None:
    """Turn a dataset into the day of its last dated record and the column it comes from.

    The order lines' ``ordered_at`` when any order line is dated; otherwise the first other
    event table of ``core.schemas.EVENT_DATES`` with a dated row. None when no event table has
    one (a customers file alone). Quarantined rows do not count: they are not in the tables.

    Examples
    --------
    >>> tx = pd.DataFrame({"ordered_at": pd.to_datetime(["2025-12-30 18:20", "2025-11-02 09:00"])})
    >>> data_end(Dataset(tables={"transactions": tx}))
    (Timestamp('2025-12-30 00:00:00'), 'transactions.ordered_at')
    """
    for table, column in EVENT_DATES.items():
        frame = dataset.tables.get(table)
        if frame is None or column not in frame.columns:
            continue
        last = frame[column].max().execute() if is_table(frame) else frame[column].max()
        if pd.notna(last):
            return pd.Timestamp(last).tz_localize(None).normalize(), f"{table}.{column}"
    return None


def lines_up_to(lines, *, as_of) -> int:
    """Order lines into the number dated up to the as-of day (undated ones count, as
    ``quality.up_to`` keeps them), on any engine."""
    counted = filled_counts(lines, columns=["ordered_at"], at="ordered_at", end=day_end(as_of))
    return int(counted["rows"].iloc[0])


def check_freshness(period: Period, dataset: Dataset, *, stale_after_days: int = 7) -> list[dict]:
    """Turn a period and the data's last day (``data_end``) into the run's warnings.

    Returns
    -------
    list of dict
        ``[{"code": "stale_data", "last_day", "days", "as_of"}]`` when the data ends more
        than ``stale_after_days`` days before the as-of day (figures after it would read as
        zero, not as missing); otherwise empty.

    Raises
    ------
    StaleDataError
        The data ends before the period begins (an old export, ``--period last-month`` run a
        year late): every figure of the period would be zero. The message names the last
        record's day, where it comes from and the period.
    """
    end = data_end(dataset)
    if end is None:
        return []
    day, where = end
    if day < period.start:
        raise StaleDataError(
            f"the data ends on {day.date()} (the last {where}), before period {period.name} "
            f"begins ({period.start.date()} to {period.as_of.date()}): nothing to report; "
            "export newer data, or choose a period the data covers (--period, --as-of)"
        )
    days = int((period.as_of.normalize() - day).days)
    if days <= stale_after_days:
        return []
    return [
        {
            "code": "stale_data",
            "last_day": day.date().isoformat(),
            "days": days,
            "as_of": period.as_of.date().isoformat(),
        }
    ]


def check_keys(plan: Plan) -> bytes:
    """Turn the plan's key files into the pseudonym key, after checking the data key too.

    Bad keys stop the run before it reads, locks or writes anything.

    Raises
    ------
    KeyFileError
        A key is missing, empty, too short, malformed or open to others.
    """
    key = privacy.pseudonym_key(plan.pseudonym_key_file)
    if plan.data_key_file:
        privacy.data_cipher(plan.data_key_file)
    return key


def prepare_inputs(plan: Plan, *, say: Say = log.info) -> Inputs:
    """Turn the plan's input files into a clean dataset and its two snapshots.

    Loads and cleans the input once (with the plan's aliases, policies and data key), writes
    the analyst's snapshot (``<work>/tables``) and the de-identified one stakeholder reports
    read (``<work>/tables-deidentified``: keyed pseudonyms, no contacts), writes the run plan
    into ``<work>/executed`` and removes the metrics files of an earlier run there.

    Before writing anything, ``check_freshness`` compares the data's last day with the period:
    a ``StaleDataError`` when it ends before the period begins, a ``stale_data`` warning (said,
    and kept in ``Inputs.warnings``) when it ends more than ``plan.stale_after_days`` days
    before the as-of day.
    """
    started = time.perf_counter()
    key = check_keys(plan)
    private_dir(plan.work_dir)  # owner-only before anything personal is written into it
    private_dir(plan.metrics_dir)
    per = plan.period
    say(f"period {per.name}: {per.start.date()} .. {per.as_of.date()} (as of); loading {plan.data}")
    # off pandas, the order lines are read and cleaned out of core into the work folder and
    # stay there, on DuckDB, when they are many (auto: pandas for a few); Spark reads the
    # snapshot the lines are written to
    lines_dir = plan.work_dir / "lines"
    shutil.rmtree(lines_dir, ignore_errors=True)  # a failed run's parts: not this run's
    try:
        return _prepared(plan, say=say, started=started, key=key, lines_dir=lines_dir)
    finally:
        shutil.rmtree(lines_dir, ignore_errors=True)  # in the snapshots now, or a failed run


def _prepared(plan: Plan, *, say: Say, started: float, key: bytes, lines_dir: Path) -> Inputs:
    """``prepare_inputs`` once the keys are checked: read, clean, check and write."""
    per = plan.period
    dataset = read_clean(
        plan.data,
        aliases=plan.aliases,
        policies=plan.policies,
        data_key_file=plan.data_key_file,
        progress=say,
        engine={"pandas": "pandas", "auto": "auto"}.get(plan.engine, "duckdb"),
        spill=private_dir(lines_dir)
        if plan.engine != "pandas" and not plan.data_key_file
        else None,
        **plan.reading,
    )
    warnings = check_freshness(per, dataset, stale_after_days=plan.stale_after_days)
    for warning in warnings:
        say(f"  warning: {labels.warning_text(warning, lang='en')}")
    sealed = plan.data_key_file  # encrypted inputs: both snapshots encrypted, never plain
    with steps(say, "writing", total=2) as said:
        said.step("the analyst's snapshot (Parquet)")
        snapshot = save_tables(dataset, plan.work_dir / "tables", key_file=sealed)
        said.step("the de-identified snapshot for stakeholder pages")
        deidentified = save_tables(
            privacy.deidentify(dataset, key=key),
            plan.work_dir / "tables-deidentified",
            key_file=sealed,
        )
    if "transactions" in dataset.tables and plan.states_dir is not None:
        _record_states(plan, dataset, say=say)  # encrypted with the inputs' key, if any
    for old in plan.metrics_dir.glob("*.ipynb") if sealed else ():
        old.unlink()  # an earlier run's plain notebooks do not outlive encrypted inputs
    inputs_known = known_values(dataset)
    for note in dataset.notes:
        say(f"  note: {privacy.mask_text(note, known=inputs_known)}")
    rows_q = int(dataset.accounting["rows_quarantined"].sum())
    rows = {table: row_count(frame) for table, frame in dataset.tables.items()}
    say(
        f"  tables: {', '.join(f'{t} ({n:,} rows)' for t, n in rows.items())}; "
        f"quarantined rows: {rows_q} ({time.perf_counter() - started:.1f} s)"
    )
    # the lines up to the as-of day: a period's engine (and page) must not depend on later data
    has_lines = "transactions" in dataset.tables
    lines = lines_up_to(dataset["transactions"], as_of=per.as_of) if has_lines else 0
    engine = choose(plan.engine, lines=lines)
    if plan.engine == "auto":
        say(
            f"  engine: {engine} ({lines:,} order lines up to the as-of day; auto: DuckDB from "
            f"{AUTO_LINES:,})"
        )
    else:
        say(f"  engine: {engine}")
    for template in plan.templates:  # a skipped or failed report must not show old figures
        mf.metrics_path(plan.metrics_dir, template.slug).unlink(missing_ok=True)
    plan.run_plan(warnings=warnings).write(plan.metrics_dir)
    inputs = Inputs(
        snapshot,
        deidentified,
        inputs_known,
        tuple(warnings),
        engine=engine,
        rows=rows,
        accounting=dataset.accounting,
        notes=tuple(dataset.notes),
        unmet={t.slug: unmet_requirements(t.requires, dataset.tables) for t in plan.templates},
    )
    return inputs


def _record_states(plan: Plan, dataset, *, say: Say) -> None:
    """Store the customers' states of the as-of day (``reporting.states``), before the pages
    run: the segments and migration pages take their clusters' ids from the store. A failure
    is the run's note, not its end: the pages compute what they show themselves."""
    from crm_lab.reporting import states as stored

    try:
        path = stored.record_states(
            dataset.tables, plan.states_dir, as_of=plan.period.as_of,
            period_start=plan.period.start, key_file=plan.data_key_file or None,
            tag_rules=read_tag_rules(),
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - the pages do not depend on the store
        say(f"  note: the customers' states of {plan.period.as_of.date()} were not stored: "
            f"{privacy.mask_text(str(exc))}")  # fmt: skip
        return
    say(f"  customers' states: {path}")


# --- 3. execute one template --------------------------------------------------------------------
def _parameters(plan: Plan, inputs: Inputs, template: Template) -> dict[str, str]:
    data_path = inputs.snapshot if template.audience == "analyst" else inputs.deidentified
    return {
        "as_of": plan.period.as_of.date().isoformat(),
        "period": plan.period.name,
        "period_start": plan.period.start.date().isoformat(),
        "lang": plan.lang,
        "reports_dir": str(plan.out_dir),
        "metrics_dir": str(plan.metrics_dir),
        "pseudonym_key_file": str(plan.pseudonym_key_file or ""),
        "data_path": str(data_path),
        "data_key_file": str(plan.data_key_file or ""),  # the snapshot is encrypted with it
        "engine": inputs.engine,
        "spark_master": plan.spark_master or "",
        "metrics_path": str(mf.metrics_path(plan.metrics_dir, template.slug)),
        "states_dir": str(plan.states_dir or ""),
        **plan.params,
    }


KERNEL_STARTS = 3  # tries to start a template's kernel when it dies before its first reply
KERNEL_DIED = "Kernel died before replying to kernel_info"  # jupyter_client's words for that


def _kernel_to_file(log_file: Path, stop: StopSwitch | None = None) -> type:
    """A kernel log file into a kernel manager class whose kernels write their console there.

    A kernel process writes its own log to the console it inherits: ipykernel warns "Kernel is
    running over TCP without encryption" as it starts, and logs "KeyboardInterrupt caught in
    kernel" when jupyter_client interrupts it before shutting it down. Neither is about the
    report; a cell's output and errors travel in the notebook, and a dead kernel is papermill's
    error. So the kernel's stdout and stderr go to ``log_file``, kept for the analyst.

    With a ``stop`` switch, each kernel is registered with it as it starts (killed at once
    when the run was stopped meanwhile) and forgotten when it is cleaned up.
    """
    from jupyter_client.manager import AsyncKernelManager

    class KernelToFile(AsyncKernelManager):
        async def start_kernel(self, **kw):
            with open(log_file, "ab") as fh:  # the kernel holds its own copy of the handle
                kw.setdefault("stdout", fh)
                kw.setdefault("stderr", fh)
                started = await super().start_kernel(**kw)
            if stop is not None:
                stop.add(self)
            return started

        async def cleanup_resources(self, restart=False):
            if stop is not None:
                stop.discard(self)
            return await super().cleanup_resources(restart=restart)

    return KernelToFile


def execute_template(
    plan: Plan, inputs: Inputs, template: Template, *, stop: StopSwitch | None = None
) -> tuple[nbformat.NotebookNode, dict]:
    """Run one template with papermill into its executed notebook and its metrics.

    The template gets the run's parameters it declares, converted to their declared types,
    and reads the de-identified snapshot (the analyst's one for an ``analyst`` template). The
    executed notebook is written to ``<work>/executed/`` whether or not it fails, and beside it
    the kernel's own console output (``<NN-slug>.kernel.log``), kept off the run's console.
    A cell may run ``plan.cell_timeout`` seconds; then its kernel is stopped. The kernel is
    registered with ``stop``, which kills it when the run is interrupted.

    Returns
    -------
    (NotebookNode, dict)
        The executed notebook and the metrics it wrote.

    Raises
    ------
    Exception
        papermill's error for a failing cell or a dead kernel; ``CellTimeoutError`` for a
        cell that ran longer than ``plan.cell_timeout`` (naming the cell); ``RuntimeError``
        when the notebook ended without writing its metrics; ``ValueError`` for a parameter
        that does not parse as its declared type.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError as NbCellTimeout

    metrics_file = mf.metrics_path(plan.metrics_dir, template.slug)
    metrics_file.unlink(missing_ok=True)
    declared = pm.inspect_notebook(str(template.path))
    values = {k: v for k, v in _parameters(plan, inputs, template).items() if k in declared}
    kernel_log = plan.executed_path(template).with_suffix(".kernel.log")
    kernel_log.write_bytes(b"")
    parameters = coerce_params(values, declared, where=template.path.name)
    running = []  # the cell being run, as nbclient asks for its timeout

    def timeout_of(cell):
        running[:] = [cell]
        return plan.cell_timeout

    for attempt in range(1, KERNEL_STARTS + 1):
        try:
            notebook = pm.execute_notebook(
                str(template.path),
                _notebook_output(plan, template),
                parameters=parameters,
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                start_timeout=300,  # kernels start slowly on a busy 2-core machine
                kernel_manager_class=_kernel_to_file(kernel_log, stop),
                timeout_func=timeout_of,
                shutdown_kernel="immediate",  # a finished kernel has nothing left to save
            )
            break
        except NbCellTimeout:
            count = running[0].get("execution_count") if running else None
            cell = f"cell [{count}]" if count is not None else "a cell"
            raise CellTimeoutError(
                f"{cell} ran longer than the cell timeout of {plan.cell_timeout} s "
                "(--cell-timeout); its kernel was stopped"
            ) from None
        except RuntimeError as exc:
            # A kernel that dies before its first reply ran no cell; the usual cause is a
            # port taken between jupyter_client choosing it and the kernel binding it, when
            # several kernels start at once. Starting again is safe; anything else is not,
            # and neither is starting one after the run was told to stop.
            if KERNEL_DIED not in str(exc) or attempt == KERNEL_STARTS or (stop and stop.stopped):
                raise
            with open(kernel_log, "a", encoding="utf-8") as fh:
                fh.write(f"crm_lab: kernel start {attempt} failed ({exc}); starting again\n")
    if not metrics_file.exists():
        raise RuntimeError("the notebook ended without writing its metrics")
    return notebook, mf.read_metrics(metrics_file)


SEALED = "crm-lab-sealed:"  # papermill output paths of notebooks written encrypted


class _SealedNotebooks:
    """papermill's writer of the executed notebooks of a run with a data key.

    papermill saves the executed notebook after every cell; a path ``SEALED + <file>`` makes it
    save ``<file>.enc`` instead, encrypted with the key registered for that path (``keys``), 0600
    and replaced atomically, so the notebook's outputs never reach the disk in plain.
    """

    keys: dict[str, Path] = {}
    registered = False

    @classmethod
    def write(cls, buf: str, path: str) -> None:
        target = Path(path.removeprefix(SEALED))
        sealed = target.with_name(target.name + ".enc")
        token = privacy.encrypt_bytes(buf.encode("utf-8"), key_file=cls.keys[path])
        tmp = sealed.with_name(f".{sealed.name}.tmp")
        os.replace(privacy.write_private(tmp, token), sealed)

    @classmethod
    def read(cls, path: str) -> str:
        raise ValueError(f"{path}: a sealed notebook is written, never read back here")

    @classmethod
    def pretty_path(cls, path: str) -> str:
        return path.removeprefix(SEALED) + ".enc"

    @classmethod
    def listdir(cls, path: str) -> list[str]:
        raise ValueError(f"{path}: not a folder")


def _notebook_output(plan: Plan, template: Template) -> str:
    """Where papermill writes a template's executed notebook: its path, or with a data key the
    ``SEALED`` path that writes it encrypted (``_SealedNotebooks``)."""
    path = str(plan.executed_path(template))
    if not plan.data_key_file:
        return path
    from papermill.iorw import papermill_io

    if not _SealedNotebooks.registered:
        papermill_io.register(SEALED, _SealedNotebooks)
        _SealedNotebooks.registered = True
    _SealedNotebooks.keys[SEALED + path] = plan.data_key_file
    return SEALED + path


def seal_executed(plan: Plan, template: Template) -> Path:
    """Turn a template's executed notebook into the one file, owner-only (0600), it is kept in.

    With a data key (encrypted inputs) that is ``<NN-slug>.ipynb.enc``, written encrypted as
    the template ran (``crm-lab decrypt`` reads it); a plain ``<NN-slug>.ipynb`` of an earlier
    run is removed. Without one it is the plain notebook, and an earlier ``.enc`` is removed.

    Returns
    -------
    Path
        The file the executed notebook is kept in (it may not exist: a parameter error).
    """
    path = plan.executed_path(template)
    sealed = path.with_name(path.name + ".enc")
    keep, stale = (sealed, path) if plan.data_key_file else (path, sealed)
    stale.unlink(missing_ok=True)
    if keep.exists():
        os.chmod(keep, 0o600)
    return keep


WORK_SUBFOLDERS = ("tables", "tables-deidentified", "executed", "analyst")  # what a run writes


def owner_only(work_dir: Path) -> None:
    """Make a work folder owner-only, whatever the umask: the folder and the run's subfolders
    (``WORK_SUBFOLDERS``) 0700, their files 0600. Other files the user keeps there are left."""
    if not work_dir.is_dir():
        return
    os.chmod(work_dir, 0o700)
    for sub in WORK_SUBFOLDERS:
        folder = work_dir / sub
        if not folder.is_dir() or folder.is_symlink():
            continue
        os.chmod(folder, 0o700)
        for path in folder.rglob("*"):
            if not path.is_symlink():
                os.chmod(path, 0o700 if path.is_dir() else 0o600)


# --- 4. publish one page ------------------------------------------------------------------------
def publish_page(
    plan: Plan,
    inputs: Inputs,
    template: Template,
    notebook: nbformat.NotebookNode,
    *,
    stop: StopSwitch | None = None,
) -> Path:
    """Turn an executed notebook into a published HTML page, if it passes the privacy gate.

    Stakeholder pages go to ``<out_dir>/<period>/<slug>.html``; an ``analyst`` template's page
    (masked contacts) to ``<work>/analyst/<slug>.html``, never to the stakeholder folder. The
    run's warnings (``Inputs.warnings``) head every page as an escaped banner, whatever the
    template shows.

    Returns
    -------
    Path
        The page written.

    Raises
    ------
    PrivacyGateError
        The page shows personal data; nothing is written.
    RuntimeError
        The run was interrupted (``stop``) while the page was made; nothing is written.
    """
    per = plan.period
    footer = (
        f"crm_lab {__version__} · {per.name} · {per.start.date()} – {per.as_of.date()} · "
        f"input: {plan.data.name}"
    )
    page = export_html(
        notebook,
        title=template.title_in(plan.lang),
        footer=footer,
        lang=plan.lang,
        banner=display.warnings_html(inputs.warnings, lang=plan.lang),
    )
    check_page(page, known=inputs.known)
    if stop is not None and stop.stopped:  # nothing is published after the signal
        raise RuntimeError(stop.reason)
    folder = plan.work_dir / "analyst" if template.audience == "analyst" else plan.period_dir
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write(folder / f"{template.slug}.html", page)


def _failure_reason(exc: Exception, *, known=None) -> str:
    """An error into its one-line reason, masked (it can quote a cell's value), then cut."""
    if isinstance(exc, CellTimeoutError):
        return privacy.mask_text(str(exc), known=known)[:300]
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip().splitlines()
    cell = getattr(exc, "exec_count", None)
    where = f"cell [{cell}]: " if cell is not None else ""
    return privacy.mask_text(f"{where}{ename}: {evalue[0] if evalue else ''}", known=known)[:300]


def run_template(
    plan: Plan,
    inputs: Inputs,
    template: Template,
    *,
    tag: str = "",
    say: Say = log.info,
    stop: StopSwitch | None = None,
) -> ReportResult:
    """Turn one template into its result: skipped, failed (with the reason) or published.

    A template whose required input is absent or empty (``Template.requires``, see
    ``templates.unmet_requirements``) is skipped with the reason; a template that could not
    be read (``Template.error``: not a notebook, bad metadata) fails with it; any error while
    executing or publishing makes it ``failed`` without raising, so the other templates still
    run. Once ``stop`` is stopped, a template fails as interrupted, unstarted or not. The
    template's own warnings (its metrics' ``"warnings"``) become the result's and are said
    after its status line.
    """
    tag = tag or template.slug
    title = template.title_in(plan.lang)
    if template.error or (stop is not None and stop.stopped):
        reason = template.error or stop.reason
        say(f"{tag}: FAILED — {reason}")
        return ReportResult(
            template.slug, title, "failed", reason=reason, audience=template.audience
        )
    # a template the run did not check is not run on trust
    unmet = inputs.unmet.get(template.slug, ["the run did not check what this template needs"])
    if unmet:
        reason = "; ".join(unmet)
        say(f"{tag}: skipped ({reason})")
        return ReportResult(template.slug, title, "skipped", reason=reason)
    say(f"{tag}: running")
    start = time.perf_counter()
    result = ReportResult(
        template.slug, title, "failed", summary=template.summary, audience=template.audience
    )
    try:
        notebook, result.metrics = execute_template(plan, inputs, template, stop=stop)
        result.warnings = [dict(w) for w in result.metrics.get("warnings", [])]
        page = publish_page(plan, inputs, template, notebook, stop=stop)
        result.status = "ok"
        if template.audience == "analyst":
            result.reason = f"analyst page: {page}"
        else:
            result.html = page.name
    except Exception as exc:  # one failing template must not stop the others
        # a message can quote a cell's value: masked before console, manifest and index
        result.reason = _failure_reason(exc, known=inputs.known)
        if stop is not None and stop.stopped:  # its kernel was killed by the stop switch
            result.reason = stop.reason
    kept = seal_executed(plan, template)
    result.seconds = round(time.perf_counter() - start, 2)
    status = "ok" if result.status == "ok" else f"FAILED — {result.reason}"
    say(f"{tag}: {status} ({result.seconds:.1f} s)")
    for warning in result.warnings:
        say(f"{tag}: warning: {privacy.mask_text(labels.warning_text(warning, lang='en'))}")
    if result.status == "failed":
        say(f"    executed notebook kept for the analyst: {kept}")
    return result


class _Quiet(logging.Filter):
    """Library log records into nothing when the run says them better itself.

    papermill's "Timeout waiting for execute reply" and "Kernel died while waiting for
    execute reply" (the report's failure line names the cell, the option or the signal), and
    asyncio's "Task was destroyed but it is pending!" for the output poller a timed-out cell
    leaves behind.
    """

    NOISE = (
        "Timeout waiting for execute reply",
        "Kernel died while waiting for execute reply",
        "Task was destroyed but it is pending",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.NOISE)


def _quiet_library_logs() -> None:
    for name in ("papermill", "asyncio"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Quiet) for f in logger.filters):
            logger.addFilter(_Quiet())


STOP_GRACE = 30  # seconds the reports get to wind down once their kernels are killed


def run_templates(
    plan: Plan,
    inputs: Inputs,
    *,
    workers: int = SIDE_BY_SIDE,
    say: Say = log.info,
    stop: StopSwitch | None = None,
) -> list[ReportResult]:
    """Run every template of the plan into results, in plan order.

    The reports run side by side, each in its own kernel (worker threads); the summary runs
    last, on their metrics. The calling thread only waits, looking at ``stop`` every quarter
    of a second: once it is stopped (a signal), no template starts, the running ones end with
    their killed kernels, and every report not finished is a failed result, interrupted.
    """
    stop = stop or StopSwitch()
    jobs = list(enumerate(plan.templates, 1))

    def one(job):
        i, template = job
        tag = f"[{i}/{len(jobs)}] {template.slug}"
        return run_template(plan, inputs, template, tag=tag, say=say, stop=stop)

    futures = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for summary in (False, True):  # the summary reads the others' metrics: it runs last
            batch = [job for job in jobs if job[1].summary == summary]
            futures.update({job[1].slug: pool.submit(one, job) for job in batch})
            _wait_for(futures.values(), stop)
            if stop.stopped:
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if stop.stopped:  # the kernels are dead: the running reports end within seconds
        say(f"{stop.reason}: stopping the reports that run")
        wait(futures.values(), timeout=STOP_GRACE)
    out = []
    for _, template in jobs:
        future = futures.get(template.slug)
        if future is not None and future.done() and not future.cancelled():
            out.append(future.result())
        else:
            out.append(
                ReportResult(
                    template.slug,
                    template.title_in(plan.lang),
                    "failed",
                    reason=stop.reason or "not run",
                    audience=template.audience,
                )
            )
    return out


def _wait_for(futures, stop: StopSwitch) -> None:
    """Wait until every future is done or the run is stopped; a signal does not raise here."""
    pending = set(futures)
    stop.waiting = True
    try:
        while pending and not stop.stopped:
            _, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
    finally:
        stop.waiting = False


# --- 5. manifest and index ----------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _input_files(data: Path) -> list[mf.InputFile]:
    files = (
        [data]
        if data.is_file()
        else sorted(p for p in data.iterdir() if p.is_file() and is_table_file(p))
    )
    return [mf.InputFile(str(p), p.stat().st_size, _sha256(p)) for p in files]


def _versions() -> dict[str, str]:
    out = {"crm_lab": __version__}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_run_record(
    plan: Plan, inputs: Inputs, results: list[ReportResult], *, seconds: float
) -> mf.Manifest:
    """Write a run's results as the period's ``manifest.json`` and rewrite ``index.html``.

    A report that failed this run but was published before keeps its last good page: its
    entry takes the earlier page, metrics and warnings and is marked ``stale``. The run's
    warnings (``Inputs.warnings``) go into the manifest's ``warnings``.

    Returns
    -------
    Manifest
        What was written.
    """
    path = plan.period_dir / mf.MANIFEST_FILE
    previous = {r.slug: r for r in mf.read_manifest(path).reports} if path.exists() else {}
    reports = []
    for r in results:
        before = previous.get(r.slug)
        if r.status == "failed" and before is not None and before.html:
            r = replace(
                r, html=before.html, metrics=before.metrics, warnings=before.warnings, stale=True
            )
        reports.append(r)
    manifest = mf.Manifest(
        period=plan.period.name,
        period_start=plan.period.start.date().isoformat(),
        as_of=plan.period.as_of.date().isoformat(),
        lang=plan.lang,
        inputs=_input_files(plan.data),
        parameters=dict(plan.params),
        versions=_versions(),
        seconds=round(seconds, 2),
        rows=dict(inputs.rows),
        accounting=inputs.accounting.to_dict(orient="records"),
        notes=list(inputs.notes),
        reports=reports,
        warnings=list(inputs.warnings),
    )
    plan.period_dir.mkdir(parents=True, exist_ok=True)
    manifest.write(plan.period_dir, known=inputs.known)
    write_index(plan.out_dir, known=inputs.known)
    return manifest


# --- the run ------------------------------------------------------------------------------------
def run_reports(
    data: str | Path,
    *,
    out_dir: str | Path,
    period: str | Period | None = None,
    as_of=None,
    lang: str = "en",
    params: dict[str, str] | None = None,
    templates_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
    data_key_file: str | Path | None = None,
    pseudonym_key_file: str | Path | None = None,
    aliases: str | Path | None = None,
    policies: str | Path | None = None,
    reading: dict | None = None,
    today=None,
    workers: int | None = None,
    progress: Say | None = None,
    stale_after_days: int = 7,
    cell_timeout: int = 1800,
    engine: str = "auto",
    spark_master: str | None = None,
    states_dir: str | Path | None = None,
) -> RunResult:
    """Run every report template on one input into the period's published HTML reports.

    Parameters
    ----------
    data : str or Path
        A folder of table files or one file (see ``ingest.read_clean``).
    out_dir : str or Path
        Stakeholder folder: reports go to ``out_dir/<period>/``, the index to
        ``out_dir/index.html``.
    period : str or Period, optional
        ``last-month``, ``2025-12``, ``2025-Q4``, ... (see ``core.periods.resolve_period``).
    as_of : date-like, optional
        Inclusive cut-off day; required when ``period`` does not fix one.
    lang : {"en", "zh"}
        Report language: titles, labels, narrative and segment names.
    params : dict of str to str, optional
        Extra template parameters as text (from ``--param`` or a YAML file); converted to each
        template's declared types, strings kept as given.
    templates_dir : str or Path, optional
        Folder of ``NN-slug.ipynb`` templates; the shipped ones when omitted.
    work_dir : str or Path, optional
        Analyst folder for the period's snapshot and executed notebooks (failed ones too);
        ``data/interim/<out-name>-<hash of out_dir>/<period>`` under the current folder when
        omitted (``default_work_dir``), so runs into different reports folders never share
        one. It is locked like ``out_dir``. The run says where it is as it starts, and
        ``RunResult.work_dir`` holds it.
    data_key_file : str or Path, optional
        Key for encrypted input files (``*.enc``, ``crm-lab encrypt``).
    pseudonym_key_file : str or Path, optional
        Key for customer pseudonyms, in the de-identified snapshot and passed to templates as
        ``pseudonym_key_file``; ``$CRM_LAB_KEY`` or the default key file when omitted.
    aliases, policies : str or Path, optional
        YAML files of extra header aliases and of cleaning policies.
    reading : dict, optional
        How the input is read, for ``ingest.read_clean``: ``profile`` (an export profile's
        name), ``profiles`` (a user's profile file or folder), ``columns`` (the user's header
        per column) and ``phone_region`` (``READING``).
    today : date-like, optional
        The day relative periods count from (default: the current date).
    workers : int, optional
        Reports executed at the same time, each in its own kernel (much of a kernel's time is
        start-up, so 3 suits a 2-core machine; bench/bench_report.py measures it). By
        default 3, and 1 when the input is large enough for an engine other than pandas
        (``engine.choose``): each kernel then holds gigabytes of order lines, and one at a
        time keeps the run within 8 GB at 20 M lines (``bench/bench_scale.py --report``).
    progress : callable, optional
        Called with one line of text as the run starts and as each report starts and ends,
        and with each warning (lines holding ``warning:``).
    stale_after_days : int
        When the data's last day (``data_end``: the last order line) is more than this many
        days before the as-of day, the run warns (``stale_data``): on the console, in the
        manifest and as a banner on top of every page.
    cell_timeout : int
        Seconds one cell of a template may run (1800); a cell running longer fails that
        report (``CellTimeoutError``, its kernel stopped), the others still run.
    engine : {"auto", "pandas", "duckdb", "spark"}
        Where the templates total the order lines (``crm_lab.engine``): ``auto`` keeps an
        input below ``engine.AUTO_LINES`` lines on pandas and sends a larger one to DuckDB;
        the pages are the same on every engine.
    states_dir : str or Path, optional
        The store of customers' states (see ``plan_run``).
    spark_master : str, optional
        The Spark engine's master URL (default ``local[*]``); ``$SPARK_REMOTE`` names a Spark
        Connect server instead.

    Returns
    -------
    RunResult
        One result per template; ``ok`` is False when any template failed.

    Raises
    ------
    NoTemplatesError
        No template in the templates folder; nothing is written.
    RunLockedError
        Another run is writing to ``out_dir`` or using the work folder.
    RunInterrupted
        SIGINT or SIGTERM (in the main thread): the kernels are killed, nothing more is
        published, the manifest records the reports not finished as interrupted (their last
        good pages stay) when the templates had started, and the locks are released.
    OSError
        A folder or file of the run cannot be written (read-only, disk full).
    StaleDataError
        The data ends before the period begins (a ``ValueError``); nothing is published and
        no manifest is written, the last good pages stay.
    """
    say = progress or log.info
    plan = plan_run(
        data,
        out_dir=out_dir,
        period=period,
        as_of=as_of,
        today=today,
        lang=lang,
        params=params,
        templates_dir=templates_dir,
        work_dir=work_dir,
        aliases=aliases,
        policies=policies,
        reading=reading,
        data_key_file=data_key_file,
        pseudonym_key_file=pseudonym_key_file,
        stale_after_days=stale_after_days,
        cell_timeout=cell_timeout,
        engine=engine,
        spark_master=spark_master,
        states_dir=states_dir,
    )
    say(f"work folder: {plan.work_dir}")
    say(f"templates: {len(plan.templates)} in {plan.templates_dir}")
    started = time.perf_counter()
    check_keys(plan)  # before the locks create any folder
    try:  # a named engine that cannot start stops the run before it reads anything
        check(plan.engine if plan.engine != "auto" else "pandas", spark_master=plan.spark_master)
    except EngineError as exc:
        raise ValueError(str(exc)) from None
    stop = StopSwitch()
    _quiet_library_logs()
    with _signals_stop(stop), _lock(plan.out_dir), _work_lock(plan):
        inputs = prepare_inputs(plan, say=say)
        _release_memory()
        if workers is None:
            workers = SIDE_BY_SIDE if inputs.engine == "pandas" else 1
            if workers == 1:
                say(f"  reports: one at a time (engine {inputs.engine}: a kernel holds its lines)")
        try:
            results = run_templates(plan, inputs, workers=workers, say=say, stop=stop)
        finally:
            owner_only(plan.work_dir)  # executed notebooks, kernel logs, metrics, analyst pages
        write_run_record(plan, inputs, results, seconds=time.perf_counter() - started)
    if stop.stopped:
        stopped = sum(r.reason == stop.reason for r in results)
        raise RunInterrupted(
            stop.signum,
            f"{stop.reason}: {stopped} of {len(results)} report(s) stopped, their last good "
            f"pages kept in {plan.period_dir}",
        )
    return RunResult(plan.period.name, plan.out_dir, results, work_dir=plan.work_dir)


def _release_memory() -> None:
    """Give the freed dataset's memory back to the system before the kernels start.

    ``prepare_inputs`` keeps no table, but Arrow's allocator and the C heap hold on to freed
    pages: at 20 M order lines about 3 GB the kernels could use (``bench/bench_scale.py``).
    """
    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc; other C libraries have no such call
    except (OSError, AttributeError):
        pass


@contextmanager
def _work_lock(plan: Plan):
    """Lock the work folder too, unless it is the reports folder itself (locked already).

    A work folder created here is its owner's only (0700): it holds the analyst's snapshot.
    """
    if plan.work_dir == plan.out_dir:
        yield
    else:
        with _lock(plan.work_dir, what="work folder", mode=0o700):
            yield
