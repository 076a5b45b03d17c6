"""Email identity: one canonical form per account, computed in Python, unique.

Signup used to compare `lower(email)` in PostgreSQL (whose case rules depend on its collation) and
login `str.lower()` in Python, so some addresses could sign up and never log in, and look-alikes
(İvan / i̇van) became separate accounts. Every address now has `email_canonical`:
email-validator's normalised form, NFKC, case-folded (`accounts.service.canonical_email`).

Existing accounts are backfilled here. Should two existing accounts share a canonical form, the
oldest keeps it (its address logs into it); the others get `duplicate:<id>`, which no address
matches, so they can no longer be logged into until an operator merges or renames them.

Revision ID: 5b2e9d4c1a77
Revises: 5b0e1c2d7f40
Create Date: 2026-11-29 17:30:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision: str = "5b2e9d4c1a77"
down_revision: str | None = "5b0e1c2d7f40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _canonical(email: str) -> str:
    # A copy of accounts.service.canonical_email as of this revision: migrations must not
    # change meaning when the application code does.
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        pass
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())


def upgrade() -> None:
    op.add_column("app_user", sa.Column("email_canonical", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, email FROM app_user ORDER BY created_at, id"))
    taken: set[str] = set()
    update = sa.text("UPDATE app_user SET email_canonical = :canonical WHERE id = :id")
    for user_id, email in rows.fetchall():
        canonical = _canonical(email)
        if canonical in taken:
            canonical = f"duplicate:{user_id}"
        taken.add(canonical)
        connection.execute(update, {"canonical": canonical, "id": user_id})
    op.alter_column("app_user", "email_canonical", nullable=False)
    op.drop_index("uq_app_user_email_lower", table_name="app_user")
    op.create_unique_constraint(
        op.f("uq_app_user_email_canonical"), "app_user", ["email_canonical"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_app_user_email_canonical"), "app_user", type_="unique")
    op.create_index(
        "uq_app_user_email_lower", "app_user", [sa.literal_column("lower(email)")], unique=True
    )
    op.drop_column("app_user", "email_canonical")
