"""The README's snippets run: every Python block on the demo data, every command line parses."""

from __future__ import annotations

import ast
import os
import re
import shlex

import pytest

from crm_lab import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, re.M | re.S)


def _command_lines() -> list[list[str]]:
    lines = []
    for block in _blocks("bash") + _blocks("cron"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0] if not line.lstrip().startswith("#") else ""
            words = shlex.split(line.split("&&")[-1]) if "crm-lab" in line else []
            if words:
                lines.append(words[words.index(next(w for w in words if "crm-lab" in w)) + 1 :])
    return lines


def test_the_readme_has_snippets_to_check():
    assert len(_blocks("python")) >= 2 and len(_command_lines()) >= 10


@pytest.mark.parametrize("argv", _command_lines(), ids=" ".join)
def test_every_readme_command_line_parses(argv):
    args = cli._parser().parse_args(argv)  # no abbreviation, ISO dates: exits 2 otherwise
    assert args.command == argv[0]


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_every_readme_python_snippet_runs_on_the_demo_data(index, demo_dir, tmp_path):
    source = _blocks("python")[index]
    # the reports' numbers come from the cleaned path: no snippet reads raw files
    assert "load_data(" not in source and "ingest.read_clean(" in source
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo").symlink_to(demo_dir)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        namespace: dict = {}
        exec(compile(source, f"README.md python block {index + 1}", "exec"), namespace)
        # a line `expression  # 'value'` shows what the expression gives: check it
        for line in source.splitlines():
            code, _, comment = line.partition("  # ")
            if code and re.fullmatch(r"'[^']*'", comment.strip()):
                assert eval(code, namespace) == ast.literal_eval(comment.strip()), line
    finally:
        os.chdir(here)
