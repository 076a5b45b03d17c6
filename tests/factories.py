"""Helpers that create users and tasks through the public API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct horse battery"


@dataclass
class Account:
    """A signed-up user and what a client needs to act as them."""

    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header for this user."""
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str = "") -> str:
        """A path under /api/{user_id}."""
        return f"/api/{self.id}{path}"


def unique_email(prefix: str = "user") -> str:
    """An email no other test uses."""
    return f"{prefix}-{secrets.token_hex(6)}@example.com"


async def signup(client: httpx.AsyncClient, **fields: Any) -> Account:
    """Sign up a fresh user and return their account."""
    body = {"email": unique_email(), "password": PASSWORD, **fields}
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Account(id=data["user"]["id"], email=data["user"]["email"], token=data["access_token"])


async def add_task(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict[str, Any]:
    """Create a task through the REST API and return it."""
    response = await client.post(account.url("/tasks"), json=fields, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())
