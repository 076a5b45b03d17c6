"""Model provider failures: a cause for the operator's log, a message for the user."""

from __future__ import annotations

import asyncio

import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError

from todochat.agent.bridge import ToolBudget
from todochat.agent.models import OPENAI_BASE_URL, base_url_hint
from todochat.chat.service import TurnStart
from todochat.config import Settings
from todochat.errors import DatabaseUnavailable, ModelMisconfigured, ModelUnavailable, TooManySteps

# Failures of the model provider (503, "try again"), as opposed to bugs (500).
MODEL_FAILURES = (
    ModelUnavailable,
    openai.APIError,
    TimeoutError,
    ModelBehaviorError,
    MaxTurnsExceeded,
)

KEPT = "Your message is saved."
# Said when only whoever runs the server can fix it; the log tells them what.
FOR_THE_OPERATOR = (
    "The assistant cannot answer: its connection to the language model is misconfigured on "
    "the server, and whoever runs it must fix that. " + KEPT
)


def describe_failure(error: BaseException, settings: Settings) -> ModelUnavailable:
    """What the user reads (and may do), with the operator's cause attached for the log."""
    if isinstance(error, ModelUnavailable):
        return error
    provider = settings.openai_base_url or OPENAI_BASE_URL
    if isinstance(error, TimeoutError):
        seconds = settings.agent_timeout_seconds
        unit = "second" if seconds == 1 else "seconds"
        return ModelUnavailable(
            f"The assistant did not answer within {seconds:g} {unit}. {KEPT}",
            cause=f"no answer within {seconds:g} s (TODOCHAT_AGENT_TIMEOUT_SECONDS)",
        )
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelMisconfigured(
            FOR_THE_OPERATOR,
            cause=f"{provider} rejected the API key (HTTP {error.status_code}: {_said(error)}): "
            "check OPENAI_API_KEY",
        )
    if isinstance(error, openai.NotFoundError):
        hint = base_url_hint(settings)
        return ModelMisconfigured(
            FOR_THE_OPERATOR,
            cause=f"{provider} answered 404 for TODOCHAT_MODEL={settings.model} "
            f"({_said(error)}): " + (hint or "check that the server has this model"),
        )
    if isinstance(error, openai.APITimeoutError | openai.APIConnectionError):
        reason = error.__cause__ or error.message
        return ModelUnavailable(
            f"The assistant's language model cannot be reached right now; try again in a "
            f"moment. {KEPT}",
            cause=f"cannot reach {provider} ({reason}): check OPENAI_BASE_URL and the network",
        )
    if isinstance(error, openai.RateLimitError):
        return ModelUnavailable(
            f"The assistant is handling too many requests; try again in a minute. {KEPT}",
            cause=f"{provider} rate-limited the request (HTTP 429: {_said(error)})",
        )
    if isinstance(error, openai.APIStatusError):
        return ModelUnavailable(
            f"The assistant's language model failed; try again in a moment. {KEPT}",
            cause=f"{provider} failed (HTTP {error.status_code}: {_said(error)})",
        )
    if isinstance(error, ModelBehaviorError):
        return ModelUnavailable(
            f"The assistant made a mistake while working on this; try again or rephrase. {KEPT}",
            cause=f"the model produced an invalid tool call: {error.message}",
        )
    if isinstance(error, MaxTurnsExceeded):
        return TooManySteps(
            f"This request needed too many steps; try asking for less at once. {KEPT}",
            cause=f"more than TODOCHAT_AGENT_MAX_TURNS={settings.agent_max_turns} model calls",
        )
    if isinstance(error, asyncio.CancelledError):
        return ModelUnavailable(f"The answer was interrupted. {KEPT}", cause="turn cancelled")
    return ModelUnavailable(
        f"The assistant failed unexpectedly. {KEPT}", cause=f"{type(error).__name__}: {error}"
    )


def _said(error: openai.APIStatusError) -> str:
    """The provider's own error message (the SDK prefixes it with "Error code: N - ")."""
    body = error.body
    said = body.get("message") if isinstance(body, dict) else None
    return said if isinstance(said, str) else error.message


def interrupted(start: TurnStart, budget: ToolBudget) -> DatabaseUnavailable:
    """A turn cut off by a database outage after it began: what happened, and how to retry."""
    if budget.called == 0:
        done = "Your message was saved; no task was changed."
    else:
        done = (
            f"The assistant had already made {budget.called} tool "
            f"call{'s' if budget.called != 1 else ''}, which may have changed tasks."
        )
    key = (
        "retry with the same Idempotency-Key to finish the turn without repeating any change"
        if start.turn_key is not None
        else "send the message again in a few seconds (with an Idempotency-Key, a retry never "
        "repeats a change)"
    )
    return DatabaseUnavailable(
        f"The database became unreachable during this turn. {done} Once it is back, {key}.",
        start.conversation_id,
    )
