"""`todochat chat` as a user runs it: a real server, the CLI as a subprocess fed by stdin."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD, unique_email
from tests.servers import TODOCHAT, Server, running_server
from todochat.chat_cli import describe_tool_call

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with the offline model for the module."""
    env = {"DATABASE_URL": database_url, "TODOCHAT_MODEL": "offline"}
    with running_server(tmp_path_factory.mktemp("serve"), env) as running:
        yield running


@pytest.fixture
def account(server: Server) -> dict[str, str]:
    """A fresh user: email, id and a token for checking their data over REST."""
    email = unique_email("cli")
    response = httpx.post(
        f"{server.base_url}/api/auth/signup", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    return {"email": email, "id": body["user"]["id"], "token": body["access_token"]}


def run_cli(
    server: Server, config: Path, stdin: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `todochat chat` to the end of its input."""
    full_env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(config),  # where platformdirs puts the token cache
        "PYTHONIOENCODING": "utf-8",
        **env,
    }
    for name in ("TODOCHAT_EMAIL", "TODOCHAT_PASSWORD", "TODOCHAT_SERVER"):
        if name not in env:
            full_env.pop(name, None)
    return subprocess.run(
        [TODOCHAT, "chat", "--server", server.base_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=60,
    )


def rest(server: Server, account: dict[str, str], path: str) -> Any:
    """GET a path under the account's /api/{user_id}."""
    response = httpx.get(
        f"{server.base_url}/api/{account['id']}{path}",
        headers={"Authorization": f"Bearer {account['token']}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_login_chat_resume_and_logout(
    server: Server, account: dict[str, str], tmp_path: Path
) -> None:
    credentials = {"TODOCHAT_EMAIL": account["email"], "TODOCHAT_PASSWORD": PASSWORD}

    first = run_cli(server, tmp_path, "add a task to buy milk\nmark it as done\n", **credentials)

    assert first.returncode == 0, first.stderr
    [task] = rest(server, account, "/tasks")["items"]
    assert (task["title"], task["completed"]) == ("Buy milk", True)
    lines = first.stdout.splitlines()
    assert lines[0].startswith(f"Logged in to {server.base_url} as {account['email']}.")
    assert f"  ✓ add_task #{task['id']} 'Buy milk'" in lines
    assert f"  ✓ complete_task #{task['id']} 'Buy milk'" in lines
    assert sum(line.startswith("todochat> ") for line in lines) == 2
    [conversation] = rest(server, account, "/conversations")["items"]
    assert len(rest(server, account, f"/conversations/{conversation['id']}")["messages"]) == 4
    # The login is cached, readable by the user only.
    token_file = tmp_path / "todochat" / "token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    cached = json.loads(token_file.read_text())
    assert cached[server.base_url]["user_id"] == account["id"]

    # No credentials this time: the cached login is used; --conversation resumes.
    resumed = run_cli(
        server, tmp_path, "what have I completed?\n", "--conversation", str(conversation["id"])
    )

    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming “add a task to buy milk” (conversation {conversation['id']})." in (
        resumed.stdout
    )
    assert "  ✓ list_tasks (1 task)" in resumed.stdout.splitlines()
    assert rest(server, account, "/conversations")["total"] == 1
    messages = rest(server, account, f"/conversations/{conversation['id']}")["messages"]
    assert [m["content"] for m in messages][4] == "what have I completed?"

    logout = run_cli(server, tmp_path, "", "--logout")
    assert (logout.returncode, logout.stdout) == (0, "Logged out.\n")
    assert json.loads(token_file.read_text()) == {}
    # Logged out, with nothing to log in with: a clear error, not a traceback.
    again = run_cli(server, tmp_path, "")
    assert again.returncode == 1
    assert again.stderr == "No email given (use --email or TODOCHAT_EMAIL).\n"


def test_wrong_password_and_unknown_conversation(
    server: Server, account: dict[str, str], tmp_path: Path
) -> None:
    wrong = run_cli(server, tmp_path, "hi\n", "--email", account["email"], "--password", "nope")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("Could not log in: ")
    assert not (tmp_path / "todochat" / "token.json").exists()

    unknown = run_cli(
        server,
        tmp_path,
        "hi\n",
        "--conversation",
        "999999999",
        TODOCHAT_EMAIL=account["email"],
        TODOCHAT_PASSWORD=PASSWORD,
    )
    assert unknown.returncode == 1
    assert unknown.stderr == "Cannot resume: Conversation 999999999 not found.\n"
    assert rest(server, account, "/conversations")["total"] == 0


def test_signup_from_the_terminal(server: Server, tmp_path: Path) -> None:
    email = unique_email("cli-new")
    result = run_cli(
        server,
        tmp_path,
        "/new\n\n/quit\nadd never sent\n",
        "--signup",
        "--email",
        email,
        "--password",
        PASSWORD,
    )
    assert result.returncode == 0, result.stderr
    assert "Started a new conversation." in result.stdout
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("call", "line"),
    [
        (
            {
                "name": "add_task",
                "result": {"task_id": 12, "status": "created", "title": "Buy milk"},
            },
            "  ✓ add_task #12 'Buy milk'",
        ),
        (
            {"name": "complete_task", "result": {"task_id": 3, "status": "reopened", "title": "X"}},
            "  ✓ complete_task #3 'X' (reopened)",
        ),
        ({"name": "list_tasks", "result": {"tasks": [], "total": 0}}, "  ✓ list_tasks (0 tasks)"),
        (
            {"name": "delete_task", "result": {"error": "Task 9 not found."}},
            "  ✗ delete_task: Task 9 not found.",
        ),
    ],
)
def test_tool_call_lines(call: dict[str, Any], line: str) -> None:
    assert describe_tool_call(call) == line
