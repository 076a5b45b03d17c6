"""A task's reminders and repeat rule, and skipping an occurrence, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import Browsing
from tests.web.test_settings import focus_is_visible
from tests.web.test_ui import shot, sign_up, tasks_panel, token_of

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]


class Account:
    """The signed-in user's tasks, read and written over REST beside the UI."""

    def __init__(self, page: Page) -> None:
        self.page = page
        token, self.user_id = token_of(page)
        self.headers = {"Authorization": f"Bearer {token}"}

    def add(self, **body: Any) -> int:
        response = self.page.request.post(
            f"/api/{self.user_id}/tasks", data=body, headers=self.headers
        )
        assert response.status == 201, response.text()
        return int(response.json()["id"])

    def get(self, task_id: int) -> dict[str, Any]:
        response = self.page.request.get(
            f"/api/{self.user_id}/tasks/{task_id}", headers=self.headers
        )
        assert response.status == 200, response.text()
        return dict(response.json())


def schedule_dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Due date, repeat and reminders")


def open_schedule(page: Page, title: str) -> Locator:
    """Open a task's dialog from the keyboard: focus its button, press Enter."""
    button = tasks_panel(page).get_by_role("button", name=f"Repeat and reminders for “{title}”")
    button.focus()
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    dialog = schedule_dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Due date and time")).to_be_focused()
    return dialog


def test_add_see_and_remove_reminders(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    page = open_browser(viewport={"width": 1360, "height": 860}, timezone_id="UTC").page
    sign_up(page, unique_email)
    account = Account(page)
    task_id = account.add(title="Dentist", due_at="2030-01-07T09:00:00Z")
    plain_id = account.add(title="Someday")
    page.reload()
    row = tasks_panel(page).locator(".task", has_text="Dentist")
    expect(row.locator(".pill-reminder")).to_have_count(0)

    dialog = open_schedule(page, "Dentist")
    expect(dialog).to_contain_text("Due Jan 7, 2030, 9:00 AM")
    reminders = dialog.get_by_role("list", name="Reminders")
    expect(dialog.get_by_text("No reminders.")).to_be_visible()

    # At a time (read in the account's zone, here UTC).
    dialog.get_by_label("Reminder time").fill("2030-01-06T20:00")
    dialog.get_by_role("button", name="Add reminder").click()
    expect(reminders.locator(".reminder-text")).to_have_text(["Jan 6, 2030 8:00 PM"])
    stored = account.get(task_id)["reminders"]
    assert [(r["at"], r["before"], r["status"]) for r in stored] == [
        ("2030-01-06T20:00:00Z", None, "pending")
    ]

    # Relative to the due time, chosen by keyboard.
    dialog.get_by_role("radio", name="Before it is due").check()
    dialog.get_by_label("How long before").select_option(label="1 day before")
    dialog.get_by_role("button", name="Add reminder").click()
    expect(reminders.locator(".reminder-text")).to_have_text(
        ["Jan 6, 2030 9:00 AM (1 day before it is due)", "Jan 6, 2030 8:00 PM"]
    )
    stored = account.get(task_id)["reminders"]
    assert sorted((r["at"], r["before"]) for r in stored) == [
        ("2030-01-06T09:00:00Z", "P1D"),
        ("2030-01-06T20:00:00Z", None),
    ]
    shot(page, output_dir / "23-reminders.png")

    # Bad input: a time in the past, and no time at all; nothing is stored.
    dialog.get_by_role("radio", name="At a time").check()
    dialog.get_by_label("Reminder time").fill("2020-01-01T09:00")
    dialog.get_by_role("button", name="Add reminder").click()
    expect(dialog.get_by_role("alert")).to_contain_text("is in the past")
    expect(dialog.get_by_label("Reminder time")).to_be_focused()
    dialog.get_by_label("Reminder time").fill("")
    dialog.get_by_role("button", name="Add reminder").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose a date and time for the reminder.")
    assert len(account.get(task_id)["reminders"]) == 2

    # Remove the one at a time; the relative one stays.
    dialog.get_by_role("button", name="Remove the reminder Jan 6, 2030 8:00 PM").click()
    expect(reminders.get_by_role("listitem")).to_have_count(1)
    stored = account.get(task_id)["reminders"]
    assert [(r["at"], r["before"]) for r in stored] == [("2030-01-06T09:00:00Z", "P1D")]

    # Escape closes; focus is back on the task's button, whose row shows the reminder.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(
        tasks_panel(page).get_by_role("button", name="Repeat and reminders for “Dentist”")
    ).to_be_focused()
    expect(row.locator(".pill-reminder")).to_have_text("Reminder Jan 6, 2030 9:00 AM")

    # A task without a due date cannot have a reminder "before it is due" until it gets one.
    dialog = open_schedule(page, "Someday")
    before = dialog.get_by_role("radio", name="Before it is due")
    expect(before).to_be_disabled()
    expect(dialog).to_contain_text("No due date.")
    expect(dialog.get_by_role("button", name="Remove due date")).to_be_hidden()
    due = dialog.get_by_label("Due date and time")
    # Bad input: no date, and a date the server refuses; nothing is stored.
    dialog.get_by_role("button", name="Save due date").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Choose a date and time, or remove the due date."
    )
    due.fill("2300-01-01T09:00")
    due.press("Enter")
    expect(dialog.get_by_role("alert")).to_contain_text("2200")
    expect(due).to_have_attribute("aria-invalid", "true")
    assert account.get(plain_id)["due_at"] is None
    due.fill("2030-02-01T10:30")
    due.press("Enter")
    expect(dialog.get_by_role("status").first).to_have_text("Saved: due Feb 1, 2030, 10:30 AM.")
    assert account.get(plain_id)["due_at"] == "2030-02-01T10:30:00Z"
    expect(before).to_be_enabled()
    before.check()
    dialog.get_by_label("How long before").select_option(label="2 hours before")
    dialog.get_by_role("button", name="Add reminder").click()
    expect(reminders.locator(".reminder-text")).to_have_text(
        ["Feb 1, 2030 8:30 AM (2 hours before it is due)"]
    )
    # The reminder moves with the due date.
    due.fill("2030-02-02T10:30")
    dialog.get_by_role("button", name="Save due date").click()
    expect(reminders.locator(".reminder-text")).to_have_text(
        ["Feb 2, 2030 8:30 AM (2 hours before it is due)"]
    )
    stored = account.get(plain_id)
    assert [(r["at"], r["before"]) for r in stored["reminders"]] == [
        ("2030-02-02T08:30:00Z", "PT2H")
    ]
    # Removing the due date cancels the reminder counted back from it.
    dialog.get_by_role("button", name="Remove due date").click()
    expect(dialog.get_by_role("status").first).to_have_text("Saved: no due date.")
    expect(due).to_be_focused()
    stored = account.get(plain_id)
    assert stored["due_at"] is None
    assert [r["status"] for r in stored["reminders"]] == ["cancelled"]
    dialog.get_by_role("button", name="Close due date, repeat and reminders").click()


