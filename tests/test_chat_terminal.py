"""`todochat chat` on a real pseudo-terminal (pexpect), as a person types it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pexpect
import pytest

from tests.factories import PASSWORD, unique_email
from tests.servers import TODOCHAT, Server, free_port, running_server

pytestmark = pytest.mark.slow

UP = "\x1b[A"


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with the offline model for the module."""
    env = {"DATABASE_URL": database_url, "TODOCHAT_MODEL": "offline"}
    with running_server(tmp_path_factory.mktemp("serve"), env) as running:
        yield running


def terminal(home: Path, *args: str) -> pexpect.spawn:
    """`todochat chat ARGS` on a fresh pseudo-terminal, with its own config and history."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TODOCHAT_")},
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # no cursor-position queries the test would have to answer
        "TZ": "Europe/Paris",
    }
    return pexpect.spawn(
        TODOCHAT, ["chat", *args], env=env, encoding="utf-8", timeout=60, dimensions=(40, 120)
    )


def test_a_server_that_is_down_is_said_before_any_question(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    chat = terminal(tmp_path, "--server", url)
    chat.expect(f"Cannot reach the todochat server at {url} \\(connection refused\\)")
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 1
    assert "Email" not in (chat.before or "")


@pytest.mark.timeout(300)  # three logins and two turns, on a busy machine
def test_wrong_password_is_asked_again_and_history_recalls_a_line(
    server: Server, tmp_path: Path
) -> None:
    email = unique_email("tty")
    # Signing up asks for the password twice and sends this machine's time zone.
    chat = terminal(tmp_path, "--server", server.base_url, "--signup", "--email", email)
    chat.expect("Choose a password")
    chat.sendline(PASSWORD)
    chat.expect("Type it again: ")
    chat.sendline("not the same")
    chat.expect("The two passwords differ; try again.")
    chat.expect("Choose a password")
    chat.sendline(PASSWORD)
    chat.expect("Type it again: ")
    chat.sendline(PASSWORD)
    chat.expect(f"Logged in to {server.base_url} as {email}")
    chat.expect("you>")
    chat.sendline("/quit")
    chat.expect(pexpect.EOF)
    token = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": email, "password": PASSWORD}
    ).json()
    assert token["user"]["time_zone"] == "Europe/Paris"

    # Logged out: a wrong password is asked again rather than ending the chat.
    terminal(tmp_path, "--server", server.base_url, "--logout").expect(pexpect.EOF)
    chat = terminal(tmp_path, "--server", server.base_url, "--email", email)
    chat.expect("Password: ")
    chat.sendline("wrong password")
    chat.expect("Wrong email or password. Try again.")
    chat.expect("Password: ")
    chat.sendline(PASSWORD)
    chat.expect(f"Logged in to {server.base_url} as {email}")

    chat.expect("you>")
    chat.sendline("add a task to buy milk")
    chat.expect(r"✓ add_task #\d+ 'Buy milk'")
    chat.expect("you>")
    chat.sendline("/history")  # local: shown here, never sent to the assistant
    chat.expect("you> add a task to buy milk")
    chat.expect("you>")
    chat.send(UP + UP)  # the line before /history
    chat.expect("add a task to buy milk")
    chat.send("\r")
    chat.expect(r"✓ add_task #\d+ 'Buy milk'")
    chat.expect("you>")
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0

    headers = {"Authorization": f"Bearer {token['access_token']}"}
    user = token["user"]["id"]
    tasks = httpx.get(f"{server.base_url}/api/{user}/tasks", headers=headers).json()
    assert [task["title"] for task in tasks["items"]] == ["Buy milk", "Buy milk"]
    [conversation] = httpx.get(
        f"{server.base_url}/api/{user}/conversations", headers=headers
    ).json()["items"]
    messages = httpx.get(
        f"{server.base_url}/api/{user}/conversations/{conversation['id']}", headers=headers
    ).json()["messages"]
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "add a task to buy milk",
        "add a task to buy milk",
    ]
