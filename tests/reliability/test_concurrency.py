"""Many turns racing on one conversation of a real server: one runs at a time, none is lost."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.factories import signup
from tests.reliability.conftest import assert_turns_well_formed, conversation_messages, task_titles

pytestmark = pytest.mark.slow

RACERS = 20


async def _send(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, Any], stream: bool
) -> tuple[int, dict[str, Any]]:
    """One turn, JSON or streamed; returns the status and the final body (or the error body)."""
    if not stream:
        response = await client.post(url, json=body, headers=headers)
        return response.status_code, response.json()
    async with client.stream("POST", f"{url}/stream", json=body, headers=headers) as response:
        raw = await response.aread()
    if response.status_code != 200:
        return response.status_code, json.loads(raw)
    frames = [frame for frame in raw.decode().split("\n\n") if frame.strip()]
    last = frames[-1].split("\n")
    assert last[0] == "event: done", frames[-1]
    return 200, json.loads(last[1].removeprefix("data: "))


async def test_twenty_concurrent_turns_on_one_conversation(http: httpx.AsyncClient) -> None:
    """Each racer gets 200 or 409 conversation_busy; the history stays whole and in order."""
    account = await signup(http)
    first = await http.post(
        account.url("/chat"),
        json={"message": "add a task to plan the race"},
        headers=account.headers,
    )
    assert first.status_code == 200, first.text
    conversation_id = first.json()["conversation_id"]

    bodies = [
        {"conversation_id": conversation_id, "message": f"add a task to buy racer {n}"}
        for n in range(RACERS)
    ]
    results = await asyncio.gather(
        *(
            _send(http, account.url("/chat"), account.headers, body, stream=n % 2 == 1)
            for n, body in enumerate(bodies)
        )
    )

    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 409}, results
    assert 200 in statuses
    assert 409 in statuses  # the racers did overlap
    for status, body in results:
        if status == 409:
            assert body["error"] == "conversation_busy", body
            assert body["detail"]
        else:
            assert body["conversation_id"] == conversation_id
    won = [bodies[n]["message"] for n, (status, _) in enumerate(results) if status == 200]

    messages = await conversation_messages(http, account, conversation_id)
    assert_turns_well_formed(messages)
    user_messages = [message["content"] for message in messages if message["role"] == "user"]
    # Exactly the accepted turns were stored (a 409 stores nothing), each once.
    assert sorted(user_messages) == sorted(["add a task to plan the race", *won])
    assert all(message["error"] is None for message in messages)
    # Each accepted turn added its one task; the refused ones added none.
    expected = ["plan the race", *(message.removeprefix("add a task to ") for message in won)]
    assert sorted(await task_titles(http, account)) == sorted(
        title.capitalize() for title in expected
    )


async def test_a_turn_after_the_race_is_accepted(http: httpx.AsyncClient) -> None:
    """Claims are released: once the racers are done, the conversation takes a new turn."""
    account = await signup(http)
    first = await http.post(
        account.url("/chat"), json={"message": "hello"}, headers=account.headers
    )
    conversation_id = first.json()["conversation_id"]
    body = {"conversation_id": conversation_id, "message": "what's pending?"}
    results = await asyncio.gather(
        *(http.post(account.url("/chat"), json=body, headers=account.headers) for _ in range(5))
    )
    assert {response.status_code for response in results} <= {200, 409}
    accepted = sum(response.status_code == 200 for response in results)
    after = await http.post(account.url("/chat"), json=body, headers=account.headers)
    assert after.status_code == 200, after.text
    messages = await conversation_messages(http, account, conversation_id)
    assert_turns_well_formed(messages)
    assert len(messages) == 2 * (1 + accepted + 1)
