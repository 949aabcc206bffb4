"""Keyset paging: one page of a list, how many rows the list holds, and a cursor for the next.

Every paged list (the pages and the API) goes through here, so that all of them behave alike:

- A list has one order, made total by ending on an id, so a row's **key** (the values it is
  sorted by) names its place. The cursor for the next page is the key of the last row shown,
  written as text and base64: opaque to readers, stable (the same row always gives the same
  cursor) and valid on any database, since it names values, not a position.
- ``after=<cursor>`` answers the rows that come after that key, even if rows were added or
  removed since: nothing is skipped or shown twice. An old ``page=N`` answers the rows it always
  did (an offset), and its "next" link carries on with a cursor.
- A cursor somebody edited is refused with a CursorError naming the parameter (a 422), never
  read as something else: every value goes through the same parsers as any other input.

Lists already in memory (the status table, the history's changes) are paged with
``page_of_rows``; lists read from the database with ``page_of_query``.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote, unquote

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.db import AnySelect
from app.filters import FilterError
from app.i18n import gettext
from app.validation import INT32_MAX, parse_bounded_int, parse_iso_date

T = TypeVar("T")
KeyValue = int | str | date | datetime
Key = tuple[KeyValue, ...]

# The most rows one page of a list shows.
PAGE_SIZE = 100
# The longest cursor accepted: a key holds a settlement's name at most (200 characters).
MAX_CURSOR_LENGTH = 2000


class CursorError(FilterError):
    """A cursor this application did not give out (or gave out for another list)."""

    def __init__(self, field: str = "after") -> None:
        super().__init__(
            field, gettext("is not a cursor this list gave out: start again from the first page")
        )


def _part(value: KeyValue) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return quote(value, safe="")


def encode_cursor(key: Key) -> str:
    """A row's key as an opaque cursor: ``2025-04-08,12`` in base64 (text escaped)."""
    text = ",".join(_part(value) for value in key)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _int(text: str) -> int:
    # Keys of lists sorted newest first in memory hold negative numbers (a day's ordinal).
    negative = text.startswith("-")
    number = parse_bounded_int(text[1:] if negative else text, minimum=0, maximum=INT32_MAX)
    return -number if negative else number


def _value(text: str, kind: type) -> KeyValue:
    if kind is datetime:
        return datetime.fromisoformat(text)
    if kind is date:
        return parse_iso_date(text)
    if kind is int:
        return _int(text)
    return unquote(text, errors="strict")


def decode_cursor(value: str, kinds: Sequence[type], field: str = "after") -> Key:
    """The key a cursor holds, each value of the kind the list's key has; CursorError if not."""
    if len(value) > MAX_CURSOR_LENGTH:
        raise CursorError(field)
    try:
        padded = value + "=" * (-len(value) % 4)
        raw = base64.b64decode(padded.encode(), altchars=b"-_", validate=True)
        parts = raw.decode("utf-8").split(",")
        if len(parts) != len(kinds):
            raise ValueError("wrong number of values")
        return tuple(_value(part, kind) for part, kind in zip(parts, kinds, strict=True))
    except (ValueError, UnicodeError, binascii.Error):
        raise CursorError(field) from None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its rows, where they start, how many there are, what comes next."""

    items: Sequence[T]
    # How many rows of the list come before this page (0 on the first page).
    start: int
    # How many rows the list holds; None where counting would cost more than it tells (the API).
    total: int | None
    # The cursor of the next page, None on the last.
    next_after: str | None
    size: int = PAGE_SIZE

    @property
    def first(self) -> bool:
        return self.start == 0

    @property
    def end(self) -> int:
        """The position of the last row shown, counted from 1 (``start + 1`` to ``end``)."""
        return self.start + len(self.items)

    @property
    def is_whole(self) -> bool:
        """The whole list fits on this page: no pager to show."""
        return self.first and self.next_after is None


def count_of(session: Session, stmt: AnySelect) -> int:
    """How many rows a list's query holds in all (the pager's "of N")."""
    counted = stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    return session.scalar(counted) or 0


def page_of_rows(
    rows: Sequence[T],
    key: Callable[[T], Key],
    kinds: Sequence[type],
    *,
    after: str | None = None,
    offset: int = 0,
    size: int = PAGE_SIZE,
    field: str = "after",
) -> Page[T]:
    """A page of a list in memory, ordered by ``key`` (ascending; end it on an id).

    The rows are sorted here, so the order never depends on how a database sorted text.
    """
    ordered = sorted(rows, key=key)
    return page_of_ordered(
        ordered,
        [key(row) for row in ordered],
        kinds,
        after=after,
        offset=offset,
        size=size,
        field=field,
    )


def page_of_ordered(
    ordered: Sequence[T],
    keys: Sequence[Key],
    kinds: Sequence[type],
    *,
    after: str | None = None,
    offset: int = 0,
    size: int = PAGE_SIZE,
    field: str = "after",
) -> Page[T]:
    """``page_of_rows`` for rows already in order, with the key of each (kept sorted lists)."""
    if after:
        start = bisect_right(keys, decode_cursor(after, kinds, field))
    else:
        start = min(offset, len(ordered))
    items = ordered[start : start + size]
    more = start + size < len(ordered)
    return Page(
        items, start, len(ordered), encode_cursor(keys[start + size - 1]) if more else None, size
    )


@dataclass(frozen=True, slots=True)
class Order:
    """One column of a query's order: ascending or descending, and the kind of its values."""

    column: Any
    kind: type
    descending: bool = False


def after_clause(order: Sequence[Order], key: Key) -> ColumnElement[bool]:
    """Rows after ``key`` in ``order``, spelled out (no row values: SQLite and PostgreSQL alike)."""
    clause: ColumnElement[bool] | None = None
    for part, value in reversed(list(zip(order, key, strict=True))):
        beyond = part.column < value if part.descending else part.column > value
        clause = beyond if clause is None else or_(beyond, and_(part.column == value, clause))
    assert clause is not None
    return clause


def page_of_query(
    session: Session,
    stmt: AnySelect,
    order: Sequence[Order],
    key: Callable[[Any], Key],
    *,
    after: str | None = None,
    offset: int = 0,
    size: int = PAGE_SIZE,
    total: int | None = None,
    scalars: bool = True,
    field: str = "after",
) -> Page[Any]:
    """A page of a query's rows in ``order`` (which should end on an id).

    ``total``: the list's size where the caller counted it already; given, the position of a
    cursor's page is counted too (one more query), so that a page says "101–200 of 5,000".
    """
    ordered = stmt.order_by(None).order_by(
        *(part.column.desc() if part.descending else part.column for part in order)
    )
    start = offset
    if after:
        clause = after_clause(order, decode_cursor(after, [part.kind for part in order], field))
        if total is not None:
            before = ordered.where(not_(clause)).order_by(None).subquery()
            start = session.scalar(select(func.count()).select_from(before)) or 0
        else:
            start = 0
        ordered = ordered.where(clause)
    elif offset:
        ordered = ordered.offset(offset)
    result = session.execute(ordered.limit(size + 1))
    rows = list(result.scalars() if scalars else result)
    items = rows[:size]
    next_after = encode_cursor(key(items[-1])) if len(rows) > size else None
    return Page(items, start, total, next_after, size)
