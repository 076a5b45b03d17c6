"""A wrong setting is one line on stderr naming it, what is wrong and the fix; never a secret.

Each test runs the real `todochat` command, as an operator (or Claude Desktop) would.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.servers import TODOCHAT, free_port, running_server

pytestmark = pytest.mark.slow

CONFIG_ERROR = 78
SECRET = "hunter2-but-longer"  # never to be printed


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """`todochat ARGS` with only the given settings (none inherited from this process)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TODOCHAT_", "OPENAI_"))}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [TODOCHAT, *args],
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def the_line(finished: subprocess.CompletedProcess[str], *expected: str) -> str:
    """The single stderr line, checked: exit 78, nothing else printed, no secret, each phrase."""
    assert finished.returncode == CONFIG_ERROR, finished.stderr
    assert finished.stdout == ""
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    [line] = lines
    assert line.startswith("todochat: ")
    assert SECRET not in line
    for phrase in expected:
        assert phrase in line
    return line


def with_database(url: str, name: str) -> str:
    """The same server and credentials, another database name, the secret as password."""
    return make_url(url).set(database=name, password=SECRET).render_as_string(hide_password=False)


async def migrated(url: str) -> bool:
    """Whether anything created the schema (the check must come before migrations)."""
    parsed = make_url(url)
    connection = await asyncpg.connect(
        user=parsed.username,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database=parsed.database,
    )
    try:
        return bool(await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"))
    finally:
        await connection.close()


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_unreachable_database(server_url: str) -> None:
    url = make_url(server_url).set(host="127.0.0.1", port=free_port(), password=SECRET)
    finished = run(["serve"], DATABASE_URL=url.render_as_string(hide_password=False))
    the_line(finished, "DATABASE_URL", f"cannot reach PostgreSQL at 127.0.0.1:{url.port}")
    assert "Connection refused" in finished.stderr


def test_missing_database(server_url: str) -> None:
    finished = run(["db", "upgrade"], DATABASE_URL=with_database(server_url, "no_such_todochat"))
    the_line(finished, "DATABASE_URL", "'no_such_todochat', which does not exist", "createdb")


@pytest.mark.parametrize("url", ["not a url", f"mysql://root:{SECRET}@localhost/todo"])
def test_bad_database_url(url: str) -> None:
    the_line(run(["serve"], DATABASE_URL=url), "DATABASE_URL is not a PostgreSQL URL")


async def test_unknown_model_is_refused_before_migrations(empty_database_url: str) -> None:
    finished = run(["serve"], DATABASE_URL=empty_database_url, TODOCHAT_MODEL="garbage")
    the_line(finished, "TODOCHAT_MODEL='garbage' is not a model", "'offline'")
    assert not await migrated(empty_database_url)


async def test_short_secret_is_named_never_printed(empty_database_url: str) -> None:
    finished = run(["serve"], DATABASE_URL=empty_database_url, TODOCHAT_SECRET_KEY=SECRET)
    the_line(finished, "TODOCHAT_SECRET_KEY", "at least 32 characters")
    assert not await migrated(empty_database_url)


async def test_port_in_use_before_startup(empty_database_url: str, listening_port: int) -> None:
    finished = run(["serve", "--port", str(listening_port)], DATABASE_URL=empty_database_url)
    the_line(finished, f"--port {listening_port}", "Address already in use", "choose another port")
    assert not await migrated(empty_database_url)


def test_mcp_without_a_database(server_url: str) -> None:
    finished = run(
        ["mcp", "--user", "me@example.com"], DATABASE_URL=with_database(server_url, "no_such_db")
    )
    the_line(finished, "DATABASE_URL", "'no_such_db', which does not exist")


def test_mcp_on_an_unmigrated_database(empty_database_url: str) -> None:
    finished = run(["mcp", "--user", "me@example.com"], DATABASE_URL=empty_database_url)
    the_line(finished, "has no todochat tables", "todochat db upgrade")


def test_base_url_without_v1_gets_a_hint(database_url: str, tmp_path: object) -> None:
    base_url = f"http://127.0.0.1:{free_port()}"
    env = {
        "DATABASE_URL": database_url,
        "TODOCHAT_MODEL": "compatible:llama3",
        "OPENAI_BASE_URL": base_url,
    }
    with running_server(tmp_path, env) as server:  # type: ignore[arg-type]
        output = server.output()
    assert f"OPENAI_BASE_URL={base_url} has no /v1" in output
    assert f"try OPENAI_BASE_URL={base_url}/v1" in output
