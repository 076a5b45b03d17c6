"""How a task repeats and when to remind: phrases read with vocabulary tables, rewritten into the
plain form the tools read ("every month on the 1st at 9am", "30 minutes").

The tools turn the phrase into an RRULE (`todochat.todos.recurrence`); this module only finds
where a repeat is said and says it the one way that reader knows, so "fortnightly", "on the 1st
of every month", "monday to friday" or "every sunday morning" reach it intact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# --- vocabulary tables: every regular expression below is made from these ------------------------

WEEKDAYS = {
    "monday": ("mon", "mondays"),
    "tuesday": ("tue", "tues", "tuesdays"),
    "wednesday": ("wed", "weds", "wednesdays"),
    "thursday": ("thu", "thur", "thurs", "thursdays"),
    "friday": ("fri", "fridays"),
    "saturday": ("sat", "saturdays"),
    "sunday": ("sun", "sundays"),
}
# Adverbs that are a whole rule on their own: word -> (count, unit).
FREQUENCY_WORDS = {
    "daily": (1, "day"),
    "nightly": (1, "day"),
    "weekly": (1, "week"),
    "fortnightly": (2, "week"),
    "biweekly": (2, "week"),
    "bi-weekly": (2, "week"),
    "monthly": (1, "month"),
    "bimonthly": (2, "month"),
    "bi-monthly": (2, "month"),
    "quarterly": (3, "month"),
    "yearly": (1, "year"),
    "annually": (1, "year"),
}
# Adjectives before "task" that say it repeats ("a monthly task", "a recurring reminder").
REPEATING_ADJECTIVES = (*FREQUENCY_WORDS, "recurring", "repeating")
UNITS = {
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "wk": "week",
    "wks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
}
# "every weekday", "every weekend": day groups the tools' reader knows by name.
DAY_GROUPS = {
    "weekday": "weekday",
    "weekdays": "weekday",
    "weekend": "weekend",
    "weekends": "weekend",
}
# A part of the day said with a repeat is its time ("every sunday morning"): the same times as
# the due-date reader gives them.
PART_OF_DAY_TIMES = {
    "morning": "9am",
    "afternoon": "3pm",
    "evening": "8pm",
    "night": "8pm",
    "lunchtime": "12pm",
    "lunch": "12pm",
}
COUNT_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "forty five": 45,
    "couple of": 2,
    "couple": 2,
    "few": 3,
    "other": 2,
    "second": 2,
    "third": 3,
}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
# Units of a reminder's lead time: word -> the unit the tools read.
OFFSET_UNITS = {
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "wk": "weeks",
    "night": "days",  # "the night before"
    "evening": "days",
}


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of the words, longest first (so "mondays" wins over "monday")."""
    items = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items)


_DAY_NAMES = {name: name for name in WEEKDAYS} | {
    short: name for name, shorts in WEEKDAYS.items() for short in shorts
}
_DAY = r"(?:" + _alternatives(_DAY_NAMES) + r")\.?"
_DAY_LIST = _DAY + r"(?:\s*(?:,|and|&|or|\+)\s*(?:and\s+)?" + _DAY + r")*"
_DAY_RANGE = _DAY + r"\s*(?:-|\u2013|to|through|thru|till|until)\s*" + _DAY
_COUNT = r"(?:\d{1,3}|" + _alternatives(COUNT_WORDS) + r")"
_UNIT = r"(?:" + _alternatives(UNITS) + r")"
_PART = r"(?:" + _alternatives(PART_OF_DAY_TIMES) + r")"
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midnight)"
_AT = (
    r"(?:\s*,?\s*(?:at|@|around|by)\s*(?P<clock>"
    + _CLOCK
    + r"|\d{1,2}(?![\d:]))|\s+(?P<clock2>"
    + _CLOCK
    + r"))"
)
_NTH = r"(?P<nth>\d{1,2})(?:st|nd|rd|th)"
_ORDINAL = r"(?P<ord>" + _alternatives(ORDINALS) + r"|\d(?:st|nd|rd|th))"
_MONTH_WORD = r"(?:month|mo)"

