"""Personal values into masked ones, for anything a person other than the analyst may read."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "KeyFileError",
    "MIN_GROUP",
    "MIN_KEY_BYTES",
    "PERSONAL_COLUMNS",
    "complementary_rows",
    "data_cipher",
    "decrypt_bytes",
    "deidentify",
    "encrypt_bytes",
    "encrypt_file",
    "mask_value",
    "mask_values",
    "new_data_key",
    "new_pseudonym_key",
    "pseudonym_key",
    "pseudonymize",
    "small_cells",
    "suppress_small",
]

# Columns whose values identify a person; shown only masked outside the analyst's own tables.
PERSONAL_COLUMNS = frozenset(
    ["customer_id", "name", "phone", "email", "birth_date", "notes", "description", "comment"]
)


def mask_value(column: str, value: object) -> str:
    """Mask one value by what its column holds: ``+8613800138000`` -> ``+86 138****8000``.

    Phones keep the country code, the first three and the last four digits; e-mails the first
    letter and the domain; names the first character; ids the last three characters; dates the
    year; free text and unknown columns only their first character. Other columns (amounts,
    product codes, rules) are returned as they are.

    >>> mask_value("email", "linda.clarke@example.com"), mask_value("name", "张三")
    ('l***@example.com', '张*')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if not text:
        return ""
    if "***" in text or "…" in text or text.endswith("-**-**"):
        return text  # already masked
    if column == "phone":
        import phonenumbers

        try:
            number = phonenumbers.parse(text.split(";")[0], "CN")
        except phonenumbers.NumberParseException:
            number = None
        national = str(number.national_number) if number else ""
        if len(national) >= 7:
            return f"+{number.country_code} {national[:3]}****{national[-4:]}"
        return "*" * min(len(text), 8)
    if column == "email":
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}" if domain else f"{text[:1]}***"
    if column == "name":
        return text[:1] + "*" * max(1, min(len(text) - 1, 3))
    if column == "customer_id":
        return "***" + text[-3:] if len(text) > 3 else "***"
    if column == "birth_date":
        return text[:4] + "-**-**"
    if column in PERSONAL_COLUMNS or column == "":
        return text[:1] + "…"
    return text


def mask_values(frame: pd.DataFrame, *, column_col: str = "column", value_col: str = "value"):
    """Return a copy of a long table (one value per row) with ``value_col`` masked by column."""
    out = frame.copy()
    out[value_col] = [
        mask_value(c, v) for c, v in zip(out[column_col], out[value_col], strict=True)
    ]
    return out


# --- pseudonyms ---------------------------------------------------------------------------------
KEY_ENV = "CRM_LAB_KEY"
DEFAULT_KEY_FILE = Path.home() / ".config" / "crm_lab" / "pseudonym.key"
MIN_GROUP = 5
MIN_KEY_BYTES = 16  # a shorter pseudonym key is guessed by trying every key on the id list


class KeyFileError(ValueError):
    """A key that cannot be used: missing, empty, too short, malformed or open to others.

    The message names the file (or ``$CRM_LAB_KEY``), what is wrong and how to fix it; it never
    quotes the key.
    """


def _read_key_file(path: Path, *, what: str) -> bytes:
    """A key file into its bytes (surrounding whitespace removed), if only its owner can read it.

    Raises ``KeyFileError`` for a missing file, a folder, a file whose mode lets its group or
    others in (with the ``chmod`` that fixes it) and an empty or whitespace-only file.
    """
    if not path.exists():
        raise KeyFileError(f"{path}: no such {what} file")
    if not path.is_file():
        raise KeyFileError(f"{path}: not a file; expected a {what} file")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"{path}: the {what} file has mode {mode:04o}, so its group or others can read it; "
            f"only its owner may: chmod 600 {path}"
        )
    key = path.read_bytes().strip()
    if not key:
        raise KeyFileError(f"{path}: the {what} file is empty")
    return key


