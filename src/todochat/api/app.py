"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from todochat import __version__
from todochat.accounts.external import ExternalIssuer
from todochat.accounts.service import shared_secret_key
from todochat.agent.bridge import InProcessClient
from todochat.agent.models import build_model, close_model
from todochat.api.docs import DOCS_PATHS, install_docs
from todochat.api.errors import install_error_handlers
from todochat.api.headers import SecurityHeaders
from todochat.api.limits import BodySizeLimit, ServerTiming
from todochat.api.routes import (
    archive,
    auth,
    calendar,
    chat,
    conversations,
    events,
    health,
    limits,
    notifications,
    oauth,
    tasks,
    webhooks,
)
from todochat.chat.turn import ChatTurns
from todochat.clock import Clock, system_clock
from todochat.config import Settings, get_settings
from todochat.db.engine import create_engine, create_sessionmaker
from todochat.db.migrate import head_revision
from todochat.db.uow import unit_of_work
from todochat.mcp.http import mcp_http_app, read_only_tool_names
from todochat.mcp.server import build_mcp, identify_bound, identify_from_request
from todochat.notify.channels import reminder_channels
from todochat.notify.events import EventHub
from todochat.notify.worker import run_reminder_worker
from todochat.oauth.routes import oauth_routes

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def create_app(
    settings: Settings | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    """Build the app; without a sessionmaker it connects to settings.database_url at startup."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = None
            maker = sessionmaker
            if maker is None:
                if not settings.database_url:
                    raise RuntimeError(
                        "DATABASE_URL is not set (the CLI starts an embedded database)."
                    )
                engine = create_engine(settings.database_url, settings)
                stack.push_async_callback(engine.dispose)
                maker = create_sessionmaker(engine)
            app.state.sessionmaker = maker
            app.state.secret_key = settings.secret_key or await _load_secret_key(maker)
            app.state.mcp = build_mcp(maker, identify_from_request, clock=clock)
            mcp_app.app = mcp_http_app(
                app.state.mcp,
                lambda: app.state.secret_key,
                maker,
                settings.mcp_allowed_hosts,
                public_url=settings.public_url,
                external_issuer=app.state.external_issuer,
                read_only_tools=await read_only_tool_names(app.state.mcp),
            )
            await stack.enter_async_context(app.state.mcp.session_manager.run())
            model = build_model(settings)
            # A remote model holds an HTTP connection pool: closed at shutdown, after the drain.
            stack.push_async_callback(close_model, model)
            in_process = await stack.enter_async_context(
                InProcessClient(build_mcp(maker, identify_bound, clock=clock))
            )
            app.state.turns = ChatTurns(maker, settings, model, in_process)
            await stack.enter_async_context(_reminders(app, settings, maker))
            yield
            # Shutdown: uvicorn has stopped accepting requests and finished the ones in flight;
            # streamed turns whose client left may still be running — let them finish.
            await app.state.turns.drain(seconds=settings.agent_timeout_seconds)

    app = FastAPI(
        title="todochat",
        version=__version__,
        summary="A todo list you manage by talking to it.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Tokens of an external issuer (TODOCHAT_JWT_ISSUER); its keys are fetched on first use.
    app.state.external_issuer = ExternalIssuer(settings) if settings.jwt_issuer else None
    app.state.clock = clock
    app.state.schema_head = head_revision()
    install_error_handlers(app)
    install_docs(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={"/import": settings.max_import_bytes},
    )
    app.add_middleware(ServerTiming)
    app.add_middleware(SecurityHeaders, docs_paths=DOCS_PATHS)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(tasks.router)
    app.include_router(chat.router)
    app.include_router(conversations.router)
    app.include_router(webhooks.router)
    app.include_router(calendar.router)
    app.include_router(calendar.feed_router)
    app.include_router(notifications.router)
    app.include_router(limits.router)
    app.include_router(events.router)
    app.include_router(archive.router)
    app.include_router(oauth.router)
    app.include_router(oauth.apps_router)
    # The OAuth authorization server (for MCP clients): metadata, /authorize, /token, ...
    app.router.routes.extend(oauth_routes())
    # The MCP server needs the sessionmaker, known only once the lifespan starts.
    mcp_app = _Deferred()
    app.mount("/mcp", mcp_app, name="mcp")

    @app.api_route("/mcp", methods=["GET", "POST", "DELETE"], include_in_schema=False)
    async def mcp_without_slash() -> RedirectResponse:
        return RedirectResponse("/mcp/", status_code=307)

    if WEB_DIR.is_dir():
        app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app


@asynccontextmanager
async def _reminders(
    app: FastAPI, settings: Settings, maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    """The event listener (always) and the reminder worker (unless turned off) of this process."""
    database_url = settings.database_url or _url_of(maker)
    app.state.events = EventHub(database_url, maker)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(app.state.events.run(stop))]
    if settings.reminder_worker:
        channels = reminder_channels(settings, maker)
        tasks.append(
            asyncio.create_task(run_reminder_worker(settings, database_url, maker, channels, stop))
        )
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


def _url_of(maker: async_sessionmaker[AsyncSession]) -> str:
    """The database URL a sessionmaker connects to."""
    url: URL = maker.kw["bind"].url
    return url.render_as_string(hide_password=False)


async def _load_secret_key(maker: async_sessionmaker[AsyncSession]) -> str:
    async with unit_of_work(maker) as session:
        return await shared_secret_key(session)


class _Deferred:
    """An ASGI app whose target is set during startup."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("The MCP endpoint is not ready: the app's lifespan has not started.")
        await self.app(scope, receive, send)


# A chat turn allocates thousands of short-lived objects. With CPython's default gen-0 threshold
# (700), a worker with a dozen turns in flight collects every turn or so, promotes the in-flight
# objects, and soon runs full collections over the whole heap (~275,000 objects after startup):
# 1.7 ms of CPU per turn at 16 concurrent turns, against 0.1 ms with these thresholds. Almost
# everything a turn allocates is freed by reference counting; the collector only has to find the
# rare cycle, and a bigger young generation still finds it within a few thousand turns.
SERVER_GC_THRESHOLDS = (10_000, 10, 10)


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes: everything from the environment."""
    gc.set_threshold(*SERVER_GC_THRESHOLDS)
    return create_app(get_settings())
