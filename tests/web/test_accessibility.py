"""axe-core's WCAG 2.1 A and AA rules, run in Chromium on every screen and state of the web UI.

Each screen is checked in light and dark mode, on a desktop and on a 390 px phone; a test fails
naming every violation (rule, impact, the nodes it found) of every screen it visited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.web.conftest import Browsing
from tests.web.test_consent import _authorize_url
from tests.web.test_schedule import Account
from tests.web.test_ui import PASSWORD, conversations, send, sign_up, tasks_panel

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()


def shot(page: Page, path: Path) -> None:
    """A settled screenshot in CSS pixels (a phone's is 390 px wide), small enough for the README."""
    page.screenshot(path=path, animations="disabled", scale="css")


class Audit:
    """Runs axe on the page at each state a test reaches; keeps what it found, screen by screen."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.screens: list[str] = []

    def __call__(self, page: Page, screen: str) -> None:
        # Let transitions (drawers sliding, dialogs fading in) finish, so colours are final.
        page.wait_for_timeout(400)
        results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
        name = f"{screen} ({self.scheme})"
        self.screens.append(name)
        violations = results.response["violations"]
        if violations:
            self.found[name] = violations

    def report(self) -> str:
        lines = []
        for screen, violations in self.found.items():
            lines.append(f"== {screen}")
            for violation in violations:
                lines.append(f"  {violation['id']} [{violation['impact']}]: {violation['help']}")
                for node in violation["nodes"]:
                    lines.append(f"    {node['target']}: {node['failureSummary']!r}"[:400])
        return "\n".join(lines)

    def check(self) -> None:
        assert self.screens, "no screen was checked"
        assert not self.found, "axe-core found WCAG 2.1 AA violations:\n" + self.report()


def add_tasks(page: Page) -> None:
    """Tasks of every kind the panel shows: overdue, repeating, high priority, tagged, done."""
    account = Account(page)
    now = datetime.now(UTC)
    account.add(title="Pay the rent", due_at=(now - timedelta(days=2)).isoformat())
    account.add(
        title="Water the plants",
        due_at=(now + timedelta(days=1)).isoformat(),
        recurrence="every monday",
    )
    account.add(title="Ship the release", priority="high", tags=["work", "urgent"])
    account.add(title="Buy milk", priority="low", tags=["home"])
    done = account.add(title="Call mom")
    response = page.request.patch(
        f"/api/{account.user_id}/tasks/{done}/complete", headers=account.headers
    )
    assert response.ok, response.text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_desktop_screen_has_no_violations(
    open_browser: OpenBrowser, unique_email: str, scheme: str, output_dir: Path
) -> None:
    audit = Audit(scheme)
    page = open_browser(
        viewport={"width": 1360, "height": 860}, color_scheme=scheme, timezone_id="Europe/Paris"
    ).page

    page.goto("/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    audit(page, "sign in")
    page.get_by_label("Email").fill("not an email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    audit(page, "sign up refused")

    sign_up(page, unique_email)
    expect(tasks_panel(page)).to_contain_text("No tasks yet")
    audit(page, "empty app")

    add_tasks(page)
    page.reload()
    expect(tasks_panel(page).get_by_role("checkbox", name="Pay the rent")).to_be_visible()
    # A Markdown reply (a numbered list of tasks) with its tool-call trace.
    send(page, "what's pending?")
    send(page, "add a task to book the dentist")
    expect(page.locator(".msg-assistant")).to_have_count(2)
    audit(page, "chat and tasks")
    shot(page, output_dir / f"a11y-desktop-{scheme}.png")

    # The panel's views: Upcoming under day headings, Overdue, a search.
    page.get_by_label("When").select_option("upcoming")
    expect(tasks_panel(page).get_by_role("checkbox", name="Water the plants")).to_be_visible()
    expect(tasks_panel(page).get_by_role("checkbox", name="Pay the rent")).to_have_count(0)
    audit(page, "upcoming view")
    page.get_by_label("When").select_option("overdue")
    expect(tasks_panel(page).get_by_role("checkbox")).to_have_count(1)
    expect(tasks_panel(page).get_by_role("checkbox", name="Pay the rent")).to_be_visible()
    audit(page, "overdue view")
    page.get_by_label("When").select_option("")
    page.get_by_label("Search tasks").fill("no such task anywhere")
    expect(tasks_panel(page).get_by_role("checkbox")).to_have_count(0)
    audit(page, "search with no match")
    page.get_by_label("Search tasks").fill("")
    expect(tasks_panel(page).get_by_role("checkbox", name="Buy milk")).to_be_visible()

    box = page.get_by_role("textbox", name="Quick add")
    box.fill("buy bread tomorrow 5pm #home p1")
    expect(page.get_by_role("list", name="Will be added as")).to_be_visible()
    audit(page, "quick-add preview")
    box.press("Escape")

    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()
    audit(page, "settings dialog")
    page.keyboard.press("Escape")

    tasks_panel(page).get_by_role(
        "button", name="Repeat and reminders for “Water the plants”"
    ).click()
    expect(page.get_by_role("dialog", name="Due date, repeat and reminders")).to_be_visible()
    audit(page, "due date, repeat and reminders dialog")
    page.keyboard.press("Escape")

    # Deleting a conversation asks first; then a toast says it is done.
    nav = conversations(page)
    nav.locator(".conversation-delete").first.click()
    expect(nav.get_by_text("Delete this conversation?")).to_be_visible()
    audit(page, "delete confirmation")
    nav.locator(".confirm").get_by_role("button", name="Delete").click()
    expect(page.locator("#toasts")).to_contain_text("Conversation deleted")
    audit(page, "toast")

    # Deleting a task: the toast offers Undo.
    tasks_panel(page).get_by_role("button", name="Delete “Buy milk”").click()
    toast = page.locator("#toasts").get_by_role("button", name="Undo")
    expect(toast).to_be_visible()
    audit(page, "undo toast")

    audit.check()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_phone_screen_has_no_violations(
    open_browser: OpenBrowser, unique_email: str, scheme: str, output_dir: Path
) -> None:
    audit = Audit(scheme)
    page = open_browser(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme=scheme,
    ).page
    page.goto("/")
    audit(page, "phone sign in")
    sign_up(page, unique_email)
    audit(page, "phone empty app")
    add_tasks(page)
    page.reload()
    send(page, "what's pending?")
    audit(page, "phone chat")
    shot(page, output_dir / f"a11y-phone-chat-{scheme}.png")

    page.get_by_role("button", name="Show conversations").click()
    expect(conversations(page)).to_be_visible()
    audit(page, "phone conversations drawer")
    page.keyboard.press("Escape")
    expect(conversations(page)).to_be_hidden()

    page.get_by_role("button", name="Show tasks").click()
    expect(tasks_panel(page).get_by_role("checkbox", name="Pay the rent")).to_be_visible()
    audit(page, "phone tasks drawer")
    shot(page, output_dir / f"a11y-phone-tasks-{scheme}.png")
    tasks_panel(page).get_by_role(
        "button", name="Repeat and reminders for “Water the plants”"
    ).click()
    expect(page.get_by_role("dialog", name="Due date, repeat and reminders")).to_be_visible()
    audit(page, "phone due date dialog")
    page.keyboard.press("Escape")

    audit.check()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_consent_page_has_no_violations(
    open_browser: OpenBrowser, base_url: str, unique_email: str, scheme: str
) -> None:
    signed_up = httpx.post(
        f"{base_url}/api/auth/signup", json={"email": unique_email, "password": PASSWORD}
    )
    assert signed_up.status_code == 201, signed_up.text
    # Nothing listens at the redirect: the page is checked before Allow or Deny is pressed.
    url, _, _ = _authorize_url(base_url, "http://127.0.0.1:9/callback", "a11y")
    audit = Audit(scheme)
    page = open_browser(color_scheme=scheme).page
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in to connect an app")).to_be_visible()
    audit(page, "consent sign in")
    page.get_by_label("Email").fill(unique_email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit(page, "consent sign in refused")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    audit(page, "consent")
    audit.check()
