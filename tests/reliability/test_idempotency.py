"""Retries with one Idempotency-Key on a real server: one effect, one answer, replayed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.factories import Account, signup
from tests.reliability.conftest import assert_turns_well_formed, conversation_messages, task_titles

pytestmark = pytest.mark.slow

RETRIES = 10


async def retry_until_done(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[list[int], httpx.Response]:
    """POST until the answer is not 409 idempotency_key_in_use; the statuses seen and the last."""
    seen: list[int] = []
    delay = 0.05
    for _ in range(100):
        response = await client.post(url, json=body, headers=headers)
        seen.append(response.status_code)
        if response.status_code != 409:
            return seen, response
        assert response.json()["error"] == "idempotency_key_in_use", response.text
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)
    raise AssertionError(f"still 409 after {len(seen)} tries")


def keyed(account: Account, key: str) -> dict[str, str]:
    """The account's headers with an Idempotency-Key."""
    return {**account.headers, "Idempotency-Key": key}


async def test_ten_concurrent_retries_of_one_chat_turn(http: httpx.AsyncClient) -> None:
    """All retries end in the same 200; one user message, one reply, one task."""
    account = await signup(http)
    body = {"message": "add a task to renew the passport"}
    results = await asyncio.gather(
        *(
            retry_until_done(http, account.url("/chat"), body, keyed(account, "renew-1"))
            for _ in range(RETRIES)
        )
    )
    for seen, _ in results:
        assert set(seen) <= {200, 409}, seen
    answers = [response.json() for _, response in results]
    assert all(response.status_code == 200 for _, response in results)
    assert all(answer == answers[0] for answer in answers), answers
    [call] = answers[0]["tool_calls"]
    assert call["name"] == "add_task"
    assert call["result"]["status"] == "created"

    conversations = await http.get(account.url("/conversations"), headers=account.headers)
    assert conversations.json()["total"] == 1
    messages = await conversation_messages(http, account, answers[0]["conversation_id"])
    assert_turns_well_formed(messages)
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "add a task to renew the passport"),
        ("assistant", answers[0]["response"]),
    ]
    assert await task_titles(http, account) == ["Renew the passport"]


async def test_same_key_other_body_is_422(http: httpx.AsyncClient) -> None:
    """A key belongs to one request: reusing it for another message is refused, changing nothing."""
    account = await signup(http)
    first = await http.post(
        account.url("/chat"),
        json={"message": "add a task to water plants"},
        headers=keyed(account, "k"),
    )
    assert first.status_code == 200, first.text
    other = await http.post(
        account.url("/chat"),
        json={"message": "add a task to feed the cat"},
        headers=keyed(account, "k"),
    )
    assert other.status_code == 422
    assert other.json()["error"] == "validation_error"
    assert "Idempotency-Key" in other.json()["detail"]
    again = await http.post(
        account.url("/chat"),
        json={"message": "add a task to water plants"},
        headers=keyed(account, "k"),
    )
    assert again.status_code == 200
    assert again.json() == first.json()
    assert await task_titles(http, account) == ["Water plants"]
    messages = await conversation_messages(http, account, first.json()["conversation_id"])
    assert len(messages) == 2


async def test_keys_are_per_user(http: httpx.AsyncClient) -> None:
    """Another user's identical key is a different request, never a replay of someone else's."""
    alice, bob = await signup(http), await signup(http)
    body = {"message": "add a task to call the bank"}
    for account in (alice, bob):
        response = await http.post(account.url("/chat"), json=body, headers=keyed(account, "same"))
        assert response.status_code == 200, response.text
        assert await task_titles(http, account) == ["Call the bank"]


async def test_concurrent_task_creation_with_one_key(http: httpx.AsyncClient) -> None:
    """POST /tasks retried concurrently with one key creates one task; every answer is that task."""
    account = await signup(http)
    body = {"title": "Pay rent", "priority": "high"}
    responses = await asyncio.gather(
        *(
            http.post(account.url("/tasks"), json=body, headers=keyed(account, "rent"))
            for _ in range(RETRIES)
        )
    )
    assert [response.status_code for response in responses] == [201] * RETRIES
    assert len({response.json()["id"] for response in responses}) == 1
    assert await task_titles(http, account) == ["Pay rent"]
    other = await http.post(
        account.url("/tasks"), json={"title": "Pay gas"}, headers=keyed(account, "rent")
    )
    assert other.status_code == 422
    assert other.json()["error"] == "validation_error"
    assert await task_titles(http, account) == ["Pay rent"]


@pytest.mark.parametrize("key", ["", "k" * 201])
async def test_unusable_keys_are_422(http: httpx.AsyncClient, key: str) -> None:
    """Blank or overlong keys are refused before anything happens."""
    account = await signup(http)
    for path, body in (("/chat", {"message": "add a task to x"}), ("/tasks", {"title": "x"})):
        response = await http.post(account.url(path), json=body, headers=keyed(account, key))
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"] == "validation_error"
    assert await task_titles(http, account) == []
    conversations = await http.get(account.url("/conversations"), headers=account.headers)
    assert conversations.json()["total"] == 0


async def test_streamed_turn_with_a_key_is_replayed(http: httpx.AsyncClient) -> None:
    """A retried streamed turn gets one `done` event with the first answer; nothing is redone."""
    account = await signup(http)
    body = {"message": "add a task to book the dentist"}
    finals = []
    for _ in range(2):
        async with http.stream(
            "POST", account.url("/chat/stream"), json=body, headers=keyed(account, "dentist")
        ) as response:
            assert response.status_code == 200
            lines = [line async for line in response.aiter_lines() if line]
        assert lines[-2] == "event: done"
        finals.append(json.loads(lines[-1].removeprefix("data: ")))
    assert finals[0] == finals[1]
    assert await task_titles(http, account) == ["Book the dentist"]
    messages = await conversation_messages(http, account, finals[0]["conversation_id"])
    assert [message["role"] for message in messages] == ["user", "assistant"]
