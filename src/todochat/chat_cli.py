"""`todochat chat`: talk to your todo list from a terminal, against a running server.

Logs in once (the token is cached in the user's config directory, readable only by them), then
reads lines and streams each answer from `/chat/stream`: text as it arrives, and every tool call
as a short line such as `  ✓ add_task #12 'Buy milk'`. The conversation id is kept between
lines; `--conversation ID` resumes an earlier conversation.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
import platformdirs

DEFAULT_SERVER = "http://127.0.0.1:8000"
HELP = "Type a message and press Enter. /new starts a new conversation; /quit or Ctrl-D leaves."
# Long enough for a slow model; the server bounds a turn with its own timeout anyway.
TIMEOUT = httpx.Timeout(10.0, read=300.0)


class ChatCliError(Exception):
    """Something the user must fix; the message says what."""


def token_file() -> Path:
    """Where login tokens are cached, one per server URL."""
    return Path(platformdirs.user_config_dir("todochat")) / "token.json"


def load_tokens() -> dict[str, dict[str, str]]:
    """Cached logins by server URL ({} if there are none or the file is unreadable)."""
    try:
        data = json.loads(token_file().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_tokens(tokens: dict[str, dict[str, str]]) -> None:
    """Write the cache readable by the user only (it holds bearer tokens)."""
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    # Created with mode 600 from the start, never world-readable even for an instant.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(tokens, out, indent=2)
    os.chmod(partial, 0o600)
    partial.replace(path)


def forget_token(server: str) -> bool:
    """Drop the cached login for a server; True if there was one."""
    tokens = load_tokens()
    if tokens.pop(server, None) is None:
        return False
    save_tokens(tokens)
    return True


@dataclass
class Session:
    """A logged-in user of one server."""

    server: str
    user_id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str) -> str:
        """A URL under /api/{user_id}."""
        return f"{self.server}/api/{self.user_id}{path}"


# A status the tool's name already says is not repeated ("reopened" is worth showing).
_IMPLIED_STATUS = {
    "add_task": "created",
    "complete_task": "completed",
    "delete_task": "deleted",
    "update_task": "updated",
    "skip_occurrence": "skipped",
}


def describe_tool_call(call: dict[str, Any]) -> str:
    """One line for a tool call: `  ✓ add_task #12 'Buy milk'`, or `  ✗ ...: why` on failure."""
    name = str(call.get("name", "?"))
    result = call.get("result")
    if isinstance(result, dict) and "error" in result and len(result) == 1:
        return f"  ✗ {name}: {result['error']}"
    if not isinstance(result, dict):
        return f"  ✓ {name}"
    if "tasks" in result:
        total = result.get("total", len(result["tasks"]))
        return f"  ✓ {name} ({total} task{'' if total == 1 else 's'})"
    parts = [f"  ✓ {name}"]
    if "task_id" in result:
        parts.append(f"#{result['task_id']}")
    if result.get("title"):
        parts.append(repr(str(result["title"])))
    status = result.get("status")
    if status and status != _IMPLIED_STATUS.get(name):
        parts.append(f"({status})")
    return " ".join(parts)


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs from a text/event-stream body, as they arrive."""
    event, data = "message", ""
    for line in lines:
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data += line.removeprefix("data:").strip()
        elif not line and data:
            yield event, json.loads(data)
            event, data = "message", ""


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    return f"HTTP {response.status_code}"


