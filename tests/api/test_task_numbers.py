"""Task numbers belong to the user: 1, 2, 3... per user, never reused, the id of every path."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import Account, add_task, signup
from tests.servers import Server, start_server


async def _ids(client: httpx.AsyncClient, account: Account) -> list[int]:
    response = await client.get(
        account.url("/tasks"), params={"limit": 100}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()["items"]]


async def test_a_new_users_first_task_is_1_whatever_others_hold(
    client: httpx.AsyncClient,
) -> None:
    alice = await signup(client)
    for title in ("one", "two", "three"):
        await add_task(client, alice, title=title)
    bob = await signup(client)
    first = await add_task(client, bob, title="Bob's first")
    assert first["id"] == 1
    second = await add_task(client, bob, title="Bob's second")
    assert second["id"] == 2
    assert await _ids(client, alice) == [1, 2, 3]


async def test_numbers_are_never_reused_after_delete(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    tasks = [await add_task(client, account, title=f"task {n}") for n in range(3)]
    assert [task["id"] for task in tasks] == [1, 2, 3]
    deleted = await client.delete(account.url("/tasks/3"), headers=account.headers)
    assert deleted.status_code == 204
    assert (await add_task(client, account, title="after delete"))["id"] == 4
    for number in (1, 2, 4):
        response = await client.delete(account.url(f"/tasks/{number}"), headers=account.headers)
        assert response.status_code == 204
    assert await _ids(client, account) == []
    assert (await add_task(client, account, title="list was empty"))["id"] == 5
    gone = await client.get(account.url("/tasks/3"), headers=account.headers)
    assert gone.status_code == 404
    assert gone.json() == {"error": "not_found", "detail": "Task 3 not found."}


async def test_two_users_each_have_their_own_number_1(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    alices = await add_task(client, alice, title="Alice's 1")
    await add_task(client, alice, title="Alice's 2")
    bobs = await add_task(client, bob, title="Bob's 1")
    assert alices["id"] == bobs["id"] == 1

    read = await client.get(bob.url("/tasks/1"), headers=bob.headers)
    assert read.json() == bobs
    renamed = await client.put(
        bob.url("/tasks/1"), json={"title": "Bob's renamed"}, headers=bob.headers
    )
    assert renamed.status_code == 200 and renamed.json()["id"] == 1
    done = await client.patch(bob.url("/tasks/1/complete"), headers=bob.headers)
    assert done.json()["completed"] is True
    # Bob has no #2: Alice's #2 is not reachable through Bob's paths, whatever the method.
    for method, path, body in [
        ("GET", "/tasks/2", None),
        ("PUT", "/tasks/2", {"title": "hijacked"}),
        ("PATCH", "/tasks/2/complete", None),
        ("POST", "/tasks/2/skip", None),
        ("DELETE", "/tasks/2", None),
    ]:
        response = await client.request(method, bob.url(path), json=body, headers=bob.headers)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error": "not_found", "detail": "Task 2 not found."}
    assert (await client.get(alice.url("/tasks/1"), headers=alice.headers)).json() == alices
    listing = (await client.get(alice.url("/tasks"), headers=alice.headers)).json()
    assert [(task["id"], task["title"], task["completed"]) for task in listing["items"]] == [
        (1, "Alice's 1", False),
        (2, "Alice's 2", False),
    ]
    assert (await client.delete(bob.url("/tasks/1"), headers=bob.headers)).status_code == 204
    assert (await client.get(alice.url("/tasks/1"), headers=alice.headers)).json() == alices


async def test_bad_task_numbers_are_4xx(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await add_task(client, account, title="only")
    for bad in ("0", "-1", "abc", "1.5", str(2**63)):
        response = await client.get(account.url(f"/tasks/{bad}"), headers=account.headers)
        assert response.status_code in (404, 422), bad
        assert set(response.json()) == {"error", "detail"}, bad
    assert await _ids(client, account) == [1]


async def test_repeating_task_history_names_the_task_by_its_number(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await add_task(client, account, title="filler")
    due = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    weekly = await add_task(
        client, account, title="Water plants", due_at=due, recurrence="every week"
    )
    assert weekly["id"] == 2
    moved = await client.patch(account.url("/tasks/2/complete"), headers=account.headers)
    assert moved.json()["completed"] is False
    done = await client.get(
        account.url("/tasks"), params={"status": "completed"}, headers=account.headers
    )
    assert [(c["task_id"], c["title"]) for c in done.json()["completions"]] == [(2, "Water plants")]


async def _add_many(
    server: Server, account: Account, titles: list[str], *, with_reminders: bool
) -> list[dict[str, Any]]:
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    extra: dict[str, Any] = (
        {"due_at": due, "reminders": [{"before": "1h"}], "recurrence": "every day"}
        if with_reminders
        else {}
    )
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:

        async def add(title: str) -> dict[str, Any]:
            response = await http.post(
                account.url("/tasks"), json={"title": title, **extra}, headers=account.headers
            )
            assert response.status_code == 201, response.text
            return dict(response.json())

        return list(await asyncio.gather(*(add(title) for title in titles)))


@pytest.mark.slow
@pytest.mark.timeout(300)  # two servers start side by side on a busy machine
async def test_concurrent_adds_through_two_instances_number_1_to_n(
    database_url: str, tmp_path: Path
) -> None:
    """Two `todochat serve` processes (two engines, two pools) add tasks for one user at once:
    the numbers are exactly 1..N, none twice, none skipped; another user adding meanwhile
    keeps numbers of their own."""
    env = {"DATABASE_URL": database_url}
    first, second = await asyncio.gather(
        asyncio.to_thread(start_server, tmp_path, env),
        asyncio.to_thread(start_server, tmp_path, env),
    )
    try:
        async with httpx.AsyncClient(base_url=first.base_url, timeout=60) as http:
            alice, bob = await signup(http), await signup(http)
        per_batch = 20
        batches = [
            (first, alice, "A-plain", False),
            (second, alice, "B-plain", False),
            # The transaction path: task, reminders and their jobs commit together.
            (first, alice, "A-reminded", True),
            (second, alice, "B-reminded", True),
            (second, bob, "bob", False),
            (first, bob, "bob-reminded", True),
        ]
        results = await asyncio.gather(
            *(
                _add_many(
                    server,
                    account,
                    [f"{prefix} {n}" for n in range(per_batch)],
                    with_reminders=reminded,
                )
                for server, account, prefix, reminded in batches
            )
        )
        for account, batch_results in (
            (alice, [task for batch in results[:4] for task in batch]),
            (bob, [task for batch in results[4:] for task in batch]),
        ):
            answered = sorted(task["id"] for task in batch_results)
            assert answered == list(range(1, len(batch_results) + 1))
            async with httpx.AsyncClient(base_url=second.base_url, timeout=60) as http:
                stored = await _ids(http, account)
                titles = Counter(
                    task["title"]
                    for task in (
                        await http.get(
                            account.url("/tasks"), params={"limit": 100}, headers=account.headers
                        )
                    ).json()["items"]
                )
            assert stored == answered
            assert set(titles.values()) == {1}
            assert len(titles) == len(batch_results)
            # The next one continues the sequence.
            async with httpx.AsyncClient(base_url=first.base_url, timeout=60) as http:
                response = await http.post(
                    account.url("/tasks"), json={"title": "next"}, headers=account.headers
                )
            assert response.json()["id"] == len(batch_results) + 1
    finally:
        await asyncio.gather(asyncio.to_thread(first.stop), asyncio.to_thread(second.stop))
