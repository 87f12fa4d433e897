"""A page's HTML into the personal values it shows: the privacy gate before publishing.

``check_page`` raises ``PrivacyGateError`` when a page shows a phone number, an e-mail address,
a Chinese ID number or any of the input's own identifying values; the runner then does not
publish the page. The error and its hits carry only masked values, never the values themselves.
"""

from __future__ import annotations

import html as html_lib
import re

from crm_lab.privacy import mask_value

__all__ = ["PrivacyGateError", "check_page", "known_values", "scan_page"]

_PATTERNS = {
    "phone": re.compile(r"(?<![\d.])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![\d.])"),
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "chinese_id": re.compile(
        r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"
    ),
}
_MASK_AS = {"phone": "phone", "email": "email", "chinese_id": "birth_date"}


class PrivacyGateError(RuntimeError):
    """A page shows personal data, so it is not published.

    Attributes
    ----------
    hits : list of dict
        What ``scan_page`` found: ``kind`` and ``masked`` per hit.
    """

    def __init__(self, hits: list[dict]):
        self.hits = hits
        shown = ", ".join(f"{h['kind']} {h['masked']}" for h in hits[:5])
        super().__init__(
            f"privacy gate: {len(hits)} personal value(s) on the page ({shown}); not published"
        )


def _visible_text(page: str) -> str:
    """The text a reader can see or copy: no scripts, styles, SVG paths or tag attributes."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    text = re.sub(r"<path\b[^>]*>", " ", text, flags=re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", text))


def scan_page(page: str, *, known: dict[str, set[str]] | None = None) -> list[dict]:
    """Find personal data in a page: phones, e-mails, Chinese ID numbers, the input's own values.

    Parameters
    ----------
    page : str
        The HTML of a report page.
    known : dict of str to set of str, optional
        Values from the input that must never appear: ``{"name": {...}, "customer_id": {...}}``.
        Names shorter than two characters and ids shorter than five are ignored (too common).

    Returns
    -------
    list of dict
        One per hit: ``kind`` and ``masked`` (the match, masked: never the value itself).

    Examples
    --------
    >>> scan_page("<p>call 138 0013 8000</p>")
    [{'kind': 'phone', 'masked': '+86 138****8000'}]
    """
    text = _visible_text(page)
    hits = []
    for kind, pattern in _PATTERNS.items():
        for match in pattern.findall(text):
            hits.append({"kind": kind, "masked": mask_value(_MASK_AS[kind], match)})
    if known:
        words = set(re.findall(r"[\w.@+-]+", text))
        for column, values in known.items():
            shortest = 2 if column == "name" else 5
            for value in sorted(values):
                if len(value) < shortest:
                    continue
                if value in words or ((" " in value or not value.isascii()) and value in text):
                    hits.append({"kind": column, "masked": mask_value(column, value)})
    return hits


def check_page(page: str, *, known: dict[str, set[str]] | None = None) -> None:
    """Pass a page that shows no personal data; raise ``PrivacyGateError`` on one that does.

    Raises
    ------
    PrivacyGateError
        With the masked hits of ``scan_page``.
    """
    hits = scan_page(page, known=known)
    if hits:
        raise PrivacyGateError(hits)


def known_values(dataset) -> dict[str, set[str]]:
    """A dataset's identifying customer values (ids, names, phones, e-mails) by column.

    These are what ``scan_page`` looks for besides the patterns: values of the input that must
    never reach a stakeholder page.
    """
    known: dict[str, set[str]] = {}
    if "customers" in dataset.tables:
        for col in ("customer_id", "name", "phone", "email"):
            if col in dataset["customers"]:
                known[col] = set(dataset["customers"][col].dropna().astype(str))
    return known
