"""`todochat serve` as a real process: readiness, real HTTP, and the embedded database lifecycle."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD, unique_email
from tests.servers import running_server

pytestmark = pytest.mark.slow


def test_serve_over_real_http(database_url: str, tmp_path: Path) -> None:
    with (
        running_server(tmp_path, {"DATABASE_URL": database_url}) as server,
        httpx.Client(base_url=server.base_url) as http,
    ):
        assert http.get("/healthz").json() == {"status": "ok"}
        signup = http.post("/api/auth/signup", json={"email": unique_email(), "password": PASSWORD})
        assert signup.status_code == 201
        user_id, token = signup.json()["user"]["id"], signup.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = http.post(
            f"/api/{user_id}/tasks", json={"title": "Over the wire"}, headers=headers
        )
        assert created.status_code == 201
        listing = http.get(f"/api/{user_id}/tasks", headers=headers).json()
        assert [task["title"] for task in listing["items"]] == ["Over the wire"]
        assert http.get("/docs").status_code == 200
        assert http.get("/openapi.json").json()["info"]["title"] == "todochat"


def _login(base_url: str, email: str) -> int:
    return httpx.post(
        f"{base_url}/api/auth/login", json={"email": email, "password": PASSWORD}
    ).status_code


def test_embedded_database_is_shared_and_persists(tmp_path: Path) -> None:
    """No DATABASE_URL: serve starts embedded PostgreSQL; a second serve joins it; data survives restarts."""
    data_dir = tmp_path / "data"
    env = {"DATABASE_URL": None, "TODOCHAT_DATA_DIR": str(data_dir)}
    env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    env.pop("DATABASE_URL", None)
    email = unique_email()
    pid_file = data_dir / "pgdata" / "postmaster.pid"

    with running_server(tmp_path, env) as first:
        signup = httpx.post(
            f"{first.base_url}/api/auth/signup", json={"email": email, "password": PASSWORD}
        )
        assert signup.status_code == 201
        postgres_pid = pid_file.read_text().split()[0]
        with running_server(tmp_path, env) as second:
            assert _login(second.base_url, email) == 200
            assert pid_file.read_text().split()[0] == postgres_pid  # joined, not a second server
        assert _login(first.base_url, email) == 200  # the second's exit did not stop the database

    deadline = time.monotonic() + 20
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_file.exists(), "the last server to exit stops the embedded database"

    with running_server(tmp_path, env) as again:
        assert _login(again.base_url, email) == 200
