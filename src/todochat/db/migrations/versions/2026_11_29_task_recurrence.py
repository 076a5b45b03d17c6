"""Repeating tasks: the task's RRULE, its text and from-completion flag; completed occurrences.

Revision ID: 7e2b9c4d1a06
Revises: c6f0a93e5d18
Create Date: 2026-11-29 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e2b9c4d1a06"
down_revision: str | None = "c6f0a93e5d18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("task", sa.Column("recurrence_rule", sa.Text(), nullable=True))
    op.add_column("task", sa.Column("recurrence_text", sa.Text(), nullable=True))
    op.add_column(
        "task",
        sa.Column(
            "recurrence_from_completion",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        op.f("ck_task_recurrence_text_matches"),
        "task",
        "(recurrence_rule IS NULL) = (recurrence_text IS NULL)",
    )
    op.create_table(
        "task_completion",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_task_completion_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_task_completion_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_completion")),
    )
    op.create_index(
        op.f("ix_task_completion_user_completed_at"), "task_completion", ["user_id", "completed_at"]
    )
    op.create_index(op.f("ix_task_completion_task_id"), "task_completion", ["task_id"])


def downgrade() -> None:
    op.drop_table("task_completion")
    op.drop_constraint(op.f("ck_task_recurrence_text_matches"), "task", type_="check")
    op.drop_column("task", "recurrence_from_completion")
    op.drop_column("task", "recurrence_text")
    op.drop_column("task", "recurrence_rule")
