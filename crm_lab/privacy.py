"""Personal values into masked ones, for anything a person other than the analyst may read."""

from __future__ import annotations

import functools
import hmac
import os
import re
import secrets
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "KeyFileError",
    "MIN_GROUP",
    "MIN_KEY_BYTES",
    "PERSONAL_COLUMNS",
    "PSEUDONYM_LETTERS",
    "Found",
    "KnownValues",
    "complementary_rows",
    "data_cipher",
    "decrypt_bytes",
    "deidentify",
    "encrypt_bytes",
    "encrypt_file",
    "find_personal",
    "hidden_groups",
    "is_figure",
    "mask_text",
    "mask_value",
    "mask_values",
    "new_data_key",
    "new_pseudonym_key",
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

    Phones keep the country code, the first three and the last four digits (two and two of a
    number shorter than ten digits); e-mails the first
    letter and the domain; names the first character; ids the last three characters; dates the
    year; free text and unknown columns only their first character. Other columns (amounts,
    product codes, cities, product names) are returned with any phone, e-mail or ID number in
    them masked (``mask_text``): ``"call 138 0013 8000"`` -> ``"call +86 138****8000"``.

    >>> mask_value("email", "linda.clarke@example.com"), mask_value("name", "张三")
    ('l***@example.com', '张*')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if not text:
        return ""
    if "***" in text or "…" in text or text.endswith("-**-**"):
        return mask_text(text)  # already masked, unless it holds more than the mask
    if column == "phone":
        import phonenumbers

        try:
            number = phonenumbers.parse(text.split(";")[0], "CN")
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and len(str(number.national_number)) >= 7:
            return _mask_phone(number)
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
    return mask_text(text)


def mask_values(frame: pd.DataFrame, *, column_col: str = "column", value_col: str = "value"):
    """Return a copy of a long table (one value per row) with ``value_col`` masked by column."""
    out = frame.copy()
    out[value_col] = [
        mask_value(c, v) for c, v in zip(out[column_col], out[value_col], strict=True)
    ]
    return out


