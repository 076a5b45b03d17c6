"""An async load generator: N simulated users, each chatting in its own conversation.

Closed loop, no think time: each user sends a one-tool turn ("add a task to buy milk <n>"),
waits for the answer, and sends the next. A turn counts as an error unless it answers 200
with exactly one tool call. The generator runs on the same 2 cores as the server, so it
also reports the CPU it used itself.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import wire
from bench.common import ONE_TOOL_MESSAGE, PASSWORD, Latencies


@dataclass
class User:
    """A signed-up account and its current conversation."""

    id: str
    token: str
    conversation_id: int | None = None
    turns: int = 0

    @property
    def headers(self) -> dict[str, str]:
        """The bearer header."""
        return {"Authorization": f"Bearer {self.token}"}


def client(base_url: str) -> wire.Client:
    """A lean keep-alive client: one connection per simulated user in flight (see bench/wire.py)."""
    return wire.Client(base_url)


async def seed_users(db: str, count: int, prefix: str) -> list[User]:
    """`count` accounts inserted with SQL and their tokens minted with the bench's secret key.

    Signing up through the API costs an argon2 hash each (~0.3 s on a loaded 2-core box);
    the load runs only need valid accounts. One user per run still signs up through the API.
    """
    from bench.common import SECRET, connect
    from todochat.accounts.security import create_access_token, hash_password

    password_hash = hash_password(PASSWORD)
    conn = await connect(db)
    try:
        rows = await conn.fetch(
            # ASCII addresses: lower() is their canonical form (accounts.service.canonical_email).
            "INSERT INTO app_user (email, email_canonical, password_hash) "
            "SELECT e, lower(e), $2 FROM generate_series(1, $3) g, "
            "LATERAL (SELECT $1 || '-' || g || '@bench.example.com' AS e) address RETURNING id",
            prefix,
            password_hash,
            count,
        )
    finally:
        await conn.close()
    return [User(str(row["id"]), create_access_token(row["id"], SECRET, 24 * 60)) for row in rows]


async def sign_up(http: wire.Client, count: int, prefix: str, parallel: int = 4) -> list[User]:
    """`count` new accounts (argon2 hashing makes signup slow: a few in parallel)."""
    gate = asyncio.Semaphore(parallel)

    async def one(index: int) -> User:
        async with gate:
            response = await http.post(
                "/api/auth/signup",
                json={"email": f"{prefix}-{index}@bench.example.com", "password": PASSWORD},
            )
            response.raise_for_status()
            body = response.json()
            return User(body["user"]["id"], body["access_token"])

    return list(await asyncio.gather(*(one(i) for i in range(count))))


@dataclass
class TurnOutcome:
    """One turn as the client saw it."""

    seconds: float
    ok: bool
    status: int | str
    body: dict[str, Any] | None = None
    server_timing: dict[str, float] = field(default_factory=dict)


def parse_server_timing(header: str | None) -> dict[str, float]:
    """`auth;dur=1.2, begin;dur=3.4` → {"auth": 1.2, "begin": 3.4} (ms)."""
    phases: dict[str, float] = {}
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "dur" and name:
                try:
                    phases[name] = float(value)
                except ValueError:
                    pass
    return phases


async def chat_turn(http: wire.Client, user: User, message: str | None = None) -> TurnOutcome:
    """One one-tool turn in the user's conversation (started on the first turn)."""
    payload: dict[str, Any] = {"message": message or ONE_TOOL_MESSAGE.format(n=user.turns)}
    if user.conversation_id is not None:
        payload["conversation_id"] = user.conversation_id
    started = time.perf_counter()
    try:
        response = await http.post(f"/api/{user.id}/chat", json=payload, headers=user.headers)
    except wire.WireError as error:
        # The server may still be running that turn: continuing in the same conversation would
        # only measure 409 conversation_busy until it ends, so this user starts a new one.
        user.conversation_id = None
        return TurnOutcome(time.perf_counter() - started, False, type(error).__name__)
    elapsed = time.perf_counter() - started
    user.turns += 1
    if response.status_code != 200:
        try:
            detail = response.json()
        except ValueError:
            detail = {"text": response.text[:300]}
        return TurnOutcome(elapsed, False, response.status_code, detail)
    body = response.json()
    user.conversation_id = body["conversation_id"]
    ok = message is not None or len(body.get("tool_calls", [])) == 1
    timing = parse_server_timing(response.headers.get("server-timing"))
    return TurnOutcome(elapsed, ok, 200 if ok else "not-one-tool", body, timing)


@dataclass
class LoadResult:
    """What a load run measured."""

    users: int
    seconds: float
    turns: int = 0
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    error_samples: list[Any] = field(default_factory=list)
    latencies: Latencies = field(default_factory=Latencies)
    client_cpu_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Throughput, errors, latency percentiles."""
        return {
            "users": self.users,
            "seconds": round(self.seconds, 2),
            "turns": self.turns,
            "turns_per_s": round(self.turns / self.seconds, 1) if self.seconds else 0.0,
            "errors": self.errors,
            "error_kinds": dict(self.error_kinds),
            "error_samples": self.error_samples[:5],
            **self.latencies.summary(),
            "loadgen_cpu_pct_of_core": round(100 * self.client_cpu_seconds / self.seconds, 1)
            if self.seconds
            else 0.0,
        }


async def run_load(
    http: wire.Client,
    users: list[User],
    *,
    seconds: float | None = None,
    total_turns: int | None = None,
    warmup_seconds: float = 0.0,
    turns_per_conversation: int | None = None,
    on_start: Callable[[], None] | None = None,
) -> LoadResult:
    """Every user chats in a loop; measure for `seconds` (after a warm-up) or until `total_turns`.

    `turns_per_conversation` starts a new conversation after that many turns (the memory run
    uses it so the server sees many conversations, as in production).
    """
    result = LoadResult(users=len(users), seconds=0.0)
    measuring = warmup_seconds <= 0
    stop = False
    budget = total_turns

    async def loop(user: User) -> None:
        nonlocal budget
        while not stop:
            if budget is not None:
                if budget <= 0:
                    return
                budget -= 1
            if turns_per_conversation and user.turns and user.turns % turns_per_conversation == 0:
                user.conversation_id = None
            outcome = await chat_turn(http, user)
            if measuring:
                result.turns += 1
                result.latencies.values.append(outcome.seconds)
                if not outcome.ok:
                    result.errors += 1
                    result.error_kinds[str(outcome.status)] += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(
                            {
                                "status": outcome.status,
                                "body": outcome.body,
                                "user_turn": user.turns,
                            }
                        )

    tasks = [asyncio.create_task(loop(user)) for user in users]
    if warmup_seconds > 0:
        await asyncio.sleep(warmup_seconds)
        measuring = True
    if on_start is not None:
        on_start()
    cpu0, t0 = time.process_time(), time.perf_counter()
    if seconds is not None:
        await asyncio.sleep(seconds)
        stop = True
        # In-flight turns finish (and count) before the clock stops: a fair turns/s.
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - t0
    result.client_cpu_seconds = time.process_time() - cpu0
    return result
