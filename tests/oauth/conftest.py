"""One real server for the OAuth tests, and HTTP clients on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.servers import Server, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    """A real `todochat serve` for the module."""
    with running_server(tmp_path_factory.mktemp("oauth"), {"DATABASE_URL": database_url}) as srv:
        yield srv


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client on the real server (redirects not followed)."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        yield client
