"""Database outages seen by clients: a reset or a partition between a real server and
PostgreSQL gives prompt 503s with Retry-After, never a hang or a dropped connection, and the
server recovers by itself (issue 12, item 4)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD, Account, add_task, signup
from tests.reliability.conftest import task_titles
from tests.reliability.db_proxy import DatabaseProxy, database_proxy
from tests.reliability.slow_model import SlowModel, slow_model
from tests.servers import Server, running_server

pytestmark = pytest.mark.slow

# Short timeouts so that the test's outages are short too; the defaults are 5, 10 and 2 s.
TIMEOUTS = {
    "TODOCHAT_DATABASE_CONNECT_TIMEOUT": "1",
    "TODOCHAT_DATABASE_COMMAND_TIMEOUT": "2",
    "TODOCHAT_READINESS_TIMEOUT": "1",
    "TODOCHAT_DATABASE_POOL_TIMEOUT": "1.5",
    "TODOCHAT_TURN_CLAIM_SECONDS": "3",
}
# The slowest a refusal may be: a statement's timeout, then a fresh connection's.
PROMPT = 6.0
MODEL_REPLY_SECONDS = 2.0


@pytest.fixture(scope="module")
def model() -> Iterator[SlowModel]:
    """A remote model whose text replies take a while (so a turn can be cut mid-way)."""
    with slow_model() as slow:
        yield slow


@pytest.fixture(scope="module")
def proxy(database_url: str) -> Iterator[DatabaseProxy]:
    """The proxy every connection of this module's server goes through."""
    with database_proxy(database_url) as running:
        yield running


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    proxy: DatabaseProxy,
    model: SlowModel,
) -> Iterator[Server]:
    """A real server whose database is behind the proxy."""
    env = {"DATABASE_URL": proxy.url(database_url), **model.env(), **TIMEOUTS}
    with running_server(tmp_path_factory.mktemp("outage"), env) as srv:
        yield srv


@pytest.fixture
async def http(server: Server, proxy: DatabaseProxy) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the server; the database is reachable again after each test."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        try:
            yield client
        finally:
            proxy.restore()
            await _until_ready(client)


