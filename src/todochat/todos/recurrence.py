"""Repeating tasks: phrases or RRULEs read into one canonical RFC 5545 rule, described in words,
and stepped to the next occurrence with dateutil's rrule in the user's time zone.

DTSTART is always the task's due time in the user's zone, so occurrences keep their wall-clock
time across DST changes ("every day at 9am" stays 9:00 local). COUNT counts the occurrences left,
the current one included: each completion or skip lowers it by one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from recurrent.event_parser import RecurringEvent

from todochat.errors import InvalidInput
from todochat.todos.dates import DEFAULT_TIME, time_in

# The parts a task's rule may have, in the order the canonical text lists them. BYSECOND and
# finer frequencies make no sense for a todo; DTSTART comes from the due date, not the rule.
# BYWEEKNO and BYYEARDAY are left out with the combinations refused in _check_satisfiable: with
# them a rule can match no day at all, and dateutil then walks every period up to the year 9999
# (seconds of CPU for one request) before saying so.
_PARTS = (
    "FREQ",
    "INTERVAL",
    "BYMONTH",
    "BYMONTHDAY",
    "BYDAY",
    "BYSETPOS",
    "BYHOUR",
    "BYMINUTE",
    "WKST",
    "COUNT",
    "UNTIL",
)
_UNITS = {"YEARLY": "year", "MONTHLY": "month", "WEEKLY": "week", "DAILY": "day", "HOURLY": "hour"}
_DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR"]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_RAW_RULE = re.compile(r"^\s*(?:RRULE:|DTSTART|[A-Za-z]+\s*=)", re.IGNORECASE)
_FROM_COMPLETION = re.compile(
    r"\b(?:counting\s+)?(?:from|after)\s+(?:the\s+)?(?:last\s+)?"
    r"(?:completion|completing(?:\s+it)?|done|finishing(?:\s+it)?|i\s+(?:complete|finish)\s+it)\b"
)
# Times of day are read here, not by `recurrent`: it drops a time that lacks "at" ("every monday
# 9am") and does not know "noon".
_TIME = re.compile(
    r"\b(?:at\s+)?(?:\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2}|noon|midnight)(?=\s|$|,)"
)
_EXAMPLES = (
    "Try 'every monday', 'every weekday at 9am', 'every 2 weeks', 'every month on the 1st', "
    "'every last friday of the month' or an RRULE like FREQ=WEEKLY;BYDAY=MO."
)


@dataclass(frozen=True)
class Recurrence:
    """A validated repeat rule: canonical RRULE, its readable text, and whether it counts from
    completion ("every!") rather than from the due date."""

    rule: str
    text: str
    from_completion: bool = False


def parse_recurrence(
    text: str, zone: ZoneInfo, now: datetime, *, from_completion: bool = False
) -> Recurrence:
    """Read "every monday 9am", "every! 3 days" or "FREQ=WEEKLY;BYDAY=MO" into a Recurrence."""
    phrase = " ".join(text.strip().split())
    if not phrase:
        raise _invalid("the repeat rule is empty.")
    if phrase.lower().startswith("every!"):
        from_completion = True
        phrase = "every " + phrase[len("every!") :].strip()
    marker = _FROM_COMPLETION.search(phrase.lower())
    if marker:
        from_completion = True
        phrase = (phrase[: marker.start()] + phrase[marker.end() :]).strip(" ,")
    if _RAW_RULE.match(phrase):
        parts = _split(phrase)
    else:
        parts = _read_phrase(phrase.lower(), now.astimezone(zone))
    parts = _canonical(parts, zone)
    rule = _join(parts)
    _check_happens(parts, zone, now)
    return Recurrence(rule, describe_rule(rule, zone, from_completion), from_completion)


def describe_rule(rule: str, zone: ZoneInfo, from_completion: bool = False) -> str:
    """The rule in words: "every Monday at 9:00", "every month on the last Friday, 3 times"."""
    parts = _split(rule)
    freq = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1"))
    unit = _UNITS[freq]
    every = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
    words = [every]
    days = parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []
    if days and all(day in _DAYS for day in days):
        named = "weekday" if sorted(days, key=list(_DAYS).index) == _WEEKDAYS else None
        listed = named or _and([_DAYS[day] for day in sorted(days, key=list(_DAYS).index)])
        if interval == 1 and freq in {"WEEKLY", "DAILY"}:
            words = [f"every {listed}"]
        else:
            words.append(f"on {'weekdays' if named else listed}")
    elif days:
        words.append("on " + _and([_nth_day(day) for day in days]))
    if "BYMONTH" in parts:
        months = [_MONTHS[int(month) - 1] for month in parts["BYMONTH"].split(",")]
        if "BYMONTHDAY" in parts and "," not in parts["BYMONTHDAY"] + parts["BYMONTH"]:
            words.append(f"on {months[0]} {int(parts['BYMONTHDAY'])}")
        else:
            words.append("in " + _and(months))
    if "BYMONTHDAY" in parts and not ("BYMONTH" in parts and words[-1].startswith("on ")):
        words.append("on " + _month_days(parts))
    if "BYHOUR" in parts:
        minutes = parts.get("BYMINUTE", "0").split(",")
        times = [
            f"{int(hour)}:{int(minute):02d}"
            for hour in parts["BYHOUR"].split(",")
            for minute in minutes
        ]
        words.append("at " + _and(times))
    described = {"FREQ", "INTERVAL", "BYDAY", "BYMONTH", "BYMONTHDAY", "BYHOUR", "BYMINUTE"}
    if parts.get("BYSETPOS") == "-1" and _last_day_form(parts):
        described.add("BYSETPOS")
    extra = [f"{name}={value}" for name, value in parts.items() if name not in described]
    extra = [item for item in extra if not item.startswith(("COUNT=", "UNTIL=", "WKST="))]
    if extra:
        words.append(f"({';'.join(extra)})")
    text = " ".join(words)
    if from_completion:
        text += " after completion"
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        text += ", once more" if count == 1 else f", {count} times"
    if "UNTIL" in parts:
        until = _until_moment(parts["UNTIL"], zone).astimezone(zone)
        text += f", until {until:%b} {until.day}, {until.year}"
    return text


def first_due(rule: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The first occurrence from now on: the due date of a repeating task that had none."""
    local_now = now.astimezone(zone)
    parts = _split(rule)
    parts.pop("COUNT", None)
    start = datetime.combine(local_now.date(), DEFAULT_TIME, zone)
    names_when = {"BYMONTH", "BYMONTHDAY", "BYDAY", "BYHOUR"} & parts.keys()
    if start < local_now and not names_when and parts["FREQ"] != "HOURLY":
        # "every 2 weeks" is anchored at its start: begin with tomorrow, not two weeks on.
        start = datetime.combine(local_now.date() + timedelta(days=1), DEFAULT_TIME, zone)
    return _occurrences(parts, start).after(local_now, inc=True)


