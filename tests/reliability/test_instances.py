"""Two `todochat serve` instances on one database; one is SIGKILLed in the middle of a turn."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import signup
from tests.reliability.conftest import (
    assert_turns_well_formed,
    conversation_messages,
    servers,
    task_titles,
)
from tests.reliability.slow_model import slow_model

pytestmark = pytest.mark.slow


async def send_until_accepted(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    """What a careful client does: retry a keyed turn on 409 with backoff until it is answered."""
    delay = 0.1
    deadline = time.monotonic() + 30
    while True:
        response = await client.post(url, json=body, headers=headers)
        if response.status_code != 409 or time.monotonic() > deadline:
            return response
        assert response.json()["error"] in {"idempotency_key_in_use", "conversation_busy"}
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)


async def wait_for_task(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], title: str
) -> int:
    """The id of the task once it exists (its tool call committed)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = (await client.get(url, headers=headers)).json()["items"]
        found = [task["id"] for task in items if task["title"] == title]
        if found:
            return int(found[0])
        await asyncio.sleep(0.05)
    raise TimeoutError(f"task {title!r} never appeared")


async def test_a_client_survives_an_instance_killed_mid_turn(
    database_url: str, tmp_path: Path
) -> None:
    """Alternate A/B; kill A after a tool call committed; retry on B: nothing lost or doubled."""
    with slow_model(reply_delay=0.1) as model:
        env = {"DATABASE_URL": database_url, **model.env(), "TODOCHAT_TURN_CLAIM_SECONDS": "3"}
        async with (
            servers(tmp_path, env, 2) as (a, b),
            httpx.AsyncClient(base_url=a.base_url, timeout=60) as on_a,
            httpx.AsyncClient(base_url=b.base_url, timeout=60) as on_b,
        ):
            account = await signup(on_a)
            chat = account.url("/chat")

            def keyed(key: str) -> dict[str, str]:
                return {**account.headers, "Idempotency-Key": key}

            acknowledged: list[tuple[str, dict[str, Any]]] = []
            first = await on_a.post(
                chat, json={"message": "add Pack the tent"}, headers=keyed("k1")
            )
            assert first.status_code == 200, first.text
            acknowledged.append(("add Pack the tent", first.json()))
            conversation_id = first.json()["conversation_id"]

            def body(message: str) -> dict[str, Any]:
                return {"conversation_id": conversation_id, "message": message}

            second = await on_b.post(chat, json=body("add Buy the stove"), headers=keyed("k2"))
            assert second.status_code == 200, second.text
            acknowledged.append(("add Buy the stove", second.json()))

            # Turn 3 on A: its task is added at once, then the model "thinks" for 30 s.
            model.reply_delay = 30
            in_flight = asyncio.create_task(
                on_a.post(chat, json=body("add Book the campsite"), headers=keyed("k3"))
            )
            task_id = await wait_for_task(
                on_b, account.url("/tasks"), account.headers, "Book the campsite"
            )
            assert a.stop(signal.SIGKILL) == -signal.SIGKILL
            with pytest.raises(httpx.TransportError):
                await in_flight
            model.reply_delay = 0.1

            # The client retries the unanswered turn on B with the same key.
            retried = await send_until_accepted(
                on_b, chat, body("add Book the campsite"), keyed("k3")
            )
            assert retried.status_code == 200, retried.text
            [call] = retried.json()["tool_calls"]
            assert call["name"] == "add_task"
            assert call["result"]["task_id"] == task_id  # replayed from the ledger, not redone
            acknowledged.append(("add Book the campsite", retried.json()))

            # The conversation continues on the survivor.
            fourth = await on_b.post(chat, json=body("add Fill the bottles"), headers=keyed("k4"))
            assert fourth.status_code == 200, fourth.text
            acknowledged.append(("add Fill the bottles", fourth.json()))
            # A retry of an old, finished turn is a replay, whichever instance answers.
            replay = await on_b.post(
                chat, json={"message": "add Pack the tent"}, headers=keyed("k1")
            )
            assert replay.status_code == 200
            assert replay.json() == first.json()

            messages = await conversation_messages(on_b, account, conversation_id)
            assert_turns_well_formed(messages)
            assert all(message["error"] is None for message in messages)
            user_messages = [m["content"] for m in messages if m["role"] == "user"]
            assert user_messages == [message for message, _ in acknowledged]
            assistant = [m["content"] for m in messages if m["role"] == "assistant"]
            assert assistant == [answer["response"] for _, answer in acknowledged]
            assert all(answer["conversation_id"] == conversation_id for _, answer in acknowledged)
            assert await task_titles(on_b, account) == [
                "Pack the tent",
                "Buy the stove",
                "Book the campsite",
                "Fill the bottles",
            ]
