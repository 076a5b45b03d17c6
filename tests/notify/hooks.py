"""Reminder hooks for worker subprocesses under test (TODOCHAT_REMINDER_HOOKS=tests.notify.hooks:...).

`record` writes each firing into a table the test created, in the firing's transaction: a row per
committed delivery. `post` sends each firing to the test's HTTP receiver before the firing commits
(the wire), then lingers TEST_HOOK_SECONDS so that a SIGKILL can land mid-delivery.
"""

from __future__ import annotations

import asyncio
import os

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.notify.dispatch import FiredReminder


async def record(session: AsyncSession, fired: FiredReminder) -> None:
    """Log the firing with this process's id, committed with it."""
    await session.execute(
        text("INSERT INTO test_delivery (delivery_id, reminder_id, pid) VALUES (:d, :r, :p)"),
        {"d": fired.delivery_id, "r": fired.reminder.id, "p": os.getpid()},
    )


async def post(session: AsyncSession, fired: FiredReminder) -> None:
    """Send the firing to the receiver, then take a while to finish delivering it."""
    async with httpx.AsyncClient() as client:
        response = await client.post(
            os.environ["TEST_RECEIVER_URL"],
            json={"delivery_id": str(fired.delivery_id), "reminder_id": fired.reminder.id},
        )
        response.raise_for_status()
    await asyncio.sleep(float(os.environ.get("TEST_HOOK_SECONDS", "0")))
