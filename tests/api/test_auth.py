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
