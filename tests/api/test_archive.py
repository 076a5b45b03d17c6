"""Export, import (a todochat export, a Todoist CSV) and account deletion: good and bad input."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import PASSWORD, Account, add_task, signup


async def _export(client: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    response = await client.get(account.url("/export"), headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    return dict(response.json())


async def _import(
    client: httpx.AsyncClient, account: Account, body: bytes | str, media_type: str
) -> httpx.Response:
    return await client.post(
        account.url("/import"),
        content=body,
        headers={**account.headers, "Content-Type": media_type},
    )


async def _task_count(client: httpx.AsyncClient, account: Account) -> int:
    response = await client.get(account.url("/tasks"), headers=account.headers)
    return int(response.json()["total"])


def _comparable_task(task: dict[str, Any]) -> dict[str, Any]:
    """What must survive a round trip (numbers and timestamps of the row itself may differ)."""
    keep = ("title", "description", "completed", "completed_at", "priority", "tags", "due_at")
    return {
        **{key: task[key] for key in keep},
        "recurrence": task["recurrence"],
        "reminders": [(r["at"], r["before"], r["status"]) for r in task["reminders"]],
        "completions": task["completions"],
        "created_at": task["created_at"],
    }


def _comparable_conversation(conversation: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": conversation["title"],
        "created_at": conversation["created_at"],
        "messages": [
            (m["role"], m["content"], m["tool_calls"], m["created_at"])
            for m in conversation["messages"]
        ],
    }


async def test_export_then_import_round_trips_everything(client: httpx.AsyncClient) -> None:
    source = await signup(client, time_zone="Europe/Paris")
    await add_task(
        client,
        source,
        title="Plain task",
        description="with a description",
        priority="high",
        tags=["home", "errands"],
        due_at="2030-01-02T09:30:00+01:00",
        reminders=[{"at": "2030-01-02T08:00:00+01:00"}, {"before": "PT15M"}],
    )
    done = await add_task(client, source, title="Done task")
    completed = await client.patch(
        source.url(f"/tasks/{done['id']}/complete"), headers=source.headers
    )
    assert completed.json()["completed"] is True
    weekly = await add_task(client, source, title="Water the plants", recurrence="every monday 9am")
    moved = await client.patch(
        source.url(f"/tasks/{weekly['id']}/complete"), headers=source.headers
    )
    assert moved.json()["completed"] is False  # moved on; the occurrence is history
    chat = await client.post(
        source.url("/chat"), json={"message": "add a task to buy milk"}, headers=source.headers
    )
    assert chat.status_code == 200, chat.text

    exported = await _export(client, source)
    assert exported["format"] == "todochat-export"
    assert exported["account"]["email"] == source.email
    assert len(exported["tasks"]) == 4
    repeating = next(t for t in exported["tasks"] if t["title"] == "Water the plants")
    assert len(repeating["completions"]) == 1
    assert [len(c["messages"]) for c in exported["conversations"]] == [2]
    assert exported["conversations"][0]["messages"][1]["tool_calls"][0]["name"] == "add_task"

    target = await signup(client, time_zone="Europe/Paris")
    response = await _import(client, target, json.dumps(exported), "application/json")
    assert response.status_code == 200, response.text
    assert response.json() == {"tasks": 4, "conversations": 1, "messages": 2, "warnings": []}

    again = await _export(client, target)
    assert [_comparable_task(t) for t in again["tasks"]] == [
        _comparable_task(t) for t in exported["tasks"]
    ]
    assert [_comparable_conversation(c) for c in again["conversations"]] == [
        _comparable_conversation(c) for c in exported["conversations"]
    ]
    # The imported conversation goes on like any other.
    conversation_id = (
        await client.get(target.url("/conversations"), headers=target.headers)
    ).json()["items"][0]["id"]
    more = await client.post(
        target.url("/chat"),
        json={"conversation_id": conversation_id, "message": "show my tasks"},
        headers=target.headers,
    )
    assert more.status_code == 200, more.text
    detail = await client.get(
        target.url(f"/conversations/{conversation_id}"), headers=target.headers
    )
    assert [m["seq"] for m in detail.json()["messages"]] == [1, 2, 3, 4]


async def test_tasks_as_csv(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    first = await add_task(client, account, title="Buy milk", tags=["shop", "home"])
    await add_task(client, account, title='=HYPERLINK("http://evil")', description="-2+3")
    response = await client.get(account.url("/export?format=csv"), headers=account.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["title"] for row in rows] == ["Buy milk", '\'=HYPERLINK("http://evil")']
    assert rows[0]["id"] == str(first["id"])
    assert rows[0]["tags"] == "shop, home"
    assert rows[0]["completed"] == "false"
    assert rows[1]["description"] == "'-2+3"


TODOIST_CSV = """\ufeffTYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE,DURATION,DURATION_UNIT
meta,view_style=list,,,,,,,,,,
,,,,,,,,,,,
section,Errands,,,,,,,,,,
task,Buy milk @shopping @home,Two litres,4,1,Ada (1),,2030-03-04,en,Europe/Paris,,
note,Semi-skimmed,,,,Ada (1),,,,,,
task,Water the plants,,1,1,Ada (1),,every monday,en,,,
section,Work,,,,,,,,,,
task,Send the report,,3,1,Ada (1),,sometime whenever,en,,,
task,Tidy desk,,2,2,Ada (1),,,,,,
"""


async def test_import_todoist_csv(client: httpx.AsyncClient) -> None:
    account = await signup(client, time_zone="Europe/Paris")
    response = await _import(client, account, TODOIST_CSV.encode(), "text/csv; charset=utf-8")
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["tasks"], result["conversations"]) == (4, 0)
    assert len(result["warnings"]) == 1
    assert "Send the report" in result["warnings"][0]
    assert "sometime whenever" in result["warnings"][0]

    listed = await client.get(account.url("/tasks?limit=10"), headers=account.headers)
    tasks = {task["title"]: task for task in listed.json()["items"]}
    assert set(tasks) == {"Buy milk", "Water the plants", "Send the report", "Tidy desk"}
    milk = tasks["Buy milk"]
    assert milk["tags"] == ["errands", "shopping", "home"]
    assert milk["priority"] == "high"
    assert milk["description"] == "Two litres\n\nSemi-skimmed"
    due = datetime.fromisoformat(milk["due_at"]).astimezone(ZoneInfo("Europe/Paris"))
    assert due.date() == date(2030, 3, 4)  # in the TIMEZONE column's zone
    plants = tasks["Water the plants"]
    assert plants["recurrence"]["rule"].startswith("FREQ=WEEKLY")
    assert "BYDAY=MO" in plants["recurrence"]["rule"]
    assert plants["due_at"] is not None
    assert plants["priority"] == "medium"  # Todoist's p4: no priority
    assert tasks["Send the report"]["due_at"] is None
    assert tasks["Send the report"]["tags"] == ["work"]
    assert tasks["Send the report"]["priority"] == "medium"
    assert tasks["Tidy desk"]["priority"] == "low"


async def test_bad_imports_are_refused_and_add_nothing(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await add_task(client, account, title="Already here")
    good = {"title": "Fine"}
    cases: list[tuple[bytes, str, int, str]] = [
        (b"{not json", "application/json", 422, "not valid JSON"),
        (json.dumps({"format": "other-app"}).encode(), "application/json", 422, "format"),
        (
            json.dumps({"tasks": [good, {"title": ""}]}).encode(),
            "application/json",
            422,
            "tasks[1].title",
        ),
        (
            json.dumps({"tasks": [good, {"title": "x", "priority": "urgent"}]}).encode(),
            "application/json",
            422,
            "tasks[1].priority",
        ),
        (
            json.dumps(
                {"tasks": [good, {"title": "x", "due_at": "9999-01-01T00:00:00Z"}]}
            ).encode(),
            "application/json",
            422,
            "tasks[1].due_at",
        ),
        (
            json.dumps(
                {"tasks": [good, {"title": "x", "recurrence": {"rule": "FREQ=SOMETIMES"}}]}
            ).encode(),
            "application/json",
            422,
            "tasks[1] ('x'): recurrence:",
        ),
        (b"just,some,columns\n1,2,3\n", "text/csv", 422, "TYPE and CONTENT"),
        (b"TYPE,CONTENT\ntask,\xff\xfe\n", "text/csv", 415, "UTF-8"),
        (b"<tasks/>", "application/xml", 415, "text/csv"),
    ]
    for body, media_type, status, needle in cases:
        response = await _import(client, account, body, media_type)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"] in ("validation_error", "unsupported_media_type")
        assert needle in response.json()["detail"], response.json()
    assert await _task_count(client, account) == 1


async def test_a_rule_that_has_ended_is_imported_without_repeating(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    ended = {"rule": "FREQ=DAILY;UNTIL=20200105T000000Z", "text": "daily", "from_completion": False}
    document = {"tasks": [{"title": "Old habit", "completed": True, "recurrence": ended}]}
    response = await _import(client, account, json.dumps(document), "application/json")
    assert response.status_code == 200, response.text
    [warning] = response.json()["warnings"]
    assert "Old habit" in warning and "without repeating" in warning
    [task] = (await client.get(account.url("/tasks"), headers=account.headers)).json()["items"]
    assert (task["title"], task["recurrence"], task["completed"]) == ("Old habit", None, True)


async def test_import_takes_files_larger_than_a_request(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    tasks = [{"title": f"Task {n}", "description": "x" * 200} for n in range(400)]
    body = json.dumps({"tasks": tasks}).encode()
    assert len(body) > 64 * 1024  # over the limit for every other request
    response = await _import(client, account, body, "application/json")
    assert response.status_code == 200, response.text
    assert response.json()["tasks"] == 400
    assert await _task_count(client, account) == 400
    too_big = await client.post(
        account.url("/tasks"),
        content=json.dumps({"title": "x", "description": "y" * 70_000}),
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert too_big.status_code == 413


async def test_export_and_import_are_the_owners_only(client: httpx.AsyncClient) -> None:
    owner, other = await signup(client), await signup(client)
    export = await client.get(owner.url("/export"), headers=other.headers)
    assert export.status_code == 403
    imported = await _import(client, owner, b'{"tasks": []}', "application/json")
    assert imported.status_code == 200
    foreign = await client.post(
        owner.url("/import"),
        content=b'{"tasks": [{"title": "planted"}]}',
        headers={**other.headers, "Content-Type": "application/json"},
    )
    assert foreign.status_code == 403
    assert await _task_count(client, owner) == 0
    anonymous = await client.get(owner.url("/export"))
    assert anonymous.status_code == 401


async def _rows_of(sessionmaker: async_sessionmaker[AsyncSession], user_id: str) -> dict[str, int]:
    """How many rows each table holding a user_id column has for this user."""
    async with sessionmaker() as session:
        tables = (
            await session.scalars(
                text(
                    "SELECT table_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND column_name = 'user_id'"
                )
            )
        ).all()
        counts = {}
        for table in tables:
            counts[table] = (
                await session.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE user_id = :id'), {"id": user_id}
                )
            ).scalar_one()
        counts["app_user"] = (
            await session.execute(
                text("SELECT count(*) FROM app_user WHERE id = :id"), {"id": user_id}
            )
        ).scalar_one()
        return counts


async def test_delete_account_removes_everything(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(client)
    keep = await signup(client)
    await add_task(client, keep, title="Someone else's")
    await add_task(client, account, title="Mine", reminders=[{"at": "2030-01-01T09:00:00Z"}])
    weekly = await add_task(client, account, title="Weekly", recurrence="every friday")
    await client.patch(account.url(f"/tasks/{weekly['id']}/complete"), headers=account.headers)
    await client.post(account.url("/chat"), json={"message": "hi"}, headers=account.headers)
    await client.post(
        account.url("/webhooks"), json={"url": "https://example.com/hook"}, headers=account.headers
    )
    await client.get(account.url("/calendar"), headers=account.headers)
    before = await _rows_of(sessionmaker, account.id)
    assert before["task"] == 2 and before["message"] == 2 and before["app_user"] == 1

    wrong = await client.request(
        "DELETE", "/api/auth/me", json={"password": "not it"}, headers=account.headers
    )
    assert wrong.status_code == 422
    assert "password" in wrong.json()["detail"]
    missing = await client.request("DELETE", "/api/auth/me", headers=account.headers)
    assert missing.status_code == 422
    assert await _rows_of(sessionmaker, account.id) == before

    deleted = await client.request(
        "DELETE", "/api/auth/me", json={"password": PASSWORD}, headers=account.headers
    )
    assert deleted.status_code == 204
    left = await _rows_of(sessionmaker, account.id)
    assert set(left.values()) == {0}, left
    assert (await client.get("/api/auth/me", headers=account.headers)).status_code == 401
    login = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert login.status_code == 401
    assert await _task_count(client, keep) == 1
