"""Conversations: list and search, read with a page of messages, rename, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import StringConstraints

from todochat.api.deps import CurrentUser, Session
from todochat.api.errors import error_responses
from todochat.chat.schemas import (
    ConversationDetail,
    ConversationPage,
    ConversationRead,
    ConversationRename,
    MessageRead,
)
from todochat.chat.service import ConversationService

PAGE = 100  # messages in one response unless asked: a long conversation comes in pages
MAX_PAGE = 500

router = APIRouter(
    prefix="/api/{user_id}/conversations",
    tags=["conversations"],
    responses=error_responses(401, 403, 404, 422),
)


@router.get("", response_model=ConversationPage)
async def list_conversations(
    user: CurrentUser,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    q: Annotated[
        str | None,
        StringConstraints(strip_whitespace=True, max_length=200),
        Query(description="Only conversations whose title or messages contain this text."),
    ] = None,
) -> ConversationPage:
    """The user's conversations, most recently active first; `q` searches them."""
    items, total = await ConversationService(session, user.id).list_conversations(limit, offset, q)
    return ConversationPage(
        items=[ConversationRead.model_validate(item) for item in items], total=total
    )


@router.get("/{conversation_id}", response_model=ConversationDetail)
async def get_conversation(
    conversation_id: int,
    user: CurrentUser,
    session: Session,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="At most this many messages (the newest).")
    ] = PAGE,
    before: Annotated[
        int | None,
        Query(ge=1, description="Only messages with a lower `seq`: the page before this one."),
    ] = None,
) -> ConversationDetail:
    """A conversation with its newest messages in order; `has_more` says older ones remain,
    read with `before` set to the first message's `seq`."""
    conversation, messages, more = await ConversationService(session, user.id).get_conversation(
        conversation_id, limit, before
    )
    return ConversationDetail(
        **ConversationRead.model_validate(conversation).model_dump(),
        messages=[MessageRead.model_validate(message) for message in messages],
        has_more=more,
    )


@router.patch("/{conversation_id}", response_model=ConversationRead)
async def rename_conversation(
    conversation_id: int, body: ConversationRename, user: CurrentUser, session: Session
) -> ConversationRead:
    """Rename a conversation (its place in the list does not change)."""
    renamed = await ConversationService(session, user.id).rename_conversation(
        conversation_id, body.title
    )
    return ConversationRead.model_validate(renamed)


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(
    conversation_id: int, user: CurrentUser, session: Session
) -> Response:
    """Delete a conversation and its messages."""
    await ConversationService(session, user.id).delete_conversation(conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
