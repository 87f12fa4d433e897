"""Raw export values into clean typed values, with a reason for every value that is rejected.

Each ``parse_*`` function takes a column as read from a file (strings, or typed values from
Parquet) and returns a ``Parsed``: the clean values, a reason for each rejected value (missing
where the value was fine) and counts of the harmless fixes made on the way (null words read as
missing, full-width characters folded, phones reformatted). ``load`` decides what a rejection
means: a rejected required value quarantines the row, a rejected optional value is set missing
and logged. Nothing is rejected without a reason, and nothing is "corrected" by guessing.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "DECIDE",
    "NULL_WORDS",
    "DateOrder",
    "date_order_evidence",
    "Parsed",
    "decide_day_first",
    "normalize_text",
    "parse_amounts",
    "parse_category",
    "parse_dates",
    "parse_emails",
    "parse_ids",
    "parse_phones",
    "parse_text",
    "region_of_country",
]

# Words that exports use for "no value" (compared after NFKC, trimming and lower-casing).
NULL_WORDS = frozenset(
    [
        "null",
        "none",
        "nil",
        "nan",
        "n/a",
        "na",
        "#n/a",
        "unknown",
        "-",
        "--",
        "—",
        "无",
        "暂无",
        "未知",
        "空",
        "(空)",
    ]
)
# zero-width characters, and control characters (NUL, bell, escape, ...) that no export means
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


@dataclass
class Parsed:
    """Clean values of one column, the reason each rejected value was rejected, and fix counts."""

    values: pd.Series
    reasons: pd.Series  # "rule: message" where rejected, <NA> where accepted or empty
    fixes: Counter = field(default_factory=Counter)


def _no_reasons(index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="string")


def normalize_text(series: pd.Series) -> tuple[pd.Series, Counter]:
    """Fold text to NFKC, drop zero-width and control characters, trim, read null words as missing.

    Returns the cleaned ``string`` series and counts of ``null_word`` (values read as missing)
    and ``normalized`` (values whose text changed: full-width digits, stray spaces, ...).
    """
    fixes: Counter = Counter()
    raw = series.astype("string")
    changes = {}
    for value in raw.dropna().unique():
        # plain printable ASCII with single spaces needs nothing: skip the Unicode work
        if value.isascii() and value.isprintable() and value == value.strip() and "  " not in value:
            continue
        text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))
        text = _SPACES.sub(" ", text).strip()
        if text != value:
            changes[value] = text
    out = raw.map(lambda v: changes.get(v, v), na_action="ignore") if changes else raw.copy()
    out = out.astype("string")
    changed = raw.notna() & (out != raw)
    fixes["normalized"] = int(changed.sum())
    # "NA" is a null word, "Na" (娜) is a name
    lowered = out.str.lower()
    is_null_word = (lowered.isin(NULL_WORDS - {"na"}) | (out == "NA")).fillna(False)
    fixes["null_word"] = int(is_null_word.sum())
    out = out.mask(is_null_word | (out == ""))
    return out.astype("string"), fixes


# --- ids --------------------------------------------------------------------------------------
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")


def parse_ids(series: pd.Series) -> Parsed:
    """Keep ids as exact strings; reject ids that Excel turned into scientific notation.

    The one change made is dropping a ``.0`` that a float column added to a whole-number id
    ("13085.0" -> "13085"), counted in ``fixes["id_float_suffix"]``.

    A float column (Parquet with missing ids) becomes strings only where every value is a whole
    number ("17850.0" -> "17850"); a fraction is rejected rather than rounded.
    """
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        # beyond 2**53 a float no longer holds every whole number: the id has lost digits
        exact = np.abs(np.nan_to_num(values)) < 2**53
        whole = ~np.isnan(values) & (values == np.round(values)) & exact
        out = pd.Series(pd.NA, index=series.index, dtype="string")
        out[whole] = pd.Series(values[whole].astype(np.int64), index=series.index[whole]).astype(
            "string"
        )
        reasons = _no_reasons(series.index)
        reasons[~np.isnan(values) & ~whole & exact] = (
            "invalid_id: a fraction, expected a whole number"
        )
        reasons[~np.isnan(values) & ~exact] = (
            "scientific_notation_id: the id went through a number column and lost digits; "
            "re-export this column as text"
        )
        return Parsed(out, reasons)
    if pd.api.types.is_integer_dtype(series.dtype):
        return Parsed(series.astype("string"), _no_reasons(series.index))
    text, fixes = normalize_text(series)
    # "13085.0": a whole-number id that went through a float column on its way to the file
    float_suffix = text.str.fullmatch(r"\d+\.0").fillna(False).astype(bool)
    if float_suffix.any():
        text = text.mask(float_suffix, text.str.slice(0, -2))
        fixes["id_float_suffix"] = int(float_suffix.sum())
    sci = text.str.fullmatch(_SCIENTIFIC.pattern).fillna(False).astype(bool)
    reasons = _no_reasons(series.index)
    reasons[sci] = (
        "scientific_notation_id: Excel turned the id into a number and lost digits; "
        "re-export this column as text"
    )
    # 138****8000: a shop masked the value; two buyers can share a mask, so it is no id
    masked = text.str.contains(r"\*{3,}", regex=True).fillna(False).astype(bool) & ~sci
    reasons[masked] = "masked_id: the export masked this value; it cannot tell customers apart"
    return Parsed(text.mask(sci | masked), reasons, fixes)


def parse_text(series: pd.Series) -> Parsed:
    """Clean free text (names, cities, notes): NFKC, no zero-width characters, null words."""
    text, fixes = normalize_text(series)
    return Parsed(text, _no_reasons(series.index), fixes)


# --- phones -----------------------------------------------------------------------------------
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
# "0044 20 7946 0018": the international prefix most countries dial, written out
_DIALLED_00 = re.compile(r"^\s*\(?\s*00(?=[1-9])")
# "8613800138000": China's country code without its "+", as Chinese exports write it
_BARE_86 = re.compile(r"^\s*\(?\s*(?=86)")
_NO_COUNTRY = (
    "invalid_phone: a national number with no country to read it in "
    "(no country on the row; set a default region)"
)

# Names exports use for a country that ``phonenumbers``' region names (English and Chinese)
# lack: the long and short forms of a name, its abbreviations, the parts of the United
# Kingdom, and the names the Online Retail data set uses (EIRE, RSA, Korea).
_COUNTRY_VARIANTS = {
    "US": [
        "United States of America",
        "USA",
        "America",
        "美利坚合众国",
    ],
    "GB": [
        "UK",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "United Kingdom of Great Britain and Northern Ireland",
        "大不列颠",
        "英格兰",
        "苏格兰",
    ],
    "IE": ["EIRE", "Republic of Ireland"],
    "ZA": ["RSA", "Republic of South Africa"],
    "KR": ["Korea", "Republic of Korea", "Korea, Republic of", "南韩", "大韩民国"],
    "CN": ["PRC", "People's Republic of China", "Mainland China", "中华人民共和国", "中国大陆"],
    "HK": ["Hong Kong SAR", "Hong Kong, China", "中国香港", "香港特别行政区"],
    "MO": ["Macau", "Macao SAR", "中国澳门", "澳门"],
    "TW": ["Taiwan, China", "中国台湾", "台湾"],
    "CZ": ["Czechia"],
    "RU": ["Russian Federation"],
    "NL": ["Holland"],
    "AE": ["UAE"],
    "VN": ["Viet Nam"],
}
_ACCENTS = re.compile(r"[\u0300-\u036f]")


def _country_key(text: str) -> str:
    """A country as written into the form it is looked up by: no case, accents, dots, spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text)).replace(".", "")
    text = _SPACES.sub(" ", text).strip()
    return text[4:] if text.startswith("the ") else text


