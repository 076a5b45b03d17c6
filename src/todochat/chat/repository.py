"""Every conversation and message query; always scoped to one user."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, literal, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.accounts.models import User
from todochat.chat.models import Conversation, Message, RateWindow


class ConversationRepository:
    """Queries over one user's conversations and messages."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        """The user's conversation, or None."""
        statement = select(Conversation).where(
            Conversation.id == conversation_id, Conversation.user_id == self.user_id
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def list_conversations(self, limit: int, offset: int) -> tuple[list[Conversation], int]:
        """Most recently active first, with the total count, in one round trip."""
        statement = (
            select(Conversation, func.count().over().label("total"))
            .where(Conversation.user_id == self.user_id)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(limit)
            .offset(offset)
        )
        rows = (await self.session.execute(statement)).all()
        if rows:
            return [row[0] for row in rows], rows[0].total
        total = await self.session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.user_id == self.user_id)
        )
        return [], total or 0

    async def delete_conversation(self, conversation_id: int) -> bool:
        """Delete it with its messages; False if it is not the user's."""
        statement = (
            delete(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == self.user_id)
            .returning(Conversation.id)
        )
        return (await self.session.scalar(statement)) is not None

    async def messages(self, conversation_id: int) -> list[Message]:
        """All messages in order (for showing a conversation, not for the model)."""
        statement = (
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.user_id == self.user_id)
            .order_by(Message.seq)
        )
        return list((await self.session.scalars(statement)).all())

    async def recent_messages(self, conversation_id: int, limit: int) -> list[Message]:
        """The last `limit` messages, oldest first.

        A backward scan of the (conversation_id, seq) index: the cost does not depend on how
        long the conversation is.
        """
        statement = (
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.user_id == self.user_id,
            )
            .order_by(Message.seq.desc())
            .limit(limit)
        )
        newest_first = list((await self.session.scalars(statement)).all())
        return newest_first[::-1]

    async def start_conversation(
        self, title: str, first_message: str, claim: timedelta, turn_key: str | None
    ) -> Message:
        """A new conversation, claimed by the turn that creates it, with its first message."""
        created = (
            insert(Conversation)
            .values(
                user_id=self.user_id,
                title=title,
                last_seq=1,
                turn_expires_at=func.now() + claim,
                turn_key=turn_key,
            )
            .returning(Conversation.id, Conversation.last_seq)
            .cte("created")
        )
        message = await self._insert_message_from(created, "user", first_message)
        assert message is not None
        return message

    async def claim(
        self, conversation_id: int, claim: timedelta, turn_key: str | None, message: str | None
    ) -> Message | bool:
        """Claim the conversation for one turn and store the user's message, in one statement.

        A claim is free when it has expired (its holder died) or was taken under the same
        Idempotency-Key (a retry continuing its own dead attempt). Returns the stored message
        (or True when there is none to store), False when the conversation is taken or not the
        user's.
        """
        free = or_(
            Conversation.turn_expires_at.is_(None), Conversation.turn_expires_at < func.now()
        )
        if turn_key is not None:
            free = or_(free, Conversation.turn_key == turn_key)
        values: dict[str, Any] = {"turn_expires_at": func.now() + claim, "turn_key": turn_key}
        if message is not None:
            values.update(last_seq=Conversation.last_seq + 1, updated_at=func.now())
        claimed = (
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == self.user_id, free)
            .values(**values)
            .returning(Conversation.id, Conversation.last_seq)
        )
        if message is None:
            return (await self.session.scalar(claimed)) is not None
        stored = await self._insert_message_from(claimed.cte("claimed"), "user", message)
        return stored if stored is not None else False

    async def extend_claim(self, conversation_id: int, claim: timedelta) -> None:
        """Keep a running turn's claim alive."""
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == self.user_id)
            .values(turn_expires_at=func.now() + claim)
        )

    async def release_with_reply(
        self,
        conversation_id: int,
        content: str,
        tool_calls: list[dict[str, Any]],
        error: str | None,
    ) -> Message | None:
        """Store the assistant's reply and end the turn's claim, in one statement."""
        released = (
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == self.user_id)
            .values(
                last_seq=Conversation.last_seq + 1,
                updated_at=func.now(),
                turn_expires_at=None,
                turn_key=None,
            )
            .returning(Conversation.id, Conversation.last_seq)
            .cte("released")
        )
        return await self._insert_message_from(released, "assistant", content, tool_calls, error)

    async def count_turn(self) -> tuple[str, int, int] | None:
        """Count a turn in the user's current one-minute window (dropping older windows), in the
        same statement that reads the user's time zone: (time zone, turns this minute, seconds
        until the next minute), or None if the user no longer exists."""
        window_start = func.date_trunc("minute", func.now())
        purge = (
            delete(RateWindow)
            .where(RateWindow.user_id == self.user_id, RateWindow.window_start < window_start)
            .cte("purge")
        )
        counted = (
            insert(RateWindow)
            .from_select(
                ["user_id", "window_start", "count"],
                select(User.id, window_start, literal(1)).where(User.id == self.user_id),
            )
            .on_conflict_do_update(
                index_elements=[RateWindow.user_id, RateWindow.window_start],
                set_={"count": RateWindow.count + 1},
            )
            .returning(RateWindow.count)
            .cte("counted")
        )
        statement = (
            select(User.time_zone, counted.c.count, 60 - func.extract("second", func.now()))
            .join(counted, true())
            .where(User.id == self.user_id)
            .add_cte(purge)
        )
        row = (await self.session.execute(statement)).one_or_none()
        if row is None:
            return None
        time_zone, count, seconds_left = row
        return time_zone, count, max(1, int(seconds_left))

    async def _insert_message_from(
        self,
        source: Any,
        role: str,
        content: str,
        tool_calls: list[dict[str, Any]] | None = None,
        error: str | None = None,
    ) -> Message | None:
        """Insert a message numbered by `source` (a CTE returning the conversation's id and its
        new last_seq); None if the CTE matched no conversation.

        The seq comes from an UPDATE (or INSERT) of the conversation row in the same statement,
        which locks the row, so two writers never take the same number and seq stays contiguous.
        """
        statement = (
            insert(Message)
            .from_select(
                ["conversation_id", "user_id", "seq", "role", "content", "tool_calls", "error"],
                select(
                    source.c.id,
                    literal(self.user_id, Message.user_id.type),
                    source.c.last_seq,
                    literal(role, Message.role.type),
                    literal(content, Message.content.type),
                    literal(tool_calls or [], Message.tool_calls.type),
                    literal(error, Message.error.type),
                ),
            )
            .returning(Message)
        )
        return (await self.session.scalars(statement)).one_or_none()
