"""Quick add (`POST .../tasks/parse`) and Todoist's p1-p4 priority words on every surface."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.factories import Account, add_task, signup

PARIS = ZoneInfo("Europe/Paris")


async def _parse(client: httpx.AsyncClient, account: Account, text: str) -> httpx.Response:
    return await client.post(
        account.url("/tasks/parse"), json={"text": text}, headers=account.headers
    )


async def _drafts(client: httpx.AsyncClient, account: Account, text: str) -> list[dict[str, Any]]:
    response = await _parse(client, account, text)
    assert response.status_code == 200, response.text
    return list(response.json()["tasks"])


def _local(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(PARIS)


async def test_a_line_is_read_like_chat_and_the_draft_creates_the_task(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client, time_zone="Europe/Paris")
    [draft] = await _drafts(client, account, "buy milk tomorrow 5pm #home p1")
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    assert (draft["title"], draft["priority"], draft["tags"]) == ("Buy milk", "high", ["home"])
    due = _local(draft["due_at"])
    assert (due.date(), due.hour, due.minute) == (tomorrow, 17, 0)
    assert draft["problems"] == []

    # Nothing was created by reading; the draft is a task body as it is.
    listed = await client.get(account.url("/tasks"), headers=account.headers)
    assert listed.json()["total"] == 0
    body = {key: value for key, value in draft.items() if key != "problems"}
    created = await client.post(account.url("/tasks"), json=body, headers=account.headers)
    assert created.status_code == 201, created.text
    task = created.json()
    assert (task["title"], task["priority"], task["tags"]) == ("Buy milk", "high", ["home"])
    assert task["due_at"] == draft["due_at"]


async def test_repeats_reminders_and_several_tasks(client: httpx.AsyncClient) -> None:
    account = await signup(client, time_zone="Europe/Paris")
    [plants] = await _drafts(client, account, "water the plants every monday 9am")
    assert plants["title"] == "Water the plants"
    assert "FREQ=WEEKLY" in plants["recurrence"]["rule"]
    assert "BYDAY=MO" in plants["recurrence"]["rule"]
    assert plants["recurrence"]["text"].lower().startswith("every monday")
    first = _local(plants["due_at"])
    assert (first.weekday(), first.hour) == (0, 9)

    [dentist] = await _drafts(client, account, "remind me to call the dentist at 5pm")
    assert dentist["title"] == "Call the dentist"
    [reminder] = dentist["reminders"]
    assert _local(reminder["at"]).hour == 17

    both = await _drafts(client, account, "add eggs and call bob friday")
    assert [d["title"] for d in both] == ["Eggs", "Call bob"]
    assert both[0]["due_at"] is None
    assert _local(both[1]["due_at"]).weekday() == 4

    for draft in (plants, dentist):
        body = {key: value for key, value in draft.items() if key != "problems"}
        created = await client.post(account.url("/tasks"), json=body, headers=account.headers)
        assert created.status_code == 201, created.text
    tasks = (await client.get(account.url("/tasks"), headers=account.headers)).json()["items"]
    assert {t["title"]: bool(t["recurrence"]) for t in tasks} == {
        "Water the plants": True,
        "Call the dentist": False,
    }
    assert [len(t["reminders"]) for t in tasks if t["title"] == "Call the dentist"] == [1]


async def test_a_line_without_commands_is_the_title_and_unreadable_parts_are_named(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    [plain] = await _drafts(client, account, "read chapter 3")
    assert plain["title"] == "Read chapter 3"
    assert (plain["due_at"], plain["recurrence"], plain["reminders"]) == (None, None, [])
    [odd] = await _drafts(client, account, "call bob by the 45th")
    assert odd["title"] == "Call bob"
    assert odd["due_at"] is None
    assert odd["problems"] and "the 45th" in odd["problems"][0]


async def test_bad_quick_add_input(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    for body in ({"text": ""}, {"text": "   "}, {"text": "x" * 501}, {}, {"text": "a", "b": 1}):
        response = await client.post(
            account.url("/tasks/parse"), json=body, headers=account.headers
        )
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_error"
    other = await signup(client)
    foreign = await client.post(
        account.url("/tasks/parse"), json={"text": "milk"}, headers=other.headers
    )
    assert foreign.status_code == 403


async def test_p1_to_p4_are_read_as_priorities_over_rest(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    words = {"p1": "high", "P2": "medium", "p3": "low", "p4": "low", "high": "high"}
    for word, level in words.items():
        task = await add_task(client, account, title=f"task {word}", priority=word)
        assert task["priority"] == level
    changed = await client.put(
        account.url(f"/tasks/{task['id']}"), json={"priority": "p3"}, headers=account.headers
    )
    assert changed.json()["priority"] == "low"
    listed = await client.get(account.url("/tasks?priority=p1"), headers=account.headers)
    # "task high" was just made low.
    assert [t["title"] for t in listed.json()["items"]] == ["task p1"]
    for bad in ("p5", "p0", "urgent"):
        response = await client.post(
            account.url("/tasks"), json={"title": "x", "priority": bad}, headers=account.headers
        )
        assert response.status_code == 422, bad
        assert "priority" in response.json()["detail"]
