"""Files into canonical tables: the only layer that reads user files.

``read_clean(path)`` is the entry point: it reads export files (``readers``: CSV, Excel,
Parquet, encrypted files; headers through aliases; every value through ``values``' parsers),
applies the table policies (``policies``: order-line rules, customer de-duplication through
``dedup``) and returns a ``Dataset``. A run's snapshot folder (``snapshot``) is already clean
and is read as it is, so a template gives the same numbers on the raw files and on a snapshot.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from crm_lab.core.dataset import Dataset
from crm_lab.core.progress import Progress, steps
from crm_lab.core.schemas import SCHEMAS
from crm_lab.engine import session  # Ibis, DuckDB and Spark load only when one connects
from crm_lab.ingest.parts import LineParts
from crm_lab.ingest.policies import clean_dataset, load_policies, read_tag_rules
from crm_lab.ingest.profiles import ProfileError, load_profiles
from crm_lab.ingest.readers import (
    BATCH_ROWS,
    LoadError,
    likely_order_lines,
    load_data,
    read_basket_file,
    read_table,
)
from crm_lab.ingest.snapshot import (
    SnapshotWriteError,
    is_snapshot,
    private_dir,
    read_snapshot,
    save_tables,
    table_names,
)

__all__ = [
    "Dataset",
    "LoadError",
    "ProfileError",
    "SnapshotWriteError",
    "clean_dataset",
    "is_snapshot",
    "load_data",
    "load_policies",
    "read_tag_rules",
    "load_profiles",
    "private_dir",
    "read_basket_file",
    "read_clean",
    "read_lines",
    "read_snapshot",
    "read_table",
    "save_tables",
    "table_names",
]


def read_clean(
    path: str | Path,
    *,
    policies: str | Path | dict | None = None,
    aliases: str | Path | None = None,
    data_key_file: str | Path | None = None,
    max_uncompressed_mb: float | None = None,
    profile: str | None = None,
    profiles: str | Path | None = None,
    columns: dict[str, str] | None = None,
    phone_region: str | None = None,
    progress: Progress = None,
    tables=None,
    logs: bool | None = None,
    engine: str = "pandas",
    spark_master: str | None = None,
    spill: str | Path | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Dataset:
    """Read export files (or a run's snapshot) into a clean ``Dataset``.

    ``clean_dataset(load_data(path))`` for export files; a snapshot folder written by
    ``save_tables`` is read as it is (it was cleaned when it was written).

    Parameters
    ----------
    path : str or Path
        A folder of table files, one file, or a snapshot folder.
    policies, aliases : str or Path, optional
        YAML files of cleaning policies and of extra header aliases.
    data_key_file : str or Path, optional
        Key for encrypted input files (``*.enc``) and encrypted snapshots.
    max_uncompressed_mb : float, optional
        The most a compressed input may expand to before it is parsed
        (``$CRM_LAB_MAX_UNCOMPRESSED_MB``, else 200).
    profile, profiles, columns, phone_region : optional
        The export profile (``"salesforce"``; detected when omitted), a user's profile file
        or folder, the user's header per column (``{"customers.customer_id": "AccountId"}``)
        and the region of phone numbers without a country (see ``readers.read_table``).
    progress : callable or bool, optional
        Say each step (each file read, the cleaning) as it begins: a function of one line
        such as ``print``, or ``True`` for a bar in JupyterLab (``core.progress``).
    tables : list of str, optional
        Only these tables: from a snapshot, only their files are read and none of its logs
        (``read_snapshot``); export files are read and cleaned whole, then the others left
        out.
    logs : bool, optional
        From a snapshot, read its logs (quarantine, accounting, merges, review) too, or not;
        by default only when every table is read. Export files always come with them.
    engine, spark_master : str, optional
        From a run's plain snapshot on ``duckdb`` or ``spark`` (or ``auto`` choosing one), the
        ``transactions`` are the engine's table over the snapshot's Parquet file
        (``read_lines``), not read into memory; the other tables are read as usual. The
        quality tables take such a dataset, and the analyses that take an engine's table
        (RFM, the headline figures, tags, ...) its ``transactions``. An encrypted snapshot's
        lines, and those of export files once cleaned, are copied to the engine. An engine
        that does not exist is a ``ValueError`` before anything is read, and so is a
        ``spark_master`` without ``spark``.

        From export files on ``duckdb`` or ``spark`` (on ``auto``, when they may hold
        ``AUTO_LINES`` order lines or more: ``readers.likely_order_lines``), the order lines are
        read and cleaned out of core (``parts``): ``batch_rows`` records of a file at a time into
        Parquet parts in ``spill`` (a new private temporary folder when omitted, removed when
        the process ends), the rules across rows (duplicates, shared invoices) decided by
        DuckDB, and the clean lines one Parquet file there that the engine reads lazily.
        The same tables and logs as on ``pandas`` (tested), with memory for a batch, not the
        table. Not with a ``data_key_file``: encrypted inputs are read in memory, as nothing
        of them may be written in plain.
    """
    session.check_name(engine, spark_master=spark_master)  # before anything is read
    if isinstance(tables, str):
        tables = [tables]
    unknown = sorted(set(tables or ()) - set(SCHEMAS))
    if unknown:
        raise ValueError(f"tables: unknown table(s) {unknown}; expected some of {list(SCHEMAS)}")
    if is_snapshot(path):
        with steps(progress, "reading", total=1) as said:
            said.step(f"the snapshot {Path(path).name}")
            if engine != "pandas" and "transactions" in (tables or SCHEMAS):
                return _with_lines(
                    path, engine, spark_master, key_file=data_key_file, tables=tables, logs=logs
                )
            return read_snapshot(path, key_file=data_key_file or None, tables=tables, logs=logs)
    # out of core off pandas (auto: when the files may hold an engine's worth of lines);
    # never with a data key: its inputs are never written in plain
    out_of_core = engine != "pandas" and not data_key_file
    if engine == "auto" and out_of_core:
        out_of_core = likely_order_lines(path, aliases=aliases) >= session.AUTO_LINES
    if out_of_core and spill is None:
        spill = _temporary_folder()
    data = load_data(
        path,
        spill=spill if out_of_core else None,
        batch_rows=batch_rows,
        aliases=str(aliases) if aliases else None,
        key_file=data_key_file,
        max_uncompressed_mb=max_uncompressed_mb,
        profile=profile,
        profiles=profiles,
        columns=columns,
        phone_region=phone_region,
        progress=progress,
    )
    with steps(progress, "cleaning", total=1) as said:
        lines = len(data.tables.get("transactions", ()))
        said.step(f"{sum(map(len, data.tables.values())):,} rows ({lines:,} order lines)")
        cleaned = clean_dataset(data, policies=policies)
    kept = {t: f for t, f in cleaned.tables.items() if tables is None or t in tables}
    lines = kept.get("transactions")
    if isinstance(lines, LineParts):  # cleaned out of core: the engine reads the clean file
        name = session.choose(engine, lines=_file_rows(lines.clean_file))
        on = session.connect(name, spark_master=spark_master or None)
        kept["transactions"] = on.lines(lines.clean_file)
    elif engine != "pandas" and lines is not None:  # in memory (a profile that needs it)
        kept["transactions"] = _copied(lines, engine, spark_master)
    return dataclasses.replace(cleaned, tables=kept)


def _temporary_folder() -> Path:
    """A private folder for a load's order-line parts, removed when the process ends."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="crm_lab-lines-"))  # 0700
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _file_rows(file: Path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(file).num_rows


def read_lines(
    path: str | Path,
    *,
    engine: str = "pandas",
    data_key_file: str | Path | None = None,
    spark_master: str | None = None,
    columns=None,
):
    """A run's snapshot (or export files) into the order lines an analysis totals on an engine.

    What a report template reads its order lines with. On ``pandas``, the cleaned
    ``transactions`` as a DataFrame (only ``columns`` of them, when given, from a snapshot:
    the other columns are not read). On ``duckdb`` or ``spark``, a run's plain snapshot is not
    read here at all: the result is the engine's table over its ``transactions.parquet``,
    which reads only the columns and rows each expression uses. An encrypted snapshot, which
    no engine reads, is read here and its lines copied to the engine; a folder of export
    files is read and cleaned out of core onto it (``read_clean``). ``auto`` chooses by the
    number of lines in the input (every line, whatever its date; a run passes the engine it
    chose by the lines up to its as-of day).

    Raises
    ------
    ValueError
        ``engine`` is not one of ``engine.ENGINES`` (before anything is read).
    LoadError
        The input has no order lines (no transactions table), its ``_snapshot.yaml`` does not
        match the folder, or ``read_clean`` cannot read it.
    EngineError
        The engine cannot connect, or cannot read the snapshot's Parquet file.

    Examples
    --------
    >>> import tempfile
    >>> from crm_lab import synth
    >>> exports = Path(tempfile.mkdtemp())
    >>> _ = synth.write_demo(synth.make_demo(n_customers=30, seed=1), exports)
    >>> snapshot = save_tables(read_clean(exports), exports / "snapshot")
    >>> list(read_lines(snapshot, columns=["customer_id", "amount"]).columns)
    ['customer_id', 'amount']
    >>> read_lines(snapshot, engine="duckdb").count().execute() == len(read_lines(exports))
    True
    """
    none = "no order lines here (no transactions table) to total"
    session.check_name(engine, spark_master=spark_master)  # before anything is read
    if session.is_plain_snapshot(path):
        known = _snapshot_lines(path) if engine == "auto" else 0
        name = session.choose(engine, lines=known)
        if name != "pandas":
            # checked as read_snapshot checks it (a stale snapshot is a LoadError), unread
            if "transactions" not in table_names(path):
                raise LoadError(Path(path), none)
            return session.connect(name, spark_master=spark_master or None).lines(path)
    if is_snapshot(path):
        data = read_snapshot(
            path, key_file=data_key_file or None, tables=["transactions"], columns=columns
        )
    else:  # export files: off pandas, read and cleaned out of core onto the engine
        data = read_clean(
            path,
            data_key_file=data_key_file,
            tables=["transactions"],
            engine=engine,
            spark_master=spark_master,
        )
    if "transactions" not in data.tables:
        raise LoadError(Path(path), none)
    lines = data.tables["transactions"]
    if columns is not None:
        wanted = [c for c in dict.fromkeys(columns) if c in lines.columns]
        lines = lines.select(wanted) if session.is_table(lines) else lines[wanted]
    return lines if session.is_table(lines) else _copied(lines, engine, spark_master)


def _copied(lines, engine: str, spark_master: str | None):
    """Order lines no engine reads from disk (encrypted, or export files) into the engine's
    table of them (``auto`` chooses by their number; on pandas, the frame itself)."""
    name = session.choose(engine, lines=len(lines))
    return session.connect(name, spark_master=spark_master or None).lines(lines)


def _with_lines(path, engine: str, spark_master, *, key_file, tables, logs) -> Dataset:
    """A snapshot into its dataset with the order lines on ``engine`` (``read_clean``)."""
    key_file = key_file or None
    names = [t for t in table_names(path, key_file=key_file) if tables is None or t in tables]
    others = [t for t in names if t != "transactions"]
    logs = tables is None if logs is None else logs
    data = read_snapshot(path, key_file=key_file, tables=others, logs=logs)
    if "transactions" not in names:
        return data
    lines = read_lines(path, engine=engine, data_key_file=key_file, spark_master=spark_master)
    kept = {t: lines if t == "transactions" else data.tables[t] for t in names}
    return dataclasses.replace(data, tables=kept)


def _snapshot_lines(path: str | Path) -> int:
    """The number of order lines in a plain snapshot, from its Parquet footer (0 without)."""
    import pyarrow.parquet as pq

    try:
        return pq.read_metadata(Path(path) / "transactions.parquet").num_rows
    except (OSError, ValueError):  # no lines file, or not Parquet: read_snapshot says which
        return 0
