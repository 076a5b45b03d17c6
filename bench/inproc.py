"""In-process measurements: where a turn's time and round trips go, and what the MCP hop costs.

The app runs in this process (`create_app` + httpx's ASGI transport, lifespan entered), so a
turn's phases can be timed by wrapping the turn's own methods — in this bench only; the server
emits no timings yet. Phases of one POST /chat (concurrency 1):

- ``http+auth``: ASGI entry → ChatTurns.run (routing, body parsing, JWT check, user load)
- ``begin``: ChatTurns._begin — rate-limit count, claim, store the user's message, history load
  (``history_load``: ConversationRepository.recent_messages, part of begin)
- ``agent_setup``: _begin end → Runner.run (bind the user, build the Agent)
- ``agent``: Runner.run — offline model + tool calls (``tools``: the tool invocations, and
  ``model``: OfflineModel.get_response, both part of agent; the rest is the Agents SDK's own work)
- ``persist``: ChatTurns._finish — store the reply, release the conversation
- ``response``: ChatTurns.run end → ASGI end (serialisation, dependency teardown)

Round trips per phase come from the counting proxy (bench/pgproxy.py) read at the same points.
The wrapping is robust to refactoring: a method that no longer exists is simply not timed.
"""

from __future__ import annotations

import contextvars
import functools
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.common import ONE_TOOL_MESSAGE, PASSWORD, SECRET, Latencies, median, percentile
from bench.pgproxy import PgProxy

PHASES = [
    "http+auth",
    "begin",
    "history_load",
    "agent_setup",
    "agent",
    "tools",
    "persist",
    "response",
]


@dataclass
class Probe:
    """Timings (and round trips, with a proxy) of one request."""

    proxy: PgProxy | None
    start: float = 0.0
    marks: dict[str, float] = field(default_factory=dict)
    rt_marks: dict[str, int] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    rt_sums: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cpu_marks: dict[str, float] = field(default_factory=dict)
    cpu_sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cpu: float = 0.0

    def mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter()
        self.cpu_marks[name] = time.process_time()
        if self.proxy is not None:
            self.rt_marks[name] = self.proxy.counts.round_trips

    def rt(self) -> int:
        return self.proxy.counts.round_trips if self.proxy is not None else 0


_probe: Probe | None = None  # concurrency 1: one request at a time


