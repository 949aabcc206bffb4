"""Field rules shared by forms, imports and the API: one place says what a valid value is."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from app import dates
from app.i18n import N_, format_number, gettext

URL_MAX_LENGTH = 2000


def _unseen_in_url(char: str) -> bool:
    """A character a URL must not hold: any space (U+00A0, U+3000 too), line separator,
    control, format character (bidirectional overrides, zero-width, U+FEFF) or unassigned
    code point. Shown as a link, these make an address read as another; letters of any
    script (https://uk.wikipedia.org/wiki/Суджа) are fine."""
    return char.isspace() or unicodedata.category(char)[0] in "CZ"


def check_http_url(value: str) -> str:
    """An http(s) URL with a host, or empty. Anything else (javascript:, data:, ftp:) is refused."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > URL_MAX_LENGTH:
        raise ValueError(gettext("must be at most %(max)s characters") % {"max": URL_MAX_LENGTH})
    if any(_unseen_in_url(char) for char in value):
        raise ValueError(gettext("must not contain spaces or control characters"))
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(gettext("must start with http:// or https://"))
    if not parts.hostname:
        raise ValueError(gettext("must name a host, as in https://example.org/page"))
    return value


def is_safe_url(value: str | None) -> bool:
    """For rendering: only http(s) links become clickable, whatever is in the database."""
    if not value:
        return False
    try:
        return bool(check_http_url(value))
    except ValueError:
        return False


def parse_iso_date(value: str) -> date:
    """A real calendar date written YYYY-MM-DD, within the tracker's calendar (app.dates).

    The range is checked here, where every date a person supplies is parsed, so that no
    caller ever does arithmetic with year 9999 (OverflowError) or year 1.
    """
    value = value.strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError(dates.date_rule())
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            dates.date_rule(gettext("%(date)s is not a real calendar date") % {"date": value})
        ) from None
    return dates.check_in_range(parsed)


# The one text policy for every free-text field (summaries, notes, names, aliases, usernames,
# imported cells). Refused: NUL and other C0/C1 control characters (newline and tab are kept
# where a field is multi-line), and the bidirectional embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069), which make a name display as something other than what it
# is ("Trojan Source"). The marks U+200E/U+200F stay: right-to-left text needs them.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Also what no text may hold and XML (the feeds, the map's SVG) cannot: lone surrogates and
# the noncharacters (U+FDD0-U+FDEF, U+FFFE and U+FFFF of every plane). One U+FFFF in a summary
# made the whole site's Atom feed unreadable.
_NOT_TEXT = "\ud800-\udfff\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_CONTROLS_ONE_LINE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_NOT_TEXT}]")
_CONTROLS_MULTI_LINE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_NOT_TEXT}]")


def check_text(value: str, *, max_length: int | None = None, multiline: bool = False) -> str:
    """A free-text value as stored: NFC-normalised, checked against the one text policy.

    Multi-line text has its line ends normalised to "\n" (a browser's textarea sends
    "\r\n"). Raises ValueError with a message meant to stand beside the field.
    """
    if "\x00" in value:
        raise ValueError(gettext("must not contain NUL characters"))
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = unicodedata.normalize("NFC", value)
    controls = _CONTROLS_MULTI_LINE if multiline else _CONTROLS_ONE_LINE
    found = controls.search(value)
    if found:
        code = f"U+{ord(found.group()):04X}"
        raise ValueError(
            gettext(
                "must not contain control characters such as %(code)s "
                "(line breaks and tabs are fine)"
            )
            % {"code": code}
            if multiline
            else gettext("must not contain control characters such as %(code)s") % {"code": code}
        )
    found = _BIDI_CONTROLS.search(value)
    if found:
        raise ValueError(
            gettext(
                "must not contain bidirectional override characters such as %(code)s "
                "(they make text display as something it is not)"
            )
            % {"code": f"U+{ord(found.group()):04X}"}
        )
    if max_length is not None and len(value) > max_length:
        raise ValueError(
            gettext("must be at most %(max)s characters (got %(length)s)")
            % {"max": format_number(max_length), "length": format_number(len(value))}
        )
    return value


def check_plain_text(value: str, max_length: int) -> str:
    """Multi-line plain text up to a length, under the one text policy."""
    return check_text(value, max_length=max_length, multiline=True)


def text_field(value: object) -> object:
    """For pydantic BeforeValidators: a one-line text field under the text policy."""
    return check_text(value.strip()) if isinstance(value, str) else value


def check_name(value: str) -> str:
    """A name (of a settlement, a source; an alias) under the text policy, holding at least one
    letter or digit when given: a lone accent (U+0301) or punctuation shows as nothing."""
    value = check_text(value.strip())
    if value and not any(char.isalnum() and char not in _BLANK_LETTERS for char in value):
        raise ValueError(gettext("must hold a letter or a digit"))
    return value


# Letters that show as nothing (Unicode's default-ignorable Hangul fillers).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def name_field(value: object) -> object:
    """For pydantic BeforeValidators: ``check_name``."""
    return check_name(value) if isinstance(value, str) else value


# What to say beside a field that offers a choice, when the choice is missing or not one of
# those offered. The form shows these choices as words, so the message names them as words.
# Whole sentences, looked up in the reader's language when they are said (choice_message).
CHOICE_MESSAGES = {
    "status": N_("Choose a status: under Russian control, under Ukrainian control, or contested"),
    "verification": N_(
        "Choose how it was verified: unverified, geolocated (place verified, not time), "
        "independently confirmed, or refuted"
    ),
    "side": N_("Choose the source's side: Russian, Ukrainian, or neutral"),
    "reliability": N_("Choose a grade from A (completely reliable) to F (not yet judged)"),
}
# The same choices as a file's cells spell them (an import names these after the words).
CHOICE_VALUES = {
    "status": "russian_control, ukrainian_control, or contested",
    "verification": "unverified, geolocated, confirmed, or refuted",
    "side": "russia, ukraine, or neutral",
}


def choice_message(field: str) -> str:
    """The message beside a choice field (CHOICE_MESSAGES), in the reader's language."""
    return gettext(CHOICE_MESSAGES[field])


def for_a_file(column: str, message: str) -> str:
    """A field's message as an import reports it: a choice also names the values to write."""
    if column in CHOICE_VALUES and message.startswith(choice_message(column)):
        return gettext("%(message)s; in the file write %(values)s") % {
            "message": message,
            "values": CHOICE_VALUES[column],
        }
    return message


# What to say beside a required field left empty.
REQUIRED_MESSAGES = {
    "settlement": N_(
        "Give the settlement: its name in any spelling, or its short name from the list"
    ),
    "source": N_("Choose the source: who said it"),
    "name": N_("Give a name"),
    "slug": N_("Give a short name (slug): lower-case letters, digits and hyphens, as in guyevo"),
}


def required_message(field: str) -> str:
    """The message beside a required field left empty, in the reader's language."""
    if field == "as_of":
        return dates.date_rule()
    if field in REQUIRED_MESSAGES:
        return gettext(REQUIRED_MESSAGES[field])
    return gettext("is required")


def _one_of(choices: Sequence[str]) -> str:
    """ "a, b, or c": the choices as a sentence lists them (the choices are values)."""
    if len(choices) > 2:
        return gettext("%(choices)s, or %(last)s") % {
            "choices": ", ".join(choices[:-1]),
            "last": choices[-1],
        }
    return gettext(" or ").join(choices)


def _human_message(error: dict[str, Any]) -> str:
    """Pydantic's message in words an editor understands."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    loc = error.get("loc") or ("",)
    field = str(loc[-1]) if isinstance(loc, tuple | list) and loc else ""
    empty = kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1
    if (kind == "missing" or empty or kind == "enum") and field in CHOICE_MESSAGES:
        return choice_message(field)
    if kind == "missing" or empty:
        return required_message(field)
    if kind in ("string_too_long", "too_long"):  # "too_long": a str after its validators
        return gettext("must be at most %(max)s characters") % {
            "max": format_number(int(ctx.get("max_length") or 0))
        }
    if kind == "enum":
        expected = str(ctx.get("expected", "")).replace(" or ", ", ").replace("'", "")
        choices = [choice.strip().replace("_", " ") for choice in expected.split(",")]
        return gettext("Choose one of: %(choices)s") % {"choices": _one_of(choices)}
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type", "finite_number"):
        return gettext("must be a number")
    if kind == "greater_than_equal":
        return gettext("must be at least %(minimum)s") % {"minimum": ctx.get("ge")}
    if kind == "less_than_equal":
        return gettext("must be at most %(maximum)s") % {"maximum": ctx.get("le")}
    if "msg" not in error:
        return gettext("is not valid")
    return str(error["msg"]).removeprefix("Value error, ")


def field_errors(errors: Sequence[Any]) -> dict[str, str]:
    """Pydantic errors as {field: message}, the first message per field, ready to show beside it."""
    result: dict[str, str] = {}
    for error in errors:
        loc = error.get("loc") or ("",)
        field = str(loc[-1]) if isinstance(loc, tuple | list) and loc else ""
        result.setdefault(field, _human_message(error))
    return result


def check_slug(value: str) -> str:
    """A slug as the URLs use it: lower-case ASCII letters, digits and hyphens."""
    value = value.strip().lower()
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", value):
        raise ValueError(
            gettext("must be lower-case ASCII letters, digits and hyphens, as in guyevo")
        )
    return value


# The largest values the database's integer columns hold: INTEGER is 32-bit on PostgreSQL
# (every id and version column here), BIGINT 64-bit. Larger numbers must never reach a query.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def parse_bounded_int(value: str, *, minimum: int = 1, maximum: int = INT32_MAX) -> int:
    """A whole number a person typed: ASCII digits only, between ``minimum`` and ``maximum``.

    Stricter than int(): no sign, no spaces, no underscores, no "5.0", no other scripts' digits
    ('١٢', '²'), which str.isdigit() accepts and int() either reads or refuses.
    """
    text = value
    if not text or not text.isascii() or not text.isdigit():
        raise ValueError(
            gettext("must be a whole number from %(minimum)s to %(maximum)s, digits 0-9 only")
            % {"minimum": minimum, "maximum": maximum}
        )
    # Longer than the maximum's digits is out of range: no need to build a huge int.
    if len(text.lstrip("0")) > len(str(maximum)) or not minimum <= int(text) <= maximum:
        raise ValueError(
            gettext("must be a whole number from %(minimum)s to %(maximum)s")
            % {"minimum": minimum, "maximum": maximum}
        )
    return int(text)


def bounded_int_validator(minimum: int = 1, maximum: int = INT32_MAX) -> Any:
    """parse_bounded_int as a pydantic validator, for query and path parameters.

    Whatever is not text (a default value) passes through unchanged.
    """
    from pydantic import BeforeValidator

    def check(value: object) -> object:
        if isinstance(value, str):
            return parse_bounded_int(value, minimum=minimum, maximum=maximum)
        return value

    return BeforeValidator(check)
