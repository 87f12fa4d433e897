"""Export profiles: how one system (Salesforce, Shopify, 淘宝, ...) writes its export files.

A profile is data, one YAML file per system in ``ingest/exports/`` (the format is in
``docs/export_profiles.md``); users add their own folder of such files. ``load_profiles`` reads
and checks them, ``detect`` finds the profile table whose signature headers a file's header row
holds (with the share found as its confidence) or takes the one the user named. ``readers``
applies the match: its header mapping before the generic aliases, its value maps, its row
rules (``fill_down``, ``keep``, ``split``), its constants and the grain of its rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from crm_lab.core.schemas import SCHEMAS

__all__ = [
    "GRAINS",
    "MIN_CONFIDENCE",
    "Match",
    "Profile",
    "ProfileError",
    "ProfileTable",
    "detect",
    "load_profiles",
    "norm_header",
]

_BUILT_IN = Path(__file__).with_name("exports")
GRAINS = ("items", "orders")
# A file is read with a profile it was not named for only when it holds at least this share
# of the profile table's signature headers, and at least _MIN_FOUND of them: a file with two
# of Shopify's headers is not a Shopify export.
MIN_CONFIDENCE = 0.8
_MIN_FOUND = 3
_NAME = re.compile(r"[a-z][a-z0-9_]*")
# non-canonical columns the reader combines (first and last name into name; the company only
# when the file has no person's name)
EXTRA_COLUMNS = {"customers": ("first_name", "last_name", "company")}
_TABLE_KEYS = {
    "table",
    "object",
    "grain",
    "signature",
    "columns",
    "fill_down",
    "keep",
    "values",
    "split",
    "constants",
    "customers",
}
_PROFILE_KEYS = {"name", "system", "title", "source", "phone_region", "day_first", "tables"}


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file, the key and why."""

    def __init__(self, path: str | Path, message: str):
        self.path = str(path)
        super().__init__(f"{path}: {message}")


def norm_header(header: object) -> str:
    """A header as headers are compared: lower case, without spaces, ``_ - . ( ) [ ] # / :``.

    >>> norm_header("Lineitem quantity") == norm_header("lineitem_Quantity")
    True
    >>> norm_header("商品数量(件)")
    '商品数量件'
    """
    text = str(header).strip().lower().replace("\ufeff", "")
    return re.sub(r"[\s_\-\.\(\)（）\[\]#/:：]+", "", text)


@dataclass(frozen=True)
class ProfileTable:
    """One export of a system: the canonical table it fills and how its headers map."""

    table: str
    signature: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    object: str = ""
    grain: str | None = None
    fill_down: tuple[str, tuple[str, ...]] | None = None
    # the headers (the first present is read), the values kept, the reason the others leave
    keep: tuple[tuple[str, ...], frozenset[str], str] | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    split: dict[str, str] = field(default_factory=dict)
    constants: dict[str, object] = field(default_factory=dict)
    customers: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    """A system's exports: its tables and its conventions."""

    name: str
    system: str
    tables: tuple[ProfileTable, ...]
    title: str = ""
    source: str = ""
    phone_region: str | None = None
    day_first: bool | None = None
    path: str = ""


@dataclass(frozen=True)
class Match:
    """The profile table a file is read with, and the share of its signature the file holds."""

    profile: Profile
    table: ProfileTable
    confidence: float
    chosen: bool = False  # named by the user rather than detected

    def describe(self) -> str:
        """The match in words, as notes and the data-quality page say it."""
        how = "chosen with --profile" if self.chosen else "detected from the header"
        obj = f" {self.table.object}" if self.table.object else ""
        return (
            f"{self.profile.system}{obj} export (profile {self.profile.name}, {how}, "
            f"{self.confidence:.0%} of its signature headers found)"
        )


def _headers(path, where: str, value) -> tuple[str, ...]:
    names = [value] if isinstance(value, (str, int, float)) else value
    if not isinstance(names, (list, tuple)) or not names:
        raise ProfileError(path, f"{where}: expected a header or a list of headers, got {value!r}")
    return tuple(str(n) for n in names)


