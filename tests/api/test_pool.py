"""When every pooled database connection stays busy, a request gets 503, not a hang or a 500."""

from __future__ import annotations

import httpx

from tests.conftest import running_lifespan
from tests.factories import signup
from todochat.api.app import create_app
from todochat.config import Settings


async def test_a_request_that_finds_no_free_connection_gets_503(settings: Settings) -> None:
    tight = settings.model_copy(update={"database_pool_size": 1, "database_pool_timeout": 0.2})
    async with running_lifespan(create_app(tight)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            account = await signup(client)
            async with app.state.sessionmaker() as holder:
                await holder.connection()  # the pool's only connection

                busy = await client.get(account.url("/tasks"), headers=account.headers)

                assert busy.status_code == 503
                assert busy.json()["error"] == "service_busy"
                assert busy.headers["retry-after"] == "1"
            free = await client.get(account.url("/tasks"), headers=account.headers)
            assert free.status_code == 200