# --- personal data in free text -----------------------------------------------------------------
# A phone's separators: what people put between digit groups (dots, dashes, spaces, brackets)
_SEP = r"[ \t.\-_/()\u00a0]{0,3}"
# Chinese mobiles in any grouping: 1[3-9] and nine more digits, an optional +86 / 0086 / 86;
# also glued to letters (tel13800138000), so no pseudonym or code may hold such a run
_CN_MOBILE = re.compile(
    rf"(?<![0-9.,+])(?:(?:\+|00)?\(?86\)?{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?![0-9]|[.,]\d)"
)
_SP = r"[ \t\u00a0]"  # spaces inside one line
_AT_SYMBOL = rf"{_SP}*@{_SP}*|{_SP}*[\[({{<]{_SP}*(?:at|@){_SP}*[\])}}>]{_SP}*"
_DOT_ANY = rf"{_SP}*\.{_SP}*|{_SP}*[\[({{<]{_SP}*(?:dot|\.){_SP}*[\])}}>]{_SP}*|{_SP}+dot{_SP}+"
_DOT_TIGHT = rf"\.|{_SP}*[\[({{<]{_SP}*(?:dot|\.){_SP}*[\])}}>]{_SP}*|{_SP}+dot{_SP}+"
_WORD_DOT = rf"{_SP}*[\[({{<]{_SP}*(?:dot|\.){_SP}*[\])}}>]{_SP}*|{_SP}+dot{_SP}+"
# a local part may spell its dots too: linda dot clarke at example dot com
_LOCAL = rf"[a-z0-9][a-z0-9._%+\-]*(?:(?:{_WORD_DOT})[a-z0-9][a-z0-9._%+\-]*)*"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
_EMAILS = (
    # name@example.com, name (at) example (dot) com, name [at] example.com, name @ example . com
    re.compile(
        rf"(?<![a-z0-9._%+\-]){_LOCAL}(?:{_AT_SYMBOL}){_LABEL}(?:(?:{_DOT_ANY}){_LABEL})*"
        rf"(?:{_DOT_ANY})[a-z]{{2,24}}(?![a-z0-9\-])",
        re.I,
    ),
    # name at example dot com, name at example.com: the word "at" needs a dot written tight
    # and a country's or a common top-level domain (not "at the table dot plots")
    re.compile(
        rf"(?<![a-z0-9._%+\-]){_LOCAL}{_SP}+at{_SP}+{_LABEL}(?:(?:{_DOT_TIGHT}){_LABEL})*"
        rf"(?:{_DOT_TIGHT})(?:[a-z]{{2}}|com|net|org|edu|gov|info|biz|io|xyz|app|dev|mobi)"
        r"(?![a-z0-9\-])",
        re.I,
    ),
)
_AT_ANCHOR = re.compile(rf"@|[\[({{<]{_SP}*(?:at|@)|{_SP}at{_SP}", re.I)
_OBFUSCATED = (
    (re.compile(rf"{_AT_SYMBOL}|{_SP}+at{_SP}+", re.I), "@"),
    (re.compile(_DOT_ANY, re.I), "."),
)
# 18-digit resident ids (6-digit area, birth date, 3 digits, check digit), written with or
# without spaces and dashes; the older 15-digit ones (two-digit year) only unbroken
_CN_ID = re.compile(r"(?<![0-9])[1-9](?:[ \-]{0,2}\d){16}[ \-]{0,2}[\dXx](?![0-9])")
_CN_ID15 = re.compile(
    r"(?<![A-Za-z0-9])[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![A-Za-z0-9])"
)
# US social security numbers, UK national insurance numbers
_SSN = re.compile(
    r"(?<![A-Za-z0-9\-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![A-Za-z0-9\-])"
)
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# regions whose national spellings (no +country code) the phone search reads, besides China's
# mobiles: a number with a + or 00 prefix is read for any country
PHONE_REGIONS = ("CN", "US", "GB", "DE", "FR", "JP", "IN", "AU")
_PHONE_CHARS = re.compile(r"\d")
# a run of digits with what people put between a phone's groups (at most three characters)
_NUMBERISH = re.compile(r"[+(]?\d[\d \t.\-_/()\u00a0]{4,}\d")
_NON_DIGIT = re.compile(r"\D")
_SEPARATOR = re.compile(r"[ \t.\-_/()\u00a0]")
# grouped digits that are no phone: days, times, decimals
_NOT_PHONE = re.compile(
    r"\d{4}([-./])\d{1,2}\1\d{1,2}(?: \d{1,2}:\d{2}(?::\d{2})?)?|\d{1,2}([-./])\d{1,2}\2\d{2,4}"
    r"|\d+[.,]\d+|\d{4}-\d{2}"
)


def _numberish(text: str):
    """The runs of ``text`` that may be a phone: digits and separators, six digits or more."""
    return _NUMBERISH.finditer(text)


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"))
# characters people write for a phone's dash, an e-mail's dot or its brackets that NFKC keeps:
# dashes and minus signs, middle dots and bullets, the ideographic full stop, CJK brackets,
# the underscore and comma between digit groups; each folded to one ASCII character
_LOOKALIKE = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u2043", "-"),
        **dict.fromkeys("\u00b7\u2022\u30fb\u2027\u2219", "."),
        "\u3002": ".",
        "\uff61": ".",
        "\u3010": "[",
        "\u3011": "]",
        "\u3016": "[",
        "\u3017": "]",
    }
)
_NAME_SPLIT = re.compile(r"[\W_]+")
_TOKEN = re.compile(r"[^\W_]+")
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_CJK_RUN = re.compile(rf"[{_CJK}](?:[ \t\u00a0\u00b7\u30fb.]*[{_CJK}])*")


