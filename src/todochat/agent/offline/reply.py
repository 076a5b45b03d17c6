"""Wording: how tasks, confirmations and questions read to the user."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from .history import ToolStep
from .intent import Action, Filter

Task = dict[str, Any]

EXAMPLES = (
    '"add buy milk tomorrow, high priority", "what\'s pending?", "mark task 3 done", '
    '"rename task 2 to Call mom", "delete the meeting task"'
)
HELP = (
    "I keep your todo list. You can ask me to add, list, complete, reopen, update or delete tasks, "
    f"for example: {EXAMPLES}. Refer to tasks by number (#3), by name, by position "
    '("the first one") or as "it".'
)
GREETING = f"Hi! I'm your todo assistant. Try {EXAMPLES}."
ASK_TITLE = "Sure — what should the task say? For example: “buy milk tomorrow”."
THANKS = "You're welcome! Anything else on your list?"
CANCELLED = "Okay, I've left everything as it is."
UNKNOWN = f"Sorry, I didn't understand that, so I haven't changed anything. Try {EXAMPLES}."


def safe_title(task: Task | str | None) -> str:
    """A title on one line: stored titles are data, shown verbatim but never as markup."""
    title = task.get("title", "") if isinstance(task, dict) else (task or "")
    return re.sub(r"\s+", " ", str(title)).strip() or "(untitled)"


def _due(value: Any, zone: tzinfo) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(zone)
    except OverflowError:
        # At the calendar's very end (9999-12-31 in a zone ahead of UTC) the local date does
        # not exist in Python: show the stored moment as it is rather than fail the turn.
        return moment


def days_from_today(value: Any, zone: tzinfo) -> int | None:
    """How many calendar days from today (in the user's zone) a due date is."""
    moment = _due(value, zone)
    return (moment.date() - datetime.now(zone).date()).days if moment else None


def format_due(value: Any, zone: tzinfo) -> str | None:
    """ "Fri 5 Dec", with the time when it is not midnight ("Fri 5 Dec 5pm")."""
    moment = _due(value, zone)
    if moment is None:
        return None
    text = f"{moment:%a} {moment.day} {moment:%b}"
    if moment.year != datetime.now(zone).year:
        text += f" {moment.year}"
    if (moment.hour, moment.minute) not in ((0, 0), (23, 59)):
        hour = moment.hour % 12 or 12
        minutes = f":{moment.minute:02d}" if moment.minute else ""
        text += f" {hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"
    return text


def task_line(task: Task, zone: tzinfo) -> str:
    """ "#3 Buy milk (high, due Fri 5 Dec, #home)" — done tasks say so."""
    notes = []
    if task.get("completed"):
        notes.append("done")
    if task.get("priority") in ("high", "low"):
        notes.append(f"{task['priority']} priority")
    due = format_due(task.get("due_at"), zone)
    if due:
        moment = _due(task.get("due_at"), zone)
        late = not task.get("completed") and moment is not None and moment < datetime.now(zone)
        notes.append(f"{'overdue, was ' if late else ''}due {due}")
    notes.extend(_repeat_and_reminders(task, zone))
    tags = [f"#{tag}" for tag in task.get("tags") or []]
    notes.extend(tags)
    suffix = f" ({', '.join(notes)})" if notes else ""
    return f"#{task.get('id')} {safe_title(task)}{suffix}"


def _repeat_and_reminders(task: Task, zone: tzinfo) -> list[str]:
    """ "repeats every Monday at 9:00", "reminder Fri 5 Dec 4:30pm": what the task will do."""
    notes = []
    recurrence = task.get("recurrence")
    if isinstance(recurrence, dict) and recurrence.get("text"):
        notes.append(f"repeats {recurrence['text']}")
    for reminder in task.get("reminders") or []:
        if isinstance(reminder, dict) and reminder.get("status") == "pending":
            notes.append(reminder_words(reminder, zone))
    return notes


_DURATION_RE = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:\d+S)?)?$"
)


def _lead_time(duration: str) -> str:
    """ "PT15M" -> "15 minutes", "P1D" -> "1 day", "PT1H30M" -> "1 hour 30 minutes"."""
    match = _DURATION_RE.match(duration)
    if not match:
        return duration
    words = [
        f"{int(value)} {unit[:-1] if int(value) == 1 else unit}"
        for unit, value in match.groupdict().items()
        if value and int(value)
    ]
    return " ".join(words) or duration


