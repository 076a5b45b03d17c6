"""`todochat chat`: talk to your todo list from a terminal, against a running server.

Logs in once (the token is cached in the user's config directory, readable only by them), then
reads lines and streams each answer from `/chat/stream`: text as it arrives, and every tool call
as a short line such as `  ✓ add_task #12 'Buy milk'`. The conversation id is kept between
lines; `--conversation ID` resumes an earlier conversation.

On a terminal the line editor is prompt_toolkit's (arrows, history kept between sessions) and
rich shows a spinner while the model thinks and the reply as Markdown. The server is checked
before any question is asked; a wrong password is asked again; commands starting with `/` are
handled here and never sent to the model.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import platformdirs
from httpx_sse import EventSource

DEFAULT_SERVER = "http://127.0.0.1:8000"
HELP = "Type a message and press Enter; /help lists the commands, /quit or Ctrl-D leaves."
COMMANDS = """Commands (handled here, never sent to the assistant):
  /new              start a new conversation
  /history          show this conversation so far
  /tz [ZONE]        show or change your time zone (e.g. /tz Europe/Paris)
  /password         change your password
  /help             this list
  /quit             leave (or Ctrl-D)"""
PASSWORD_TRIES = 3
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
    "restore_task": "restored",
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


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a text/event-stream response as they arrive (keep-alives skipped)."""
    for event in EventSource(response).iter_sse():
        yield event.event, event.json()


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

    def __init__(
        self,
        http: httpx.Client,
        server: str,
        out: TextIO,
        err: TextIO,
        ask: Callable[[str], str] | None = None,
        ask_secret: Callable[[str], str] | None = None,
    ) -> None:
        self.http = http
        self.server = server.rstrip("/")
        self.out = out
        self.err = err
        # Questions to the user; None when nobody is at a terminal to answer.
        self.ask = ask
        self.ask_secret = ask_secret

    def say(self, text: str = "", end: str = "\n") -> None:
        """Print to the user right away (deltas arrive a few characters at a time)."""
        self.out.write(text + end)
        self.out.flush()

    def warn(self, text: str) -> None:
        """Print a problem to stderr."""
        self.err.write(f"{text}\n")
        self.err.flush()

    def check_server(self) -> None:
        """Fail before asking anything if no todochat answers at the server URL."""
        try:
            response = self.http.get(f"{self.server}/healthz", timeout=5.0)
        except httpx.TransportError as error:
            raise ChatCliError(
                f"Cannot reach the todochat server at {self.server} ({_reason(error)}): start it "
                "with `todochat serve` (or `make run`), or give its address with --server."
            ) from None
        if response.status_code != 200:
            raise ChatCliError(
                f"{self.server} answered HTTP {response.status_code} to /healthz: is it a todochat "
                "server? Give the right address with --server."
            )

    def login(self, email: str | None, password: str | None, signup: bool) -> Session:
        """The cached login if it still works; otherwise log in (or sign up) and cache it."""
        cached = load_tokens().get(self.server)
        if cached and not signup and (email is None or cached.get("email") == email.lower()):
            session = Session(self.server, cached["user_id"], cached["email"], cached["token"])
            me = self.http.get(f"{self.server}/api/auth/me", headers=session.headers)
            if me.status_code == 200:
                return session
            forget_token(self.server)  # expired or revoked: log in again
        email = email or self._question(
            "Email: ", "No email given (use --email or TODOCHAT_EMAIL)."
        )
        body = self._signup(email, password) if signup else self._login(email, password)
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

    def _login(self, email: str, password: str | None) -> dict[str, Any]:
        # A password typed at the prompt may be mistyped: ask again, a few times.
        tries = 1 if password is not None or self.ask_secret is None else PASSWORD_TRIES
        for attempt in range(1, tries + 1):
            secret = password if password is not None else self._secret("Password: ")
            response = self.http.post(
                f"{self.server}/api/auth/login", json={"email": email, "password": secret}
            )
            if response.status_code == 200:
                return dict(response.json())
            if response.status_code != 401 or attempt == tries:
                raise ChatCliError(f"Could not log in: {_error_detail(response)}")
            self.warn(f"{_error_detail(response)} Try again.")
        raise AssertionError("unreachable")

    def _signup(self, email: str, password: str | None) -> dict[str, Any]:
        while password is None:
            first = self._secret("Choose a password (8 characters or more): ")
            if self._secret("Type it again: ") == first:
                password = first
            else:
                self.warn("The two passwords differ; try again.")
        response = self.http.post(
            f"{self.server}/api/auth/signup",
            json={"email": email, "password": password, "time_zone": local_time_zone()},
        )
        if response.status_code != 201:
            raise ChatCliError(f"Could not sign up: {_error_detail(response)}")
        return dict(response.json())

    def _question(self, prompt: str, missing: str) -> str:
        if self.ask is None:
            raise ChatCliError(missing)
        try:
            return self.ask(prompt).strip()
        except EOFError:
            raise ChatCliError(missing) from None

    def _secret(self, prompt: str) -> str:
        if self.ask_secret is None:
            raise ChatCliError("No password given (use --password or TODOCHAT_PASSWORD).")
        try:
            return self.ask_secret(prompt)
        except EOFError:
            raise ChatCliError("No password given.") from None

    def show_history(self, session: Session, conversation_id: int, last: int = 6) -> None:
        """Print the end of a conversation (and check that it exists)."""
        response = self.http.get(
            session.url(f"/conversations/{conversation_id}"),
            params={"limit": min(last, 500)},
            headers=session.headers,
        )
        if response.status_code != 200:
            raise ChatCliError(f"Cannot resume: {_error_detail(response)}")
        body = response.json()
        self.say(f"Resuming “{body['title']}” (conversation {conversation_id}).")
        for message in body["messages"][-last:]:
            who = "you" if message["role"] == "user" else "todochat"
            content = message["content"] or (message.get("error") or "")
            self.say(f"{who}> {content}")

    def command(self, session: Session, line: str, conversation: int | None) -> int | None:
        """Run a /command locally; returns the conversation to continue in."""
        name, _, argument = line.partition(" ")
        argument = argument.strip()
        if name == "/new":
            self.say("Started a new conversation.")
            return None
        if name == "/help":
            self.say(COMMANDS)
        elif name == "/history":
            if conversation is None:
                self.say("Nothing yet: this conversation starts with your next message.")
            else:
                self.show_history(session, conversation, last=1000)
        elif name == "/tz":
            self._time_zone(session, argument)
        elif name == "/password":
            self._change_password(session)
        else:
            self.warn(f"Unknown command {name}; /help lists them (nothing was sent).")
        return conversation

    def _time_zone(self, session: Session, zone: str) -> None:
        if not zone:
            me = self.http.get(f"{self.server}/api/auth/me", headers=session.headers)
            self.say(f"Your time zone is {me.json()['time_zone']}.")
            return
        response = self.http.patch(
            f"{self.server}/api/auth/me", json={"time_zone": zone}, headers=session.headers
        )
        if response.status_code == 200:
            self.say(f"Your time zone is now {response.json()['time_zone']}.")
        else:
            self.warn(f"! {_error_detail(response)}")

    def _change_password(self, session: Session) -> None:
        current = self._secret("Current password: ")
        new = self._secret("New password: ")
        if self._secret("Type the new one again: ") != new:
            self.warn("! The two new passwords differ; nothing changed.")
            return
        response = self.http.post(
            f"{self.server}/api/auth/password",
            json={"current_password": current, "new_password": new},
            headers=session.headers,
        )
        if response.status_code == 204:
            self.say("Password changed.")
        else:
            self.warn(f"! {_error_detail(response)}")

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
                self.warn(f"! {_error_detail(response)}")
                return conversation_id
            return self._print_events(sse_events(response), conversation_id)

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
                self.warn(f"! {data.get('detail', 'The turn failed.')}")
                # The turn may have started the conversation: keep talking in it.
                return data.get("conversation_id", conversation_id)
        self.warn("! The connection closed before the answer was complete.")
        return conversation_id


