"""Assistant replies render as Markdown in Chromium, and markup hidden in task titles never runs.

The offline model quotes task titles back ("Here are your tasks: 1. #3 <title>"), so a title is
the way untrusted text reaches a reply.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.test_ui import OpenBrowser, last_reply, send, sign_up, token_of

pytestmark = pytest.mark.slow

TITLES = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "[pay now](javascript:alert(3))",
    "**Bold** plan with `code`",
    "read https://example.com/guide",
]

# Attributes that run code, on any element the replies contain.
HANDLERS = """() => [...document.querySelectorAll('#messages *')].flatMap(
    (el) => [...el.attributes].map((a) => a.name).filter((n) => n.startsWith('on')))"""


def test_replies_are_markdown_and_markup_in_titles_is_inert(
    open_browser: OpenBrowser, unique_email: str
) -> None:
    """Lists, bold, code and links render; <img onerror>, <script>, javascript: links do not."""
    browsing = open_browser(viewport={"width": 1280, "height": 860})
    page = browsing.page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    for title in TITLES:
        created = page.request.post(
            f"/api/{user_id}/tasks",
            data={"title": title},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status == 201, created.text()

    send(page, "what's pending?")

    def check() -> None:
        reply = last_reply(page).locator(".msg-text")
        # The list is a list, one item per task, in the model's order.
        expect(reply.locator("ol > li")).to_have_count(len(TITLES))
        expect(reply.locator("strong")).to_have_text(["Bold"])
        expect(reply.locator("code")).to_have_text(["code"])
        # Markup in titles is shown as the user typed it, and is not markup.
        expect(reply).to_contain_text(TITLES[0])
        expect(reply).to_contain_text(TITLES[1])
        expect(page.locator("#messages img, #messages script, #messages iframe")).to_have_count(0)
        assert page.evaluate(HANDLERS) == []
        # A javascript: link loses its target; a web link opens safely in a new tab.
        expect(page.locator("#messages a[href^='javascript' i]")).to_have_count(0)
        pay = reply.get_by_text("pay now")
        expect(pay).to_have_count(1)
        assert pay.get_attribute("href") is None
        web = reply.locator("a[href='https://example.com/guide']")
        expect(web).to_have_attribute("rel", "noopener noreferrer nofollow")
        expect(web).to_have_attribute("target", "_blank")

    check()
    last_reply(page).get_by_text("pay now").click()  # nothing runs (the fixture fails on a dialog)

    # The stored history renders the same way after a reload.
    page.reload()
    page.get_by_role("navigation", name="Conversations").get_by_text("what's pending?").click()
    expect(page.locator(".msg-assistant")).to_have_count(1)
    check()

    # The user's own message stays plain text: no Markdown there.
    send(page, "**not bold** from me")
    expect(page.locator(".msg-user").last.locator("strong")).to_have_count(0)
    expect(page.locator(".msg-user").last).to_have_text("You: **not bold** from me")
    assert browsing.watch.dialogs == []
