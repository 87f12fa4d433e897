"""Files at rest, probed as someone with a shell on the analyst's machine would: what the work
folder of a run on encrypted inputs holds, who may read it, and what bad keys do."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from crm_lab import cli, ingest, privacy
from crm_lab.reporting.templates import default_templates_dir


@contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _personal_values(demo, demo_dir) -> set[str]:
    """The input's names, phones (as written and as cleaned), e-mails and customer ids."""
    found: set[str] = set()
    clean = ingest.read_clean(demo_dir)["customers"]
    for frame in (demo.tables["customers"], clean):
        for column in ("customer_id", "name", "phone", "email"):
            found |= {str(v).strip() for v in frame[column].dropna() if len(str(v).strip()) >= 2}
    phones = clean["phone"].dropna().astype(str)
    found |= {re.sub(r"\D", "", p)[-11:] for p in phones if len(re.sub(r"\D", "", p)) >= 11}
    return found


def _readable_text(path: Path) -> str:
    """What someone reading a file would see: its bytes as text, and its cells if it is Parquet,
    JSON or a notebook (compressed pages of Parquet hide nothing this way)."""
    raw = path.read_bytes()
    text = raw.decode("utf-8", "replace")
    try:
        text += pd.read_parquet(io.BytesIO(raw)).astype(str).to_csv()
    except Exception:
        pass
    try:
        text += json.dumps(json.loads(raw), ensure_ascii=False)
    except Exception:
        pass
    return text


def _leaks(folder: Path, values: set[str]) -> dict[str, list[str]]:
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = _readable_text(path)
        hits = sorted(v for v in values if v in text)
        if hits:
            out[str(path.relative_to(folder))] = hits[:3]
    return out


