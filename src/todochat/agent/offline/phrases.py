"""Reading the parts of a request: which tasks it points at, list filters, new tasks."""

from __future__ import annotations

import re

from . import slots
from .intent import Changes, Filter, Target
from .repeats import REPEATING_ADJECTIVES, anchored, read_recurrence, take_recurrence


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
ORDINAL_WORD = (
    r"(?:second(?:\s+to)?\s+last|penultimate|first|second|third|fourth|fifth|sixth|seventh|eighth"
    r"|ninth|tenth|\d+(?:st|nd|rd|th)|last|final|top|bottom)"
)
ID_RE = re.compile(
    r"(?:\b(?:tasks?|todos?|items?|numbers?|no\.?|nr\.?|ids?)\s*#?\s*|#\s*)(\d+)\b"
    r"((?:\s*(?:,|and|&|or)\s*#?\s*\d+\b)*)",
    re.I,
)
_NUMBER_WORDS = {
    w: i + 1 for i, w in enumerate("one two three four five six seven eight nine ten".split())
}
_WORD_NUMBER_RE = re.compile(
    r"^(?:the\s+)?(?:(?:task|todo|item|entry)\s+(?:number\s+|no\.?\s*)?|number\s+|no\.\s*)"
    r"(?P<n>one|two|three|four|five|six|seven|eight|nine|ten)(?:\s+(?:one|task|item|on\s+the\s+list))?$",
    re.I,
)
_BARE_IDS_RE = re.compile(r"^#?\s*(\d+)((?:\s*(?:,|and|&)\s*#?\s*\d+)*)$")
_SPAN_RE = re.compile(
    r"\b(?:the\s+)?(?P<which>first|last|top|bottom)\s+(?P<n>two|three|four|five|[2-5])\b", re.I
)
_ORDINAL_RE = re.compile(
    r"\b(?:the\s+)?(?P<o>" + ORDINAL_WORD + r")(?:\s+(?:one|task|item|todo|entry))?\b", re.I
)
_PRONOUN_RE = re.compile(
    r"^(?:it|that|this|that\s+one|this\s+one|that\s+task|this\s+task|the\s+task|the\s+same(?:\s+one)?"
    r"|the\s+(?:new|latest|newest)\s+(?:one|task|todo)|the\s+(?:one|task|todo)"
    r"|the\s+(?:last\s+)?(?:one|task|todo)\s+(?:you|i)\s+(?:just\s+)?(?:added|made|created|mentioned|showed|changed)"
    r"|(?:the\s+)?(?:same|above)(?:\s+one)?)$",
    re.I,
)
_EVERY_SHOWN_RE = re.compile(
    r"^(?:both(?:\s+of\s+(?:them|those|these))?|all\s+of\s+(?:them|those|these)"
    r"|all\s+(?:those|these|three|four|five)|them(?:\s+all)?|(?:the\s+)?two\s+of\s+them"
    r"|(?:these|those)(?:\s+(?:two|three|four|five|ones|tasks))?|them\s+both|all\s+the\s+above"
    r"|each\s+of\s+(?:them|those|these)|every\s+one\s+of\s+(?:them|those|these))$",
    re.I,
)
_GROUP_RE = re.compile(
    r"^(?:all|every|each|everything|everything\s+else|all\s+of|any)\b(?:\s+(?:of\s+)?(?:the|my))?\s*(?P<rest>.*)$",
    re.I,
)
_ONE_WORD_GROUP_RE = re.compile(
    r"[a-z][\w-]*\s+(?:tasks|todos|to-dos|items|ones|things|stuff)", re.I
)
_NAME_NOISE_RE = re.compile(
    r"^(?:the|my|a|an|that|this|those|these|our)\s+|\s+(?:task|todo|to-do|item|entry|one|reminder|thing|stuff|bit)s?$"
    r"|^(?:task|todo|item|one)\s+(?:about|for|called|named|titled|to|that\s+says|saying|with)\s+"
    r"|^(?:about|for|called|named|titled|regarding|re:?)\s+|\s+(?:from|on|off|in)\s+(?:my|the)\s+(?:\w+\s+)?(?:list|tasks|todos)$"
    r"|\s+(?:from|off)\s+(?:my\s+)?(?:list|tasks)$"
    r"|(?:'s|s')?\s+(?:deadline|due\s+date|due\s+time|date)$",  # "push the report deadline"
    re.I,
)


