"""The intent table: every way of saying something, tried in order, and what it means."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import repeats, slots
from .intent import Action, Changes, Filter, Intent, Target
from .phrases import (
    ID_RE,
    ORDINAL_WORD,
    QUERY_NOISE_RE,
    TASK_VERBS,
    clean_name,
    clean_title,
    group_phrase,
    id_numbers,
    is_meta_request,
    parse_filter,
    parse_new_tasks,
    parse_target,
)
from .words import lemma

# --- the intent table--------------------------------------------------------------------------

Builder = Callable[[re.Match[str]], Intent | None]


@dataclass(frozen=True)
class Rule:
    """One way of saying something: a pattern and how its groups become an intent."""

    name: str
    pattern: re.Pattern[str]
    build: Builder


def _rule(name: str, pattern: str, build: Builder) -> Rule:
    return Rule(name, re.compile(pattern, re.I), build)


# A "target" that starts like this is a question or another request, never a task's name:
# "which tasks are done", "add a task: call mom and mark it done".
_NOT_A_TARGET_RE = re.compile(
    r"^(?:what|which|who|how|when|where|why|whats|any|anything|is|are|was|were|has|have|had|do|does|did"
    r"|show|list|tasks?\s+(?:i|that|which)|things?\s+i|everything\s+i"
    r"|add|create|new|put|remind|remember|rename|change|update|mark)\b",
    re.I,
)


# "task 3 isn't actually done": a denial just before the state word turns it around.
_DENIED_RE = re.compile(
    r"(?:\bnot|n't|\bnever|\bno\s+longer)(?:\s+(?:yet|really|actually|quite|fully|totally|even))*$",
    re.I,
)


def _targeted(action: Action) -> Builder:
    def build(match: re.Match[str]) -> Intent | None:
        said = match.group("target")
        if _NOT_A_TARGET_RE.match(said) and group_phrase(said) is None:
            return None  # "which tasks are done" asks; it does not tell
        if action == Action.COMPLETE and _DENIED_RE.search(said):
            return None  # never complete what the user says is not done
        if (
            action == Action.COMPLETE
            and re.match(r"check\s+(?!off\b)", match.string, re.I)
            and re.fullmatch(
                r"(?:my|the)\s+(?:whole\s+|entire\s+)?(?:todo\s+|to-do\s+|task\s+)?list",
                said.strip(),
                re.I,
            )
        ):
            return None  # "check the list" looks at it; completing everything is asked for plainly
        if action == Action.DELETE and repeats.take_recurrence(said)[0]:
            return None  # "take out the bins every tuesday" is an errand that repeats
        target = parse_target(match.group("target"))
        return Intent(action, target=target)

    return build


def _add(match: re.Match[str]) -> Intent | None:
    body = match.groupdict().get("body") or ""
    if is_meta_request(body):
        return None
    # "add a task" with nothing more: ADD without tasks, so the planner asks for the title.
    return Intent(Action.ADD, new_tasks=parse_new_tasks(body))


_LISTY_RE = re.compile(
    r"\b(?:tasks?|todos?|to-dos?|to\s+dos?|items?|list|reminders?|agenda|plate|everything|all|pending|left"
    r"|remaining|open|outstanding|unfinished|incomplete|completed|complete|finished|done|overdue|due|today"
    r"|tonight|tomorrow|this\s+week|tagged|tags?|priority|urgent|important|next|upcoming|status|progress"
    r"|stuff|things)\b|#\w",
    re.I,
)


def _add_event(match: re.Match[str]) -> Intent | None:
    intent = _add(match)
    if intent is None or not all(task.due for task in intent.new_tasks):
        return None  # "I have a question" is no appointment
    return intent


def _ask_about(match: re.Match[str]) -> Intent | None:
    target = parse_target(match.group("target"))
    if not (target.ids or target.name) or target.group:
        return None
    return Intent(Action.LIST, target=target, about=True)


def _shown_ids(text: str) -> Target:
    """ "show task 5", "what is #3?": the tasks to show in detail."""
    match = ID_RE.search(text)
    return Target(ids=id_numbers(match.group(1), match.group(2))) if match else Target()


def _list(match: re.Match[str]) -> Intent | None:
    text = match.string
    if not _LISTY_RE.search(text) and not re.fullmatch(
        r"(?:show|list|view|display)(?:\s+(?:me|all|them))?", text, re.I
    ):
        return None  # "tell me a joke" is not a request for the list.
    return Intent(Action.LIST, filter=parse_filter(text), target=_shown_ids(text))


def _list_any(match: re.Match[str]) -> Intent | None:
    found = parse_filter(match.string)
    if found.status == "all" and re.search(
        r"\b(?:should|must|need|have\s+to|got\s+to|next|now)\b", match.string, re.I
    ):
        found.status = "pending"
    return Intent(Action.LIST, filter=found)


def _count(match: re.Match[str]) -> Intent | None:
    return Intent(Action.LIST, filter=parse_filter(match.string), count=True)


def _search(match: re.Match[str]) -> Intent | None:
    found = parse_filter(match.string)
    query = clean_name(QUERY_NOISE_RE.sub(" ", match.group("q")))
    query = re.sub(r"\s+", " ", query).strip(" ?.,")
    if not found.query and query and not (found.tag or found.priority or found.due):
        found.query = query
    return Intent(Action.LIST, filter=found)


def _rename(match: re.Match[str]) -> Intent | None:
    title = clean_title(slots.strip_quotes(slots.corrected(match.group("value"))))
    if not title:
        return None
    return Intent(
        Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(title=title)
    )


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
_FIELD = (
    r"(?P<field>title|name|text|wording|description|desc|details?|notes?|priority|prio|importance"
    r"|due\s+date|due\s+time|due|deadline|date|tags?|labels?)"
)


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
        if re.fullmatch(
            r"(?:none|nothing|no\s+date|no\s+due\s+date|empty|blank|never)", value, re.I
        ):
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
    quoted = bool(re.match(r"^\s*[\"'“\u2018]", match.group("value")))
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
    return Intent(
        Action.UPDATE,
        target=parse_target(match.group("target")),
        changes=Changes(priority=priority),
    )


def _low_priority(match: re.Match[str]) -> Intent | None:
    if not re.search(r"\bnot\b|n't\b", match.group(0), re.I):
        return None  # "the report is urgent" is the rule after this one
    target = parse_target(match.group("target"))
    return Intent(Action.UPDATE, target=target, changes=Changes(priority="low"))


def _relative_priority(match: re.Match[str]) -> Intent | None:
    up = match.group("dir").lower() in (
        "raise",
        "increase",
        "bump",
        "bump up",
        "boost",
        "up",
        "escalate",
        "prioritize",
        "prioritise",
    )
    return Intent(
        Action.UPDATE,
        target=parse_target(match.group("target")),
        changes=Changes(priority="high" if up else "low"),
    )


_MOVE_VERBS = (
    "move",
    "reschedule",
    "re-schedule",
    "postpone",
    "push",
    "delay",
    "defer",
    "shift",
    "snooze",
)


def _due_change(match: re.Match[str]) -> Intent | None:
    said = slots.corrected(match.group("due"))
    due = slots.due_only(said)
    if due is None and match.string.lower().startswith(_MOVE_VERBS):
        due = slots.normalize_due(said)  # these verbs only ever move dates
    if due is None:
        return None
    return Intent(
        Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(due=due)
    )


def _shift_due(match: re.Match[str]) -> Intent | None:
    direction = match.group("dir1") or match.group("dir2")
    if match.string.lower().startswith("bring") and not direction:
        return None  # "bring X a week" says nothing about which way
    days = slots.shift_days(match.group("n"), match.group("unit"), direction)
    if not days:
        return None
    target = parse_target(match.group("target"))
    return Intent(Action.UPDATE, target=target, changes=Changes(shift_days=days))


# "is the dentist thing done?", "did I finish the report?": a question about one task's state.
_GROUPISH_RE = re.compile(
    r"^(?:all|every|everything|any|anything|something|nothing|(?:my|the)\s+(?:tasks|todos|things)"
    r"|tasks|todos|things|stuff|items|i|we|you)\b",
    re.I,
)


def _ask_state(match: re.Match[str]) -> Intent | None:
    said = match.group("target")
    if _GROUPISH_RE.match(said) or _NOT_A_TARGET_RE.match(said) or slots.due_only(said):
        return None  # "how about tomorrow?" is no task
    return _ask_about(match)


_ADVERBS = (
    r"(?:(?:already|actually|ever|even|yet|really|still|(?:get|got|gotten)\s+(?:a)?round\s+to)\s+)*"
)
_VERB_AND_OBJECT = (
    r"(?P<verb>[a-z]+)\s+(?:with\s+|off\s+)?(?P<target>.+?)(?:\s+(?:thing|task|todo|one|item))?"
    r"(?:\s+(?:yet|already|today|this\s+week|at\s+all))*"
)
# Verbs that say "finished" about any task ("did I finish the report?"): the object names it.
_FINISH_VERBS = frozenset("finish complete do done tick check wrap knock sort handle".split())
# Verbs of another request or of the list: "have I got anything due?" is a list question.
_NOT_STATE_VERBS = frozenset(
    "be have get need want add create list see mention say tell ask".split()
)


def _ask_did(match: re.Match[str]) -> Intent | None:
    verb = lemma(match.group("verb"))
    said = match.group("target")
    if verb in _NOT_STATE_VERBS or _GROUPISH_RE.match(said) or _NOT_A_TARGET_RE.match(said):
        return None
    if verb in _FINISH_VERBS:
        target = parse_target(said)
    else:
        target = parse_target(f"{verb} {said}")
        target.loose = clean_name(said)
    if not (target.ids or target.name) or target.group:
        return None
    return Intent(Action.LIST, target=target, about=True)


# Past forms that do not end in -ed.
_IRREGULAR_PAST = frozenset(
    """bought paid sent wrote did made took got went gave ran met fed sold found brought drove spoke
    told swept hung built rang ate saw kept left taught caught fought hid lent mended sang shut
    sat slept spent stood swam threw wore won""".split()
)
# Past forms that report another request, or need or want, not a task done.
_NOT_DONE_VERBS = frozenset(
    "add create delete remove list show need want change update rename move mark schedule forget"
    " plan complete finish be have use try".split()
)


# "did I finish anything today?": a question, not a report.
_ASKED_RE = re.compile(r"^\w+\s+(?:i|we|you|he|she|they|it)\b|\?$", re.I)


def _said_done(match: re.Match[str]) -> Intent | None:
    verb = match.group("verb").lower()
    if not (verb.endswith("ed") or verb in _IRREGULAR_PAST) or lemma(verb) == verb:
        return None
    said = match.group("target")
    if lemma(verb) in _NOT_DONE_VERBS or _DENIED_RE.search(said) or _ASKED_RE.search(said):
        return None
    if re.match(r"^(?:" + _DONE_LEAD + r")\s", said, re.I):
        return None  # "ticked off groceries": the done phrase is not part of the name (done-x)
    target = parse_target(said)
    return Intent(Action.COMPLETE, target=target) if target.name else None


def _add_imperative(match: re.Match[str]) -> Intent | None:
    """ "buy milk tomorrow": a task said as an errand, without "add"."""
    verb = match.group("verb").lower()
    if verb not in TASK_VERBS or ID_RE.search(match.group("body")):
        return None
    intent = _add(match)
    if intent is not None:
        intent.errand = True
    return intent


def _snooze(match: re.Match[str]) -> Intent | None:
    """ "snooze the rent task": a day later."""
    target = parse_target(match.group("target"))
    return Intent(Action.UPDATE, target=target, changes=Changes(shift_days=1))


def _remind_before(match: re.Match[str]) -> Intent | None:
    """ "remind me 30 minutes before (the standup)": a reminder that long before it is due."""
    lead = repeats.offset(match.group("n"), match.group("unit"))
    if lead is None:
        return None
    said = match.group("target") or match.group("target2")
    target = parse_target(said) if said else Target(pronoun=True)
    if target.empty:
        return None
    return Intent(Action.UPDATE, target=target, changes=Changes(reminders=[{"before": lead}]))


def _no_reminders(match: re.Match[str]) -> Intent | None:
    said = match.group("target")
    target = parse_target(said) if said else Target(pronoun=True)  # "cancel the reminder"
    return Intent(Action.UPDATE, target=target, changes=Changes(reminders=[]))


def _stop_repeating(match: re.Match[str]) -> Intent | None:
    target = parse_target(match.group("target"))
    return Intent(Action.UPDATE, target=target, changes=Changes(recurrence=""))


# A target said as a task ("the rent task", "the gym one", "it", "task 3"), not a new errand.
_TASKISH_RE = re.compile(
    r"(?:^(?:it|that|this|that\s+one|this\s+one)$|\b(?:tasks?|todos?|to-dos?|ones?|items?|things?"
    r"|reminders?)$|#\s*\d+|^(?:task|todo|item|number)\s*#?\s*\d+$)",
    re.I,
)


def _set_repeat(match: re.Match[str]) -> Intent | None:
    """ "make the rent task monthly", "can the gym one repeat monday to friday?"."""
    verb = match.groupdict().get("verb")
    recurrence = repeats.read_recurrence(match.group("rec"), after_repeat=bool(verb))
    said = match.group("target")
    if recurrence is None or _NOT_A_TARGET_RE.match(said):
        return None
    lead = (match.groupdict().get("lead") or "").lower()
    if (
        not verb
        and lead not in (*_MOVE_VERBS, "change", "switch")
        and not _TASKISH_RE.search(said.strip())
    ):
        return None  # "make dinner every sunday" is a new task
    target = parse_target(said)
    if target.empty or target.group:
        return None
    return Intent(Action.UPDATE, target=target, changes=Changes(recurrence=recurrence))


_OCCURRENCE_WORDS = frozenset(
    "one time occurrence session instance week month day it this that round".split()
)


def _skip(match: re.Match[str]) -> Intent | None:
    """ "skip this week's gym", "skip the next one": move a repeating task to its next time."""
    said = match.group("target")
    if clean_name(said).lower() in _OCCURRENCE_WORDS:
        return Intent(Action.SKIP, target=Target(pronoun=True))
    target = parse_target(said)
    if target.group:
        return None
    return Intent(Action.SKIP, target=target)


def _add_to_list(match: re.Match[str]) -> Intent | None:
    """ "put renew passport on my list, due in 2 weeks": the verb and the list go, the rest is added."""
    body = re.sub(r"^\w+\s+", "", match.group("body"))
    return _add(re.match(r"(?P<body>.*)", body, re.S))  # type: ignore[arg-type]


def _add_repeating(match: re.Match[str]) -> Intent | None:
    recurrence, rest = repeats.take_recurrence(match.group("body"))
    if recurrence is None or not rest.strip(" ,:-") or _NOT_A_TARGET_RE.match(rest.strip(" ,:-")):
        return None
    intent = _add(match)
    if intent is not None:
        intent.errand = True
    return intent


def _add_reminded(match: re.Match[str]) -> Intent | None:
    """ "remind me to call the dentist at 5pm": the task, with a reminder when it is due.

    "remind me at 5pm" alone is a reminder on the task just talked about; "remind me about the
    gym at 7pm" is a reminder on that task when there is one (the planner looks), else a new one.
    """
    body = match.group("body")
    if (due := slots.due_only(body)) is not None:
        return Intent(
            Action.UPDATE, target=Target(pronoun=True), changes=Changes(reminders=[{"at": due}])
        )
    intent = _add(match)
    for task in intent.new_tasks if intent else []:
        if task.due and not task.recurrence:
            task.reminders = [{"at": task.due}]
    undated = re.sub(r"\s+", " ", slots.take_due(body)[1]).strip(" ,")
    about = re.match(r"^(?:about|of|for|on|regarding|re:?)\s+(?P<name>.+)$", undated, re.I)
    if intent and about and len(intent.new_tasks) == 1 and intent.new_tasks[0].reminders:
        target = parse_target(about.group("name"))
        if target.pronoun or target.ids:  # "remind me about it tomorrow at 9"
            reminders = intent.new_tasks[0].reminders
            return Intent(Action.UPDATE, target=target, changes=Changes(reminders=reminders))
        if target.name and not target.group:
            intent.remind = target
    return intent


def _reopen_said(match: re.Match[str]) -> Intent | None:
    said = match.group("target")
    if _GROUPISH_RE.match(said) or _NOT_A_TARGET_RE.match(said):
        return None  # "tasks not done" asks for a list
    return _targeted(Action.REOPEN)(match)


def _sorted_list(match: re.Match[str]) -> Intent | None:
    found = parse_filter(match.string)
    return Intent(Action.LIST, filter=found) if found.sort else None


def _clear_due(match: re.Match[str]) -> Intent | None:
    return Intent(
        Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(due="")
    )


def _add_tags(match: re.Match[str]) -> Intent | None:
    tags = slots.split_tags(match.group("tags"))
    if not tags:
        return None
    return Intent(
        Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(add_tags=tags)
    )


def _remove_tags(match: re.Match[str]) -> Intent | None:
    tags = slots.split_tags(match.group("tags"))
    if not tags:
        return None
    return Intent(
        Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(remove_tags=tags)
    )


def _describe(match: re.Match[str]) -> Intent | None:
    text = slots.strip_quotes(match.group("value"))
    if not text:
        return None
    return Intent(
        Action.UPDATE, target=parse_target(match.group("target")), changes=Changes(description=text)
    )


def _simple(action: Action) -> Builder:
    return lambda match: Intent(action)


def _select(match: re.Match[str]) -> Intent | None:
    return Intent(Action.SELECT, target=parse_target(match.group("target")))


def _affirm(match: re.Match[str]) -> Intent | None:
    return Intent(Action.SELECT, affirm=True)


_T = r"(?P<target>.+?)"
# Verbs that say a task repeats ("can the gym one recur …", "have it happen every monday").
REPEAT_VERBS = (
    "repeat",
    "repeats",
    "recur",
    "recurs",
    "reoccur",
    "repeating",
    "recurring",
    "happen",
    "occur",
)
_REPEAT_VERBS = "|".join(REPEAT_VERBS)
_REMIND_LEAD = (
    r"(?:remind|ping|alert|notify|nudge|warn|text|email)\s+me|give\s+me\s+a\s+(?:heads[\s-]up|nudge|reminder|shout)"
    r"|(?:set|put|add|create|schedule)\s+(?:up\s+)?(?:a|an|the)\s+(?:reminder|alert)|(?:i'?d\s+like|i\s+want)\s+a\s+reminder"
)
# Only "it" or an id: for phrasings that would misread a new task as a change ("call mom …").
_REF = (
    r"(?P<target>it|that|this|that\s+one|this\s+one|the\s+(?:last|new)\s+one"
    r"|(?:task|todo|number|item)\s*#?\s*\d+|#\s*\d+)"
)
_MARK = r"(?:mark(?:ed)?|set|flag|make|put)"
_DONE = (
    r"(?:done|complete|completed|finished|checked(?:\s+off)?|ticked(?:\s+off)?|resolved|closed|accomplished"
    r"|bought|paid|sent|called|booked|fixed|cleaned|handled|sorted(?:\s+out)?|taken\s+care\s+of|dealt\s+with"
    r"|purchased|submitted|ordered|renewed|returned|picked\s+up|read|watched|written|cooked|washed|posted)"
)
# Said before the task when it is done ("ticked off groceries", "knocked out the report").
DONE_PHRASES = (
    "done",
    "finished",
    "completed",
    "ticked off",
    "checked off",
    "crossed off",
    "knocked out",
    "knocked off",
    "wrapped up",
    "sorted out",
    "took care of",
    "dealt with",
    "got through",
    "nailed",
    "smashed",
)
_DONE_LEAD = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in DONE_PHRASES)
_NOT_DONE = (
    r"(?:not\s+(?:yet\s+)?(?:done|complete|completed|finished)|undone|incomplete|uncompleted"
    r"|unfinished|pending|open|active|to\s*do|unchecked|outstanding)"
)
_PRIO = (
    r"(?P<p>high(?:er|est)?|top|urgent|important|critical|medium|normal|low(?:er|est)?|minor"
    r"|p[123])"
)

# Order matters: the first rule that matches wins, so specific phrasings ("add a tag to task 3",
# "remove the due date") come before the general verbs ("add …", "remove …").
RULES: list[Rule] = [
    # Small talk and help.
    _rule(
        "help",
        r"^(?:help|\?+|what\s+can\s+(?:you|i)\s+(?:do|say|ask)|how\s+(?:does\s+this|do\s+(?:i|you)\s+(?:use\s+(?:this|you)|work))|commands|options|menu|instructions|usage|how\s+to\s+use(?:\s+this)?|what\s+do\s+you\s+do|who\s+are\s+you|what\s+are\s+you)(?:\s+work)?$",
        _simple(Action.HELP),
    ),
    _rule(
        "thanks",
        r"^(?:thanks?(?:\s+(?:you|a\s+lot|so\s+much|again|mate|buddy))*|thx|ty|cheers|much\s+appreciated|appreciate\s+it|great|awesome|perfect|cool|nice|good\s+job|well\s+done|brilliant|excellent|got\s+it|understood|sounds\s+good|ok(?:ay)?|k|alright|fine|sweet|lovely|wonderful|amazing)(?:\s+(?:thanks?|thank\s+you))?$",
        _simple(Action.THANKS),
    ),
    _rule(
        "greet",
        r"^(?:hi+|hello+|hey+|hiya|howdy|yo|sup|hola|greetings|good\s+(?:morning|afternoon|evening|day)|morning|evening|how\s+are\s+you(?:\s+doing)?|how'?s\s+it\s+going|what'?s\s+up)(?:\s+(?:there|you|todochat|bot))?$",
        _simple(Action.GREET),
    ),
    _rule(
        "bye",
        r"^(?:bye|goodbye|see\s+(?:you|ya)|good\s*night|later|cya)\b.*$",
        _simple(Action.THANKS),
    ),
    _rule(
        "cancel",
        r"^(?:never\s*mind|nevermind|nvm|forget\s+(?:it|that|about\s+it)|cancel(?:\s+that)?|no+|nope|nah|stop|abort|don'?t(?:\s+bother)?|none(?:\s+of\s+them)?|neither(?:\s+(?:one|of\s+them))?|no\s+thanks)$",
        _simple(Action.CANCEL),
    ),
    _rule(
        "affirm",
        r"^(?:yes+|yeah|yep|yup|ya|sure|correct|right|exactly|that'?s\s+(?:it|right|the\s+one|correct)|do\s+it|go\s+ahead|confirm(?:ed)?|please\s+do|y)$",
        _affirm,
    ),
    # "undo", "scratch that", "revert my last change": reverse whatever was changed last.
    _rule(
        "undo",
        r"^(?:(?:undo|revert|reverse|roll\s*back|scratch)(?:\s+(?:that|this|it|the\s+change"
        r"|(?:the|my|your)\s+last\s+(?:change|action|thing|step|one|edit)"
        r"|what\s+you\s+(?:just\s+)?did))?|take\s+(?:that|it)\s+back)$",
        _simple(Action.UNDO),
    ),
    # Repeats, reminders and skipping: specific words ("repeat", "remind", "skip"), read before
    # the general verbs so "take out the bins every tuesday" is no delete.
    _rule(
        "remind-before",
        r"^(?:"
        + _REMIND_LEAD
        + r")\s+(?:(?:about|of|for|on|regarding)\s+(?P<target>.+?)\s+)?"
        + repeats.OFFSET
        + r"\s+(?:before(?:hand)?|ahead|early|earlier|in\s+advance|prior)"
        r"(?:\s+(?:of\s+|to\s+)?(?:(?:it\s+is|it'?s)\s+due\s+|(?:the\s+)?(?:deadline|due\s+time)\s+(?:of|for)\s+)?(?P<target2>.+?))?$",
        _remind_before,
    ),
    _rule(
        "no-reminders",
        r"^(?:(?:remove|clear|delete|drop|cancel|turn\s+off|disable|get\s+rid\s+of|take|take\s+off"
        r"|switch\s+off|stop)\s+(?:the\s+|all\s+(?:the\s+)?|any\s+|my\s+)?(?:reminders?|alerts?|notifications?)"
        r"|no\s+(?:more\s+)?(?:reminders?|alerts?)|(?:i\s+)?(?:don'?t|do\s+not)\s+(?:need|want)\s+(?:a|any|the)\s+reminders?)"
        r"(?:\s+(?:from|on|for|of|off|about)\s+" + _T + r")?$",
        _no_reminders,
    ),
    _rule(
        "dont-remind",
        r"^(?:(?:don'?t|do\s+not|stop|never)\s+(?:remind(?:ing)?|ping(?:ing)?|alert(?:ing)?)\s+me\s+(?:about|of|for)\s+)"
        + _T
        + r"(?:\s+any\s*more)?$",
        _no_reminders,
    ),
    _rule(
        "stop-repeating",
        r"^(?:stop|quit|cease|don'?t|do\s+not|no\s+longer|never)\s+(?:repeating|recurring|repeat|recur)"
        r"(?:\s+(?:of|for))?\s+" + _T + r"(?:\s+any\s*more)?$",
        _stop_repeating,
    ),
    _rule(
        "stop-x-repeating",
        r"^(?:stop|quit)\s+" + _T + r"\s+(?:from\s+)?(?:repeating|recurring)(?:\s+any\s*more)?$",
        _stop_repeating,
    ),
    _rule(
        "x-not-repeat",
        r"^" + _T + r"\s+(?:should\s*n'?t|should\s+not|does\s*n'?t|does\s+not|do\s*n'?t|need\s*n'?t"
        r"|no\s+longer|won'?t|will\s+not|must\s*n'?t|is\s*n'?t|is\s+not)\s+(?:need\s+to\s+|have\s+to\s+|be\s+)?"
        r"(?:repeat(?:ing|ed)?|recurr?(?:ing)?)(?:\s+any\s*more)?$",
        _stop_repeating,
    ),
    _rule(
        "one-off",
        r"^(?:(?:make|set|turn|change)\s+)?"
        + _T
        + r"\s+(?:(?:to|into|as|is|should\s+be|be)\s+)?(?:not\s+repeat(?:ing)?|stop\s+repeating"
        r"|non[\s-]?(?:repeating|recurring)|(?:a\s+)?one[\s-]?(?:off|time)(?:\s+(?:task|thing))?|once\s+only|just\s+once)"
        r"(?:\s+any\s*more)?$",
        _stop_repeating,
    ),
    _rule(
        "set-repeat-verb",
        r"^(?:(?:can|could|would|should|will)\s+)?(?:(?:make|set|change|have|let|get|switch|turn|update)\s+)?"
        + _T
        + r"\s+(?:(?:to|should|must|needs\s+to|will|can|could|is\s+going\s+to|is\s+supposed\s+to)\s+)?"
        r"(?:be\s+)?(?P<verb>" + _REPEAT_VERBS + r")\s+(?P<rec>.+)$",
        _set_repeat,
    ),
    _rule(
        "repeat-x",
        r"^(?P<verb>repeat|recur)\s+"
        + _T
        + r"\s+(?P<rec>(?:every|each|on|daily|weekly|monthly|yearly|fortnightly).+)$",
        _set_repeat,
    ),
    _rule(
        "set-repeat",
        r"^(?P<lead>make|set|change|switch|turn|update|have|move|shift|put)\s+"
        + _T
        + r"\s+(?:(?:to|into|as|on)\s+)?(?:be\s+)?(?:an?\s+)?(?P<rec>"
        + repeats.RECURRENCE_PHRASE
        + r")(?:\s+(?:task|one|thing|todo|instead))?$",
        _set_repeat,
    ),
    _rule(
        "skip",
        r"^(?:(?:i'?ll|i\s+will|we'?ll|i'?m\s+(?:going\s+to|gonna)|gonna|i\s+want\s+to|i'?d\s+like\s+to)\s+)?"
        r"(?:skip|pass\s+on|sit\s+out)\s+(?:(?:this\s+week'?s|next\s+week'?s|this\s+month'?s|today'?s"
        r"|tonight'?s|tomorrow'?s|the\s+next|the\s+upcoming|the\s+coming|this|next)\s+)?"
        + _T
        + r"(?:\s+(?:this|next)\s+(?:week|month|time|one|occurrence|session|"
        + slots.WEEKDAY
        + r")"
        r"|\s+(?:today|tonight|tomorrow"
        r"|once|for\s+(?:now|today|tonight|this\s+week|once)))?$",
        _skip,
    ),
    # Questions about the list come before "… done" so "what have I completed?" lists.
    _rule(
        "count",
        r"^(?:how\s+many|count|number\s+of|what'?s\s+the\s+(?:count|number|total))\b.*$",
        _count,
    ),
    _rule(
        "search-any",
        r"^(?:do\s+i\s+have\s+|is\s+there\s+|are\s+there\s+|have\s+i\s+got\s+|got\s+)?(?:any|anything|something)\s*(?:tasks?|todos?|items?|things?|reminders?)?\s+(?:about|regarding|related\s+to|for|on|with|mentioning|involving|concerning|to\s+do\s+with|that\s+mentions?|called|named)\s+(?P<q>.+)$",
        _search,
    ),
    # "what's the dentist task?", "show me the report task": that one task in detail.
    _rule(
        "whats-the-task",
        r"^(?:what(?:'s|\s+is|s)|show\s+me|tell\s+me\s+about)\s+(?:the\s+|my\s+)"
        r"(?!(?:next|latest|newest|oldest|most|top|current|main|biggest|first|last|important|urgent"
        r"|priority|due|overdue|pending|completed|finished|done)\b)"
        + _T
        + r"\s+(?:task|todo|to-do|item|reminder)$",
        _ask_about,
    ),
    _rule(
        "is-it-done",
        r"^(?:is|are|was|has|have)\s+(?:the\s+|my\s+)?"
        + _T
        + r"(?:\s+(?:thing|task|todo|one|item))?\s+(?:(?:been|already|still|actually|really)\s+)*"
        r"(?:done|finished|complete|completed|ticked\s+off|checked\s+off|pending|open|outstanding"
        r"|not\s+(?:yet\s+)?(?:done|finished|complete|completed)|on\s+(?:my|the)\s+(?:\w+\s+)?list|there"
        r"|in\s+(?:my|the)\s+(?:\w+\s+)?list)(?:\s+yet)?$",
        _ask_state,
    ),
    # "did I pay the electricity bill?", "have I called mom yet?", "I haven't finished the
    # report yet": about one task's state; shown, never changed.
    _rule(
        "did-i",
        r"^(?:did|have|had)\s+(?:i|we)\s+" + _ADVERBS + _VERB_AND_OBJECT + r"$",
        _ask_did,
    ),
    _rule(
        "i-have-not",
        r"^(?:i\s+|we\s+)?(?:still\s+)?(?:haven'?t|have\s+not|didn'?t|did\s+not|hasn'?t|has\s+not"
        r"|never)\s+" + _ADVERBS + _VERB_AND_OBJECT + r"$",
        _ask_did,
    ),
    _rule(
        "sorted-list",
        r"^(?:(?:show|list|give)\s+(?:me\s+)?)?(?:(?:all\s+)?(?:my\s+|the\s+)?(?:tasks?|todos?|list)\s*,?\s*)?"
        r"(?:(?:most|more)\s+(?:important|urgent|pressing)|highest[\s-]+priority|top[\s-]+priority|soonest"
        r"|earliest|alphabetical(?:ly)?|a\s*(?:-|to)\s*z|(?:sort(?:ed)?|order(?:ed)?)?\s*by\s+\w+)\b.*$",
        _sorted_list,
    ),
    _rule(
        "whats-pending",
        r"^(?:what(?:'s|\s+is|\s+are|'re|s)?|which|whats)\s+(?:(?:are|is)\s+)?(?:still\s+)?(?:left|pending|remaining|open|outstanding|unfinished|incomplete|not\s+done|undone|on\s+(?:my\s+)?(?:plate|agenda)|next|up|to\s+do|due|overdue|late|urgent|important|high|low|completed|done|finished|tagged|on\s+(?:my|the)\s+list|in\s+my\s+list|my|the|all|in|on|there)\b.*$",
        _list,
    ),
    _rule(
        "what-do-i-have",
        r"^(?:what|which|anything)\s+(?:else\s+)?(?:do|did|have|should|must|shall|am)\s+i\b.*$",
        _list_any,
    ),
    _rule(
        "anything-due",
        r"^(?:anything|is\s+anything|is\s+there\s+anything|do\s+i\s+have\s+anything|any\s+tasks?|got\s+anything|something)\s+(?:due|overdue|late|pending|left|urgent|scheduled|for\s+today|today|tomorrow|this\s+week|tagged|with|high|low|medium|important|open)\b.*$",
        _list,
    ),
    _rule(
        "am-i-done",
        r"^(?:am\s+i|are\s+we)\s+(?:done|finished|all\s+done|free)\b.*$",
        lambda m: Intent(Action.LIST, filter=Filter(status="pending")),
    ),
    # Updates with a named field.
    _rule(
        "list-verb",
        r"^(?:show|list|display|view|see|give\s+me|tell\s+me|print|pull\s+up|bring\s+up|let\s+me\s+see"
        r"|can\s+i\s+(?:see|get|have)|i\s+want\s+to\s+see|what\s+about|sort|order|arrange)\b.*$",
        _list,
    ),
    _rule(
        "rename",
        r"^(?:rename|retitle|re-title|re-name)\s+" + _T + r"\s+(?:to|as|into|:)\s+(?P<value>.+)$",
        _rename,
    ),
    # "call it pay the rent", "rename that Pay the rent": a new title for "it" or an id.
    _rule(
        "call-it",
        r"^(?:call|name|title|rename|retitle|re-name)\s+"
        + _REF
        + r"(?!\s+(?:a\s+day|a\s+night|quits|even)\b)\s*[:-]?\s+(?P<value>.+)$",
        _rename,
    ),
    _rule(
        "set-field-of",
        r"^(?:change|update|edit|modify|set|make|switch|alter|fix|replace)\s+(?:the\s+)?"
        + _FIELD
        + r"\s+(?:of|for|on|in)\s+"
        + _T
        + r"\s*(?:to|as|into|:|=|with|be)\s+(?P<value>.+)$",
        _set_field,
    ),
    _rule(
        "set-field-possessive",
        r"^(?:change|update|edit|modify|set|make|switch|alter)\s+"
        + _T
        + r"(?:'s|s')?\s+"
        + _FIELD
        + r"\s*(?:to|as|into|:|=|be)\s+(?P<value>.+)$",
        _set_field,
    ),
    _rule(
        "give-field",
        r"^(?:give|set)\s+"
        + _T
        + r"\s+(?:a|the)\s+(?:new\s+)?"
        + _FIELD
        + r"\s*(?:of|:|-|saying|that\s+says)?\s*(?P<value>.+)$",
        _set_field,
    ),
    _rule(
        "field-is",
        r"^(?:the\s+)?"
        + _FIELD
        + r"\s+(?:of|for)\s+"
        + _T
        + r"\s+(?:should\s+be|is|=|:)\s+(?P<value>.+)$",
        _set_field,
    ),
    _rule(
        "clear-due",
        r"^(?:remove|clear|delete|drop|unset|erase|reset|take\s+off|take|get\s+rid\s+of|get|strip|knock)\s+(?:the\s+|its\s+|any\s+)?"
        r"(?:due\s*date|deadline|due|date)\s+(?:from|of|on|for|off(?:\s+of)?)\s+" + _T + r"$",
        _clear_due,
    ),
    _rule(
        "clear-due-2",
        r"^(?:make\s+)?"
        + _T
        + r"\s+(?:has\s+|should\s+have\s+|with\s+)?no\s+(?:due\s*date|deadline)(?:\s+anymore)?$",
        _clear_due,
    ),
    _rule(
        "add-tags",
        r"^(?:add|put|attach|apply|give)\s+(?:the\s+)?(?:tags?|labels?)\s+(?P<tags>.+?)\s+(?:to|on|onto)\s+"
        + _T
        + r"$",
        _add_tags,
    ),
    _rule(
        "add-hashtag",
        r"^(?:add|put|attach|apply)\s+(?P<tags>#[\w-]+(?:\s*(?:,|and|&)\s*#[\w-]+)*)\s+(?:to|on|onto)\s+"
        + _T
        + r"$",
        _add_tags,
    ),
    _rule(
        "tag-as",
        r"^(?:tag|label)\s+"
        + _T
        + r"\s+(?:as|with|:)?\s*(?P<tags>#?[\w-]+(?:\s*(?:,|and|&)\s*#?[\w-]+)*)$",
        _add_tags,
    ),
    _rule(
        "remove-tags",
        r"^(?:remove|delete|drop|take\s+off|take|strip|untag)\s+(?:the\s+)?(?:tags?|labels?)\s+(?P<tags>#?[\w-]+(?:\s*(?:,|and|&)\s*#?[\w-]+)*)\s+(?:from|off|on|of)\s+"
        + _T
        + r"$",
        _remove_tags,
    ),
    _rule(
        "remove-tag-named",
        r"^(?:remove|delete|drop|take\s+off|take|strip)\s+(?:the\s+)?(?P<tags>#?[\w-]+)\s+(?:tag|label)s?\s+(?:from|off|on|of)\s+"
        + _T
        + r"$",
        _remove_tags,
    ),
    _rule(
        "remove-hashtag",
        r"^(?:remove|delete|drop|take)\s+(?P<tags>#[\w-]+(?:\s*(?:,|and|&)\s*#[\w-]+)*)\s+(?:from|off)\s+"
        + _T
        + r"$",
        _remove_tags,
    ),
    _rule(
        "describe",
        r"^(?:add|put|attach|write|set|give)\s+(?:a\s+|the\s+|an?\s+extra\s+)?(?:description|desc|note|notes|details?)\s+(?:to|on|for)\s+"
        + _T
        + r"\s*(?::|-|saying|that\s+says|reading|=)\s*(?P<value>.+)$",
        _describe,
    ),
    _rule(
        "describe-2",
        r"^(?:add|put|attach|write|set|give)\s+(?:a\s+|the\s+)?(?:description|desc|note|notes|details?)\s*(?::|-|saying|that\s+says|reading|=)?\s*(?P<value>.+?)\s+(?:to|on|for)\s+"
        + _T
        + r"$",
        _describe,
    ),
    _rule("describe-3", r"^(?:describe)\s+" + _T + r"\s+(?:as|with|:)\s+(?P<value>.+)$", _describe),
    _rule(
        "mark-priority",
        r"^(?:"
        + _MARK
        + r"|change|update|switch|turn|give|bump|move)\s+"
        + _T
        + r"\s+(?:as\s+|to\s+|into\s+|a\s+|an\s+|to\s+a\s+|to\s+an\s+)?"
        + _PRIO
        + r"(?:[\s-]*(?:priority|prio|importance)(?:\s+(?:task|item|one))?)?$",
        _priority_change,
    ),
    _rule(
        "priority-relative",
        r"^(?P<dir>raise|increase|bump\s+up|bump|boost|up|lower|decrease|reduce|drop)\s+(?:the\s+)?priority\s+(?:of|for|on)\s+"
        + _T
        + r"$",
        _relative_priority,
    ),
    _rule(
        "priority-relative-2",
        r"^(?P<dir>raise|increase|bump\s+up|bump|boost|lower|decrease|reduce|drop)\s+"
        + _T
        + r"(?:'s|s')?\s+priority$",
        _relative_priority,
    ),
    _rule(
        "prioritize",
        r"^(?P<dir>prioriti[sz]e|deprioriti[sz]e|escalate)\s+" + _T + r"$",
        _relative_priority,
    ),
    # "the party is not important", "that's not urgent": low.
    _rule(
        "is-not-priority",
        r"^(?P<target>.+?)(?:'s|\s+is|\s+isn'?t)\s+(?:not\s+)?(?:very\s+|that\s+|really\s+|so\s+)?"
        r"(?:urgent|important|a\s+priority|pressing)(?:\s+(?:any\s*more|now))?$",
        _low_priority,
    ),
    _rule(
        "is-priority",
        r"^"
        + r"(?P<target>.+?)"
        + r"(?:'s|\s+is|\s+should\s+be|\s+needs\s+to\s+be|\s+must\s+be)\s+(?:a\s+|an\s+)?"
        + r"(?:very\s+|really\s+|super\s+)?"
        + _PRIO
        + r"(?:[\s-]*(?:priority|prio))?(?:\s+(?:now|task))?$",
        _priority_change,
    ),
    # "schedule a haircut for saturday" is a new task, unless it names one ("schedule task 3 …").
    _rule(
        "add-plan",
        r"^(?P<body>(?:schedule|book|plan|arrange|organi[sz]e)\s+(?!task\b|todo\b|#|it\b|that\b|this\b|the\b|my\b).+)$",
        _add,
    ),
    _rule(
        "add-to-list",
        r"^(?P<body>(?:put|stick|pop|throw|jot|write|get|place|slap|add)\s+(?!it\b|that\b|this\b|them\b|task\s*#?\d)"
        r".+?\s+(?:on|to|onto|in|into)\s+(?:my|the)\s+(?:\w+\s+)?(?:list|todos|to-dos|todo\s+list|to-do\s+list|tasks)\b.*)$",
        _add_to_list,
    ),
    _rule(
        "shift-due",
        r"^(?:move|push|postpone|delay|defer|shift|bump|bring|put|set|reschedule|snooze)\s+"
        + _T
        + r"\s+(?:(?P<dir1>back|forward|out|up|later|earlier|ahead)\s+)?(?:by\s+)?"
        r"(?P<n>a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,3})\s+(?P<unit>days?|weeks?)"
        r"(?:\s+(?P<dir2>later|earlier|sooner|back|forward|out))?$",
        _shift_due,
    ),
    _rule(
        "move-due",
        r"^(?:move|reschedule|re-schedule|push|postpone|delay|defer|shift|bump|change|set|put|schedule|make|update|snooze)\s+"
        + _T
        + r"\s+(?:back\s+|out\s+|forward\s+)?"
        + r"(?:to|until|till|for|due|by|on|to\s+be\s+due)\s+(?P<due>.+)$",
        _due_change,
    ),
    _rule("snooze", r"^snooze\s+" + _T + r"(?:\s+(?:for\s+)?a\s+(?:day|bit|while))?$", _snooze),
    _rule(
        "its-due",
        r"^(?P<target>it|that|this(?:\s+one)?|that\s+one)(?:'s|\s+is|\s+should\s+be|\s+needs\s+to\s+be(?:\s+done)?)\s+(?:now\s+)?(?P<due>(?:due\s+|by\s+|for\s+|on\s+).+)$",
        _due_change,
    ),
    _rule(
        "due-is",
        r"^"
        + _T
        + r"\s+(?:is|should\s+be|needs\s+to\s+be|must\s+be|will\s+be)"
        + r"\s+(?:now\s+)?(?P<due>due\s+.+)$",
        _due_change,
    ),
    _rule("make-due", r"^(?:make|set)\s+" + _T + r"\s+(?P<due>due\s+.+)$", _due_change),
    # "make that tomorrow", "set task 3 friday 5pm": only "it" or an id, so "make dinner
    # tomorrow" is not read as a change.
    _rule(
        "make-it-date",
        r"^(?:make|set|move|push|change|put)\s+" + _REF + r"\s+(?P<due>" + slots.DUE_PHRASE + r")$",
        _due_change,
    ),
    # Completing and reopening.
    _rule(
        "delete",
        r"^(?:delete|remove|drop|erase|trash|scrap|scratch|discard|ditch|nuke|get\s+rid\s+of|cancel|forget(?:\s+about)?|clear(?:\s+out)?|wipe(?:\s+out)?|purge|throw\s+(?:away|out)|bin|take\s+off|take\s+out|strike(?:\s+off)?|cross\s+out|kill|eliminate|axe|toss|dump|rm|del|destroy)\s+"
        + _T
        + r"(?:\s+(?:from|off)\s+(?:my\s+|the\s+)?(?:\w+\s+)?(?:list|tasks|todos))?"
        + r"(?:\s+(?:please|completely|permanently))?$",
        _targeted(Action.DELETE),
    ),
    _rule(
        "delete-off",
        r"^(?:take|cross|scratch|strike|knock|get)\s+"
        + _T
        + r"\s+(?:off|out\s+of|from)\s+(?:my\s+|the\s+)?(?:\w+\s+)?(?:list|tasks|todos|to-dos|plate|agenda)$",
        _targeted(Action.DELETE),
    ),
    _rule(
        "mark-not-done",
        r"^(?:"
        + _MARK
        + r"|change|switch|turn)\s+"
        + _T
        + r"\s+(?:as\s+|to\s+|back\s+to\s+|back\s+as\s+)?"
        + _NOT_DONE
        + r"(?:\s+again)?$",
        _targeted(Action.REOPEN),
    ),
    _rule(
        "reopen",
        r"^(?:reopen|re-open|uncomplete|un-complete|uncheck|un-check|untick|unmark|restore|undo|revive|resume|unfinish|bring\s+back|open\s+up)\s+"
        + _T
        + r"(?:\s+again)?$",
        _targeted(Action.REOPEN),
    ),
    _rule(
        "not-done",
        r"^"
        + _T
        + r"\s+(?:is\s+not|was\s+not|isn'?t|wasn'?t|is\s+actually\s+not|is\s+still\s+not"
        + r"|are\s+not|aren'?t|weren'?t|hasn'?t\s+been|haven'?t\s+been)"
        + r"\s+(?:(?:yet|really|actually|quite|fully|totally|even)\s+)*(?:done|finished|complete|completed)"
        + r"(?:\s+yet|\s+after\s+all)?$",
        _targeted(Action.REOPEN),
    ),
    _rule(
        "mark-done",
        r"^(?:"
        + _MARK
        + r"|change|switch|turn|move)\s+"
        + _T
        + r"\s+(?:as\s+|to\s+|off\s+as\s+|into\s+)?"
        + _DONE
        + r"$",
        _targeted(Action.COMPLETE),
    ),
    _rule(
        "complete",
        r"^(?:complete|finish|check\s+off|check|tick\s+off|tick|cross\s+off|cross\s+out|close|resolve|(?:all\s+)?done\s+with|(?:all\s+)?finished\s+with|i'?m\s+(?:all\s+)?(?:done|finished|through)\s+with|mark\s+off|knock\s+out|wrap\s+up|accomplish)\s+"
        + _T
        + r"(?:\s+(?:off|as\s+done))?$",
        _targeted(Action.COMPLETE),
    ),
    _rule(
        "i-did",
        r"^i(?:'ve|\s+have)?\s+(?:just\s+|already\s+|finally\s+)?(?:finished|completed|done|did|ticked\s+off|checked\s+off|crossed\s+off)\s+(?:with\s+)?"
        + _T
        + r"$",
        _targeted(Action.COMPLETE),
    ),
    # "I've got a dentist appointment on friday": an event with a date is a task to add.
    _rule(
        "add-event",
        r"^i(?:'ve|\s+have)?(?:\s+got)?\s+(?P<body>(?:a|an|my|the)\s+.+)$",
        _add_event,
    ),
    _rule(
        "i-did-verb",
        r"^i(?:'ve|\s+have)?\s+(?:just\s+|already\s+|finally\s+|now\s+)?(?P<target>(?:(?!need)[a-z]+ed|bought|paid|sent|wrote|did|made|took|got(?!\s+(?:a|an|to)\b)|went|gave|ran|met|fed|sold|found|brought|drove|spoke|told|swept|hung|built|rang|ate|saw|read|put|set|cut|sorted|picked\s+up|dropped\s+off)\b.+)$",
        _targeted(Action.COMPLETE),
    ),
    # "finally did the laundry", "paid rent": a task reported done without "I".
    _rule(
        "did-verb",
        r"^(?:(?:just|already|finally|now|also)\s+)*(?P<target>(?P<verb>[a-z]+)\s+.+)$",
        _said_done,
    ),
    _rule(
        "is-done",
        r"^"
        + _T
        + r"\s+(?:is|are|has\s+been|have\s+been|was|were)"
        + r"\s+(?:now\s+|all\s+|already\s+|finally\s+)?"
        + _DONE
        + r"$",
        _targeted(Action.COMPLETE),
    ),
    # "mark as done: call mom", "mark as not done task 3": the state said before the task.
    _rule(
        "mark-as-not-done-x",
        r"^(?:mark(?:ed)?|set|flag)\s+(?:as\s+)?" + _NOT_DONE + r"\s*[:,-]?\s+" + _T + r"$",
        _targeted(Action.REOPEN),
    ),
    _rule(
        "mark-as-done-x",
        r"^(?:mark(?:ed)?|set|flag)\s+(?:as\s+)?(?:done|complete|completed|finished)\s*[:,-]?\s+"
        + _T
        + r"$",
        _targeted(Action.COMPLETE),
    ),
    _rule(
        "done-x",
        r"^(?:(?:just|already|finally|now)\s+)*(?:" + _DONE_LEAD + r")\s*[:,-]?\s+" + _T + r"$",
        _targeted(Action.COMPLETE),
    ),
    _rule(
        "x-done",
        r"^" + _T + r"\s*[:,-]?\s+(?:done|finished|completed|complete|✓|✔|✅)$",
        _targeted(Action.COMPLETE),
    ),
    _rule(
        "x-not-done",
        r"^"
        + _T
        + r"\s*[:,-]?\s+(?:still\s+)?(?:not|isn'?t|aren'?t)\s+(?:yet\s+)?(?:done|finished|complete|completed)"
        r"(?:\s+yet)?$",
        _reopen_said,
    ),
    # Adding: "remember"-style phrasings first, since "forget" also means delete.
    _rule(
        "add-remind",
        r"^(?:(?:please\s+)?remind\s+me|don'?t\s+let\s+me\s+forget|do\s+not\s+let\s+me\s+forget|don'?t\s+forget|do\s+not\s+forget|make\s+sure\s+(?:i|that\s+i)(?:\s+remember)?|help\s+me\s+remember|i\s+(?:need|have|want)\s+to\s+remember|(?:i\s+)?(?:must|should|gotta|got\s+to)\s+remember|remember|note\s+to\s+self|reminder|new\s+reminder|set\s+(?:a|up\s+a)\s+reminder|create\s+(?:a\s+)?reminder)\b\s*(?:that\s+)?(?:i\s+(?:need|have|want)\s+to\s+|i\s+should\s+)?[:,-]?\s*(?P<body>.+)$",
        _add_reminded,
    ),
    _rule(
        "add",
        r"^(?:add|create|insert|new|put(?!\s+(?:out|away|up|together|down|back|off)\b)|jot\s+down|jot|note\s+down"
        r"|write\s+down|save|enter|log|pop|stick|throw(?!\s+(?:out|away)\b))\b\s*[:,-]?\s*(?P<body>.+)$",
        _add,
    ),
    # "make/schedule/set up" are task verbs themselves ("schedule a call"), unless a task follows.
    _rule(
        "add-make",
        r"^(?:make|schedule|set\s+up|set|start|open|create)\s+(?P<body>(?:a|an|another|one\s+more)?\s*(?:new\s+)?"
        r"(?:(?:"
        + "|".join(repeats.REPEATING_ADJECTIVES)
        + r"|urgent|important|quick|small|high[\s-]priority|low[\s-]priority)\s+)*"
        r"(?:task|todo|to-do|reminder|item|entry)\b.+)$",
        _add,
    ),
    _rule(
        "add-bare",
        r"^(?:add|create|new|make)(?:\s+(?:a|an|another|one\s+more))?(?:\s+new)?(?:\s+(?:task|todo|to-do|item|reminder))?$",
        _add,
    ),
    _rule(
        "add-todo-prefix",
        r"^(?:todo|to-do|to\s+do|task|new\s+task|new\s+todo|reminder)\s*[:-]\s*(?P<body>.+)$",
        _add,
    ),
    # Deleting.
    _rule(
        "dont-need",
        r"^(?:i\s+)?(?:don'?t|do\s+not|no\s+longer)\s+(?:need|have|want)\s+to\s+"
        + _T
        + r"(?:\s+any\s*more)?$",
        _targeted(Action.DELETE),
    ),
    _rule(
        "not-needed",
        r"^"
        + _T
        + r"\s+(?:is|are)\s+(?:no\s+longer\s+needed|not\s+needed(?:\s+any\s*more)?"
        + r"|cancel(?:l)?ed|obsolete|irrelevant)$",
        _targeted(Action.DELETE),
    ),
    # Renames without a field ("change task 1 to 'Call mom tonight'").
    _rule(
        "change-to",
        r"^(?:change|update|edit|modify|rename|set|switch|replace|make|turn|correct|fix|reword|rewrite)\s+"
        + _T
        + r"(?:\s+(?:to|into|as|so\s+it\s+says|to\s+say|to\s+read|with|=)|\s*:)\s+(?P<value>.+)$",
        _generic_change,
    ),
    # Counting, listing, searching.
    _rule(
        "search",
        r"^(?:search|find|look\s+up|look\s+for|lookup|grep|filter|where'?s|where\s+is)\s+(?:for\s+|me\s+)?(?:my\s+|the\s+)?(?:tasks?\s+|todos?\s+)?(?:for\s+|about\s+|with\s+|named\s+|called\s+|matching\s+)?(?P<q>.+)$",
        _search,
    ),
    _rule("list-verb-late", r"^(?:get|check|open|read|review|go\s+through)\b.*$", _list),
    _rule(
        "tasks-noun",
        r"^(?:(?:my|all|all\s+my|the|any|pending|open|completed|finished|done|overdue|urgent|high[\s-]priority|low[\s-]priority|remaining|outstanding|current|today'?s)\s+)*(?:tasks?|todos?|to-dos?|to\s+dos?|todo\s+list|to-do\s+list|list|items|reminders|agenda)(?:\s+(?:list|please|for\s+today|today|tagged\s+.+|with\s+.+|about\s+.+|due\s+.+|sorted\s+.+|by\s+.+))?$",
        _list,
    ),
    _rule(
        "status-word",
        r"^(?:pending|completed|done|finished|overdue|open|outstanding|remaining|urgent|due\s+today|today|this\s+week|high\s+priority|low\s+priority|#[A-Za-z_][\w-]*)(?:\s+(?:ones|tasks?|items|todos))?$",
        _list,
    ),
    # "I need to pay bills": a duty is a task to add (checked after the specific phrasings).
    _rule(
        "tasks-i",
        r"^(?:the\s+|all\s+(?:the\s+)?)?(?:tasks?|todos?|things?|stuff|items?|everything)\s+(?:that\s+|which\s+)?"
        r"(?:i'?ve|i\s+have|i\s+had|i'?m|i|still)\b.*$",
        _list,
    ),
    _rule(
        "question",
        r"^(?:what|which|whats|what's|any|are|is|was|has|have|had|did|does|do\s+i\s+have|got\s+any|when)\b.*$",
        _list,
    ),
    _rule(
        "add-need",
        r"^(?:i\s+)?(?:really\s+|still\s+|also\s+|definitely\s+)?(?:(?:need|have|got|ought|'ve\s+got|has)\s+to|gotta|must|should)\s+(?:really\s+|definitely\s+|also\s+|still\s+|probably\s+)?(?P<body>.+)$",
        _add,
    ),
    # "buy milk tomorrow": an errand said without "add" (never "call it a day" or "do task 3").
    _rule(
        "add-imperative",
        r"^(?P<body>(?P<verb>[a-z]+)\s+(?!(?:it|that|this|them|those|these|me|us)\b).+)$",
        _add_imperative,
    ),
    # "every weekday at 9am stand-up": a repeat said first, then the errand.
    _rule(
        "add-repeating",
        r"^(?P<body>(?:every|each|daily|weekly|fortnightly|monthly|yearly|on\s+\w+days)\b.+)$",
        _add_repeating,
    ),
    # Answers to "which one?".
    _rule(
        "select-ordinal",
        r"^(?:(?:i\s+mean|i\s+meant|meant|it'?s|its|it\s+is|the\s+answer\s+is|go\s+with|pick|choose|select|use|take|how\s+about|what\s+about)\s+)?(?P<target>(?:the\s+)?(?:(?:first|last|top|bottom)\s+(?:two|three|four|five|[2-5])|"
        + ORDINAL_WORD
        + r"|#?\s*\d+|task\s*#?\s*\d+|number\s+\d+|both|all\s+of\s+them|that\s+one|this\s+one)"
        + r"(?:\s+one)?(?:\s*(?:,|and|&)\s*(?:the\s+)?(?:"
        + ORDINAL_WORD
        + r"|#?\s*\d+)(?:\s+one)?)*)$",
        _select,
    ),
    _rule(
        "select-named",
        r"^(?:i\s+mean(?:t)?|meant|the\s+one\s+(?:about|for|called|with|named|that\s+says)|the\s+one)\s+(?P<target>.+)$",
        _select,
    ),
    # Questions about one task ("when is the dentist appointment?"): show it.
    _rule(
        "ask-about",
        r"^(?:(?:when\s+is|when'?s|tell\s+me\s+about|is)\s+(?:the\s+)?"
        r"|(?:what\s+is|what'?s|show\s+me)\s+the\s+"
        r"(?:due\s+date|deadline|id|status|priority|description|details?|number)\s+(?:of|for|on)\s+)"
        + _T
        + r"(?:\s+(?:due|done|finished|complete|completed|about))?$",
        _ask_about,
    ),
    # "any news on the report?", "what about the dentist?": that task's state.
    _rule(
        "news-on",
        r"^(?:any\s+(?:news|update|updates|progress)\s+(?:on|about|with)|what\s+about|how\s+about"
        r"|how'?s|how\s+is|how\s+are\s+we\s+doing\s+(?:on|with)|what'?s\s+(?:happening|going\s+on)"
        r"\s+with|(?:the\s+)?status\s+of|where\s+are\s+we\s+(?:on|with))\s+" + _T + r"$",
        _ask_state,
    ),
    # A verb with nothing after it ("delete", "rename task 2"): ask what is missing.
    _rule("bare-delete", r"^(?:delete|remove)(?:\s+(?:a|one)\s+task)?$", _simple(Action.DELETE)),
    _rule(
        "bare-complete",
        r"^(?:complete|finish|mark(?:\s+(?:it|one|a\s+task))?\s+(?:as\s+)?(?:done|complete|completed))$",
        _simple(Action.COMPLETE),
    ),
    _rule(
        "bare-update",
        r"^(?:rename|update|edit|modify|change)\s+" + _T + r"$",
        lambda match: Intent(Action.UPDATE, target=parse_target(match.group("target"))),
    ),
]

# Rules whose intent may lack a target: the planner asks which task.
OPEN_ENDED = frozenset({"bare-delete", "bare-complete"})
