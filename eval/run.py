"""Run the evaluation set through the real chat endpoint against PostgreSQL.

Each case gets a fresh user: its starting tasks are created over REST, its user turns go to
POST /api/{user_id}/chat in one conversation, and then the final task list and the last reply
are compared with what the case expects. The cases use a database of their own
(`todochat_eval`, recreated each run) on DATABASE_URL's server, or a throwaway embedded server when it is unset.

    python eval/run.py --threshold 0.95 [--only ambiguity] [-v]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import make_url

from todochat.api.app import create_app
from todochat.config import Settings
from todochat.db.engine import start_embedded
from todochat.db.migrate import upgrade

CASES = Path(__file__).with_name("cases.json")
# One per run, dropped afterwards: never the app's own database, never another run's.
EVAL_DATABASE = f"todochat_eval_{os.getpid()}"


@dataclass
class Outcome:
    """How one case went."""

    case: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when nothing differed from the expectation."""
        return not self.problems


def eval_database_url() -> str:
    """A database of its own on DATABASE_URL's server, or else a throwaway embedded server."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        data_dir = Path(tempfile.mkdtemp(prefix="todochat-eval-pg-"))
        # Registered before the server's own atexit hook, so it runs after it (last in, first
        # out): the server stops and deletes its data, then the folder around it goes.
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        url = start_embedded(data_dir, cleanup="delete")
    parsed = make_url(re.sub(r"^postgres://", "postgresql://", url))
    return parsed.set(database=EVAL_DATABASE).render_as_string(hide_password=False)


async def _admin(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        user=parsed.username or "postgres",
        password=parsed.password,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database="postgres",
    )


async def fresh_database(url: str) -> None:
    """Create the evaluation database anew, so every run starts from the current schema."""
    admin = await _admin(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{EVAL_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{EVAL_DATABASE}"')
    finally:
        await admin.close()


async def drop_database(url: str) -> None:
    """Remove the evaluation database once the run is over."""
    admin = await _admin(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{EVAL_DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()


def fill(text: str, ids: list[int]) -> str:
    """Replace {t2} with the id of the case's second starting task."""
    return re.sub(r"\{t(\d+)\}", lambda m: str(ids[int(m.group(1)) - 1]), text)