# a number in text is a figure (a count, an amount, a share), not an id, when a currency sign
# comes before it, or a percent sign or the name of what it counts after it, with at most one
# qualifying word between (``13989 repeat buyers``: the drop-out warning counts repeat buyers,
# and with 15,000 numeric ids from 12346 most counts of that size equal one of them); the
# words that name an id before it (``customer 12346``, ``ID: 12346``, ``#12346``) win
_COUNTED = (
    "customers|buyers|clients|members|people|persons|accounts|households|orders|invoices|"
    "lines|rows|records|entries|items|products|codes|purchases|transactions|sales|baskets|"
    "pairs|rules|itemsets|bundles|days|weeks|months|years|hours|times|units|visits|sessions|"
    "tickets|interactions|responses|campaigns|values|cells|files|segments|duplicates"
)
_QUALIFIERS = (
    "repeat|new|active|unique|distinct|returning|lapsed|lost|loyal|paying|one-time|first-time|"
    "more|fewer|other|order|sale|sales|cancelled|quarantined|clean|merged|missing|known|"
    "anonymous|product|basket|customer|valid|invalid|dated|undated|further|extra"
)
_GAP = r"[ \t\u00a0\u2009\u202f]"  # spaces within a line: a figure and its noun are one text
_CJK_COUNTERS = "位个名笔条行天次张件单户人项元周月年组对"
_COUNT_AFTER = re.compile(
    rf"{_GAP}*(?:[%‰]|(?:(?:{_QUALIFIERS})(?:{_GAP}|-)+)?(?:{_COUNTED})\b|[{_CJK_COUNTERS}])", re.I
)
_CURRENCY_BEFORE = re.compile(rf"(?:[£$€¥￥₹]|\b(?:GBP|USD|EUR|CNY|RMB)){_GAP}?$")
_ID_BEFORE = re.compile(
    r"(?:\b(?:customers?|clients?|buyers?|members?|accounts?|ids?|no|number|pseudonym|"
    r"customer[_ ]id|user)\b|#|客户|会员|编号|用户)\W{0,3}$",
    re.I,
)


def is_figure(text: str, start: int, end: int) -> bool:
    """Whether the number at ``text[start:end]`` stands where a figure stands: after a currency
    sign, before a percent sign or before the name of what it counts (``13989 repeat buyers``,
    ``13989 位回头客``), and not after a word that names an id (``customer 12346 orders``).

    A numeric customer id (Online Retail's 12346-18287) equals many counts once there are
    thousands of customers; a number so placed is read as the count, not as the id, by the
    privacy gate and by ``find_personal``. The noun must follow on the same line.

    >>> text = "44.8% of the 13989 repeat buyers; customer 13989 orders"
    >>> is_figure(text, 13, 18), is_figure(text, 43, 48)
    (True, False)
    """
    before, after = text[max(0, start - 40) : start], text[end : end + 60]
    if _ID_BEFORE.search(before):
        return False
    return bool(_CURRENCY_BEFORE.search(before) or _COUNT_AFTER.match(after))


@dataclass(frozen=True)
class Found:
    """One piece of personal data in a text: its kind, where it is and its masked form."""

    kind: str  # phone, email, chinese_id, id_number, name, customer_id
    start: int
    end: int
    masked: str


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """A text as a reader reads it (NFKC: full-width digits and @ as ASCII; invisible characters
    dropped) and, when that changed it, the position in ``text`` of each of its characters."""
    if text.isascii():
        return text, None
    chars, where = [], []
    for i, char in enumerate(text):
        char = char.translate(_INVISIBLE).translate(_LOOKALIKE)
        for out in unicodedata.normalize("NFKC", char):
            chars.append(out)
            where.append(i)
    where.append(len(text))
    return "".join(chars), where


def _mask_phone(number) -> str:
    """A parsed phone number into its mask: the country code, the first three and the last
    four digits of a national number of ten digits or more, two and two of a shorter one."""
    national = str(number.national_number)
    head, tail = (3, 4) if len(national) >= 10 else (2, 2)
    return f"+{number.country_code} {national[:head]}****{national[-tail:]}"


def _digits(text: str) -> str:
    return "".join(_PHONE_CHARS.findall(text))


def _id_checksum_ok(digits: str) -> bool:
    if not digits[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits, _ID_WEIGHTS, strict=False))
    return "10X98765432"[total % 11] == digits[17].upper()


def _valid_birth(year: str, month: str, day: str) -> bool:
    return 1 <= int(month) <= 12 and 1 <= int(day) <= 31 and year[:2] in ("18", "19", "20")


