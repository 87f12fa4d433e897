"""A page's HTML into the personal values it shows: the privacy gate before publishing.

``check_page`` raises ``PrivacyGateError`` when a page shows a phone number, an e-mail address,
an ID number or any of the input's own identifying values; the runner then does not publish the
page. The error and its hits carry only masked values, never the values themselves.

What a page shows
-----------------
The gate reads the page's visible text as a reader sees it: scripts, styles, SVG paths and tag
attributes left out, entities decoded, inline tags joined (``<b>138</b>0013 8000`` is one
number), every other tag (a table cell, a paragraph, a chart's text) a line of its own, so two
cells never make one number. ``privacy.find_personal`` then finds the phones (any country, any
grouping: ``186.9622.3609``, ``138 001 38000``, ``+44 7400 974929``, ``(212) 555-0100``),
e-mails (also ``name at example dot com``), ID numbers (spaced or dashed) and the input's own
names, phones and e-mails in their normalised form (``known_values``).

Where a customer id can appear
------------------------------
Stakeholder templates read the de-identified snapshot (``privacy.deidentify``), in which every
customer id is a keyed pseudonym (``P`` and 16 consonants): a real id on their page means a
template reached past it, and the gate is the check behind that first line. Numeric ids
(Online Retail's 12346-18287) share their digits with counts, amounts, axis ticks and product
codes, so the gate looks for an id where a reader would read one, not for any equal number:

- in a **table column whose header names an id** (``customer_id``, ``customer``,
  ``master_id``, ``other_id``, ``other``: the raw name or its label in either language), in any
  spelling: ``12346``, ``12,346``, ``12 346``, ``12346.0``, ``0012346``;
- **anywhere else** on the page (free text, other table columns, cards, chart text, headings)
  as a word in the id's own spelling, also when written as a float (``12346.0``).

Not read as ids, outside id columns:

- **figures as crm_lab writes them**: every number format of ``labels`` groups thousands
  (``12,346``), and so do the charts' axes, so a grouped number is a figure;
- a number **in a figure's position** in a text: after a currency sign, before a percent sign
  or before the noun of what it counts, with at most one qualifier between (``13989 repeat
  buyers``, ``£13989``, ``13989 位回头客``: a template's warning writes its counts so), unless
  a word naming an id comes just before it (``customer 13989 orders``, ``ID: 13989``,
  ``#13989`` are ids); the number and its noun must be one text (a card's value and its label
  are two);
- cells of **figure columns** (a header that is a ``labels.FORMATS`` key: customers, revenue,
  ...), which hold counts and amounts whatever their spelling;
- cells of **product columns** (antecedent, consequent, item, bundle, ...), whose codes are
  products even when a code equals a customer id (Online Retail's product and customer codes
  overlap).

What this gives up: an id turned into a number and shown with thousands separators, or put into
a figure or product column, under a header that does not name it as an id, is read as what the
header says. Names, phones and e-mails are found anywhere, in any column, as before.
"""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

from crm_lab.privacy import KnownValues, find_personal, is_figure, mask_value
from crm_lab.reporting import labels

__all__ = ["PrivacyGateError", "check_page", "known_values", "scan_page"]

# table columns by what their cells are, named by the columns' keys (their headers are these
# keys, their labels in English or Chinese, or the keys with spaces)
ID_COLUMNS = ("customer_id", "customer", "master_id", "other_id", "other")
PRODUCT_COLUMNS = (
    "antecedent",
    "consequent",
    "item",
    "items",
    "itemset",
    "bundle",
    "because",
    "product_id",
    "product_name",
    "stock_code",
    "category",
)
_WORD = re.compile(r"[\w.@+-]+")
_SEPARATORS = re.compile(r"[\s,'_\u2009\u202f]")


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


