"""A real HTTP server on 127.0.0.1 that records what it receives and answers as scripted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Received:
    """One request as it arrived on the wire."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request with the next scripted status (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    hang: bool = False
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        """Where to send webhooks."""
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read one HTTP/1.1 request, record it, answer it, close."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in lines:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(method, path, headers, body))
            if self.hang:
                await asyncio.sleep(30)
            index = min(len(self.requests) - 1, len(self.statuses) - 1)
            writer.write(
                f"HTTP/1.1 {self.statuses[index]} X\r\ncontent-length: 0\r\n"
                "connection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def receiving(
    statuses: list[int] | None = None, hang: bool = False
) -> AsyncIterator[Receiver]:
    """A receiver listening on a free port of 127.0.0.1 for the with-block."""
    receiver = Receiver(statuses or [200], hang)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()
