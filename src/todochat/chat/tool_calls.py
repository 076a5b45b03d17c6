"""Reading the agent's tool calls out of the Agents SDK's run items and stream events."""

from __future__ import annotations

import json
from typing import Any

from agents.items import ToolCallItem, ToolCallOutputItem
from agents.stream_events import RawResponsesStreamEvent, RunItemStreamEvent
from mcp.types import CallToolResult, TextContent

from todochat.chat.events import ServerEvent
from todochat.chat.schemas import ToolCallRead

# How the Agents SDK prefixes a failed MCP call's text.
_ERROR_PREFIX = "Error executing tool "


def server_events(event: Any, calls: dict[str, dict[str, Any]]) -> list[ServerEvent]:
    """The client-facing events for one SDK stream event."""
    if (
        isinstance(event, RawResponsesStreamEvent)
        and event.data.type == "response.output_text.delta"
    ):
        return [ServerEvent("delta", {"text": event.data.delta})]
    if isinstance(event, RunItemStreamEvent) and isinstance(event.item, ToolCallItem):
        _remember_call(event.item, calls)
    if isinstance(event, RunItemStreamEvent) and isinstance(event.item, ToolCallOutputItem):
        call = calls.get(_call_id(event.item))
        if call is not None:
            return [
                ServerEvent("tool_call", {**call, "result": parse_tool_output(event.item.output)})
            ]
    return []


def collect_tool_calls(items: list[Any]) -> list[ToolCallRead]:
    """Every tool call of the turn, in order, paired with its result."""
    calls: dict[str, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, ToolCallItem):
            _remember_call(item, calls)
        elif isinstance(item, ToolCallOutputItem) and _call_id(item) in calls:
            calls[_call_id(item)]["result"] = parse_tool_output(item.output)
    return [ToolCallRead(**call) for call in calls.values() if "result" in call]


def recorded_calls(calls: list[tuple[str, dict[str, Any], CallToolResult]]) -> list[dict[str, Any]]:
    """The calls a turn made, as the bridge recorded them, in the stored shape."""
    stored = []
    for name, arguments, result in calls:
        text = " ".join(part.text for part in result.content if isinstance(part, TextContent))
        outcome = {"error": text} if result.is_error else parse_tool_output(text)
        stored.append({"name": name, "arguments": arguments, "result": outcome})
    return stored


def parse_tool_output(output: Any) -> Any:
    """A tool's output as data: the structured result, or {"error": text} for a failed call."""
    if isinstance(output, dict) and output.get("type") == "text":
        output = output.get("text", "")
    if isinstance(output, list):
        output = " ".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in output
        )
    if isinstance(output, str):
        try:
            parsed = json.loads(output)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        text = output
        if text.startswith(_ERROR_PREFIX):
            text = text.split(": ", 1)[-1]
        return {"error": text}
    return output


def _remember_call(item: ToolCallItem, calls: dict[str, dict[str, Any]]) -> None:
    """Note a call's name and arguments under its id, to pair with its output later."""
    raw = item.raw_item
    call_id = getattr(raw, "call_id", None)
    if call_id is not None:
        calls[call_id] = {
            "name": getattr(raw, "name", ""),
            "arguments": _arguments(getattr(raw, "arguments", "")),
        }


def _arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_raw": value}


def _call_id(item: ToolCallOutputItem) -> str:
    raw = item.raw_item
    return str(raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", ""))
