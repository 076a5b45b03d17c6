"""The OpenAI path end to end: a fake Chat Completions server's tool calls reach MCP and the DB.

`TODOCHAT_MODEL=compatible:<model>` with `OPENAI_BASE_URL` (Ollama, vLLM, ...) and
`openai:<model>` with `OPENAI_API_KEY` both go through the real OpenAI SDK over real HTTP to the
fake; provider failures become 503 `model_unavailable` and leave the conversation usable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.chat.conftest import ChatApp, MakeApp
from tests.factories import Account
from tests.fakes.openai_server import Fail, FakeOpenAI, Hang, call, fake_openai, text

KEPT = "Your message is saved."
FOR_THE_OPERATOR = (
    "The assistant cannot answer: its connection to the language model is misconfigured on "
    "the server, and whoever runs it must fix that. " + KEPT
)


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAI]:
    """One fake provider for the module."""
    with fake_openai() as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The fake with an empty script; every scripted step must be used by the test."""
    fake_server.reset()
    yield fake_server
    assert fake_server.remaining == 0


@pytest.fixture
async def compatible(make_app: MakeApp, fake: FakeOpenAI) -> AsyncIterator[ChatApp]:
    """An app configured as for Ollama or vLLM: a model name and a base URL, no key."""
    async with make_app(
        model="compatible:fake-model", openai_base_url=fake.base_url, openai_api_key=None
    ) as chat:
        yield chat


def added(body: dict[str, Any]) -> int:
    """The id of the task the turn's first tool call created."""
    return int(body["tool_calls"][0]["result"]["task_id"])