@functools.cache
def _country_table() -> dict[str, str]:
    """Every spelling ``region_of_country`` knows, by its ``_country_key``; built once."""
    from phonenumbers.geodata.locale import LOCALE_DATA

    table: dict[str, str] = {}
    for region, names in LOCALE_DATA.items():
        table[_country_key(region)] = region
        for lang in ("en", "zh"):
            name = names.get(lang, "")
            if name.startswith("*"):  # "*aa": the name is the one given for language "aa"
                name = names.get(name[1:], "")
            if name and not name.startswith("*"):
                table.setdefault(_country_key(name), region)
    for region, spellings in _COUNTRY_VARIANTS.items():
        for spelling in spellings:
            table.setdefault(_country_key(spelling), region)
    # "NA" is read as missing everywhere else (a null word), so not as Namibia here either
    del table["na"]
    return table


def region_of_country(text) -> str | None:
    """A country as an export writes it into its ISO 3166 alpha-2 region (``"USA"`` -> ``"US"``).

    Parameters
    ----------
    text : str or None
        An ISO alpha-2 code (``US``, ``gb``), an English name or common variant (``United
        States of America``, ``U.S.A.``, ``UK``, ``England``, ``EIRE``, ``RSA``, ``Korea``) or a
        Chinese name (``中国``, ``美国``, ``中国香港``, ``台湾``). Case, accents, dots and extra
        spaces are ignored. Names come from ``phonenumbers``' region names in English and
        Chinese, with the variants they lack added.

    Returns
    -------
    str or None
        The region code, or None for text that names no single country (``Unspecified``,
        ``European Community``, ``Channel Islands``) or a missing value.

    Examples
    --------
    >>> [region_of_country(c) for c in ("U.S.A.", "united  kingdom", "EIRE", "中国香港", "gb")]
    ['US', 'GB', 'IE', 'HK', 'GB']
    >>> region_of_country("Côte d'Ivoire"), region_of_country("European Community")
    ('CI', None)
    """
    if not isinstance(text, str):
        return None
    return _country_table().get(_country_key(text))


