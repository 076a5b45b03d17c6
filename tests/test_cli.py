"""The `todochat` command itself: what a newcomer types first."""

from __future__ import annotations

import subprocess
from importlib.metadata import version

from tests.servers import TODOCHAT


def test_version() -> None:
    finished = subprocess.run(
        [TODOCHAT, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout == f"todochat {version('todochat')}\n"
