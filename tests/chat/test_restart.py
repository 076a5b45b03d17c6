"""A conversation survives its server: SIGKILL one `todochat serve`, continue on a new one."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD, unique_email
from tests.servers import start_server

pytestmark = pytest.mark.slow


def say(http: httpx.Client, user_id: str, message: str, conversation_id: int | None = None) -> Any:
    """One chat turn over real HTTP."""
    body: dict[str, Any] = {"message": message}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    response = http.post(f"/api/{user_id}/chat", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_context_survives_a_killed_server(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "TODOCHAT_MODEL": "offline"}
    first = start_server(tmp_path, env)
    try:
        signup = httpx.post(
            f"{first.base_url}/api/auth/signup",
            json={"email": unique_email(), "password": PASSWORD},
        )
        assert signup.status_code == 201
        user_id = signup.json()["user"]["id"]
        headers = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        with httpx.Client(base_url=first.base_url, headers=headers) as http:
            added = say(http, user_id, "add buy milk")
    finally:
        # No graceful shutdown: whatever the process held in memory is gone.
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL

    second = start_server(tmp_path, env)
    try:
        with httpx.Client(base_url=second.base_url, headers=headers) as http:
            done = say(http, user_id, "mark it as done", added["conversation_id"])
            tasks = http.get(f"/api/{user_id}/tasks").json()["items"]
            stored = http.get(f"/api/{user_id}/conversations/{added['conversation_id']}").json()
    finally:
        second.stop()
    [task] = tasks
    assert (task["title"], task["completed"]) == ("Buy milk", True)
    assert done["conversation_id"] == added["conversation_id"]
    assert [(call["name"], call["arguments"]) for call in done["tool_calls"]] == [
        ("complete_task", {"task_id": task["id"]})
    ]
    assert [(m["seq"], m["role"]) for m in stored["messages"]] == [
        (1, "user"),
        (2, "assistant"),
        (3, "user"),
        (4, "assistant"),
    ]
