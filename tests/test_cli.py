"""The command line: every subcommand parses, and its flags reach what it runs."""

from __future__ import annotations

import json
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
        "--out",
        str(recs),
        "--aliases",
        str(aliases),
    ]
    assert cli.main([*argv, "--pseudonym-key-file", str(key)]) == 0
    assert key.exists()  # the given pseudonym key, not the default one
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
    }
    for name, sub in _subparsers().items():
        for action in sub._actions:
            words = f"{action.dest} {action.help or ''}".lower()
            if "yyyy-mm-dd" in words or "day" in action.dest:
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
            "day YYYY-MM-DD as well",
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
