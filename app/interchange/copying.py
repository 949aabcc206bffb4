"""Moving a whole tracker to another database (SQLite to PostgreSQL, typically), ids and all.

Every table is copied row for row in foreign-key order inside one transaction of the target:
claims with their review history and corrections, sources, settlements, area figures, users
(password hashes as they are), sessions, audit events, import batches, the content revision.
Ids are kept, so every link (a correction's ``supersedes``, an audit event's entity, a claim's
import) stays valid; PostgreSQL's sequences are then moved past the largest id. A target that
holds any row is refused: the copy never merges two trackers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, func, select, text, update

from app.db import Base
from app.revisions import ContentRevision

# Rows read and written per round trip.
COPY_BATCH = 5000
# Rows every migrated database starts with: replaced by the source's, not counted as data.
STARTING_ROWS = {ContentRevision.__tablename__}


class CopyRefused(Exception):
    """The target cannot take the copy (it holds data); nothing was written."""


def tables() -> list[Table]:
    """Every table of the tracker, each after the tables it refers to."""
    import app.models  # noqa: F401  (every mapped class, so that the metadata is whole)

    return list(Base.metadata.sorted_tables)


def non_empty(connection: Connection) -> dict[str, int]:
    counts = {
        table.name: connection.scalar(select(func.count()).select_from(table)) or 0
        for table in tables()
        if table.name not in STARTING_ROWS
    }
    return {name: n for name, n in counts.items() if n}


def _self_references(table: Table) -> list[str]:
    """Columns that point at rows of their own table (a claim's ``supersedes_id``)."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def copy_tracker(
    source: Engine, target: Engine, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of every table from ``source`` to the migrated, empty ``target``.

    One transaction on the target: a failure leaves it as it was. Returns rows per table.
    """
    copied: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        if held := non_empty(writing):
            listed = ", ".join(f"{name} ({n:,})" for name, n in sorted(held.items()))
            raise CopyRefused(
                f"the target database already holds rows: {listed}; copy into a new, empty database"
            )
        for table in tables():
            if table.name in STARTING_ROWS:
                writing.execute(table.delete())
            copied[table.name] = _copy_table(reading, writing, table)
            if progress is not None:
                progress(table.name, copied[table.name])
        if writing.dialect.name == "postgresql":
            _reset_sequences(writing)
    return copied


def _copy_table(reading: Connection, writing: Connection, table: Table) -> int:
    # Links within the table are written once every row is there: a correction may come
    # before the claim it corrects (an import stores them in the file's order).
    later = _self_references(table)
    links: list[dict[str, Any]] = []
    key = list(table.primary_key.columns)
    rows = reading.execution_options(yield_per=COPY_BATCH).execute(select(table).order_by(*key))
    count = 0
    for part in rows.mappings().partitions(COPY_BATCH):
        batch = [dict(row) for row in part]
        for row in batch:
            if any(row[name] is not None for name in later):
                links.append({"row_id": row["id"], **{f"new_{n}": row[n] for n in later}})
                for name in later:
                    row[name] = None
        writing.execute(table.insert(), batch)
        count += len(batch)
    if links:
        writing.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in later}),
            links,
        )
    return count


def _reset_sequences(writing: Connection) -> None:
    """Each serial id's sequence continues after the largest id copied."""
    for table in tables():
        for column in table.primary_key.columns:
            sequence = writing.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence is None:
                continue
            writing.execute(
                text(
                    f'SELECT setval(:sequence, coalesce(max("{column.name}"), 1), '
                    f'max("{column.name}") IS NOT NULL) FROM "{table.name}"'
                ),
                {"sequence": sequence},
            )
