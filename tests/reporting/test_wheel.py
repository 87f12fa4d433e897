"""The wheel as a user gets it: built, installed into a fresh virtual environment, run from a
folder outside the checkout. Every template must be found, every page written, and the work
folder must be where the run says it is."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from crm_lab.reporting.templates import find_templates

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("crm_lab", "notebooks", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md")


def _sh(*args, cwd, env=None):
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the built wheel installed; the dependencies are this venv's."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"  # a copy: building writes build/ and *.egg-info beside the sources
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _sh(*pip, "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", root, cwd=src)
    (wheel,) = root.glob("crm_lab-*.whl")
    venv = root / "venv"
    _sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    _sh(*pip, "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=root)
    # reuse the installed dependencies instead of downloading them: this venv's site-packages
    # on the new one's path (after its own, so the wheel's crm_lab wins over the editable one)
    purelib = Path(
        _sh(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root
        ).stdout.strip()
    )
    (purelib / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", "utf-8")
    # and the dependencies' Jupyter data (nbconvert's base templates), not their kernels: the
    # kernel must be the new venv's python
    share = Path(sys.prefix) / "share" / "jupyter"
    (venv / "share" / "jupyter").mkdir(parents=True)
    for part in share.iterdir():
        if part.name != "kernels":
            (venv / "share" / "jupyter" / part.name).symlink_to(part)
    return wheel, venv


def test_wheel_carries_the_templates(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if "/_data/notebooks/" in n}
    assert shipped == {t.path.name for t in find_templates(ROOT / "notebooks")}
    assert re.search(r"crm_lab-\d+\.\d+\.\d+-py3-none-any\.whl$", wheel.name)


@pytest.mark.slow
def test_installed_wheel_reports_from_outside_the_checkout(installed, tmp_path):
    _, venv = installed
    bin_ = venv / "bin"
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _sh(
        bin_ / "python",
        "-c",
        "import crm_lab, jupyter_client.kernelspec as k; print(crm_lab.__file__); "
        "print(k.KernelSpecManager().get_kernel_spec('python3').argv[0])",
        cwd=work,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(venv) and Path(where[1]) == bin_ / "python"

    started = time.perf_counter()
    _sh(bin_ / "crm-lab", "demo-data", "--out", "demo", "--customers", "400", cwd=work)
    done = subprocess.run(
        [bin_ / "crm-lab", "report", "--data", "demo", "--as-of", "2025-12-31", "--out", "reports"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-4000:]
    templates = find_templates(ROOT / "notebooks")
    found = re.search(r"^templates: (\d+) in (.+)$", done.stderr, re.M)
    assert int(found[1]) == len(templates)
    assert Path(found[2]).is_relative_to(venv)  # the wheel's copy, not the checkout's
    stakeholder = {t.slug for t in templates if t.audience != "analyst"}
    pages = {p.stem for p in (work / "reports" / "2025-12").glob("*.html")}
    assert pages == stakeholder
    printed = Path(re.search(r"^work folder: (.+)$", done.stderr, re.M)[1])
    assert printed.parent.parent == work / "data" / "interim" and printed.name == "2025-12"
    assert printed.parent.name.startswith("reports-")  # one work folder per reports folder
    assert (printed / "tables" / "transactions.parquet").exists()
    assert {p.stem for p in (printed / "analyst").glob("*.html")} == {
        t.slug for t in templates if t.audience == "analyst"
    }
    assert f"work folder: {printed}" in done.stdout
    assert seconds < 90
