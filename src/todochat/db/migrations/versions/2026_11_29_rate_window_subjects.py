"""Rate windows count any subject, not only a user's chat turns: login attempts per account and
per address, signups per address, chat turns per user (`turn:<user id>`).

The counters are recreated empty: losing a window's counts is harmless (the table is unlogged
for the same reason).

Revision ID: 8d41c7a0e2f3
Revises: 5b2e9d4c1a77
Create Date: 2026-11-29 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d41c7a0e2f3"
down_revision: str | None = "5b2e9d4c1a77"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("rate_window")
    op.create_table(
        "rate_window",
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("subject", "window_start", name=op.f("pk_rate_window")),
        prefixes=["UNLOGGED"],
    )
    op.create_index("ix_rate_window_window_start", "rate_window", ["window_start"])


def downgrade() -> None:
    op.drop_table("rate_window")
    op.create_table(
        "rate_window",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_rate_window_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "window_start", name=op.f("pk_rate_window")),
        prefixes=["UNLOGGED"],
    )
