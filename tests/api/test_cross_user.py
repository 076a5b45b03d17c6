"""User B can never see or change user A's data over REST."""

from __future__ import annotations

import httpx

from tests.factories import add_task, signup

TASK_ROUTES = [
    ("GET", "/tasks", None),
    ("POST", "/tasks", {"title": "sneaky"}),
    ("GET", "/tasks/{id}", None),
    ("PUT", "/tasks/{id}", {"title": "hijacked"}),
    ("PATCH", "/tasks/{id}/complete", None),
    ("DELETE", "/tasks/{id}", None),
    ("POST", "/tasks/{id}/restore", None),
]


async def test_b_token_on_a_routes_is_403(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    task = await add_task(client, alice, title="Alice's secret")
    for method, path, body in TASK_ROUTES:
        response = await client.request(
            method, alice.url(path.format(id=task["id"])), json=body, headers=bob.headers
        )
        assert response.status_code == 403, (method, path)
        assert response.json()["error"] == "forbidden"
    unchanged = await client.get(alice.url(f"/tasks/{task['id']}"), headers=alice.headers)
    assert unchanged.json() == task


async def test_a_task_id_on_b_path_is_404(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    task = await add_task(client, alice, title="Alice's secret")
    for method, path, body in TASK_ROUTES[2:]:
        response = await client.request(
            method, bob.url(path.format(id=task["id"])), json=body, headers=bob.headers
        )
        assert response.status_code == 404, (method, path)
        assert "Alice" not in response.text
    listing = await client.get(bob.url("/tasks"), headers=bob.headers)
    assert listing.json() == {"items": [], "total": 0}
    unchanged = await client.get(alice.url(f"/tasks/{task['id']}"), headers=alice.headers)
    assert unchanged.json() == task


async def test_no_token_is_401_on_every_route(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    for method, path, body in TASK_ROUTES:
        response = await client.request(method, alice.url(path.format(id=1)), json=body)
        assert response.status_code == 401, (method, path)
