"""Shared fixtures: small seeded demo data, its files, and the real Online Retail data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from crm_lab import ingest, synth

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "data" / "external" / "online_retail" / "online_retail.parquet"
# the public data beside the project (../shared/data, with its PROVENANCE files): read by the
# tests, not shipped where the licence note says to ask first
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def demo() -> synth.DemoData:
    return synth.make_demo(n_customers=600, seed=7)


@pytest.fixture(scope="session")
def demo_dir(demo, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    synth.write_demo(demo, out)
    return out


@pytest.fixture(scope="session")
def retail_raw() -> pd.DataFrame:
    return pd.read_parquet(RETAIL)


@pytest.fixture(scope="session")
def retail() -> ingest.Dataset:
    return ingest.load_data(RETAIL)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def demo_run(demo_dir, tmp_path_factory):
    """`crm-lab report` on the demo files through the command line: (exit code, folder)."""
    from crm_lab import cli

    root = tmp_path_factory.mktemp("run")
    code = cli.main(
        [
            "report",
            "--data",
            str(demo_dir),
            "--as-of",
            "2025-12-31",
            "--out",
            str(root / "reports"),
            "--work",
            str(root / "work"),
        ]
    )
    return code, root
