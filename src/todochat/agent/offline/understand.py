"""What the user wants: an intent table of patterns, and the slots each pattern fills."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from . import slots


class Action(StrEnum):
    """Everything the offline model knows how to do."""

    ADD = "add"
    LIST = "list"
    COMPLETE = "complete"
    REOPEN = "reopen"
    DELETE = "delete"
    UPDATE = "update"
    SELECT = "select"  # a bare answer to "which one?" ("the second one", "#4", "yes")
    CANCEL = "cancel"
    GREET = "greet"
    THANKS = "thanks"
    HELP = "help"
    UNKNOWN = "unknown"


TARGETED = frozenset({Action.COMPLETE, Action.REOPEN, Action.DELETE, Action.UPDATE})


@dataclass
class Filter:
    """Which tasks a list (or a bulk change) is about; mirrors list_tasks' arguments."""

    status: str | None = None
    query: str | None = None
    tag: str | None = None
    priority: str | None = None
    due: str | None = None
    sort: str | None = None

    def arguments(self) -> dict[str, str]:
        """The list_tasks arguments for this filter."""
        args = {
            "status": self.status or "all",
            "query": self.query,
            "tag": self.tag,
            "priority": self.priority,
            "due": self.due,
            "sort": self.sort,
        }
        return {k: v for k, v in args.items() if v}

    @property
    def narrowed(self) -> bool:
        """True when it selects some tasks rather than all of them."""
        return any((self.status not in (None, "all"), self.query, self.tag, self.priority, self.due))


@dataclass
class Target:
    """How the user pointed at tasks: ids, positions, "it", a name, or a whole group."""

    ids: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # 1-based; negative counts from the end
    pronoun: bool = False
    name: str | None = None
    group: Filter | None = None  # "all completed tasks", "everything tagged shopping"
    every_shown: bool = False  # "both", "all of them"
    bare: bool = False  # a lone number ("3"): an id, or a position in the list just shown

    @property
    def empty(self) -> bool:
        """True when nothing points at any task."""
        return not (
            self.ids or self.positions or self.pronoun or self.name or self.group or self.every_shown
        )


@dataclass
class Changes:
    """Fields to set on add or update; None means "leave as is"."""

    title: str | None = None
    description: str | None = None
    priority: str | None = None
    tags: list[str] | None = None
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    due: str | None = None  # "" clears the due date

    @property
    def empty(self) -> bool:
        """True when nothing would change."""
        return (
            self.title is None
            and self.description is None
            and self.priority is None
            and self.tags is None
            and not self.add_tags
            and not self.remove_tags
            and self.due is None
        )


@dataclass
class Intent:
    """One understood message."""

    action: Action
    target: Target = field(default_factory=Target)
    changes: Changes = field(default_factory=Changes)
    new_tasks: list[Changes] = field(default_factory=list)  # for ADD: one per task
    filter: Filter = field(default_factory=Filter)
    count: bool = False  # "how many …?"
    affirm: bool = False  # "yes" / "that one"


# --- text clean-up -----------------------------------------------------------------------------

_LEAD_RE = re.compile(
    r"^(?:(?:hey|hi|hello|ok(?:ay)?|ok so|so|um+|uh+|well|alright|right|now|also|and|then|oh|ah"
    r"|yo|great|cool|thanks|thank you|todochat|assistant|bot)\b[\s,!.:-]*"
    r"|(?:please|pls|plz|kindly|just|quickly)\b\s*"
    r"|(?:can|could|would|will|wld)\s+(?:you|u|ya)\s+(?:please\s+|pls\s+|kindly\s+)?"
    r"|(?:i'?d|i\s+would)\s+like\s+(?:you\s+)?to\s+|i\s+(?:want|wanna)\s+(?:you\s+)?(?:to\s+)?"
    r"|(?:let'?s|lets)\s+|go\s+ahead\s+and\s+|help\s+me\s+(?=add|list|show|find|delete|remove)"
    r"|i'?m\s+going\s+to\s+(?=add|delete|remove|mark)|(?:do\s+)?me\s+a\s+favou?r\s+and\s+)",
    re.I,
)
_TRAIL_RE = re.compile(
    r"(?:[\s,]+(?:please|pls|plz|for\s+me|thanks|thank\s+you|thx|ty|if\s+you\s+can|now|asap\s*please)"
    r"|\s*[.!?]+|\s*:\)|\s*🙏)\s*$",
    re.I,
)


def normalize(message: str) -> str:
    """Straighten quotes, squeeze spaces, drop politeness around the request."""
    text = message.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"\s+", " ", text).strip()
    for _ in range(4):
        before = text
        text = _LEAD_RE.sub("", text, count=1).strip()
        text = _TRAIL_RE.sub("", text).strip()
        if text == before:
            break
    return text


