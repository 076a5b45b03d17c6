"""The tool-call ledger: task changes made during a keyed turn, replayed when the turn is retried.

A turn sent with an Idempotency-Key may die after a tool call committed (process killed, model
timed out). When the client retries with the same key, the agent makes the same calls again;
each change already made is answered from here instead of being made twice. The ledger row is
written in the same transaction as the change, so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, func, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from todochat.db.base import Base


class ToolCallRecord(Base):
    """One task change made during a keyed turn."""

    __tablename__ = "tool_call_record"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    turn_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    call_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def call_signature(name: str, arguments: dict[str, Any]) -> str:
    """The tool and its arguments, canonically."""
    return json.dumps([name, arguments], sort_keys=True, default=str)


def call_hash(signature: str, occurrence: int) -> str:
    """Identifies the n-th identical call (same tool, same arguments) within a turn."""
    return hashlib.sha256(f"{occurrence}:{signature}".encode()).hexdigest()


async def recorded_result(
    session: AsyncSession, user_id: uuid.UUID, turn_key: str, digest: str
) -> dict[str, Any] | None:
    """The result of this call if the turn already made it."""
    statement = select(ToolCallRecord.result).where(
        ToolCallRecord.user_id == user_id,
        ToolCallRecord.turn_key == turn_key,
        ToolCallRecord.call_hash == digest,
    )
    return (await session.scalars(statement)).one_or_none()


async def record_result(
    session: AsyncSession, user_id: uuid.UUID, turn_key: str, digest: str, result: dict[str, Any]
) -> None:
    """Remember the call's result, in the caller's transaction."""
    await session.execute(
        insert(ToolCallRecord)
        .values(user_id=user_id, turn_key=turn_key, call_hash=digest, result=result)
        .on_conflict_do_nothing()
    )
