"""The chat turn's plumbing, driven by a ScriptedModel: tools, storage, history, streaming."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from agents.testing import ModelCall, ModelStep, ScriptedModel, assistant_message, function_call
from fastapi import FastAPI

from tests.chat.conftest import ChatApp, MakeApp, sse_events
from tests.factories import add_task
from tests.servers import free_port

ScriptedApp = tuple[ChatApp, ScriptedModel]


def add_milk_script(model: ScriptedModel) -> None:
    """One turn: the model calls add_task, then confirms."""
    model.extend(
        [
            [function_call("add_task", {"title": "Buy milk"}, call_id="call_add")],
            [assistant_message("Added #? Buy milk.")],
        ]
    )


def tool_outputs(call: ModelCall) -> list[dict[str, Any]]:
    """The function_call_output items the model received, parsed."""
    return [
        json.loads(item["output"])
        for item in call.input
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]


async def test_scripted_tool_call_reaches_the_tools_and_the_database(
    scripted: ScriptedApp,
) -> None:
    chat, model = scripted
    account = await chat.signup()
    add_milk_script(model)

    body = await chat.say(account, "add buy milk")

    [task] = await chat.tasks(account)
    assert task["title"] == "Buy milk"
    assert task["completed"] is False
    assert body == {
        "conversation_id": body["conversation_id"],
        "response": "Added #? Buy milk.",
        "tool_calls": [
            {
                "name": "add_task",
                "arguments": {"title": "Buy milk"},
                "result": {
                    "task_id": task["id"],
                    "status": "created",
                    "title": "Buy milk",
                    "task": task,
                },
            }
        ],
    }
    stored = await chat.conversation(account, body["conversation_id"])
    assert stored["title"] == "add buy milk"
    assert [(m["seq"], m["role"], m["content"]) for m in stored["messages"]] == [
        (1, "user", "add buy milk"),
        (2, "assistant", "Added #? Buy milk."),
    ]
    assert stored["messages"][0]["tool_calls"] == []
    assert stored["messages"][1]["tool_calls"] == body["tool_calls"]
    assert stored["messages"][1]["error"] is None
    # The model was offered exactly the MCP server's tools, and told the date and time zone.
    first = model.calls[0]
    assert sorted(tool.name for tool in first.tools) == [
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
    assert first.system_instructions is not None
    assert "The user's time zone is UTC." in first.system_instructions
    assert first.input == [{"role": "user", "content": "add buy milk"}]


async def test_next_turn_sees_the_previous_tool_call_and_its_result(scripted: ScriptedApp) -> None:
    chat, model = scripted
    account = await chat.signup()
    add_milk_script(model)
    first = await chat.say(account, "add buy milk")
    task_id = first["tool_calls"][0]["result"]["task_id"]

    def resolve_it(call: ModelCall) -> list[Any]:
        # "it" is resolvable only from the earlier turn's tool result in the input.
        [added] = tool_outputs(call)
        return [function_call("complete_task", {"task_id": added["task_id"]}, call_id="call_done")]

    model.extend([ModelStep.respond(resolve_it), [assistant_message("Done: Buy milk.")]])
    second = await chat.say(account, "mark it as done", first["conversation_id"])

    assert second["conversation_id"] == first["conversation_id"]
    assert [(c["name"], c["arguments"], c["result"]["status"]) for c in second["tool_calls"]] == [
        ("complete_task", {"task_id": task_id}, "completed")
    ]
    [task] = await chat.tasks(account)
    assert task["completed"] is True
    turn_two = model.calls[2].input
    call_id = turn_two[1]["call_id"]
    assert turn_two == [
        {"role": "user", "content": "add buy milk"},
        {
            "type": "function_call",
            "call_id": call_id,
            "name": "add_task",
            "arguments": json.dumps({"title": "Buy milk"}),
        },
        {"type": "function_call_output", "call_id": call_id, "output": turn_two[2]["output"]},
        {"role": "assistant", "content": "Added #? Buy milk."},
        {"role": "user", "content": "mark it as done"},
    ]
    assert json.loads(turn_two[2]["output"]) == first["tool_calls"][0]["result"]


async def test_tool_errors_reach_the_model_and_never_touch_another_users_task(
    scripted: ScriptedApp,
) -> None:
    chat, model = scripted
    owner, intruder = await chat.signup(), await chat.signup()
    theirs = await add_task(chat.client, owner, title="Owner's secret")
    model.extend(
        [
            [function_call("complete_task", {"task_id": theirs["id"]}, call_id="c1")],
            [function_call("delete_task", {"task_id": theirs["id"]}, call_id="c2")],
            [assistant_message("I could not find that task.")],
        ]
    )

    body = await chat.say(intruder, f"complete task {theirs['id']}")

    message = f"Task {theirs['id']} not found."
    assert [(c["name"], c["result"]) for c in body["tool_calls"]] == [
        ("complete_task", {"error": message}),
        ("delete_task", {"error": message}),
    ]
    assert await chat.tasks(owner) == [theirs]
    assert await chat.tasks(intruder) == []
    # The model read the error text, not a crash.
    assert model.calls[1].input[-1]["output"] == [
        {"type": "input_text", "text": f"Error executing tool complete_task: {message}"}
    ]


async def test_streamed_turn_emits_deltas_tool_calls_and_one_done_equal_to_the_stored_reply(
    scripted: ScriptedApp,
) -> None:
    chat, model = scripted
    account = await chat.signup()
    add_milk_script(model)

    events = await chat.stream(account, "add buy milk")

    names = [name for name, _ in events]
    assert names == ["tool_call", "delta", "done"]
    done = events[-1][1]
    [task] = await chat.tasks(account)
    assert done["response"] == "Added #? Buy milk."
    assert "".join(data["text"] for name, data in events if name == "delta") == done["response"]
    assert [data for name, data in events if name == "tool_call"] == done["tool_calls"]
    assert done["tool_calls"][0]["result"]["task"] == task
    stored = await chat.conversation(account, done["conversation_id"])
    reply = stored["messages"][-1]
    assert (reply["role"], reply["content"], reply["tool_calls"]) == (
        "assistant",
        done["response"],
        done["tool_calls"],
    )
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]


async def test_streaming_errors_before_the_turn_are_plain_json(scripted: ScriptedApp) -> None:
    chat, _ = scripted
    account = await chat.signup()
    response = await chat.client.post(
        account.url("/chat/stream"), json={"message": "  "}, headers=account.headers
    )
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    response = await chat.client.post(
        account.url("/chat/stream"),
        json={"message": "hi", "conversation_id": 2**40},
        headers=account.headers,
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_tool_call_budget_stops_a_runaway_model(make_app: MakeApp) -> None:
    model = ScriptedModel(
        [[function_call("list_tasks", {}, call_id=f"c{index}")] for index in range(3)]
        + [[assistant_message("Here is what I found.")]]
    )
    async with make_app(model, agent_max_tool_calls=2) as chat:
        account = await chat.signup()
        body = await chat.say(account, "show my tasks")
    results = [call["result"] for call in body["tool_calls"]]
    assert results[:2] == [{"tasks": [], "total": 0}, {"tasks": [], "total": 0}]
    assert results[2] == {
        "error": "Tool call limit for this turn reached: answer the user with what you have."
    }
    model.assert_complete()


async def test_too_many_model_steps_fail_the_turn_and_keep_the_conversation(
    make_app: MakeApp,
) -> None:
    model = ScriptedModel([[function_call("list_tasks", {}, call_id=f"c{i}")] for i in range(2)])
    async with make_app(model, agent_max_turns=2) as chat:
        account = await chat.signup()
        response = await chat.chat(account, "loop forever")
        assert response.status_code == 503
        [conversation] = (
            await chat.client.get(account.url("/conversations"), headers=account.headers)
        ).json()["items"]
        assert response.json() == {
            "error": "too_many_steps",
            "detail": "This request needed too many steps; try asking for less at once. "
            "Your message is saved.",
            "conversation_id": conversation["id"],
        }
        model.extend([[assistant_message("Sorry about that.")]])
        again = await chat.say(account, "hello?", conversation["id"])
        stored = await chat.conversation(account, conversation["id"])
    assert again["response"] == "Sorry about that."
    assert [(m["role"], m["content"], m["error"] is not None) for m in stored["messages"]] == [
        ("user", "loop forever", False),
        ("assistant", "", True),
        ("user", "hello?", False),
        ("assistant", "Sorry about that.", False),
    ]
    # The failed reply is not part of what the model sees next.
    assert model.calls[-1].input == [
        {"role": "user", "content": "loop forever"},
        {"role": "user", "content": "hello?"},
    ]


@asynccontextmanager
async def serve_over_http(app: FastAPI) -> AsyncIterator[str]:
    """Serve an app (whose lifespan already runs) with a real uvicorn in this event loop.

    httpx's ASGI transport buffers whole responses, so a client that leaves mid-stream needs a
    real socket.
    """
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_a_client_that_leaves_mid_stream_still_gets_the_turn_stored(
    make_app: MakeApp,
) -> None:
    released = asyncio.Event()

    async def slow_answer(call: ModelCall) -> list[Any]:
        # The final answer waits until the client has gone.
        await released.wait()
        return [assistant_message("Added Buy milk.")]

    model = ScriptedModel(
        [
            [function_call("add_task", {"title": "Buy milk"}, call_id="call_add")],
            ModelStep.respond(slow_answer),
        ]
    )
    async with make_app(model) as chat, serve_over_http(chat.app) as base_url:
        account = await chat.signup()
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            async with http.stream(
                "POST",
                account.url("/chat/stream"),
                json={"message": "add buy milk"},
                headers=account.headers,
            ) as response:
                assert response.status_code == 200
                first = await anext(sse_events(response))
            # The stream is closed: the client has left before the turn ended.
            released.set()
            assert first[0] == "tool_call"
            conversation_id = await _only_conversation(http, account.url(""), account.headers)
            messages = await _wait_for_reply(
                http, account.url(f"/conversations/{conversation_id}"), account.headers
            )
        [task] = await chat.tasks(account)
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "add buy milk"),
        ("assistant", "Added Buy milk."),
    ]
    assert messages[1]["tool_calls"] == [
        {**first[1], "result": {**first[1]["result"], "task": task}}
    ]
    model.assert_complete()


async def _only_conversation(http: httpx.AsyncClient, base: str, headers: dict[str, str]) -> int:
    page = (await http.get(f"{base}/conversations", headers=headers)).json()
    assert page["total"] == 1
    return int(page["items"][0]["id"])


async def _wait_for_reply(
    http: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """Poll the stored conversation until the assistant's reply is there."""
    for _ in range(200):
        messages: list[dict[str, Any]] = (await http.get(url, headers=headers)).json()["messages"]
        if messages[-1]["role"] == "assistant":
            return messages
        await asyncio.sleep(0.025)
    pytest.fail(f"the reply was never stored: {messages}")


async def test_a_stream_sends_keep_alive_comments_while_the_model_thinks(
    make_app: MakeApp,
) -> None:
    released = asyncio.Event()

    async def thinking(call: ModelCall) -> list[Any]:
        await released.wait()
        return [assistant_message("Here I am.")]

    model = ScriptedModel([ModelStep.respond(thinking)])
    async with (
        make_app(model, stream_keepalive_seconds=0.1) as chat,
        serve_over_http(chat.app) as base_url,
    ):
        account = await chat.signup()
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=10) as http,
            http.stream(
                "POST", account.url("/chat/stream"), json={"message": "hi"}, headers=account.headers
            ) as response,
        ):
            assert response.status_code == 200
            lines = []
            async for line in response.aiter_lines():
                lines.append(line)
                # The headers came at once and comments keep coming while the model thinks.
                if sum(line.startswith(":") for line in lines) == 3:
                    released.set()
    comments = [line for line in lines if line.startswith(":")]
    assert len(comments) >= 3
    assert lines.index(comments[0]) == 0  # before any event
    assert [line for line in lines if line.startswith("event:")][-1] == "event: done"
    model.assert_complete()
