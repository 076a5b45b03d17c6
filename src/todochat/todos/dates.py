"""Reading due dates people write: ISO 8601 or natural phrases, in the user's time zone.

This is the one date reader: the offline model passes due phrases through as the user wrote
them ("eod", "this weekend", "in 2 weeks", "the 1st"), and every spoken form is read here.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

from todochat.errors import InvalidInput

_EVENING = time(20, 0)
_END_OF_DAY = time(17, 0)
_LATER_TODAY = time(18, 0)
# A date said without a time ("tomorrow", "in 2 weeks", "next friday") is due at this hour.
DEFAULT_TIME = time(9, 0)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_NUMBERS |= {"seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a couple": 2}
_NUMBERS |= {"a few": 3, "couple of": 2, "few": 3}

# Spoken forms dateparser does not know, said the way it reads them (whole words only).
_SPOKEN = [
    (r"tmrw|tmr|tmw|tomorow|tommorow|tommorrow|tomorrw|2moro|2morrow", "tomorrow"),
    (r"a\.m\.", "am"),
    (r"p\.m\.", "pm"),
]
# A part of the day is a time, unless a time is also said ("tonight at 9pm").
_PARTS_OF_DAY = [
    (r"this morning", "today 9am", "today"),
    (r"this afternoon", "today 3pm", "today"),
    (r"this evening|tonight", "today 8pm", "today"),
    (r"first thing(?: in the morning)?", "9am", ""),
    (r"(?:in the )?morning", "9am", ""),
    (r"(?:in the )?afternoon", "3pm", ""),
    (r"(?:in the )?evening|(?:at )?night", "8pm", ""),
    (r"(?:at )?lunch(?:time)?", "12pm", ""),
]
_SPOKEN_RES = [(re.compile(rf"\b(?:{spoken})(?!\w)"), plain) for spoken, plain in _SPOKEN]
_PART_RES = [
    (re.compile(rf"\b(?:{part})(?!\w)"), alone, timed) for part, alone, timed in _PARTS_OF_DAY
]
# "2-3pm" is due when it starts.
_RANGE_RE = re.compile(r"(\d{1,2}(?::\d{2})?)\s*(?:-|\u2013|to)\s*\d{1,2}(?::\d{2})?\s*(am|pm)")
# "at 5" is 5pm and "at 9" is 9am: the waking hour each number most often means.
_BARE_HOUR_RE = re.compile(
    r"\b(?:at|@|around|by)\s+(?P<h>\d{1,2})(?P<m>:\d{2})?(?!\s*(?:am|pm|a\.m|p\.m)|[\d:])"
)
_AMOUNT = r"(?P<n>\d+|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True)) + r")"
_RELATIVE_RE = re.compile(
    r"(?:in\s+" + _AMOUNT + r"\s+(?P<unit>days?|weeks?|wks?|months?|years?)"
    r"|" + _AMOUNT.replace("?P<n>", "?P<n2>") + r"\s+(?P<unit2>days?|weeks?|wks?|months?|years?)"
    r"\s+(?:from\s+(?:now|today)|later))(?P<rest>.*)"
)
_DAY_OF_MONTH_RE = re.compile(
    r"(?:the\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)(?:\s+of\s+(?P<which>this|the|next)\s+month)?(?P<rest>.*)"
)

# Due dates a todo list can mean. Outside them, arithmetic and time-zone conversion near the
# calendar's ends (years 1 and 9999) overflow; inside, a date moves by centuries safely.
EARLIEST_DUE_YEAR = 1900
LATEST_DUE_YEAR = 2200
OUT_OF_RANGE = f"Due dates must fall between the years {EARLIEST_DUE_YEAR} and {LATEST_DUE_YEAR}."


def check_due_range(moment: datetime) -> datetime:
    """The moment, if its year (as written, in its own offset) is a sane due year."""
    if not EARLIEST_DUE_YEAR <= moment.year <= LATEST_DUE_YEAR:
        raise ValueError(OUT_OF_RANGE)
    return moment


def parse_due(text: str, time_zone: str, now: datetime | None = None) -> datetime:
    """The moment `text` names ("tomorrow 5pm", "next friday", "in 3 days", ISO), timezone-aware;
    InvalidInput naming `due` if it cannot be read or is outside the sane range."""
    try:
        moment = _parse_due(text, time_zone, now)
    except OverflowError as error:  # "in 10000 years": past the end of the calendar
        raise InvalidInput(f"due: {OUT_OF_RANGE}") from error
    try:
        return check_due_range(moment)
    except ValueError as error:
        raise InvalidInput(f"due: {error}") from error


def _parse_due(text: str, time_zone: str, now: datetime | None) -> datetime:
    zone = ZoneInfo(time_zone)
    now = (now or datetime.now(zone)).astimezone(zone)
    iso = _parse_iso(text.strip(), zone)
    if iso is not None:
        return iso
    phrase = plain_phrase(text)
    if not phrase:
        raise InvalidInput("The due date is empty.")
    parsed = _parse_special(phrase, now) or _parse_natural(phrase, now, time_zone)
    if parsed is None:
        raise InvalidInput(
            f"I can't read {text!r} as a date. Try 'tomorrow 5pm', 'next friday', 'in 3 days' "
            "or an ISO date like 2026-12-24T17:00."
        )
    return parsed.astimezone(zone)


def plain_phrase(text: str) -> str:
    """The phrase lowercased, without lead words ("by", "due"), with spoken forms said plainly."""
    phrase = " ".join(text.strip().lower().split())
    phrase = _BARE_HOUR_RE.sub(_with_half_of_day, phrase)
    phrase = re.sub(r"^(?:(?:due|by|on|at|before|until|till|for|no later than)\s+)+", "", phrase)
    phrase = _RANGE_RE.sub(r"\1\2", phrase)
    for pattern, plain in _SPOKEN_RES:
        phrase = pattern.sub(plain, phrase)
    timed = time_in(phrase) is not None
    for part, alone, with_time in _PART_RES:
        phrase = part.sub(with_time if timed else alone, phrase)
    return re.sub(r"\s*,\s*|\s+(?:at|@|around)\s+", " ", phrase).strip()


def _with_half_of_day(match: re.Match[str]) -> str:
    hour = int(match.group("h"))
    if hour > 12 or hour == 0:
        return f"at {hour}{match.group('m') or ':00'}"
    return f"at {hour}{match.group('m') or ''}{'am' if 7 <= hour <= 11 else 'pm'}"


def _parse_natural(phrase: str, now: datetime, time_zone: str) -> datetime | None:
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
        return None
    if not _mentions_time(phrase):
        parsed = parsed.replace(hour=DEFAULT_TIME.hour, minute=0, second=0, microsecond=0)
    return parsed


def _parse_iso(text: str, zone: ZoneInfo) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def _on(day: date, at: time | None, default: time, now: datetime) -> datetime:
    return datetime.combine(day, at or default, now.tzinfo)


def _parse_special(phrase: str, now: datetime) -> datetime | None:
    """Phrases with a conventional meaning: end of day/week/month, weekends, weekdays, "in 2 weeks"."""
    today = now.date()
    at = time_in(phrase)
    core = re.sub(
        r"\s*\b(?:\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2}|noon|midnight)$", "", phrase
    )
    if core in {"eod", "end of day", "end of today", "end of the day", "today eod"}:
        return _on(today, at, _END_OF_DAY, now)
    if core == "later today":
        return _on(today, at, _LATER_TODAY, now)
    if re.fullmatch(r"(?:the )?end of (?:the |this )?week|eow|by the end of the week", core):
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        return _on(friday, at, _END_OF_DAY, now)
    if re.fullmatch(r"(?:the )?end of next week", core):
        friday = today + timedelta(days=(4 - today.weekday()) % 7 + 7)
        return _on(friday, at, _END_OF_DAY, now)
    if re.fullmatch(r"(?:the )?end of (?:the |this )?month|eom", core):
        first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return _on(first_next - timedelta(days=1), at, _END_OF_DAY, now)
    if core in {"this weekend", "weekend", "the weekend", "over the weekend", "next weekend"}:
        # On a Saturday or Sunday, "this weekend" is today; "next weekend" is the one after.
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today if core != "next weekend" else today + timedelta(days=6)
        elif core == "next weekend":
            saturday += timedelta(days=7)
        return _on(saturday, at, DEFAULT_TIME, now)
    if core in {"next week", "the coming week"}:
        return _on(today + timedelta(days=7 - today.weekday()), at, DEFAULT_TIME, now)
    if match := _RELATIVE_RE.fullmatch(phrase):
        return _relative(match, now)
    if match := _DAY_OF_MONTH_RE.fullmatch(phrase):
        return _day_of_month(match, now)
    match = re.fullmatch(r"(next|this|on|coming)?\s*(" + "|".join(_WEEKDAYS) + r")\b(.*)", phrase)
    if match:
        which, day, rest = match.groups()
        if rest.strip() and at is None:
            return None
        ahead = (_WEEKDAYS.index(day) - today.weekday()) % 7
        if ahead == 0 and which != "this":
            ahead = 7
        return _on(today + timedelta(days=ahead), at, DEFAULT_TIME, now)
    return None


def _relative(match: re.Match[str], now: datetime) -> datetime | None:
    """ "in 2 weeks", "3 days from now": that day, at the time said or the default time."""
    amount = match.group("n") or match.group("n2")
    unit = (match.group("unit") or match.group("unit2"))[0]
    count = int(amount) if amount.isdigit() else _NUMBERS[amount]
    rest = match.group("rest").strip()
    at = time_in(rest)
    if rest and at is None:
        return None
    if unit in "dw":
        day = now.date() + timedelta(days=count * (7 if unit == "w" else 1))
    else:
        months = count * (12 if unit == "y" else 1)
        year, month = divmod(now.month - 1 + months, 12)
        last = monthrange(now.year + year, month + 1)[1]
        day = date(now.year + year, month + 1, min(now.day, last))
    return _on(day, at, DEFAULT_TIME, now)


def _day_of_month(match: re.Match[str], now: datetime) -> datetime | None:
    """ "the 1st": the next 1st of a month (this month's if it is still to come)."""
    day, rest = int(match.group("day")), match.group("rest").strip()
    at = time_in(rest)
    if rest and at is None:
        return None
    if not 1 <= day <= 31:
        # Read no further: a date parser would take "the 45th" for the year 2045.
        raise InvalidInput(f"No month has a day {day}.")
    year, month = now.year, now.month
    if match.group("which") == "next" or (match.group("which") is None and day < now.day):
        year, month = _month_after(year, month)
    while day > monthrange(year, month)[1]:  # "the 31st": the next month that has one
        year, month = _month_after(year, month)
    return _on(date(year, month, day), at, DEFAULT_TIME, now)


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def time_in(phrase: str) -> time | None:
    """The time of day a phrase names ("5pm", "17:30", "noon"), or None."""
    match = re.search(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b|\b(\d{1,2}):(\d{2})\b", phrase)
    if not match:
        if re.search(r"\bnoon\b", phrase):
            return time(12, 0)
        if re.search(r"\bmidnight\b", phrase):
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
    return time_in(phrase) is not None or bool(
        re.search(r"\b(?:hours?|hrs?|minutes?|mins?|now)\b", phrase)
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
