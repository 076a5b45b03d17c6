"""Signup, login, me: good and bad input."""

from __future__ import annotations

import httpx

from tests.factories import PASSWORD, signup, unique_email


async def test_signup_returns_user_and_token(client: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await client.post(
        "/api/auth/signup",
        json={"email": email, "password": PASSWORD, "name": "Ada", "time_zone": "Europe/Paris"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["email"] == email
    assert body["user"]["name"] == "Ada"
    assert body["user"]["time_zone"] == "Europe/Paris"
    assert "password" not in str(body["user"])
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]


async def test_duplicate_email_is_409_whatever_the_case(client: httpx.AsyncClient) -> None:
    email = unique_email()
    first = await client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert first.status_code == 201
    again = await client.post(
        "/api/auth/signup", json={"email": email.upper(), "password": PASSWORD}
    )
    assert again.status_code == 409
    assert again.json()["error"] == "email_taken"


async def test_signup_rejects_bad_input(client: httpx.AsyncClient) -> None:
    cases = [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": unique_email(), "password": "short"},
        {"email": unique_email(), "password": PASSWORD, "time_zone": "Mars/Olympus"},
        {"email": unique_email()},
        {"email": unique_email(), "password": 12345678},
    ]
    for body in cases:
        response = await client.post("/api/auth/signup", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_error"
        assert response.json()["detail"]


async def test_login_with_any_email_case(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/api/auth/login", json={"email": account.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["id"] == account.id


async def test_login_failures_look_the_same(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    wrong_password = await client.post(
        "/api/auth/login", json={"email": account.email, "password": "wrong password"}
    )
    unknown_email = await client.post(
        "/api/auth/login", json={"email": unique_email(), "password": PASSWORD}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_change_name_and_time_zone(client: httpx.AsyncClient) -> None:
    alice = await signup(client, name="Alice")
    changed = await client.patch(
        "/api/auth/me", json={"time_zone": "Asia/Tokyo"}, headers=alice.headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["time_zone"]) == ("Alice", "Asia/Tokyo")
    renamed = await client.patch("/api/auth/me", json={"name": " Ali "}, headers=alice.headers)
    assert (renamed.json()["name"], renamed.json()["time_zone"]) == ("Ali", "Asia/Tokyo")
    me = await client.get("/api/auth/me", headers=alice.headers)
    assert me.json() == renamed.json()


async def test_change_account_rejects_bad_input(client: httpx.AsyncClient) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    for body in [
        {"time_zone": "Mars/Olympus"},
        {"time_zone": ""},
        {"email": "new@example.com"},
        {"name": "x" * 101},
    ]:
        response = await client.patch("/api/auth/me", json=body, headers=alice.headers)
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_error"
    unauthenticated = await client.patch("/api/auth/me", json={"time_zone": "UTC"})
    assert unauthenticated.status_code == 401
    me = await client.get("/api/auth/me", headers=alice.headers)
    assert me.json()["time_zone"] == "Europe/Paris"  # nothing half-written


async def test_change_password(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    new = "a brand new passphrase"
    wrong = await client.post(
        "/api/auth/password",
        json={"current_password": "not it at all", "new_password": new},
        headers=alice.headers,
    )
    assert wrong.status_code == 422
    assert wrong.json() == {
        "error": "validation_error",
        "detail": "current_password: The current password is wrong.",
    }
    short = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=alice.headers,
    )
    assert short.status_code == 422
    login = {"email": alice.email, "password": PASSWORD}
    assert (await client.post("/api/auth/login", json=login)).status_code == 200

    changed = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=alice.headers,
    )
    assert changed.status_code == 204
    assert (await client.post("/api/auth/login", json=login)).status_code == 401
    login["password"] = new
    assert (await client.post("/api/auth/login", json=login)).status_code == 200
