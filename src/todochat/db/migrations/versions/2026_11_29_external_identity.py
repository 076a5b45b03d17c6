"""Accounts of an external issuer's users, keyed by the token's iss and sub.

Revision ID: 568d5a30a9e1
Revises: 9a3f6c2e8b17
Create Date: 2026-11-29 21:21:22.408242
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "568d5a30a9e1"
down_revision: str | None = "9a3f6c2e8b17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_identity",
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_external_identity_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_external_identity")),
        sa.UniqueConstraint("user_id", name=op.f("uq_external_identity_user_id")),
    )


def downgrade() -> None:
    op.drop_table("external_identity")
