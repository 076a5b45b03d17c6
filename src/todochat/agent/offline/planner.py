"""The loop an LLM would run: given the conversation so far, pick the next tool calls or reply.

Every decision is a pure function of the input items, so the model keeps no state between calls:
each step re-reads the user's message and what the tools have returned since.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from . import reply, resolve
from .history import MUTATING_TOOLS, Conversation, ToolStep, Turn
from .intent import TARGETED, Action, Changes, Intent, Target
from .phrases import parse_new_tasks, parse_target
from .understand import lookup, normalize, split_requests, understand

LIST_LIMIT = 100  # the tools' page size cap; enough to find a task by name
MAX_BULK = 20  # changes per request; more would be a surprise to the user and to rate limits

Task = dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """A tool the model wants called."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """What the model does next: call tools, or answer with text."""

    calls: list[ToolCall] = field(default_factory=list)
    text: str | None = None


def say(text: str) -> Step:
    """Answer the user and end the turn."""
    return Step(text=text)


def call(*calls: ToolCall) -> Step:
    """Call tools; the model is asked again once they have answered."""
    return Step(calls=list(calls))


def list_tasks(**arguments: Any) -> ToolCall:
    """A list_tasks call without empty arguments."""
    arguments.setdefault("status", "all")
    arguments.setdefault("limit", LIST_LIMIT)
    return ToolCall("list_tasks", {k: v for k, v in arguments.items() if v not in (None, "")})


@dataclass
class Situation:
    """Everything a planner needs: the conversation, the intent, and how to show dates."""

    convo: Conversation
    intent: Intent
    zone: tzinfo
    from_question: bool = False  # the user is answering "which one?"
    correcting: bool = False  # "no, I meant task 4": undo the last change, then redo it there

    @property
    def steps(self) -> list[ToolStep]:
        """Tools called so far in this turn."""
        return self.convo.current.steps

    def lookups(self) -> list[ToolStep]:
        """list_tasks calls made in this turn."""
        return [s for s in self.steps if s.name == "list_tasks"]


def next_step(convo: Conversation, zone: tzinfo) -> Step:
    """Decide the next step of the current turn."""
    parts = split_requests(convo.current.user)
    if parts:
        return _sequence(convo, parts, zone)
    return _single_step(convo, zone)


def _single_step(convo: Conversation, zone: tzinfo) -> Step:
    intent = understand(convo.current.user)
    situation = _follow_up(Situation(convo, intent, zone))
    return PLANNERS[situation.intent.action](situation)


def _sequence(convo: Conversation, parts: list[str], zone: tzinfo) -> Step:
    """Several requests in one message, carried out one after the other.

    The steps of this turn are replayed: each request is planned on the tool results that
    followed it, so the whole stays a pure function of the conversation.
    """
    steps = convo.current.steps
    earlier = convo.turns[:-1]
    start = 0
    answers = []
    for part in parts:
        used = 0
        while True:
            sub = Conversation([*earlier, Turn(part, steps[start : start + used])])
            step = _single_step(sub, zone)
            if step.text is not None:
                answers.append(step.text)
                start += used
                break
            if start + used >= len(steps):
                return step
            used += len(step.calls)
    return say("\n".join(answers))


# --- follow-ups ("the second one", "yes") ------------------------------------------------------


def _open_request(convo: Conversation) -> Intent | None:
    """A change asked for in the last few turns that is still waiting for "which one?"."""
    for turn in reversed(convo.turns[:-1][-3:]):
        if turn.changed:
            return None
        intent = understand(turn.user)
        if intent.action in TARGETED:
            return intent
        if intent.action not in (Action.SELECT, Action.UNKNOWN):
            return None
    return None


def _follow_up(situation: Situation) -> Situation:
    """Join an answer like "the second one" to the request it answers."""
    intent = situation.intent
    if intent.errand:
        # "and buy milk too" after "mark call mom as done": the same change, not a new task.
        followed = _continuation(situation)
        if followed.intent is not intent:
            return followed
        if _continues(situation.convo.current.user):
            return replace(situation, intent=Intent(Action.UNKNOWN))  # "too" after no change
        return situation
    if intent.action not in (Action.SELECT, Action.UNKNOWN):
        return situation
    previous = situation.convo.previous
    if intent.action == Action.UNKNOWN and previous and not previous.steps:
        asked = understand(previous.user)
        if asked.action == Action.ADD and not asked.new_tasks:
            # "add a task" -> "what should it say?" -> "buy milk"
            tasks = parse_new_tasks(situation.convo.current.user)
            return replace(situation, intent=Intent(Action.ADD, new_tasks=tasks))
    request = _open_request(situation.convo)
    shown = situation.convo.last_shown()
    if request is None:
        return _correction(situation) or _continuation(situation)
    if intent.affirm:
        if len(shown) != 1:
            return situation
        target = Target(ids=shown)
    elif intent.action == Action.UNKNOWN:
        target = parse_target(normalize(situation.convo.current.user))
    else:
        target = intent.target
    if target.bare and len(target.ids) == 1 and target.ids[0] not in shown:
        if 1 <= target.ids[0] <= len(shown):
            target = Target(positions=target.ids)  # "2" after a numbered list means the second
    if target.empty:
        return situation
    return replace(situation, intent=replace(request, target=target), from_question=True)


_MEANT_RE = re.compile(
    r"^(?:(?:no|nope|sorry|oops|wait|actually|not\s+that(?:\s+one)?)\b[\s,.!-]*)+"
    r"(?:i\s+meant?|meant|it\s+(?:was|is|should\s+(?:have\s+)?be(?:en)?))\s+",
    re.I,
)


def _correction(situation: Situation) -> Situation | None:
    """ "no, I meant task 4" right after a change: the same change, on another task."""
    previous = situation.convo.previous
    text = situation.convo.current.user.strip()
    meant = _MEANT_RE.match(text)
    if previous is None or not previous.changed or meant is None:
        return None
    said = understand(previous.user)
    if said.action not in TARGETED or said.target.group or said.target.every_shown:
        return None
    target = parse_target(normalize(text[meant.end() :]))
    if target.empty or target.pronoun:
        return None
    return replace(situation, intent=replace(said, target=target), correcting=True)


# "and buy milk too", "same for task 4", "also the report": the last request, for more tasks.
_ALSO_RE = re.compile(
    r"^(?:(?P<lead>(?:and|also|plus)\s+(?:also\s+)?(?:(?:do\s+)?the\s+same\s+(?:for|with|to)\s+)?"
    r"|(?:(?:do\s+)?the\s+)?same\s+(?:for|with|to)\s+|ditto\s+(?:for\s+)?))?"
    r"(?P<what>.+?)(?P<trail>\s+(?:too|as\s+well|also))?\s*[.!]*$",
    re.I,
)
_REPEATABLE = TARGETED | {Action.ADD}


def _continues(message: str) -> bool:
    """True when the message says it repeats something ("and …", "… too")."""
    match = _ALSO_RE.match(message.strip())
    return bool(match and (match.group("lead") or match.group("trail")))


def _continuation(situation: Situation) -> Situation:
    """Repeat the change made last turn on what this message names ("and buy milk too")."""
    match = _ALSO_RE.match(situation.convo.current.user.strip())
    if not match or not (match.group("lead") or match.group("trail")):
        return situation
    for turn in reversed(situation.convo.turns[:-1][-3:]):
        said = understand(turn.user)
        if said.action in _REPEATABLE and turn.changed:
            break
        if said.action != Action.UNKNOWN or not _ALSO_RE.match(turn.user.strip()):
            return situation
    else:
        return situation
    what = match.group("what")
    if said.action == Action.ADD:
        tasks = parse_new_tasks(what)
        if not tasks:
            return situation
        return replace(situation, intent=Intent(Action.ADD, new_tasks=tasks))
    target = parse_target(normalize(what))
    if target.empty or target.pronoun:
        return situation
    return replace(situation, intent=replace(said, target=target))


# --- small talk --------------------------------------------------------------------------------


def _plan_help(situation: Situation) -> Step:
    return say(reply.HELP)


def _plan_greet(situation: Situation) -> Step:
    return say(reply.GREETING)


def _plan_thanks(situation: Situation) -> Step:
    return say(reply.THANKS)


def _plan_cancel(situation: Situation) -> Step:
    return say(reply.CANCELLED)


def _plan_unknown(situation: Situation) -> Step:
    search = lookup(situation.convo.current.user)
    if search is not None:
        return _plan_list(replace(situation, intent=search))  # "milk?": is it on the list?
    return say(reply.UNKNOWN)


def _plan_select(situation: Situation) -> Step:
    """A pick ("the first one") with no open request: ask what to do with it."""
    intent = situation.intent
    if intent.affirm:
        return say("Okay! What would you like to do next?")
    ids = _direct_ids(intent.target, situation.convo)
    if isinstance(ids, Step):
        return ids
    known = situation.convo.known_tasks()
    tasks = [known.get(i, {"id": i, "title": "(task)"}) for i in ids or []]
    if not tasks:
        return say(reply.UNKNOWN)
    return say(reply.ask_what_to_do(tasks, situation.zone))


# --- undo ------------------------------------------------------------------------------------


def _restore_arguments(old: Task, fields: list[str]) -> dict[str, Any]:
    """The arguments putting back the given fields of a task as it was."""
    arguments: dict[str, Any] = {}
    for key in fields:
        if key == "due":
            arguments["due"] = old.get("due_at") or ""
        elif key == "description":
            arguments["description"] = old.get("description") or ""
        elif key in ("title", "priority", "tags") and old.get(key) is not None:
            arguments[key] = old[key]
    return arguments


def _undo_calls(convo: Conversation) -> list[ToolCall] | None:
    """Calls reversing the last turn that changed anything ([] if none did; None if unknown)."""
    earlier = convo.turns[:-1]
    for index in range(len(earlier) - 1, -1, -1):
        turn = earlier[index]
        if not turn.changed:
            continue
        looked = Turn(turn.user, [s for s in turn.steps if s.name == "list_tasks"])
        before = Conversation([*earlier[:index], looked]).known_tasks()
        calls = []
        for step in reversed([s for s in turn.steps if s.name in MUTATING_TOOLS and s.ok]):
            task_id, result = step.task_id, step.result or {}
            old = before.get(task_id) if task_id is not None else None
            if step.name == "add_task":
                calls.append(ToolCall("delete_task", {"task_id": task_id}))
            elif step.name == "complete_task":
                again = result.get("status") == "reopened"
                calls.append(ToolCall("complete_task", {"task_id": task_id, "completed": again}))
            elif step.name == "delete_task":
                # The same task comes back: its number, reminders and history with it.
                calls.append(ToolCall("restore_task", {"task_id": task_id}))
            elif step.name == "restore_task":
                calls.append(ToolCall("delete_task", {"task_id": task_id}))
            elif old is None or step.name == "skip_occurrence":
                return None  # how it was before is not known
            else:
                fields = [k for k in step.arguments if k != "task_id"]
                arguments = _restore_arguments(old, fields)
                calls.append(ToolCall("update_task", {"task_id": task_id, **arguments}))
        return calls
    return []


def _plan_undo(situation: Situation) -> Step:
    done = [s for s in situation.steps if s.name in MUTATING_TOOLS]
    if done:
        lines = [reply.confirm(s, situation.zone) for s in done]
        return say("Undone. " + "\n".join(lines))
    calls = _undo_calls(situation.convo)
    if calls is None:
        return say(
            "I can't tell how that task was before, so I haven't changed anything. "
            "Tell me what to change back (e.g. “rename task 2 to Call mom”)."
        )
    if not calls:
        return say("There's nothing to undo: I haven't changed anything in this conversation.")
    return call(*calls)


# --- adding ------------------------------------------------------------------------------------


def add_arguments(task: Changes) -> dict[str, Any]:
    arguments: dict[str, Any] = {"title": task.title}
    if task.description:
        arguments["description"] = task.description
    if task.priority:
        arguments["priority"] = task.priority
    if task.tags:
        arguments["tags"] = task.tags
    if task.due:
        arguments["due"] = task.due
    if task.recurrence:
        arguments["recurrence"] = task.recurrence
    if task.reminders:
        arguments["reminders"] = task.reminders
    return arguments


def _remind_existing(situation: Situation) -> Step | None:
    """ "remind me about the gym at 7pm": a reminder on the gym task when exactly one fits."""
    intent = situation.intent
    target = intent.remind
    if target is None or not target.name:
        return None
    changed = [s for s in situation.steps if s.name == "update_task"]
    if changed:
        return say("\n".join(reply.confirm(s, situation.zone) for s in changed))
    lookups = situation.lookups()
    if not lookups:
        return call(list_tasks(status="pending"))
    found = resolve.find_by_name(target.name, lookups[-1].tasks).found
    if len(found) != 1 or resolve.similarity(target.name, found[0]) < 90:
        return None  # no such task: it is a new one
    reminders = intent.new_tasks[0].reminders
    return call(ToolCall("update_task", {"task_id": found[0]["id"], "reminders": reminders}))


def _plan_add(situation: Situation) -> Step:
    wanted = situation.intent.new_tasks
    if not wanted:
        return say(reply.ASK_TITLE)
    if (existing := _remind_existing(situation)) is not None:
        return existing
    adds = [s for s in situation.steps if s.name == "add_task"]
    if not adds:
        return call(*(ToolCall("add_task", add_arguments(t)) for t in wanted[:MAX_BULK]))
    # A due phrase the server could not read should not lose the task: add it without one.
    unreadable = [s for s in adds[: len(wanted)] if not s.ok and s.arguments.get("due")]
    if unreadable and len(adds) <= len(wanted):
        retries = [{k: v for k, v in s.arguments.items() if k != "due"} for s in unreadable]
        return call(*(ToolCall("add_task", args) for args in retries))
    lines = []
    for step in adds:
        if not step.ok and step.arguments.get("due") and len(adds) > len(wanted):
            lines.append(
                f"I couldn't read the due date “{step.arguments['due']}”, so I left it off."
            )
        else:
            lines.append(reply.confirm(step, situation.zone))
    return say("\n".join(lines))


# --- listing -----------------------------------------------------------------------------------


def _plan_list(situation: Situation) -> Step:
    intent = situation.intent
    found = intent.filter
    lookups = situation.lookups()
    if intent.target.ids or intent.about:
        return _plan_details(situation)
    if not lookups:
        return call(list_tasks(**found.arguments()))
    last = lookups[-1]
    if not last.ok:
        return say(f"I couldn't load your tasks: {last.error}")
    tasks = last.tasks
    if (found.query or found.guessed_tag) and len(lookups) == 1 and not tasks:
        # The server matches words literally, and "shopping tasks" may not be a tag at all:
        # look again and match loosely (typos, plurals, descriptions).
        dropped = ("query", "tag") if found.guessed_tag else ("query",)
        broader = {k: v for k, v in found.arguments().items() if k not in dropped}
        return call(list_tasks(**broader))
    if len(lookups) > 1:
        if found.guessed_tag:
            found = replace(found, tag=None, query=found.tag, guessed_tag=False)
        tasks = resolve.search(found.query or "", tasks)
    if found.tomorrow or found.day is not None:
        day = found.day if found.day is not None else 1
        tasks = [t for t in tasks if reply.days_from_today(t.get("due_at"), situation.zone) == day]
    text = reply.listing(tasks, found, situation.zone, count_only=intent.count)
    total = (last.result or {}).get("total")
    if isinstance(total, int) and total > len(last.tasks) and len(lookups) == 1:
        text += f"\n(Showing {len(last.tasks)} of {total}.)"
    return say(text)


def _plan_details(situation: Situation) -> Step:
    """ "show task 5", "when is the dentist appointment?": everything about those tasks."""
    lookups = situation.lookups()
    if not lookups:
        return call(list_tasks())
    target = situation.intent.target
    if target.name and not target.ids:
        matches = resolve.find_by_name(target.name, lookups[-1].tasks)
        if not matches.found and target.loose:
            # "have I called the plumber?" about "Ring the plumber": the object alone.
            loose = resolve.find_by_name(target.loose, lookups[-1].tasks)
            matches = loose if loose.found else matches
        if not matches.found:
            return say(reply.not_found(target.name, matches.suggestions, situation.zone))
        return say("\n".join(reply.details(t, situation.zone) for t in matches.found))
    by_id = {t.get("id"): t for t in lookups[-1].tasks}
    lines = []
    for task_id in situation.intent.target.ids:
        task = by_id.get(task_id)
        lines.append(
            reply.details(task, situation.zone) if task else f"There's no task #{task_id}."
        )
    return say("\n".join(lines))


# --- changing existing tasks -------------------------------------------------------------------


def _direct_ids(target: Target, convo: Conversation) -> list[int] | Step | None:
    """Ids the target names without looking anything up; a Step when it cannot be answered."""
    if target.ids:
        return list(dict.fromkeys(target.ids))
    if target.positions:
        shown = convo.last_shown()
        if not shown:
            return None  # "the first task" with no list shown: count in the list as it stands
        ids = resolve.at_positions(target.positions, shown)
        return ids if ids is not None else say(reply.bad_position(len(shown)))
    if target.every_shown:
        shown = convo.last_shown()
        if not shown:
            return say(reply.bad_position(0))
        if target.shown_count is not None and target.shown_count != len(shown):
            return say(reply.bad_position(len(shown)))  # "both" but three were shown
        return shown
    return None


def _needs_current_state(intent: Intent) -> bool:
    """Adding or removing one tag needs the tags the task has now."""
    changes = intent.changes
    return bool(changes.add_tags or changes.remove_tags or changes.shift_days is not None)


def _shifted_due(task: Task | None, days: int, zone: tzinfo) -> str:
    """The task's due date moved by some days, in ISO form (from today when it has none)."""
    current = (task or {}).get("due_at")
    if current:
        try:
            moment = datetime.fromisoformat(str(current).replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            return _plus_days(moment, days).isoformat()
    return f"in {days} days" if days > 0 else "today"  # read by the tools' date reader


def _plus_days(moment: datetime, days: int) -> datetime:
    """The moment some days later, or the calendar's end past it: the tool then refuses the
    date with its own message instead of the turn failing here."""
    try:
        return moment + timedelta(days=days)
    except OverflowError:
        if days > 0:
            return datetime.max.replace(tzinfo=moment.tzinfo)
        return datetime.min.replace(tzinfo=moment.tzinfo)


def _update_arguments(changes: Changes, task: Task | None, zone: tzinfo) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if changes.title is not None:
        arguments["title"] = changes.title
    if changes.description is not None:
        arguments["description"] = changes.description
    if changes.priority is not None:
        arguments["priority"] = changes.priority
    if changes.due is not None:
        arguments["due"] = changes.due
    if changes.shift_days is not None:
        arguments["due"] = _shifted_due(task, changes.shift_days, zone)
    if changes.tags is not None:
        arguments["tags"] = changes.tags
    if changes.recurrence is not None:
        arguments["recurrence"] = changes.recurrence
    if changes.reminders is not None:
        arguments["reminders"] = changes.reminders
    if changes.add_tags or changes.remove_tags:
        current = [str(t) for t in (task or {}).get("tags") or []]
        merged = [t for t in current if t not in changes.remove_tags]
        merged += [t for t in changes.add_tags if t not in merged]
        arguments["tags"] = merged
    return arguments


def _act(situation: Situation, tasks: list[Task]) -> Step:
    """The tool calls that carry out the request on each chosen task."""
    intent = situation.intent
    calls = []
    for task in tasks[:MAX_BULK]:
        task_id = task["id"]
        if intent.action == Action.COMPLETE:
            calls.append(ToolCall("complete_task", {"task_id": task_id}))
        elif intent.action == Action.REOPEN:
            calls.append(ToolCall("complete_task", {"task_id": task_id, "completed": False}))
        elif intent.action == Action.DELETE:
            calls.append(ToolCall("delete_task", {"task_id": task_id}))
        elif intent.action == Action.SKIP:
            calls.append(ToolCall("skip_occurrence", {"task_id": task_id}))
        else:
            arguments = _update_arguments(intent.changes, task, situation.zone)
            calls.append(ToolCall("update_task", {"task_id": task_id, **arguments}))
    return call(*calls)


def _summary(situation: Situation, done: list[ToolStep]) -> str:
    """Confirm every change made in this turn (and any that failed)."""
    zone = situation.zone
    if len(done) == 1:
        return reply.confirm(done[0], zone)
    ok = [s for s in done if s.ok]
    failed = [s for s in done if not s.ok]
    verb = {
        Action.COMPLETE: "Done — marked {n} as completed",
        Action.REOPEN: "Reopened {n}",
        Action.DELETE: "Deleted {n}",
        Action.UPDATE: "Updated {n}",
        Action.SKIP: "Skipped the next occurrence of {n}",
    }.get(situation.intent.action, "Changed {n}")
    lines = []
    if ok:
        noun = f"{len(ok)} task{'s' if len(ok) != 1 else ''}"
        lines.append(verb.format(n=noun) + ":")
        for step in ok:
            result = step.result or {}
            lines.append(
                f"- #{result.get('task_id', step.task_id)} {reply.safe_title(result.get('title'))}"
            )
    lines.extend(reply.failure(s) for s in failed)
    return "\n".join(lines)


def _pick_by_name(situation: Situation, name: str, tasks: list[Task]) -> list[Task] | Step:
    """The task(s) a name means, or a question when it is unclear."""
    intent = situation.intent
    pool = tasks
    if situation.from_question:
        # An answer to "which one?" is about the candidates just listed.
        shown = set(situation.convo.last_shown())
        listed = [t for t in tasks if t.get("id") in shown]
        if resolve.find_by_name(name, listed).found:
            pool = listed
    matches = resolve.find_by_name(name, pool)
    found = matches.found
    if intent.action == Action.COMPLETE:
        found = resolve.prefer_status(found, completed=False)
    elif intent.action == Action.REOPEN:
        found = resolve.prefer_status(found, completed=True)
    if len(found) == 1:
        return found
    if found:
        return say(reply.ambiguous(name, found, intent.action, situation.zone))
    return say(reply.not_found(name, matches.suggestions, situation.zone))


def _pick_each(situation: Situation, names: list[str], tasks: list[Task]) -> list[Task] | Step:
    """Each name's task; a last part that names no task at all is a remark, not a name
    ("cancel the dinner, plans changed")."""
    picked: list[Task] = []
    for index, name in enumerate(names):
        one = _pick_by_name(situation, name, tasks)
        if isinstance(one, Step):
            last = index == len(names) - 1
            if last and picked and not resolve.find_by_name(name, tasks).suggestions:
                break
            return one
        picked.extend(t for t in one if t not in picked)
    return picked


def _pick_by_words(statement: str, tasks: list[Task]) -> list[Task] | None:
    """The one task sharing a distinctive word with what the user said, if only one does."""
    hits = [t for t in tasks if resolve.shares_a_word(statement, t)]
    return hits if len(hits) == 1 else None


def _plan_change(situation: Situation) -> Step:
    done = [s for s in situation.steps if s.name in MUTATING_TOOLS]
    if done and situation.correcting:
        return say("\n".join(reply.confirm(s, situation.zone) for s in done))
    if done:
        return say(_summary(situation, done))
    step = _plan_targets(situation)
    if situation.correcting and any(c.name in MUTATING_TOOLS for c in step.calls):
        undo = _undo_calls(Conversation([*situation.convo.turns[:-1], Turn("", [])]))
        if undo is None:
            return say(reply.UNKNOWN)
        return call(*undo, *step.calls)
    return step


def _plan_targets(situation: Situation) -> Step:
    intent = situation.intent
    convo = situation.convo
    if intent.action == Action.UPDATE and intent.changes.empty:
        return say(reply.nothing_to_change())
    target = intent.target
    lookups = situation.lookups()
    if lookups and not lookups[-1].ok:
        return say(f"I couldn't load your tasks: {lookups[-1].error}")
    tasks = lookups[-1].tasks if lookups else None

    if target.group is not None:
        group = replace(target.group)
        if intent.action == Action.COMPLETE and group.status in (None, "all"):
            group.status = "pending"
        elif intent.action == Action.REOPEN and group.status in (None, "all"):
            group.status = "completed"
        if tasks is None:
            return call(list_tasks(**group.arguments()))
        if group.guessed_tag and not tasks and len(lookups) == 1:
            # "all shopping tasks" may not be a tag: look again and match the word loosely.
            return call(list_tasks(**{k: v for k, v in group.arguments().items() if k != "tag"}))
        if group.guessed_tag and len(lookups) > 1:
            tasks = resolve.search(group.tag or "", tasks)
            group = replace(group, tag=None, query=group.tag, guessed_tag=False)
        if not tasks:
            return say(reply.nothing_in_group(group, intent.action))
        return _act(situation, tasks)

    ids = _direct_ids(target, convo)
    if isinstance(ids, Step):
        return ids
    if ids is None and target.pronoun:
        talked_about = convo.last_talked_about()
        if len(talked_about) > 1:
            known = convo.known_tasks()
            candidates = [known.get(i, {"id": i, "title": "(task)"}) for i in talked_about]
            return say(reply.ambiguous("it", candidates, intent.action, situation.zone))
        ids = talked_about or None
        if ids is None:
            return say(reply.no_reference(intent.action))
    if ids is not None:
        if _needs_current_state(intent):
            if tasks is None:
                return call(list_tasks())
            by_id = {t.get("id"): t for t in tasks}
            missing = [i for i in ids if i not in by_id]
            if missing:
                return say(f"I couldn't find task #{missing[0]}.")
            return _act(situation, [by_id[i] for i in ids])
        return _act(situation, [{"id": i} for i in ids])

    if target.positions:
        status = {Action.COMPLETE: "pending", Action.REOPEN: "completed"}.get(intent.action, "all")
        if tasks is None:
            return call(list_tasks(status=status))
        position_ids = resolve.at_positions(target.positions, [t["id"] for t in tasks])
        if position_ids is None:
            return say(reply.bad_position(len(tasks)))
        return _act(situation, [t for t in tasks if t["id"] in position_ids])
    if target.name:
        if tasks is None:
            return call(list_tasks())
        picked = _pick_by_name(situation, target.name, tasks)
        if isinstance(picked, Step) and target.names:
            # "the milk and the rent tasks": no title has both, so find each one.
            picked = _pick_each(situation, target.names, tasks)
        if isinstance(picked, Step) and target.loose:
            # "so I decided pottery isn't for me, take that off": the statement's words.
            picked = _pick_by_words(target.loose, tasks) or picked
        if isinstance(picked, Step):
            return picked
        return _act(situation, picked)
    return say(reply.no_reference(intent.action))


PLANNERS: dict[Action, Callable[[Situation], Step]] = {
    Action.ADD: _plan_add,
    Action.LIST: _plan_list,
    Action.COMPLETE: _plan_change,
    Action.REOPEN: _plan_change,
    Action.DELETE: _plan_change,
    Action.UPDATE: _plan_change,
    Action.SKIP: _plan_change,
    Action.SELECT: _plan_select,
    Action.CANCEL: _plan_cancel,
    Action.UNDO: _plan_undo,
    Action.GREET: _plan_greet,
    Action.THANKS: _plan_thanks,
    Action.HELP: _plan_help,
    Action.UNKNOWN: _plan_unknown,
}