# The forms a repeat takes; each names its parts, read by _canonical below.
_FORMS = [
    # "every last friday of the month", "the first monday of every month"
    r"(?:every|each|on\s+the|the)\s+"
    + _ORDINAL
    + r"\s+(?P<oday>"
    + _DAY
    + r")\s+of\s+(?:the|every|each)\s+"
    + _MONTH_WORD,
    # "on the 1st of every month", "the 15th of each month", "every 1st of the month"
    r"(?:(?:on\s+)?the\s+|every\s+|each\s+)"
    + _NTH
    + r"\s+(?:day\s+)?of\s+(?:every|each|the)\s+"
    + _MONTH_WORD,
    # "every month on the 1st", "monthly on the 15th"
    r"(?:(?:every|each)\s+(?:(?P<mcount>"
    + _COUNT
    + r")\s+)?months?|monthly)\s+on\s+the\s+(?P<nth2>\d{1,2})(?:st|nd|rd|th)",
    # "every weekday", "on weekdays", "weekends" (never "this weekend", a date)
    r"(?:(?:every|each)\s+(?P<group>weekdays?|weekends?)|(?:on\s+)?(?P<groups>weekdays|weekends))"
    r"(?:\s+(?P<gpart>" + _PART + r"))?",
    # "every monday to friday", "on mon-fri" ("from monday to friday" is two dates)
    r"(?:(?:every|each|on)\s+)(?P<range>" + _DAY_RANGE + r")(?:\s+(?P<rpart>" + _PART + r"))?",
    # "every monday and thursday", "every other friday", "on mondays", "every sunday morning"
    r"(?:(?:every|each)\s+(?:(?P<dcount>other|second|third|\d{1,2}(?:st|nd|rd|th)?)\s+)?|on\s+(?=\w+days\b)|(?=\w+days\b))"
    r"(?P<days>" + _DAY_LIST + r")(?:\s+(?P<dpart>" + _PART + r")s?)?",
    # "every 2 weeks", "every other day", "every day", "each year"
    r"(?:every|each)\s+(?:(?P<count>" + _COUNT + r")\s+)?(?P<unit>" + _UNIT + r")",
    # "every morning", "every evening": daily at that time
    r"(?:every|each)\s+(?P<epart>" + _PART + r")",
    # "daily", "pay rent monthly" -- never "the quarterly report" or "a weekly review"
    r"(?<!\bthe\s)(?<!\ba\s)(?<!\ban\s)(?<!\bmy\s)(?<!\bour\s)(?<!\byour\s)(?<!\bthis\s)(?<!\bnext\s)"
    r"(?P<adverb>"
    + _alternatives(FREQUENCY_WORDS)
    + r")(?=\s*(?:$|[,.;:!?)]|\s(?:at|on|from|starting|until|till|for|by|@|please|and|in)\b|\s\d))",
]
_END = (
    r"(?:\s*,?\s*(?P<until>(?:until|till|through)\s+(?:the\s+end\s+of\s+(?:the\s+)?(?:year|month)"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|[a-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[a-z]+(?:\s+\d{4})?|[a-z]+))"
    r"|\s+(?:for\s+)?(?P<times>\d{1,3})\s+(?:times|occurrences))?"
)
RECURRENCE_BODY = r"(?:" + "|".join(f"(?:{form})" for form in _FORMS) + r")" + _AT + r"?" + _END
_RECURRENCE_RE = re.compile(r"(?<![\w-])(?P<rec>" + RECURRENCE_BODY + r")(?![\w-])", re.I)
_WHOLE_RE = re.compile(r"^\s*(?:" + RECURRENCE_BODY + r")\s*$", re.I)
# "every monday" as a regex for rules that expect a whole repeat phrase after a verb.
RECURRENCE_PHRASE = r"(?:" + re.sub(r"\(\?P<\w+>", "(?:", RECURRENCE_BODY) + r")"


def _count(word: str | None) -> int:
    if not word:
        return 1
    word = re.sub(r"\s+", " ", word.lower())
    word = re.sub(r"(?:st|nd|rd|th)$", "", word) if word[0].isdigit() else word
    return int(word) if word.isdigit() else COUNT_WORDS.get(word, 1)


def _day_names(text: str) -> list[str]:
    words = re.findall(r"[a-z]+", text.lower())
    return list(dict.fromkeys(_DAY_NAMES[w] for w in words if w in _DAY_NAMES))


def _range(text: str) -> list[str]:
    first, last = _day_names(text)[:2] if len(_day_names(text)) >= 2 else (None, None)
    order = list(WEEKDAYS)
    if first is None or last is None:
        return _day_names(text)
    start, end = order.index(first), order.index(last)
    span = order[start : end + 1] if start <= end else order[start:] + order[: end + 1]
    return span


def _joined(days: list[str]) -> str:
    if days == list(WEEKDAYS)[:5]:
        return "weekday"
    if days == ["saturday", "sunday"]:
        return "weekend"
    return " and ".join(days)


