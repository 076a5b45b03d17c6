"""The process's lifecycle: set once the server starts a graceful shutdown.

uvicorn waits for open responses before it shuts the app down, and an event stream never ends
by itself: streams watch this and end, so a shutdown does not wait out its grace period.
"""

from __future__ import annotations

import threading

import uvicorn

stopping = threading.Event()


class Server(uvicorn.Server):
    """uvicorn's server, which also tells open-ended streams that it is shutting down."""

    def handle_exit(self, sig: int, frame: object) -> None:
        """On SIGTERM/SIGINT: mark the process as stopping, then shut down as uvicorn does."""
        stopping.set()
        super().handle_exit(sig, frame)  # type: ignore[arg-type]
