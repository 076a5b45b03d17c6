"""`todochat serve --workers N`: connections spread over the workers; dead workers are replaced,
orphans stop, a taken port is refused.

Each worker listens on the port itself (SO_REUSEPORT), so the kernel spreads new connections:
with one shared socket, a burst of keep-alive connections all went to one of two workers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.servers import TODOCHAT, Server, free_port, running_server

pytestmark = pytest.mark.slow


def port_of(server: Server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def listening(worker: psutil.Process, port: int) -> bool:
    try:
        return worker.status() != psutil.STATUS_ZOMBIE and any(
            c.laddr.port == port and c.status == psutil.CONN_LISTEN
            for c in worker.net_connections(kind="tcp")
        )
    except psutil.Error:  # exited meanwhile
        return False


def workers_of(server: Server, count: int, within: float = 60) -> list[psutil.Process]:
    """The server's worker processes, once `count` of them listen on the port."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        children = psutil.Process(server.process.pid).children()
        workers = [p for p in children if listening(p, port_of(server))]
        if len(workers) == count:
            return workers
        time.sleep(0.2)
    raise TimeoutError(f"not {count} workers after {within} s:\n{server.output()}")


def keep_alive_connections(port: int, count: int) -> list[socket.socket]:
    """`count` connections opened at once, each having had one request answered."""
    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    request = f"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\r\n".encode()
    for connection in connections:
        connection.sendall(request)
    for connection in connections:
        connection.settimeout(30)
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
    return connections


def test_connections_are_spread_over_the_workers(tmp_path: Path, database_url: str) -> None:
    env = {"DATABASE_URL": database_url}
    with running_server(tmp_path, env, args=("--workers", "2")) as server:
        workers = workers_of(server, 2)
        port = port_of(server)

        connections = keep_alive_connections(port, 16)
        try:
            held = [
                sum(
                    1
                    for c in worker.net_connections(kind="tcp")
                    if c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
                )
                for worker in workers
            ]
        finally:
            for connection in connections:
                connection.close()

        # Hashed over two sockets, all 16 on one worker has a chance of 1 in 32,768.
        assert sum(held) == 16
        assert min(held) >= 1, held

        assert server.stop(signal.SIGTERM) == 0
    assert not any(worker.is_running() and worker.status() != "zombie" for worker in workers)


def test_a_worker_that_dies_is_replaced(tmp_path: Path, database_url: str) -> None:
    with running_server(
        tmp_path, {"DATABASE_URL": database_url}, args=("--workers", "2")
    ) as server:
        victim, survivor = workers_of(server, 2)

        os.kill(victim.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while listening(victim, port_of(server)) and time.monotonic() < deadline:
            time.sleep(0.05)

        replaced = workers_of(server, 2)
        assert survivor in replaced and victim.pid not in {w.pid for w in replaced}
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200


def test_workers_that_cannot_listen_stop_the_command(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    with socket.socket() as squatter:  # bound without SO_REUSEPORT: nobody else may join
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        env = {**os.environ, "DATABASE_URL": database_url, "TODOCHAT_SECRET_KEY": "x" * 48}
        done = subprocess.run(
            [TODOCHAT, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            capture_output=True,
            timeout=120,
        )
    # Found before migrations and before any worker starts: one line, the configuration status.
    assert done.returncode == 78
    assert done.stderr.decode().startswith(f"todochat: --port {port}: cannot listen on ")
    assert len(done.stderr.splitlines()) == 1


def test_workers_do_not_outlive_their_supervisor(tmp_path: Path, database_url: str) -> None:
    with running_server(
        tmp_path, {"DATABASE_URL": database_url}, args=("--workers", "2")
    ) as server:
        workers = workers_of(server, 2)

        server.process.kill()  # the supervisor dies without passing anything on
        server.process.wait()

        _, alive = psutil.wait_procs(workers, timeout=30)
        assert alive == []
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.base_url}/healthz", timeout=2)


def test_ctrl_c_stops_a_single_worker_server_normally(tmp_path: Path, database_url: str) -> None:
    with running_server(tmp_path, {"DATABASE_URL": database_url}) as server:
        assert server.stop(signal.SIGINT) == 0
