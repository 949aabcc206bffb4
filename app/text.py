"""Text helpers shared by every area: folding for search, slugs."""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Гуево", "ГУЕВО" and "Плёхово"/"Плехово" meet.

    Used on both sides of a search: the stored key and the query.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def slugify(text: str) -> str:
    """An ASCII slug; empty when the text has no ASCII letters or digits."""
    ascii_text = fold(text).encode("ascii", "ignore").decode()
    return _NON_SLUG.sub("-", ascii_text).strip("-")
