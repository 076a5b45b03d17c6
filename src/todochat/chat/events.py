"""Events of a streamed chat turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ServerEvent:
    """One event of a streamed turn: delta, tool_call, done or error."""

    event: str
    data: dict[str, Any]
