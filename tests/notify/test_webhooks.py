"""Webhooks: registration with its SSRF guard, signed deliveries, retries, disabling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook as Verifier

from tests.factories import Account, signup
from tests.notify.receiver import Received, receiving
from todochat.notify.models import Webhook
from todochat.notify.webhooks import WebhookMessage, WebhookSender, reminder_body

PUBLIC_URL = "https://93.184.215.14/hooks/todo"  # an IP literal: registering it sends nothing


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    return await signup(client)


async def register(client: httpx.AsyncClient, account: Account, url: str) -> httpx.Response:
    return await client.post(account.url("/webhooks"), json={"url": url}, headers=account.headers)


async def test_register_list_and_delete(client: httpx.AsyncClient, account: Account) -> None:
    created = await register(client, account, PUBLIC_URL)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == PUBLIC_URL
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 24
    assert (body["disabled_at"], body["last_error"], body["failures"]) == (None, None, 0)

    listed = await client.get(account.url("/webhooks"), headers=account.headers)
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    [item] = listed.json()["items"]
    assert item["id"] == body["id"] and "secret" not in item

    secret = await client.get(
        account.url(f"/webhooks/{body['id']}/secret"), headers=account.headers
    )
    assert secret.json() == {"secret": body["secret"]}

    deleted = await client.delete(account.url(f"/webhooks/{body['id']}"), headers=account.headers)
    assert deleted.status_code == 204
    again = await client.delete(account.url(f"/webhooks/{body['id']}"), headers=account.headers)
    assert again.status_code == 404 and again.json()["error"] == "not_found"
    listed = await client.get(account.url("/webhooks"), headers=account.headers)
    assert listed.json() == {"items": [], "total": 0}


async def test_each_user_sees_only_their_webhooks(
    client: httpx.AsyncClient, account: Account
) -> None:
    other = await signup(client)
    webhook = (await register(client, account, PUBLIC_URL)).json()
    for path in (f"/webhooks/{webhook['id']}/secret",):
        response = await client.get(other.url(path), headers=other.headers)
        assert response.status_code == 404
    response = await client.delete(other.url(f"/webhooks/{webhook['id']}"), headers=other.headers)
    assert response.status_code == 404
    assert (await client.get(other.url("/webhooks"), headers=other.headers)).json()["total"] == 0
    foreign = await client.get(account.url("/webhooks"), headers=other.headers)
    assert foreign.status_code == 403
    anonymous = await client.get(account.url("/webhooks"))
    assert anonymous.status_code == 401


async def test_same_url_twice_is_a_conflict(client: httpx.AsyncClient, account: Account) -> None:
    assert (await register(client, account, PUBLIC_URL)).status_code == 201
    again = await register(client, account, PUBLIC_URL)
    assert again.status_code == 409 and again.json()["error"] == "conflict"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://100.64.0.1/hook",  # shared address space (CGNAT)
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",  # multicast
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number
    ],
)
async def test_non_public_targets_are_refused(
    client: httpx.AsyncClient, account: Account, url: str
) -> None:
    response = await register(client, account, url)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert response.json()["detail"].startswith("url: ")
    assert (await client.get(account.url("/webhooks"), headers=account.headers)).json()[
        "total"
    ] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://93.184.215.14/x"},
        {"url": "not a url"},
        {"url": "https://"},
        {"url": "https://user:pass@93.184.215.14/x"},
        {"url": "https://93.184.215.14:99999/x"},
        {"url": "https://no-such-host.invalid/x"},
        {"url": ""},
        {"url": "https://93.184.215.14/" + "x" * 2000},
        {},
        {"url": PUBLIC_URL, "events": ["all"]},
    ],
)
async def test_bad_registrations_are_422(
    client: httpx.AsyncClient, account: Account, body: dict[str, object]
) -> None:
    response = await client.post(account.url("/webhooks"), json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"error", "detail"}


async def test_at_most_ten_webhooks(client: httpx.AsyncClient, account: Account) -> None:
    for n in range(10):
        response = await register(client, account, f"{PUBLIC_URL}/{n}")
        assert response.status_code == 201
    eleventh = await register(client, account, f"{PUBLIC_URL}/10")
    assert eleventh.status_code == 422 and "at most 10" in eleventh.json()["detail"]


def _sender(
    sessionmaker: async_sessionmaker[AsyncSession],
    retry_seconds: list[float],
    allow_private: bool = True,
    disabled: list[Webhook] | None = None,
    timeout: float = 5.0,
    scheduled: list[tuple[WebhookMessage, timedelta]] | None = None,
) -> WebhookSender:
    """A sender whose retries and notices are recorded in the given lists."""

    async def schedule_retry(
        session: AsyncSession, message: WebhookMessage, delay: timedelta
    ) -> None:
        if scheduled is not None:
            scheduled.append((message, delay))

    async def on_disabled(session: AsyncSession, webhook: Webhook) -> None:
        if disabled is not None:
            disabled.append(webhook)

    return WebhookSender(
        sessionmaker,
        retry_seconds=retry_seconds,
        timeout=timeout,
        allow_private=allow_private,
        schedule_retry=schedule_retry,
        on_disabled=on_disabled,
    )


def _message(account: Account, webhook_id: int) -> WebhookMessage:
    body = reminder_body(
        {
            "task": {"id": 7, "title": "Water the plants"},
            "reminder": {"id": 3, "at": "2030-01-07T09:00:00Z", "status": "sent"},
        },
        datetime(2030, 1, 7, 9, tzinfo=UTC),
    )
    return WebhookMessage(webhook_id, uuid.UUID(account.id), f"dlv_{uuid.uuid4().hex}", body)


def _verify_by_hand(secret: str, request: Received) -> None:
    """The Standard Webhooks scheme, written out independently of the package that signs."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = b".".join(
        [
            request.headers["webhook-id"].encode(),
            request.headers["webhook-timestamp"].encode(),
            request.body,
        ]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in request.headers["webhook-signature"].split(" ")


