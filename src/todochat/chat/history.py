"""Turning stored messages into what the model sees, within a budget."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from todochat.chat.models import Message

CHARS_PER_TOKEN = 4  # a rough, conservative estimate; only used to bound the window


def estimated_tokens(message: Message) -> int:
    """About how many tokens the message costs the model, tool calls included."""
    size = len(message.content)
    if message.tool_calls:
        size += len(json.dumps(message.tool_calls, separators=(",", ":")))
    return size // CHARS_PER_TOKEN + 4


def window(messages: Sequence[Message], max_tokens: int) -> list[Message]:
    """The newest messages that fit the budget, starting at a user message.

    Tool calls live inside their assistant message, so a cut never separates a call from its
    result; failed replies are left out (the model never saw them succeed).
    """
    kept: list[Message] = []
    budget = max_tokens
    for message in reversed(messages):
        cost = estimated_tokens(message)
        if kept and cost > budget:
            break
        budget -= cost
        kept.append(message)
    kept.reverse()
    while kept and kept[0].role != "user":
        kept.pop(0)
    return [message for message in kept if message.error is None]


def to_input_items(messages: Sequence[Message]) -> list[Any]:
    """Responses-API input items: user text; the assistant's tool calls, their outputs, its text."""
    items: list[Any] = []
    for message in messages:
        if message.role == "user":
            items.append({"role": "user", "content": message.content})
            continue
        for index, call in enumerate(message.tool_calls or []):
            call_id = f"call_{message.id}_{index}"
            items.append(
                {
                    "type": "function_call",
                    "call_id": call_id,
                    "name": call["name"],
                    "arguments": json.dumps(call.get("arguments") or {}),
                }
            )
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": call_id,
                    "output": render_result(call.get("result")),
                }
            )
        items.append({"role": "assistant", "content": message.content})
    return items


def render_result(result: Any) -> str:
    """A stored tool result as the model saw it: JSON, or the error text."""
    if isinstance(result, dict) and set(result) == {"error"}:
        return str(result["error"])
    return json.dumps(result, separators=(",", ":"))
