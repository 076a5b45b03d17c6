"""Slow and idle clients cannot exhaust a worker (issue 12, item 8): headers are due within a
deadline, connections beyond the limit get a quick 503, and open streams hold no database
connection."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.factories import Account, add_task, signup
from tests.reliability.slow_model import SlowModel, slow_model
from tests.servers import Server, running_server

pytestmark = pytest.mark.slow

HEADER_TIMEOUT = 1.0
MAX_CONNECTIONS = 40
POOL_SIZE = 2
MODEL_REPLY_SECONDS = 4.0


@pytest.fixture(scope="module")
def model() -> Iterator[SlowModel]:
    """A remote model that takes its time, so streamed turns stay open."""
    with slow_model() as slow:
        yield slow


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, model: SlowModel
) -> Iterator[Server]:
    """A server with a short header deadline, few connections and a tiny database pool."""
    env = {
        "DATABASE_URL": database_url,
        **model.env(),
        "TODOCHAT_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "TODOCHAT_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "TODOCHAT_DATABASE_POOL_SIZE": str(POOL_SIZE),
        "TODOCHAT_DATABASE_POOL_TIMEOUT": "2",
    }
    with running_server(tmp_path_factory.mktemp("slow-clients"), env) as srv:
        yield srv


def _connect(server: Server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _read_until_closed(sock: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes the connection (fails after `within` s)."""
    sock.settimeout(within)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_trickled_or_missing_headers_are_cut_off(server: Server) -> None:
    with ExitStack() as stack:
        silent = [stack.enter_context(_connect(server)) for _ in range(10)]
        trickling = [stack.enter_context(_connect(server)) for _ in range(10)]
        for sock in trickling:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        started = time.monotonic()
        # Legitimate requests are served meanwhile.
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        for sock in silent + trickling:
            answer = _read_until_closed(sock, within=HEADER_TIMEOUT + 5)
            assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert time.monotonic() - started < HEADER_TIMEOUT + 5


def test_a_keep_alive_connection_still_works_across_requests(server: Server) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            time.sleep(HEADER_TIMEOUT * 1.5)  # idle between requests is not a slow header


def test_oversized_headers_are_refused(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            for _ in range(80):
                sock.sendall(b"X-Padding: " + b"a" * 1000 + b"\r\n")
        except OSError:
            pass  # the server may close while we still send
        answer = _read_until_closed(sock, within=5)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]


def test_connections_beyond_the_limit_get_503(server: Server) -> None:
    with ExitStack() as stack:
        for _ in range(MAX_CONNECTIONS):
            stack.enter_context(_connect(server))
        response = httpx.get(f"{server.base_url}/healthz")
        assert response.status_code == 503
    # Once the idle ones are gone (closed here, or cut off by the header deadline) all is well.
    deadline = time.monotonic() + 10
    while httpx.get(f"{server.base_url}/healthz").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _never_read(server: Server, request: bytes) -> socket.socket:
    """Send a request and never read the answer (a receive buffer as small as allowed)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    host, port = server.base_url.removeprefix("http://").split(":")
    sock.connect((host, int(port)))
    sock.sendall(request)
    return sock


def _post(path: str, account: Account, body: bytes, accept: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {account.token}\r\n"
        f"Content-Type: application/json\r\nAccept: {accept}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def test_unread_streams_hold_no_database_connection(server: Server, model: SlowModel) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        account = await signup(http)
        await add_task(http, account, title="still reachable")
        asked = len(model.requests)
        model.reply_delay = MODEL_REPLY_SECONDS
        streams = 3 * POOL_SIZE
        try:
            with ExitStack() as stack:
                for n in range(streams):
                    body = f'{{"message": "hello {n}"}}'.encode()
                    request = _post(account.url("/chat/stream"), account, body, "text/event-stream")
                    stack.enter_context(_never_read(server, request))
                mcp = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_tasks", "arguments": {}}}'
                for _ in range(streams):
                    request = _post("/mcp/", account, mcp, "application/json, text/event-stream")
                    stack.enter_context(_never_read(server, request))
                # Every streamed turn is waiting for the model now.
                await asyncio.to_thread(model.wait_for_requests, asked + streams)
                started = time.monotonic()
                for _ in range(3):
                    listing = await http.get(account.url("/tasks"), headers=account.headers)
                    assert listing.status_code == 200, listing.text
                    created = await http.post(
                        account.url("/tasks"), json={"title": "more"}, headers=account.headers
                    )
                    assert created.status_code == 201, created.text
                # Faster than the model's reply: nothing waited for a streamed turn's connection.
                assert time.monotonic() - started < MODEL_REPLY_SECONDS
        finally:
            model.reply_delay = 0
        # The turns finished and were stored although nobody read their streams.
        deadline = time.monotonic() + 20
        while True:
            listing = await http.get(account.url("/conversations"), headers=account.headers)
            stored = [
                (
                    await http.get(
                        account.url(f"/conversations/{c['id']}"), headers=account.headers
                    )
                ).json()
                for c in listing.json()["items"]
            ]
            replies = [m for c in stored for m in c["messages"] if m["role"] == "assistant"]
            if len(replies) == streams:
                break
            assert time.monotonic() < deadline, stored
            await asyncio.sleep(0.3)