def clean_title(text: str) -> str:
    """Tidy what is left of a sentence into a task title."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(?:to|that|about|for|of|:|-|,)\s+", "", text, flags=re.I)
    text = re.sub(r"\s+(?:and|with|to|,|;|-)$", "", text, flags=re.I)
    text = slots.strip_quotes(text)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


# --- pointing at tasks -------------------------------------------------------------------------

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
    "eighth": 8,
    "8th": 8,
    "ninth": 9,
    "9th": 9,
    "tenth": 10,
    "10th": 10,
    "last": -1,
    "final": -1,
    "top": 1,
    "bottom": -1,
    "second last": -2,
    "second to last": -2,
    "penultimate": -2,
}
_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
_ORDINAL_WORD = r"(?:second(?:\s+to)?\s+last|penultimate|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th)|last|final|top|bottom)"
_ID_RE = re.compile(
    r"(?:\b(?:tasks?|todos?|items?|numbers?|no\.?|nr\.?|ids?)\s*#?\s*|#\s*)(\d+)\b"
    r"((?:\s*(?:,|and|&|or)\s*#?\s*\d+\b)*)",
    re.I,
)
_BARE_IDS_RE = re.compile(r"^#?\s*(\d+)((?:\s*(?:,|and|&)\s*#?\s*\d+)*)$")
_SPAN_RE = re.compile(
    r"\b(?:the\s+)?(?P<which>first|last|top|bottom)\s+(?P<n>two|three|four|five|[2-5])\b", re.I
)
_ORDINAL_RE = re.compile(
    r"\b(?:the\s+)?(?P<o>" + _ORDINAL_WORD + r")(?:\s+(?:one|task|item|todo|entry))?\b", re.I
)
_PRONOUN_RE = re.compile(
    r"^(?:it|that|this|that\s+one|this\s+one|that\s+task|this\s+task|the\s+task|the\s+same(?:\s+one)?"
    r"|the\s+one(?:\s+you\s+(?:just\s+)?(?:added|made|created|mentioned|showed))?|the\s+last\s+one\s+you\s+added)$",
    re.I,
)
_EVERY_SHOWN_RE = re.compile(
    r"^(?:both(?:\s+of\s+them)?|all\s+of\s+them|all\s+(?:those|these|three|four|five)|them(?:\s+all)?"
    r"|these|those|them\s+both|all\s+the\s+above|each\s+of\s+them)$",
    re.I,
)
_GROUP_RE = re.compile(
    r"^(?:all|every|each|everything|everything\s+else|all\s+of|any)\b(?:\s+(?:of\s+)?(?:the|my))?\s*(?P<rest>.*)$",
    re.I,
)
_NAME_NOISE_RE = re.compile(
    r"^(?:the|my|a|an|that|this|those|these|our)\s+|\s+(?:task|todo|to-do|item|entry|one|reminder)s?$"
    r"|^(?:task|todo|item|one)\s+(?:about|for|called|named|titled|to|that\s+says|saying|with)\s+"
    r"|^(?:about|for|called|named|titled|regarding|re:?)\s+|\s+(?:from|on|off|in)\s+(?:my|the)\s+(?:\w+\s+)?(?:list|tasks|todos)$"
    r"|\s+(?:from|off)\s+(?:my\s+)?(?:list|tasks)$",
    re.I,
)


def _numbers(first: str, more: str) -> list[int]:
    return [int(first), *(int(n) for n in re.findall(r"\d+", more or ""))]


def clean_name(text: str) -> str:
    """Reduce "the meeting task" to "meeting" so it can be matched against titles."""
    text = slots.strip_quotes(text)
    for _ in range(4):
        before = text
        text = _NAME_NOISE_RE.sub("", text).strip()
        if text == before:
            break
    return slots.strip_quotes(text)


def parse_target(text: str) -> Target:
    """Work out which task(s) a phrase points at."""
    text = slots.strip_quotes(text.strip())
    target = Target()
    if not text:
        return target
    if match := _BARE_IDS_RE.match(text):
        target.ids = _numbers(match.group(1), match.group(2))
        target.bare = "#" not in text
        return target
    if match := _ID_RE.search(text):
        target.ids = _numbers(match.group(1), match.group(2))
        return target
    if _PRONOUN_RE.match(text):
        target.pronoun = True
        return target
    if _EVERY_SHOWN_RE.match(text):
        target.every_shown = True
        return target
    if match := _SPAN_RE.search(text):
        count = _COUNTS[match.group("n").lower()]
        start = match.group("which").lower() in ("first", "top")
        target.positions = list(range(1, count + 1)) if start else list(range(-count, 0))
        return target
    ordinals = _ORDINAL_RE.findall(text)
    leftover = _ORDINAL_RE.sub(" ", text)
    leftover = re.sub(r"\b(?:the|and|one|ones|&|,|task|tasks)\b|[,&]", " ", leftover, flags=re.I)
    if ordinals and not leftover.strip():
        for word in ordinals:
            word = re.sub(r"\s+", " ", word.lower())
            position = _ORDINALS.get(word)
            if position is None and word[:-2].isdigit():
                position = int(word[:-2])
            if position is not None:
                target.positions.append(position)
        return target
    if match := _GROUP_RE.match(text):
        group = parse_filter(match.group("rest"), default_status="all")
        rest = clean_name(match.group("rest"))
        if not rest or re.fullmatch(r"(?:my\s+)?(?:tasks?|todos?|items?|things?|of\s+them)", rest, re.I):
            target.group = group
            return target
        if group.narrowed:
            target.group = group
            return target
        # "all the milk tasks" -> every task whose title matches "milk".
        target.group = Filter(status="all", query=rest)
        return target
    if group := _group_phrase(text):
        target.group = group
        return target
    name = clean_name(text)
    if name and not re.fullmatch(r"(?:task|todo|item|one|it)s?", name, re.I):
        target.name = name
    return target


def _group_phrase(text: str) -> Filter | None:
    """Group phrases without "all": "completed tasks", "the finished ones", "done tasks"."""
    match = re.fullmatch(
        r"(?:the\s+|my\s+)?(?P<status>completed|finished|done|checked(?:\s+off)?|ticked(?:\s+off)?)"
        r"\s+(?:tasks?|todos?|ones|items)",
        text,
        re.I,
    )
    if match:
        return Filter(status="completed")
    return None


# --- list filters ------------------------------------------------------------------------------

_COMPLETED_WORDS = re.compile(
    r"\b(?:completed|complete|finished|done|ticked|checked\s+off|accomplished|achieved|closed|crossed\s+off)\b",
    re.I,
)
_PENDING_WORDS = re.compile(
    r"\b(?:pending|left|remaining|open|outstanding|incomplete|unfinished|not\s+(?:yet\s+)?done|not\s+finished"
    r"|not\s+completed|undone|uncompleted|active|still|to\s+do|todo(?=\?|$)|need\s+to\s+do|upcoming|current)\b",
    re.I,
)
_ALL_WORDS = re.compile(r"\b(?:all|every|everything|entire|whole|full)\b", re.I)
_QUERY_RE = re.compile(
    r"\b(?:about|regarding|related\s+to|mentioning|containing|concerning|involving|re:|matching"
    r"|with\s+(?:the\s+word|the\s+text|text)|that\s+(?:mention|say|contain|include)s?|named|called|titled)\s+(?P<q>.+)$",
    re.I,
)
_SEARCH_RE = re.compile(
    r"^(?:search|find|look\s+up|look\s+for|lookup|grep|filter)\s+(?:for\s+|me\s+)?(?:my\s+)?(?:tasks?\s+|todos?\s+)?(?:for\s+|about\s+|with\s+|named\s+|called\s+)?(?P<q>.+)$",
    re.I,
)
_TAG_FILTER_RE = re.compile(
    r"(?:#(?P<hash>[A-Za-z_][\w-]*)|\b(?:tagged(?:\s+(?:as|with))?|with\s+(?:the\s+)?tag|tag(?:ged)?\s*:?|labell?ed|under)\s+#?(?P<word>[\w-]+)"
    r"|\b(?P<before>[\w-]+)\s+tag(?:ged)?\b(?!\s+\w))",
    re.I,
)
_PRIORITY_FILTER_RE = re.compile(
    r"\b(?P<p>high|top|low|medium|normal|urgent|important|critical)(?:[\s-]*(?:priority|prio))?\b|\bp(?P<n>[123])\b",
    re.I,
)
_DUE_FILTER_RE = re.compile(
    r"\b(?P<overdue>overdue|past\s+due|late|missed)\b|\b(?P<today>today|tonight)\b"
    r"|\b(?P<week>this\s+week|next\s+(?:7|seven)\s+days|the\s+week|tomorrow|soon|coming\s+up|upcoming)\b",
    re.I,
)
_SORT_RE = re.compile(
    r"\b(?:sort(?:ed)?|order(?:ed)?|by)\s+(?:by\s+)?(?P<s>due(?:\s+date)?|deadline|priority|importance|title|name|alphabetical(?:ly)?|date\s+created|creation|newest|oldest)",
    re.I,
)
_SORT_WORDS = {
    "due": "due",
    "deadline": "due",
    "priority": "priority",
    "importance": "priority",
    "title": "title",
    "name": "title",
    "alphabetical": "title",
    "date": "created",
    "creation": "created",
    "newest": "created",
    "oldest": "created",
}
_QUERY_NOISE_RE = re.compile(
    r"\b(?:tasks?|todos?|to-dos?|items?|things?|stuff|anything|something|any|the|my|on\s+my\s+list|in\s+my\s+list|list)\b",
    re.I,
)


def parse_filter(text: str, *, default_status: str = "all") -> Filter:
    """Read list filters (status, search words, tag, priority, due, sort) from a request."""
    found = Filter(status=default_status)
    if match := _SORT_RE.search(text):
        word = match.group("s").split()[0].lower()
        found.sort = "title" if word.startswith("alphabet") else _SORT_WORDS.get(word)
        text = text[: match.start()] + text[match.end() :]
    query_match = _QUERY_RE.search(text) or _SEARCH_RE.match(text)
    if query_match:
        query = clean_name(_QUERY_NOISE_RE.sub(" ", query_match.group("q")))
        query = re.sub(r"\s+", " ", query).strip(" ?.,")
        text = text[: query_match.start("q")]
        if query:
            found.query = query
    if match := _TAG_FILTER_RE.search(text):
        tag = match.group("hash") or match.group("word") or match.group("before")
        if tag and tag.lower() not in ("my", "the", "a", "list", "progress", "order", "total"):
            found.tag = tag.lower()
    if match := _PRIORITY_FILTER_RE.search(text):
        found.priority = slots.priority_word(match.group("p") or match.group("n"))
    if match := _DUE_FILTER_RE.search(text):
        found.due = "overdue" if match.group("overdue") else "today" if match.group("today") else "week"
        found.status = "pending"  # what is due is what is left to do
    if _COMPLETED_WORDS.search(text) and not re.search(r"\bnot\s+(?:yet\s+)?(?:done|completed|finished)\b", text, re.I):
        found.status = "completed"
    elif _PENDING_WORDS.search(text):
        found.status = "pending"
    elif _ALL_WORDS.search(text):
        found.status = "all"
    return found


# --- the intent table --------------------------------------------------------------------------

Builder = Callable[[re.Match[str]], Intent | None]


@dataclass(frozen=True)
class Rule:
    """One way of saying something: a pattern and how its groups become an intent."""

    name: str
    pattern: re.Pattern[str]
    build: Builder


def _rule(name: str, pattern: str, build: Builder) -> Rule:
    return Rule(name, re.compile(pattern, re.I), build)


def _targeted(action: Action) -> Builder:
    def build(match: re.Match[str]) -> Intent | None:
        target = parse_target(match.group("target"))
        return Intent(action, target=target)

    return build


def _add(match: re.Match[str]) -> Intent | None:
    body = match.group("body")
    tasks = parse_new_tasks(body)
    return Intent(Action.ADD, new_tasks=tasks) if tasks else None


_LISTY_RE = re.compile(
    r"\b(?:tasks?|todos?|to-dos?|to\s+dos?|items?|list|reminders?|agenda|plate|everything|all|pending|left"
    r"|remaining|open|outstanding|unfinished|incomplete|completed|complete|finished|done|overdue|due|today"
    r"|tonight|tomorrow|this\s+week|tagged|tags?|priority|urgent|important|next|upcoming|status|progress)\b|#\w",
    re.I,
)


def _list(match: re.Match[str]) -> Intent | None:
    text = match.string
    if not _LISTY_RE.search(text) and not re.fullmatch(r"(?:show|list|view|display)(?:\s+(?:me|all|them))?", text, re.I):
        return None  # "tell me a joke" is not a request for the list.
    return Intent(Action.LIST, filter=parse_filter(text))


def _list_any(match: re.Match[str]) -> Intent | None:
    found = parse_filter(match.string)
    if found.status == "all" and re.search(r"\b(?:should|must|need|have\s+to|got\s+to|next|now)\b", match.string, re.I):
        found.status = "pending"
    return Intent(Action.LIST, filter=found)


def _list_pending(match: re.Match[str]) -> Intent | None:
    intent = _list(match)
    if intent and intent.filter.status == "all" and not re.search(r"\b(?:all|everything)\b", match.string, re.I):
        intent.filter.status = "pending"
    return intent


def _count(match: re.Match[str]) -> Intent | None:
    return Intent(Action.LIST, filter=parse_filter(match.string), count=True)


def _search(match: re.Match[str]) -> Intent | None:
    found = parse_filter(match.string)
    query = clean_name(_QUERY_NOISE_RE.sub(" ", match.group("q")))
    query = re.sub(r"\s+", " ", query).strip(" ?.,")
    if not found.query and query and not (found.tag or found.priority or found.due):
        found.query = query
    return Intent(Action.LIST, filter=found)


def _rename(match: re.Match[str]) -> Intent | None:
    title = clean_title(slots.strip_quotes(match.group("value")))
    if not title:
        return None
    return Intent(Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(title=title))


_FIELD_ALIASES = {
    "title": "title",
    "name": "title",
    "text": "title",
    "wording": "title",
    "description": "description",
    "desc": "description",
    "details": "description",
    "detail": "description",
    "notes": "description",
    "note": "description",
    "priority": "priority",
    "prio": "priority",
    "importance": "priority",
    "due": "due",
    "due date": "due",
    "deadline": "due",
    "date": "due",
    "due time": "due",
    "tags": "tags",
    "tag": "tags",
    "labels": "tags",
    "label": "tags",
}
_FIELD = r"(?P<field>title|name|text|wording|description|desc|details?|notes?|priority|prio|importance|due\s+date|due\s+time|due|deadline|date|tags?|labels?)"


def _field_change(field_name: str, value: str) -> Changes | None:
    """A Changes setting one named field ("priority" -> "high")."""
    which = _FIELD_ALIASES.get(re.sub(r"\s+", " ", field_name.lower()))
    value = slots.strip_quotes(value)
    if which == "title":
        return Changes(title=clean_title(value)) if value else None
    if which == "description":
        return Changes(description=value)
    if which == "priority":
        word = re.sub(r"[\s-]*(?:priority|prio)$", "", value.strip(), flags=re.I)
        priority = slots.priority_word(word)
        return Changes(priority=priority) if priority else None
    if which == "due":
        if re.fullmatch(r"(?:none|nothing|no\s+date|no\s+due\s+date|empty|blank|never)", value, re.I):
            return Changes(due="")
        return Changes(due=slots.due_only(value) or slots.normalize_due(value))
    if which == "tags":
        return Changes(tags=slots.split_tags(value))
    return None


def _set_field(match: re.Match[str]) -> Intent | None:
    changes = _field_change(match.group("field"), match.group("value"))
    if changes is None:
        return None
    return Intent(Action.UPDATE, target=parse_target(match.group("target")), changes=changes)


def _generic_change(match: re.Match[str]) -> Intent | None:
    """ "change task 1 to X": X is a priority, a due date, or else the new title."""
    value = slots.strip_quotes(match.group("value"))
    target = parse_target(match.group("target"))
    quoted = bool(re.match(r"^\s*[\"'“‘]", match.group("value")))
    changes = Changes()
    priority, rest = slots.take_priority(value)
    if not quoted and priority and not rest.strip(" ,."):
        changes.priority = priority
    elif not quoted and (due := slots.due_only(value)):
        changes.due = due
    else:
        changes.title = clean_title(value)
    return Intent(Action.UPDATE, target=target, changes=changes)


def _priority_change(match: re.Match[str]) -> Intent | None:
    priority = slots.priority_word(match.group("p"))
    if priority is None:
        return None
    return Intent(Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(priority=priority))


def _relative_priority(match: re.Match[str]) -> Intent | None:
    up = match.group("dir").lower() in ("raise", "increase", "bump", "bump up", "boost", "up", "escalate", "prioritize", "prioritise")
    return Intent(
        Action.UPDATE,
        target=parse_target(match.group("target")),
        changes=Changes(priority="high" if up else "low"),
    )


def _due_change(match: re.Match[str]) -> Intent | None:
    due = slots.due_only(match.group("due"))
    if due is None:
        return None
    return Intent(Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(due=due))


def _clear_due(match: re.Match[str]) -> Intent | None:
    return Intent(Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(due=""))


def _add_tags(match: re.Match[str]) -> Intent | None:
    tags = slots.split_tags(match.group("tags"))
    if not tags:
        return None
    return Intent(Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(add_tags=tags))


def _remove_tags(match: re.Match[str]) -> Intent | None:
    tags = slots.split_tags(match.group("tags"))
    if not tags:
        return None
    return Intent(Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(remove_tags=tags))


def _describe(match: re.Match[str]) -> Intent | None:
    text = slots.strip_quotes(match.group("value"))
    if not text:
        return None
    return Intent(Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(description=text))


def _simple(action: Action) -> Builder:
    return lambda match: Intent(action)


def _select(match: re.Match[str]) -> Intent | None:
    return Intent(Action.SELECT, target=parse_target(match.group("target")))


def _affirm(match: re.Match[str]) -> Intent | None:
    return Intent(Action.SELECT, affirm=True)


_TASK_WORD = r"(?:tasks?|todos?|to-dos?|to\s+dos?|items?|things?|list|reminders?|stuff|agenda|plate)"
_T = r"(?P<target>.+?)"
_MARK = r"(?:mark(?:ed)?|set|flag|make|put)"
_DONE = r"(?:done|complete|completed|finished|checked(?:\s+off)?|ticked(?:\s+off)?|resolved|closed|accomplished)"
_NOT_DONE = r"(?:not\s+(?:yet\s+)?(?:done|complete|completed|finished)|undone|incomplete|uncompleted|unfinished|pending|open|active|to\s*do|unchecked|outstanding)"
_PRIO = r"(?P<p>high(?:er|est)?|top|urgent|important|critical|medium|normal|low(?:er|est)?|minor|p[123])"

# Order matters: the first rule that matches wins, so specific phrasings ("add a tag to task 3",
# "remove the due date") come before the general verbs ("add …", "remove …").
RULES: list[Rule] = [
    # Small talk and help.
    _rule("help", r"^(?:help|\?+|what\s+can\s+(?:you|i)\s+(?:do|say|ask)|how\s+(?:does\s+this|do\s+(?:i|you)\s+(?:use\s+(?:this|you)|work))|commands|options|menu|instructions|usage|how\s+to\s+use(?:\s+this)?|what\s+do\s+you\s+do|who\s+are\s+you|what\s+are\s+you)(?:\s+work)?$", _simple(Action.HELP)),
    _rule("thanks", r"^(?:thanks?(?:\s+(?:you|a\s+lot|so\s+much|again|mate|buddy))*|thx|ty|cheers|much\s+appreciated|appreciate\s+it|great|awesome|perfect|cool|nice|good\s+job|well\s+done|brilliant|excellent|got\s+it|understood|sounds\s+good|ok(?:ay)?|k|alright|fine|sweet|lovely|wonderful|amazing)(?:\s+(?:thanks?|thank\s+you))?$", _simple(Action.THANKS)),
    _rule("greet", r"^(?:hi+|hello+|hey+|hiya|howdy|yo|sup|hola|greetings|good\s+(?:morning|afternoon|evening|day)|morning|evening|how\s+are\s+you(?:\s+doing)?|how'?s\s+it\s+going|what'?s\s+up)(?:\s+(?:there|you|todochat|bot))?$", _simple(Action.GREET)),
    _rule("bye", r"^(?:bye|goodbye|see\s+(?:you|ya)|good\s*night|later|cya)\b.*$", _simple(Action.THANKS)),
    _rule("cancel", r"^(?:never\s*mind|nevermind|nvm|forget\s+(?:it|that|about\s+it)|cancel(?:\s+that)?|no+|nope|nah|stop|abort|don'?t(?:\s+bother)?|none(?:\s+of\s+them)?|neither(?:\s+(?:one|of\s+them))?|no\s+thanks)$", _simple(Action.CANCEL)),
    _rule("affirm", r"^(?:yes+|yeah|yep|yup|ya|sure|correct|right|exactly|that'?s\s+(?:it|right|the\s+one|correct)|do\s+it|go\s+ahead|confirm(?:ed)?|please\s+do|y)$", _affirm),
    # Questions about the list come before "… done" so "what have I completed?" lists.
    _rule("count", r"^(?:how\s+many|count|number\s+of|what'?s\s+the\s+(?:count|number|total))\b.*$", _count),
    _rule("search-any", r"^(?:do\s+i\s+have\s+|is\s+there\s+|are\s+there\s+|have\s+i\s+got\s+|got\s+)?(?:any|anything|something)\s*(?:tasks?|todos?|items?|things?|reminders?)?\s+(?:about|regarding|related\s+to|for|on|with|mentioning|involving|concerning|to\s+do\s+with|that\s+mentions?|called|named)\s+(?P<q>.+)$", _search),
    _rule("whats-pending", r"^(?:what(?:'s|\s+is|\s+are|'re|s)?|which|whats)\s+(?:(?:are|is)\s+)?(?:still\s+)?(?:left|pending|remaining|open|outstanding|unfinished|incomplete|not\s+done|undone|on\s+(?:my\s+)?(?:plate|agenda)|next|up|to\s+do|due|overdue|late|urgent|important|high|low|completed|done|finished|tagged|on\s+(?:my|the)\s+list|in\s+my\s+list|my|the|all|in|on|there)\b.*$", _list),
    _rule("what-do-i-have", r"^(?:what|which|anything)\s+(?:else\s+)?(?:do|did|have|should|must|shall)\s+i\b.*$", _list_any),
    _rule("anything-due", r"^(?:anything|is\s+anything|is\s+there\s+anything|do\s+i\s+have\s+anything|any\s+tasks?|got\s+anything|something)\s+(?:due|overdue|late|pending|left|urgent|scheduled|for\s+today|today|tomorrow|this\s+week|tagged|with|high|open)\b.*$", _list),
    _rule("am-i-done", r"^(?:am\s+i|are\s+we)\s+(?:done|finished|all\s+done|free)\b.*$", lambda m: Intent(Action.LIST, filter=Filter(status="pending"))),
    # Updates with a named field.
    _rule("rename", r"^(?:rename|retitle|re-title|re-name)\s+" + _T + r"\s+(?:to|as|into|:)\s+(?P<value>.+)$", _rename),
    _rule("set-field-of", r"^(?:change|update|edit|modify|set|make|switch|alter|fix|replace)\s+(?:the\s+)?" + _FIELD + r"\s+(?:of|for|on|in)\s+" + _T + r"\s*(?:to|as|into|:|=|with|be)\s+(?P<value>.+)$", _set_field),
    _rule("set-field-possessive", r"^(?:change|update|edit|modify|set|make|switch|alter)\s+" + _T + r"(?:'s|s')?\s+" + _FIELD + r"\s*(?:to|as|into|:|=|be)\s+(?P<value>.+)$", _set_field),
    _rule("give-field", r"^(?:give|set)\s+" + _T + r"\s+(?:a|the)\s+(?:new\s+)?" + _FIELD + r"\s+(?:of\s+)?(?P<value>.+)$", _set_field),
    _rule("field-is", r"^(?:the\s+)?" + _FIELD + r"\s+(?:of|for)\s+" + _T + r"\s+(?:should\s+be|is|=|:)\s+(?P<value>.+)$", _set_field),
    _rule("clear-due", r"^(?:remove|clear|delete|drop|unset|erase|take\s+off|get\s+rid\s+of)\s+(?:the\s+)?(?:due\s*date|deadline|due)\s+(?:from|of|on|for)\s+" + _T + r"$", _clear_due),
    _rule("clear-due-2", r"^(?:make\s+)?" + _T + r"\s+(?:has\s+|should\s+have\s+|with\s+)?no\s+(?:due\s*date|deadline)(?:\s+anymore)?$", _clear_due),
    _rule("add-tags", r"^(?:add|put|attach|apply|give)\s+(?:the\s+)?(?:tags?|labels?)\s+(?P<tags>.+?)\s+(?:to|on|onto)\s+" + _T + r"$", _add_tags),
    _rule("add-hashtag", r"^(?:add|put|attach|apply)\s+(?P<tags>#[\w-]+(?:\s*(?:,|and|&)\s*#[\w-]+)*)\s+(?:to|on|onto)\s+" + _T + r"$", _add_tags),
    _rule("tag-as", r"^(?:tag|label)\s+" + _T + r"\s+(?:as|with|:)?\s*(?P<tags>#?[\w-]+(?:\s*(?:,|and|&)\s*#?[\w-]+)*)$", _add_tags),
    _rule("remove-tags", r"^(?:remove|delete|drop|take\s+off|take|strip|untag)\s+(?:the\s+)?(?:tags?|labels?)\s+(?P<tags>#?[\w-]+(?:\s*(?:,|and|&)\s*#?[\w-]+)*)\s+(?:from|off|on|of)\s+" + _T + r"$", _remove_tags),
    _rule("remove-hashtag", r"^(?:remove|delete|drop|take)\s+(?P<tags>#[\w-]+(?:\s*(?:,|and|&)\s*#[\w-]+)*)\s+(?:from|off)\s+" + _T + r"$", _remove_tags),
    _rule("describe", r"^(?:add|put|attach|write|set|give)\s+(?:a\s+|the\s+|an?\s+extra\s+)?(?:description|desc|note|notes|details?)\s+(?:to|on|for)\s+" + _T + r"\s*(?::|-|saying|that\s+says|reading|=)\s*(?P<value>.+)$", _describe),
    _rule("describe-2", r"^(?:add|put|attach|write|set|give)\s+(?:a\s+|the\s+)?(?:description|desc|note|notes|details?)\s*(?::|-|saying|that\s+says|reading|=)?\s*(?P<value>.+?)\s+(?:to|on|for)\s+" + _T + r"$", _describe),
    _rule("describe-3", r"^(?:describe)\s+" + _T + r"\s+(?:as|with|:)\s+(?P<value>.+)$", _describe),
    _rule("priority-relative", r"^(?P<dir>raise|increase|bump\s+up|bump|boost|escalate|prioriti[sz]e|lower|decrease|reduce|deprioriti[sz]e|drop)\s+(?:the\s+)?(?:priority\s+(?:of|for|on)\s+)?" + _T + r"(?:'s\s+priority|\s+priority)?(?:\s+(?:a\s+bit|please))?$", _relative_priority),
    _rule("mark-priority", r"^(?:" + _MARK + r"|change|update|switch|turn|give|bump|move)\s+" + _T + r"\s+(?:as\s+|to\s+|into\s+|a\s+|an\s+|to\s+a\s+|to\s+an\s+)?" + _PRIO + r"(?:[\s-]*(?:priority|prio|importance)(?:\s+(?:task|item|one))?)?$", _priority_change),
    _rule("is-priority", r"^" + _T + r"\s+(?:is|should\s+be|needs\s+to\s+be|must\s+be)\s+(?:a\s+|an\s+)?(?:very\s+)?" + _PRIO + r"(?:[\s-]*(?:priority|prio))?(?:\s+(?:now|task))?$", _priority_change),
    _rule("move-due", r"^(?:move|reschedule|re-schedule|push|postpone|delay|defer|shift|bump|change|set|put|schedule|make|update)\s+" + _T + r"\s+(?:back\s+|out\s+|forward\s+)?(?:to|until|till|for|due|by|on|to\s+be\s+due)\s+(?P<due>.+)$", _due_change),
    _rule("due-is", r"^" + _T + r"\s+(?:is|should\s+be|needs\s+to\s+be|must\s+be|will\s+be)\s+(?:now\s+)?(?P<due>due\s+.+)$", _due_change),
    _rule("make-due", r"^(?:make|set)\s+" + _T + r"\s+(?P<due>due\s+.+)$", _due_change),
    # Completing and reopening.
    _rule("mark-not-done", r"^(?:" + _MARK + r"|change|switch|turn)\s+" + _T + r"\s+(?:as\s+|to\s+|back\s+to\s+|back\s+as\s+)?" + _NOT_DONE + r"(?:\s+again)?$", _targeted(Action.REOPEN)),
    _rule("reopen", r"^(?:reopen|re-open|uncomplete|un-complete|uncheck|un-check|untick|unmark|restore|undo|revive|resume|unfinish|bring\s+back|open\s+up)\s+" + _T + r"(?:\s+again)?$", _targeted(Action.REOPEN)),
    _rule("not-done", r"^" + _T + r"\s+(?:is\s+not|was\s+not|isn'?t|wasn'?t|is\s+actually\s+not|is\s+still\s+not)\s+(?:yet\s+|really\s+)?(?:done|finished|complete|completed)(?:\s+yet|\s+after\s+all)?$", _targeted(Action.REOPEN)),
    _rule("mark-done", r"^(?:" + _MARK + r"|change|switch|turn|move)\s+" + _T + r"\s+(?:as\s+|to\s+|off\s+as\s+|into\s+)?" + _DONE + r"$", _targeted(Action.COMPLETE)),
    _rule("complete", r"^(?:complete|finish|check\s+off|check|tick\s+off|tick|cross\s+off|cross\s+out|close|resolve|done\s+with|finished\s+with|mark\s+off|knock\s+out|wrap\s+up|accomplish)\s+" + _T + r"(?:\s+(?:off|as\s+done))?$", _targeted(Action.COMPLETE)),
    _rule("i-did", r"^i(?:'ve|\s+have)?\s+(?:just\s+|already\s+|finally\s+)?(?:finished|completed|done|did|ticked\s+off|checked\s+off|crossed\s+off)\s+(?:with\s+)?" + _T + r"$", _targeted(Action.COMPLETE)),
    _rule("is-done", r"^" + _T + r"\s+(?:is|are|has\s+been|have\s+been|was|were)\s+(?:now\s+|all\s+|already\s+|finally\s+)?" + _DONE + r"$", _targeted(Action.COMPLETE)),
    _rule("done-x", r"^(?:done|finished|completed)\s*[:,-]?\s+" + _T + r"$", _targeted(Action.COMPLETE)),
    _rule("x-done", r"^" + _T + r"\s*[:,-]?\s+(?:done|finished|completed|complete|✓|✔|✅)$", _targeted(Action.COMPLETE)),
    # Adding: "remember"-style phrasings first, since "forget" also means delete.
    _rule("add-remind", r"^(?:(?:please\s+)?remind\s+me|don'?t\s+let\s+me\s+forget|do\s+not\s+let\s+me\s+forget|don'?t\s+forget|do\s+not\s+forget|make\s+sure\s+(?:i|that\s+i)(?:\s+remember)?|help\s+me\s+remember|i\s+(?:need|have|want)\s+to\s+remember|(?:i\s+)?(?:must|should|gotta|got\s+to)\s+remember|remember|note\s+to\s+self|reminder|new\s+reminder|set\s+(?:a|up\s+a)\s+reminder|create\s+(?:a\s+)?reminder)\b\s*(?:that\s+)?(?:i\s+(?:need|have|want)\s+to\s+|i\s+should\s+)?[:,-]?\s*(?P<body>.+)$", _add),
    _rule("add", r"^(?:add|create|insert|new|put|jot\s+down|jot|note\s+down|write\s+down|save|enter|log|pop|stick|throw)\b\s*[:,-]?\s*(?P<body>.+)$", _add),
    # "make/schedule/set up" are task verbs themselves ("schedule a call"), unless a task follows.
    _rule("add-make", r"^(?:make|schedule|set\s+up|set|start|open)\s+(?P<body>(?:a|an|another|one\s+more)?\s*(?:new\s+)?(?:task|todo|to-do|reminder|item|entry)\b.+)$", _add),
    _rule("add-todo-prefix", r"^(?:todo|to-do|to\s+do|task|new\s+task|new\s+todo|reminder)\s*[:-]\s*(?P<body>.+)$", _add),
    # Deleting.
    _rule("delete", r"^(?:delete|remove|drop|erase|trash|scrap|discard|ditch|nuke|get\s+rid\s+of|cancel|forget(?:\s+about)?|clear(?:\s+out)?|wipe(?:\s+out)?|purge|throw\s+(?:away|out)|bin|take\s+off|take\s+out|strike(?:\s+off)?|cross\s+out|kill|eliminate|axe|toss|dump|rm|del|destroy)\s+" + _T + r"(?:\s+(?:from|off)\s+(?:my\s+|the\s+)?(?:\w+\s+)?(?:list|tasks|todos))?(?:\s+(?:please|completely|permanently))?$", _targeted(Action.DELETE)),
    _rule("dont-need", r"^(?:i\s+)?(?:don'?t|do\s+not|no\s+longer)\s+(?:need|have|want)\s+to\s+" + _T + r"(?:\s+any\s*more)?$", _targeted(Action.DELETE)),
    _rule("not-needed", r"^" + _T + r"\s+(?:is|are)\s+(?:no\s+longer\s+needed|not\s+needed(?:\s+any\s*more)?|cancel(?:l)?ed|obsolete|irrelevant)$", _targeted(Action.DELETE)),
    # Renames without a field ("change task 1 to 'Call mom tonight'").
    _rule("change-to", r"^(?:change|update|edit|modify|rename|set|switch|replace|make|turn|correct|fix|reword|rewrite)\s+" + _T + r"\s+(?:to|into|as|so\s+it\s+says|to\s+say|to\s+read|with|:|=)\s+(?P<value>.+)$", _generic_change),
    # Counting, listing, searching.
    _rule("search", r"^(?:search|find|look\s+up|look\s+for|lookup|grep|filter|where'?s|where\s+is)\s+(?:for\s+|me\s+)?(?:my\s+|the\s+)?(?:tasks?\s+|todos?\s+)?(?:for\s+|about\s+|with\s+|named\s+|called\s+|matching\s+)?(?P<q>.+)$", _search),
    _rule("list-verb", r"^(?:show|list|display|view|see|get|give|tell|print|read|pull\s+up|bring\s+up|check|open|let\s+me\s+see|can\s+i\s+see|what\s+about)\b.*$", _list),
    _rule("tasks-noun", r"^(?:(?:my|all|all\s+my|the|any|pending|open|completed|finished|done|overdue|urgent|high[\s-]priority|low[\s-]priority|remaining|outstanding|current|today'?s)\s+)*(?:tasks?|todos?|to-dos?|to\s+dos?|todo\s+list|to-do\s+list|list|items|reminders|agenda)(?:\s+(?:list|please|for\s+today|today|tagged\s+.+|with\s+.+|about\s+.+|due\s+.+|sorted\s+.+|by\s+.+))?$", _list),
    _rule("status-word", r"^(?:pending|completed|done|finished|overdue|open|outstanding|remaining|urgent|due\s+today|today|this\s+week|high\s+priority|low\s+priority|#[\w-]+)(?:\s+(?:ones|tasks?|items|todos))?$", _list),
    # "I need to pay bills": a duty is a task to add (checked after the specific phrasings).
    _rule("add-need", r"^(?:i\s+)?(?:really\s+|still\s+|also\s+|definitely\s+)?(?:(?:need|have|got|ought|'ve\s+got|has)\s+to|gotta|must|should)\s+(?P<body>.+)$", _add),
    # Answers to "which one?".
    _rule("select-ordinal", r"^(?:(?:i\s+mean|i\s+meant|meant|it'?s|its|it\s+is|the\s+answer\s+is|go\s+with|pick|choose|select|use|take|how\s+about|what\s+about)\s+)?(?P<target>(?:the\s+)?(?:(?:first|last|top|bottom)\s+(?:two|three|four|five|[2-5])|" + _ORDINAL_WORD + r"|#?\s*\d+|task\s*#?\s*\d+|number\s+\d+|both|all\s+of\s+them|that\s+one|this\s+one)(?:\s+one)?(?:\s*(?:,|and|&)\s*(?:the\s+)?(?:" + _ORDINAL_WORD + r"|#?\s*\d+)(?:\s+one)?)*)$", _select),
    _rule("select-named", r"^(?:i\s+mean(?:t)?|meant|the\s+one\s+(?:about|for|called|with|named|that\s+says)|the\s+one)\s+(?P<target>.+)$", _select),
]


def _is_meta_request(body: str) -> bool:
    """ "I need to see my tasks" is a request to the assistant, not a duty."""
    return bool(re.match(r"^(?:see|view|show|list|check|know|look\s+at|review)\s+(?:all\s+)?(?:my|the|what)\b", body, re.I))


_SPLIT_VERB_RE = re.compile(
    r"^(?:buy|get|call|email|e-mail|text|pay|book|clean|fix|finish|write|send|pick\s+up|drop\s+off|read|cook|make|walk|feed|water|wash|do|go|visit|check|return|order|schedule|renew|cancel|submit|prepare|plan|review|update|print|post|mail|ring|phone|meet|see|take|bring|sign|file|study|practice|practise|learn|watch|clear|organize|organise|tidy|mow|vacuum|iron|bake|repair|replace|install|charge|backup|back\s+up|ask|tell|reply|respond|follow\s+up|finish|start|grab|collect|fetch|hoover|sort|change)\b",
    re.I,
)


def _split_items(body: str) -> list[str]:
    """Split "milk, eggs and bread" or "buy milk and call mom" into separate tasks."""
    parts = [p.strip() for p in re.split(r"\s*(?:,|;|\band\s+also\b|\balso\b|\bplus\b|\bas\s+well\s+as\b)\s*(?:and\s+)?", body) if p.strip()]
    if len(parts) > 1:
        # "milk, eggs and bread": the last comma part may still hold an "and".
        last = re.split(r"\s+and\s+", parts[-1])
        parts = parts[:-1] + last
        if all(len(p.split()) <= 4 for p in parts):
            return parts
        return [body]
    halves = re.split(r"\s+and\s+(?:then\s+)?", body)
    if len(halves) == 2:
        left, right = halves
        both_verbs = _SPLIT_VERB_RE.match(left) and _SPLIT_VERB_RE.match(right)
        both_nouns = len(left.split()) <= 2 and len(right.split()) <= 2 and not _SPLIT_VERB_RE.match(left)
        if both_verbs or both_nouns:
            return [left, right]
    return [body]


_ADD_NOISE_RE = re.compile(
    r"^(?:(?:a|an|the|one|another|new|some|more|extra)\s+)*(?:(?:new\s+)?(?:tasks?|todos?|to-dos?|to\s+dos?|items?|reminders?|entry|entries|things?|notes?|chores?)\b\s*(?:to\s+|:|-|called|named|titled|that\s+says|saying|for|about|which\s+is|,)?\s*)?"
    r"|^(?:to|on|onto|in|into)\s+(?:my|the)\s+(?:\w+\s+)?(?:list|tasks|todos|todo\s+list)\s*(?::|-|,)?\s*",
    re.I,
)
_LIST_SUFFIX_RE = re.compile(
    r"\s+(?:to|on|onto|in|into)\s+(?:my|the)\s+(?:(?:todo|to-do|to\s+do|task|shopping|grocery|groceries|work|home)\s+)?(?:list|tasks|todos|todo\s+list|to-do\s+list|reminders)\b",
    re.I,
)


def parse_new_tasks(body: str) -> list[Changes]:
    """Turn the body of an add request into one or more tasks with their attributes."""
    if _is_meta_request(body):
        return []
    shared_tags: list[str] = []
    if suffix := _LIST_SUFFIX_RE.search(body):
        kind = re.search(r"(shopping|grocery|groceries|work|home)", suffix.group(0), re.I)
        if kind:
            shared_tags.append("shopping" if kind.group(1).lower().startswith("grocer") else kind.group(1).lower())
        body = body[: suffix.start()] + body[suffix.end() :]
    body = _ADD_NOISE_RE.sub("", body.strip(), count=1).strip()
    quoted, rest = slots.take_quoted(body)
    if quoted:
        attrs, _ = slots.take_attributes(rest)
        return [_new_task(quoted, attrs, shared_tags)]
    attrs, title_text = slots.take_attributes(body)
    items = _split_items(title_text.strip(" ,"))
    tasks = [_new_task(item, attrs, shared_tags) for item in items]
    return [t for t in tasks if t.title]


def _new_task(title: str, attrs: slots.Attributes, shared_tags: list[str]) -> Changes:
    tags = list(dict.fromkeys([*attrs.tags, *shared_tags]))
    return Changes(
        title=clean_title(title),
        description=attrs.description,
        priority=attrs.priority,
        tags=tags or None,
        due=attrs.due,
    )


_SMALL_TALK = frozenset({"help", "thanks", "greet", "bye", "cancel", "affirm"})


def _light(message: str) -> str:
    """The message with only outer punctuation and emoji removed, for small talk."""
    text = re.sub(r"\s+", " ", message.replace("’", "'")).strip()
    return re.sub(r"^[^\w?#]+|[^\w?#)]+$", "", text).strip()


def understand(message: str) -> Intent:
    """Read one user message into an intent (UNKNOWN when no rule fits)."""
    light = _light(message)
    for rule in RULES:
        if rule.name in _SMALL_TALK and rule.pattern.match(light):
            intent = rule.build(rule.pattern.match(light))  # type: ignore[arg-type]
            if intent is not None:
                return intent
    text = normalize(message)
    if not text:
        if re.search(r"\b(?:hi|hello|hey|morning|evening)\b", light, re.I):
            return Intent(Action.GREET)
        if light:
            return Intent(Action.THANKS)  # only politeness words: "ok thanks!", "great, cool"
        return Intent(Action.UNKNOWN)
    for rule in RULES:
        match = rule.pattern.match(text)
        if not match:
            continue
        intent = rule.build(match)
        if intent is None:
            continue
        if intent.action in TARGETED and intent.target.empty:
            continue
        if rule.name == "add-need" and re.match(
            r"^(?:add|create|delete|remove|mark|complete|rename|change|update|list|show|see|view)\b",
            match.group("body"),
            re.I,
        ):
            return understand(match.group("body"))  # "I need to delete task 3": a request after all
        return intent
    return Intent(Action.UNKNOWN)