_INLINE = (
    "a|abbr|b|bdi|bdo|cite|code|data|em|font|i|kbd|mark|q|s|samp|small|span|strong|sub|sup|"
    "time|tspan|u|var|wbr"
)
_INLINE_TAG = re.compile(rf"</?(?:{_INLINE})\b[^>]*>", re.I)
_SHOWN_ATTRIBUTE = re.compile(
    r"""\s(?:xlink:)?(?:title|alt|aria-label)\s*=\s*(["'])(.*?)\1""", re.I | re.S
)


def _visible_text(page: str) -> str:
    """The text a reader can see or copy: no scripts, styles, SVG paths or tag attributes.

    Inline tags (``<b>138</b>0013 8000``) join their text as the reader sees it; every other
    tag (cells, paragraphs, a chart's text elements) ends a line, so two cells never make one
    number. The text of ``title``, ``alt`` and ``aria-label`` attributes (tooltips, image
    and chart labels) is shown too: each is a line at the end.
    """
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    shown = [m.group(2) for m in _SHOWN_ATTRIBUTE.finditer(text)]
    text = re.sub(r"<path\b[^>]*>", " ", text, flags=re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = _INLINE_TAG.sub("", text)
    return html_lib.unescape("\n".join([re.sub(r"<[^>]+>", "\n", text), *shown]))


class _Reader(HTMLParser):
    """A page's visible text, split into the text outside tables and each table's cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.outside: list[str] = []
        self.tables: list[dict] = []  # {"head": [[cell, ...], ...], "body": [[cell, ...], ...]}
        self._open: list[dict] = []  # tables being read (nested tables: the innermost)
        self._cell: list[str] | None = None
        self._span = 1
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self._open.append({"head": [], "body": [], "in_head": False})
        elif not self._open:
            return
        elif tag == "thead":
            self._open[-1]["in_head"] = True
        elif tag == "tr":
            table = self._open[-1]
            table["head" if table["in_head"] else "body"].append([])
        elif tag in ("td", "th"):
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() else 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif not self._open:
            return
        elif tag == "table":
            table = self._open.pop()
            first = table["body"][0] if table["body"] else []
            if not table["head"] and first and all(kind == "th" for kind, _ in first):
                table["head"] = [table["body"].pop(0)]
            self.tables.append(
                {
                    "head": [[text for _, text in row] for row in table["head"]],
                    "body": [[text for _, text in row] for row in table["body"]],
                }
            )
        elif tag == "thead":
            self._open[-1]["in_head"] = False
        elif tag in ("td", "th") and self._cell is not None:
            table = self._open[-1]
            rows = table["head" if table["in_head"] else "body"]
            if not rows:
                rows.append([])
            text = " ".join("".join(self._cell).split())
            rows[-1].extend([(tag, text)] * self._span)
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        else:  # outside tables, or a table's caption
            self.outside.append(data)


def _headers(columns) -> set[str]:
    """What the headers of these columns read: their keys, labels in both languages, spaced."""
    out = set()
    for col in columns:
        out |= {col, col.replace("_", " ")}
        out |= {labels.header(col, lang=lang) for lang in labels.LANGS}
    return {h.casefold() for h in out}


def _id_spellings(text: str) -> set[str]:
    """A cell of an id column in the spellings an id takes: as is, without separators, without
    a float's ``.0``, without leading zeros."""
    plain = re.sub(r"(?<=\d)\.0+$", "", _SEPARATORS.sub("", text.strip()))
    out = {text.strip(), plain}
    if plain.isdigit():
        out.add(plain.lstrip("0") or "0")
    return out


def _words(text: str) -> set[str]:
    """The words of a text, a float's ``.0`` and trailing punctuation taken off (``12346.0`` and
    ``12346.`` are the word ``12346``); grouped numbers stay apart (``12,346`` is no word), and
    so does a number in a figure's position (``privacy.is_figure``: ``13989 repeat buyers``)."""
    out = set()
    for match in _WORD.finditer(text):
        word = match.group()
        plain = re.sub(r"^(\d+)\.0+$", r"\1", word).rstrip(".+-")
        if plain.isdigit() and is_figure(text, match.start(), match.start() + len(plain)):
            continue
        out |= {word, plain}
    return out


def _find_ids(page: str, ids: set[str]) -> set[str]:
    """The ids of ``ids`` a page shows where a reader reads an id (see the module docstring)."""
    reader = _Reader()
    reader.feed(page)
    reader.close()
    id_heads, skip_heads = _headers(ID_COLUMNS), _headers((*PRODUCT_COLUMNS, *labels.FORMATS))
    numeric = {i.lstrip("0") or "0": i for i in ids if i.isdigit()}
    folded = {i.casefold(): i for i in ids}  # an id in any case: c000123 is C000123

    def shown(spellings: set[str]) -> set[str]:
        return {folded[s.casefold()] for s in spellings if s.casefold() in folded}

    found = shown(_words("\n".join(reader.outside)))  # one line per text: "12346" "customers"
    for table in reader.tables:
        head = table["head"][-1] if table["head"] else []
        for row in table["body"]:
            for i, cell in enumerate(row):
                name = head[i].casefold() if i < len(head) else ""
                if name in id_heads:
                    spellings = _id_spellings(cell)
                    found |= shown(spellings)
                    found |= {numeric[s] for s in spellings if s in numeric}
                elif name not in skip_heads:
                    found |= shown(_words(cell))
    return found


def scan_page(page: str, *, known: dict[str, set[str]] | None = None) -> list[dict]:
    """Find personal data in a page: phones, e-mails, ID numbers, the input's own values.

    Parameters
    ----------
    page : str
        The HTML of a report page.
    known : dict of str to set of str, optional
        Values from the input that must never appear: ``{"name": {...}, "customer_id": {...}}``
        (``known_values``: a ``privacy.KnownValues``, normalised once for every page of a run).
        Names shorter than two characters and ids shorter than five are ignored (too common).
        Customer ids are looked for where a page shows an id (the module docstring says where);
        the other values anywhere on the page, in any formatting (``privacy.KnownValues``).

    Returns
    -------
    list of dict
        One per hit: ``kind`` and ``masked`` (the match, masked: never the value itself).

    Examples
    --------
    >>> scan_page("<p>call 138 0013 8000</p>")
    [{'kind': 'phone', 'masked': '+86 138****8000'}]
    >>> [h["masked"] for h in scan_page("<td>+44 7400 974929</td><td>li at qq dot com</td>")]
    ['+44 740****4929', 'l***@qq.com']
    >>> known = {"customer_id": {"12346"}}
    >>> scan_page("<p>12,346 orders</p>", known=known)
    []
    >>> scan_page("<p>customer 12346 ordered</p>", known=known)
    [{'kind': 'customer_id', 'masked': '***346'}]
    """
    text = _visible_text(page)
    known = known if isinstance(known, KnownValues) else KnownValues(known or {})
    found = find_personal(text, known=known, ids=False)  # ids: where a page shows one, below
    hits = [{"kind": f.kind, "masked": f.masked} for f in found]
    ids = {v for v in known.get("customer_id", ()) if len(v) >= 5}
    if ids:
        shown = _find_ids(page, ids)
        hits.extend(
            {"kind": "customer_id", "masked": mask_value("customer_id", v)} for v in sorted(shown)
        )
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


def known_values(dataset) -> KnownValues:
    """A dataset's identifying customer values (ids, names, phones, e-mails) by column.

    These are what ``scan_page`` looks for besides the patterns: values of the input that must
    never reach a stakeholder page.
    """
    known = KnownValues()
    if "customers" in dataset.tables:
        for col in ("customer_id", "name", "phone", "email"):
            if col in dataset["customers"]:
                # tolist: iterating an Arrow-backed column is one Python call per value
                known[col] = set(dataset["customers"][col].dropna().astype(str).tolist())
    return known
