"""Rate windows are unlogged: losing a minute's counters in a crash is harmless, and writing them
then waits for no WAL flush.

Revision ID: 3c1d8e0b7a52
Revises: fa4c636de33f
Create Date: 2026-11-26 05:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3c1d8e0b7a52"
down_revision: str | None = "fa4c636de33f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE rate_window SET UNLOGGED")


def downgrade() -> None:
    op.execute("ALTER TABLE rate_window SET LOGGED")
