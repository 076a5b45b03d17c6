"""The Stop button in Chromium, against a real server whose (fake) model the test holds.

The offline model answers in milliseconds, too fast to stop; here the model is a fake
OpenAI-compatible server that answers only when the test releases it, so Stop is pressed while
the turn really runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.fakes.openai_server import FakeOpenAI, Held, call, fake_openai, text
from tests.servers import Server, running_server
from tests.web.conftest import _open
from tests.web.test_ui import last_reply, send, sign_up, token_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeOpenAI]:
    """The fake model provider."""
    with fake_openai() as fake:
        yield fake


@pytest.fixture(scope="module")
def model_server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, provider: FakeOpenAI
) -> Iterator[Server]:
    """`todochat serve` whose model is the fake provider."""
    env: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "TODOCHAT_MODEL": "compatible:fake-model",
        "OPENAI_BASE_URL": provider.base_url,
        "OPENAI_API_KEY": None,
    }
    with running_server(tmp_path_factory.mktemp("web-stop"), env) as server:
        yield server


def _stored(server: Server, token: str, user_id: str) -> list[dict[str, Any]]:
    """The messages of the user's only conversation, read over REST."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
        listed = client.get(f"/api/{user_id}/conversations").json()["items"]
        assert len(listed) == 1, listed
        conversation = client.get(f"/api/{user_id}/conversations/{listed[0]['id']}").json()
        return conversation["messages"]  # type: ignore[no-any-return]


