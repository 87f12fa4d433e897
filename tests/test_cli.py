"""The command line: every subcommand parses, and its flags reach what it runs."""

from __future__ import annotations

import csv
import errno
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from crm_lab import cli, privacy
from crm_lab.reporting import run

TX = (
    "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    "1,a,2025-01-02,p,1,10\n1,a,2025-01-02,q,1,7\n2,b,2025-01-03,p,2,0\n"
    "3,b,2025-01-04,p,1,10\n3,b,2025-01-04,q,1,7\n4,c,2025-01-05,p,1,10\n"
)
KEEP_ZERO_PRICES = "quarantine_non_positive_prices: false\n"


@pytest.fixture
def files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "transactions.csv").write_text(TX, "utf-8")
    policies = tmp_path / "policies.yaml"
    policies.write_text(KEEP_ZERO_PRICES, "utf-8")
    return data, policies


@pytest.mark.parametrize(
    "argv",
    [
        ["demo-data", "--out", "d"],
        ["report", "--data", "d", "--out", "r", "--period", "2025-12"],
        ["validate", "--data", "d"],
        ["rules", "--data", "d", "--min-support", "0.1", "--min-confidence", "0.5", "--out", "x"],
        ["recommend", "--data", "d", "--as-of", "2025-12-31", "--out", "x"],
        ["encrypt", "a", "b", "--key-file", "k"],
        ["decrypt", "a", "b", "--key-file", "k"],
    ],
)
def test_every_subcommand_parses(argv):
    args = cli._parser().parse_args(argv)
    assert args.command == argv[0]


READING = {
    "report": ["--out", "o"],
    "validate": [],
    "rules": ["--min-support", "0.1", "--min-confidence", "0.1", "--out", "o"],
    "recommend": ["--as-of", "2025-12-31", "--out", "o"],
}


@pytest.mark.parametrize("command", sorted(READING))
def test_reading_commands_take_data_key_aliases_and_policies(command):
    keys = ["--data-key-file", "dk", "--aliases", "al", "--policies", "po"]
    args = cli._parser().parse_args([command, "--data", "d", *READING[command], *keys])
    assert (args.data_key_file, args.aliases, args.policies) == (Path("dk"), Path("al"), Path("po"))


def test_report_passes_every_flag_to_the_run(tmp_path, monkeypatch, capsys):
    seen = {}

    def fake(data, **kw):
        seen.update(kw, data=data)
        ok = run.ReportResult("x", "X", "ok", html="x.html")
        return run.RunResult("2025-12", tmp_path / "r", [ok], work_dir=tmp_path / "w")

    monkeypatch.setattr(run, "run_reports", fake)
    argv = [
        "report",
        "--data",
        "d",
        "--out",
        "r",
        "--period",
        "2025-12",
        "--aliases",
        "al.yaml",
        "--policies",
        "po.yaml",
        "--pseudonym-key-file",
        "pk",
    ]
    assert cli.main([*argv, "--data-key-file", "dk"]) == 0
    assert seen["aliases"] == Path("al.yaml") and seen["policies"] == Path("po.yaml")
    assert seen["data_key_file"] == Path("dk") and seen["pseudonym_key_file"] == Path("pk")
    assert f"work folder: {tmp_path / 'w'}" in capsys.readouterr().out
    assert seen["workers"] is None  # the run decides by the input's size unless told
    assert cli.main([*argv, "--workers", "1"]) == 0 and seen["workers"] == 1
    capsys.readouterr()
    for bad in ("0", "-2", "two"):
        with pytest.raises(SystemExit):
            cli.main([*argv, "--workers", bad])
        assert "expected a whole number of at least 1" in capsys.readouterr().err
    # the old --key-file still names the data key, with a note
    assert cli.main([*argv, "--key-file", "old"]) == 0
    assert seen["data_key_file"] == Path("old") and seen["pseudonym_key_file"] == Path("pk")
    assert "--key-file is deprecated" in capsys.readouterr().err
    assert (
        "--key-file"
        not in cli._parser()._subparsers._group_actions[0].choices["report"].format_help()
    )


