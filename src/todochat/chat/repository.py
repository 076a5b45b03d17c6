"""Every conversation and message query; always scoped to one user."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.chat import statements
from todochat.chat.models import Conversation, Message


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

    async def list_conversations(
        self, limit: int, offset: int, q: str | None = None
    ) -> tuple[list[Conversation], int]:
        """Most recently active first, with the total count, in one round trip; `q` keeps the
        conversations whose title or any message contains it (case-insensitive)."""
        found = [Conversation.user_id == self.user_id]
        if q:
            pattern = f"%{_escape_like(q)}%"
            said = exists().where(
                Message.conversation_id == Conversation.id,
                Message.user_id == self.user_id,
                Message.content.ilike(pattern, escape="\\"),
            )
            found.append(or_(Conversation.title.ilike(pattern, escape="\\"), said))
        statement = (
            select(Conversation, func.count().over().label("total"))
            .where(*found)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(limit)
            .offset(offset)
        )
        rows = (await self.session.execute(statement)).all()
        if rows:
            return [row[0] for row in rows], rows[0].total
        total = await self.session.scalar(
            select(func.count()).select_from(Conversation).where(*found)
        )
        return [], total or 0

    async def rename_conversation(self, conversation_id: int, title: str) -> Conversation | None:
        """Set the title, leaving its place in the list (updated_at) alone; None if not the
        user's."""
        statement = (
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == self.user_id)
            .values(title=title, updated_at=Conversation.updated_at)
            .returning(Conversation)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

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

    async def messages_before(
        self, conversation_id: int, limit: int, before: int | None
    ) -> tuple[list[Message], bool]:
        """Up to `limit` messages with seq below `before` (the newest ones when None), oldest
        first, and whether older ones remain: a backward scan of the (conversation_id, seq)
        index, whose cost does not depend on the conversation's length."""
        statement = (
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.user_id == self.user_id)
            .order_by(Message.seq.desc())
            .limit(limit + 1)
        )
        if before is not None:
            statement = statement.where(Message.seq < before)
        newest_first = list((await self.session.scalars(statement)).all())
        return newest_first[:limit][::-1], len(newest_first) > limit

    async def recent_messages(self, conversation_id: int, limit: int) -> list[Message]:
        """The last `limit` messages, oldest first, at a cost independent of the length."""
        params = {"p_conversation_id": conversation_id, "p_user_id": self.user_id, "p_limit": limit}
        newest_first = list((await self.session.scalars(statements.RECENT_MESSAGES, params)).all())
        return newest_first[::-1]

    async def start_conversation(
        self, title: str, first_message: str, claim: timedelta, turn_key: str | None
    ) -> Message:
        """A new conversation, claimed by the turn that creates it, with its first message."""
        params = self._message_params(first_message) | {
            "p_title": title,
            "p_claim": claim,
            "p_turn_key": turn_key,
        }
        message: Message = (await self.session.scalars(statements.START_CONVERSATION, params)).one()
        return message

    async def claim(self, conversation_id: int, claim: timedelta, turn_key: str) -> bool:
        """Claim the conversation for one turn; False when it is taken or not the user's.

        A claim is free when it has expired (its holder died) or was taken under the same
        Idempotency-Key (a retry continuing its own dead attempt).
        """
        params: dict[str, Any] = {
            "p_conversation_id": conversation_id,
            "p_user_id": self.user_id,
            "p_claim": claim,
            "p_turn_key": turn_key,
        }
        return (await self.session.scalar(statements.CLAIM_ONLY, params)) is not None

    async def claim_and_read(
        self, conversation_id: int, claim: timedelta, turn_key: str, message: str, limit: int
    ) -> list[Message]:
        """Claim the conversation, store the user's message and read the history, in one
        statement: the last `limit` messages oldest first, the stored one last; [] when the
        conversation is taken or not the user's (see `claim`).
        """
        params: dict[str, Any] = self._message_params(message) | {
            "p_conversation_id": conversation_id,
            "p_claim": claim,
            "p_turn_key": turn_key,
            "p_earlier": max(limit - 1, 0),
        }
        rows = list((await self.session.scalars(statements.CLAIM_STORE_AND_READ, params)).all())
        return sorted(rows, key=lambda stored: stored.seq)

    async def drop_from(self, conversation_id: int, seq: int) -> None:
        """Delete the messages from `seq` on and number the next one `seq` again (the caller
        holds the conversation's claim, in a transaction)."""
        await self.session.execute(
            delete(Message).where(
                Message.conversation_id == conversation_id,
                Message.user_id == self.user_id,
                Message.seq >= seq,
            )
        )
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == self.user_id)
            .values(last_seq=seq - 1)
        )

    async def extend_claim(self, conversation_id: int, token: str, claim: timedelta) -> None:
        """Keep a running turn's claim alive, if the turn still holds it."""
        params = {
            "p_conversation_id": conversation_id,
            "p_user_id": self.user_id,
            "p_turn_key": token,
            "p_claim": claim,
        }
        await self.session.execute(statements.EXTEND_CLAIM, params)

    async def release_with_reply(
        self,
        conversation_id: int,
        token: str,
        content: str,
        tool_calls: list[dict[str, Any]],
        error: str | None,
    ) -> Message | None:
        """Store the assistant's reply and end the turn's claim (if still its own), in one statement."""
        params = self._message_params(content, tool_calls, error)
        params |= {"p_conversation_id": conversation_id, "p_turn_key": token}
        return (await self.session.scalars(statements.RELEASE_WITH_REPLY, params)).one_or_none()

    async def replace_failed_reply(
        self,
        conversation_id: int,
        token: str,
        seq: int,
        content: str,
        tool_calls: list[dict[str, Any]],
        error: str | None,
    ) -> Message | None:
        """Overwrite the failure stored as reply `seq` and end the turn's claim, in one
        statement; None if that failure is not there (the claim is ended all the same)."""
        params = self._message_params(content, tool_calls, error)
        params |= {"p_conversation_id": conversation_id, "p_turn_key": token, "p_seq": seq}
        return (await self.session.scalars(statements.REPLACE_FAILED_REPLY, params)).one_or_none()

    async def count_turn(self) -> tuple[str, int, int] | None:
        """Count a turn in the user's current one-minute window, in the same statement that
        reads the user's time zone: (time zone, turns this minute, seconds until the next
        minute), or None if the user no longer exists."""
        params = {"p_user_id": self.user_id}
        row = (await self.session.execute(statements.COUNT_TURN, params)).one_or_none()
        if row is None:
            return None
        time_zone, count, seconds_left = row
        return time_zone, count, max(1, int(seconds_left))

    async def uncount_turn(self) -> None:
        """Take back this minute's count of a turn that was refused."""
        await self.session.execute(statements.UNCOUNT_TURN, {"p_user_id": self.user_id})

    def _message_params(
        self,
        content: str,
        tool_calls: list[dict[str, Any]] | None = None,
        error: str | None = None,
    ) -> dict[str, Any]:
        return {
            "p_user_id": self.user_id,
            "p_content": content,
            "p_tool_calls": tool_calls or [],
            "p_error": error,
        }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
