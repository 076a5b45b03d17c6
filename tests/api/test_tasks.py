"""The task REST API: every endpoint with good and bad input."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.factories import Account, add_task, signup


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    return await signup(client)


async def _list(client: httpx.AsyncClient, account: Account, **params: object) -> dict:  # type: ignore[type-arg]
    response = await client.get(account.url("/tasks"), params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_create_and_read_a_task(client: httpx.AsyncClient, account: Account) -> None:
    task = await add_task(
        client,
        account,
        title="  Buy milk ",
        description="2 litres",
        priority="high",
        tags=["#Home", "errands", "home"],
        due_at="2030-01-02T17:00:00+00:00",
    )
    assert task["title"] == "Buy milk"
    assert task["description"] == "2 litres"
    assert task["priority"] == "high"
    assert task["tags"] == ["home", "errands"]
    assert task["due_at"] == "2030-01-02T17:00:00Z"
    assert task["completed"] is False and task["completed_at"] is None
    assert task["recurrence"] is None
    assert set(task) == {
        "id",
        "title",
        "description",
        "completed",
        "completed_at",
        "priority",
        "tags",
        "due_at",
        "recurrence",
        "created_at",
        "updated_at",
        "reminders",
    }
    assert task["reminders"] == []
    fetched = await client.get(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    assert fetched.json() == task


async def test_defaults(client: httpx.AsyncClient, account: Account) -> None:
    task = await add_task(client, account, title="Call mom")
    assert (task["priority"], task["tags"], task["description"], task["due_at"]) == (
        "medium",
        [],
        "",
        None,
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "ok", "description": "x" * 2001},
        {"title": "ok", "priority": "urgent"},
        {"title": "ok", "due_at": "next tuesday-ish"},
        {"title": "ok", "tags": "home"},
        {"title": 42},
        {"title": "ok", "completed": "yes", "unknown": 1},
        {"title": "ok", "tags": ["x" * 51]},
    ],
)
async def test_create_rejects_bad_input(
    client: httpx.AsyncClient, account: Account, body: dict
) -> None:  # type: ignore[type-arg]
    response = await client.post(account.url("/tasks"), json=body, headers=account.headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert response.json()["detail"]
    assert (await _list(client, account))["total"] == 0


async def test_malformed_json_is_422(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.post(
        account.url("/tasks"),
        content=b"{not json",
        headers={**account.headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "The request body is not valid JSON."


async def test_title_of_exactly_200_chars_is_fine(
    client: httpx.AsyncClient, account: Account
) -> None:
    task = await add_task(client, account, title="x" * 200)
    assert len(task["title"]) == 200


async def test_partial_update(client: httpx.AsyncClient, account: Account) -> None:
    task = await add_task(
        client, account, title="Draft", priority="low", due_at="2030-01-01T09:00:00Z", tags=["a"]
    )
    response = await client.put(
        account.url(f"/tasks/{task['id']}"), json={"title": "Final"}, headers=account.headers
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "Final"
    assert (updated["priority"], updated["due_at"], updated["tags"]) == (
        "low",
        "2030-01-01T09:00:00Z",
        ["a"],
    )
    assert updated["updated_at"] > task["updated_at"]

    cleared = await client.put(
        account.url(f"/tasks/{task['id']}"), json={"due_at": None}, headers=account.headers
    )
    assert cleared.json()["due_at"] is None
    assert cleared.json()["title"] == "Final"


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": None},
        {"priority": "p5"},  # p1-p4 are Todoist's words, read as levels
        {"tags": None},
        {"due_at": "soon"},
        {"nope": 1},
    ],
)
async def test_update_rejects_bad_input(
    client: httpx.AsyncClient, account: Account, body: dict
) -> None:  # type: ignore[type-arg]
    task = await add_task(client, account, title="Keep me")
    response = await client.put(
        account.url(f"/tasks/{task['id']}"), json=body, headers=account.headers
    )
    assert response.status_code == 422
    unchanged = await client.get(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    assert unchanged.json() == task


async def test_toggle_complete(client: httpx.AsyncClient, account: Account) -> None:
    task = await add_task(client, account, title="Toggle me")
    done = await client.patch(account.url(f"/tasks/{task['id']}/complete"), headers=account.headers)
    assert done.status_code == 200
    assert done.json()["completed"] is True
    assert done.json()["completed_at"] is not None
    undone = await client.patch(
        account.url(f"/tasks/{task['id']}/complete"), headers=account.headers
    )
    assert undone.json()["completed"] is False
    assert undone.json()["completed_at"] is None


async def test_delete(client: httpx.AsyncClient, account: Account) -> None:
    task = await add_task(client, account, title="Delete me")
    response = await client.delete(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    assert response.status_code == 204
    assert response.content == b""
    gone = await client.get(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    assert gone.status_code == 404
    again = await client.delete(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    assert again.status_code == 404


async def test_restore_undoes_a_delete_with_the_same_number(
    client: httpx.AsyncClient, account: Account
) -> None:
    keep = await add_task(client, account, title="Keep")
    task = await add_task(
        client,
        account,
        title="Oops",
        description="notes",
        priority="high",
        tags=["home"],
        due_at="2030-01-02T17:00:00+00:00",
        reminders=[{"before": "1h"}],
    )
    done = await client.patch(account.url(f"/tasks/{task['id']}/complete"), headers=account.headers)
    assert done.json()["completed"] is True
    before = done.json()
    # Restoring a task that is not deleted is 404, and changes nothing.
    live = await client.post(account.url(f"/tasks/{task['id']}/restore"), headers=account.headers)
    assert live.status_code == 404 and live.json()["error"] == "not_found"

    assert (
        await client.delete(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    ).status_code == 204
    listed = await _list(client, account)
    assert [t["id"] for t in listed["items"]] == [keep["id"]] and listed["total"] == 1
    for method, path in [("GET", ""), ("PUT", ""), ("PATCH", "/complete"), ("DELETE", "")]:
        hidden = await client.request(
            method,
            account.url(f"/tasks/{task['id']}{path}"),
            json={"title": "x"} if method == "PUT" else None,
            headers=account.headers,
        )
        assert hidden.status_code == 404, (method, path)

    restored = await client.post(
        account.url(f"/tasks/{task['id']}/restore"), headers=account.headers
    )
    assert restored.status_code == 200, restored.text
    body = restored.json()
    # Everything as it was, the same number; a completed task's reminders stay cancelled.
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert body["id"] == task["id"]
    listed = await _list(client, account)
    assert sorted(t["id"] for t in listed["items"]) == sorted([keep["id"], task["id"]])
    # A second restore finds nothing deleted; a new task still takes a new number.
    again = await client.post(account.url(f"/tasks/{task['id']}/restore"), headers=account.headers)
    assert again.status_code == 404
    new = await add_task(client, account, title="New")
    assert new["id"] > task["id"]


async def test_restore_bad_input(client: httpx.AsyncClient, account: Account) -> None:
    unknown = await client.post(account.url("/tasks/999999/restore"), headers=account.headers)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "not_found", "detail": "Task 999999 not found."}
    bad = await client.post(account.url("/tasks/abc/restore"), headers=account.headers)
    assert bad.status_code == 422 and bad.json()["error"]


async def test_restore_is_per_user(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    mine = await add_task(client, alice, title="Alice's")
    theirs = await add_task(client, bob, title="Bob's")
    assert mine["id"] == theirs["id"]  # both users' first task
    await client.delete(alice.url(f"/tasks/{mine['id']}"), headers=alice.headers)
    # Bob cannot restore Alice's task: not on her path, and not by its number on his own.
    on_hers = await client.post(alice.url(f"/tasks/{mine['id']}/restore"), headers=bob.headers)
    assert on_hers.status_code == 403
    on_his = await client.post(bob.url(f"/tasks/{mine['id']}/restore"), headers=bob.headers)
    assert on_his.status_code == 404
    assert (await _list(client, alice))["total"] == 0
    assert [t["title"] for t in (await _list(client, bob))["items"]] == ["Bob's"]
    back = await client.post(alice.url(f"/tasks/{mine['id']}/restore"), headers=alice.headers)
    assert back.json()["title"] == "Alice's"


async def test_deleted_task_reminders_come_back_on_restore(
    client: httpx.AsyncClient, account: Account
) -> None:
    task = await add_task(
        client,
        account,
        title="Dentist",
        due_at="2030-01-02T17:00:00+00:00",
        reminders=[{"before": "1d"}],
    )
    await client.delete(account.url(f"/tasks/{task['id']}"), headers=account.headers)
    restored = await client.post(
        account.url(f"/tasks/{task['id']}/restore"), headers=account.headers
    )
    assert [r["status"] for r in restored.json()["reminders"]] == ["pending"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_unknown_task_is_404(
    client: httpx.AsyncClient, account: Account, method: str
) -> None:
    path = "/tasks/999999999/complete" if method == "PATCH" else "/tasks/999999999"
    response = await client.request(
        method,
        account.url(path),
        json={"title": "x"} if method == "PUT" else None,
        headers=account.headers,
    )
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Task 999999999 not found."}


async def test_list_filters_and_search(client: httpx.AsyncClient, account: Account) -> None:
    milk = await add_task(client, account, title="Buy milk", tags=["shopping"], priority="high")
    await add_task(
        client, account, title="Write report", description="quarterly numbers, with MILK stats"
    )
    bread = await add_task(client, account, title="Buy bread", tags=["shopping"], priority="low")
    await client.patch(account.url(f"/tasks/{bread['id']}/complete"), headers=account.headers)

    assert (await _list(client, account))["total"] == 3
    pending = await _list(client, account, status="pending")
    assert [t["title"] for t in pending["items"]] == ["Buy milk", "Write report"]
    completed = await _list(client, account, status="completed")
    assert [t["id"] for t in completed["items"]] == [bread["id"]]
    search = await _list(client, account, q="milk")
    assert [t["title"] for t in search["items"]] == ["Buy milk", "Write report"]
    assert (await _list(client, account, q="%"))["total"] == 0
    assert [t["id"] for t in (await _list(client, account, tag="#Shopping"))["items"]] == [
        milk["id"],
        bread["id"],
    ]
    assert [t["id"] for t in (await _list(client, account, priority="high"))["items"]] == [
        milk["id"]
    ]


async def test_list_sort_and_pagination(client: httpx.AsyncClient, account: Account) -> None:
    await add_task(client, account, title="banana", priority="low", due_at="2030-01-03T00:00:00Z")
    await add_task(client, account, title="Apple", priority="high")
    await add_task(
        client, account, title="cherry", priority="medium", due_at="2030-01-01T00:00:00Z"
    )
    titles = lambda page: [t["title"] for t in page["items"]]  # noqa: E731
    assert titles(await _list(client, account, sort="title")) == ["Apple", "banana", "cherry"]
    assert titles(await _list(client, account, sort="priority")) == ["Apple", "cherry", "banana"]
    assert titles(await _list(client, account, sort="due")) == ["cherry", "banana", "Apple"]
    assert titles(await _list(client, account, sort="created")) == ["banana", "Apple", "cherry"]
    page = await _list(client, account, sort="title", limit=2, offset=1)
    assert titles(page) == ["banana", "cherry"] and page["total"] == 3
    beyond = await _list(client, account, limit=2, offset=10)
    assert beyond == {"items": [], "total": 3}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "done"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"sort": "random"},
        {"due": "tomorrow"},
        {"priority": "urgent"},
    ],
)
async def test_list_rejects_bad_params(
    client: httpx.AsyncClient, account: Account, params: dict
) -> None:  # type: ignore[type-arg]
    response = await client.get(account.url("/tasks"), params=params, headers=account.headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_due_filters_use_the_users_calendar(client: httpx.AsyncClient) -> None:
    # Far from UTC so "today" differs from the UTC day for much of the day.
    account = await signup(client, time_zone="Pacific/Kiritimati")
    zone = ZoneInfo("Pacific/Kiritimati")
    now = datetime.now(zone)
    start_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    earlier_today = await add_task(
        client, account, title="earlier today", due_at=start_of_today.isoformat()
    )
    later = now + timedelta(minutes=5)
    if later.date() == now.date():
        await add_task(client, account, title="later today", due_at=later.isoformat())
    in_three_days = await add_task(
        client, account, title="in three days", due_at=(now + timedelta(days=3)).isoformat()
    )
    overdue = await add_task(
        client, account, title="overdue", due_at=(now - timedelta(days=2)).isoformat()
    )
    await add_task(client, account, title="no date")

    today = await _list(client, account, due="today")
    assert earlier_today["id"] in [t["id"] for t in today["items"]]
    assert all(t["title"].endswith("today") for t in today["items"])
    overdue_ids = {t["id"] for t in (await _list(client, account, due="overdue"))["items"]}
    assert overdue_ids == {overdue["id"], earlier_today["id"]}
    week = {t["title"] for t in (await _list(client, account, due="week"))["items"]}
    assert "in three days" in week and "overdue" not in week and "no date" not in week
    assert in_three_days["id"]


async def test_naive_due_dates_are_in_the_users_time_zone(client: httpx.AsyncClient) -> None:
    account = await signup(client, time_zone="America/New_York")
    task = await add_task(client, account, title="Meeting", due_at="2030-06-01T09:00:00")
    assert task["due_at"] == "2030-06-01T13:00:00Z"


async def test_completing_a_done_task_keeps_when_it_was_done(
    client: httpx.AsyncClient, account: Account
) -> None:
    task = await add_task(client, account, title="Done once")
    path = account.url(f"/tasks/{task['id']}")
    first = await client.put(path, json={"completed": True}, headers=account.headers)
    again = await client.put(path, json={"completed": True}, headers=account.headers)
    assert first.json()["completed_at"] is not None
    assert again.json()["completed_at"] == first.json()["completed_at"]


async def test_user_id_in_any_spelling(client: httpx.AsyncClient, account: Account) -> None:
    upper = await client.get(f"/api/{account.id.upper()}/tasks", headers=account.headers)
    assert upper.status_code == 200
    garbage = await client.get("/api/not-a-uuid/tasks", headers=account.headers)
    assert garbage.status_code == 422
    assert garbage.json()["error"] == "validation_error"


async def test_blank_filters_mean_no_filter(client: httpx.AsyncClient, account: Account) -> None:
    await add_task(client, account, title="Anything")
    response = await client.get(
        account.url("/tasks?priority=&due=&q=&tag=&status=&sort="), headers=account.headers
    )
    assert response.status_code == 200
    assert response.json()["total"] == 1


async def test_upcoming_is_pending_tasks_due_after_today(
    client: httpx.AsyncClient, account: Account
) -> None:
    now = datetime.now(ZoneInfo("UTC"))
    today = await add_task(
        client, account, title="Today", due_at=now.replace(hour=23, minute=59).isoformat()
    )
    tomorrow = await add_task(
        client, account, title="Tomorrow", due_at=(now + timedelta(days=1)).isoformat()
    )
    later = await add_task(
        client, account, title="Later", due_at=(now + timedelta(days=40)).isoformat()
    )
    await add_task(client, account, title="Undated")
    await add_task(client, account, title="Past", due_at=(now - timedelta(days=2)).isoformat())
    done = await add_task(
        client, account, title="Done later", due_at=(now + timedelta(days=3)).isoformat()
    )
    await client.patch(account.url(f"/tasks/{done['id']}/complete"), headers=account.headers)
    page = await _list(client, account, due="upcoming", sort="due")
    assert [t["id"] for t in page["items"]] == [tomorrow["id"], later["id"]]
    assert page["total"] == 2
    assert today["id"] in [t["id"] for t in (await _list(client, account, due="today"))["items"]]
    bad = await client.get(
        account.url("/tasks"), params={"due": "someday"}, headers=account.headers
    )
    assert bad.status_code == 422 and bad.json()["error"]
