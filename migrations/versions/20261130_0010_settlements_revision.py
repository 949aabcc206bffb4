"""content_revision's second row: the revision of the settlements table alone

The settlement directory (every name, for search and lists) is keyed on it, so that a claim
written or reviewed does not make every server read 5,000 settlements again. It starts at the
content revision's value.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO content_revision (id, value) "
        "SELECT 2, value FROM content_revision WHERE id = 1"
    )


def downgrade() -> None:
    op.execute("DELETE FROM content_revision WHERE id = 2")
