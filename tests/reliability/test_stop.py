"""Stopping a streamed turn (the UI's Stop button closes the stream) against a real server.

The model is a fake OpenAI-compatible server whose answers the test holds, so the client
leaves at a known point of the turn: before any tool ran (the turn stops, its message kept and
the stop stored as the reply) or after one ran (the turn finishes and is stored with its call).
Either way nothing is half-done and the next turn on the conversation is accepted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.factories import Account, signup
from tests.fakes.openai_server import Fail, FakeOpenAI, Held, call, fake_openai, text
from tests.reliability.conftest import assert_turns_well_formed, conversation_messages, task_titles
from tests.servers import Server, running_server

STOPPED = "You stopped this answer. Your message is saved."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    """The fake model provider the server talks to."""
    with fake_openai() as provider:
        yield provider


@pytest.fixture(scope="module")
def model_server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, fake: FakeOpenAI
) -> Iterator[Server]:
    """`todochat serve` on the fake provider."""
    env = {
        "DATABASE_URL": database_url,
        "TODOCHAT_MODEL": "compatible:fake-model",
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": None,
    }
    with running_server(tmp_path_factory.mktemp("stop"), env) as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture
def provider(fake: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The fake with an empty script; every scripted step must be used by the test."""
    fake.reset()
    yield fake
    assert fake.remaining == 0


