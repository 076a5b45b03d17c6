"""Repeating tasks: phrases and RRULEs, DST, month ends, completing, skipping, stopping, ending.

The rules run through TaskService on real PostgreSQL with an injected clock, so "now" is fixed
where it matters (from-completion rules, a first occurrence, an UNTIL date).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import signup
from todochat.db.uow import unit_of_work
from todochat.errors import Conflict, InvalidInput
from todochat.todos.models import TaskCompletion
from todochat.todos.recurrence import parse_recurrence
from todochat.todos.schemas import TaskCreate, TaskUpdate
from todochat.todos.service import TaskService

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

Tasks = Callable[..., "AsyncIterator[TaskService]"]


@pytest.fixture
async def user_id(client: httpx.AsyncClient) -> uuid.UUID:
    return uuid.UUID((await signup(client)).id)


@pytest.fixture
def tasks(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID
) -> Callable[..., object]:
    """`async with tasks(zone, now) as service`: the user's TaskService in one unit of work."""

    @asynccontextmanager
    async def open_service(
        zone: ZoneInfo = BERLIN, now: datetime = NOW
    ) -> AsyncIterator[TaskService]:
        async with unit_of_work(sessionmaker) as session:
            yield TaskService(session, user_id, zone.key, clock=lambda: now)

    return open_service


async def _completions(
    sessionmaker: async_sessionmaker[AsyncSession], task_id: int
) -> list[tuple[datetime | None, datetime]]:
    async with unit_of_work(sessionmaker) as session:
        rows = await session.execute(
            select(TaskCompletion.due_at, TaskCompletion.completed_at)
            .where(TaskCompletion.task_id == task_id)
            .order_by(TaskCompletion.id)
        )
        return [(due, done) for due, done in rows.all()]


