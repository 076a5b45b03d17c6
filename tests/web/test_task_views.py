"""Views of the task list in a real browser: Today, Upcoming by day, Overdue, a tag, search and
sort, over tasks with controlled due dates; the badge and the panel count agree."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browsing
from tests.web.test_ui import shot, sign_up, tasks_panel, token_of

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]


def test_views_search_sort_and_counts(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    page = open_browser(viewport={"width": 1360, "height": 860}, timezone_id="UTC").page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    auth = {"Authorization": f"Bearer {token}"}
    now = datetime.now(ZoneInfo("UTC"))
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    in_two_days = noon + timedelta(days=2)
    bodies = [
        {
            "title": "Late report",
            "due_at": (noon - timedelta(days=3)).isoformat(),
            "priority": "high",
        },
        {"title": "Lunch today", "due_at": now.replace(hour=23, minute=59).isoformat()},
        {"title": "Dentist", "due_at": (noon + timedelta(days=1)).isoformat(), "tags": ["health"]},
        {"title": "Gym", "due_at": in_two_days.isoformat(), "tags": ["health"], "priority": "low"},
        {"title": "Call mom", "due_at": (in_two_days + timedelta(hours=2)).isoformat()},
        {"title": "Someday idea"},
    ]
    for body in bodies:
        assert page.request.post(f"/api/{user_id}/tasks", data=body, headers=auth).status == 201
    page.reload()
    panel = tasks_panel(page)
    expect(panel.get_by_role("checkbox")).to_have_count(6)
    when = panel.get_by_role("combobox", name="When")
    sort = panel.get_by_role("combobox", name="Sort by")
    search = panel.get_by_role("searchbox", name="Search tasks")
    count = page.locator("#tasks-count")
    badge = page.locator("#tasks-badge")
    expect(count).to_have_text("6")
    expect(badge).to_have_text("6")

    when.select_option("today")
    expect(panel.get_by_role("checkbox")).to_have_count(1)
    expect(panel.locator(".task .task-title")).to_have_text(["Lunch today"])
    expect(count).to_have_text("1")

    when.select_option("overdue")
    expect(panel.get_by_role("checkbox")).to_have_count(1)
    expect(panel.locator(".task .task-title")).to_have_text(["Late report"])

    when.select_option("upcoming")
    expect(panel.get_by_role("checkbox")).to_have_count(3)
    expect(panel.locator(".task .task-title")).to_have_text(["Dentist", "Gym", "Call mom"])
    headings = panel.get_by_role("heading", level=3)
    expect(headings).to_have_count(2)
    expect(headings.nth(1)).to_contain_text(in_two_days.strftime("%B"))
    expect(headings.nth(1)).to_contain_text(str(in_two_days.day))
    shot(page, output_dir / "task-views-upcoming.png")

    when.select_option("")
    sort.select_option("priority")
    expect(panel.get_by_role("checkbox")).to_have_count(6)
    expect(panel.locator(".task .task-title").first).to_have_text("Late report")
    expect(panel.locator(".task .task-title").last).to_have_text("Gym")
    sort.select_option("due")
    expect(panel.locator(".task .task-title").first).to_have_text("Late report")
    expect(panel.locator(".task .task-title").last).to_have_text("Someday idea")

    # A tag pill shows only that tag; its chip shows all again.
    panel.get_by_role("button", name="Show only #health").first.click()
    expect(panel.get_by_role("checkbox")).to_have_count(2)
    expect(panel.locator(".task .task-title")).to_have_text(["Dentist", "Gym"])
    panel.get_by_role("button", name=re.compile("Showing #health")).click()
    expect(panel.get_by_role("checkbox")).to_have_count(6)

    search.fill("mom")
    expect(panel.get_by_role("checkbox")).to_have_count(1)
    expect(panel.locator(".task .task-title")).to_have_text(["Call mom"])
    search.fill("nothing like this")
    expect(panel.get_by_role("checkbox")).to_have_count(0)
    expect(panel.get_by_text("No tasks match.")).to_be_visible()
    search.fill("")
    expect(panel.get_by_role("checkbox")).to_have_count(6)

    # Ticking one: the badge (all pending) and the Pending view's count agree.
    panel.get_by_role("checkbox", name="Gym").check()
    panel.get_by_role("radio", name="Pending").check()
    expect(panel.get_by_role("checkbox")).to_have_count(5)
    expect(count).to_have_text("5")
    expect(badge).to_have_text("5")
    # In a narrowed view the badge still counts every pending task.
    when.select_option("today")
    expect(panel.get_by_role("checkbox")).to_have_count(1)
    expect(badge).to_have_text("5")


def test_bad_view_input_is_422(open_browser: OpenBrowser, unique_email: str) -> None:
    page = open_browser(viewport={"width": 1360, "height": 860}).page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    auth = {"Authorization": f"Bearer {token}"}
    for query in ("due=someday", "sort=random", "limit=0"):
        response = page.request.get(f"/api/{user_id}/tasks?{query}", headers=auth)
        assert response.status == 422, query
        assert response.json()["error"]
