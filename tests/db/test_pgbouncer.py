"""The whole app works through PgBouncer in transaction mode (how Neon's pooled URLs behave)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TEST_SECRET, require_tool, running_lifespan
from tests.factories import Account, signup
from tests.servers import free_port
from todochat.api.app import create_app
from todochat.config import Settings

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@pytest.fixture(scope="module")
def pooled_url(database_url: str) -> Iterator[str]:
    """A URL to the session database through a PgBouncer in transaction-pooling mode."""
    require_tool(PGBOUNCER, "apt-get install pgbouncer")
    target = make_url(database_url)
    host = target.query.get("host") or target.host
    # Not under pytest's tmp dir: PgBouncer runs as `postgres`, who cannot enter root's folders.
    folder = Path(tempfile.mkdtemp(prefix="todochat-pgbouncer-"))
    folder.chmod(0o777)
    port = free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(
        f"""[databases]
* = host={host} port={target.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = 2
ignore_startup_parameters = extra_float_digits,application_name
logfile = {folder / "pgbouncer.log"}
"""
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    command = [PGBOUNCER, str(config)]
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root; -u drops to a user who can reach the server (the
        # embedded server's socket directory belongs to the user it runs as).
        command[1:1] = ["-u", "embedded_postgres" if str(host).startswith("/") else "postgres"]
    # Debian 12's PgBouncer (1.18) has no prepared-statement support at all: the client copes.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = folder / "pgbouncer.log"
                output = log.read_text() if log.exists() else ""
                raise RuntimeError(f"pgbouncer did not start: {output}") from None
            time.sleep(0.05)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/{target.database}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def pooled_client(pooled_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app connected through PgBouncer, with the PgBouncer-safe engine settings."""
    settings = Settings(
        database_url=pooled_url,
        database_pooled=True,
        secret_key=TEST_SECRET,
        signups_per_address=100_000_000,  # the session's other tests sign up from 127.0.0.1 too
    )
    async with running_lifespan(create_app(settings)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_tasks_and_chat_through_pgbouncer(pooled_client: httpx.AsyncClient) -> None:
    accounts = [await signup(pooled_client) for _ in range(4)]

    async def work(account: Account, round_: int) -> None:
        created = await pooled_client.post(
            account.url("/tasks"), json={"title": f"Pooled {round_}"}, headers=account.headers
        )
        assert created.status_code == 201, created.text
        listing = await pooled_client.get(account.url("/tasks"), headers=account.headers)
        assert listing.status_code == 200, listing.text

    # Many client connections over 2 server connections: statements prepared on one server
    # connection are looked up on another, and names would collide, without the pooled settings.
    for round_ in range(3):
        await asyncio.gather(*(work(account, round_) for account in accounts))
    for account in accounts:
        listing = await pooled_client.get(account.url("/tasks"), headers=account.headers)
        assert listing.json()["total"] == 3
    reply = await pooled_client.post(
        accounts[0].url("/chat"),
        json={"message": "add a task to buy milk"},
        headers=accounts[0].headers,
    )
    assert reply.status_code == 200, reply.text
    assert [call["name"] for call in reply.json()["tool_calls"]] == ["add_task"]
