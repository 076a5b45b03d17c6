"""Deleted tasks are kept for a while (task.deleted_at), so a delete can be undone with the
task's number, reminders and history intact; tombstones older than TOMBSTONE_DAYS are purged.

Revision ID: 3f8a1d6c9b24
Revises: 568d5a30a9e1
Create Date: 2026-11-29 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f8a1d6c9b24"
down_revision: str | None = "568d5a30a9e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("task", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Deleted tasks were gone before this revision.
    op.execute("DELETE FROM task WHERE deleted_at IS NOT NULL")
    op.drop_column("task", "deleted_at")
