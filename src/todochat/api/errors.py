"""Translate every failure into `{"error": code, "detail": text}` with the right status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from todochat.errors import RateLimited, TodochatError

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


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the same shape."""

    @app.exception_handler(TodochatError)
    async def domain_error(request: Request, error: TodochatError) -> JSONResponse:
        headers = (
            {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
        )
        return JSONResponse(
            error_body(error.code, error.message), error.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body("validation_error", describe_validation(list(error.errors()))), 422
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
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
