"""Reminder delivery across real processes: streams on other instances, two dispatchers, SIGKILL."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import PASSWORD, unique_email
from tests.notify.reminding import (
    add_reminders,
    new_user,
    running_worker,
    soon,
    wait_until_fired,
)
from tests.servers import running_server

pytestmark = pytest.mark.slow


def _events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) of each SSE event on a streaming response."""
    event, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif not line and data:
            yield event, json.loads(data)
            event, data = "message", ""


def test_a_reminder_fired_by_one_server_reaches_a_stream_held_by_another(
    tmp_path: Path, database_url: str
) -> None:
    """Server A only serves the stream (its worker is off); server B's worker fires."""
    env = {"DATABASE_URL": database_url}
    with (
        running_server(tmp_path, {**env, "TODOCHAT_REMINDER_WORKER": "false"}) as a,
        running_server(tmp_path, env) as b,
    ):
        signup = httpx.post(
            f"{b.base_url}/api/auth/signup",
            json={"email": unique_email(), "password": PASSWORD},
        ).json()
        user_id, headers = (
            signup["user"]["id"],
            {"Authorization": f"Bearer {signup['access_token']}"},
        )
        events = f"{a.base_url}/api/{user_id}/events"
        assert httpx.get(events).status_code == 401

        with httpx.stream("GET", events, headers=headers, timeout=30) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            created = httpx.post(
                f"{b.base_url}/api/{user_id}/tasks",
                json={"title": "Call the plumber", "reminders": [{"at": soon(2).isoformat()}]},
                headers=headers,
            )
            assert created.status_code == 201, created.text
            event, data = next(_events(stream))
        assert event == "reminder"
        assert data["task"]["title"] == "Call the plumber"
        assert data["reminder"]["id"] == created.json()["reminders"][0]["id"]
        assert data["reminder"]["status"] == "sent"
        assert data["missed"] is False

        # Not marked seen: the next visit replays it as missed, on either server; once marked
        # seen, it is not shown again.
        with httpx.stream("GET", f"{b.base_url}/api/{user_id}/events", headers=headers) as again:
            event, replayed = next(_events(again))
        assert replayed["missed"] is True
        assert replayed["reminder"]["delivery_id"] == data["reminder"]["delivery_id"]
        seen = httpx.post(
            f"{a.base_url}/api/{user_id}/reminders/seen",
            json={"ids": [data["reminder"]["id"]]},
            headers=headers,
        )
        assert seen.status_code == 204
        bad = httpx.post(
            f"{a.base_url}/api/{user_id}/reminders/seen", json={"ids": "all"}, headers=headers
        )
        assert bad.status_code == 422 and bad.json()["error"] == "validation_error"
        with httpx.stream("GET", events, headers=headers, timeout=30) as after:
            later = httpx.post(
                f"{b.base_url}/api/{user_id}/tasks",
                json={"title": "Second", "reminders": [{"at": soon(1).isoformat()}]},
                headers=headers,
            )
            assert later.status_code == 201
            _, next_data = next(_events(after))
        assert next_data["task"]["title"] == "Second"  # the seen one was not replayed first


async def test_two_dispatchers_deliver_a_thousand_reminders_exactly_once(
    tmp_path: Path,
    database_url: str,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "CREATE TABLE IF NOT EXISTS test_delivery "
                "(delivery_id uuid, reminder_id bigint, pid int)"
            )
        )
    user_id = await new_user(client)
    env = {
        "TODOCHAT_REMINDER_HOOKS": '["tests.notify.hooks:record"]',
        "TODOCHAT_REMINDER_CONCURRENCY": "40",
    }
    with (
        running_worker(tmp_path, database_url, env) as first,
        running_worker(tmp_path, database_url, env) as second,
    ):
        ids = await add_reminders(sessionmaker, user_id, 1000, soon(3))
        await wait_until_fired(sessionmaker, ids, within=90)
        pids = {first.process.pid, second.process.pid}
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text("SELECT reminder_id, pid FROM test_delivery WHERE reminder_id = ANY(:ids)"),
                {"ids": ids},
            )
        ).all()
        statuses = await session.scalars(
            text("SELECT DISTINCT status FROM reminder WHERE id = ANY(:ids)"), {"ids": ids}
        )
        assert list(statuses) == ["sent"]
    assert len(rows) == 1000
    assert sorted(reminder for reminder, _ in rows) == sorted(ids)
    by_worker = {pid: sum(1 for _, p in rows if p == pid) for pid in pids}
    assert all(count > 0 for count in by_worker.values()), by_worker  # both did part of it


class _Receiver:
    """An HTTP endpoint that records every delivery it is sent (the wire)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Condition()

    @contextmanager
    def serving(self) -> Iterator[str]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    delivery = json.loads(body)
                except ValueError:  # cut off by the kill: never accepted, so never delivered
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.received.append(delivery)
                    receiver.lock.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/deliveries"
        finally:
            server.shutdown()
            server.server_close()

    def wait_for(self, count: int, seconds: float) -> bool:
        """Block until `count` deliveries arrived (True) or `seconds` passed (False)."""
        with self.lock:
            return self.lock.wait_for(lambda: len(self.received) >= count, seconds)

    def count(self) -> int:
        with self.lock:
            return len(self.received)


async def test_sigkill_mid_delivery_loses_none_and_duplicates_none(
    tmp_path: Path,
    database_url: str,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user_id = await new_user(client)
    receiver = _Receiver()
    with receiver.serving() as url:
        env = {
            "TODOCHAT_REMINDER_HOOKS": '["tests.notify.hooks:post"]',
            "TODOCHAT_REMINDER_HEARTBEAT_SECONDS": "2",
            "TEST_RECEIVER_URL": url,
        }
        ids = await add_reminders(sessionmaker, user_id, 60, soon(2))
        # The first worker sends each delivery, then takes 30 s to finish it: killed mid-way.
        with running_worker(tmp_path, database_url, {**env, "TEST_HOOK_SECONDS": "30"}) as doomed:
            assert await asyncio.to_thread(receiver.wait_for, 5, 60), doomed.output()
            doomed.process.send_signal(signal.SIGKILL)
            doomed.process.wait(10)
        await asyncio.sleep(0.5)  # requests sent just before the kill are still being recorded
        in_flight = receiver.count()
        with running_worker(tmp_path, database_url, {**env, "TEST_HOOK_SECONDS": "0"}):
            await wait_until_fired(sessionmaker, ids, within=60)

    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT id, delivery_id FROM reminder WHERE id = ANY(:ids)"), {"ids": ids}
        )
        armed = {reminder: delivery for reminder, delivery in rows}
        statuses = list(
            await session.scalars(
                text("SELECT DISTINCT status FROM reminder WHERE id = ANY(:ids)"), {"ids": ids}
            )
        )
    assert statuses == ["sent"]
    wire = [(item["reminder_id"], uuid.UUID(item["delivery_id"])) for item in receiver.received]
    # None lost: every reminder reached the receiver with the delivery id it was armed with.
    assert {reminder for reminder, _ in wire} == set(ids)
    assert all(armed[reminder] == delivery for reminder, delivery in wire)
    # At least once on the wire: what was in flight when the worker died was sent again, with the
    # same delivery id, so deduplicating by it leaves each reminder exactly once.
    assert in_flight >= 5 and len(wire) == 60 + in_flight
    assert len({delivery for _, delivery in wire}) == 60
