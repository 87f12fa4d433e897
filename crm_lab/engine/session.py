"""An engine's name and options into a connection that turns event tables into engine tables.

Ibis, DuckDB and PySpark are imported when an engine is connected, never at import time:
``import crm_lab.value`` stays light, and a machine without Java loses only the Spark engine.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from crm_lab.core.dataset import SNAPSHOT_MARKER
from crm_lab.core.progress import Progress, steps
from crm_lab.core.schemas import microseconds, nanoseconds

__all__ = [
    "AUTO_LINES",
    "ENGINES",
    "Engine",
    "EngineError",
    "check",
    "check_name",
    "choose",
    "connect",
    "is_plain_snapshot",
    "is_table",
    "reach",
    "refuse_zones",
]

ENGINES = ("auto", "pandas", "duckdb", "spark")
# "auto" keeps inputs below this many order lines on pandas (faster there: no engine start, no
# Parquet scan) and sends larger ones to DuckDB. Online Retail (541,909 lines) stays on pandas.
AUTO_LINES = 2_000_000


class EngineError(RuntimeError):
    """An engine that cannot start or cannot read its input; the message says what to do."""


def is_table(obj) -> bool:
    """Whether ``obj`` is an engine's table (an Ibis table) rather than a pandas DataFrame.

    >>> is_table(pd.DataFrame())
    False
    """
    return type(obj).__module__.startswith("ibis.")


def row_count(table) -> int:
    """A table's number of rows: a DataFrame's length, or counted by its engine.

    >>> row_count(pd.DataFrame({"a": [1, 2]}))
    2
    """
    return int(table.count().execute()) if is_table(table) else len(table)


def arrow_batches(table, *, rows: int = 1_000_000):
    """An engine's table into its rows as Arrow record batches, one batch in memory at a time.

    On DuckDB the table's SQL is streamed from its own connection (Ibis's own batch reader
    calls a DuckDB method DuckDB 2 no longer has); a table built from a DataFrame (an Ibis
    memtable, already in memory) and Spark's tables go through Ibis.
    """
    import ibis

    backend = ibis.get_backend(table)
    if backend.name == "duckdb":
        import duckdb

        try:
            reader = backend.con.sql(ibis.to_sql(table, dialect="duckdb")).to_arrow_reader(rows)
        except duckdb.Error:  # a memtable, which only Ibis registers
            yield from table.to_pyarrow().to_batches(max_chunksize=rows)
            return
        yield from reader
        return
    yield from table.to_pyarrow_batches(chunk_size=rows)


def refuse_zones(frame: pd.DataFrame) -> None:
    """A table into nothing, or a ``ValueError`` naming its columns of time-zone-aware times.

    crm_lab's times are wall-clock times without a zone (``ingest`` writes them so). A zone
    would be dropped by one engine and shifted to UTC by another, so it is refused on all.

    >>> refuse_zones(pd.DataFrame({"at": pd.to_datetime(["2024-01-01 09:00"])}))
    >>> zoned = pd.DataFrame({"at": pd.to_datetime(["2024-01-01"]).tz_localize("UTC")})
    >>> refuse_zones(zoned)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: column at has times with a time zone (UTC); crm_lab takes wall-clock times: ...
    """
    zoned = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    if zoned:
        zones = ", ".join(sorted({str(frame[c].dt.tz) for c in zoned}))
        raise ValueError(
            f"column {', '.join(map(str, zoned))} has times with a time zone ({zones}); crm_lab "
            "takes wall-clock times: convert with .dt.tz_convert(zone).dt.tz_localize(None)"
        )


def choose(name: str, *, lines: int) -> str:
    """An engine name (``auto`` included) and the input's number of order lines into an engine.

    >>> choose("auto", lines=541_909), choose("spark", lines=10)
    ('pandas', 'spark')
    """
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}; got {name!r}")
    if name != "auto":
        return name
    return "duckdb" if lines >= AUTO_LINES else "pandas"


def check_name(name: str, *, spark_master: str | None = None) -> None:
    """An engine name (``auto`` too) and a Spark master into nothing, or a ``ValueError``.

    A name that is not an engine, or a Spark master without the ``spark`` engine, is refused;
    nothing is imported or started (``check`` is what finds what an engine lacks).

    >>> check_name("auto")
    >>> check_name("duckdb", spark_master="local[2]")
    Traceback (most recent call last):
    ...
    ValueError: a Spark master (local[2]) needs engine 'spark'; got 'duckdb'
    """
    choose(name, lines=0)  # a name that is not an engine
    if spark_master and name != "spark":
        raise ValueError(f"a Spark master ({spark_master}) needs engine 'spark'; got {name!r}")


def _memory_gb(share: float = 0.25) -> float:
    """A quarter of the machine's memory, in GiB.

    A quarter: up to three report kernels run side by side, and pandas needs the rest.
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX machine: a modest default
        total = 8 * 2**30
    return max(1.0, round(total * share / 2**30, 1))


