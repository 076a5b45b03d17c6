"""Idempotency-Key support: a retried request returns the first answer and changes nothing twice.

The first request with a key claims it; while it runs, the claim is kept alive by a heartbeat,
so a claim whose owner died (crash, SIGKILL) lapses within seconds and a retry can take over.
Outcomes are kept for `idempotency_hours` (24 h by default).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from todochat.accounts.models import User
from todochat.db.base import Base
from todochat.db.uow import unit_of_work
from todochat.errors import AccountGone, Conflict, InvalidInput
from todochat.mcp.ledger import ToolCallRecord

MAX_KEY_LENGTH = 200


class IdempotencyRecord(Base):
    """The outcome of a request sent with an Idempotency-Key."""

    __tablename__ = "idempotency_record"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    # NULL while the first request is still running.
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    locked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # How far a chat turn got, so a retry after a crash continues it instead of starting over.
    conversation_id: Mapped[int | None] = mapped_column(BigInteger)
    message_seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class KeyInUse(Conflict):
    """The first request with this key is still running."""

    code = "idempotency_key_in_use"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry shortly."
        )


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """What makes two requests 'the same': method, path and the JSON body."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    """The key if usable; InvalidInput otherwise."""
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters.")
    return key


@dataclass
class Replay:
    """The stored outcome of the first request."""

    status_code: int
    body: dict[str, Any]


@dataclass
class Claim:
    """This request owns the key; `conversation_id`/`message_seq` say how far a dead attempt got."""

    key: str
    conversation_id: int | None = None
    message_seq: int | None = None


class IdempotencyStore:
    """Claims, heartbeats and outcomes of keyed requests for one user."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        user_id: uuid.UUID,
        *,
        lock_seconds: float = 15.0,
        keep_hours: float = 24.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.user_id = user_id
        self.lock = timedelta(seconds=lock_seconds)
        self.keep = timedelta(hours=keep_hours)

    async def claim(self, key: str, fingerprint: str) -> Claim | Replay:
        """Own the key for a long request (a chat turn), or get the first outcome.

        422 if the key was used for another request, 409 while its first request still runs.
        """
        async with unit_of_work(self.sessionmaker) as session:
            return await self._claim(session, key, fingerprint)

    async def claim_in(self, session: AsyncSession, key: str, fingerprint: str) -> Claim | Replay:
        """Own the key inside the caller's transaction, for a short request whose effect and
        outcome commit together; a concurrent duplicate waits on the row lock, then replays."""
        return await self._claim(session, key, fingerprint)

    async def _claim(self, session: AsyncSession, key: str, fingerprint: str) -> Claim | Replay:
        await self._purge_expired(session)
        # Inserted only while the account exists: a deleted account's token gets 401, not an
        # integrity error (its keys went with it).
        inserted = await session.scalar(
            insert(IdempotencyRecord)
            .from_select(
                ["user_id", "key", "request_hash", "locked_until"],
                select(
                    User.id,
                    literal(key, String()),
                    literal(fingerprint, String()),
                    func.now() + self.lock,
                ).where(User.id == self.user_id),
            )
            .on_conflict_do_nothing()
            .returning(IdempotencyRecord.key)
        )
        if inserted is not None:
            await self._forget_ledger(session, key)
            return Claim(key)
        record = (
            await session.scalars(
                select(IdempotencyRecord)
                .where(IdempotencyRecord.user_id == self.user_id, IdempotencyRecord.key == key)
                .with_for_update()
            )
        ).one_or_none()
        if record is None:
            # Not inserted and not there: the account is gone (or another request purged the
            # expired record in between; a retry then starts afresh).
            if await session.get(User, self.user_id) is None:
                raise AccountGone()
            raise KeyInUse()
        if record.request_hash != fingerprint:
            raise InvalidInput(
                "This Idempotency-Key was already used for a different request; use a new key."
            )
        if record.status_code is not None and record.response is not None:
            return Replay(record.status_code, record.response)
        now = await session.scalar(select(func.now()))
        if now is None or record.locked_until > now:
            raise KeyInUse()
        # The first attempt died without finishing: this retry takes over where it stopped.
        record.locked_until = now + self.lock
        return Claim(key, record.conversation_id, record.message_seq)

    async def release(self, key: str) -> None:
        """Give up a claim whose request failed: forget it if nothing was done yet (a retry
        starts afresh), or let a retry take over at once if the turn had stored its message."""
        mine = (IdempotencyRecord.user_id == self.user_id, IdempotencyRecord.key == key)
        unfinished = IdempotencyRecord.status_code.is_(None)
        async with unit_of_work(self.sessionmaker) as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    *mine, unfinished, IdempotencyRecord.message_seq.is_(None)
                )
            )
            await session.execute(
                update(IdempotencyRecord).where(*mine, unfinished).values(locked_until=func.now())
            )

    # The rest run inside the caller's transaction, next to the changes they describe.

    async def note_progress(
        self, session: AsyncSession, key: str, conversation_id: int, message_seq: int
    ) -> None:
        """Remember where the turn stored the user's message."""
        await session.execute(
            self._mine(key).values(conversation_id=conversation_id, message_seq=message_seq)
        )

    async def complete(
        self, session: AsyncSession, key: str, status_code: int, body: dict[str, Any]
    ) -> None:
        """Store the outcome to replay to retries."""
        await session.execute(self._mine(key).values(status_code=status_code, response=body))

    async def extend(self, session: AsyncSession, key: str) -> None:
        """Keep the claim alive while the request runs."""
        await session.execute(self._mine(key).values(locked_until=func.now() + self.lock))

    async def lapse(self, session: AsyncSession, key: str) -> None:
        """Let a retry take over at once (the request failed after making progress)."""
        await session.execute(self._mine(key).values(locked_until=func.now()))

    def _mine(self, key: str) -> Any:
        return update(IdempotencyRecord).where(
            IdempotencyRecord.user_id == self.user_id, IdempotencyRecord.key == key
        )

    async def _purge_expired(self, session: AsyncSession) -> None:
        """Forget the user's expired keys, with the task changes ledgered under them, in one
        statement (it runs on every keyed request, so it stays one round trip)."""
        expired = (
            delete(IdempotencyRecord)
            .where(
                IdempotencyRecord.user_id == self.user_id,
                IdempotencyRecord.created_at < func.now() - self.keep,
            )
            .returning(IdempotencyRecord.key)
            .cte("expired")
        )
        await session.execute(
            delete(ToolCallRecord).where(
                ToolCallRecord.user_id == self.user_id,
                ToolCallRecord.turn_key.in_(select(expired.c.key)),
            )
        )

    async def _forget_ledger(self, session: AsyncSession, key: str) -> None:
        """A key claimed afresh starts with no recorded task changes."""
        await session.execute(
            delete(ToolCallRecord).where(
                ToolCallRecord.user_id == self.user_id, ToolCallRecord.turn_key == key
            )
        )