def _read_phone(value: str, region: str | None):
    """One phone as written, read in ``region``: (E.164 text, reason, read in ``region``)."""
    import phonenumbers
    from phonenumbers import CountryCodeSource

    ext, number = None, value
    m = _EXTENSION.search(value)
    if m:
        ext, number = m.group(1), value[: m.start()]
    tries = [(number, region)]
    if _DIALLED_00.match(number):  # 00 is the international prefix wherever no region says else
        tries.append((_DIALLED_00.sub("+", number), None))
    elif region is None and _BARE_86.match(number):
        tries.append((_BARE_86.sub("+", number), None))
    reason = "invalid_phone: not a valid phone number"
    if region is not None and not number.lstrip().startswith(("+", "00")):
        reason = f"invalid_phone: not a valid phone number when read as a {region} number"
    for i, (text, where) in enumerate(tries):
        try:
            parsed = phonenumbers.parse(text, where, keep_raw_input=True)
        except phonenumbers.NumberParseException as exc:
            if i == 0 and where is None and exc.error_type == exc.INVALID_COUNTRY_CODE:
                reason = _NO_COUNTRY  # no + and no region: phonenumbers cannot read it
            continue
        if phonenumbers.is_valid_number(parsed):
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            ext = ext or parsed.extension
            # FROM_DEFAULT_COUNTRY: the number carried no country code, ``where`` gave it
            by_region = parsed.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY
            return (f"{e164};ext={ext}" if ext else e164), None, by_region
    return None, reason, False


# Regions tried when a file says nowhere which country its phone numbers are in
LIKELY_REGIONS = ("CN", "US", "GB", "CA", "AU", "DE", "FR", "IN", "JP", "HK", "TW", "SG")


def likely_region(series: pd.Series, *, candidates=LIKELY_REGIONS, sample: int = 200):
    """Phone numbers written without a country code into the one region that reads them, or None.

    For a file with no country column and no region set: of ``candidates``, the region in
    which at least 90 % of (a sample of) the national numbers are valid while no other region
    reads as many; None when no region does, or two do (a guess is not made between them).

    >>> likely_region(pd.Series(["138 0013 8000", "139-0013-9000", "13700137000"]))
    'CN'
    >>> likely_region(pd.Series(["(970) 555-0101", "(602) 555-0105"])) is None  # +86970... too
    True
    >>> likely_region(pd.Series(["020 7946 0018", "0161 496 0754"])) is None  # GB or IN?
    True
    """
    import phonenumbers

    text = normalize_text(series.astype("string"))[0].dropna()
    national = [v for v in text.unique() if not _DIALLED_00.match(v) and "+" not in v]
    national = national[:sample]
    if not national:
        return None
    read: dict[str, tuple] = {}  # region -> the E.164 of each number it reads (None: invalid)
    for region in candidates:
        out = []
        for value in national:
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                number = None
            ok = number is not None and phonenumbers.is_valid_number(number)
            out.append(phonenumbers.format_number(number, 0) if ok else None)  # 0: E164
        read[region] = tuple(out)
    counts = {r: sum(v is not None for v in out) for r, out in read.items()}
    best = max(counts, key=lambda r: counts[r])  # the first of the candidates on a tie
    if counts[best] < 0.9 * len(national):
        return None
    # a tie is no answer unless the tied regions read every number alike (US and CA: +1)
    tied = [r for r in counts if counts[r] == counts[best] and read[r] != read[best]]
    return None if tied else best