def _table(path, i: int, raw) -> ProfileTable:
    where = f"tables[{i}]"
    if not isinstance(raw, dict):
        raise ProfileError(path, f"{where}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _TABLE_KEYS)
    if unknown:
        raise ProfileError(
            path, f"{where}: unknown key(s) {unknown}; expected {sorted(_TABLE_KEYS)}"
        )
    table = raw.get("table")
    if not isinstance(table, str) or table not in SCHEMAS:
        raise ProfileError(path, f"{where}.table: {table!r}; expected one of {list(SCHEMAS)}")
    known = set(SCHEMAS[table].names) | set(EXTRA_COLUMNS.get(table, ()))
    columns = raw.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise ProfileError(path, f"{where}.columns: expected a mapping of column: header")
    bad = sorted(set(columns) - known)
    if bad:
        raise ProfileError(path, f"{where}.columns: {bad} are not columns of {table}")
    grain = raw.get("grain")
    if grain is not None and (table != "transactions" or grain not in GRAINS):
        raise ProfileError(
            path, f"{where}.grain: {grain!r}; expected {GRAINS[0]} or {GRAINS[1]} (transactions)"
        )
    fill = raw.get("fill_down")
    if fill is not None:
        if not isinstance(fill, dict) or "by" not in fill or "headers" not in fill:
            raise ProfileError(path, f"{where}.fill_down: expected by: header, headers: [...]")
        if not isinstance(fill["by"], str):
            raise ProfileError(path, f"{where}.fill_down.by: expected one header")
        fill = (fill["by"], _headers(path, f"{where}.fill_down.headers", fill["headers"]))
    keep = raw.get("keep")
    if keep is not None:
        if not isinstance(keep, dict) or not {"header", "values", "reason"} <= set(keep):
            raise ProfileError(path, f"{where}.keep: expected header, values: [...], reason")
        reason = str(keep["reason"])
        if not re.fullmatch(r"[a-z][a-z0-9_]*: \S.*", reason, flags=re.S):
            raise ProfileError(path, f"{where}.keep.reason: expected 'rule_name: words'")
        kept = keep["values"] if isinstance(keep["values"], list) else [keep["values"]]
        if not kept or not all(isinstance(v, (str, int, float, bool)) for v in kept):
            raise ProfileError(
                path, f"{where}.keep.values: expected a list of values, got {keep['values']!r}"
            )
        # YAML reads yes/true as True: the export writes it as text
        values = [str(v).lower() if isinstance(v, bool) else str(v) for v in kept]
        headers = _headers(path, f"{where}.keep.header", keep["header"])
        keep = (headers, frozenset(v.strip().casefold() for v in values), reason)
    maps = raw.get("values") or {}
    if not isinstance(maps, dict) or not all(isinstance(m, dict) for m in maps.values()):
        raise ProfileError(path, f"{where}.values: expected column: {{vendor value: value}}")
    customers = raw.get("customers") or {}
    if not isinstance(customers, dict):
        raise ProfileError(path, f"{where}.customers: expected a mapping of column: header")
    bad = sorted(set(customers) - set(SCHEMAS["customers"].names) - set(EXTRA_COLUMNS["customers"]))
    if bad or (customers and "customer_id" not in customers):
        raise ProfileError(
            path, f"{where}.customers: needs customer_id and only customers columns (not {bad})"
        )
    constants = raw.get("constants") or {}
    split = raw.get("split") or {}
    for key, value, kinds in (
        ("constants", constants, (str, int, float, bool)),
        ("split", split, (str,)),
    ):
        if not isinstance(value, dict) or not all(
            isinstance(v, kinds) and str(v) != "" for v in value.values()
        ):
            raise ProfileError(
                path, f"{where}.{key}: expected column: one value (text or a number)"
            )
    bad = sorted(set(constants) - known)
    if bad:
        raise ProfileError(path, f"{where}.constants: {bad} are not columns of {table}")
    return ProfileTable(
        table=table,
        object=str(raw.get("object") or ""),
        grain=grain,
        signature=_headers(path, f"{where}.signature", raw.get("signature")),
        columns={c: _headers(path, f"{where}.columns.{c}", h) for c, h in columns.items()},
        fill_down=fill,
        keep=keep,
        values={c: {str(k): str(v) for k, v in m.items()} for c, m in maps.items()},
        split={str(c): str(s) for c, s in split.items()},
        constants=dict(constants),
        customers={c: _headers(path, f"{where}.customers.{c}", h) for c, h in customers.items()},
    )


def read_yaml(path: str | Path, *, what: str, error: type[ValueError] = ProfileError):
    """A user's YAML file (a profile, aliases, policies) into its data; ``error(path, why)``
    for a missing or unreadable file and for text that is not YAML (with the line)."""
    try:
        return yaml.safe_load(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise error(path, f"{what} file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(path, f"cannot read the {what} file ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise error(path, f"not a readable YAML {what} file (a syntax error{where})") from None


def _profile(path: Path) -> Profile:
    raw = read_yaml(path, what="profile")
    if not isinstance(raw, dict):
        raise ProfileError(path, "expected a mapping with name, system and tables")
    unknown = sorted(set(raw) - _PROFILE_KEYS)
    if unknown:
        raise ProfileError(path, f"unknown key(s) {unknown}; expected {sorted(_PROFILE_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ProfileError(path, f"name: {name!r}; expected lower case letters, digits and _")
    tables = raw.get("tables")
    if not isinstance(tables, list) or not tables:
        raise ProfileError(path, "tables: expected a list of the system's exports")
    region = raw.get("phone_region")
    import phonenumbers

    if region is not None and str(region).upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ProfileError(path, f"phone_region: {region!r}; expected a two-letter ISO region")
    if raw.get("day_first") not in (None, True, False):
        raise ProfileError(path, f"day_first: {raw['day_first']!r}; expected true, false or null")
    return Profile(
        name=name,
        system=str(raw.get("system") or name),
        title=str(raw.get("title") or ""),
        source=" ".join(str(raw.get("source") or "").split()),
        phone_region=str(region).upper() if region else None,
        day_first=raw.get("day_first"),
        tables=tuple(_table(path, i, t) for i, t in enumerate(tables)),
        path=str(path),
    )


def _files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise ProfileError(folder, "no such profile file or folder")
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


@lru_cache(maxsize=8)
def _load(files: tuple[tuple[str, int, int], ...]) -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    for path, _, _ in files:
        profile = _profile(Path(path))
        out[profile.name] = profile  # a user's profile of the same name replaces the built-in
    return out


def load_profiles(extra: str | Path | None = None) -> dict[str, Profile]:
    """The built-in profiles and a user's (a YAML file or a folder of them) into profiles by name.

    Read once per state of the files (a profile edited since is read again).

    >>> "shopify" in load_profiles()
    True
    """
    files = _files(_BUILT_IN) + (_files(Path(extra)) if extra else [])
    try:
        stamps = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError as exc:
        raise ProfileError(extra or _BUILT_IN, f"cannot read the profile ({exc})") from None
    return dict(_load(stamps))


def _confidence(spec: ProfileTable, present: set[str]) -> tuple[float, int]:
    found = sum(norm_header(h) in present for h in spec.signature)
    return found / len(spec.signature), found


def detect(
    headers: list[str],
    profiles: dict[str, Profile],
    *,
    name: str | None = None,
    table: str | None = None,
    least: float = MIN_CONFIDENCE,
) -> Match | None:
    """A header row into the profile table it is an export of, or None.

    With ``name`` (``--profile``) only that profile's tables are tried and the best is taken
    whatever its confidence; otherwise the best table over all profiles holding at least
    ``least`` (``MIN_CONFIDENCE``) of its signature headers. ``table`` (from the file's name)
    keeps only tables of that canonical table.

    >>> header = ["Name", "Email", "Financial Status", "Paid at", "Lineitem quantity",
    ...           "Lineitem name", "Lineitem price", "Lineitem sku"]
    >>> detect(header, load_profiles()).profile.name
    'shopify'
    """
    present = {norm_header(h) for h in headers if str(h).strip()}
    if name is not None:
        if name not in profiles:
            raise ProfileError(
                "--profile", f"no profile named {name!r}; the profiles are {sorted(profiles)}"
            )
        candidates = [profiles[name]]
    else:
        candidates = list(profiles.values())
    best: Match | None = None
    best_found = 0
    for profile in candidates:
        for spec in profile.tables:
            if table is not None and spec.table != table:
                continue
            share, found = _confidence(spec, present)
            if name is None and (share < least or found < _MIN_FOUND):
                continue
            if best is None or (share, found) > (best.confidence, best_found):
                best, best_found = Match(profile, spec, share, chosen=name is not None), found
    if name is not None and (best is None or best_found == 0):
        tables = ", ".join(t.object or t.table for t in profiles[name].tables)
        raise ProfileError(
            "--profile",
            f"the file's headers match none of profile {name}'s exports ({tables}); expected "
            f"headers such as {list(profiles[name].tables[0].signature[:5])}",
        )
    return best
