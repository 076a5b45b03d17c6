"""The authorization server's endpoints and both metadata documents, as Starlette routes.

The SDK's handlers do the protocol; each request gets a provider for the issuer it reached
(TODOCHAT_PUBLIC_URL, else the request's own origin). OAuth endpoints answer in RFC 6749's
error shape (`error`, `error_description`), which OAuth clients read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import cast
from urllib.parse import unquote

from mcp.server.auth.handlers.authorize import AuthorizationHandler
from mcp.server.auth.handlers.metadata import MetadataHandler, ProtectedResourceMetadataHandler
from mcp.server.auth.handlers.register import RegistrationHandler
from mcp.server.auth.handlers.token import TokenHandler
from mcp.server.auth.middleware.client_auth import AuthenticationError, ClientAuthenticator
from mcp.server.auth.routes import build_metadata, cors_middleware
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthClientInformationFull, OAuthMetadata, ProtectedResourceMetadata
from pydantic import AnyHttpUrl
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from todochat.config import Settings
from todochat.db.uow import single_statements
from todochat.oauth import scopes
from todochat.oauth.provider import (
    GrantAccessToken,
    PostgresOAuthProvider,
    PresentedSecretClients,
    StoredRefreshToken,
    as_sdk_provider,
    same_resource,
)
from todochat.ratelimit import Limit, count_attempt

PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource"
REGISTRATION = ClientRegistrationOptions(
    enabled=True, valid_scopes=list(scopes.ALL), default_scopes=list(scopes.ALL)
)


def issuer_for(public_url: str | None, url: URL) -> str:
    """The issuer (and origin of the resource): the configured public URL, else the origin the
    request reached."""
    return (public_url or f"{url.scheme}://{url.netloc}").rstrip("/")


def resource_metadata_url(issuer: str) -> str:
    """Where the MCP endpoint's protected-resource metadata is (RFC 9728 §3.1)."""
    return f"{issuer}{PROTECTED_RESOURCE_PATH}/mcp"


def _provider(request: Request) -> PostgresOAuthProvider:
    settings: Settings = request.app.state.settings
    return PostgresOAuthProvider(
        request.app.state.sessionmaker,
        request.app.state.secret_key,
        issuer_for(settings.public_url, request.url),
        access_token_seconds=settings.oauth_access_token_seconds,
        refresh_token_days=settings.oauth_refresh_token_days,
    )


class HashedSecretAuthenticator(ClientAuthenticator):
    """The SDK's client authentication, against client secrets stored as digests."""

    async def authenticate_request(self, request: Request) -> object:  # type: ignore[override]
        """Authenticate as the SDK does, comparing the presented secret with its digest."""
        presented = await _presented_secret(request)
        clients = PresentedSecretClients(self.provider, presented)  # type: ignore[arg-type]
        return await ClientAuthenticator(as_sdk_provider(clients)).authenticate_request(request)


