"""Translate every failure into `{"error": code, "detail": text}` with the right status."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from todochat.db.outage import is_outage
from todochat.errors import DatabaseUnavailable, TodochatError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}

# PostgreSQL "data exception" states that mean a value the client sent cannot be stored: a NUL
# character in text (22021, 22P05) or a number beyond 64 bits (22003, and 22000 when asyncpg
# refuses to encode the argument). Any other database error is ours: a 500.
_UNSTORABLE_VALUE_STATES = {"22000", "22003", "22021", "22P05"}


class ErrorRead(BaseModel):
    """The one error shape of the API."""

    error: str
    detail: str


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the error answers a route can give, all in the one error shape."""
    return {
        code: {"model": ErrorRead, "description": HTTPStatus(code).phrase} for code in status_codes
    }


def error_body(code: str, detail: str) -> dict[str, str]:
    """The one error shape of the API."""
    return {"error": code, "detail": detail}


def describe_validation(errors: list[Any]) -> str:
    """Pydantic's errors as one human sentence per problem, naming the field."""
    parts = []
    for error in errors:
        if error.get("type") == "json_invalid":
            parts.append("The request body is not valid JSON.")
            continue
        location = [
            str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")
        ]
        field = ".".join(location)
        message = str(error.get("msg", "is invalid"))
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts) or "Invalid request."


def _unreadable_json(error: HTTPException) -> str | None:
    """Why a body is syntactically JSON yet cannot be read, or None for any other HTTP error.

    FastAPI answers 400 "There was an error parsing the body" for whatever `json.loads` raises
    besides a syntax error: an integer beyond Python's 4300-digit limit (ValueError) or nesting
    deeper than the parser's recursion limit (RecursionError). Both are malformed input (422);
    a body that is not UTF-8 (UnicodeDecodeError, also a ValueError) stays 400.
    """
    cause = error.__cause__
    if error.status_code != 400 or isinstance(cause, UnicodeDecodeError):
        return None
    if isinstance(cause, RecursionError):
        return "The request body is nested too deeply to read."
    if isinstance(cause, ValueError):
        # json.loads refuses integers of more than sys.get_int_max_str_digits() digits.
        return "The request body holds a number too long to read (numbers must fit in 64 bits)."
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the same shape."""

    @app.exception_handler(TodochatError)
    async def domain_error(request: Request, error: TodochatError) -> JSONResponse:
        retry_after = getattr(error, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        body: dict[str, Any] = error_body(error.code, error.message)
        conversation_id = getattr(error, "conversation_id", None)
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        return JSONResponse(body, error.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body("validation_error", describe_validation(list(error.errors()))), 422
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        unreadable = _unreadable_json(error)
        if unreadable is not None:
            return JSONResponse(error_body("validation_error", unreadable), 422)
        code = _HTTP_CODES.get(error.status_code, "error")
        return JSONResponse(
            error_body(code, str(error.detail)),
            error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "Something went wrong on our side."), 500)

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(request: Request, error: PoolTimeout) -> JSONResponse:
        # Every pooled connection stayed busy for TODOCHAT_DATABASE_POOL_TIMEOUT seconds.
        log.warning("no database connection free for %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("service_busy", "The service is busy right now; try again shortly."),
            503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, error: DBAPIError) -> JSONResponse:
        if getattr(error.orig, "sqlstate", None) in _UNSTORABLE_VALUE_STATES:
            detail = (
                "A value in the request cannot be stored: text must not contain NUL characters "
                "and numbers must fit in 64 bits."
            )
            return JSONResponse(error_body("validation_error", detail), 422)
        return await database_outage(request, error)

    # asyncpg raises these unwrapped: OSError when a connection is refused or reset, and
    # TimeoutError (an OSError) when connecting or a statement takes too long.
    @app.exception_handler(OSError)
    @app.exception_handler(asyncpg.PostgresError)
    @app.exception_handler(asyncpg.InterfaceError)
    async def database_outage(request: Request, error: Exception) -> JSONResponse:
        if not is_outage(error):
            return await unexpected_error(request, error)
        # An outage fails many requests at once: one line each, no traceback.
        log.warning(
            "database unavailable for %s %s: %s: %s",
            request.method,
            request.url.path,
            type(error).__name__,
            error,
        )
        return await domain_error(request, DatabaseUnavailable())