def test_a_policies_file_changes_validate(files, capsys):
    data, policies = files
    assert cli.main(["validate", "--data", str(data)]) == 0
    assert "non_positive_price" in capsys.readouterr().out
    assert cli.main(["validate", "--data", str(data), "--policies", str(policies)]) == 0
    assert "non_positive_price" not in capsys.readouterr().out


def test_a_policies_file_changes_the_report(files, tmp_path):
    from tests.reporting.test_run import WRITE, _template

    data, policies = files
    templates = tmp_path / "t"
    templates.mkdir()
    _template(templates / "01-echo.ipynb", WRITE.format(expr="1"))
    rows = {}
    for name, extra in (("default", []), ("kept", ["--policies", str(policies)])):
        argv = [
            "report",
            "--data",
            str(data),
            "--as-of",
            "2025-01-31",
            "--templates",
            str(templates),
            "--out",
            str(tmp_path / name),
            "--work",
            str(tmp_path / f"w{name}"),
        ]
        assert cli.main([*argv, *extra]) == 0
        manifest = json.loads((tmp_path / name / "2025-01" / "manifest.json").read_text("utf-8"))
        rows[name] = manifest["rows"]["transactions"]
    assert rows == {"default": 5, "kept": 6}  # the zero-price line kept


def test_rules_and_recommend_read_with_aliases(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "transactions.csv").write_text(TX.replace("product_id", "artikel"), "utf-8")
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text("columns:\n  transactions:\n    product_id: [artikel]\n", "utf-8")
    out = tmp_path / "rules.csv"
    argv = [
        "rules",
        "--data",
        str(data),
        "--min-support",
        "0.3",
        "--min-confidence",
        "0.5",
        "--min-baskets",  # three baskets: every rule
        "1",
        "--out",
        str(out),
    ]
    assert cli.main([*argv, "--aliases", str(aliases)]) == 0
    assert "(transactions)" in capsys.readouterr().out and out.read_text("utf-8").count("\n") > 1
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    key = tmp_path / "pseudonym.key"
    recs = tmp_path / "recs.csv"
    argv = [
        "recommend",
        "--data",
        str(data),
        "--as-of",
        "2025-01-31",
        "--min-support",
        "0.3",
        "--min-confidence",
        "0.3",
        "--min-baskets",
        "1",
        "--out",
        str(recs),
        "--aliases",
        str(aliases),
    ]
    assert cli.main([*argv, "--pseudonym-key-file", str(key)]) == 2  # never made up
    assert "no such pseudonym key file" in capsys.readouterr().err and not key.exists()
    assert cli.main(["new-key", str(key), "--pseudonym"]) == 0
    assert cli.main([*argv, "--pseudonym-key-file", str(key)]) == 0
    table = pd.read_csv(recs)
    expected = privacy.pseudonymize(pd.Series(["c"]), key=privacy.pseudonym_key(key)).iloc[0]
    assert table["customer_id"].tolist() == [expected] and table["item"].tolist() == ["q"]


MINIMAL = {
    "demo-data": ["--out", "d"],
    "report": ["--data", "d", "--out", "r", "--period", "2025-12"],
    "validate": ["--data", "d"],
    "rules": ["--data", "d", "--min-support", "0.1", "--min-confidence", "0.5", "--out", "x"],
    "recommend": ["--data", "d", "--as-of", "2025-12-31", "--out", "x"],
    "encrypt": ["a", "b", "--key-file", "k"],
    "decrypt": ["a", "b", "--key-file", "k"],
    "new-key": ["k", "--pseudonym"],
    "profiles": ["--profiles", "p"],
    "scores": ["--data", "d", "--as-of", "2025-12-31", "--out", "x"],
    "snapshots": ["--data", "d", "--from", "2025-01-31", "--to", "2025-12-31", "--states", "s"],
    "moves": ["--states", "s", "--from", "2025-11-30", "--to", "2025-12-31", "--out", "x"],
    "service": ["--data", "d", "--out", "x"],
}