def _check_pseudonym_key(key: bytes, *, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise KeyFileError(
            f"{where}: the pseudonym key is {len(key)} byte(s) long; at least {MIN_KEY_BYTES} "
            "are needed (with a short key anyone holding the id list can reverse every "
            "pseudonym); write a new one with: crm-lab new-key --pseudonym FILE"
        )
    if len(set(key)) < 4:
        raise KeyFileError(
            f"{where}: the pseudonym key repeats {len(set(key))} character(s), a placeholder "
            "rather than a secret; write a new one with: crm-lab new-key --pseudonym FILE"
        )
    return key


def pseudonym_key(key_file: str | Path | None = None) -> bytes:
    """Turn a key file (or ``$CRM_LAB_KEY``) into the secret key for pseudonyms.

    An explicitly given ``key_file`` wins; without one, ``$CRM_LAB_KEY`` when it is set, else
    the default key file ``~/.config/crm_lab/pseudonym.key``, created on first use with 32
    random bytes (64 hex digits) and permissions 0600. A given key file is never created: a
    mistyped name would silently change every pseudonym. The key never appears in output.

    Raises
    ------
    KeyFileError
        The given key file is missing, empty or readable by its group or others (the message
        says ``chmod 600 FILE``); the key (from the file or the environment, surrounding
        whitespace removed) is shorter than ``MIN_KEY_BYTES`` (16) bytes or is one character
        repeated; ``$CRM_LAB_KEY`` is set but empty.
    """
    if not key_file and KEY_ENV in os.environ:
        env = os.environ[KEY_ENV].strip().encode("utf-8")
        if not env:
            raise KeyFileError(
                f"${KEY_ENV} is set but empty: set it to a key of at least {MIN_KEY_BYTES} "
                "bytes, or unset it to use the key file"
            )
        return _check_pseudonym_key(env, where=f"${KEY_ENV}")
    if key_file:
        path = Path(key_file)
        if not path.exists():
            raise KeyFileError(
                f"{path}: no such pseudonym key file; write one with: crm-lab new-key "
                f"--pseudonym {path} (or omit the option to use {DEFAULT_KEY_FILE})"
            )
    else:
        path = DEFAULT_KEY_FILE
        if not path.exists():
            new_pseudonym_key(path)
    return _check_pseudonym_key(_read_key_file(path, what="pseudonym key"), where=str(path))


def new_pseudonym_key(key_file: str | Path) -> Path:
    """Create a pseudonym key file: 32 random bytes as 64 hex digits, mode 0600.

    Raises
    ------
    KeyFileError
        The file exists: a key is never overwritten (every pseudonym made with it would change).
    """
    return _new_key_file(Path(key_file), secrets.token_hex(32).encode("ascii"), what="pseudonym")


def _new_key_file(path: Path, key: bytes, *, what: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new folder: owner-only
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"{path}: a file of that name exists; a {what} key is never overwritten "
            "(choose another name, or remove the old key if nothing depends on it)"
        ) from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)  # whatever the umask
        fh.write(key + b"\n")
    return path


def pseudonymize(ids: pd.Series, *, key: bytes) -> pd.Series:
    """Replace ids by keyed HMAC-SHA256 pseudonyms (``P`` + 16 hex digits), stable per key.

    The same id gets the same pseudonym in every report made with the same key, so reports can
    be joined, but without the key nobody can tell which customer it is.
    """

    codes = {
        value: "P" + hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        for value in ids.dropna().unique()
    }
    return ids.map(codes, na_action="ignore").astype("string")


def suppress_small(frame: pd.DataFrame, *, count: str, columns=(), k: int = MIN_GROUP):
    """Blank ``columns`` (and the count) of rows describing fewer than ``k`` people.

    A segment of three customers with its average spend is close to describing them; such rows
    keep their name but show no figures. Returns a copy with the count as text ("<5"); numeric
    columns of ``columns`` become floats with NaN in those rows, the others hold ``pd.NA``.
    """
    out = frame.copy()
    small = out[count] < k
    out[count] = out[count].map(lambda v: f"{v:,}").where(~small, f"<{k}").astype("string")
    for col in columns:
        if pd.api.types.is_numeric_dtype(out[col].dtype):
            out[col] = out[col].astype("float64").mask(small)
        else:
            out[col] = out[col].astype("object").mask(small)
    return out


