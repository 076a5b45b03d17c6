"""Task numbers per user: task.number (unique per user) and app_user.last_task_number.

Existing tasks are numbered 1, 2, 3... per user in the order they were created, and each
user's counter starts after their last task.

Revision ID: 9a3f6c2e8b17
Revises: c97a108fe5f0
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a3f6c2e8b17"
down_revision: str | None = "c97a108fe5f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column("last_task_number", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("task", sa.Column("number", sa.BigInteger(), nullable=True))
    op.execute(
        """
        UPDATE task SET number = numbered.number
        FROM (
            SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id) AS number FROM task
        ) AS numbered
        WHERE task.id = numbered.id
        """
    )
    op.execute(
        """
        UPDATE app_user SET last_task_number = counted.last
        FROM (SELECT user_id, max(number) AS last FROM task GROUP BY user_id) AS counted
        WHERE app_user.id = counted.user_id
        """
    )
    op.alter_column("task", "number", nullable=False)
    op.create_unique_constraint(op.f("uq_task_user_id_number"), "task", ["user_id", "number"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_task_user_id_number"), "task", type_="unique")
    op.drop_column("task", "number")
    op.drop_column("app_user", "last_task_number")