def _number_hits(text: str, candidate: re.Match) -> list[Found]:
    """Phones and ID numbers in one run of digits and separators (``_numberish``) of a text."""
    import phonenumbers

    hits = []
    raw, offset = candidate.group(), candidate.start()
    count = len(_NON_DIGIT.sub("", raw))
    # the patterns read the run in its text (what comes before and after it counts)
    lo, hi = max(offset - 1, 0), min(candidate.end() + 2, len(text))
    if count >= 11:
        for match in _CN_MOBILE.finditer(text, lo, hi):
            national = _digits(match.group())[-11:]
            hits.append(Found("phone", *match.span(), f"+86 {national[:3]}****{national[-4:]}"))
    if count >= 15:
        for match in _CN_ID.finditer(text, lo, hi):
            digits = re.sub(r"[ \-]", "", match.group())
            unbroken = len(digits) == len(match.group())
            if _valid_birth(digits[6:10], digits[10:12], digits[12:14]) and (
                unbroken or _id_checksum_ok(digits)
            ):
                hits.append(Found("chinese_id", *match.span(), mask_value("birth_date", digits)))
        for match in _CN_ID15.finditer(text, lo, hi):
            hits.append(Found("chinese_id", *match.span(), "19" + match.group()[6:8] + "-**-**"))
    if count == 9:
        for match in _SSN.finditer(text, lo, hi):
            hits.append(Found("id_number", *match.span(), "***"))
    leniency = phonenumbers.Leniency
    if raw.startswith("00"):  # 0044 ...: the international prefix written out
        raw, offset = "+" + raw[2:], offset + 1
    if raw.startswith("+"):  # with a country code: any country's number
        runs = [("ZZ", leniency.VALID)]
    elif _SEPARATOR.search(raw) and not _NOT_PHONE.fullmatch(raw):
        # a region's own spelling, grouped as that country groups it
        runs = [(region, leniency.EXACT_GROUPING) for region in PHONE_REGIONS]
    else:
        return hits
    for region, level in runs:
        for match in phonenumbers.PhoneNumberMatcher(raw, region, leniency=level):
            spelt = match.raw_string.strip()
            if region != "ZZ" and (not _SEPARATOR.search(spelt) or _NOT_PHONE.fullmatch(spelt)):
                continue  # an unbroken run of digits, a day or a decimal: an id, date or amount
            start = offset + match.start - (match.start == 0 and raw != candidate.group())
            hits.append(Found("phone", start, offset + match.end, _mask_phone(match.number)))
    return hits


def _pattern_hits(text: str) -> list[Found]:
    """Phones, e-mails and ID numbers of a (normalised) text, known to nobody in particular."""
    hits = []
    for candidate in _numberish(text):
        hits += _number_hits(text, candidate)
    hits += _email_hits(text)
    for match in _NINO.finditer(text):
        hits.append(Found("id_number", *match.span(), "***"))
    return hits


def _email_matches(text: str):
    """The e-mail addresses of a text (``_EMAILS``), looked for only on lines with an "at"."""
    done = 0  # the end of the last line read
    for anchor in _AT_ANCHOR.finditer(text):
        if anchor.start() < done:
            continue
        lo = text.rfind("\n", 0, anchor.start()) + 1
        hi = text.find("\n", anchor.end())
        hi = len(text) if hi < 0 else hi
        for pattern in _EMAILS:
            yield from pattern.finditer(text, lo, hi)
        done = hi


def _email_hits(text: str) -> list[Found]:
    hits = []
    for match in _email_matches(text):
        hits.append(Found("email", *match.span(), mask_value("email", _plain_email(match.group()))))
    return hits


def _plain_email(address: str) -> str:
    """An e-mail address as written (``li [at] qq dot com``) into its plain form (``li@qq.com``)."""
    for token, plain in _OBFUSCATED:
        address = token.sub(plain, address)
    return address


def _cjk(text: str) -> bool:
    return any(
        "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af"
        for c in text
    )


def _id_forms(text: str) -> set[str]:
    """An id's spellings as a word: as is, without a float's ``.0``, without leading zeros."""
    plain = re.sub(r"(?<=\d)\.0+$", "", text.strip()).casefold()  # c000123 is C000123
    out = {text.strip().casefold(), plain}
    if plain.isdigit():
        out.add(plain.lstrip("0") or "0")
    return out


