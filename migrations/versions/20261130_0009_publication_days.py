"""publication_days: the days approved claims about each settlement were published

The date bar as reported then steps through the days claims were published, and the rule as
known on an earlier date bounds its search by the longest delay between a claim's date and
its publication. Both were read from every approved claim once per content revision (0.23 s
at 500,000 claims); this table keeps them per settlement and day, derived in the same
transaction as the claims (app/freshness.py). Filled here from the claims already stored.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "publication_days",
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("delay", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("settlement_id", "day", name=op.f("pk_publication_days")),
    )
    op.create_index("ix_publication_days_day_delay", "publication_days", ["day", "delay"])
    op.create_index("ix_publication_days_delay", "publication_days", ["delay"])

    from app import freshness

    session = Session(bind=op.get_bind())
    freshness.store_publication_days(session)
    session.flush()
    session.close()


def downgrade() -> None:
    op.drop_index("ix_publication_days_delay", table_name="publication_days")
    op.drop_index("ix_publication_days_day_delay", table_name="publication_days")
    op.drop_table("publication_days")
