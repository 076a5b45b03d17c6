"""Conversations and their messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from todochat.db.base import Base, Timestamped


class Conversation(Timestamped, Base):
    """A thread of messages between a user and the assistant."""

    __tablename__ = "conversation"
    __table_args__ = (Index("ix_conversation_user_updated", "user_id", "updated_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), server_default="New conversation")
    # The last seq handed out; bumped atomically so seq stays contiguous per conversation.
    last_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    # Set while a turn runs, so only one turn per conversation runs at a time across all
    # instances; a claim left behind by a crashed instance simply expires.
    turn_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who holds the claim: a retry with the same Idempotency-Key may take over a dead turn's claim.
    turn_key: Mapped[str | None] = mapped_column(String(200))


class Message(Base):
    """One message; order within a conversation is by seq, never by timestamp."""

    __tablename__ = "message"
    __table_args__ = (
        # Also the index for "the last N messages": a backward scan from the newest seq.
        UniqueConstraint("conversation_id", "seq", name="uq_message_conversation_seq"),
        CheckConstraint("role IN ('user', 'assistant')", name="role_value"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(9))
    content: Mapped[str] = mapped_column(Text)
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    # Why the turn failed (model unavailable, timeout...); such replies are not shown to the model.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
