"""The calendar the tracker accepts: dates between 2000-01-01 and "today", today in UTC+14.

"Today" is the date where it is latest anywhere on Earth (UTC+14, the Line Islands), so no
editor's local today is ever refused as "in the future". Every date a person supplies (a
claim's dates, a page's ``as_of`` or ``known_on``, an export's ``since``/``until``) is checked
against these bounds before any arithmetic is done with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from app.i18n import DEFAULT_LANGUAGE, N_, current_language, format_date, gettext

EARLIEST_DATE = date(2000, 1, 1)
LATEST_TIMEZONE = timezone(timedelta(hours=14))


def today() -> date:
    """The latest calendar date anywhere (UTC+14)."""
    return datetime.now(UTC).astimezone(LATEST_TIMEZONE).date()


def allowed_range() -> str:
    return f"between {EARLIEST_DATE.isoformat()} and {today().isoformat()}"


# What a person is told about any date they give, beside the field or parameter (in the
# reader's language, looked up when it is said).
DATE_RULE = N_("give the date as YYYY-MM-DD, between 1 January 2000 and today")


def _long_date(day: date) -> str:
    """Today in words: "8 April 2025" (the month in full), "8 квітня 2025 р."."""
    if current_language() == DEFAULT_LANGUAGE:
        return f"{day.day} {day:%B %Y}"
    return format_date(day)


def date_rule(problem: str = "") -> str:
    """The rule as a sentence, after what was wrong: "Out of range: give the date as …"."""
    if not problem:
        return gettext("Give the date as YYYY-MM-DD, between 1 January 2000 and today")
    return gettext("%(problem)s: %(rule)s (%(today)s)") % {
        "problem": problem,
        "rule": gettext(DATE_RULE),
        "today": _long_date(today()),
    }


def check_in_range(value: date) -> date:
    """``value`` if it lies between EARLIEST_DATE and today; ValueError naming the range if not."""
    if not EARLIEST_DATE <= value <= today():
        raise ValueError(
            date_rule(gettext("%(date)s is out of range") % {"date": value.isoformat()})
        )
    return value
