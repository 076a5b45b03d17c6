"""Quick add in a real browser: the preview of what was understood, Enter creates it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browsing
from tests.web.test_ui import shot, sign_up, tasks_panel, token_of

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]


def test_quick_add_previews_then_creates(
    open_browser: OpenBrowser, unique_email: str, base_url: str, output_dir: Path
) -> None:
    page = open_browser(viewport={"width": 1360, "height": 860}, timezone_id="Europe/Paris").page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    box = page.get_by_role("textbox", name="Quick add")
    preview = page.get_by_role("list", name="Will be added as")

    box.fill("buy milk tomorrow 5pm #home p1")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("Buy milk")
    expect(preview).to_contain_text("Tomorrow")
    expect(preview).to_contain_text("5:00")
    expect(preview).to_contain_text("#home")
    expect(preview).to_contain_text("High priority")
    shot(page, output_dir / "quick-add.png")
    box.press("Enter")
    expect(box).to_have_value("")
    expect(preview).to_be_hidden()
    expect(box).to_be_focused()
    milk = tasks_panel(page).locator(".task", has_text="Buy milk")
    expect(milk).to_contain_text("#home")

    headers = {"Authorization": f"Bearer {token}"}
    [task] = httpx.get(f"{base_url}/api/{user_id}/tasks", headers=headers).json()["items"]
    assert (task["title"], task["priority"], task["tags"]) == ("Buy milk", "high", ["home"])
    due = datetime.fromisoformat(task["due_at"]).astimezone(ZoneInfo("Europe/Paris"))
    tomorrow = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=1)
    assert (due.date(), due.hour) == (tomorrow, 17)

    # A part it cannot read is named in the preview and left out; the task is still added.
    box.fill("call bob by the 45th")
    expect(preview).to_contain_text("Call bob")
    expect(preview).to_contain_text("the 45th")
    box.press("Enter")
    expect(tasks_panel(page).locator(".task", has_text="Call bob")).to_be_visible()

    # A repeating task, by keyboard only; Escape clears the box.
    box.fill("something else")
    box.press("Escape")
    expect(box).to_have_value("")
    box.fill("water the plants every monday 9am")
    expect(preview).to_contain_text("every Monday")
    box.press("Enter")
    expect(tasks_panel(page).locator(".task", has_text="Water the plants")).to_be_visible()
    titles = {
        t["title"]: t
        for t in httpx.get(f"{base_url}/api/{user_id}/tasks", headers=headers).json()["items"]
    }
    assert titles["Call bob"]["due_at"] is None
    assert "BYDAY=MO" in titles["Water the plants"]["recurrence"]["rule"]