class TerminalChat(ChatClient):
    """The chat on a real terminal: a spinner while the model thinks, the reply as Markdown."""

    def __init__(self, http: httpx.Client, server: str) -> None:
        from rich.console import Console

        super().__init__(http, server, sys.stdout, sys.stderr, _ask_line, getpass.getpass)
        self.console = Console(highlight=False)

    def _print_events(
        self, events: Iterator[tuple[str, dict[str, Any]]], conversation_id: int | None
    ) -> int | None:
        from rich.markdown import Markdown

        with self.console.status("thinking…", spinner="dots"):
            for name, data in events:
                if name == "tool_call":
                    self.console.print(describe_tool_call(data), markup=False)
                elif name == "done":
                    if data.get("response"):
                        self.console.print(Markdown(str(data["response"])))
                    return int(data["conversation_id"])
                elif name == "error":
                    self.console.print(f"! {data.get('detail', 'The turn failed.')}", markup=False)
                    return data.get("conversation_id", conversation_id)
        self.warn("! The connection closed before the answer was complete.")
        return conversation_id


def local_time_zone() -> str:
    """This machine's IANA time zone (TZ, else /etc/localtime's target), or UTC."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        candidates.append(target.partition("zoneinfo/")[2])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
    return "UTC"


def history_file() -> Path:
    """Where the lines typed at the chat prompt are kept, for the up arrow."""
    return Path(platformdirs.user_data_dir("todochat")) / "chat_history"


def _reason(error: httpx.TransportError) -> str:
    cause = error.__cause__ or error.__context__
    text = str(cause or error)
    return "connection refused" if "refused" in text.lower() else text or type(error).__name__


def _ask_line(prompt: str) -> str:
    return input(prompt)


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
    interactive = lines is sys.stdin and sys.stdin.isatty() and sys.stdout.isatty()
    with httpx.Client(timeout=TIMEOUT) as http:
        client = (
            TerminalChat(http, server)
            if interactive
            else ChatClient(http, server, sys.stdout, sys.stderr, _ask_line)
        )
        try:
            client.check_server()
            session = client.login(email, password, signup)
            client.say(f"Logged in to {server} as {session.email}. {HELP}")
            if conversation is not None:
                client.show_history(session, conversation)
            read = _prompt_reader() if interactive else lines.readline
            return _loop(client, session, conversation, read)
        except ChatCliError as error:
            sys.stderr.write(f"{error}\n")
            return 1
        except httpx.TransportError as error:
            sys.stderr.write(f"Lost the connection to {server} ({_reason(error)}).\n")
            return 1


def _prompt_reader() -> Callable[[], str]:
    """Read lines with prompt_toolkit: editing, and history kept between sessions."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    path = history_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    prompt: PromptSession[str] = PromptSession(history=FileHistory(str(path)))

    def read() -> str:
        try:
            return prompt.prompt("you> ") + "\n"
        except EOFError:
            print()
            return ""

    return read


def _loop(
    client: ChatClient, session: Session, conversation: int | None, read: Callable[[], str]
) -> int:
    while True:
        line = read()
        if not line:  # end of input (Ctrl-D or a closed pipe)
            return 0
        message = line.strip()
        if not message:
            continue
        if message in {"/quit", "/exit"}:
            return 0
        try:
            if message.startswith("/"):
                conversation = client.command(session, message, conversation)
            else:
                conversation = client.turn(session, message, conversation)
        except KeyboardInterrupt:
            # The server stops the turn if no task was touched yet, else finishes and stores it.
            client.say("\n(stopped; a change already under way is finished and kept)")