async def _presented_secret(request: Request) -> str | None:
    """The client secret in the request: HTTP Basic (RFC 6749 §2.3.1) or the form."""
    header = request.headers.get("authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return unquote(decoded.partition(":")[2]) if ":" in decoded else None
    secret = (await request.form()).get("client_secret")
    return secret if isinstance(secret, str) else None


async def _authorization_server_metadata(request: Request) -> Response:
    issuer = issuer_for(request.app.state.settings.public_url, request.url)
    built = build_metadata(AnyHttpUrl(issuer), None, REGISTRATION, RevocationOptions(enabled=True))
    # Validated again from text: the model keeps a path-less issuer without a trailing slash,
    # and RFC 8414 compares issuers as strings.
    metadata = OAuthMetadata.model_validate(
        {
            **built.model_dump(mode="json", exclude_none=True),
            "issuer": issuer,
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
            "authorization_response_iss_parameter_supported": True,
        }
    )
    return await MetadataHandler(metadata).handle(request)


async def _protected_resource_metadata(request: Request) -> Response:
    issuer = issuer_for(request.app.state.settings.public_url, request.url)
    metadata = ProtectedResourceMetadata.model_validate(
        {
            "resource": f"{issuer}/mcp",
            "authorization_servers": [issuer],
            "scopes_supported": list(scopes.ALL),
            "resource_name": "todochat",
        }
    )
    return await ProtectedResourceMetadataHandler(metadata).handle(request)


async def _authorize(request: Request) -> Response:
    return await AuthorizationHandler(as_sdk_provider(_provider(request))).handle(request)


async def _token(request: Request) -> Response:
    provider = _provider(request)
    resource = (await request.form()).get("resource")
    if isinstance(resource, str) and not same_resource(resource, provider.resource):
        # RFC 8707 §2: this server issues tokens for its MCP endpoint only.
        return JSONResponse(
            {"error": "invalid_target", "error_description": f"Unknown resource {resource!r}."},
            status_code=400,
            headers={"Cache-Control": "no-store"},
        )
    sdk = as_sdk_provider(provider)
    return await TokenHandler(sdk, HashedSecretAuthenticator(sdk)).handle(request)  # type: ignore[no-any-return]


async def _register(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    async with single_statements(request.app.state.sessionmaker) as session:
        await count_attempt(
            session,
            [
                Limit(
                    f"oauth-register-from:{address}",
                    settings.oauth_registrations_per_address,
                    "Too many client registrations from your address.",
                )
            ],
            settings.auth_window_seconds,
        )
    return await RegistrationHandler(as_sdk_provider(_provider(request)), REGISTRATION).handle(
        request
    )


async def _revoke(request: Request) -> Response:
    """RFC 7009 revocation. The SDK's RevocationHandler requires a `client_secret` field even
    from public clients, which have none; this is its logic with the field optional."""
    provider = _provider(request)
    try:
        client = await HashedSecretAuthenticator(as_sdk_provider(provider)).authenticate_request(
            request
        )
    except AuthenticationError as error:
        return JSONResponse(
            {"error": "invalid_client", "error_description": error.message}, status_code=401
        )
    form = await request.form()
    token = form.get("token")
    if not isinstance(token, str) or not token:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "token is required."},
            status_code=400,
        )
    client_id = cast(OAuthClientInformationFull, client).client_id
    found: GrantAccessToken | StoredRefreshToken | None = await provider.load_access_token(token)
    if found is None:
        found = await provider.load_refresh_token(cast(OAuthClientInformationFull, client), token)
    # An unknown token, or another client's, gets the same answer (RFC 7009 §2.2).
    if found is not None and found.client_id == client_id:
        await provider.revoke_token(found)
    return Response(status_code=200, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _cors(handler: Callable[[Request], Awaitable[Response]], methods: list[str]) -> Route:
    return cors_middleware(handler, [*methods, "OPTIONS"])  # type: ignore[return-value]


def oauth_routes() -> list[Route]:
    """Metadata (RFC 8414, RFC 9728), /authorize, /token, /register (RFC 7591), /revoke
    (RFC 7009). Browser-based clients (MCP Inspector) may call all but /authorize cross-origin."""
    return [
        Route(
            "/.well-known/oauth-authorization-server",
            _cors(_authorization_server_metadata, ["GET"]),
            methods=["GET", "OPTIONS"],
        ),
        Route(
            PROTECTED_RESOURCE_PATH,
            _cors(_protected_resource_metadata, ["GET"]),
            methods=["GET", "OPTIONS"],
        ),
        Route(
            f"{PROTECTED_RESOURCE_PATH}/mcp",
            _cors(_protected_resource_metadata, ["GET"]),
            methods=["GET", "OPTIONS"],
        ),
        Route("/authorize", _authorize, methods=["GET", "POST"]),
        Route("/token", _cors(_token, ["POST"]), methods=["POST", "OPTIONS"]),
        Route("/register", _cors(_register, ["POST"]), methods=["POST", "OPTIONS"]),
        Route("/revoke", _cors(_revoke, ["POST"]), methods=["POST", "OPTIONS"]),
    ]