def complementary_rows(counts: pd.Series, *, k: int = MIN_GROUP) -> pd.Index:
    """Group counts into the rows to blank besides the small ones, so none is recovered.

    Blanking a group of fewer than ``k`` people is undone by subtraction when the groups'
    total is known (a total row, a share beside a count, a card on the same page): total
    minus the shown counts is the blanked one. So when any group is small, the smallest shown
    groups are blanked with it until at least two groups are blank and together count at
    least ``k`` people: subtraction then gives only their sum, a group of ``k`` or more.

    Parameters
    ----------
    counts : Series
        People per group (the rows of one table, without its total row).
    k : int
        The smallest group that may be shown.

    Returns
    -------
    Index
        Labels of the rows of ``counts`` to blank besides those below ``k`` (empty when no
        group is small).

    Examples
    --------
    >>> counts = pd.Series([40, 30, 3, 27], index=["a", "b", "c", "d"])
    >>> complementary_rows(counts).tolist()
    ['d']
    >>> complementary_rows(pd.Series([40, 1, 2, 30])).tolist()  # 1 + 2 is still below 5
    [3]
    >>> complementary_rows(pd.Series([40, 30])).tolist()
    []
    """
    small = counts < k
    if not small.any():
        return counts.index[:0]
    blank, people, extra = int(small.sum()), counts[small].sum(), []
    for label, value in counts[~small].sort_values(kind="stable").items():
        if blank >= 2 and people >= k:
            break
        extra.append(label)
        blank, people = blank + 1, people + value
    return pd.Index(extra, dtype=counts.index.dtype)


def small_cells(matrix: pd.DataFrame, *, k: int = MIN_GROUP) -> tuple[np.ndarray, np.ndarray]:
    """A table of people counts (rows by columns, a flow matrix) into the cells to blank.

    A cell of 1 to ``k - 1`` people is small. Because a row's or a column's total is often
    known (the stage counts beside a flow matrix), each row and column that holds a blanked
    cell gets the smallest of its other non-zero cells blanked too, until it holds at least two
    blanked cells that together count ``k`` people or more (``complementary_rows`` for one
    line), repeated until no line changes. Zeros stay: an empty cell describes nobody.

    Returns
    -------
    (ndarray, ndarray)
        Boolean masks of ``matrix``'s shape: the small cells, and the others blanked with them.

    Examples
    --------
    >>> flow = pd.DataFrame({"a": [2, 43, 0], "b": [296, 3, 351], "c": [0, 0, 211]})
    >>> small, extra = small_cells(flow)
    >>> small.astype(int).tolist(), extra.astype(int).tolist()
    ([[1, 0, 0], [0, 1, 0], [0, 0, 0]], [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    """
    values = matrix.to_numpy(dtype="float64")
    small = (values > 0) & (values < k)
    blank = small.copy()
    changed = True
    while changed:
        changed = False
        lines = [(i, slice(None)) for i in range(values.shape[0])]
        lines += [(slice(None), j) for j in range(values.shape[1])]
        for line in lines:
            cells, hidden = values[line], blank[line]
            while hidden.any() and (hidden.sum() < 2 or cells[hidden].sum() < k):
                free = np.flatnonzero(~hidden & (cells > 0))
                if not free.size:
                    break
                pick = free[np.argmin(cells[free])]
                hidden[pick] = True  # a view: blank[line] is updated in place
                changed = True
    return small, blank & ~small


# --- encryption of data files -------------------------------------------------------------------
def new_data_key(key_file: str | Path) -> Path:
    """Create a key file for ``encrypt_file`` (a Fernet key, mode 0600); never overwrite one.

    Raises
    ------
    KeyFileError
        The file exists (the files encrypted with the old key could not be read any more).
    """
    from cryptography.fernet import Fernet

    return _new_key_file(Path(key_file), Fernet.generate_key(), what="data")