async def _until_ready(http: httpx.AsyncClient, within: float = 20) -> float:
    """Seconds until /readyz says 200 again."""
    started = time.monotonic()
    while (await http.get("/readyz")).status_code != 200:
        assert time.monotonic() - started < within, "the server did not recover by itself"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def _requests(account: Account, conversation_id: int) -> list[tuple[str, str, Any]]:
    """One of each kind of request that needs the database."""
    return [
        ("GET", account.url("/tasks"), None),
        ("POST", account.url("/tasks"), {"title": "during the outage"}),
        ("GET", account.url("/conversations"), None),
        ("GET", account.url(f"/conversations/{conversation_id}"), None),
        ("POST", account.url("/chat"), {"message": "hello", "conversation_id": conversation_id}),
        ("POST", account.url("/chat/stream"), {"message": "hello"}),
        ("GET", "/api/auth/me", None),
        ("POST", "/api/auth/login", {"email": account.email, "password": PASSWORD}),
        (
            "POST",
            "/api/auth/signup",
            {"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD},
        ),
        ("GET", "/readyz", None),
    ]


async def _assert_refused_promptly(
    http: httpx.AsyncClient, account: Account, conversation_id: int
) -> None:
    """Every request gets a 503 with Retry-After and a detail, in bounded time, all at once."""

    async def one(method: str, path: str, body: Any) -> tuple[str, float, httpx.Response]:
        started = time.monotonic()
        response = await http.request(method, path, json=body, headers=account.headers)
        return path, time.monotonic() - started, response

    answers = await asyncio.gather(
        *(one(*request) for request in _requests(account, conversation_id))
    )
    for path, seconds, response in answers:
        assert response.status_code == 503, (path, response.status_code, response.text)
        assert int(response.headers["retry-after"]) >= 1, path
        body = response.json()
        assert body["error"] in {"database_unavailable", "not_ready", "service_busy"}, body
        assert body["detail"], body
        assert seconds < PROMPT, (path, seconds)


async def _assert_working(http: httpx.AsyncClient, account: Account, conversation_id: int) -> None:
    for method, path, body in _requests(account, conversation_id):
        response = await http.request(method, path, json=body, headers=account.headers)
        assert response.status_code in {200, 201}, (path, response.status_code, response.text)


async def _account_with_conversation(http: httpx.AsyncClient) -> tuple[Account, int]:
    account = await signup(http)
    await add_task(http, account, title="before the outage")
    turn = await http.post(account.url("/chat"), json={"message": "hi"}, headers=account.headers)
    assert turn.status_code == 200, turn.text
    return account, turn.json()["conversation_id"]


async def test_a_reset_database_gives_503_and_the_server_recovers(
    http: httpx.AsyncClient, proxy: DatabaseProxy
) -> None:
    account, conversation_id = await _account_with_conversation(http)
    proxy.reset()
    await _assert_refused_promptly(http, account, conversation_id)
    assert (await http.get("/healthz")).status_code == 200
    proxy.restore()
    await _until_ready(http)
    await _assert_working(http, account, conversation_id)
    assert "before the outage" in await task_titles(http, account)


async def test_a_partitioned_database_gives_503_in_bounded_time(
    http: httpx.AsyncClient, proxy: DatabaseProxy
) -> None:
    account, conversation_id = await _account_with_conversation(http)
    proxy.partition()
    started = time.monotonic()
    ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert time.monotonic() - started < 1 + 1.5  # TODOCHAT_READINESS_TIMEOUT, and slack
    assert "no answer within 1 s" in ready.json()["detail"]
    started = time.monotonic()
    assert (await http.get("/healthz")).status_code == 200
    assert time.monotonic() - started < 1
    await _assert_refused_promptly(http, account, conversation_id)
    proxy.restore()
    await _until_ready(http)
    await _assert_working(http, account, conversation_id)


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
async def test_a_turn_cut_after_a_tool_ran_says_so_and_a_keyed_retry_finishes_it(
    http: httpx.AsyncClient, proxy: DatabaseProxy, model: SlowModel, streamed: bool
) -> None:
    account = await signup(http)
    key = {"Idempotency-Key": f"outage-{uuid.uuid4()}", **account.headers}
    path = account.url("/chat/stream" if streamed else "/chat")
    body = {"message": f"add milk {uuid.uuid4().hex[:6]}"}
    asked = len(model.requests)
    model.reply_delay = MODEL_REPLY_SECONDS
    try:
        turn = asyncio.create_task(http.post(path, json=body, headers=key))
        # The model asked for add_task, the tool ran, and the model is writing its reply.
        await asyncio.to_thread(model.wait_for_requests, asked + 2)
        proxy.reset()
        response = await turn
    finally:
        model.reply_delay = 0
    if streamed:
        assert response.status_code == 200
        event, data = _last_event(response.text)
        assert event == "error"
    else:
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) >= 1
        data = response.json()
    assert data["error"] == "database_unavailable"
    assert "1 tool call" in data["detail"]
    assert "Idempotency-Key" in data["detail"]
    assert isinstance(data["conversation_id"], int)

    proxy.restore()
    await _until_ready(http)
    deadline = time.monotonic() + 15
    while (retry := await http.post(path, json=body, headers=key)).status_code == 409:
        assert time.monotonic() < deadline, retry.text  # the cut turn's lock lapses
        await asyncio.sleep(0.3)
    assert retry.status_code == 200, retry.text
    if streamed:
        assert _last_event(retry.text)[0] == "done"
    assert (await task_titles(http, account)).count(body["message"][4:]) == 1


def _last_event(stream: str) -> tuple[str, dict[str, Any]]:
    """The name and data of a Server-Sent Events stream's last event."""
    # Any SSE line ending; keep-alive comments (": ping") are frames with no event.
    lines = stream.replace("\r\n", "\n").replace("\r", "\n")
    frames = [
        [line for line in frame.splitlines() if line and not line.startswith(":")]
        for frame in lines.split("\n\n")
    ]
    last = [frame for frame in frames if frame][-1]
    fields = dict(line.split(": ", 1) for line in last)
    return fields["event"], json.loads(fields["data"])
