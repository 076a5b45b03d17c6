"""Webhooks: register, list, show the secret, delete."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from todochat.api.deps import Webhooks
from todochat.api.errors import error_responses
from todochat.notify.models import Webhook
from todochat.notify.schemas import (
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookRead,
    WebhookSecret,
)

router = APIRouter(
    prefix="/api/{user_id}/webhooks",
    tags=["webhooks"],
    responses=error_responses(401, 403, 404, 422),
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=error_responses(409),
)
async def create_webhook(data: WebhookCreate, webhooks: Webhooks) -> Webhook:
    """Register a URL for signed reminder deliveries; the answer holds its signing secret."""
    return await webhooks.create_webhook(data.url)


@router.get("", response_model=WebhookPage)
async def list_webhooks(webhooks: Webhooks) -> WebhookPage:
    """The user's webhooks and how their deliveries go (secrets are not listed)."""
    items = await webhooks.list_webhooks()
    return WebhookPage(items=[WebhookRead.model_validate(item) for item in items], total=len(items))


@router.get("/{webhook_id}/secret", response_model=WebhookSecret)
async def get_webhook_secret(webhook_id: int, webhooks: Webhooks) -> WebhookSecret:
    """The webhook's signing secret, for setting up a receiver again."""
    return WebhookSecret(secret=(await webhooks.get_webhook(webhook_id)).secret)


@router.post("/{webhook_id}/enable", response_model=WebhookRead)
async def enable_webhook(webhook_id: int, webhooks: Webhooks) -> Webhook:
    """Send to a webhook again after it was disabled for failing (clears its failures)."""
    return await webhooks.enable_webhook(webhook_id)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(webhook_id: int, webhooks: Webhooks) -> Response:
    """Stop sending to this webhook."""
    await webhooks.delete_webhook(webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
