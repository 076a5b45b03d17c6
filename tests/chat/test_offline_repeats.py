"""Repeats, reminders and skipping through POST /chat with the real offline model and the real
MCP tools on PostgreSQL: the stored rule, reminders and due dates are the judge.

The phrasings are examples of each mechanism (vocabulary tables for repeats, lead times, "skip",
statements before a request), written apart from the evaluation sets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.chat.conftest import ChatApp
from tests.factories import Account, add_task


def calls(body: dict[str, Any]) -> list[str]:
    """The names of the turn's tool calls."""
    return [call["name"] for call in body["tool_calls"]]


async def only_task(chat: ChatApp, account: Account) -> dict[str, Any]:
    [task] = await chat.tasks(account)
    return task


@pytest.mark.parametrize(
    ("message", "title", "rule"),
    [
        ("put out the bins every thursday evening", "Put out the bins", "BYDAY=TH;BYHOUR=20"),
        ("add pay the gardener on the 15th of each month", "Pay the gardener", "BYMONTHDAY=15"),
        ("set up a fortnightly task to water the orchids", "Water the orchids", "INTERVAL=2"),
        ("every weekday at 8:15am check the inbox", "Check the inbox", "BYDAY=MO,TU,WE,TH,FR"),
        ("add stretch on tuesdays and fridays", "Stretch", "BYDAY=TU,FR"),
        ("add renew the yearly parking permit, urgent", "Renew the yearly parking permit", None),
    ],
)
async def test_a_new_task_repeats_as_said(
    offline: ChatApp, message: str, title: str, rule: str | None
) -> None:
    account = await offline.signup()
    body = await offline.say(account, message)
    task = await only_task(offline, account)
    assert task["title"] == title
    if rule is None:
        assert task["recurrence"] is None
        return
    assert rule in task["recurrence"]["rule"]
    assert f"repeats {task['recurrence']['text']}" in body["response"]
    assert task["due_at"] is not None  # the first occurrence


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        ("can the yoga one repeat tuesday to thursday?", "BYDAY=TU,WE,TH"),
        ("the yoga task should recur every 3 days", "FREQ=DAILY;INTERVAL=3"),
        ("make the yoga task weekly", "FREQ=WEEKLY"),
    ],
)
async def test_an_existing_task_is_made_to_repeat(
    offline: ChatApp, message: str, rule: str
) -> None:
    account = await offline.signup()
    await add_task(offline.client, account, title="Go to yoga")
    body = await offline.say(account, message)
    task = await only_task(offline, account)
    assert calls(body)[-1] == "update_task"
    assert rule in task["recurrence"]["rule"]
    assert "repeats" in body["response"] and "Go to yoga" in body["response"]


async def test_it_changes_the_rule_then_stops_repeating(offline: ChatApp) -> None:
    account = await offline.signup()
    first = await offline.say(account, "add call grandma every sunday")
    conversation = first["conversation_id"]
    changed = await offline.say(account, "have it recur every other week instead", conversation)
    task = await only_task(offline, account)
    assert task["recurrence"]["rule"] == "FREQ=WEEKLY;INTERVAL=2"
    assert "every 2 weeks" in changed["response"]

    stopped = await offline.say(account, "grandma's call shouldn't repeat anymore", conversation)
    task = await only_task(offline, account)
    assert task["recurrence"] is None
    assert "no longer repeats" in stopped["response"]


@pytest.mark.parametrize(
    "message", ["skip this week's orchids", "skip the orchids today", "pass on the orchids once"]
)
async def test_skip_moves_a_repeating_task_on_without_completing_it(
    offline: ChatApp, message: str
) -> None:
    account = await offline.signup()
    before = await add_task(
        offline.client, account, title="Water the orchids", recurrence="every monday"
    )
    await add_task(offline.client, account, title="Buy soil")
    body = await offline.say(account, message)
    assert calls(body) == ["list_tasks", "skip_occurrence"]
    after = next(t for t in await offline.tasks(account) if t["id"] == before["id"])
    assert after["completed"] is False and after["due_at"] > before["due_at"]
    assert "next due" in body["response"] and "Water the orchids" in body["response"]


async def test_skip_the_next_one_means_the_task_just_talked_about(offline: ChatApp) -> None:
    account = await offline.signup()
    first = await offline.say(account, "add team retro every friday at 3pm")
    before = await only_task(offline, account)
    body = await offline.say(account, "skip the next one", first["conversation_id"])
    after = await only_task(offline, account)
    assert calls(body) == ["skip_occurrence"]
    assert after["due_at"] > before["due_at"] and after["completed"] is False


