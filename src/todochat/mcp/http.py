"""Serving the MCP server over streamable HTTP behind the API's bearer tokens."""

from __future__ import annotations

import json
from collections.abc import Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import URL
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todochat.accounts.external import ExternalIssuer
from todochat.accounts.service import get_user
from todochat.db.uow import single_statements
from todochat.errors import AccountGone, Unauthorized
from todochat.mcp.server import SCOPE_PRINCIPAL_KEY, Principal
from todochat.oauth import scopes
from todochat.oauth.consent import active_grant
from todochat.oauth.routes import issuer_for, resource_metadata_url
from todochat.oauth.tokens import BearerClaims, read_bearer_token

LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]


def host_patterns(host: str) -> list[str]:
    """Host-header patterns for a configured name: a bare name matches with or without a port.

    The SDK's "name:*" pattern needs a port in the header, but behind a proxy on 80/443 the
    browser and clients send just "todo.example.com", so the bare name is allowed too.
    """
    if host.endswith(":*"):
        host = host[:-2]
    elif ":" in host.rsplit("]", 1)[-1]:
        return [host]  # an explicit port: only that one
    return [host, f"{host}:*"]


class BearerAuth:
    """Let a request through only with a valid access token of an existing account, and record
    whose it is and what it may do.

    Two kinds of token are accepted: the API's own (from /api/auth/login: every scope) and an
    OAuth access token issued for this resource (RFC 8707 audience checked, its grant not
    revoked, its scopes). The user goes on the ASGI scope under a key no client can write; any
    value a client sends in headers, arguments or `_meta` is never consulted.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: Callable[[], str],
        sessionmaker: async_sessionmaker[AsyncSession],
        public_url: str | None = None,
        read_only_tools: frozenset[str] = frozenset(),
        external_issuer: ExternalIssuer | None = None,
    ) -> None:
        self.app = app
        self.external_issuer = external_issuer
        self.secret_key = secret_key
        self.sessionmaker = sessionmaker
        self.public_url = public_url
        self.read_only_tools = read_only_tools

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.pop(SCOPE_PRINCIPAL_KEY, None)
        issuer = issuer_for(self.public_url, URL(scope=scope))
        headers = dict(scope.get("headers") or [])
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized(
                    "Missing bearer token: send 'Authorization: Bearer <access_token>'."
                )
            principal = await self._principal(token.strip(), f"{issuer}/mcp")
        except Unauthorized as error:
            challenge = f'Bearer realm="todochat", {_challenge(issuer)}'
            if token.strip():
                challenge += ', error="invalid_token"'
            await _refuse(send, 401, error.code, error.message, challenge)
            return
        scope[SCOPE_PRINCIPAL_KEY] = principal
        if scopes.WRITE not in principal.scopes and scope["method"] == "POST":
            body = await _read_body(receive)
            tool = _called_tool(body, self.read_only_tools)
            if tool is not None:
                # Step-up (MCP authorization, scope challenge): the client may ask for more.
                challenge = f'Bearer error="insufficient_scope", {_challenge(issuer)}'
                message = f"{tool} changes tasks: this connection may only read them ({scopes.WRITE} is needed)."
                await _refuse(send, 403, "insufficient_scope", message, challenge)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _principal(self, token: str, resource: str) -> Principal:
        """The token's user, time zone and scopes; AccountGone if the account has been deleted,
        Unauthorized if the token's grant was revoked."""
        if self.external_issuer is not None and self.external_issuer.issued(token):
            # The user's own sign-in elsewhere: like the API's token, it may do everything.
            user_id = await self.external_issuer.user_id(token, self.sessionmaker)
            claims = BearerClaims(user_id, frozenset(scopes.ALL))
        else:
            claims = read_bearer_token(token, self.secret_key(), resource)
        async with single_statements(self.sessionmaker) as session:
            user = await get_user(session, claims.user_id)
            if user is not None and claims.grant_id is not None:
                if not await active_grant(session, claims.grant_id, user.id):
                    raise Unauthorized("This app's access was revoked; connect it again.")
        if user is None:
            raise AccountGone()
        return Principal(user.id, user.time_zone, scopes=claims.scopes)


def _challenge(issuer: str) -> str:
    """Where to learn how to get a token, and which scopes to ask for."""
    return f'resource_metadata="{resource_metadata_url(issuer)}", scope="{" ".join(scopes.ALL)}"'


async def _refuse(send: Send, status: int, code: str, detail: str, challenge: str) -> None:
    body = json.dumps({"error": code, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"www-authenticate", challenge.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    """The whole request body (its size is already capped by the app's BodySizeLimit)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body over first."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _called_tool(body: bytes, allowed: frozenset[str]) -> str | None:
    """The first tool a JSON-RPC body calls (tools/call, alone or in a batch) that is not in
    `allowed`; None if it calls none."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    for message in parsed if isinstance(parsed, list) else [parsed]:
        if not isinstance(message, dict) or message.get("method") != "tools/call":
            continue
        params = message.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        if not isinstance(name, str) or name not in allowed:
            return name if isinstance(name, str) else ""
    return None


def mcp_http_app(
    server: MCPServer,
    secret_key: Callable[[], str],
    sessionmaker: async_sessionmaker[AsyncSession],
    allowed_hosts: list[str],
    public_url: str | None = None,
    read_only_tools: frozenset[str] = frozenset(),
    external_issuer: ExternalIssuer | None = None,
) -> ASGIApp:
    """The streamable-HTTP app to mount at /mcp: stateless, so any instance serves any request."""
    hosts = [pattern for host in LOCAL_HOSTS + allowed_hosts for pattern in host_patterns(host)]
    origins = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )
    app = server.streamable_http_app(
        streamable_http_path="/",
        stateless_http=True,
        json_response=True,
        transport_security=security,
    )
    return BearerAuth(app, secret_key, sessionmaker, public_url, read_only_tools, external_issuer)


async def read_only_tool_names(server: MCPServer) -> frozenset[str]:
    """The tools annotated readOnlyHint: what a token with tasks:read alone may call."""
    return frozenset(
        tool.name
        for tool in await server.list_tools()
        if tool.annotations is not None and tool.annotations.read_only_hint
    )
