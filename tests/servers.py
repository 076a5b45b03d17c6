"""Run `todochat serve` as a real subprocess and wait for /readyz (never a fixed sleep)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

TODOCHAT = str(Path(sys.executable).parent / "todochat")
# Every test connects from 127.0.0.1 and signs up users freely: the per-address abuse limits
# are lifted unless a test sets them (tests/security does, on a database of its own).
UNLIMITED_ADDRESS = {
    "TODOCHAT_LOGIN_ATTEMPTS_PER_ADDRESS": "100000000",
    "TODOCHAT_SIGNUPS_PER_ADDRESS": "100000000",
    "TODOCHAT_OAUTH_REGISTRATIONS_PER_ADDRESS": "100000000",
}


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `todochat serve` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` and wait for the process to exit; returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")


def start_server(
    log_dir: Path,
    env: dict[str, str] | None = None,
    port: int | None = None,
    args: tuple[str, ...] = (),
) -> Server:
    """Start a server and return once /readyz answers 200 (or raise with its log)."""
    port = port or free_port()
    log = log_dir / f"serve-{port}.log"
    full_env = {
        **os.environ,
        "TODOCHAT_SECRET_KEY": "x" * 48,
        **UNLIMITED_ADDRESS,
        **(env or {}),
    }
    full_env = {key: value for key, value in full_env.items() if value is not None}
    if env is not None and "DATABASE_URL" not in env:
        full_env.pop("DATABASE_URL", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [TODOCHAT, "serve", "--port", str(port), *args],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise TimeoutError(f"server not ready after 120 s:\n{server.output()}")


@contextmanager
def running_server(
    log_dir: Path, env: dict[str, str] | None = None, **kwargs: object
) -> Iterator[Server]:
    """A server for the duration of a with-block."""
    server = start_server(log_dir, env, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