def data_cipher(key_file: str | Path):
    """Turn a data key file into the ``cryptography`` Fernet object that encrypts with it.

    Raises
    ------
    KeyFileError
        The key file is missing, empty, open to its group or others, or holds no Fernet key
        (44 URL-safe base64 characters, as ``crm-lab new-key`` and ``crm-lab encrypt`` write).
    """
    from cryptography.fernet import Fernet

    path = Path(key_file)
    key = _read_key_file(path, what="data key")
    try:
        return Fernet(key)
    except ValueError:  # binascii.Error is one
        raise KeyFileError(
            f"{path}: not a data key: expected 44 URL-safe base64 characters (a Fernet key, "
            f"as crm-lab new-key writes), found {len(key)} byte(s)"
        ) from None


def encrypt_bytes(data: bytes, *, key_file: str | Path) -> bytes:
    """Turn bytes into a Fernet token (AES-128-CBC + HMAC-SHA256) with the key of ``key_file``."""
    return data_cipher(key_file).encrypt(data)


def encrypt_file(src: str | Path, dst: str | Path, *, key_file: str | Path) -> Path:
    """Encrypt a data file with authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256).

    The source is only read. The output can be read back by ``load.load_data(...,
    key_file=...)`` or ``decrypt_bytes``; any change to it makes decryption fail.

    Raises
    ------
    FileNotFoundError
        ``src`` is not a file (the message names it).
    KeyFileError
        See ``data_cipher``.
    """
    cipher = data_cipher(key_file)
    if not Path(src).is_file():
        raise FileNotFoundError(f"{src}: no such file to encrypt")
    token = cipher.encrypt(Path(src).read_bytes())
    Path(dst).write_bytes(token)
    return Path(dst)


def decrypt_bytes(path: str | Path, *, key_file: str | Path) -> bytes:
    """Decrypt a file written by ``encrypt_file`` into memory (never to disk).

    Raises
    ------
    KeyFileError
        See ``data_cipher``.
    ValueError
        The file was not encrypted with this key, or was changed since.
    """
    from cryptography.fernet import InvalidToken

    cipher = data_cipher(key_file)
    try:
        return cipher.decrypt(Path(path).read_bytes())
    except InvalidToken:
        raise ValueError(f"{path}: cannot decrypt: wrong key, or the file was changed") from None


def deidentify(dataset, *, key: bytes):
    """Return a copy of a dataset that stakeholder reports can be built from.

    Customer ids become keyed pseudonyms in every table (joins still work), names, phones and
    e-mails are removed, birth dates keep only the year (1 January), and personal values in
    the quarantine, merge log and review list are masked or pseudonymised.
    """
    from crm_lab.core.dataset import Dataset

    def pseudo(frame: pd.DataFrame, columns) -> pd.DataFrame:
        out = frame.copy()
        for col in columns:
            if col in out and len(out):
                out[col] = pseudonymize(out[col].astype("string"), key=key)
        return out

    tables = {}
    for name, frame in dataset.tables.items():
        out = pseudo(frame, ["customer_id"])
        if name == "customers":
            for col in ("name", "phone", "email"):
                out[col] = pd.Series(pd.NA, index=out.index, dtype="string")
            out["birth_date"] = out["birth_date"].dt.to_period("Y").dt.start_time
        for col in ("notes", "description", "comment"):
            if col in out:  # free text can hold anything
                out[col] = out[col].astype("string").str.slice(0, 0).mask(out[col].isna())
        tables[name] = out
    quarantine = dataset.quarantine.copy()
    if len(quarantine):
        quarantine["value"] = [
            mask_value(c, v) for c, v in zip(quarantine["column"], quarantine["value"], strict=True)
        ]
        quarantine["value"] = quarantine["value"].astype("string")
    return Dataset(
        tables=tables,
        quarantine=quarantine,
        accounting=dataset.accounting,
        fixes=dataset.fixes,
        merge_log=pseudo(dataset.merge_log, ["customer_id", "master_id"]),
        review=pseudo(dataset.review, ["customer_id", "other_id"]),
        notes=list(dataset.notes),
    )