def _timed(name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Add the duration (and round trips) of every call of `fn` to the current probe's `name`."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        probe = _probe
        if probe is None:
            return await fn(*args, **kwargs)
        started, cpu0, rt0 = time.perf_counter(), time.process_time(), probe.rt()
        try:
            return await fn(*args, **kwargs)
        finally:
            probe.sums[name] += time.perf_counter() - started
            probe.cpu_sums[name] += time.process_time() - cpu0
            probe.rt_sums[name] += probe.rt() - rt0

    wrapper.__bench_wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


class _Instrumented:
    """ASGI wrapper that opens a probe per request."""

    def __init__(self, app: Any, proxy: PgProxy | None, probes: list[Probe]) -> None:
        self.app, self.proxy, self.probes = app, proxy, probes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        global _probe
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        probe = Probe(self.proxy)
        _probe = probe
        cpu0 = time.process_time()
        probe.mark("start")
        try:
            await self.app(scope, receive, send)
        finally:
            probe.mark("end")
            probe.cpu = time.process_time() - cpu0
            _probe = None
            self.probes.append(probe)


def _with_mcp_bypassed(tools: list[Any]) -> list[Any]:
    """The agent's tools with add_task replaced by a FunctionTool calling TaskService directly."""
    from agents import FunctionTool

    from todochat.db.uow import unit_of_work
    from todochat.mcp.server import TaskResult
    from todochat.todos.dates import parse_due
    from todochat.todos.schemas import TaskCreate, TaskRead
    from todochat.todos.service import TaskService

    replaced = []
    for tool in tools:
        if getattr(tool, "name", None) != "add_task":
            replaced.append(tool)
            continue

        async def add_task(ctx: Any, arguments: str) -> str:
            args = json.loads(arguments or "{}")
            user_id = _turn_user.get()  # ChatTurns.run's first argument; bench users are in UTC
            async with unit_of_work(_bypass_sessionmaker[0]) as session:
                service = TaskService(session, user_id, "UTC")
                due = args.get("due")
                task = await service.create_task(
                    TaskCreate(
                        title=args["title"],
                        description=args.get("description") or "",
                        priority=args.get("priority") or "medium",
                        tags=args.get("tags") or [],
                        due_at=parse_due(due, "UTC") if due else None,
                    )
                )
                result = TaskResult(
                    task_id=task.id,
                    status="created",
                    title=task.title,
                    task=TaskRead.model_validate(task),
                )
            return json.dumps(result.model_dump(mode="json"), separators=(",", ":"))

        direct = FunctionTool(
            name=tool.name,
            description=tool.description,
            params_json_schema=tool.params_json_schema,
            on_invoke_tool=add_task,
            strict_json_schema=False,
        )
        direct.__bench_direct__ = True  # type: ignore[attr-defined]
        replaced.append(direct)
    return replaced


_turn_user: contextvars.ContextVar[Any] = contextvars.ContextVar("bench_turn_user")
_bypass_sessionmaker: list[Any] = []
_bypass = {"on": False}


def instrument() -> None:
    """Wrap the turn's phases (idempotent). Only this bench process is affected."""
    import todochat.chat.turn as turn_module
    from todochat.chat.turn import ChatTurns

    if getattr(ChatTurns.run, "__bench_wrapped__", None) is not None:
        return

    original_run = ChatTurns.run

    @functools.wraps(original_run)
    async def run(self: Any, user: Any, *args: Any, **kwargs: Any) -> Any:
        probe = _probe
        token = _turn_user.set(user)
        if probe is not None:
            probe.mark("run")
        try:
            return await original_run(self, user, *args, **kwargs)
        finally:
            _turn_user.reset(token)
            if probe is not None:
                probe.mark("run_end")

    run.__bench_wrapped__ = original_run  # type: ignore[attr-defined]
    ChatTurns.run = run  # type: ignore[method-assign]

    for method, name in (("_begin", "begin"), ("_finish", "persist")):
        if hasattr(ChatTurns, method):
            setattr(ChatTurns, method, _timed(name, getattr(ChatTurns, method)))
    try:
        from todochat.chat.repository import ConversationRepository

        if hasattr(ConversationRepository, "recent_messages"):
            ConversationRepository.recent_messages = _timed(  # type: ignore[method-assign]
                "history_load", ConversationRepository.recent_messages
            )
    except ImportError:
        pass

    try:
        from todochat.agent.offline import OfflineModel

        OfflineModel.get_response = _timed("model", OfflineModel.get_response)  # type: ignore[method-assign]
    except ImportError:
        pass

    real_runner = turn_module.Runner

    class TimedRunner:
        """Runner.run timed; everything else passed through."""

        @staticmethod
        async def run(*args: Any, **kwargs: Any) -> Any:
            probe = _probe
            if probe is not None:
                probe.mark("agent_start")
            try:
                return await real_runner.run(*args, **kwargs)
            finally:
                if probe is not None:
                    probe.mark("agent_end")

        def __getattr__(self, name: str) -> Any:
            return getattr(real_runner, name)

        run_streamed = staticmethod(real_runner.run_streamed)

    turn_module.Runner = TimedRunner  # type: ignore[misc,assignment]

    real_build_agent = turn_module.build_agent

    def build_agent(model: Any, tools: list[Any]) -> Any:
        """The turn's agent with every tool timed; add_task switchable to the direct variant."""
        import dataclasses

        from agents import FunctionTool

        direct = {tool.name: tool for tool in _with_mcp_bypassed(list(tools))}

        def switchable(tool: Any) -> Any:
            if not isinstance(tool, FunctionTool):
                return tool
            alternative = direct.get(tool.name)
            if not getattr(alternative, "__bench_direct__", False):
                alternative = None

            async def invoke(ctx: Any, arguments: str) -> Any:
                chosen = tool
                if _bypass["on"] and alternative is not None:
                    chosen = alternative
                    _bypass["applied"] = True
                return await chosen.on_invoke_tool(ctx, arguments)

            return dataclasses.replace(tool, on_invoke_tool=_timed("tools", invoke))

        return real_build_agent(model, [switchable(tool) for tool in tools])

    # The agent is built once per app (ChatTurns.__post_init__), after instrument() runs.
    turn_module.build_agent = build_agent  # type: ignore[attr-defined]


def _timed_tool(tool: Any) -> Any:
    """A copy of a FunctionTool whose invocation is timed as `tools`."""
    import dataclasses

    from agents import FunctionTool

    if not isinstance(tool, FunctionTool):
        return tool
    return dataclasses.replace(tool, on_invoke_tool=_timed("tools", tool.on_invoke_tool))


def phase_breakdown(probes: list[Probe]) -> dict[str, Any]:
    """Per-phase p50 (ms) and round trips (median) over the probed requests."""

    def span(probe: Probe, a: str, b: str) -> float | None:
        if a in probe.marks and b in probe.marks:
            return probe.marks[b] - probe.marks[a]
        return None

    def rt_span(probe: Probe, a: str, b: str) -> int | None:
        if a in probe.rt_marks and b in probe.rt_marks:
            return probe.rt_marks[b] - probe.rt_marks[a]
        return None

    def cpu_span(probe: Probe, a: str, b: str) -> float | None:
        if a in probe.cpu_marks and b in probe.cpu_marks:
            return probe.cpu_marks[b] - probe.cpu_marks[a]
        return None

    rows: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    rts: dict[str, list[int]] = defaultdict(list)
    for probe in probes:
        cpu_setup = cpu_span(probe, "run", "agent_start")
        cpu_values = {
            "total (server)": cpu_span(probe, "start", "end"),
            "http+auth": cpu_span(probe, "start", "run"),
            "begin": probe.cpu_sums.get("begin", 0.0),
            "history_load": probe.cpu_sums.get("history_load", 0.0),
            "agent_setup": cpu_setup - probe.cpu_sums.get("begin", 0.0)
            if cpu_setup is not None
            else None,
            "agent": cpu_span(probe, "agent_start", "agent_end"),
            "tools": probe.cpu_sums.get("tools", 0.0),
            "model": probe.cpu_sums.get("model", 0.0),
            "persist": probe.cpu_sums.get("persist", 0.0),
            "response": cpu_span(probe, "run_end", "end"),
        }
        for key, value in cpu_values.items():
            if value is not None:
                cpus[key].append(value * 1000)
        begin = probe.sums.get("begin", 0.0)
        setup = span(probe, "run", "agent_start")
        values: dict[str, float | None] = {
            "total (server)": span(probe, "start", "end"),
            "http+auth": span(probe, "start", "run"),
            "begin": begin,
            "history_load": probe.sums.get("history_load", 0.0),
            "agent_setup": setup - begin if setup is not None else None,
            "agent": span(probe, "agent_start", "agent_end"),
            "tools": probe.sums.get("tools", 0.0),
            "model": probe.sums.get("model", 0.0),
            "persist": probe.sums.get("persist", 0.0),
            "response": span(probe, "run_end", "end"),
        }
        for key, value in values.items():
            if value is not None:
                rows[key].append(value * 1000)
        if probe.proxy is not None:
            setup_rt = rt_span(probe, "run", "agent_start")
            counts = {
                "total (server)": rt_span(probe, "start", "end"),
                "http+auth": rt_span(probe, "start", "run"),
                "begin": probe.rt_sums.get("begin", 0),
                "history_load": probe.rt_sums.get("history_load", 0),
                "agent_setup": setup_rt - probe.rt_sums.get("begin", 0)
                if setup_rt is not None
                else None,
                "agent": rt_span(probe, "agent_start", "agent_end"),
                "tools": probe.rt_sums.get("tools", 0),
                "persist": probe.rt_sums.get("persist", 0),
                "response": rt_span(probe, "run_end", "end"),
            }
            for key, count in counts.items():
                if count is not None:
                    rts[key].append(count)
    return {
        key: {
            "p50_ms": round(percentile(values, 50), 2),
            "p95_ms": round(percentile(values, 95), 2),
            **({"cpu_p50_ms": round(percentile(cpus[key], 50), 2)} if key in cpus else {}),
            **({"round_trips": median(rts[key])} if key in rts else {}),
        }
        for key, values in rows.items()
    }


async def _turns(
    http: httpx.AsyncClient,
    user: dict[str, Any],
    conversation: int,
    count: int,
    message: str | None = None,
) -> Latencies:
    lat = Latencies()
    for n in range(count):
        started = time.perf_counter()
        response = await http.post(
            f"/api/{user['id']}/chat",
            json={
                "conversation_id": conversation,
                "message": message or ONE_TOOL_MESSAGE.format(n=n),
            },
            headers=user["headers"],
        )
        lat.values.append(time.perf_counter() - started)
        response.raise_for_status()
        if message is None and len(response.json()["tool_calls"]) != 1:
            raise RuntimeError(f"not a one-tool turn: {response.json()}")
    return lat


async def measure(db_url: str, proxy: PgProxy | None, *, turns: int, rounds: int) -> dict[str, Any]:
    """Breakdown (and, with a proxy, round trips) of one-tool turns; MCP hop vs direct service."""
    from todochat.api.app import create_app
    from todochat.config import Settings

    instrument()
    settings = Settings(
        database_url=db_url,
        secret_key=SECRET,
        turns_per_minute=100_000_000,
        signups_per_address=100_000_000,
        model="offline",
    )
    app = create_app(settings)
    probes: list[Probe] = []
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        _bypass_sessionmaker[:] = [app.state.sessionmaker]
        transport = httpx.ASGITransport(app=_Instrumented(app, proxy, probes))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            response = await http.post(
                "/api/auth/signup",
                json={
                    "email": f"inproc-{uuid.uuid4().hex[:8]}@bench.example.com",
                    "password": PASSWORD,
                },
            )
            response.raise_for_status()
            body = response.json()
            user = {
                "id": body["user"]["id"],
                "headers": {"Authorization": f"Bearer {body['access_token']}"},
            }
            first = await http.post(
                f"/api/{user['id']}/chat",
                json={"message": "add a task to buy milk"},
                headers=user["headers"],
            )
            first.raise_for_status()
            conversation = first.json()["conversation_id"]
            out["sample_tool_calls"] = first.json()["tool_calls"]
            await _turns(http, user, conversation, 30)  # warm-up: caches, prepared statements

            # Breakdown of one-tool turns (through MCP, as in production).
            client_rounds = []
            probes.clear()
            for _ in range(rounds):
                client_rounds.append((await _turns(http, user, conversation, turns)).summary())
            out["one_tool"] = {"client_rounds": client_rounds, "phases": phase_breakdown(probes)}

            if proxy is not None:
                # Round trips by kind of turn: per tool call = (two tools - one tool).
                by_kind: dict[str, Any] = {}
                for kind, message, _calls in (
                    ("no_tool", "hi", 0),
                    ("one_tool", None, 1),
                    ("two_tools", "add tasks: buy eggs, call mom", 2),
                ):
                    probes.clear()
                    response = await http.post(
                        f"/api/{user['id']}/chat",
                        json={
                            "conversation_id": conversation,
                            "message": message or "add a task to buy bread",
                        },
                        headers=user["headers"],
                    )
                    actual = len(response.json()["tool_calls"])
                    await _turns(http, user, conversation, 10, message)
                    phases = phase_breakdown(probes)
                    by_kind[kind] = {
                        "tool_calls": actual,
                        "round_trips": phases["total (server)"].get("round_trips"),
                    }
                out["round_trips"] = by_kind

            # The MCP hop: the same turns with add_task calling TaskService directly.
            if proxy is None:
                hop: dict[str, Any] = {}
                for variant in ("mcp", "direct", "mcp", "direct"):
                    _bypass["on"] = variant == "direct"
                    probes.clear()
                    lat = await _turns(http, user, conversation, turns)
                    phases = phase_breakdown(probes)
                    hop.setdefault(variant, []).append(
                        {
                            "client_p50_ms": lat.summary()["p50_ms"],
                            "server_p50_ms": phases["total (server)"]["p50_ms"],
                            "tools_p50_ms": phases["tools"]["p50_ms"],
                            "tools_cpu_p50_ms": phases["tools"]["cpu_p50_ms"],
                            "cpu_p50_ms": phases["total (server)"]["cpu_p50_ms"],
                        }
                    )
                _bypass["on"] = False
                if not _bypass.get("applied"):
                    # Older code gives the agent `mcp_servers=` instead of function tools: no swap.
                    hop.pop("direct", None)
                out["mcp_hop"] = {
                    variant: {key: round(median([r[key] for r in runs]), 2) for key in runs[0]}
                    for variant, runs in hop.items()
                }
    return out
