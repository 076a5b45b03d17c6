"""The conversations sidebar in Chromium: search, rename, long titles, and long conversations
loading older messages as the user scrolls up."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from tests.web.test_ui import OpenBrowser, conversations, sign_up, token_of

pytestmark = pytest.mark.slow

LONG = "add a task to write the quarterly planning document for the whole team before the offsite"
TURNS = 30  # 60 messages: more than the 50 the UI loads at first


def chat(page: Page, message: str, conversation_id: int | None = None) -> int:
    """One turn over the API as the signed-in user (offline model); returns the conversation."""
    token, user_id = token_of(page)
    body: dict[str, object] = {"message": message}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    request: APIRequestContext = page.request
    response = request.post(
        f"/api/{user_id}/chat", data=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200, response.text()
    return int(response.json()["conversation_id"])


def stored_title(page: Page, conversation_id: int) -> str:
    token, user_id = token_of(page)
    response = page.request.get(
        f"/api/{user_id}/conversations/{conversation_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    return str(response.json()["title"])


def test_search_rename_and_long_titles(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    page = open_browser(viewport={"width": 1280, "height": 800}).page
    sign_up(page, unique_email)
    milk = chat(page, "add buy milk")
    chat(page, "what's pending?")
    long_id = chat(page, LONG)
    page.reload()
    sidebar = conversations(page)
    titles = sidebar.locator(".conversation-title")
    expect(titles).to_have_count(3)

    # A long title is cut with an ellipsis, and the whole of it is in the tooltip.
    long_title = titles.first
    assert long_title.evaluate("el => getComputedStyle(el).textOverflow") == "ellipsis"
    assert long_title.evaluate("el => el.scrollWidth > el.clientWidth")
    expect(sidebar.locator(".conversation-link").first).to_have_attribute(
        "title", stored_title(page, long_id)
    )

    # Search: titles and messages, live; nothing found says so; Escape clears.
    search = page.get_by_label("Search conversations")
    search.fill("MILK")
    # The list of pending tasks named the milk task: found by its messages, not its title.
    expect(titles).to_have_text(["what's pending?", "add buy milk"])
    search.fill("quarterly PLANNING")
    expect(titles).to_have_count(1)
    expect(sidebar.locator(".conversation-link")).to_have_attribute(
        "title", stored_title(page, long_id)
    )
    search.fill("no such words")
    expect(titles).to_have_count(0)
    expect(sidebar).to_contain_text("No conversations match your search.")
    search.press("Escape")
    expect(titles).to_have_count(3)

    # Rename: an empty title is explained on the field and changes nothing; a good one sticks.
    sidebar.get_by_role("button", name="Rename conversation “add buy milk”").click()
    box = sidebar.get_by_label("Conversation title")
    expect(box).to_be_focused()
    expect(box).to_have_value("add buy milk")
    box.fill("   ")
    box.press("Enter")
    expect(sidebar.get_by_role("alert")).to_have_text("The title is empty.")
    page.screenshot(path=output_dir / "conversation-rename.png", animations="disabled")
    expect(sidebar.get_by_label("Conversation title")).to_have_attribute("aria-invalid", "true")
    expect(sidebar.get_by_label("Conversation title")).to_have_value("   ")  # kept as typed
    assert stored_title(page, milk) == "add buy milk"
    sidebar.get_by_label("Conversation title").fill("Groceries for the week")
    sidebar.get_by_label("Conversation title").press("Enter")
    expect(sidebar.get_by_text("Groceries for the week")).to_be_visible()
    assert stored_title(page, milk) == "Groceries for the week"
    # Escape leaves a rename without saving.
    sidebar.get_by_role("button", name="Rename conversation “Groceries for the week”").click()
    sidebar.get_by_label("Conversation title").fill("Not this")
    sidebar.get_by_label("Conversation title").press("Escape")
    expect(sidebar.get_by_label("Conversation title")).to_have_count(0)
    assert stored_title(page, milk) == "Groceries for the week"
    # The open conversation's heading follows a rename.
    sidebar.get_by_text("Groceries for the week").click()
    expect(page.locator("#chat-title")).to_have_text("Groceries for the week")
    sidebar.get_by_role("button", name="Rename conversation “Groceries for the week”").click()
    sidebar.get_by_label("Conversation title").fill("Shopping")
    sidebar.get_by_role("button", name="Save").click()
    expect(page.locator("#chat-title")).to_have_text("Shopping")
    # Renaming is not activity: the conversation keeps its place in the list.
    expect(titles.nth(2)).to_have_text("Shopping")


def test_a_long_conversation_loads_older_messages_on_scroll(
    open_browser: OpenBrowser, unique_email: str
) -> None:
    page = open_browser(viewport={"width": 1280, "height": 800}).page
    sign_up(page, unique_email)
    conversation = chat(page, "note 1")
    for n in range(2, TURNS + 1):
        chat(page, f"note {n}", conversation)
    page.reload()
    conversations(page).get_by_text("note 1").click()

    users = page.locator(".msg-user")
    # The newest 50 messages: the last 25 exchanges, and a way to the older ones.
    expect(users).to_have_count(25)
    expect(users.first).to_have_text(f"You: note {TURNS - 24}")
    expect(users.last).to_have_text(f"You: note {TURNS}")
    earlier = page.get_by_role("button", name="Load earlier messages")
    expect(earlier).to_be_attached()

    # Scrolling to the top loads the rest, in order, keeping the view on what was read.
    page.locator("#chat-scroll").evaluate("el => { el.scrollTop = 0; }")
    expect(users).to_have_count(TURNS)
    expect(users).to_have_text([f"You: note {n}" for n in range(1, TURNS + 1)])
    expect(earlier).to_have_count(0)
    assert page.locator("#chat-scroll").evaluate("el => el.scrollTop") > 0
    expect(page.locator(".msg-assistant")).to_have_count(TURNS)


def test_search_and_rename_on_a_phone_in_dark_mode(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    page = open_browser(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme="dark",
    ).page
    sign_up(page, unique_email)
    chat(page, LONG)
    chat(page, "add buy milk")
    page.reload()
    page.get_by_role("button", name="Show conversations").click()
    sidebar = conversations(page)
    titles = sidebar.locator(".conversation-title")
    expect(titles).to_have_count(2)
    # On a touch screen the buttons are always shown, and the titles stop short of them.
    rename = sidebar.get_by_role("button", name="Rename conversation “add buy milk”")
    expect(rename).to_be_visible()
    title_box = titles.first.bounding_box()
    button_box = rename.bounding_box()
    assert title_box is not None and button_box is not None
    assert title_box["x"] + title_box["width"] <= button_box["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Search conversations").fill("quarterly")
    expect(titles).to_have_count(1)
    page.screenshot(path=output_dir / "conversations-phone-dark.png", animations="disabled")
    page.get_by_label("Search conversations").fill("")
    expect(titles).to_have_count(2)
    rename.click()
    sidebar.get_by_label("Conversation title").fill("Milk run")
    sidebar.get_by_label("Conversation title").press("Enter")
    expect(titles.first).to_have_text("Milk run")