@dataclass
class Engine:
    """A connected engine: its ``name`` and, except on pandas, its Ibis ``backend``."""

    name: str
    backend: Any = None
    session: Any = field(default=None, repr=False)  # the SparkSession on Spark

    def lines(self, source, *, table: str = "transactions"):
        """A snapshot folder, a Parquet file or a DataFrame into the engine's table of rows.

        On pandas the result is a DataFrame; on DuckDB and Spark it is an Ibis table that
        reads the Parquet file lazily (only the columns and rows an expression uses).
        A folder names the cleaned snapshot (``<folder>/<table>.parquet``); an encrypted
        snapshot must be read by ``ingest`` first and passed as a DataFrame.
        """
        if isinstance(source, pd.DataFrame):
            refuse_zones(source)
            return source if self.name == "pandas" else self._from_frame(source, table=table)
        path = Path(source)
        file = path / f"{table}.parquet" if path.is_dir() else path
        if path.is_dir() and not (path / SNAPSHOT_MARKER).is_file():
            raise EngineError(
                f"{path}: not a run's snapshot (no {SNAPSHOT_MARKER}): export files must be "
                "read and cleaned first: pass ingest.read_clean(...)[table] instead"
            )
        if not file.is_file():
            encrypted = file.with_name(file.name + ".enc")
            hint = " (encrypted: read it with ingest.read_clean)" if encrypted.is_file() else ""
            raise EngineError(f"{file}: no such Parquet file{hint}")
        try:
            if self.name == "pandas":
                return nanoseconds(pd.read_parquet(file))
            return self.backend.read_parquet(str(file))
        except Exception as exc:  # pyarrow, DuckDB and Spark raise their own types
            raise EngineError(
                f"{file}: not a readable Parquet file ({type(exc).__name__}); run the report "
                "again to write a new snapshot, or read it with ingest.read_clean"
            ) from None

    def _from_frame(self, frame: pd.DataFrame, *, table: str):
        import ibis
        import pyarrow as pa

        # Spark reads no nanosecond timestamps: microseconds, as the snapshot writes them
        arrow = microseconds(pa.Table.from_pandas(frame, preserve_index=False))
        if self.name == "spark":
            # a name never reused: the id() of a freed frame is, and would repoint a view
            name = f"crm_lab_{table}_{uuid.uuid4().hex}"
            self.session.createDataFrame(arrow).createOrReplaceTempView(name)
            return self.backend.table(name)
        return ibis.memtable(arrow)

    def to_pandas(self, expr) -> pd.DataFrame:
        """Run an Ibis expression on this engine and return the (small) result as a DataFrame."""
        return self.backend.to_pandas(expr)


