"""`todochat serve --workers N`: worker processes that each listen on the port themselves.

uvicorn's own multi-worker mode binds one socket in the parent and shares it: whichever worker
wakes first accepts every connection waiting, so a burst of keep-alive clients (a load
balancer filling its pool, a load test) can all land on one worker while the others idle. We
measured 32 of 32 connections on one of two workers. Here each worker binds the port with
SO_REUSEPORT and the kernel spreads new connections over the workers' sockets (only processes
of the same user may join a port this way).

The supervisor refuses a port something already listens on, replaces a worker that dies, and
on SIGTERM or SIGINT asks every worker to shut down gracefully (uvicorn finishes the requests
in flight, the app lets streamed turns finish); a second signal kills them. A worker whose
supervisor dies shuts itself down, so no orphan keeps serving old code on the port.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from todochat.config import get_settings
from todochat.lifecycle import Server
from todochat.logs import configure_logging

log = logging.getLogger("uvicorn.error")

MAX_BACKOFF_SECONDS = 30.0
MAX_HEADER_BYTES = 64 * 1024
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n"
    b"connection: close\r\n\r\n"
)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with what it lacks: a deadline and a size limit for request
    headers. A client that connects and sends nothing, or trickles its headers, is answered
    408 and disconnected after TODOCHAT_HEADER_TIMEOUT_SECONDS instead of holding a socket
    (and a file descriptor) for ever; headers over 64 KiB get 431."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = get_settings().header_timeout_seconds
        self._header_deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """A new connection: its first request's headers are due within the deadline."""
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: no deadline."""
        self._headers_arrived()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse; refuse headers that grow past the limit."""
        super().data_received(data)
        if self._header_deadline is not None:
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                self._refuse(_TOO_LARGE)

    def on_message_begin(self) -> None:
        """A request starts (a keep-alive connection's next one too): its headers are due."""
        super().on_message_begin()
        self._await_headers()

    def on_headers_complete(self) -> None:
        """The headers arrived in time."""
        self._headers_arrived()
        super().on_headers_complete()

    def _await_headers(self) -> None:
        if self._header_deadline is None:
            self._header_bytes = 0
            self._header_deadline = self.loop.call_later(self._header_timeout, self._too_slow)

    def _headers_arrived(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            self._await_headers()  # still answering the previous request: wait for it
            return
        self._refuse(_TIMED_OUT)

    def _refuse(self, response: bytes) -> None:
        self._headers_arrived()
        if not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()


def serve_workers(config: uvicorn.Config, workers: int, grace_seconds: float) -> int:
    """Run `workers` processes until SIGTERM/SIGINT; the exit status for the command.

    `grace_seconds`: how long shutdown waits for the workers before killing them.
    """
    if not hasattr(socket, "SO_REUSEPORT"):  # not on Windows: uvicorn's shared socket instead
        from uvicorn.supervisors import Multiprocess

        config.workers = workers
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return 0
    return _Supervisor(config, workers, grace_seconds).run()


def _listening_socket(host: str, port: int, *, shared: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(config: uvicorn.Config) -> None:
    """One worker process: its own socket on the shared port, then uvicorn until told to stop."""
    config.configure_logging()
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_stop_with, args=(parent.sentinel,), daemon=True).start()
    try:
        sock = _listening_socket(config.host, config.port, shared=True)
    except OSError as error:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, error)
        sys.exit(STARTUP_FAILURE)
    Server(config).run(sockets=[sock])


def _stop_with(parent_sentinel: int) -> None:
    """Shut this worker down gracefully once its supervisor is gone (even if it was killed)."""
    wait([parent_sentinel])
    os.kill(os.getpid(), signal.SIGTERM)


class _Supervisor:
    def __init__(self, config: uvicorn.Config, workers: int, grace_seconds: float) -> None:
        self.config = config
        self.workers = workers
        self.grace_seconds = grace_seconds
        self.processes: list[BaseProcess] = []
        self.signals = 0
        self.stop = threading.Event()
        self.context = multiprocessing.get_context("spawn")

    def _on_signal(self, signum: int, frame: object) -> None:
        self.signals += 1
        self.stop.set()

    def run(self) -> int:
        try:  # fail now if anything else listens there (our SO_REUSEPORT sockets would join it)
            _listening_socket(self.config.host, self.config.port, shared=False).close()
        except OSError as error:
            log.error("cannot listen on %s:%s: %s", self.config.host, self.config.port, error)
            return 1
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        log.info("Started parent process with %d workers", self.workers)
        self.processes = [self._start() for _ in range(self.workers)]
        initial = set(self.processes)
        backoff = [0.0] * self.workers
        restart_at = [0.0] * self.workers
        status = 0
        while not self.stop.wait(0.5):
            for index, process in enumerate(self.processes):
                if process.is_alive() or time.monotonic() < restart_at[index]:
                    continue
                if process.exitcode == STARTUP_FAILURE and process in initial:
                    # The app, the database or the port is broken from the start: stop.
                    log.error("Worker %s failed to start; stopping.", process.pid)
                    self.stop.set()
                    status = 1
                    break
                if process.exitcode == STARTUP_FAILURE:
                    # A replacement that cannot start yet (the database is down?): retry later.
                    backoff[index] = min(max(1.0, 2 * backoff[index]), MAX_BACKOFF_SECONDS)
                    restart_at[index] = time.monotonic() + backoff[index]
                    log.warning(
                        "Worker %s failed to start; retrying in %.0f s", process.pid, backoff[index]
                    )
                else:
                    backoff[index] = 0.0
                    log.warning(
                        "Worker %s died (exit %s); starting another", process.pid, process.exitcode
                    )
                self.processes[index] = self._start()
        self._shutdown()
        return status

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=_worker, args=(self.config,), name="todochat-worker")
        process.start()
        return process

    def _shutdown(self) -> None:
        """SIGTERM every worker (graceful in uvicorn); kill what outlasts the grace or a second
        signal."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + self.grace_seconds
        while any(p.is_alive() for p in self.processes):
            if self.signals > 1 or time.monotonic() > deadline:
                for process in self.processes:
                    if process.is_alive():
                        log.warning("Killing worker %s", process.pid)
                        process.kill()
                break
            wait([p.sentinel for p in self.processes if p.is_alive()], timeout=0.5)
        for process in self.processes:
            process.join()
        log.info("Stopped parent process")
