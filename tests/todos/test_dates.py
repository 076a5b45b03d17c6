"""The one date reader: spoken phrases, default times, and the weekend/end-of-week edges."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from todochat.errors import InvalidInput
from todochat.todos.dates import parse_due

UTC = ZoneInfo("UTC")
FRIDAY = datetime(2026, 11, 27, 14, 33, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 14, 33, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 29, 14, 33, tzinfo=UTC)


def _read(phrase: str, now: datetime = FRIDAY) -> str:
    return parse_due(phrase, "UTC", now).strftime("%a %m-%d %H:%M")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        # A date without a time gets the same hour as "tomorrow", however it is said.
        ("tomorrow", "Sat 11-28 09:00"),
        ("in 2 weeks", "Fri 12-11 09:00"),
        ("in 3 days", "Mon 11-30 09:00"),
        ("a week from now", "Fri 12-04 09:00"),
        ("in a couple of days", "Sun 11-29 09:00"),
        ("next friday", "Fri 12-04 09:00"),
        ("the 1st", "Tue 12-01 09:00"),
        # A time said is kept; hours and minutes count from now.
        ("in 2 hours", "Fri 11-27 16:33"),
        ("in 2 weeks at 10am", "Fri 12-11 10:00"),
        ("tomorrow at 5", "Sat 11-28 17:00"),
        ("tmrw 2-3pm", "Sat 11-28 14:00"),
        ("tonight at 9pm", "Fri 11-27 21:00"),
        # Spoken parts of the day and conventions.
        ("this afternoon", "Fri 11-27 15:00"),
        ("tomorrow night", "Sat 11-28 20:00"),
        ("first thing tomorrow", "Sat 11-28 09:00"),
        ("eod", "Fri 11-27 17:00"),
        ("later today", "Fri 11-27 18:00"),
        ("end of week", "Fri 11-27 17:00"),  # on a Friday: today, not a week later
        ("this weekend", "Sat 11-28 09:00"),
        ("next weekend", "Sat 12-05 09:00"),
    ],
)
def test_phrases_on_a_friday(phrase: str, expected: str) -> None:
    assert _read(phrase) == expected


def test_this_weekend_on_the_weekend_is_today() -> None:
    assert _read("this weekend", SATURDAY) == "Sat 11-28 09:00"
    assert _read("this weekend", SUNDAY) == "Sun 11-29 09:00"
    assert _read("next weekend", SUNDAY) == "Sat 12-05 09:00"


def test_end_of_week_after_friday_is_next_friday() -> None:
    assert _read("end of the week", SATURDAY) == "Fri 12-04 17:00"


def test_iso_is_taken_as_written() -> None:
    assert parse_due("2026-12-24T17:00", "UTC").isoformat() == "2026-12-24T17:00:00+00:00"


@pytest.mark.parametrize("phrase", ["", "   ", "whenever I feel like it"])
def test_unreadable_phrases_are_refused(phrase: str) -> None:
    with pytest.raises(InvalidInput):
        parse_due(phrase, "UTC", FRIDAY)


def test_days_of_the_month_that_a_month_lacks() -> None:
    # "the 31st" in November is December's; "in 1 month" from Jan 31 is the end of February.
    assert _read("the 31st") == "Thu 12-31 09:00"
    assert _read("the 30th", datetime(2027, 1, 31, 12, tzinfo=UTC)) == "Tue 03-30 09:00"
    assert _read("in 1 month", datetime(2027, 1, 31, 12, tzinfo=UTC)) == "Sun 02-28 09:00"
    assert _read("in 1 month", datetime(2028, 1, 31, 12, tzinfo=UTC)) == "Tue 02-29 09:00"
    assert _read("in 1 month", datetime(2100, 1, 31, 12, tzinfo=UTC)) == "Sun 02-28 09:00"


@pytest.mark.parametrize("phrase", ["the 45th", "the 32nd", "the 0th"])
def test_a_day_no_month_has_is_refused_not_read_as_a_year(phrase: str) -> None:
    with pytest.raises(InvalidInput, match="No month has a day"):
        parse_due(phrase, "UTC", FRIDAY)
