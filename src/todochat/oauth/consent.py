"""The user's side: what a client asks for, Allow or Deny, and the apps they have connected."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from mcp.server.auth.provider import construct_redirect_uri
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from todochat.errors import NotFound
from todochat.oauth.models import OAuthAuthorization, OAuthClient, OAuthGrant
from todochat.oauth.provider import CODE_SECONDS
from todochat.oauth.tokens import digest, new_secret


class ConsentNotFound(NotFound):
    """No authorization request awaiting a decision under this handle."""

    def __init__(self) -> None:
        super().__init__(
            "This authorization request has expired or was already answered; "
            "start connecting again from the app."
        )


class GrantNotFound(NotFound):
    """No connected app with this id for the user."""

    def __init__(self) -> None:
        super().__init__("No such connected app.")


@dataclass(frozen=True)
class ConsentRequest:
    """What the consent page shows."""

    client_name: str
    client_uri: str | None
    redirect_uri: str
    redirect_host: str
    scopes: list[str]
    expires_at: datetime


@dataclass(frozen=True)
class ConnectedApp:
    """A grant the user made and has not revoked."""

    id: uuid.UUID
    client_name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime


def _client_name(client: OAuthClient) -> str:
    name = client.info.get("client_name")
    return str(name) if name else "An unnamed app"


def _pending(handle: str) -> list[ColumnElement[bool]]:
    return [
        OAuthAuthorization.handle_hash == digest(handle),
        OAuthAuthorization.user_id.is_(None),
        OAuthAuthorization.expires_at > func.now(),
    ]


async def describe_request(session: AsyncSession, handle: str) -> ConsentRequest:
    """The pending request under `handle`; ConsentNotFound if there is none."""
    found = (
        await session.execute(
            select(OAuthAuthorization, OAuthClient)
            .join(OAuthClient, OAuthClient.client_id == OAuthAuthorization.client_id)
            .where(*_pending(handle))
        )
    ).one_or_none()
    if found is None:
        raise ConsentNotFound()
    authorization, client = found.tuple()
    redirect = urlsplit(authorization.redirect_uri)
    return ConsentRequest(
        client_name=_client_name(client),
        client_uri=client.info.get("client_uri"),
        redirect_uri=authorization.redirect_uri,
        redirect_host=redirect.hostname or f"{redirect.scheme}:",
        scopes=authorization.scopes,
        expires_at=authorization.expires_at,
    )


async def decide_request(
    session: AsyncSession, handle: str, user_id: uuid.UUID, allow: bool, issuer: str
) -> str:
    """Answer the request once: where to send the browser (the client's redirect URI with a
    code, or with error=access_denied). ConsentNotFound if it is not pending."""
    if allow:
        code = new_secret()
        row = (
            await session.execute(
                update(OAuthAuthorization)
                .where(*_pending(handle))
                .values(
                    user_id=user_id,
                    code_hash=digest(code),
                    expires_at=datetime.now(UTC) + timedelta(seconds=CODE_SECONDS),
                )
                .returning(OAuthAuthorization.redirect_uri, OAuthAuthorization.state)
            )
        ).one_or_none()
        if row is None:
            raise ConsentNotFound()
        return construct_redirect_uri(row.redirect_uri, code=code, state=row.state, iss=issuer)
    row = (
        await session.execute(
            delete(OAuthAuthorization)
            .where(*_pending(handle))
            .returning(OAuthAuthorization.redirect_uri, OAuthAuthorization.state)
        )
    ).one_or_none()
    if row is None:
        raise ConsentNotFound()
    return construct_redirect_uri(
        row.redirect_uri,
        error="access_denied",
        error_description="The user denied access.",
        state=row.state,
        iss=issuer,
    )


async def list_connected_apps(session: AsyncSession, user_id: uuid.UUID) -> list[ConnectedApp]:
    """The user's grants that still stand, most recently used first."""
    rows = await session.execute(
        select(OAuthGrant, OAuthClient)
        .join(OAuthClient, OAuthClient.client_id == OAuthGrant.client_id)
        .where(OAuthGrant.user_id == user_id, OAuthGrant.revoked_at.is_(None))
        .order_by(OAuthGrant.last_used_at.desc(), OAuthGrant.id)
    )
    return [
        ConnectedApp(
            id=grant.id,
            client_name=_client_name(client),
            scopes=grant.scopes,
            created_at=grant.created_at,
            last_used_at=grant.last_used_at,
        )
        for grant, client in rows.tuples()
    ]


async def revoke_connected_app(session: AsyncSession, user_id: uuid.UUID, grant_id: str) -> None:
    """Disconnect an app: every token it holds stops working. GrantNotFound if not the user's."""
    try:
        parsed = uuid.UUID(grant_id)
    except ValueError as error:
        raise GrantNotFound() from error
    revoked = await session.execute(
        update(OAuthGrant)
        .where(
            OAuthGrant.id == parsed,
            OAuthGrant.user_id == user_id,
            OAuthGrant.revoked_at.is_(None),
        )
        .values(revoked_at=func.now())
        .returning(OAuthGrant.id)
    )
    if revoked.one_or_none() is None:
        raise GrantNotFound()


async def active_grant(session: AsyncSession, grant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the grant stands and is the user's."""
    found = await session.scalar(
        select(OAuthGrant.id).where(
            OAuthGrant.id == grant_id,
            OAuthGrant.user_id == user_id,
            OAuthGrant.revoked_at.is_(None),
        )
    )
    return found is not None
