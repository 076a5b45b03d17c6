"""What a model sees of the tools (names, descriptions, schemas) changes only on purpose.

Regenerate the snapshot after a deliberate change with:
    UPDATE_SNAPSHOTS=1 pytest tests/mcp/test_tools_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.mcp.server import build_mcp, identify_bound

SNAPSHOT = Path(__file__).parent / "snapshots" / "list_tools.json"
# Any parameter that could let a caller name whose tasks to touch.
USERISH = re.compile(r"user|owner|account|principal|email|identity|tenant|member", re.IGNORECASE)


async def listed_tools(sessionmaker: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    """The tools as a client lists them, in a stable order."""
    async with Client(build_mcp(sessionmaker, identify_bound)) as mcp:
        listing = await mcp.list_tools()
    tools = [
        tool.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            include={
                "name",
                "title",
                "description",
                "input_schema",
                "output_schema",
                "annotations",
            },
        )
        for tool in listing.tools
    ]
    return sorted(tools, key=lambda tool: str(tool["name"]))


def as_text(tools: list[dict[str, Any]]) -> str:
    """The snapshot's on-disk form: stable key order, one value per line for readable diffs."""
    return json.dumps(tools, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def property_names(schema: Any) -> Iterator[str]:
    """Every property name anywhere in a JSON schema, nested objects and $defs included."""
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            yield from properties
        for value in schema.values():
            yield from property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from property_names(item)


async def test_list_tools_matches_the_snapshot(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    current = as_text(await listed_tools(sessionmaker))
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(current, encoding="utf-8")
        return
    if not SNAPSHOT.exists():
        pytest.fail(f"No snapshot at {SNAPSHOT}: run with UPDATE_SNAPSHOTS=1 to create it.")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if current != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                current.splitlines(keepends=True),
                fromfile="snapshot",
                tofile="server",
            )
        )
        pytest.fail(
            "The tools a model sees changed. If that is deliberate, regenerate the snapshot with "
            f"UPDATE_SNAPSHOTS=1 and review the diff in git.\n{diff}",
            pytrace=False,
        )


async def test_the_task_tools_exist(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    names = [tool["name"] for tool in await listed_tools(sessionmaker)]
    assert names == [
        "add_task",
        "add_tasks",
        "complete_task",
        "complete_tasks",
        "delete_task",
        "list_tasks",
        "restore_task",
        "skip_occurrence",
        "update_task",
        "update_tasks",
    ]


async def test_no_tool_lets_the_caller_name_a_user(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    for tool in await listed_tools(sessionmaker):
        names = list(property_names(tool["inputSchema"]))
        assert names, tool["name"]  # the walk found the parameters at all
        assert [name for name in names if USERISH.search(name)] == [], tool["name"]
