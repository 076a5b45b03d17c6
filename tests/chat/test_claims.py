"""Claims, keys and quotas at their edges (found by review): each case once failed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.chat.conftest import MakeApp
from todochat.chat.repository import ConversationRepository
from todochat.chat.service import ConversationService


async def test_sequential_turns_are_never_busy_even_with_a_fast_heartbeat(
    make_app: MakeApp,
) -> None:
    """The heartbeat stops before the reply is stored, so it cannot re-claim a finished turn."""
    async with make_app(turn_claim_seconds=0.03) as chat:  # a beat every 10 ms
        account = await chat.signup()
        first = await chat.say(account, "add a task to buy milk")
        statuses = []
        for index in range(25):
            response = await chat.chat(
                account, f"add a task to buy thing {index}", first["conversation_id"]
            )
            statuses.append(response.status_code)
    assert statuses == [200] * 25


async def test_refused_turns_do_not_use_up_the_quota(make_app: MakeApp) -> None:
    async with make_app(turns_per_minute=2) as chat:
        account = await chat.signup()
        refused = [(await chat.chat(account, "hello", 999_999_999)).status_code for _ in range(3)]
        assert refused == [404, 404, 404]
        accepted = [(await chat.chat(account, "hello")).status_code for _ in range(2)]
        assert accepted == [200, 200]
        over = await chat.chat(account, "hello")
        assert over.status_code == 429


async def test_an_expired_key_is_a_new_request_that_really_runs(
    make_app: MakeApp, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """After the key expires, its ledgered task changes are forgotten too: nothing is 'replayed'."""
    async with make_app() as chat:
        account = await chat.signup()
        headers = {**account.headers, "Idempotency-Key": "weekly-milk"}
        body = {"message": "add a task to buy milk"}
        first = await chat.client.post(account.url("/chat"), json=body, headers=headers)
        task_id = first.json()["tool_calls"][0]["result"]["task_id"]
        await chat.client.delete(account.url(f"/tasks/{task_id}"), headers=account.headers)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                text(
                    "UPDATE idempotency_record SET created_at = now() - interval '25 hours' "
                    "WHERE user_id = :user_id"
                ),
                {"user_id": account.id},
            )
        again = await chat.client.post(account.url("/chat"), json=body, headers=headers)
        assert again.status_code == 200
        listing = await chat.client.get(account.url("/tasks"), headers=account.headers)
    [task] = listing.json()["items"]
    assert task["title"] == "Buy milk"
    assert task["id"] != task_id
    assert again.json()["tool_calls"][0]["result"]["task_id"] == task["id"]


async def test_concurrent_toggles_each_flip_once(make_app: MakeApp) -> None:
    async with make_app() as chat:
        account = await chat.signup()
        created = await chat.client.post(
            account.url("/tasks"), json={"title": "Flip me"}, headers=account.headers
        )
        path = account.url(f"/tasks/{created.json()['id']}/complete")
        responses = await asyncio.gather(
            *(chat.client.patch(path, headers=account.headers) for _ in range(10))
        )
        final = await chat.client.get(
            account.url(f"/tasks/{created.json()['id']}"), headers=account.headers
        )
    states = sorted(response.json()["completed"] for response in responses)
    assert states == [False] * 5 + [True] * 5
    assert final.json()["completed"] is False


async def test_a_claim_that_waited_for_the_previous_reply_sees_it_in_the_history(
    make_app: MakeApp, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The claim, the message and the history are one statement, whose snapshot predates a
    reply committed while the claim waited for its row lock: the history is read again."""
    async with make_app() as chat:
        account = await chat.signup()
        conversation = (await chat.say(account, "add a task to buy milk"))["conversation_id"]
    user = uuid.UUID(account.id)
    claim = timedelta(seconds=60)

    # A turn starts, and its claim lapses (its instance stalled) while it is still running.
    async with sessionmaker() as session:
        await ConversationRepository(session, user).claim_and_read(
            conversation, claim, "first", "show my tasks", 20
        )
        await session.execute(
            text("UPDATE conversation SET turn_expires_at = now() - interval '1 second'")
        )
        await session.commit()
    # It stores its reply, not yet committed, as the next turn arrives.
    finishing = sessionmaker()
    await ConversationRepository(finishing, user).release_with_reply(
        conversation, "first", "Here are your tasks", [], None
    )

    async def next_turn() -> list[tuple[int, str]]:
        async with sessionmaker() as session:
            start = await ConversationService(session, user).begin_turn(
                conversation,
                "delete it",
                claim=claim,
                max_messages=20,
                max_tokens=100_000,
                turns_per_minute=1_000,
                turn_key="second",
            )
            await session.commit()
            return [(message.seq, message.content) for message in start.history]

    waiting = asyncio.create_task(next_turn())
    await asyncio.sleep(0.5)
    assert not waiting.done()  # blocked on the conversation's row lock
    await finishing.commit()
    await finishing.close()

    history = await waiting
    assert [seq for seq, _ in history] == [1, 2, 3, 4, 5]
    assert history[3] == (4, "Here are your tasks")


async def test_expired_keys_and_their_ledgers_are_purged_by_the_next_keyed_request(
    make_app: MakeApp, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with make_app() as chat:
        account = await chat.signup()
        old = {**account.headers, "Idempotency-Key": "old-key"}
        body = {"message": "add a task to buy milk"}
        assert (await chat.client.post(account.url("/chat"), json=body, headers=old)).is_success

        async def rows(table: str, column: str) -> int:
            """How many of the user's rows in `table` are about "old-key"."""
            async with sessionmaker() as session:
                statement = f"SELECT count(*) FROM {table} WHERE user_id = :u AND {column} = :k"
                return int(await session.scalar(text(statement), {"u": account.id, "k": "old-key"}))

        assert await rows("idempotency_record", "key") == 1
        assert await rows("tool_call_record", "turn_key") == 1
        async with sessionmaker() as session, session.begin():
            await session.execute(
                text(
                    "UPDATE idempotency_record SET created_at = now() - interval '25 hours' "
                    "WHERE user_id = :user_id"
                ),
                {"user_id": account.id},
            )
        new = {**account.headers, "Idempotency-Key": "new-key"}
        body = {"message": "add a task to buy bread"}
        assert (await chat.client.post(account.url("/chat"), json=body, headers=new)).is_success

        assert await rows("idempotency_record", "key") == 0
        assert await rows("tool_call_record", "turn_key") == 0
