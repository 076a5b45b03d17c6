"""The agent's view of the todochat MCP server: an in-process client, no network hop."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import mcp
from agents.mcp import MCPServer as AgentMCPServer
from agents.run_context import RunContextWrapper
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, GetPromptResult, ListPromptsResult, TextContent, Tool

TOOL_LIMIT_MESSAGE = "Tool call limit for this turn reached: answer the user with what you have."


class InProcessMCP(AgentMCPServer):
    """Connects the agent to an MCP server object in this process and counts its tool calls."""

    def __init__(self, server: MCPServer, max_tool_calls: int) -> None:
        # Structured content: the model gets compact JSON of each result.
        super().__init__(use_structured_content=True)
        self._server = server
        self._max_tool_calls = max_tool_calls
        self._stack: AsyncExitStack | None = None
        self._client: mcp.Client | None = None
        self.tool_calls = 0

    @property
    def name(self) -> str:
        """The server's name, as the agent reports it."""
        return self._server.name

    async def connect(self) -> None:
        """Open an in-memory client session on the server."""
        self._stack = AsyncExitStack()
        self._client = await self._stack.enter_async_context(mcp.Client(self._server))

    async def cleanup(self) -> None:
        """Close the session."""
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = self._client = None

    async def list_tools(
        self, run_context: RunContextWrapper[Any] | None = None, agent: Any = None
    ) -> list[Tool]:
        """The server's tools."""
        return list((await self._connected().list_tools()).tools)

    async def call_tool(
        self, tool_name: str, arguments: dict[str, Any] | None, meta: dict[str, Any] | None = None
    ) -> CallToolResult:
        """Call a tool, refusing once the turn's budget of tool calls is spent."""
        self.tool_calls += 1
        if self.tool_calls > self._max_tool_calls:
            return CallToolResult(content=[TextContent(type="text", text=TOOL_LIMIT_MESSAGE)], is_error=True)
        return await self._connected().call_tool(tool_name, arguments or {})

    async def list_prompts(self) -> ListPromptsResult:
        """todochat offers no prompts."""
        return ListPromptsResult(prompts=[])

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None) -> GetPromptResult:
        """todochat offers no prompts."""
        raise KeyError(name)

    def _connected(self) -> mcp.Client:
        if self._client is None:
            raise RuntimeError("connect() first")
        return self._client
