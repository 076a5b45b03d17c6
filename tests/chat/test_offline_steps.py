"""The offline model replies right after its tools: one model step fewer, the same answers.

The Agents SDK asks the model again after every tool step; the offline model's next step is a
function of the conversation, so the agent ends the run with it instead (see
`agent.prompt.RepliesAfterTools`). These tests count the model's steps and compare every reply
with the ordinary two-step run.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.chat.conftest import ChatApp, MakeApp
from tests.factories import add_task
from todochat.agent.offline.model import OfflineModel


class CountingOffline(OfflineModel):
    """The offline model, counting how often the SDK asks it."""

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0

    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        self.steps += 1
        return await super().get_response(*args, **kwargs)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        self.steps += 1
        async for event in super().stream_response(*args, **kwargs):
            yield event


class AskedEveryStep(CountingOffline):
    """The same planner without the shortcut: the SDK asks it again after every tool step."""

    reply_after_tools = None  # type: ignore[assignment]


@pytest.fixture
async def counted(make_app: MakeApp) -> AsyncIterator[tuple[ChatApp, CountingOffline]]:
    model = CountingOffline()
    async with make_app(model) as chat_app:
        yield chat_app, model


async def test_a_one_tool_turn_asks_the_model_once(
    counted: tuple[ChatApp, CountingOffline],
) -> None:
    chat, model = counted
    account = await chat.signup()

    body = await chat.say(account, "add a task to buy milk")

    assert model.steps == 1
    [task] = await chat.tasks(account)
    assert [call["name"] for call in body["tool_calls"]] == ["add_task"]
    assert "Buy milk" in body["response"] and f"#{task['id']}" in body["response"]
    stored = await chat.conversation(account, body["conversation_id"])
    assert stored["messages"][-1]["content"] == body["response"]


async def test_a_turn_without_tools_asks_the_model_once(
    counted: tuple[ChatApp, CountingOffline],
) -> None:
    chat, model = counted
    account = await chat.signup()
    body = await chat.say(account, "hi")
    assert model.steps == 1
    assert body["tool_calls"] == [] and body["response"]


async def test_a_lookup_then_a_change_still_takes_both_steps(
    counted: tuple[ChatApp, CountingOffline],
) -> None:
    chat, model = counted
    account = await chat.signup()
    await add_task(chat.client, account, title="Call the bank")
    meeting = await add_task(chat.client, account, title="Prepare for the team meeting")

    body = await chat.say(account, "delete the meeting task")

    # list_tasks, then asked again for delete_task, whose result settles the reply.
    assert [call["name"] for call in body["tool_calls"]] == ["list_tasks", "delete_task"]
    assert model.steps == 2
    assert [task["title"] for task in await chat.tasks(account)] == ["Call the bank"]
    assert f"#{meeting['id']}" in body["response"]


async def test_a_streamed_turn_sends_the_reply_as_a_delta_before_done(
    counted: tuple[ChatApp, CountingOffline],
) -> None:
    chat, model = counted
    account = await chat.signup()

    events = await chat.stream(account, "add a task to buy bread")

    assert [name for name, _ in events] == ["tool_call", "delta", "done"]
    assert model.steps == 1
    done = events[-1][1]
    assert events[1][1] == {"text": done["response"]}
    assert "Buy bread" in done["response"]
    assert events[0][1] == done["tool_calls"][0]


# Separate adds first: the SDK runs the calls of one step concurrently, so tasks added in one
# message get their ids in either order, and "the first one" would differ between two runs.
SCRIPT = [
    "add a task to buy milk",
    "add a task to call mom",
    "add a task to water the plants",
    "make it high priority",
    "show my tasks",
    "mark the first one as done",
    "what have I completed?",
    "rename buy milk to buy oat milk",
    "delete the plants task",
    "undo that",
    "complete task 999999",
    "move call mom to tomorrow 5pm",
    "add tasks: buy eggs, call dad",  # several calls in one step; nothing refers to them later
]


@pytest.mark.parametrize("time_zone", ["UTC", "Japan", "America/Port-au-Prince"])
async def test_every_reply_is_the_one_the_two_step_run_gives(
    make_app: MakeApp, time_zone: str
) -> None:
    async def replies(model: CountingOffline) -> tuple[list[tuple[str, list[str]]], int]:
        async with make_app(model) as chat:
            account = await chat.signup(time_zone=time_zone)
            conversation = None
            out = []
            for message in SCRIPT:
                body = await chat.say(account, message, conversation)
                conversation = body["conversation_id"]
                # Task ids differ between the two accounts; everything else must not.
                text = re.sub(r"#\d+", "#N", body["response"])
                out.append((text, [call["name"] for call in body["tool_calls"]]))
            return out, model.steps

    shortcut, shortcut_steps = await replies(CountingOffline())
    every_step, every_step_steps = await replies(AskedEveryStep())

    assert shortcut == every_step
    tool_steps = sum(bool(calls) for _, calls in shortcut)
    assert shortcut_steps <= every_step_steps - tool_steps
