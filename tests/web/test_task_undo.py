"""Undo in a real browser: a delete or a tick is taken back from the toast (by mouse, by
keyboard, or Ctrl+Z), and the task comes back with its number."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Browsing
from tests.web.test_ui import shot, sign_up, tasks_panel, token_of

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]


def _stored(page: Page, user_id: str, auth: dict[str, str]) -> dict[str, dict]:  # type: ignore[type-arg]
    items = page.request.get(f"/api/{user_id}/tasks?status=all", headers=auth).json()["items"]
    return {task["title"]: task for task in items}


def test_undo_delete_and_complete(
    open_browser: OpenBrowser, unique_email: str, output_dir: Path
) -> None:
    page = open_browser(viewport={"width": 1360, "height": 860}).page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    auth = {"Authorization": f"Bearer {token}"}
    for body in (
        {"title": "Water the plants", "tags": ["home"], "priority": "high"},
        {"title": "Call the plumber", "due_at": "2030-01-02T09:00:00Z"},
        {"title": "Read a book"},
    ):
        assert page.request.post(f"/api/{user_id}/tasks", data=body, headers=auth).status == 201
    before = _stored(page, user_id, auth)
    page.reload()
    panel = tasks_panel(page)
    expect(panel.get_by_role("checkbox")).to_have_count(3)
    toasts = page.locator("#toasts")
    undo = toasts.get_by_role("button", name="Undo")

    # Delete, then Undo with the mouse: the same task, the same number, everything kept.
    plumber_number = before["Call the plumber"]["id"]
    panel.get_by_role("button", name=re.compile("^Delete .Call the plumber")).click()
    expect(panel.get_by_role("checkbox")).to_have_count(2)
    expect(toasts).to_contain_text("Deleted “Call the plumber”")
    assert "Call the plumber" not in _stored(page, user_id, auth)
    shot(page, output_dir / "undo-toast.png")
    undo.click()
    row = panel.locator(".task", has_text="Call the plumber")
    expect(row.locator(".pill-number")).to_have_text(f"#{plumber_number}")
    expect(toasts).to_contain_text(f"Restored “Call the plumber” (#{plumber_number})")
    after = _stored(page, user_id, auth)["Call the plumber"]
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before["Call the plumber"].items() if k != "updated_at"
    }
    # The focus goes to the restored task, so the keyboard carries on from there.
    expect(panel.get_by_role("checkbox", name="Call the plumber")).to_be_focused()

    # Delete by keyboard, then Tab-free undo: Ctrl+Z while the toast is up.
    delete = panel.get_by_role("button", name=re.compile("^Delete .Read a book"))
    delete.focus()
    page.keyboard.press("Enter")
    expect(panel.get_by_role("checkbox")).to_have_count(2)
    page.keyboard.press("Control+z")
    expect(panel.get_by_role("checkbox", name="Read a book")).to_be_visible()
    assert _stored(page, user_id, auth)["Read a book"]["id"] == before["Read a book"]["id"]
    # The toast is gone with its undo: a second Ctrl+Z restores nothing more.
    expect(undo).to_have_count(0)

    # The toast's Undo is reachable by keyboard: focus it and press Enter; it stays while focused.
    plants = panel.get_by_role("checkbox", name="Water the plants")
    plants.focus()
    page.keyboard.press("Space")
    expect(plants).to_be_checked()
    expect(plants).to_be_enabled()  # the change has been saved; its toast is up
    expect(toasts).to_contain_text("Completed “Water the plants”")
    assert _stored(page, user_id, auth)["Water the plants"]["completed"] is True
    undo.focus()
    page.wait_for_timeout(300)
    expect(undo).to_be_visible()
    page.keyboard.press("Enter")
    expect(plants).not_to_be_checked()
    assert _stored(page, user_id, auth)["Water the plants"]["completed"] is False
    expect(plants).to_be_focused()

    # Undo of a reopen completes it again.
    plants.click()
    expect(plants).to_be_checked()
    expect(plants).to_be_enabled()
    undo.click()
    expect(plants).not_to_be_checked()
    plants.click()
    expect(plants).to_be_checked()
    expect(plants).to_be_enabled()
    expect(toasts).to_contain_text("Completed “Water the plants”")
    page.keyboard.press("Control+z")
    expect(plants).not_to_be_checked()
    assert _stored(page, user_id, auth)["Water the plants"]["completed"] is False


def test_undo_of_a_delete_another_tab_already_restored_says_so(
    open_browser: OpenBrowser, unique_email: str
) -> None:
    """An undo that fails (the task was restored elsewhere meanwhile) shows why, and the list
    still shows the task once."""
    page = open_browser(viewport={"width": 1360, "height": 860}).page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    auth = {"Authorization": f"Bearer {token}"}
    created = page.request.post(f"/api/{user_id}/tasks", data={"title": "Pay rent"}, headers=auth)
    number = created.json()["id"]
    page.reload()
    panel = tasks_panel(page)
    panel.get_by_role("button", name=re.compile("^Delete .Pay rent")).click()
    expect(panel.get_by_role("checkbox")).to_have_count(0)
    restored = page.request.post(f"/api/{user_id}/tasks/{number}/restore", headers=auth)
    assert restored.status == 200
    page.locator("#toasts").get_by_role("button", name="Undo").click()
    expect(page.locator(".toast-error")).to_contain_text("Couldn't undo")
    expect(panel.get_by_role("checkbox", name="Pay rent")).to_have_count(1)
