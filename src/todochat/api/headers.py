"""Security headers on every response: a Content-Security-Policy the web UI satisfies, no MIME
sniffing, no framing, no referrer."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The web UI loads only its own files: no inline script or style, no other origin.
APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate CSP 2
]

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
INLINE = "'unsafe-inline'"
# ReDoc's "API docs by Redocly" badge, drawn by its script (offline it just does not load).
REDOC_LOGO = "https://cdn.redoc.ly"
_SCRIPT_ORIGIN = re.compile(r"<script[^>]*\bsrc=[\"'](https://[^/\"']+)", re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_REL = re.compile(r"\brel=[\"']([^\"']*)", re.I)
_HREF_ORIGIN = re.compile(r"\bhref=[\"'](https://[^/\"']+)", re.I)


def docs_policy(html: str) -> str:
    """The policy for a generated documentation page (Swagger UI, ReDoc): what the app's policy
    allows, plus exactly the inline bootstrap this page carries (by hash) and the origins it
    names for its scripts, stylesheets and icon. Styles may be inline: ReDoc's styled-components
    inserts style elements at run time (a hash would also disable 'unsafe-inline'), and a style
    cannot run code; these pages show only the OpenAPI document, never user data."""

    def sources(*parts: Iterable[str]) -> str:
        return " ".join(dict.fromkeys(["'self'", *(part for group in parts for part in group)]))

    scripts = [_sha256(body) for body in _INLINE_SCRIPT.findall(html)]
    stylesheets, icons = _linked_origins(html)
    return (
        f"default-src 'self'; script-src {sources(scripts, _SCRIPT_ORIGIN.findall(html))}; "
        f"style-src {sources([INLINE], stylesheets)}; "
        f"img-src {sources(['data:', REDOC_LOGO], icons)}; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def _linked_origins(html: str) -> tuple[list[str], list[str]]:
    """Origins of the page's linked stylesheets, and of its icons."""
    stylesheets, icons = [], []
    for link in _LINK.findall(html):
        rel, origin = _REL.search(link), _HREF_ORIGIN.search(link)
        if rel is None or origin is None:
            continue
        if "stylesheet" in rel.group(1).lower():
            stylesheets.append(origin.group(1))
        if "icon" in rel.group(1).lower():
            icons.append(origin.group(1))
    return stylesheets, icons


def _sha256(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


class SecurityHeaders:
    """Add the security headers; the documentation pages get their own narrow policy."""

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str]) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.docs_paths:
            await self._documentation(scope, receive, send)
            return

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _with_headers(message, APP_POLICY)
            await send(message)

        await self.app(scope, receive, secured_send)

    async def _documentation(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold the (small) page until its body is known, then send it with its policy."""
        start: Message | None = None
        body = b""

        async def buffered_send(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            body += message.get("body", b"")
            if not message.get("more_body") and start is not None:
                await send(_with_headers(start, docs_policy(body.decode(errors="replace"))))
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered_send)


def _with_headers(start: Message, policy: str) -> Message:
    headers = [*start.get("headers", []), *COMMON_HEADERS]
    headers.append((b"content-security-policy", policy.encode()))
    return {**start, "headers": headers}
