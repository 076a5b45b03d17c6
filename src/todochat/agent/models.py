"""Choosing the language model: the built-in offline one, OpenAI, or any compatible server."""

from __future__ import annotations

from agents import Model, OpenAIChatCompletionsModel
from openai import AsyncOpenAI

from todochat.agent.offline import OfflineModel
from todochat.config import Settings

OPENAI_BASE_URL = "https://api.openai.com/v1"


class ModelConfigError(ValueError):
    """TODOCHAT_MODEL names something we cannot build."""


def build_model(settings: Settings) -> Model:
    """The model TODOCHAT_MODEL names: `offline`, `openai:<model>` or `compatible:<model>`.

    Both remote kinds speak Chat Completions, the one API every OpenAI-compatible server
    (Ollama, vLLM, LM Studio, Gemini) implements, so one code path serves them all.
    """
    kind, _, name = settings.model.partition(":")
    if kind == "offline":
        return OfflineModel()
    if kind not in {"openai", "compatible"} or not name:
        raise ModelConfigError(
            f"TODOCHAT_MODEL={settings.model!r}: use 'offline', 'openai:<model>' or 'compatible:<model>'."
        )
    if kind == "openai" and not settings.openai_api_key:
        raise ModelConfigError("TODOCHAT_MODEL=openai:... needs OPENAI_API_KEY.")
    if kind == "compatible" and not settings.openai_base_url:
        raise ModelConfigError("TODOCHAT_MODEL=compatible:... needs OPENAI_BASE_URL.")
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
