"""Model provider failures, as errors that tell the user what to do."""

from __future__ import annotations

import asyncio

import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError

from todochat.agent.bridge import ToolBudget
from todochat.chat.service import TurnStart
from todochat.config import Settings
from todochat.errors import DatabaseUnavailable, ModelUnavailable

# Failures of the model provider (503, "try again"), as opposed to bugs (500).
MODEL_FAILURES = (
    ModelUnavailable,
    openai.APIError,
    TimeoutError,
    ModelBehaviorError,
    MaxTurnsExceeded,
)


def describe_failure(error: BaseException, settings: Settings) -> ModelUnavailable:
    """What went wrong, in words that say what to do; the user's message is always kept."""
    kept = "Your message is saved; send another message to try again."
    if isinstance(error, ModelUnavailable):
        return error
    if isinstance(error, TimeoutError):
        seconds = settings.agent_timeout_seconds
        unit = "second" if seconds == 1 else "seconds"
        return ModelUnavailable(f"The assistant did not answer within {seconds:g} {unit}. {kept}")
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelUnavailable(
            f"The model provider rejected the API key: check OPENAI_API_KEY. {kept}"
        )
    if isinstance(error, openai.NotFoundError):
        return ModelUnavailable(
            f"The model provider does not know the model in TODOCHAT_MODEL ({settings.model}). {kept}"
        )
    if isinstance(error, openai.APITimeoutError | openai.APIConnectionError):
        return ModelUnavailable(
            f"Could not reach the model provider; check OPENAI_BASE_URL and the network. {kept}"
        )
    if isinstance(error, openai.APIStatusError):
        return ModelUnavailable(
            f"The model provider failed (HTTP {error.status_code}); try again shortly. {kept}"
        )
    if isinstance(error, ModelBehaviorError):
        return ModelUnavailable(f"The model produced an invalid tool call. {kept}")
    if isinstance(error, MaxTurnsExceeded):
        return ModelUnavailable(f"The assistant needed too many steps for this request. {kept}")
    if isinstance(error, asyncio.CancelledError):
        return ModelUnavailable(f"The turn was interrupted. {kept}")
    return ModelUnavailable(f"The assistant failed unexpectedly. {kept}")


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
