"""Text helpers shared by every area: folding for search, slugs."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_NON_SLUG = re.compile(r"[^a-z0-9]+")
# What XML 1.0 cannot hold (controls but tab and line ends, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text as XML can hold it: the characters it cannot are left out. The text policy keeps
    them out of the database; this keeps one stored before it (or by hand) from making a whole
    feed or map unreadable."""
    return _NOT_XML.sub("", text)


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Гуево", "ГУЕВО" and "Плёхово"/"Плехово" meet.

    Used on both sides of a search: the stored key and the query.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def slugify(text: str, max_length: int = 80) -> str:
    """An ASCII slug, transliterated: "Генштаб ЗСУ" -> "genshtab-zsu", "Рыбарь" -> "rybar".

    anyascii covers every script (Ukrainian і, ї, є, ґ and Russian ы, э, ё alike); the slug
    is empty only when the text has no letters or digits at all.
    """
    ascii_text = anyascii(unicodedata.normalize("NFC", text)).lower()
    return _NON_SLUG.sub("-", ascii_text)[:max_length].strip("-")


def name_key(text: str) -> str:
    """A name compared as people read it: case, accents and runs of spaces do not count."""
    return " ".join(fold(text).split())
