"""Request dependencies as Annotated aliases: auth is decided here, once per request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.accounts.external import ExternalIssuer
from todochat.accounts.models import User
from todochat.accounts.security import read_access_token
from todochat.accounts.service import get_user
from todochat.config import Settings
from todochat.db.uow import single_statements, unit_of_work
from todochat.errors import AccountGone, Forbidden, InvalidInput, Unauthorized
from todochat.notify.calendar import CalendarService
from todochat.notify.events import EventHub
from todochat.notify.webhooks import WebhookService
from todochat.timing import phase
from todochat.todos.service import TaskService

# Dependencies are `async def` even when they do not await: FastAPI runs plain `def`
# dependencies in a thread pool, a hop that costs more than the work they do.
_bearer = HTTPBearer(auto_error=False, description="The access_token from signup or login.")


async def app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings  # type: ignore[no-any-return]


def app_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The sessionmaker the app was built with."""
    return request.app.state.sessionmaker  # type: ignore[no-any-return]


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session in a transaction, committed before the response is sent."""
    async with unit_of_work(app_sessionmaker(request)) as session:
        yield session


async def request_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The sessionmaker, for routes that open their own units of work."""
    return app_sessionmaker(request)


async def client_address(request: Request) -> str:
    """The client's IP address (uvicorn takes it from X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else "unknown"


AppSettings = Annotated[Settings, Depends(app_settings)]
Sessionmaker = Annotated[async_sessionmaker[AsyncSession], Depends(request_sessionmaker)]
ClientAddress = Annotated[str, Depends(client_address)]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def token_user_id(request: Request, credentials: Bearer) -> uuid.UUID:
    """The user id in a valid bearer token (the API's own, or the external issuer's when one
    is configured); 401 otherwise."""
    if credentials is None:
        raise Unauthorized("Missing bearer token: send 'Authorization: Bearer <access_token>'.")
    external: ExternalIssuer | None = request.app.state.external_issuer
    if external is not None and external.issued(credentials.credentials):
        return await external.user_id(credentials.credentials, app_sessionmaker(request))
    return read_access_token(credentials.credentials, request.app.state.secret_key)


TokenUserId = Annotated[uuid.UUID, Depends(token_user_id)]


async def path_user_id(user_id: str, token_user: TokenUserId) -> uuid.UUID:
    """The `{user_id}` in the path, which must be the token's user; 403 otherwise."""
    try:
        requested = uuid.UUID(user_id)  # any spelling of the id: upper case, no dashes
    except ValueError as error:
        raise InvalidInput(f"user_id: {user_id!r} is not a user id.") from error
    if requested != token_user:
        raise Forbidden("This token belongs to another user.")
    return token_user


OwnerId = Annotated[uuid.UUID, Depends(path_user_id)]


async def _existing_user(request: Request, user_id: uuid.UUID) -> User:
    """The token's user, loaded (one round trip); 401 if the account has been deleted.

    The one check that a valid token still names an account; a chat turn makes the same check
    in its first statement instead (chat/statements.py), and MCP over HTTP in its BearerAuth.
    """
    with phase("auth"):
        async with single_statements(app_sessionmaker(request)) as session:
            user = await get_user(session, user_id)
    if user is None:
        raise AccountGone()
    return user


async def token_user(user_id: TokenUserId, request: Request) -> User:
    """The account the bearer token names."""
    return await _existing_user(request, user_id)


async def current_user(user_id: OwnerId, request: Request) -> User:
    """The authenticated owner of the path."""
    return await _existing_user(request, user_id)


TokenUser = Annotated[User, Depends(token_user)]
CurrentUser = Annotated[User, Depends(current_user)]


async def task_service(user: CurrentUser, session: Session, request: Request) -> TaskService:
    """The task rules bound to the authenticated user."""
    return TaskService(session, user.id, user.time_zone, request.app.state.clock)


Tasks = Annotated[TaskService, Depends(task_service)]


async def webhook_service(
    user: CurrentUser, session: Session, settings: AppSettings
) -> WebhookService:
    """The webhook rules bound to the authenticated user."""
    return WebhookService(session, user.id, settings.webhook_allow_private)


Webhooks = Annotated[WebhookService, Depends(webhook_service)]


async def calendar_service(
    user: CurrentUser, session: Session, request: Request
) -> CalendarService:
    """The calendar feed of the authenticated user."""
    return CalendarService(session, user.id, request.app.state.secret_key)


Calendars = Annotated[CalendarService, Depends(calendar_service)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes the request retry-safe: a retry with the same key and body returns "
        "the first answer and changes nothing twice (keys are kept 24 h).",
    ),
]


async def event_hub(request: Request) -> EventHub:
    """This process's reminder listener, which event streams subscribe to."""
    return request.app.state.events  # type: ignore[no-any-return]


Events = Annotated[EventHub, Depends(event_hub)]
