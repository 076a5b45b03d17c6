"""Keyboard only: every control of Settings, of a task's Repeat and reminders dialog and of a
repeating task's row is reached with Tab, is named for assistive technology and shows where the
focus is; a modal dialog keeps Tab inside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Browsing
from tests.web.test_schedule import Account
from tests.web.test_ui import sign_up, tasks_panel

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]

# What the focused element is: its accessible name (aria-label, aria-labelledby, <label>, or its
# text), whether a focus indicator is drawn (on it, or on the span a hidden radio styles), and
# where it is.
DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const text = (node) => (node ? node.textContent.replace(/\\s+/g, " ").trim() : "");
  let name = el.getAttribute("aria-label") || "";
  if (!name && el.getAttribute("aria-labelledby")) {
    name = el.getAttribute("aria-labelledby").split(/\\s+/)
      .map((id) => text(document.getElementById(id))).join(" ").trim();
  }
  if (!name && el.labels && el.labels.length) name = [...el.labels].map(text).join(" ");
  if (!name && el.tagName === "BUTTON") name = text(el);
  const drawn = (node) => {
    if (!node) return false;
    const style = getComputedStyle(node);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return outline || style.boxShadow !== "none";
  };
  const shown = drawn(el) || (el.type === "radio" && drawn(el.nextElementSibling));
  const box = el.getBoundingClientRect();
  return {
    name, shown, tag: el.tagName.toLowerCase(), id: el.id,
    inDialog: Boolean(el.closest("dialog[open]")),
    visible: box.width > 0 && box.height > 0 &&
      Number(getComputedStyle(el.closest(".task-actions") || el).opacity) > 0,
  };
}"""


def tab_through(page: Page, steps: int = 40) -> list[dict[str, Any]]:
    """Press Tab `steps` times; what was focused at each step (None: the page itself)."""
    seen = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(DESCRIBE_FOCUS))
    return seen


def check_dialog_focus(page: Page, expected: set[str]) -> None:
    """Tab around the open dialog: focus never leaves it, every stop is named and drawn."""
    stops = [stop for stop in tab_through(page) if stop is not None]
    outside = [stop for stop in stops if not stop["inDialog"]]
    assert outside == [], "Tab left the modal dialog"
    unnamed = [stop for stop in stops if not stop["name"]]
    assert unnamed == []
    undrawn = [stop["name"] for stop in stops if not stop["shown"]]
    assert undrawn == []
    names = {stop["name"] for stop in stops}
    assert expected <= names, expected - names


def test_settings_by_keyboard(open_browser: OpenBrowser, unique_email: str) -> None:
    page = open_browser(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris").page
    sign_up(page, unique_email)
    settings = page.get_by_role("button", name="Settings")
    settings.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    # The device's zone is offered only when another zone is selected: select one by keyboard.
    zone = dialog.get_by_label("Time zone")
    zone.focus()
    page.keyboard.press("Home")  # the first zone in the list, not the device's
    expect(dialog.get_by_role("button", name="Use Europe/Paris")).to_be_visible()
    check_dialog_focus(
        page,
        {
            "Close settings",
            "Name",
            "Time zone",
            "Use Europe/Paris",
            "Save profile",
            "Current password",
            "New password",
            "Change password",
        },
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(settings).to_be_focused()


def test_a_repeating_task_by_keyboard(open_browser: OpenBrowser, unique_email: str) -> None:
    # Reduced motion: the row's buttons appear at once on focus instead of fading in.
    page = open_browser(
        viewport={"width": 1360, "height": 900}, timezone_id="UTC", reduced_motion="reduce"
    ).page
    sign_up(page, unique_email)
    Account(page).add(
        title="Water the plants", due_at="2030-01-07T09:00:00Z", recurrence="every monday"
    )
    page.reload()
    panel = tasks_panel(page)
    expect(panel.get_by_role("checkbox", name="Water the plants")).to_be_visible()

    # From the task's checkbox, Tab reaches each of the row's buttons, shown and named.
    panel.get_by_role("checkbox", name="Water the plants").focus()
    row = [page.evaluate(DESCRIBE_FOCUS)]
    for _ in range(4):
        page.keyboard.press("Tab")
        row.append(page.evaluate(DESCRIBE_FOCUS))
    assert [stop["name"] for stop in row] == [
        "Water the plants",
        "Skip “Water the plants” this time",
        "Repeat and reminders for “Water the plants”",
        "Rename “Water the plants”",
        "Delete “Water the plants”",
    ]
    assert all(stop["shown"] and stop["visible"] for stop in row), row

    # The dialog: every control, with the custom rule field and the relative reminder shown.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Due date, repeat and reminders")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Repeat rule")).to_be_visible()  # "every Monday" is in words
    check_dialog_focus(
        page,
        {
            "Close due date, repeat and reminders",
            "Due date and time",
            "Remove due date",
            "Save due date",
            "How often",
            "Repeat rule",
            "Stop repeating",
            "Save repeat",
            "At a time",
            "Reminder time",
            "Add reminder",
        },
    )
    # Arrow keys move between the two kinds of reminder, as radios do.
    dialog.get_by_role("radio", name="At a time").focus()
    page.keyboard.press("ArrowRight")
    expect(dialog.get_by_role("radio", name="Before it is due")).to_be_checked()
    expect(dialog.get_by_label("How long before")).to_be_visible()
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("How long before")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(
        panel.get_by_role("button", name="Repeat and reminders for “Water the plants”")
    ).to_be_focused()
