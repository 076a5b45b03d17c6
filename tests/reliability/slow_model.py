"""A slow, stateless OpenAI-compatible model for tests that need a turn to be in flight.

Unlike a scripted fake, every answer depends only on the request, so any number of servers and
retries can share it: "add <title>" → an `add_task` tool call; a tool result → a short text
reply; anything else → an echo. Delays are attributes the test may change while it runs.
Chat Completions are answered as JSON, or as Server-Sent Events chunks when `stream` is set.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SlowModel:
    """Delays (seconds) and a record of what the model was asked."""

    call_delay: float = 0.0
    reply_delay: float = 0.0
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 0

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL should be."""
        return f"http://127.0.0.1:{self.port}/v1"

    def env(self) -> dict[str, str]:
        """Environment for a `todochat serve` that talks to this model."""
        return {"TODOCHAT_MODEL": "compatible:slow", "OPENAI_BASE_URL": self.base_url}

    def wait_for_requests(self, count: int, timeout: float = 30) -> None:
        """Block until the model has been asked `count` times in all."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.requests)} model requests, expected {count}")
            time.sleep(0.02)

    def answer(self, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """The delay and the assistant message for one request."""
        with self._lock:
            self.requests.append(body)
            self._ids += 1
            call_id = f"call_slow_{self._ids}"
        last = body["messages"][-1]
        if last["role"] == "tool":
            return self.reply_delay, {"role": "assistant", "content": "Done."}
        text = _text(last.get("content"))
        if text.lower().startswith("add "):
            call = {
                "id": call_id,
                "type": "function",
                "function": {"name": "add_task", "arguments": json.dumps({"title": text[4:]})},
            }
            return self.call_delay, {"role": "assistant", "content": None, "tool_calls": [call]}
        return self.reply_delay, {"role": "assistant", "content": f"You said: {text}"}


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


USAGE = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}


def _envelope(model: str, kind: str) -> dict[str, Any]:
    return {"id": "chatcmpl-slow", "object": kind, "created": int(time.time()), "model": model}


def _handler(model: SlowModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            delay, message = model.answer(body)
            model.stopped.wait(delay)  # a long delay ends early when the model stops
            try:
                if body.get("stream"):
                    self._stream(message, str(body.get("model", "slow")))
                else:
                    self._json(message, str(body.get("model", "slow")))
            except OSError:
                pass  # the server that asked was killed meanwhile

        def _json(self, message: dict[str, Any], name: str) -> None:
            finish = "tool_calls" if message.get("tool_calls") else "stop"
            completion = {
                **_envelope(name, "chat.completion"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": USAGE,
            }
            payload = json.dumps(completion).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, message: dict[str, Any], name: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            calls = [{"index": n, **call} for n, call in enumerate(message.get("tool_calls") or [])]
            deltas: list[dict[str, Any]] = [
                {"role": "assistant", "content": message["content"] or ""}
            ]
            if calls:
                deltas.append({"tool_calls": calls})
            finish = "tool_calls" if calls else "stop"
            chunks: list[dict[str, Any]] = [
                *(
                    {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                    for delta in deltas
                ),
                {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
                {"choices": [], "usage": USAGE},
            ]
            for chunk in chunks:
                data = {**_envelope(name, "chat.completion.chunk"), **chunk}
                self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


@contextmanager
def slow_model(call_delay: float = 0.0, reply_delay: float = 0.0) -> Iterator[SlowModel]:
    """Serve a SlowModel on a free port for the duration of the block."""
    model = SlowModel(call_delay=call_delay, reply_delay=reply_delay)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    server.daemon_threads = True
    model.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="slow-model", daemon=True)
    thread.start()
    try:
        yield model
    finally:
        model.stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
