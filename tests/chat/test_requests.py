"""Bad chat input is refused before anything is stored; the conversations API; who sees what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from agents.testing import ScriptedModel, assistant_message

from tests.chat.conftest import ChatApp, MakeApp
from tests.factories import Account

MAX_CHARS = 50


@pytest.fixture(scope="module")
async def chat(make_app: MakeApp) -> AsyncIterator[ChatApp]:
    """An app with a short message limit; its scripted model answers "ok" to whatever it gets."""
    model = ScriptedModel()
    async with make_app(model, max_message_chars=MAX_CHARS) as chat_app:
        yield chat_app


@pytest.fixture(scope="module")
async def refused(chat: ChatApp) -> Account:
    """A user whose every chat request here is refused, so they never have a conversation."""
    return await chat.signup()


def answer_ok(chat: ChatApp) -> None:
    """Script one plain answer for the next turn."""
    model = chat.turns.model
    assert isinstance(model, ScriptedModel)
    model.enqueue([assistant_message("ok")])


async def conversation_count(chat: ChatApp, account: Account) -> int:
    """How many conversations the account has."""
    response = await chat.client.get(account.url("/conversations"), headers=account.headers)
    assert response.status_code == 200
    return int(response.json()["total"])


async def new_conversation(chat: ChatApp, account: Account, message: str = "hello") -> int:
    """Start a conversation with one exchange; returns its id."""
    answer_ok(chat)
    return int((await chat.say(account, message))["conversation_id"])


@pytest.mark.parametrize("path", ["/chat", "/chat/stream"])
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"message": ""}, "message: The message is empty."),
        ({"message": " \n\t "}, "message: The message is empty."),
        (
            {"message": "x" * (MAX_CHARS + 1)},
            f"message: The message is {MAX_CHARS + 1} characters long; the limit is {MAX_CHARS}.",
        ),
        ({}, "message: Field required"),
        ({"message": 42}, "message: Input should be a valid string"),
        ({"message": "hi", "conversation_id": "abc"}, None),
        ({"message": "hi", "conversation_id": 0}, None),
        ({"message": "hi", "conversation_id": 1.5}, None),
        ({"message": "hi", "user_id": "someone-else"}, None),
        (["hi"], None),
    ],
    ids=[
        "empty",
        "whitespace",
        "too-long",
        "missing",
        "not-a-string",
        "id-not-int",
        "id-zero",
        "id-fraction",
        "unknown-field",
        "not-an-object",
    ],
)
async def test_bad_input_is_422_and_stores_nothing(
    chat: ChatApp, refused: Account, path: str, body: Any, detail: str | None
) -> None:
    account = refused
    response = await chat.client.post(account.url(path), json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    if detail is not None:
        assert response.json()["detail"] == detail
    assert await conversation_count(chat, account) == 0


async def test_bad_json_is_422(chat: ChatApp, refused: Account) -> None:
    account = refused
    response = await chat.client.post(
        account.url("/chat"),
        content=b'{"message": "hi",',
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": "validation_error",
        "detail": "The request body is not valid JSON.",
    }
    assert await conversation_count(chat, account) == 0


async def test_a_message_at_the_limit_is_accepted(chat: ChatApp) -> None:
    account = await chat.signup()
    answer_ok(chat)
    body = await chat.say(account, "x" * MAX_CHARS)
    stored = await chat.conversation(account, body["conversation_id"])
    assert stored["messages"][0]["content"] == "x" * MAX_CHARS


@pytest.mark.parametrize("path", ["/chat", "/chat/stream"])
async def test_foreign_or_unknown_conversation_is_404_and_stores_nothing(
    chat: ChatApp, refused: Account, path: str
) -> None:
    owner, other = await chat.signup(), refused
    theirs = await new_conversation(chat, owner)
    for conversation_id in (theirs, 2**62):
        response = await chat.client.post(
            other.url(path),
            json={"message": "hi", "conversation_id": conversation_id},
            headers=other.headers,
        )
        assert response.status_code == 404
        assert response.json() == {
            "error": "not_found",
            "detail": f"Conversation {conversation_id} not found.",
        }
    assert await conversation_count(chat, other) == 0
    assert len((await chat.conversation(owner, theirs))["messages"]) == 2


async def test_chat_needs_the_users_own_token(chat: ChatApp) -> None:
    owner, other = await chat.signup(), await chat.signup()
    body = {"message": "hi"}
    assert (await chat.client.post(owner.url("/chat"), json=body)).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await chat.client.post(owner.url("/chat"), json=body, headers=bad)).status_code == 401
    wrong_user = await chat.client.post(owner.url("/chat"), json=body, headers=other.headers)
    assert wrong_user.status_code == 403
    stream = await chat.client.post(owner.url("/chat/stream"), json=body, headers=other.headers)
    assert stream.status_code == 403
    assert await conversation_count(chat, owner) == 0
    assert await conversation_count(chat, other) == 0


async def test_conversations_are_listed_most_recent_first_with_paging(chat: ChatApp) -> None:
    account = await chat.signup()
    first = await new_conversation(chat, account, "first conversation")
    second = await new_conversation(chat, account, "second conversation")
    third = await new_conversation(chat, account, "third conversation")

    async def page(**params: int) -> dict[str, Any]:
        response = await chat.client.get(
            account.url("/conversations"), params=params, headers=account.headers
        )
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    listing = await page()
    assert listing["total"] == 3
    assert [item["id"] for item in listing["items"]] == [third, second, first]
    assert [item["title"] for item in listing["items"]] == [
        "third conversation",
        "second conversation",
        "first conversation",
    ]
    assert set(listing["items"][0]) == {"id", "title", "created_at", "updated_at"}
    assert [item["id"] for item in (await page(limit=2))["items"]] == [third, second]
    last = await page(limit=2, offset=2)
    assert (last["total"], [item["id"] for item in last["items"]]) == (3, [first])
    assert await page(offset=5) == {"items": [], "total": 3}
    # A new message makes a conversation the most recent.
    answer_ok(chat)
    await chat.say(account, "back to the first", first)
    assert [item["id"] for item in (await page())["items"]] == [first, third, second]
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        response = await chat.client.get(
            account.url("/conversations"), params=bad, headers=account.headers
        )
        assert response.status_code == 422


async def test_a_conversation_has_its_messages_in_seq_order(chat: ChatApp) -> None:
    account = await chat.signup()
    conversation_id = await new_conversation(chat, account, "one")
    for message in ("two", "three"):
        answer_ok(chat)
        await chat.say(account, message, conversation_id)
    stored = await chat.conversation(account, conversation_id)
    assert stored["id"] == conversation_id
    assert stored["title"] == "one"
    assert [(m["seq"], m["role"], m["content"]) for m in stored["messages"]] == [
        (1, "user", "one"),
        (2, "assistant", "ok"),
        (3, "user", "two"),
        (4, "assistant", "ok"),
        (5, "user", "three"),
        (6, "assistant", "ok"),
    ]
    assert set(stored["messages"][0]) == {
        "id",
        "seq",
        "role",
        "content",
        "tool_calls",
        "error",
        "created_at",
    }


async def test_deleting_a_conversation(chat: ChatApp) -> None:
    account = await chat.signup()
    kept = await new_conversation(chat, account, "keep me")
    doomed = await new_conversation(chat, account, "delete me")
    url = account.url(f"/conversations/{doomed}")
    deleted = await chat.client.delete(url, headers=account.headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await chat.client.get(url, headers=account.headers)).status_code == 404
    assert (await chat.client.delete(url, headers=account.headers)).status_code == 404
    # Chatting into it is now a 404 too, and the other conversation is untouched.
    gone = await chat.chat(account, "hello?", doomed)
    assert gone.status_code == 404
    listing = await chat.client.get(account.url("/conversations"), headers=account.headers)
    assert [item["id"] for item in listing.json()["items"]] == [kept]


async def test_conversations_of_other_users_are_out_of_reach(chat: ChatApp) -> None:
    owner, other = await chat.signup(), await chat.signup()
    theirs = await new_conversation(chat, owner, "private")
    # With their own token on the owner's URLs: 403.
    for method in ("GET", "DELETE"):
        for path in ("/conversations", f"/conversations/{theirs}"):
            if (method, path) == ("DELETE", "/conversations"):
                continue
            response = await chat.client.request(method, owner.url(path), headers=other.headers)
            assert response.status_code == 403, (method, path)
    # On their own URLs, the owner's conversation does not exist for them: 404.
    for method in ("GET", "DELETE"):
        response = await chat.client.request(
            method, other.url(f"/conversations/{theirs}"), headers=other.headers
        )
        assert response.status_code == 404
    assert (await chat.client.get(other.url("/conversations"), headers=other.headers)).json() == {
        "items": [],
        "total": 0,
    }
    assert [m["content"] for m in (await chat.conversation(owner, theirs))["messages"]] == [
        "private",
        "ok",
    ]