def connect(
    name: str = "duckdb",
    *,
    memory_gb: float | None = None,
    threads: int | None = None,
    temp_dir: str | Path | None = None,
    spark_master: str | None = None,
    spark_remote: str | None = None,
    progress: Progress = None,
) -> Engine:
    """An engine's name and options into a connected ``Engine``.

    Parameters
    ----------
    name : {"pandas", "duckdb", "spark"}
        ``auto`` is not an engine: ``choose`` turns it into one for an input's size.
    memory_gb : float, optional
        DuckDB's memory limit and Spark's driver memory, in GiB (default: a quarter of the
        machine's memory). DuckDB spills to ``temp_dir`` (its default when omitted) beyond it.
    threads : int, optional
        DuckDB's threads (default: every core).
    spark_master : str, optional
        The Spark master URL (default ``local[*]``: Spark in this process's machine).
    spark_remote : str, optional
        A Spark Connect server ("sc://host:15002"; default ``$SPARK_REMOTE``); wins over
        ``spark_master``.
    progress : callable or bool, optional
        Say the engine as it starts (``core.progress``; Spark takes some seconds).
    """
    if name == "pandas":
        return Engine("pandas")
    memory = float(memory_gb or _memory_gb())
    with steps(progress, "engine", total=1) as said:
        where = spark_remote or os.environ.get("SPARK_REMOTE") or spark_master or "local[*]"
        said.step(f"{name}, {memory:.1f} GiB" + (f" at {where}" if name == "spark" else ""))
        return _connect(
            name,
            memory=memory,
            threads=threads,
            temp_dir=temp_dir,
            spark_master=spark_master,
            spark_remote=spark_remote,
        )


def _connect(name, *, memory, threads, temp_dir, spark_master, spark_remote) -> Engine:
    if name == "duckdb":
        import ibis

        config = {"memory_limit": f"{int(memory * 1024)}MiB"}
        if threads:
            config["threads"] = int(threads)
        if temp_dir:
            config["temp_directory"] = str(temp_dir)
        return Engine("duckdb", backend=ibis.duckdb.connect(**config))
    if name == "spark":
        return _connect_spark(memory=memory, master=spark_master, remote=spark_remote)
    raise ValueError(f"engine must be pandas, duckdb or spark; got {name!r}")


MASTER_FORMS = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?|spark://\S+|yarn|k8s://\S+|mesos://\S+")


def check(name: str, *, spark_master: str | None = None, spark_remote: str | None = None) -> None:
    """An engine's name into nothing, or an ``EngineError`` saying what it lacks, in a second.

    What a run checks before it reads its input: DuckDB needs Ibis and DuckDB; Spark needs
    pyspark and, unless a Spark Connect server does the work (``spark_remote`` or
    ``$SPARK_REMOTE``), a Java runtime 17 or newer for its driver, found under ``$JAVA_HOME``
    or on the ``PATH``. Nothing is started.

    >>> check("pandas")
    >>> check("polars")
    Traceback (most recent call last):
    ...
    ValueError: engine must be pandas, duckdb or spark; got 'polars'
    """
    if spark_master and not MASTER_FORMS.fullmatch(spark_master):
        raise EngineError(
            f"--spark-master {spark_master!r}: expected local[*], local[N], spark://HOST:PORT, "
            "yarn or k8s://URL"
        )
    if name == "pandas":
        return
    if name not in ("duckdb", "spark"):
        raise ValueError(f"engine must be pandas, duckdb or spark; got {name!r}")
    need = ("ibis", "duckdb") if name == "duckdb" else ("ibis", "pyspark")
    for module in need:
        try:
            __import__(module)
        except ImportError:
            extra = "pip install 'crm_lab[spark]'" if module == "pyspark" else "pip install crm_lab"
            raise EngineError(
                f"the {name} engine needs {module}, which is not installed: {extra}"
                + ("; or use --engine duckdb" if name == "spark" else "")
            ) from None
    remote = spark_remote or os.environ.get("SPARK_REMOTE")
    if name == "spark" and not remote:
        _check_java()
    if name == "spark":
        reach(remote or spark_master or "local[*]")


REACH_SECONDS = 5.0  # a Spark master or Connect server that does not answer in this is down


