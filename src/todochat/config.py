"""Settings from the environment; importing this module reads nothing."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from todochat.logs import LogFormat, LogLevel


class SettingError(ValueError):
    """A setting todochat cannot start with; the message is one line naming it and the fix."""


def default_data_dir() -> Path:
    """Where the embedded database lives when nothing else is configured."""
    # As root the embedded server runs as a system user that cannot enter /root (mode 700),
    # so root's data goes to a system location instead of the home directory.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/todochat")
    return Path(platformdirs.user_data_dir("todochat"))


# Public-key signatures only: a shared-secret (HS*) or unsigned token from outside means nothing.
AsymmetricAlgorithm = Literal["EdDSA", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
DEFAULT_JWT_ALGORITHMS: tuple[AsymmetricAlgorithm, ...] = ("EdDSA", "RS256", "ES256")


class Settings(BaseSettings):
    """Every knob of the service; the de-facto standard names keep their usual spelling."""

    model_config = SettingsConfigDict(env_prefix="TODOCHAT_", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    database_pooled: bool | None = Field(
        default=None,
        description="True behind PgBouncer (auto-detected for Neon '-pooler' hosts).",
    )
    database_pool_size: int = Field(
        default=20,
        ge=1,
        description="Connections each worker keeps; requests beyond it wait for one.",
    )
    database_pool_timeout: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Seconds a request waits for a pooled connection before a 503 (default: 5, or half "
            "of turn_claim_seconds if less); must stay under two thirds of turn_claim_seconds."
        ),
    )
    database_connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to open a database connection before a 503."
    )
    database_command_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a database statement may take before a 503."
    )
    readiness_timeout: float = Field(
        default=2.0, gt=0, description="Seconds /readyz waits for the database before saying 503."
    )
    data_dir: Path = Field(default_factory=default_data_dir)

    secret_key: str | None = Field(default=None, min_length=32)
    access_token_minutes: int = 60 * 24 * 7

    model: str = "offline"
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )
    tracing: bool = False

    max_message_chars: int = 4000
    max_body_bytes: int = 64 * 1024
    max_import_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="Largest file POST /api/{id}/import takes."
    )
    history_max_messages: int = 20
    history_max_tokens: int = 8000
    agent_max_turns: int = 12
    agent_max_tool_calls: int = 20
    agent_timeout_seconds: float = 60.0
    # How long a turn's claim on its conversation (and on its Idempotency-Key) lasts without a
    # heartbeat; running turns renew it every third of this, so after a crash it frees quickly.
    turn_claim_seconds: float = 15.0
    turns_per_minute: int = 60
    stream_keepalive_seconds: float = Field(
        default=15.0,
        gt=0,
        description="A streamed turn sends a keep-alive comment this often while the model thinks.",
    )
    idempotency_hours: int = 24
    # Authentication abuse, counted in PostgreSQL per window (shared by every instance). A login
    # that succeeds does not use up its account's budget; every attempt uses its address's.
    auth_window_seconds: int = Field(
        default=300, ge=1, le=3600, description="Length of the login/signup counting window."
    )
    login_attempts_per_account: int = Field(default=10, ge=1)
    login_attempts_per_address: int = Field(default=50, ge=1)
    signups_per_address: int = Field(default=10, ge=1)
    oauth_registrations_per_address: int = Field(
        default=20, ge=1, description="OAuth client registrations from one address per window."
    )
    oauth_access_token_seconds: int = Field(
        default=3600, ge=60, description="Lifetime of an OAuth access token for /mcp/."
    )
    oauth_refresh_token_days: int = Field(
        default=30, ge=1, description="Days an unused OAuth refresh token stays valid."
    )

    max_connections: int = Field(
        default=1000,
        ge=1,
        description="Open connections (and requests) per worker beyond which requests get 503.",
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Seconds a client has to send a request's headers."
    )
    keep_alive_seconds: int = Field(
        default=5, ge=1, description="Seconds an idle keep-alive connection stays open."
    )

    log_format: LogFormat = Field(
        default="plain", description="'plain' lines, or 'json': one JSON object per line."
    )
    log_level: LogLevel = "INFO"

    reminder_worker: bool = Field(
        default=True,
        description="Fire reminders inside `todochat serve` (off: run `todochat worker` apart).",
    )
    reminder_hooks: list[str] = Field(
        default_factory=list,
        description="Extra functions ('package.module:function') called for every fired reminder.",
    )
    reminder_heartbeat_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A reminder job whose worker is silent this long is taken over by another.",
    )
    reminder_concurrency: int = Field(
        default=20, ge=20, description="Reminder jobs one worker runs at once."
    )
    events_keepalive_seconds: float = Field(
        default=15.0, gt=0, description="Idle seconds before an event stream sends a keep-alive."
    )

    mcp_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host headers the /mcp/ endpoint accepts besides localhost (e.g. 'todo.example.com').",
    )

    jwt_issuer: str | None = Field(
        default=None,
        description="Also accept access tokens from this issuer (an OIDC provider, Better Auth's "
        "JWT plugin, Auth0, Clerk, Neon Auth): its `iss` exactly, e.g. 'https://auth.example.com'.",
    )
    jwt_jwks_url: str | None = Field(
        default=None,
        description="Where the issuer publishes its signing keys (default: "
        "'<issuer>/.well-known/jwks.json').",
    )
    jwt_audience: str | None = Field(
        default=None, description="The `aud` the issuer's tokens must carry (unchecked if unset)."
    )
    jwt_keys_refresh_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A token naming a key the issuer's fetched set lacks (a rotation) fetches the "
        "set again at most this often, so made-up key ids cannot make todochat hammer the issuer.",
    )
    jwt_algorithms: list[AsymmetricAlgorithm] = Field(
        default_factory=lambda: list(DEFAULT_JWT_ALGORITHMS),
        description="Signature algorithms accepted from the issuer (never HS256 or none).",
    )

    public_url: str | None = Field(
        default=None,
        description="The address users reach the service at (e.g. 'https://todo.example.com'), "
        "used in links it hands out such as the calendar feed; default: the request's own.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Let webhooks reach loopback and private-network addresses (SSRF guard off).",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # The Standard Webhooks reference schedule: after the first attempt, retries 5 s, 5 min,
    # 30 min, 2 h, 5 h, 10 h and 10 h later; after the last one the webhook is disabled.
    webhook_retry_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]
    )

    smtp_url: str | None = Field(
        default=None,
        description="Send reminders by email through this server: smtp://user:password@host:587 "
        "(STARTTLS when offered; ?starttls=false|true) or smtps://…:465 (TLS).",
    )
    smtp_from: str | None = Field(
        default=None, description="The From of reminder emails (default: the SMTP user)."
    )

    @model_validator(mode="after")
    def _heartbeat_gets_a_connection_in_time(self) -> Settings:
        # A claim renewed every third of turn_claim_seconds lapses if one renewal waits longer
        # than the remaining two thirds for a connection.
        if self.pool_timeout >= self.turn_claim_seconds * 2 / 3:
            raise ValueError(
                "TODOCHAT_DATABASE_POOL_TIMEOUT must be under two thirds of "
                "TODOCHAT_TURN_CLAIM_SECONDS, or a running turn "
                "can lose its claim while waiting for a connection: lower the one or raise the other."
            )
        return self

    @property
    def pool_timeout(self) -> float:
        """Seconds a request waits for a pooled database connection."""
        if self.database_pool_timeout is not None:
            return self.database_pool_timeout
        return min(5.0, self.turn_claim_seconds / 2)


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read from the environment once; SettingError if one is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingError(describe_invalid(error)) from None


# What to do about a setting whose value is refused, when more can be said than "fix it".
_FIXES = {
    "secret_key": (
        "set a random one (python -c 'import secrets; print(secrets.token_urlsafe(48))') or "
        "unset it to use the key generated in the database"
    ),
}


def env_name(field: str) -> str:
    """The environment variable that sets a Settings field."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return f"TODOCHAT_{field.upper()}"


def describe_invalid(error: ValidationError) -> str:
    """One line naming each refused variable, why, and what to do, never the value itself."""
    problems = []
    # include_input=False: the refused value may be a secret and must never be printed.
    for item in error.errors(include_input=False, include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        if field in Settings.model_fields:
            fix = _FIXES.get(field, "fix or unset it")
            problems.append(f"{env_name(field)} is invalid ({item['msg'].lower()}): {fix}.")
        else:  # a rule between several settings: its message names them
            problems.append(str(item["msg"]).removeprefix("Value error, "))
    return " ".join(problems)
