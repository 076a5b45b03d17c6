"""Due dates are kept within the years 1900-2200: stored ones outside are clamped to the range.

New ones are refused at the door (REST 422 naming `due_at`, MCP tool error naming `due`). A date
at the edge of the calendar (year 1 or 9999, or before Christ) cannot be converted to every time
zone or moved by a day in Python, so such rows made every listing of their owner's tasks fail.
Clamping keeps what they meant (far past, far future). Not reversible: downgrade keeps the dates.

Revision ID: c6f0a93e5d18
Revises: 8d41c7a0e2f3
Create Date: 2026-11-29 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c6f0a93e5d18"
down_revision: str | None = "8d41c7a0e2f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Bounds chosen so the date stays in range in every time zone (offsets are within ±14 h).
    op.execute(
        "UPDATE task SET due_at = timestamptz '2200-12-31 00:00:00+00' "
        "WHERE due_at > timestamptz '2200-12-31 00:00:00+00'"
    )
    op.execute(
        "UPDATE task SET due_at = timestamptz '1900-01-02 00:00:00+00' "
        "WHERE due_at < timestamptz '1900-01-02 00:00:00+00'"
    )


def downgrade() -> None:
    pass
