"""The iCalendar feed: its secret URL (bearer needed) and the feed itself (the URL is the key)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from todochat.accounts.service import get_user
from todochat.api.deps import AppSettings, Calendars, Session
from todochat.api.errors import error_responses
from todochat.errors import InvalidInput
from todochat.notify.calendar import CalendarService, FeedNotFound, parse_components
from todochat.notify.schemas import CalendarFeedRead

router = APIRouter(
    prefix="/api/{user_id}/calendar",
    tags=["calendar"],
    responses=error_responses(401, 403, 404, 422),
)
feed_router = APIRouter(tags=["calendar"])


@router.get("", response_model=CalendarFeedRead)
async def get_calendar_feed(
    calendars: Calendars, request: Request, settings: AppSettings
) -> CalendarFeedRead:
    """The secret URL of the user's calendar feed (made on first request; the same afterwards)."""
    token = await calendars.get_feed_token()
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    return CalendarFeedRead(url=f"{base}/calendar/{calendars.user_id}/{token}.ics")


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_calendar_feed(calendars: Calendars) -> Response:
    """Revoke the feed URL; asking for the feed again gives a new one."""
    await calendars.revoke_feed()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@feed_router.get(
    "/calendar/{user_id}/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **error_responses(404, 422)},
)
async def read_calendar_feed(
    user_id: str,
    token: str,
    session: Session,
    request: Request,
    components: Annotated[str, Query(max_length=20)] = "vevent",
) -> Response:
    """The user's tasks with a due time as iCalendar (text/calendar); no bearer token."""
    try:
        chosen = parse_components(components)
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    try:
        owner = uuid.UUID(user_id)
    except ValueError as error:
        raise FeedNotFound() from error
    user = await get_user(session, owner)
    if user is None:
        raise FeedNotFound()
    service = CalendarService(session, owner, request.app.state.secret_key)
    body = await service.render_feed(token, user.time_zone, chosen)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"cache-control": "private, max-age=300", "referrer-policy": "no-referrer"},
    )
