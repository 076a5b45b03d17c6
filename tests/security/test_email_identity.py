"""One canonical email per account (email-validator's form, NFKC, case-folded), for signup and
login alike, and the migration that backfills it."""

from __future__ import annotations

import secrets

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.factories import PASSWORD
from todochat.db.migrate import upgrade

DOTTED_CAPITAL_I = "\u0130"  # İ
I_WITH_COMBINING_DOT = "i\u0307"  # i̇: what İ case-folds to


def local() -> str:
    return f"v-{secrets.token_hex(5)}"


async def test_dotted_capital_i_can_sign_up_and_log_in(client: httpx.AsyncClient) -> None:
    email = f"{DOTTED_CAPITAL_I}{local()}@example.com"
    created = await client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    assert created.json()["user"]["email"] == email  # shown as written
    login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["id"] == created.json()["user"]["id"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (DOTTED_CAPITAL_I, I_WITH_COMBINING_DOT),
        (I_WITH_COMBINING_DOT, DOTTED_CAPITAL_I),
        ("I", "i"),
        ("\uff29", "i"),  # full-width I
    ],
    ids=["İ-then-i̇", "i̇-then-İ", "ascii-case", "full-width"],
)
async def test_a_look_alike_address_is_the_same_account(
    client: httpx.AsyncClient, first: str, second: str
) -> None:
    """The second spelling cannot sign up a second account; it logs into the first one."""
    tail = f"{local()}@example.com"
    created = await client.post(
        "/api/auth/signup", json={"email": first + tail, "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    duplicate = await client.post(
        "/api/auth/signup", json={"email": second + tail, "password": "another password"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "error": "email_taken",
        "detail": "An account with this email already exists.",
    }
    for spelling in (first, second):
        login = await client.post(
            "/api/auth/login", json={"email": spelling + tail, "password": PASSWORD}
        )
        assert login.status_code == 200, (spelling, login.text)
        assert login.json()["user"]["id"] == created.json()["user"]["id"]
    # The refused signup's password opens nothing.
    refused = await client.post(
        "/api/auth/login", json={"email": second + tail, "password": "another password"}
    )
    assert refused.status_code == 401


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        user=parsed.username,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database=parsed.database,
    )


async def test_the_migration_backfills_canonical_emails(empty_database_url: str) -> None:
    """Accounts made before the canonical column: each gets its form; of two that collide, the
    oldest keeps it and the other can no longer be reached by any address."""
    upgrade(empty_database_url, "5b0e1c2d7f40")  # the revision before email_canonical
    conn = await _connect(empty_database_url)
    try:
        insert = (
            "INSERT INTO app_user (email, password_hash, created_at) "
            "VALUES ($1, 'x', now() - make_interval(mins => $2)) RETURNING id"
        )
        older = await conn.fetchval(insert, f"{DOTTED_CAPITAL_I}van@example.com", 10)
        newer = await conn.fetchval(insert, f"{I_WITH_COMBINING_DOT}van@example.com", 5)
        plain = await conn.fetchval(insert, "Ada.Lovelace@Example.com", 1)
    finally:
        await conn.close()

    upgrade(empty_database_url)

    conn = await _connect(empty_database_url)
    try:
        rows = dict(await conn.fetch("SELECT id, email_canonical FROM app_user"))
        assert rows == {
            older: f"{I_WITH_COMBINING_DOT}van@example.com",
            newer: f"duplicate:{newer}",
            plain: "ada.lovelace@example.com",
        }
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO app_user (email, email_canonical, password_hash) "
                "VALUES ('x@example.com', 'ada.lovelace@example.com', 'x')"
            )
    finally:
        await conn.close()
