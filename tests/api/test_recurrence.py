"""Repeating tasks over REST: the recurrence field, completing, skipping, stopping, bad rules."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Account, add_task, signup


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    return await signup(client, time_zone="America/New_York")


async def _tasks(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(account.url("/tasks"), params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_create_with_natural_recurrence_and_complete_moves_it(
    client: httpx.AsyncClient, account: Account
) -> None:
    # 6 March 2030 is a Wednesday; New York moves its clocks on Sunday 10 March 2030.
    task = await add_task(
        client,
        account,
        title="Stand-up",
        due_at="2030-03-08T09:00:00",
        recurrence="every weekday at 9am",
    )
    assert task["recurrence"] == {
        "rule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0",
        "text": "every weekday at 9:00",
        "from_completion": False,
    }
    assert task["due_at"] == "2030-03-08T14:00:00Z"
    response = await client.patch(
        account.url(f"/tasks/{task['id']}/complete"), headers=account.headers
    )
    assert response.status_code == 200, response.text
    moved = response.json()
    # Monday after the change to daylight time: still 9:00 on the New York clock.
    assert (moved["completed"], moved["completed_at"]) == (False, None)
    assert moved["due_at"] == "2030-03-11T13:00:00Z"
    assert moved["recurrence"] == task["recurrence"]
    assert (await _tasks(client, account, status="pending"))["items"] == [moved]


async def test_rrule_object_and_stop_with_null(client: httpx.AsyncClient, account: Account) -> None:
    task = await add_task(
        client,
        account,
        title="Review",
        due_at="2030-01-07T10:00:00Z",
        recurrence={"rule": "FREQ=WEEKLY;INTERVAL=2", "from_completion": True, "text": "ignored"},
    )
    assert task["recurrence"] == {
        "rule": "FREQ=WEEKLY;INTERVAL=2",
        "text": "every 2 weeks after completion",
        "from_completion": True,
    }
    response = await client.put(
        account.url(f"/tasks/{task['id']}"), json={"recurrence": None}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["recurrence"] is None
    assert response.json()["due_at"] == "2030-01-07T10:00:00Z"
    done = await client.patch(account.url(f"/tasks/{task['id']}/complete"), headers=account.headers)
    assert done.json()["completed"] is True


async def test_skip_endpoint(client: httpx.AsyncClient, account: Account) -> None:
    task = await add_task(
        client,
        account,
        title="Gym",
        due_at="2030-01-07T07:00:00",
        recurrence="FREQ=WEEKLY;BYDAY=MO",
    )
    response = await client.post(account.url(f"/tasks/{task['id']}/skip"), headers=account.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["due_at"], response.json()["completed"]) == (
        "2030-01-14T12:00:00Z",
        False,
    )
    plain = await add_task(client, account, title="Once")
    refused = await client.post(account.url(f"/tasks/{plain['id']}/skip"), headers=account.headers)
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "conflict",
        "detail": f"Task {plain['id']} does not repeat: there is no occurrence to skip.",
    }
    missing = await client.post(account.url("/tasks/987654321/skip"), headers=account.headers)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("recurrence", "detail"),
    [
        ("every blue moon", "recurrence: I can't read 'every blue moon' as a repeat rule."),
        ("FREQ=SECONDLY", "recurrence: a task can repeat at most every hour."),
        ("FREQ=DAILY;UNTIL=20200101", "recurrence: the rule never happens from now on."),
        ("x" * 201, "recurrence.rule: String should have at most 200 characters"),
    ],
)
async def test_invalid_recurrence_is_422_naming_the_field(
    client: httpx.AsyncClient, account: Account, recurrence: str, detail: str
) -> None:
    response = await client.post(
        account.url("/tasks"),
        json={"title": "Nope", "recurrence": recurrence},
        headers=account.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert response.json()["detail"].startswith(detail)
    task = await add_task(client, account, title="Keep")
    response = await client.put(
        account.url(f"/tasks/{task['id']}"),
        json={"title": "Changed", "recurrence": recurrence},
        headers=account.headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert (await _tasks(client, account))["items"] == [task]


async def test_completed_occurrences_are_listed_with_status_completed(
    client: httpx.AsyncClient, account: Account
) -> None:
    plants = await add_task(
        client,
        account,
        title="Water plants",
        due_at="2030-01-07T09:00:00",
        recurrence="every monday",
    )
    bins = await add_task(
        client, account, title="Bins out", due_at="2030-01-08T19:00:00", recurrence="weekly"
    )
    once = await add_task(client, account, title="Call bank")
    for task in (plants, plants, bins, once):
        response = await client.patch(
            account.url(f"/tasks/{task['id']}/complete"), headers=account.headers
        )
        assert response.status_code == 200
    listing = await _tasks(client, account, status="completed")
    assert [task["title"] for task in listing["items"]] == ["Call bank"]
    assert [
        (done["task_id"], done["title"], done["due_at"]) for done in listing["completions"]
    ] == [
        (bins["id"], "Bins out", "2030-01-09T00:00:00Z"),
        (plants["id"], "Water plants", "2030-01-14T14:00:00Z"),
        (plants["id"], "Water plants", "2030-01-07T14:00:00Z"),
    ]
    assert all(done["completed_at"] for done in listing["completions"])
    only_plants = await _tasks(client, account, status="completed", q="plants")
    assert [done["due_at"] for done in only_plants["completions"]] == [
        "2030-01-14T14:00:00Z",
        "2030-01-07T14:00:00Z",
    ]
    assert (await _tasks(client, account, status="completed", limit=1))["completions"] == (
        listing["completions"][:1]
    )
    assert "completions" not in await _tasks(client, account)
    # Deleting a task removes its history with it.
    await client.delete(account.url(f"/tasks/{plants['id']}"), headers=account.headers)
    assert [
        done["title"] for done in (await _tasks(client, account, status="completed"))["completions"]
    ] == ["Bins out"]
