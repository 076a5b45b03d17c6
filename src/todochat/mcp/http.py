"""Serving the MCP server over streamable HTTP behind the API's bearer tokens."""

from __future__ import annotations

import json
from collections.abc import Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from todochat.accounts.security import read_access_token
from todochat.accounts.service import get_user
from todochat.db.uow import single_statements
from todochat.errors import AccountGone, Unauthorized
from todochat.mcp.server import SCOPE_PRINCIPAL_KEY, Principal

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
    whose it is.

    The user goes on the ASGI scope under a key no client can write; any value a client
    sends in headers, arguments or `_meta` is never consulted.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: Callable[[], str],
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        self.app = app
        self.secret_key = secret_key
        self.sessionmaker = sessionmaker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.pop(SCOPE_PRINCIPAL_KEY, None)
        headers = dict(scope.get("headers") or [])
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized(
                    "Missing bearer token: send 'Authorization: Bearer <access_token>'."
                )
            scope[SCOPE_PRINCIPAL_KEY] = await self._principal(token.strip())
        except Unauthorized as error:
            body = json.dumps({"error": error.code, "detail": error.message}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="todochat"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    async def _principal(self, token: str) -> Principal:
        """The token's user and time zone; AccountGone if the account has been deleted."""
        user_id = read_access_token(token, self.secret_key())
        async with single_statements(self.sessionmaker) as session:
            user = await get_user(session, user_id)
        if user is None:
            raise AccountGone()
        return Principal(user.id, user.time_zone)


def mcp_http_app(
    server: MCPServer,
    secret_key: Callable[[], str],
    sessionmaker: async_sessionmaker[AsyncSession],
    allowed_hosts: list[str],
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
    return BearerAuth(app, secret_key, sessionmaker)