def seed_body(task: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The REST body creating a starting task ("due_in_days": 0 is late tonight, UTC)."""
    fields = ("title", "description", "priority", "tags", "recurrence")
    body = {k: v for k, v in task.items() if k in fields}
    if "due_in_days" in task:
        tonight = now.replace(hour=23, minute=30, second=0, microsecond=0)
        body["due_at"] = (tonight + timedelta(days=task["due_in_days"])).isoformat()
    return body


def matches(expected: dict[str, Any], task: dict[str, Any]) -> bool:
    """True when the task has every field the expectation names."""
    for key, value in expected.items():
        if key == "title" and task["title"].strip().lower() != str(value).strip().lower():
            return False
        if key == "has_due" and (task.get("due_at") is not None) != value:
            return False
        if key == "tags" and sorted(task.get("tags") or []) != sorted(value):
            return False
        if key in ("completed", "priority", "description") and task.get(key) != value:
            return False
        if key == "repeats" and not _repeats(task, value):
            return False
        if key == "reminders" and _pending_reminders(task) != value:
            return False
    return True


def _repeats(task: dict[str, Any], value: bool | str) -> bool:
    """ "repeats": false (no rule), true (any rule) or a piece of the RRULE ("BYDAY=MO")."""
    rule = (task.get("recurrence") or {}).get("rule")
    if isinstance(value, bool):
        return (rule is not None) == value
    return rule is not None and value.upper() in rule


def _pending_reminders(task: dict[str, Any]) -> int:
    return sum(1 for r in task.get("reminders") or [] if r.get("status") == "pending")


def compare(
    case: dict[str, Any], final: list[dict[str, Any]], reply: str, ids: list[int]
) -> list[str]:
    """Every way the outcome differs from the case's expectation."""
    problems = []
    expect = case["expect"]
    if "tasks" in expect:
        wanted = expect["tasks"]
        if len(final) != len(wanted):
            problems.append(f"expected {len(wanted)} tasks, found {len(final)}")
        remaining = list(final)
        for entry in wanted:
            hit = next((t for t in remaining if matches(entry, t)), None)
            if hit is None:
                problems.append(f"no task like {entry}")
            else:
                remaining.remove(hit)
    text = reply.lower()
    for needle in expect.get("reply", []):
        if fill(needle, ids).lower() not in text:
            problems.append(f"reply lacks {fill(needle, ids)!r}")
    for needle in expect.get("reply_not", []):
        if fill(needle, ids).lower() in text:
            problems.append(f"reply has {fill(needle, ids)!r}")
    for pattern in expect.get("reply_regex", []):
        if not re.search(fill(pattern, ids), reply, re.I):
            problems.append(f"reply does not match /{pattern}/")
    return problems


async def run_case(client: httpx.AsyncClient, case: dict[str, Any]) -> Outcome:
    """Sign up a fresh user, seed, chat, and compare."""
    outcome = Outcome(case)
    email = f"eval-{uuid.uuid4().hex[:12]}@example.com"
    signup = await client.post(
        "/api/auth/signup", json={"email": email, "password": "correct horse battery"}
    )
    signup.raise_for_status()
    user_id = signup.json()["user"]["id"]
    client_headers = {"Authorization": f"Bearer {signup.json()['access_token']}"}
    now = datetime.now(UTC)
    ids = []
    for task in case.get("tasks", []):
        created = await client.post(
            f"/api/{user_id}/tasks", json=seed_body(task, now), headers=client_headers
        )
        created.raise_for_status()
        ids.append(created.json()["id"])
        if task.get("completed"):
            toggled = await client.patch(
                f"/api/{user_id}/tasks/{ids[-1]}/complete", headers=client_headers
            )
            toggled.raise_for_status()
    conversation_id = None
    for message in case["turns"]:
        body: dict[str, Any] = {"message": fill(message, ids)}
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        answer = await client.post(f"/api/{user_id}/chat", json=body, headers=client_headers)
        if answer.status_code != 200:
            outcome.problems.append(f"chat answered {answer.status_code}: {answer.text[:200]}")
            return outcome
        conversation_id = answer.json()["conversation_id"]
        outcome.replies.append(answer.json()["response"])
    listed = await client.get(
        f"/api/{user_id}/tasks", params={"status": "all", "limit": 100}, headers=client_headers
    )
    listed.raise_for_status()
    outcome.problems = compare(case, listed.json()["items"], outcome.replies[-1], ids)
    return outcome


async def run(cases: list[dict[str, Any]], database_url: str, concurrency: int) -> list[Outcome]:
    """Every case through the app, a few at a time."""
    await fresh_database(database_url)
    await asyncio.to_thread(upgrade, database_url)
    settings = Settings(
        database_url=database_url,
        model="offline",
        turns_per_minute=100_000,
        signups_per_address=100_000,
    )
    app = create_app(settings)
    limit = asyncio.Semaphore(concurrency)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://eval", timeout=60
        ) as client:

            async def guarded(case: dict[str, Any]) -> Outcome:
                async with limit:
                    try:
                        return await run_case(client, case)
                    except httpx.HTTPStatusError as error:
                        return Outcome(
                            case, problems=[f"setup failed: {error.response.text[:200]}"]
                        )
                    except httpx.HTTPError as error:
                        return Outcome(case, problems=[f"HTTP error: {error!r}"])

            outcomes = await asyncio.gather(*(guarded(case) for case in cases))
    await drop_database(database_url)
    return outcomes


def report(outcomes: list[Outcome], verbose: bool) -> float:
    """Print failures and accuracy per category; return overall accuracy."""
    totals: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    failures: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        category = outcome.case["category"]
        totals[category] += 1
        if outcome.passed:
            passed[category] += 1
        else:
            failures[category].append(outcome)
    for category in sorted(failures):
        for outcome in failures[category]:
            print(f"FAIL {outcome.case['id']}: {outcome.case['turns']}")
            for problem in outcome.problems:
                print(f"     - {problem}")
            if verbose and outcome.replies:
                print("     reply: " + outcome.replies[-1].replace("\n", "\n            "))
    print()
    print(f"{'category':<12} {'passed':>7} {'total':>6} {'accuracy':>9}")
    for category in sorted(totals):
        share = passed[category] / totals[category]
        print(f"{category:<12} {passed[category]:>7} {totals[category]:>6} {share:>9.1%}")
    overall = sum(passed.values()) / max(sum(totals.values()), 1)
    print(f"{'overall':<12} {sum(passed.values()):>7} {sum(totals.values()):>6} {overall:>9.1%}")
    return overall


def main() -> None:
    """Parse flags, run the set, exit non-zero below the threshold."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, default=CASES, help="evaluation set (JSON)")
    parser.add_argument("--only", help="run cases whose id or category contains this text")
    parser.add_argument(
        "--threshold", type=float, default=0.0, help="minimum overall accuracy (0-1)"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--verbose", "-v", action="store_true", help="show the replies of failures")
    args = parser.parse_args()
    database_url = eval_database_url()
    cases = json.loads(args.cases.read_text())
    if args.only:
        cases = [c for c in cases if args.only in c["id"] or args.only == c["category"]]
    started = time.perf_counter()
    outcomes = asyncio.run(run(cases, database_url, args.concurrency))
    overall = report(outcomes, args.verbose)
    print(f"{len(cases)} cases in {time.perf_counter() - started:.1f}s")
    if overall < args.threshold:
        print(f"accuracy {overall:.1%} is below the threshold {args.threshold:.0%}")
        sys.exit(1)


if __name__ == "__main__":
    main()