def _subparsers() -> dict:
    return cli._parser()._subparsers._group_actions[0].choices


def test_the_minimal_command_lines_cover_every_subcommand():
    assert set(MINIMAL) == set(_subparsers())


def _date_options() -> dict[str, list[str]]:
    return {
        name: [a.option_strings[0] for a in sub._actions if a.type is cli._date]
        for name, sub in _subparsers().items()
    }


def test_every_date_option_is_read_as_an_iso_day():
    # every option that takes a day, found from the parser itself
    assert {k: v for k, v in _date_options().items() if v} == {
        "demo-data": ["--start", "--end"],
        "report": ["--as-of"],
        "recommend": ["--as-of"],
        "scores": ["--as-of"],
        "snapshots": ["--from", "--to"],
        "moves": ["--from", "--to"],
        "service": ["--as-of"],
    }
    for name, sub in _subparsers().items():
        for action in sub._actions:
            words = f"{action.dest} {action.help or ''}".lower()
            takes_a_day = "day" in action.dest and not action.dest.endswith("_days")  # a count
            if "yyyy-mm-dd" in words or takes_a_day:
                assert action.type is cli._date, (name, action.option_strings)
    args = cli._parser().parse_args(["recommend", *MINIMAL["recommend"][:-2], "--out", "x"])
    assert args.as_of == "2025-12-31"


@pytest.mark.parametrize(
    "text",
    [
        "01/02/2025",
        "2025/01/02",
        "2 Jan 2025",
        "2025-1-2",
        "20250102",
        "2025-02-30",
        "2025-01-02T00:00",
        "2025-01",
    ],
)
def test_a_date_that_is_not_iso_is_refused_naming_the_option(text, capsys):
    for command, options in _date_options().items():
        for option in options:
            argv = [command, *MINIMAL[command], option, text]
            with pytest.raises(SystemExit) as exit_:
                cli._parser().parse_args(argv)
            assert exit_.value.code == 2
            err = capsys.readouterr().err.strip().splitlines()[-1]
            assert err == (
                f"crm-lab {command}: error: argument {option}: expected a date YYYY-MM-DD, "
                f"got {text!r}"
            )


@pytest.mark.parametrize("command", sorted(MINIMAL))
def test_an_abbreviated_option_is_refused(command, capsys):
    argv = MINIMAL[command]
    long = [i for i, a in enumerate(argv) if a.startswith("--")]
    assert long
    for i in long:
        short = [*argv[:i], argv[i][:-1], *argv[i + 1 :]]  # --dat for --data, --ou for --out
        with pytest.raises(SystemExit) as exit_:
            cli._parser().parse_args([command, *short])
        assert exit_.value.code == 2
        assert argv[i][:-1] in capsys.readouterr().err
    cli._parser().parse_args([command, *argv])  # the full names still parse
    assert all(not sub.allow_abbrev for sub in _subparsers().values())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--period", "2025-12", "--as-of", "2025-11-03"],
            "error: as_of 2025-11-03 is outside period 2025-12 (2025-12-01 to 2025-12-31): "
            "give a day inside the period, or none for its last day",
        ),
        (
            [],
            "error: give --period (last-month, this-month, last-quarter, last-week, last-year, "
            "YYYY-MM, YYYY-Qn or YYYY) or --as-of YYYY-MM-DD, or both",
        ),
        (
            ["--period", "spring-sale"],
            "error: period 'spring-sale' is not one of last-month, this-month, last-quarter, "
            "last-week, last-year, YYYY-MM, YYYY-Qn or YYYY; a free folder name needs an as-of "
            "day: give --as-of YYYY-MM-DD as well",
        ),
        (["--period", "2025-13"], "error: period '2025-13': the month must be 01 to 12"),
    ],
)
def test_a_report_without_a_usable_period_is_one_error_line(
    files, tmp_path, capsys, extra, message
):
    data, _ = files
    argv = ["report", "--data", str(data), "--out", str(tmp_path / "r"), *extra]
    assert cli.main([*argv, "--work", str(tmp_path / "w")]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [message] and captured.out == ""
    assert not (tmp_path / "r").exists() and not (tmp_path / "w").exists()  # nothing written


def test_demo_data_with_its_days_the_wrong_way_round_is_one_error_line(tmp_path, capsys):
    argv = [
        "demo-data",
        "--out",
        str(tmp_path / "d"),
        "--start",
        "2025-02-01",
        "--end",
        "2025-01-01",
    ]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --end 2025-01-01 must be after --start 2025-02-01"
    ]
    assert not (tmp_path / "d").exists()


