"""The in-app reminder channel: an authenticated event stream, and marking reminders seen."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import StreamingResponse

from todochat.api.deps import AppSettings, CurrentUser, Events, Session
from todochat.api.errors import error_responses
from todochat.notify.events import reminder_stream
from todochat.todos.reminders import mark_seen
from todochat.todos.schemas import RemindersSeen

router = APIRouter(
    prefix="/api/{user_id}", tags=["reminders"], responses=error_responses(401, 403, 422)
)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`reminder` events (`id:` is the delivery id): unseen ones first "
            '(`"missed": true`), then each as it fires; a comment line keeps the stream alive.',
        }
    },
)
async def stream_events(
    user: CurrentUser, events: Events, settings: AppSettings
) -> StreamingResponse:
    """The user's reminders as Server-Sent Events, from whichever instance fires them."""
    return StreamingResponse(
        reminder_stream(events, user.id, settings.events_keepalive_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/reminders/seen", status_code=status.HTTP_204_NO_CONTENT)
async def mark_reminders_seen(body: RemindersSeen, user: CurrentUser, session: Session) -> Response:
    """Mark reminders as seen, so they are no longer shown as missed."""
    await mark_seen(session, user.id, body.ids)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