def reminder_words(reminder: dict[str, Any], zone: tzinfo) -> str:
    """ "reminder 15 minutes before (Mon 30 Nov 11:15pm)" or "reminder Fri 4 Dec 10am"."""
    at = format_due(reminder.get("at"), zone) or reminder.get("at")
    before = reminder.get("before")
    if isinstance(before, str) and before:
        return f"reminder {_lead_time(before)} before ({at})"
    return f"reminder {at}"


def task_lines(tasks: list[Task], zone: tzinfo) -> str:
    """One task per line, as a list the user can point into ("the second one")."""
    return "\n".join(f"{n}. {task_line(task, zone)}" for n, task in enumerate(tasks, start=1))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _describe_filter(found: Filter) -> str:
    """ "pending tasks tagged #work about 'milk'"."""
    status = {"pending": "pending ", "completed": "completed "}.get(found.status or "", "")
    priority = f"{found.priority}-priority " if found.priority else ""
    words = f"{status}{priority}tasks"
    if found.tag:
        words += f" tagged #{found.tag}"
    if found.query:
        words += f" about “{found.query}”"
    if found.due == "today":
        words += " due today"
    elif found.due == "week":
        if found.day == 2:
            words += " due the day after tomorrow"
        else:
            words += " due tomorrow" if found.tomorrow else " due this week"
    elif found.due == "overdue":
        words = f"overdue {words}"
    return words


def listing(tasks: list[Task], found: Filter, zone: tzinfo, *, count_only: bool = False) -> str:
    """The reply to a list request."""
    what = _describe_filter(found)
    by_status_only = not any((found.query, found.tag, found.priority, found.due))
    if not tasks:
        if by_status_only and found.status == "completed":
            return "You haven't completed any tasks yet."
        if by_status_only and found.status == "pending":
            return "Nothing pending — you're all caught up!"
        if not found.narrowed:
            return "Your list is empty. Add something with, e.g., “add buy milk tomorrow”."
        return f"You have no {what}."
    count = len(tasks)
    noun = what if count != 1 else what.replace("tasks", "task", 1)
    if count_only and not found.narrowed:
        done = sum(1 for t in tasks if t.get("completed"))
        head = f"You have {_plural(count, 'task')}: {count - done} pending and {done} completed"
    elif count_only:
        head = f"You have {count} {noun}"
    elif by_status_only and found.status == "completed":
        head = f"You've completed {_plural(count, 'task')}"
    else:
        head = f"Here {'is' if count == 1 else 'are'} your {noun} ({count})"
    return f"{head}:\n{task_lines(tasks, zone)}"


def details(task: Task, zone: tzinfo) -> str:
    """Everything about one task."""
    text = task_line(task, zone) + ("" if task.get("completed") else " — not done yet")
    if task.get("description"):
        text += f"\n   {safe_title(str(task['description']))}"
    return text


def _change_words(changes: dict[str, Any], task: Task | None, zone: tzinfo) -> str:
    parts = []
    if "title" in changes:
        parts.append(f"renamed to “{safe_title(changes['title'])}”")
    if "priority" in changes:
        parts.append(f"priority {changes['priority']}")
    if "due" in changes:
        due = format_due((task or {}).get("due_at"), zone)
        parts.append("no due date" if changes["due"] == "" else f"due {due or changes['due']}")
    if "description" in changes:
        parts.append(f"description “{changes['description']}”")
    if "tags" in changes:
        tags = ", ".join(f"#{t}" for t in changes["tags"]) or "none"
        parts.append(f"tags {tags}")
    if "recurrence" in changes:
        recurrence = (task or {}).get("recurrence")
        if changes["recurrence"] == "" or not isinstance(recurrence, dict):
            parts.append("no longer repeats")
        else:
            parts.append(f"repeats {recurrence.get('text') or changes['recurrence']}")
    if "reminders" in changes:
        reminders = [
            reminder_words(item, zone)
            for item in (task or {}).get("reminders") or []
            if isinstance(item, dict) and item.get("status") == "pending"
        ]
        parts.extend(reminders or ["no reminders"])
    return ", ".join(parts)


