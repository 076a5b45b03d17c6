"""Signup, login, who-am-I and the account's own settings."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from todochat.accounts import service as accounts
from todochat.accounts.models import User
from todochat.accounts.schemas import (
    AccountDeletion,
    Credentials,
    PasswordChange,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from todochat.accounts.security import create_access_token
from todochat.api.deps import AppSettings, ClientAddress, Session, Sessionmaker, TokenUser
from todochat.api.errors import error_responses
from todochat.errors import AccountGone

router = APIRouter(
    prefix="/api/auth", tags=["auth"], responses=error_responses(400, 401, 409, 413, 422, 429)
)


def _token_for(user: User, request: Request, settings: AppSettings) -> TokenRead:
    token = create_access_token(
        user.id, request.app.state.secret_key, settings.access_token_minutes
    )
    return TokenRead(
        user=UserRead.model_validate(user),
        access_token=token,
        expires_in=settings.access_token_minutes * 60,
    )


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=TokenRead)
async def signup(
    data: UserCreate,
    sessionmaker: Sessionmaker,
    address: ClientAddress,
    request: Request,
    settings: AppSettings,
) -> TokenRead:
    """Create an account and log in."""
    user = await accounts.create_user(sessionmaker, data, address, settings)
    return _token_for(user, request, settings)


@router.post("/login", response_model=TokenRead)
async def login(
    data: Credentials,
    sessionmaker: Sessionmaker,
    address: ClientAddress,
    request: Request,
    settings: AppSettings,
) -> TokenRead:
    """Exchange email and password for an access token."""
    user = await accounts.authenticate(
        sessionmaker, str(data.email), data.password, address, settings
    )
    return _token_for(user, request, settings)


@router.get("/me", response_model=UserRead)
async def read_me(user: TokenUser) -> User:
    """The account the token belongs to."""
    return user


async def _in_session(user: User, session: Session) -> User:
    """The token's account, loaded in this request's unit of work to change it."""
    loaded = await accounts.get_user(session, user.id)
    if loaded is None:
        raise AccountGone()
    return loaded


@router.patch("/me", response_model=UserRead)
async def update_me(data: UserUpdate, user: TokenUser, session: Session) -> User:
    """Change the account's name or time zone (the zone reads "tomorrow 5pm")."""
    return await accounts.update_user(session, await _in_session(user, session), data)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(data: PasswordChange, user: TokenUser, session: Session) -> None:
    """Change the password; the current one must be given (422 if it is wrong)."""
    await accounts.change_password(session, await _in_session(user, session), data)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(data: AccountDeletion, user: TokenUser, session: Session) -> None:
    """Delete the account and all its data (tasks, conversations, reminders, webhooks, feeds);
    the password confirms it (422 if it is wrong). Download `GET /api/{id}/export` first."""
    await accounts.delete_user(session, await _in_session(user, session), data)
