"""The dispatcher in-process: a firing is claimed once, and a moved, completed or deleted
reminder's old job does nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import add_task, signup
from todochat.notify.dispatch import Dispatcher, FiredReminder

LATER = (datetime.now(UTC) + timedelta(days=30)).isoformat()


async def _job_payloads(
    sessionmaker: async_sessionmaker[AsyncSession], reminder_id: int
) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            text("SELECT payload FROM pgqueuer WHERE entrypoint = 'fire_reminder' ORDER BY id")
        )
        payloads = [json.loads(row) for row in rows]
    return [payload for payload in payloads if payload["reminder_id"] == reminder_id]


def _recording_dispatcher(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> tuple[Dispatcher, list[FiredReminder]]:
    fired: list[FiredReminder] = []

    async def hook(session: AsyncSession, reminder: FiredReminder) -> None:
        fired.append(reminder)

    return Dispatcher(sessionmaker, [hook]), fired


async def test_a_job_fires_its_reminder_once(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(client)
    task = await add_task(client, account, title="Stretch", reminders=[{"at": LATER}])
    [payload] = await _job_payloads(sessionmaker, task["reminders"][0]["id"])
    dispatcher, fired = _recording_dispatcher(sessionmaker)

    first = await dispatcher.fire(payload)
    again = await dispatcher.fire(payload)  # the same job run twice (a worker died after firing)

    assert again is None and fired == [first]
    assert first is not None
    assert first.user_id == uuid.UUID(account.id)
    assert str(first.delivery_id) == payload["delivery_id"]
    data = first.data()
    assert (data["task"]["id"], data["task"]["title"]) == (task["id"], "Stretch")
    assert data["reminder"]["id"] == task["reminders"][0]["id"]
    assert data["reminder"]["status"] == "sent"
    assert data["reminder"]["delivery_id"] == payload["delivery_id"]
    shown = await client.get(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    assert [r["status"] for r in shown.json()["reminders"]] == ["sent"]


async def test_moved_completed_or_deleted_reminders_do_not_fire(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(client)
    dispatcher, fired = _recording_dispatcher(sessionmaker)
    due = (datetime.now(UTC) + timedelta(days=30)).isoformat()

    moved = await add_task(client, account, title="Moved", due_at=due, reminders=[{"before": "1h"}])
    [old] = await _job_payloads(sessionmaker, moved["reminders"][0]["id"])
    later = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    await client.put(
        account.url(f"/tasks/{moved['id']}"), json={"due_at": later}, headers=account.headers
    )
    assert await dispatcher.fire(old) is None
    old_job, new_job = await _job_payloads(sessionmaker, moved["reminders"][0]["id"])
    assert old_job == old and await dispatcher.fire(new_job) is not None

    done = await add_task(client, account, title="Done", reminders=[{"at": LATER}])
    [payload] = await _job_payloads(sessionmaker, done["reminders"][0]["id"])
    # Completed behind the service's back (as if the cancelling statement never ran): the
    # firing itself still refuses a completed task.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "UPDATE task SET completed = true, completed_at = now()"
                " WHERE user_id = :user AND number = :number"
            ),
            {"user": account.id, "number": done["id"]},
        )
    assert await dispatcher.fire(payload) is None
    shown = await client.get(account.url(f"/tasks/{done['id']}"), headers=account.headers)
    assert [r["status"] for r in shown.json()["reminders"]] == ["cancelled"]

    gone = await add_task(client, account, title="Gone", reminders=[{"at": LATER}])
    [payload] = await _job_payloads(sessionmaker, gone["reminders"][0]["id"])
    await client.delete(account.url(f"/tasks/{gone['id']}"), headers=account.headers)
    assert await dispatcher.fire(payload) is None

    assert [reminder.task.title for reminder in fired] == ["Moved"]