async def test_skipping_a_task_that_does_not_repeat_changes_nothing(offline: ChatApp) -> None:
    account = await offline.signup()
    await add_task(offline.client, account, title="Renew the lease")
    body = await offline.say(account, "skip the lease this week")
    task = await only_task(offline, account)
    assert task["completed"] is False and task["due_at"] is None
    assert "does not repeat" in body["response"] or "couldn't" in body["response"].lower()


@pytest.mark.parametrize(
    ("message", "lead"),
    [
        ("give me a heads up 2 hours before the dentist visit", "2 hours"),
        ("remind me about the dentist visit a day before", "1 day"),
        ("nudge me half an hour before the dentist visit", "30 minutes"),
    ],
)
async def test_a_reminder_before_the_due_time(offline: ChatApp, message: str, lead: str) -> None:
    account = await offline.signup()
    due = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    await add_task(offline.client, account, title="Dentist visit", due_at=due.isoformat())
    body = await offline.say(account, message)
    task = await only_task(offline, account)
    [reminder] = [r for r in task["reminders"] if r["status"] == "pending"]
    assert reminder["before"] is not None
    assert f"{lead} before" in body["response"]


async def test_a_reminder_about_a_task_that_exists_goes_on_it(offline: ChatApp) -> None:
    account = await offline.signup()
    await add_task(offline.client, account, title="Call the electrician")
    body = await offline.say(account, "set a reminder for the electrician call on thursday at 4pm")
    task = await only_task(offline, account)  # no second task
    [reminder] = task["reminders"]
    assert reminder["status"] == "pending" and calls(body)[-1] == "update_task"
    assert "reminder" in body["response"] and "Call the electrician" in body["response"]

    cleared = await offline.say(account, "don't remind me about the electrician call")
    task = await only_task(offline, account)
    assert not [r for r in task["reminders"] if r["status"] == "pending"]
    assert "no reminders" in cleared["response"]


async def test_a_reminder_about_something_new_adds_it(offline: ChatApp) -> None:
    account = await offline.signup()
    await add_task(offline.client, account, title="Buy soil")
    body = await offline.say(account, "remind me about the parking permit tomorrow morning at 7")
    titles = sorted(t["title"] for t in await offline.tasks(account))
    assert titles == ["Buy soil", "The parking permit"]
    assert "7am" in body["response"]


@pytest.mark.parametrize(
    ("message", "done"),
    [
        ("called the plumber already, you can tick that off", "Ring the plumber"),
        ("crossed off the plumber 🎉", "Ring the plumber"),
        ("ok so the piano thing is over, please take it off my list", None),
    ],
)
async def test_a_statement_before_the_request_says_which_task(
    offline: ChatApp, message: str, done: str | None
) -> None:
    account = await offline.signup()
    await add_task(offline.client, account, title="Ring the plumber")
    await add_task(offline.client, account, title="Book piano lessons")
    await offline.say(account, message)
    tasks = {t["title"]: t for t in await offline.tasks(account)}
    if done:
        assert tasks[done]["completed"] is True
        assert tasks["Book piano lessons"]["completed"] is False
    else:
        assert list(tasks) == ["Ring the plumber"]


async def test_a_remark_after_a_comma_is_not_part_of_the_name(offline: ChatApp) -> None:
    account = await offline.signup()
    await add_task(offline.client, account, title="Piano lesson on Saturday")
    await add_task(offline.client, account, title="Buy soil")
    body = await offline.say(account, "delete the piano lesson, teacher is sick")
    assert [t["title"] for t in await offline.tasks(account)] == ["Buy soil"]
    assert "Piano lesson on Saturday" in body["response"]


async def test_particle_verbs_and_list_phrasings(offline: ChatApp) -> None:
    account = await offline.signup()
    due = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    await add_task(offline.client, account, title="File the tax return", due_at=due.isoformat())
    await offline.say(account, "strip the deadline off the tax return task")
    await offline.say(account, "stick call the vet on my list for friday")
    tasks = {t["title"]: t for t in await offline.tasks(account)}
    assert tasks["File the tax return"]["due_at"] is None
    assert tasks["Call the vet"]["due_at"] is not None
