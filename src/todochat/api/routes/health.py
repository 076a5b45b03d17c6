"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.api.deps import app_sessionmaker
from todochat.api.errors import error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses=error_responses(503))
async def readyz(request: Request) -> JSONResponse | dict[str, str]:
    """The database is reachable and migrated to the revision this code expects."""
    expected = request.app.state.schema_head
    timeout = request.app.state.settings.readiness_timeout
    check = asyncio.ensure_future(_schema_revision(app_sessionmaker(request)))
    try:
        # Bounded: a partitioned database would otherwise hold the probe for minutes. The
        # check is shielded so that its connection is closed after the answer, not before.
        current = await asyncio.wait_for(asyncio.shield(check), timeout)
    except Exception as error:
        check.cancel()
        reason = (
            f"no answer within {timeout:g} s"
            if isinstance(error, TimeoutError)
            else type(error).__name__
        )
        return JSONResponse(
            {"error": "not_ready", "detail": f"Database unreachable: {reason}"},
            503,
            headers={"Retry-After": "2"},
        )
    if current is None or current != expected:
        return JSONResponse(
            {
                "error": "not_ready",
                "detail": f"Schema at {current}, expected {expected}: run 'todochat db upgrade'.",
            },
            503,
        )
    return {"status": "ready", "schema": current}


async def _schema_revision(sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    async with sessionmaker() as session:
        revision: str | None = await session.scalar(text("SELECT version_num FROM alembic_version"))
        return revision
