"""What the consent page and the connected-apps list read and send."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class ScopeRead(BaseModel):
    """A scope and what it lets the app do, in words."""

    name: str
    description: str


class ConsentRead(BaseModel):
    """An app asking for access: who, where it sends the answer, and what it may do."""

    client_name: str
    client_uri: str | None
    redirect_uri: str
    redirect_host: str
    scopes: list[ScopeRead]
    expires_at: datetime


class ConsentDecision(BaseModel):
    """The user's answer."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["allow", "deny"]


class ConsentAnswer(BaseModel):
    """Where the browser goes next: the app's redirect URI with the code or the refusal."""

    redirect_to: str


class ConnectedAppRead(BaseModel):
    """An app the user allowed, until they disconnect it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime


class ConnectedAppPage(BaseModel):
    """The user's connected apps."""

    items: list[ConnectedAppRead]
    total: int
