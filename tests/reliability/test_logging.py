"""The application owns logging: a logged exception costs the request that raised it little, and
never stalls the event loop for everyone else (issue 12, item 1)."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import Account, signup
from tests.servers import Server, running_server

pytestmark = pytest.mark.slow

MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
# PostgreSQL cannot store a NUL character: the tool's INSERT fails inside the MCP SDK, which
# logs the unexpected exception with its whole traceback (SQLAlchemy and asyncpg frames).
FAILING = {"title": "broken\x00title"}


def _add_task(arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "add_task", "arguments": arguments},
    }


async def _timed_call(
    http: httpx.AsyncClient, account: Account, arguments: dict[str, Any]
) -> tuple[float, bool]:
    """Seconds one MCP add_task took, and whether it failed."""
    started = time.perf_counter()
    response = await http.post(
        "/mcp/", json=_add_task(arguments), headers={**MCP_HEADERS, **account.headers}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed, bool(response.json()["result"]["isError"])


async def _healthz_stall(http: httpx.AsyncClient, burst: list[Any]) -> float:
    """The slowest /healthz answer while `burst` (coroutines) runs."""
    done = asyncio.Event()
    slowest = 0.0

    async def probe() -> None:
        nonlocal slowest
        while not done.is_set():
            started = time.perf_counter()
            assert (await http.get("/healthz")).status_code == 200
            slowest = max(slowest, time.perf_counter() - started)
            await asyncio.sleep(0.02)

    prober = asyncio.create_task(probe())
    await asyncio.gather(*burst)
    done.set()
    await prober
    return slowest


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Any:
    """A server of its own, so its log holds only this module's requests."""
    with running_server(
        tmp_path_factory.mktemp("logging"), {"DATABASE_URL": database_url}
    ) as server:
        yield server


@pytest.fixture
async def http(plain_server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on this module's server."""
    async with httpx.AsyncClient(base_url=plain_server.base_url, timeout=120) as client:
        yield client


async def test_a_logged_exception_costs_about_what_a_normal_request_does(
    plain_server: Server, http: httpx.AsyncClient
) -> None:
    account = await signup(http)
    await _timed_call(http, account, {"title": "warm up"})
    normal, failing = [], []
    for n in range(7):
        elapsed, failed = await _timed_call(http, account, {"title": f"normal {n}"})
        assert not failed
        normal.append(elapsed)
        elapsed, failed = await _timed_call(http, account, FAILING)
        assert failed
        failing.append(elapsed)
    # The failure really was logged with its traceback (else this test proves nothing).
    await _wait_for_log(plain_server, "Traceback", 7)
    # Before: 1.5-7 s per failure (a rich traceback rendered on the loop) against ~20 ms.
    ratio = statistics.median(failing) / statistics.median(normal)
    assert ratio < 4, (statistics.median(failing), statistics.median(normal))


async def test_healthz_answers_during_a_burst_of_failures(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    await _timed_call(http, account, {"title": "warm up"})
    calm = await _healthz_stall(
        http, [_timed_call(http, account, {"title": f"ok {n}"}) for n in range(20)]
    )
    stormy = await _healthz_stall(http, [_timed_call(http, account, FAILING) for _ in range(20)])
    # The loop is as busy serving 20 failing calls as 20 good ones: no rendering stalls it.
    assert stormy < max(4 * calm, 1.0), (stormy, calm)


async def _wait_for_log(server: Server, text: str, count: int) -> str:
    """The server's log once `text` appears `count` times (the writer thread lags a little)."""
    deadline = time.monotonic() + 10
    while (output := server.output()).count(text) < count:
        assert time.monotonic() < deadline, output[-3000:]
        await asyncio.sleep(0.05)
    return output


async def test_logs_are_json_lines_when_asked(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "TODOCHAT_LOG_FORMAT": "json"}
    with running_server(tmp_path, env, args=("--access-log",)) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
            account = await signup(client)
            _, failed = await _timed_call(client, account, FAILING)
            assert failed
            output = await _wait_for_log(server, '"exception"', 1)
        server.stop()
        output = server.output()
    entries = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    failures = [entry for entry in entries if "exception" in entry]
    assert failures[0]["level"] == "ERROR"
    assert "Traceback" in failures[0]["exception"]
    assert "CharacterNotInRepertoireError" in failures[0]["exception"]
    assert any(entry["logger"] == "uvicorn.access" for entry in entries)


def test_building_the_mcp_server_leaves_the_root_logger_alone() -> None:
    code = (
        "import logging\n"
        "from todochat.mcp.server import build_mcp, identify_bound\n"
        "build_mcp(None, identify_bound)\n"
        "root = logging.getLogger()\n"
        "print(len(root.handlers), root.level)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["0", str(30)]
