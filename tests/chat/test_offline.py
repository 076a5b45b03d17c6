"""Behaviour through POST /chat with the real offline model: each command does the right thing.

The offline model is what runs with no API key, so these are the product's own answers to the
hackathon's example commands; the database is the judge, not the wording of the reply.
"""

from __future__ import annotations

from typing import Any

from tests.chat.conftest import ChatApp
from tests.factories import Account, add_task


async def seed(chat: ChatApp) -> tuple[Account, dict[str, dict[str, Any]]]:
    """A fresh user with two pending tasks and one completed task."""
    account = await chat.signup()
    bank = await add_task(chat.client, account, title="Call the bank")
    meeting = await add_task(chat.client, account, title="Prepare for the team meeting")
    plants = await add_task(chat.client, account, title="Water the plants")
    done = await chat.client.patch(
        account.url(f"/tasks/{plants['id']}/complete"), headers=account.headers
    )
    assert done.status_code == 200
    return account, {"bank": bank, "meeting": meeting, "plants": done.json()}


def calls(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The turn's tool calls as (name, arguments)."""
    return [(call["name"], call["arguments"]) for call in body["tool_calls"]]


def titles(tasks: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """(title, completed) of each task, oldest first."""
    return [(task["title"], task["completed"]) for task in tasks]


async def test_add_then_mark_it_as_done(offline: ChatApp) -> None:
    account = await offline.signup()
    first = await offline.say(account, "add a task to buy milk")
    [task] = await offline.tasks(account)
    assert titles([task]) == [("Buy milk", False)]
    assert calls(first) == [("add_task", {"title": "Buy milk"})]

    second = await offline.say(account, "mark it as done", first["conversation_id"])

    assert calls(second) == [("complete_task", {"task_id": task["id"]})]
    assert titles(await offline.tasks(account)) == [("Buy milk", True)]
    assert f"#{task['id']}" in second["response"]


async def test_add_a_task_to_buy_groceries(offline: ChatApp) -> None:
    account = await offline.signup()
    body = await offline.say(account, "Add a task to buy groceries")
    [task] = await offline.tasks(account)
    assert titles([task]) == [("Buy groceries", False)]
    assert [call["result"]["task_id"] for call in body["tool_calls"]] == [task["id"]]
    assert "Buy groceries" in body["response"]


async def test_show_me_all_my_tasks(offline: ChatApp) -> None:
    account, tasks = await seed(offline)
    before = await offline.tasks(account)
    body = await offline.say(account, "Show me all my tasks")
    assert [name for name, _ in calls(body)] == ["list_tasks"]
    assert body["tool_calls"][0]["result"]["total"] == 3
    for task in tasks.values():
        assert task["title"] in body["response"]
    assert await offline.tasks(account) == before


async def test_whats_pending(offline: ChatApp) -> None:
    account, tasks = await seed(offline)
    body = await offline.say(account, "What's pending?")
    [(name, arguments)] = calls(body)
    assert (name, arguments["status"]) == ("list_tasks", "pending")
    assert tasks["bank"]["title"] in body["response"]
    assert tasks["meeting"]["title"] in body["response"]
    assert tasks["plants"]["title"] not in body["response"]


async def test_mark_task_n_as_complete(offline: ChatApp) -> None:
    account, tasks = await seed(offline)
    bank = tasks["bank"]
    body = await offline.say(account, f"Mark task {bank['id']} as complete")
    assert calls(body) == [("complete_task", {"task_id": bank["id"]})]
    assert titles(await offline.tasks(account)) == [
        ("Call the bank", True),
        ("Prepare for the team meeting", False),
        ("Water the plants", True),
    ]


async def test_delete_the_meeting_task(offline: ChatApp) -> None:
    account, tasks = await seed(offline)
    body = await offline.say(account, "Delete the meeting task")
    assert calls(body)[-1] == ("delete_task", {"task_id": tasks["meeting"]["id"]})
    assert titles(await offline.tasks(account)) == [
        ("Call the bank", False),
        ("Water the plants", True),
    ]
    assert "Prepare for the team meeting" in body["response"]


async def test_undo_a_delete_restores_the_same_task(offline: ChatApp) -> None:
    account, tasks = await seed(offline)
    meeting = tasks["meeting"]
    await offline.client.put(
        account.url(f"/tasks/{meeting['id']}"),
        json={"due_at": "2030-01-02T17:00:00Z", "reminders": [{"before": "1h"}]},
        headers=account.headers,
    )
    before = (
        await offline.client.get(account.url(f"/tasks/{meeting['id']}"), headers=account.headers)
    ).json()
    body = await offline.say(account, f"delete task {meeting['id']}")
    conversation = body["conversation_id"]
    assert calls(body)[-1] == ("delete_task", {"task_id": meeting["id"]})
    undo = await offline.say(account, "undo", conversation)
    assert calls(undo) == [("restore_task", {"task_id": meeting["id"]})]
    assert f"#{meeting['id']}" in undo["response"]
    after = (
        await offline.client.get(account.url(f"/tasks/{meeting['id']}"), headers=account.headers)
    ).json()
    # The same task, number, due date and reminder (re-armed), not a copy under a new number.
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert [r["status"] for r in after["reminders"]] == ["pending"]
    assert len(await offline.tasks(account)) == 3


async def test_change_task_n_title(offline: ChatApp) -> None:
    account, tasks = await seed(offline)
    bank = tasks["bank"]
    body = await offline.say(account, f"Change task {bank['id']} to 'Call mom tonight'")
    assert calls(body) == [("update_task", {"task_id": bank["id"], "title": "Call mom tonight"})]
    assert titles(await offline.tasks(account)) == [
        ("Call mom tonight", False),
        ("Prepare for the team meeting", False),
        ("Water the plants", True),
    ]


async def test_i_need_to_remember_to_pay_bills(offline: ChatApp) -> None:
    account = await offline.signup()
    await offline.say(account, "I need to remember to pay bills")
    assert titles(await offline.tasks(account)) == [("Pay bills", False)]


async def test_what_have_i_completed(offline: ChatApp) -> None:
    account, tasks = await seed(offline)
    before = await offline.tasks(account)
    body = await offline.say(account, "What have I completed?")
    [(name, arguments)] = calls(body)
    assert (name, arguments["status"]) == ("list_tasks", "completed")
    assert body["tool_calls"][0]["result"]["total"] == 1
    assert tasks["plants"]["title"] in body["response"]
    assert tasks["bank"]["title"] not in body["response"]
    assert await offline.tasks(account) == before


async def test_the_commands_in_one_conversation(offline: ChatApp) -> None:
    """The same commands as one conversation: context carries from turn to turn."""
    account, tasks = await seed(offline)
    conversation: int | None = None
    for message in [
        "Add a task to buy groceries",
        "What's pending?",
        f"Mark task {tasks['bank']['id']} as complete",
        "Delete the meeting task",
        "I need to remember to pay bills",
    ]:
        body = await offline.say(account, message, conversation)
        conversation = body["conversation_id"]
    assert titles(await offline.tasks(account)) == [
        ("Call the bank", True),
        ("Water the plants", True),
        ("Buy groceries", False),
        ("Pay bills", False),
    ]
    assert conversation is not None
    stored = await offline.conversation(account, conversation)
    assert [m["seq"] for m in stored["messages"]] == list(range(1, 11))
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"] * 5
