"""The agent's view of the todochat MCP server: an in-process client, no network hop.

One client session per process is opened at startup and shared by every turn: the session
holds nothing about any user (the in-process server reads who is calling from the turn's own
context, where the turn binds it). Listing the tools, converting them to the Agents SDK's
function tools and compiling their output-schema validators happen once, not on every turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import mcp
from agents import FunctionTool
from agents.mcp import MCPServer as AgentMCPServer
from agents.mcp import MCPUtil
from agents.run_context import RunContextWrapper
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, GetPromptResult, ListPromptsResult, TextContent, Tool

from todochat.timing import phase

TOOL_LIMIT_MESSAGE = "Tool call limit for this turn reached: answer the user with what you have."


@dataclass
class ToolBudget:
    """The tool calls a turn may still make, and how many it has made."""

    remaining: int
    called: int = 0
    # (name, arguments, result) of each call made, in order: a failed turn still records them.
    calls: list[tuple[str, dict[str, Any], CallToolResult]] = field(default_factory=list)

    def close_if_unused(self) -> bool:
        """If no call was made, refuse every further one and say True (nothing has changed)."""
        if self.called:
            return False
        self.remaining = 0
        return True


_budget: ContextVar[ToolBudget | None] = ContextVar("todochat_tool_budget", default=None)


@contextmanager
def tool_budget(budget: ToolBudget) -> Iterator[None]:
    """Spend `budget` on the tool calls of this block (and of the tasks it starts)."""
    token = _budget.set(budget)
    try:
        yield
    finally:
        _budget.reset(token)


class InProcessClient:
    """A process-wide in-memory MCP client session on a server object, and its tools."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self._stack = AsyncExitStack()
        self._client: mcp.Client | None = None
        self.tools: list[FunctionTool] = []

    async def __aenter__(self) -> InProcessClient:
        self._client = await self._stack.enter_async_context(mcp.Client(self.server))
        # The tools are fixed for the life of the server: list and convert them once.
        bridge = InProcessMCP(self)
        self.tools = [
            MCPUtil.to_function_tool(tool, bridge, convert_schemas_to_strict=False)
            for tool in (await self._client.list_tools()).tools
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()
        self._client = None

    @property
    def client(self) -> mcp.Client:
        """The connected client."""
        if self._client is None:
            raise RuntimeError("The in-process MCP client is not connected.")
        return self._client


class InProcessMCP(AgentMCPServer):
    """The Agents SDK's view of the shared in-process client; enforces each turn's budget."""

    def __init__(self, shared: InProcessClient) -> None:
        # Structured content: the model gets compact JSON of each result. No failure function:
        # a malformed tool call (arguments that are not a JSON object) is the provider's failure
        # and ends the turn with 503, instead of the SDK's vague "An error occurred" to the model.
        # Tool errors (task not found, bad value) are results, not exceptions: they still reach
        # the model.
        super().__init__(use_structured_content=True, failure_error_function=None)
        self._shared = shared

    @property
    def name(self) -> str:
        """The server's name, as the agent reports it."""
        return self._shared.server.name

    async def connect(self) -> None:
        """Nothing to do: the shared session is already open."""

    async def cleanup(self) -> None:
        """Nothing to do: the shared session outlives every turn."""

    async def list_tools(
        self, run_context: RunContextWrapper[Any] | None = None, agent: Any = None
    ) -> list[Tool]:
        """The server's tools."""
        return list((await self._shared.client.list_tools()).tools)

    async def call_tool(
        self, tool_name: str, arguments: dict[str, Any] | None, meta: dict[str, Any] | None = None
    ) -> CallToolResult:
        """Call a tool, refusing once the turn's budget of tool calls is spent."""
        budget = _budget.get()
        if budget is not None:
            budget.remaining -= 1
            if budget.remaining < 0:
                return CallToolResult(
                    content=[TextContent(type="text", text=TOOL_LIMIT_MESSAGE)], is_error=True
                )
            budget.called += 1
        with phase("tools"):
            result = await self._shared.client.call_tool(tool_name, arguments or {})
        if budget is not None:
            budget.calls.append((tool_name, arguments or {}, result))
        return result

    async def list_prompts(self) -> ListPromptsResult:
        """todochat offers no prompts."""
        return ListPromptsResult(prompts=[])

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None
    ) -> GetPromptResult:
        """todochat offers no prompts."""
        raise KeyError(name)
