"""A small keep-alive HTTP/1.1 client for the load generator.

The load generator shares the 2 cores with the server it measures, so its own CPU per request
is taken from the server. httpx spends ~2-3 ms of CPU on each request (pool bookkeeping,
header models, its async layers); a closed-loop user needs none of that: one connection, one
request at a time, a `Content-Length` answer. This client does exactly that, at ~0.2 ms per
request, like wrk or hey would. It only has to understand `todochat serve` (uvicorn), and it
raises on anything else rather than guess.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class WireError(Exception):
    """The connection failed or the server answered something this client does not read."""


@dataclass
class Response:
    """The parts of an answer the bench reads (named like httpx's, so call sites read alike)."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.content)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.content.decode("utf-8", errors="replace")

    def raise_for_status(self) -> None:
        """Raise unless 2xx."""
        if not 200 <= self.status_code < 300:
            raise WireError(f"HTTP {self.status_code}: {self.text[:300]}")


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    async def exchange(self, request: bytes) -> Response:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            raise WireError(f"no Content-Length in the answer: {status_line}")
        body = await self.reader.readexactly(int(headers["content-length"]))
        self.idle_since = time.monotonic()
        return Response(int(status_line.split(" ", 2)[1]), headers, body)

    def close(self) -> None:
        self.writer.close()


class Client:
    """`post`/`get` with JSON on a pool of keep-alive connections (one per request in flight)."""

    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them on the
    # server: otherwise a request can race the server's close.
    IDLE_SECONDS = 2.0

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._idle: list[_Connection] = []

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    async def post(
        self, path: str, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        """POST a JSON body."""
        return await self.request("POST", path, json, headers)

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET."""
        return await self.request("GET", path, None, headers)

    async def request(
        self, method: str, path: str, body: Any, headers: Mapping[str, str] | None
    ) -> Response:
        """One request on an idle connection (or a new one); the connection is kept for reuse."""
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines += ["content-type: application/json", f"content-length: {len(payload)}"]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
        connection = self._take()
        if connection is None:
            connection = await self._open()
        try:
            response = await connection.exchange(request)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            connection.close()
            raise WireError(f"{type(error).__name__}: {error}") from error
        if response.headers.get("connection", "").lower() == "close":
            connection.close()
        else:
            self._idle.append(connection)
        return response

    def _take(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.idle_since < self.IDLE_SECONDS:
                return connection
            connection.close()
        return None

    async def _open(self) -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as error:
            raise WireError(f"cannot connect: {error}") from error
        return _Connection(reader, writer)
