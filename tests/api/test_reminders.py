"""Reminders through the REST API: set, validate, and follow edits, completion and deletion."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import Account, add_task, signup

DUE = "2030-01-02T17:00:00+00:00"


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    return await signup(client)


async def _jobs(
    sessionmaker: async_sessionmaker[AsyncSession], reminder_ids: list[int]
) -> list[dict[str, Any]]:
    """The queued fire jobs of these reminders: payload and when they run."""
    async with sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT payload, execute_after FROM pgqueuer "
                "WHERE entrypoint = 'fire_reminder' AND status = 'queued' ORDER BY id"
            )
        )
        jobs = [{**json.loads(payload), "execute_after": after} for payload, after in rows]
    return [job for job in jobs if job["reminder_id"] in reminder_ids]


async def test_reminders_at_a_time_and_before_the_due_time(
    client: httpx.AsyncClient, account: Account, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    task = await add_task(
        client,
        account,
        title="Call the dentist",
        due_at=DUE,
        reminders=[{"at": "2030-01-02T09:00:00Z"}, {"before": "30m"}, {"before": "P1D"}],
    )
    reminders = task["reminders"]
    assert [(r["at"], r["status"], r["before"]) for r in reminders] == [
        ("2030-01-02T09:00:00Z", "pending", None),
        ("2030-01-02T16:30:00Z", "pending", "PT30M"),
        ("2030-01-01T17:00:00Z", "pending", "P1D"),
    ]
    assert set(reminders[0]) == {"id", "at", "status", "before"}
    fetched = await client.get(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    assert fetched.json()["reminders"] == reminders

    # Each reminder has one job, due when the reminder is.
    jobs = await _jobs(sessionmaker, [r["id"] for r in reminders])
    assert [job["reminder_id"] for job in jobs] == [r["id"] for r in reminders]
    for job, reminder in zip(jobs, reminders, strict=True):
        at = datetime.fromisoformat(reminder["at"])
        assert abs(job["execute_after"] - at) < timedelta(minutes=1)


async def test_natural_reminder_times_read_in_the_users_zone(client: httpx.AsyncClient) -> None:
    account = await signup(client, time_zone="Asia/Tokyo")
    task = await add_task(client, account, title="Water plants", reminders=[{"at": "tomorrow 5pm"}])
    at = datetime.fromisoformat(task["reminders"][0]["at"])
    tokyo = at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (tokyo.hour, tokyo.minute) == (17, 0)
    assert tokyo.date() == datetime.now(ZoneInfo("Asia/Tokyo")).date() + timedelta(days=1)


@pytest.mark.parametrize(
    ("reminders", "field", "words"),
    [
        ([{"before": "30m"}], "reminders[0].before", "no due date"),
        ([{"at": "not a date at all"}], "reminders[0].at", "can't read"),
        ([{"at": "2001-01-01T00:00:00Z"}], "reminders[0].at", "in the past"),
        ([{"before": "soonish"}], "reminders.0.before", "can't read"),
        ([{"before": "0m"}], "reminders.0.before", "more than zero"),
        ([{}], "reminders.0", "either 'at'"),
        ([{"at": "tomorrow", "before": "1h"}], "reminders.0", "either 'at'"),
        ([{"at": "tomorrow", "when": "now"}], "reminders.0.when", ""),
        ([{"before": "1h"}] * 11, "reminders", "at most 10"),
        ("tomorrow", "reminders", ""),
    ],
)
async def test_bad_reminders_are_422_naming_the_field(
    client: httpx.AsyncClient, account: Account, reminders: Any, field: str, words: str
) -> None:
    response = await client.post(
        account.url("/tasks"),
        json={"title": "Something", "reminders": reminders},
        headers=account.headers,
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert field in body["detail"] and words in body["detail"]
    listed = await client.get(account.url("/tasks"), headers=account.headers)
    assert listed.json()["total"] == 0  # nothing half-written


async def test_moving_the_due_date_moves_relative_reminders(
    client: httpx.AsyncClient, account: Account, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    task = await add_task(
        client,
        account,
        title="Report",
        due_at=DUE,
        reminders=[{"before": "1h"}, {"at": "2030-01-01T08:00:00Z"}],
    )
    relative, absolute = task["reminders"]
    moved = await client.put(
        account.url(f"/tasks/{task['id']}"),
        json={"due_at": "2030-01-05T12:00:00+00:00"},
        headers=account.headers,
    )
    assert moved.status_code == 200, moved.text
    after = {r["id"]: r for r in moved.json()["reminders"]}
    assert after[relative["id"]]["at"] == "2030-01-05T11:00:00Z"
    assert after[absolute["id"]] == absolute
    # The old job stays queued but is disarmed: a new job carries the new delivery.
    jobs = await _jobs(sessionmaker, [relative["id"]])
    assert len(jobs) == 2 and jobs[0]["delivery_id"] != jobs[1]["delivery_id"]

    cleared = await client.put(
        account.url(f"/tasks/{task['id']}"), json={"due_at": None}, headers=account.headers
    )
    statuses = {r["id"]: r["status"] for r in cleared.json()["reminders"]}
    assert statuses == {relative["id"]: "cancelled", absolute["id"]: "pending"}


async def test_completing_cancels_and_reopening_restores(
    client: httpx.AsyncClient, account: Account
) -> None:
    task = await add_task(
        client, account, title="Pay rent", due_at=DUE, reminders=[{"before": "1d"}]
    )
    done = await client.patch(account.url(f"/tasks/{task['id']}/complete"), headers=account.headers)
    assert [r["status"] for r in done.json()["reminders"]] == ["cancelled"]
    reopened = await client.patch(
        account.url(f"/tasks/{task['id']}/complete"), headers=account.headers
    )
    assert [r["status"] for r in reopened.json()["reminders"]] == ["pending"]
    via_put = await client.put(
        account.url(f"/tasks/{task['id']}"), json={"completed": True}, headers=account.headers
    )
    assert [r["status"] for r in via_put.json()["reminders"]] == ["cancelled"]


async def test_replacing_and_deleting(
    client: httpx.AsyncClient, account: Account, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    task = await add_task(client, account, title="Gym", due_at=DUE, reminders=[{"before": "1h"}])
    replaced = await client.put(
        account.url(f"/tasks/{task['id']}"),
        json={"reminders": [{"before": "2h"}, {"before": "10 minutes"}]},
        headers=account.headers,
    )
    assert [r["before"] for r in replaced.json()["reminders"]] == ["PT2H", "PT10M"]
    emptied = await client.put(
        account.url(f"/tasks/{task['id']}"), json={"reminders": []}, headers=account.headers
    )
    assert emptied.json()["reminders"] == []
    null = await client.put(
        account.url(f"/tasks/{task['id']}"), json={"reminders": None}, headers=account.headers
    )
    assert null.status_code == 422 and "reminders" in null.json()["detail"]

    await client.put(
        account.url(f"/tasks/{task['id']}"),
        json={"reminders": [{"before": "3h"}]},
        headers=account.headers,
    )
    deleted = await client.delete(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    assert deleted.status_code == 204
    # Deleting cancels what the task had coming (undoing the delete brings it back).
    async with sessionmaker() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM reminder WHERE user_id = :user AND status = 'pending'"),
            {"user": account.id},
        )
    assert left == 0
    restored = await client.post(
        account.url(f"/tasks/{task['id']}/restore"), headers=account.headers
    )
    assert [(r["before"], r["status"]) for r in restored.json()["reminders"]] == [
        ("PT3H", "pending")
    ]
