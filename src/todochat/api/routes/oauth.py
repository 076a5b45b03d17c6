"""The user's side of OAuth: the consent page's decision, and connected apps.

The consent page sends the API's bearer token (from the same login as the web UI) in the
Authorization header: a page on another site cannot, so a decision cannot be forged (CSRF).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from todochat.api.deps import CurrentUser, Session, TokenUser
from todochat.api.errors import error_responses
from todochat.oauth import consent, scopes
from todochat.oauth.routes import issuer_for
from todochat.oauth.schemas import (
    ConnectedAppPage,
    ConnectedAppRead,
    ConsentAnswer,
    ConsentDecision,
    ConsentRead,
    ScopeRead,
)

router = APIRouter(
    prefix="/api/oauth/requests", tags=["oauth"], responses=error_responses(401, 404, 422)
)
apps_router = APIRouter(
    prefix="/api/{user_id}/connected-apps",
    tags=["oauth"],
    responses=error_responses(401, 403, 404, 422),
)


@router.get("/{request_id}", response_model=ConsentRead)
async def read_consent_request(request_id: str, user: TokenUser, session: Session) -> ConsentRead:
    """What an app connecting to your account asks for (the consent page shows it)."""
    found = await consent.describe_request(session, request_id)
    return ConsentRead(
        client_name=found.client_name,
        client_uri=found.client_uri,
        redirect_uri=found.redirect_uri,
        redirect_host=found.redirect_host,
        scopes=[
            ScopeRead(name=name, description=scopes.DESCRIPTIONS[name]) for name in found.scopes
        ],
        expires_at=found.expires_at,
    )


@router.post("/{request_id}", response_model=ConsentAnswer)
async def decide_consent_request(
    request_id: str, data: ConsentDecision, user: TokenUser, session: Session, request: Request
) -> ConsentAnswer:
    """Allow or deny the app; the answer says where to send the browser. Answered once."""
    issuer = issuer_for(request.app.state.settings.public_url, request.url)
    redirect = await consent.decide_request(
        session, request_id, user.id, data.decision == "allow", issuer
    )
    return ConsentAnswer(redirect_to=redirect)


@apps_router.get("", response_model=ConnectedAppPage)
async def list_connected_apps(user: CurrentUser, session: Session) -> ConnectedAppPage:
    """The apps you allowed into your account (MCP clients), most recently used first."""
    apps = await consent.list_connected_apps(session, user.id)
    return ConnectedAppPage(
        items=[ConnectedAppRead.model_validate(app) for app in apps], total=len(apps)
    )


@apps_router.delete("/{app_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_connected_app(app_id: str, user: CurrentUser, session: Session) -> Response:
    """Disconnect an app: its access and refresh tokens stop working at once."""
    await consent.revoke_connected_app(session, user.id, app_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
