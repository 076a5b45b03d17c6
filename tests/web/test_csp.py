"""The web UI under its Content-Security-Policy in a real browser: nothing it does is refused."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import Browsing
from tests.web.test_ui import send, sign_up, tasks_panel

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]

# Recorded by the page itself: every report of a blocked script, style, image or connection.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _violations(page: Page) -> list[str]:
    return list(page.evaluate("window.cspViolations"))


def test_the_ui_runs_under_its_policy(open_browser: OpenBrowser, unique_email: str) -> None:
    browsing = open_browser()
    page = browsing.page
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    document = page.goto("/")
    assert document is not None
    assert "frame-ancestors 'none'" in document.headers["content-security-policy"]
    sign_up(page, unique_email)
    send(page, "add a task to buy milk")
    milk = tasks_panel(page).get_by_role("checkbox", name=re.compile("buy milk", re.I))
    milk.check()
    expect(milk).to_be_checked()
    send(page, "show my tasks")
    page.get_by_role("button", name="New conversation").click()
    page.get_by_label("Message").fill("a long message\n" * 12)  # the box grows (a style change)

    assert _violations(page) == []
    assert [text for text in console if "Content Security Policy" in text] == []


def _page(browser: Browser, base_url: str) -> Page:
    """A page outside the open_browser fixture, whose console these tests expect to be noisy."""
    page = browser.new_context(base_url=base_url).new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def test_the_policy_is_enforced(browser: Browser, base_url: str) -> None:
    """Inline code injected into the UI is refused (so an empty violation list means something)."""
    page = _page(browser, base_url)
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.append(s); }"
    )
    page.wait_for_function("window.cspViolations.length > 0")
    assert _violations(page)[0].startswith("script-src")
    assert page.evaluate("window.injected") is None


def test_the_docs_page_runs_under_its_policy(browser: Browser, base_url: str) -> None:
    page = _page(browser, base_url)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/docs", wait_until="load")
    if page.evaluate("typeof window.SwaggerUIBundle") != "undefined":
        # The bundle loaded (it is not here when it comes from a CDN and there is no network).
        expect(page.locator(".opblock").first).to_be_visible()
    assert _violations(page) == []
    assert [text for text in console if "Content Security Policy" in text] == []