def parse_phones(series: pd.Series, *, region: str | None = None, countries=None) -> Parsed:
    """Phone numbers as written into E.164 (``+8613800138000``), each read in its row's country.

    A number written with its country code (``+44 20 7946 0018``, ``0044 ...``) is read as
    that country's, whatever the row says. A number written without one (``(970) 555-0101``,
    ``138-0013-8000``, ``010-12345678 转 123``) is read in the country of its row
    (``countries``), else in ``region``; such rows are counted as ``phone_country_assumed``.
    With neither, only numbers with a country code (and China's ``86`` written without its
    ``+``) are read; the others are rejected, with the reason that no country says how to read
    them. Extensions become ``;ext=123``; full-width digits are folded. Numbers are checked with
    ``phonenumbers`` (Google's libphonenumber metadata): one it does not accept as valid is
    rejected, never corrected.

    Parameters
    ----------
    series : pandas.Series
        The phone column as read (text, or numbers from a numeric column).
    region : str, optional
        The default country (``"CN"``, ``"US"``, or anything ``region_of_country`` reads) for
        rows with no recognised country.
    countries : pandas.Series, optional
        Each row's country as written (``United States``, ``UK``, ``中国``), on the index of
        ``series``.

    Returns
    -------
    Parsed
        The E.164 numbers, a reason for each rejected one, and the counts ``phone_reformatted``
        and ``phone_country_assumed`` (numbers read in ``region`` for want of a row country).

    Raises
    ------
    ValueError
        ``region`` is not a country ``region_of_country`` knows, or ``countries`` is not on the
        index of ``series``.

    Examples
    --------
    >>> phones = pd.Series(["(970) 555-0101", "138 0013 8000", "+44 20 7946 0018"])
    >>> parsed = parse_phones(phones, countries=pd.Series(["United States", "中国", "US"]))
    >>> parsed.values.tolist()
    ['+19705550101', '+8613800138000', '+442079460018']
    >>> parse_phones(pd.Series(["138 0013 8000"])).reasons.iloc[0].split(" (")[0]
    'invalid_phone: a national number with no country to read it in'
    """
    default = None
    if region is not None:
        default = region_of_country(region)
        if default is None:
            raise ValueError(f"unknown region {region!r}; expected a country code such as 'CN'")
    if pd.api.types.is_float_dtype(series.dtype):  # 13800138000.0 from a numeric column
        series = series.map(lambda v: f"{v:.0f}" if v == v and float(v).is_integer() else v)
    text, fixes = normalize_text(series.astype("string"))
    own = np.zeros(len(text), dtype=bool)  # the row's own country says how to read it
    if countries is None:
        regions = pd.Series(default, index=text.index, dtype=object)
    else:
        if not countries.index.equals(series.index):
            raise ValueError("countries: expected the index of the phone series")
        names = countries.astype("string")
        known = {c: region_of_country(c) for c in names.dropna().unique()}
        regions = names.map(known, na_action="ignore").astype(object)
        own = regions.notna().to_numpy()
        regions = regions.where(own, default)
    # the unit of work is a unique (value, region) pair: read once, mapped back to its rows
    v_code, v_uniques = pd.factorize(text)
    r_code, r_uniques = pd.factorize(regions)  # -1 where no region
    width = len(r_uniques) + 1
    present = v_code >= 0
    pairs, inverse = np.unique(v_code[present] * width + r_code[present] + 1, return_inverse=True)
    got = [
        _read_phone(v_uniques[p // width], r_uniques[p % width - 1] if p % width else None)
        for p in pairs
    ]
    numbers = np.full(len(text), None, dtype=object)
    why = np.full(len(text), None, dtype=object)
    assumed = np.zeros(len(text), dtype=bool)
    if got:
        numbers[present] = np.array([g[0] for g in got], dtype=object)[inverse]
        why[present] = np.array([g[1] for g in got], dtype=object)[inverse]
        assumed[present] = np.array([g[2] for g in got], dtype=bool)[inverse]
    out = pd.Series(numbers, index=text.index, dtype="string")
    reasons = pd.Series(why, index=text.index, dtype="string")
    fixes["phone_reformatted"] = int((out.notna() & (out != text)).sum())
    fixes["phone_country_assumed"] = int((assumed & ~own).sum())
    return Parsed(out, reasons, fixes)


# --- emails -----------------------------------------------------------------------------------
_PLAIN_EMAIL = (
    r"[a-z0-9](?:[a-z0-9._%+-]{0,62}[a-z0-9])?"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"\.[a-z]{2,24}"
)


def parse_emails(series: pd.Series) -> Parsed:
    """Lower-case and trim e-mail addresses for matching; reject invalid ones, never "fix" them.

    Syntax is checked with the ``email-validator`` library (no network look-up).
    """
    from email_validator import EmailNotValidError, validate_email

    text, fixes = normalize_text(series)
    reasons_map = {}
    # plain addresses (letters, digits, . _ % + - and a dotted domain) pass without the
    # library; anything else is checked by it
    plain = text.str.fullmatch(_PLAIN_EMAIL, case=False).fillna(False).astype(bool)
    for value in text[~plain].dropna().unique():
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            # the library's message can quote characters of the address: keep them out
            kind = "no @-sign" if "@" not in value else "malformed"
            reasons_map[value] = f"invalid_email: not a valid e-mail address ({kind})"
    reasons = text.map(reasons_map, na_action="ignore").astype("string")
    out = text.str.lower().mask(reasons.notna())
    fixes["email_lowercased"] = int((out.notna() & (out != text)).sum())
    return Parsed(out.astype("string"), reasons, fixes)


# --- dates ------------------------------------------------------------------------------------
_TIME = r"(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2}))?(?:秒)?(?:\.\d+)?\s*([AaPp][Mm])?)?"
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$")
_YMD_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?" + _TIME.replace("[ T]+", "[ T]*") + "$")
_AB_Y = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})" + _TIME + "$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EPOCH_MS = re.compile(r"^1\d{12}$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_TZ_SUFFIX = r"(\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*(?:Z|UTC|[+-]\d{2}:?\d{2})$"
_TZ_TEST = r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})$"


