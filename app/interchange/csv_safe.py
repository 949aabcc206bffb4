"""The one CSV cell escaper: spreadsheets must never run what a source wrote.

A cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return is written with a
leading ``'`` (OWASP's advice for CSV injection), except plain numbers such as ``-12.5``.
A cell that already begins with ``'`` gets one more, so that reading strips exactly one and
every text comes back unchanged (the round trip the README promises).
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# First characters that may need a quote: checked first, as nearly every cell has none.
_RISKY_FIRST = frozenset("=+-@\t\r'")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def escape_cell(value: object) -> str:
    """The text to write for one cell."""
    if value is None:
        return ""
    text = value if value.__class__ is str else str(value)
    if not text or text[0] not in _RISKY_FIRST:
        return text
    if text.startswith(QUOTE):
        return QUOTE + text
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return QUOTE + text
    return text


def unescape_cell(text: str) -> str:
    """The original text of a cell written by :func:`escape_cell`."""
    return text[1:] if text.startswith(QUOTE) else text


def escape_row(values: list[object] | tuple[object, ...]) -> list[str]:
    return [escape_cell(v) for v in values]


_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def csv_field(value: str) -> str:
    """One escaped cell as RFC 4180 text: quoted when it holds a comma, quote or line break."""
    text = escape_cell(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text
