"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat import __version__
from todochat.accounts.service import shared_secret_key
from todochat.api.errors import install_error_handlers
from todochat.api.routes import auth, health, tasks
from todochat.config import Settings, get_settings
from todochat.db.engine import create_engine, create_sessionmaker
from todochat.db.migrate import alembic_config
from todochat.db.uow import unit_of_work

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def schema_head() -> str:
    """The migration revision this code expects the database to be at."""
    head = ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()
    assert head is not None
    return head


def create_app(
    settings: Settings | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
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
                    raise RuntimeError("DATABASE_URL is not set (the CLI starts an embedded database).")
                engine = create_engine(settings.database_url, settings)
                stack.push_async_callback(engine.dispose)
                maker = create_sessionmaker(engine)
            app.state.sessionmaker = maker
            app.state.secret_key = settings.secret_key or await _load_secret_key(maker)
            yield

    app = FastAPI(
        title="todochat",
        version=__version__,
        summary="A todo list you manage by talking to it.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.schema_head = schema_head()
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(tasks.router)
    if WEB_DIR.is_dir():
        app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app


async def _load_secret_key(maker: async_sessionmaker[AsyncSession]) -> str:
    async with unit_of_work(maker) as session:
        return await shared_secret_key(session)


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes: everything from the environment."""
    return create_app(get_settings())
