"""The private iCalendar feed: a revocable secret URL per user, and the feed it serves.

Calendars differ in what they show: Google Calendar, Apple Calendar and Outlook ignore VTODO in
a subscribed feed, Thunderbird and Evolution show it. The feed therefore carries every pending
task with a due time as a VEVENT (what every calendar displays) and, on request
(`?components=vtodo` or `vevent,vtodo`), as a VTODO with its status for task-aware clients.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Todo, vRecur
from icalendar.enums import STATUS
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.errors import NotFound
from todochat.notify.repository import CalendarFeedRepository
from todochat.todos.models import Task

Component = Literal["vevent", "vtodo"]
# How long a due task shows as an event: long enough to be seen in a week view.
EVENT_LENGTH = timedelta(minutes=30)
# Calendars poll a subscribed feed; this asks them to do it every 15 minutes (most poll less).
REFRESH = timedelta(minutes=15)
_PRIORITY = {"high": 1, "medium": 5, "low": 9}


class FeedNotFound(NotFound):
    """No feed at this address (never existed, revoked, or a wrong token)."""

    def __init__(self) -> None:
        super().__init__("No calendar feed at this address; it may have been revoked.")


def feed_token(secret_key: str, user_id: uuid.UUID, nonce: bytes) -> str:
    """The URL token of a feed: an HMAC of its nonce, so the token itself is never stored."""
    digest = hmac.new(
        secret_key.encode(), b"calendar-feed\x00" + user_id.bytes + nonce, hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class CalendarService:
    """One user's calendar feed."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID, secret_key: str) -> None:
        self.repo = CalendarFeedRepository(session, user_id)
        self.user_id = user_id
        self.secret_key = secret_key

    async def get_feed_token(self) -> str:
        """The feed's token, creating the feed on first use."""
        nonce = await self.repo.get_or_create(secrets.token_bytes(16))
        return feed_token(self.secret_key, self.user_id, nonce)

    async def revoke_feed(self) -> None:
        """Revoke the feed: its URL stops working; the next request makes a new one."""
        if not await self.repo.delete_feed():
            raise FeedNotFound()

    async def render_feed(self, token: str, time_zone: str, components: set[Component]) -> bytes:
        """The feed as text/calendar, if token is this user's current one; FeedNotFound if not."""
        nonce = await self.repo.get_nonce()
        expected = feed_token(self.secret_key, self.user_id, nonce) if nonce else ""
        if not nonce or not hmac.compare_digest(expected.encode(), token.encode()):
            raise FeedNotFound()
        tasks = await self.repo.feed_tasks()
        return render_calendar(tasks, self.user_id, ZoneInfo(time_zone), components)


def render_calendar(
    tasks: Iterable[Task], user_id: uuid.UUID, zone: ZoneInfo, components: set[Component]
) -> bytes:
    """An RFC 5545 calendar of the tasks, times in the user's zone (with its VTIMEZONE)."""
    calendar = Calendar.new(
        prodid="-//todochat//tasks//EN",
        name="todochat",
        description="Your tasks with a due time",
        refresh_interval=REFRESH,
    )
    calendar.add("x-published-ttl", REFRESH)
    for task in tasks:
        assert task.due_at is not None
        due = task.due_at.astimezone(zone)
        uid = f"task-{task.number}-{user_id}@todochat"
        if "vevent" in components and not task.completed:
            event = Event.new(
                uid=uid,
                summary=task.title,
                description=task.description or None,
                start=due,
                end=due + EVENT_LENGTH,
                stamp=task.updated_at,
                created=task.created_at,
                last_modified=task.updated_at,
                categories=task.tags,
                priority=_PRIORITY[task.priority],
            )
            _add_recurrence(event, task)
            calendar.add_component(event)
        if "vtodo" in components:
            todo = Todo.new(
                uid=uid,
                summary=task.title,
                description=task.description or None,
                stamp=task.updated_at,
                created=task.created_at,
                last_modified=task.updated_at,
                categories=task.tags,
                priority=_PRIORITY[task.priority],
                status=STATUS.COMPLETED if task.completed else STATUS.NEEDS_ACTION,
            )
            todo.add("due", due)
            if task.completed_at is not None:
                todo.add("completed", task.completed_at)
            _add_recurrence(todo, task)
            calendar.add_component(todo)
    calendar.add_missing_timezones()
    body: bytes = calendar.to_ical()
    return body


def _add_recurrence(component: Event | Todo, task: Task) -> None:
    """The task's RRULE, from its current due time (DTSTART) in the user's zone.

    A rule counted from completion ("every! 3 days") has no fixed future occurrences: the feed
    shows only the next one.
    """
    if task.recurrence_rule and not task.recurrence_from_completion and not task.completed:
        rule = task.recurrence_rule.removeprefix("RRULE:")
        component.add("rrule", vRecur.from_ical(rule))


def parse_components(value: str) -> set[Component]:
    """`vevent`, `vtodo` or both, comma-separated; ValueError naming what is unknown."""
    chosen: set[Component] = set()
    for part in value.lower().split(","):
        name = part.strip()
        if name == "vevent":
            chosen.add("vevent")
        elif name == "vtodo":
            chosen.add("vtodo")
        else:
            raise ValueError(f"components: {part!r} is not vevent or vtodo")
    return chosen
