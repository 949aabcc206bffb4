"""sources.public: a source proposed with a pending claim is shown once a claim is approved

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: batch mode would copy the sources table, which the claims' foreign
    # keys forbid on SQLite once there are claims.
    op.add_column(
        "sources", sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    # Seeded sources have no "source.create" event and stay public; a source an editor
    # proposed on the claim form is public only once one of its claims has been approved.
    op.execute(
        """
        UPDATE sources SET public = false
        WHERE EXISTS (
            SELECT 1 FROM audit_events
            WHERE audit_events.entity_type = 'source'
              AND audit_events.action = 'source.create'
              AND audit_events.entity_id = CAST(sources.id AS VARCHAR(80))
        )
        AND NOT EXISTS (
            SELECT 1 FROM claims
            WHERE claims.source_id = sources.id AND claims.review_state = 'approved'
        )
        """
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+ has it), for the same reason.
    op.drop_column("sources", "public")