def _wait(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_stop_keeps_the_message_and_the_chat_goes_on(
    browser: Browser, model_server: Server, provider: FakeOpenAI, unique_email: str
) -> None:
    """Stop mid-turn: the message stays, nothing half-done, Regenerate and Send work after."""
    provider.reset()
    browsing = _open(browser, model_server.base_url)
    page = browsing.page
    sign_up(page, unique_email)
    token, user_id = token_of(page)

    provider.script(Held(call("add_task", {"title": "Never added"})))
    box = page.get_by_label("Message")
    box.fill("add never added")
    box.press("Enter")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_hidden()
    _wait(lambda: len(provider.requests) == 1, "the model to be asked")

    stop.click()
    reply = last_reply(page)
    expect(reply).to_contain_text("Stopped. Your message is saved.")
    expect(page.locator(".msg-user")).to_have_text(["You: add never added"])
    expect(stop).to_be_hidden()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(page.locator(".msg-assistant.streaming")).to_have_count(0)
    # The first turn of a new conversation: it is listed although no event named it.
    expect(page.get_by_role("navigation", name="Conversations")).to_contain_text("add never added")
    provider.release()

    # The server stopped the turn too: the message kept, the stop stored as its reply, no task.
    _wait(lambda: len(_stored(model_server, token, user_id)) == 2, "the stored stop")
    messages = _stored(model_server, token, user_id)
    assert [message["role"] for message in messages] == ["user", "assistant"]
    assert messages[1]["error"] == "You stopped this answer. Your message is saved."
    expect(page.get_by_role("region", name="Tasks")).to_contain_text("No tasks yet")

    # Regenerate answers the same message again; the answer replaces the stop.
    provider.script(text("A fresh answer."))
    page.get_by_role("button", name="Regenerate").click()
    expect(last_reply(page)).to_contain_text("A fresh answer.")
    expect(page.locator(".msg-user")).to_have_count(1)
    expect(page.locator(".msg-assistant")).to_have_count(1)
    messages = _stored(model_server, token, user_id)
    assert [(message["role"], message["error"]) for message in messages] == [
        ("user", None),
        ("assistant", None),
    ]
    assert messages[1]["content"] == "A fresh answer."

    # And the conversation takes the next message.
    provider.script(text("Still here."))
    send(page, "are you there?")
    expect(last_reply(page)).to_contain_text("Still here.")
    assert len(_stored(model_server, token, user_id)) == 4

    # After a reload the history shows the same four messages, no stop left behind.
    page.reload()
    page.get_by_role("navigation", name="Conversations").get_by_text("add never added").click()
    expect(page.locator(".msg-assistant")).to_have_count(2)
    expect(page.locator(".msg-note")).to_have_count(0)
    assert provider.remaining == 0

    browsing.context.close()
    assert browsing.watch.page_errors == []
    assert browsing.watch.console_errors == []


def test_a_stop_after_a_step_keeps_the_step(
    browser: Browser, model_server: Server, provider: FakeOpenAI, unique_email: str
) -> None:
    """Stop after a task was added: the task stays, and the finished answer is in the history."""
    provider.reset()
    browsing = _open(browser, model_server.base_url)
    page = browsing.page
    sign_up(page, unique_email)
    token, user_id = token_of(page)

    provider.script(call("add_task", {"title": "Water the plants"}), Held(text("Added it.")))
    box = page.get_by_label("Message")
    box.fill("add water the plants")
    box.press("Enter")
    reply = last_reply(page)
    expect(reply.locator(".trace-step")).to_have_count(1)
    page.get_by_role("button", name="Stop").click()
    expect(reply).to_contain_text("The steps above were done and are kept")
    expect(page.get_by_role("button", name="Regenerate")).to_have_count(0)
    expect(page.get_by_role("region", name="Tasks")).to_contain_text("Water the plants")
    provider.release()

    _wait(lambda: len(_stored(model_server, token, user_id)) == 2, "the finished turn")
    messages = _stored(model_server, token, user_id)
    assert messages[1]["error"] is None
    assert messages[1]["content"] == "Added it."
    assert [stored["name"] for stored in messages[1]["tool_calls"]] == ["add_task"]

    provider.script(text("Anything else?"))
    send(page, "thanks")
    expect(last_reply(page)).to_contain_text("Anything else?")

    browsing.context.close()
    assert browsing.watch.page_errors == []
    assert browsing.watch.console_errors == []


def test_edit_a_stopped_message(
    browser: Browser,
    model_server: Server,
    provider: FakeOpenAI,
    unique_email: str,
    output_dir: Path,
) -> None:
    """Stop, Edit message, send: the edited message replaces the stopped one and its stop."""
    provider.reset()
    browsing = _open(browser, model_server.base_url)
    page = browsing.page
    sign_up(page, unique_email)
    token, user_id = token_of(page)

    provider.script(Held(text("never shown")))
    box = page.get_by_label("Message")
    box.fill("add milk and bred")
    box.press("Enter")
    _wait(lambda: len(provider.requests) == 1, "the model to be asked")
    page.get_by_role("button", name="Stop").click()
    provider.release()
    _wait(lambda: len(_stored(model_server, token, user_id)) == 2, "the stored stop")

    expect(page.get_by_role("button", name="Edit message")).to_be_visible()
    page.screenshot(path=output_dir / "stopped-turn.png", animations="disabled")
    page.get_by_role("button", name="Edit message").click()
    expect(page.get_by_text("Editing your last message")).to_be_visible()
    expect(box).to_have_value("add milk and bred")
    expect(box).to_be_focused()
    # Cancel leaves everything as it was; Edit again and send the fix.
    page.get_by_role("button", name="Cancel edit").click()
    expect(page.get_by_text("Editing your last message")).to_be_hidden()
    expect(box).to_have_value("")
    page.get_by_role("button", name="Edit message").click()
    provider.script(text("Added milk and bread."))
    send(page, "add milk and bread")
    expect(page.locator(".msg-user")).to_have_text(["You: add milk and bread"])
    expect(page.locator(".msg-assistant")).to_have_count(1)
    expect(last_reply(page)).to_contain_text("Added milk and bread.")
    expect(page.get_by_text("Editing your last message")).to_be_hidden()
    messages = _stored(model_server, token, user_id)
    assert [(m["seq"], m["role"], m["content"], m["error"]) for m in messages] == [
        (1, "user", "add milk and bread", None),
        (2, "assistant", "Added milk and bread.", None),
    ]
    sent = [message.get("content") for message in provider.requests[-1].messages]
    assert "add milk and bred" not in sent
    # The title came from the first message, so it follows the edit.
    expect(page.get_by_role("navigation", name="Conversations")).to_contain_text(
        "add milk and bread"
    )
    expect(page.get_by_role("navigation", name="Conversations")).not_to_contain_text("bred")

    browsing.context.close()
    assert browsing.watch.page_errors == []
    assert browsing.watch.console_errors == []