@pytest.mark.parametrize(
    ("phrase", "rule", "text"),
    [
        ("every day", "FREQ=DAILY", "every day"),
        ("every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("every monday", "FREQ=WEEKLY;BYDAY=MO", "every Monday"),
        ("every other week", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("every month on the 1st", "FREQ=MONTHLY;BYMONTHDAY=1", "every month on the 1st"),
        ("last friday of the month", "FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"),
        ("every year", "FREQ=YEARLY", "every year"),
        ("daily at 9am", "FREQ=DAILY;BYHOUR=9;BYMINUTE=0", "every day at 9:00"),
        ("every monday and thursday", "FREQ=WEEKLY;BYDAY=MO,TH", "every Monday and Thursday"),
        ("every monday 9am", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0", "every Monday at 9:00"),
        (
            "Every Monday at 9:30pm",
            "FREQ=WEEKLY;BYDAY=MO;BYHOUR=21;BYMINUTE=30",
            "every Monday at 21:30",
        ),
        ("every day at noon", "FREQ=DAILY;BYHOUR=12;BYMINUTE=0", "every day at 12:00"),
        # End of 31 Jan in Berlin (UTC+1), in UTC as RFC 5545 wants with a zoned DTSTART.
        (
            "every day until 31 Jan",
            "FREQ=DAILY;UNTIL=20260131T225959Z",
            "every day, until Jan 31, 2026",
        ),
        ("every week for 10 times", "FREQ=WEEKLY;COUNT=10", "every week, 10 times"),
        ("every month on the 31st", "FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"),
        (
            "every month on the 30th",
            "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1",
            "every month on the 30th (or the last day)",
        ),
        ("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO", "every Monday"),
        (
            "RRULE:freq=monthly;interval=1;byday=2tu",
            "FREQ=MONTHLY;BYDAY=2TU",
            "every month on the 2nd Tuesday",
        ),
        (
            "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=5",
            "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=5",
            "every year on January 5",
        ),
    ],
)
def test_phrases_and_rrules_become_one_canonical_rule(phrase: str, rule: str, text: str) -> None:
    recurrence = parse_recurrence(phrase, BERLIN, NOW)
    assert (recurrence.rule, recurrence.text, recurrence.from_completion) == (rule, text, False)


@pytest.mark.parametrize(
    "phrase", ["every! 3 days", "every 3 days from completion", "every 3 days after completion"]
)
def test_from_completion_phrases(phrase: str) -> None:
    recurrence = parse_recurrence(phrase, BERLIN, NOW)
    assert (recurrence.rule, recurrence.text, recurrence.from_completion) == (
        "FREQ=DAILY;INTERVAL=3",
        "every 3 days after completion",
        True,
    )


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("", "the repeat rule is empty"),
        ("whenever I feel like it", "I can't read 'whenever i feel like it' as a repeat rule"),
        ("BYDAY=MO", "the rule has no FREQ"),
        ("FREQ=FORTNIGHTLY", "FREQ must be one of"),
        ("FREQ=MINUTELY", "at most every hour"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid 'BYDAY': XX"),
        ("FREQ=WEEKLY;COLOR=red", "unknown RRULE part 'COLOR'"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be a whole number of at least 1"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20300101", "give COUNT or UNTIL, not both"),
        ("FREQ=DAILY;UNTIL=20250101", "the rule never happens from now on"),
        ("FREQ=DAILY;UNTIL=tomorrow", "UNTIL 'TOMORROW' is not a date"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no month in BYMONTH has the days in BYMONTHDAY"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=MO", "FREQ=DAILY with INTERVAL cannot also have BYDAY"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "BYSETPOS here takes positions 1 to 4"),
        ("FREQ=DAILY;BYHOUR=25", "BYHOUR takes values from 0 to 23"),
        ("DTSTART:20260101T090000;FREQ=DAILY", "DTSTART is not supported"),
    ],
)
def test_invalid_rules_say_what_is_wrong(given: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_recurrence(given, BERLIN, NOW)
    assert caught.value.message.startswith("recurrence: ")
    assert problem in caught.value.message


@pytest.mark.parametrize(
    ("zone", "due", "expected"),
    [
        # America/New_York springs forward on 8 March 2026 and falls back on 1 November 2026.
        (
            NEW_YORK,
            datetime(2026, 3, 7, 9, 0, tzinfo=NEW_YORK),
            ["2026-03-08T13:00:00+00:00", "2026-03-09T13:00:00+00:00"],
        ),
        (
            NEW_YORK,
            datetime(2026, 10, 31, 9, 0, tzinfo=NEW_YORK),
            ["2026-11-01T14:00:00+00:00", "2026-11-02T14:00:00+00:00"],
        ),
        # Europe/Berlin: 29 March and 25 October 2026.
        (
            BERLIN,
            datetime(2026, 3, 28, 9, 0, tzinfo=BERLIN),
            ["2026-03-29T07:00:00+00:00", "2026-03-30T07:00:00+00:00"],
        ),
        (
            BERLIN,
            datetime(2026, 10, 24, 9, 0, tzinfo=BERLIN),
            ["2026-10-25T08:00:00+00:00", "2026-10-26T08:00:00+00:00"],
        ),
    ],
)
async def test_every_day_at_9_stays_9_local_across_dst(
    tasks: Callable[..., object], zone: ZoneInfo, due: datetime, expected: list[str]
) -> None:
    async with tasks(zone) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(title="Stand-up", due_at=due, recurrence="every day at 9am")
        )
        seen = []
        for _ in expected:
            task = await service.complete_task(task.number)
            assert task.completed is False
            assert task.due_at is not None
            assert task.due_at.astimezone(zone).hour == 9
            seen.append(task.due_at.astimezone(UTC).isoformat())
    assert seen == expected


async def test_every_month_on_the_31st_lands_on_each_month_end(
    tasks: Callable[..., object],
) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Pay rent",
                due_at=datetime(2026, 1, 31, 9, 0, tzinfo=BERLIN),
                recurrence="every month on the 31st",
            )
        )
        dues = []
        for _ in range(4):
            task = await service.complete_task(task.number)
            assert task.due_at is not None
            dues.append(task.due_at.astimezone(BERLIN).date().isoformat())
    assert dues == ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]


