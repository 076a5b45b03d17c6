"""The Agents SDK adapter: OfflineModel answers get_response / stream_response from the planner."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agents import Usage
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import (
    ModelResponse,
    TResponseInputItem,
    TResponseOutputItem,
    TResponseStreamEvent,
)
from agents.model_settings import ModelSettings
from agents.models.interface import Model, ModelTracing
from agents.tool import Tool
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from openai.types.responses.response_prompt_param import ResponsePromptParam

from .history import read_conversation
from .planner import Step, next_step

# How agent/prompt.py names the zone ("The user's time zone is Asia/Tokyo."); IANA names have
# no spaces. Other instructions: the first thing that looks like a zone name.
_STATED_ZONE_RE = re.compile(r"The user's time zone is (\S+?)\.(?:\s|$)")
_ZONE_RE = re.compile(r"\b(UTC|GMT|[A-Z][A-Za-z_]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)\b")
_MISSING_TOOL = "I can't reach your task list right now, so I haven't changed anything."


def zone_from_instructions(instructions: str | None) -> tzinfo:
    """The user's time zone named in the system instructions (UTC if none is named)."""
    stated = _STATED_ZONE_RE.search(instructions or "")
    names = [stated.group(1)] if stated else _ZONE_RE.findall(instructions or "")
    return next(filter(None, map(_lookup, names)), ZoneInfo("UTC"))


def _zone(name: str) -> tzinfo:
    """The named zone, or UTC if there is no such zone."""
    return _lookup(name) or ZoneInfo("UTC")


def _lookup(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _message(text: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id=f"msg_{uuid.uuid4().hex}",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])],
    )


def _declared(arguments: dict[str, Any], tool: Tool) -> dict[str, Any]:
    """The arguments the tool takes: "recurrence" is left out for tools that have none."""
    schema = getattr(tool, "params_json_schema", None) or {}
    properties = schema.get("properties")
    if not properties or schema.get("additionalProperties") is True:
        return arguments
    kept = {k: v for k, v in arguments.items() if k in properties}
    if arguments.get("recurrence") and "recurrence" not in kept and kept.get("title"):
        kept["title"] = f"{kept['title']} {arguments['recurrence']}"  # said, so not lost
    return kept


def _output(step: Step, tools: list[Tool]) -> list[TResponseOutputItem]:
    """The step as Responses output items: tool calls, or one assistant message."""
    available = {getattr(tool, "name", None): tool for tool in tools}
    if step.calls and all(c.name in available for c in step.calls):
        return [
            ResponseFunctionToolCall(
                id=f"fc_{uuid.uuid4().hex}",
                call_id=f"call_{uuid.uuid4().hex}",
                type="function_call",
                name=c.name,
                arguments=json.dumps(_declared(c.arguments, available[c.name])),
                status="completed",
            )
            for c in step.calls
        ]
    return [_message(step.text if step.text is not None and not step.calls else _MISSING_TOOL)]


def _words(text: str) -> list[str]:
    """Word-sized chunks (keeping spaces) so a stream reads naturally."""
    return re.findall(r"\S+\s*|\s+", text)


class OfflineModel(Model):
    """A rule-based model: deterministic, instant, no network, good at todo-list chat."""

    def __init__(self, name: str = "offline") -> None:
        self.name = name

    def _decide(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        tools: list[Tool],
    ) -> list[TResponseOutputItem]:
        conversation = read_conversation(cast("str | list[Any]", input))
        step = next_step(conversation, zone_from_instructions(system_instructions))
        return _output(step, tools)

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> ModelResponse:
        """Decide the next step: tool calls, or the final reply."""
        output = self._decide(system_instructions, input, tools)
        return ModelResponse(output=output, usage=Usage(requests=1), response_id=None)

    def reply_after_tools(self, time_zone: str, items: list[Any]) -> str | None:
        """The reply once the tools have answered, if this turn needs no more tools.

        The planner is a pure function of the conversation, so the step it would take when
        asked again is known now: when that step is text, the agent ends the run with it.
        """
        step = next_step(read_conversation(items), _zone(time_zone))
        return step.text if step.text is not None and not step.calls else None

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        """The same step as events: text arrives word by word, then the completed response."""
        output = self._decide(system_instructions, input, tools)
        for event in _events(output, self.name):
            yield event


def _response(output: list[TResponseOutputItem], model: str, status: str) -> Response:
    return Response.model_validate(
        {
            "id": f"resp_{uuid.uuid4().hex}",
            "created_at": 0,
            "model": model,
            "object": "response",
            "output": [item.model_dump() for item in output],
            "tool_choice": "auto",
            "tools": [],
            "parallel_tool_calls": True,
            "status": status,
        }
    )


def _tool_call_events(item: ResponseFunctionToolCall, index: int) -> list[Any]:
    return [
        ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
            output_index=index,
            sequence_number=0,
        ),
        ResponseFunctionCallArgumentsDeltaEvent(
            type="response.function_call_arguments.delta",
            item_id=item.id or item.call_id,
            output_index=index,
            delta=item.arguments,
            sequence_number=0,
        ),
    ]


def _message_events(item: ResponseOutputMessage, index: int) -> list[Any]:
    part = item.content[0]
    text = part.text if isinstance(part, ResponseOutputText) else ""
    where: dict[str, Any] = {"item_id": item.id, "output_index": index, "content_index": 0}
    empty = ResponseOutputText(type="output_text", text="", annotations=[], logprobs=[])
    return [
        ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"content": [], "status": "in_progress"}),
            output_index=index,
            sequence_number=0,
        ),
        ResponseContentPartAddedEvent(
            type="response.content_part.added", part=empty, sequence_number=0, **where
        ),
        *(
            ResponseTextDeltaEvent(
                type="response.output_text.delta",
                delta=chunk,
                logprobs=[],
                sequence_number=0,
                **where,
            )
            for chunk in _words(text)
        ),
        ResponseTextDoneEvent(
            type="response.output_text.done", text=text, logprobs=[], sequence_number=0, **where
        ),
        ResponseContentPartDoneEvent(
            type="response.content_part.done", part=part, sequence_number=0, **where
        ),
    ]


def _events(output: list[TResponseOutputItem], model: str) -> list[TResponseStreamEvent]:
    """The Responses stream for an output, as the OpenAI API would send it."""
    events: list[Any] = [
        ResponseCreatedEvent(
            type="response.created", response=_response([], model, "in_progress"), sequence_number=0
        )
    ]
    for index, item in enumerate(output):
        if isinstance(item, ResponseFunctionToolCall):
            events.extend(_tool_call_events(item, index))
        elif isinstance(item, ResponseOutputMessage):
            events.extend(_message_events(item, index))
        events.append(
            ResponseOutputItemDoneEvent(
                type="response.output_item.done", item=item, output_index=index, sequence_number=0
            )
        )
    events.append(
        ResponseCompletedEvent(
            type="response.completed",
            response=_response(output, model, "completed"),
            sequence_number=0,
        )
    )
    for number, event in enumerate(events):
        event.sequence_number = number
    return cast("list[TResponseStreamEvent]", events)
