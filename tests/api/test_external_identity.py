"""Tokens from an external issuer (TODOCHAT_JWT_ISSUER): a test issuer with keys made here
serves its JWKS over real HTTP; a real server verifies EdDSA, RS256 and ES256 tokens, follows a
key rotation, creates the user on first sight, and refuses every token that should not pass."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from tests.factories import signup
from tests.servers import Server, running_server

pytestmark = pytest.mark.slow

AUDIENCE = "todochat-test"
# The server fetches the key set again for an unknown key at most this often.
REFRESH_SECONDS = 1.0
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass
class Key:
    """A signing key of the test issuer."""

    kid: str
    algorithm: str
    private: Any

    @classmethod
    def new(cls, algorithm: str) -> Key:
        """A fresh key for `algorithm`."""
        private: Any
        if algorithm == "EdDSA":
            private = ed25519.Ed25519PrivateKey.generate()
        elif algorithm == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        return cls(f"{algorithm}-{uuid.uuid4().hex[:8]}", algorithm, private)

    def jwk(self) -> dict[str, Any]:
        """The public half as a JWK."""
        codec = {"EdDSA": OKPAlgorithm, "RS256": RSAAlgorithm, "ES256": ECAlgorithm}[self.algorithm]
        public = json.loads(codec.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


@dataclass
class Issuer:
    """The test issuer: its URL, the keys it publishes, and how often its JWKS was fetched."""

    url: str
    published: list[Key] = field(default_factory=list)
    fetches: int = 0

    def rotate(self, keys: list[Key]) -> None:
        """Publish `keys` instead, once the server may look again (its refresh interval)."""
        self.published = keys
        time.sleep(REFRESH_SECONDS + 0.1)

    def token(self, key: Key, subject: str, **claims: Any) -> str:
        """A token signed with `key` (published or not)."""
        now = datetime.now(UTC)
        body = {
            "iss": self.url,
            "sub": subject,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + timedelta(minutes=5),
            **claims,
        }
        return jwt.encode(body, key.private, algorithm=key.algorithm, headers={"kid": key.kid})


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    """A JWKS endpoint on a loopback port."""
    state = Issuer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            state.fetches += 1
            body = json.dumps({"keys": [key.jwk() for key in state.published]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, issuer: Issuer
) -> Iterator[Server]:
    """A real server that also accepts the test issuer's tokens."""
    env = {
        "DATABASE_URL": database_url,
        "TODOCHAT_JWT_ISSUER": issuer.url,
        "TODOCHAT_JWT_AUDIENCE": AUDIENCE,
        "TODOCHAT_JWT_KEYS_REFRESH_SECONDS": str(REFRESH_SECONDS),
    }
    with running_server(tmp_path_factory.mktemp("external"), env) as srv:
        yield srv


def me(server: Server, token: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/api/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_each_algorithm_signs_in_and_the_user_is_created_once(
    server: Server, issuer: Issuer
) -> None:
    keys = [Key.new(algorithm) for algorithm in ("EdDSA", "RS256", "ES256")]
    issuer.rotate(keys)
    subject = f"user-{uuid.uuid4().hex}"
    email = f"{subject}@example.com"
    seen = set()
    for key in keys:
        answer = me(server, issuer.token(key, subject, email=email, name="Ext User"))
        assert answer.status_code == 200, (key.algorithm, answer.text)
        assert (answer.json()["email"], answer.json()["name"]) == (email, "Ext User")
        seen.add(answer.json()["id"])
    assert len(seen) == 1  # one account per (iss, sub), whichever key signed
    user_id = seen.pop()

    # The same token on the REST API with the path rule, and on /mcp/.
    token = issuer.token(keys[0], subject)
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{server.base_url}/api/{user_id}/tasks", json={"title": "From SSO"}, headers=headers
    )
    assert created.status_code == 201, created.text
    other = uuid.uuid4()
    assert httpx.get(f"{server.base_url}/api/{other}/tasks", headers=headers).status_code == 403
    listed = httpx.post(
        f"{server.base_url}/mcp/",
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "list_tasks", "arguments": {}},
        },
        headers={**MCP_HEADERS, **headers},
    )
    assert listed.status_code == 200, listed.text
    titles = [task["title"] for task in listed.json()["result"]["structuredContent"]["tasks"]]
    assert titles == ["From SSO"]


def test_keys_are_cached_and_a_rotation_is_followed(server: Server, issuer: Issuer) -> None:
    old = Key.new("EdDSA")
    issuer.rotate([old])
    subject = f"rotating-{uuid.uuid4().hex}"
    assert me(server, issuer.token(old, subject)).status_code == 200
    fetched = issuer.fetches
    for _ in range(5):
        assert me(server, issuer.token(old, subject)).status_code == 200
    assert issuer.fetches == fetched  # known key: no fetch per request

    new = Key.new("EdDSA")
    issuer.rotate([new])  # the issuer rotates, telling nobody
    assert me(server, issuer.token(new, subject)).status_code == 200
    assert issuer.fetches == fetched + 1
    # The retired key is gone from the fetched set: its tokens no longer pass.
    assert me(server, issuer.token(old, subject)).status_code == 401


def test_tokens_that_must_not_pass(server: Server, issuer: Issuer) -> None:
    key = Key.new("ES256")
    issuer.rotate([key])
    subject = f"bad-{uuid.uuid4().hex}"
    stranger = Key.new("ES256")
    stranger.kid = key.kid  # same key id, not the issuer's key
    cases = {
        "wrong audience": issuer.token(key, subject, aud="someone-else"),
        "expired": issuer.token(key, subject, exp=datetime.now(UTC) - timedelta(minutes=1)),
        "forged signature": issuer.token(stranger, subject),
        "unknown key": issuer.token(Key.new("ES256"), subject),
        "unsigned": jwt.encode(
            {"iss": issuer.url, "sub": subject, "aud": AUDIENCE, "exp": 4102444800},
            None,
            algorithm="none",
        ),
        "shared-secret": jwt.encode(
            {"iss": issuer.url, "sub": subject, "aud": AUDIENCE, "exp": 4102444800},
            "x" * 48,
            algorithm="HS256",
            headers={"kid": key.kid},
        ),
    }
    for case, token in cases.items():
        answer = me(server, token)
        assert answer.status_code == 401, case
        assert answer.json()["error"] == "unauthorized", case
    # None of them made an account: the first good token does.
    assert me(server, issuer.token(key, subject)).status_code == 200


async def test_local_accounts_keep_working_and_are_never_merged(
    server: Server, issuer: Issuer
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        local = await signup(http)
        assert (await http.get("/api/auth/me", headers=local.headers)).status_code == 200
    key = Key.new("RS256")
    issuer.rotate([key])
    # The issuer claims the local user's address: a separate account, not theirs.
    answer = me(server, issuer.token(key, f"claimer-{uuid.uuid4().hex}", email=local.email))
    assert answer.status_code == 200
    assert answer.json()["id"] != local.id
