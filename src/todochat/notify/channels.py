"""Where a fired reminder goes: the hooks the dispatcher calls and the jobs channels queue."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.config import Settings
from todochat.jobs import JobHandler
from todochat.notify.dispatch import ReminderHook
from todochat.notify.events import notify_in_app, notify_webhook_disabled
from todochat.notify.outbound import outbound_channels


@dataclass(frozen=True)
class Channels:
    """Hooks run for each fired reminder (in order), and the job handlers channels need."""

    hooks: list[ReminderHook]
    jobs: dict[str, JobHandler] = field(default_factory=dict)


def reminder_channels(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> Channels:
    """Every channel reminders are delivered on: in-app, webhooks, email (when SMTP is set),
    then any configured extra hooks."""
    outbound_hooks, jobs = outbound_channels(
        settings, sessionmaker, on_webhook_disabled=notify_webhook_disabled
    )
    hooks: list[ReminderHook] = [notify_in_app, *outbound_hooks]
    hooks.extend(load_hook(path) for path in settings.reminder_hooks)
    return Channels(hooks=hooks, jobs=jobs)


def load_hook(path: str) -> ReminderHook:
    """The hook at "package.module:function"."""
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"reminder hook {path!r} must look like 'package.module:function'")
    hook: ReminderHook = getattr(importlib.import_module(module), name)
    return hook
