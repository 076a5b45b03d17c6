"""The web UI in a real browser (headless Chromium) against a real `todochat serve`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import Browsing

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]


def sign_up(page: Page, email: str) -> None:
    """Create an account through the form and land in the app."""
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_label("Message")).to_be_visible()


def shot(page: Page, path: Path) -> None:
    """Save a screenshot with CSS animations finished, so it shows the settled state."""
    page.screenshot(path=path, animations="disabled")


def tasks_panel(page: Page) -> Locator:
    return page.get_by_role("region", name="Tasks")


def conversations(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Conversations")


def last_reply(page: Page) -> Locator:
    return page.locator(".msg-assistant").last


def send(page: Page, text: str) -> None:
    """Type a message and press Enter; wait until the reply is complete."""
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".msg-assistant.streaming")).to_have_count(0)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()


def token_of(page: Page) -> tuple[str, str]:
    """The session the UI stored: (token, user id)."""
    session = page.evaluate("JSON.parse(localStorage.getItem('todochat.session'))")
    return session["token"], session["user"]["id"]


def test_main_flow(open_browser: OpenBrowser, unique_email: str, output_dir: Path) -> None:
    """Sign up, chat, tick in the panel, reload, resume, rename, log out."""
    page = open_browser(viewport={"width": 1360, "height": 860}).page

    page.goto("/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    shot(page, output_dir / "01-login.png")

    sign_up(page, unique_email)
    expect(tasks_panel(page)).to_contain_text("No tasks yet")
    shot(page, output_dir / "02-empty.png")

    # Shift+Enter is a new line, not a send.
    box = page.get_by_label("Message")
    box.fill("add a task")
    box.press("Shift+Enter")
    expect(box).to_have_value("add a task\n")
    expect(page.locator(".msg-user")).to_have_count(0)

    # The reply arrives over the SSE endpoint, with a trace of the tool call.
    box.fill("add a task to buy milk")
    with page.expect_response(re.compile(r"/chat/stream$")) as streamed:
        box.press("Enter")
    assert streamed.value.headers["content-type"].startswith("text/event-stream")
    expect(box).to_have_value("")
    expect(page.locator(".msg-user")).to_have_text(["You: add a task to buy milk"])
    expect(last_reply(page).locator(".trace")).to_contain_text(
        re.compile(r"added task #\d+ 'buy milk'", re.I)
    )
    expect(last_reply(page).locator(".msg-text")).to_contain_text(re.compile("buy milk", re.I))
    milk = tasks_panel(page).get_by_role("checkbox", name=re.compile("buy milk", re.I))
    expect(milk).not_to_be_checked()
    expect(
        conversations(page).locator(".conversation-link", has_text=re.compile("buy milk", re.I))
    ).to_be_visible()
    shot(page, output_dir / "03-added.png")

    # Tick it in the panel, then ask the assistant about it.
    milk.check()
    expect(milk).to_be_checked()
    send(page, "what have I completed?")
    expect(last_reply(page).locator(".msg-text")).to_contain_text(re.compile("buy milk", re.I))
    expect(last_reply(page).locator(".trace")).to_contain_text(re.compile(r"listed 1 task\b"))
    shot(page, output_dir / "04-completed.png")

    # A reload keeps the session, the conversation and the tasks.
    page.reload()
    expect(page.get_by_label("Message")).to_be_visible()
    expect(page.locator(".msg-user")).to_have_text(
        ["You: add a task to buy milk", "You: what have I completed?"]
    )
    expect(
        tasks_panel(page).get_by_role("checkbox", name=re.compile("buy milk", re.I))
    ).to_be_checked()

    # The filters.
    panel = tasks_panel(page)
    panel.get_by_role("radio", name="Pending").check()
    expect(panel).to_contain_text("Nothing pending")
    panel.get_by_role("radio", name="Completed").check()
    expect(panel.get_by_role("checkbox")).to_have_count(1)
    panel.get_by_role("radio", name="All").check()

    # A second conversation; then resume the older one with its full history.
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".msg")).to_have_count(0)
    send(page, "add a task to call the plumber")
    expect(panel.get_by_role("checkbox")).to_have_count(2)
    links = conversations(page).locator(".conversation-link")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text(re.compile("plumber", re.I))  # most recent first
    links.nth(1).click()
    expect(page.locator(".msg-user")).to_have_text(
        ["You: add a task to buy milk", "You: what have I completed?"]
    )
    expect(page.locator(".msg-assistant").first.locator(".trace")).to_contain_text(
        re.compile("added task", re.I)
    )
    expect(links.nth(1)).to_have_attribute("aria-current", "page")
    shot(page, output_dir / "05-resumed.png")

    # Delete the newer conversation from the sidebar (after confirming).
    conversations(page).get_by_role(
        "button", name=re.compile("^Delete conversation .*plumber", re.I)
    ).click()
    conversations(page).get_by_role("button", name="Delete", exact=True).click()
    expect(links).to_have_count(1)

    # Log out: back to the form, and the token is gone.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("localStorage.getItem('todochat.session')") is None

    # Log in again with the same account.
    page.get_by_label("Email").fill(unique_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_label("Message")).to_be_visible()
    expect(conversations(page).locator(".conversation-link")).to_have_count(1)


def test_task_panel_direct_edits(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    """Tick, rename (Enter saves, Escape cancels), delete and filter, all through REST."""
    page = open_browser(viewport={"width": 1360, "height": 860}).page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    auth = {"Authorization": f"Bearer {token}"}
    for body in (
        {"title": "Water the plants", "priority": "high", "due_at": "2020-01-01T09:00:00Z"},
        {"title": "Call the plumber", "tags": ["home"]},
        {"title": "Read a book", "priority": "low"},
    ):
        assert page.request.post(f"/api/{user_id}/tasks", data=body, headers=auth).status == 201
    page.reload()
    panel = tasks_panel(page)
    expect(panel.get_by_role("checkbox")).to_have_count(3)
    expect(panel.locator(".task", has_text="Water the plants")).to_contain_text("Overdue")
    expect(panel.locator(".task", has_text="Call the plumber")).to_contain_text("#home")
    # Each row shows the user's own task number, the one "task 2" means in the chat.
    for number, title in enumerate(("Water the plants", "Call the plumber", "Read a book"), 1):
        expect(panel.locator(".task", has_text=title).locator(".pill-number")).to_have_text(
            f"#{number}"
        )
    shot(page, output_dir / "06-task-panel.png")

    # Keyboard: Space ticks the focused checkbox.
    plants = panel.get_by_role("checkbox", name="Water the plants")
    plants.focus()
    page.keyboard.press("Space")
    expect(plants).to_be_checked()

    # Double-click to rename; Escape cancels.
    panel.locator(".task-title", has_text="Call the plumber").dblclick()
    editor = panel.get_by_label("Task title")
    editor.fill("something else")
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(panel.get_by_role("checkbox", name="Call the plumber")).to_be_visible()

    # The edit button; Enter saves.
    panel.get_by_role("button", name=re.compile("^Rename .Call the plumber")).click()
    panel.get_by_label("Task title").fill("Call the plumber before Friday")
    panel.get_by_label("Task title").press("Enter")
    expect(panel.get_by_role("checkbox", name="Call the plumber before Friday")).to_be_visible()

    panel.get_by_role("button", name=re.compile("^Delete .Read a book")).click()
    expect(panel.get_by_role("checkbox")).to_have_count(2)

    panel.get_by_role("radio", name="Pending").check()
    expect(panel.get_by_role("checkbox")).to_have_count(1)
    panel.get_by_role("radio", name="Completed").check()
    expect(panel.get_by_role("checkbox")).to_have_count(1)
    expect(panel.get_by_role("checkbox", name="Water the plants")).to_be_checked()

    stored = page.request.get(f"/api/{user_id}/tasks?status=all", headers=auth).json()
    assert sorted((task["title"], task["completed"]) for task in stored["items"]) == [
        ("Call the plumber before Friday", False),
        ("Water the plants", True),
    ]


def test_repeating_task_in_the_panel(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    """The repeat pill shows the rule in words; ticking moves the task on."""
    page = open_browser(viewport={"width": 1360, "height": 860}).page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    auth = {"Authorization": f"Bearer {token}"}
    body = {
        "title": "Water the plants",
        "due_at": "2030-01-07T09:00:00Z",
        "recurrence": "every monday",
    }
    assert page.request.post(f"/api/{user_id}/tasks", data=body, headers=auth).status == 201
    page.reload()
    panel = tasks_panel(page)
    plants = panel.locator(".task", has_text="Water the plants")
    expect(plants.locator(".pill-repeat")).to_have_text("every Monday")
    shot(page, output_dir / "09-repeating-task.png")

    # Ticking a repeating task moves it to next Monday; it stays open.
    panel.get_by_role("checkbox", name="Water the plants").check()
    expect(page.locator(".toast", has_text="Completed “Water the plants” · next")).to_be_visible()
    expect(panel.get_by_role("checkbox", name="Water the plants")).not_to_be_checked()
    [stored] = [
        task
        for task in page.request.get(f"/api/{user_id}/tasks", headers=auth).json()["items"]
        if task["title"] == "Water the plants"
    ]
    assert (stored["completed"], stored["due_at"]) == (False, "2030-01-14T09:00:00Z")

    # Setting, changing and stopping a rule: tests/web/test_schedule.py.


def test_auth_errors_are_shown(open_browser: OpenBrowser, unique_email: str) -> None:
    """A short password and wrong credentials are explained on the form."""
    page = open_browser().page
    page.goto("/")
    page.get_by_label("Email").fill(unique_email)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 8 characters")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).not_to_be_empty()
    expect(page.get_by_label("Message")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('todochat.session')") is None


def test_server_text_is_never_html(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    """A task titled like markup shows as text, in the panel and in the chat."""
    browsing = open_browser(viewport={"width": 1280, "height": 800})
    page = browsing.page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    created = page.request.post(
        f"/api/{user_id}/tasks", data={"title": XSS}, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status == 201, created.text()

    send(page, "what's pending?")
    panel = tasks_panel(page)
    expect(panel.locator(".task-title")).to_have_text([XSS])
    expect(panel.locator("img")).to_have_count(0)
    send(page, XSS)
    expect(page.locator(".msg-user").last).to_have_text(f"You: {XSS}")
    expect(page.locator("#messages img")).to_have_count(0)
    shot(page, output_dir / "07-xss-as-text.png")
    assert browsing.watch.dialogs == []


def test_message_box_warns_before_the_limit_and_will_not_send_past_it(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    page = open_browser(viewport={"width": 1280, "height": 800}).page
    sign_up(page, unique_email)
    box = page.get_by_label("Message")
    count = page.locator("#char-count")
    send_button = page.get_by_role("button", name="Send")

    box.fill("a" * 3700)
    expect(count).to_have_text("3,700 / 4,000 characters")
    expect(count).to_have_class(re.compile("near-limit"))
    expect(send_button).to_be_enabled()

    long_text = "buy " * 1001  # 4004 characters
    box.fill(long_text)
    expect(count).to_have_text("4,004 / 4,000 characters: 4 too many to send")
    expect(send_button).to_be_disabled()
    box.press("Enter")
    expect(page.locator("#messages .msg-user")).to_have_count(0)
    expect(box).to_have_value(long_text)
    shot(page, output_dir / "08-too-long.png")

    box.fill("add a task to buy bread")
    expect(count).to_be_hidden()
    box.press("Enter")
    expect(
        tasks_panel(page).get_by_role("checkbox", name=re.compile("buy bread", re.I))
    ).to_be_visible()


def test_a_refused_message_offers_no_retry(open_browser: OpenBrowser, unique_email: str) -> None:
    """A page that believes in a higher limit (the server's changed since) gets the 422 inline."""
    browsing = open_browser(viewport={"width": 1280, "height": 800})
    browsing.context.route(
        "**/api/limits", lambda route: route.fulfill(json={"max_message_chars": 10_000})
    )
    page = browsing.page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    long_text = "buy " * 1001  # 4004 characters
    refused = page.request.post(
        f"/api/{user_id}/chat/stream",
        data={"message": long_text},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status == 422
    detail = refused.json()["detail"]

    box = page.get_by_label("Message")
    box.fill(long_text)
    box.press("Enter")
    alert = page.locator("#messages").get_by_role("alert")
    expect(alert).to_contain_text(detail)
    # Sending the same text again cannot help: no Retry; the text stays in the box to shorten.
    expect(alert.get_by_role("button", name="Retry")).to_have_count(0)
    expect(box).to_have_value(long_text)

    # Fixing the message and sending replaces the failed attempt.
    box.fill("add a task to buy bread")
    box.press("Enter")
    expect(page.locator("#messages").get_by_role("alert")).to_have_count(0)
    expect(
        tasks_panel(page).get_by_role("checkbox", name=re.compile("buy bread", re.I))
    ).to_be_visible()


def test_dark_theme_and_phone(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    """Readable in dark mode; on a phone the sidebar and the panel are drawers."""
    page = open_browser(viewport={"width": 1360, "height": 860}, color_scheme="dark").page
    page.goto("/")
    shot(page, output_dir / "09-dark-login.png")
    sign_up(page, unique_email)
    send(page, "add a task to buy milk")
    send(page, "remind me to call mom tomorrow 5pm")
    send(page, "what's pending?")
    expect(tasks_panel(page).get_by_role("checkbox")).to_have_count(2)
    shot(page, output_dir / "10-dark-chat.png")

    phone = open_browser(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).page
    phone.goto("/")
    phone.get_by_label("Email").fill(unique_email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_label("Message")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    expect(tasks_panel(phone)).to_be_hidden()
    expect(conversations(phone)).to_be_hidden()

    # On another device, the conversation is one tap away in the drawer.
    phone.get_by_role("button", name="Show conversations").click()
    expect(conversations(phone)).to_be_visible()
    shot(phone, output_dir / "11-phone-conversations.png")
    conversations(phone).locator(".conversation-link").first.click()
    expect(conversations(phone)).to_be_hidden()
    expect(phone.locator(".msg-user")).to_have_count(3)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, output_dir / "12-phone-chat.png")

    phone.get_by_role("button", name="Show tasks").click()
    expect(tasks_panel(phone)).to_be_visible()
    expect(tasks_panel(phone).get_by_role("checkbox")).to_have_count(2)
    shot(phone, output_dir / "13-phone-tasks.png")
    phone.keyboard.press("Escape")
    expect(tasks_panel(phone)).to_be_hidden()

    phone.get_by_role("button", name="Show conversations").click()
    phone.get_by_role("button", name="New conversation").click()
    expect(conversations(phone)).to_be_hidden()
    expect(phone.locator(".msg")).to_have_count(0)
    shot(phone, output_dir / "14-phone-new.png")
