"""Conversation rules: listing, reading, deleting, and the database side of a chat turn."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from todochat.chat.history import window
from todochat.chat.models import Conversation, Message
from todochat.chat.repository import ConversationRepository
from todochat.errors import (
    AccountGone,
    ConversationBusy,
    ConversationNotFound,
    InvalidInput,
    NotEditable,
    RateLimited,
)

TITLE_CHARS = 60
MAX_TITLE_CHARS = 200  # the column's size


def title_from(message: str) -> str:
    """A short title from the first message: its first line, cut at a word boundary."""
    line = " ".join(message.strip().split("\n", 1)[0].split())
    if len(line) <= TITLE_CHARS:
        return line or "New conversation"
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0]
    return (cut or line[:TITLE_CHARS]) + "…"


def check_title(title: str) -> str:
    """A conversation title on one line, its spaces collapsed; InvalidInput if empty or long."""
    line = " ".join(title.split())
    if not line:
        raise InvalidInput("title: The title is empty.")
    if len(line) > MAX_TITLE_CHARS:
        raise InvalidInput(
            f"title: The title is {len(line)} characters long; the limit is {MAX_TITLE_CHARS}."
        )
    return line


def check_message(message: str, max_chars: int) -> str:
    """The message if it is acceptable; InvalidInput otherwise."""
    if not message.strip():
        raise InvalidInput("message: The message is empty.")
    if len(message) > max_chars:
        raise InvalidInput(
            f"message: The message is {len(message)} characters long; the limit is {max_chars}."
        )
    return message


@dataclass
class TurnStart:
    """What a turn knows once the user's message is stored: the model's view of the conversation."""

    user_id: uuid.UUID
    time_zone: str
    conversation_id: int
    message_seq: int
    history: list[Message]
    turn_key: str | None
    # Marks the conversation's claim as this turn's: the Idempotency-Key, or a random token.
    claim_token: str
    # A keyed retry after a failed attempt: the seq of the failure stored as the reply, which
    # this attempt's reply replaces (a message has one reply, however often it is retried).
    failed_reply_seq: int | None = None


class ConversationService:
    """One user's conversations."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.repo = ConversationRepository(session, user_id)

    async def list_conversations(
        self, limit: int, offset: int, q: str | None = None
    ) -> tuple[list[Conversation], int]:
        """Most recent first; with `q`, those whose title or messages contain it."""
        return await self.repo.list_conversations(limit, offset, q or None)

    async def get_conversation(
        self, conversation_id: int, limit: int, before: int | None = None
    ) -> tuple[Conversation, list[Message], bool]:
        """The conversation, a page of its messages (the newest `limit` before seq `before`)
        and whether older ones remain; or ConversationNotFound."""
        conversation = await self.repo.get_conversation(conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        messages, more = await self.repo.messages_before(conversation_id, limit, before)
        return conversation, messages, more

    async def rename_conversation(self, conversation_id: int, title: str) -> Conversation:
        """Give the conversation the title (1-200 characters on one line), or
        ConversationNotFound / InvalidInput."""
        renamed = await self.repo.rename_conversation(conversation_id, check_title(title))
        if renamed is None:
            raise ConversationNotFound(conversation_id)
        return renamed

    async def delete_conversation(self, conversation_id: int) -> None:
        """Delete it, or ConversationNotFound."""
        if not await self.repo.delete_conversation(conversation_id):
            raise ConversationNotFound(conversation_id)

    async def begin_turn(
        self,
        conversation_id: int | None,
        message: str,
        *,
        claim: timedelta,
        max_messages: int,
        max_tokens: int,
        turns_per_minute: int,
        turn_key: str | None = None,
        resume_seq: int | None = None,
        edit_last: bool = False,
    ) -> TurnStart:
        """Count the turn (reading the user's time zone), claim (or create) the conversation with
        the user's message stored, and load the recent history the model will see.

        `resume_seq` continues a keyed turn whose first attempt died after storing the message.
        `edit_last` replaces the last message and its failed answer (run it in a transaction).
        """
        if edit_last and conversation_id is None:
            raise InvalidInput("edit_last: Editing needs the conversation_id of the message.")
        counted = await self.repo.count_turn()
        if counted is None:
            raise AccountGone()
        time_zone, count, retry_after = counted
        try:
            if count > turns_per_minute:
                raise RateLimited(
                    f"Too many messages: the limit is {turns_per_minute} a minute. "
                    f"Try again in {retry_after} s.",
                    retry_after,
                )
            return await self._claim_and_store(
                conversation_id,
                message,
                claim,
                time_zone,
                turn_key,
                resume_seq,
                max_messages=max_messages,
                max_tokens=max_tokens,
                edit_last=edit_last,
            )
        except (RateLimited, ConversationNotFound, ConversationBusy, NotEditable):
            # A refused turn does not use up the user's quota.
            await self.repo.uncount_turn()
            raise

    async def _claim_and_store(
        self,
        conversation_id: int | None,
        message: str,
        claim: timedelta,
        time_zone: str,
        turn_key: str | None,
        resume_seq: int | None,
        *,
        max_messages: int,
        max_tokens: int,
        edit_last: bool = False,
    ) -> TurnStart:
        user_id = self.repo.user_id
        token = turn_key or f"turn:{uuid.uuid4()}"
        if conversation_id is None:
            first = await self.repo.start_conversation(title_from(message), message, claim, token)
            return TurnStart(
                user_id, time_zone, first.conversation_id, first.seq, [first], turn_key, token
            )
        if resume_seq is None and edit_last:
            # Claim first, then check and drop the exchange being replaced: the claim (taken
            # again below under the same token) keeps any other turn out meanwhile.
            if not await self.repo.claim(conversation_id, claim, token):
                await self._refuse(conversation_id)
            last = await self.repo.recent_messages(conversation_id, 2)
            if not _replaceable(last):
                raise NotEditable()
            await self.repo.drop_from(conversation_id, last[0].seq)
            if last[0].seq == 1:
                # The title came from the message being replaced: take it from the edit.
                conversation = await self.repo.get_conversation(conversation_id)
                if conversation is not None and conversation.title == title_from(last[0].content):
                    await self.repo.rename_conversation(conversation_id, title_from(message))
        if resume_seq is None:
            # The usual turn: claim, store the message and read the history in one statement.
            recent = await self.repo.claim_and_read(
                conversation_id, claim, token, message, max_messages
            )
            if not recent:
                await self._refuse(conversation_id)
            seq = recent[-1].seq
            if _missing_before(recent, max_messages):
                # A reply committed while the claim waited for the previous turn's row lock is
                # not in the statement's snapshot: read the history again, now that it is.
                recent = await self.repo.recent_messages(conversation_id, max_messages)
        else:
            # A keyed retry whose message is already stored: claim, then read.
            if not await self.repo.claim(conversation_id, claim, token):
                await self._refuse(conversation_id)
            seq = resume_seq
            recent = await self.repo.recent_messages(conversation_id, max_messages)
            failed_reply_seq = next(
                (
                    stored.seq
                    for stored in recent
                    if stored.seq == seq + 1 and stored.role == "assistant" and stored.error
                ),
                None,
            )
            return TurnStart(
                user_id,
                time_zone,
                conversation_id,
                seq,
                window(recent, max_tokens),
                turn_key,
                token,
                failed_reply_seq,
            )
        history = window(recent, max_tokens)
        return TurnStart(user_id, time_zone, conversation_id, seq, history, turn_key, token)

    async def _refuse(self, conversation_id: int) -> NoReturn:
        """The claim failed: the conversation is someone else's (or gone), or a turn holds it."""
        if await self.repo.get_conversation(conversation_id) is None:
            raise ConversationNotFound(conversation_id)
        raise ConversationBusy()

    async def keep_turn(self, conversation_id: int, token: str, claim: timedelta) -> None:
        """Extend a long-running turn's claim (if it still holds it)."""
        await self.repo.extend_claim(conversation_id, token, claim)

    async def finish_turn(
        self,
        conversation_id: int,
        token: str,
        content: str,
        tool_calls: list[dict[str, Any]],
        error: str | None = None,
        replaces_seq: int | None = None,
    ) -> Message | None:
        """Store the reply (or the failure) and release the turn's claim; None if the
        conversation was deleted meanwhile. `replaces_seq`: the earlier attempt's failure,
        overwritten instead of followed by a second reply."""
        if replaces_seq is not None:
            replaced = await self.repo.replace_failed_reply(
                conversation_id, token, replaces_seq, content, tool_calls, error
            )
            if replaced is not None:
                return replaced
        return await self.repo.release_with_reply(
            conversation_id, token, content, tool_calls, error
        )


def _missing_before(recent: list[Message], limit: int) -> bool:
    """Whether the history read with a claim lacks messages just before the stored one.

    Sequence numbers are contiguous, so the message before the stored one (seq n) is n - 1,
    unless the window holds only the stored message by design (limit 1).
    """
    if limit <= 1 or recent[-1].seq == 1:
        return False
    return len(recent) < 2 or recent[-2].seq != recent[-1].seq - 1


def _replaceable(last: list[Message]) -> bool:
    """Whether the last exchange is a user message whose answer failed (or was stopped)
    without calling a tool: replacing it then undoes nothing that happened."""
    if len(last) != 2:
        return False
    asked, answer = last
    return (
        asked.role == "user"
        and answer.role == "assistant"
        and answer.error is not None
        and not answer.tool_calls
    )
