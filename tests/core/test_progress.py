"""Long work says its steps: lines for a console, a tqdm bar in JupyterLab (core.progress)."""

from __future__ import annotations

import re

import pytest

from crm_lab import engine, ingest
from crm_lab.core.progress import steps


def test_lines_say_each_step_then_done_with_the_time():
    said = []
    with steps(said.append, "reading", total=2) as s:
        s.step("a.csv")
        s.step("b.csv")
    assert said[:2] == ["  reading 1/2: a.csv", "  reading 2/2: b.csv"]
    assert re.fullmatch(r"  reading: done \(\d+\.\d s\)", said[2])


def test_a_failed_task_says_no_done_and_closes_its_bar(capsys):
    said = []
    with pytest.raises(ValueError), steps(said.append, "cleaning", total=1) as s:
        s.step("rows")
        raise ValueError("planted")
    assert said == ["  cleaning 1/1: rows"]
    with pytest.raises(ValueError), steps(True, "cleaning", total=3) as s:
        s.step("rows")
        raise ValueError("planted")
    assert "cleaning" in capsys.readouterr().err  # the bar was drawn, then closed


def test_a_bar_counts_every_step_and_ends_full(capsys):
    with steps(True, "reading", total=3) as s:
        for name in ("a.csv", "b.csv", "c.csv"):
            s.step(name)
    err = capsys.readouterr().err
    assert "reading" in err and "3/3" in err.replace("\r", "\n").splitlines()[-1]


def test_silent_by_default(capsys):
    with steps(None, "reading", total=1) as s:
        s.step("a.csv")
    with steps(False, "reading") as s:
        s.step("a.csv")
    assert capsys.readouterr() == ("", "")


def test_read_clean_says_every_file_in_order_then_the_cleaning(demo_dir):
    said = []
    data = ingest.read_clean(demo_dir, progress=said.append)
    files = sorted(p.name for p in demo_dir.glob("*.csv"))  # not _truth.json
    reading = [line for line in said if line.startswith("  reading ")]
    assert [line.split(": ", 1)[1].rsplit(" (", 1)[0] for line in reading] == files
    assert all(re.search(r"\(\d+(\.\d)? (B|kB|MB)\)$", line) for line in reading)
    cleaning = next(line for line in said if line.startswith("  cleaning 1/1: "))
    assert cleaning.endswith(
        f"({len(ingest.load_data(demo_dir).tables['transactions']):,} order lines)"
    )
    assert [line.split(":")[0] for line in said if "done" in line] == [
        "  reading",
        "  cleaning",
    ]
    assert len(data.tables["transactions"]) > 0


def test_a_snapshot_is_one_step_and_the_engine_says_itself(demo_dir, tmp_path):
    snapshot = ingest.save_tables(ingest.read_clean(demo_dir), tmp_path / "tables")
    said = []
    ingest.read_clean(snapshot, progress=said.append)
    assert said[0] == "  reading 1/1: the snapshot tables"
    said.clear()
    engine.connect("duckdb", memory_gb=1, progress=said.append)
    assert said[0] == "  engine 1/1: duckdb, 1.0 GiB"
