"""Slot extractors: due phrases, priority, tags and descriptions found inside free text.

Each extractor returns the value it found and the text with that part cut out, so a title is
what remains once every attribute has been taken away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .repeats import anchored, take_recurrence

_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)"
)
WEEKDAY = _WEEKDAY
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_NUMBER_WORD = (
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple(?:\s+of)?|a\s+few)"
)
_UNIT = r"(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?|wks?|months?)"
_PART_OF_DAY = r"(?:morning|afternoon|evening|night|noon|lunch(?:time)?|first\s+thing(?:\s+in\s+the\s+morning)?)"
_TIME = (
    r"(?:\d{1,2}(?::\d{2})?\s*(?:(?:-|\u2013|to)\s*\d{1,2}(?::\d{2})?\s*)?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midnight"
    r"|(?:in\s+the\s+)?" + _PART_OF_DAY + r")"
)
_DAY = (
    r"(?:today|tonight|tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow|day\s+after\s+tomorrow"
    r"|later\s+today|this\s+" + _PART_OF_DAY + r"|this\s+weekend|next\s+weekend"
    r"|(?:this|next|coming)\s+(?:week|month|year)"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:day|week|month)|eod|eow|eom"
    r"|(?:this\s+|next\s+|coming\s+)?" + _WEEKDAY + r"(?:\s+" + _PART_OF_DAY + r")?"
    r"|in\s+"
    + _NUMBER_WORD
    + r"\s+"
    + _UNIT
    + r"|"
    + _NUMBER_WORD
    + r"\s+"
    + _UNIT
    + r"\s+from\s+now"
    r"|" + _MONTH + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+\d{4})?"
    r"|\d{4}-\d{2}-\d{2}(?:[t\s]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    r"|the\s+\d{1,2}(?:st|nd|rd|th)(?:\s+of\s+(?:the\s+|this\s+|next\s+)?month)?)"
)
# A date with an optional time ("friday at 5pm"), or a bare time ("at 5pm").
_DUE_CORE = (
    r"(?:"
    + _DAY
    + r"(?:\s*,?\s*(?:at|@|by|around)?\s*"
    + _TIME
    + r"(?:\s+(?:at|@|around)\s+\d{1,2}(?::\d{2})?(?:\s*(?:am|pm))?(?!\w))?"
    + r"|\s+(?:at|@|around)\s+\d{1,2}(?::\d{2})?)?"
    r"|(?:at|@|by|around)\s+" + _TIME + r"(?:\s+(?:on\s+)?" + _DAY + r")?"
    r"|" + _TIME + r"\s+(?:on\s+)?" + _DAY + r"|\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.))"
)
_DUE_LEAD = (
    r"(?:(?:it'?s\s+|it\s+is\s+)?(?:due|deadline)\s*(?:date)?\s*(?:is|:|on|by|at)?\s*"
    r"|by\s+|on\s+|before\s+|until\s+|till\s+|for\s+|no\s+later\s+than\s+)?"
)
DUE_RE = re.compile(
    r"(?<![\w#])(?<!every\s)(?<!each\s)"
    + _DUE_LEAD
    + r"(?P<due>"
    + _DUE_CORE
    + r")(?!\w|'s\b|\u2019s\b)",
    re.I,
)
# A whole due phrase, for rules that expect one ("make it next friday").
DUE_PHRASE = _DUE_LEAD + r"(?:" + _DUE_CORE + r")"
DUE_ONLY_RE = re.compile(r"^\s*(?:be\s+)?" + _DUE_LEAD + r"(?P<due>" + _DUE_CORE + r")\s*$", re.I)

_PRIORITY_WORDS = {
    "high": "high",
    "higher": "high",
    "highest": "high",
    "top": "high",
    "urgent": "high",
    "important": "high",
    "critical": "high",
    "max": "high",
    "1": "high",
    "medium": "medium",
    "normal": "medium",
    "mid": "medium",
    "regular": "medium",
    "default": "medium",
    "2": "medium",
    "low": "low",
    "lower": "low",
    "lowest": "low",
    "minor": "low",
    "3": "low",
    "4": "low",  # Todoist's p4
}
_PRIORITY_VALUE = (
    r"(?P<p>high(?:er|est)?|top|urgent|important|critical|max"
    r"|medium|normal|mid|regular|default|low(?:er|est)?|minor|[1234])"
)
_PRIORITY_RES = [
    # Negated or relaxed at the end ("water plants, not important", "fix fence - no hurry"):
    # low, and tried first so "important" is not read as high.
    re.compile(
        r"(?:\s*[,(;-]\s*|\s+(?:it'?s\s+|it\s+is\s+|this\s+is\s+)?)"
        r"(?:no\s+rush|no\s+hurry|unimportant|low[\s-]key"
        r"|not\s+(?:very\s+|that\s+|too\s+|so\s+|really\s+|super\s+)?"
        r"(?:urgent|important|a\s+priority|pressing|time[\s-]sensitive))\)?[.!]*\s*$",
        re.I,
    ),
    # "high priority", "as a low-priority task", "with priority high", "priority: 1", "p1".
    re.compile(
        r"(?:,?\s*(?:with|as|at|set\s+to|marked(?:\s+as)?|make\s+it|it'?s|it\s+is)?\s*(?:an?\s+)?"
        + _PRIORITY_VALUE
        + r"[\s-]*(?:priority|prio|pri|importance)\b(?:\s+(?:task|item|todo))?)",
        re.I,
    ),
    re.compile(
        r"(?:,?\s*(?:with\s+|and\s+)?(?:a\s+)?(?:priority|prio)\s*(?:of|is|:|=|to|set\s+to)?\s*"
        + _PRIORITY_VALUE
        + r"\b)",
        re.I,
    ),
    re.compile(r"(?:,?\s*\(?\b[pP](?P<p>[1234])\b\)?)"),
    # "urgent" is a priority only at the edges ("urgent: call bank", "call bank, urgent!"),
    # so a title like "Sign important papers" keeps its words.
    re.compile(r"^\s*(?P<p>urgent|important|asap)\s*[:!-]+", re.I),
    re.compile(
        r"(?:\s*[,(]\s*|\s+(?:it'?s\s+|it\s+is\s+|this\s+is\s+)?(?:very\s+|really\s+|super\s+)?)"
        r"(?P<p>urgent|asap|critical|important)\)?!*\s*$",
        re.I,
    ),
    re.compile(
        r"(?:,?\s*\b(?:no\s+rush|no\s+hurry|not\s+urgent|whenever|someday|low[\s-]key)\b)", re.I
    ),
]

_TAG_NAME = r"[\w][\w-]*"
_HASHTAG_RE = re.compile(r"(?:^|(?<=\s)|(?<=,))#(?P<tag>[A-Za-z_][\w-]*)")
_TAG_PHRASE_RE = re.compile(
    r",?\s*(?:and\s+)?(?:tagged(?:\s+(?:as|with))?|with\s+(?:the\s+)?tags?|tags?\s*:|labell?ed(?:\s+as)?"
    r"|tag\s+it(?:\s+(?:as|with))?|label\s+it(?:\s+(?:as|with))?"
    r"|with\s+(?:the\s+)?labels?|under)\s+(?P<tags>#?"
    + _TAG_NAME
    + r"(?:\s*(?:,|and|&)\s*#?"
    + _TAG_NAME
    + r")*)",
    re.I,
)
_DESCRIPTION_RE = re.compile(
    r"(?:^|[\s,;.-])\s*(?:(?:with|and|plus)\s+(?:a\s+|the\s+|an?\s+extra\s+)?"
    r"(?:description|desc|details?|notes?)\s*(?:of|saying|that\s+says|reading|:|-|=)?"
    r"|(?:description|desc|details|notes?)\s*[:=]|description\s+(?:saying|of)?)\s*(?P<desc>.+)$",
    re.I,
)
_QUOTED_RE = re.compile(r"\"([^\"]+)\"|'([^']+)'(?!\w)|“([^”]+)”|\u2018([^\u2019]+)\u2019")


@dataclass
class Attributes:
    """Task attributes pulled out of a sentence."""

    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    due: str | None = None
    description: str | None = None
    recurrence: str | None = None


def normalize_due(phrase: str) -> str:
    """The due phrase as the user said it, for the one date reader (`todochat.todos.dates`)."""
    phrase = re.sub(r"\s+", " ", phrase.strip().lower())
    return re.sub(r"^(?:due|by|on|before|until|till|for|at|@)\s+", "", phrase)


def take_due(text: str) -> tuple[str | None, str]:
    """Find a due phrase ("tomorrow 5pm", "by next friday") and cut it out of the text."""
    matches = list(DUE_RE.finditer(text))
    if not matches:
        return None, text
    # "remind me tomorrow to call mom at 5pm": a day and a time said apart make one due phrase.
    parts = [normalize_due(m.group("due")) for m in matches]
    for match in reversed(matches):
        text = text[: match.start()] + " " + text[match.end() :]
    return " ".join(dict.fromkeys(parts)), text


def due_only(text: str) -> str | None:
    """The due phrase if the whole text is one ("next friday", "by tomorrow 5pm")."""
    match = DUE_ONLY_RE.match(text)
    return normalize_due(match.group("due")) if match else None


def priority_word(word: str) -> str | None:
    """Map a spoken priority ("urgent", "top", "p1", "normal") to low, medium or high."""
    word = word.strip().lower().removeprefix("p")
    return _PRIORITY_WORDS.get(word)


def take_priority(text: str) -> tuple[str | None, str]:
    """Find a priority ("high priority", "urgent", "p1", "no rush") and cut it out."""
    for pattern in _PRIORITY_RES:
        match = pattern.search(text)
        if match:
            word = match.groupdict().get("p")
            value = priority_word(word) if word else "low"
            if word and word.lower() == "asap":
                value = "high"
            rest = text[: match.start()] + " " + text[match.end() :]
            return value, rest
    return None, text


def split_tags(raw: str) -> list[str]:
    """'work, home and #errands' -> ['work', 'home', 'errands']."""
    parts = re.split(r"\s*(?:,|\band\b|&)\s*", raw)
    return [p.strip().lstrip("#").lower() for p in parts if p.strip().lstrip("#")]


def take_tags(text: str) -> tuple[list[str], str]:
    """Find tags ("#home", "tagged work and errands") and cut them out."""
    tags: list[str] = []
    match = _TAG_PHRASE_RE.search(text)
    if match:
        tags.extend(split_tags(match.group("tags")))
        text = text[: match.start()] + " " + text[match.end() :]
    for hashtag in _HASHTAG_RE.finditer(text):
        tags.append(hashtag.group("tag").lower())
    text = _HASHTAG_RE.sub(" ", text)
    return list(dict.fromkeys(tags)), text


def take_description(text: str) -> tuple[str | None, str]:
    """Find "with description …" / "notes: …" and cut it (to the end of the text) out."""
    match = _DESCRIPTION_RE.search(" " + text)
    if not match:
        return None, text
    start = max(match.start() - 1, 0)
    return strip_quotes(match.group("desc")), text[:start]


def take_quoted(text: str) -> tuple[str | None, str]:
    """The first quoted part of the text, and the text without it."""
    match = _QUOTED_RE.search(text)
    if not match:
        return None, text
    quoted = next(group for group in match.groups() if group is not None)
    return quoted.strip(), text[: match.start()] + " " + text[match.end() :]


def strip_quotes(text: str) -> str:
    """Remove surrounding quotes and stray punctuation."""
    text = text.strip().strip(",;:.!? ")
    while len(text) >= 2 and text[0] in "\"'`“\u2018«" and text[-1] in "\"'`”\u2019»":
        text = text[1:-1].strip()
    return text


def take_attributes(text: str) -> tuple[Attributes, str]:
    """Pull description, tags, priority and due out of the text; return them and what is left."""
    attrs = Attributes()
    attrs.description, text = take_description(text)
    attrs.tags, text = take_tags(text)
    attrs.priority, text = take_priority(text)
    attrs.recurrence, text = take_recurrence(text)
    attrs.due, text = take_due(text)
    if attrs.recurrence:
        attrs.recurrence = anchored(attrs.recurrence, attrs.due)
    return attrs, text


# "yoga, sorry, I mean pilates": the value after an explicit correction replaces what came before.
_CORRECTION_RE = re.compile(
    r"(?:\s*[,;.]\s*|\s+-+\s+|\s+)(?:(?:no|sorry|oops|wait|actually|er+m?|uh+|um+)[\s,.!-]+)*"
    r"(?:i\s+mean[t]?|or\s+rather|make\s+(?:that|it))[\s,:-]+(?P<value>[^,;]+?)\s*$",
    re.I,
)


def corrected(value: str) -> str:
    """The value the user settled on ("yoga, sorry, I mean pilates" -> "pilates")."""
    match = _CORRECTION_RE.search(value)
    if not match or not value[: match.start()].strip():
        return value
    return match.group("value").strip()


_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_NUMBER_WORDS |= {"seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple": 2, "few": 3}


def shift_days(amount: str, unit: str, direction: str | None) -> int | None:
    """ "back a week" -> 7, "forward 2 days" -> -2 (None when the amount is not a number)."""
    word = amount.lower()
    count = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
    if count is None or count > 366:
        return None
    days = count * (7 if unit.lower().startswith("week") else 1)
    earlier = (direction or "").lower() in ("forward", "earlier", "up", "sooner")
    return -days if earlier else days
