"""Conversations: rename, search, and reading a long conversation in pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from agents.testing import ScriptedModel, assistant_message

from tests.chat.conftest import ChatApp, MakeApp
from tests.factories import Account

TURNS = 60  # 120 messages: more than one default page (100)


@pytest.fixture(scope="module")
async def chat(make_app: MakeApp) -> AsyncIterator[ChatApp]:
    """An app whose scripted model answers "re: <n>" in order; no per-minute cap in the way."""
    async with make_app(ScriptedModel(), turns_per_minute=10_000) as chat_app:
        yield chat_app


async def say(chat: ChatApp, account: Account, text: str, conversation: int | None = None) -> int:
    """One turn answered by the scripted model; returns the conversation id."""
    model = chat.turns.model
    assert isinstance(model, ScriptedModel)
    model.enqueue([assistant_message(f"re: {text}")])
    return int((await chat.say(account, text, conversation))["conversation_id"])


async def listed(chat: ChatApp, account: Account, **params: Any) -> dict[str, Any]:
    """GET /conversations with these parameters (200 expected)."""
    response = await chat.client.get(
        account.url("/conversations"), params=params, headers=account.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_rename_keeps_the_order_and_refuses_bad_titles(chat: ChatApp) -> None:
    account, other = await chat.signup(), await chat.signup()
    older = await say(chat, account, "plan the trip")
    newer = await say(chat, account, "groceries")
    url = account.url(f"/conversations/{older}")

    renamed = await chat.client.patch(
        url, json={"title": "  Summer\n trip   to Lisbon "}, headers=account.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Summer trip to Lisbon"
    assert set(renamed.json()) == {"id", "title", "created_at", "updated_at"}
    listing = await listed(chat, account)
    # A rename is not activity: the list keeps its order.
    assert [(item["id"], item["title"]) for item in listing["items"]] == [
        (newer, "groceries"),
        (older, "Summer trip to Lisbon"),
    ]
    assert (await chat.conversation(account, older))["title"] == "Summer trip to Lisbon"

    for body, detail in [
        ({"title": ""}, "title: The title is empty."),
        ({"title": " \n\t"}, "title: The title is empty."),
        ({"title": "x" * 201}, "title: The title is 201 characters long; the limit is 200."),
    ]:
        refused = await chat.client.patch(url, json=body, headers=account.headers)
        assert refused.status_code == 422, body
        assert refused.json() == {"error": "validation_error", "detail": detail}
    for body in ({}, {"title": 5}, {"title": None}, {"title": "ok", "extra": 1}):
        refused = await chat.client.patch(url, json=body, headers=account.headers)
        assert refused.status_code == 422, body
        assert refused.json()["error"] == "validation_error"
    assert (await chat.conversation(account, older))["title"] == "Summer trip to Lisbon"
    exact = await chat.client.patch(url, json={"title": "y" * 200}, headers=account.headers)
    assert exact.status_code == 200

    # Someone else's conversation, by its id on their own URL: 404, and unchanged.
    foreign = await chat.client.patch(
        other.url(f"/conversations/{older}"), json={"title": "mine"}, headers=other.headers
    )
    assert foreign.status_code == 404
    assert foreign.json()["error"] == "not_found"
    # ...on the owner's URL with their own token: 403.
    forbidden = await chat.client.patch(url, json={"title": "mine"}, headers=other.headers)
    assert forbidden.status_code == 403
    missing = await chat.client.patch(
        account.url("/conversations/999999999"), json={"title": "x"}, headers=account.headers
    )
    assert missing.status_code == 404
    assert (await chat.conversation(account, older))["title"] == "y" * 200


async def test_search_finds_titles_and_messages(chat: ChatApp) -> None:
    account, other = await chat.signup(), await chat.signup()
    trip = await say(chat, account, "Plan the trip to Porto")
    dentist = await say(chat, account, "call the dentist")
    await say(chat, account, "and book 100% of the PORTO hotels_now", dentist)
    await say(chat, other, "porto for me too")

    found = await listed(chat, account, q="porto")
    # Case-insensitive, in titles and in any message; most recent first; another user's never.
    assert [item["id"] for item in found["items"]] == [dentist, trip]
    assert found["total"] == 2
    assert [item["id"] for item in (await listed(chat, account, q="dentist"))["items"]] == [dentist]
    # LIKE wildcards are plain characters.
    assert [item["id"] for item in (await listed(chat, account, q="100%"))["items"]] == [dentist]
    assert (await listed(chat, account, q="%"))["items"][0]["id"] == dentist
    assert (await listed(chat, account, q="_"))["total"] == 1
    assert await listed(chat, account, q="lisbon") == {"items": [], "total": 0}
    # Paging applies to the results; a blank q is no filter.
    assert (await listed(chat, account, q="porto", limit=1, offset=1))["items"][0]["id"] == trip
    assert (await listed(chat, account, q="  "))["total"] == 2
    too_long = await chat.client.get(
        account.url("/conversations"), params={"q": "x" * 201}, headers=account.headers
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"] == "validation_error"


async def test_a_long_conversation_comes_in_pages(chat: ChatApp) -> None:
    account, other = await chat.signup(), await chat.signup()
    conversation = await say(chat, account, "message 1")
    for n in range(2, TURNS + 1):
        await say(chat, account, f"message {n}", conversation)
    url = account.url(f"/conversations/{conversation}")

    async def page(**params: Any) -> dict[str, Any]:
        response = await chat.client.get(url, params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    # By default: the newest 100 messages, in order, and word that older ones remain.
    newest = await page()
    assert [m["seq"] for m in newest["messages"]] == list(range(21, 2 * TURNS + 1))
    assert newest["has_more"] is True
    assert newest["messages"][-1]["content"] == f"re: message {TURNS}"
    # Walking back with before=<first seq> reads everything once, in order.
    seen: list[int] = []
    before: int | None = None
    while True:
        params = {"limit": 25} | ({"before": before} if before else {})
        body = await page(**params)
        seen = [m["seq"] for m in body["messages"]] + seen
        if not body["has_more"]:
            break
        before = body["messages"][0]["seq"]
    assert seen == list(range(1, 2 * TURNS + 1))
    assert body["messages"][0]["content"] == "message 1"
    # Edges: exactly the remaining messages, nothing before the first, all in one page.
    assert [m["seq"] for m in (await page(limit=2, before=3))["messages"]] == [1, 2]
    assert (await page(limit=2, before=3))["has_more"] is False
    assert (await page(before=1)) | {"messages": None} == newest | {
        "messages": None,
        "has_more": False,
    }
    everything = await page(limit=500)
    assert (len(everything["messages"]), everything["has_more"]) == (2 * TURNS, False)

    for bad in ({"limit": 0}, {"limit": 501}, {"before": 0}, {"before": "x"}, {"limit": "-"}):
        response = await chat.client.get(url, params=bad, headers=account.headers)
        assert response.status_code == 422, bad
        assert response.json()["error"] == "validation_error"
    foreign = await chat.client.get(
        other.url(f"/conversations/{conversation}"), params={"limit": 5}, headers=other.headers
    )
    assert foreign.status_code == 404
