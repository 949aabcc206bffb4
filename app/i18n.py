"""The reader's language: message catalogs, and dates and numbers written the reader's way.

Pages speak English, Ukrainian or Russian. Messages are marked in code with ``gettext`` (or
``N_`` where a message is defined once and shown later, such as a label in a table) and in
templates with ``_()`` and ``{% trans %}``. Babel extracts them into ``app/locales``, where
each language has its ``.po`` catalog in the repository; ``make`` compiles them into ``.mo``
files at setup (git-ignored). A catalog not yet compiled is compiled here, in memory, so a
checkout that skipped the step still speaks every language.

The language of the request in hand is a context variable, set once per request (see
app.language): code deep inside a service or a template filter asks ``gettext`` and gets the
reader's words without the language being passed down through every call.

Exports and the JSON API are a data contract and stay English whatever the reader's
language: they never set one.
"""

from __future__ import annotations

import gettext as gettext_module
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

# The languages a reader can choose, each named in itself (the switch shows these words).
LANGUAGES: dict[str, str] = {"en": "English", "uk": "Українська", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("kt_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it now: it is translated where it
    is shown (a label defined at import time must not be frozen in the first reader's
    language)."""
    return message


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The compiled catalog of ``language``; English is the messages themselves."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return gettext_module.NullTranslations()
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as compiled:
            return gettext_module.GNUTranslations(compiled)
    # Not compiled yet (or compiled before the last edit): compile in memory. Fuzzy entries
    # are left out, as the compiler does: a guess is not a translation.
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def current_language() -> str:
    return _language.get()


def set_language(language: str) -> None:
    """Set the language for the rest of the current request (app.language calls this)."""
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Run a block in ``language`` (tests, the command line), then restore the one before."""
    token = _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def gettext(message: str) -> str:
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """A message whose translation depends on where it stands (a button, a heading)."""
    return translations(_language.get()).pgettext(context, message)


# English adjectives of a country keep their capital inside a sentence ("only Russian
# sources"); Ukrainian and Russian write them in lower case, and their nouns (Росії) keep theirs.
_ENGLISH_PROPER_ADJECTIVES = ("Russian", "Ukrainian")


def mid_sentence(label: str) -> str:
    """A label written inside a sentence: its first letter in lower case ("Contested" ->
    "3 contested"), unless in English it begins with a country's adjective ("Russian control"
    stays as it is). Only the first letter: "Під контролем Росії" -> "під контролем Росії"."""
    if not label:
        return label
    if current_language() == DEFAULT_LANGUAGE and label.startswith(_ENGLISH_PROPER_ADJECTIVES):
        return label
    return label[0].lower() + label[1:]


def locale() -> Locale:
    return _locale(_language.get())


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


# English's month abbreviations, as ``%b`` writes them in the C locale: the English formats
# below read this table instead of ``strftime``, the slowest part of a long page's dates
# (a settlement page writes a thousand of them).
_ENGLISH_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def format_date(value: date | None) -> str:
    """A date in words, never ambiguous between readers: "8 Apr 2025", "8 квітня 2025 р.",
    "8 апреля 2025 г."."""
    if value is None:
        return ""
    language = _language.get()
    if language == DEFAULT_LANGUAGE:
        return f"{value.day} {_ENGLISH_MONTHS[value.month - 1]} {value.year:04d}"
    return babel_format_date(value, format="long", locale=_locale(language))


def format_day_month(value: date) -> str:
    """A short date without its year, for steps and chart axes: "8 Apr", "8 квіт."."""
    language = _language.get()
    if language == DEFAULT_LANGUAGE:
        return f"{value.day} {_ENGLISH_MONTHS[value.month - 1]}"
    return babel_format_date(value, format="d MMM", locale=_locale(language))


def format_month_year(value: date) -> str:
    """A month and year, for chart axes: "Apr 2025", "квіт. 2025 р."."""
    language = _language.get()
    if language == DEFAULT_LANGUAGE:
        return f"{_ENGLISH_MONTHS[value.month - 1]} {value.year:04d}"
    return babel_format_date(value, format="LLL y", locale=_locale(language))


def format_number(value: int | float) -> str:
    """1,234 in English; 1 234 in Ukrainian and Russian (a no-break space)."""
    language = _language.get()
    if language == DEFAULT_LANGUAGE and type(value) is int:
        # What Babel writes for English, without its pattern machinery (a list page writes
        # a number per row: "12 days before the date shown").
        return f"{value:,}"
    return format_decimal(value, locale=_locale(language))


def format_area(square_km: int | float) -> str:
    """An area in square kilometres: "58 km²", "58 км²"."""
    return format_unit(square_km, "area-square-kilometer", "short", locale=_locale(_language.get()))


def place_name(place: object) -> str:
    """A settlement's name in the reader's language (its ``name_uk`` or ``name_ru``), the
    English ``name`` when that is missing. ``place`` is anything with those attributes or
    keys: a Settlement, a status row, a dict from a query."""

    def field(key: str) -> str:
        value = place.get(key) if isinstance(place, dict) else getattr(place, key, None)
        return str(value) if value else ""

    language = _language.get()
    if language != DEFAULT_LANGUAGE:
        localized = field(f"name_{language}")
        if localized:
            return localized
    return field("name")


# Letters that Unicode numbers out of their alphabet's order: Ukrainian ґ, є, і, ї come after
# г, е, и (and і before ї) in the alphabet, Russian ё after е, but all after я in Unicode.
# Each is written as its alphabet neighbour followed by the highest code point, which sorts it
# after every word that continues with that neighbour and before the next letter.
_LAST = "\U0010ffff"
_RUSSIAN_LETTERS: dict[str, str | None] = {"ё": "е" + _LAST}
_ALPHABET_ORDER: dict[str, Mapping[int, str | None]] = {
    "uk": str.maketrans(
        {
            "ґ": "г" + _LAST,
            "є": "е" + _LAST,
            "і": "и" + _LAST,
            "ї": "и" + _LAST * 2,
            "'": None,
            "’": None,
            "ʼ": None,
        }
    ),
    "ru": str.maketrans(_RUSSIAN_LETTERS),
}


def alphabetical_key(name: str) -> str:
    """A name's place in the reader's alphabet: Ґалицьке after Гуєве, Ємці before Жадань in
    Ukrainian; Ёлкино after Елки in Russian. English names sort as they are written."""
    language = _language.get()
    if language == DEFAULT_LANGUAGE:
        return name
    return name.casefold().translate(_ALPHABET_ORDER.get(language, {}))
