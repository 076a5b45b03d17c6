"""Conversations: list, read with messages, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from todochat.api.deps import CurrentUser, Session
from todochat.api.errors import error_responses
from todochat.chat.schemas import (
    ConversationDetail,
    ConversationPage,
    ConversationRead,
    MessageRead,
)
from todochat.chat.service import ConversationService

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
) -> ConversationPage:
    """The user's conversations, most recently active first."""
    items, total = await ConversationService(session, user.id).list_conversations(limit, offset)
    return ConversationPage(
        items=[ConversationRead.model_validate(item) for item in items], total=total
    )


@router.get("/{conversation_id}", response_model=ConversationDetail)
async def get_conversation(
    conversation_id: int, user: CurrentUser, session: Session
) -> ConversationDetail:
    """A conversation with all its messages, in order."""
    conversation, messages = await ConversationService(session, user.id).get_conversation(
        conversation_id
    )
    return ConversationDetail(
        **ConversationRead.model_validate(conversation).model_dump(),
        messages=[MessageRead.model_validate(message) for message in messages],
    )


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(
    conversation_id: int, user: CurrentUser, session: Session
) -> Response:
    """Delete a conversation and its messages."""
    await ConversationService(session, user.id).delete_conversation(conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