async def _wait_for(condition: Any, what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _first_turn(client: httpx.AsyncClient, account: Account, fake: FakeOpenAI) -> int:
    fake.script(text("Hello."))
    response = await client.post(
        account.url("/chat"), json={"message": "hi"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return int(response.json()["conversation_id"])


async def _messages_reach(
    client: httpx.AsyncClient, account: Account, conversation_id: int, count: int
) -> list[dict[str, Any]]:
    async def stored() -> bool:
        return len(await conversation_messages(client, account, conversation_id)) >= count

    await _wait_for(stored, f"{count} stored messages")
    return await conversation_messages(client, account, conversation_id)


async def test_stop_before_any_tool_stores_the_stop_and_frees_the_conversation(
    model_server: Server, provider: FakeOpenAI
) -> None:
    """The client leaves while the model thinks: the turn ends there, changing nothing."""
    async with httpx.AsyncClient(base_url=model_server.base_url, timeout=30) as client:
        account = await signup(client)
        conversation_id = await _first_turn(client, account, provider)
        provider.script(Held(call("add_task", {"title": "Never added"})))
        body = {"conversation_id": conversation_id, "message": "add never added"}
        async with client.stream(
            "POST", account.url("/chat/stream"), json=body, headers=account.headers
        ) as response:
            assert response.status_code == 200

            async def model_asked() -> bool:
                return len(provider.requests) == 2

            await _wait_for(model_asked, "the model request")
        # The stream is closed: the Stop button's abort.
        messages = await _messages_reach(client, account, conversation_id, 4)
        provider.release()
        assert_turns_well_formed(messages)
        assert messages[2]["content"] == "add never added"
        assert messages[3]["error"] == STOPPED
        assert messages[3]["tool_calls"] == []
        assert await task_titles(client, account) == []
        assert "stopping the turn in conversation" in model_server.output()

        # Not busy: the next turn is accepted at once (no 409), and it sees a consistent history.
        provider.script(text("Still here."))
        again = await client.post(
            account.url("/chat"),
            json={"conversation_id": conversation_id, "message": "are you there?"},
            headers=account.headers,
        )
        assert again.status_code == 200, again.text
        assert again.json()["response"] == "Still here."
        # The stop is not shown to the model as something it said.
        sent = [message.get("content") for message in provider.requests[-1].messages]
        assert "add never added" in sent and STOPPED not in sent


async def test_stop_after_a_tool_ran_finishes_the_turn_with_its_call(
    model_server: Server, provider: FakeOpenAI
) -> None:
    """The client leaves after a task was added: the turn finishes and stores the call."""
    async with httpx.AsyncClient(base_url=model_server.base_url, timeout=30) as client:
        account = await signup(client)
        conversation_id = await _first_turn(client, account, provider)
        provider.script(call("add_task", {"title": "Water the plants"}), Held(text("Added it.")))
        body = {"conversation_id": conversation_id, "message": "add water the plants"}
        async with client.stream(
            "POST", account.url("/chat/stream"), json=body, headers=account.headers
        ) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line == "event: tool_call":
                    break
        # The server noticed the client left, and carries on; then the model answers.
        log_line = f"finishing the turn in conversation {conversation_id}"

        async def noticed() -> bool:
            return log_line in model_server.output()

        await _wait_for(noticed, "the server to notice the client left")
        provider.release()
        messages = await _messages_reach(client, account, conversation_id, 4)
        assert_turns_well_formed(messages)
        reply = messages[3]
        assert reply["error"] is None
        assert reply["content"] == "Added it."
        assert [stored["name"] for stored in reply["tool_calls"]] == ["add_task"]
        assert await task_titles(client, account) == ["Water the plants"]

        provider.script(text("Done."))
        again = await client.post(
            account.url("/chat"),
            json={"conversation_id": conversation_id, "message": "thanks"},
            headers=account.headers,
        )
        assert again.status_code == 200, again.text


async def test_a_model_failure_after_a_tool_keeps_the_call_with_the_failure(
    model_server: Server, provider: FakeOpenAI
) -> None:
    """A change made before the model failed is recorded on the stored failure, not lost."""
    async with httpx.AsyncClient(base_url=model_server.base_url, timeout=30) as client:
        account = await signup(client)
        conversation_id = await _first_turn(client, account, provider)
        provider.script(call("add_task", {"title": "Call the bank"}), Fail(500))
        body = {"conversation_id": conversation_id, "message": "add call the bank"}
        async with client.stream(
            "POST", account.url("/chat/stream"), json=body, headers=account.headers
        ) as response:
            events = [line async for line in response.aiter_lines() if line.startswith("event:")]
        assert events[-1] == "event: error"
        messages = await conversation_messages(client, account, conversation_id)
        assert_turns_well_formed(messages)
        assert messages[3]["error"]
        assert [stored["name"] for stored in messages[3]["tool_calls"]] == ["add_task"]
        assert await task_titles(client, account) == ["Call the bank"]


async def test_edit_replaces_a_stopped_message_and_only_that(
    model_server: Server, provider: FakeOpenAI
) -> None:
    """`edit_last` swaps the last message and its stopped answer for a new turn; an answer that
    stands (or changed tasks) is never replaced."""
    async with httpx.AsyncClient(base_url=model_server.base_url, timeout=30) as client:
        account = await signup(client)
        conversation_id = await _first_turn(client, account, provider)
        url = account.url("/chat")

        async def edit(message: str, **extra: Any) -> httpx.Response:
            body = {"conversation_id": conversation_id, "message": message, "edit_last": True}
            return await client.post(url, json=body | extra, headers=account.headers)

        # The last answer stands: nothing to edit, nothing changed, the model never asked.
        refused = await edit("hi again")
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "not_editable"
        assert len(await conversation_messages(client, account, conversation_id)) == 2
        missing = await client.post(
            url, json={"message": "x", "edit_last": True}, headers=account.headers
        )
        assert missing.status_code == 422
        assert missing.json()["detail"].startswith("edit_last:")

        # Stop a turn, then edit its message: the new message takes its place (same seq).
        provider.script(Held(text("too late")))
        body = {"conversation_id": conversation_id, "message": "add milk and bred"}
        async with client.stream(
            "POST", account.url("/chat/stream"), json=body, headers=account.headers
        ) as response:
            assert response.status_code == 200

            async def model_asked() -> bool:
                return len(provider.requests) == 2

            await _wait_for(model_asked, "the model request")
        await _messages_reach(client, account, conversation_id, 4)
        provider.release()
        provider.script(text("Sure: milk and bread."))
        edited = await edit("add milk and bread")
        assert edited.status_code == 200, edited.text
        messages = await conversation_messages(client, account, conversation_id)
        assert_turns_well_formed(messages)
        assert [(m["seq"], m["content"], m["error"]) for m in messages[2:]] == [
            (3, "add milk and bread", None),
            (4, "Sure: milk and bread.", None),
        ]
        # The model saw the edited message, not the stopped one.
        sent = [message.get("content") for message in provider.requests[-1].messages]
        assert "add milk and bread" in sent and "add milk and bred" not in sent

        # A failure after a tool call changed a task: that answer is not replaceable either.
        provider.script(call("add_task", {"title": "Milk"}), Fail(500))
        failed = await client.post(
            url,
            json={"conversation_id": conversation_id, "message": "add milk"},
            headers=account.headers,
        )
        assert failed.status_code == 503
        again = await edit("add oat milk")
        assert again.status_code == 409
        assert again.json()["error"] == "not_editable"
        assert len(await conversation_messages(client, account, conversation_id)) == 6
        assert await task_titles(client, account) == ["Milk"]
