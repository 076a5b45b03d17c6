"""Chat: one turn as JSON, or streamed as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from todochat.api.deps import IdempotencyKey, OwnerId
from todochat.api.errors import error_responses
from todochat.chat.events import ServerEvent
from todochat.chat.schemas import ChatRequest, ChatResponse
from todochat.chat.turn import ChatTurns

router = APIRouter(
    prefix="/api/{user_id}/chat",
    tags=["chat"],
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
)


def _turns(request: Request) -> ChatTurns:
    return request.app.state.turns  # type: ignore[no-any-return]


@router.post("", response_model=ChatResponse)
async def chat(
    body: ChatRequest, user_id: OwnerId, request: Request, idempotency_key: IdempotencyKey = None
) -> ChatResponse:
    """Send a message; the assistant acts on the todo list and answers."""
    return await _turns(request).run(user_id, body, idempotency_key)


@router.post(
    "/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`delta` and `tool_call` events, then one `done` or `error`. "
            "The `Conversation-Id` header names the conversation the turn runs in. Closing "
            "the stream before any tool ran stops the turn (stored as a failed reply); after "
            "one ran, the turn finishes and is stored.",
            "headers": {"Conversation-Id": {"schema": {"type": "integer"}}},
        }
    },
)
async def chat_stream(
    body: ChatRequest, user_id: OwnerId, request: Request, idempotency_key: IdempotencyKey = None
) -> EventSourceResponse:
    """The same turn, streamed: `delta` text, `tool_call` steps, then one `done` or `error`."""
    turns = _turns(request)
    # Refusals before the turn starts (404, 409, 422, 429) are plain JSON responses, not a
    # stream; once it has started, the response begins at once, so keep-alives flow while the
    # model thinks.
    conversation_id, events = await turns.stream(user_id, body, idempotency_key)
    settings = turns.settings
    return EventSourceResponse(
        _sse(events),
        # Known before any event: a client that stops a new conversation's first turn still
        # knows where its message was stored.
        headers={"Conversation-Id": str(conversation_id)} if conversation_id else None,
        # Comment lines while the model thinks keep proxies (and clients) from timing out.
        ping=settings.stream_keepalive_seconds,
        sep="\n",
        # On shutdown the stream is not cut: the turn (bounded by the agent's timeout) finishes
        # and its last event reaches the client, as a JSON turn's answer does.
        shutdown_event=anyio.Event(),
        shutdown_grace_period=settings.agent_timeout_seconds,
    )


async def _sse(events: AsyncIterator[ServerEvent]) -> AsyncIterator[ServerSentEvent]:
    async for event in events:
        yield ServerSentEvent(json.dumps(event.data), event=event.event)
