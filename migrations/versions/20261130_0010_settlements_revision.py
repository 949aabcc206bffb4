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
    # Kept by a downgrade (see below): then it is there already, and keeps its value.
    op.execute(
        "INSERT INTO content_revision (id, value) "
        "SELECT 2, value FROM content_revision WHERE id = 1 "
        "AND NOT EXISTS (SELECT 1 FROM content_revision WHERE id = 2)"
    )


def downgrade() -> None:
    # The row stays: older code reads and moves only the first row, and a downgrade and
    # upgrade again then leave the table as it was. Its value may lag behind the settlements
    # written meanwhile, which is harmless: a server keys its own cache on it, and a server
    # that started after the upgrade has nothing cached.
    pass
