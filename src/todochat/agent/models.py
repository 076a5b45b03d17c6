"""Choosing the language model: the built-in offline one, OpenAI, or any compatible server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from agents import Model, OpenAIChatCompletionsModel
from openai import AsyncOpenAI

from todochat.agent.offline import OfflineModel
from todochat.config import SettingError, Settings

OPENAI_BASE_URL = "https://api.openai.com/v1"
# A path segment like /v1 or /v1beta: where OpenAI-compatible servers put the API.
_API_VERSION = re.compile(r"/v\d+[a-z]*(/|$)")


class ModelConfigError(SettingError):
    """TODOCHAT_MODEL names something we cannot build."""


def check_model(settings: Settings) -> tuple[str, str]:
    """(kind, model name) from TODOCHAT_MODEL, or ModelConfigError saying what to set."""
    kind, _, name = settings.model.partition(":")
    if kind == "offline":
        return kind, name
    if kind not in {"openai", "compatible"} or not name:
        raise ModelConfigError(
            f"TODOCHAT_MODEL={settings.model!r} is not a model: use 'offline' (the built-in "
            "one), 'openai:<model>' (with OPENAI_API_KEY) or 'compatible:<model>' (with "
            "OPENAI_BASE_URL)."
        )
    if kind == "openai" and not settings.openai_api_key:
        raise ModelConfigError(
            f"TODOCHAT_MODEL={settings.model} needs OPENAI_API_KEY: set it, or use "
            "TODOCHAT_MODEL=offline."
        )
    if kind == "compatible" and not settings.openai_base_url:
        raise ModelConfigError(
            f"TODOCHAT_MODEL={settings.model} needs OPENAI_BASE_URL, the server's API address "
            "(Ollama: http://localhost:11434/v1)."
        )
    return kind, name


def base_url_hint(settings: Settings) -> str | None:
    """A hint when OPENAI_BASE_URL lacks the /v1 every compatible server serves its API under."""
    url = settings.openai_base_url
    if not url or _API_VERSION.search(urlsplit(url).path):
        return None
    return (
        f"OPENAI_BASE_URL={url} has no /v1: OpenAI-compatible servers serve the API under it "
        f"(try OPENAI_BASE_URL={url.rstrip('/')}/v1)."
    )


def build_model(settings: Settings) -> Model:
    """The model TODOCHAT_MODEL names: `offline`, `openai:<model>` or `compatible:<model>`.

    Both remote kinds speak Chat Completions, the one API every OpenAI-compatible server
    (Ollama, vLLM, LM Studio, Gemini) implements, so one code path serves them all.
    """
    kind, name = check_model(settings)
    if kind == "offline":
        return OfflineModel()
    client = AsyncOpenAI(
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url or OPENAI_BASE_URL,
        timeout=settings.agent_timeout_seconds,
        max_retries=1,
    )
    return OpenAIChatCompletionsModel(model=name, openai_client=client)


async def close_model(model: Model) -> None:
    """Release a remote model's HTTP connection pool (at app shutdown)."""
    # The Agents SDK model does not expose its client publicly; the offline model has none.
    client = getattr(model, "_client", None)
    if isinstance(client, AsyncOpenAI):
        await client.close()