async def test_delivery_is_signed_and_verifiable(
    private_client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(private_client)
    async with receiving([204]) as receiver:
        webhook = (await register(private_client, account, receiver.url)).json()
        message = _message(account, webhook["id"])
        assert await _sender(sessionmaker, [1.0]).attempt(message) is None
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hook")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == message.delivery_id
    payload = Verifier(webhook["secret"]).verify(request.body, request.headers)
    _verify_by_hand(webhook["secret"], request)
    assert payload["type"] == "reminder.due"
    assert payload["data"]["task"]["title"] == "Water the plants"
    assert payload["data"]["reminder"]["id"] == 3
    assert json.loads(request.body) == payload
    # A receiver holding another secret rejects it.
    with pytest.raises(Exception, match="No matching signature"):
        Verifier("whsec_" + base64.b64encode(b"x" * 24).decode()).verify(
            request.body, request.headers
        )
    listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
    [item] = listed.json()["items"]
    assert item["last_success_at"] is not None and item["failures"] == 0


async def test_retries_then_success(
    private_client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(private_client)
    scheduled: list[tuple[WebhookMessage, timedelta]] = []
    sender = _sender(sessionmaker, [1.5, 30.0, 600.0], scheduled=scheduled)
    async with receiving([500, 503, 200]) as receiver:
        webhook = (await register(private_client, account, receiver.url)).json()
        message = _message(account, webhook["id"])
        delays = []
        while (delay := await sender.attempt(message)) is not None:
            delays.append(delay)
            retry, after = scheduled[-1]
            assert after == timedelta(seconds=delay)
            assert retry == message.retry()
            assert WebhookMessage.from_payload(json.loads(json.dumps(retry.to_payload()))) == retry
            listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
            [item] = listed.json()["items"]
            assert item["failures"] == len(delays)
            assert item["last_error"] == f"HTTP {[500, 503][len(delays) - 1]}"
            message = message.retry()
    assert delays == [1.5, 30.0] and len(scheduled) == 2
    assert len(receiver.requests) == 3
    assert {r.headers["webhook-id"] for r in receiver.requests} == {message.delivery_id}
    for request in receiver.requests:
        _verify_by_hand(webhook["secret"], request)
    listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
    [item] = listed.json()["items"]
    assert (item["failures"], item["last_error"], item["disabled_at"]) == (0, None, None)


async def test_a_url_that_keeps_failing_is_disabled(
    private_client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(private_client)
    disabled: list[Webhook] = []
    sender = _sender(sessionmaker, [0.0, 0.0], disabled=disabled)
    async with receiving([500]) as receiver:
        webhook = (await register(private_client, account, receiver.url)).json()
        message = _message(account, webhook["id"])
        attempts = 1
        while await sender.attempt(message) is not None:
            message = message.retry()
            attempts += 1
        assert attempts == 3 and len(receiver.requests) == 3
        assert [hook.id for hook in disabled] == [webhook["id"]]
        listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
        [item] = listed.json()["items"]
        assert item["disabled_at"] is not None
        assert (item["failures"], item["last_error"]) == (3, "HTTP 500")
        # A disabled webhook gets nothing more.
        assert await sender.attempt(_message(account, webhook["id"])) is None
        assert len(receiver.requests) == 3
        # Until the user enables it again.
        enabled = await private_client.post(
            account.url(f"/webhooks/{webhook['id']}/enable"), headers=account.headers
        )
        assert enabled.status_code == 200
        assert (enabled.json()["disabled_at"], enabled.json()["failures"]) == (None, 0)
        receiver.statuses = [200]
        assert await sender.attempt(_message(account, webhook["id"])) is None
        assert len(receiver.requests) == 4
    other = await signup(private_client)
    foreign = await private_client.post(
        other.url(f"/webhooks/{webhook['id']}/enable"), headers=other.headers
    )
    assert foreign.status_code == 404


async def test_unreachable_and_silent_receivers_are_failures(
    private_client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(private_client)
    async with receiving(hang=True) as receiver:
        webhook = (await register(private_client, account, receiver.url)).json()
        sender = _sender(sessionmaker, [5.0], timeout=0.3)
        assert await sender.attempt(_message(account, webhook["id"])) == 5.0
    listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
    assert listed.json()["items"][0]["last_error"] == "no answer within 0.3 s"
    # The receiver is gone now: nothing listens on its port.
    assert await sender.attempt(_message(account, webhook["id"])) == 5.0
    listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
    assert listed.json()["items"][0]["last_error"].startswith("connection failed")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_delivery_time_check_refuses_what_became_private(
    private_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    host: str,
) -> None:
    """DNS rebinding: a target accepted once is checked again, after resolution, at delivery."""
    account = await signup(private_client)
    async with receiving() as receiver:
        url = receiver.url.replace("127.0.0.1", host)
        webhook = (await register(private_client, account, url)).json()
        sender = _sender(sessionmaker, [60.0], allow_private=False)
        assert await sender.attempt(_message(account, webhook["id"])) == 60.0
        assert receiver.requests == []
    listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
    assert listed.json()["items"][0]["last_error"].startswith("refused: ")
