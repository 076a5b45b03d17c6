"""`todochat serve --workers N`: worker processes that each listen on the port themselves.

uvicorn's own multi-worker mode binds one socket in the parent and shares it: whichever worker
wakes first accepts every connection waiting, so a burst of keep-alive clients (a load
balancer filling its pool, a load test) can all land on one worker while the others idle. We
measured 32 of 32 connections on one of two workers. Here each worker binds the port with
SO_REUSEPORT and the kernel spreads new connections over the workers' sockets (only processes
of the same user may join a port this way).

The supervisor restarts a worker that dies, and on SIGTERM or SIGINT asks every worker to shut
down gracefully (uvicorn finishes the requests in flight) before it returns.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("uvicorn.error")


def serve_workers(config: uvicorn.Config, workers: int) -> int:
    """Run `workers` processes until SIGTERM/SIGINT; the exit status for the command."""
    if not hasattr(socket, "SO_REUSEPORT"):  # not on Windows: uvicorn's shared socket instead
        from uvicorn.supervisors import Multiprocess

        config.workers = workers
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return 0
    return _Supervisor(config, workers).run()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(config: uvicorn.Config) -> None:
    """One worker process: its own socket on the shared port, then uvicorn until told to stop."""
    config.configure_logging()
    try:
        sock = _listening_socket(config.host, config.port)
    except OSError as error:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, error)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


class _Supervisor:
    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        self.config = config
        self.workers = workers
        self.processes: list[BaseProcess] = []
        self.stop = threading.Event()
        self.context = multiprocessing.get_context("spawn")

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: self.stop.set())
        log.info("Started parent process with %d workers", self.workers)
        self.processes = [self._start() for _ in range(self.workers)]
        status = 0
        while not self.stop.wait(0.5):
            for index, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    # The app, the database or the port is broken: restarting would fail alike.
                    log.error("Worker %s failed to start; stopping.", process.pid)
                    self.stop.set()
                    status = 1
                    break
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
        """SIGTERM every worker (graceful in uvicorn), wait, kill any that outstays its grace."""
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()
        grace = (self.config.timeout_graceful_shutdown or 30) + 5
        for process in self.processes:
            process.join(grace)
            if process.is_alive():
                log.warning("Worker %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join()
        log.info("Stopped parent process")