def _echo_templates(folder: Path, *names: str, fail: str = "") -> Path:
    from tests.reporting.test_run import WRITE, _template

    folder.mkdir()
    for i, name in enumerate(names, 1):
        source = "raise ValueError('planted')" if name == fail else WRITE.format(expr=str(i))
        _template(folder / f"0{i}-{name}.ipynb", source)
    return folder


def _report_argv(data: Path, templates: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "report",
        "--data",
        str(data),
        "--as-of",
        "2025-01-05",  # the data's last day: a fresh run
        "--templates",
        str(templates),
        "--out",
        str(tmp_path / "r"),
        "--work",
        str(tmp_path / "w"),
        *extra,
    ]


NOISE = ("Kernel is running over TCP", "KeyboardInterrupt", "IPKernelApp")


def test_a_run_prints_whole_progress_lines_no_kernel_noise_and_ends_with_time_and_index(
    tmp_path, capfd
):
    import gzip

    data = tmp_path / "data"
    data.mkdir()
    (data / "transactions.csv.gz").write_bytes(gzip.compress(TX.encode("utf-8")))
    templates = _echo_templates(tmp_path / "t", "one", "two", "three")
    assert cli.main(_report_argv(data, templates, tmp_path)) == 0
    out, err = capfd.readouterr()  # the file descriptors: kernel processes write there too
    for noise in NOISE:
        assert noise not in out + err
    # every progress line is whole: three reports ran side by side
    allowed = re.compile(
        r"work folder: .+|templates: 3 in .+|period 2025-01: .+|  note: .+|  tables: .+"
        r"|  engine: .+|  (reading|cleaning|writing)( \d+/\d+)?: .+|  customers' states: .+"
        r"|\[[123]/3\] (one|two|three): (running|ok \(\d+\.\d s\))"
    )
    assert [line for line in err.splitlines() if not allowed.fullmatch(line)] == []
    states = sorted(line.split(": ")[1][:4] for line in err.splitlines() if line.startswith("["))
    assert states == ["ok (", "ok (", "ok (", "runn", "runn", "runn"]
    last = out.splitlines()[-1]
    assert re.fullmatch(
        rf"3 of 3 report\(s\) published in \d+\.\d s to {re.escape(str(tmp_path / 'r'))}/2025-01"
        rf"; index: {re.escape(str(tmp_path / 'r' / 'index.html'))}; work folder: .+",
        last,
    )
    # the kernels' own lines are kept for the analyst beside the executed notebooks
    logs = sorted((tmp_path / "w" / "executed").glob("*.kernel.log"))
    assert [p.name for p in logs] == [
        "01-one.kernel.log",
        "02-two.kernel.log",
        "03-three.kernel.log",
    ]
    assert all("running over TCP" in p.read_text("utf-8") for p in logs)
    # the gzipped input was read and is listed, with its checksum, in the manifest
    manifest = json.loads((tmp_path / "r" / "2025-01" / "manifest.json").read_text("utf-8"))
    from tests.conftest import sha256

    gz = data / "transactions.csv.gz"
    assert [(i["file"], i["sha256"]) for i in manifest["inputs"]] == [(str(gz), sha256(gz))]
    assert manifest["rows"]["transactions"] == 5


