"""What clients must know before sending: the limits this server enforces."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from todochat.api.deps import AppSettings

router = APIRouter(prefix="/api", tags=["limits"])


class LimitsRead(BaseModel):
    """Limits a client checks as the user types (the server enforces them anyway)."""

    max_message_chars: int


@router.get("/limits", response_model=LimitsRead)
async def read_limits(settings: AppSettings) -> LimitsRead:
    """The longest chat message this server accepts, in characters."""
    return LimitsRead(max_message_chars=settings.max_message_chars)
