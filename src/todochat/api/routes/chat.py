"""Chat: one turn as JSON, or streamed as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

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
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`delta` and `tool_call` events, then one `done` or `error`.",
        }
    },
)
async def chat_stream(
    body: ChatRequest, user_id: OwnerId, request: Request, idempotency_key: IdempotencyKey = None
) -> StreamingResponse:
    """The same turn, streamed: `delta` text, `tool_call` steps, then one `done` or `error`."""
    events = _turns(request).stream(user_id, body, idempotency_key)
    # Errors before the turn starts (404, 409, 422, 429) are plain JSON responses, not a stream.
    first = await anext(events)
    return StreamingResponse(
        _sse(first, events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _sse(first: ServerEvent, rest: AsyncIterator[ServerEvent]) -> AsyncIterator[bytes]:
    yield _frame(first)
    async for event in rest:
        yield _frame(event)


def _frame(event: ServerEvent) -> bytes:
    return f"event: {event.event}\ndata: {json.dumps(event.data)}\n\n".encode()
