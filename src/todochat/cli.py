"""The `todochat` command: serve, db upgrade, mcp, chat."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from todochat import __version__
from todochat.config import SettingError, Settings, get_settings
from todochat.logs import configure_logging

app = typer.Typer(help="todochat: a todo list you manage by talking to it.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"todochat {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """todochat: a todo list you manage by talking to it."""


# sysexits.h EX_CONFIG: supervisors (systemd's RestartPreventExitStatus) know not to retry it.
CONFIG_ERROR = 78


@contextlib.contextmanager
def settings_checked() -> Iterator[None]:
    """A SettingError becomes its one line on stderr and exit status 78, never a traceback."""
    try:
        yield
    except SettingError as error:
        typer.echo(f"todochat: {error}", err=True)
        raise typer.Exit(CONFIG_ERROR) from None


def database_url_checked(settings: Settings, *, schema_head: str | None = None) -> str:
    """The database URL, once a first connection (and, if given, the schema) proved it works."""
    from todochat.db.check import check_database

    url = resolve_database_url(settings)
    check_database(url, schema_head=schema_head)
    return url


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL if set; otherwise start (or join) the embedded PostgreSQL and use it."""
    if settings.database_url:
        return settings.database_url
    from todochat.db.engine import start_embedded

    typer.echo(f"No DATABASE_URL: using the embedded PostgreSQL in {settings.data_dir}", err=True)
    try:
        return start_embedded(settings.data_dir)
    except Exception as error:
        typer.echo(f"Could not start the embedded PostgreSQL: {error}", err=True)
        raise typer.Exit(1) from error


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request (off: errors only).")] = False,
) -> None:
    """Apply pending migrations, then serve the API, the web UI and MCP."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from todochat.agent.models import base_url_hint, check_model
    from todochat.db.check import check_port
    from todochat.db.migrate import upgrade
    from todochat.lifecycle import Server
    from todochat.serving import MAX_HEADER_BYTES, HttpProtocol

    # Everything that can be wrong in the settings is found before the first migration runs.
    with settings_checked():
        settings = get_settings()
        check_model(settings)
        check_port(host, port)
        url = database_url_checked(settings)
    configure_logging(settings.log_format, settings.log_level)
    if hint := base_url_hint(settings):
        typer.echo(f"todochat: {hint}", err=True)
    upgrade(url)
    # Workers are separate processes that build the app from the environment.
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    config = uvicorn.Config(
        "todochat.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        timeout_graceful_shutdown=30,
        # Slow and idle clients (issue 12): headers due within a deadline (HttpProtocol), idle
        # keep-alive connections closed, and past max_connections a quick 503.
        http=HttpProtocol,
        timeout_keep_alive=settings.keep_alive_seconds,
        limit_concurrency=settings.max_connections,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        # The application owns logging (todochat.logs): uvicorn's records go to the root logger.
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=access_log,
    )
    _raise_open_file_limit()
    if workers > 1:
        from todochat.serving import serve_workers

        # Shutdown waits for uvicorn's graceful period and for streamed turns to finish. It
        # returns after every worker has stopped, so atexit hooks (the embedded PostgreSQL's
        # stop) run as the command exits.
        grace = (config.timeout_graceful_shutdown or 0) + get_settings().agent_timeout_seconds + 5
        raise typer.Exit(serve_workers(config, workers, grace))
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting normally instead lets
    # atexit hooks run, which is how the embedded PostgreSQL is stopped with the last server.
    signal.signal(signal.SIGTERM, _exit_quietly)
    server = Server(config)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is a normal way to stop: exit 0
        server.run()
    if not server.started:
        raise typer.Exit(STARTUP_FAILURE)


def _raise_open_file_limit() -> None:
    """Allow as many open files as the system lets this user: each client is one, and the
    usual soft limit of 1,024 is lower than max_connections plus the database pool."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@app.command()
def worker() -> None:
    """Fire reminders without serving HTTP (`serve` does it too unless TODOCHAT_REMINDER_WORKER=false)."""
    import asyncio

    from todochat.db.migrate import upgrade
    from todochat.notify.worker import serve_worker

    with settings_checked():
        settings = get_settings()
        url = database_url_checked(settings)
    configure_logging(settings.log_format, settings.log_level)
    upgrade(url)
    asyncio.run(serve_worker(settings, url))


def _exit_quietly(signum: int, frame: object) -> None:
    sys.exit(0)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from todochat.db.migrate import upgrade

    with settings_checked():
        url = database_url_checked(get_settings())
    upgrade(url, revision)
    typer.echo("Database is up to date.")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision.")]) -> None:
    """Roll the schema back to REVISION ('base' removes everything)."""
    from todochat.db.migrate import downgrade

    with settings_checked():
        url = database_url_checked(get_settings())
    downgrade(url, revision)
    typer.echo(f"Database downgraded to {revision}.")


@app.command()
def mcp(
    user: Annotated[str, typer.Option(help="Email of the account whose tasks to serve.")],
) -> None:
    """Serve the task tools over stdio for a local MCP client (Claude Desktop, IDEs)."""
    import anyio

    from todochat.db.migrate import head_revision
    from todochat.mcp.stdio import serve_stdio

    # stdout carries the MCP protocol: everything human goes to stderr.
    with settings_checked():
        settings = get_settings()
        url = database_url_checked(settings, schema_head=head_revision())
    configure_logging(settings.log_format, settings.log_level)
    try:
        anyio.run(serve_stdio, url, user)
    except LookupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error


@app.command()
def chat(
    server: Annotated[
        str, typer.Option(envvar="TODOCHAT_SERVER", help="The todochat server to talk to.")
    ] = "http://127.0.0.1:8000",
    email: Annotated[
        str | None, typer.Option(envvar="TODOCHAT_EMAIL", help="Log in as (asked if needed).")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(envvar="TODOCHAT_PASSWORD", help="Password (asked, hidden, if needed)."),
    ] = None,
    conversation: Annotated[
        int | None, typer.Option(help="Resume this conversation (its id).")
    ] = None,
    signup: Annotated[bool, typer.Option("--signup", help="Create the account first.")] = False,
    logout: Annotated[
        bool, typer.Option("--logout", help="Forget the saved login for the server and exit.")
    ] = False,
) -> None:
    """Chat with your todo list in the terminal (logs in once; tool calls are shown)."""
    from todochat.chat_cli import run_chat

    raise typer.Exit(run_chat(server, email, password, conversation, logout, signup))


def main() -> None:
    """Entry point for `python -m todochat`."""
    app()


if __name__ == "__main__":
    main()
