"""Serving the MCP server over streamable HTTP behind the API's bearer tokens."""

from __future__ import annotations

import json
from collections.abc import Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from todochat.accounts.security import read_access_token
from todochat.errors import Unauthorized
from todochat.mcp.server import SCOPE_USER_KEY

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
    """Let a request through only with a valid access token, and record whose it is.

    The user id goes on the ASGI scope under a key no client can write; any value a client
    sends in headers, arguments or `_meta` is never consulted.
    """

    def __init__(self, app: ASGIApp, secret_key: Callable[[], str]) -> None:
        self.app = app
        self.secret_key = secret_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.pop(SCOPE_USER_KEY, None)
        headers = dict(scope.get("headers") or [])
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized(
                    "Missing bearer token: send 'Authorization: Bearer <access_token>'."
                )
            scope[SCOPE_USER_KEY] = read_access_token(token.strip(), self.secret_key())
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


def mcp_http_app(
    server: MCPServer, secret_key: Callable[[], str], allowed_hosts: list[str]
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
    return BearerAuth(app, secret_key)
