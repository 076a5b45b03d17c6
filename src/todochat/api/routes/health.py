"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

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
    try:
        async with app_sessionmaker(request)() as session:
            current = await session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as error:
        return JSONResponse(
            {"error": "not_ready", "detail": f"Database unreachable: {type(error).__name__}"}, 503
        )
    if current != expected:
        return JSONResponse(
            {
                "error": "not_ready",
                "detail": f"Schema at {current}, expected {expected}: run 'todochat db upgrade'.",
            },
            503,
        )
    return {"status": "ready", "schema": current}
