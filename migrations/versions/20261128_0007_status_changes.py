"""status_changes and derived_marks: each settlement's changes of derived status, kept fresh

A fresh server answers "since when", the latest changes and the date bar's steps from these
tables instead of deriving every claim first (app/freshness.py). Filled here from the claims
already stored, with the window the server is configured with.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_changes",
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("before", sa.String(length=20), nullable=False),
        sa.Column("after", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("claim_ids", sa.Text(), nullable=False),
        sa.Column("sides", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("settlement_id", "day", name=op.f("pk_status_changes")),
    )
    op.create_index("ix_status_changes_day_settlement", "status_changes", ["day", "settlement_id"])
    op.create_table(
        "derived_marks",
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("settlement_id", name=op.f("pk_derived_marks")),
    )
    op.create_index(op.f("ix_derived_marks_revision"), "derived_marks", ["revision"])

    # The backfill derives with the rule as the code now has it (app/status/derive.py).
    from app import freshness

    session = Session(bind=op.get_bind())
    # Publication days came in 0009, which fills them itself.
    freshness.rederive_all(session, freshness.window_days(), publication_days=False)
    session.flush()
    session.close()


def downgrade() -> None:
    op.drop_index(op.f("ix_derived_marks_revision"), table_name="derived_marks")
    op.drop_table("derived_marks")
    op.drop_index("ix_status_changes_day_settlement", table_name="status_changes")
    op.drop_table("status_changes")