def next_due(
    rule: str, from_completion: bool, due: datetime | None, zone: ZoneInfo, now: datetime
) -> tuple[datetime | None, str]:
    """The occurrence after this one, and the rule to keep (COUNT one lower); None once ended.

    Counted from the due date, or from now for from-completion rules (keeping the due time of day).
    """
    parts = _split(rule)
    count = parts.pop("COUNT", None)
    if count is not None and int(count) <= 1:
        return None, rule
    if due is None or from_completion:
        local_now = now.astimezone(zone)
        at = due.astimezone(zone).timetz() if due is not None else DEFAULT_TIME
        start = datetime.combine(local_now.date(), at.replace(tzinfo=None), zone)
        following = _occurrences(parts, start).after(max(start, local_now))
    else:
        start = due.astimezone(zone)
        following = _occurrences(parts, start).after(start)
    if following is None:
        return None, rule
    if count is not None:
        parts["COUNT"] = str(int(count) - 1)
    return following, _join(parts)


def _read_phrase(phrase: str, local_now: datetime) -> dict[str, str]:
    """English to RRULE parts via `recurrent`, plus the time of day read here."""
    at = None
    match = _TIME.search(phrase)
    if match:
        at = time_in(match.group(0))
        phrase = " ".join((phrase[: match.start()] + phrase[match.end() :]).split())
    phrase = re.sub(r"^each\b", "every", phrase)
    rule = _recurrent(phrase, local_now)
    if rule is None and not phrase.startswith("every"):
        # `recurrent` reads "last friday of the month" as one date: the field says it repeats.
        rule = _recurrent("every " + phrase, local_now)
    if rule is None:
        raise _invalid(f"I can't read {phrase!r} as a repeat rule. {_EXAMPLES}")
    parts = _split(rule)
    if at is not None:
        parts["BYHOUR"], parts["BYMINUTE"] = str(at.hour), str(at.minute)
    day = parts.get("BYMONTHDAY", "")
    if parts["FREQ"] == "MONTHLY" and day in {"29", "30", "31"} and "BYSETPOS" not in parts:
        # Whoever says "every month on the 31st" means the month's end in shorter months;
        # RFC 5545 alone would skip those months.
        if day == "31":
            parts["BYMONTHDAY"] = "-1"
        else:
            parts["BYMONTHDAY"] = ",".join(str(d) for d in range(28, int(day) + 1))
            parts["BYSETPOS"] = "-1"
    return parts


