"""Your data in a real browser: download the export, import a file, delete the account."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Browsing
from tests.web.test_ui import PASSWORD, sign_up, tasks_panel, token_of

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]


def open_settings(page: Page) -> None:
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()


def test_download_and_import(
    open_browser: OpenBrowser, unique_email: str, base_url: str, tmp_path: Path
) -> None:
    page = open_browser(viewport={"width": 1360, "height": 860}, accept_downloads=True).page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    created = page.request.post(
        f"/api/{user_id}/tasks",
        data={"title": "Call the plumber", "tags": ["home"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status == 201, created.text()
    page.reload()
    open_settings(page)
    dialog = page.get_by_role("dialog", name="Settings")

    with page.expect_download() as downloading:
        dialog.get_by_role("button", name="Download everything (JSON)").click()
    download = downloading.value
    assert re.fullmatch(r"todochat-export-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert [task["title"] for task in document["tasks"]] == ["Call the plumber"]
    expect(dialog.get_by_role("status").filter(has_text="Downloaded")).to_be_visible()

    with page.expect_download() as downloading:
        dialog.get_by_role("button", name="Download tasks (CSV)").click()
    assert downloading.value.suggested_filename.endswith(".csv")

    # Importing with no file chosen says so; a broken file imports nothing and says why.
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose a file to import.")
    broken = tmp_path / "broken.json"
    broken.write_text('{"tasks": [{"title": "ok"}, {"title": ""}]}')
    dialog.get_by_label(re.compile("Import a todochat export")).set_input_files(broken)
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("Nothing was imported")
    expect(dialog.get_by_role("alert")).to_contain_text("tasks[1].title")

    todoist = tmp_path / "groceries.csv"
    todoist.write_text(
        "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE\n"
        "task,Buy oat milk @shop,,4,1,A,,,en,\n"
        "task,Buy bread,,1,1,A,,,en,\n"
    )
    dialog.get_by_label(re.compile("Import a todochat export")).set_input_files(todoist)
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_role("status").filter(has_text="Imported")).to_have_text(
        "Imported 2 tasks."
    )
    page.keyboard.press("Escape")
    panel = tasks_panel(page)
    expect(panel.get_by_role("checkbox", name=re.compile("Buy oat milk"))).to_be_visible()
    expect(panel.get_by_role("checkbox", name=re.compile("Buy bread"))).to_be_visible()
    listed = httpx.get(
        f"{base_url}/api/{user_id}/tasks", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert listed["total"] == 3


def test_delete_the_account(open_browser: OpenBrowser, unique_email: str, base_url: str) -> None:
    page = open_browser(viewport={"width": 390, "height": 844}).page
    sign_up(page, unique_email)
    token, _ = token_of(page)
    open_settings(page)
    dialog = page.get_by_role("dialog", name="Settings")
    delete = dialog.get_by_role("button", name="Delete my account")

    delete.click()
    expect(dialog.get_by_role("alert")).to_have_text("Enter your password to confirm.")
    expect(dialog.get_by_label("Password to confirm")).to_be_focused()
    dialog.get_by_label("Password to confirm").fill("not my password")
    delete.click()
    expect(dialog.get_by_role("alert")).to_have_text("The password is wrong.")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base_url}/api/auth/me", headers=headers).status_code == 200

    dialog.get_by_label("Password to confirm").fill(PASSWORD)
    dialog.get_by_label("Password to confirm").press("Enter")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text("Your account and all its data have been deleted.")).to_be_visible()
    assert httpx.get(f"{base_url}/api/auth/me", headers=headers).status_code == 401
    login = httpx.post(
        f"{base_url}/api/auth/login", json={"email": unique_email, "password": PASSWORD}
    )
    assert login.status_code == 401