async def test_raw_bymonthday_31_skips_shorter_months_as_rfc_5545_says(
    tasks: Callable[..., object],
) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Report",
                due_at=datetime(2026, 1, 31, 9, 0, tzinfo=BERLIN),
                recurrence="FREQ=MONTHLY;BYMONTHDAY=31",
            )
        )
        task = await service.complete_task(task.number)
    assert task.due_at == datetime(2026, 3, 31, 9, 0, tzinfo=BERLIN)


async def test_last_friday_of_the_month(tasks: Callable[..., object]) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Team drinks",
                due_at=datetime(2026, 1, 30, 17, 0, tzinfo=BERLIN),
                recurrence="last friday of the month",
            )
        )
        dues = []
        for _ in range(3):
            task = await service.complete_task(task.number)
            assert task.due_at is not None
            dues.append(task.due_at.astimezone(BERLIN).isoformat())
    assert dues == [
        "2026-02-27T17:00:00+01:00",
        "2026-03-27T17:00:00+01:00",
        "2026-04-24T17:00:00+02:00",
    ]


async def test_completing_rolls_forward_and_keeps_the_completion(
    tasks: Callable[..., object], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    due = datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN)  # a Monday
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(title="Water the plants", due_at=due, recurrence="every monday and thursday")
        )
        task = await service.complete_task(task.number)
    assert task.completed is False and task.completed_at is None
    assert task.due_at == datetime(2026, 1, 8, 9, 0, tzinfo=BERLIN)
    assert await _completions(sessionmaker, task.id) == [(due, NOW)]


async def test_toggle_and_update_complete_a_repeating_task_the_same_way(
    tasks: Callable[..., object], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Review", due_at=datetime(2026, 1, 5, 9, tzinfo=BERLIN), recurrence="weekly"
            )
        )
        task = await service.toggle_task(task.number)
        assert task.due_at == datetime(2026, 1, 12, 9, tzinfo=BERLIN)
        task = await service.update_task(
            task.number, TaskUpdate(completed=True, title="Weekly review")
        )
    assert (task.title, task.completed) == ("Weekly review", False)
    assert task.due_at == datetime(2026, 1, 19, 9, tzinfo=BERLIN)
    assert len(await _completions(sessionmaker, task.id)) == 2


async def test_from_completion_counts_from_today_keeping_the_time(
    tasks: Callable[..., object], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    completed_on = datetime(2026, 6, 10, 15, 0, tzinfo=BERLIN)
    async with tasks(BERLIN, completed_on) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Clean the filter",
                due_at=datetime(2026, 6, 1, 9, 0, tzinfo=BERLIN),
                recurrence="every! 3 days",
            )
        )
        task = await service.complete_task(task.number)
    assert task.due_at == datetime(2026, 6, 13, 9, 0, tzinfo=BERLIN)
    assert task.recurrence == {
        "rule": "FREQ=DAILY;INTERVAL=3",
        "text": "every 3 days after completion",
        "from_completion": True,
    }
    assert await _completions(sessionmaker, task.id) == [
        (datetime(2026, 6, 1, 9, 0, tzinfo=BERLIN), completed_on)
    ]


async def test_skip_moves_on_without_a_completion(
    tasks: Callable[..., object], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Gym",
                due_at=datetime(2026, 1, 5, 7, tzinfo=BERLIN),
                recurrence="every monday",
            )
        )
        task = await service.skip_occurrence(task.number)
        plain = await service.create_task(TaskCreate(title="Once"))
        with pytest.raises(Conflict, match="does not repeat"):
            await service.skip_occurrence(plain.number)
    assert (task.completed, task.due_at) == (False, datetime(2026, 1, 12, 7, tzinfo=BERLIN))
    assert await _completions(sessionmaker, task.id) == []


