"""Members' details stay out of logs.

SQL parameters are hidden by the engine option `hide_parameters`; PostgreSQL, though, repeats a
failed row's values in its own error text ("DETAIL:  Key (mobile)=(139…) already exists"), which
a traceback of an unhandled error would carry into the log. This filter blanks those lines.

Access logs name every request; a search's query string carries the names and mobiles an
organizer looked up, so the development server's request lines are logged without it (gunicorn's
access log format in docs/deployment.md logs the path only, for the same reason).
"""

from __future__ import annotations

import logging
import re

_DETAIL_LINE = re.compile(r"^(\s*)(DETAIL|Failing row contains|Key \().*$", re.MULTILINE)

#: Loggers whose records may carry a database error: Flask's app logger (unhandled errors), the
#: scheduler and its jobs, and APScheduler's executor (a job that raised).
GUARDED_LOGGERS = (
    "eventsite",
    "eventsite.scheduler",
    "eventsite.events.reminders",
    "apscheduler.executors.default",
)


_QUERY = re.compile(r"\?[^ ]*(?= HTTP/[0-9.]+)")


def without_query(request_line: str) -> str:
    """An access log's request line with its query string cut off."""
    return _QUERY.sub("?…", request_line)


class StripQueryStrings(logging.Filter):
    """Cut query strings out of the development server's access log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                without_query(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def redact(text: str) -> str:
    """`text` without the database's lines that repeat a row's values."""
    return _DETAIL_LINE.sub(r"\1\2: [hidden]", text)


class RedactDatabaseDetail(logging.Filter):
    """Blank the database's row details in a record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if isinstance(record.msg, str) and not record.args:
            record.msg = redact(record.msg)
        return True


def guard_logs() -> None:
    """Attach the filter to every logger that may log a database error (idempotent)."""
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactDatabaseDetail) for f in logger.filters):
            logger.addFilter(RedactDatabaseDetail())
    access = logging.getLogger("werkzeug")
    if not any(isinstance(f, StripQueryStrings) for f in access.filters):
        access.addFilter(StripQueryStrings())
