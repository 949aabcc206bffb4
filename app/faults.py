"""Database faults a person can meet, told in a sentence instead of a traceback.

A full disk, a read-only database, a database that cannot be reached, one locked by another
writer for too long: each is an error from the driver, with a code that says which (SQLite's
result codes, PostgreSQL's SQLSTATE). `database_fault()` turns such an error into a
`DatabaseFault` that knows how to say what happened; any other error is a bug and stays
one. Writes are one transaction each (app.db), so whichever fault stopped a write, nothing
of it was stored, and the sentence can say so.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.exc import DBAPIError, OperationalError

from app.i18n import N_, gettext


class FaultKind(StrEnum):
    disk_full = "disk_full"
    read_only = "read_only"
    locked = "locked"
    unreachable = "unreachable"
    not_migrated = "not_migrated"


# What happened, as the start of a sentence; and what the reader can do about it.
# Marked for the catalogs: a page says them in the reader's language (the command line and
# the JSON API set no language, so they keep the English).
REASONS = {
    FaultKind.disk_full: N_("The disk that holds the database is full"),
    FaultKind.read_only: N_("The database is read-only at the moment"),
    FaultKind.locked: N_("The database stayed busy with another write for too long"),
    FaultKind.unreachable: N_("The database cannot be reached right now"),
    FaultKind.not_migrated: N_("The database schema is out of date"),
}
ADVICE = {
    FaultKind.disk_full: N_("Ask the operator to free some space, then try again."),
    FaultKind.read_only: N_("Ask the operator to make it writable again, then try again."),
    FaultKind.locked: N_("Please try again in a minute."),
    FaultKind.unreachable: N_("Please try again in a minute."),
    FaultKind.not_migrated: N_("The operator should run `kursk-tracker db upgrade`."),
}
# The same for whoever runs the command line, who is the operator.
OPERATOR_ADVICE = {
    FaultKind.disk_full: "Free some space on its disk, then run the command again.",
    FaultKind.read_only: (
        "Make the database file and its folder writable, then run the command again."
    ),
    FaultKind.locked: "Run the command again when the other write has finished.",
    FaultKind.unreachable: (
        "Check KT_DATABASE_URL and that the database server is running, then try again."
    ),
    FaultKind.not_migrated: "Run `kursk-tracker db upgrade` first.",
}
# What /healthz says about the database's writes.
HEALTH_WORDS = {
    FaultKind.disk_full: "disk full",
    FaultKind.read_only: "read-only",
    FaultKind.locked: "busy",
    FaultKind.unreachable: "unreachable",
    FaultKind.not_migrated: "not migrated",
}


class DatabaseFault(Exception):
    """The database refused or could not do its part; nothing of the write was stored."""

    def __init__(self, kind: FaultKind) -> None:
        super().__init__(REASONS[kind])
        self.kind = kind

    @property
    def status_code(self) -> int:
        # An out-of-date schema is the operator's mistake, not an outage that will pass.
        return 500 if self.kind == FaultKind.not_migrated else 503

    def sentence(self, *, writing: bool = True, operator: bool = False) -> str:
        """E.g. "The disk that holds the database is full, so nothing was stored. Ask …"."""
        reason = gettext(REASONS[self.kind])
        advice = OPERATOR_ADVICE[self.kind] if operator else gettext(ADVICE[self.kind])
        if writing:
            return gettext("%(reason)s, so nothing was stored. %(advice)s") % {
                "reason": reason,
                "advice": advice,
            }
        return gettext("%(reason)s. %(advice)s") % {"reason": reason, "advice": advice}


# SQLite primary result codes (the low byte of an extended code).
SQLITE_KINDS = {
    5: FaultKind.locked,  # SQLITE_BUSY: the busy timeout ran out
    6: FaultKind.locked,  # SQLITE_LOCKED
    8: FaultKind.read_only,  # SQLITE_READONLY: mode=ro, a read-only file or directory
    10: FaultKind.unreachable,  # SQLITE_IOERR: the file cannot be read or written
    11: FaultKind.unreachable,  # SQLITE_CORRUPT: the file is damaged (restore a backup)
    26: FaultKind.unreachable,  # SQLITE_NOTADB: KT_DATABASE_URL names a file that is no database
    13: FaultKind.disk_full,  # SQLITE_FULL: no room on the disk (or max_page_count reached)
    14: FaultKind.unreachable,  # SQLITE_CANTOPEN
}
# PostgreSQL SQLSTATEs, by exact code and then by class (the first two characters).
POSTGRES_CODES = {
    "25006": FaultKind.read_only,  # read_only_sql_transaction
    "55P03": FaultKind.locked,  # lock_not_available
    "40P01": FaultKind.locked,  # deadlock_detected
    "57014": FaultKind.locked,  # query_canceled (a statement or lock timeout)
    "42P01": FaultKind.not_migrated,  # undefined_table
    "42703": FaultKind.not_migrated,  # undefined_column
    "57P01": FaultKind.unreachable,  # admin_shutdown
    "57P02": FaultKind.unreachable,  # crash_shutdown
    "57P03": FaultKind.unreachable,  # cannot_connect_now
}
POSTGRES_CLASSES = {
    "53": FaultKind.disk_full,  # insufficient_resources: disk_full is 53100
    "08": FaultKind.unreachable,  # connection_exception
}
SQLITE_SCHEMA_PROBLEMS = ("no such table", "no such column")


def database_fault(error: BaseException) -> DatabaseFault | None:
    """The fault an error stands for, or None when it is not one a person can fix.

    Takes SQLAlchemy's wrapped errors and the drivers' own (sqlite3, psycopg).
    """
    if isinstance(error, DatabaseFault):
        return error
    if isinstance(error, DBAPIError):
        lost = error.connection_invalidated or isinstance(error, OperationalError)
        kind = _kind(error.orig or error, connection_lost=lost)
    else:
        kind = _kind(error, connection_lost=False)
    return DatabaseFault(kind) if kind is not None else None


def _kind(original: BaseException, *, connection_lost: bool) -> FaultKind | None:
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if sqlite_code is not None:
        if any(problem in str(original) for problem in SQLITE_SCHEMA_PROBLEMS):
            return FaultKind.not_migrated
        return SQLITE_KINDS.get(sqlite_code & 0xFF)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return POSTGRES_CODES.get(sqlstate) or POSTGRES_CLASSES.get(sqlstate[:2])
    # No code at all: the driver could not connect, or lost the connection under us.
    return FaultKind.unreachable if connection_lost else None
