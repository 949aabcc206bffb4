"""The catalogs: every message in the code and the templates is translated into every language,
with the same placeholders, in the glossary's neutral words."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]

# Words that take a side: a settlement under one side's control is neither "liberated" nor
# "occupied" (docs/GLOSSARY.md). Stems, so that every case and gender is caught ("free some
# disk space", звільніть місце / освободите место, is another verb's form and passes).
SIDE_TAKING_STEMS = {
    "uk": ("звільнен", "звільнил", "окуп", "визвол"),
    "ru": ("освобожд", "освободил", "оккуп"),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%d")


@cache
def messages_in_the_code() -> frozenset[str | tuple[str, ...]]:
    """Every message the code and the templates mark, extracted as `make messages` does."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, ...]] = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords={
            "_": None,
            "gettext": None,
            "ngettext": (1, 2),
            "pgettext": ((1, "c"), 2),
            "N_": None,
        },
        directory_filter=lambda path: not Path(path).name.startswith((".", "node_modules")),
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return frozenset(found)


@cache
def catalog(language: str) -> Catalog:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def test_the_code_marks_messages():
    # A sanity check of the extraction itself: the status words and a page's words are there.
    messages = messages_in_the_code()
    assert "Russian control" in messages
    assert len(messages) > 100


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language):
    entries = catalog(language)
    missing = []
    for message in messages_in_the_code():
        key = message[0] if isinstance(message, tuple) else message
        entry = entries.get(key)
        if entry is None or entry.fuzzy:
            missing.append(key)
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            missing.append(key)
    assert not missing, f"{len(missing)} messages without a {language} translation: {missing[:20]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language):
    wrong = []
    for entry in catalog(language):
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) - wanted:
                wrong.append((ids[0], string))
            # Named placeholders must all be there (a plural may leave the count implicit).
            named = {name for name in PLACEHOLDER.findall(ids[0]) if name}
            if string and len(strings) == 1 and not named <= set(PLACEHOLDER.findall(string)):
                wrong.append((ids[0], string))
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalog_has_the_languages_plural_forms(language):
    # Ukrainian and Russian: one, few, many (1 заява, 2 заяви, 5 заяв).
    assert catalog(language).num_plurals == 3


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_translation_takes_a_side(language):
    taking_sides = [
        (entry.id, string)
        for entry in catalog(language)
        for string in (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if string and any(stem in string.lower() for stem in SIDE_TAKING_STEMS[language])
    ]
    assert not taking_sides, taking_sides


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_status_words_follow_the_glossary(language):
    glossary = (ROOT / "docs" / "GLOSSARY.md").read_text()
    entries = catalog(language)
    for label in ("Russian control", "Ukrainian control", "Contested", "Unknown"):
        row = next(line for line in glossary.splitlines() if line.startswith(f"| {label} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        expected = cells[1 + TRANSLATED.index(language)]
        assert entries.get(label).string == expected, label
