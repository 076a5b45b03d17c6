"""ASGI middleware: the request body size limit and the Server-Timing header."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todochat.timing import server_timing, start_timing


class BodyTooLarge(Exception):
    """The client sent more than the limit."""


class BodySizeLimit:
    """Answer 413 to requests whose body exceeds `max_bytes` (declared or actually sent), or the
    limit `larger` gives for paths ending in one of its keys (file uploads)."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple((larger or {}).items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        max_bytes = next(
            (limit for suffix, limit in self.larger if path.endswith(suffix)), self.max_bytes
        )
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._reject(send, max_bytes)
            return
        received = 0
        started = False
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            # Whatever the app answers about a body it could not read (FastAPI turns the error
            # into a 400, the MCP transport into a 500), the client gets the 413 instead.
            if too_large:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            # Also an ExceptionGroup wrapping BodyTooLarge, from apps that read in a task group.
            if not too_large:
                raise
        if too_large and not started:
            await self._reject(send, max_bytes)

    async def _reject(self, send: Send, max_bytes: int) -> None:
        body = json.dumps(
            {
                "error": "payload_too_large",
                "detail": f"The request body is larger than {max_bytes} bytes.",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class ServerTiming:
    """Add a Server-Timing header listing the phases the request went through (auth, ...)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        phases = start_timing()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start" and phases:
                headers = [
                    *message.get("headers", []),
                    (b"server-timing", server_timing(phases).encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)