def id_numbers(first: str, more: str) -> list[int]:
    """ "3" and ", 4 and 5" -> [3, 4, 5]."""
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
        target.ids = id_numbers(match.group(1), match.group(2))
        target.bare = "#" not in text
        return target
    if match := ID_RE.search(text):
        target.ids = id_numbers(match.group(1), match.group(2))
        return target
    if match := _WORD_NUMBER_RE.match(text):
        # "number two", "item number five": a number spelt out is a place in the list shown.
        target.positions = [_NUMBER_WORDS[match.group("n").lower()]]
        return target
    if _PRONOUN_RE.match(text):
        target.pronoun = True
        return target
    if _EVERY_SHOWN_RE.match(text):
        target.every_shown = True
        target.shown_count = 2 if re.search(r"\b(?:both|two)\b", text, re.I) else None
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
        if not rest or re.fullmatch(
            r"(?:my\s+)?(?:tasks?|todos?|items?|things?|of\s+them)", rest, re.I
        ):
            target.group = group
            return target
        if group.narrowed:
            target.group = group
            return target
        # "all shopping tasks": a tag, or else words to search for (the planner tries both).
        one_word = _ONE_WORD_GROUP_RE.fullmatch(match.group("rest").strip())
        if one_word and rest.lower() not in _NOT_TAGS:
            target.group = Filter(status="all", tag=rest.lower(), guessed_tag=True)
            return target
        # "all the milk tasks" -> every task whose title matches "milk".
        target.group = Filter(status="all", query=rest)
        return target
    if (phrase := group_phrase(text)) is not None:
        target.group = phrase
        return target
    name = clean_name(text)
    if name and not re.fullmatch(r"(?:task|todo|item|one|it|as|off|up|out|it\s+as)s?", name, re.I):
        target.name = name
        parts = [
            clean_name(p) for p in re.split(r"\s*(?:,|\band\b|&|\bplus\b)\s*", text) if p.strip()
        ]
        if len(parts) > 1 and all(parts):
            target.names = parts
    return target


_DONE_GROUP_RES = [
    # "the finished stuff", "done ones", "completed": a status is never a task's name.
    re.compile(
        r"(?:the\s+|my\s+|all\s+)?(?:completed|finished|done|checked(?:\s+off)?|ticked(?:\s+off)?)"
        r"(?:\s+(?:tasks?|todos?|to-dos?|ones|items|stuff|things|bits))?",
        re.I,
    ),
    # "everything I've finished", "the ones that are done", "all the tasks I have completed".
    re.compile(
        r"(?:everything|anything|all(?:\s+(?:of\s+)?(?:the|my))?(?:\s+(?:tasks?|todos?|ones|items|things))?"
        r"|(?:the|my|those)\s+(?:tasks?|todos?|ones|items|things))"
        r"\s+(?:that\s+|which\s+)?(?:i'?ve|i\s+have|i\s+had|i|are|is|were|'?s|that'?s|i'?m)\s+"
        r"(?:already\s+|all\s+|now\s+|been\s+)?(?:finished|completed|done|ticked\s+off"
        r"|checked\s+off|crossed\s+off)(?:\s+with)?",
        re.I,
    ),
]


def group_phrase(text: str) -> Filter | None:
    """Group phrases without a filter word list: "completed tasks", "everything I've finished"."""
    if any(pattern.fullmatch(text) for pattern in _DONE_GROUP_RES):
        return Filter(status="completed")
    # "clear my list": the whole list.
    if re.fullmatch(
        r"(?:my|the)\s+(?:whole\s+|entire\s+)?(?:todo\s+|to-do\s+|task\s+)?list", text, re.I
    ):
        return Filter(status="all")
    return None


# --- list filters ------------------------------------------------------------------------------