def confirm(step: ToolStep, zone: tzinfo) -> str:
    """One sentence confirming what a changing tool did (or why it failed)."""
    result = step.result or {}
    task = result.get("task") if isinstance(result.get("task"), dict) else None
    ident = result.get("task_id", step.arguments.get("task_id"))
    title = safe_title(
        result.get("title") or (task or {}).get("title") or step.arguments.get("title")
    )
    if not step.ok:
        return failure(step)
    if step.name == "add_task":
        line = task_line(task, zone) if task else f"#{ident} {title}"
        return f"Added {line}."
    if step.name == "complete_task":
        if result.get("status") == "reopened":
            return f"Reopened #{ident} {title} — it's marked as not done (pending) again."
        following = format_due(result.get("next_due"), zone)
        if following:
            return (
                f"Done — marked #{ident} {title} as completed. ✓ It repeats: next due {following}."
            )
        return f"Done — marked #{ident} {title} as completed. ✓"
    if step.name == "skip_occurrence":
        following = format_due(result.get("next_due"), zone)
        return f"Skipped this one — #{ident} {title} is next due {following or 'later'}."
    if step.name == "delete_task":
        return f"Deleted #{ident} {title}."
    if step.name == "restore_task":
        return f"Restored #{ident} {title}."
    if step.name == "update_task":
        changes = {k: v for k, v in step.arguments.items() if k != "task_id"}
        return f"Updated #{ident} {title}: {_change_words(changes, task, zone)}."
    return f"Done: #{ident} {title}."


def failure(step: ToolStep) -> str:
    """Why a tool call did not work, in the user's terms."""
    ident = step.arguments.get("task_id")
    error = (step.error or "").strip()
    if ident is not None and re.search(
        r"not\s+found|no\s+such|does\s+not\s+exist|doesn't\s+exist", error, re.I
    ):
        return f"I couldn't find task #{ident}."
    verb = {
        "add_task": "add that task",
        "complete_task": f"update task #{ident}",
        "delete_task": f"delete task #{ident}",
        "restore_task": f"restore task #{ident}",
        "update_task": f"update task #{ident}",
    }.get(step.name, "do that")
    return f"I couldn't {verb}: {error}" if error else f"I couldn't {verb}."


def ambiguous(name: str, tasks: list[Task], action: Action, zone: tzinfo) -> str:
    """Ask which task was meant, listing the candidates; nothing is changed."""
    verb = _VERBS.get(action, "change")
    return (
        f"More than one task matches “{name}”. Which one should I {verb}?\n"
        f"{task_lines(tasks, zone)}\n"
        "Reply with the number (e.g. “#"
        f"{tasks[0].get('id')}”) or “the first one”."
    )


def not_found(name: str, suggestions: list[Task], zone: tzinfo) -> str:
    """Say nothing matched, and offer the nearest titles."""
    if suggestions:
        head = "Did you mean this one?" if len(suggestions) == 1 else "Did you mean one of these?"
        return f"I couldn't find a task matching “{name}”. {head}\n{task_lines(suggestions, zone)}"
    return f"I couldn't find a task matching “{name}”, so nothing was changed."


def nothing_in_group(found: Filter, action: Action) -> str:
    """A bulk change that had nothing to act on."""
    verb = _VERBS.get(action, "change")
    return f"There are no {_describe_filter(found)} to {verb}, so nothing changed."


def ask_what_to_do(tasks: list[Task], zone: tzinfo) -> str:
    """The user picked tasks without saying what to do with them."""
    return (
        f"What should I do with {', '.join(task_line(t, zone) for t in tasks)}? You can say "
        "“mark it done”, “delete it”, or “rename it to …”."
    )


def no_reference(action: Action) -> str:
    """ "it" with nothing talked about yet."""
    return (
        f"Which task should I {_VERBS.get(action, 'change')}? Give me its number (e.g. “task 3”) "
        "or its name — say “show my tasks” to see them."
    )


def bad_position(count: int) -> str:
    """ "the fifth one" when only three were shown."""
    if count == 0:
        return "I haven't shown you a list yet — say “show my tasks” first, then pick one."
    return f"The last list I showed had only {_plural(count, 'task')}. Which one do you mean?"


def nothing_to_change() -> str:
    """An update request without a change in it."""
    return (
        "What should I change? E.g. “rename task 2 to Call mom”, “make it high priority”, "
        "“move it to Friday”."
    )


_VERBS = {
    Action.COMPLETE: "mark as complete",
    Action.REOPEN: "reopen",
    Action.DELETE: "delete",
    Action.UPDATE: "update",
}
