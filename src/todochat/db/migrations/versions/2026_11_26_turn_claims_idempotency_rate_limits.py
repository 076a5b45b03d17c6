"""Turn claims, idempotency records, the tool-call ledger, per-user rate windows.

Revision ID: fa4c636de33f
Revises: eb7c52e4742d
Create Date: 2026-11-26 04:01:38.956755
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "fa4c636de33f"
down_revision: str | None = "eb7c52e4742d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_record",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=True),
        sa.Column("message_seq", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_idempotency_record_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_record")),
    )
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
    )
    op.create_table(
        "tool_call_record",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("turn_key", sa.String(length=200), nullable=False),
        sa.Column("call_hash", sa.String(length=64), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_tool_call_record_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "turn_key", "call_hash", name=op.f("pk_tool_call_record")
        ),
    )
    op.add_column(
        "conversation", sa.Column("turn_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("conversation", sa.Column("turn_key", sa.String(length=200), nullable=True))
    op.add_column("message", sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("message", "error")
    op.drop_column("conversation", "turn_key")
    op.drop_column("conversation", "turn_expires_at")
    op.drop_table("tool_call_record")
    op.drop_table("rate_window")
    op.drop_table("idempotency_record")
