"""report approved claims with dates outside the tracker's calendar

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00

Changes no table and adds no constraint: it only lists, once, the approved claims stored
before dates were checked against 2000-01-01..today, so that an editor can correct them.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app import dates

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")
REPORTED_AT_MOST = 50


def upgrade() -> None:
    latest = dates.today()
    rows = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT id, as_of, published_on FROM claims"
                " WHERE review_state = 'approved'"
                " AND (as_of < :earliest OR as_of > :latest"
                " OR published_on < :earliest OR published_on > :latest)"
                " ORDER BY id"
            ),
            {"earliest": dates.EARLIEST_DATE, "latest": latest},
        )
        .all()
    )
    if not rows:
        return
    message = (
        f"{len(rows)} approved claim(s) have a date outside {dates.allowed_range()};"
        " they are kept as they are: correct them with “Correct this claim”."
    )
    logger.warning(message)
    print(message)  # the operator running `db upgrade` reads this
    for claim_id, as_of, published_on in rows[:REPORTED_AT_MOST]:
        line = f"  claim #{claim_id}: as_of {as_of}, published_on {published_on}"
        logger.warning(line)
        print(line)


def downgrade() -> None:
    pass  # nothing was changed
