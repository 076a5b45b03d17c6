"""`make bench`: what a chat turn costs, how many the service sustains, flat cost as history grows.

Runs everything against a throwaway database on the local PostgreSQL (DATABASE_URL's server, or
postgresql://postgres@127.0.0.1:5432), prints a table with each target PASS/MISS and writes
bench/results.json. `--full` runs the long variants (10,000-turn memory run, longer load runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from bench import common, inproc, load, reminders
from bench.pgproxy import PgProxy

RESULTS = Path(__file__).with_name("results.json")


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return ""


def _log(message: str) -> None:
    print(
        f"[bench {time.strftime('%H:%M:%S')} load={common.load_average()}] {message}",
        file=sys.stderr,
        flush=True,
    )


async def _latency_c1(http: Any, user: load.User, turns: int, rounds: int) -> dict[str, Any]:
    """One user, one conversation, one turn at a time."""
    user.conversation_id = None
    for _ in range(20):  # warm-up: start the conversation, fill caches
        await load.chat_turn(http, user)
    per_round = []
    everything = common.Latencies()
    errors = 0
    phases: dict[str, list[float]] = {}
    for _ in range(rounds):
        lat = common.Latencies()
        for _ in range(turns):
            outcome = await load.chat_turn(http, user)
            lat.values.append(outcome.seconds)
            errors += not outcome.ok
            for name, ms in outcome.server_timing.items():
                phases.setdefault(name, []).append(ms)
            if outcome.server_timing:
                phases.setdefault("(client - server phases)", []).append(
                    outcome.seconds * 1000
                    - sum(outcome.server_timing.values())
                    + outcome.server_timing.get("tools", 0.0)
                )
        per_round.append(lat.summary())
        everything.values += lat.values
    return {
        "rounds": per_round,
        "p50_ms_median_of_rounds": common.median([r["p50_ms"] for r in per_round]),
        "pooled": everything.summary(),
        "errors": errors,
        # From the server's Server-Timing header (absent on builds without it). `tools` is part of `agent`.
        "server_timing_p50_ms": {
            name: {
                "p50_ms": round(common.percentile(v, 50), 2),
                "p99_ms": round(common.percentile(v, 99), 2),
            }
            for name, v in phases.items()
        },
    }


async def _flat_cost(
    http: Any, db: str, user: load.User, tool_calls: list[Any], count: int
) -> dict[str, Any]:
    """One turn on each of `count` conversations with exactly 10 and 5,000 prior messages."""
    _log(f"seeding {count} conversations x (10, 100, 5,000) messages")
    short = await common.seed_conversations(db, user.id, count, 10, tool_calls)
    medium = await common.seed_conversations(db, user.id, count, 100, tool_calls)
    long = await common.seed_conversations(db, user.id, count, 5000, tool_calls)
    for warm in (short[0], long[0]):  # warm-up on throwaway conversations
        user.conversation_id = warm
        await load.chat_turn(http, user)
    out: dict[str, common.Latencies] = {
        "10": common.Latencies(),
        "100": common.Latencies(),
        "5000": common.Latencies(),
    }
    errors = 0
    for index in range(1, count):  # interleaved, so drifting machine load hits all alike
        for prior, ids in (("10", short), ("100", medium), ("5000", long)):
            user.conversation_id = ids[index]
            outcome = await load.chat_turn(http, user)
            out[prior].values.append(outcome.seconds)
            errors += not outcome.ok
    summary: dict[str, Any] = {f"prior_{key}": lat.summary() for key, lat in out.items()}
    summary["ratio_5000_to_10_p50"] = round(
        summary["prior_5000"]["p50_ms"] / summary["prior_10"]["p50_ms"], 3
    )
    summary["ratio_5000_to_100_p50"] = round(
        summary["prior_5000"]["p50_ms"] / summary["prior_100"]["p50_ms"], 3
    )
    summary["errors"] = errors
    return summary


async def _rest_list(http: Any, db: str, user: load.User, requests: int) -> dict[str, Any]:
    """GET /tasks?limit=50 for a user with 5,000 tasks."""
    await common.seed_tasks(db, user.id, 5000)
    url = f"/api/{user.id}/tasks?limit=50"
    for _ in range(20):
        (await http.get(url, headers=user.headers)).raise_for_status()
    lat = common.Latencies()
    body: dict[str, Any] = {}
    for _ in range(requests):
        started = time.perf_counter()
        response = await http.get(url, headers=user.headers)
        lat.values.append(time.perf_counter() - started)
        response.raise_for_status()
        body = response.json()
    return {**lat.summary(), "items": len(body.get("items", [])), "total": body.get("total")}


async def _throughput(
    http: Any,
    server: common.Server,
    db: str,
    users: list[load.User],
    levels: list[int],
    seconds: float,
) -> dict[str, Any]:
    out = {}
    for level in levels:
        group = users[:level]
        for user in group:
            user.conversation_id = None  # each simulated user in its own, new conversation
        marks: dict[str, float] = {}
        pg = common.PostgresCpu(db)

        def started(marks: dict[str, float] = marks, pg: common.PostgresCpu = pg) -> None:
            marks["cpu"] = server.cpu_seconds()
            pg.start()

        _log(f"throughput: {level} users, {server.workers} worker(s), {seconds:g} s")
        result = await load.run_load(
            http, group, seconds=seconds, warmup_seconds=2.0, on_start=started
        )
        summary = result.summary()
        cpu = server.cpu_seconds() - marks["cpu"]
        pg_cpu = pg.stop()
        summary["postgres_cpu_ms_per_turn"] = (
            round(1000 * pg_cpu / result.turns, 2) if result.turns else None
        )
        summary["server_cpu_ms_per_turn"] = (
            round(1000 * cpu / result.turns, 2) if result.turns else None
        )
        summary["server_cpu_pct_of_core"] = round(100 * cpu / result.seconds, 1)
        summary["load_average"] = common.load_average()
        out[str(level)] = summary
    return out


async def _memory(
    http: Any, server: common.Server, users: list[load.User], total: int
) -> dict[str, Any]:
    """Each worker's RSS after 1,000 turns and after `total` turns (32 users, new conversation every 50)."""
    for user in users:
        user.conversation_id = None
    _log(f"memory: {total} turns on {server.workers} worker(s)")
    first = await load.run_load(http, users, total_turns=1000, turns_per_conversation=50)
    rss_1000 = server.rss_mb()
    checkpoints = {"1000": rss_1000}
    done = 1000
    errors = first.errors
    while done < total:
        step = min(total - done, 3000)
        result = await load.run_load(http, users, total_turns=step, turns_per_conversation=50)
        errors += result.errors
        done += step
        checkpoints[str(done)] = server.rss_mb()
        _log(f"memory: {done} turns, RSS {checkpoints[str(done)]} MiB")
    rss_end = checkpoints[str(done)]
    growth = [
        round(100 * (end - start) / start, 2) for start, end in zip(rss_1000, rss_end, strict=False)
    ]
    return {"turns": done, "rss_mb": checkpoints, "growth_pct_per_worker": growth, "errors": errors}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import todochat
    from todochat.db.migrate import upgrade

    full = args.full
    results: dict[str, Any] = {
        "meta": {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_head": _git("rev-parse", "--short", "HEAD"),
            "uncommitted_files": len(_git("status", "--porcelain").splitlines()),
            "todochat_source": str(Path(todochat.__file__).parent),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_start": common.load_average(),
            "mode": "full" if full else "quick",
        }
    }
    db = await common.create_database()
    _log(f"database {db}")
    try:
        url = common.database_url(db)
        await asyncio.to_thread(upgrade, url)

        if "inproc" in args.only:
            _log("in-process: phase breakdown and MCP hop")
            results["inproc"] = await inproc.measure(url, None, turns=100 if full else 60, rounds=3)
            _log("in-process through the counting proxy: round trips")
            proxy = PgProxy(*common.upstream())
            port = await proxy.start()
            try:
                counted = await inproc.measure(
                    common.database_url(db, port), proxy, turns=30, rounds=1
                )
            finally:
                await proxy.stop()
            results["round_trips"] = {
                "by_turn_kind": counted["round_trips"],
                "one_tool_by_phase": {
                    phase: values.get("round_trips")
                    for phase, values in counted["one_tool"]["phases"].items()
                },
            }
        tool_calls = results.get("inproc", {}).get("sample_tool_calls") or []
        users: list[load.User] | None = None

        if {"server", "throughput"} & set(args.only):
            _log("server: 1 worker")
            server = common.start_server(url, workers=1)
            try:
                async with load.client(server.base_url) as http:
                    users = await load.seed_users(db, 128, "load")
                    solo = await load.sign_up(http, 3, "solo")
                    if "server" in args.only:
                        _log("latency at concurrency 1")
                        results["latency_c1"] = await _latency_c1(
                            http, solo[0], 200 if full else 100, 3
                        )
                        results["flat_cost"] = await _flat_cost(
                            http, db, solo[1], tool_calls, 41 if full else 25
                        )
                        _log("REST: list 50 of 5,000 tasks")
                        results["rest_list_50_of_5000"] = await _rest_list(http, db, solo[2], 300)
                        results["server_rss_mb_1_worker"] = server.rss_mb()
                    if "throughput" in args.only:
                        results.setdefault("throughput", {})["1_worker"] = await _throughput(
                            http, server, db, users, [8, 32, 128], 20 if full else 8
                        )
            finally:
                server.stop()
            if "throughput" in args.only or "memory" in args.only:
                _log("server: 2 workers")
                server = common.start_server(url, workers=2)
                try:
                    async with load.client(server.base_url) as http:
                        if users is None:
                            users = await load.seed_users(db, 32, "load")
                        if "throughput" in args.only:
                            results.setdefault("throughput", {})["2_workers"] = await _throughput(
                                http, server, db, users, [8, 32, 128], 20 if full else 8
                            )
                        if "memory" in args.only:
                            results["memory"] = await _memory(
                                http,
                                server,
                                users[:32],
                                args.memory_turns or (10_000 if full else 4_000),
                            )
                finally:
                    server.stop()
        if "reminders" in args.only:
            _log("reminders: queue poll vs pending, dispatch latency with 100,000 pending")
            results["reminders"] = await reminders.measure(db)
    finally:
        await common.drop_database(db)
    results["meta"]["load_average_end"] = common.load_average()
    results["targets"] = targets(results)
    return results


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each issue-8 target with the measured value and PASS/MISS (or n/a when not measured)."""
    rows = []

    def row(name: str, value: Any, ok: bool | None, note: str = "") -> None:
        rows.append(
            {
                "target": name,
                "measured": value,
                "result": "n/a" if ok is None else ("PASS" if ok else "MISS"),
                "note": note,
            }
        )

    lat = results.get("latency_c1")
    row(
        "p50 one-tool turn <= 15 ms at c=1 (client, server process)",
        f"{lat['p50_ms_median_of_rounds']} ms" if lat else None,
        lat and lat["p50_ms_median_of_rounds"] <= 15,
    )
    tp = results.get("throughput", {}).get("2_workers", {}).get("32")
    row(
        ">= 150 turns/s at 32 users, 2 workers, 0 errors",
        f"{tp['turns_per_s']} turns/s, {tp['errors']} errors" if tp else None,
        tp and tp["turns_per_s"] >= 150 and tp["errors"] == 0,
    )
    flat = results.get("flat_cost")
    row(
        "5,000-message conversation <= 1.2 x 10-message (p50)",
        f"x{flat['ratio_5000_to_10_p50']} ({flat['prior_5000']['p50_ms']} vs {flat['prior_10']['p50_ms']} ms)"
        if flat
        else None,
        flat and flat["ratio_5000_to_10_p50"] <= 1.2,
    )
    rt = results.get("round_trips", {}).get("by_turn_kind")
    if rt:
        base = rt["no_tool"]["round_trips"]
        per_tool = rt["two_tools"]["round_trips"] - rt["one_tool"]["round_trips"]
        row(
            "<= 6 DB round trips per turn + 1 per tool call",
            f"{base} (no tool), {rt['one_tool']['round_trips']} (1 tool), {rt['two_tools']['round_trips']} (2 tools)",
            base <= 6 and rt["one_tool"]["round_trips"] <= 7 and per_tool <= 1,
        )
    else:
        row("<= 6 DB round trips per turn + 1 per tool call", None, None)
    rem = results.get("reminders")
    row(
        "reminder dispatch p99 <= 2 s (100,000 pending, 1,000 due in one minute)",
        f"p50 {rem['latency_ms']['p50']} ms, p99 {rem['latency_ms']['p99']} ms, "
        f"{rem['fired']}/{rem['due_in_one_minute']} fired"
        if rem
        else None,
        rem and rem["latency_ms"]["p99"] <= 2000 and rem["fired"] == rem["due_in_one_minute"],
    )
    row(
        "queue poll at 100,000 pending <= 2 x at 1,000 (p50)",
        f"x{rem['poll_ratio_100k_to_1k']}" if rem else None,
        rem and rem["poll_ratio_100k_to_1k"] <= 2,
    )
    mem = results.get("memory")
    if mem:
        partial = mem["turns"] < 10_000
        row(
            "RSS growth 1,000 -> 10,000 turns < 10% (each worker)",
            f"{mem['growth_pct_per_worker']} % (1,000 -> {mem['turns']:,})",
            None if partial else max(mem["growth_pct_per_worker"]) < 10,
            "partial run: use --full for 10,000 turns" if partial else "",
        )
    else:
        row("RSS growth 1,000 -> 10,000 turns < 10% (each worker)", None, None)
    return rows


def print_table(results: dict[str, Any]) -> None:
    """A plain-text report."""
    out = []
    meta = results["meta"]
    out.append(
        f"todochat bench ({meta['mode']}) — {meta['started_at']}, git {meta['git_head']} "
        f"(+{meta['uncommitted_files']} uncommitted), {meta['cpus']} CPUs, "
        f"load average {meta['load_average_start']} -> {meta['load_average_end']}"
    )
    lat = results.get("latency_c1")
    if lat:
        out.append("\nOne-tool chat turn, concurrency 1, `todochat serve` (client-observed):")
        for index, r in enumerate(lat["rounds"], 1):
            out.append(
                f"  round {index}: p50 {r['p50_ms']:7.2f}  p95 {r['p95_ms']:7.2f}  p99 {r['p99_ms']:7.2f} ms  (n={r['n']})"
            )
        p = lat["pooled"]
        out.append(
            f"  pooled:  p50 {p['p50_ms']:7.2f}  p95 {p['p95_ms']:7.2f}  p99 {p['p99_ms']:7.2f} ms  errors {lat['errors']}"
        )
        if lat.get("server_timing_p50_ms"):
            out.append("  server-side, from the Server-Timing header (tools is part of agent):")
            for name, v in lat["server_timing_p50_ms"].items():
                out.append(f"    {name:26s} p50 {v['p50_ms']:7.2f}  p99 {v['p99_ms']:7.2f} ms")
    ip = results.get("inproc")
    if ip:
        phases = ip["one_tool"]["phases"]
        rtp = results.get("round_trips", {}).get("one_tool_by_phase", {})
        out.append(
            "\nServer-side breakdown of a one-tool turn (in-process app, c=1; wall p50 / CPU p50 / round trips):"
        )
        for name, values in phases.items():
            out.append(
                f"  {name:15s} {values['p50_ms']:7.2f} ms  cpu {values.get('cpu_p50_ms', float('nan')):6.2f} ms  rt {rtp.get(name, '-')}"
            )
        hop = ip.get("mcp_hop")
        if hop:
            out.append(
                "\nMCP hop (in-process): same one-tool turn, add_task via in-process MCP vs TaskService directly:"
            )
            for variant, values in hop.items():
                out.append(
                    f"  {variant:7s} server p50 {values['server_p50_ms']:6.2f} ms  cpu {values['cpu_p50_ms']:6.2f} ms  "
                    f"tool call p50 {values['tools_p50_ms']:6.2f} ms (cpu {values['tools_cpu_p50_ms']:5.2f})"
                )
    rt = results.get("round_trips", {}).get("by_turn_kind")
    if rt:
        out.append("\nDatabase round trips per turn (counted on the wire by bench/pgproxy.py):")
        for kind, values in rt.items():
            out.append(
                f"  {kind:10s} tool calls {values['tool_calls']}  round trips {values['round_trips']}"
            )
    flat = results.get("flat_cost")
    if flat:
        out.append(
            "\nFlat cost: one turn per conversation with N prior messages (client, p50 / p95 ms):"
        )
        for key in ("prior_10", "prior_100", "prior_5000"):
            out.append(
                f"  {key:10s} {flat[key]['p50_ms']:7.2f} / {flat[key]['p95_ms']:7.2f}  (n={flat[key]['n']})"
            )
        out.append(
            f"  ratio 5,000 / 10: x{flat['ratio_5000_to_10_p50']}   5,000 / 100: x{flat['ratio_5000_to_100_p50']}"
        )
    rest = results.get("rest_list_50_of_5000")
    if rest:
        out.append(
            f"\nREST GET /tasks?limit=50 of 5,000 tasks: p50 {rest['p50_ms']} ms, p95 {rest['p95_ms']} ms "
            f"(items {rest['items']}, total {rest['total']})"
        )
    tp = results.get("throughput")
    if tp:
        out.append(
            "\nThroughput (closed loop, each user in its own conversation; load generator on the same cores):"
        )
        out.append(
            "  workers users  turns/s  errors    p50 ms    p99 ms  cpu ms/turn: server  postgres  loadgen %core"
        )
        for workers, levels in tp.items():
            for users, r in levels.items():
                out.append(
                    f"  {workers[:1]:>7s} {users:>5s} {r['turns_per_s']:8.1f} {r['errors']:7d} {r['p50_ms']:9.1f} "
                    f"{r['p99_ms']:9.1f} {r['server_cpu_ms_per_turn'] or 0:19.2f} {r['postgres_cpu_ms_per_turn'] or 0:9.2f} {r['loadgen_cpu_pct_of_core']:14.1f}"
                    + (f"  {r['error_kinds']}" if r["errors"] else "")
                )
    mem = results.get("memory")
    if mem:
        out.append("\nMemory (2 workers, RSS MiB per worker):")
        for turns, rss in mem["rss_mb"].items():
            out.append(f"  after {int(turns):>6,} turns: {rss}")
        out.append(f"  growth: {mem['growth_pct_per_worker']} %   errors {mem['errors']}")
    rem = results.get("reminders")
    if rem:
        out.append(
            "\nReminders (one `todochat worker`; queue poll = one dequeue finding nothing due):"
        )
        for pending, cost in rem["poll_ms_by_pending"].items():
            out.append(
                f"  poll with {int(pending):>7,} pending: p50 {cost['p50_ms']} ms, p90 {cost['p90_ms']} ms"
            )
        lat = rem["latency_ms"]
        out.append(
            f"  {rem['due_in_one_minute']} due in one minute, {rem['pending']:,} pending: "
            f"scheduled -> fired p50 {lat['p50']} ms, p99 {lat['p99']} ms, max {lat['max']} ms"
        )
    out.append("\nTargets (issues 8, 19):")
    for t in results["targets"]:
        out.append(
            f"  [{t['result']:4s}] {t['target']}: {t['measured']}"
            + (f"  ({t['note']})" if t["note"] else "")
        )
    print("\n".join(out))


def main() -> None:
    """Entry point: python -m bench.run [--full] [--only ...]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--full", action="store_true", help="long variants: 10,000-turn memory run, 20 s load runs"
    )
    parser.add_argument(
        "--memory-turns",
        type=int,
        default=0,
        help="turns for the memory run (default 4,000; 10,000 with --full)",
    )
    parser.add_argument(
        "--only",
        default="inproc,server,throughput,memory,reminders",
        help="comma-separated subset of inproc,server,throughput,memory,reminders",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="where to write the JSON results"
    )
    args = parser.parse_args()
    args.only = set(args.only.split(","))
    # uvloop, as `todochat serve` runs (uvicorn picks it when installed): the in-process
    # measurements see the same event loop, and the load generator spends less of the cores.
    results = uvloop.run(run(args))
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
