"""Text from data into text a page can show: no character that reorders it, no live markup.

``safe_text`` replaces control and bidi-override characters, ``html_text`` escapes the result
for an HTML element or attribute. Every helper that writes data into a page (``display``,
``plots``, ``index``, ``summary``, ``export``'s footer) goes through them; ``display``
re-exports both for templates.
"""

from __future__ import annotations

import html
import re

__all__ = ["REPLACEMENT", "html_text", "safe_text"]

# C0/C1 controls (tab, newline and carriage return are whitespace on a page), the bidi marks,
# embeddings, overrides and isolates that reorder text (U+202E turns "txt.exe" around), and lone
# surrogates (not encodable: a page or a file would fail to write)
_UNSAFE_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
REPLACEMENT = "\ufffd"  # what an unsafe character shows as


def safe_text(value) -> str:
    r"""Turn any value into display text in which no character can reorder or hide the page.

    Control characters (but tab, newline and carriage return), bidi marks, embeddings,
    overrides and isolates (U+200E, U+202A..U+202E, U+2066..U+2069, ...) and lone surrogates
    become U+FFFD, so a product name cannot reverse the text after it. The result is plain
    text, not HTML: escape it (``html_text``) where it goes into markup.

    >>> safe_text("abc\u202edcba") == "abc\ufffddcba"
    True
    >>> safe_text(12)
    '12'
    """
    return _UNSAFE_CHARS.sub(REPLACEMENT, value if isinstance(value, str) else str(value))


def html_text(value) -> str:
    """Turn any value into text that is safe inside an HTML element or a quoted attribute.

    ``safe_text``, then every ``<``, ``>``, ``&``, ``"`` and ``'`` escaped.

    >>> html_text("<img src=x onerror=alert(7)>")
    '&lt;img src=x onerror=alert(7)&gt;'
    """
    return html.escape(safe_text(value), quote=True)