def test_quiet_prints_only_failures_and_warnings(tmp_path, capfd, files):
    data, _ = files
    templates = _echo_templates(tmp_path / "t", "good", "bad", fail="bad")
    assert cli.main(_report_argv(data, templates, tmp_path, "--quiet")) == 1
    out, err = capfd.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        r"\[2/2\] bad: FAILED — cell \[3\]: ValueError: planted \(\d+\.\d s\)", lines[0]
    )
    assert lines[1] == "FAILED bad: cell [3]: ValueError: planted"
    # and a good run is silent: nothing for cron to mail
    good = _echo_templates(tmp_path / "t2", "good")
    assert cli.main(_report_argv(data, good, tmp_path / "t2", "--quiet")) == 0
    assert capfd.readouterr() == ("", "")
    assert (tmp_path / "t2" / "r" / "2025-01" / "good.html").exists()
    # a warning is what cron must mail: data that ends 26 days before the as-of day
    argv = _report_argv(data, good, tmp_path / "t3", "--quiet", "--as-of", "2025-01-31")
    assert cli.main(argv) == 0
    out, err = capfd.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith("  warning: The data ends on 2025-01-05, 26 days before the as-of day")


def test_the_console_writes_whole_lines_and_quiet_keeps_warnings(monkeypatch):
    writes = []

    class Recorder:
        def write(self, text):
            writes.append(text)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stderr", Recorder())
    lines = [
        "[1/3] value: running",
        "[1/3] value: ok (3.2 s)",
        "warning: the data end on 2025-11-02, 29 days before the as-of day",
        "[2/3] basket: warning: 3 products have no name",
        "[3/3] outlook: FAILED — cell [4]: ValueError: x",
        "error: no report was published: every template was skipped",
        "  note: customers: derived from transactions",
    ]
    loud = cli._Console()
    for line in lines:
        loud(line)
    assert writes == [line + "\n" for line in lines]  # one write per line: never interleaved
    writes.clear()
    quiet = cli._Console(quiet=True)
    for line in lines:
        quiet(line)
    assert writes == [line + "\n" for line in lines[2:6]]