class KnownValues(dict):
    """The input's own identifying values by column (``{"name": {...}, "phone": {...}}``),
    with their normalised forms worked out once: a dict, so it is also given where one is.

    Phones and ids are compared digits only (a phone also by its national number, so
    ``+44 7400 974929``, ``07400-974929`` and ``(0)7400 974 929`` are the same number);
    e-mails lower-case (every e-mail is found by its pattern in any spelling besides);
    names case- and space-folded, in either order: ``Linda  CLARKE`` and ``Clarke, Linda``
    are ``Linda Clarke``, ``王 小明`` is ``王小明``. A one-word Latin name is matched as
    written, in capitals or title case only (``Rose`` the name, not ``rose`` the word).
    Names shorter than two characters and ids shorter than five are left out (too common).
    """

    @functools.cached_property
    def forms(self) -> dict[str, object]:
        """The normalised forms ``find_personal`` looks for, by what they are."""
        import phonenumbers

        phones: set[str] = set()
        for value in self.get("phone", ()):
            digits = _digits(unicodedata.normalize("NFKC", str(value)))
            if len(digits) < 7:
                continue
            phones |= {digits, digits.lstrip("0")}
            if len(digits) == 13 and digits.startswith("861"):  # the usual case: no parsing
                phones.add(digits[2:])
                continue
            try:
                number = phonenumbers.parse(str(value), "CN")
            except phonenumbers.NumberParseException:
                continue
            phones.add(str(number.national_number))
        words, folded, compact = set(), set(), set()
        for value in self.get("name", ()):
            text = unicodedata.normalize("NFKC", str(value)).strip()
            tokens = [t for t in _NAME_SPLIT.split(text.casefold()) if t]
            if _cjk(text):
                key = "".join(tokens)
                if len(key) >= 2:
                    compact.add(key)
            elif len(tokens) > 1:  # also family name first: Clarke Linda, Clarke, Linda
                folded |= {" ".join(tokens), " ".join(tokens[-1:] + tokens[:-1])}
            elif tokens and len(tokens[0]) >= 2:
                words |= {text, text.upper(), text.title()}
        ids: dict[str, str] = {}
        for value in self.get("customer_id", ()):
            value = str(value).strip()
            if len(value) >= 5:
                ids.update(dict.fromkeys(_id_forms(value), value))
        emails = {str(v).strip().lower() for v in self.get("email", ())}
        return {
            "phones": {p for p in phones if len(p) >= 7},
            "name_words": words,
            "name_folded": folded,
            "name_first": {f.split(" ")[0] for f in folded},
            "name_tokens": max((f.count(" ") + 1 for f in folded), default=0),
            "name_compact": compact,
            "name_lengths": sorted({len(c) for c in compact}),
            "ids": ids,
            "emails": emails,
        }


def _name_hits(text: str, forms: dict) -> list[Found]:
    """Latin names of ``forms`` in a text: one word as written, several case- and space-folded."""
    hits = []
    tokens = list(_TOKEN.finditer(text))
    for i, token in enumerate(tokens):
        if token.group() in forms["name_words"]:
            hits.append(Found("name", *token.span(), mask_value("name", token.group())))
        joined = token.group().casefold()
        if joined not in forms["name_first"]:
            continue
        for j in range(i + 1, min(i + forms["name_tokens"], len(tokens))):
            gap = text[tokens[j - 1].end() : tokens[j].start()]
            if len(gap) > 3 or "\n" in gap:
                break
            joined += " " + tokens[j].group().casefold()
            if joined in forms["name_folded"]:
                name = text[token.start() : tokens[j].end()]
                hits.append(Found("name", token.start(), tokens[j].end(), mask_value("name", name)))
    return hits


