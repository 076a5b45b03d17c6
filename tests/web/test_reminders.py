"""Reminders in a real browser: a toast (and a notification) when one fires, missed ones on load."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browsing
from tests.web.test_ui import sign_up, token_of

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]

# Records what the page asks the browser to notify (headless Chromium shows nothing itself).
RECORD_NOTIFICATIONS = """
window.__notifications = [];
window.Notification = class {
  constructor(title, options) { window.__notifications.push({ title, body: options && options.body }); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
"""


def _add_reminded_task(base_url: str, token: str, user_id: str, title: str, seconds: float) -> int:
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
    response = httpx.post(
        f"{base_url}/api/{user_id}/tasks",
        json={"title": title, "reminders": [{"at": at}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _wait_until_sent(base_url: str, token: str, user_id: str, task_id: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task = httpx.get(
            f"{base_url}/api/{user_id}/tasks/{task_id}",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        if task["reminders"][0]["status"] == "sent":
            return
        time.sleep(0.2)
    raise TimeoutError("the reminder did not fire")


def test_a_reminder_shows_a_toast_and_a_notification(
    open_browser: OpenBrowser, unique_email: str, base_url: str
) -> None:
    browsing = open_browser(viewport={"width": 1280, "height": 800})
    page = browsing.page
    page.add_init_script(RECORD_NOTIFICATIONS)
    sign_up(page, unique_email)
    token, user_id = token_of(page)

    _add_reminded_task(base_url, token, user_id, "Water the plants", seconds=2)
    toast = page.locator(".toast-reminder")
    expect(toast).to_have_text("Reminder: Water the plants", timeout=20_000)
    page.wait_for_function("window.__notifications.length === 1")
    assert page.evaluate("window.__notifications") == [
        {"title": "Reminder", "body": "Water the plants"}
    ]

    # Shown, so marked seen: a reload does not show it again.
    page.reload()
    expect(page.get_by_label("Message")).to_be_visible()
    page.wait_for_timeout(1500)
    expect(page.locator(".toast-reminder")).to_have_count(0)


def test_reminders_that_fired_while_away_are_shown_as_missed(
    open_browser: OpenBrowser, unique_email: str, base_url: str
) -> None:
    first = open_browser()
    sign_up(first.page, unique_email)
    token, user_id = token_of(first.page)
    session = first.page.evaluate("localStorage.getItem('todochat.session')")
    first.context.close()  # no tab open

    task_id = _add_reminded_task(base_url, token, user_id, "Renew the passport", seconds=1)
    _wait_until_sent(base_url, token, user_id, task_id)

    later = open_browser()
    later.page.add_init_script(f"localStorage.setItem('todochat.session', {session!r});")
    later.page.goto("/")
    expect(later.page.locator(".toast-reminder")).to_contain_text("Missed reminder", timeout=15_000)
    expect(later.page.locator(".toast-reminder")).to_contain_text("Renew the passport")
