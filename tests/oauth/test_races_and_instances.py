"""OAuth state lives in PostgreSQL: two instances behind one public URL serve the steps of one
flow in turn, a code or refresh token used twice at the same moment works once, and an
expired code is refused."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from tests.factories import signup
from tests.oauth.flow import (
    Pkce,
    authorization_code,
    connect,
    consent_handle,
    decide,
    exchange,
    query,
    refresh,
    register,
)
from tests.servers import Server, running_server

pytestmark = pytest.mark.slow

MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
PUBLIC_URL = "https://todo.example.com"


async def list_tasks(http: httpx.AsyncClient, token: str) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_tasks"}}
    return await http.post(
        "/mcp/", json=body, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[list[Server]]:
    """Two instances on one database, known to clients by one public URL."""
    env = {"DATABASE_URL": database_url, "TODOCHAT_PUBLIC_URL": PUBLIC_URL}
    logs = tmp_path_factory.mktemp("pair")
    with running_server(logs, env) as first, running_server(logs, env) as second:
        yield [first, second]


async def test_each_step_on_another_instance(pair: list[Server]) -> None:
    first, second = pair
    async with (
        httpx.AsyncClient(base_url=first.base_url, timeout=30) as one,
        httpx.AsyncClient(base_url=second.base_url, timeout=30) as two,
    ):
        account = await signup(one)
        client = await register(one)
        pkce = Pkce.new()
        handle = await consent_handle(
            two, client["client_id"], pkce, state="s", resource=f"{PUBLIC_URL}/mcp"
        )
        redirect = await decide(one, account, handle, "allow")
        values = query(redirect)
        assert values["iss"] == PUBLIC_URL
        tokens = await exchange(two, client["client_id"], values["code"], pkce.verifier)
        assert tokens.status_code == 200, tokens.text
        assert (await list_tasks(one, tokens.json()["access_token"])).status_code == 200
        rotated = await refresh(one, client["client_id"], tokens.json()["refresh_token"])
        assert rotated.status_code == 200
        assert (await list_tasks(two, rotated.json()["access_token"])).status_code == 200
        metadata = (await two.get("/.well-known/oauth-protected-resource/mcp")).json()
        assert metadata["resource"] == f"{PUBLIC_URL}/mcp"


async def test_a_refresh_token_used_twice_at_once_works_once_and_ends_the_grant(
    http: httpx.AsyncClient,
) -> None:
    account = await signup(http)
    tokens = await connect(http, account)
    answers = await asyncio.gather(
        *(refresh(http, tokens["client_id"], tokens["refresh_token"]) for _ in range(2))
    )
    assert sorted(answer.status_code for answer in answers) == [200, 400]
    [winner] = [answer.json() for answer in answers if answer.status_code == 200]
    # The loser was a reuse: the family, the winner's new tokens included, is revoked.
    assert (await list_tasks(http, winner["access_token"])).status_code == 401
    again = await refresh(http, tokens["client_id"], winner["refresh_token"])
    assert again.json()["error"] == "invalid_grant"


async def test_a_code_exchanged_twice_at_once_works_once(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    client = await register(http)
    pkce = Pkce.new()
    code = await authorization_code(http, account, client["client_id"], pkce)
    answers = await asyncio.gather(
        *(exchange(http, client["client_id"], code, pkce.verifier) for _ in range(2))
    )
    assert sorted(answer.status_code for answer in answers) == [200, 400]
    [winner] = [answer.json() for answer in answers if answer.status_code == 200]
    assert (await list_tasks(http, winner["access_token"])).status_code == 401


async def test_an_expired_code_is_refused(http: httpx.AsyncClient, database_url: str) -> None:
    account = await signup(http)
    client = await register(http)
    pkce = Pkce.new()
    code = await authorization_code(http, account, client["client_id"], pkce)
    # Sixty seconds pass (the code's lifetime), as far as the database knows.
    connection = await asyncpg.connect(database_url)
    try:
        changed = await connection.execute(
            "UPDATE oauth_authorization SET expires_at = now() - interval '1 second' "
            "WHERE code_hash = $1",
            hashlib.sha256(code.encode()).hexdigest(),
        )
    finally:
        await connection.close()
    assert changed == "UPDATE 1"
    late = await exchange(http, client["client_id"], code, pkce.verifier)
    assert late.status_code == 400
    assert late.json() == {
        "error": "invalid_grant",
        "error_description": "authorization code has expired",
    }