def _known_hits(text: str, forms: dict, *, ids: bool = True) -> list[Found]:
    """The known values of ``forms`` (``KnownValues.forms``) in a normalised text."""
    hits = []
    if forms["phones"]:
        for candidate in _numberish(text):
            groups = list(re.finditer(r"\d+", candidate.group()))
            for i, first in enumerate(groups):
                digits = ""
                for last in groups[i:]:
                    digits += last.group()
                    if len(digits) > 18:
                        break
                    stripped = digits.lstrip("0")
                    variants = {v[k:] for v in (digits, stripped) for k in range(4)}
                    if any(len(v) >= 7 and v in forms["phones"] for v in variants):
                        start, end = (
                            candidate.start() + first.start(),
                            candidate.start() + last.end(),
                        )
                        hits.append(Found("phone", start, end, mask_value("phone", digits)))
    if forms["name_words"] or forms["name_folded"]:
        present = set(_TOKEN.findall(text))
        starts = forms["name_words"] | forms["name_first"]
        if present & forms["name_words"] or {t.casefold() for t in present} & starts:
            hits += _name_hits(text, forms)
    if forms["name_compact"]:
        for run in _CJK_RUN.finditer(text):
            kept = [
                (i, c) for i, c in enumerate(run.group().casefold(), run.start()) if c.isalnum()
            ]
            chars = "".join(c for _, c in kept)
            for start in range(len(chars)):
                for size in forms["name_lengths"]:
                    piece = chars[start : start + size]
                    if len(piece) == size and piece in forms["name_compact"]:
                        begin, end = kept[start][0], kept[start + size - 1][0] + 1
                        hits.append(Found("name", begin, end, mask_value("name", text[begin:end])))
    if ids and forms["ids"]:
        for word in re.finditer(r"[\w.@+-]+", text):
            value = word.group().rstrip(".+-")
            plain = re.sub(r"(?<=\d)\.0+$", "", value)
            if plain.isdigit() and is_figure(text, word.start(), word.start() + len(plain)):
                continue  # "13989 repeat buyers": a count, not the id 13989
            for form in _id_forms(value):
                if form in forms["ids"]:
                    original = forms["ids"][form]
                    hits.append(
                        Found("customer_id", word.start(), word.start() + len(value),
                              mask_value("customer_id", original))
                    )  # fmt: skip
                    break
    if forms["emails"]:
        for match in _email_matches(text):
            address = _plain_email(match.group())
            if address.replace(" ", "").lower() in forms["emails"]:
                hits.append(Found("email", *match.span(), mask_value("email", address)))
    return hits


def find_personal(text: str, *, known: dict | None = None, ids: bool = True) -> list[Found]:
    """A text into the personal data it holds: phones, e-mails, ID numbers, the input's values.

    Parameters
    ----------
    text : str
        Any text (a page's visible text, a failure message, a quarantined value).
    known : dict of str to set of str, optional
        The input's identifying values by column (``customer_id``, ``name``, ``phone``,
        ``email``): a ``KnownValues`` (normalised once) or a plain dict.
    ids : bool
        Look for the known customer ids (as words); the gate looks for them itself, where a
        page shows an id.

    Returns
    -------
    list of Found
        Non-overlapping, in text order; ``start``/``end`` index ``text`` itself.

    Notes
    -----
    The text is read as a reader sees it (NFKC: full-width digits, ``＠``; invisible
    characters dropped). Phones: China's mobiles in any grouping, with or without +86; any
    country's number written with its country code (``+44 7400 974929``, ``0033 1 42 68 53
    00``); the national spellings of ``PHONE_REGIONS`` when grouped as that country groups
    them (``(212) 555-0100``, ``07400 974929``, ``010 6552 9988``). E-mails also written
    ``name at example dot com``, ``name [at] example [dot] com``, ``name(at)example.com``.
    ID numbers: China's 18-digit resident ids (with spaces or dashes when the check digit
    holds), the older 15-digit ones, US social security and UK national insurance numbers.

    Examples
    --------
    >>> [(f.kind, f.masked) for f in find_personal("call 186.9622.3609, li at qq dot com")]
    [('phone', '+86 186****3609'), ('email', 'l***@qq.com')]
    """
    norm, where = _normalised(str(text))
    hits = _pattern_hits(norm)
    if known:
        forms = known.forms if isinstance(known, KnownValues) else KnownValues(known).forms
        hits += _known_hits(norm, forms, ids=ids)
    hits.sort(key=lambda f: (f.start, -f.end))
    out: list[Found] = []
    for hit in hits:
        if out and hit.start < out[-1].end:  # overlaps the one before: one span, the longer
            last = out[-1]
            if hit.end > last.end:
                out[-1] = Found(last.kind, last.start, hit.end, last.masked)
            continue
        out.append(hit)
    if where is not None:
        out = [Found(f.kind, where[f.start], where[f.end - 1] + 1, f.masked) for f in out]
    return out


def mask_text(text: str, *, known: dict | None = None) -> str:
    """Turn a text into the same text with every piece of personal data masked.

    What is found is ``find_personal``'s; each hit is replaced by its mask (``mask_value``'s
    form: ``+44 740****4929``, ``l***@example.com``, ``王*``). Use it on anything a person
    other than the analyst may read that did not go through the display layer: failure
    messages, notes, quarantined values.

    >>> mask_text("KeyError: '+44 7400 974929' (linda at example dot com)")
    "KeyError: '+44 740****4929' (l***@example.com)"
    """
    text = "" if text is None else str(text)
    out, last = [], 0
    for hit in find_personal(text, known=known):
        out += [text[last : hit.start], hit.masked]
        last = hit.end
    return "".join(out) + text[last:]


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


