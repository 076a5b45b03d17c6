"""The task tools over stdio, for one local account."""

from __future__ import annotations

from todochat.accounts.service import find_user_by_email
from todochat.config import get_settings
from todochat.db.engine import create_engine, create_sessionmaker
from todochat.db.uow import unit_of_work
from todochat.mcp.server import Principal, build_mcp, identify_fixed


async def serve_stdio(database_url: str, email: str) -> None:
    """Serve until stdin closes; LookupError if no account has this email."""
    engine = create_engine(database_url, get_settings())
    try:
        sessionmaker = create_sessionmaker(engine)
        async with unit_of_work(sessionmaker) as session:
            user = await find_user_by_email(session, email)
        if user is None:
            raise LookupError(
                f"No account with email {email!r}: sign up first (web UI or POST /api/auth/signup)."
            )
        server = build_mcp(sessionmaker, identify_fixed(Principal(user.id, user.time_zone)))
        await server.run_stdio_async()
    finally:
        await engine.dispose()
