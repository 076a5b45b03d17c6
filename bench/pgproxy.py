"""A TCP proxy in front of PostgreSQL that counts round trips: what actually crosses the wire.

Each client→server ``Sync`` (extended protocol) or ``Query`` (simple protocol) message ends a
batch the client then waits on, and the server answers each with exactly one
``ReadyForQuery``; so ``ReadyForQuery`` messages seen server→client are the number of
round trips. This counts BEGIN/COMMIT (asyncpg sends them as simple queries), the prepare
round trip of a statement new to a connection, and connection setup — everything the ORM
hides. SSL cannot be parsed, so the server must run without it (``SHOW ssl`` → off) or the
client must not ask for it; an ``SSLRequest`` is answered by the server and passed through.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections import Counter
from dataclasses import dataclass, field

_SSL_REQUEST = 80877103
_GSS_REQUEST = 80877104
_CANCEL_REQUEST = 80877102


@dataclass
class Counts:
    """What crossed the proxy since the last reset."""

    round_trips: int = 0  # server ReadyForQuery messages
    client_messages: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    # With record_sql: each statement executed (simple Query or Bind of a prepared one), in order.
    statements: list[str] = field(default_factory=list)

    def snapshot(self) -> Counts:
        """A copy, for differences."""
        return Counts(
            self.round_trips, Counter(self.client_messages), self.connections, list(self.statements)
        )

    def minus(self, earlier: Counts) -> Counts:
        """What happened between `earlier` and now."""
        return Counts(
            self.round_trips - earlier.round_trips,
            self.client_messages - earlier.client_messages,
            self.connections - earlier.connections,
        )


class PgProxy:
    """Listens on 127.0.0.1:<port> and forwards to PostgreSQL, counting protocol messages."""

    def __init__(self, upstream_host: str, upstream_port: int, record_sql: bool = False) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.record_sql = record_sql
        self.counts = Counts()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, port: int = 0) -> int:
        """Start listening; returns the port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and cut every connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    def reset(self) -> None:
        """Start counting from zero."""
        self.counts = Counts()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counts.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        for pump in (
            self._client_to_server(reader, up_writer),
            self._server_to_client(up_reader, writer),
        ):
            task = asyncio.create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _client_to_server(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            # Untyped startup packets first: SSL/GSS requests (answered by one byte), then the
            # startup message; after it, every message is type byte + length.
            while True:
                header = await reader.readexactly(8)
                length, code = struct.unpack("!ii", header)
                body = await reader.readexactly(length - 8)
                writer.write(header + body)
                await writer.drain()
                if code not in (_SSL_REQUEST, _GSS_REQUEST):
                    break
            if code == _CANCEL_REQUEST:
                return
            prepared: dict[bytes, str] = {}  # this connection's statement name -> SQL
            while True:
                header = await reader.readexactly(5)
                kind = chr(header[0])
                length = struct.unpack("!i", header[1:])[0]
                body = await reader.readexactly(length - 4)
                self.counts.client_messages[kind] += 1
                if self.record_sql:
                    self._record(kind, body, prepared)
                writer.write(header + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _record(self, kind: str, body: bytes, prepared: dict[bytes, str]) -> None:
        if kind == "Q":
            self.counts.statements.append(body.rstrip(b"\0").decode(errors="replace"))
        elif kind == "P":
            name, rest = body.split(b"\0", 1)
            prepared[name] = rest.split(b"\0", 1)[0].decode(errors="replace")
        elif kind == "B":
            statement = body.split(b"\0", 2)[1]
            self.counts.statements.append(prepared.get(statement, f"<prepared {statement!r}>"))

    async def _server_to_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            buffer = b""
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                writer.write(chunk)
                buffer += chunk
                # Parse whole messages only; a one-byte SSL answer ('N') comes before any of them.
                if buffer[:1] == b"N" and len(buffer) == 1:
                    buffer = b""
                while len(buffer) >= 5:
                    length = struct.unpack("!i", buffer[1:5])[0]
                    if len(buffer) < 1 + length:
                        break
                    if buffer[:1] == b"Z":
                        self.counts.round_trips += 1
                    buffer = buffer[1 + length :]
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
