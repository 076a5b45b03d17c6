"""Per-request phase timings, reported in the Server-Timing header (for benchmarks and ops)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_phases: ContextVar[dict[str, float] | None] = ContextVar("todochat_phases", default=None)


def start_timing() -> dict[str, float]:
    """Begin collecting phases for the current request; returns the (live) totals in ms."""
    phases: dict[str, float] = {}
    _phases.set(phases)
    return phases


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time a block and add it to the current request's `name` phase (no-op outside a request)."""
    phases = _phases.get()
    if phases is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + (time.perf_counter() - started) * 1000


def server_timing(phases: dict[str, float]) -> str:
    """The Server-Timing header value for the phases."""
    return ", ".join(f"{name};dur={ms:.2f}" for name, ms in phases.items())
