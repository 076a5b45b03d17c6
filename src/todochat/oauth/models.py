"""OAuth state: registered clients, authorizations in progress, grants and refresh tokens.

Nothing secret is stored as given: client secrets, consent handles, codes and refresh tokens
are kept as SHA-256 digests (they are random 256-bit values, so a fast hash is enough).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from todochat.db.base import Base


class OAuthClient(Base):
    """A client registered by Dynamic Client Registration (RFC 7591)."""

    __tablename__ = "oauth_client"

    client_id: Mapped[str] = mapped_column(Text, primary_key=True)
    # None for a public client (token_endpoint_auth_method "none"; PKCE protects it).
    secret_hash: Mapped[str | None] = mapped_column(Text)
    # The registered metadata (RFC 7591 §2) less the secret.
    info: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OAuthAuthorization(Base):
    """One authorization request, from /authorize to its code's exchange.

    Created pending (found by its consent handle, no user yet); the user's Allow binds it to
    them and gives it a code; the code's exchange marks it used and names the grant it made,
    so a second use of the code revokes that grant (RFC 9700 §4.5.3 would allow less).
    """

    __tablename__ = "oauth_authorization"
    __table_args__ = (Index("ix_oauth_authorization_expires_at", "expires_at"),)

    handle_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.client_id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    resource: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(Text)
    redirect_uri_explicit: Mapped[bool] = mapped_column(Boolean)
    code_challenge: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    code_hash: Mapped[str | None] = mapped_column(Text, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("oauth_grant.id", ondelete="CASCADE")
    )


class OAuthGrant(Base):
    """What a user allowed one client: a "connected app", and the family of its tokens.

    Revoking it (by the user, by RFC 7009 revocation, or on a refresh token's reuse) ends every
    access and refresh token issued under it.
    """

    __tablename__ = "oauth_grant"
    __table_args__ = (Index("ix_oauth_grant_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.client_id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    resource: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OAuthRefreshToken(Base):
    """A refresh token; each use rotates it (used_at set, a new one issued)."""

    __tablename__ = "oauth_refresh_token"
    __table_args__ = (Index("ix_oauth_refresh_token_grant_id", "grant_id"),)

    token_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_grant.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