_COMPLETED_WORDS = re.compile(
    r"\b(?:completed|complete|finished|done|ticked|checked\s+off|accomplished|achieved|closed|crossed\s+off"
    r"|finali[sz]ed|wrapped\s+up|knocked\s+off|got\s+through"
    r"|(?:did|have)\s+i\s+(?:already\s+)?(?:finish|complete|do|get\s+done|tick\s+off|check\s+off"
    r"|finali[sz]e|wrap\s+up))\b",
    re.I,
)
_PENDING_WORDS = re.compile(
    r"\b(?:pending|left|remaining|open|outstanding|incomplete|unfinished|not\s+(?:yet\s+)?done|not\s+finished"
    r"|not\s+completed|undone|uncompleted|active|still|to\s+do|todo(?=\?|$)|need\s+to\s+do|upcoming|current|next)\b",
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
_TAG_FILTER_RES = [
    re.compile(r"(?:^|(?<=\s))#(?P<tag>[A-Za-z_][\w-]*)"),
    re.compile(
        r"\b(?:tagged(?:\s+(?:as|with))?|with\s+(?:the\s+)?tag|tag(?:ged)?\s*:|labell?ed|under\s+(?:the\s+)?tag)\s+#?(?P<tag>[\w-]+)",
        re.I,
    ),
    re.compile(r"\b(?P<tag>[a-z][\w-]*)\s+tag(?:ged)?\b", re.I),
]
# "my shopping tasks": a word before "tasks" that is no status or priority is probably a tag.
_MODIFIER_RE = re.compile(
    r"\b(?:my|the|all|any|show|list|see|view)\s+(?:(?:all|my|the)\s+)?(?P<word>[a-z][\w-]*)\s+(?:tasks|todos|to-dos|items|stuff|things|list)\b",
    re.I,
)
_NOT_TAGS = frozenset(
    "all my the any open pending completed complete finished done overdue urgent important high low"
    " medium remaining outstanding current active old new todo to-do other incomplete unfinished"
    " recent due this next"
    " today's tomorrow's priority top me us them your our his her those these some many few".split()
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
    r"\b(?:sort(?:ed)?|order(?:ed)?|by)\s+(?:by\s+)?(?P<s>due(?:\s+date)?|deadline|priority|importance|title|name|alphabetical(?:ly)?|date\s+created|creation|newest|oldest)"
    r"|\b(?P<alpha>alphabetical(?:ly)?|a\s*(?:-|to)\s*z)\b"
    r"|\b(?P<prio>(?:most|more)\s+(?:important|urgent|pressing)|highest[\s-]+priority|top[\s-]+priority)"
    r"(?:\s+(?:ones?|tasks?|items?|things?))?\s+(?:first|on\s+top|at\s+the\s+top)\b"
    r"|\b(?P<soon>soonest|earliest(?:\s+(?:due|deadline))?|(?:due|deadline)\s+(?:first|soonest)"
    r"|(?:nearest|closest|next)\s+deadlines?(?:\s+first)?)\b",
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
QUERY_NOISE_RE = re.compile(
    r"\b(?:tasks?|todos?|to-dos?|items?|things?|stuff|anything|something|any|the|my|on\s+my\s+list|in\s+my\s+list|list)\b",
    re.I,
)


# Where the words of list requests are spelt out, for putting misspellings right.
VOCABULARY_PATTERNS = [
    _COMPLETED_WORDS,
    _PENDING_WORDS,
    _PRIORITY_FILTER_RE,
    _DUE_FILTER_RE,
    _SORT_RE,
    slots.DUE_RE,
]


def parse_filter(text: str, *, default_status: str = "all") -> Filter:
    """Read list filters (status, search words, tag, priority, due, sort) from a request."""
    found = Filter(status=default_status)
    if match := _SORT_RE.search(text):
        if match.group("s"):
            word = match.group("s").split()[0].lower()
            found.sort = "title" if word.startswith("alphabet") else _SORT_WORDS.get(word)
        else:
            found.sort = (
                "title" if match.group("alpha") else "priority" if match.group("prio") else "due"
            )
        text = text[: match.start()] + text[match.end() :]
    query_match = _QUERY_RE.search(text) or _SEARCH_RE.match(text)
    if query_match:
        query = clean_name(QUERY_NOISE_RE.sub(" ", query_match.group("q")))
        query = re.sub(r"\s+", " ", query).strip(" ?.,")
        text = text[: query_match.start("q")]
        if query:
            found.query = query
    for pattern in _TAG_FILTER_RES:
        if (match := pattern.search(text)) and match.group("tag").lower() not in _NOT_TAGS | {
            "a",
            "list",
        }:
            found.tag = match.group("tag").lower()
            break
    else:
        if (match := _MODIFIER_RE.search(text)) and match.group("word").lower() not in _NOT_TAGS:
            found.tag = match.group("word").lower()
            found.guessed_tag = True
    if match := _PRIORITY_FILTER_RE.search(text):
        found.priority = slots.priority_word(match.group("p") or match.group("n"))
    if match := _DUE_FILTER_RE.search(text):
        found.due = (
            "overdue" if match.group("overdue") else "today" if match.group("today") else "week"
        )
        if re.search(r"\bday\s+after\s+tomorrow\b", text, re.I):
            found.day = 2  # the tools know "week"; the day is picked out of it here
        elif re.search(r"\btomorrow\b", match.group(0), re.I):
            found.tomorrow = True  # the tools know "week"; the day is picked out of it here
        found.status = "pending"  # what is due is what is left to do
    negated = re.search(
        r"(?:\bnot|n't|\bnever|\byet\s+to)\s+(?:yet\s+|been\s+|really\s+)?(?:done|completed?|finished|do|finish|get\s+to)\b",
        text,
        re.I,
    )
    if _COMPLETED_WORDS.search(text) and not negated:
        found.status = "completed"
    elif negated or _PENDING_WORDS.search(text):
        found.status = "pending"
    elif _ALL_WORDS.search(text):
        found.status = "all"
    if found.status == "completed" and found.due and not re.search(r"\bdue\b", text, re.I):
        # "what did I finish this week?": when it was done, which no filter knows; not a due date
        found.due, found.tomorrow, found.day = None, False, None
    return found


def is_meta_request(body: str) -> bool:
    """ "I need to see my tasks" is a request to the assistant, not a duty."""
    return bool(
        re.match(
            r"^(?:see|view|show|list|check|know|look\s+at|review)\s+(?:all\s+)?(?:what\b|(?:my|the)\s+"
            r"(?:(?:whole|entire|full|current|pending|open|completed|done)\s+)?(?:tasks?|todos?|to-dos?|list|agenda"
            r"|todo\s+list|to-do\s+list|items|progress|status)\b)",
            body,
            re.I,
        )
    )


# Verbs a task starts with ("buy milk", "call mom"): one table; the pattern is made from it.
TASK_VERBS = frozenset(
    """buy get call email e-mail text pay book clean fix finish write send pick drop read cook make
    walk feed water wash do go visit check return order schedule renew cancel submit prepare plan
    review update print post mail ring phone meet see take bring sign file study practice practise
    learn watch clear organize organise tidy mow vacuum iron bake repair replace install charge
    backup back ask tell reply respond follow start grab collect fetch hoover sort change renew
    dust wipe empty fill load unload pack unpack register apply rsvp invite thank congratulate
    email message contact remind research compare call text pray exercise run jog swim stretch
    shave cut trim paint hang assemble move sell donate recycle throw put""".split()
)
_SPLIT_VERB_RE = re.compile(
    r"^(?:pick\s+up|drop\s+off|back\s+up|follow\s+up|"
    + "|".join(sorted(TASK_VERBS - {"pick", "drop", "back", "follow"}, key=len, reverse=True))
    + r")\b",
    re.I,
)


def _split_items(body: str) -> list[str]:
    """Split "milk, eggs and bread" or "buy milk and call mom" into separate tasks."""
    parts = [
        p.strip()
        for p in re.split(
            r"\s*(?:,|;|\band\s+also\b|\balso\b|\bplus\b|\bas\s+well\s+as\b)\s*(?:and\s+)?", body
        )
        if p.strip()
    ]
    if len(parts) > 1:
        # "milk, eggs and bread": the last comma part may still hold an "and".
        last = re.split(r"\s+and\s+", parts[-1])
        parts = parts[:-1] + last
        if _SPLIT_VERB_RE.match(parts[0]) and not any(_SPLIT_VERB_RE.match(p) for p in parts[1:]):
            return [body]  # "buy milk, eggs and bread" is one errand
        if all(len(slots.take_attributes(p)[1].split()) <= 4 for p in parts):
            return parts
        return [body]
    halves = re.split(r"\s+and\s+(?:then\s+)?", body)
    if len(halves) == 2:
        left, right = halves
        both_verbs = _SPLIT_VERB_RE.match(left) and _SPLIT_VERB_RE.match(right)
        left_words = slots.take_attributes(left)[1].split()
        right_words = slots.take_attributes(right)[1].split()
        both_nouns = (
            len(left_words) <= 2 and len(right_words) <= 2 and not _SPLIT_VERB_RE.match(left)
        )
        if (both_verbs or both_nouns) and left_words and right_words:
            return [left, right]
    return [body]


_ADD_NOISE_RE = re.compile(
    # "the following task: …", "this: …" -- a lead-in before a colon, not part of the title.
    r"^(?:the\s+)?(?:following|this|these)(?:\s+(?:new\s+)?(?:tasks?|todos?|items?|reminders?))?"
    r"\s*:\s*"
    r"|^(?:to|on|onto|in|into)\s+(?:my|the)\s+(?:\w+\s+)?(?:list|tasks|todos|todo\s+list)\s*(?::|-|,)?\s*"
    r"|^(?:(?:a|an|the|one|another|new|some|more|extra)\s+)*(?:(?:new\s+)?(?:tasks?|todos?|to-dos?|to\s+dos?|items?|reminders?|entry|entries|things?|notes?|chores?)\b\s*(?:to\s+|:|-|called|named|titled|that\s+says|saying|for|about|which\s+is|,)?\s*)?",
    re.I,
)
_LIST_SUFFIX_RE = re.compile(
    r"\s+(?:to|on|onto|in|into)\s+(?:my|the)\s+(?:(?:todo|to-do|to\s+do|task|shopping|grocery|groceries|work|home)\s+)?(?:list|tasks|todos|todo\s+list|to-do\s+list|reminders)\b",
    re.I,
)


_ADJECTIVE_RE = re.compile(
    r"^(?:a|an|one|another)\s+(?:new\s+)?(?:(?P<rep>"
    + "|".join(REPEATING_ADJECTIVES)
    + r")\s+)?(?:(?P<p>urgent|important|high[\s-]priority|low[\s-]priority|top[\s-]priority|quick|small)\s+)?"
    r"(?:(?P<rep2>" + "|".join(REPEATING_ADJECTIVES) + r")\s+)?"
    r"(?=(?:new\s+)?(?:task|todo|to-do|reminder|item)\b)",
    re.I,
)


# "pay bills with low priority, actually make it high": a priority or date said again wins.
_AFTERTHOUGHT_RE = re.compile(
    r"\s*[,;]\s*(?:(?:no|sorry|oops|wait|actually)\b[\s,.!-]*)+"
    r"(?:make\s+(?:it|that)|i\s+mean[t]?)\s+(?P<value>[^,;]+?)(?:\s+priority)?\s*$",
    re.I,
)


def _take_afterthought(body: str) -> tuple[str, str | None]:
    """The body without a trailing correction of its priority or date, and that correction."""
    match = _AFTERTHOUGHT_RE.search(body)
    if not match or not body[: match.start()].strip():
        return body, None
    value = match.group("value").strip()
    if slots.priority_word(value) is None and slots.due_only(value) is None:
        return body, None
    return body[: match.start()], value


def parse_new_tasks(body: str) -> list[Changes]:
    """Turn the body of an add request into one or more tasks with their attributes."""
    shared_tags: list[str] = []
    body, fix = _take_afterthought(body)
    if fix:
        tasks = parse_new_tasks(body)
        for task in tasks:
            if (priority := slots.priority_word(fix)) is not None:
                task.priority = priority
            elif due := slots.due_only(fix):
                task.due = due
        return tasks
    if suffix := _LIST_SUFFIX_RE.search(body):
        kind = re.search(r"(shopping|grocery|groceries|work|home)", suffix.group(0), re.I)
        if kind:
            shared_tags.append(
                "shopping" if kind.group(1).lower().startswith("grocer") else kind.group(1).lower()
            )
        body = body[: suffix.start()] + body[suffix.end() :]
    priority = None
    repeating = None
    if (adjective := _ADJECTIVE_RE.match(body.strip())) and adjective.group(0).strip():
        # "an urgent task: fix the tap", "a monthly task to pay the card": said before "task".
        if adjective.group("p"):
            priority = slots.priority_word(adjective.group("p").split()[0].split("-")[0])
        repeating = read_recurrence(adjective.group("rep") or adjective.group("rep2") or "")
        body = body.strip()[adjective.end() :]
    body = _ADD_NOISE_RE.sub("", body.strip(), count=1).strip()
    quoted, rest = slots.take_quoted(body)
    if quoted:
        attrs, _ = slots.take_attributes(rest)
        attrs.priority = attrs.priority or priority
        return [_new_task(quoted, attrs, shared_tags)]
    # "yoga every mon, wed and fri": a repeat's own commas do not split the tasks.
    whole_repeat, unrepeated = take_recurrence(body)
    if whole_repeat and body.count(",") > unrepeated.count(","):
        tasks = parse_new_tasks(unrepeated)
        if tasks:
            tasks[-1].recurrence = whole_repeat
        return tasks
    body, trailing, shared = _trailing_attributes(body)
    items = _split_items(body.strip(" ,"))
    tasks = []
    for index, item in enumerate(items):
        # Each item keeps the attributes written with it; one said after the last item is the
        # last item's, unless it says "both" / "all".
        attrs, title = slots.take_attributes(item)
        if trailing and (shared or index == len(items) - 1 or len(items) == 1):
            attrs = _merged(attrs, trailing)
        attrs.priority = attrs.priority or priority
        if repeating and not attrs.recurrence:
            attrs.recurrence = anchored(repeating, attrs.due)
        tasks.append(_new_task(title.strip(" ,"), attrs, shared_tags))
    return [t for t in tasks if t.title]


_SHARED_RE = re.compile(
    r"\b(?:for\s+)?(?:both(?:\s+of\s+them)?|all(?:\s+of\s+them)?|each(?:\s+of\s+them)?|them\s+all"
    r"|them\s+both)\b",
    re.I,
)


def _trailing_attributes(body: str) -> tuple[str, slots.Attributes | None, bool]:
    """ "…, high priority" / "…, both tomorrow": attributes said after the last item, apart."""
    head, comma, tail = body.rpartition(",")
    if not comma or not head.strip():
        return body, None, False
    shared = bool(_SHARED_RE.search(tail))
    attrs, rest = slots.take_attributes(_SHARED_RE.sub(" ", tail))
    if rest.strip(" ,.;-") or attrs == slots.Attributes():
        return body, None, False
    return head, attrs, shared


def _merged(own: slots.Attributes, trailing: slots.Attributes) -> slots.Attributes:
    """The item's own attributes, with those said after it where it has none."""
    return slots.Attributes(
        priority=own.priority or trailing.priority,
        tags=list(dict.fromkeys([*own.tags, *trailing.tags])),
        due=own.due or trailing.due,
        description=own.description or trailing.description,
        recurrence=own.recurrence or trailing.recurrence,
    )


def _new_task(title: str, attrs: slots.Attributes, shared_tags: list[str]) -> Changes:
    tags = list(dict.fromkeys([*attrs.tags, *shared_tags]))
    return Changes(
        title=clean_title(title),
        description=attrs.description,
        priority=attrs.priority,
        tags=tags or None,
        due=attrs.due,
        recurrence=attrs.recurrence,
    )
