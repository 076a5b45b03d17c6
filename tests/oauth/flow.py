"""An OAuth client's steps, done by hand over HTTP, for the tests to vary one at a time."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.factories import Account

REDIRECT = "http://127.0.0.1:8765/callback"


@dataclass
class Pkce:
    """A code verifier and its S256 challenge (RFC 7636)."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        """A fresh pair."""
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).decode().rstrip("="))


def query(url: str) -> dict[str, str]:
    """The query parameters of a URL, one value each."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def register(
    http: httpx.AsyncClient, redirect_uris: list[str] | None = None, **metadata: Any
) -> dict[str, Any]:
    """Register a public client (RFC 7591) and return its information."""
    body = {
        "client_name": "Test Assistant",
        "redirect_uris": redirect_uris or [REDIRECT],
        "token_endpoint_auth_method": "none",
        **metadata,
    }
    response = await http.post("/register", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def start_authorization(
    http: httpx.AsyncClient, client_id: str, pkce: Pkce, **params: str
) -> httpx.Response:
    """GET /authorize as a browser would, without following the redirect."""
    values = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "state": "state-" + secrets.token_hex(4),
        "resource": f"{str(http.base_url).rstrip('/')}/mcp",
        **params,
    }
    return await http.get("/authorize", params={k: v for k, v in values.items() if v})


async def consent_handle(http: httpx.AsyncClient, client_id: str, pkce: Pkce, **params: str) -> str:
    """Start an authorization and return the consent page's request handle."""
    response = await start_authorization(http, client_id, pkce, **params)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert urlsplit(location).path == "/consent.html", location
    return query(location)["request"]


async def decide(http: httpx.AsyncClient, account: Account, handle: str, decision: str) -> str:
    """The user's Allow or Deny through the consent API; the redirect the browser follows."""
    response = await http.post(
        f"/api/oauth/requests/{handle}", json={"decision": decision}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["redirect_to"])


async def authorization_code(
    http: httpx.AsyncClient, account: Account, client_id: str, pkce: Pkce, **params: str
) -> str:
    """Authorize and Allow; the code from the redirect (state checked)."""
    handle = await consent_handle(http, client_id, pkce, state="s-1", **params)
    redirect = await decide(http, account, handle, "allow")
    assert redirect.startswith(REDIRECT + "?")
    values = query(redirect)
    assert values["state"] == "s-1"
    assert values["iss"] == str(http.base_url).rstrip("/")
    return values["code"]


async def exchange(
    http: httpx.AsyncClient, client_id: str, code: str, verifier: str, **extra: str
) -> httpx.Response:
    """POST /token with the authorization code grant."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": verifier,
        **extra,
    }
    return await http.post("/token", data=form)


async def refresh(
    http: httpx.AsyncClient, client_id: str, refresh_token: str, **extra: str
) -> httpx.Response:
    """POST /token with the refresh token grant."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        **extra,
    }
    return await http.post("/token", data=form)


async def connect(http: httpx.AsyncClient, account: Account, **params: str) -> dict[str, Any]:
    """Register, authorize, Allow and exchange: the token response (and the client id)."""
    client = await register(http)
    pkce = Pkce.new()
    code = await authorization_code(http, account, client["client_id"], pkce, **params)
    response = await exchange(http, client["client_id"], code, pkce.verifier)
    assert response.status_code == 200, response.text
    return {**response.json(), "client_id": client["client_id"]}