class ChatClient:
    """The terminal chat: login, then a read-send-print loop."""

    def __init__(self, http: httpx.Client, server: str, out: TextIO, err: TextIO) -> None:
        self.http = http
        self.server = server.rstrip("/")
        self.out = out
        self.err = err

    def say(self, text: str = "", end: str = "\n") -> None:
        """Print to the user right away (deltas arrive a few characters at a time)."""
        self.out.write(text + end)
        self.out.flush()

    def login(self, email: str | None, password: str | None, signup: bool) -> Session:
        """The cached login if it still works; otherwise log in (or sign up) and cache it."""
        cached = load_tokens().get(self.server)
        if cached and not signup and (email is None or cached.get("email") == email.lower()):
            session = Session(self.server, cached["user_id"], cached["email"], cached["token"])
            me = self.http.get(f"{self.server}/api/auth/me", headers=session.headers)
            if me.status_code == 200:
                return session
            forget_token(self.server)  # expired or revoked: log in again
        email = email or _ask("Email: ")
        password = password or getpass.getpass("Password: ")
        path = "/api/auth/signup" if signup else "/api/auth/login"
        response = self.http.post(
            f"{self.server}{path}", json={"email": email, "password": password}
        )
        if response.status_code not in (200, 201):
            raise ChatCliError(f"Could not log in: {_error_detail(response)}")
        body = response.json()
        session = Session(
            self.server, body["user"]["id"], body["user"]["email"], body["access_token"]
        )
        tokens = load_tokens()
        tokens[self.server] = {
            "user_id": session.user_id,
            "email": session.email,
            "token": session.token,
        }
        save_tokens(tokens)
        return session

    def show_history(self, session: Session, conversation_id: int, last: int = 6) -> None:
        """Print the end of a conversation being resumed (and check that it exists)."""
        response = self.http.get(
            session.url(f"/conversations/{conversation_id}"), headers=session.headers
        )
        if response.status_code != 200:
            raise ChatCliError(f"Cannot resume: {_error_detail(response)}")
        body = response.json()
        self.say(f"Resuming “{body['title']}” (conversation {conversation_id}).")
        for message in body["messages"][-last:]:
            who = "you" if message["role"] == "user" else "todochat"
            content = message["content"] or (message.get("error") or "")
            self.say(f"{who}> {content}")

    def turn(self, session: Session, message: str, conversation_id: int | None) -> int | None:
        """Send one message and print the streamed answer; returns the conversation id."""
        body: dict[str, Any] = {"message": message}
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        with self.http.stream(
            "POST", session.url("/chat/stream"), json=body, headers=session.headers
        ) as response:
            if response.status_code == 401:
                forget_token(self.server)
                raise ChatCliError("Your login expired; run `todochat chat` again to log in.")
            if response.status_code != 200:
                response.read()
                self.err.write(f"! {_error_detail(response)}\n")
                self.err.flush()
                return conversation_id
            return self._print_events(sse_events(response.iter_lines()), conversation_id)

    def _print_events(
        self, events: Iterator[tuple[str, dict[str, Any]]], conversation_id: int | None
    ) -> int | None:
        printed_text = False
        for name, data in events:
            if name == "delta":
                if not printed_text:
                    self.say("todochat> ", end="")
                    printed_text = True
                self.say(str(data.get("text", "")), end="")
            elif name == "tool_call":
                if printed_text:
                    self.say()
                    printed_text = False
                self.say(describe_tool_call(data))
            elif name == "done":
                if printed_text:
                    self.say()
                elif data.get("response"):
                    # A model that does not stream text still gets its answer shown.
                    self.say(f"todochat> {data['response']}")
                return int(data["conversation_id"])
            elif name == "error":
                if printed_text:
                    self.say()
                self.err.write(f"! {data.get('detail', 'The turn failed.')}\n")
                self.err.flush()
                # The turn may have started the conversation: keep talking in it.
                return data.get("conversation_id", conversation_id)
        self.err.write("! The connection closed before the answer was complete.\n")
        return conversation_id


def _ask(prompt: str) -> str:
    """Read a line from the terminal (stdin), stripped."""
    try:
        return input(prompt).strip()
    except EOFError as error:
        raise ChatCliError("No email given (use --email or TODOCHAT_EMAIL).") from error


def run_chat(
    server: str = DEFAULT_SERVER,
    email: str | None = None,
    password: str | None = None,
    conversation: int | None = None,
    logout: bool = False,
    signup: bool = False,
    lines: TextIO | None = None,
) -> int:
    """The `todochat chat` command; returns the exit code."""
    server = server.rstrip("/")
    lines = lines or sys.stdin
    if logout:
        forgotten = forget_token(server)
        print("Logged out." if forgotten else "You were not logged in to this server.")
        return 0
    with httpx.Client(timeout=TIMEOUT) as http:
        client = ChatClient(http, server, sys.stdout, sys.stderr)
        try:
            session = client.login(email, password, signup)
            client.say(f"Logged in to {server} as {session.email}. {HELP}")
            if conversation is not None:
                client.show_history(session, conversation)
            return _loop(client, session, conversation, lines)
        except ChatCliError as error:
            sys.stderr.write(f"{error}\n")
            return 1
        except httpx.TransportError as error:
            sys.stderr.write(f"Cannot reach the server at {server}: {error}\n")
            return 1


def _loop(client: ChatClient, session: Session, conversation: int | None, lines: TextIO) -> int:
    interactive = lines is sys.stdin and lines.isatty()
    while True:
        if interactive:
            try:
                line = input("you> ") + "\n"  # input() gives line editing on a terminal
            except EOFError:
                line = ""
        else:
            line = lines.readline()
        if not line:  # end of input (Ctrl-D or a closed pipe)
            if interactive:
                client.say()
            return 0
        message = line.strip()
        if not message:
            continue
        if message in {"/quit", "/exit"}:
            return 0
        if message == "/new":
            conversation = None
            client.say("Started a new conversation.")
            continue
        try:
            conversation = client.turn(session, message, conversation)
        except KeyboardInterrupt:
            # The server finishes and stores the turn anyway; the answer shows in the history.
            client.say("\n(interrupted; the assistant still finishes this message)")
