"""Chat and conversation request/response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ChatRequest(BaseModel):
    """One user message, in a new or existing conversation."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: int | None = Field(default=None, ge=1)
    message: str
    edit_last: bool = Field(
        default=False,
        description="Replace the conversation's last message (and its failed or stopped "
        "answer) with this one; 409 `not_editable` if that answer stands or changed tasks.",
    )


class ToolCallRead(BaseModel):
    """A tool the assistant called during a turn, with what it returned."""

    name: str
    arguments: dict[str, Any]
    result: Any


class ChatResponse(BaseModel):
    """The assistant's answer to one message."""

    conversation_id: int
    response: str
    tool_calls: list[ToolCallRead]


class ConversationRead(BaseModel):
    """A conversation in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    created_at: datetime
    updated_at: datetime


class ConversationPage(BaseModel):
    """One page of conversations and the total."""

    items: list[ConversationRead]
    total: int


class MessageRead(BaseModel):
    """A stored message."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int
    role: Literal["user", "assistant"]
    content: str
    tool_calls: list[ToolCallRead]
    error: str | None = None
    created_at: datetime


class ConversationDetail(ConversationRead):
    """A conversation with a page of its messages in order (the newest, unless `before`)."""

    messages: list[MessageRead]
    has_more: bool = Field(
        default=False,
        description="Older messages exist: ask again with `before` set to the first "
        "message's `seq`.",
    )


class ConversationRename(BaseModel):
    """A new title for a conversation."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="1-200 characters; line breaks and runs of spaces collapse.")
