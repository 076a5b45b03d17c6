"""The README's first command on a fresh clone: `make run` with nothing configured.

A new venv is created and the package installed (from pip's cache when it has the wheels),
so this takes minutes: it is slow, but it is the newcomer's first hour, so it stays in the suite.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.servers import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_clone() -> Iterator[Path]:
    """The repository's current commit, cloned into a folder removed afterwards."""
    # Not under pytest's tmp dir: the embedded PostgreSQL runs as a user of its own (when the
    # suite runs as root), who cannot enter root's mode-700 folders.
    folder = Path(tempfile.mkdtemp(prefix="todochat-fresh-clone-"))
    folder.chmod(0o755)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    clone = folder / "todochat"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", commit], check=True)
    try:
        yield clone
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(900)
def test_make_run_on_a_fresh_clone_serves_and_stops_cleanly(fresh_clone: Path) -> None:
    port = free_port()
    data_dir = fresh_clone.parent / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TODOCHAT_", "VIRTUAL_ENV"))}
    env.pop("DATABASE_URL", None)  # the README's zero-configuration path: embedded PostgreSQL
    env["TODOCHAT_DATA_DIR"] = str(data_dir)
    # The Python this suite's venv was made from, not the venv itself.
    env["PYTHON"] = str(Path(sys.base_prefix) / "bin" / "python3")
    log = fresh_clone.parent / "make-run.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "run", f"PORT={port}"], cwd=fresh_clone, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 840
        while True:
            assert make.poll() is None, log.read_text(errors="replace")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.5)
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        [serve] = [
            child
            for child in psutil.Process(make.pid).children(recursive=True)
            if "serve" in child.cmdline()
        ]
        serve.send_signal(signal.SIGTERM)
        # todochat exits 0 (so make does) after stopping the embedded PostgreSQL it started.
        assert make.wait(60) == 0, log.read_text(errors="replace")
    finally:
        if make.poll() is None:
            make.kill()
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    output = log.read_text(errors="replace")
    assert f"Uvicorn running on http://127.0.0.1:{port}" in output
    assert "Traceback" not in output