def _recurrent(phrase: str, local_now: datetime) -> str | None:
    """The RRULE `recurrent` reads in the phrase, or None if it reads no repetition."""
    event = RecurringEvent(now_date=local_now.replace(tzinfo=None))
    try:
        result = event.parse(phrase)
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    if not event.is_recurring or not isinstance(result, str):
        return None
    # A phrase with a start ("starting next week") comes back with a DTSTART line; the start
    # of a task's repetition is its due date, so only the RRULE line is kept.
    lines = [line for line in result.splitlines() if line.upper().startswith("RRULE:")]
    return lines[0] if lines else None


def _split(rule: str) -> dict[str, str]:
    """RRULE text to {PART: VALUE}, with every part known and given once."""
    body = re.sub(r"^\s*RRULE:", "", rule.strip(), flags=re.IGNORECASE)
    parts: dict[str, str] = {}
    for item in body.split(";"):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if name.startswith("DTSTART"):
            name = "DTSTART"
        elif not sep or not value:
            raise _invalid(f"{item.strip()!r} is not NAME=VALUE.")
        if name not in _PARTS:
            if name in {"DTSTART", "BYSECOND"}:
                raise _invalid(f"{name} is not supported (a repeat starts at the due date).")
            raise _invalid(f"unknown RRULE part {name!r}.")
        if name in parts:
            raise _invalid(f"{name} is given twice.")
        parts[name] = value
    if "FREQ" not in parts:
        raise _invalid(f"the rule has no FREQ. {_EXAMPLES}")
    return parts


def _canonical(parts: dict[str, str], zone: ZoneInfo) -> dict[str, str]:
    """Parts in canonical order, INTERVAL=1 dropped, UNTIL in UTC; RFC 5545 limits checked."""
    if parts["FREQ"] in {"MINUTELY", "SECONDLY"}:
        raise _invalid("a task can repeat at most every hour.")
    if parts["FREQ"] not in _UNITS:
        raise _invalid(f"FREQ must be one of {', '.join(_UNITS)}.")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _invalid("give COUNT or UNTIL, not both.")
    for name in ("INTERVAL", "COUNT"):
        if name in parts and (not parts[name].isdigit() or int(parts[name]) < 1):
            raise _invalid(f"{name} must be a whole number of at least 1.")
    if "UNTIL" in parts:
        parts["UNTIL"] = f"{_until_moment(parts['UNTIL'], zone).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    if parts.get("INTERVAL") == "1":
        del parts["INTERVAL"]
    return {name: parts[name] for name in _PARTS if name in parts}


def _check_happens(parts: dict[str, str], zone: ZoneInfo, now: datetime) -> None:
    """Values dateutil accepts, and an occurrence from now on."""
    start = now.astimezone(zone)
    _check_satisfiable(parts)
    try:
        following = _occurrences(parts, start).after(start)
    except (ValueError, TypeError) as error:
        raise _invalid(f"{error}.") from error
    if following is None:
        raise RuleEnded("recurrence: the rule never happens from now on.")


