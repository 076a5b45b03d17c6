"""Reading due dates people write: ISO 8601 or natural phrases, in the user's time zone."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

from todochat.errors import InvalidInput

# Phrases dateparser does not know, rewritten to ones it does (or handled here).
_EVENING = time(20, 0)
_END_OF_DAY = time(17, 0)
DEFAULT_TIME = time(9, 0)  # when a phrase names a day but no time
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_TIME_ONLY = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b")


def parse_due(text: str, time_zone: str, now: datetime | None = None) -> datetime:
    """The moment `text` names ("tomorrow 5pm", "next friday", "in 3 days", ISO), timezone-aware."""
    zone = ZoneInfo(time_zone)
    now = (now or datetime.now(zone)).astimezone(zone)
    phrase = " ".join(text.strip().lower().split())
    phrase = re.sub(r"^(by|on|at|due|before)\s+", "", phrase)
    if not phrase:
        raise InvalidInput("The due date is empty.")

    iso = _parse_iso(text.strip(), zone)
    if iso is not None:
        return iso
    special = _parse_special(phrase, now)
    if special is not None:
        return special

    parsed = dateparser.parse(
        phrase,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "TIMEZONE": time_zone,
            "TO_TIMEZONE": time_zone,
            "RETURN_AS_TIMEZONE_AWARE": True,
        },
    )
    if parsed is None:
        raise InvalidInput(
            f"I can't read {text!r} as a date. Try 'tomorrow 5pm', 'next friday', 'in 3 days' "
            "or an ISO date like 2026-12-24T17:00."
        )
    if not _mentions_time(phrase) and not phrase.startswith("in "):
        parsed = parsed.replace(hour=DEFAULT_TIME.hour, minute=0, second=0, microsecond=0)
    return parsed.astimezone(zone)


def _parse_iso(text: str, zone: ZoneInfo) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def _parse_special(phrase: str, now: datetime) -> datetime | None:
    """Phrases with a conventional meaning: tonight, end of day/week/month, this weekend, next <weekday>."""
    today = now.date()
    at = time_in(phrase)
    if phrase in {"tonight", "this evening"}:
        return datetime.combine(today, _EVENING, now.tzinfo)
    if phrase in {"end of day", "eod", "end of today", "end of the day"}:
        return datetime.combine(today, _END_OF_DAY, now.tzinfo)
    if re.fullmatch(r"(the )?end of (the |this )?week|eow", phrase):
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        return datetime.combine(friday, _END_OF_DAY, now.tzinfo)
    if re.fullmatch(r"(the )?end of (the |this )?month|eom", phrase):
        first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return datetime.combine(first_next - timedelta(days=1), _END_OF_DAY, now.tzinfo)
    if phrase in {"this weekend", "weekend", "the weekend"}:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        return datetime.combine(saturday, DEFAULT_TIME, now.tzinfo)
    if phrase in {"next week"}:
        monday = today + timedelta(days=7 - today.weekday())
        return datetime.combine(monday, DEFAULT_TIME, now.tzinfo)
    match = re.fullmatch(r"(next|this|on)?\s*(" + "|".join(_WEEKDAYS) + r")\b(.*)", phrase)
    if match:
        which, day, rest = match.groups()
        if rest.strip() and at is None:
            return None
        ahead = (_WEEKDAYS.index(day) - today.weekday()) % 7
        if ahead == 0 and which != "this":
            ahead = 7
        hour = at or DEFAULT_TIME
        return datetime.combine(today + timedelta(days=ahead), hour, now.tzinfo)
    return None


def time_in(phrase: str) -> time | None:
    """The time of day a phrase names ("5pm", "17:30", "noon"), or None."""
    match = re.search(
        r"\b(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b|\b(\d{1,2}):(\d{2})\b", phrase
    )
    if not match:
        if "noon" in phrase:
            return time(12, 0)
        if "midnight" in phrase:
            return time(23, 59)
        return None
    if match.group(3):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
    else:
        hour, minute = int(match.group(4)), int(match.group(5))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _mentions_time(phrase: str) -> bool:
    return time_in(phrase) is not None or any(
        word in phrase
        for word in ("hour", "minute", "morning", "afternoon", "evening", "night", "now")
    )


# Units of a reminder offset ("30m", "2 hours", "a day"), longest spelling first per unit.
_OFFSET_UNITS = {
    "weeks": "w",
    "week": "w",
    "w": "w",
    "days": "d",
    "day": "d",
    "d": "d",
    "hours": "h",
    "hour": "h",
    "hrs": "h",
    "hr": "h",
    "h": "h",
    "minutes": "m",
    "minute": "m",
    "mins": "m",
    "min": "m",
    "m": "m",
}
_UNIT_DELTA = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_OFFSET_PART = re.compile(
    r"(\d+|an?|one)\s*(" + "|".join(sorted(_OFFSET_UNITS, key=len, reverse=True)) + r")(?![a-z])"
)
_ISO_DURATION = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?"
)
MAX_OFFSET = timedelta(days=365)


def parse_offset(text: str) -> timedelta:
    """How long before the due time: "30m", "2 hours", "a day", "1h30m" or ISO 8601 ("PT30M")."""
    phrase = " ".join(text.strip().lower().split()).removesuffix(" before").strip()
    iso = _ISO_DURATION.fullmatch(phrase.upper())
    if iso and phrase.upper() not in {"P", "PT"} and not phrase.upper().endswith("T"):
        parts = {key: int(value) for key, value in iso.groupdict().items() if value}
        offset: timedelta | None = timedelta(
            weeks=parts.get("w", 0),
            days=parts.get("d", 0),
            hours=parts.get("h", 0),
            minutes=parts.get("m", 0),
            seconds=parts.get("s", 0),
        )
    else:
        offset = _spoken_offset(phrase)
    if offset is None:
        raise ValueError(
            f"can't read {text!r} as a time before the due date; try '30m', '2 hours', "
            "'1 day' or an ISO 8601 duration like 'PT30M'"
        )
    if not timedelta(0) < offset <= MAX_OFFSET:
        raise ValueError("must be more than zero and at most 365 days")
    return offset


def _spoken_offset(phrase: str) -> timedelta | None:
    """Sums of number and unit: "1h30m", "2 hours 15 minutes", "a day and 2 hours"."""
    rest = re.sub(r"\band\b|,", " ", phrase)
    total = timedelta(0)
    position = 0
    for match in _OFFSET_PART.finditer(rest):
        if rest[position : match.start()].strip():
            return None
        count = 1 if match.group(1) in {"a", "an", "one"} else int(match.group(1))
        total += count * _UNIT_DELTA[_OFFSET_UNITS[match.group(2)]]
        position = match.end()
    if position == 0 or rest[position:].strip():
        return None
    return total


def format_offset(offset: timedelta) -> str:
    """An offset as an ISO 8601 duration ("PT30M", "P1D", "P1DT2H")."""
    seconds = int(offset.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    clock = "".join(
        f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if value
    )
    if not days and not clock:
        return "PT0S"
    return "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
