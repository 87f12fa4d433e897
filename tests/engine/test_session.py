"""An engine that cannot start is said before a run reads anything (engine.check)."""

from __future__ import annotations

import sys

import pytest

from crm_lab import cli, engine


def _fake_java(folder, version: str):
    """A ``bin/java`` under ``folder`` that prints ``version`` the way a JVM does (stderr)."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    java = bin_dir / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-01-16' >&2\n")
    java.chmod(0o755)
    return folder


@pytest.mark.parametrize(("version", "said"), [("11.0.22", "Java 11"), ("1.8.0_392", "Java 8")])
def test_spark_with_a_java_older_than_17_is_refused_with_its_version(
    tmp_path, monkeypatch, version, said
):
    pytest.importorskip("pyspark")
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path / "jdk", version)))
    with pytest.raises(engine.EngineError, match=f"says {said};.*17 or newer.*--engine duckdb"):
        engine.check("spark")


@pytest.mark.parametrize("version", ["17.0.15", "21"])
def test_spark_with_java_17_or_newer_passes(tmp_path, monkeypatch, version):
    pytest.importorskip("pyspark")
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path / "jdk", version)))
    assert engine.check("spark") is None


def test_spark_without_java_names_where_it_looked(tmp_path, monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "none"))
    with pytest.raises(engine.EngineError, match=r"\$JAVA_HOME/bin/java .*none\): not found"):
        engine.check("spark")
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(engine.EngineError, match="java on the PATH: not found; .*make java"):
        engine.check("spark")


def test_a_spark_connect_server_needs_no_local_java(tmp_path, monkeypatch):
    pytest.importorskip("pyspark")
    import socket

    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "none"))
    with socket.socket() as server:  # a server that answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"sc://127.0.0.1:{server.getsockname()[1]}"
        monkeypatch.setenv("SPARK_REMOTE", url)
        assert engine.check("spark") is None
        monkeypatch.delenv("SPARK_REMOTE")
        assert engine.check("spark", spark_remote=url) is None


def test_spark_without_pyspark_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    with pytest.raises(engine.EngineError, match=r"needs pyspark.*crm_lab\[spark\]"):
        engine.check("spark")
    assert engine.check("duckdb") is None


def test_report_on_spark_without_java_is_one_error_line_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("pyspark")
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "none"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "transactions.csv").write_text(
        "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "1,a,2025-01-05,p,1,2.5\n",
        "utf-8",
    )
    argv = ["report", "--data", str(data), "--as-of", "2025-01-05", "--engine", "spark"]
    argv += ["--out", str(tmp_path / "r"), "--work", str(tmp_path / "w")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("error: $JAVA_HOME/bin/java (") and "--engine duckdb" in err[-1]
    assert not (tmp_path / "r").exists() and not (tmp_path / "w").exists()


def test_an_unknown_engine_is_refused_by_the_command_and_the_api(tmp_path, capsys):
    from crm_lab.reporting import run

    with pytest.raises(SystemExit) as stopped:
        cli.main(["report", "--data", str(tmp_path), "--as-of", "2025-01-05", "--engine", "x"])
    assert stopped.value.code == 2
    assert "invalid choice: 'x'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="engine must be one of auto, pandas, duckdb, spark"):
        run.plan_run(tmp_path, out_dir=tmp_path / "r", as_of="2025-01-05", engine="polars")


@pytest.mark.parametrize("master", ["garbage", "local[x]", "http://spark:7077"])
def test_a_spark_master_of_no_known_form_is_refused_before_anything_starts(master):
    with pytest.raises(engine.EngineError, match=r"expected local\[\*\], local\[N\], spark://"):
        engine.check("spark", spark_master=master)


@pytest.mark.parametrize("master", ["local", "local[*]", "local[2]", "spark://h:7077", "yarn"])
def test_the_known_forms_of_a_spark_master_pass(master, tmp_path, monkeypatch):
    from crm_lab.engine import session

    monkeypatch.setenv("SPARK_REMOTE", "sc://x:1")  # no local Java needed for this check
    tried = []
    monkeypatch.setattr(session, "reach", tried.append)
    assert engine.check("spark", spark_master=master) is None
    assert tried == ["sc://x:1"]  # the Connect server wins over the master, and is tried


def _closed_port() -> int:
    import socket

    with socket.socket() as s:  # a port just freed: nothing listens on it
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("scheme", ["spark", "sc"])
def test_a_spark_master_or_server_that_does_not_answer_is_refused_in_seconds(scheme):
    import socket
    import time

    port = _closed_port()
    began = time.monotonic()
    with pytest.raises(engine.EngineError, match=rf"{scheme}://127.0.0.1:{port}: nothing answers"):
        engine.reach(f"{scheme}://127.0.0.1:{port}", seconds=2)
    assert time.monotonic() - began < 10  # Spark itself retries for many minutes
    with socket.socket() as server:  # one of several masters answering is enough
        server.bind(("127.0.0.1", 0))
        server.listen()
        live = server.getsockname()[1]
        assert engine.reach(f"{scheme}://127.0.0.1:{port},127.0.0.1:{live}") is None


def test_check_refuses_an_unreachable_master_before_anything_starts(tmp_path, monkeypatch):
    from crm_lab.engine import session

    monkeypatch.setattr(session, "_check_java", lambda: None)
    port = _closed_port()
    with pytest.raises(engine.EngineError, match="--spark-master spark://127.0.0.1"):
        engine.check("spark", spark_master=f"spark://127.0.0.1:{port}")


def test_a_spark_master_without_the_spark_engine_is_refused(tmp_path):
    from crm_lab.reporting import run

    with pytest.raises(ValueError, match=r"a Spark master \(local\[2\]\) needs engine 'spark'"):
        run.plan_run(tmp_path, out_dir=tmp_path / "r", as_of="2025-01-05", spark_master="local[2]")


def test_auto_counts_the_lines_up_to_the_as_of_day_only(tmp_path, monkeypatch):
    """A period's engine (and so its page) does not depend on data after its as-of day."""
    from crm_lab.engine import session
    from crm_lab.reporting import run

    monkeypatch.setattr(run, "AUTO_LINES", 2)  # what the run says
    monkeypatch.setattr(session, "AUTO_LINES", 2)  # what choose decides by
    data = tmp_path / "data"
    data.mkdir()
    rows = ["invoice_id,customer_id,ordered_at,product_id,quantity,unit_price"]
    rows += [f"{i},a,2025-01-0{i},p,1,2.5" for i in range(1, 6)]  # 1 line up to the 1st
    (data / "transactions.csv").write_text("\n".join(rows) + "\n", "utf-8")
    said = []
    plan = run.plan_run(data, out_dir=tmp_path / "r", work_dir=tmp_path / "w", as_of="2025-01-01")
    inputs = run.prepare_inputs(plan, say=said.append)
    assert inputs.engine == "pandas"
    assert any("engine: pandas (1 order lines up to the as-of day" in line for line in said)