def private_file(path: str | Path):
    """A new (or emptied) file only its owner can read (0600), open for binary writing: for
    personal data written in pieces (a snapshot's order lines, batch by batch).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.bin"
    >>> with private_file(path) as fh:
    ...     _ = fh.write(b"secret")
    >>> oct(path.stat().st_mode & 0o777)
    '0o600'
    """
    fd = os.open(Path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fh = os.fdopen(fd, "wb")
    os.fchmod(fh.fileno(), 0o600)
    return fh


def write_private(path: str | Path, data: bytes) -> Path:
    """Write bytes to a file only its owner can read (0600), whatever the umask.

    An existing file is made 0600 before it is written; files holding personal data (plain
    snapshots, decrypted inputs, encrypted notebooks) are all written through here.

    >>> import tempfile, pathlib
    >>> out = write_private(pathlib.Path(tempfile.mkdtemp()) / "x.bin", b"secret")
    >>> oct(out.stat().st_mode & 0o777), out.read_bytes()
    ('0o600', b'secret')
    """
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(data)
    return path


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


# 16 consonants, one per 4 bits of the HMAC: no digit (nothing reads as a phone, an id or an
# amount), no vowel (no word, no name), no l (read as 1)
PSEUDONYM_LETTERS = "bcdfghjkmnprstvw"
_HEX_TO_LETTER = str.maketrans("0123456789abcdef", PSEUDONYM_LETTERS)


def pseudonymize(ids: pd.Series, *, key: bytes) -> pd.Series:
    """Replace ids by keyed HMAC-SHA256 pseudonyms (``P`` + 16 consonants), stable per key.

    The same id gets the same pseudonym in every report made with the same key, so reports can
    be joined, but without the key nobody can tell which customer it is. The 16 letters carry
    the HMAC's first 64 bits (4 bits each, ``PSEUDONYM_LETTERS``); a pseudonym holds no digit
    and no vowel, so it never looks like a phone, an ID number or a name to the privacy gate.

    >>> code = pseudonymize(pd.Series(["12346"]), key=b"k" * 32)[0]
    >>> len(code), set(code[1:]) <= set(PSEUDONYM_LETTERS)
    (17, True)
    """

    def code(value) -> str:
        digest = hmac.digest(key, str(value).encode("utf-8"), "sha256").hex()
        return "P" + digest[:16].translate(_HEX_TO_LETTER)

    codes = {value: code(value) for value in ids.dropna().unique()}
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


def deidentified_table(name: str, frame: pd.DataFrame, *, key: bytes) -> pd.DataFrame:
    """One table (or a batch of one) as a stakeholder may read it (``deidentify``): customer
    ids keyed pseudonyms; a customer's name, phone and e-mail gone and birth date the year;
    free text emptied."""
    out = frame.copy()
    if "customer_id" in out and len(out):
        out["customer_id"] = pseudonymize(out["customer_id"].astype("string"), key=key)
    if name == "customers":
        for col in ("name", "phone", "email"):
            out[col] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["birth_date"] = out["birth_date"].dt.to_period("Y").dt.start_time
    for col in ("notes", "description", "comment"):
        if col in out:  # free text can hold anything
            out[col] = out[col].astype("string").str.slice(0, 0).mask(out[col].isna())
    return out


class Pseudonymised:
    """An engine's table (order lines out of core) to be de-identified batch by batch as it
    is written: what ``deidentify`` gives for a table it cannot hold in memory.

    ``source`` is the table; ``ingest.save_tables`` reads it a batch at a time and writes
    ``apply(batch)`` (``deidentified_table``).
    """

    def __init__(self, source, *, key: bytes, table: str):
        self.source, self._key, self.table = source, key, table

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        return deidentified_table(self.table, frame, key=self._key)


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
        if isinstance(frame, pd.DataFrame):
            tables[name] = deidentified_table(name, frame, key=key)
        else:  # an engine's table: de-identified batch by batch as it is written
            tables[name] = Pseudonymised(frame, key=key, table=name)
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
        mappings=dataset.mappings,  # headers and columns: no data values
    )
