"""GET /api/limits: what a client checks as the user types."""

from __future__ import annotations

import httpx


async def test_limits_need_no_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/limits")
    assert response.status_code == 200
    assert response.json() == {"max_message_chars": 4000}