def _check_satisfiable(parts: dict[str, str]) -> None:
    """Refuse filters that could match no period, whatever the due date (see _PARTS)."""
    freq, interval = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    filters = {"BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS"} & parts.keys()
    if interval > 1 and freq in {"DAILY", "HOURLY"} and filters:
        # Every 7 days on Mondays never happens if the due date is a Tuesday.
        raise _invalid(f"FREQ={freq} with INTERVAL cannot also have {', '.join(sorted(filters))}.")
    if interval > 1 and freq == "MONTHLY" and "BYMONTH" in parts:
        raise _invalid("FREQ=MONTHLY with INTERVAL cannot also have BYMONTH; use FREQ=YEARLY.")
    if "BYSETPOS" in parts and freq not in {"MONTHLY", "YEARLY"}:
        raise _invalid("BYSETPOS needs FREQ=MONTHLY or FREQ=YEARLY.")
    months = _numbers(parts, "BYMONTH", range(1, 13), "1,3,5,7,8,10,12")
    days = _numbers(parts, "BYMONTHDAY", [*range(-31, 0), *range(1, 32)], "1")
    _numbers(parts, "BYHOUR", range(24), "0")
    _numbers(parts, "BYMINUTE", range(60), "0")
    if not any(abs(day) <= _MONTH_DAYS[month - 1] for month in months for day in days):
        raise _invalid("no month in BYMONTH has the days in BYMONTHDAY.")
    if "BYSETPOS" in parts:
        # The position must exist in every month: count only the days every month has.
        if "BYDAY" in parts and "BYMONTHDAY" in parts:
            raise _invalid("BYSETPOS works with BYDAY or BYMONTHDAY, not both.")
        weekdays = parts.get("BYDAY", "").split(",")
        if "BYDAY" in parts and all(day in _DAYS for day in weekdays):
            sure = 4 * len(weekdays)
        else:
            sure = sum(1 for day in days if abs(day) <= 28) if "BYMONTHDAY" in parts else 28
        limit = (
            sure
            * len(parts.get("BYHOUR", "0").split(","))
            * len(parts.get("BYMINUTE", "0").split(","))
        )
        if not all(0 < abs(pos) <= limit for pos in _numbers(parts, "BYSETPOS", [], "")):
            raise _invalid(f"BYSETPOS here takes positions 1 to {limit} or -1 to -{limit}.")


def _numbers(parts: dict[str, str], name: str, allowed: Sequence[int], default: str) -> list[int]:
    """The part's comma-separated numbers, each in `allowed` (when given)."""
    try:
        numbers = [int(value) for value in parts.get(name, default).split(",")]
    except ValueError as error:
        raise _invalid(f"{name} takes numbers.") from error
    if allowed and not all(number in allowed for number in numbers):
        raise _invalid(f"{name} takes values from {allowed[0]} to {allowed[-1]}.")
    return numbers


def _occurrences(parts: dict[str, str], start: datetime) -> rrule:
    rule = rrulestr(_join(parts), dtstart=start)
    assert isinstance(rule, rrule)  # one RRULE line, never a set
    return rule


def _until_moment(value: str, zone: ZoneInfo) -> datetime:
    """UNTIL as an aware moment: a date means the end of that day in the user's zone."""
    try:
        if re.fullmatch(r"\d{8}", value):
            day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            return datetime.combine(day + timedelta(days=1), datetime.min.time(), zone) - (
                timedelta(seconds=1)
            )
        if re.fullmatch(r"\d{8}T\d{6}Z", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if re.fullmatch(r"\d{8}T\d{6}", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    except ValueError:
        pass
    raise _invalid(f"UNTIL {value!r} is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSSZ).")


def _join(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def _last_day_form(parts: dict[str, str]) -> bool:
    """BYMONTHDAY=28,...,N;BYSETPOS=-1: the Nth, or the month's last day when shorter."""
    days = parts.get("BYMONTHDAY", "").split(",")
    return len(days) > 1 and days == [str(d) for d in range(28, 28 + len(days))]


def _month_days(parts: dict[str, str]) -> str:
    days = parts["BYMONTHDAY"].split(",")
    if parts.get("BYSETPOS") == "-1" and _last_day_form(parts):
        return f"the {_ordinal(int(days[-1]))} (or the last day)"
    return "the " + _and(
        ["last day" if day == "-1" else _ordinal(int(day)) for day in days if day.lstrip("-")]
    )


def _nth_day(value: str) -> str:
    """'-1FR' → 'the last Friday', '2TU' → 'the 2nd Tuesday'."""
    match = re.fullmatch(r"([+-]?\d{1,2})([A-Z]{2})", value)
    if not match or match.group(2) not in _DAYS:
        return value
    nth, day = int(match.group(1)), _DAYS[match.group(2)]
    return f"the {'last' if nth == -1 else _ordinal(nth)} {day}"


def _ordinal(number: int) -> str:
    if number < 0:
        return f"{_ordinal(-number)} to last"
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class RuleEnded(InvalidInput):
    """A valid rule with no occurrence left (its UNTIL or COUNT is behind us)."""


def _invalid(problem: str) -> InvalidInput:
    return InvalidInput(f"recurrence: {problem}")