DECIDE = object()  # "settle the date order from the dates themselves" (``decide_day_first``)


@dataclass(frozen=True)
class DateOrder:
    """What a file's (or a batch's) a/b/yyyy dates say of their order.

    ``any_ab``: there is such a date; ``day_first`` / ``month_first``: one whose first / second
    number is above 12. Two batches' evidence adds up with ``|``.
    """

    any_ab: bool = False
    day_first: bool = False
    month_first: bool = False

    def __or__(self, other: DateOrder) -> DateOrder:
        return DateOrder(
            self.any_ab or other.any_ab,
            self.day_first or other.day_first,
            self.month_first or other.month_first,
        )

    def decided(self) -> bool | None:
        """True (day-first), False (month-first) or None (nothing settles it).

        Raises ValueError when both orders were seen (15/3/2024 and 3/15/2024): it is mixed.
        """
        if self.day_first and self.month_first:
            raise ValueError(
                "dates are both day-first (e.g. 15/3/2024) and month-first (3/15/2024)"
            )
        if self.day_first or self.month_first:
            return self.day_first
        return None


def date_order_evidence(*columns: pd.Series) -> DateOrder:
    """Text date columns into what their a/b/yyyy dates say of the order (``DateOrder``).

    >>> date_order_evidence(pd.Series(["3/4/2024", "15/4/2024"]))
    DateOrder(any_ab=True, day_first=True, month_first=False)
    """
    found = DateOrder()
    for col in columns:
        text = col.dropna().astype(str)
        parts = text.str.extract(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}")
        parts = parts.dropna().astype(int)
        found = found | DateOrder(
            bool(len(parts)), bool((parts[0] > 12).any()), bool((parts[1] > 12).any())
        )
    return found


def decide_day_first(*columns: pd.Series) -> bool | None:
    """Decide from a file's a/b/yyyy dates whether they are day-first (True) or month-first.

    Returns None when no date settles it (every a and b are at most 12, or there are none).
    Raises ValueError when the file holds both 15/3/2024 and 3/15/2024: it is mixed.
    """
    return date_order_evidence(*columns).decided()


