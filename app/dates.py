"""The calendar the tracker accepts: dates between 2000-01-01 and "today", today in UTC+14.

"Today" is the date where it is latest anywhere on Earth (UTC+14, the Line Islands), so no
editor's local today is ever refused as "in the future". Every date a person supplies (a
claim's dates, a page's ``as_of`` or ``known_on``, an export's ``since``/``until``) is checked
against these bounds before any arithmetic is done with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

EARLIEST_DATE = date(2000, 1, 1)
LATEST_TIMEZONE = timezone(timedelta(hours=14))


def today() -> date:
    """The latest calendar date anywhere (UTC+14)."""
    return datetime.now(UTC).astimezone(LATEST_TIMEZONE).date()


def allowed_range() -> str:
    return f"between {EARLIEST_DATE.isoformat()} and {today().isoformat()}"


# What a person is told about any date they give, beside the field or parameter.
DATE_RULE = "give the date as YYYY-MM-DD, between 1 January 2000 and today"


def date_rule(problem: str = "") -> str:
    """The rule as a sentence, after what was wrong: "Out of range: give the date as …"."""
    if not problem:
        return DATE_RULE[0].upper() + DATE_RULE[1:]
    return f"{problem}: {DATE_RULE} ({today().day} {today():%B %Y})"


def check_in_range(value: date) -> date:
    """``value`` if it lies between EARLIEST_DATE and today; ValueError naming the range if not."""
    if not EARLIEST_DATE <= value <= today():
        raise ValueError(date_rule(f"{value.isoformat()} is out of range"))
    return value
