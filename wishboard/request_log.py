"""One log line per request, and errors with their traceback, as JSON a log collector reads.

E-mails written instead of sent (no `MAIL_SERVER`, in development) go to their own logger,
`wishboard.mail`, as plain text on standard error: a developer reads them and opens their links
in the terminal that runs the site.

Each request gets an id: the caller's `X-Request-ID` when it looks like one (a proxy or load
balancer set it), else a new one. It is echoed in the response's `X-Request-ID`, shown on the
error page, and written on every log line made during the request, so that a visitor's
"reference" finds the traceback.
"""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

LOGGER_NAME = "wishboard.request"
MAIL_LOGGER_NAME = "wishboard.mail"
HEADER = "X-Request-ID"
# What we accept from outside: short, and nothing that could forge a log line or a header.
VALID_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{8,128}")


def request_id() -> str | None:
    """The current request's id, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Adds the request id (when there is one) to every record that passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request fields, traceback."""

    FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "remote_addr")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A readable line for a developer's terminal, the request id in brackets."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")


class ConsoleHandler(logging.StreamHandler):
    """Plain text on the standard error of the moment (a test may have swapped it since)."""

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is not sys.stderr:
            self.setStream(sys.stderr)
        super().emit(record)


_REQUEST_ID_FILTER = RequestIdFilter()


def init_app(app: Flask) -> None:
    """Log each request of `app` and format its logs; call first, so its timer starts first."""
    handler = logging.StreamHandler()
    text = app.config["WISHBOARD_LOG_FORMAT"] == "text"
    handler.setFormatter(TextFormatter() if text else JsonFormatter())
    handler.addFilter(_REQUEST_ID_FILTER)
    handler.set_name("wishboard")
    logger = app.logger
    # One handler of ours (apps made again, as the tests do, replace it), instead of Flask's.
    for old in list(logger.handlers):
        if old is default_handler or old.get_name() == "wishboard":
            logger.removeHandler(old)
    logger.addHandler(handler)
    # On the loggers too, so that records reaching other handlers (pytest's) carry the id.
    logger.addFilter(_REQUEST_ID_FILTER)
    logging.getLogger(LOGGER_NAME).addFilter(_REQUEST_ID_FILTER)
    _init_mail_console()
    app.before_request(_start)
    app.after_request(_finish)


def _init_mail_console() -> None:
    """Show e-mails written instead of sent as they read, not escaped into a JSON line."""
    logger = logging.getLogger(MAIL_LOGGER_NAME)
    for old in list(logger.handlers):
        if old.get_name() == "wishboard-mail":
            logger.removeHandler(old)
    handler = ConsoleHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.set_name("wishboard-mail")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # not also as an escaped JSON line through the app's logger
    logger.disabled = False  # a logging.config call (Alembic's, in the tests) may have


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get(HEADER, "")
    g.request_id = given if VALID_ID.fullmatch(given) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    """Echo the id and write the request's line."""
    started = g.get("request_started")
    if started is None:  # refused before our hook ran: name it now
        _start()
        started = g.request_started
    response.headers[HEADER] = g.request_id
    user = g.get("_login_user")  # only when the request loaded it: no query for a log line
    status = response.status_code
    level = logging.ERROR if status >= 500 else logging.INFO
    logging.getLogger(LOGGER_NAME).log(
        level,
        "%s %s %s",
        request.method,
        request.path,
        status,
        extra={
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user_id": getattr(user, "id", None),
            "remote_addr": request.remote_addr,
        },
    )
    return response