def _build(y, mo, d, h, mi, s, ampm) -> pd.Timestamp | None:
    hour = int(h or 0)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    try:
        return pd.Timestamp(int(y), int(mo), int(d), hour, int(mi or 0), int(s or 0))
    except ValueError:
        return None


def _parse_one_date(value: str, day_first: bool) -> pd.Timestamp | None:
    value = value.replace("时", ":").replace("分", ":").replace("秒", "").rstrip(":")
    for pattern in (_YMD, _YMD_ZH):
        m = pattern.match(value)
        if m:
            return _build(*m.groups())
    m = _AB_Y.match(value)
    if m:
        a, b, y, *rest = m.groups()
        day, month = (a, b) if day_first else (b, a)
        return _build(y, month, day, *rest)
    if _SERIAL.match(value):
        serial = float(value)
        if 1 <= serial < 100_000:  # 1900-01-01 .. 2173
            return (_EXCEL_EPOCH + pd.Timedelta(days=serial)).round("s")
        return None
    if _EPOCH_MS.match(value):
        return pd.Timestamp(int(value), unit="ms")
    return None


def parse_dates(
    series: pd.Series,
    *,
    day_first: bool | None = None,
    min_date="1990-01-01",
    max_date=None,
) -> Parsed:
    """Read dates and timestamps in the forms CRM exports use; reject impossible and out-of-range.

    Accepted: ISO (2024-03-05, 2024-03-05T14:30:00), 2024/3/5, 2024.3.5, 2024年3月5日 (with an
    optional 14:30 or 14时30分), a/b/yyyy with an optional time and AM/PM (day- or month-first by
    ``day_first``, which ``decide_day_first`` settles per file), Excel serial day numbers
    (45356 = 2024-03-05) and epoch milliseconds. Time zones are dropped to local wall time.

    Parameters
    ----------
    day_first : bool, optional
        How to read a/b/yyyy; None (undecided) reads them month-first and counts them in
        ``fixes["ambiguous_day_month"]``.
    min_date, max_date : date-like, optional
        Sane range; values outside it are rejected ("in the future", "before ...").
        ``max_date`` defaults to tomorrow.
    """
    index = series.index
    reasons = _no_reasons(index)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = series
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        if out.dtype != "datetime64[ns]":  # seconds or milliseconds from Parquet: microseconds
            out = out.astype("datetime64[us]")
        fixes: Counter = Counter()
    else:
        text, fixes = normalize_text(series.astype("string"))
        with_tz = text.str.contains(_TZ_TEST, regex=True).fillna(False).astype(bool)
        if with_tz.any():  # keep the wall time, drop the offset
            text = text.str.replace(_TZ_SUFFIX, r"\1", regex=True)
            fixes["timezone_dropped"] = int(with_tz.sum())
        # a year or a month alone ("2024", "2024-03") is not a date: no day is guessed
        full = text.str.match(r"^\d{4}-\d{1,2}-\d{1,2}|^\d{8}(?:$|T)").fillna(False).astype(bool)
        parsed = pd.to_datetime(text.where(full), format="ISO8601", errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        parsed = parsed.astype("datetime64[us]")  # years 1 to 9999, checked below
        rest = parsed.isna() & text.notna()
        if rest.any():
            mapping = {v: _parse_one_date(v, bool(day_first)) for v in text[rest].unique()}
            parsed[rest] = pd.to_datetime(text[rest].map(mapping), errors="coerce")
            if day_first is None:
                fixes["ambiguous_day_month"] = int(text[rest].str.match(_AB_Y.pattern).sum())
        reasons[parsed.isna() & text.notna()] = "invalid_date: not a date in a known form"
        out = parsed
    # Parquet and pandas read years 1 to 9999; the nanoseconds every table keeps hold only
    # 1677 to 2262: a date beyond those years is out of any sane range, rejected before that
    beyond = out.notna() & ((out < pd.Timestamp.min) | (out > pd.Timestamp.max))
    reasons[beyond] = "date_out_of_range: beyond the years 1677 to 2262"
    out = out.mask(beyond)
    low = pd.Timestamp(min_date) if min_date is not None else None
    high = (
        pd.Timestamp(max_date)
        if max_date is not None
        else pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
    )
    if low is not None:
        early = out.notna() & (out < low) & reasons.isna()
        reasons[early] = f"date_out_of_range: before {low.date()}"
        out = out.mask(early)
    late = out.notna() & (out > high)
    reasons[late] = f"date_out_of_range: in the future (after {high.date()})"
    out = out.mask(late)
    return Parsed(out.astype("datetime64[ns]"), reasons, fixes)


# --- amounts ----------------------------------------------------------------------------------
_CURRENCY = re.compile(r"(?i)(¥|\$|€|£|rmb|cny|usd|eur|gbp|hk\$|元|人民币)")
_NUMBER = re.compile(r"^([+-])?(\d+(?:\.\d+)?|\.\d+)(万|亿)?([+-])?$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_MULTIPLIER = {"万": 1e4, "亿": 1e8}


def _parse_one_amount(value: str) -> tuple[float | None, str | None]:
    text = _CURRENCY.sub("", value).replace(" ", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
        if text.startswith(("-", "+")) or text.endswith("-"):
            return None, "invalid_number: a sign inside brackets"
    unit = ""
    if text and text[-1] in _MULTIPLIER:
        unit, text = text[-1], text[:-1]
    if "," in text:
        if not _THOUSANDS.match(text.lstrip("+-")):
            return None, "invalid_number: misplaced thousands separator"
        text = text.replace(",", "")
    m = _NUMBER.match(text + unit)
    if not m or not np.isfinite(float(m.group(2))):
        return None, "invalid_number: not a number"
    sign, digits, mult, trailing = m.groups()
    number = float(digits) * _MULTIPLIER.get(mult or "", 1.0)
    if sign == "-" or trailing == "-":
        number = -number
    return (-number if negative else number), None


def parse_amounts(series: pd.Series) -> Parsed:
    """Read numbers and money: ¥/￥/$, thousands separators (also full-width), 万/亿, (negatives).

    ``"￥1,234.50"`` -> 1234.5, ``"(300)"`` -> -300, ``"1.2万"`` -> 12000; ``"1,23"`` is rejected
    (a separator in the wrong place is more likely a decimal comma than a thousands separator),
    as are ``inf`` (written or from a float column) and true/false values.
    """
    index = series.index
    if pd.api.types.is_bool_dtype(series.dtype):  # a true/false column is not a number
        reasons = _no_reasons(index)
        reasons[series.notna().to_numpy()] = "invalid_number: a true/false value, expected a number"
        return Parsed(pd.Series(np.nan, index=index, dtype="float64"), reasons)
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.astype("float64")
        # inf and -inf from a float column: no amount is infinite
        infinite = numbers.notna() & ~np.isfinite(numbers)
        reasons = _no_reasons(index)
        reasons[infinite.to_numpy()] = "invalid_number: infinite, expected a finite number"
        return Parsed(numbers.mask(infinite), reasons)
    text, fixes = normalize_text(series.astype("string"))
    fast = pd.to_numeric(text, errors="coerce").astype("float64")
    fast = fast.where(np.isfinite(fast))  # "inf", "Infinity" are not amounts
    rest = fast.isna() & text.notna()
    reasons = _no_reasons(index)
    if rest.any():
        results = {v: _parse_one_amount(v) for v in text[rest].unique()}
        fast[rest] = text[rest].map(lambda v: results[v][0]).astype("float64")
        reasons[rest] = text[rest].map(lambda v: results[v][1]).astype("string")
        fixes["amount_reformatted"] = int((rest & fast.notna()).sum())
    return Parsed(fast, reasons, fixes)


def parse_category(series: pd.Series, *, allowed, mapping: dict | None = None) -> Parsed:
    """Map values onto a closed set (``男`` -> ``M``); reject values outside ``allowed``."""
    text, fixes = normalize_text(series)
    # the keys are folded as the values are (NFKC: 已发货，待签收 is written with a full-width
    # comma in the export and in the mapping, and read with a plain one)
    keys = pd.Series([str(k) for k in (mapping or {})], dtype="string")
    folded = normalize_text(keys)[0].str.lower() if len(keys) else keys
    lookup = dict(zip(folded, (mapping or {}).values(), strict=True))
    lookup.update({str(a).lower(): a for a in allowed or ()})
    lowered = text.str.lower()
    out = lowered.map(lookup, na_action="ignore").astype("string")
    reasons = _no_reasons(series.index)
    if allowed:
        bad = out.isna() & text.notna()
        reasons[bad] = f"not_allowed: not one of {list(allowed)}"
    else:
        out = text
    return Parsed(out, reasons, fixes)
