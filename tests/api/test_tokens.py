"""Forged, expired and malformed tokens are all rejected with 401."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from tests.conftest import TEST_SECRET
from tests.factories import signup


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: str, **overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {"sub": user_id, "iat": now, "exp": now + timedelta(hours=1)}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda uid: jwt.encode(_claims(uid), "wrong-secret-wrong-secret-wrong-secret"),
            id="wrong-signature",
        ),
        pytest.param(
            lambda uid: jwt.encode(
                _claims(uid, exp=datetime.now(UTC) - timedelta(seconds=5)), TEST_SECRET
            ),
            id="expired",
        ),
        pytest.param(lambda uid: jwt.encode(_claims(uid, exp=None), TEST_SECRET), id="missing-exp"),
        pytest.param(lambda uid: jwt.encode(_claims(uid, sub=None), TEST_SECRET), id="missing-sub"),
        pytest.param(lambda uid: jwt.encode(_claims(uid, iat=None), TEST_SECRET), id="missing-iat"),
        pytest.param(
            lambda uid: jwt.encode(_claims(uid, sub="not-a-uuid"), TEST_SECRET), id="bad-sub"
        ),
        pytest.param(
            lambda uid: (
                f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': uid, 'iat': 0, 'exp': 4102444800})}."
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda uid: jwt.encode(_claims(uid), TEST_SECRET, algorithm="HS512"),
            id="other-hmac-alg",
        ),
        pytest.param(lambda uid: "not.a.token", id="garbage"),
    ],
)
async def test_bad_tokens_are_rejected(client: httpx.AsyncClient, make_token) -> None:  # type: ignore[no-untyped-def]
    account = await signup(client)
    token = make_token(account.id)
    headers = {"Authorization": f"Bearer {token}"}
    for response in (
        await client.get(account.url("/tasks"), headers=headers),
        await client.get("/api/auth/me", headers=headers),
    ):
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"


async def test_rs256_public_key_confusion_is_rejected(client: httpx.AsyncClient) -> None:
    """A token signed with an RSA key, or HS256 'signed' with a public key, is never accepted."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    account = await signup(client)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rs_token = jwt.encode(_claims(account.id), key, algorithm="RS256")
    response = await client.get(
        account.url("/tasks"), headers={"Authorization": f"Bearer {rs_token}"}
    )
    assert response.status_code == 401
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Hand-made HS256 token keyed with the public key (PyJWT refuses to build it directly).
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64({'sub': account.id, 'iat': 0, 'exp': 4102444800})}"
    signature = (
        base64.urlsafe_b64encode(
            hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        )
        .rstrip(b"=")
        .decode()
    )
    response = await client.get(
        account.url("/tasks"), headers={"Authorization": f"Bearer {signing_input}.{signature}"}
    )
    assert response.status_code == 401


async def test_valid_token_is_accepted(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    token = jwt.encode(_claims(account.id), TEST_SECRET, algorithm="HS256")
    response = await client.get(account.url("/tasks"), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
