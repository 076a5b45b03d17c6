"""Instructions per chat turn, counted by Valgrind: a cost measure the machine's noise cannot move.

CPU time on a shared 2-core VM moves by 20-50% between runs minutes apart, too much to see a
5% change. Valgrind's callgrind counts the instructions the process executes instead: the same
code gives the same count to within ~0.5%. This runs the in-process app (as `bench/inproc.py`),
warms up uninstrumented, then counts only the measured turns.

    apt-get install valgrind
    .venv/bin/python -m bench.instructions [--users 16] [--turns 160] [--history 20]

Each user chats in its own conversation, one-tool turns ("add a task to buy milk <n>"), all
users at once (concurrency = users). Takes ~40 s at 1 user, ~2 min at 16. To compare two
versions, run it with PYTHONPATH pointing at the other source tree.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import uvloop

from bench import common, load


async def _turns(users: int, turns: int, history: int) -> None:
    """Run inside callgrind: warm up, switch counting on, run the turns, switch it off."""
    from todochat.api.app import create_app
    from todochat.config import Settings
    from todochat.db.migrate import upgrade

    db = await common.create_database()
    try:
        url = common.database_url(db)
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            database_url=url,
            secret_key=common.SECRET,
            turns_per_minute=100_000_000,
            signups_per_address=100_000_000,
            model="offline",
            history_max_messages=history,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                people = await load.seed_users(db, users, "instr")

                async def chat(total: int) -> None:
                    # httpx and bench.wire clients answer alike (post, json).
                    result = await load.run_load(http, people, total_turns=total)
                    if result.errors:
                        raise RuntimeError(f"turns failed: {result.error_samples}")

                await chat(max(25 * users, 30))  # history windows full, caches warm
                _callgrind("on")
                await chat(turns)
                _callgrind("off")
    finally:
        await common.drop_database(db)


def _callgrind(state: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True
    )


def main() -> None:
    """Entry point: python -m bench.instructions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1, help="concurrent users (default 1)")
    parser.add_argument("--turns", type=int, default=40, help="measured turns (default 40)")
    parser.add_argument("--history", type=int, default=20, help="history window in messages")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        import gc

        from todochat.api import app

        # As `todochat serve` runs (older versions of the code have no such setting).
        thresholds = getattr(app, "SERVER_GC_THRESHOLDS", None)
        if thresholds is not None:
            gc.set_threshold(*thresholds)
        uvloop.run(_turns(args.users, args.turns, args.history))
        return
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "bench.instructions",
        "--inside",
        f"--users={args.users}",
        f"--turns={args.turns}",
        f"--history={args.history}",
    ]
    subprocess.run(command, check=True, capture_output=True)
    totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.M)
    if totals is None:
        raise SystemExit(f"no totals in {out}")
    per_turn = int(totals.group(1)) / args.turns / 1e6
    print(
        f"{per_turn:.2f} M instructions per one-tool turn "
        f"({args.users} concurrent user(s), {args.turns} turns, history {args.history} messages)"
    )


if __name__ == "__main__":
    main()