def test_set_change_and_stop_a_repeat(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    page = open_browser(viewport={"width": 1360, "height": 860}, timezone_id="UTC").page
    sign_up(page, unique_email)
    account = Account(page)
    task_id = account.add(title="Call mum")
    page.reload()
    row = tasks_panel(page).locator(".task", has_text="Call mum")

    dialog = open_schedule(page, "Call mum")
    expect(dialog).to_contain_text("Does not repeat.")
    expect(dialog.get_by_role("button", name="Stop repeating")).to_be_hidden()

    # A preset.
    dialog.get_by_label("How often").select_option(label="Every weekday (Monday to Friday)")
    dialog.get_by_role("button", name="Save repeat").click()
    expect(dialog).to_contain_text("Repeats every weekday.")
    expect(row.locator(".pill-repeat")).to_have_text("every weekday")
    expect(row.locator(".pill-due")).to_have_text(re.compile(r"^Next "))
    stored = account.get(task_id)
    assert stored["recurrence"]["rule"] == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert stored["due_at"] is not None

    # In words; words it cannot read are explained and change nothing.
    dialog.get_by_label("How often").select_option(label="In my own words…")
    rule = dialog.get_by_label("Repeat rule")
    expect(rule).to_be_focused()
    rule.fill("now and then")
    rule.press("Enter")
    expect(dialog.get_by_role("alert")).to_contain_text("can't read")
    expect(rule).to_have_attribute("aria-invalid", "true")
    assert account.get(task_id)["recurrence"]["rule"] == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    rule.fill("")
    rule.press("Enter")
    expect(dialog.get_by_role("alert")).to_contain_text("Write how it repeats")
    rule.fill("every sunday at 6pm")
    rule.press("Enter")
    expect(dialog.get_by_role("alert")).to_be_hidden()
    expect(row.locator(".pill-repeat")).to_have_text("every Sunday at 18:00")
    expect(row.locator(".pill-due")).to_have_text(re.compile(r"^Next .*6:00 PM$"))
    assert account.get(task_id)["recurrence"]["rule"] == "FREQ=WEEKLY;BYDAY=SU;BYHOUR=18;BYMINUTE=0"
    shot(page, output_dir / "24-repeat.png")

    # Stop repeating.
    dialog.get_by_role("button", name="Stop repeating").click()
    expect(dialog).to_contain_text("Does not repeat.")
    expect(dialog.get_by_label("How often")).to_be_focused()
    expect(row.locator(".pill-repeat")).to_have_count(0)
    assert account.get(task_id)["recurrence"] is None


def test_skip_moves_a_repeating_task_to_its_next_due_date(
    open_browser: OpenBrowser, unique_email: str
) -> None:
    page = open_browser(viewport={"width": 1360, "height": 860}, timezone_id="UTC").page
    sign_up(page, unique_email)
    account = Account(page)
    task_id = account.add(
        title="Water the plants", due_at="2030-01-07T09:00:00Z", recurrence="every monday"
    )
    account.add(title="One-off", due_at="2030-01-07T09:00:00Z")
    page.reload()
    panel = tasks_panel(page)
    plants = panel.locator(".task", has_text="Water the plants")
    expect(plants.locator(".pill-due")).to_have_text("Next Jan 7, 2030 9:00 AM")
    # Only repeating tasks can be skipped.
    expect(panel.get_by_role("button", name=re.compile("^Skip .One-off"))).to_have_count(0)

    skip = panel.get_by_role("button", name="Skip “Water the plants” this time")
    skip.focus()
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(plants.locator(".pill-due")).to_have_text("Next Jan 14, 2030 9:00 AM")
    expect(page.locator(".toast", has_text="Skipped “Water the plants” · next")).to_be_visible()
    expect(panel.get_by_role("checkbox", name="Water the plants")).not_to_be_checked()
    stored = account.get(task_id)
    assert (stored["due_at"], stored["completed"]) == ("2030-01-14T09:00:00Z", False)
    # Focus stays on the row's Skip button for another press.
    expect(skip).to_be_focused()


def test_the_dialog_on_a_phone_in_dark_mode(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    page = open_browser(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme="dark",
        timezone_id="UTC",
    ).page
    sign_up(page, unique_email)
    account = Account(page)
    task_id = account.add(
        title="Water the plants", due_at="2030-01-07T09:00:00Z", recurrence="every monday"
    )
    page.reload()
    page.get_by_role("button", name="Show tasks").click()
    panel = tasks_panel(page)
    expect(panel).to_be_visible()
    # Touch screens show the row's buttons without hovering.
    skip = panel.get_by_role("button", name="Skip “Water the plants” this time")
    expect(skip).to_be_visible()
    assert float(skip.evaluate("el => getComputedStyle(el.parentElement).opacity")) == 1
    panel.get_by_role("button", name="Repeat and reminders for “Water the plants”").click()
    dialog = schedule_dialog(page)
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    dialog.get_by_role("radio", name="Before it is due").check()
    dialog.get_by_label("How long before").select_option(label="30 minutes before")
    add = dialog.get_by_role("button", name="Add reminder")
    add.scroll_into_view_if_needed()
    add_box = add.bounding_box()
    assert add_box is not None and add_box["x"] + add_box["width"] <= 390
    add.click()
    expect(dialog.get_by_role("list", name="Reminders").get_by_role("listitem")).to_have_count(1)
    assert [r["before"] for r in account.get(task_id)["reminders"]] == ["PT30M"]
    colors = dialog.evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    )
    assert colors == ["rgb(26, 27, 31)", "rgb(236, 236, 241)"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, output_dir / "25-phone-dark-reminders.png")
    # Escape closes the dialog and leaves the task drawer open.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(panel).to_be_visible()
