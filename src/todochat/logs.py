"""Logging, owned by the application: one root handler, fed through a queue.

A record logged on the event loop is only copied onto a queue there; a thread formats it
(tracebacks included) and writes it. A failing request therefore costs what a normal one does,
however long its traceback, and a slow stderr never stalls the loop.
"""

from __future__ import annotations

import atexit
import copy
import json
import logging
import queue
import sys
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import IO, Literal

LogFormat = Literal["plain", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_listener: QueueListener | None = None


class _Enqueue(QueueHandler):
    """Put records on the queue without formatting them."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """The record with its message merged now (cheap, and it pins the arguments' values);
        the traceback stays an object, rendered by the listener's thread."""
        prepared = copy.copy(record)
        prepared.msg = record.getMessage()
        prepared.args = None
        return prepared


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    log_format: LogFormat = "plain", level: LogLevel = "INFO", stream: IO[str] | None = None
) -> None:
    """Route every log record of the process to `stream` (stderr) through a writer thread.

    Replaces whatever handlers the root logger had, so no library's handler renders on the
    event loop; calling it again reconfigures.
    """
    global _listener
    if _listener is not None:
        _listener.stop()
    else:
        atexit.register(_flush)
    writer = logging.StreamHandler(stream or sys.stderr)
    writer.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(PLAIN_FORMAT)
    )
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    root.addHandler(_Enqueue(records))
    # `level` is for our own records and uvicorn's; libraries (the MCP SDK logs every tool
    # error at INFO, httpx every request) speak from WARNING up.
    root.setLevel(max(logging.WARNING, logging.getLevelNamesMapping()[level]))
    for name in ("todochat", "uvicorn"):
        logging.getLogger(name).setLevel(level)
    _listener = QueueListener(records, writer)
    _listener.start()


def _flush() -> None:
    """Write what is still queued (at exit)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None