def reach(url: str, *, seconds: float = REACH_SECONDS) -> None:
    """A Spark master or Spark Connect URL into nothing, or an ``EngineError`` if none answers.

    ``spark://host:port`` (several hosts: comma-separated; port 7077 by default) and
    ``sc://host:port`` (15002) are tried with a TCP connection of at most ``seconds`` each:
    Spark itself would retry an unreachable master for many minutes. Local mode, YARN and
    Kubernetes URLs are not tried.

    >>> reach("local[2]")
    """
    found = re.match(r"(spark|sc)://([^/;?]+)", url)
    if not found:
        return
    default = 7077 if found[1] == "spark" else 15002
    said = []
    for address in found[2].split(","):
        host, colon, port = address.rpartition(":")
        if not colon or host.endswith(":"):  # no port, or a bare IPv6 address
            host, port = address, str(default)
        host = host.strip("[]")
        try:
            socket.create_connection((host, int(port)), timeout=seconds).close()
            return
        except (OSError, ValueError) as exc:
            said.append(f"{host}:{port}: {getattr(exc, 'strerror', None) or exc}")
    what = "--spark-master" if found[1] == "spark" else "the Spark Connect server ($SPARK_REMOTE)"
    raise EngineError(
        f"{what} {url}: nothing answers ({'; '.join(said)}). Start it or name a running one; "
        "or use --engine duckdb"
    )


def _check_java() -> None:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    advice = (
        "the Spark engine needs a Java runtime, 17 or newer (Debian: apt-get install "
        "default-jre-headless; `make java` does it), or a Spark Connect server in "
        "$SPARK_REMOTE; or use --engine duckdb"
    )
    if not java or not Path(java).is_file():
        where = f"$JAVA_HOME/bin/java ({home})" if home else "java on the PATH"
        raise EngineError(f"{where}: not found; {advice}")
    try:
        said = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EngineError(f"{java} -version failed ({exc}); {advice}") from None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', said.stderr + said.stdout)
    major = (int(found[2] or 0) if found[1] == "1" else int(found[1])) if found else 0
    if major < 17:
        version = f"Java {found[1] if found[1] != '1' else found[2]}" if found else "no version"
        raise EngineError(f"{java} -version says {version}; {advice}")


def _connect_spark(*, memory: float, master: str | None, remote: str | None) -> Engine:
    # pyspark warns that it "does not yet fully support pandas >= 3" on every conversion; the
    # engine tests prove its results equal pandas', and a page must not show the warning
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark(\.|$)")
    warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module="pyspark")
    try:
        import ibis
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            f"the Spark engine needs pyspark ({exc.name} is not installed): "
            "pip install 'crm_lab[spark]', or use --engine duckdb"
        ) from None
    remote = remote or os.environ.get("SPARK_REMOTE")
    reach(remote or master or "local[*]")
    builder = SparkSession.builder.appName("crm_lab")
    if remote:
        builder = builder.remote(remote)
    else:
        builder = (
            builder.master(master or "local[*]")
            .config("spark.driver.memory", f"{int(memory * 1024)}m")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            # FP-growth ships its trees between tasks with Java serialisation, which recurses
            # once per tree level: a basket of a thousand lines overflows the default stack
            .config("spark.driver.extraJavaOptions", "-Xss64m")
            .config("spark.executor.extraJavaOptions", "-Xss64m")
        )
    # the snapshot's timestamps are wall-clock times: read and written as UTC, never shifted
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own types for a missing or wrong Java
        where = remote or master or "local[*]"
        if remote or not (master or "local").startswith("local"):
            raise EngineError(
                f"Spark could not start ({where}): {type(exc).__name__}: {str(exc)[:300]}. "
                "Check that the master (--spark-master) or Spark Connect server ($SPARK_REMOTE) "
                "runs and is reachable; or use --engine duckdb"
            ) from None
        raise EngineError(
            f"Spark could not start ({where}): {type(exc).__name__}: {str(exc)[:300]}. Local "
            "mode needs a Java runtime, 17 or newer (Debian: apt-get install "
            "default-jre-headless; `make java` does it); or use --engine duckdb"
        ) from None
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    return Engine("spark", backend=ibis.pyspark.connect(session), session=session)


def is_plain_snapshot(folder: str | Path) -> bool:
    """Whether ``folder`` is a run's snapshot the engines can read: marked, not encrypted.

    The engine layer does not import ``ingest``; this reads the marker ``save_tables`` writes
    (an encrypted snapshot's says ``encrypted: true``).

    >>> is_plain_snapshot("no/such/folder")
    False
    """
    try:
        marker = yaml.safe_load((Path(folder) / SNAPSHOT_MARKER).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return not (isinstance(marker, dict) and marker.get("encrypted"))
