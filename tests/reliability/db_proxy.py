"""A TCP proxy between a server and PostgreSQL that a test can cut, partition and restore.

- `reset()`: every open connection is reset (RST) and new ones are refused, as when the
  database restarts or a load balancer drops its connections.
- `partition()`: connections stay open but nothing crosses in either direction and new ones
  are never answered, as when the network between them fails silently.
- `restore()`: traffic flows again; bytes held during a partition are delivered (a healed
  network), connections reset earlier stay gone.
It runs its own event loop on a thread, so the test's loop (or a blocking call) cannot stall it.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url


class DatabaseProxy:
    """Listens on 127.0.0.1:`port` and forwards to `upstream`."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._flowing = asyncio.Event()
        self._refusing = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def url(self, database_url: str) -> str:
        """`database_url` pointed at the proxy."""
        return (
            make_url(database_url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    def start(self) -> None:
        """Start forwarding."""
        self._thread.start()
        self._call(self._start())

    def stop(self) -> None:
        """Cut everything and stop the thread."""
        self.reset()
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def reset(self) -> None:
        """Reset every connection and refuse new ones until restore()."""
        self._call(self._reset())

    def partition(self) -> None:
        """Hold every byte, in both directions and on new connections, until restore()."""
        self._call(self._partition())

    def restore(self) -> None:
        """Let traffic flow again."""
        self._call(self._restore())

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)  # type: ignore[arg-type]

    async def _start(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _reset(self) -> None:
        self._refusing = True
        self._flowing.set()
        for writer in list(self._writers):
            _abort(writer)
        self._writers.clear()

    async def _partition(self) -> None:
        self._flowing.clear()

    async def _restore(self) -> None:
        self._refusing = False
        self._flowing.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._flowing.wait()
        if self._refusing:
            _abort(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            _abort(writer)
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                await self._flowing.wait()
                if writer.is_closing():
                    break
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            self._writers.discard(writer)
            _abort(writer)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with RST (linger 0), not FIN: the peer sees a reset connection."""
    sock = writer.get_extra_info("socket")
    if sock is not None and not writer.is_closing():
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


@contextmanager
def database_proxy(database_url: str) -> Iterator[DatabaseProxy]:
    """A running proxy in front of the database of `database_url`."""
    parsed = make_url(database_url)
    proxy = DatabaseProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