def _nth(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _canonical(match: re.Match[str]) -> str:
    """The repeat as the tools' reader reads it best: "every 2 weeks on friday at 9am"."""
    parts = match.groupdict()
    part_of_day = parts.get("gpart") or parts.get("rpart") or parts.get("dpart")
    if parts.get("ord"):
        ordinal = parts["ord"].lower()
        number = ORDINALS.get(ordinal) or int(re.sub(r"\D", "", ordinal))
        which = "last" if number == -1 else ordinal if ordinal in ORDINALS else _nth(number)
        rule = f"every {which} {_day_names(parts['oday'])[0]} of the month"
    elif parts.get("nth") or parts.get("nth2"):
        count = _count(parts.get("mcount"))
        unit = "month" if count == 1 else f"{count} months"
        rule = f"every {unit} on the {_nth(int(parts.get('nth') or parts['nth2']))}"
    elif parts.get("group") or parts.get("groups"):
        rule = f"every {DAY_GROUPS[(parts.get('group') or parts['groups']).lower()]}"
    elif parts.get("range"):
        rule = f"every {_joined(_range(parts['range']))}"
    elif parts.get("days"):
        count = _count(parts.get("dcount"))
        days = _joined(_day_names(parts["days"]))
        rule = f"every {days}" if count == 1 else f"every {count} weeks on {days}"
    elif parts.get("unit"):
        count = _count(parts.get("count"))
        unit = UNITS[parts["unit"].lower()]
        rule = f"every {unit}" if count == 1 else f"every {count} {unit}s"
    elif parts.get("epart"):
        rule, part_of_day = "every day", parts["epart"]
    else:
        count, unit = FREQUENCY_WORDS[parts["adverb"].lower()]
        rule = f"every {unit}" if count == 1 else f"every {count} {unit}s"
    clock = parts.get("clock") or parts.get("clock2")
    if clock:
        clock = clock.lower().replace(" ", "")
        rule += f" at {clock}" if not clock.isdigit() else f" at {clock}:00"
    elif part_of_day:
        rule += f" at {PART_OF_DAY_TIMES[part_of_day.lower().rstrip('s')]}"
    if parts.get("until"):
        rule += " " + re.sub(r"\s+", " ", parts["until"].strip(" ,")).lower()
    if parts.get("times"):
        rule += f" for {parts['times']} times"
    return rule


# Words one of the forms must contain: most messages have none, and are not searched further.
_HINT_RE = re.compile(r"every|each|weekday|weekend|days\b|" + _alternatives(FREQUENCY_WORDS), re.I)


def take_recurrence(text: str) -> tuple[str | None, str]:
    """Find how a task repeats ("every monday at 9am", "on the 1st of every month") and cut it
    out; the repeat comes back in the form the tools read."""
    if not _HINT_RE.search(text):
        return None, text
    match = _RECURRENCE_RE.search(text)
    if not match:
        return None, text
    rest = text[: match.start()] + " " + text[match.end() :]
    return _canonical(match), rest


def read_recurrence(text: str, *, after_repeat: bool = False) -> str | None:
    """The repeat if the whole text is one ("monthly", "every 2 weeks"); after "repeat" a day
    alone is one too ("repeat monday to friday", "repeat on tuesdays")."""
    bare = re.sub(r"^\s*on\s+(?!the\b)", "", text).strip()
    for said in (text, f"every {bare}") if after_repeat else (text,):
        match = _WHOLE_RE.match(said)
        if match:
            return _canonical(match)
    return None


# --- reminder lead times ("30 minutes before", "a day before") ------------------------------------

OFFSET = (
    r"(?P<n>\d{1,3}|half\s+an?|the|"
    + _alternatives(COUNT_WORDS)
    + r")\s*(?P<unit>"
    + _alternatives(OFFSET_UNITS)
    + r")(?![a-z])"
)


def offset(amount: str, unit: str) -> str | None:
    """ "30", "minutes" -> "30 minutes"; "half an", "hour" -> "30 minutes" (None if unreadable)."""
    word = re.sub(r"\s+", " ", amount.lower())
    unit_name = OFFSET_UNITS.get(unit.lower())
    if unit_name is None:
        return None
    if word.startswith("half"):
        minutes = {"minutes": 0, "hours": 30, "days": 720, "weeks": 5040}[unit_name]
        return f"{minutes} minutes" if minutes else None
    count = int(word) if word.isdigit() else 1 if word == "the" else COUNT_WORDS.get(word)
    if not count:
        return None
    return f"{count} {unit_name[:-1] if count == 1 else unit_name}"


_MONTH_DAY_RE = re.compile(
    r"^(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)(?:\s+of\s+the\s+month)?$", re.I
)


def anchored(recurrence: str, due: str | None) -> str:
    """A repeat with no day of its own takes the day said with it: "monthly" + "the 1st" is
    "every month on the 1st", "weekly" + "friday" is "every friday"."""
    if not due:
        return recurrence
    day = _MONTH_DAY_RE.match(due.strip())
    if day and re.fullmatch(r"every (?:\d+ )?months?", recurrence):
        return f"{recurrence} on the {_nth(int(day.group(1)))}"
    names = _day_names(due)
    if (
        recurrence == "every week"
        and len(names) == 1
        and due.strip().lower()
        in (
            names[0],
            *WEEKDAYS[names[0]],
        )
    ):
        return f"every {names[0]}"
    return recurrence
