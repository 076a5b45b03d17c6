"""The stateless chat turn: load history, store the message, run the agent, store the reply.

Nothing about a conversation or a user outlives the request in this process: every turn
starts from PostgreSQL and ends there.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agents import Agent, Model, RunConfig, Runner
from agents.result import RunResult, RunResultStreaming
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.agent.bridge import InProcessClient, ToolBudget, tool_budget
from todochat.agent.prompt import TurnContext, build_agent
from todochat.chat.events import ServerEvent
from todochat.chat.failures import MODEL_FAILURES, describe_failure, interrupted
from todochat.chat.history import to_input_items
from todochat.chat.schemas import ChatRequest, ChatResponse
from todochat.chat.service import ConversationService, TurnStart, check_message
from todochat.chat.tool_calls import collect_tool_calls, recorded_calls, server_events
from todochat.config import Settings
from todochat.db.outage import is_outage
from todochat.db.uow import single_statements, unit_of_work
from todochat.errors import ModelUnavailable, TodochatError
from todochat.idempotency import Claim, IdempotencyStore, Replay, check_key, request_fingerprint
from todochat.mcp.server import Principal, bound_principal
from todochat.timing import phase

log = logging.getLogger(__name__)


@dataclass
class ChatTurns:
    """Runs chat turns; built once per app from its sessionmaker, settings, model and MCP server."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    model: Model
    mcp: InProcessClient
    in_flight: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._agent = build_agent(self.model, list(self.mcp.tools))
        self._run_config = RunConfig(tracing_disabled=not self.settings.tracing)

    async def run(
        self, user_id: uuid.UUID, request: ChatRequest, key: str | None = None
    ) -> ChatResponse:
        """One complete turn. With an Idempotency-Key, a retry replays the first answer."""
        with phase("begin"):
            begun = await self._begin(user_id, request, key)
        if isinstance(begun, Replay):
            return ChatResponse.model_validate(begun.body)
        budget = ToolBudget(self.settings.agent_max_tool_calls)
        try:
            return await self._answer(begun, budget)
        except Exception as error:
            if is_outage(error):
                raise interrupted(begun, budget) from error
            raise

    async def _answer(self, begun: TurnStart, budget: ToolBudget) -> ChatResponse:
        """Run the agent on a begun turn and store its reply (or its failure)."""
        try:
            with phase("agent"):
                async with self._keep_alive(begun), self._bound(begun, budget):
                    result = await Runner.run(
                        self._agent_for_run(),
                        to_input_items(begun.history),
                        **self._run_options(begun),
                    )
        except BaseException as error:
            failure = await self._fail(begun, error, recorded_calls(budget.calls))
            if isinstance(error, MODEL_FAILURES):
                failure.conversation_id = begun.conversation_id
                raise failure from error
            raise
        with phase("persist"):
            return await self._finish(begun, result)

    async def stream(
        self, user_id: uuid.UUID, request: ChatRequest, key: str | None = None
    ) -> tuple[int | None, AsyncIterator[ServerEvent]]:
        """Start one turn (refusals raise here, before any event): its conversation and events.

        If the client leaves (a Stop button, a closed tab) before the agent has called any tool,
        the turn stops there: its failure is stored as the reply (with the text streamed so
        far) and the conversation is free again. Once a tool has been called, the turn runs to
        the end and is stored, so every change it made is recorded with its reply.
        """
        begun = await self._begin(user_id, request, key)
        if isinstance(begun, Replay):
            return begun.body.get("conversation_id"), _one(ServerEvent("done", begun.body))
        queue: asyncio.Queue[ServerEvent | None] = asyncio.Queue()
        run = _StreamedTurn(begun, ToolBudget(self.settings.agent_max_tool_calls))
        task = asyncio.create_task(self._produce(run, queue))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)
        return begun.conversation_id, _drain(queue, lambda: run.stop(task))

    async def drain(self, seconds: float) -> None:
        """Wait (bounded) for turns still running after their client left, e.g. at shutdown."""
        if self.in_flight:
            await asyncio.wait(set(self.in_flight), timeout=seconds)

    async def _produce(self, run: _StreamedTurn, queue: asyncio.Queue[ServerEvent | None]) -> None:
        start, budget = run.start, run.budget
        calls: dict[str, dict[str, Any]] = {}
        streamed_text = False

        def fail_event(code: str, detail: str) -> ServerEvent:
            # A new conversation exists now: the client continues in it.
            body = {"error": code, "detail": detail, "conversation_id": start.conversation_id}
            return ServerEvent("error", body)

        try:
            try:
                async with self._keep_alive(start), self._bound(start, budget):
                    result = Runner.run_streamed(
                        self._agent_for_run(),
                        to_input_items(start.history),
                        **self._run_options(start),
                    )
                    async for event in result.stream_events():
                        for server_event in server_events(event, calls):
                            if server_event.event == "delta":
                                streamed_text = True
                                run.text.append(server_event.data["text"])
                            elif server_event.event == "tool_call":
                                run.tool_calls.append(server_event.data)
                            queue.put_nowait(server_event)
            except BaseException as error:
                # The agent's own failures are never the database's: its tools turn database
                # errors into tool errors. Recording the failure may meet an outage, though.
                failure: TodochatError
                try:
                    if run.stopped and isinstance(error, asyncio.CancelledError):
                        failure = await self._record_stop(run)
                    else:
                        failure = await self._fail(start, error, run.tool_calls)
                except Exception as storing:  # the stream still ends with its last event
                    if not is_outage(storing):
                        raise
                    failure = interrupted(start, budget)
                queue.put_nowait(fail_event(failure.code, failure.message))
                if not isinstance(error, Exception):
                    raise
                return
            try:
                response = await self._finish(start, result)
            except Exception as error:  # the stream still ends with exactly one last event
                if is_outage(error):
                    cut = interrupted(start, budget)
                    queue.put_nowait(fail_event(cut.code, cut.message))
                else:
                    queue.put_nowait(
                        fail_event("internal_error", "The reply could not be saved; try again.")
                    )
                return
            if not streamed_text and response.response:
                # A reply the agent gave right after its tools (no model text was streamed).
                queue.put_nowait(ServerEvent("delta", {"text": response.response}))
            queue.put_nowait(ServerEvent("done", response.model_dump(mode="json")))
        finally:
            queue.put_nowait(None)

    async def _begin(
        self, user_id: uuid.UUID, request: ChatRequest, key: str | None
    ) -> TurnStart | Replay:
        """Validate, honour the Idempotency-Key, claim the conversation and store the message."""
        message = check_message(request.message, self.settings.max_message_chars)
        claim: Claim | None = None
        if key is not None:
            fingerprint = request_fingerprint("POST", "chat", request.model_dump(mode="json"))
            claimed = await self._keys(user_id).claim(check_key(key), fingerprint)
            if isinstance(claimed, Replay):
                return claimed
            claim = claimed
        try:
            # An edit deletes the exchange it replaces: all of it commits with the new message.
            transaction = key is not None or request.edit_last
            async with self._session(key, transaction) as session:
                start = await ConversationService(session, user_id).begin_turn(
                    request.conversation_id or (claim.conversation_id if claim else None),
                    message,
                    claim=timedelta(seconds=self.settings.turn_claim_seconds),
                    max_messages=self.settings.history_max_messages,
                    max_tokens=self.settings.history_max_tokens,
                    turns_per_minute=self.settings.turns_per_minute,
                    turn_key=key,
                    resume_seq=claim.message_seq if claim else None,
                    edit_last=request.edit_last,
                )
                if key is not None:
                    await self._keys(user_id).note_progress(
                        session, key, start.conversation_id, start.message_seq
                    )
        except BaseException:
            if key is not None:
                await asyncio.shield(self._keys(user_id).release(key))
            raise
        return start

    async def _finish(
        self, start: TurnStart, result: RunResult | RunResultStreaming
    ) -> ChatResponse:
        """Store the reply, release the conversation and record the outcome, in one transaction."""
        tool_calls = collect_tool_calls(result.new_items)
        reply = str(result.final_output or "")
        response = ChatResponse(
            conversation_id=start.conversation_id, response=reply, tool_calls=tool_calls
        )
        try:
            async with self._session(start.turn_key) as session:
                await ConversationService(session, start.user_id).finish_turn(
                    start.conversation_id,
                    start.claim_token,
                    reply,
                    [call.model_dump(mode="json") for call in tool_calls],
                    replaces_seq=start.failed_reply_seq,
                )
                if start.turn_key is not None:
                    await self._keys(start.user_id).complete(
                        session, start.turn_key, 200, response.model_dump(mode="json")
                    )
        except Exception as error:
            if is_outage(error):
                log.warning("storing the reply failed: the database is unavailable: %s", error)
            else:
                log.error("storing the reply failed", exc_info=error)
            # Best effort: record the failure, which also frees the conversation at once.
            with suppress(Exception):
                await self._store_failure(start, "The reply could not be saved.")
            raise
        return response

    async def _record_stop(self, run: _StreamedTurn) -> ModelUnavailable:
        """The client stopped the turn before any tool ran: keep what was streamed, marked."""
        stopped = ModelUnavailable(STOPPED, cause="stopped by the client")
        await asyncio.shield(self._store_failure(run.start, STOPPED, content="".join(run.text)))
        return stopped

    async def _fail(
        self,
        start: TurnStart,
        error: BaseException,
        tool_calls: list[dict[str, Any]] | None = None,
    ) -> ModelUnavailable:
        """Log the cause, record the user's message about it as the reply and release the
        conversation; the user's message stays, and so do the tool calls already made (their
        changes are committed). Returns what the user is told."""
        failure = describe_failure(error, self.settings)
        if isinstance(error, MODEL_FAILURES):
            # The operator's log says what failed and which setting to check; the user is told
            # what they can do, which is rarely the same thing.
            log.warning(
                "model failure in conversation %s: %s", start.conversation_id, failure.cause
            )
        else:
            log.error("chat turn failed", exc_info=error)
        # Shielded: a cancelled request must still leave the conversation usable.
        await asyncio.shield(self._store_failure(start, failure.message, tool_calls=tool_calls))
        return failure

    async def _store_failure(
        self,
        start: TurnStart,
        reason: str,
        *,
        content: str = "",
        tool_calls: list[dict[str, Any]] | None = None,
    ) -> None:
        async with self._session(start.turn_key) as session:
            await ConversationService(session, start.user_id).finish_turn(
                start.conversation_id,
                start.claim_token,
                content,
                tool_calls or [],
                error=reason,
                replaces_seq=start.failed_reply_seq,
            )
            if start.turn_key is not None:
                # A retry with the same key continues this turn (same message, ledgered changes).
                await self._keys(start.user_id).lapse(session, start.turn_key)

    @asynccontextmanager
    async def _keep_alive(self, start: TurnStart) -> AsyncIterator[None]:
        """Renew the turn's claim on its conversation (and its key's lock) while the agent runs.

        The renewal only touches a claim this turn still holds, and it is stopped (and awaited)
        before the turn stores its reply, so it can never re-claim a released conversation.
        """
        claim = timedelta(seconds=self.settings.turn_claim_seconds)

        async def beat() -> None:
            while True:
                await asyncio.sleep(claim.total_seconds() / 3)
                try:
                    async with single_statements(self.sessionmaker) as session:
                        await ConversationService(session, start.user_id).keep_turn(
                            start.conversation_id, start.claim_token, claim
                        )
                        if start.turn_key is not None:
                            await self._keys(start.user_id).extend(session, start.turn_key)
                except Exception as error:  # try again at the next beat
                    log.warning("renewing a turn's claim failed: %s", error)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _session(
        self, key: str | None, transaction: bool = False
    ) -> AbstractAsyncContextManager[AsyncSession]:
        """Keyed turns record their progress with their changes, atomically; a plain turn's
        statements each stand alone, so it skips BEGIN/COMMIT round trips."""
        return (
            unit_of_work(self.sessionmaker)
            if key is not None or transaction
            else single_statements(self.sessionmaker)
        )

    def _keys(self, user_id: uuid.UUID) -> IdempotencyStore:
        return IdempotencyStore(
            self.sessionmaker,
            user_id,
            lock_seconds=self.settings.turn_claim_seconds,
            keep_hours=self.settings.idempotency_hours,
        )

    @asynccontextmanager
    async def _bound(self, start: TurnStart, budget: ToolBudget) -> AsyncIterator[None]:
        """The turn's user bound for the in-process MCP server, its tool budget and deadline."""
        principal = Principal(start.user_id, start.time_zone, start.turn_key)
        async with bound_principal(principal):
            with tool_budget(budget):
                async with asyncio.timeout(self.settings.agent_timeout_seconds):
                    yield

    def _agent_for_run(self) -> Agent[TurnContext]:
        """A shallow copy of the agent for one run.

        The Agents SDK keeps, per agent object, the list of runs using it and checks each new run
        against all of them: one agent shared by every concurrent turn makes that check grow
        with the load. The copy shares the tools and everything else; it is only another object.
        """
        return copy.copy(self._agent)

    def _run_options(self, start: TurnStart) -> dict[str, Any]:
        return {
            "context": TurnContext(start.time_zone),
            "max_turns": self.settings.agent_max_turns,
            "run_config": self._run_config,
        }


STOPPED = "You stopped this answer. Your message is saved."


@dataclass
class _StreamedTurn:
    """A streamed turn in flight: what it has shown the client so far, and whether it was stopped."""

    start: TurnStart
    budget: ToolBudget
    text: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False

    def stop(self, task: asyncio.Task[None]) -> None:
        """The client left: stop the turn unless a tool has run (or is running).

        Closing the budget and counting the calls made happen in one step (no await), so a
        stopped turn has called no tool and never will; one that has finishes and is stored.
        """
        if task.done():
            return
        conversation_id = self.start.conversation_id
        if self.budget.close_if_unused():
            log.info("client left; stopping the turn in conversation %s", conversation_id)
            self.stopped = True
            task.cancel()
        else:
            log.info("client left; finishing the turn in conversation %s", conversation_id)


async def _one(event: ServerEvent) -> AsyncIterator[ServerEvent]:
    yield event


async def _drain(
    queue: asyncio.Queue[ServerEvent | None], on_leave: Callable[[], None]
) -> AsyncIterator[ServerEvent]:
    finished = False
    try:
        while (event := await queue.get()) is not None:
            yield event
        finished = True
    finally:
        if not finished:  # the client left before the last event
            on_leave()
