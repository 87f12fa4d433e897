"""Personal values into masked ones, for anything a person other than the analyst may read."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "MIN_GROUP",
    "PERSONAL_COLUMNS",
    "complementary_rows",
    "decrypt_bytes",
    "deidentify",
    "encrypt_file",
    "hidden_groups",
    "mask_value",
    "mask_values",
    "new_data_key",
    "pseudonym_key",
    "pseudonymize",
    "small_cells",
    "suppress_small",
    "withhold_small",
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


def pseudonym_key(key_file: str | Path | None = None) -> bytes:
    """Turn a key file (or ``$CRM_LAB_KEY``) into the secret key for pseudonyms.

    An explicitly given ``key_file`` wins; without one, ``$CRM_LAB_KEY`` when it is set, else
    the default key file ``~/.config/crm_lab/pseudonym.key``. A key file is created on first
    use with 32 random bytes and permissions 0600 (owner only). The key never appears in output.
    """
    if not key_file:
        env = os.environ.get(KEY_ENV)
        if env:
            return env.encode("utf-8")
    path = Path(key_file) if key_file else DEFAULT_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text("utf-8").strip().encode("utf-8")


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
    A group of nobody (0) describes no one and is shown as it is.
    """
    out = frame.copy()
    small = (out[count] > 0) & (out[count] < k)
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
    small = (counts > 0) & (counts < k)  # a group of nobody describes no one
    if not small.any():
        return counts.index[:0]
    blank, people, extra = int(small.sum()), counts[small].sum(), []
    # a group of nobody blanked beside a small one protects nothing: it is never a complement
    for label, value in counts[~small & (counts > 0)].sort_values(kind="stable").items():
        if blank >= 2 and people >= k:
            break
        extra.append(label)
        blank, people = blank + 1, people + value
    return pd.Index(extra, dtype=counts.index.dtype)


def small_cells(
    matrix: pd.DataFrame, *, k: int = MIN_GROUP, regions=()
) -> tuple[np.ndarray, np.ndarray]:
    """A table of people counts (rows by columns, a flow matrix) into the cells to blank.

    A cell of 1 to ``k - 1`` people is small. Because a row's or a column's total is often
    known (the stage counts beside a flow matrix), each row and column that holds a blanked
    cell gets the smallest of its other non-zero cells blanked too, until it holds at least two
    blanked cells that together count ``k`` people or more (``complementary_rows`` for one
    line), repeated until no line changes. Zeros stay: an empty cell describes nobody.
    ``regions`` are more groups of cells whose totals a page shows (the RFM grid's segments,
    each a list of ``(row, column)`` positions): each is treated like a row.

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
        lines += [tuple(np.array(list(zip(*region, strict=True)))) for region in regions]
        for line in lines:
            cells, hidden = values[line], blank[line].copy()
            while hidden.any() and (hidden.sum() < 2 or cells[hidden].sum() < k):
                free = np.flatnonzero(~hidden & (cells > 0))
                if not free.size:
                    break
                pick = free[np.argmin(cells[free])]
                hidden[pick] = True
                changed = True
            blank[line] = hidden
    return small, blank & ~small


def hidden_groups(counts: pd.Series, *, k: int = MIN_GROUP) -> pd.Series:
    """Group counts into a mask of the groups a page must not describe: the small ones and
    those blanked with them (``complementary_rows``).

    A chart or a table built from the same groups hides the same ones, so no figure of a group
    of 1 to ``k - 1`` people (customers, baskets) is shown and none comes back by subtraction
    from the total. Groups of 0 describe nobody and stay.

    Examples
    --------
    >>> hidden_groups(pd.Series([1, 2, 4, 5, 40])).tolist()
    [True, True, True, False, False]
    >>> hidden_groups(pd.Series([3, 40, 30])).tolist()
    [True, False, True]
    >>> hidden_groups(pd.Series([0, 5, 40])).tolist()
    [False, False, False]
    >>> hidden_groups(pd.Series([2, 0, 30, 40])).tolist()  # 0 is never hidden in 2's place
    [True, False, True, False]
    """
    counts = pd.Series(counts)
    values = counts.reset_index(drop=True)
    small = (values > 0) & (values < k)
    extra = complementary_rows(values, k=k)
    return pd.Series((small | values.index.isin(extra)).to_numpy(), index=counts.index)


def withhold_small(figures: dict, *, count, keys=None, k: int = MIN_GROUP) -> dict:
    """Headline figures over ``count`` people into the same figures, withheld below ``k``.

    A card of revenue or a hit rate over three customers describes those three; when
    ``0 < count < k`` the figures named by ``keys`` (all of them by default, the count too)
    become ``None``, which pages show as missing. Other entries and larger counts pass as
    they are. Returns a new dict.

    Examples
    --------
    >>> withhold_small({"customers": 4, "revenue": 120.0}, count=4)
    {'customers': None, 'revenue': None}
    >>> withhold_small({"customers": 5, "revenue": 150.0}, count=5)
    {'customers': 5, 'revenue': 150.0}
    >>> withhold_small({"rules": 7, "hit_rate": 0.5}, count=2, keys=["hit_rate"])
    {'rules': 7, 'hit_rate': None}
    """
    out = dict(figures)
    if count is not None and 0 < count < k:
        for key in out if keys is None else keys:
            if key in out:
                out[key] = None
    return out


# --- encryption of data files -------------------------------------------------------------------
def new_data_key(key_file: str | Path) -> Path:
    """Create a key file for ``encrypt_file`` (Fernet, 0600 permissions); refuse to overwrite."""
    from cryptography.fernet import Fernet

    path = Path(key_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key())
    return path


def encrypt_file(src: str | Path, dst: str | Path, *, key_file: str | Path) -> Path:
    """Encrypt a data file with authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256).

    The source is only read. The output can be read back by ``load.load_data(...,
    key_file=...)`` or ``decrypt_bytes``; any change to it makes decryption fail.
    """
    from cryptography.fernet import Fernet

    token = Fernet(Path(key_file).read_bytes().strip()).encrypt(Path(src).read_bytes())
    Path(dst).write_bytes(token)
    return Path(dst)


def decrypt_bytes(path: str | Path, *, key_file: str | Path) -> bytes:
    """Decrypt a file written by ``encrypt_file`` into memory (never to disk)."""
    from cryptography.fernet import Fernet, InvalidToken

    try:
        return Fernet(Path(key_file).read_bytes().strip()).decrypt(Path(path).read_bytes())
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