async def test_stop_repeating_then_completing_is_done_for_good(
    tasks: Callable[..., object],
) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Gym", due_at=datetime(2026, 1, 5, 7, tzinfo=BERLIN), recurrence="daily"
            )
        )
        task = await service.update_task(task.number, TaskUpdate(recurrence=None))
        assert task.recurrence is None
        assert task.due_at == datetime(2026, 1, 5, 7, tzinfo=BERLIN)
        task = await service.complete_task(task.number)
    assert task.completed is True


async def test_change_the_rule(tasks: Callable[..., object]) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Call mum",
                due_at=datetime(2026, 1, 5, 18, tzinfo=BERLIN),
                recurrence="weekly",
            )
        )
        task = await service.update_task(task.number, TaskUpdate(recurrence="every 2 weeks"))
        assert task.recurrence is not None and task.recurrence["text"] == "every 2 weeks"
        task = await service.complete_task(task.number)
    assert task.due_at == datetime(2026, 1, 19, 18, tzinfo=BERLIN)


async def test_count_runs_out_then_the_task_is_done(
    tasks: Callable[..., object], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Physio",
                due_at=datetime(2026, 1, 6, 8, tzinfo=BERLIN),
                recurrence="every day for 3 times",
            )
        )
        texts = [task.recurrence_text]
        task = await service.complete_task(task.number)
        texts.append(task.recurrence_text)
        task = await service.complete_task(task.number)
        texts.append(task.recurrence_text)
        assert (task.completed, task.due_at) == (False, datetime(2026, 1, 8, 8, tzinfo=BERLIN))
        with pytest.raises(Conflict, match="last occurrence"):
            await service.skip_occurrence(task.number)
        task = await service.complete_task(task.number)
    assert texts == ["every day, 3 times", "every day, 2 times", "every day, once more"]
    assert task.completed is True and task.due_at == datetime(2026, 1, 8, 8, tzinfo=BERLIN)
    assert len(await _completions(sessionmaker, task.id)) == 2


async def test_until_ends_the_rule(tasks: Callable[..., object]) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(
            TaskCreate(
                title="Advent candle",
                due_at=datetime(2026, 1, 9, 18, tzinfo=BERLIN),
                recurrence="every day until 10 Jan",
            )
        )
        task = await service.complete_task(task.number)
        assert (task.completed, task.due_at) == (False, datetime(2026, 1, 10, 18, tzinfo=BERLIN))
        task = await service.complete_task(task.number)
    assert task.completed is True


async def test_a_repeating_task_without_due_date_gets_its_first_occurrence(
    tasks: Callable[..., object],
) -> None:
    # NOW is Monday 5 January 2026, 13:00 in Berlin.
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        monday = await service.create_task(TaskCreate(title="a", recurrence="every monday 9am"))
        thursday = await service.create_task(TaskCreate(title="b", recurrence="every thursday"))
        daily = await service.create_task(TaskCreate(title="c", recurrence="every 2 weeks"))
        later = await service.create_task(TaskCreate(title="d"))
        later = await service.update_task(later.number, TaskUpdate(recurrence="every day at 18:00"))
    assert monday.due_at == datetime(2026, 1, 12, 9, tzinfo=BERLIN)
    assert thursday.due_at == datetime(2026, 1, 8, 9, tzinfo=BERLIN)
    assert daily.due_at == datetime(2026, 1, 6, 9, tzinfo=BERLIN)
    assert later.due_at == datetime(2026, 1, 5, 18, tzinfo=BERLIN)


async def test_invalid_rule_changes_nothing(tasks: Callable[..., object]) -> None:
    async with tasks(BERLIN) as service:  # type: ignore[attr-defined]
        task = await service.create_task(TaskCreate(title="Keep", recurrence="every monday"))
        with pytest.raises(InvalidInput, match="recurrence: "):
            await service.update_task(
                task.number, TaskUpdate(title="Changed", recurrence="sometimes")
            )
        again = await service.get_task(task.number)
    assert (again.title, again.recurrence_rule) == ("Keep", "FREQ=WEEKLY;BYDAY=MO")
