"""Account settings in a real browser: time zone (due times follow it), name, password."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Browsing
from tests.web.test_ui import PASSWORD, shot, sign_up, tasks_panel, token_of

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]
NEW_PASSWORD = "a much longer passphrase"


def open_settings_by_keyboard(page: Page) -> None:
    """Focus the Settings button and press Enter: the dialog opens on the Name field."""
    page.get_by_role("button", name="Settings").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()
    expect(page.get_by_role("dialog", name="Settings").get_by_label("Name")).to_be_focused()


def focus_is_visible(page: Page) -> bool:
    """Whether the focused element draws an outline or a focus ring."""
    return bool(
        page.evaluate(
            """() => {
              const style = getComputedStyle(document.activeElement);
              const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
              return outline || style.boxShadow !== "none";
            }"""
        )
    )


def me(base_url: str, token: str) -> dict[str, object]:
    response = httpx.get(f"{base_url}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_time_zone_change_moves_the_due_times_shown(
    open_browser: OpenBrowser, unique_email: str, base_url: str, output_dir: Path
) -> None:
    page = open_browser(
        viewport={"width": 1360, "height": 860}, timezone_id="America/New_York"
    ).page
    sign_up(page, unique_email)
    token, user_id = token_of(page)
    assert me(base_url, token)["time_zone"] == "America/New_York"  # signup sent the browser's
    created = page.request.post(
        f"/api/{user_id}/tasks",
        data={"title": "Pay the rent", "due_at": "2030-01-15T17:00:00Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status == 201, created.text()
    page.reload()
    rent = tasks_panel(page).locator(".task", has_text="Pay the rent")
    expect(rent.locator(".pill-due")).to_have_text("Jan 15, 2030 12:00 PM")

    open_settings_by_keyboard(page)
    dialog = page.get_by_role("dialog", name="Settings")
    zone = dialog.get_by_label("Time zone")
    expect(zone).to_have_value("America/New_York")
    # The device's zone is offered only when another one is chosen.
    use_device = dialog.get_by_role("button", name="Use America/New York")
    expect(use_device).to_be_hidden()

    zone.focus()
    assert focus_is_visible(page)
    zone.select_option("Asia/Tokyo")
    expect(use_device).to_be_visible()
    dialog.get_by_label("Name").fill("Ada")
    dialog.get_by_role("button", name="Save profile").click()
    expect(dialog.get_by_role("status").first).to_have_text(
        "Saved. Times are now shown in Asia/Tokyo."
    )
    shot(page, output_dir / "20-settings.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Settings")).to_be_focused()

    # 17:00 UTC is 02:00 the next day in Tokyo.
    expect(rent.locator(".pill-due")).to_have_text("Jan 16, 2030 2:00 AM")
    expect(page.locator("#user-chip")).to_have_text("Ada")
    stored = me(base_url, token)
    assert (stored["time_zone"], stored["name"]) == ("Asia/Tokyo", "Ada")

    # A reload keeps it (the account's zone, not the device's).
    page.reload()
    expect(rent.locator(".pill-due")).to_have_text("Jan 16, 2030 2:00 AM")

    # Back to the device's zone with one button.
    page.get_by_role("button", name="Settings").click()
    expect(zone).to_have_value("Asia/Tokyo")
    use_device.click()
    expect(zone).to_have_value("America/New_York")
    dialog.get_by_role("button", name="Save profile").click()
    expect(dialog.get_by_role("status").first).to_have_text(
        "Saved. Times are now shown in America/New York."
    )
    dialog.get_by_role("button", name="Close settings").click()
    expect(rent.locator(".pill-due")).to_have_text("Jan 15, 2030 12:00 PM")
    assert me(base_url, token)["time_zone"] == "America/New_York"


def test_a_time_zone_the_server_refuses_is_explained(
    open_browser: OpenBrowser, unique_email: str, base_url: str
) -> None:
    """A zone this browser lists but the server does not know: the 422 is shown, nothing saved."""
    page = open_browser(timezone_id="Europe/Paris").page
    sign_up(page, unique_email)
    token, _ = token_of(page)
    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    zone = dialog.get_by_label("Time zone")
    zone.evaluate(
        """select => select.append(Object.assign(document.createElement("option"),
             { value: "Mars/Olympus_Mons", textContent: "Mars/Olympus Mons" }))"""
    )
    zone.select_option("Mars/Olympus_Mons")
    dialog.get_by_label("Name").fill("Grace")
    dialog.get_by_role("button", name="Save profile").click()
    expect(dialog.get_by_role("alert")).to_contain_text("unknown time zone 'Mars/Olympus_Mons'")
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(zone).to_be_focused()
    stored = me(base_url, token)
    assert (stored["time_zone"], stored["name"]) == ("Europe/Paris", "")  # nothing half-written


def test_password_change_errors_then_log_in_with_the_new_one(
    open_browser: OpenBrowser, unique_email: str, base_url: str, output_dir: Path
) -> None:
    page = open_browser(viewport={"width": 1280, "height": 800}).page
    sign_up(page, unique_email)
    open_settings_by_keyboard(page)
    dialog = page.get_by_role("dialog", name="Settings")
    current = dialog.get_by_label("Current password")
    new = dialog.get_by_label("New password")
    change = dialog.get_by_role("button", name="Change password")
    alert = dialog.get_by_role("alert")

    # Keyboard: Tab reaches the password fields; Enter in a field submits its form.
    current.focus()
    assert focus_is_visible(page)

    # Wrong current password: the server's 422, shown on the field.
    current.fill("not my password")
    new.fill(NEW_PASSWORD)
    new.press("Enter")
    expect(alert).to_have_text("The current password is wrong.")
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(current).to_be_focused()
    shot(page, output_dir / "21-password-wrong.png")

    # Too short a new one: refused before anything is sent.
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    current.fill(PASSWORD)
    new.fill("short")
    change.click()
    expect(alert).to_have_text("Choose a new password of at least 8 characters.")
    expect(new).to_have_attribute("aria-invalid", "true")
    expect(current).not_to_have_attribute("aria-invalid", "true")
    assert not [url for url in sent if url.endswith("/api/auth/password")]

    # The server's own check holds too (the browser check bypassed).
    response = page.request.post(
        "/api/auth/password",
        data={"current_password": PASSWORD, "new_password": "short"},
        headers={"Authorization": f"Bearer {token_of(page)[0]}"},
    )
    assert response.status == 422
    assert "new_password" in response.json()["detail"]
    old_login = httpx.post(
        f"{base_url}/api/auth/login", json={"email": unique_email, "password": PASSWORD}
    )
    assert old_login.status_code == 200  # nothing changed yet

    new.fill(NEW_PASSWORD)
    change.click()
    expect(dialog.get_by_role("status").last).to_contain_text("Password changed")
    expect(alert).to_be_hidden()
    expect(current).to_have_value("")
    expect(new).to_have_value("")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill(unique_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).not_to_be_empty()
    expect(page.get_by_label("Message")).to_be_hidden()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Message")).to_be_visible()


def test_settings_on_a_phone_in_dark_mode(
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
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    settings = page.get_by_role("button", name="Settings")
    expect(settings).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    settings.click()
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    for control in ("Name", "Time zone", "Current password", "New password"):
        field = dialog.get_by_label(control)
        field.scroll_into_view_if_needed()
        field_box = field.bounding_box()
        assert field_box is not None and field_box["x"] + field_box["width"] <= 390, control
    # Dark: the dialog is drawn on a dark surface with light text.
    colors = dialog.evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    )
    assert colors == ["rgb(26, 27, 31)", "rgb(236, 236, 241)"]
    shot(page, output_dir / "22-phone-dark-settings.png")