def _csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_rules_and_recommend_exports_neutralise_formula_cells(tmp_path, capsys):
    p, q, r = '=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1)"
    data = tmp_path / "data"
    data.mkdir()
    lines = [["invoice_id", "customer_id", "ordered_at", "product_id", "quantity", "unit_price"]]
    for invoice, customer, day, items in [
        (1, "a", "2025-01-02", [p, q]),
        (2, "b", "2025-01-03", [p, q, r]),
        (3, "c", "2025-01-04", [p, q, r]),
        (4, "d", "2025-01-05", [p]),
    ]:
        lines += [[invoice, customer, day, item, 1, 10] for item in items]
    with open(data / "transactions.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(lines)
    rules = tmp_path / "rules.csv"
    argv = ["--min-support", "0.3", "--min-confidence", "0.3", "--min-baskets", "1"]
    argv += ["--out", str(rules)]
    assert cli.main(["rules", "--data", str(data), *argv]) == 0
    rows = _csv_rows(rules)
    items = {row["antecedent"] for row in rows} | {row["consequent"] for row in rows}
    assert {"'" + p, "'" + q, "'" + r} <= items and not items & {p, q, r}
    assert all(float(row["confidence"]) > 0 for row in rows)  # figures stay numbers
    # a basket file: one basket per line, the items a spreadsheet would run among them
    baskets = tmp_path / "baskets.csv"
    baskets.write_text("@SUM(1),-2+3\n@SUM(1),-2+3\n-2+3,tea\n", "utf-8")
    argv = ["--min-support", "0.3", "--min-confidence", "0.3", "--min-baskets", "1"]
    argv += ["--out", str(rules)]
    assert cli.main(["rules", "--data", str(baskets), *argv]) == 0
    rows = _csv_rows(rules)
    assert {row["antecedent"] for row in rows} >= {"'@SUM(1)", "'-2+3"}
    recs = tmp_path / "recs.csv"
    argv = ["--as-of", "2025-01-31", "--min-support", "0.3", "--min-confidence", "0.3"]
    argv += ["--min-baskets", "1"]  # four baskets: the test is about the cells, not the groups
    assert cli.main(["recommend", "--data", str(data), *argv, "--raw-ids", "--out", str(recs)]) == 0
    rows = _csv_rows(recs)
    assert rows and {row["item"] for row in rows} <= {"'" + q, "'" + r}
    assert [Path(f).name for f in tmp_path.iterdir() if f.name.startswith(".")] == []


def test_an_export_that_cannot_be_written_is_one_error_line(tmp_path, files, capsys):
    data, _ = files
    out = tmp_path / "missing" / "rules.csv"
    argv = ["rules", "--data", str(data), "--min-support", "0.3", "--min-confidence", "0.5"]
    assert cli.main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "rules.csv: cannot write the CSV file" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


# --- folders that cannot be written, and errors nobody planned for: one line, no traceback ---
def _unprivileged(argv: list[str], *, cwd: Path) -> subprocess.CompletedProcess:
    """Run the command line in a new process, as nobody when this is root (root ignores modes)."""
    prefix = []
    if os.geteuid() == 0:
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    env = {**os.environ, "HOME": str(cwd), privacy.KEY_ENV: "a test key, long enough: 0f3c9e"}
    env.pop("CRM_LAB_DEBUG", None)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "crm_lab", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow  # three new processes: seconds each on a busy machine
@pytest.mark.skipif(sys.platform != "linux", reason="setpriv and modes as on Linux")
def test_a_read_only_reports_or_work_folder_is_one_error_line_and_exit_code_2():
    base = Path(tempfile.mkdtemp(prefix="crm-lab-ro-"))  # outside root's private tmp_path
    base.chmod(0o777)
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        base.rmdir()
        pytest.skip("root ignores folder modes and setpriv is not installed")
    probe = _unprivileged(["--help"], cwd=base)
    if probe.returncode != 0:  # e.g. a checkout in a folder only root may enter
        base.rmdir()
        pytest.skip(f"crm_lab cannot run as an unprivileged user here: {probe.stderr[-200:]}")
    try:
        base.chmod(0o777)
        (base / "transactions.csv").write_text(TX, "utf-8")
        (base / "transactions.csv").chmod(0o644)
        ro = base / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        argv = ["report", "--data", str(base / "transactions.csv"), "--as-of", "2025-01-31"]
        cases = [
            (["--out", str(ro), "--work", str(base / "w1")], ro / ".crm_lab.lock"),
            (["--out", str(ro / "reports"), "--work", str(base / "w2")], ro / "reports"),
            (["--out", str(base / "ok"), "--work", str(ro / "work")], ro / "work"),
        ]
        for extra, named in cases:
            done = _unprivileged([*argv, *extra], cwd=base)
            assert done.returncode == 2, done.stderr
            last = done.stderr.splitlines()[-1]
            assert last == (
                f"error: {named}: Permission denied; check the folder's permissions, "
                "or choose another with --out or --work"
            )
            assert "Traceback" not in done.stderr and done.stdout == ""
        assert not (base / "ok" / "index.html").exists()  # the work folder is checked first
    finally:
        ro.chmod(0o755)
        shutil.rmtree(base)


def test_a_reports_folder_that_is_a_file_or_below_one_is_one_error_line(files, tmp_path, capsys):
    data, _ = files
    (tmp_path / "taken").write_text("a file", "utf-8")
    argv = ["report", "--data", str(data), "--as-of", "2025-01-31", "--work", str(tmp_path / "w")]
    for out, message in (
        (tmp_path / "taken", f"error: {tmp_path / 'taken'}: File exists"),
        (
            tmp_path / "taken" / "reports",
            f"error: {tmp_path / 'taken' / 'reports'}: Not a directory; a part of the path "
            "is a file, not a folder",
        ),
    ):
        assert cli.main([*argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.splitlines()[-1] == message and "Traceback" not in err
    assert (tmp_path / "taken").read_text("utf-8") == "a file"


def test_a_full_disk_is_one_error_line_and_the_locks_are_released(
    files, tmp_path, capsys, monkeypatch
):
    data, _ = files
    monkeypatch.setenv(privacy.KEY_ENV, "a test key, long enough: 0f3c9e")

    def full(dataset, folder, **options):  # what the OS says when the disk fills up
        raise OSError(
            errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(folder) / "customers.parquet")
        )

    monkeypatch.setattr(run, "save_tables", full)
    argv = ["report", "--data", str(data), "--as-of", "2025-01-31"]
    out, work = tmp_path / "r", tmp_path / "w"
    assert cli.main([*argv, "--out", str(out), "--work", str(work)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"error: {work / 'tables' / 'customers.parquet'}: No space left on device; "
        "the disk is full: free some space or choose another folder"
    )
    assert "Traceback" not in err
    assert not (out / "index.html").exists()
    with run._lock(out), run._lock(work):
        pass


def test_an_unexpected_error_is_one_line_unless_debugging(files, tmp_path, capsys, monkeypatch):
    data, _ = files

    def broken(*args, **kw):
        raise KeyError("planted")

    monkeypatch.setattr(run, "prepare_inputs", broken)
    monkeypatch.setenv(privacy.KEY_ENV, "a test key, long enough: 0f3c9e")
    monkeypatch.delenv("CRM_LAB_DEBUG", raising=False)
    argv = ["report", "--data", str(data), "--as-of", "2025-01-31", "--out", str(tmp_path / "r")]
    argv += ["--work", str(tmp_path / "w")]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        *[line for line in err.splitlines() if not line.startswith("error:")],
        "error: KeyError: 'planted' (an unexpected error in crm_lab; CRM_LAB_DEBUG=1 shows where)",
    ]
    monkeypatch.setenv("CRM_LAB_DEBUG", "1")
    with pytest.raises(KeyError, match="planted"):
        cli.main(argv)
    capsys.readouterr()
    # Ctrl-C outside a report run: exit 130, one line
    monkeypatch.setattr(cli, "_read", lambda args: (_ for _ in ()).throw(KeyboardInterrupt))
    monkeypatch.delenv("CRM_LAB_DEBUG")
    assert cli.main(["validate", "--data", str(data)]) == 130
    assert capsys.readouterr().err == "error: interrupted\n"


def test_cell_timeout_reaches_the_run_and_is_checked(files, tmp_path, capsys, monkeypatch):
    data, _ = files
    argv = ["report", "--data", str(data), "--as-of", "2025-01-31", "--out", str(tmp_path / "r")]
    for bad in ("0", "-3"):
        assert cli.main([*argv, "--cell-timeout", bad]) == 2
        assert capsys.readouterr().err == (
            f"error: cell_timeout must be a whole number of seconds >= 1, got {bad}\n"
        )
    assert not (tmp_path / "r").exists()
    seen = {}

    def fake(data, **kw):
        seen.update(kw)
        return run.RunResult("x", tmp_path, [run.ReportResult("x", "X", "ok", html="x.html")])

    monkeypatch.setattr(run, "run_reports", fake)
    assert cli.main(argv) == 0 and seen["cell_timeout"] == 1800
    assert cli.main([*argv, "--cell-timeout", "42"]) == 0 and seen["cell_timeout"] == 42


def test_rules_on_a_transactions_file_with_a_column_missing_is_that_error_not_a_basket_file(
    tmp_path, capsys
):
    """A transactions file that cannot be read is not mined line by line as baskets: that put
    customer ids, invoice numbers and dates into the rules export as items."""
    data = tmp_path / "transactions.csv"
    lines = ["invoice_id,customer_id,ordered_at,product_id,quantity,price_each"]
    lines += [f"{i},C1000{i % 2},2025-01-0{1 + i % 9},P{i % 3},1,2.5" for i in range(40)]
    data.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "rules.csv"
    argv = ["rules", "--data", str(data), "--min-support", "0.05", "--min-confidence", "0.1"]
    assert cli.main([*argv, "--min-baskets", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "missing required column(s) unit_price" in err and not out.exists()
    assert "did you mean 'price_each' -> unit_price?" in err  # the header that looks like it


def test_a_basket_file_over_the_size_limit_is_refused(tmp_path, capsys):
    import gzip

    baskets = tmp_path / "groceries.csv.gz"
    baskets.write_bytes(gzip.compress(("milk,bread,butter\n" * 120_000).encode()))  # 2.2 MB
    out = tmp_path / "rules.csv"
    argv = ["rules", "--data", str(baskets), "--min-support", "0.1", "--min-confidence", "0.1"]
    assert cli.main([*argv, "--max-uncompressed-mb", "1", "--out", str(out)]) == 2
    assert "over the limit of 1 MB" in capsys.readouterr().err and not out.exists()
    assert cli.main([*argv, "--max-uncompressed-mb", "5", "--out", str(out)]) == 0


def test_a_customers_file_without_a_header_quotes_no_customer(tmp_path, capsys):
    data = tmp_path / "customers.csv"
    row = "C00001,Linda Clarke,F,1990-01-01,London,UK,+44 7400 974929,linda@example.com"
    data.write_text(row + "\n" + row.replace("C00001", "C00002") + "\n", "utf-8")
    assert cli.main(["validate", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "headers found: ['C…', 'L…'," in err
    for value in ("C00001", "Linda", "Clarke", "974929", "linda@"):
        assert value not in err, value


def test_validate_reads_a_vendor_export_with_its_profile_and_the_users_choices(capsys):
    contacts = Path(__file__).parent / "ingest" / "exports" / "salesforce" / "contacts"
    assert cli.main(["validate", "--data", str(contacts)]) == 0
    out = capsys.readouterr().out
    assert "read as Salesforce Contact export (profile salesforce, detected from the header" in out
    assert "customers.customer_id read from 'Id'; also possible: 'AccountId'" in out
    argv = ["validate", "--data", str(contacts), "--column", "customer_id=AccountId"]
    assert cli.main([*argv, "--profile", "salesforce", "--phone-region", "us"]) == 0
    assert "customers.customer_id read from 'AccountId'" in capsys.readouterr().out
    assert cli.main(["validate", "--data", str(contacts), "--profile", "shopfy"]) == 2
    assert "no profile named 'shopfy'" in capsys.readouterr().err
    for bad in (["--phone-region", "USA"], ["--column", "customer_id"]):
        with pytest.raises(SystemExit) as exit_:
            cli._parser().parse_args(["validate", "--data", str(contacts), *bad])
        assert exit_.value.code == 2


def test_profiles_lists_every_system(capsys):
    assert cli.main(["profiles"]) == 0
    out = capsys.readouterr().out
    for name in ("salesforce", "hubspot", "zoho", "fxiaoke", "shopify", "taobao", "jd"):
        assert f"\n{name} " in f"\n{out}"
    assert "Opportunity -> transactions (orders)" in out


def test_rules_and_recommendations_on_an_order_level_export_say_they_need_product_lines(
    tmp_path, capsys
):
    orders = Path(__file__).parent / "ingest" / "exports" / "taobao" / "orders"
    argv = ["--data", str(orders), "--out", str(tmp_path / "x.csv")]
    assert cli.main(["rules", *argv, "--min-support", "0.1", "--min-confidence", "0.5"]) == 2
    assert "whole order (an order-level export)" in capsys.readouterr().err
    assert cli.main(["recommend", *argv, "--as-of", "2024-03-31"]) == 2
    assert "product lines are needed for association rules" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
