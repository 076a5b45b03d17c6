"""A fake OpenAI-compatible Chat Completions server: real HTTP on 127.0.0.1, scripted answers.

It speaks just enough of `POST /v1/chat/completions` for the OpenAI SDK (and so the Agents SDK's
`OpenAIChatCompletionsModel`) to talk to it as to OpenAI, Ollama or vLLM: JSON completions, and
`stream: true` Server-Sent Events chunks with content and tool-call deltas. Each request takes the
next scripted step (a tool call, a text answer or a failure) and is recorded for assertions.

It runs `http.server` in a thread rather than inside the test's event loop, so it serves both
in-process apps and `todochat serve` subprocesses, and a hanging answer never blocks the loop.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_LIMIT_SECONDS = 30.0  # a hanging answer gives up by itself if nobody releases it


@dataclass(frozen=True)
class ToolCall:
    """One function call the fake model makes; `arguments` is sent verbatim if it is a str."""

    name: str
    arguments: dict[str, Any] | str
    call_id: str = ""

    def arguments_json(self) -> str:
        """The arguments as the wire carries them (a JSON string, possibly malformed on purpose)."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass(frozen=True)
class Reply:
    """A scripted answer: tool calls (the model wants them run) or final text."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class Fail:
    """Answer with an HTTP error, as a provider does (500 outage, 401 bad key, 429...)."""

    status: int
    message: str = "scripted failure"
    # The OpenAI SDK honours this header; False keeps tests fast by skipping its retry.
    retry: bool = False


@dataclass(frozen=True)
class Hang:
    """Never answer (until the server stops), to exercise the turn's timeout."""


@dataclass(frozen=True)
class Held:
    """Answer `reply` only once the test calls `release()` (a model still thinking)."""

    reply: Reply


Step = Reply | Fail | Hang | Held


def text(content: str) -> Reply:
    """A final answer."""
    return Reply(text=content)


def call(name: str, arguments: dict[str, Any] | str, *more: ToolCall) -> Reply:
    """An answer that calls one tool (and optionally more, in parallel)."""
    return Reply(tool_calls=(ToolCall(name, arguments), *more))


@dataclass
class Recorded:
    """A request the fake received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent to the model."""
        messages: list[dict[str, Any]] = self.body.get("messages", [])
        return messages

    @property
    def system_prompt(self) -> str:
        """The system message's text."""
        system = [m for m in self.messages if m.get("role") in {"system", "developer"}]
        assert len(system) == 1, self.messages
        return str(system[0]["content"])

    @property
    def tool_names(self) -> list[str]:
        """Names of the tools offered to the model."""
        return [tool["function"]["name"] for tool in self.body.get("tools", [])]


@dataclass
class FakeOpenAI:
    """The fake server's script and record; thread-safe."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    _script: deque[Step] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    _ids: int = 0

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL should be."""
        return f"http://{self.host}:{self.port}/v1"

    def script(self, *steps: Step) -> None:
        """Queue answers for the next requests, in order."""
        with self._lock:
            self._script.extend(steps)

    @property
    def remaining(self) -> int:
        """Scripted steps not used yet."""
        with self._lock:
            return len(self._script)

    def release(self) -> None:
        """Let held (and hanging) answers go now; later ones are held again."""
        released = self._release
        self._release = threading.Event()
        released.set()

    def reset(self) -> None:
        """Forget the script and the recorded requests (between tests sharing one server)."""
        with self._lock:
            self._script.clear()
            self.requests.clear()
        # Let an answer left hanging by an earlier test finish, then hang again when asked.
        self._release.set()
        self._release = threading.Event()

    def _next(self, request: Recorded) -> Step | None:
        with self._lock:
            self.requests.append(request)
            return self._script.popleft() if self._script else None

    def _call_id(self) -> str:
        with self._lock:
            self._ids += 1
            return f"call_fake_{self._ids}"


def _completion(step: Reply, ids: list[str], model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": step.text or None}
    if step.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": tool.name, "arguments": tool.arguments_json()},
            }
            for tool, call_id in zip(step.tool_calls, ids, strict=True)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if step.tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _chunks(step: Reply, ids: list[str], model: str) -> Iterator[dict[str, Any]]:
    """The answer as a provider streams it: a role chunk, small deltas, then finish and usage."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    # Text arrives a few characters at a time, like tokens.
    for start in range(0, len(step.text), 4):
        yield chunk({"content": step.text[start : start + 4]})
    for index, (tool, call_id) in enumerate(zip(step.tool_calls, ids, strict=True)):
        # The first delta of a call names it; its arguments follow in pieces, as OpenAI sends them.
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": tool.name, "arguments": ""},
                    }
                ]
            }
        )
        arguments = tool.arguments_json()
        for start in range(0, len(arguments), 7):
            piece = arguments[start : start + 7]
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, "tool_calls" if step.tool_calls else "stop")
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    yield {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [],
        "usage": usage,
    }


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest shows the recorded requests when it matters."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            body = json.loads(raw or b"{}")
            request = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            step = fake._next(request)
            model = str(body.get("model", "fake-model"))
            if step is None:
                self._json(500, _error("The fake server has no scripted answer left.", "server"))
            elif isinstance(step, Held):
                fake._release.wait(HANG_LIMIT_SECONDS)
                self._answer(step.reply, body, model)
            elif isinstance(step, Hang):
                fake._release.wait(HANG_LIMIT_SECONDS)
                self.close_connection = True
            elif isinstance(step, Fail):
                kind = "invalid_api_key" if step.status == 401 else "server_error"
                headers = {"x-should-retry": "true" if step.retry else "false"}
                self._json(step.status, _error(step.message, kind), headers)
            else:
                self._answer(step, body, model)

        def _answer(self, step: Reply, body: dict[str, Any], model: str) -> None:
            ids = [tool.call_id or fake._call_id() for tool in step.tool_calls]
            if body.get("stream"):
                self._stream(_chunks(step, ids, model))
            else:
                self._json(200, _completion(step, ids, model))

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, chunks: Iterator[dict[str, Any]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            # No Content-Length: the stream ends when the connection closes.
            self.send_header("Connection", "close")
            self.end_headers()
            for data in chunks:
                self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


@contextmanager
def fake_openai() -> Iterator[FakeOpenAI]:
    """Serve a FakeOpenAI on a free port for the duration of the block."""
    fake = FakeOpenAI()
    server = ThreadingHTTPServer((fake.host, 0), _handler(fake))
    server.daemon_threads = True
    fake.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="fake-openai", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake._release.set()  # let hanging answers finish so the server can stop
        server.shutdown()
        server.server_close()
        thread.join(5)