async def test_tool_calls_reach_the_tools_and_the_database(
    compatible: ChatApp, fake: FakeOpenAI
) -> None:
    account = await compatible.signup(time_zone="Asia/Tokyo")
    fake.script(
        call("add_task", {"title": "Buy milk", "priority": "high"}), text("Added Buy milk.")
    )

    body = await compatible.say(account, "add buy milk, it's urgent")

    [task] = await compatible.tasks(account)
    assert (task["title"], task["priority"], task["completed"]) == ("Buy milk", "high", False)
    assert body["response"] == "Added Buy milk."
    assert body["tool_calls"] == [
        {
            "name": "add_task",
            "arguments": {"title": "Buy milk", "priority": "high"},
            "result": {
                "task_id": task["id"],
                "status": "created",
                "title": "Buy milk",
                "task": task,
            },
        }
    ]
    first, second = fake.requests
    assert first.body["model"] == "fake-model"
    assert "authorization" not in first.headers or first.headers["authorization"] == (
        "Bearer not-needed"
    )
    # The system prompt gives today's date in the user's time zone, and the zone itself.
    today = datetime.now(ZoneInfo("Asia/Tokyo"))
    assert "The user's time zone is Asia/Tokyo." in first.system_prompt
    assert f"{today:%A %d %B %Y}" in first.system_prompt
    assert "Ambiguous" in first.system_prompt or "ask which one" in first.system_prompt
    assert first.messages[1:] == [{"role": "user", "content": "add buy milk, it's urgent"}]
    # The tools are the MCP tools with their JSON schemas.
    assert sorted(first.tool_names) == [
        "add_task",
        "add_tasks",
        "complete_task",
        "complete_tasks",
        "delete_task",
        "list_tasks",
        "restore_task",
        "skip_occurrence",
        "update_task",
        "update_tasks",
    ]
    schemas = {tool["function"]["name"]: tool["function"] for tool in first.body["tools"]}
    add_schema = schemas["add_task"]["parameters"]
    assert add_schema["type"] == "object"
    assert add_schema["required"] == ["title"]
    assert {"title", "description", "priority", "tags", "due"} <= set(add_schema["properties"])
    assert "user_id" not in json.dumps(first.body["tools"])
    assert schemas["complete_task"]["parameters"]["properties"]["task_id"]["type"] == "integer"
    # The second request carries the tool call and its result back to the model.
    [assistant, tool] = second.messages[-2:]
    assert assistant["tool_calls"][0]["function"] == {
        "name": "add_task",
        "arguments": json.dumps({"title": "Buy milk", "priority": "high"}),
    }
    assert tool["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert json.loads(tool["content"])["task_id"] == task["id"]


async def test_streamed_tool_calls_reach_the_database(
    compatible: ChatApp, fake: FakeOpenAI
) -> None:
    account = await compatible.signup()
    fake.script(
        call("add_task", {"title": "Pay the electricity bill", "tags": ["home", "bills"]}),
        text("Added Pay the electricity bill (#?) with tags home and bills."),
    )

    events = await compatible.stream(account, "remind me to pay the electricity bill")

    [task] = await compatible.tasks(account)
    assert (task["title"], task["tags"]) == ("Pay the electricity bill", ["home", "bills"])
    names = [name for name, _ in events]
    assert names[0] == "tool_call"
    assert names[-1] == "done"
    assert set(names[1:-1]) == {"delta"}
    assert len(names) > 3  # the text arrived in pieces, as the provider streamed it
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["response"]
    assert events[0][1] == done["tool_calls"][0]
    assert done["tool_calls"][0]["arguments"] == {
        "title": "Pay the electricity bill",
        "tags": ["home", "bills"],
    }
    assert all(request.body["stream"] is True for request in fake.requests)
    stored = await compatible.conversation(account, done["conversation_id"])
    assert stored["messages"][-1]["content"] == done["response"]
    assert stored["messages"][-1]["tool_calls"] == done["tool_calls"]


async def test_second_turn_sends_the_earlier_tool_call_and_result(
    compatible: ChatApp, fake: FakeOpenAI
) -> None:
    account = await compatible.signup()
    fake.script(call("add_task", {"title": "Buy milk"}), text("Added Buy milk."))
    first = await compatible.say(account, "add buy milk")
    task_id = added(first)
    fake.script(call("complete_task", {"task_id": task_id}), text("Done: Buy milk."))

    second = await compatible.say(account, "mark it as done", first["conversation_id"])

    assert second["tool_calls"][0]["result"]["status"] == "completed"
    [task] = await compatible.tasks(account)
    assert task["completed"] is True
    turn_two = fake.requests[2].messages
    assert [message["role"] for message in turn_two] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    earlier_call, earlier_result = turn_two[2], turn_two[3]
    assert earlier_call["tool_calls"][0]["function"]["name"] == "add_task"
    assert earlier_result["tool_call_id"] == earlier_call["tool_calls"][0]["id"]
    assert json.loads(earlier_result["content"]) == first["tool_calls"][0]["result"]
    assert turn_two[4]["content"] == "Added Buy milk."
    assert turn_two[5] == {"role": "user", "content": "mark it as done"}


async def test_openai_model_uses_the_api_key(make_app: MakeApp, fake: FakeOpenAI) -> None:
    async with make_app(
        model="openai:gpt-fake", openai_api_key="sk-test-key", openai_base_url=fake.base_url
    ) as chat:
        account = await chat.signup()
        fake.script(call("add_task", {"title": "Renew passport"}), text("Added Renew passport."))
        body = await chat.say(account, "add renew passport")
        assert [task["title"] for task in await chat.tasks(account)] == ["Renew passport"]
    assert body["response"] == "Added Renew passport."
    assert [request.headers["authorization"] for request in fake.requests] == [
        "Bearer sk-test-key",
        "Bearer sk-test-key",
    ]
    assert {request.body["model"] for request in fake.requests} == {"gpt-fake"}


async def _failed_turn(
    chat: ChatApp, account: Account, conversation_id: int, path: str = "/chat"
) -> dict[str, Any]:
    """Send a message that fails; return the error body (JSON, or the stream's error event)."""
    body = {"message": "add buy bread", "conversation_id": conversation_id}
    if path == "/chat":
        response = await chat.client.post(account.url(path), json=body, headers=account.headers)
        assert response.status_code == 503, response.text
        error: dict[str, Any] = response.json()
    else:
        events = await chat.stream(account, "add buy bread", conversation_id)
        assert [name for name, _ in events][-1:] == ["error"]
        assert [name for name, _ in events].count("done") == 0
        error = dict(events[-1][1])
    # Both name the conversation (the turn may have started a new one, where the message is kept).
    assert error.pop("conversation_id") == conversation_id
    return error


async def _check_recovery(
    chat: ChatApp, fake: FakeOpenAI, account: Account, first: dict[str, Any]
) -> None:
    """The failed turn kept the message, stored the failure, and released the conversation."""
    conversation_id = first["conversation_id"]
    stored = await chat.conversation(account, conversation_id)
    assert [(m["role"], m["content"]) for m in stored["messages"]] == [
        ("user", "add buy milk"),
        ("assistant", "Added Buy milk."),
        ("user", "add buy bread"),
        ("assistant", ""),
    ]
    assert stored["messages"][1]["error"] is None
    assert stored["messages"][3]["error"].endswith(KEPT)
    assert [task["title"] for task in await chat.tasks(account)] == ["Buy milk"]
    # The next turn on the same conversation works: the claim was released.
    fake.reset()
    fake.script(call("add_task", {"title": "Buy bread"}), text("Added Buy bread."))
    again = await chat.say(account, "add buy bread", conversation_id)
    assert again["conversation_id"] == conversation_id
    assert [task["title"] for task in await chat.tasks(account)] == ["Buy milk", "Buy bread"]
    # The model sees both user messages but not the failed reply.
    roles = [message["role"] for message in fake.requests[0].messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user", "user"]


async def _start(chat: ChatApp, fake: FakeOpenAI) -> tuple[Account, dict[str, Any]]:
    account = await chat.signup()
    fake.script(call("add_task", {"title": "Buy milk"}), text("Added Buy milk."))
    return account, await chat.say(account, "add buy milk")


@pytest.mark.parametrize("path", ["/chat", "/chat/stream"])
@pytest.mark.parametrize(
    ("failure", "code", "detail", "cause"),
    [
        (
            Fail(500),
            "model_unavailable",
            f"The assistant's language model failed; try again in a moment. {KEPT}",
            "failed (HTTP 500: scripted failure)",
        ),
        (
            Fail(401, "Incorrect API key provided"),
            "model_misconfigured",
            FOR_THE_OPERATOR,
            "rejected the API key (HTTP 401: Incorrect API key provided): check OPENAI_API_KEY",
        ),
        (
            Fail(404, "model 'fake-model' not found"),
            "model_misconfigured",
            FOR_THE_OPERATOR,
            "answered 404 for TODOCHAT_MODEL=compatible:fake-model (model 'fake-model' not "
            "found): check that the server has this model",
        ),
        (
            call("complete_task", "{not json"),
            "model_unavailable",
            f"The assistant made a mistake while working on this; try again or rephrase. {KEPT}",
            "the model produced an invalid tool call: ",
        ),
        (
            call("complete_task", "[1, 2]"),
            "model_unavailable",
            f"The assistant made a mistake while working on this; try again or rephrase. {KEPT}",
            "the model produced an invalid tool call: ",
        ),
    ],
    ids=[
        "http-500",
        "bad-key-401",
        "unknown-model-404",
        "malformed-json",
        "arguments-not-an-object",
    ],
)
async def test_provider_failure_is_logged_with_its_cause_and_told_to_the_user(
    compatible: ChatApp,
    fake: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    failure: Any,
    code: str,
    detail: str,
    cause: str,
    path: str,
) -> None:
    account, first = await _start(compatible, fake)
    fake.script(failure)
    with caplog.at_level(logging.WARNING, logger="todochat.chat.turn"):
        error = await _failed_turn(compatible, account, first["conversation_id"], path)
    assert error == {"error": code, "detail": detail}
    # The operator reads the cause (and the setting to check); the user never sees it.
    [record] = [r for r in caplog.records if r.name == "todochat.chat.turn"]
    assert record.getMessage().startswith(
        f"model failure in conversation {first['conversation_id']}: "
    )
    assert cause in record.getMessage()
    assert "OPENAI" not in detail and "TODOCHAT" not in detail
    await _check_recovery(compatible, fake, account, first)


async def test_a_404_from_a_base_url_without_v1_hints_at_the_fix(
    make_app: MakeApp, fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    # The usual Ollama slip: http://localhost:11434 instead of http://localhost:11434/v1.
    without_v1 = fake.base_url.removesuffix("/v1")
    async with make_app(model="compatible:fake-model", openai_base_url=without_v1) as chat:
        account = await chat.signup()
        with caplog.at_level(logging.WARNING, logger="todochat.chat.turn"):
            response = await chat.chat(account, "add buy milk")
    assert response.status_code == 503
    assert response.json()["error"] == "model_misconfigured"
    assert (
        f"OPENAI_BASE_URL={without_v1} has no /v1: OpenAI-compatible servers serve the API under "
        f"it (try OPENAI_BASE_URL={without_v1}/v1)." in caplog.text
    )


async def test_a_provider_that_hangs_times_out(make_app: MakeApp, fake: FakeOpenAI) -> None:
    async with make_app(
        model="compatible:fake-model", openai_base_url=fake.base_url, agent_timeout_seconds=0.5
    ) as chat:
        account, first = await _start(chat, fake)
        fake.script(Hang())
        error = await _failed_turn(chat, account, first["conversation_id"])
        assert error["error"] == "model_unavailable"
        assert error["detail"].endswith(KEPT)
        assert "0.5 seconds" in error["detail"] or "reach the model provider" in error["detail"]
        await _check_recovery(chat, fake, account, first)


async def test_an_unreachable_provider_is_503(make_app: MakeApp, fake: FakeOpenAI) -> None:
    # Nothing listens on port 9 (discard) on 127.0.0.1 in the test environment.
    async with make_app(
        model="compatible:fake-model", openai_base_url="http://127.0.0.1:9/v1"
    ) as chat:
        account = await chat.signup()
        response = await chat.chat(account, "add buy milk")
        assert response.status_code == 503
        [conversation] = (
            await chat.client.get(account.url("/conversations"), headers=account.headers)
        ).json()["items"]
        # The turn started a new conversation: the error names it, so the client can continue.
        assert response.json() == {
            "error": "model_unavailable",
            "detail": "The assistant's language model cannot be reached right now; try again in a "
            "moment. " + KEPT,
            "conversation_id": conversation["id"],
        }
        stored = await chat.conversation(account, conversation["id"])
        assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