def _modes(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` (and itself) whose mode is not owner-only: 0700 / 0600."""
    wrong = {}
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != (0o700 if path.is_dir() else 0o600):
            wrong[str(path)] = f"{mode:04o}"
    return wrong


@pytest.fixture(scope="module")
def dataset(demo_dir):
    return ingest.read_clean(demo_dir)


@pytest.fixture
def data_key(tmp_path):
    return privacy.new_data_key(tmp_path / "keys" / "data.key")


# --- snapshots ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077])
def test_an_encrypted_snapshot_holds_nothing_readable(
    dataset, demo, demo_dir, tmp_path, data_key, mask
):
    with _umask(mask):
        snap = ingest.save_tables(dataset, tmp_path / "work" / "tables", key_file=data_key)
    assert _leaks(snap, _personal_values(demo, demo_dir)) == {}
    assert {p.name for p in snap.iterdir()} >= {
        "customers.parquet.enc",
        "transactions.parquet.enc",
        "_quarantine.parquet.enc",
        "_review.parquet.enc",
        "_merge_log.parquet.enc",
        "_meta.yaml.enc",
        "_snapshot.yaml",
    }
    assert not [p for p in snap.iterdir() if p.suffix == ".parquet"]
    assert (snap / "_snapshot.yaml").read_text("utf-8").strip() == "encrypted: true"
    assert _modes(snap) == {}
    back = ingest.read_clean(snap, data_key_file=data_key)
    for table, frame in dataset.tables.items():
        pd.testing.assert_frame_equal(back.tables[table], frame)
    pd.testing.assert_frame_equal(back.quarantine, dataset.quarantine)
    assert back.notes == dataset.notes


def test_a_plain_snapshot_is_owner_only_too(dataset, tmp_path):
    with _umask(0o000):
        snap = ingest.save_tables(dataset, tmp_path / "tables")
    assert _modes(snap) == {}
    assert (snap / "customers.parquet").exists()


def test_an_earlier_plain_snapshot_does_not_survive_an_encrypted_one(dataset, tmp_path, data_key):
    snap = tmp_path / "tables"
    ingest.save_tables(dataset, snap)  # an earlier run without keys
    (snap / "stale_table.parquet").write_bytes((snap / "customers.parquet").read_bytes())
    ingest.save_tables(dataset, snap, key_file=data_key)
    names = sorted(p.name for p in snap.iterdir())
    assert not [n for n in names if n.endswith(".parquet")], names
    ingest.save_tables(dataset, snap)  # and back: no stale ciphertext either
    assert not [p.name for p in snap.iterdir() if p.name.endswith(".enc")]


def test_an_encrypted_snapshot_without_or_with_a_wrong_key_is_a_clear_error(
    dataset, tmp_path, data_key
):
    snap = ingest.save_tables(dataset, tmp_path / "tables", key_file=data_key)
    with pytest.raises(ingest.LoadError, match=r"encrypted snapshot: give its data key") as err:
        ingest.read_clean(snap)
    assert str(snap) in str(err.value)
    other = privacy.new_data_key(tmp_path / "other.key")
    with pytest.raises(ingest.LoadError, match="wrong key, or the file was changed"):
        ingest.read_clean(snap, data_key_file=other)
    token = (snap / "customers.parquet.enc").read_bytes()
    (snap / "customers.parquet.enc").write_bytes(token[:-8] + b"AAAAAAAA")  # tampered
    with pytest.raises(ingest.LoadError, match="customers.parquet.enc.*wrong key, or the file"):
        ingest.read_clean(snap, data_key_file=data_key)
    data_key.chmod(0o644)
    with pytest.raises(privacy.KeyFileError, match=r"mode 0644.*chmod 600"):
        ingest.read_clean(snap, data_key_file=data_key)


def test_a_bad_data_key_writes_no_snapshot(dataset, tmp_path):
    bad = tmp_path / "data.key"
    bad.write_bytes(b"swordfish-swordfish")
    bad.chmod(0o600)
    with pytest.raises(privacy.KeyFileError, match="not a data key"):
        ingest.save_tables(dataset, tmp_path / "tables", key_file=bad)
    assert not (tmp_path / "tables").exists()


# --- the command line ---------------------------------------------------------------------------
def test_encrypt_with_a_missing_source_exits_2_and_makes_no_key(tmp_path, capsys):
    key = tmp_path / "data.key"
    code = cli.main(
        ["encrypt", str(tmp_path / "gone.csv"), str(tmp_path / "x.enc"), "--key-file", str(key)]
    )
    err = capsys.readouterr().err
    assert code == 2 and f"error: {tmp_path / 'gone.csv'}: no such file to encrypt" in err
    assert "Traceback" not in err and not key.exists() and not (tmp_path / "x.enc").exists()


@pytest.mark.parametrize(
    ("content", "mode", "words"),
    [
        (b"not-a-key", 0o600, "not a data key"),
        (b"", 0o600, "is empty"),
        (b"A" * 44, 0o600, "not a data key"),  # base64, of 33 bytes
        (None, 0o644, "mode 0644"),  # a real key others can read
    ],
)
def test_encrypt_and_decrypt_with_a_bad_key_exit_2(tmp_path, capsys, content, mode, words):
    src = tmp_path / "customers.csv"
    src.write_text("customer_id,phone\n00012345,+8613800138000\n", "utf-8")
    key = tmp_path / "data.key"
    if content is None:
        privacy.new_data_key(key)
    else:
        key.write_bytes(content)
    key.chmod(mode)
    for command in ("encrypt", "decrypt"):
        code = cli.main(
            [command, str(src), str(tmp_path / f"{command}.out"), "--key-file", str(key)]
        )
        err = capsys.readouterr().err
        assert code == 2 and f"error: {key}: " in err and words in err, err
        assert "Traceback" not in err and not (tmp_path / f"{command}.out").exists()


def test_decrypt_writes_its_plain_output_owner_only(tmp_path, data_key, capsys):
    src = tmp_path / "customers.csv"
    src.write_text("customer_id,phone\n00012345,+8613800138000\n", "utf-8")
    assert (
        cli.main(["encrypt", str(src), str(tmp_path / "c.enc"), "--key-file", str(data_key)]) == 0
    )
    with _umask(0o000):
        assert (
            cli.main(
                [
                    "decrypt",
                    str(tmp_path / "c.enc"),
                    str(tmp_path / "back.csv"),
                    "--key-file",
                    str(data_key),
                ]
            )
            == 0
        )
    assert (tmp_path / "back.csv").read_bytes() == src.read_bytes()
    assert stat.S_IMODE((tmp_path / "back.csv").stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["--pseudonym", "--data"])
def test_new_key_never_overwrites(tmp_path, capsys, kind):
    key = tmp_path / "k"
    with _umask(0o000):
        assert cli.main(["new-key", str(key), kind]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    for again in ("--pseudonym", "--data"):
        assert cli.main(["new-key", str(key), again]) == 2
        assert "never overwritten" in capsys.readouterr().err
    assert key.read_bytes() == before
    if kind == "--data":
        privacy.data_cipher(key)  # a usable Fernet key
    else:
        assert len(privacy.pseudonym_key(key)) == 64


def _report(tmp_path, *extra):
    return [
        "report",
        "--data",
        str(tmp_path / "in"),
        "--as-of",
        "2025-12-31",
        "--out",
        str(tmp_path / "reports"),
        "--work",
        str(tmp_path / "work"),
        *extra,
    ]


@pytest.mark.parametrize(
    ("env", "content", "mode", "words"),
    [
        ("a", None, None, "$CRM_LAB_KEY: the pseudonym key is 1 byte(s) long"),
        ("", None, None, "$CRM_LAB_KEY is set but empty"),
        ("0123456789abcde", None, None, "15 byte(s) long"),
        (None, b"", 0o600, "is empty"),
        (None, b"short\n", 0o600, "5 byte(s) long"),
        (None, b"0123456789abcdef0123", 0o640, "mode 0640"),
        (None, b"0123456789abcdef0123", 0o604, "mode 0604"),
        (None, "missing", None, "no such pseudonym key file"),
    ],
)
def test_a_report_with_a_bad_pseudonym_key_exits_2_before_reading(
    tmp_path, monkeypatch, capsys, env, content, mode, words
):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "transactions.csv").write_text(
        "invoice_id,customer_id,ordered_at,product_id,quantity,unit_price\n1,a,2025-12-01,p,1,10\n"
    )
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    extra = []
    if env is not None:
        monkeypatch.setenv(privacy.KEY_ENV, env)
    else:
        key = tmp_path / "pseudonym.key"
        if content != "missing":
            key.write_bytes(content)
            key.chmod(mode)
        extra = ["--pseudonym-key-file", str(key)]
    code = cli.main(_report(tmp_path, *extra))
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err, err
    assert not (tmp_path / "work").exists()  # nothing read, nothing written
    if mode and mode & 0o077:
        assert f"chmod 600 {tmp_path / 'pseudonym.key'}" in err


def test_a_report_with_a_malformed_data_key_exits_2(tmp_path, monkeypatch, capsys):
    (tmp_path / "in").mkdir()
    monkeypatch.setenv(privacy.KEY_ENV, "0123456789abcdef0123")
    key = tmp_path / "data.key"
    key.write_bytes(b"0123456789abcdef0123")  # a pseudonym key given as the data key
    key.chmod(0o600)
    code = cli.main(_report(tmp_path, "--data-key-file", str(key)))
    err = capsys.readouterr().err
    assert code == 2 and f"error: {key}: not a data key" in err and "Traceback" not in err
    assert not (tmp_path / "work").exists()


# --- a whole run --------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_run_on_encrypted_inputs_leaves_no_plaintext_in_the_work_folder(
    demo, demo_dir, tmp_path, monkeypatch, capsys
):
    """Encrypted inputs, both keys, a umask that lets everyone in: the data-quality page (which
    shows quarantined values, from the de-identified snapshot) and the review queue (an analyst
    page, from the snapshot with contacts) are published, and no file of the work folder shows
    a name, phone, e-mail or customer id of the input to anyone, nor can anyone else open it."""
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    keys = tmp_path / "keys"
    data_key = privacy.new_data_key(keys / "data.key")
    pseudonym_key = privacy.new_pseudonym_key(keys / "pseudonym.key")
    (tmp_path / "in").mkdir()
    for src in Path(demo_dir).glob("*.csv"):
        privacy.encrypt_file(src, tmp_path / "in" / f"{src.name}.enc", key_file=data_key)
    templates = tmp_path / "templates"
    templates.mkdir()
    for name in ("02-data-quality.ipynb", "80-review-queue.ipynb"):
        shutil.copy(default_templates_dir() / name, templates / name)
    argv = _report(
        tmp_path,
        "--data-key-file",
        str(data_key),
        "--pseudonym-key-file",
        str(pseudonym_key),
        "--templates",
        str(templates),
    )
    with _umask(0o000):
        code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 0, err
    work = tmp_path / "work"
    assert (tmp_path / "reports" / "2025-12" / "data-quality.html").exists()
    assert (work / "analyst" / "review-queue.html").exists()
    values = _personal_values(demo, demo_dir)
    assert len(values) > 1000
    assert _leaks(work, values) == {}
    assert _modes(work) == {}
    plain = [p.name for p in work.rglob("*") if p.suffix in (".parquet", ".ipynb")]
    assert plain == []
    store = sorted(p.name for p in (work / "states").iterdir())  # the states, encrypted too
    assert store == ["clusters-2025-12-31.parquet.enc", "customers-2025-12-31.parquet.enc"]
    executed = work / "executed" / "80-review-queue.ipynb.enc"
    notebook = json.loads(privacy.decrypt_bytes(executed, key_file=data_key))
    assert notebook["cells"]  # the analyst decrypts it with crm-lab decrypt
    back = ingest.read_clean(work / "tables", data_key_file=data_key)
    assert len(back["customers"]) == len(ingest.read_clean(demo_dir)["customers"])


def test_prepare_inputs_on_encrypted_inputs_leaves_nothing_plain(tmp_path, monkeypatch):
    from crm_lab.reporting import run

    monkeypatch.setenv(privacy.KEY_ENV, "0123456789abcdef0123")
    key = privacy.new_data_key(tmp_path / "data.key")
    src = tmp_path / "transactions.csv"
    src.write_text(
        "invoice_id,customer_id,phone,ordered_at,product_id,quantity,unit_price\n"
        "1,00012345,+8613800138000,2025-01-03,p,1,10\n2,00067890,,2025-01-04,q,2,5\n",
        "utf-8",
    )
    (tmp_path / "in").mkdir()
    privacy.encrypt_file(src, tmp_path / "in" / "transactions.csv.enc", key_file=key)
    work = tmp_path / "work"
    (work / "executed").mkdir(parents=True)
    stale = work / "executed" / "01-customer-value.ipynb"  # an earlier run without keys
    stale.write_text('{"cells": [{"source": "00012345 +8613800138000"}]}', "utf-8")
    (work / "keep.txt").write_text("the user's own file", "utf-8")
    (work / "keep.txt").chmod(0o644)
    plan = run.plan_run(
        tmp_path / "in",
        out_dir=tmp_path / "reports",
        work_dir=work,
        as_of="2025-01-31",
        data_key_file=key,
    )
    with _umask(0o000):
        inputs = run.prepare_inputs(plan, say=lambda line: None)
        run.owner_only(work)
    assert not stale.exists()
    assert _leaks(work, {"00012345", "00067890", "+8613800138000", "13800138000"}) == {}
    assert stat.S_IMODE((work / "keep.txt").stat().st_mode) == 0o644  # not the run's to change
    (work / "keep.txt").unlink()
    assert _modes(work) == {}
    assert ingest.read_clean(inputs.snapshot, data_key_file=key)["transactions"][
        "customer_id"
    ].tolist() == ["00012345", "00067890"]
