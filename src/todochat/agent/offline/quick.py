"""Quick add: a line typed as a new task ("buy milk tomorrow 5pm #home p1"), read by the chat's
own understanding into the add_task arguments the model would send for it."""

from __future__ import annotations

from typing import Any

from todochat.agent.offline.intent import Action
from todochat.agent.offline.planner import MAX_BULK, add_arguments
from todochat.agent.offline.understand import understand


def read_tasks(text: str) -> list[dict[str, Any]]:
    """add_task arguments for each task the line asks for; the line itself as the title when it
    asks for nothing the model recognises ("read chapter 3")."""
    # As said ("remind me to call mom at 5pm"), else as what follows "add" ("buy milk p1").
    for message in (text, f"add {text}"):
        intent = understand(message)
        if intent.action is Action.ADD and intent.new_tasks:
            return [add_arguments(task) for task in intent.new_tasks[:MAX_BULK]]
    return [{"title": " ".join(text.split())}]
